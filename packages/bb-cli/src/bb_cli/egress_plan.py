"""What the egress sidecar and the agent are told about the way out, for one bottle.

`Egress.prepare` is pure apart from drawing the canary: it merges the agent runtime's
provider routes with the bottle's routes, resolves declared secrets from the host
environment, and mints a fresh canary. The split of the environment is the point:

* the egress sidecar gets the real secrets (``EGRESS_TOKEN_*``, used only in
  ``inject_headers``) and the canary as ``EGRESS_TOKEN_CANARY`` (a known secret to the DLP
  engine, so its appearance in any outbound request is caught);
* the agent gets the canary as ``BOT_BOTTLE_CANARY`` and, for provider CLIs that refuse to
  start without a key, a placeholder that the proxy replaces on the provider's route. It
  never gets a real secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from bb_cli.errors import BbError, ManifestError
from bb_cli.manifests import LoadedManifest
from bb_cli.runtimes import PLACEHOLDER_KEY as RUNTIME_PLACEHOLDER_KEY
from bb_protocol import envvars
from bb_protocol.routes import Route, RoutesError, RoutesFile

__all__ = ["PROVIDERS", "Egress", "EgressPlan", "Provider", "SecretMissingError"]


@dataclass(frozen=True)
class Provider:
    """An agent runtime's LLM API: its route, the host key it needs, the header it uses."""

    host: str
    host_key_var: str
    """Host environment variable holding the user's API key."""
    token_name: str
    """The key reaches the proxy as ``EGRESS_TOKEN_<token_name>``."""
    header: str
    header_value: str
    agent_placeholder_var: str
    """Variable the runtime's CLI expects; the agent gets a placeholder in it."""


PROVIDERS: Final[Mapping[str, Provider]] = {
    "claude": Provider(
        host="api.anthropic.com",
        host_key_var="ANTHROPIC_API_KEY",
        token_name="ANTHROPIC",  # noqa: S106 - a name, not a secret
        header="x-api-key",
        header_value="${EGRESS_TOKEN_ANTHROPIC}",
        agent_placeholder_var="ANTHROPIC_API_KEY",
    ),
    "codex": Provider(
        host="api.openai.com",
        host_key_var="OPENAI_API_KEY",
        token_name="OPENAI",  # noqa: S106 - a name, not a secret
        header="Authorization",
        header_value="Bearer ${EGRESS_TOKEN_OPENAI}",
        agent_placeholder_var="OPENAI_API_KEY",
    ),
}
"""Provider routes per runtime; the shell and custom-command runtimes have none."""

PLACEHOLDER_KEY: Final = RUNTIME_PLACEHOLDER_KEY


def _token_rule_env(manifest: LoadedManifest) -> dict[str, str]:
    """The bottle's token-pattern settings for the proxy; a rule id the catalogue does not
    know is refused here, before anything starts (the proxy would refuse it too)."""
    dlp = manifest.bottle.dlp
    env: dict[str, str] = {}
    if dlp.token_confidence != "medium":
        env[envvars.DLP_TOKEN_CONFIDENCE] = dlp.token_confidence
    if dlp.token_rules_off:
        # Imported here: it loads Kingfisher's catalogue, wanted only when rules are off.
        from bb_dlp import DlpConfigError
        from bb_dlp.catalogue import Catalogue

        try:
            Catalogue(dlp.token_confidence, dlp.token_rules_off)
        except DlpConfigError as exc:
            raise ManifestError(
                f"bottle {manifest.bottle.name}: dlp.token_rules_off: {exc}"
            ) from None
        env[envvars.DLP_TOKEN_RULES_OFF] = ",".join(dlp.token_rules_off)
    return env


class SecretMissingError(BbError, LookupError):
    """A secret the bottle declares is not set in the host environment."""

    exit_code = 10


@dataclass(frozen=True)
class EgressPlan:
    """Routes and the environment split between egress sidecar and agent."""

    routes: RoutesFile
    canary: str
    egress_env: dict[str, str]
    """Secrets (``EGRESS_TOKEN_*``) and the canary: the egress container only."""
    agent_env: dict[str, str]
    """The canary under its agent name, placeholders: never a real secret."""


class Egress:
    """Renders an `EgressPlan` from a loaded manifest and the host environment."""

    @staticmethod
    def provider_routes(runtime: str) -> list[Route]:
        """The routes the runtime's own API needs (empty for shell/custom commands)."""
        provider = PROVIDERS.get(runtime)
        if provider is None:
            return []
        return [
            Route(
                host=provider.host,
                provider=True,
                inject_headers={provider.header: provider.header_value},
                note=f"{runtime} runtime: its model API (key injected by the proxy)",
            )
        ]

    @classmethod
    def prepare(
        cls, manifest: LoadedManifest, environ: Mapping[str, str], canary: str | None = None
    ) -> EgressPlan:
        """Routes, secrets and a fresh canary for one bottle; raise when a secret is unset."""
        runtime = manifest.agent.runtime
        routes = [
            *(r.model_copy(update={"source": "runtime"}) for r in cls.provider_routes(runtime)),
            *(r.model_copy(update={"source": "manifest"}) for r in manifest.bottle.routes),
        ]
        try:
            routes_file = RoutesFile(routes=routes)
        except (RoutesError, ValueError) as exc:
            raise RoutesError(f"bottle {manifest.bottle.name}: {exc}") from None
        egress_env: dict[str, str] = {}
        agent_env: dict[str, str] = {}
        wanted = dict(manifest.bottle.secrets)
        provider = PROVIDERS.get(runtime)
        if provider is not None:
            wanted.setdefault(provider.token_name, provider.host_key_var)
            agent_env[provider.agent_placeholder_var] = PLACEHOLDER_KEY
        for name, host_var in sorted(wanted.items()):
            value = environ.get(host_var, "")
            if not value:
                raise SecretMissingError(
                    f"bottle {manifest.bottle.name} needs ${host_var} on the host "
                    f"(it reaches only the proxy, as {envvars.DEFAULT_SENSITIVE_PREFIX}{name}); "
                    f"export {host_var}=... and start again"
                )
            egress_env[f"{envvars.DEFAULT_SENSITIVE_PREFIX}{name}"] = value
        unset = sorted(routes_file.secret_env_vars - set(egress_env))
        if unset:
            raise SecretMissingError(
                f"bottle {manifest.bottle.name}: routes inject {', '.join(unset)} but no "
                "'secrets' entry provides it; add e.g. 'secrets: {NAME: HOST_VAR}'"
            )
        if manifest.bottle.dlp.sensitive_prefixes:
            egress_env[envvars.SENSITIVE_PREFIXES] = ",".join(
                manifest.bottle.dlp.sensitive_prefixes
            )
        egress_env.update(_token_rule_env(manifest))
        canary = canary or secrets.token_urlsafe(32)
        egress_env[envvars.EGRESS_CANARY] = canary
        agent_env[envvars.AGENT_CANARY] = canary
        return EgressPlan(
            routes=routes_file, canary=canary, egress_env=egress_env, agent_env=agent_env
        )

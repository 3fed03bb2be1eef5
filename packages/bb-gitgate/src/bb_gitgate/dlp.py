"""The DLP engine's pass over a push: the same detection as the egress proxy (pure, no git).

gitleaks knows provider token shapes; it does not know this bottle's secrets. The proxy
does: its `bb_dlp.DlpConfig` holds the bottle's ``EGRESS_TOKEN_*`` values (and every other
variable with a sensitive prefix) and the canary, and looks for them raw, encoded,
separated and in fragments. The gate gets the same values the same way (from bb's
compose environment, never from the agent: see ``docs/git-gate.md``), and this module runs
the engine's `bb_dlp.scan_content` over each `bb_gitgate.objects.Item` of a push.

Findings become the gate's `Finding` (so they hold the push exactly like gitleaks'): the
rule id names the detector (``bb-dlp:known_secrets``, ``bb-dlp:canary``,
``bb-dlp:token_patterns``...), ``match`` is the engine's preview (the secret's name and how
it was encoded, or a rule id and a 4-character prefix), never the secret. A label that
itself holds a secret (a file named after one) is replaced before anyone sees it.

The server passes the secrets to its hook in the hook's environment: the variables
themselves plus ``BB_GITGATE_DLP_SECRETS`` naming them (`hook_env`); the hook rebuilds the
config from exactly those names (`config_from_hook_env`). git and gitleaks, which the hook
runs with a scrubbed environment, never see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from bb_dlp import CANARY_VAR, DlpConfig, DlpConfigError, scan_content, secrets_in
from bb_dlp import Finding as DlpFinding
from bb_dlp.catalogue import DEFAULT_CONFIDENCE
from bb_gitgate.errors import ConfigError
from bb_gitgate.findings import Finding, clean_text
from bb_gitgate.objects import Item, header_of
from bb_gitgate.refs import RefUpdate
from bb_protocol import envvars

__all__ = [
    "DETECTORS",
    "ENV_SECRET_NAMES",
    "MAX_FINDINGS",
    "RULE_PREFIX",
    "build_config",
    "config_from_hook_env",
    "hook_env",
    "redact_labels",
    "scan_item",
    "scan_items",
    "scan_ref_names",
]

ENV_SECRET_NAMES: Final = "BB_GITGATE_DLP_SECRETS"
"""Comma-separated names of the secret variables the server passed to its hook."""

DETECTORS: Final = ("known_secrets", "canary", "token_patterns", "unicode_evasion")
"""The proxy's detectors that make sense for stored content (no CRLF, no entropy guessing)."""

RULE_PREFIX: Final = "bb-dlp:"
MAX_FINDINGS: Final = 200
"""Findings kept per push (the queue takes 1000 in all; more says nothing new)."""


TOKEN_SETTINGS: Final = (envvars.DLP_TOKEN_CONFIDENCE, envvars.DLP_TOKEN_RULES_OFF)
"""The bottle's token-rule settings (``dlp.token_confidence``, ``dlp.token_rules_off``): the
gate gets the proxy's environment, and scans pushes with the same rules as the proxy."""


def build_config(
    secrets: Mapping[str, str],
    *,
    require_canary: bool,
    token_settings: Mapping[str, str] | None = None,
) -> DlpConfig:
    """The engine config for ``secrets``; `ConfigError` when the canary is required and absent
    or a token-rule setting is invalid (unknown confidence or rule id, named)."""
    if require_canary and not secrets.get(CANARY_VAR):
        raise ConfigError(
            f"the gate needs the bottle's canary ({CANARY_VAR}) in its environment; "
            "start the bottle with `bb start`, which passes it"
        )
    settings = token_settings or {}
    off = settings.get(envvars.DLP_TOKEN_RULES_OFF, "").split(",")
    try:
        return DlpConfig.from_secrets(
            secrets,
            DETECTORS,
            token_confidence=settings.get(envvars.DLP_TOKEN_CONFIDENCE, "").strip()
            or DEFAULT_CONFIDENCE,
            token_rules_off=[r.strip() for r in off if r.strip()],
        )
    except DlpConfigError as exc:
        raise ConfigError(f"DLP configuration: {exc}") from exc


def hook_env(environ: Mapping[str, str]) -> dict[str, str]:
    """What the server adds to its hook's environment: the secrets and the list of names,
    and the bottle's token-rule settings when it has any."""
    secrets = secrets_in(environ)
    settings = {k: environ[k] for k in TOKEN_SETTINGS if environ.get(k)}
    return {**secrets, **settings, ENV_SECRET_NAMES: ",".join(sorted(secrets))}


def config_from_hook_env(environ: Mapping[str, str], *, require_canary: bool) -> DlpConfig:
    """The hook's config: exactly the variables ``BB_GITGATE_DLP_SECRETS`` names."""
    names = [n for n in environ.get(ENV_SECRET_NAMES, "").split(",") if n]
    missing = [n for n in names if n not in environ]
    if missing:
        raise ConfigError(f"the gate's hook lacks secret variable(s) {', '.join(missing)}")
    return build_config(
        {n: environ[n] for n in names},
        require_canary=require_canary,
        token_settings={k: environ[k] for k in TOKEN_SETTINGS if k in environ},
    )


def _where(item: Item, finding: DlpFinding) -> tuple[str, int]:
    """The label and line the operator sees for a finding in ``item``."""
    if finding.detector == "encoding" or not finding.redactable:
        line = 0
    else:
        line = item.data.count(b"\n", 0, finding.span[0]) + 1
    if item.kind == "blob":
        return item.label, line
    if item.kind == "paths":
        return f"<file names of tree {item.oid[:12]}>", 0
    header = header_of(item.data, finding.span[0]) if finding.redactable else "object"
    part = "message" if header is None else header
    return f"<{item.kind} {part}>", 0


def scan_item(item: Item, config: DlpConfig) -> list[Finding]:
    """The engine's findings in one item, as the gate's findings."""
    out: list[Finding] = []
    for found in scan_content(item.data, config, surface=item.kind).findings:
        label, line = _where(item, found)
        rule = RULE_PREFIX + found.detector
        out.append(
            Finding(
                rule_id=rule,
                commit=item.commit,
                file=clean_text(label) or "?",
                line=line,
                match=clean_text(found.preview),
                fingerprint=clean_text(f"{item.commit}:{label}:{rule}:{line}"),
            )
        )
    return out


def scan_items(items: Iterable[Item], config: DlpConfig) -> list[Finding]:
    """Findings over ``items`` (at most ``MAX_FINDINGS``, duplicates dropped)."""
    out: list[Finding] = []
    seen: set[tuple[str, str, str, str]] = set()
    for item in items:
        for finding in scan_item(item, config):
            key = (finding.rule_id, finding.commit, finding.file, finding.match)
            if key in seen:
                continue
            seen.add(key)
            out.append(finding)
            if len(out) >= MAX_FINDINGS:
                return out
    return out


def scan_ref_names(updates: Iterable[RefUpdate], config: DlpConfig) -> list[Finding]:
    """Findings in the names of the refs pushed: a branch or tag name reaches upstream too.

    The finding names the commit the ref would point at and ``<ref name>``, never the name.
    """
    out: list[Finding] = []
    for update in updates:
        item = Item("paths", update.new, update.new, "<ref name>", update.ref.encode())
        for finding in scan_item(item, config):
            out.append(
                finding.model_copy(
                    update={
                        "file": "<ref name>",
                        "fingerprint": f"{update.new}:<ref name>:{finding.rule_id}:0",
                    }
                )
            )
    return out


def redact_labels(findings: Iterable[Finding], config: DlpConfig) -> list[Finding]:
    """Findings whose file label holds a secret get a neutral label (the name is content).

    A path is shown to the agent and the operator; when the path itself is the leak, the
    finding on the ``paths`` item already says so and the path must not repeat it.
    """
    out: list[Finding] = []
    for finding in findings:
        if scan_content(finding.file.encode("utf-8", "surrogateescape"), config).clean:
            out.append(finding)
            continue
        label = f"<a file whose name holds a secret, in {finding.commit[:12]}>"
        out.append(
            finding.model_copy(
                update={
                    "file": label,
                    "fingerprint": clean_text(
                        f"{finding.commit}:{label}:{finding.rule_id}:{finding.line}"
                    ),
                }
            )
        )
    return out

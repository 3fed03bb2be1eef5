"""Pydantic models of the two manifest kinds and of the loaded result.

Agent manifests (``agents/NAME.md``) say who runs: which bottle, which runtime, which repos,
as which git user; their markdown body is the agent's instructions. Bottle manifests
(``bottles/NAME.md``) say where it runs: image, egress routes, environment, mounts,
resources, supervision and DLP settings, maybe ``extends`` another bottle.

Every model forbids unknown keys, so a typo is an error naming the key rather than a
setting silently ignored. `LoadedManifest` holds exactly one agent and one effective bottle:
consumers never narrow unions or walk ``extends`` chains themselves.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bb_protocol.envvars import DEFAULT_SENSITIVE_PREFIX
from bb_protocol.gitgate import RepoName
from bb_protocol.routes import Route

__all__ = [
    "NAME_PATTERN",
    "AgentManifest",
    "BottleManifest",
    "Dlp",
    "EffectiveBottle",
    "Forge",
    "GitUser",
    "Limits",
    "LoadedManifest",
    "Logs",
    "Mount",
    "Repo",
    "Resources",
    "Runtime",
    "parse_size",
]

NAME_PATTERN: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$")
"""Agent and bottle names (file stems): short, lower case, usable inside a bottle slug."""

Runtime = Literal["shell", "claude", "codex", "command"]
"""What runs in the agent container: a shell, a provider CLI, or a custom command."""

_ENV_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_AGENT_ENV: Final = frozenset(
    {
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "SSL_CERT_FILE",
        "NODE_EXTRA_CA_CERTS",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "GIT_SSL_CAINFO",
        "BOT_BOTTLE_CANARY",
        "HOME",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitUser(_Strict):
    """The identity commits are made with inside the bottle."""

    name: str = Field(min_length=1)
    """``user.name``."""
    email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    """``user.email``."""


class Forge(_Strict):
    """Where ``bb start`` registers the bottle's own deploy key (and ``bb rm`` removes it)."""

    kind: Literal["github", "gitea"]
    """The forge's API flavour."""
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    """``owner/name`` on the forge."""
    url: str | None = Field(default=None, pattern=r"^https?://")
    """The Gitea server's base URL (required), or GitHub's API URL (default
    https://api.github.com)."""
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Host environment variable holding an API token allowed to manage deploy keys."""

    @model_validator(mode="after")
    def _gitea_needs_url(self) -> Forge:
        if self.kind == "gitea" and not self.url:
            raise ValueError("a gitea forge needs url (the server's base URL)")
        return self


class Repo(_Strict):
    """A repository the agent works on; pushes go through the git gate, never straight out."""

    name: RepoName
    """Directory under ``/workspace`` and the gate's path (``http://git-gate:8070/NAME.git``);
    the same rule as the gate's own config (`bb_protocol.gitgate.RepoName`)."""
    url: str = Field(min_length=1)
    """Upstream URL (the gate fetches from it and forwards clean or approved pushes to it)."""
    push_refs: tuple[str, ...] = ("refs/heads/bb/*",)
    """Refs the agent may push (``*`` within one path component)."""
    branch: str | None = None
    """Branch to check out (default: upstream's HEAD)."""
    deploy_key: str | None = None
    """Host path of the deploy key's private half (``ssh://`` upstreams); the gate only."""
    known_hosts: str | None = None
    """Host path of a known_hosts file pinning upstream's host key (``ssh://`` upstreams)."""
    forge: Forge | None = None
    """Provision a per-bottle deploy key on the forge instead of using ``deploy_key``."""

    @model_validator(mode="after")
    def _ssh_needs_key_and_pin(self) -> Repo:
        if self.forge is not None and self.deploy_key is not None:
            raise ValueError(f"repo {self.name!r}: give either deploy_key or forge, not both")
        has_key = self.deploy_key is not None or self.forge is not None
        if self.url.startswith("ssh://") and (not has_key or self.known_hosts is None):
            raise ValueError(
                f"repo {self.name!r}: an ssh:// url needs deploy_key (or forge) and known_hosts "
                "(host keys are pinned, never trusted on first use)"
            )
        return self


class Mount(_Strict):
    """A host directory bind-mounted into the agent (the user's data, kept by ``bb rm``)."""

    source: str = Field(min_length=1)
    """Host path (``~`` expanded)."""
    target: str = Field(pattern=r"^/")
    """Absolute path inside the agent."""
    read_only: bool = True
    """Mounted read-only unless set to false."""

    @field_validator("source")
    @classmethod
    def _no_docker_socket(cls, value: str) -> str:
        if "docker.sock" in value:
            raise ValueError("mounting the Docker socket hands the agent the host; refused")
        return value


_SIZE: Final = r"^[0-9]+[kmgKMG]?$"
_RUNTIME_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$")


def parse_size(text: str) -> int:
    """Bytes of a manifest size (``512m``, ``8g``, ``1024``; suffixes are powers of 1024)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    suffix = text[-1:].lower()
    return int(text[:-1]) * units[suffix] if suffix in units else int(text)


class Limits(_Strict):
    """Memory, process and CPU limits of one sidecar container (unset: bot-bottle's default)."""

    memory: str | None = Field(default=None, pattern=_SIZE)
    """Memory limit (swap included: the container gets no swap beyond it), e.g. ``1g``."""
    pids: Annotated[int, Field(ge=16, le=1_000_000)] | None = None
    """Process (and thread) limit."""
    cpus: Annotated[float, Field(gt=0, le=1024)] | None = None
    """CPU limit in cores (clamped to the engine's CPU count)."""

    @field_validator("memory")
    @classmethod
    def _enough_memory(cls, value: str | None) -> str | None:
        if value is not None and parse_size(value) < 64 << 20:
            raise ValueError(f"memory {value!r} is below the 64m a sidecar needs to start")
        return value


class Logs(_Strict):
    """Rotation of every container's log (Docker's json-file driver)."""

    max_size: str | None = Field(default=None, pattern=r"^[0-9]+[kmgKMG]$")
    """Size at which a log file is rotated (default ``10m``)."""
    max_files: Annotated[int, Field(ge=1, le=100)] | None = None
    """Log files kept per container, the current one included (default 3)."""


class Resources(_Strict):
    """Limits on the bottle's containers, so one hostile agent cannot exhaust the host.

    The top-level ``memory``, ``pids`` and ``cpus`` are the agent's; each sidecar has its own
    block. Unset values take bot-bottle's defaults (``docs/cli.md``, Resources).
    """

    memory: str | None = Field(default=None, pattern=_SIZE)
    """Agent memory limit, swap included (default ``8g``); its ``/tmp`` tmpfs counts in it."""
    pids: Annotated[int, Field(ge=64, le=1_000_000)] | None = None
    """Agent process limit (default 4096)."""
    cpus: Annotated[float, Field(gt=0, le=1024)] | None = None
    """Agent CPU limit in cores (default: half the engine's CPUs, at least 1)."""
    storage: str | None = Field(default=None, pattern=_SIZE)
    """Cap on the agent's writable storage, ``/workspace`` and home volumes together
    (default ``20g``): a volume quota where the engine supports one, else the watchdog stops
    the agent when usage passes it."""
    logs: Logs | None = None
    """Log rotation for every container of the bottle."""
    egress: Limits | None = None
    """Egress proxy limits (default ``1g``, 256 pids, 1 cpu)."""
    supervise: Limits | None = None
    """Supervise sidecar limits (default ``256m``, 128 pids, 0.5 cpu)."""
    gitgate: Limits | None = None
    """Git gate limits (default ``1g``, 512 pids, 1 cpu)."""

    @field_validator("storage")
    @classmethod
    def _enough_storage(cls, value: str | None) -> str | None:
        if value is not None and parse_size(value) < 16 << 20:
            raise ValueError(f"storage {value!r} is below the 16m minimum")
        return value

    @model_validator(mode="after")
    def _egress_fits_a_request(self) -> Resources:
        memory = self.egress.memory if self.egress is not None else None
        if memory is not None and parse_size(memory) < 512 << 20:
            raise ValueError(
                f"egress memory {memory!r} is below 512m: the proxy buffers and scans request "
                "bodies of up to 32 MiB, 256 MiB of them at once"
            )
        return self


class Dlp(_Strict):
    """DLP settings for the egress proxy's outbound scanner."""

    sensitive_prefixes: tuple[str, ...] = ()
    """Extra env-var name prefixes whose values are treated as secrets."""
    token_confidence: Literal["low", "medium", "high"] = "medium"
    """Confidence level of the token-pattern rules (Kingfisher's catalogue): ``high`` keeps
    only the most specific rules, ``low`` and ``medium`` are the same catalogue today."""
    token_rules_off: tuple[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")], ...
    ] = ()
    """Token-pattern rule ids turned off for this bottle (as findings name them, e.g.
    ``betterleaks.github-pat`` or ``bb.doppler-token``); checked against the catalogue."""


class AgentManifest(_Strict):
    """The frontmatter of ``agents/NAME.md`` plus its body."""

    bottle: str = Field(pattern=NAME_PATTERN.pattern)
    """The bottle this agent runs in."""
    runtime: Runtime = "shell"
    """What runs in the agent container."""
    command: tuple[str, ...] | None = None
    """The command for ``runtime: command`` (and only then)."""
    repos: tuple[Repo, ...] = ()
    """Repositories to work on."""
    git_user: GitUser | None = None
    """Overrides the bottle's git user."""
    description: str | None = None
    """One line shown by the ``bb start`` picker and ``bb info``."""
    instructions: str = ""
    """The markdown body: the agent's instructions (not frontmatter)."""

    @model_validator(mode="after")
    def _command_iff_custom(self) -> AgentManifest:
        if self.runtime == "command" and not self.command:
            raise ValueError("runtime 'command' needs a non-empty 'command' list")
        if self.runtime != "command" and self.command is not None:
            raise ValueError(f"'command' is only for runtime 'command', not {self.runtime!r}")
        return self


class BottleManifest(_Strict):
    """The frontmatter of ``bottles/NAME.md``; every field optional so ``extends`` can merge."""

    extends: str | None = Field(default=None, pattern=NAME_PATTERN.pattern)
    """The parent bottle: this one's settings win, its routes come first (first match wins),
    mounts are added, maps merged."""
    description: str | None = None
    """One line for humans (the ``bb start`` picker shows it when the agent has none)."""
    image: str | None = None
    """Agent image (default: bot-bottle's agent image)."""
    routes: tuple[Route, ...] | None = None
    """Egress routes, placed before the parent's so this bottle's win (schema:
    ``bb_protocol.routes``, docs/egress.md)."""
    env: dict[str, str] | None = None
    """Plain (non-secret) environment for the agent."""
    secrets: dict[str, str] | None = None
    """``NAME: HOST_VAR``: host variable ``HOST_VAR`` reaches the proxy only, as
    ``EGRESS_TOKEN_NAME``, for a route's ``inject_headers``."""
    mounts: tuple[Mount, ...] | None = None
    """Host directories for the agent."""
    resources: Resources | None = None
    """Limits; fields merge with the parent's."""
    supervise: bool | None = None
    """Run the supervise sidecar (default true)."""
    dlp: Dlp | None = None
    """DLP settings."""
    git_user: GitUser | None = None
    """Default git identity (an agent's own wins)."""
    runtime: str | None = None
    """OCI runtime of the agent container, by the name it is registered under with the
    engine (``runsc``, ``kata``, ...; default: the engine's default runtime). Checked before
    anything starts and asserted on the created container; never silently replaced."""

    @field_validator("runtime")
    @classmethod
    def _runtime_name(cls, value: str | None) -> str | None:
        if value is not None and not _RUNTIME_NAME.match(value):
            raise ValueError(f"runtime {value!r} is not a runtime name (letters, digits, ._+-)")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name in value or {}:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if name.upper() in _RESERVED_AGENT_ENV:
                raise ValueError(f"{name!r} is set by bot-bottle itself and cannot be overridden")
            if name.startswith(DEFAULT_SENSITIVE_PREFIX):
                raise ValueError(
                    f"{name!r}: {DEFAULT_SENSITIVE_PREFIX}* names are secrets for the proxy; "
                    "declare them under 'secrets', never in the agent's env"
                )
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, host_var in (value or {}).items():
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                raise ValueError(f"secret name {name!r}: use upper case letters, digits, _")
            if not _ENV_NAME.match(host_var):
                raise ValueError(f"secret {name}: {host_var!r} is not a host variable name")
        return value


class EffectiveBottle(_Strict):
    """A bottle with its ``extends`` chain applied: every setting has its final value."""

    name: str
    """The bottle the agent named."""
    chain: tuple[str, ...]
    """The bottles merged, most derived first (``name`` first, root last)."""
    image: str | None
    routes: tuple[Route, ...]
    env: dict[str, str]
    secrets: dict[str, str]
    mounts: tuple[Mount, ...]
    resources: Resources
    supervise: bool
    dlp: Dlp
    git_user: GitUser | None
    runtime: str | None = None
    """The agent container's OCI runtime (None: the engine's default)."""


class LoadedManifest(_Strict):
    """Exactly one agent and its one effective bottle (git user overlay applied)."""

    agent_name: str
    """The agent's name (file stem)."""
    agent: AgentManifest
    bottle: EffectiveBottle
    sources: tuple[str, ...]
    """The files read, agent first: what ``bb info`` shows."""

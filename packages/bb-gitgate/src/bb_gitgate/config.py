"""The gate's config: which repos it serves, where they live upstream, what may be pushed.

The host writes this file from the bottle's manifest; the agent never sees or influences
it. It is the only source of upstream URLs, ref names, deploy keys and known_hosts files
(the agent's push supplies objects and the refs it wants, and those refs are checked
against ``push_refs`` here). Validation is strict and fails closed: an ``ext::`` or
``file://`` upstream, an ssh upstream without a pinned known_hosts file, an option-like
host or path, or a ref pattern outside ``refs/heads/``/``refs/tags/`` are all refused with
a message naming the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bb_gitgate.errors import ConfigError
from bb_gitgate.refs import check_ref_pattern

__all__ = [
    "DEFAULT_PORT",
    "GateConfig",
    "RepoConfig",
    "check_upstream_url",
    "load_config",
]

DEFAULT_PORT: Final = 8070
"""Where the gate listens for git smart HTTP unless the config says otherwise."""

_SCHEMES: Final = ("ssh", "https", "http", "git")
_REPO_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_SAFE_URL_PART: Final = re.compile(r"[A-Za-z0-9._~%/@:+\[\]-]*")


def check_upstream_url(url: str) -> str:
    """Return ``url`` if it is an ``ssh://``, ``https://``, ``http://`` or ``git://`` URL.

    Refuses everything git would treat as a local path or a helper (``ext::``, ``fd::``,
    ``file://``, scp-like ``host:path``), and hosts, users or paths starting with ``-``
    (``ssh://-oProxyCommand=...``), raising `ValueError` naming what is wrong.
    """
    if "::" in url:
        raise ValueError(f"upstream {url!r} names a remote helper ('::'); only URLs are allowed")
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ValueError(
            f"upstream {url!r} has scheme {parts.scheme!r}; expected one of {', '.join(_SCHEMES)}"
        )
    host = parts.hostname or ""
    if not host or host.startswith("-"):
        raise ValueError(f"upstream {url!r} has an empty host or one starting with '-'")
    if (parts.username or "").startswith("-") or parts.path.startswith("/-"):
        raise ValueError(f"upstream {url!r} has a user or path starting with '-'")
    if parts.password:
        raise ValueError(f"upstream {url!r} embeds a password; use a deploy key instead")
    if parts.query or parts.fragment or not _SAFE_URL_PART.fullmatch(parts.netloc + parts.path):
        raise ValueError(f"upstream {url!r} has a query, fragment, or unexpected characters")
    if not parts.path.strip("/"):
        raise ValueError(f"upstream {url!r} has no repository path")
    return url


class RepoConfig(BaseModel):
    """One repository the gate serves to the agent and forwards to upstream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=_REPO_NAME.pattern)]
    """Served to the agent as ``http://<gate>:<port>/<name>.git``."""
    upstream: str
    """Where clean or approved pushes go (``ssh://`` in production; ``https``/``http``/``git``
    for tests and self-hosted forges)."""
    push_refs: Annotated[list[str], Field(min_length=1)]
    """Full ref names the agent may push, ``*`` matching within one path component."""
    deploy_key: Path | None = None
    """Private half of the per-bottle deploy key (required for ``ssh://`` upstreams)."""
    known_hosts: Path | None = None
    """known_hosts file pinning upstream's host key (required for ``ssh://`` upstreams)."""

    @field_validator("name")
    @classmethod
    def _no_dot_git(cls, value: str) -> str:
        if value.endswith(".git") or ".." in value:
            raise ValueError(f"repo name {value!r} must not end in '.git' or contain '..'")
        return value

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, value: str) -> str:
        return check_upstream_url(value)

    @field_validator("push_refs")
    @classmethod
    def _refs(cls, value: list[str]) -> list[str]:
        return [check_ref_pattern(pattern) for pattern in value]

    @model_validator(mode="after")
    def _ssh_needs_key_and_pin(self) -> RepoConfig:
        if self.upstream.startswith("ssh://") and (
            self.deploy_key is None or self.known_hosts is None
        ):
            raise ValueError(
                f"repo {self.name!r}: an ssh:// upstream needs both deploy_key and known_hosts "
                "(host keys are pinned, never trusted on first use)"
            )
        return self

    @property
    def is_ssh(self) -> bool:
        """True when forwarding goes over ssh with the deploy key."""
        return self.upstream.startswith("ssh://")


class GateConfig(BaseModel):
    """The whole gate: where it listens, where it keeps state, and its repos."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bottle: Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    """The bottle's slug, named in proposals and log lines."""
    state_dir: Path
    """Gate-owned directory holding the mirrors, the gate's hooks and its git config."""
    queue_dir: Path | None = None
    """The bottle's approval queue directory; without it, pushes with findings are refused."""
    approval_key_file: Path | None = None
    """The bottle's approval key (verifies the operator's decisions); needed with queue_dir."""
    listen_host: str = "0.0.0.0"  # noqa: S104 - the agent reaches the gate over the internal network
    """Address to bind; the agent's internal network only (never publish this port)."""
    listen_port: Annotated[int, Field(ge=1, le=65535)] = DEFAULT_PORT
    """TCP port of the smart HTTP server."""
    hold_timeout_seconds: Annotated[float, Field(gt=0, le=86400)] = 600.0
    """How long a push with findings waits for the operator before it is refused."""
    poll_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    """How often a held push looks at the queue for the operator's decision."""
    git_timeout_seconds: Annotated[float, Field(gt=0)] = 300.0
    """Upper bound on any one git or gitleaks command (fetch, scan, push)."""
    gitleaks: str = "gitleaks"
    """The gitleaks executable (8.x), resolved from PATH unless absolute."""
    gitleaks_config: Path | None = None
    """A gitleaks config file; the built-in rules are used when absent (never the repo's)."""
    max_push_bytes: Annotated[int, Field(gt=0)] = 512 * 1024 * 1024
    """Largest request body accepted from the agent."""
    require_canary: bool = False
    """Refuse to serve when the bottle's canary (``EGRESS_TOKEN_CANARY``) is not in the gate's
    environment. ``bb start`` sets it: a gate started without the bottle's secrets would
    scan pushes for token shapes only, so it fails closed instead."""
    repos: Annotated[list[RepoConfig], Field(min_length=1)]
    """The repositories served; names must be unique."""

    @field_validator("repos")
    @classmethod
    def _unique(cls, value: list[RepoConfig]) -> list[RepoConfig]:
        names = [repo.name for repo in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"repo names must be unique; repeated: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _queue_needs_key(self) -> GateConfig:
        if self.queue_dir is not None and self.approval_key_file is None:
            raise ValueError(
                "queue_dir needs approval_key_file: decisions are verified with the bottle's key"
            )
        return self

    def repo(self, name: str) -> RepoConfig | None:
        """The repo called ``name``, or None."""
        return next((repo for repo in self.repos if repo.name == name), None)


def load_config(path: Path) -> GateConfig:
    """Read and validate the config at ``path`` (YAML or JSON); raise `ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read gate config {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"gate config {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"gate config {path} must be a mapping at the top level")
    try:
        return GateConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"gate config {path} is invalid: {problems}") from exc

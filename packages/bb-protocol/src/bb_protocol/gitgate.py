"""The git gate's config schema: the contract between the host that writes it and the gate.

The host (bb-cli) builds a `GateConfig` from the bottle's manifest and dumps it to
``gate.yaml`` (`dump_gate_config`); the gate (bb-gitgate) loads the same model. The agent
never sees or influences it. It is the only source of upstream URLs, ref names, deploy keys
and known_hosts files (the agent's push supplies objects and the refs it wants, and those
refs are checked against ``push_refs`` here). Validation is strict and fails closed: an
``ext::`` or ``file://`` upstream, an ssh upstream without a pinned known_hosts file, an
option-like host or path, or a ref pattern outside ``refs/heads/``/``refs/tags/`` are all
refused with a message naming the field.

`RepoName` is the one repo-name rule: the manifest's ``repos[].name`` (bb-cli) and the gate's
``repos[].name`` both use it, and it is also the gate's URL path (``/<name>.git``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bb_protocol.layout import GATE_PORT, LISTEN_ALL
from bb_protocol.paths import SLUG_PATTERN

__all__ = [
    "REPO_NAME_PATTERN",
    "GateConfig",
    "RepoConfig",
    "RepoName",
    "check_ref_name",
    "check_ref_pattern",
    "check_repo_name",
    "check_upstream_url",
    "dump_gate_config",
]

_SCHEMES: Final = ("ssh", "https", "http", "git")
REPO_NAME_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
"""A repo name: a path segment, never an option, at most 100 characters."""
_SAFE_URL_PART: Final = re.compile(r"[A-Za-z0-9._~%/@:+\[\]-]*")
_BAD_COMPONENT: Final = re.compile(r"^\.|\.lock$|^$")
_BAD_CHARS: Final = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_ALLOWED_NAMESPACES: Final = ("refs/heads/", "refs/tags/")


def check_repo_name(value: str) -> str:
    """Return ``value`` if it is a repo name (`REPO_NAME_PATTERN`, no ``.git`` suffix, no
    ``..``); raise `ValueError` naming it otherwise."""
    if not re.fullmatch(REPO_NAME_PATTERN, value):
        raise ValueError(f"repo name {value!r} must match {REPO_NAME_PATTERN}")
    if value.endswith(".git") or ".." in value:
        raise ValueError(f"repo name {value!r} must not end in '.git' or contain '..'")
    return value


RepoName = Annotated[str, Field(pattern=f"^{REPO_NAME_PATTERN}$"), AfterValidator(check_repo_name)]
"""The type of a repo name in every model that holds one."""


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


def check_ref_name(name: str) -> str:
    """Return ``name`` if it is a full branch or tag ref git would accept; raise `ValueError`.

    Stricter than git: only ``refs/heads/`` and ``refs/tags/``, no ``@{``, no ``..``, no
    component starting with ``-`` (so it can never be read as an option).
    """
    if not name.startswith(_ALLOWED_NAMESPACES):
        raise ValueError(f"ref {name!r} is not under refs/heads/ or refs/tags/")
    if len(name) > 255:
        raise ValueError(f"ref {name[:40]!r}... is longer than 255 characters")
    if _BAD_CHARS.search(name):
        raise ValueError(f"ref {name!r} contains a space, control character or one of ~^:?*[\\")
    if ".." in name or "@{" in name or name.endswith(("/", ".")) or name == "@":
        raise ValueError(f"ref {name!r} contains '..' or '@{{' or ends with '/' or '.'")
    for component in name.split("/"):
        if _BAD_COMPONENT.search(component) or component.startswith("-"):
            raise ValueError(
                f"ref {name!r} has an empty component, or one starting with '.' or '-' "
                "or ending with '.lock'"
            )
    return name


def check_ref_pattern(pattern: str) -> str:
    """Return ``pattern`` if it is a ref name, maybe with ``*`` wildcards; raise `ValueError`."""
    check_ref_name(pattern.replace("*", "x"))
    return pattern


class RepoConfig(BaseModel):
    """One repository the gate serves to the agent and forwards to upstream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: RepoName
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

    bottle: Annotated[str, Field(pattern=SLUG_PATTERN.pattern)]
    """The bottle's slug, named in proposals and log lines."""
    state_dir: Path
    """Gate-owned directory holding the mirrors, the gate's hooks and its git config."""
    queue_dir: Path | None = None
    """The bottle's approval queue directory; without it, pushes with findings are refused."""
    approval_key_file: Path | None = None
    """The bottle's approval key (verifies the operator's decisions); needed with queue_dir."""
    listen_host: str = LISTEN_ALL
    """Address to bind; the agent's internal network only (never publish this port)."""
    listen_port: Annotated[int, Field(ge=1, le=65535)] = GATE_PORT
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


def dump_gate_config(config: GateConfig) -> str:
    """``gate.yaml``'s text: the fields the writer set, in field order (paths as strings);
    an unset or empty (None) field is left out, so the gate's own default applies."""
    data = config.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False)

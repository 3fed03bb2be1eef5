"""The deploy-key seam: the interface, its errors, and local key generation.

Errors::

    DeployKeyError(BbError, RuntimeError)      exit 9: anything that went wrong with a deploy key
    ├── DeployKeyCollisionError                the forge says the title or key already exists
    └── DeployKeyApiError                      any other forge answer (status + forge message)

`DeployKeyCollisionError` subclasses `RuntimeError` (via the root) as callers expect, and
its message names the repo and the title so the operator can find and remove the stale key.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bb_cli.errors import BbError

__all__ = [
    "DeployKey",
    "DeployKeyApiError",
    "DeployKeyCollisionError",
    "DeployKeyError",
    "DeployKeyProvisioner",
    "HttpAnswer",
    "KeyPair",
    "RepoRef",
    "generate_keypair",
    "http_json",
    "key_title",
]

_SLUG: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class DeployKeyError(BbError, RuntimeError):
    """Something went wrong creating or removing a deploy key."""

    exit_code = 9


class DeployKeyCollisionError(DeployKeyError):
    """The forge already has a deploy key with this title or this key on the repo."""

    def __init__(self, repo: str, title: str, detail: str = "") -> None:
        self.repo = repo
        self.title = title
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"deploy key {title!r} collides with an existing key on {repo}{extra}: "
            "remove the stale key from the repo's deploy keys (or `bb rm` the old bottle) "
            "and start again"
        )


class DeployKeyApiError(DeployKeyError):
    """The forge answered with an error other than a collision."""

    def __init__(self, action: str, repo: str, status: int, message: str) -> None:
        self.status = status
        self.forge_message = message
        super().__init__(f"{action} deploy key on {repo} failed: HTTP {status}: {message}")


@dataclass(frozen=True)
class RepoRef:
    """``owner/name`` of a repo on a forge."""

    owner: str
    name: str

    @classmethod
    def parse(cls, text: str) -> RepoRef:
        """Parse ``owner/name``; raise `ValueError` naming what is wrong."""
        owner, sep, name = text.partition("/")
        if not sep or not _SLUG.fullmatch(owner) or not _SLUG.fullmatch(name.removesuffix(".git")):
            raise ValueError(f"repo {text!r} is not 'owner/name'")
        return cls(owner, name.removesuffix(".git"))

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class DeployKey:
    """A deploy key as the forge knows it."""

    id: int
    title: str
    read_only: bool


@dataclass(frozen=True)
class KeyPair:
    """A locally generated key pair: private half on disk (0600), public half in memory."""

    private_key: Path
    public_key: str


def key_title(bottle: str) -> str:
    """The deploy key title for a bottle; unique per bottle so collisions mean a stale key."""
    return f"bot-bottle {bottle}"


def generate_keypair(directory: Path, comment: str) -> KeyPair:
    """Generate an ed25519 pair with ``ssh-keygen`` into ``directory`` (created 0700)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = directory / "deploy_key"
    if private.exists():
        raise DeployKeyError(f"{private} already exists; refusing to overwrite a deploy key")
    try:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(private)],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DeployKeyError(f"ssh-keygen could not generate a deploy key: {exc}") from exc
    private.chmod(0o600)
    public = private.with_name("deploy_key.pub").read_text(encoding="utf-8").strip()
    return KeyPair(private, public)


@dataclass(frozen=True)
class HttpAnswer:
    """Status and decoded JSON body (None when empty or not JSON) of one API call."""

    status: int
    body: Any


def http_json(
    method: str,
    url: str,
    headers: dict[str, str],
    body: object | None = None,
    *,
    timeout: float = 30.0,
) -> HttpAnswer:
    """One JSON request with the stdlib client; HTTP errors are answers, not exceptions."""
    if not url.startswith(("https://", "http://")):
        raise DeployKeyError(f"forge URL {url!r} is not http(s)")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=data, method=method, headers=dict(headers)
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise DeployKeyError(f"cannot reach the forge at {url}: {exc}") from exc
    try:
        parsed = json.loads(raw) if raw.strip() else None
    except ValueError:
        parsed = raw.decode(errors="replace")[:300]
    return HttpAnswer(status, parsed)


def forge_message(body: Any) -> str:
    """The forge's human message from an error body (``message`` plus any ``errors``)."""
    if isinstance(body, dict):
        message = str(body.get("message", "")) or "no message"
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            details = [
                str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                for e in errors
            ]
            message += " (" + "; ".join(details) + ")"
        return message
    return str(body) if body else "no message"


class DeployKeyProvisioner(ABC):
    """Creates and removes a bottle's deploy key on one forge."""

    @abstractmethod
    def create(self, repo: RepoRef, title: str, public_key: str, *, read_only: bool) -> DeployKey:
        """Register ``public_key`` on ``repo``; raise `DeployKeyCollisionError` on a clash."""

    @abstractmethod
    def list(self, repo: RepoRef) -> list[DeployKey]:
        """The repo's deploy keys."""

    @abstractmethod
    def delete(self, repo: RepoRef, key_id: int) -> bool:
        """Remove key ``key_id``; False when it was already gone."""

    def remove_titled(self, repo: RepoRef, title: str) -> int:
        """Remove every deploy key called ``title`` (what ``bb rm`` does); return how many."""
        removed = 0
        for key in self.list(repo):
            if key.title == title and self.delete(repo, key.id):
                removed += 1
        return removed

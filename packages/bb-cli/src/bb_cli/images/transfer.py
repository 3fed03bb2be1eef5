"""Move images between the engine and a registry: tag, push, pull, with progress.

A small set of engine calls on the Docker seam (`bb_cli.engine`): ``docker push`` and
``docker pull`` run on the CLI, as ``docker build`` does, so the user's credentials
(``docker login``) and daemon settings apply, and their progress lines are streamed to a
`Reporter`. Each has a deadline: a registry that stops answering mid-transfer ends in an
error, not a hang.
"""

from __future__ import annotations

from pathlib import Path

from bb_cli.engine import DockerNotFoundError, Engine, default_engine
from bb_cli.images.errors import RegistryError
from bb_cli.images.progress import Reporter

__all__ = ["TRANSFER_TIMEOUT_SECONDS", "pull", "push", "repo_digest", "tag"]

TRANSFER_TIMEOUT_SECONDS = 1800.0
"""The longest a push or pull may take (a 1 GB agent image over a slow link)."""


def tag(source: str, target: str, *, engine: Engine | None = None) -> None:
    """Give local image ``source`` the extra name ``target``."""
    (engine or default_engine()).run("tag", source, target, timeout=60)


def repo_digest(ref: str, repository: str, *, engine: Engine | None = None) -> str | None:
    """The manifest digest ``repository@sha256:…`` of local ``ref``, when it came from there."""
    try:
        data = (engine or default_engine()).inspect("image", ref)
    except DockerNotFoundError:
        return None
    for entry in data.get("RepoDigests") or []:
        name, _, digest = str(entry).partition("@")
        if name == repository and digest:
            return digest
    return None


def _stream(verb: str, ref: str, reporter: Reporter, log_dir: Path, timeout: float) -> None:
    safe = ref.replace("/", "_").replace(":", "_").replace("@", "_")
    default_engine().stream(
        verb,
        ref,
        log_path=log_dir / f"{verb}-{safe}.log",
        on_line=reporter.detail,
        step=f"docker {verb} {ref}",
        timeout=timeout,
        error=RegistryError,
    )


def push(
    ref: str, reporter: Reporter, log_dir: Path, *, timeout: float = TRANSFER_TIMEOUT_SECONDS
) -> None:
    """``docker push REF`` with its progress lines shown; `RegistryError` on failure."""
    _stream("push", ref, reporter, log_dir, timeout)


def pull(
    ref: str, reporter: Reporter, log_dir: Path, *, timeout: float = TRANSFER_TIMEOUT_SECONDS
) -> None:
    """``docker pull REF`` with its progress lines shown; `RegistryError` on failure."""
    _stream("pull", ref, reporter, log_dir, timeout)

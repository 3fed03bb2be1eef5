"""A bottle's deploy key from start to ``bb rm``: what ``bb start`` and ``bb rm`` call.

`provision` generates the pair locally and registers the public half; if the forge refuses,
the local private half is deleted again, so a failed start leaves no key anywhere.
`deprovision` removes every key with the bottle's title from the repo and deletes the
private half; it is idempotent, so ``bb rm`` can run it again after a partial failure.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from bb_cli.deploykeys.base import (
    DeployKey,
    DeployKeyProvisioner,
    KeyPair,
    RepoRef,
    generate_keypair,
    key_title,
)

__all__ = ["deprovision", "discard_keypair", "provision"]


def discard_keypair(directory: Path) -> None:
    """Delete the pair `generate_keypair` wrote into ``directory`` (missing files are fine)."""
    for name in ("deploy_key", "deploy_key.pub"):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()


def provision(
    provisioner: DeployKeyProvisioner, repo: RepoRef, bottle: str, directory: Path
) -> tuple[DeployKey, KeyPair]:
    """Make the bottle's key pair in ``directory`` and register it (read-write) on ``repo``."""
    title = key_title(bottle)
    pair = generate_keypair(directory, title)
    try:
        key = provisioner.create(repo, title, pair.public_key, read_only=False)
    except BaseException:
        discard_keypair(directory)
        raise
    return key, pair


def deprovision(
    provisioner: DeployKeyProvisioner, repo: RepoRef, bottle: str, directory: Path
) -> int:
    """Remove the bottle's keys from ``repo`` and its private half; return how many keys."""
    removed = provisioner.remove_titled(repo, key_title(bottle))
    discard_keypair(directory)
    return removed

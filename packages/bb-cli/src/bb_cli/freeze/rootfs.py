"""What a root-filesystem snapshot leaves out, and the build that turns it into an image.

Shared by the ``container`` and smolvm freezers, which both archive the running agent's
root with ``tar`` (the engines have no ``commit``). Left out: kernel and device trees, the
temp dirs (a resumed machine starts with clean ones, recreated at init), and the bottle's
own mounts under ``/etc/bot-bottle`` (the CA certificate and MCP config are mounted
fresh on resume; the CA *key* is never in the agent at all). The canary lives only in
the process environment, which ``/proc`` would expose: excluded with it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXCLUDES", "tar_argv", "write_dockerfile"]

EXCLUDES = ("./proc", "./sys", "./dev", "./run", "./tmp", "./var/tmp", "./etc/bot-bottle")


def tar_argv(output: str) -> list[str]:
    """``tar`` of the whole root to ``output`` (``-`` for stdout), without `EXCLUDES`."""
    return ["tar", "-C", "/", "-cf", output, *(f"--exclude={e}" for e in EXCLUDES), "."]


def write_dockerfile(context: Path, archive: str) -> Path:
    """A Dockerfile making an image of exactly the archive, run as the agent's user."""
    path = context / "Dockerfile"
    path.write_text(f"FROM scratch\nADD {archive} /\nUSER 1000:1000\n", encoding="utf-8")
    return path

"""How the egress proxy is told to reload its routes: one interface, one class per backend.

Only this signal differs between backends; the routes change itself is the same. The
Docker backend sends SIGHUP to the bottle's egress container through the docker CLI.
"""

from __future__ import annotations

import subprocess
from typing import Final, Protocol

from bb_cli.applicator.errors import ReloadError

__all__ = [
    "COMPOSE_PROJECT_PREFIX",
    "EGRESS_SERVICE",
    "DockerReloadSignal",
    "ReloadSignal",
    "compose_project",
]

COMPOSE_PROJECT_PREFIX: Final = "bb-"
"""A bottle runs as compose project ``bb-<slug>``."""

EGRESS_SERVICE: Final = "egress"
"""The egress proxy's compose service name."""


def compose_project(slug: str) -> str:
    """The compose project name of bottle ``slug``."""
    return f"{COMPOSE_PROJECT_PREFIX}{slug}"


class ReloadSignal(Protocol):
    """Tells one bottle's egress proxy to re-read its routes file."""

    def reload(self) -> None:
        """Signal the proxy; raise `ReloadError` when it cannot be reached."""
        ...


class DockerReloadSignal:
    """``docker kill --signal HUP`` to the egress container (by name, or found by labels)."""

    def __init__(self, *, slug: str | None = None, container: str | None = None) -> None:
        if (slug is None) == (container is None):
            raise ValueError("give exactly one of slug or container")
        self.slug = slug
        self.container = container

    def _target(self) -> str:
        if self.container is not None:
            return self.container
        assert self.slug is not None
        found = subprocess.run(
            [
                "docker",
                "ps",
                "--quiet",
                "--filter",
                f"label=com.docker.compose.project={compose_project(self.slug)}",
                "--filter",
                f"label=com.docker.compose.service={EGRESS_SERVICE}",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        ids = found.stdout.split()
        if found.returncode != 0 or len(ids) != 1:
            raise ReloadError(
                f"cannot find the running egress container of bottle {self.slug} "
                f"(docker ps: {found.stderr.strip() or f'{len(ids)} match(es)'})"
            )
        return ids[0]

    def reload(self) -> None:
        """Send SIGHUP; raise `ReloadError` with docker's message if it fails."""
        target = self._target()
        done = subprocess.run(
            ["docker", "kill", "--signal", "HUP", target],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise ReloadError(f"docker kill --signal HUP {target} failed: {done.stderr.strip()}")

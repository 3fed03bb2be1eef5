"""How the egress proxy is told to reload its routes: one interface, one class per backend.

Only this signal differs between backends; the routes change itself is the same. The
Docker backend sends SIGHUP to the bottle's egress container through the engine seam
(`bb_cli.engine`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from bb_cli.applicator.errors import ReloadError
from bb_cli.engine.errors import DockerCommandError
from bb_cli.names import project_name

if TYPE_CHECKING:
    from bb_cli.engine import Engine

__all__ = ["EGRESS_SERVICE", "DockerReloadSignal", "ReloadSignal"]

EGRESS_SERVICE: Final = "egress"
"""The egress proxy's compose service name."""


class ReloadSignal(Protocol):
    """Tells one bottle's egress proxy to re-read its routes file."""

    def reload(self) -> None:
        """Signal the proxy; raise `ReloadError` when it cannot be reached."""
        ...


class DockerReloadSignal:
    """SIGHUP to the egress container (by name, or found by its compose labels)."""

    def __init__(
        self, *, slug: str | None = None, container: str | None = None, engine: Engine | None = None
    ) -> None:
        if (slug is None) == (container is None):
            raise ValueError("give exactly one of slug or container")
        self.slug = slug
        self.container = container
        self.engine = engine

    def _engine(self) -> Engine:
        from bb_cli.engine import default_engine

        return self.engine or default_engine()

    def _target(self, engine: Engine) -> str:
        if self.container is not None:
            return self.container
        assert self.slug is not None
        try:
            found = [
                c.id
                for c in engine.containers(
                    f"com.docker.compose.project={project_name(self.slug)}", all=False
                )
                if c.labels.get("com.docker.compose.service") == EGRESS_SERVICE
            ]
        except DockerCommandError as exc:
            raise ReloadError(
                f"cannot find the running egress container of bottle {self.slug} ({exc})"
            ) from None
        if len(found) != 1:
            raise ReloadError(
                f"cannot find the running egress container of bottle {self.slug} "
                f"(docker ps: {len(found)} match(es))"
            )
        return found[0]

    def reload(self) -> None:
        """Send SIGHUP; raise `ReloadError` with the engine's message if it fails."""
        engine = self._engine()
        target = self._target(engine)
        try:
            engine.kill(target, "HUP")
        except DockerCommandError as exc:
            said = exc.stderr.strip()
            raise ReloadError(f"docker kill --signal HUP {target} failed: {said}") from None

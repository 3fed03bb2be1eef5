"""The Docker seam: the one way bb-cli talks to the container engine.

`Engine` is the interface (`bb_cli.engine.base`), `DockerEngine` the implementation
(`bb_cli.engine.docker_engine`, the only module that imports the docker SDK, lazily), and
`default_engine` the factory a caller uses when it was not handed one. Code that needs the
engine takes an ``engine: Engine | None = None`` parameter, so tests pass a fake class.
Errors (`bb_cli.engine.errors`) derive from `bb_cli.errors.BackendError`; no answer from
the engine is `DockerUnreachableError`, exit 4.
"""

from __future__ import annotations

from bb_cli.engine.base import ContainerSummary, Engine, ExecResult
from bb_cli.engine.docker_engine import DockerEngine
from bb_cli.engine.errors import (
    DockerCommandError,
    DockerNotFoundError,
    DockerUnreachableError,
    command_error,
)

__all__ = [
    "ContainerSummary",
    "DockerCommandError",
    "DockerEngine",
    "DockerNotFoundError",
    "DockerUnreachableError",
    "Engine",
    "ExecResult",
    "command_error",
    "default_engine",
]


def default_engine() -> Engine:
    """The real engine (the docker SDK and CLI, from DOCKER_HOST and the user's context)."""
    return DockerEngine()

"""Errors of the Docker seam: a command or an SDK call failed, or no engine answers.

Both derive from `bb_cli.errors.BackendError` (exit 6); `DockerUnreachableError` is also an
`EngineUnreachableError` and exits 4 with `bb doctor`'s advice, whichever way (CLI or SDK)
the engine was asked::

    BackendError
    └── DockerCommandError                  a docker command or API call failed
        ├── DockerNotFoundError (LookupError)  the container/image/network does not exist
        └── DockerUnreachableError (+EngineUnreachableError)  exit 4: no engine answers
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bb_cli.errors import BackendError, EngineUnreachableError

__all__ = [
    "UNREACHABLE_MARKERS",
    "DockerCommandError",
    "DockerNotFoundError",
    "DockerUnreachableError",
    "command_error",
]

UNREACHABLE_MARKERS: Final = (
    "Cannot connect to the Docker daemon",
    "error during connect",
    "Error while fetching server API version",
    "Connection aborted",
    "Connection refused",
)
"""What the docker CLI or the SDK says when no engine answers (then exit 4, not 6)."""


class DockerCommandError(BackendError):
    """A docker command failed; the message has the command and the end of its stderr."""

    def __init__(self, args: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(f"`{' '.join(args[:5])}` exited {code}: {stderr.strip()[-1500:]}")
        self.stderr = stderr
        self.code = code


class DockerNotFoundError(DockerCommandError, LookupError):
    """The engine has no container, image, network or volume of that name."""


class DockerUnreachableError(DockerCommandError, EngineUnreachableError):
    """A docker call failed because no engine answers (exit 4, with `bb doctor`'s advice).

    The backstop behind `bb_cli.commands._common.require_engine`: a command that did not
    check first still ends in one line and the engine's exit code, never a traceback.
    """

    exit_code = 4

    def __init__(self, args: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(args, code, stderr)
        said = (stderr.strip().splitlines() or ["no answer"])[-1]
        Exception.__init__(
            self,
            f"cannot reach the Docker engine: {said}\n  fix: start Docker Engine >= 28 (or "
            "point DOCKER_HOST at a running one); `bb doctor` checks this host",
        )


def command_error(args: Sequence[str], code: int, stderr: str) -> DockerCommandError:
    """The error for a failed docker call: `DockerUnreachableError` when no engine answers."""
    if any(marker in stderr for marker in UNREACHABLE_MARKERS):
        return DockerUnreachableError(args, code, stderr)
    if "No such " in stderr or "not found" in stderr.lower():
        return DockerNotFoundError(args, code, stderr)
    return DockerCommandError(args, code, stderr)

"""Shared command plumbing: the one place errors become messages and exit codes, the engine
check every engine command makes first, and the root command group that applies both.

`exit_for` is the whole mapping (docs/cli.md lists the codes); `BbGroup` applies it to
every command of the tree, so no error of any command ends in a traceback. `handle_errors`
applies the same mapping to a command called on its own (tests, `bb run`'s reuse of `rm`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, Final, ParamSpec, TypeVar

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from bb_cli.errors import BbError, EngineUnreachableError

__all__ = [
    "ENGINE_ADVICE",
    "BackendOption",
    "BbGroup",
    "exit_for",
    "fail",
    "handle_errors",
    "require_engine",
]

BackendOption = Annotated[
    str,
    typer.Option("--backend", help="compose, apple-container or smolvm (see `bb doctor`)."),
]
"""The ``--backend`` option of the commands that create a bottle (start, run)."""

P = ParamSpec("P")
R = TypeVar("R")

ENGINE_ADVICE: Final = (
    "start Docker Engine >= 28 (or point DOCKER_HOST at a running one); `bb doctor` checks "
    "this host"
)
"""What to do when the engine does not answer: `bb doctor`'s advice for the engine check."""

ENGINE_PROBE_SECONDS: Final = 15.0
"""How long the engine check waits for an answer before calling it unreachable."""

DEBUG_ENV: Final = "BB_DEBUG"
"""Set to show the traceback of an unexpected error (a bug) instead of one line."""


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` to stderr; the `typer.Exit` to raise."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


def exit_for(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one message for ``exc``: the CLI's whole error mapping."""
    if isinstance(exc, BbError):
        return exc.exit_code, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    from pydantic import ValidationError

    from bb_protocol.queue import QueueError
    from bb_protocol.routes import RoutesError
    from bb_protocol.versions import ProtocolVersionError

    if isinstance(exc, (RoutesError, ValidationError, ProtocolVersionError)):
        return 2, str(exc)
    if isinstance(exc, QueueError):
        return 8, str(exc)
    if isinstance(exc, OSError):
        return 1, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return 1, (
        f"internal error: {type(exc).__name__}: {exc} (a bug in bb: please report it; "
        f"{DEBUG_ENV}=1 shows the traceback)"
    )


def _print_mapped(exc: BaseException) -> typer.Exit:
    code, message = exit_for(exc)
    return fail(message, code)


def handle_errors[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Apply `exit_for` to a command function (the root group applies it to the whole tree)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BbError as exc:
            raise _print_mapped(exc) from None

    return wrapper


class BbGroup(TyperGroup):
    """The root group: every command's error becomes one line and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer vendors click's Context type
        """Run the command; map what it raises with `exit_for` (typer's own exits pass)."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # usage errors, --help, exit codes
            raise
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV) and not isinstance(exc, BbError):
                raise
            raise _print_mapped(exc) from None


_ENGINE_OK: set[tuple[str, str]] = set()


def _docker_problem() -> str | None:
    """Why the Docker engine does not answer, or None; one ping through the engine seam."""
    from bb_cli.engine import default_engine

    return default_engine().problem(timeout=ENGINE_PROBE_SECONDS)


def require_engine(backend: str = "compose") -> None:
    """Raise `EngineUnreachableError` (exit 4) unless ``backend``'s engine answers.

    Called once, first, by every command that needs the engine, so none starts work (a
    build, a bottle, a state change) it cannot finish; a command checks each engine once.
    """
    key = (backend, os.environ.get("DOCKER_HOST", ""))
    if key in _ENGINE_OK:
        return
    if backend == "apple-container":
        from bb_cli.backends.availability import PROBES

        problem = PROBES[backend]()
        advice = "start it with `container system start`; `bb doctor` checks this host"
    else:  # compose, and smolvm whose sidecars run on docker compose
        problem = _docker_problem()
        advice = ENGINE_ADVICE
    if problem:
        raise EngineUnreachableError(f"{problem}\n  fix: {advice}")
    _ENGINE_OK.add(key)

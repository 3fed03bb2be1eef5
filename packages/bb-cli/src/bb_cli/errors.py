"""Errors of the ``bb`` CLI: one root, each class with the exit code ``bb`` ends with.

Every error bb-cli raises derives from `BbError` and subclasses the builtin it refines
(so ``except LookupError`` still works), like httpx's ``_exceptions.py``. The classes of a
layer live beside it (``bb_cli.images.errors``, ``bb_cli.applicator.errors``...); this is
the whole tree. `bb_cli.commands._common.exit_for` maps it (and the few errors of other
packages a command can meet) to a message and an exit code, in one place; docs/cli.md
lists the codes::

    BbError (Exception)                          exit 1
    ├── ManifestError (ValueError)               exit 2   a manifest is invalid (file, line, field)
    │   ├── ManifestNotFoundError (LookupError)           no agent/bottle of that name
    │   └── ExtendsCycleError                             ``extends`` loops back on itself
    ├── UsageError (ValueError)                  exit 2   bad arguments (unknown component...)
    ├── NotFoundError (LookupError)              exit 3   no such thing on this host
    │   ├── BottleNotFoundError                           no bottle with that slug
    │   └── AmbiguousIdError                              a prefix matches several ids
    ├── EngineError (RuntimeError)               exit 4   the engine is missing, too old, or
    │   └── EngineUnreachableError (ConnectionError)      does not answer (`bb doctor`)
    ├── StartError (RuntimeError)                exit 5   a step of ``bb start`` failed
    │   └── LauncherAssertionError                        the bottle is not as rendered; torn down
    ├── BackendError (RuntimeError)              exit 6   a backend command failed
    │   ├── BottleStoppedError                            it needs a running bottle
    │   ├── DockerCommandError                            a docker command or API call failed
    │   │   ├── DockerNotFoundError (LookupError)         no such container/image/network
    │   │   └── DockerUnreachableError (+EngineUnreachableError)  exit 4: no engine answers
    │   └── ToolError                                     a ``container``/``smolvm`` command failed
    ├── ImageError (RuntimeError)                exit 7   bb_cli.images.errors
    │   ├── ImagesMissingError, SourceTreeNotFoundError, BaseImageError, ImageBuildError
    │   ├── ImageRefusedError (ValueError), PublishConflictError   labels / published version
    │   └── RegistryError                                 the registry setting or an answer
    │       └── RegistryUnreachableError (ConnectionError)  the registry does not answer
    ├── ApplyError                               exit 8   bb_cli.applicator.errors
    │   ├── InvalidChangeError (ValueError), ReloadError (RuntimeError)
    ├── DeployKeyError (RuntimeError)            exit 9   bb_cli.deploykeys: a forge call failed
    │   ├── DeployKeyCollisionError, DeployKeyApiError
    └── SecretMissingError (LookupError)         exit 10  a declared secret is not in the env

Outside this tree, ``_common.exit_for`` maps bb-protocol's ``RoutesError`` and pydantic's
``ValidationError`` to 2, ``QueueError`` to 8, ``KeyboardInterrupt`` to 130, and anything
else to 1 with one line (``BB_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

__all__ = [
    "AmbiguousIdError",
    "BackendError",
    "BbError",
    "BottleNotFoundError",
    "BottleStoppedError",
    "EngineError",
    "EngineUnreachableError",
    "ExtendsCycleError",
    "LauncherAssertionError",
    "ManifestError",
    "ManifestNotFoundError",
    "NotFoundError",
    "StartError",
    "UsageError",
]


class BbError(Exception):
    """Root of the CLI's errors; ``exit_code`` is what ``bb`` exits with."""

    exit_code: int = 1


class ManifestError(BbError, ValueError):
    """A manifest is invalid; the message names the file, the line and the field."""

    exit_code = 2

    def __init__(self, message: str, *, file: str = "", line: int | None = None) -> None:
        where = f"{file}:{line}" if file and line else file
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line


class ManifestNotFoundError(ManifestError, LookupError):
    """No agent or bottle manifest has the requested name."""


class ExtendsCycleError(ManifestError):
    """A bottle's ``extends`` chain comes back to a bottle already in it."""


class UsageError(BbError, ValueError):
    """The command line names something that does not exist or cannot be combined."""

    exit_code = 2


class NotFoundError(BbError, LookupError):
    """Nothing on this host has that name (bottle, snapshot, proposal)."""

    exit_code = 3


class BottleNotFoundError(NotFoundError):
    """No bottle with that slug is known on this host."""


class AmbiguousIdError(NotFoundError):
    """An id prefix matches more than one id; the message lists them."""


class EngineError(BbError, RuntimeError):
    """The container engine is missing, too old, or lacks a feature the bottle relies on."""

    exit_code = 4


class EngineUnreachableError(EngineError, ConnectionError):
    """The container engine does not answer; nothing was started or built."""


class StartError(BbError, RuntimeError):
    """A step of ``bb start`` failed; the message names the step and how to fix it."""

    exit_code = 5

    def __init__(self, step: str, message: str, fix: str = "") -> None:
        text = f"step '{step}' failed: {message}"
        super().__init__(f"{text}\n  fix: {fix}" if fix else text)
        self.step = step
        self.detail = message
        self.fix = fix


class LauncherAssertionError(StartError):
    """The running bottle differs from the hardened one rendered; it has been torn down."""


class BackendError(BbError, RuntimeError):
    """A backend operation on an existing bottle failed."""

    exit_code = 6


class BottleStoppedError(BackendError):
    """The command needs a running bottle and this one is stopped; `bb resume` starts it."""

"""Errors of the ``bb`` CLI; each maps to an exit code and a message that says what to do.

BbError (Exception)                       exit 1
├── ManifestError (ValueError)            exit 2   a manifest is invalid (file, line, field)
│   ├── ManifestNotFoundError (LookupError)        no agent/bottle of that name
│   └── ExtendsCycleError                          ``extends`` loops back on itself
├── BottleNotFoundError (LookupError)     exit 3   no bottle with that slug on this host
├── EngineError (RuntimeError)            exit 4   Docker is missing, too old or lacks a feature
├── StartError (RuntimeError)             exit 5   a step of ``bb start`` failed (names step + fix)
│   └── LauncherAssertionError                     the running bottle is not as rendered; torn down
└── BackendError (RuntimeError)           exit 6   a backend command (exec, logs, stop...) failed
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BbError",
    "BottleNotFoundError",
    "EngineError",
    "ExtendsCycleError",
    "LauncherAssertionError",
    "ManifestError",
    "ManifestNotFoundError",
    "StartError",
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


class BottleNotFoundError(BbError, LookupError):
    """No bottle with that slug is known on this host."""

    exit_code = 3


class EngineError(BbError, RuntimeError):
    """The container engine is missing, too old, or lacks a feature the bottle relies on."""

    exit_code = 4


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

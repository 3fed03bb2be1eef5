"""Run a long outside process with its output streamed: builds, debootstrap, ``uv build``.

The one place a step's output is teed to a log and a progress callback, with a deadline that
kills the whole process group and never a terminal for it to read. The caller names the
error class of its own layer (the image layer raises `ImageBuildError`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from bb_cli.errors import BackendError

__all__ = ["run_streaming"]


def run_streaming(
    argv: Sequence[str],
    *,
    log_path: Path,
    on_line: Callable[[str], None],
    step: str,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    error: Callable[[str], Exception] = BackendError,
) -> None:
    """Run ``argv``, teeing every output line to ``log_path`` and ``on_line``.

    Raises ``error`` (an exception class of the caller's layer) naming ``step`` and the log
    (with its last lines) on failure, and after ``timeout`` seconds (the process is killed:
    nothing waits forever). The process never reads the terminal: its stdin is ``stdin`` or
    /dev/null.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail: list[str] = []
    with log_path.open("w") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=False,
            cwd=cwd,
            start_new_session=True,  # its own process group: a kill reaches its children
        )
        expired: list[bool] = []

        def kill() -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

        def expire() -> None:
            expired.append(True)
            kill()

        if stdin is not None:
            assert process.stdin is not None
            process.stdin.write(stdin)
            process.stdin.close()
        assert process.stdout is not None
        timer = threading.Timer(timeout, expire) if timeout else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(line + "\n")
                tail.append(line)
                del tail[:-25]
                on_line(line)
            code = process.wait()
        except BaseException:  # interrupted: never leave the child (or its children) running
            kill()
            process.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
            process.stdout.close()
    if expired:
        raise error(
            f"{step} did not finish within {timeout:.0f}s and was stopped. Full log: {log_path}"
        )
    if code != 0:
        shown = "\n".join(f"    {t}" for t in tail)
        raise error(f"{step} failed (exit {code}). Last lines:\n{shown}\nFull log: {log_path}")

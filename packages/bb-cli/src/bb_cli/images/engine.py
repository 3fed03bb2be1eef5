"""The few Docker engine calls the image layer makes, through the ``docker`` CLI.

Shelling out (rather than the docker SDK) keeps ``bb`` light and means the user's own
``docker`` context, credentials and BuildKit setup apply unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from bb_cli.images.errors import ImageBuildError

__all__ = ["image_id", "image_labels", "list_images", "run_streaming"]


def _run(args: Sequence[str], *, timeout: float | None = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def image_id(ref: str) -> str | None:
    """Return the image id of ``ref``, or None when it is not present locally."""
    result = _run(["image", "inspect", "--format", "{{.Id}}", ref])
    return result.stdout.strip() if result.returncode == 0 else None


def image_labels(ref: str) -> dict[str, str]:
    """Return the labels of a local image (empty when absent or unlabelled)."""
    result = _run(["image", "inspect", "--format", "{{json .Config.Labels}}", ref])
    if result.returncode != 0:
        return {}
    labels = json.loads(result.stdout or "null")
    return {str(k): str(v) for k, v in (labels or {}).items()}


def list_images(label_filter: str) -> list[str]:
    """Return ``repo:tag`` of local images carrying the label filter ``key=value``."""
    result = _run(
        ["image", "ls", "--filter", f"label={label_filter}", "--format", "{{.Repository}}:{{.Tag}}"]
    )
    if result.returncode != 0:
        return []
    return [line for line in result.stdout.splitlines() if line and "<none>" not in line]


def run_streaming(
    argv: Sequence[str],
    *,
    log_path: Path,
    on_line: Callable[[str], None],
    step: str,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> None:
    """Run ``argv``, teeing every output line to ``log_path`` and ``on_line``.

    Raises `ImageBuildError` naming ``step`` and the log (with its last lines) on failure,
    and after ``timeout`` seconds (the process is killed: nothing waits forever). The
    process never reads the terminal: its stdin is ``stdin`` or /dev/null.
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
        raise ImageBuildError(
            f"{step} did not finish within {timeout:.0f}s and was stopped. Full log: {log_path}"
        )
    if code != 0:
        shown = "\n".join(f"    {t}" for t in tail)
        raise ImageBuildError(
            f"{step} failed (exit {code}). Last lines:\n{shown}\nFull log: {log_path}"
        )

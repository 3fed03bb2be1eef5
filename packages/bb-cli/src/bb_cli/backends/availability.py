"""Which backends this machine can run, and why not (for ``bb doctor``).

Each probe is cheap and side-effect free: a platform test, a PATH lookup, one status
command. The answer names the missing piece so the fix is obvious.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["PROBES", "BackendAvailability", "backend_availability"]


@dataclass(frozen=True)
class BackendAvailability:
    """One backend's verdict on this machine."""

    name: str
    available: bool
    reason: str


def _answers(argv: list[str]) -> str | None:
    """None when the command exits 0; otherwise why not."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{' '.join(argv)}` failed: {exc}"
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip())[-200:]
        return f"`{' '.join(argv)}` exited {done.returncode}" + (f": {tail}" if tail else "")
    return None


def _compose() -> str | None:
    from bb_cli.engine import DockerCommandError, default_engine

    if shutil.which("docker") is None:
        return "the docker CLI is not on PATH"
    engine = default_engine()
    try:
        engine.run("compose", "version", timeout=20)
    except DockerCommandError as exc:
        return str(exc)
    return engine.problem(timeout=20)


def _apple_container() -> str | None:
    if platform.system() != "Darwin" or platform.machine() != "arm64":
        return f"needs macOS on Apple silicon (this is {platform.system()} {platform.machine()})"
    if shutil.which("container") is None:
        return "the `container` CLI is not on PATH (github.com/apple/container releases)"
    return _answers(["container", "system", "status"])


def _smolvm() -> str | None:
    system = platform.system()
    if system == "Linux" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "needs KVM: /dev/kvm is missing or not accessible to this user"
    if system == "Darwin" and platform.machine() != "arm64":
        return "needs Apple silicon on macOS"
    if system not in ("Linux", "Darwin"):
        return f"needs Linux with KVM or macOS on Apple silicon (this is {system})"
    if shutil.which("smolvm") is None:
        return "the `smolvm` CLI is not on PATH (smolmachines install)"
    return _compose()  # its sidecars run on docker compose


PROBES: dict[str, Callable[[], str | None]] = {
    "compose": _compose,
    "apple-container": _apple_container,
    "smolvm": _smolvm,
}
"""Backend name -> probe returning why it cannot run here, or None."""


def backend_availability() -> list[BackendAvailability]:
    """Every backend's verdict, in registry order."""
    out = []
    for name, probe in PROBES.items():
        reason = probe()
        out.append(BackendAvailability(name, reason is None, reason or "can run here"))
    return out

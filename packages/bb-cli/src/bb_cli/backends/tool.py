"""Run a host tool (``container``, ``smolvm``) found on PATH, with errors that say what failed.

Shared by the macOS ``container`` and smolmachines backends. Two rules from issue 10:

* The binary is resolved on ``PATH`` here and wrappers run as ``sh -c`` (never ``sh -lc``):
  a login shell re-reads the user's profile and may not find what the caller's PATH found.
* A failure with an empty stderr is reported with the command and its exit status, never
  as an empty message or ``<no stderr>``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from bb_cli.errors import BackendError

__all__ = ["Tool", "ToolError", "describe_failure"]


def describe_failure(argv: Sequence[str], code: int, stderr: str) -> str:
    """``\\`tool sub ...\\` exited N: <stderr tail>``, or "with no output" when stderr is empty."""
    shown = " ".join(argv[:6]) + (" ..." if len(argv) > 6 else "")
    tail = stderr.strip()[-1500:]
    return f"`{shown}` exited {code}: {tail}" if tail else f"`{shown}` exited {code} with no output"


class ToolError(BackendError):
    """A tool command failed; the message names the command and its exit status."""

    def __init__(self, argv: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(describe_failure(argv, code, stderr))
        self.argv = list(argv)
        self.code = code
        self.stderr = stderr


class Tool:
    """One host CLI. ``path`` is resolved once; `available` says whether it exists."""

    def __init__(self, name: str, *, path: str | None = None) -> None:
        self.name = name
        self.path = path or shutil.which(name)

    @property
    def available(self) -> bool:
        """Whether the binary was found on PATH."""
        return self.path is not None

    def _argv(self, args: Sequence[str]) -> list[str]:
        if self.path is None:
            raise ToolError([self.name, *args], 127, f"{self.name} is not installed or not on PATH")
        return [self.path, *args]

    def run(
        self,
        *args: str,
        timeout: float = 120,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run with stdout and stderr captured as pipes (text)."""
        argv = self._argv(args)
        full_env = {**os.environ, **env} if env else None
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, check=False, env=full_env
            )
        except subprocess.TimeoutExpired:
            raise ToolError(argv, -1, f"timed out after {timeout:.0f}s") from None
        if check and done.returncode != 0:
            raise ToolError([self.name, *args], done.returncode, done.stderr)
        return done

    def shell(
        self, script: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """``sh -c SCRIPT sh TOOL ARGS``: a wrapper whose ``$1`` is the tool's absolute path."""
        argv = ["sh", "-c", script, "sh", *self._argv(args)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise ToolError([self.name, *args], done.returncode, done.stderr)
        return done

    def interactive(self, *args: str) -> int:
        """Run attached to the terminal; its exit code."""
        return subprocess.call(self._argv(args))

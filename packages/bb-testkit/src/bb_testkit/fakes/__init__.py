"""Executable fakes of tools that cannot run here (dev only: never in the CLI or an image).

Apple's ``container`` needs macOS on Apple silicon and ``smolvm`` needs a hypervisor;
neither runs in CI. `install_fake` puts a fake of either on a ``bin`` directory as the
tool's own name, so a backend under test finds it on PATH exactly as it would the real
one. Each fake's module docstring cites the documentation of the behaviour it models.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["FAKES", "install_fake"]

FAKES = {"container": "bb_testkit.fakes.fake_container", "smolvm": "bb_testkit.fakes.fake_smolvm"}
"""Tool name -> module implementing its fake."""


def install_fake(bin_dir: Path, tool: str, state_dir: Path) -> Path:
    """Write ``bin_dir/<tool>`` running the fake with its state in ``state_dir``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / tool
    path.write_text(
        f"#!/bin/sh\nBB_FAKE_STATE='{state_dir}' exec '{sys.executable}' -m {FAKES[tool]} \"$@\"\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path

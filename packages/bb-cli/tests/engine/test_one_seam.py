"""Only the engine seam runs Docker: no other bb-cli module builds a ``docker`` command line."""

from __future__ import annotations

import ast
from pathlib import Path

import bb_cli

SEAM = Path(bb_cli.__file__).parent / "engine"


def docker_command_lines() -> list[str]:
    """``file:line`` of each list or tuple literal starting with the string ``"docker"``."""
    found: list[str] = []
    for path in sorted(Path(bb_cli.__file__).parent.rglob("*.py")):
        if SEAM in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
                first = node.elts[0]
                if isinstance(first, ast.Constant) and first.value == "docker":
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_module_outside_the_seam_builds_a_docker_command_line() -> None:
    """``docker compose``, ``build``, ``push``... go through `bb_cli.engine` (tests fake it)."""
    assert docker_command_lines() == []

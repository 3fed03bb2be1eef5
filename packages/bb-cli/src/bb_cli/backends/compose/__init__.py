"""The Docker Compose backend: render, run, assert."""

from __future__ import annotations

from bb_cli.backends.compose.backend import ComposeBackend, prepare_state_dir
from bb_cli.backends.compose.render import compose_environment, project_name, render_project

__all__ = [
    "ComposeBackend",
    "compose_environment",
    "prepare_state_dir",
    "project_name",
    "render_project",
]

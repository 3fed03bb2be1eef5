"""A bottle's directory on this host, shared by every backend: `prepare_state_dir`.

Routes, queue, approval key, the agent's MCP config and instructions, the git gate's files,
and the compose project rendered for the engine (the Apple ``container`` and smolvm
backends translate the same project), written before any container exists. Here rather
than in one backend's module so that the others do not import that backend.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bb_cli.backends.compose.gitgate import gate_config, prepare_gate_files
from bb_cli.backends.compose.limits import EngineFacts
from bb_cli.backends.compose.ownership import share_with_sidecars
from bb_cli.backends.compose.render import SUPERVISE_URL, render_project
from bb_cli.backends.compose.sidecar_users import root_sidecars
from bb_cli.errors import StartError
from bb_cli.plan import BottlePlan
from bb_protocol.atomic import write_atomic
from bb_protocol.gitgate import dump_gate_config
from bb_protocol.queue import ApprovalKey, QueueStore
from bb_protocol.routes import dump_routes

__all__ = ["COMPOSE_FILE", "prepare_state_dir", "refuse_root_sidecars"]


COMPOSE_FILE = "compose.yaml"


def prepare_state_dir(plan: BottlePlan, engine: EngineFacts | None = None) -> Path:
    """Create the bottle's host directory: routes, queue, key, the agent's files, compose file
    (rendered for ``engine``), and the storage watchdog's script when it runs."""
    root = plan.state_dir
    # The CA certificate never touches the host: egress exports it into a tmpfs volume
    # (render.py), which it empties first, so no stale certificate passes the health check.
    for sub in ("routes", "agent", "logs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "agent").chmod(0o755)
    QueueStore(root / "queue")
    ApprovalKey.load_or_create(root / "approval.key")
    write_atomic(root / "routes" / "routes.yaml", dump_routes(plan.egress.routes))
    servers = {"bot-bottle": {"type": "http", "url": SUPERVISE_URL}}
    mcp = {"mcpServers": servers if plan.manifest.bottle.supervise else {}}
    _write_public(root / "agent" / "mcp.json", json.dumps(mcp, indent=2) + "\n")
    _write_public(root / "agent" / "instructions.md", plan.manifest.agent.instructions + "\n")
    if plan.manifest.agent.repos:
        prepare_gate_files(plan)
        gate = dump_gate_config(gate_config(plan))
        write_atomic(root / "gitgate" / "gate.yaml", gate)
    share_with_sidecars(root, plan.host)
    project = render_project(plan, engine)
    if plan.test_compose_overlay is not None:  # tests only (BottlePlan.test_compose_overlay)
        project = plan.test_compose_overlay(project)
    refuse_root_sidecars(project)
    compose = root / COMPOSE_FILE
    write_atomic(compose, yaml.safe_dump(project, sort_keys=False))
    return compose


def refuse_root_sidecars(project: dict[str, Any]) -> None:
    """The launcher's rule: no sidecar runs as uid 0 (`bb_cli.backends.compose.sidecar_users`)."""
    problems = root_sidecars(project)
    if problems:
        raise StartError(
            "render",
            "a sidecar would run as root (" + "; ".join(problems) + "); refused",
            "render every sidecar with a numeric, non-zero user (uid:gid)",
        )


def _write_public(path: Path, text: str) -> None:
    """Write a file the agent may read (it holds nothing secret)."""
    write_atomic(path, text, mode=0o644)
    path.chmod(0o644)

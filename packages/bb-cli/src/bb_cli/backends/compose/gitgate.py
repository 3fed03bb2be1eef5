"""The git gate in a bottle: its config file and its compose service (pure).

Rendered only when the agent names repos. The gate sits on the internal network (as
``git-gate``, the name the agent's remotes use) and on a forge-facing bridge of its own; the
agent never reaches the forge. Deploy keys and known_hosts are copied into the bottle's host
state and mounted read-only into the gate alone. The gate's DLP pass gets the bottle's
secrets and canary exactly as the egress sidecar does: valueless entries in its
``environment`` that ``docker compose`` fills from its own environment
(`bb_cli.backends.compose.render.compose_environment`), so no value is written to disk and
the agent's container has none of them. Config schema: ``docs/git-gate.md``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Final

from bb_cli.plan import BottlePlan

__all__ = [
    "GATE_ALIAS",
    "GATE_PORT",
    "gate_config",
    "gate_service",
    "gate_url",
    "prepare_gate_files",
]

GATE_ALIAS: Final = "git-gate"
GATE_PORT: Final = 8070
_CONFIG_IN: Final = "/etc/bb-gitgate/gate.yaml"
_STATE_IN: Final = "/var/lib/bot-bottle/gitgate"
_KEYS_IN: Final = "/run/bb/repos"
_QUEUE_IN: Final = "/var/lib/bot-bottle/queue"
_KEY_IN: Final = "/etc/bot-bottle/approval/approval.key"


def gate_url(repo: str) -> str:
    """The URL the agent clones and pushes."""
    return f"http://{GATE_ALIAS}:{GATE_PORT}/{repo}.git"


def gate_config(plan: BottlePlan) -> dict[str, Any]:
    """The gate's ``gate.yaml`` as a dict (paths as the gate sees them)."""
    repos = []
    for repo in plan.manifest.agent.repos:
        entry: dict[str, Any] = {
            "name": repo.name,
            "upstream": repo.url,
            "push_refs": list(repo.push_refs),
        }
        if repo.deploy_key or repo.forge:
            entry["deploy_key"] = f"{_KEYS_IN}/{repo.name}/deploy_key"
        if repo.known_hosts:
            entry["known_hosts"] = f"{_KEYS_IN}/{repo.name}/known_hosts"
        repos.append(entry)
    return {
        "bottle": plan.slug,
        "state_dir": _STATE_IN,
        "queue_dir": _QUEUE_IN,
        "approval_key_file": _KEY_IN,
        "require_canary": True,
        "listen_host": "0.0.0.0",  # noqa: S104 - the internal network; never published
        "listen_port": GATE_PORT,
        "repos": repos,
    }


def prepare_gate_files(plan: BottlePlan) -> None:
    """Create the gate's state dir and copy each repo's deploy key and known_hosts (0600).

    A key provisioned on the forge (`bb_cli.repo_keys`) is already in place.
    """
    root = plan.state_dir / "gitgate"
    (root / "state").mkdir(parents=True, exist_ok=True)
    for repo in plan.manifest.agent.repos:
        target = root / "repos" / repo.name
        target.mkdir(parents=True, exist_ok=True)
        for name, source in (("deploy_key", repo.deploy_key), ("known_hosts", repo.known_hosts)):
            if source is None:
                continue
            path = Path(source).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"repo {repo.name}: {name} {path} does not exist")
            shutil.copyfile(path, target / name)
            (target / name).chmod(0o600)


def gate_service(plan: BottlePlan, config_file: Path) -> dict[str, Any]:
    """The compose service of the gate."""
    state = plan.state_dir
    return {
        "image": plan.images["gitgate"],
        "command": ["serve", "--config", _CONFIG_IN],
        "networks": {"internal": {"aliases": [GATE_ALIAS]}, "forge": {}},
        "user": f"{plan.host.uid}:{plan.host.gid}",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "sysctls": {"net.ipv4.ip_forward": "0"},
        # The egress sidecar's secrets and canary, for the DLP pass (values from compose's
        # environment, never written to disk).
        "environment": dict.fromkeys(plan.egress.egress_env),
        "volumes": [
            f"{config_file}:{_CONFIG_IN}:ro",
            f"{state / 'gitgate' / 'state'}:{_STATE_IN}",
            f"{state / 'gitgate' / 'repos'}:{_KEYS_IN}:ro",
            f"{state / 'queue'}:{_QUEUE_IN}",
            f"{state / 'approval.key'}:{_KEY_IN}:ro",
        ],
        "labels": {"org.bot-bottle.slug": plan.slug, "org.bot-bottle.role": "gitgate"},
        "healthcheck": {
            "test": ["CMD", "bb-gitgate", "health"],
            "interval": "1s",
            # `bb-gitgate health` is a Python start (~0.3 s idle); on a loaded host (seen at a
            # load average of 90 on 2 cores) it took over 3 s and the serving gate was unhealthy.
            "timeout": "10s",
            "retries": 60,
            "start_period": "30s",
            "start_interval": "1s",
        },
    }

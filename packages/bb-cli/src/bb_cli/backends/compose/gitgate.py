"""The git gate in a bottle: its config file and its compose service (pure).

Rendered only when the agent names repos. The gate sits on the internal network (as
``git-gate``, the name the agent's remotes use) and on a forge-facing bridge of its own; the
agent never reaches the forge. Deploy keys and known_hosts are copied into the bottle's host
state and mounted read-only into the gate alone. The gate's DLP pass gets the bottle's
secrets and canary exactly as the egress sidecar does: valueless entries in its
``environment`` that ``docker compose`` fills from its own environment
(`bb_cli.backends.compose.render.compose_environment`), so no value is written to disk and
the agent's container has none of them. The config is the contract's model
(`bb_protocol.gitgate.GateConfig`, the one the gate loads), with paths and the port from
`bb_protocol.layout`; its reference is ``docs/git-gate.md``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bb_cli.backends.compose.sidecar_users import sidecar_user
from bb_cli.errors import ManifestError
from bb_cli.plan import BottlePlan
from bb_protocol import layout
from bb_protocol.gitgate import GateConfig, RepoConfig

__all__ = ["gate_config", "gate_service", "prepare_gate_files"]


def _repo(repo_name: str, upstream: str, push_refs: list[str], key: bool, pin: bool) -> RepoConfig:
    keys = Path(layout.GATE_KEYS_DIR) / repo_name
    return RepoConfig(
        name=repo_name,
        upstream=upstream,
        push_refs=push_refs,
        deploy_key=keys / "deploy_key" if key else None,
        known_hosts=keys / "known_hosts" if pin else None,
    )


def gate_config(plan: BottlePlan) -> GateConfig:
    """The gate's config (paths as the gate sees them), validated by the gate's own model.

    A repo the gate would refuse (an ``ext::`` upstream, a ref pattern outside
    ``refs/heads/``/``refs/tags/``) is refused here, before anything starts.
    """
    try:
        repos = [
            _repo(
                repo.name,
                repo.url,
                list(repo.push_refs),
                key=bool(repo.deploy_key or repo.forge),
                pin=bool(repo.known_hosts),
            )
            for repo in plan.manifest.agent.repos
        ]
        return GateConfig(
            bottle=plan.slug,
            state_dir=Path(layout.GATE_STATE_DIR),
            queue_dir=Path(layout.QUEUE_DIR),
            approval_key_file=Path(layout.APPROVAL_KEY_FILE),
            require_canary=True,
            listen_host=layout.LISTEN_ALL,
            listen_port=layout.GATE_PORT,
            repos=repos,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'repos'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ManifestError(f"agent {plan.manifest.agent_name!r} repos: {problems}") from exc


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
        "command": ["serve", "--config", layout.GATE_CONFIG_FILE],
        "networks": {"internal": {"aliases": [layout.GATE_HOST]}, "forge": {}},
        "user": sidecar_user("gitgate", plan.host).compose(),
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "sysctls": {"net.ipv4.ip_forward": "0"},
        # The egress sidecar's secrets and canary, for the DLP pass (values from compose's
        # environment, never written to disk).
        "environment": dict.fromkeys(plan.egress.egress_env),
        "volumes": [
            f"{config_file}:{layout.GATE_CONFIG_FILE}:ro",
            f"{state / 'gitgate' / 'state'}:{layout.GATE_STATE_DIR}",
            f"{state / 'gitgate' / 'repos'}:{layout.GATE_KEYS_DIR}:ro",
            f"{state / 'queue'}:{layout.QUEUE_DIR}",
            f"{state / 'approval.key'}:{layout.APPROVAL_KEY_FILE}:ro",
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

"""Render one bottle as a Docker Compose project (a Python dict; YAML is only ever dumped).

Pure: a `BottlePlan` in, a dict out. Topology and agent hardening follow
``security.md`` section 1.6:

* ``internal``: ``internal: true``, IPv6 off, both gateway modes ``isolated``; the agent is
  on this network and nothing else;
* ``egress``: an ordinary bridge for the proxy only;
* the agent: uid 1000, ``cap_drop: ALL``, no-new-privileges, read-only root with volumes for
  home and workspace and an exec-able ``/tmp`` tmpfs, IPv6 off, pids and memory limits, no
  ports, no ``dns``, no ``extra_hosts``, no Docker socket; its proxy and CA variables point
  at the egress sidecar, whose public CA certificate is its only trust anchor;
* no host path in the agent (beyond the operator's own ``mounts``): a bind mount shows its
  host path in the agent's ``/proc/self/mountinfo``, which would tell it the operator's
  state-dir layout and home. The CA certificate and the agent's instructions and MCP
  configuration reach it through two tmpfs volumes (mountinfo: ``tmpfs``, no path) that
  the egress sidecar fills when it starts (`_PUBLISH_SCRIPT`); home and workspace are
  named volumes (mountinfo: Docker's own ``volumes/<name>/_data``);
* sidecars: ``cap_drop: ALL``, no-new-privileges, read-only root with a small ``/tmp``
  tmpfs, never as uid 0: as the operator's uid/gid, or, when ``bb`` runs as root, as their
  image users in the queue group (`bb_cli.backends.compose.sidecar_users`); the proxy's
  CA key lives in a tmpfs mounted nowhere else;
* every container: memory (no extra swap), pids and CPU limits and a rotated log
  (`bb_cli.backends.compose.limits`); the agent's OCI runtime when the bottle names one;
* the agent's writable volumes: a quota where the engine supports one, else the storage
  watchdog (`bb_cli.backends.compose.watchdog`), whose PID namespace the agent joins.

Secrets and the canary never appear in the rendered file: their entries carry no value, so
``docker compose`` takes them from its own environment (`compose_environment`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, cast

from bb_cli.backends.compose.gitgate import gate_service
from bb_cli.backends.compose.limits import (
    EngineFacts,
    Role,
    container_limits,
    log_rotation,
    storage_bytes,
)
from bb_cli.backends.compose.sidecar_users import sidecar_user
from bb_cli.names import project_name, sidecar_container
from bb_cli.plan import BottlePlan
from bb_cli.runtimes import AGENT_DIR, INSTRUCTIONS, MCP_CONFIG
from bb_protocol import envvars
from bb_protocol.layout import (
    AGENT_CA,
    AGENT_CA_DIR,
    AGENT_HOME,
    AGENT_SOURCE_DIR,
    APPROVAL_KEY_FILE,
    EGRESS_AUDIT_LOG,
    EGRESS_CONFDIR,
    EGRESS_PORT,
    GATE_HOST,
    LISTEN_ALL,
    LOG_DIR,
    PROXY_URL,
    QUEUE_DIR,
    ROUTES_DIR,
    ROUTES_FILE,
    SUPERVISE_HOST,
    SUPERVISE_PORT,
    SUPERVISE_URL,
    WORKSPACE,
)

__all__ = [
    "AGENT_CA",
    "AGENT_SERVICE",
    "EGRESS_SERVICE",
    "GITGATE_SERVICE",
    "INTERNAL_NETWORK",
    "PROXY_URL",
    "SUPERVISE_URL",
    "WATCHDOG_SERVICE",
    "compose_environment",
    "project_name",
    "render_project",
]

AGENT_SERVICE: Final = "agent"
EGRESS_SERVICE: Final = "egress"
SUPERVISE_SERVICE: Final = "supervise"
GITGATE_SERVICE: Final = "gitgate"
WATCHDOG_SERVICE: Final = "watchdog"
_WATCHDOG_IN: Final = "/opt/bb-watchdog/watchdog.py"
_WATCHDOG_SOURCE_VAR: Final = "BB_WATCHDOG_SOURCE"
_WATCHDOG_LOADER: Final = (
    f"import os; exec(compile(os.environ[{_WATCHDOG_SOURCE_VAR!r}], {_WATCHDOG_IN!r}, 'exec'))"
)
"""The watchdog's script travels in its environment, not as a bind mount: the agent shares
the watchdog's PID namespace, and ``/proc/1/mountinfo`` (readable by any uid) would show a
bind's host path, that is, the operator's state directory."""
_SIDECAR_TMP: Final = "/tmp:rw,nosuid,nodev,noexec,size={size}"  # noqa: S108 - own tmpfs
_SIDECAR_TMP_SIZE: Final[dict[str, str]] = {
    EGRESS_SERVICE: "64m",
    SUPERVISE_SERVICE: "16m",
    GITGATE_SERVICE: "256m",
}
"""Sidecars' only writable paths besides their volumes (counted in their memory limit)."""
INTERNAL_NETWORK: Final = "internal"
_CA_VOLUME: Final = "ca"
_AGENT_CONFIG_VOLUME: Final = "agent-config"
_PUBLISH_SCRIPT: Final = (
    f"rm -f {AGENT_CA} && cp -R {AGENT_SOURCE_DIR}/. {AGENT_DIR}/ "
    '&& exec /usr/bin/tini -- bb-egress "$$@"'  # $$: compose's escape for a literal $
)
"""The egress entrypoint: drop a stale CA certificate (the proxy exports its own once it
runs), copy the agent's instructions and MCP config into their volume, then the image's
own entrypoint (``tini -- bb-egress``) with the rendered command."""
_CA_VARS: Final = (
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "GIT_SSL_CAINFO",
)
_EGRESS_HEALTH: Final = (
    "import os, socket; "
    f"assert os.path.getsize({AGENT_CA!r}) > 0; "
    f"socket.create_connection(('127.0.0.1', {EGRESS_PORT}), 2).close()"
)
"""Healthy = the CA certificate is exported and the proxy accepts connections."""
_SUPERVISE_HEALTH: Final = (
    f"import socket; socket.create_connection(('127.0.0.1', {SUPERVISE_PORT}), 2).close()"
)
"""Healthy = the MCP server accepts connections."""
_HARDENING: Final[dict[str, Any]] = {
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges:true"],
}


def compose_environment(plan: BottlePlan) -> dict[str, str]:
    """Values for the valueless entries of the rendered file: pass to ``docker compose``."""
    return {**plan.egress.egress_env, **plan.egress.agent_env}


def _agent_environment(plan: BottlePlan) -> dict[str, str | None]:
    sidecars = ["localhost", "127.0.0.1", SUPERVISE_HOST]
    if plan.manifest.agent.repos:
        sidecars.append(GATE_HOST)
    env: dict[str, str | None] = dict(plan.manifest.bottle.env)
    env.update(dict.fromkeys(("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"), PROXY_URL))
    env.update(dict.fromkeys(("NO_PROXY", "no_proxy"), ",".join(sidecars)))
    env.update(dict.fromkeys(_CA_VARS, AGENT_CA))
    env["BOT_BOTTLE_MCP_CONFIG"] = MCP_CONFIG
    env["BOT_BOTTLE_INSTRUCTIONS"] = INSTRUCTIONS
    env["BOT_BOTTLE_SUPERVISE_URL"] = SUPERVISE_URL if plan.manifest.bottle.supervise else None
    env[envvars.BOTTLE_SLUG] = plan.slug
    user = plan.manifest.bottle.git_user
    if user is not None:
        for role in ("AUTHOR", "COMMITTER"):
            env[f"GIT_{role}_NAME"] = user.name
            env[f"GIT_{role}_EMAIL"] = user.email
    for name in plan.egress.agent_env:
        env[name] = None  # value from compose's environment, never written to disk
    return {k: v for k, v in env.items() if not (v is None and k == "BOT_BOTTLE_SUPERVISE_URL")}


def _agent(plan: BottlePlan) -> dict[str, Any]:
    bottle = plan.manifest.bottle
    volumes: list[Any] = [
        f"home:{AGENT_HOME}",
        f"workspace:{WORKSPACE}",
        f"{_CA_VOLUME}:{AGENT_CA_DIR}:ro",
        f"{_AGENT_CONFIG_VOLUME}:{AGENT_DIR}:ro",
    ]
    for mount in bottle.mounts:
        volumes.append(
            {
                "type": "bind",
                "source": mount.source,
                "target": mount.target,
                "read_only": mount.read_only,
            }
        )
    service: dict[str, Any] = {
        "image": plan.images["agent"],
        "container_name": plan.agent_container,
        "hostname": "bottle",
        "networks": [INTERNAL_NETWORK],
        "user": "1000:1000",
        **_HARDENING,
        "read_only": True,
        # exec: Docker adds noexec to a tmpfs unless told; the agent builds and runs code here.
        "tmpfs": ["/tmp:rw,exec,nosuid,nodev,size=4g"],  # noqa: S108 - the agent's own tmpfs
        "sysctls": {"net.ipv6.conf.all.disable_ipv6": "1"},
        "init": False,
        "environment": _agent_environment(plan),
        "volumes": volumes,
        "labels": _labels(plan, "agent"),
        "depends_on": {EGRESS_SERVICE: {"condition": "service_healthy"}},
    }
    if bottle.runtime is not None:
        service["runtime"] = bottle.runtime
    runtime = plan.manifest.agent
    if runtime.runtime == "command" and runtime.command:
        service["command"] = list(runtime.command)
    return service


def _egress(plan: BottlePlan) -> dict[str, Any]:
    state = plan.state_dir
    user = sidecar_user("egress", plan.host)
    ids = f"uid={user.uid},gid={user.gid}"
    env: dict[str, str | None] = {
        envvars.ROUTES_FILE: ROUTES_FILE,
        envvars.AUDIT_LOG: EGRESS_AUDIT_LOG,
        envvars.EGRESS_CA_CERT_EXPORT: AGENT_CA,
        envvars.BOTTLE_SLUG: plan.slug,
        envvars.SUPERVISE_ENABLED: "1" if plan.manifest.bottle.supervise else "0",
        envvars.QUEUE_DIR: QUEUE_DIR,
        envvars.APPROVAL_KEY_FILE: APPROVAL_KEY_FILE,
    }
    if plan.observe:
        env[envvars.EGRESS_OBSERVE] = "1"
    for name in plan.egress.egress_env:
        env[name] = None  # value from compose's environment, never written to disk
    command = ["run"]
    if plan.test_egress_subnet:
        command += ["--allow-destination", plan.test_egress_subnet]
    return {
        "image": plan.images["egress"],
        "entrypoint": ["/bin/sh", "-c", _PUBLISH_SCRIPT, "bb-egress"],
        "command": command,
        "networks": [INTERNAL_NETWORK, "egress"],
        "user": user.compose(),
        **_HARDENING,
        "sysctls": {"net.ipv4.ip_forward": "0"},
        "tmpfs": [f"{EGRESS_CONFDIR}:rw,nosuid,nodev,noexec,size=8m,mode=0700,{ids}"],
        "environment": env,
        "volumes": [
            *_contract_volumes(state),
            f"{_CA_VOLUME}:{AGENT_CA_DIR}",
            f"{_AGENT_CONFIG_VOLUME}:{AGENT_DIR}",
            f"{state / 'agent'}:{AGENT_SOURCE_DIR}:ro",
            f"{state / 'logs'}:{LOG_DIR}",
        ],
        "labels": _labels(plan, "egress"),
        "healthcheck": _python_healthcheck(_EGRESS_HEALTH),
    }


def _supervise(plan: BottlePlan) -> dict[str, Any]:
    state = plan.state_dir
    return {
        "image": plan.images["supervise"],
        "command": ["serve"],
        "networks": [INTERNAL_NETWORK],
        "user": sidecar_user("supervise", plan.host).compose(),
        **_HARDENING,
        "environment": {
            envvars.BOTTLE_SLUG: plan.slug,
            envvars.QUEUE_DIR: QUEUE_DIR,
            envvars.APPROVAL_KEY_FILE: APPROVAL_KEY_FILE,
            envvars.ROUTES_FILE: ROUTES_FILE,
            envvars.SUPERVISE_LISTEN: f"{LISTEN_ALL}:{SUPERVISE_PORT}",
        },
        "volumes": [
            *_contract_volumes(state),
        ],
        "labels": _labels(plan, "supervise"),
        "healthcheck": _python_healthcheck(_SUPERVISE_HEALTH),
    }


def _labels(plan: BottlePlan, role: str) -> dict[str, str]:
    """The labels ``bb`` finds a bottle's containers by (slug and role)."""
    return {"org.bot-bottle.slug": plan.slug, "org.bot-bottle.role": role}


def _contract_volumes(state: Path) -> list[str]:
    """The routes (read-only), the queue and the approval key (read-only), mounted where
    `bb_protocol.layout` says: what egress and supervise share with the host."""
    return [
        f"{state / 'routes'}:{ROUTES_DIR}:ro",
        f"{state / 'queue'}:{QUEUE_DIR}",
        f"{state / 'approval.key'}:{APPROVAL_KEY_FILE}:ro",
    ]


def _python_healthcheck(code: str) -> dict[str, Any]:
    """Healthy when ``python3 -c code`` succeeds; checked every second for up to a minute,
    so ``docker compose up --wait`` returns as soon as the sidecar serves."""
    return {
        "test": ["CMD", "python3", "-c", code],
        "interval": "1s",
        "timeout": "3s",
        "retries": 60,
        "start_period": "30s",
        "start_interval": "1s",
    }


def _watchdog(plan: BottlePlan) -> dict[str, Any]:
    """The storage watchdog: PID 1 of the agent's PID namespace (see its module)."""
    limit = storage_bytes(plan.manifest.bottle.resources)
    return {
        "image": plan.images["egress"],
        "container_name": watchdog_container(plan.slug),
        "entrypoint": ["/usr/bin/tini", "--", "/usr/bin/python3", "-I", "-c", _WATCHDOG_LOADER],
        "command": ["--limit", str(limit), "/volumes/workspace", "/volumes/home"],
        "user": "0:0",  # reads every file of the volumes: CAP_DAC_READ_SEARCH, nothing else
        "cap_drop": ["ALL"],
        "cap_add": ["DAC_READ_SEARCH"],
        "security_opt": ["no-new-privileges:true"],
        "network_mode": "none",
        "read_only": True,
        "environment": {_WATCHDOG_SOURCE_VAR: _watchdog_source().replace("$", "$$")},
        "volumes": ["workspace:/volumes/workspace:ro", "home:/volumes/home:ro"],
        "labels": _labels(plan, "watchdog"),
    }


def _watchdog_source() -> str:
    """The watchdog's script (this package's ``watchdog.py``, standard library only)."""
    return Path(__file__).with_name("watchdog.py").read_text(encoding="utf-8")


def watchdog_container(slug: str) -> str:
    """The watchdog's container name (the agent joins its PID namespace by it)."""
    return sidecar_container(slug, WATCHDOG_SERVICE)


def _contain(name: str, service: dict[str, Any], plan: BottlePlan, engine: EngineFacts) -> None:
    """Limits and log rotation on every container; read-only root and /tmp on sidecars."""
    resources = plan.manifest.bottle.resources
    role = cast("Role", name)  # services are named after their roles
    service.update(container_limits(role, resources, engine).compose())
    service["logging"] = log_rotation(resources).compose()
    if name in _SIDECAR_TMP_SIZE:
        service["read_only"] = True
        service["tmpfs"] = [
            *service.get("tmpfs", []),
            _SIDECAR_TMP.format(size=_SIDECAR_TMP_SIZE[name]),
        ]


def _volumes(plan: BottlePlan, engine: EngineFacts) -> dict[str, Any]:
    if not engine.volume_quota:
        return {"home": {}, "workspace": {}}
    size = str(storage_bytes(plan.manifest.bottle.resources))
    return {
        name: {"driver": "local", "driver_opts": {"size": size}} for name in ("home", "workspace")
    }


def _published_volumes(plan: BottlePlan) -> dict[str, Any]:
    """The tmpfs volumes egress fills for the agent: no host path, gone when both stop."""
    egress = sidecar_user("egress", plan.host)  # fills them
    owner = f"uid={egress.uid},gid={egress.gid},mode=0755,nosuid,nodev,noexec"
    return {
        name: {
            "driver": "local",
            "driver_opts": {"type": "tmpfs", "device": "tmpfs", "o": f"size={size},{owner}"},
        }
        for name, size in ((_CA_VOLUME, "1m"), (_AGENT_CONFIG_VOLUME, "8m"))
    }


def _forge_network(plan: BottlePlan) -> dict[str, Any]:
    if plan.test_forge_network:
        return {"name": plan.test_forge_network, "external": True}
    return {"name": f"{project_name(plan.slug)}_forge", "driver": "bridge", "enable_ipv6": False}


def render_project(plan: BottlePlan, engine: EngineFacts | None = None) -> dict[str, Any]:
    """The whole compose project for ``plan`` on an engine with ``engine``'s facts."""
    engine = engine or EngineFacts()
    name = project_name(plan.slug)
    services: dict[str, Any] = {EGRESS_SERVICE: _egress(plan), AGENT_SERVICE: _agent(plan)}
    if plan.manifest.bottle.supervise:
        services[SUPERVISE_SERVICE] = _supervise(plan)
    if plan.manifest.agent.repos:
        services[GITGATE_SERVICE] = gate_service(plan, plan.state_dir / "gitgate" / "gate.yaml")
    if engine.docker and not engine.volume_quota:
        services[WATCHDOG_SERVICE] = _watchdog(plan)
        services[AGENT_SERVICE]["pid"] = f"container:{watchdog_container(plan.slug)}"
        services[AGENT_SERVICE]["depends_on"][WATCHDOG_SERVICE] = {"condition": "service_started"}
    for service_name, service in services.items():
        _contain(service_name, service, plan, engine)
    return {
        "name": name,
        "networks": {
            INTERNAL_NETWORK: {
                "name": f"{name}_internal",
                "driver": "bridge",
                "internal": True,
                "enable_ipv6": False,
                "driver_opts": {
                    "com.docker.network.bridge.gateway_mode_ipv4": "isolated",
                    "com.docker.network.bridge.gateway_mode_ipv6": "isolated",
                },
            },
            **({"forge": _forge_network(plan)} if plan.manifest.agent.repos else {}),
            "egress": {
                "name": f"{name}_egress",
                "driver": "bridge",
                "enable_ipv6": False,
                **(
                    {"ipam": {"config": [{"subnet": plan.test_egress_subnet}]}}
                    if plan.test_egress_subnet
                    else {}
                ),
            },
        },
        "volumes": {**_volumes(plan, engine), **_published_volumes(plan)},
        "services": services,
    }

"""The bottle under attack and its observers, as one Docker Compose project.

The agent and egress services carry the hardening of security.md section 1.6, the same
that ``bb start`` applies (agent image, UID 1000, ``cap_drop: ALL``, no-new-privileges,
read-only root, only the internal network, no ``dns:``, proxy and CA env). Until the
CLI's compose backend lands this module renders the project itself; when it does, this
is the one place to switch to the CLI's renderer.

Beside the bottle, on the egress-side network only: the sink (the "internet") and the
logging resolver. The egress container alone is pointed at the resolver (``dns:``) and
trusts the sink's test CA upstream (``--upstream-ca``); ``--allow-destination`` admits
the sink's single address, which the proxy would otherwise refuse as private.

Bring-up is ordered so that the launcher's configuration assertions (`assert_network`,
`assert_agent`) run before the agent starts: a bottle that fails them never starts.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["OBSERVER_IMAGE", "Bottle", "BottleError", "build_observer_image"]

OBSERVER_IMAGE = "bb-escape-observer:test"
OBSERVERS_DIR = Path(__file__).resolve().parent.parent / "observers"
MIN_ENGINE = (28, 0)
AGENT_CA = "/etc/bot-bottle/ca/ca.pem"
PROXY_URL = "http://egress:8080"


class BottleError(RuntimeError):
    """The bottle could not be assembled, or failed a launcher assertion."""


def run(args: Sequence[str], *, timeout: float = 300, stdin: str | None = None) -> str:
    """Run a command; its stdout, or `BottleError` with its stderr."""
    done = subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, input=stdin, check=False
    )
    if done.returncode != 0:
        raise BottleError(f"{' '.join(args[:4])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def build_observer_image() -> None:
    """Build the observers' image (apt packages on debian:trixie-slim; cached after once)."""
    run(["docker", "build", "-q", "-t", OBSERVER_IMAGE, str(OBSERVERS_DIR)], timeout=600)


def _image(component: str) -> str:
    out = run(["docker", "image", "ls", "--filter", f"label=org.bot-bottle.component={component}",
               "--format", "{{.Repository}}:{{.Tag}}"]).split()  # fmt: skip
    if not out:
        raise BottleError(f"no {component} image: run `uv run bb images build` first")
    return out[0]


@dataclass
class Bottle:
    """One escape-suite project: its name, directory, addresses and secrets."""

    directory: Path
    name: str = field(default_factory=lambda: f"bbescape{secrets.token_hex(4)}")
    subnet_octet: int = field(default_factory=lambda: 100 + secrets.randbelow(100))
    secrets_env: dict[str, str] = field(default_factory=dict)
    canary: str = field(default_factory=lambda: "ghp_" + secrets.token_hex(18))
    inject_token: str = field(default_factory=lambda: "ghp_" + secrets.token_hex(18))

    @property
    def egress_subnet(self) -> str:
        return f"10.{self.subnet_octet}.{self.subnet_third}.0/24"

    subnet_third: int = field(default_factory=lambda: secrets.randbelow(250))

    @property
    def sink_ip(self) -> str:
        return f"10.{self.subnet_octet}.{self.subnet_third}.10"

    @property
    def resolver_ip(self) -> str:
        return f"10.{self.subnet_octet}.{self.subnet_third}.53"

    @property
    def egress_gateway(self) -> str:
        return f"10.{self.subnet_octet}.{self.subnet_third}.1"

    # ------------------------------------------------------------------ rendering

    def routes(self) -> dict[str, Any]:
        """The allowlist under test: exact hosts only, every on-match policy ``block``."""
        https = [
            {"host": h, "outbound_on_match": "block"}
            for h in ("allowed.test", "rebind.allowed.test", "loop.allowed.test")
        ]
        return {
            "version": 1,
            "routes": [
                *https,
                {"host": "plain.test", "scheme": "http", "outbound_on_match": "block"},
                {
                    "host": "api.allowed.test",
                    "outbound_on_match": "block",
                    "inject_headers": {"Authorization": "Bearer ${EGRESS_TOKEN_INJECT}"},
                },
            ],
        }

    def project(self) -> dict[str, Any]:
        """The compose project (security.md 1.6 for agent and egress, observers beside)."""
        hardening = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"]}
        egress_env = {
            "BOT_BOTTLE_ROUTES_FILE": "/etc/bot-bottle/routes/routes.yaml",
            "BOT_BOTTLE_AUDIT_LOG": "/var/log/bot-bottle/audit.jsonl",
            "BOT_BOTTLE_EGRESS_CA_CERT": AGENT_CA,
            "BOT_BOTTLE_SLUG": self.name,
            "BOT_BOTTLE_SUPERVISE": "0",
            "EGRESS_TOKEN_CANARY": self.canary,
            "EGRESS_TOKEN_INJECT": self.inject_token,
            **self.secrets_env,
        }
        proxy_env = dict.fromkeys(
            ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"), PROXY_URL
        )
        ca_vars = ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE")
        ca_env = dict.fromkeys((*ca_vars, "GIT_SSL_CAINFO"), AGENT_CA)
        observer = {"image": OBSERVER_IMAGE, "volumes": ["testca:/testca"], "init": True}
        return {
            "name": self.name,
            "networks": {
                "internal": {
                    "name": f"{self.name}_internal",
                    "internal": True,
                    "enable_ipv6": False,
                    "driver": "bridge",
                    "driver_opts": {
                        "com.docker.network.bridge.gateway_mode_ipv4": "isolated",
                        "com.docker.network.bridge.gateway_mode_ipv6": "isolated",
                    },
                },
                "egress": {
                    "name": f"{self.name}_egress",
                    "driver": "bridge",
                    "ipam": {"config": [{"subnet": self.egress_subnet}]},
                },
            },
            "volumes": {"testca": {}, "agentca": {}},
            "services": {
                "sink": {
                    **observer,
                    "command": ["python3", "sink.py"],
                    "networks": {"egress": {"ipv4_address": self.sink_ip}},
                    "healthcheck": _file_exists("/testca/ca.pem"),
                },
                "resolver": {
                    **observer,
                    "command": [
                        "python3",
                        "resolver.py",
                        "--answer",
                        self.sink_ip,
                        "--map",
                        f"rebind.allowed.test={self.resolver_ip}",
                        "--map",
                        "loop.allowed.test=127.0.0.1",
                    ],
                    "networks": {"egress": {"ipv4_address": self.resolver_ip}},
                    "healthcheck": _file_exists("/log/dns.jsonl"),
                },
                "egress": {
                    "image": _image("egress"),
                    "command": [
                        "run",
                        "--upstream-ca",
                        "/testca/ca.pem",
                        "--allow-destination",
                        f"{self.sink_ip}/32",
                    ],
                    "networks": ["internal", "egress"],
                    "dns": [self.resolver_ip],
                    "sysctls": {"net.ipv4.ip_forward": "0"},
                    **hardening,
                    "environment": egress_env,
                    "volumes": [
                        f"{self.directory / 'routes'}:/etc/bot-bottle/routes:ro",
                        "testca:/testca:ro",
                        "agentca:/etc/bot-bottle/ca",
                    ],
                    "healthcheck": _file_exists(AGENT_CA),
                    "depends_on": {
                        "sink": {"condition": "service_healthy"},
                        "resolver": {"condition": "service_healthy"},
                    },
                },
                "agent": {
                    "image": _image("agent"),
                    "networks": ["internal"],
                    "user": "1000:1000",
                    **hardening,
                    "read_only": True,
                    "tmpfs": [
                        "/tmp:rw,nosuid,nodev,size=96m",
                        "/home/agent:rw,nosuid,nodev,size=16m,uid=1000,gid=1000",
                    ],
                    "sysctls": {"net.ipv6.conf.all.disable_ipv6": "1"},
                    "pids_limit": 512,
                    "mem_limit": "512m",
                    "environment": {
                        **proxy_env,
                        "NO_PROXY": "localhost,127.0.0.1",
                        "no_proxy": "localhost,127.0.0.1",
                        **ca_env,
                        "BOT_BOTTLE_CANARY": self.canary,
                    },
                    "volumes": ["agentca:/etc/bot-bottle/ca:ro"],
                    "depends_on": {"egress": {"condition": "service_healthy"}},
                },
            },
        }

    # ------------------------------------------------------------------ lifecycle

    def compose(self, *args: str, timeout: float = 300, stdin: str | None = None) -> str:
        return run(
            [
                "docker",
                "compose",
                "-p",
                self.name,
                "-f",
                str(self.directory / "compose.yaml"),
                *args,
            ],
            timeout=timeout,
            stdin=stdin,
        )

    def up(self) -> None:
        """Observers and egress first, launcher assertions, then the agent."""
        check_engine()
        (self.directory / "routes").mkdir(exist_ok=True)
        (self.directory / "routes" / "routes.yaml").write_text(yaml.safe_dump(self.routes()))
        (self.directory / "compose.yaml").write_text(
            yaml.safe_dump(self.project(), sort_keys=False)
        )
        self.compose("up", "-d", "--wait", "--wait-timeout", "120", "sink", "resolver", "egress")
        assert_network(self.name)
        self.compose("create", "--no-recreate", "agent")
        assert_agent(self.container("agent"), self.name)
        self.compose("up", "-d", "--wait", "--wait-timeout", "60", "agent")

    def down(self) -> None:
        with contextlib.suppress(BottleError):
            self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=120)

    def container(self, service: str) -> str:
        return f"{self.name}-{service}-1"

    def exec(
        self, service: str, script: str, *, stdin: str | None = None, timeout: float = 300
    ) -> str:
        return run(["docker", "exec", "-i", self.container(service), "sh", "-c", script],
                   timeout=timeout, stdin=stdin)  # fmt: skip

    def read(self, service: str, path: str) -> str:
        """A file inside a service's container ('' when it does not exist yet)."""
        return self.exec(service, f"cat {path} 2>/dev/null || true")

    @property
    def routes_file(self) -> Path:
        """The live routes file the egress proxy watches (host side)."""
        return self.directory / "routes" / "routes.yaml"

    def audit_log(self) -> str:
        """The egress proxy's audit log ('' before its first line)."""
        return self.read("egress", "/var/log/bot-bottle/audit.jsonl")

    def queue_state(self) -> dict[str, list[str]]:
        """File names per queue subdirectory on the host (no queue in this fixture)."""
        return {}

    def internal_network(self) -> str:
        return f"{self.name}_internal"

    def assert_launcher(self) -> None:
        """Re-check the running bottle against the launcher assertions."""
        assert_network(self.name)
        assert_agent(self.container("agent"), self.name)

    def peers(self) -> dict[str, str]:
        """Address -> container name of everything on the internal network."""
        info = json.loads(run(["docker", "network", "inspect", self.internal_network()]))[0]
        return {
            str(c["IPv4Address"]).split("/", 1)[0]: str(c["Name"])
            for c in (info.get("Containers") or {}).values()
        }

    def internal_gateway(self) -> str:
        info = json.loads(run(["docker", "network", "inspect", self.internal_network()]))[0]
        configs = info.get("IPAM", {}).get("Config") or [{}]
        return str(
            configs[0].get("Gateway") or configs[0].get("Subnet", "").rsplit(".", 1)[0] + ".1"
        )


def _file_exists(path: str) -> dict[str, Any]:
    return {"test": ["CMD", "test", "-s", path], "interval": "1s", "timeout": "3s", "retries": 60}


def check_engine() -> None:
    """The engine is new enough for isolated gateways and the embedded-DNS fix."""
    version = run(["docker", "version", "--format", "{{.Server.Version}}"]).strip()
    major_minor = tuple(int(x) for x in version.split(".")[:2])
    if major_minor < MIN_ENGINE:
        raise BottleError(f"Docker Engine {version} < 28.0: gateway isolation is unavailable")


def assert_network(project: str) -> None:
    """security.md 1.6: internal, IPv6 off, both gateway modes isolated."""
    info = json.loads(run(["docker", "network", "inspect", f"{project}_internal"]))[0]
    options = info.get("Options") or {}
    problems = [
        what
        for what, ok in (
            ("network is not internal", info.get("Internal") is True),
            ("IPv6 is enabled", info.get("EnableIPv6") is False),
            (
                "gateway_mode_ipv4 is not isolated",
                options.get("com.docker.network.bridge.gateway_mode_ipv4") == "isolated",
            ),
            (
                "gateway_mode_ipv6 is not isolated",
                options.get("com.docker.network.bridge.gateway_mode_ipv6") == "isolated",
            ),
        )
        if not ok
    ]
    if problems:
        raise BottleError(
            f"launcher assertion failed for {project}_internal: {'; '.join(problems)}"
        )


def assert_agent(container: str, project: str) -> None:
    """security.md 1.6: the created (not yet started) agent has nothing that opens a way out."""
    info = json.loads(run(["docker", "inspect", container]))[0]
    host = info["HostConfig"]
    networks = list((info.get("NetworkSettings") or {}).get("Networks") or {})
    mounts = info.get("Mounts") or []
    problems = [
        what
        for what, ok in (
            (f"agent networks are {networks}", networks == [f"{project}_internal"]),
            ("CapAdd is not empty", not host.get("CapAdd")),
            ("CapDrop is not ALL", [c.upper() for c in host.get("CapDrop") or []] == ["ALL"]),
            ("privileged", host.get("Privileged") is False),
            ("dns is set", not host.get("Dns")),
            ("ports are published", not host.get("PortBindings")),
            ("extra hosts are set", not host.get("ExtraHosts")),
            ("root is writable", host.get("ReadonlyRootfs") is True),
            (
                "pid/ipc/network mode shares the host",
                host.get("PidMode", "") != "host"
                and host.get("IpcMode", "") != "host"
                and host.get("NetworkMode", "") != "host",
            ),
            (
                "no-new-privileges missing",
                any("no-new-privileges" in o for o in host.get("SecurityOpt") or []),
            ),
            (
                "seccomp or apparmor unconfined",
                not any("unconfined" in o for o in host.get("SecurityOpt") or []),
            ),
            (
                "a mount exposes docker.sock or the proxy confdir",
                not any(
                    "docker.sock" in (m.get("Source") or "")
                    or "mitmproxy" in (m.get("Source") or "")
                    for m in mounts
                ),
            ),
            ("user is root", info["Config"].get("User") not in ("", "0", "root")),
        )
        if not ok
    ]
    if problems:
        raise BottleError(f"launcher assertion failed for {container}: {'; '.join(problems)}")

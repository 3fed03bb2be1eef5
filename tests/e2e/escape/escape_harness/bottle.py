"""The bottle under attack, exactly as ``bb start`` renders it, plus the observers.

The project comes from the CLI's own code: a test manifest (agent + bottle with the suite's
routes and secrets) is resolved into a `BottlePlan`, the state directory is prepared by
`prepare_state_dir` and the project rendered by `render_project`, exactly as ``bb start``
does. The suite then adds, as a visible test-only overlay:

* the sink and the logging resolver on the bottle's egress-side network (fixed subnet,
  the plan's test-only ``test_egress_subnet``, set on the resolved plan: no ``bb`` option
  exposes it);
* on the egress service only: ``dns:`` the resolver, the sink's CA as ``--upstream-ca``,
  ``--allow-destination`` narrowed to the sink's single address, and a 4 s operator
  timeout for held requests (nobody answers the queue during the suite).

Bring-up follows ``ComposeBackend.start`` step by step with the CLI's launcher assertions
(`check_engine_version`, `check_network`, `check_agent`): a bottle that fails them never
starts its agent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bb_cli.backends.compose.backend import ComposeBackend, limit_problems, prepare_state_dir
from bb_cli.backends.compose.checks import check_agent, check_engine_version, check_network
from bb_cli.backends.compose.limits import EngineFacts
from bb_cli.backends.compose.render import (
    AGENT_SERVICE,
    EGRESS_SERVICE,
    compose_environment,
    project_name,
    render_project,
)
from bb_cli.engine import default_engine
from bb_cli.images import resolve_image
from bb_cli.manifests.index import ManifestIndex
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity

__all__ = ["OBSERVER_IMAGE", "Bottle", "BottleError", "build_observer_image", "new_bottle"]

OBSERVER_IMAGE = "bb-escape-observer:test"
OBSERVERS_DIR = Path(__file__).resolve().parent.parent / "observers"
AGENT_CA = "/etc/bot-bottle/ca/ca.pem"
HELD_TIMEOUT_VAR = "EGRESS_TOKEN_ALLOW_TIMEOUT_SECONDS"  # bb_protocol.envvars
HELD_TIMEOUT_SECONDS = 4
EGRESS_IMAGE_VAR = "BB_ESCAPE_EGRESS_IMAGE"
"""Test-only: an egress image to attack instead of the CLI's choice, e.g. one built before a
fix, to show a case fails on the old code (docs/escape-suite.md)."""


class BottleError(RuntimeError):
    """The bottle could not be assembled, or failed a launcher assertion."""


def run(
    args: Sequence[str],
    *,
    timeout: float = 300,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a command; its stdout, or `BottleError` with its stderr.

    ``env`` is added to this process's environment (secrets go there, never into argv,
    which error messages quote).
    """
    done = subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
        env={**os.environ, **env} if env else None,
    )
    if done.returncode != 0:
        raise BottleError(f"{' '.join(args[:4])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def build_observer_image() -> None:
    """Build the observers' image (apt packages on debian:trixie-slim; cached after once)."""
    run(["docker", "build", "-q", "-t", OBSERVER_IMAGE, str(OBSERVERS_DIR)], timeout=600)


AGENT_MANIFEST = """---
bottle: escape
runtime: shell
description: the escape suite's attacker (a shell agent)
---
You are the escape suite's attacker.
"""


@dataclass
class Bottle:
    """One escape-suite bottle: the CLI's project plus the observers, and how to reach them."""

    directory: Path
    name: str = field(default_factory=lambda: f"bbescape{secrets.token_hex(4)}")
    subnet_octet: int = field(default_factory=lambda: 100 + secrets.randbelow(100))
    secrets_env: dict[str, str] = field(default_factory=dict)
    inject_token: str = field(default_factory=lambda: "ghp_" + secrets.token_hex(18))
    plan: BottlePlan | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Values for the rendered file's valueless (secret) entries (`compose_environment`)."""
    resources: dict[str, Any] | None = None
    """The bottle manifest's ``resources`` (default: 512m and 512 pids for the agent)."""
    engine: EngineFacts | None = None
    """What ``bb start`` learnt from the engine (CPU count, volume quota): set by `up`."""

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
                {"host": "redact.allowed.test", "outbound_on_match": "redact"},
                {"host": "held.allowed.test", "outbound_on_match": "supervise"},
                {
                    "host": "narrow.allowed.test",
                    "methods": ["GET", "POST"],
                    "paths": ["/api/"],
                    "outbound_on_match": "block",
                },
                {
                    "host": "api.allowed.test",
                    "outbound_on_match": "block",
                    "inject_headers": {"Authorization": "Bearer ${EGRESS_TOKEN_INJECT}"},
                },
            ],
        }

    # ------------------------------------------------------------------ naming

    @property
    def project_name(self) -> str:
        assert self.plan is not None
        return project_name(self.plan.slug)

    def container(self, service: str) -> str:
        assert self.plan is not None
        if service == "agent":
            return self.plan.agent_container
        return f"{self.project_name}-{service}-1"

    @property
    def routes_file(self) -> Path:
        assert self.plan is not None
        return self.plan.state_dir / "routes" / "routes.yaml"

    def audit_log(self) -> str:
        assert self.plan is not None
        path = self.plan.state_dir / "logs" / "egress-audit.jsonl"
        return path.read_text() if path.exists() else ""

    def queue_state(self) -> dict[str, list[str]]:
        """File names per queue subdirectory on the host: what the operator side holds."""
        assert self.plan is not None
        root = self.plan.state_dir / "queue"
        return {
            sub.name: sorted(p.name for p in sub.iterdir())
            for sub in sorted(root.iterdir())
            if sub.is_dir()
        }

    def operator_env(self) -> dict[str, str]:
        """The environment under which ``bb queue`` and the TUI see this bottle's queue."""
        return {"BOT_BOTTLE_STATE_DIR": str(self.directory / "state")}

    def host_paths(self) -> list[str]:
        """Host paths whose appearance inside the agent would reveal the operator's layout.

        The state dir and the suite's directory, the home directory, and the state dir's
        tail (in case its file system is mounted elsewhere, mountinfo shows a bind's path
        relative to that file system's root).
        """
        assert self.plan is not None
        state = self.plan.state_dir
        return [str(state), str(self.directory), f"{Path.home()}/", "/".join(state.parts[-3:])]

    def internal_network(self) -> str:
        return f"{self.project_name}_internal"

    # ------------------------------------------------------------------ rendering

    def _manifests(self) -> ManifestIndex:
        root = self.directory / "manifests"
        (root / "agents").mkdir(parents=True, exist_ok=True)
        (root / "bottles").mkdir(parents=True, exist_ok=True)
        (root / "agents" / "escape.md").write_text(AGENT_MANIFEST)
        bottle = {
            "description": "the escape suite's bottle: exact test hosts, every policy block",
            "routes": self.routes()["routes"],
            "secrets": {
                "INJECT": "BB_ESCAPE_INJECT",
                **{n.removeprefix("EGRESS_TOKEN_"): f"BB_{n}" for n in self.secrets_env},
            },
            "resources": self.resources or {"memory": "512m", "pids": 512},
            "supervise": True,
        }
        (root / "bottles" / "escape.md").write_text(f"---\n{yaml.safe_dump(bottle)}---\n")
        return ManifestIndex([root])

    def _plan(self) -> BottlePlan:
        environ = {
            **os.environ,
            "BB_ESCAPE_INJECT": self.inject_token,
            **{f"BB_{n}": v for n, v in self.secrets_env.items()},
        }
        spec = BottleSpec(agent="escape", index=self._manifests())
        plan = BottlePlan.resolve(
            spec,
            environ=environ,
            image_for=resolve_image,  # the CLI's own choice of image per component
            # <state>/bottles/<slug>, as `bb start` lays it out: `bb queue` finds it there.
            state_dir=lambda slug: self.directory / "state" / "bottles" / slug,
            host=HostIdentity(os.getuid(), os.getgid()),
        )
        return dataclasses.replace(plan, test_egress_subnet=self.egress_subnet)

    def overlay(self, project: dict[str, Any]) -> dict[str, Any]:
        """The test-only additions to the CLI's project (module docstring)."""
        services = project["services"]
        observer = {"image": OBSERVER_IMAGE, "volumes": ["testca:/testca"], "init": True}
        services["sink"] = {
            **observer,
            "command": ["python3", "sink.py"],
            "networks": {"egress": {"ipv4_address": self.sink_ip}},
            "healthcheck": _file_exists("/testca/ca.pem"),
        }
        services["resolver"] = {
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
        }
        egress = services[EGRESS_SERVICE]
        egress["dns"] = [self.resolver_ip]
        if os.environ.get(EGRESS_IMAGE_VAR):  # run the suite against another (older) proxy
            egress["image"] = os.environ[EGRESS_IMAGE_VAR]
        # A held request waits this long for the operator (default 300 s): no operator here.
        egress["environment"][HELD_TIMEOUT_VAR] = str(HELD_TIMEOUT_SECONDS)
        egress["command"] = [
            "run",
            "--upstream-ca",
            "/testca/ca.pem",
            "--allow-destination",
            f"{self.sink_ip}/32",
        ]
        egress["volumes"] = [*egress["volumes"], "testca:/testca:ro"]
        egress["depends_on"] = {
            "sink": {"condition": "service_healthy"},
            "resolver": {"condition": "service_healthy"},
        }
        project.setdefault("volumes", {})["testca"] = {}
        return project

    # ------------------------------------------------------------------ lifecycle

    def compose(self, *args: str, timeout: float = 300, stdin: str | None = None) -> str:
        compose_file = str(self.directory / "compose.yaml")
        return run(
            ["docker", "compose", "-p", self.project_name, "-f", compose_file, *args],
            timeout=timeout,
            stdin=stdin,
            env=self.env,
        )

    def up(self) -> None:
        """As ``ComposeBackend.start``: engine, state, sidecars, network, agent, asserted."""
        version = run(["docker", "version", "--format", "{{.Server.Version}}"]).strip()
        _raise(check_engine_version(version), "engine")
        self.plan = self._plan()
        self.name = self.project_name
        self.engine = ComposeBackend().engine_facts(self.plan)
        prepare_state_dir(self.plan, self.engine)
        project = self.overlay(render_project(self.plan, self.engine))
        (self.directory / "compose.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        self.env = compose_environment(self.plan)
        sidecars = [s for s in project["services"] if s != AGENT_SERVICE]
        self.compose("up", "-d", "--wait", "--wait-timeout", "120", *sidecars)
        self._assert_network()
        self.compose("create", "--no-recreate", AGENT_SERVICE)
        self._assert_agent()
        cli_services = [s for s in sidecars if s in ("egress", "supervise", "gitgate", "watchdog")]
        services = [*cli_services, "agent"]
        _raise(limit_problems(default_engine(), self.plan, services, self.engine), "limits")
        self.compose("up", "-d", "--wait", "--wait-timeout", "60", AGENT_SERVICE)
        self._assert_agent()

    def assert_launcher(self) -> None:
        """Re-check the running bottle with the CLI's own launcher assertions."""
        self._assert_network()
        self._assert_agent()

    def _assert_network(self) -> None:
        network = json.loads(run(["docker", "network", "inspect", self.internal_network()]))[0]
        _raise(check_network(network), "network")

    def _assert_agent(self) -> None:
        info = json.loads(run(["docker", "inspect", self.container("agent")]))[0]
        _raise(check_agent(info, self.internal_network()), "agent")

    def down(self) -> None:
        if self.plan is None:
            return
        with contextlib.suppress(BottleError):
            self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=120)

    def exec(
        self, service: str, script: str, *, stdin: str | None = None, timeout: float = 300
    ) -> str:
        return run(
            ["docker", "exec", "-i", self.container(service), "sh", "-c", script],
            timeout=timeout,
            stdin=stdin,
        )

    def read(self, service: str, path: str) -> str:
        """A file inside a service's container ('' when it does not exist yet)."""
        return self.exec(service, f"cat {path} 2>/dev/null || true")

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


def _raise(problems: list[str], what: str) -> None:
    if problems:
        raise BottleError(f"launcher assertion failed ({what}): {'; '.join(problems)}")


def new_bottle(directory: Path) -> Bottle:
    """A CLI-rendered bottle in ``directory`` (subnet and secrets drawn fresh)."""
    return Bottle(directory, name=f"pending{secrets.token_hex(3)}")

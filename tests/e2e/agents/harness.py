"""One real agent bottle (claude or codex) wired to the mock provider, started as ``bb`` does.

The bottle is resolved from test manifests into a `BottlePlan` and started by the CLI's own
``_launch`` (record, launcher assertions, the compose backend); the runtime runs through
``run_planned``, the code behind ``bb run``. The only test hook is the plan's
``test_compose_overlay`` (never a command-line flag), which adds on the egress side:

* the mock provider (`mock_provider.py`), serving every name with a leaf of its own CA;
* the escape suite's logging resolver answering every name with the mock's address; only
  the egress container uses it;
* on the egress service: ``--upstream-ca`` the mock's CA and ``--allow-destination`` the
  mock's single address.

So the CLIs reach ``api.anthropic.com``/``api.openai.com`` by their real names, through
the proxy, which injects the real key; nothing in the agent changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ESCAPE = Path(__file__).resolve().parents[1] / "escape"
sys.path.insert(0, str(ESCAPE))

from escape_harness.bottle import OBSERVER_IMAGE, build_observer_image  # noqa: E402

from bb_cli.backends.compose.render import SUPERVISE_URL  # noqa: E402
from bb_cli.images import resolve_image  # noqa: E402
from bb_cli.manifests.index import ManifestIndex  # noqa: E402
from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity  # noqa: E402
from bb_cli.runtimes import seed_files  # noqa: E402
from bb_protocol.paths import bottle_dir  # noqa: E402

__all__ = ["KEY_VAR", "NOTES", "AgentBottle", "build_observer_image"]

HERE = Path(__file__).resolve().parent
KEY_VAR = {"claude": "ANTHROPIC_API_KEY", "codex": "OPENAI_API_KEY"}
PROVIDER = {"claude": "api.anthropic.com", "codex": "api.openai.com"}
CODEX_TEST_MODEL = os.environ.get("BB_TEST_CODEX_MODEL", "")
NOTES = "bbnotes-private-file-5b1c: the contents of a file the agent must not send out\n"

AGENT = """---
bottle: agents-e2e
runtime: {runtime}
description: the agent e2e test's {runtime}
---
You are an agent under test. Follow the model's tool calls.
"""


def _run(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args[:5])}: {done.returncode}: {done.stderr[-2000:]}")
    return done


@dataclass
class AgentBottle:
    """A started bottle for ``runtime`` with the mock provider behind its proxy."""

    runtime: str
    directory: Path
    key: str = field(default_factory=lambda: "sk-e2e-realkey-" + secrets.token_hex(16))
    octet: int = field(default_factory=lambda: 100 + secrets.randbelow(100))
    third: int = field(default_factory=lambda: secrets.randbelow(250))
    plan: BottlePlan | None = None
    bottle_extra: dict[str, Any] = field(default_factory=dict)
    """Extra bottle-manifest settings (the gateway recipe's env and routes)."""
    allow_mock_address: bool = True
    """Open the mock's private address with the test-only ``--allow-destination``; the
    gateway recipe turns it off and relies on its route's ``private_network`` instead."""

    @property
    def subnet(self) -> str:
        return f"10.{self.octet}.{self.third}.0/24"

    @property
    def mock_ip(self) -> str:
        return f"10.{self.octet}.{self.third}.10"

    @property
    def resolver_ip(self) -> str:
        return f"10.{self.octet}.{self.third}.53"

    @property
    def provider(self) -> str:
        return PROVIDER[self.runtime]

    @property
    def state_env(self) -> dict[str, str]:
        return {"BOT_BOTTLE_STATE_DIR": str(self.directory / "state")}

    # ------------------------------------------------------------------ plan

    def _index(self) -> ManifestIndex:
        root = self.directory / "manifests"
        (root / "agents").mkdir(parents=True, exist_ok=True)
        (root / "bottles").mkdir(parents=True, exist_ok=True)
        (root / "agents" / f"{self.runtime}.md").write_text(AGENT.format(runtime=self.runtime))
        bottle = {
            "description": "agent e2e bottle: only the provider route",
            "resources": {"memory": "2g", "pids": 1024},
            "supervise": True,
            **self.bottle_extra,
        }
        (root / "bottles" / "agents-e2e.md").write_text(f"---\n{yaml.safe_dump(bottle)}---\n")
        return ManifestIndex([root])

    def overlay(self, project: dict[str, Any]) -> dict[str, Any]:
        """The test-only services and egress settings (module docstring)."""
        services = project["services"]
        health = {"interval": "1s", "timeout": "3s", "retries": 60}
        services["mock"] = {
            "image": OBSERVER_IMAGE,
            "init": True,
            "command": ["python3", "/opt/mock/mock_provider.py"],
            "volumes": ["testca:/testca", f"{HERE}:/opt/mock:ro"],
            "networks": {"egress": {"ipv4_address": self.mock_ip}},
            "healthcheck": {"test": ["CMD", "test", "-s", "/log/mock.jsonl"], **health},
        }
        services["resolver"] = {
            "image": OBSERVER_IMAGE,
            "init": True,
            "command": ["python3", "resolver.py", "--answer", self.mock_ip],
            "networks": {"egress": {"ipv4_address": self.resolver_ip}},
            "healthcheck": {"test": ["CMD", "test", "-s", "/log/dns.jsonl"], **health},
        }
        egress = services["egress"]
        egress["dns"] = [self.resolver_ip]
        egress["command"] = ["run", "--upstream-ca", "/testca/ca.pem"]
        if self.allow_mock_address:
            egress["command"] += ["--allow-destination", f"{self.mock_ip}/32"]
        egress["volumes"] = [*egress["volumes"], "testca:/testca:ro"]
        egress["depends_on"] = {
            **egress.get("depends_on", {}),
            "mock": {"condition": "service_healthy"},
            "resolver": {"condition": "service_healthy"},
        }
        project.setdefault("volumes", {})["testca"] = {}
        return project

    def make_plan(self) -> BottlePlan:
        """The plan ``bb start`` would resolve, plus the test overlay (not started)."""
        spec = BottleSpec(agent=self.runtime, index=self._index())
        plan = BottlePlan.resolve(
            spec,
            environ={KEY_VAR[self.runtime]: self.key},
            image_for=resolve_image,  # type: ignore[arg-type]
            state_dir=bottle_dir,
            host=HostIdentity(os.getuid(), os.getgid()),
        )
        self.plan = dataclasses.replace(
            plan, test_egress_subnet=self.subnet, test_compose_overlay=self.overlay
        )
        return self.plan

    def start(self) -> None:
        """Resolve the plan (with the overlay) and start it with the CLI's own launcher."""
        from bb_cli.commands.bottles import _launch
        from bb_cli.lifecycle import LaunchRequest

        _launch(LaunchRequest(self.runtime, planned=self.make_plan()), as_json=False)
        self.prepare()

    def prepare(self) -> None:
        """Test fixtures inside the running agent (a private file; Codex's test model)."""
        self.sh("agent", f"printf %s {NOTES!r} > /workspace/notes.txt")
        if self.runtime == "codex" and CODEX_TEST_MODEL:
            # Codex's default model gets "code mode" (one JavaScript ``exec`` tool calling
            # the others); the mock scripts both that and the classic function tools, and
            # BB_TEST_CODEX_MODEL (e.g. gpt-5.1-codex) pins a model with the latter.
            config = seed_files("codex", SUPERVISE_URL)[".codex/config.toml"]
            text = f'model = "{CODEX_TEST_MODEL}"\n' + config
            self.sh(
                "agent",
                f"mkdir -p ~/.codex && printf %s {shlex.quote(text)} > ~/.codex/config.toml",
            )

    def stop(self) -> None:
        if self.plan is None:
            return
        with contextlib.suppress(Exception):
            self.bb("rm", "-f", self.plan.slug)

    # ------------------------------------------------------------------ driving

    def bb(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run([sys.executable, "-m", "bb_cli", *args], env=self.state_env, check=check)

    def container(self, service: str) -> str:
        assert self.plan is not None
        if service == "agent":
            return self.plan.agent_container
        return f"bb-{self.plan.slug}-{service}-1"

    def sh(self, service: str, script: str, *, user: str | None = None) -> str:
        args = [
            "docker",
            "exec",
            *(["-u", user] if user else []),
            self.container(service),
            "sh",
            "-c",
            script,
        ]
        return _run(args, timeout=180).stdout

    def run_agent(self, prompt: str, *, timeout: float = 240) -> tuple[int, str, str]:
        """``bb run``'s code path in a subprocess (its stdout is the runtime's)."""
        assert self.plan is not None
        code = (
            "import pickle, sys\n"
            "from bb_cli.commands.run import run_planned\n"
            "plan = pickle.loads(sys.stdin.buffer.read())\n"
            "sys.exit(run_planned(plan, sys.argv[1]))\n"
        )
        import pickle

        plan = dataclasses.replace(self.plan, test_compose_overlay=None)
        done = subprocess.run(
            [sys.executable, "-c", code, prompt],
            input=pickle.dumps(plan),
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **self.state_env},
        )
        return done.returncode, done.stdout.decode(), done.stderr.decode()

    def mock_log(self) -> list[dict[str, Any]]:
        text = self.sh("mock", "cat /log/mock.jsonl")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def dns_names(self) -> list[str]:
        text = self.sh("resolver", "cat /log/dns.jsonl")
        return [json.loads(line).get("name", "") for line in text.splitlines() if line.strip()]

    def audit(self) -> list[dict[str, Any]]:
        assert self.plan is not None
        path = self.plan.state_dir / "logs" / "egress-audit.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines if line.strip()]

    def main_requests(self, scenario: str) -> list[dict[str, Any]]:
        return [r for r in self.mock_log() if r.get("main") and r.get("scenario") == scenario]

    @contextlib.contextmanager
    def operator_approving(self) -> Iterator[list[str]]:
        """Approve every pending proposal with ``bb queue approve`` while the block runs."""
        approved: list[str] = []
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(0.5):
                listing = self.bb("queue", "list", "--json", check=False)
                if listing.returncode != 0:
                    continue
                for item in json.loads(listing.stdout or "[]"):
                    ident = item.get("id") or item.get("proposal_id")
                    if not ident or ident in approved:
                        continue
                    if self.bb("queue", "approve", ident, check=False).returncode == 0:
                        approved.append(ident)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield approved
        finally:
            stop.set()
            thread.join(timeout=30)

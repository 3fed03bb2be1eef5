"""`SmolvmBackend`: the agent in a smolmachines microVM, the sidecars on docker compose.

The sidecars are the compose render minus the agent (`split_project`), run by the same
`Docker` wrapper the compose backend uses, so ``bb queue`` reloads them the same way. The
agent VM is driven with ``smolvm machine ...`` (smol-machines/smolvm README and docs).
Two of the tool's constraints shape ``exec``:

* the exec channel must not carry a non-pipe stdout (a redirected file fails), so a
  non-interactive exec always reads the VM's output through a pipe and copies it out;
* there is no concurrent exec on one machine: every exec is preceded by a probe
  (``true``) so a busy channel is reported as "concurrent exec not available" instead of
  an empty error.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from bb_cli.backends.base import BottleBackend, BottleStatus, Progress
from bb_cli.backends.compose.render import compose_environment, project_name, render_project
from bb_cli.backends.smolvm.render import machine_name, split_project
from bb_cli.backends.state_dir import prepare_state_dir
from bb_cli.backends.tool import Tool, ToolError, describe_failure
from bb_cli.engine import DockerCommandError, Engine, default_engine
from bb_cli.errors import BackendError, StartError
from bb_cli.plan import BottlePlan
from bb_protocol.paths import bottle_dir

__all__ = ["SIDECARS_FILE", "SmolvmBackend"]

SIDECARS_FILE = "sidecars.compose.yaml"
_TEMP_DIRS = ["/tmp", "/var/tmp"]  # noqa: S108 - the guest's own temp dirs, recreated
INIT_COMMANDS = (["mkdir", "-p", *_TEMP_DIRS], ["chmod", "1777", *_TEMP_DIRS])
"""Run once the VM is up: a snapshot excludes the temp dirs, so they are made fresh."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmolvmBackend(BottleBackend):
    """Runs the agent with ``smolvm`` and the sidecars with ``docker compose``."""

    name = "smolvm"

    def __init__(self, tool: Tool | None = None, docker: Engine | None = None) -> None:
        self.tool = tool or Tool("smolvm")
        self.docker = docker or default_engine()

    # ------------------------------------------------------------------ start

    def start(self, plan: BottlePlan, progress: Progress) -> None:
        """Sidecars up and healthy, then the VM created, started and initialised."""
        progress("write bottle state", "start")
        prepare_state_dir(plan)
        ports = {"egress": _free_port(), "supervise": _free_port()}
        sidecars, machine = split_project(
            render_project(plan), plan.slug, compose_environment(plan), ports
        )
        compose = plan.state_dir / SIDECARS_FILE
        compose.write_text(yaml.safe_dump(sidecars, sort_keys=False), encoding="utf-8")
        progress("write bottle state", "done")
        project, env = project_name(plan.slug), compose_environment(plan)
        step = "start sidecars"
        try:
            progress(step, "start")
            self.docker.compose(
                project, compose, "up", "-d", "--wait", "--wait-timeout", "120", env=env
            )
            progress(step, "done")
            step = "start agent VM"
            progress(step, "start")
            self.tool.run("machine", "delete", machine.name, "-f", check=False, timeout=120)
            self.tool.run(*machine.create_argv(), timeout=600)
            self.tool.run("machine", "start", "--name", machine.name, timeout=300)
            for command in INIT_COMMANDS:
                self._exec_captured(plan.slug, command)
            progress(step, "done")
        except (ToolError, DockerCommandError, BackendError) as exc:
            self.tool.run("machine", "delete", machine.name, "-f", check=False, timeout=120)
            self.docker.compose(
                project, compose, "down", "--volumes", "--timeout", "5", check=False, timeout=180
            )
            raise StartError(step, str(exc), "run `bb doctor`") from None

    # ------------------------------------------------------------------ exec

    def _probe(self, slug: str) -> None:
        """Fail clearly when the machine's exec channel is busy or the machine is down."""
        done = self.tool.run(
            "machine", "exec", "--name", machine_name(slug), "--", "true", check=False, timeout=60
        )
        if done.returncode != 0:
            detail = describe_failure(
                ["smolvm", "machine", "exec", "--name", machine_name(slug), "--", "true"],
                done.returncode,
                done.stderr,
            )
            raise BackendError(
                f"concurrent exec not available on {machine_name(slug)} (another exec is "
                f"running, or the machine is down): {detail}"
            )

    def _exec_captured(self, slug: str, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self._probe(slug)
        return self.tool.run(
            "machine", "exec", "--name", machine_name(slug), "--", *argv, timeout=600
        )

    def exec(self, slug: str, argv: Sequence[str], *, tty: bool) -> int:
        """Probe, then exec; without a terminal, output is relayed through a pipe."""
        self._probe(slug)
        if tty:
            return self.tool.interactive(
                "machine", "exec", "--name", machine_name(slug), "-i", "-t", "--", *argv
            )
        path = self.tool.path
        assert path is not None  # _probe ran the tool
        with subprocess.Popen(
            [path, "machine", "exec", "--name", machine_name(slug), "-i", "--", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as proc:
            assert proc.stdout is not None
            assert proc.stderr is not None
            shutil.copyfileobj(proc.stdout, sys.stdout.buffer)
            err = proc.stderr.read()
        sys.stdout.flush()
        sys.stderr.buffer.write(err)
        return proc.returncode

    def attach(self, slug: str, argv: Sequence[str]) -> int:
        """The runtime on a terminal (``-t`` forwards window resizes)."""
        return self.exec(slug, argv, tty=True)

    # ------------------------------------------------------------------ others

    def _compose_file(self, slug: str) -> Path:
        path = bottle_dir(slug) / SIDECARS_FILE
        if not path.is_file():
            raise BackendError(f"bottle {slug} has no {SIDECARS_FILE} at {path}")
        return path

    def status(self, slug: str) -> BottleStatus:
        """The VM's state (``machine status --json``) and the sidecars' (``docker ps``)."""
        containers: dict[str, str] = {}
        out = self.docker.run(
            "ps",
            "-a",
            "--filter",
            f"label=com.docker.compose.project={project_name(slug)}",
            "--format",
            "{{json .}}",
            timeout=30,
        ).stdout
        for line in out.splitlines():
            row = json.loads(line)
            labels = dict(
                item.split("=", 1) for item in str(row.get("Labels", "")).split(",") if "=" in item
            )
            containers[labels.get("com.docker.compose.service", row["Names"])] = str(row["State"])
        done = self.tool.run(
            "machine", "status", "--name", machine_name(slug), "--json", check=False, timeout=30
        )
        if done.returncode == 0:
            containers["agent"] = str(json.loads(done.stdout).get("state", "unknown"))
        states = set(containers.values())
        if not containers:
            state = "absent"
        elif states == {"running"} and "agent" in containers:
            state = "running"
        elif "running" in states:
            state = "partial"
        else:
            state = "stopped"
        return BottleStatus(slug=slug, state=state, containers=containers)

    def logs(
        self,
        slug: str,
        components: Sequence[str],
        *,
        follow: bool,
        tail: int | None = None,
        since: str | None = None,
    ) -> int:
        """Sidecar logs from compose; the agent VM's console is not kept by smolvm."""
        if list(components) == ["agent"]:
            print("the smolvm backend keeps no agent log; use `bb attach`", file=sys.stderr)
            return 1
        args = [
            "compose",
            "-p",
            project_name(slug),
            "-f",
            str(self._compose_file(slug)),
            "logs",
            "--no-color",
            *(["-f"] if follow else []),
        ]
        args += ["--tail", str(tail)] if tail is not None else []
        args += ["--since", since] if since else []
        return self.docker.interactive(*args, *(c for c in components if c != "agent"))

    def stop(self, slug: str) -> None:
        """Stop the VM (its disk is kept) and the sidecars."""
        try:
            self.tool.run("machine", "stop", "--name", machine_name(slug), timeout=120)
            self.docker.compose(
                project_name(slug), self._compose_file(slug), "stop", "--timeout", "10"
            )
        except (ToolError, DockerCommandError) as exc:
            raise BackendError(str(exc)) from None

    def remove(self, slug: str) -> None:
        """Delete the VM and take the sidecars down with their volumes."""
        try:
            self.tool.run("machine", "delete", machine_name(slug), "-f", timeout=120, check=False)
            self.docker.compose(
                project_name(slug),
                self._compose_file(slug),
                "down",
                "--volumes",
                "--remove-orphans",
                "--timeout",
                "10",
                timeout=180,
            )
        except (ToolError, DockerCommandError) as exc:
            raise BackendError(str(exc)) from None

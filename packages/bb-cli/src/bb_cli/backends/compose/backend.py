"""`ComposeBackend`: one Docker Compose project per bottle, asserted after start.

``start`` runs named steps; each failure becomes a `StartError` naming the step and the
fix. Bring-up order makes the launcher assertions count: the whole project is *created*
(networks and containers, nothing running), the internal network and the agent's
configuration are checked, then the sidecars start and become healthy, then the agent
starts and is checked again. Any failure tears the whole project down (containers,
networks, volumes) before raising.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bb_cli.backends.base import BottleBackend, BottleStatus, Progress
from bb_cli.backends.compose.checks import (
    check_agent,
    check_agent_env,
    check_engine_version,
    check_limits,
    check_network,
    check_pid_namespace,
    check_runtime,
    check_runtime_registered,
)
from bb_cli.backends.compose.limits import EngineFacts, Role, container_limits, log_rotation
from bb_cli.backends.compose.render import (
    WATCHDOG_SERVICE,
    compose_environment,
    project_name,
)
from bb_cli.backends.state_dir import COMPOSE_FILE, prepare_state_dir, refuse_root_sidecars
from bb_cli.engine import DockerCommandError, Engine, default_engine
from bb_cli.errors import BackendError, LauncherAssertionError, StartError
from bb_cli.names import agent_container
from bb_cli.plan import BottlePlan
from bb_protocol.layout import WORKSPACE, gate_url
from bb_protocol.paths import bottle_dir

__all__ = [
    "ComposeBackend",
    "bottle_statuses",
    "limit_problems",
    "prepare_state_dir",
    "refuse_root_sidecars",
]


def limit_problems(
    docker: Engine, plan: BottlePlan, services: Sequence[Role], engine: EngineFacts
) -> list[str]:
    """Every container carries the rendered limits, log rotation and read-only root; the
    agent sits in the watchdog's PID namespace when the watchdog runs (list it first)."""
    project = project_name(plan.slug)
    resources = plan.manifest.bottle.resources
    problems: list[str] = []
    ids: dict[str, str] = {}
    for service in services:
        container = docker.service_container(project, service)
        if container is None:
            problems.append(f"{service}: no container was created")
            continue
        ids[service] = container
        info = docker.inspect("container", container)
        limits = container_limits(service, resources, engine)
        problems += check_limits(info, limits, log_rotation(resources), read_only=True)
        if service == "agent" and WATCHDOG_SERVICE in ids:
            problems += check_pid_namespace(info, ids[WATCHDOG_SERVICE])
    return problems


def bottle_statuses(ps_json_lines: str, slugs: Sequence[str]) -> dict[str, BottleStatus]:
    """Each of ``slugs``' status from ``docker ps --format '{{json .}}'`` output.

    Containers are matched to bottles by their compose project label; containers of
    other projects are ignored, and a bottle with none is ``absent``.
    """
    by_project = {project_name(slug): slug for slug in slugs}
    containers: dict[str, dict[str, str]] = {slug: {} for slug in slugs}
    for line in ps_json_lines.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        labels = dict(
            item.split("=", 1) for item in str(row.get("Labels", "")).split(",") if "=" in item
        )
        slug = by_project.get(labels.get("com.docker.compose.project", ""))
        if slug is None:
            continue
        service = labels.get("com.docker.compose.service", str(row["Names"]))
        containers[slug][service] = str(row["State"])
    out = {}
    for slug, states in containers.items():
        if not states:
            state = "absent"
        elif all(s == "running" for s in states.values()):
            state = "running"
        elif any(s == "running" for s in states.values()):
            state = "partial"
        else:
            state = "stopped"
        out[slug] = BottleStatus(slug=slug, state=state, containers=states)
    return out


class ComposeBackend(BottleBackend):
    """Runs bottles with ``docker compose``."""

    name = "compose"

    def __init__(self, docker: Engine | None = None) -> None:
        self.docker = docker or default_engine()
        self._engine = EngineFacts(docker=True)

    # ------------------------------------------------------------------ start

    @contextmanager
    def _step(self, progress: Progress, step: str, fix: str) -> Iterator[None]:
        progress(step, "start")
        try:
            yield
        except DockerCommandError as exc:
            raise StartError(step, str(exc), fix) from None
        except OSError as exc:
            raise StartError(step, str(exc), fix) from None
        progress(step, "done")

    def start(self, plan: BottlePlan, progress: Progress) -> None:
        """Render, bring up, assert; tear down and raise on any failure after creation."""
        project = project_name(plan.slug)
        with self._step(progress, "check engine", "install Docker Engine >= 28 (`bb doctor`)"):
            problems = check_engine_version(self.docker.server_version())
            if problems:
                raise StartError("check engine", "; ".join(problems), "upgrade Docker Engine")
            engine = self._engine = self.engine_facts(plan)
        with self._step(progress, "write bottle state", f"check permissions of {plan.state_dir}"):
            compose = prepare_state_dir(plan, engine)
        env = compose_environment(plan)
        try:
            sidecars: list[Role] = ["egress"]
            sidecars += ["supervise"] if plan.manifest.bottle.supervise else []
            sidecars += ["gitgate"] if plan.manifest.agent.repos else []
            sidecars += [] if engine.volume_quota else ["watchdog"]
            with self._step(progress, "create bottle", "check the images (`bb doctor`)"):
                self.docker.compose(project, compose, "create", env=env)
            with self._step(progress, "assert network", "use Docker Engine >= 28 on Linux"):
                self._assert(
                    check_network(self.docker.inspect("network", f"{project}_internal")),
                    "assert network",
                )
            with self._step(progress, "assert agent", "report this: the render is wrong"):
                self._assert_agent(plan, "assert agent (created, not started)")
            with self._step(progress, "assert limits", "report this: the render is wrong"):
                self._assert_limits(plan, [*sidecars, "agent"])
            with self._step(
                progress,
                "start sidecars",
                "check the sidecar images (`bb doctor`, `bb images build`); logs are below",
            ):
                self.docker.compose(
                    project,
                    compose,
                    "up",
                    "-d",
                    "--no-recreate",
                    "--wait",
                    "--wait-timeout",
                    "120",
                    *sidecars,
                    env=env,
                )
            with self._step(progress, "start agent", f"see `bb logs {plan.slug}`"):
                self.docker.run("start", plan.agent_container, timeout=60)
                info = self._assert_agent(plan, "assert agent (running)")
                if not (info.get("State") or {}).get("Running"):
                    raise StartError("start agent", "the agent container is not running")
            if plan.manifest.agent.repos:
                with self._step(progress, "clone repos", "check the repo urls and the gate logs"):
                    self._clone_repos(plan)
        except StartError as exc:
            tail = self.docker.compose(
                project, compose, "logs", "--no-color", "--tail", "15", check=False, timeout=60
            )
            teardown = self._down(project, compose)
            detail = exc.detail
            if tail.stdout.strip():
                detail += f"\n  last logs:\n{tail.stdout}"
            if teardown:
                detail += f"\n  TEARDOWN FAILED ({teardown}); run `bb rm {plan.slug}`"
            raise type(exc)(exc.step, detail, exc.fix) from None

    def _clone_repos(self, plan: BottlePlan) -> None:
        """Clone each repo through the gate into ``/workspace`` (kept across resumes)."""
        for repo in plan.manifest.agent.repos:
            branch = ["-b", repo.branch] if repo.branch else []
            self.docker.run(
                "exec",
                plan.agent_container,
                "sh",
                "-c",
                'dir=$1; shift; test -d "$dir/.git" || git clone "$@"',
                "sh",
                f"{WORKSPACE}/{repo.name}",
                *branch,
                "--",
                gate_url(repo.name),
                f"{WORKSPACE}/{repo.name}",
                timeout=600,
            )

    def _assert(self, problems: list[str], step: str) -> None:
        if problems:
            raise LauncherAssertionError(
                step,
                "the bottle is not as hardened as rendered (" + "; ".join(problems) + "); "
                "it has been torn down",
                "run `bb doctor`; report this if the engine is supported",
            )

    def _assert_agent(self, plan: BottlePlan, step: str) -> dict[str, Any]:
        info = self.docker.inspect("container", plan.agent_container)
        # Nothing of the state dir (approval key, queue, and its very path: mountinfo).
        forbidden = [str(plan.state_dir)]
        problems = check_agent(info, f"{project_name(plan.slug)}_internal", forbidden)
        problems += check_agent_env(info, plan.egress.egress_env)
        problems += check_runtime(info, plan.manifest.bottle.runtime)
        self._assert(problems, step)
        return info

    def engine_facts(self, plan: BottlePlan) -> EngineFacts:
        """CPU count, registered runtimes and volume quota support, before anything exists;
        an unregistered runtime is refused here (never replaced by the default)."""
        info = self.docker.info()
        wanted = plan.manifest.bottle.runtime
        problems = check_runtime_registered(info.get("Runtimes") or {}, wanted)
        if problems:
            raise StartError(
                "check engine",
                "; ".join(problems),
                f'register {wanted!r} in /etc/docker/daemon.json "runtimes" and reload '
                "dockerd (SIGHUP), or remove `runtime:` from the bottle; `bb doctor` lists them",
            )
        ncpu = info.get("NCPU")
        return EngineFacts(
            cpus=ncpu if isinstance(ncpu, int) and ncpu > 0 else None,
            volume_quota=self.docker.volume_quota(),
            docker=True,
        )

    def _assert_limits(self, plan: BottlePlan, services: Sequence[Role]) -> None:
        self._assert(limit_problems(self.docker, plan, services, self._engine), "assert limits")

    def _down(self, project: str, compose: Path) -> str:
        """Remove the project (one retry); '' when done, else what failed."""
        error = ""
        for _ in range(2):
            try:
                self.docker.compose(
                    project,
                    compose,
                    "down",
                    "--volumes",
                    "--remove-orphans",
                    "--timeout",
                    "5",
                    timeout=180,
                )
            except DockerCommandError as exc:
                error = str(exc)
            else:
                return ""
        return error

    # ------------------------------------------------------------------ others

    def _compose_file(self, slug: str) -> Path:
        path = bottle_dir(slug) / COMPOSE_FILE
        if not path.is_file():
            raise BackendError(f"bottle {slug} has no {COMPOSE_FILE} at {path}")
        return path

    def status(self, slug: str) -> BottleStatus:
        """Container states by service, from the compose labels."""
        out = self.docker.run(
            "ps",
            "-a",
            "--filter",
            f"label=com.docker.compose.project={project_name(slug)}",
            "--format",
            "{{json .}}",
            timeout=30,
        ).stdout
        return bottle_statuses(out, [slug])[slug]

    def statuses(self, slugs: Sequence[str]) -> dict[str, BottleStatus]:
        """Every bottle's status from one ``docker ps`` (not one per bottle)."""
        out = self.docker.run(
            "ps",
            "-a",
            "--filter",
            "label=com.docker.compose.project",
            "--format",
            "{{json .}}",
            timeout=60,
        ).stdout
        return bottle_statuses(out, slugs)

    def exec(self, slug: str, argv: Sequence[str], *, tty: bool) -> int:
        """``docker exec`` into ``bot-bottle-<slug>``."""
        flags = ["-it"] if tty else ["-i"]
        return self.docker.interactive("exec", *flags, agent_container(slug), *argv)

    def attach(self, slug: str, argv: Sequence[str]) -> int:
        """The runtime's command in the agent container, with a terminal."""
        return self.exec(slug, argv, tty=True)

    def logs(
        self,
        slug: str,
        components: Sequence[str],
        *,
        follow: bool,
        tail: int | None = None,
        since: str | None = None,
    ) -> int:
        """``docker compose logs`` of the services (all when none named), prefixed by service."""
        compose = self._compose_file(slug)
        args = ["compose", "-p", project_name(slug), "-f", str(compose), "logs", "--no-color"]
        args += ["-f"] if follow else []
        args += ["--tail", str(tail)] if tail is not None else []
        args += ["--since", since] if since else []
        if len(components) == 1:
            args.append("--no-log-prefix")
        return self.docker.interactive(*args, *components)

    def stop(self, slug: str) -> None:
        """Stop every container of the bottle."""
        try:
            self.docker.compose(
                project_name(slug), self._compose_file(slug), "stop", "--timeout", "10"
            )
        except DockerCommandError as exc:
            raise BackendError(str(exc)) from None

    def remove(self, slug: str) -> None:
        """Remove containers, networks and the bottle's own volumes."""
        if not (bottle_dir(slug) / COMPOSE_FILE).is_file():
            return  # the start failed before anything was created
        try:
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
        except DockerCommandError as exc:
            raise BackendError(str(exc)) from None

"""`AppleContainerBackend`: a bottle as Apple ``container`` containers on one network.

The render is the compose one (`render_project`), translated by `translate_service`;
the host state directory is the same (`prepare_state_dir`), so ``bb queue`` and the TUI
work unchanged. Differences from compose, all from the tool's documented behaviour
(apple/container ``docs/command-reference.md``):

* containers run with ``--rm``, so a stopped bottle has no containers: its state is
  ``stopped`` while its host state exists, and ``bb resume`` re-runs it on the same
  named volumes (``bb-<slug>-home``, ``bb-<slug>-workspace``);
* hardening the tool cannot express is listed in one warning at start (`UNSUPPORTED_KEYS`);
* the proxy reloads on ``container kill --signal HUP``.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence

from bb_cli.backends.apple_container.translate import (
    RunSpec,
    agent_name,
    network_name,
    service_name,
    translate_service,
    volume_name,
)
from bb_cli.backends.base import BottleBackend, BottleStatus, Progress
from bb_cli.backends.compose.render import compose_environment, render_project
from bb_cli.backends.state_dir import prepare_state_dir
from bb_cli.backends.tool import Tool, ToolError
from bb_cli.errors import BackendError, StartError
from bb_cli.plan import BottlePlan
from bb_protocol.paths import bottle_dir

__all__ = ["AppleContainerBackend", "ContainerReloadSignal"]

SERVICE_ORDER = ("egress", "supervise", "gitgate", "agent")
VOLUMES = ("home", "workspace")


class AppleContainerBackend(BottleBackend):
    """Runs bottles with Apple's ``container`` CLI (macOS on Apple silicon)."""

    name = "apple-container"

    def __init__(self, tool: Tool | None = None, warn: Callable[[str], None] | None = None) -> None:
        self.tool = tool or Tool("container")
        self.warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))

    def specs(self, plan: BottlePlan) -> list[RunSpec]:
        """The ``container run`` of each service, sidecars first."""
        services = render_project(plan)["services"]
        values = compose_environment(plan)
        return [
            translate_service(plan.slug, s, services[s], values)
            for s in SERVICE_ORDER
            if s in services
        ]

    def start(self, plan: BottlePlan, progress: Progress) -> None:
        """Network, volumes, sidecars, agent; on failure remove what was created and raise."""
        progress("write bottle state", "start")
        prepare_state_dir(plan)
        progress("write bottle state", "done")
        specs = self.specs(plan)
        dropped = [item for spec in specs for item in spec.unsupported]
        dropped.append("network: internal-only with isolated gateways (a default network is used)")
        if dropped:
            self.warn("Apple container cannot enforce: " + "; ".join(dropped))
        step = "create network"
        try:
            progress(step, "start")
            if network_name(plan.slug) not in self._names("network", "ls"):
                self.tool.run("network", "create", network_name(plan.slug))
            existing = set(self._names("volume", "ls"))
            for volume in VOLUMES:
                if volume_name(plan.slug, volume) not in existing:
                    self.tool.run("volume", "create", volume_name(plan.slug, volume))
            progress(step, "done")
            for spec in specs:
                step = f"start {spec.name}"
                progress(step, "start")
                self.tool.run(*spec.argv, timeout=300)
                progress(step, "done")
        except (ToolError, OSError) as exc:
            self._teardown(plan.slug, keep_volumes=True)
            raise StartError(step, str(exc), "run `bb doctor`; see `container logs`") from None

    def _names(self, kind: str, verb: str) -> list[str]:
        out = self.tool.run(kind, verb, "--format", "json", timeout=30).stdout
        rows = json.loads(out or "[]")
        return [str(r.get("name") or r.get("id")) for r in rows]

    def _containers(self, slug: str) -> dict[str, str]:
        out = self.tool.run("ls", "--all", "--format", "json", timeout=30).stdout
        found: dict[str, str] = {}
        names = {agent_name(slug): "agent"}
        names.update({service_name(slug, s): s for s in SERVICE_ORDER if s != "agent"})
        for row in json.loads(out or "[]"):
            cid = str((row.get("configuration") or {}).get("id", ""))
            if cid in names:
                found[names[cid]] = str(row.get("status", "unknown"))
        return found

    def status(self, slug: str) -> BottleStatus:
        """Running containers by service; a bottle whose containers are gone is ``stopped``."""
        containers = self._containers(slug)
        if not containers:
            state = "stopped" if bottle_dir(slug).is_dir() else "absent"
        elif all(s == "running" for s in containers.values()) and "agent" in containers:
            state = "running"
        else:
            state = "partial"
        return BottleStatus(slug=slug, state=state, containers=containers)

    def exec(self, slug: str, argv: Sequence[str], *, tty: bool) -> int:
        """``container exec`` into the agent."""
        flags = ["--interactive", "--tty"] if tty else ["--interactive"]
        return self.tool.interactive("exec", *flags, agent_name(slug), *argv)

    def attach(self, slug: str, argv: Sequence[str]) -> int:
        """The runtime with a terminal (``container exec -t`` forwards window resizes)."""
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
        """``container logs`` of each component in turn (it cannot interleave several).

        ``since`` is not supported by ``container logs``; following needs one component.
        """
        from bb_cli.errors import BackendError

        names = list(components) or ["agent", *(s for s in SERVICE_ORDER if s != "agent")]
        if since:
            raise BackendError("the apple-container backend cannot filter logs by --since")
        if follow and len(names) > 1:
            raise BackendError("the apple-container backend follows one component: add -c NAME")
        status = 0
        for component in names:
            name = agent_name(slug) if component == "agent" else service_name(slug, component)
            if len(names) > 1:
                print(f"==> {component} <==", flush=True)
            flags = [*(["--follow"] if follow else []), *(["-n", str(tail)] if tail else [])]
            status = self.tool.interactive("logs", *flags, name) or status
        return status

    def stop(self, slug: str) -> None:
        """Stop every container; ``--rm`` removes them, the volumes stay."""
        try:
            self._teardown(slug, keep_volumes=True, strict=True)
        except ToolError as exc:
            raise BackendError(str(exc)) from None

    def remove(self, slug: str) -> None:
        """Containers, network and the bottle's volumes."""
        try:
            self._teardown(slug, keep_volumes=False, strict=True)
        except ToolError as exc:
            raise BackendError(str(exc)) from None

    def reload_signal(self, slug: str) -> ContainerReloadSignal:
        """``container kill --signal HUP`` to the bottle's egress container."""
        return ContainerReloadSignal(slug, self.tool)

    def _teardown(self, slug: str, *, keep_volumes: bool, strict: bool = False) -> None:
        running = self._containers(slug)
        for service in reversed(SERVICE_ORDER):
            if service in running:
                name = agent_name(slug) if service == "agent" else service_name(slug, service)
                self.tool.run("stop", name, timeout=60, check=strict)
                self.tool.run("delete", "--force", name, timeout=60, check=False)
        if keep_volumes:
            return
        with contextlib.suppress(ToolError):
            self.tool.run("network", "delete", network_name(slug), timeout=60, check=False)
            for volume in VOLUMES:
                self.tool.run("volume", "delete", volume_name(slug, volume), check=False)


class ContainerReloadSignal:
    """The `ReloadSignal` for this backend: ``container kill --signal HUP`` to egress."""

    def __init__(self, slug: str, tool: Tool | None = None) -> None:
        self.slug = slug
        self.tool = tool or Tool("container")

    def reload(self) -> None:
        """Signal the proxy; `ReloadError` naming the command if it fails."""
        from bb_cli.applicator.errors import ReloadError

        try:
            self.tool.run("kill", "--signal", "HUP", service_name(self.slug, "egress"), timeout=30)
        except ToolError as exc:
            raise ReloadError(str(exc)) from None

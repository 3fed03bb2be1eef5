"""A bottle's life on this host: resolve its plan, launch it, run a prompt in it, remove it.

What ``bb start``, ``bb resume``, ``bb run`` and ``bb rm`` have in common, with typed inputs
and outputs, so each command is argument parsing plus printing. The order of a launch is
the contract: images resolved (built on first use, pulled by pin on resume), then the
record saved, then deploy keys provisioned, then the backend started; a failed start takes
back the keys it provisioned. A removal takes back the keys first, then the containers,
then moves the host state to ``<state>/removed/`` (the audit trail is never deleted).

Errors are the `bb_cli.errors` tree (`StartError` naming the step); the command layer maps
them once (`bb_cli.commands._common.exit_for`). The engine check (`require_engine`) is the
command's, made before anything here runs. Heavy modules are imported inside functions,
and looked up at call time, so ``bb --help`` stays light and tests can substitute the
backend registry and the image resolver.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bb_cli.applicator import Bottle
    from bb_cli.applicator.reload import ReloadSignal
    from bb_cli.backends.base import Progress
    from bb_cli.engine import Engine
    from bb_cli.images.progress import Reporter
    from bb_cli.plan import BottlePlan
    from bb_cli.state import BottleRecord

__all__ = [
    "LaunchRequest",
    "Launched",
    "Removed",
    "launch",
    "reload_signal_for",
    "remove",
    "resolve_plan",
    "run_prompt",
]


@dataclass(frozen=True)
class LaunchRequest:
    """What to launch: a new bottle of ``agent``, or bottle ``slug`` again."""

    agent: str
    """The agent manifest's name."""
    slug: str | None = None
    """The bottle's slug when resuming (it keeps its slug, volumes and creation time)."""
    observe: bool = False
    """Record refused requests in full (``--observe``); kept by a resume."""
    backend: str = "compose"
    """A key of `bb_cli.backends.registry.BACKENDS`."""
    agent_image: str | None = None
    """Boot this image as the agent (a snapshot made by ``bb commit``)."""
    pinned: Mapping[str, str] = field(default_factory=dict)
    """Component -> image pinned by digest in the record (``bb resume`` runs the same)."""
    planned: BottlePlan | None = None
    """An already-resolved plan (tests with overrides the command line never exposes); only
    what the user chose is recorded, so ``bb resume`` never re-applies an override."""


@dataclass(frozen=True)
class Launched:
    """A running bottle and the record saved for it."""

    plan: BottlePlan
    """The plan the backend started."""
    record: BottleRecord
    """What was saved in the bottle's state directory."""


@dataclass(frozen=True)
class Removed:
    """What removing a bottle did."""

    slug: str
    """The bottle removed."""
    archive: Path
    """Where its host state (audit log, approvals, routes) was moved."""
    snapshot: str | None
    """The snapshot ``bb commit`` asked to keep, kept."""
    deploy_keys_removed: int
    """How many deploy keys were removed from the forges."""

    def as_json(self) -> dict[str, object]:
        """The row ``bb rm --json`` prints."""
        return {
            "slug": self.slug,
            "state": "removed",
            "archive": str(self.archive),
            "snapshot": self.snapshot,
            "deploy_keys_removed": self.deploy_keys_removed,
        }


def resolve_plan(
    agent: str,
    slug: str | None = None,
    observe: bool = False,
    backend: str = "compose",
    pinned: Mapping[str, str] | None = None,
) -> BottlePlan:
    """The bottle ``bb start``/``bb resume`` would launch; `StartError` naming the step."""
    from bb_cli.egress_plan import SecretMissingError
    from bb_cli.errors import StartError
    from bb_cli.images import ImageError, resolve_image
    from bb_cli.images.errors import ImageRefusedError, RegistryError
    from bb_cli.manifests import ManifestIndex
    from bb_cli.plan import BottlePlan, BottleSpec, HostIdentity
    from bb_protocol.paths import bottle_dir
    from bb_protocol.routes import RoutesError

    spec = BottleSpec(
        agent=agent, index=ManifestIndex.default(), slug=slug, backend=backend, observe=observe
    )
    try:
        return BottlePlan.resolve(
            spec,
            environ=os.environ,
            image_for=_pinned_or_resolved(dict(pinned or {}), resolve_image),
            state_dir=bottle_dir,
            host=HostIdentity(os.getuid(), os.getgid()),
        )
    except (RegistryError, ImageRefusedError) as exc:  # a registry problem: never a silent build
        raise StartError(
            "pull images", str(exc), "fix or unset $BB_REGISTRY, or run `bb images build`"
        ) from None
    except ImageError as exc:
        raise StartError("resolve images", str(exc), "run `bb images build`") from None
    except (SecretMissingError, RoutesError) as exc:
        raise StartError("prepare egress", str(exc)) from None


def _pinned_or_resolved(
    pinned: dict[str, str], resolve: Callable[[Any], str]
) -> Callable[[str], str]:
    """``image_for`` of a plan: a component's pinned image (``bb resume``), else resolved."""

    def image_for(component: str) -> str:
        if component not in pinned:
            return resolve(component)
        from rich.console import Console

        from bb_cli.images.build import cache_dir
        from bb_cli.images.console import RichReporter
        from bb_cli.images.pull import use_pinned
        from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

        with RichReporter(Console(stderr=True)) as reporter:
            return use_pinned(
                pinned[component],
                component,
                ACCEPTED_PROTOCOL_VERSIONS,
                reporter,
                cache_dir() / "logs",
            )

    return image_for


def _pins(plan: BottlePlan, engine: Engine | None) -> dict[str, str]:
    """Component -> the image the plan runs, pinned by digest (for the bottle's record)."""
    from bb_cli.images import ImageError
    from bb_cli.images.pull import pin
    from bb_cli.plan import image_components

    roles = image_components(plan.manifest)
    if plan.manifest.bottle.image:  # the user's own agent image: not ours to pin
        roles.pop("agent")
    pins: dict[str, str] = {}
    for role, component in roles.items():
        try:
            pins[component] = pin(plan.images[role], engine=engine)
        except ImageError:  # not a local image (a test double): recorded as resolved
            pins[component] = plan.images[role]
    return pins


def _plan_building_images(
    request: LaunchRequest, reporter: Callable[[], AbstractContextManager[Reporter]]
) -> BottlePlan:
    """`resolve_plan`, building the images this bottle needs when they are missing."""
    from bb_cli.errors import StartError
    from bb_cli.images import ensure_images
    from bb_cli.manifests import ManifestIndex
    from bb_cli.plan import image_components

    args = (request.agent, request.slug, request.observe, request.backend, request.pinned)
    try:
        return resolve_plan(*args)
    except StartError as exc:
        if exc.step != "resolve images":
            raise
    needed = image_components(ManifestIndex.default().load_for_agent(request.agent)).values()
    with reporter() as shown:  # first use: build what this bottle needs
        try:
            ensure_images(shown, needed)  # type: ignore[arg-type]
        except Exception as error:
            raise StartError("build images", str(error), "run `bb images build`") from None
    return resolve_plan(*args)


def launch(
    request: LaunchRequest,
    *,
    progress: Progress,
    reporter: Callable[[], AbstractContextManager[Reporter]],
    engine: Engine | None = None,
) -> Launched:
    """Resolve (or take ``request.planned``), record and start a bottle.

    ``progress`` hears each step (``bb start``'s step printer); ``reporter`` makes the
    progress display of an image build on first use; ``engine`` pins the images by digest
    (default: the real one).
    """
    from bb_cli.backends import get_bottle_backend
    from bb_cli.backends.compose import project_name
    from bb_cli.state import BottleRecord, find_record, save_record

    plan = request.planned or _plan_building_images(request, reporter)
    images = _pins(plan, engine)
    if request.agent_image is not None:  # `bb resume` of a committed bottle boots its snapshot
        plan = dataclasses.replace(plan, images={**plan.images, "agent": request.agent_image})
    created = {}
    if request.slug is not None:  # resume: the bottle keeps its creation time
        created = {"created_at": find_record(request.slug).created_at}
    record = BottleRecord(
        **created,
        slug=plan.slug,
        agent=request.agent,
        bottle=plan.manifest.bottle.name,
        runtime=plan.manifest.agent.runtime,
        backend=plan.backend,
        project=project_name(plan.slug),
        agent_container=plan.agent_container,
        supervised=plan.manifest.bottle.supervise,
        observe=plan.observe,
        sources=plan.manifest.sources,
        images=images,
    )
    save_record(record)
    backend = get_bottle_backend(plan.backend)
    if not any(repo.forge for repo in plan.manifest.agent.repos):
        backend.start(plan, progress)
        return Launched(plan, record)
    from bb_cli.repo_keys import deprovision_keys, provision_keys

    progress("provision deploy keys", "start")
    provision_keys(plan, os.environ)
    progress("provision deploy keys", "done")
    try:
        backend.start(plan, progress)
    except BaseException:  # the keys are this bottle's only: take them back
        deprovision_keys(plan.state_dir, plan.slug, os.environ)
        raise
    return Launched(plan, record)


def run_prompt(plan: BottlePlan, prompt: str) -> int:
    """Run ``plan``'s runtime unattended on ``prompt`` in its running bottle; its exit code."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.backends.compose.render import SUPERVISE_URL
    from bb_cli.runtimes import run_command

    supervise = SUPERVISE_URL if plan.manifest.bottle.supervise else None
    argv = run_command(plan.manifest.agent.runtime, supervise, prompt)
    return get_bottle_backend(plan.backend).exec(plan.slug, argv, tty=False)


def remove(record: BottleRecord, *, say: Callable[[str], None] = lambda _text: None) -> Removed:
    """Take back the bottle's deploy keys, remove its containers, networks and volumes, and
    move its host state to ``<state>/removed/``; ``say`` hears each thing done."""
    from bb_cli.backends import get_bottle_backend
    from bb_cli.errors import BackendError
    from bb_cli.freeze import read_committed_image
    from bb_cli.repo_keys import deprovision_keys
    from bb_protocol.paths import bottle_dir, state_dir

    slug = record.slug
    try:
        removed = deprovision_keys(bottle_dir(slug), slug, os.environ)
    except LookupError as exc:
        raise BackendError(f"{exc}; export it and run `bb rm {slug}` again") from None
    if removed:
        say(f"removed {removed} deploy key(s) from the forge")
    get_bottle_backend(record.backend).remove(slug)
    archive = state_dir() / "removed" / f"{slug}-{int(time.time())}"
    archive.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(bottle_dir(slug), archive)
    say(f"removed {slug} (its audit trail is kept in {archive})")
    committed = read_committed_image(slug, archive)
    kept = committed.image if committed is not None and committed.preserved else None
    if kept:  # `bb commit` asked to keep it
        say(
            f"kept its snapshot {kept} (bb rm never deletes a committed image; "
            "`bb snapshots` lists them)"
        )
    return Removed(slug=slug, archive=archive, snapshot=kept, deploy_keys_removed=removed)


def reload_signal_for(bottle: Bottle) -> ReloadSignal:
    """How to tell ``bottle``'s proxy to re-read its routes: its backend's signal (the
    compose one for a bottle with no record on this host)."""
    from bb_cli.applicator.reload import DockerReloadSignal
    from bb_cli.backends import get_bottle_backend
    from bb_cli.state import find_record

    try:
        backend = find_record(bottle.slug).backend
    except LookupError:  # bb_cli.errors.BottleNotFoundError: no record on this host
        return DockerReloadSignal(slug=bottle.slug)
    return get_bottle_backend(backend).reload_signal(bottle.slug)

"""The CLI's intent (`BottleSpec`) and the resolved, ready-to-run plan (`BottlePlan`).

Two types on purpose: a spec holds the manifest index and a name (nothing parsed yet); a
plan holds the one loaded manifest, the egress plan and the images. A backend takes only a
plan, so no consumer ever narrows a union of "maybe loaded" states.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from bb_cli.egress_plan import Egress, EgressPlan
from bb_cli.errors import ManifestError
from bb_cli.manifests import LoadedManifest, ManifestIndex
from bb_cli.names import agent_container
from bb_cli.runtimes import agent_image_component
from bb_protocol.paths import check_slug

__all__ = [
    "ROLES",
    "BottlePlan",
    "BottleSpec",
    "HostIdentity",
    "image_components",
    "new_slug",
]

Role = Literal["agent", "egress", "supervise", "gitgate", "watchdog"]
"""A container of a bottle (each backend names its containers after these; ``bb logs -c``
takes them). Not an image component (`bb_cli.images.Component`): agent-claude is an image,
agent is the role it plays."""

ROLES: Final[tuple[Role, ...]] = get_args(Role)
"""Every role, in the order ``bb logs`` shows them."""


def new_slug(agent: str) -> str:
    """``<agent>-<6 hex>``: readable, unique per start, valid as a path and a DNS label."""
    stem = re.sub(r"[^a-z0-9-]", "-", agent.lower()).strip("-")[:40] or "bottle"
    return check_slug(f"{stem}-{secrets.token_hex(3)}")


def image_components(manifest: LoadedManifest) -> dict[str, str]:
    """Bottle role -> image component it needs (``agent`` is ``agent-claude`` for claude).

    Only what this bottle runs: ``bb start claude`` never needs (or builds) Codex's image.
    """
    roles = {"egress": "egress", "supervise": "supervise"}
    roles["agent"] = agent_image_component(manifest.agent.runtime)
    if manifest.agent.repos:
        roles["gitgate"] = "gitgate"
    return roles


def _refuse_dangerous_mounts(manifest: LoadedManifest, bottles_root: Path) -> None:
    """No mount may expose the Docker socket or bot-bottle's host state (approval keys)."""
    forbidden = [Path("/var/run/docker.sock"), Path("/run/docker.sock"), bottles_root]
    for mount in manifest.bottle.mounts:
        source = Path(mount.source).expanduser().resolve()
        for bad in forbidden:
            bad = bad.resolve()
            if source == bad or source.is_relative_to(bad) or bad.is_relative_to(source):
                raise ManifestError(
                    f"bottle {manifest.bottle.name}: mount {mount.source} -> {mount.target} "
                    f"would expose {bad} to the agent; refused",
                    file=manifest.sources[-1],
                )


@dataclass(frozen=True)
class HostIdentity:
    """Who runs ``bb``: the sidecars run as this uid/gid, unless it is root (uid 0), when they
    run as their image users in the queue group (`bb_cli.backends.compose.sidecar_users`)."""

    uid: int
    gid: int


@dataclass(frozen=True)
class BottleSpec:
    """What the user asked for: an agent by name, looked up in an index."""

    agent: str
    index: ManifestIndex
    backend: str = "compose"
    slug: str | None = None
    """Set by ``bb resume`` (keep the bottle's name and volumes); new otherwise."""
    observe: bool = False
    """See `BottlePlan.observe` (``bb start --observe``)."""


@dataclass(frozen=True)
class BottlePlan:
    """Everything a backend needs to run one bottle; nothing left to look up."""

    slug: str
    manifest: LoadedManifest
    egress: EgressPlan
    images: Mapping[str, str]
    """Component -> image reference (the bottle's ``image`` overrides the agent's)."""
    state_dir: Path
    """The bottle's host state directory (``bb_protocol.paths.bottle_dir``)."""
    host: HostIdentity
    backend: str = "compose"
    test_egress_subnet: str | None = None
    """Tests and benchmarks only, never on the command line or in a bottle record (a test
    sets it with `dataclasses.replace` on a resolved plan): fix the egress-side subnet and
    let the proxy reach it (an "internet" container there has a private address the proxy
    would refuse)."""
    test_forge_network: str | None = None
    """Tests only, set like `test_egress_subnet`: an existing network to use as the gate's
    forge side (a test forge on it must be reachable before ``bb start`` clones)."""
    observe: bool = False
    """Observe mode (``bb start --observe``): the proxy still refuses a request no route
    allows, and records it as an observation for ``bb routes suggest``."""
    test_compose_overlay: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Tests only, never on the command line: edits the rendered compose project before it
    is written (the agent e2e tests add a mock provider and resolver on the egress side and
    give the proxy their CA with ``--upstream-ca``)."""

    @property
    def agent_container(self) -> str:
        """The agent's container name (`bb_cli.names.agent_container`)."""
        return agent_container(self.slug)

    @classmethod
    def resolve(
        cls,
        spec: BottleSpec,
        *,
        environ: Mapping[str, str],
        image_for: Callable[[str], str],
        state_dir: Callable[[str], Path],
        host: HostIdentity,
    ) -> BottlePlan:
        """Load the agent's manifest, prepare egress, pick images: the plan."""
        manifest = spec.index.load_for_agent(spec.agent)
        slug = spec.slug or new_slug(spec.agent)
        _refuse_dangerous_mounts(manifest, state_dir(slug).parent)
        roles = image_components(manifest)
        if manifest.bottle.image:
            roles.pop("agent")
        images = {role: image_for(component) for role, component in roles.items()}
        if manifest.bottle.image:
            images["agent"] = manifest.bottle.image
        return cls(
            slug=slug,
            manifest=manifest,
            egress=Egress.prepare(manifest, environ),
            images=images,
            state_dir=state_dir(slug),
            host=host,
            backend=spec.backend,
            observe=spec.observe,
        )

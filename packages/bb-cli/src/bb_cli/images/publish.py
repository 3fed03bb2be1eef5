"""Publish local images to a registry, each component under its own version.

``bb images publish --registry REG`` pushes ``bot-bottle-egress:0.1.0`` as
``REG/bot-bottle/egress:0.1.0`` and so on. The image keeps the labels ``bb images build``
wrote (component, version, protocol, inputs digest); they are the registry's index
(`bb_cli.images.registry`). An image is checked before it leaves: its labels must say the
component and a version and protocol, or it is refused.

Re-publishing is a no-op when the registry's tag already holds this very image (its config
digest equals the local image id). A tag holding *other* content is refused: a published
version is immutable, and the fix is to bump the package's version.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bb_cli.engine import Engine, default_engine
from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_INPUTS, LABEL_PROTOCOL, LABEL_VERSION
from bb_cli.images.errors import (
    ImageRefusedError,
    ImagesMissingError,
    PublishConflictError,
    RegistryError,
)
from bb_cli.images.progress import Reporter
from bb_cli.images.registry import RegistryClient
from bb_cli.images.transfer import push, tag

__all__ = ["PublishOutcome", "check_labels", "publish_images"]


@dataclass(frozen=True)
class PublishOutcome:
    """What happened to one component."""

    component: str
    ref: str
    """The published tag, ``REG/bot-bottle/egress:0.1.0``."""
    digest: str
    """Its manifest digest (``REG/bot-bottle/egress@<digest>`` pins it)."""
    version: str
    protocol: str
    status: Literal["pushed", "unchanged", "replaced"]
    seconds: float


def check_labels(component: str, ref: str, labels: Mapping[str, str]) -> tuple[str, str]:
    """Return (version, protocol) of local image ``ref`` or raise `ImageRefusedError`."""
    found = labels.get(LABEL_COMPONENT)
    if found != component:
        raise ImageRefusedError(
            f"{ref} is labelled component {found!r}, not {component!r}; refusing to publish "
            f"it as {component}"
        )
    version, protocol = labels.get(LABEL_VERSION, ""), labels.get(LABEL_PROTOCOL, "")
    if not version or not protocol.isdigit():
        raise ImageRefusedError(
            f"{ref} lacks a version or protocol label ({LABEL_VERSION}={version!r}, "
            f"{LABEL_PROTOCOL}={protocol!r}); build it with `bb images build`"
        )
    return version, protocol


def publish_images(
    client: RegistryClient,
    sources: Mapping[str, str],
    reporter: Reporter,
    log_dir: Path,
    *,
    force: bool = False,
    engine: Engine | None = None,
) -> list[PublishOutcome]:
    """Push each ``component -> local ref`` of ``sources`` to the client's registry.

    The registry is asked first (a registry that does not answer fails before anything
    is tagged). ``force`` replaces a tag that holds other content instead of refusing.
    """
    engine = engine or default_engine()
    registry = client.registry
    client.ping()
    outcomes: list[PublishOutcome] = []
    for component, local in sources.items():
        started = time.monotonic()
        image_id = engine.image_id(local)
        if image_id is None:
            raise ImagesMissingError(
                f"{local} is not a local image; build it first: `bb images build {component}`"
            )
        version, protocol = check_labels(component, local, engine.image_labels(local))
        target = registry.ref(component, version)
        reporter.step(f"{component}: {target}")
        existing = client.published(component, version)
        status: Literal["pushed", "unchanged", "replaced"] = "pushed"
        if existing is not None and existing.config_digest == image_id:
            reporter.done(f"{component}: {target} is already published (unchanged)")
            outcomes.append(
                PublishOutcome(
                    component, target, existing.digest, version, protocol, "unchanged", 0.0
                )
            )
            continue
        if existing is not None:
            if not force:
                theirs = existing.labels.get(LABEL_INPUTS, "?")
                ours = engine.image_labels(local).get(LABEL_INPUTS, "?")
                raise PublishConflictError(
                    f"{target} is already published with other content (inputs {theirs}, "
                    f"this image {ours}); a published version does not change: bump "
                    f"{component}'s version and rebuild, or pass --force to replace it"
                )
            status = "replaced"
        tag(local, target, engine=engine)
        push(target, reporter, log_dir)
        after = client.published(component, version)
        if after is None or after.config_digest != image_id:
            raise RegistryError(f"{target} was pushed but the registry does not show it")
        seconds = time.monotonic() - started
        reporter.done(f"{component}: {status} {target} ({after.digest[:19]}…) in {seconds:.0f}s")
        outcomes.append(
            PublishOutcome(component, target, after.digest, version, protocol, status, seconds)
        )
    return outcomes

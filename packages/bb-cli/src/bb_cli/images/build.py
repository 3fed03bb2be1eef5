"""Build bot-bottle's images, skipping those whose inputs have not changed."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bb_cli.engine import Engine, default_engine
from bb_cli.images.base import ensure_base_image
from bb_cli.images.catalog import (
    CLI_OF,
    COMPONENTS,
    LABEL_INPUTS,
    Component,
    ImageSpec,
    image_specs,
    inputs_digest,
)
from bb_cli.images.clis import prepare_cli
from bb_cli.images.errors import ImageBuildError
from bb_cli.images.progress import Reporter
from bb_cli.images.wheels import prepare_wheels
from bb_protocol import PROTOCOL_VERSION

__all__ = ["BuildOutcome", "build_images", "cache_dir"]


@dataclass(frozen=True)
class BuildOutcome:
    """What happened to one image."""

    component: Component
    ref: str
    status: Literal["built", "up-to-date"]
    seconds: float


def cache_dir() -> Path:
    """Where wheels and build logs are kept (``$XDG_CACHE_HOME/bot-bottle``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bot-bottle"


def _build_one(
    root: Path, spec: ImageSpec, digest: str, reporter: Reporter, cache: Path, engine: Engine
) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bb-image-{spec.component}-") as tmp:
        context = Path(tmp)
        for item in spec.dockerfile_dir.iterdir():
            if item.is_file():
                shutil.copy2(item, context / item.name)
        build_args = {"BB_VERSION": spec.version, "BB_PROTOCOL": str(PROTOCOL_VERSION)}
        if spec.component in CLI_OF:
            prepare_cli(root, CLI_OF[spec.component], context, cache, reporter)
            (agent,) = image_specs(root, ["agent"])
            build_args["BASE_IMAGE"] = agent.ref
        else:
            prepare_wheels(root, spec, context, cache, reporter)
            build_args["BB_COMPONENT"] = spec.component  # the sidecar file's stage
        reporter.step(f"{spec.component}: docker build {spec.ref}")
        engine.build(
            context,
            tag=spec.ref,
            labels={LABEL_INPUTS: digest},
            build_args=build_args,
            log_path=cache / "logs" / f"{spec.component}-docker-build.log",
            on_line=reporter.detail,
            step=f"docker build of {spec.ref}",
            error=ImageBuildError,
        )


def build_images(
    root: Path,
    reporter: Reporter,
    *,
    components: Iterable[Component] = COMPONENTS,
    force: bool = False,
    cache: Path | None = None,
    engine: Engine | None = None,
) -> list[BuildOutcome]:
    """Build the requested images from the source tree at ``root``.

    An image whose recorded inputs digest equals the current one is left alone (unless
    ``force``), so a rebuild with no change takes seconds. A runtime image brings the agent
    image it is built on (checked, and built first when needed); its digest covers that
    image's id, so a rebuilt agent image rebuilds the runtime images too.
    """
    cache = cache or cache_dir()
    engine = engine or default_engine()
    base_id = ensure_base_image(reporter, cache / "logs", engine=engine)
    wanted = set(components)
    if wanted & set(CLI_OF):
        wanted.add("agent")
    outcomes: list[BuildOutcome] = []
    for spec in image_specs(root, [c for c in COMPONENTS if c in wanted]):
        started = time.monotonic()
        parent = base_id
        if spec.base_component is not None:
            (base_spec,) = image_specs(root, [spec.base_component])
            parent = engine.image_id(base_spec.ref) or ""
            if not parent:
                raise ImageBuildError(f"{spec.ref} is built on {base_spec.ref}, which is missing")
        digest = inputs_digest(root, spec, base_image_id=parent, protocol=PROTOCOL_VERSION)
        if not force and engine.image_labels(spec.ref).get(LABEL_INPUTS) == digest:
            reporter.done(f"{spec.component}: {spec.ref} is up to date")
            outcomes.append(BuildOutcome(spec.component, spec.ref, "up-to-date", 0.0))
            continue
        _build_one(root, spec, digest, reporter, cache, engine)
        seconds = time.monotonic() - started
        reporter.done(f"{spec.component}: built {spec.ref} in {seconds:.0f}s")
        outcomes.append(BuildOutcome(spec.component, spec.ref, "built", seconds))
    return outcomes

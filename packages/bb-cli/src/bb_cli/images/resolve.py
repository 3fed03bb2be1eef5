"""Pick, at run time, the local image the launcher should use for each component.

Versions are independent, so the CLI does not hard-code sidecar versions: it uses the
image a local build tagged for this checkout when there is one, otherwise the newest local
image of the component whose protocol label this CLI accepts. Anything else is refused
with the command that fixes it.

Only bot-bottle's own repositories (``bot-bottle-<component>``) are candidates. An image
built ``FROM bot-bottle-agent`` inherits its component label, and picking it by label
would hand a user's derived image to every bottle; a derived image is used only where a
bottle manifest names it (``image:``), which is explicit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bb_cli.images.catalog import (
    CORE_COMPONENTS,
    LABEL_COMPONENT,
    LABEL_PROTOCOL,
    LABEL_VERSION,
    Component,
    image_specs,
    parse_version,
)
from bb_cli.images.errors import ImagesMissingError, SourceTreeNotFoundError
from bb_cli.images.source import find_source_tree
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

if TYPE_CHECKING:
    from bb_cli.engine import Engine

__all__ = ["missing_images", "resolve_image"]


def _compatible(labels: dict[str, str]) -> bool:
    try:
        return int(labels.get(LABEL_PROTOCOL, "-1")) in ACCEPTED_PROTOCOL_VERSIONS
    except ValueError:
        return False


def resolve_image(component: Component, engine: Engine | None = None) -> str:
    """Return the image reference for ``component`` or raise `ImagesMissingError`."""
    if engine is None:
        from bb_cli.engine import default_engine

        engine = default_engine()
    try:
        (spec,) = image_specs(find_source_tree(), [component])
    except SourceTreeNotFoundError:
        spec = None
    if spec is not None and _compatible(engine.image_labels(spec.ref)):
        return spec.ref
    candidates: list[tuple[tuple[int, ...], str]] = []
    repository = f"bot-bottle-{component}:"
    for ref in engine.list_images(f"{LABEL_COMPONENT}={component}"):
        if not ref.startswith(repository):
            continue  # a derived image carrying the inherited label (module docstring)
        labels = engine.image_labels(ref)
        if _compatible(labels):
            candidates.append((parse_version(labels.get(LABEL_VERSION, "0")), ref))
    if not candidates:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_PROTOCOL_VERSIONS))
        raise ImagesMissingError(
            f"no local {component} image speaks protocol {accepted}. "
            "Run `bb images build` to build bot-bottle's images."
        )
    return max(candidates)[1]


def missing_images(
    components: Iterable[Component] = CORE_COMPONENTS, engine: Engine | None = None
) -> list[Component]:
    """Return the components (the core four by default) that have no compatible local image."""
    missing: list[Component] = []
    for component in components:
        try:
            resolve_image(component, engine)
        except ImagesMissingError:
            missing.append(component)
    return missing

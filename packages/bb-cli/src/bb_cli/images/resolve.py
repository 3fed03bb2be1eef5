"""Pick, at run time, the local image the launcher should use for each component.

Versions are independent, so the CLI does not hard-code sidecar versions. In order:

1. the image a local build tagged for this checkout (a developer's own build);
2. with a registry configured (``$BB_REGISTRY`` or the config file,
   `bb_cli.images.registry`), the newest published version whose protocol this CLI
   accepts, pulled by digest unless already present (`bb_cli.images.pull`); if the
   registry does not answer, a compatible local image is used with a warning, else the
   error says what to do;
3. the newest local image of the component whose protocol label this CLI accepts.

Anything else is refused with the command that fixes it (``bb start`` then builds from
source when it runs inside a checkout).

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
from bb_cli.images.errors import (
    ImagesMissingError,
    RegistryUnreachableError,
    SourceTreeNotFoundError,
)
from bb_cli.images.source import find_source_tree
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

if TYPE_CHECKING:
    from bb_cli.engine import Engine
    from bb_cli.images.registry import Registry

__all__ = ["missing_images", "resolve_image"]


def _compatible(labels: dict[str, str]) -> bool:
    try:
        return int(labels.get(LABEL_PROTOCOL, "-1")) in ACCEPTED_PROTOCOL_VERSIONS
    except ValueError:
        return False


def resolve_image(
    component: Component, engine: Engine | None = None, *, use_registry: bool = True
) -> str:
    """Return the image reference for ``component`` or raise an `ImageError` saying why.

    ``use_registry=False`` looks at local images only (``bb doctor``, `missing_images`).
    """
    if engine is None:
        from bb_cli.engine import default_engine

        engine = default_engine()
    try:
        (spec,) = image_specs(find_source_tree(), [component])
    except SourceTreeNotFoundError:
        spec = None
    if spec is not None and _compatible(engine.image_labels(spec.ref)):
        return spec.ref
    if use_registry:
        from bb_cli.images.registry import registry_setting

        registry = registry_setting()
        if registry is not None:
            return _from_registry(component, registry, engine)
    return _newest_local(component, engine)


def _from_registry(component: Component, registry: Registry, engine: Engine) -> str:
    """The registry's newest compatible image; a local one with a warning if it is down."""
    from rich.console import Console

    from bb_cli.images.build import cache_dir
    from bb_cli.images.console import RichReporter
    from bb_cli.images.pull import resolve_from_registry
    from bb_cli.images.registry import RegistryClient

    console = Console(stderr=True)
    try:
        with RichReporter(console) as reporter:
            return resolve_from_registry(
                component,
                RegistryClient(registry),
                ACCEPTED_PROTOCOL_VERSIONS,
                reporter,
                cache_dir() / "logs",
                engine=engine,
            )
    except RegistryUnreachableError as exc:
        try:  # what this machine pulled from it before, or built
            local = _newest_local(
                component, engine, also=f"{registry.host}/{registry.repository(component)}"
            )
        except ImagesMissingError:
            raise exc from None
        console.print(f"warning: {exc}; using the local image {local}", highlight=False)
        return local


def _newest_local(component: Component, engine: Engine, *, also: str = "") -> str:
    """The newest local ``bot-bottle-<component>`` image whose protocol this CLI speaks.

    ``also`` names one more repository to consider (the registry's, for images pulled
    from it before).
    """
    candidates: list[tuple[tuple[int, ...], str]] = []
    repositories = tuple(f"{r}:" for r in (f"bot-bottle-{component}", also) if r)
    for ref in engine.list_images(f"{LABEL_COMPONENT}={component}"):
        if not ref.startswith(repositories):
            continue  # a derived image carrying the inherited label (module docstring)
        labels = engine.image_labels(ref)
        if _compatible(labels):
            candidates.append((parse_version(labels.get(LABEL_VERSION, "0")), ref))
    if not candidates:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_PROTOCOL_VERSIONS))
        raise ImagesMissingError(
            f"no local {component} image speaks protocol {accepted}. "
            "Run `bb images build` to build bot-bottle's images (in a checkout), or set "
            "$BB_REGISTRY to a registry they are published in."
        )
    return max(candidates)[1]


def missing_images(
    components: Iterable[Component] = CORE_COMPONENTS, engine: Engine | None = None
) -> list[Component]:
    """Return the components (the core four by default) that have no compatible local image."""
    missing: list[Component] = []
    for component in components:
        try:
            resolve_image(component, engine, use_registry=False)
        except ImagesMissingError:
            missing.append(component)
    return missing

"""bot-bottle's container images: build them (offline-capable) and find them at run time.

Public surface:

* `build_images` builds the four images from the source tree with progress, making the
  Debian base locally when no registry answers, and skipping up-to-date images;
* `resolve_image` returns the local image to run for a component, chosen by protocol
  version; `missing_images` lists components with none;
* `ensure_images` builds whatever is missing (``bb start`` on first use);
* `bb_cli.images.clis`: the pinned agent CLIs (fetched with npm, verified, cached).
"""

from __future__ import annotations

from collections.abc import Iterable

from bb_cli.images.build import BuildOutcome, build_images, cache_dir
from bb_cli.images.catalog import COMPONENTS, Component, ImageSpec, image_specs
from bb_cli.images.errors import (
    BaseImageError,
    ImageBuildError,
    ImageError,
    ImagesMissingError,
    SourceTreeNotFoundError,
)
from bb_cli.images.progress import RecordingReporter, Reporter
from bb_cli.images.resolve import missing_images, resolve_image
from bb_cli.images.source import find_source_tree

__all__ = [
    "COMPONENTS",
    "BaseImageError",
    "BuildOutcome",
    "Component",
    "ImageBuildError",
    "ImageError",
    "ImageSpec",
    "ImagesMissingError",
    "RecordingReporter",
    "Reporter",
    "SourceTreeNotFoundError",
    "build_images",
    "cache_dir",
    "ensure_images",
    "find_source_tree",
    "image_specs",
    "missing_images",
    "resolve_image",
]


def ensure_images(
    reporter: Reporter, components: Iterable[Component] | None = None
) -> list[BuildOutcome]:
    """Build the missing ones of ``components`` (default: the core four); return what was done.

    ``bb start claude`` passes the images its bottle needs, so it never builds Codex's.
    """
    missing = missing_images() if components is None else missing_images(components)
    if not missing:
        return []
    reporter.warn(f"images missing: {', '.join(missing)}; building them now (first use)")
    return build_images(find_source_tree(), reporter, components=missing)

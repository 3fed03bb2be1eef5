"""Find bot-bottle's source tree, which building images needs.

Images are built from the workspace (Dockerfiles under ``images/``, packages under
``packages/``, the committed ``uv.lock``). Running ``bb`` needs none of that, so the tree
is looked for only when building: ``$BOT_BOTTLE_SOURCE``, then the checkout this ``bb``
was installed from (uv installs workspace members in editable mode), then the current
directory and its parents.
"""

from __future__ import annotations

import os
from pathlib import Path

from bb_cli.images.errors import SourceTreeNotFoundError

__all__ = ["find_source_tree", "is_source_tree"]

SOURCE_ENV = "BOT_BOTTLE_SOURCE"


def is_source_tree(path: Path) -> bool:
    """True when ``path`` holds the workspace: images, the contract package and the lock."""
    return (
        (path / "images").is_dir()
        and (path / "packages" / "bb-protocol" / "pyproject.toml").is_file()
        and (path / "uv.lock").is_file()
    )


def find_source_tree(cwd: Path | None = None) -> Path:
    """Return the source tree's root or raise `SourceTreeNotFoundError` saying what to do."""
    explicit = os.environ.get(SOURCE_ENV)
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not is_source_tree(path):
            raise SourceTreeNotFoundError(
                f"{SOURCE_ENV}={explicit} is not a bot-bottle checkout "
                "(expected images/, packages/bb-protocol/ and uv.lock there)"
            )
        return path
    candidates = [Path(__file__).resolve().parents[5]]
    start = (cwd or Path.cwd()).resolve()
    candidates.extend([start, *start.parents])
    for candidate in candidates:
        if is_source_tree(candidate):
            return candidate
    raise SourceTreeNotFoundError(
        "building images needs bot-bottle's source tree, and none was found. "
        f"Run from a checkout or set {SOURCE_ENV} to one, or set $BB_REGISTRY to a "
        "registry the images are published in (`bb start` then pulls them)."
    )

"""Where a bottle's snapshot is recorded: ``committed.json`` beside ``bottle.json``.

A separate file (not a field of `BottleRecord`) so a bottle that was never committed has
nothing to migrate, and so the record written by ``bb start`` never races ``bb commit``.
The file moves with the bottle's directory when ``bb rm`` archives it: the image it names
is *preserved* (``bb rm`` never deletes it); the user removes it with the engine's tool.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bb_cli.errors import BackendError
from bb_protocol.atomic import write_atomic
from bb_protocol.paths import bottle_dir

__all__ = ["COMMITTED", "CommittedImage", "read_committed_image", "write_committed_image"]

COMMITTED = "committed.json"


class CommittedImage(BaseModel):
    """The snapshot ``bb resume`` boots from instead of the agent's image."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    """The bottle it was taken from."""
    backend: str
    """The backend whose engine holds the image."""
    image: str
    """The image reference (``bot-bottle-snapshot/<slug>:<stamp>``)."""
    preserved: bool = True
    """``bb rm`` keeps the image; removing it is the user's explicit act."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When ``bb commit`` took it."""


def write_committed_image(committed: CommittedImage, root: Path | None = None) -> Path:
    """Write ``committed.json`` atomically into the bottle's state directory."""
    directory = root or bottle_dir(committed.slug)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / COMMITTED
    write_atomic(target, committed.model_dump_json(indent=2) + "\n")
    return target


def read_committed_image(slug: str, root: Path | None = None) -> CommittedImage | None:
    """The bottle's snapshot, ``None`` if never committed; an unreadable file is an error."""
    path = (root or bottle_dir(slug)) / COMMITTED
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BackendError(f"cannot read {path}: {exc}") from None
    try:
        return CommittedImage.model_validate_json(text)
    except ValidationError as exc:
        raise BackendError(f"{path} is not a valid snapshot record: {exc}") from None

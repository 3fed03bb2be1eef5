"""Bottle state on the host: one ``bottle.json`` per bottle beside its queue and routes.

Layout (``bb_protocol.paths``): ``<state_dir>/bottles/<slug>/`` holds ``bottle.json`` (this
module), ``compose.yaml``, ``routes/``, ``queue/``, ``approval.key``, ``ca/`` (the proxy's
public certificate), ``agent/`` (instructions, MCP config) and ``logs/`` (the egress audit
log). No secret is written here: secrets and the canary reach containers through the
environment of ``docker compose``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bb_cli.errors import BottleNotFoundError
from bb_protocol.atomic import write_atomic
from bb_protocol.paths import bottle_dir, bottles_dir, check_slug

__all__ = ["BottleRecord", "find_record", "list_records", "save_record"]

RECORD = "bottle.json"


class BottleRecord(BaseModel):
    """What ``bb list``/``bb info``/``bb resume`` need to know about a bottle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    """The bottle's slug (agent name plus random suffix)."""
    agent: str
    """The agent manifest it was started from."""
    bottle: str
    """The bottle manifest (most derived) it runs in."""
    runtime: str
    """The agent runtime."""
    backend: str
    """Backend name (``compose``)."""
    project: str
    """The backend's name for it (compose project)."""
    agent_container: str
    """``bot-bottle-<slug>``."""
    supervised: bool = True
    """Whether the supervise sidecar runs (the runtime's MCP config points at it)."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When ``bb start`` created it."""
    sources: tuple[str, ...] = ()
    """Manifest files read."""
    observe: bool = False
    """Started with ``bb start --observe``; ``bb resume`` keeps observe mode."""
    images: dict[str, str] = Field(default_factory=dict)
    """Component -> the image it ran, pinned by digest (``repo@sha256:…`` when pulled from
    a registry, the image id ``sha256:…`` when built here); ``bb resume`` runs the same."""
    ignored_options: tuple[str, ...] = Field(default=(), exclude=True)
    """Test-only options an older ``bb`` kept in the record (``test_options``): read so the
    record still loads, never re-applied and never written back (``bb resume`` warns)."""

    @model_validator(mode="before")
    @classmethod
    def _read_old_test_options(cls, data: Any) -> Any:
        """An older record's ``test_options``: ``observe`` becomes the field, the rest ignored.

        Test hooks (a fixed egress subnet the proxy may reach, a forge network) are never
        reachable from a user's command or record: tests put them in a `BottlePlan`.
        """
        if not isinstance(data, dict) or "test_options" not in data:
            return data
        data = dict(data)
        old = data.pop("test_options") or {}
        if old.get("observe") == "1":
            data.setdefault("observe", True)
        data["ignored_options"] = tuple(sorted(k for k, v in old.items() if k != "observe" and v))
        return data


def save_record(record: BottleRecord) -> Path:
    """Write ``bottle.json`` atomically."""
    directory = bottle_dir(record.slug)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / RECORD
    write_atomic(target, record.model_dump_json(indent=2))
    return target


def find_record(slug: str) -> BottleRecord:
    """The record of ``slug``; `BottleNotFoundError` naming the known slugs otherwise."""
    try:
        check_slug(slug)
        return BottleRecord.model_validate_json((bottle_dir(slug) / RECORD).read_text("utf-8"))
    except (ValueError, FileNotFoundError, ValidationError):
        from bb_cli.manifests.index import did_you_mean

        slugs = [r.slug for r in list_records()]
        hint = did_you_mean(slug, slugs)
        known = ", ".join(slugs) or "none"
        raise BottleNotFoundError(
            f"no bottle {slug!r} on this host{hint} (known: {known})"
        ) from None


def list_records() -> list[BottleRecord]:
    """Every bottle with a readable record, oldest first (unreadable ones are skipped)."""
    out: list[BottleRecord] = []
    root = bottles_dir()
    if not root.is_dir():
        return out
    for path in sorted(root.glob(f"*/{RECORD}")):
        try:
            out.append(BottleRecord.model_validate(json.loads(path.read_text("utf-8"))))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda r: r.created_at)

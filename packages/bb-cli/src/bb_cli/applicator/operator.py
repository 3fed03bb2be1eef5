"""The operator's side of every bottle's queue: list, find, decide (and apply) proposals.

Shared by ``bb queue`` and the ``bb supervise`` TUI so both act identically. Deciding an
``egress-allow`` / ``egress-block`` approval applies the routes change *before* the
signed response is written: when the agent hears "approved", the route is live. The
change is idempotent, so a crash between the two steps is harmless. The operator never
archives: each proposal's owner does, after acting on the response.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bb_cli.applicator.egress import EgressApplicator
from bb_cli.applicator.errors import BottleNotFoundError
from bb_cli.applicator.index import PendingIndex
from bb_cli.applicator.reload import DockerReloadSignal, ReloadSignal
from bb_protocol.logging import get_logger
from bb_protocol.paths import approval_key_file, bottles_dir, check_slug, routes_file
from bb_protocol.queue import (
    PROPOSAL_ID_PATTERN,
    AlreadyDecidedError,
    ApprovalKey,
    Decision,
    EgressAllowRequest,
    EgressBlockRequest,
    PendingEntry,
    QueueStore,
    Response,
    check_decision,
    content_hash,
)

if TYPE_CHECKING:
    from bb_cli.applicator.approval_queue import ApprovalQueue

__all__ = ["Bottle", "Item", "Operator", "discover_bottles", "operator_identity"]

_log = get_logger("bb.operator")


@dataclass(frozen=True)
class Bottle:
    """One bottle's queue, key and routes file.

    ``store`` is any `ApprovalQueue`: the bottle's `QueueStore` on this host (read through
    an incremental `PendingIndex`), or a backend's client of the same contract for a
    bottle elsewhere (read with its own ``pending``).
    """

    slug: str
    store: ApprovalQueue
    key_file: Path
    routes_file: Path


@dataclass(frozen=True)
class Item:
    """One pending proposal and the bottle it belongs to."""

    bottle: Bottle
    entry: PendingEntry

    @property
    def id(self) -> str:
        """The proposal id."""
        return self.entry.proposal.id

    @property
    def status(self) -> str:
        """``pending``, ``decided: <kind>`` (waiting for the owner) or ``applying``."""
        if self.entry.claimed:
            return "applying"
        if self.entry.response is not None:
            return f"decided: {self.entry.response.decision.kind}"
        return "pending"


def discover_bottles(
    environ: Mapping[str, str] | None = None, *, only: str | None = None
) -> list[Bottle]:
    """Every bottle with a queue directory under the state dir (or just ``only``)."""
    root = bottles_dir(environ)
    if only is not None:
        slugs = [check_slug(only)]
    else:
        try:
            slugs = sorted(p.name for p in root.iterdir() if (p / "queue").is_dir())
        except FileNotFoundError:
            slugs = []
    bottles = []
    for slug in slugs:
        queue = root / slug / "queue"
        if not queue.is_dir():
            raise BottleNotFoundError(f"bottle {slug} has no queue at {queue}")
        bottles.append(
            Bottle(
                slug=slug,
                store=QueueStore(queue),
                key_file=approval_key_file(slug, environ),
                routes_file=routes_file(slug, environ),
            )
        )
    return bottles


def operator_identity() -> str:
    """``user@host`` recorded on every decision."""
    try:
        user = getpass.getuser()
    except OSError:
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _docker_reload(bottle: Bottle) -> ReloadSignal:
    """The compose backend's reload signal: the default when the caller names none.

    ``bb queue`` and the TUI pass `bb_cli.lifecycle.reload_signal_for`, which asks the
    bottle's own backend (the applicator sits below the backends and imports none).
    """
    return DockerReloadSignal(slug=bottle.slug)


class Operator:
    """Lists and decides proposals across bottles.

    Each bottle's queue is read through a `PendingIndex`, so listing again parses only the
    files written since the last listing, and `find` looks in the one bottle whose queue
    holds the id instead of listing them all. With ``discover`` (the TUI's), each listing
    also picks up bottles started or removed since the operator was built.
    """

    def __init__(
        self,
        bottles: Sequence[Bottle],
        *,
        reload_for: Callable[[Bottle], ReloadSignal] = _docker_reload,
        decided_by: str | None = None,
        discover: Callable[[], Sequence[Bottle]] | None = None,
    ) -> None:
        self.bottles = list(bottles)
        self.reload_for = reload_for
        self.decided_by = decided_by or operator_identity()
        self.discover = discover
        self._indexes: dict[str, PendingIndex] = {}
        self._bottle_items: dict[str, tuple[PendingIndex, int, list[Item]]] = {}
        self._merged: tuple[tuple[tuple[str, int | None], ...], list[Item]] | None = None
        """The last `items` result and the (slug, index version) pairs it was built from."""

    def _index(self, bottle: Bottle) -> PendingIndex | None:
        store = bottle.store
        if not isinstance(store, QueueStore):
            return None
        index = self._indexes.get(bottle.slug)
        if index is None or index.store.root != store.root:
            index = self._indexes[bottle.slug] = PendingIndex(store)
        return index

    def _items_of(self, bottle: Bottle) -> tuple[list[Item], int | None]:
        """The bottle's items, and a stamp that is equal only when they did not change."""
        index = self._index(bottle)
        if index is None:
            return self._to_items(bottle, bottle.store.pending()), None
        entries = index.refresh()
        cached = self._bottle_items.get(bottle.slug)
        if cached is not None and cached[0] is index and cached[1] == index.version:
            return cached[2], index.version
        items = self._to_items(bottle, entries)
        self._bottle_items[bottle.slug] = (index, index.version, items)
        return items, index.version

    @staticmethod
    def _to_items(bottle: Bottle, entries: list[PendingEntry]) -> list[Item]:
        items = []
        for entry in entries:
            if entry.proposal.bottle != bottle.slug:
                _log.warn(
                    "ignoring proposal naming another bottle",
                    {"id": entry.proposal.id, "queue": bottle.slug},
                )
                continue
            items.append(Item(bottle, entry))
        return items

    def items(self) -> list[Item]:
        """Every pending proposal in every bottle, oldest first.

        A proposal naming another bottle than the queue it sits in is skipped with a
        warning: it would be decided with this bottle's key and routes.
        """
        if self.discover is not None:
            self.bottles = list(self.discover())
            slugs = {b.slug for b in self.bottles}
            for gone in set(self._indexes) - slugs:
                del self._indexes[gone]
                self._bottle_items.pop(gone, None)
        per_bottle = [(bottle.slug, self._items_of(bottle)) for bottle in self.bottles]
        stamps = tuple((slug, stamp) for slug, (_, stamp) in per_bottle)
        unchanged = all(stamp is not None for _, stamp in stamps)
        if unchanged and self._merged is not None and self._merged[0] == stamps:
            return list(self._merged[1])  # no queue changed: skip the merge and the sort
        items = [item for _, (bottle_items, _) in per_bottle for item in bottle_items]
        items.sort(key=lambda i: (i.entry.proposal.created_at, i.id))
        self._merged = (stamps, items)
        return list(items)

    def find(self, proposal_id: str) -> Item:
        """The pending proposal ``proposal_id``; raise `BottleNotFoundError` if none has it.

        On this host: one existence check per bottle, then a refresh of that bottle's
        index only; other queues are asked for their pending proposals.
        """
        if PROPOSAL_ID_PATTERN.fullmatch(proposal_id):
            for bottle in self.bottles:
                store = bottle.store
                if (
                    isinstance(store, QueueStore)
                    and not store.new.joinpath(f"{proposal_id}.json").exists()
                ):
                    continue
                for item in self._items_of(bottle)[0]:
                    if item.id == proposal_id:
                        return item
        raise BottleNotFoundError(f"no pending proposal {proposal_id} in any bottle")

    def applicator(self, bottle: Bottle) -> EgressApplicator:
        """The routes applicator of ``bottle``."""
        return EgressApplicator(bottle.routes_file, self.reload_for(bottle))

    def decide(
        self, proposal_id: str, decision: Decision, *, seen_sha256: str | None = None
    ) -> Response:
        """Check, apply (routes changes), then write the signed response."""
        item = self.find(proposal_id)
        proposal = item.entry.proposal
        check_decision(proposal, decision)
        if item.entry.response is not None:
            raise AlreadyDecidedError(f"proposal {proposal_id} was already decided")
        digest = content_hash(proposal)
        seen = digest if seen_sha256 is None else seen_sha256
        key = ApprovalKey.load(item.bottle.key_file)
        if decision.kind != "reject" and seen == digest:
            effective = decision.request if decision.kind == "modify" else proposal.request
            if isinstance(effective, EgressAllowRequest | EgressBlockRequest):
                self.applicator(item.bottle).apply(effective)
        return item.bottle.store.decide(
            proposal_id, decision, key, decided_by=self.decided_by, seen_sha256=seen
        )

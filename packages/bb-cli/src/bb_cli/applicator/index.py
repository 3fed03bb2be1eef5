"""`PendingIndex`: one bottle's pending proposals, re-read incrementally.

`QueueStore.pending` opens and validates every proposal and tries two response files for
each, every time it is called; the TUI calls it once a second per bottle, so a fleet with
thousands of waiting proposals re-parsed thousands of files a second. Queue files are
written once and never changed (tmp, then rename: `bb_protocol.queue.store`), so a parsed
proposal or response can be kept for as long as its file stays where it is. A refresh is
then three directory listings plus a parse of only the files that appeared since the last
one: linear in the number of names, with a small constant, and no re-validation.

What the index never does: decide which response is genuine. As with
`QueueStore.pending`, responses are unverified here (their owner verifies the MAC before
acting); the operator only reads them to show "decided" and to refuse deciding twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bb_protocol.logging import get_logger
from bb_protocol.queue import (
    PROPOSAL_ID_PATTERN,
    InvalidMessageError,
    PendingEntry,
    Proposal,
    QueueStore,
    Response,
    read_message,
)

__all__ = ["PendingIndex"]

_log = get_logger("bb.queue-index")


def _ids(directory: Path) -> set[str]:
    """The proposal ids named in ``directory`` (foreign names ignored)."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return set()
    return {
        name[:-5]
        for name in names
        if name.endswith(".json") and PROPOSAL_ID_PATTERN.fullmatch(name[:-5])
    }


@dataclass
class _Known:
    proposal: Proposal
    response: Response | None = None
    claimed: bool = False


class PendingIndex:
    """The pending proposals of one `QueueStore`, kept between refreshes."""

    def __init__(self, store: QueueStore) -> None:
        self.store = store
        self._known: dict[str, _Known] = {}
        self._bad: set[str] = set()
        """Ids whose proposal file was invalid: logged once, not re-read every refresh."""
        self.parsed = 0
        """How many queue files this index has parsed so far (tests check it stays flat)."""
        self.version = 0
        """Bumped whenever the listing changed; equal versions mean equal entries."""
        self._listing: tuple[frozenset[str], ...] | None = None
        self._entries: list[PendingEntry] = []

    def refresh(self) -> list[PendingEntry]:
        """Every valid proposal not yet archived, oldest first (as `QueueStore.pending`)."""
        store = self.store
        present = _ids(store.new)
        responses = _ids(store.responses)
        claims = _ids(store.claims)
        listing = (frozenset(present), frozenset(responses), frozenset(claims))
        if listing == self._listing:  # no name came or went: nothing to re-derive
            return list(self._entries)
        for gone in set(self._known) - present:
            del self._known[gone]
        self._bad &= present
        for proposal_id in present - self._known.keys() - self._bad:
            self._add(proposal_id)
        for proposal_id, known in self._known.items():
            claimed = proposal_id in claims
            if not claimed and proposal_id not in responses:
                known.response, known.claimed = None, False
                continue
            if known.response is None:  # a response is never rewritten: read it once
                known.response = self._response(proposal_id, claimed=claimed)
            known.claimed = claimed and known.response is not None
        entries = [PendingEntry(k.proposal, k.response, k.claimed) for k in self._known.values()]
        entries.sort(key=lambda e: (e.proposal.created_at, e.proposal.id))
        self._listing, self._entries = listing, entries
        self.version += 1
        return list(entries)

    def entry(self, proposal_id: str) -> PendingEntry | None:
        """The pending entry ``proposal_id`` after a refresh, or None if it is not pending."""
        for entry in self.refresh():
            if entry.proposal.id == proposal_id:
                return entry
        return None

    def _add(self, proposal_id: str) -> None:
        store = self.store
        if store.is_archived(proposal_id):  # left over by an owner killed mid-archive
            return
        try:
            proposal = read_message(store.new / f"{proposal_id}.json", Proposal)
        except FileNotFoundError:
            return
        except InvalidMessageError as exc:
            _log.warn("ignoring invalid proposal", {"reason": str(exc)})
            self._bad.add(proposal_id)
            return
        finally:
            self.parsed += 1
        self._known[proposal_id] = _Known(proposal)

    def _response(self, proposal_id: str, *, claimed: bool) -> Response | None:
        store = self.store
        order = (store.claims, store.responses) if claimed else (store.responses, store.claims)
        for directory in order:  # the owner may rename it between our listing and now
            self.parsed += 1
            try:
                return read_message(directory / f"{proposal_id}.json", Response)
            except FileNotFoundError:
                continue
            except InvalidMessageError as exc:
                _log.warn("ignoring malformed response", {"reason": str(exc)})
        return None

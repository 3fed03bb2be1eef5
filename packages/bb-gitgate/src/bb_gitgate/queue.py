"""The approval queue as the gate uses it (`ApprovalQueue` over files on the queue volume).

PROVISIONAL layout until ``bb_protocol.queue`` lands (then this module becomes a thin
adapter over it): ``<queue>/proposals/tmp`` then rename into ``<queue>/proposals/new/<id>.json``
(Maildir-style atomic write), decisions read from ``<queue>/decisions/<id>.json``, and the
gate archives its own proposals into ``<queue>/archive/<id>.json`` with its outcome.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import ValidationError

from bb_gitgate.approvals import GitleaksAllowProposal, Outcome, Verdict

__all__ = ["ProtocolQueue"]


class ProtocolQueue:
    """`ApprovalQueue` over the queue volume at ``root``."""

    def __init__(self, root: Path, *, bottle: str) -> None:
        self.root = root
        self.bottle = bottle

    def _dir(self, *parts: str) -> Path:
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def submit(self, proposal: GitleaksAllowProposal) -> str:
        """Write ``proposal`` atomically into ``proposals/new``; return its id."""
        proposal_id = f"gitleaks-{secrets.token_hex(8)}"
        tmp = self._dir("proposals", "tmp") / f"{proposal_id}.json"
        tmp.write_text(proposal.model_dump_json(), encoding="utf-8")
        os.replace(tmp, self._dir("proposals", "new") / f"{proposal_id}.json")
        return proposal_id

    def verdict(self, proposal_id: str) -> Verdict | None:
        """The decision file for ``proposal_id`` if present and well-formed."""
        path = self._dir("decisions") / f"{proposal_id}.json"
        try:
            return Verdict.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError):
            return None

    def archive(self, proposal_id: str, outcome: Outcome) -> None:
        """Move the proposal to ``archive`` with the gate's outcome recorded beside it."""
        source = self._dir("proposals", "new") / f"{proposal_id}.json"
        target = self._dir("archive") / f"{proposal_id}.json"
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        data["outcome"] = outcome
        target.write_text(json.dumps(data), encoding="utf-8")
        source.unlink(missing_ok=True)

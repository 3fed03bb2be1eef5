"""`ApprovalChannel` on the shared approval queue (`bb_protocol.queue`).

The proxy owns ``egress-token-allow`` proposals: it submits one, polls for the operator's
signed response off the event loop (the store's file operations run in a worker thread),
claims it exactly once, and archives the proposal itself with the outcome: ``approved``,
``rejected``, ``timed_out`` or ``failed``. A token allowance is yes or no: anything but
an ``approve`` decision refuses. Responses that fail verification are quarantined by the
store and never read as approval.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from bb_egress.token_approval import TokenProposal, Verdict
from bb_protocol import envvars
from bb_protocol.logging import get_logger
from bb_protocol.queue import (
    ApprovalKey,
    EgressTokenAllowRequest,
    Outcome,
    Proposal,
    QueueError,
    QueueStore,
    Response,
)

__all__ = ["QueueChannel", "queue_channel_from_environ", "to_request"]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_log = get_logger("bb-egress.queue")


def _line(text: str) -> str:
    return _CONTROL.sub("?", text)[:200]


def to_request(proposal: TokenProposal) -> EgressTokenAllowRequest:
    """The queue message for ``proposal`` (control characters replaced, lengths capped)."""
    return EgressTokenAllowRequest(
        host=_line(proposal.host),
        method=proposal.method.upper() if proposal.method.isalpha() else "OTHER",
        path=_CONTROL.sub("?", proposal.path)[:2000] or "/",
        detectors=tuple(_line(d) for d in proposal.detectors if d) or ("unknown",),
        previews=tuple(_line(p) for p in proposal.previews if p)[:64],
        fingerprint=proposal.fingerprint,
    )


class QueueChannel:
    """Submits proposals to the bottle's queue and waits for verified responses."""

    def __init__(self, store: QueueStore, key: ApprovalKey, poll_interval: float = 0.5) -> None:
        self.store = store
        self.key = key
        self.poll_interval = poll_interval

    def recover(self) -> None:
        """Archive proposals a previous run left unfinished (at start, once)."""
        for record in self.store.recover("egress"):
            _log.warn("archived an unfinished token proposal", {"id": record.proposal.id})

    async def ask(self, proposal: TokenProposal, timeout: float) -> Verdict:
        """Submit, wait for the operator up to ``timeout`` seconds, archive; the verdict."""
        submitted = await asyncio.to_thread(
            self.store.submit, proposal.bottle, to_request(proposal)
        )
        deadline = time.monotonic() + timeout
        outcome: Outcome = "failed"
        response: Response | None = None
        detail = ""
        try:
            while True:
                response = await asyncio.to_thread(self.store.claim, submitted, self.key)
                if response is not None:
                    if response.decision.kind == "approve":
                        outcome = "approved"
                        return Verdict(True, response.decision.reason or "approved")
                    outcome = "rejected"
                    detail = f"decision {response.decision.kind} refuses a token allowance"
                    return Verdict(False, response.decision.reason or "rejected by the operator")
                if time.monotonic() >= deadline:
                    outcome = "timed_out"
                    return Verdict(False, f"no decision within {timeout:g} s")
                await asyncio.sleep(self.poll_interval)
        except QueueError as exc:
            detail = str(exc)
            return Verdict(False, f"approval queue error: {exc}")
        finally:
            await asyncio.shield(self._archive(submitted, outcome, response, detail))

    async def _archive(
        self, proposal: Proposal, outcome: Outcome, response: Response | None, detail: str
    ) -> None:
        try:
            await asyncio.to_thread(
                self.store.archive, proposal, outcome, by="egress", response=response, detail=detail
            )
        except QueueError as exc:
            _log.error("could not archive token proposal", {"id": proposal.id, "error": str(exc)})


def queue_channel_from_environ(environ: Mapping[str, str]) -> QueueChannel | None:
    """A channel from ``$BOT_BOTTLE_QUEUE_DIR`` and the approval key file, or None if unset."""
    queue_dir = environ.get(envvars.QUEUE_DIR, "").strip()
    key_file = environ.get(envvars.APPROVAL_KEY_FILE, "").strip()
    if not queue_dir or not key_file:
        return None
    store = QueueStore(Path(queue_dir)).ensure()
    return QueueChannel(store, ApprovalKey.load(Path(key_file)))

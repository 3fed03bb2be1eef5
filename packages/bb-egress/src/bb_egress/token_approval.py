"""The ``supervise`` on-match flow: ask the operator before a secret-bearing request leaves.

The proxy holds the request open, writes an ``egress-token-allow`` proposal (host, method,
path, detector names and a redacted preview; never the raw value), and waits without
blocking the event loop. Approval adds the matched values to the proxy's ``safe_tokens``
for its lifetime; rejection, timeout, a malformed response, supervise being disabled or
any error in the channel all refuse the request (fail closed).

The transport is the `ApprovalChannel` protocol, so the flow is tested without the queue;
`bb_egress.queue_channel` implements it on the shared approval queue.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from bb_protocol.logging import get_logger

__all__ = [
    "ApprovalChannel",
    "DisabledChannel",
    "TokenApprover",
    "TokenProposal",
    "Verdict",
]

_log = get_logger("bb-egress.token-approval")


@dataclass(frozen=True)
class TokenProposal:
    """What the operator is asked about; safe to persist (no raw secret values)."""

    bottle: str
    host: str
    method: str
    path: str
    detectors: tuple[str, ...]
    previews: tuple[str, ...]
    fingerprint: str
    """SHA-256 over the matched values: lets the operator see two asks are the same secret."""
    port: int = 443
    """Destination port (for the audit line of the hold)."""


@dataclass(frozen=True)
class Verdict:
    """The operator's answer as the proxy understood it."""

    approved: bool
    reason: str


class ApprovalChannel(Protocol):
    """Delivers a proposal to the operator and returns the verdict (may raise: fail closed)."""

    async def ask(self, proposal: TokenProposal, timeout: float) -> Verdict:
        """Return the operator's verdict, or a rejection when ``timeout`` seconds pass."""
        ...


class DisabledChannel:
    """The bottle is not supervised: every proposal is refused at once."""

    async def ask(self, proposal: TokenProposal, timeout: float) -> Verdict:
        """Refuse: nobody is there to approve."""
        return Verdict(approved=False, reason="supervise is disabled for this bottle")


def fingerprint(values: Iterable[str]) -> str:
    """SHA-256 (hex) of the sorted matched values, separated by NUL."""
    return hashlib.sha256("\0".join(sorted(values)).encode()).hexdigest()


class TokenApprover:
    """Owns ``safe_tokens`` and asks the channel once per distinct set of values at a time."""

    def __init__(
        self,
        channel: ApprovalChannel,
        timeout: float,
        on_hold: Callable[[TokenProposal], None] | None = None,
    ) -> None:
        self.channel = channel
        self.timeout = timeout
        self.on_hold = on_hold
        """Called once per new ask, as the request is held (the proxy audits a ``held`` line)."""
        self.safe_tokens: frozenset[str] = frozenset()
        self._pending: dict[str, asyncio.Task[Verdict]] = {}

    async def approve(self, proposal: TokenProposal, values: frozenset[str]) -> Verdict:
        """Ask (or join an identical pending ask); on approval remember ``values`` as safe."""
        if values <= self.safe_tokens:
            return Verdict(approved=True, reason="already approved")
        task = self._pending.get(proposal.fingerprint)
        if task is None:
            if self.on_hold is not None:
                try:
                    self.on_hold(proposal)
                except Exception as exc:  # the audit must never decide for the operator
                    _log.error("recording the hold failed", {"error": repr(exc)})
            task = asyncio.ensure_future(self._ask(proposal))
            self._pending[proposal.fingerprint] = task
            task.add_done_callback(lambda _t: self._pending.pop(proposal.fingerprint, None))
        verdict = await asyncio.shield(task)
        if verdict.approved:
            self.safe_tokens = self.safe_tokens | values
        return verdict

    async def _ask(self, proposal: TokenProposal) -> Verdict:
        try:
            async with asyncio.timeout(self.timeout + 1.0):
                verdict: object = await self.channel.ask(proposal, self.timeout)
        except TimeoutError:
            return Verdict(approved=False, reason=f"no decision within {self.timeout:g} s")
        except Exception as exc:  # any channel failure refuses: fail closed
            _log.error("token approval failed; refusing", {"error": repr(exc)})
            return Verdict(approved=False, reason=f"approval channel failed: {exc}")
        if not isinstance(verdict, Verdict):
            return Verdict(approved=False, reason="malformed verdict from approval channel")
        return verdict

"""The approval queue: the only channel between the sidecars and the operator.

One directory per bottle (`bb_protocol.paths.queue_dir`), mounted into the sidecars that
need it and never into the agent. Layout, lifecycle and crash-safety rules are in
`bb_protocol.queue.store`; the messages are in `bb_protocol.queue.models`.

Owner side (a sidecar that writes proposals of the kinds it owns, see
`bb_protocol.tools.OWNER_FOR_TOOL`)::

    store = QueueStore(queue_root).ensure()
    key = ApprovalKey.load(Path(os.environ[APPROVAL_KEY_FILE]))
    store.recover("gitgate")                       # once at start: archive unfinished work
    proposal = store.submit(bottle, GitleaksAllowRequest(...))
    while (response := store.claim(proposal, key)) is None:   # verified, taken exactly once
        ... wait (poll), or give up:
        store.archive(proposal, "timed_out", by="gitgate"); return
    ... act on response.decision (Approve / Reject / Modify, discriminated on ``kind``) ...
    store.archive(proposal, "approved", by="gitgate", response=response)

Host side (``bb queue``, the TUI)::

    entries = store.pending()                      # [PendingEntry(proposal, response, claimed)]
    store.decide(proposal_id, Approve(reason="..."), key, decided_by="me@host",
                 seen_sha256=content_hash(proposal))

Guarantees: every write is atomic (tmp, fsync, rename/link); the first decision stands;
a response is bound by HMAC (host-only key) to the proposal id and content hash, so it
cannot be forged, moved or replayed; a decision is claimed (and so applied) at most once;
only the owner archives, exactly once; malformed, foreign or unknown-version files are
rejected with a logged reason and never read as approval.
"""

from bb_protocol.queue.auth import KEY_BYTES, ApprovalKey, canonical_json, content_hash
from bb_protocol.queue.errors import (
    AlreadyArchivedError,
    AlreadyDecidedError,
    DecisionRefusedError,
    InvalidMessageError,
    KeyFileError,
    QueueError,
    UnknownProposalError,
)
from bb_protocol.queue.models import (
    APPROVE_NEEDS_REASON,
    MODIFIABLE_KINDS,
    PROPOSAL_ID_PATTERN,
    Approve,
    ArchiveRecord,
    CapabilityBlockRequest,
    Decision,
    EgressAllowRequest,
    EgressBlockRequest,
    EgressTokenAllowRequest,
    GitleaksAllowRequest,
    GitleaksFinding,
    GitRefUpdate,
    Modify,
    Outcome,
    Proposal,
    ProposalKind,
    Reject,
    Request,
    Response,
    utc_now,
)
from bb_protocol.queue.store import (
    MAX_MESSAGE_BYTES,
    PendingEntry,
    QueueStore,
    check_decision,
    new_proposal_id,
    read_message,
    verify_response,
)

__all__ = [
    "APPROVE_NEEDS_REASON",
    "KEY_BYTES",
    "MAX_MESSAGE_BYTES",
    "MODIFIABLE_KINDS",
    "PROPOSAL_ID_PATTERN",
    "AlreadyArchivedError",
    "AlreadyDecidedError",
    "ApprovalKey",
    "Approve",
    "ArchiveRecord",
    "CapabilityBlockRequest",
    "Decision",
    "DecisionRefusedError",
    "EgressAllowRequest",
    "EgressBlockRequest",
    "EgressTokenAllowRequest",
    "GitRefUpdate",
    "GitleaksAllowRequest",
    "GitleaksFinding",
    "InvalidMessageError",
    "KeyFileError",
    "Modify",
    "Outcome",
    "PendingEntry",
    "Proposal",
    "ProposalKind",
    "QueueError",
    "QueueStore",
    "Reject",
    "Request",
    "Response",
    "UnknownProposalError",
    "canonical_json",
    "check_decision",
    "content_hash",
    "new_proposal_id",
    "read_message",
    "utc_now",
    "verify_response",
]

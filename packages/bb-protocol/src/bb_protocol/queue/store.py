"""`QueueStore`: the approval queue over one bottle's queue directory.

Layout (all under the bottle's queue root; one filesystem, so renames and links are atomic)::

    tmp/          every writer's temporary files (readers never look here)
    new/          pending proposals, <id>.json              written by the owner
    responses/    the operator's responses, <id>.json       written by the host (HMAC-signed)
    claims/       responses the owner has taken, <id>.json  renamed from responses/, once
    processed/    archive records, <id>.json                written by the owner, exactly once
    quarantine/   responses that failed verification, kept for inspection

Lifecycle of one proposal::

    owner: submit ──> new/<id>          host: decide ──> responses/<id>  (first decision stands)
    owner: claim  ──> claims/<id>       (rename: exactly one claim ever succeeds)
    owner: act on the decision, then archive ──> processed/<id>  (link: exactly once), and
           remove new/<id>, responses/<id>, claims/<id>

Crash safety: every write is tmp + fsync + rename/link. A response is applied only after a
successful claim, and a claim can succeed once, so a decision is applied at most once even
if the owner is killed and restarted. On restart the owner calls `QueueStore.recover`, which
archives its unfinished proposals as ``interrupted`` (their waiting caller is gone): nothing
is lost and nothing is re-applied. Any file whose id is already in ``processed/`` is
left-over and ignored (and removed by `recover`).

Readers ignore foreign names and reject malformed files, unknown protocol versions, ids
that disagree with the file name, and responses whose MAC or content hash does not verify;
each rejection is logged with its reason and is never treated as approval.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ValidationError

from bb_protocol.logging import get_logger
from bb_protocol.queue.atomic import fsync_dir, publish_new
from bb_protocol.queue.auth import ApprovalKey, content_hash
from bb_protocol.queue.errors import (
    AlreadyArchivedError,
    AlreadyDecidedError,
    DecisionRefusedError,
    InvalidMessageError,
    UnknownProposalError,
)
from bb_protocol.queue.models import (
    APPROVE_NEEDS_REASON,
    MODIFIABLE_KINDS,
    PROPOSAL_ID_PATTERN,
    ArchiveRecord,
    Decision,
    Outcome,
    Proposal,
    Request,
    Response,
    utc_now,
)
from bb_protocol.tools import ProposalOwner
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

__all__ = [
    "MAX_MESSAGE_BYTES",
    "PendingEntry",
    "QueueStore",
    "check_decision",
    "new_proposal_id",
    "read_message",
    "verify_response",
]

MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
"""Larger queue files are rejected unread."""

_log = get_logger("bb-protocol.queue")


def new_proposal_id(kind: str) -> str:
    """A fresh id: kind, UTC timestamp and 64 random bits (sortable by creation time)."""
    stamp = utc_now().strftime("%Y%m%dt%H%M%Sz")
    return f"{kind}-{stamp}-{secrets.token_hex(8)}"


def read_message[M: BaseModel](path: Path, model: type[M]) -> M:
    """Read and validate one queue file; raise `InvalidMessageError` saying what is wrong."""
    name = path.name
    if not name.endswith(".json") or not PROPOSAL_ID_PATTERN.fullmatch(name[:-5]):
        raise InvalidMessageError(f"{path}: foreign file name (expected <id>.json)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise InvalidMessageError(f"{path}: cannot open ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_MESSAGE_BYTES + 1)
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidMessageError(f"{path}: larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidMessageError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidMessageError(f"{path}: not a JSON object")
    version = data.get("version")
    if version not in ACCEPTED_PROTOCOL_VERSIONS:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_PROTOCOL_VERSIONS))
        raise InvalidMessageError(
            f"{path}: unknown protocol version {version!r} (accepted: {accepted})"
        )
    try:
        message = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise InvalidMessageError(
            f"{path}: invalid {model.__name__} at {where}: {first['msg']}"
        ) from exc
    message_id = getattr(message, "id", None) or getattr(message, "proposal_id", None)
    if message_id is None and isinstance(message, ArchiveRecord):
        message_id = message.proposal.id
    if message_id != name[:-5]:
        raise InvalidMessageError(f"{path}: id {message_id!r} does not match the file name")
    return message


def check_decision(proposal: Proposal, decision: Decision) -> None:
    """Raise `DecisionRefusedError` when ``decision`` is not allowed for ``proposal``."""
    kind = proposal.kind
    if decision.kind == "modify":
        if kind not in MODIFIABLE_KINDS:
            raise DecisionRefusedError(
                f"a {kind} proposal cannot be modified, only approved or rejected"
            )
        if decision.request.kind != kind:
            raise DecisionRefusedError(
                f"a modified {kind} proposal must stay {kind}, not {decision.request.kind}"
            )
    if decision.kind != "reject" and kind in APPROVE_NEEDS_REASON and not decision.reason.strip():
        raise DecisionRefusedError(f"approving a {kind} proposal requires a reason")


def _signed_fields(response: Response) -> dict[str, object]:
    return response.model_dump(mode="json", exclude={"mac"})


def verify_response(proposal: Proposal, response: Response, key: ApprovalKey) -> str | None:
    """Why ``response`` must not be acted on for ``proposal``, or None when it is genuine."""
    if response.proposal_id != proposal.id:
        return f"response names proposal {response.proposal_id}, not {proposal.id}"
    if not key.verify(_signed_fields(response), response.mac):
        return "response MAC does not verify with this bottle's approval key"
    if response.proposal_sha256 != content_hash(proposal):
        return "response was made for different proposal content"
    try:
        check_decision(proposal, response.decision)
    except DecisionRefusedError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class PendingEntry:
    """A proposal not yet archived, with the operator's response if there is one."""

    proposal: Proposal
    """The proposal as written by its owner."""
    response: Response | None
    """The response (unverified: the owner verifies), or None while undecided."""
    claimed: bool
    """True once the owner has taken the response and is acting on it."""


class QueueStore:
    """One bottle's approval queue directory; see the module docstring for the protocol."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.new = root / "new"
        self.responses = root / "responses"
        self.claims = root / "claims"
        self.processed = root / "processed"
        self.quarantine = root / "quarantine"

    def ensure(self, *, mode: int | None = None) -> QueueStore:
        """Create the directories (idempotent) and return self.

        ``mode`` (e.g. ``0o2770`` with a group every component shares) is applied to the
        root and every directory, for sidecars that run as other uids than the operator.
        """
        directories = (
            self.tmp,
            self.new,
            self.responses,
            self.claims,
            self.processed,
            self.quarantine,
        )
        for directory in directories:
            directory.mkdir(parents=True, exist_ok=True)
        if mode is not None:
            for directory in (self.root, *directories):
                directory.chmod(mode)
        return self

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _file(directory: Path, proposal_id: str) -> Path:
        if not PROPOSAL_ID_PATTERN.fullmatch(proposal_id):
            raise UnknownProposalError(f"invalid proposal id {proposal_id!r}")
        return directory / f"{proposal_id}.json"

    def _ids(self, directory: Path) -> Iterator[str]:
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            return
        for name in names:
            if name.endswith(".json") and PROPOSAL_ID_PATTERN.fullmatch(name[:-5]):
                yield name[:-5]
            elif not name.startswith("."):
                _log.debug("ignoring foreign file in queue", {"path": str(directory / name)})

    def is_archived(self, proposal_id: str) -> bool:
        """True once the owner has archived the proposal."""
        return self._file(self.processed, proposal_id).exists()

    def _quarantine(self, path: Path, reason: str) -> None:
        target = self.quarantine / f"{path.stem}.{secrets.token_hex(6)}.json"
        with contextlib.suppress(FileNotFoundError):
            os.rename(path, target)
            fsync_dir(self.quarantine)
        _log.warn("rejected queue response", {"path": str(path), "reason": reason})

    # ------------------------------------------------------------------ owner side

    def submit(self, bottle: str, request: Request) -> Proposal:
        """Write a new proposal for ``request`` atomically into ``new/``; return it."""
        proposal = Proposal(
            id=new_proposal_id(request.kind), bottle=bottle, created_at=utc_now(), request=request
        )
        data = proposal.model_dump_json().encode("utf-8")
        publish_new(self.tmp, self._file(self.new, proposal.id), data)
        _log.info("proposal submitted", {"id": proposal.id, "kind": proposal.kind})
        return proposal

    def _load_response(self, path: Path, proposal: Proposal, key: ApprovalKey) -> Response | None:
        try:
            response = read_message(path, Response)
        except FileNotFoundError:
            return None
        except InvalidMessageError as exc:
            self._quarantine(path, str(exc))
            return None
        reason = verify_response(proposal, response, key)
        if reason is not None:
            self._quarantine(path, reason)
            return None
        return response

    def peek_response(self, proposal: Proposal, key: ApprovalKey) -> Response | None:
        """The verified response to ``proposal`` without taking it, or None if there is none."""
        return self._load_response(self._file(self.responses, proposal.id), proposal, key)

    def claim(self, proposal: Proposal, key: ApprovalKey) -> Response | None:
        """Take the verified response to ``proposal``; only one claim ever succeeds.

        Returns None while undecided (or when the response was forged and quarantined).
        Raises `AlreadyArchivedError` when the proposal was archived or claimed before:
        the decision must not be applied again.
        """
        if self.is_archived(proposal.id):
            raise AlreadyArchivedError(f"proposal {proposal.id} is already archived")
        source = self._file(self.responses, proposal.id)
        claim = self._file(self.claims, proposal.id)
        if claim.exists():
            raise AlreadyArchivedError(f"proposal {proposal.id} was already claimed")
        # rename, not link: it needs no ownership of the host-written file (Linux's
        # protected_hardlinks refuses links to other uids' files), and it is atomic: the
        # response is in responses/ or in claims/, and only one rename of it can succeed.
        try:
            os.rename(source, claim)
        except FileNotFoundError:
            return None
        fsync_dir(self.claims)
        fsync_dir(self.responses)
        return self._load_response(claim, proposal, key)

    def archive(
        self,
        proposal: Proposal,
        outcome: Outcome,
        *,
        by: ProposalOwner,
        response: Response | None = None,
        detail: str = "",
    ) -> ArchiveRecord:
        """Record how the owner finished with ``proposal`` (exactly once) and clear it.

        Raises `AlreadyArchivedError` if it was archived before, and `ValueError` if ``by``
        is not the proposal's owner (the UI never archives another component's proposal).
        """
        if by != proposal.owner:
            raise ValueError(
                f"{by} cannot archive a {proposal.kind} proposal; {proposal.owner} owns it"
            )
        record = ArchiveRecord(
            proposal=proposal,
            response=response,
            outcome=outcome,
            detail=detail,
            archived_at=utc_now(),
            archived_by=by,
        )
        target = self._file(self.processed, proposal.id)
        try:
            publish_new(self.tmp, target, record.model_dump_json().encode("utf-8"))
        except FileExistsError:
            raise AlreadyArchivedError(f"proposal {proposal.id} is already archived") from None
        self._clear(proposal.id)
        _log.info("proposal archived", {"id": proposal.id, "outcome": outcome})
        return record

    def _clear(self, proposal_id: str) -> None:
        for directory in (self.new, self.responses, self.claims):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._file(directory, proposal_id))

    def recover(self, owner: ProposalOwner) -> list[ArchiveRecord]:
        """At the owner's start: archive its unfinished proposals as ``interrupted``.

        Their waiting caller is gone, so none is applied; each keeps its response (if any)
        in the archive. Also removes left-overs of proposals already archived.
        """
        for directory in (self.new, self.responses, self.claims):
            for proposal_id in list(self._ids(directory)):
                if self.is_archived(proposal_id):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self._file(directory, proposal_id))
        records: list[ArchiveRecord] = []
        for entry in self.pending():
            proposal = entry.proposal
            if proposal.owner != owner:
                continue
            response: Response | None = None
            for directory in (self.claims, self.responses):
                path = self._file(directory, proposal.id)
                with contextlib.suppress(FileNotFoundError, InvalidMessageError):
                    response = read_message(path, Response)
                    break
            with contextlib.suppress(AlreadyArchivedError):
                records.append(
                    self.archive(
                        proposal,
                        "interrupted",
                        by=owner,
                        response=response,
                        detail=f"{owner} restarted before acting; nothing was applied",
                    )
                )
        return records

    # ------------------------------------------------------------------ host side

    def get(self, proposal_id: str) -> Proposal:
        """The pending proposal ``proposal_id``; raise `UnknownProposalError` otherwise."""
        path = self._file(self.new, proposal_id)
        if self.is_archived(proposal_id):
            raise UnknownProposalError(f"proposal {proposal_id} is already archived")
        try:
            return read_message(path, Proposal)
        except FileNotFoundError:
            raise UnknownProposalError(f"no pending proposal {proposal_id}") from None

    def _read_any_response(self, proposal_id: str) -> tuple[Response | None, bool]:
        for directory, claimed in ((self.claims, True), (self.responses, False)):
            try:
                return read_message(self._file(directory, proposal_id), Response), claimed
            except FileNotFoundError:
                continue
            except InvalidMessageError as exc:
                _log.warn("ignoring malformed response", {"reason": str(exc)})
        return None, False

    def pending(self) -> list[PendingEntry]:
        """Every valid proposal not yet archived, oldest first; bad files are logged, skipped."""
        entries: list[PendingEntry] = []
        for proposal_id in self._ids(self.new):
            if self.is_archived(proposal_id):
                continue
            try:
                proposal = read_message(self._file(self.new, proposal_id), Proposal)
            except FileNotFoundError:
                continue
            except InvalidMessageError as exc:
                _log.warn("ignoring invalid proposal", {"reason": str(exc)})
                continue
            response, claimed = self._read_any_response(proposal_id)
            entries.append(PendingEntry(proposal, response, claimed))
        entries.sort(key=lambda e: (e.proposal.created_at, e.proposal.id))
        return entries

    def decide(
        self,
        proposal_id: str,
        decision: Decision,
        key: ApprovalKey,
        *,
        decided_by: str,
        seen_sha256: str | None = None,
    ) -> Response:
        """Write the operator's signed response; the first decision on a proposal stands.

        ``seen_sha256`` is the content hash of the proposal as it was shown to the operator;
        when given and the proposal changed since, the decision is refused.
        """
        proposal = self.get(proposal_id)
        digest = content_hash(proposal)
        if seen_sha256 is not None and seen_sha256 != digest:
            raise DecisionRefusedError(f"proposal {proposal_id} changed since it was shown")
        check_decision(proposal, decision)
        if self._file(self.claims, proposal_id).exists():
            raise AlreadyDecidedError(f"proposal {proposal_id} was already decided")
        unsigned = {
            "proposal_id": proposal_id,
            "proposal_sha256": digest,
            "decision": decision,
            "decided_at": utc_now(),
            "decided_by": decided_by,
            "nonce": secrets.token_hex(16),
        }
        draft = Response.model_validate({**unsigned, "mac": "0" * 64})
        response = draft.model_copy(update={"mac": key.sign(_signed_fields(draft))})
        try:
            publish_new(
                self.tmp,
                self._file(self.responses, proposal_id),
                response.model_dump_json().encode("utf-8"),
            )
        except FileExistsError:
            raise AlreadyDecidedError(f"proposal {proposal_id} was already decided") from None
        _log.info(
            "decision written",
            {"id": proposal_id, "decision": decision.kind, "by": decided_by},
        )
        return response

    def archived(self) -> list[ArchiveRecord]:
        """Every valid archive record, oldest proposal first."""
        records: list[ArchiveRecord] = []
        for proposal_id in self._ids(self.processed):
            try:
                records.append(read_message(self._file(self.processed, proposal_id), ArchiveRecord))
            except (FileNotFoundError, InvalidMessageError) as exc:
                _log.warn("ignoring invalid archive record", {"reason": str(exc)})
        records.sort(key=lambda r: (r.proposal.created_at, r.proposal.id))
        return records

    def archive_record(self, proposal_id: str) -> ArchiveRecord | None:
        """The archive record of ``proposal_id``, or None if it is not archived."""
        try:
            return read_message(self._file(self.processed, proposal_id), ArchiveRecord)
        except FileNotFoundError:
            return None

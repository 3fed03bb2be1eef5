"""The messages on the queue volume: proposals, the operator's responses, archive records.

Every message is a frozen pydantic model that forbids extra fields and carries the
``version`` it was written with. A proposal wraps one *request*, a discriminated union on
``kind`` (the tool name from `bb_protocol.tools`); a response wraps one *decision*, a
discriminated union on ``kind`` (``approve``, ``reject``, ``modify``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from bb_protocol.paths import SLUG_PATTERN
from bb_protocol.routes import Route, normalise_route_host
from bb_protocol.tools import OWNER_FOR_TOOL, ProposalOwner
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS, PROTOCOL_VERSION

__all__ = [
    "APPROVE_NEEDS_REASON",
    "MODIFIABLE_KINDS",
    "PROPOSAL_ID_PATTERN",
    "Approve",
    "ArchiveRecord",
    "CapabilityBlockRequest",
    "Decision",
    "EgressAllowRequest",
    "EgressBlockRequest",
    "EgressTokenAllowRequest",
    "GitRefUpdate",
    "GitleaksAllowRequest",
    "GitleaksFinding",
    "Modify",
    "Outcome",
    "Proposal",
    "ProposalKind",
    "Reject",
    "Request",
    "Response",
    "utc_now",
]

PROPOSAL_ID_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,95}$")
"""A proposal id: safe as a file name (no dots, slashes, NUL or upper case)."""

ProposalKind = Literal[
    "egress-allow", "egress-block", "capability-block", "egress-token-allow", "gitleaks-allow"
]
"""The kinds of proposal; each is a tool name from `bb_protocol.tools`."""

MODIFIABLE_KINDS: Final[frozenset[str]] = frozenset({"egress-allow", "egress-block"})
"""Kinds the operator may modify; a token or gitleaks allowance is yes or no, nothing else."""

APPROVE_NEEDS_REASON: Final[frozenset[str]] = frozenset({"egress-token-allow", "gitleaks-allow"})
"""Kinds whose approval must carry a recorded reason."""

_NO_CONTROL: Final = re.compile(r"^[^\x00-\x1f\x7f]*$")
_SHA256_HEX: Final = r"^[0-9a-f]{64}$"
_SHA1_HEX: Final = r"^[0-9a-f]{40}$"


def _check_version(value: int) -> int:
    if value not in ACCEPTED_PROTOCOL_VERSIONS:
        accepted = ", ".join(str(v) for v in sorted(ACCEPTED_PROTOCOL_VERSIONS))
        raise ValueError(f"unknown protocol version {value}; this side accepts {accepted}")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a time zone")
    return value


def utc_now() -> datetime:
    """The current time in UTC (what every writer stamps)."""
    return datetime.now(UTC)


Version = Annotated[int, AfterValidator(_check_version)]
Timestamp = Annotated[datetime, AfterValidator(_aware)]
ProposalId = Annotated[str, StringConstraints(pattern=PROPOSAL_ID_PATTERN.pattern)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN.pattern)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_CONTROL.pattern)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Sha256 = Annotated[str, StringConstraints(pattern=_SHA256_HEX)]
Sha1 = Annotated[str, StringConstraints(pattern=_SHA1_HEX)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _host_pattern(value: str) -> str:
    """A route host as a route normalises it (same messages: quoted as written, URL hints)."""
    return normalise_route_host(value)


# --------------------------------------------------------------------------- requests


class EgressAllowRequest(_Model):
    """The agent asks for a route to be added to its bottle's egress routes."""

    kind: Literal["egress-allow"] = "egress-allow"
    """Discriminator: the tool name."""
    route: Route
    """The complete route to add, in the routes-file schema."""
    justification: Text = ""
    """Why the agent needs it, in its own words (shown sanitised to the operator)."""

    @field_validator("route")
    @classmethod
    def _not_operator_only(cls, route: Route) -> Route:
        if route.operator_only:
            raise ValueError(
                f"{', '.join(route.operator_only)} can only be set by the operator in a bottle"
                " manifest, never requested through a proposal"
            )
        return route


class EgressBlockRequest(_Model):
    """The agent asks for every route to a host to be removed."""

    kind: Literal["egress-block"] = "egress-block"
    """Discriminator: the tool name."""
    host: Annotated[
        str, StringConstraints(min_length=1, max_length=253), AfterValidator(_host_pattern)
    ]
    """The route host (exact or ``*.domain``) to remove, normalised like a route's host."""
    justification: Text = ""
    """Why the agent wants it gone."""


class CapabilityBlockRequest(_Model):
    """The agent reports it is blocked on a capability it lacks (free-form, for the operator)."""

    kind: Literal["capability-block"] = "capability-block"
    """Discriminator: the tool name."""
    capability: Line
    """What the agent lacks, in one line."""
    detail: Text = ""
    """What it tried and what it needs."""


class EgressTokenAllowRequest(_Model):
    """The proxy asks whether a request carrying a secret may leave (never the raw value)."""

    kind: Literal["egress-token-allow"] = "egress-token-allow"
    """Discriminator: the tool name."""
    host: Line
    """Destination host of the held request."""
    method: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Z]+$")]
    """HTTP method of the held request."""
    path: Annotated[
        str, StringConstraints(min_length=1, max_length=2000, pattern=_NO_CONTROL.pattern)
    ]
    """Path (and query) of the held request."""
    detectors: tuple[Line, ...] = Field(min_length=1, max_length=64)
    """Names of the DLP detectors that matched."""
    previews: tuple[Line, ...] = Field(default=(), max_length=64)
    """Redacted previews of the matches (never a raw value)."""
    fingerprint: Sha256
    """SHA-256 over the matched values: two asks about the same secret look the same."""


class GitRefUpdate(_Model):
    """One ref update a push asks for."""

    ref: Annotated[
        str, StringConstraints(min_length=1, max_length=255, pattern=_NO_CONTROL.pattern)
    ]
    """Full ref name, e.g. ``refs/heads/main``."""
    old: Sha1
    """Object id before (all zeros to create)."""
    new: Sha1
    """Object id after (all zeros to delete)."""


class GitleaksFinding(_Model):
    """One gitleaks finding, with the secret redacted."""

    rule_id: Line
    """The gitleaks rule that matched."""
    commit: Sha1
    """Commit the finding is in."""
    file: Annotated[
        str, StringConstraints(min_length=1, max_length=1000, pattern=_NO_CONTROL.pattern)
    ]
    """Path inside the repository."""
    line: Annotated[int, Field(ge=0)]
    """Line number (0 when gitleaks gives none)."""
    match: Annotated[str, StringConstraints(max_length=400)]
    """The match with the secret redacted."""
    fingerprint: Annotated[str, StringConstraints(max_length=1200)]
    """gitleaks' fingerprint, usable in a ``.gitleaksignore``."""


class GitleaksAllowRequest(_Model):
    """The git gate asks whether these exact commits may go upstream despite findings."""

    kind: Literal["gitleaks-allow"] = "gitleaks-allow"
    """Discriminator: the tool name."""
    repo: Line
    """Repo name from the gate's config."""
    updates: tuple[GitRefUpdate, ...] = Field(min_length=1, max_length=256)
    """The ref updates the push asks for."""
    commits: tuple[Sha1, ...] = Field(max_length=10_000)
    """Every new commit the push brings, oldest first: exactly what was scanned."""
    findings: tuple[GitleaksFinding, ...] = Field(min_length=1, max_length=1000)
    """What gitleaks found (secrets redacted)."""
    binding: Sha256
    """The gate's hash over repo, updates and commits."""


Request = Annotated[
    EgressAllowRequest
    | EgressBlockRequest
    | CapabilityBlockRequest
    | EgressTokenAllowRequest
    | GitleaksAllowRequest,
    Field(discriminator="kind"),
]
"""What a proposal asks for: a union discriminated on ``kind``."""


# --------------------------------------------------------------------------- proposal


class Proposal(_Model):
    """One request waiting for the operator, as written to ``new/<id>.json``."""

    version: Version = PROTOCOL_VERSION
    """Protocol version the writer spoke."""
    id: ProposalId
    """Unique id; also the file name (``<id>.json``)."""
    bottle: Slug
    """Slug of the bottle the request comes from."""
    created_at: Timestamp
    """When the owner wrote it."""
    request: Request
    """What is asked."""

    @property
    def kind(self) -> ProposalKind:
        """The request's kind (the tool name)."""
        return self.request.kind

    @property
    def owner(self) -> ProposalOwner:
        """The component that alone acts on the response and archives the proposal."""
        return OWNER_FOR_TOOL[self.request.kind]


# --------------------------------------------------------------------------- decisions


class Approve(_Model):
    """The operator approves the request as proposed."""

    kind: Literal["approve"] = "approve"
    """Discriminator."""
    reason: Text = ""
    """The operator's recorded reason (required for token and gitleaks allowances)."""


class Reject(_Model):
    """The operator rejects the request."""

    kind: Literal["reject"] = "reject"
    """Discriminator."""
    reason: Text = ""
    """The operator's reason, returned to the agent."""


class Modify(_Model):
    """The operator approves a changed version of the request (same kind)."""

    kind: Literal["modify"] = "modify"
    """Discriminator."""
    reason: Text = ""
    """The operator's reason, returned to the agent."""
    request: Request
    """The request as the operator changed it; this is what gets applied."""


Decision = Annotated[Approve | Reject | Modify, Field(discriminator="kind")]
"""The operator's decision: a union discriminated on ``kind``."""


class Response(_Model):
    """The operator's decision on one proposal, bound to its content and authenticated.

    ``mac`` is HMAC-SHA256 with the bottle's host-only key over the canonical JSON of every
    other field, so nothing without the key can forge a response, move one to another
    proposal (``proposal_id`` and ``proposal_sha256`` are covered) or alter the decision.
    """

    version: Version = PROTOCOL_VERSION
    """Protocol version the host spoke."""
    proposal_id: ProposalId
    """The proposal decided on."""
    proposal_sha256: Sha256
    """`bb_protocol.queue.content_hash` of the proposal the operator saw."""
    decision: Decision
    """What the operator decided."""
    decided_at: Timestamp
    """When."""
    decided_by: Annotated[str, StringConstraints(max_length=200, pattern=_NO_CONTROL.pattern)]
    """Who (``user@host`` of the operator)."""
    nonce: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    """Random, so two responses never share a MAC."""
    mac: Sha256
    """HMAC-SHA256 (hex) over the canonical JSON of the other fields."""

    @property
    def approved(self) -> bool:
        """True for approve and modify."""
        return self.decision.kind != "reject"


# --------------------------------------------------------------------------- archive

Outcome = Literal["approved", "modified", "rejected", "timed_out", "failed", "interrupted"]
"""How the owner finished with a proposal. ``interrupted``: the owner stopped (crash or
restart) before acting, so the decision was never applied."""


class ArchiveRecord(_Model):
    """What the owner writes to ``processed/<id>.json`` after acting: the whole story."""

    version: Version = PROTOCOL_VERSION
    """Protocol version the owner spoke."""
    proposal: Proposal
    """The proposal as submitted."""
    response: Response | None
    """The operator's response, or None (timed out or interrupted before a decision)."""
    outcome: Outcome
    """What the owner did."""
    detail: Text = ""
    """Anything the owner wants the operator to know (an error, a timeout)."""
    archived_at: Timestamp
    """When."""
    archived_by: ProposalOwner
    """Which component archived it (always the proposal's owner)."""

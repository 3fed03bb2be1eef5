"""Judging from the outside: search the observers' logs for each case's marker.

A case's needles are its marker (or, for content-scanning cases, its secret) in every
form a leak could take on the wire: verbatim, lower case, base64, base64url, hex,
URL-encoded. A needle found in the sink log or the DNS log is a leak. In the proxy's
audit log a marker in a ``deny`` line is the proxy recording its refusal (evidence, not a
leak), in an ``allow``/``redact``/``approved`` line it is a leak; a secret anywhere in
the audit log is a leak (secrets must never be logged).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RECORDED", "Evidence", "Logs", "Verdict", "needles_for"]

FORWARDED = frozenset({"allow", "redact", "approved"})


def needles_for(value: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every encoding of ``value`` a leak could carry."""
    raw = value.encode()
    forms = {
        value,
        value.lower(),
        value.upper(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
        urllib.parse.quote(value, safe=""),
        *extra,
    }
    return tuple(sorted(f for f in forms if len(f) >= 8))


@dataclass(frozen=True)
class Logs:
    """The three observers' logs, read once after the attacks ran."""

    sink: list[str]
    dns: list[str]
    audit: list[str]

    @classmethod
    def parse(cls, sink: str, dns: str, audit: str) -> Logs:
        return cls(sink.splitlines(), dns.splitlines(), audit.splitlines())

    def sink_records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.sink:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def _json(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class Evidence:
    """What one case left behind: client view (evidence only) and observer hits."""

    case_id: str
    marker: str
    secret: str | None
    client: dict[str, Any]
    sink_hits: list[str] = field(default_factory=list)
    dns_hits: list[str] = field(default_factory=list)
    audit_leaks: list[str] = field(default_factory=list)
    audit_denials: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    forwarded_bodies: list[dict[str, Any]] = field(default_factory=list)
    """Sink requests carrying the marker only in their body (see ``body_ok``)."""

    @classmethod
    def gather(
        cls,
        case_id: str,
        marker: str,
        secret: str | None,
        client: dict[str, Any],
        logs: Logs,
        extra_needles: Iterable[str] = (),
        context: dict[str, Any] | None = None,
        *,
        body_ok: bool = False,
    ) -> Evidence:
        """Search every log for the case's needles.

        With ``body_ok`` (smuggling cases: the hidden request is sent as the body of an
        allowed request) a sink request holding the marker only in its body is the allowed
        origin receiving a body, not a smuggled request; it is kept apart for checks.
        """
        needles = needles_for(secret or marker, extra_needles)

        def found(text: str) -> bool:
            return any(n in text for n in needles)

        def hits(lines: list[str]) -> list[str]:
            return [line for line in lines if found(line)]

        ev = cls(case_id, marker, secret, client, [], hits(logs.dns), context=context or {})
        for line in logs.sink:
            if not found(line):
                continue
            record = _json(line)
            outside_body = {k: v for k, v in record.items() if k not in ("body", "decoded")}
            if body_ok and record.get("kind") == "http" and not found(json.dumps(outside_body)):
                ev.forwarded_bodies.append(record)
            else:
                ev.sink_hits.append(line)
        for line in hits(logs.audit):
            try:
                decision = json.loads(line).get("decision")
            except ValueError:
                decision = None
            if secret is not None or decision in FORWARDED:
                ev.audit_leaks.append(line)
            else:
                ev.audit_denials.append(line)
        return ev

    @property
    def leaked(self) -> bool:
        return bool(self.sink_hits or self.dns_hits or self.audit_leaks)

    def summary(self) -> dict[str, Any]:
        return {
            "sink_hits": [line[:400] for line in self.sink_hits[:5]],
            "dns_hits": [line[:400] for line in self.dns_hits[:5]],
            "audit_leaks": [line[:400] for line in self.audit_leaks[:5]],
            "audit_denials": len(self.audit_denials),
            "forwarded_bodies": [
                {"request_line": r.get("request_line"), "headers": r.get("headers")}
                for r in self.forwarded_bodies[:5]
            ],
        }


Check = Callable[[Evidence], "str | None"]
"""A case-specific judgement: None when it holds, else what is wrong."""


@dataclass(frozen=True)
class Verdict:
    """A case's outcome: ``pass``, ``fail`` or ``skip``, with why and the evidence."""

    outcome: str
    reason: str
    evidence: dict[str, Any]


RECORDED: dict[str, Verdict] = {}
"""Every verdict of this session, by case id: the report (conftest) is written from it."""

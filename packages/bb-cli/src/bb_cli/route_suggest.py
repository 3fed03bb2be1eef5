"""Pure: turn what a bottle asked for (its audit records) into a proposed route list.

The way to write a tight allowlist for a new agent: run it under ``bb start --observe``,
let it work, then ``bb routes suggest``. Requests refused for want of a route (marked
``observed`` in observe mode) are grouped by scheme, host and port; each group becomes one
route allowing exactly the methods seen and the path prefixes seen:

* a path's prefix is its parent directory (``/v1/items/42`` gives ``/v1/items/``), so ids
  and file names vary but nothing outside the directories used is allowed; a path directly
  under ``/`` is kept whole (``/simple`` matches ``/simple`` and below, segment-bounded);
* a prefix lying under another prefix of the same route is dropped (already covered);
* hosts are never widened to ``*.domain``, and paths are dropped (any path) only when
  asked (``any_path``).

A redacted path (``[redacted]``, the DLP engine found something in it) cannot become a
prefix; it is counted in `Suggestion.skipped` so the operator can look at ``bb audit``.
The scheme is not in the audit line: a host reached through a ``CONNECT`` (or on port
443) is ``https``, any other is plain ``http``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bb_protocol.audit import AuditRecord
from bb_protocol.routes import DEFAULT_PORTS, Route, RoutesFile, Scheme, path_matches

__all__ = ["Suggestion", "path_prefix", "suggest_routes"]


def path_prefix(path: str) -> str:
    """The prefix a seen path suggests: its parent directory, or itself directly under ``/``."""
    if path in ("", "/"):
        return "/"
    if path.endswith("/"):
        return path
    parent = path.rsplit("/", 1)[0] + "/"
    return path if parent == "/" else parent


def _minimal(prefixes: Iterable[str]) -> tuple[str, ...]:
    ordered = sorted(set(prefixes), key=lambda p: (len(p), p))
    kept: list[str] = []
    for prefix in ordered:
        if not any(path_matches(k, prefix.rstrip("/") or "/") for k in kept):
            kept.append(prefix)
    return tuple(sorted(kept))


@dataclass
class _Group:
    methods: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    any_path: bool = False


@dataclass(frozen=True)
class Suggestion:
    """The proposed routes and what could not be used."""

    routes: RoutesFile
    """One route per scheme, host and port, sorted by host; valid by construction."""
    skipped: int = 0
    """Records not usable (redacted paths, hosts a route cannot name)."""


def _wanted(record: AuditRecord, include_allowed: bool) -> bool:
    if record.component != "egress":
        return False
    if record.decision == "deny" and record.reason == "no-route":
        return True
    return include_allowed and record.decision in ("allow", "redact", "approved")


def suggest_routes(
    records: Iterable[AuditRecord], *, include_allowed: bool = False, any_path: bool = False
) -> Suggestion:
    """Routes that would have allowed the refused requests (and the allowed ones, if asked)."""
    tunnels: set[tuple[str, int]] = set()
    groups: dict[tuple[str, int], _Group] = {}
    skipped = 0
    for record in records:
        if not _wanted(record, include_allowed):
            continue
        key = (record.host, record.port)
        if record.method == "CONNECT":
            tunnels.add(key)
            groups.setdefault(key, _Group())
            continue
        if record.path == "[redacted]":
            skipped += 1
            continue
        group = groups.setdefault(key, _Group())
        group.methods.add(record.method.upper())
        if record.path:
            group.paths.add(path_prefix(record.path))
        else:
            group.any_path = True
    routes: list[Route] = []
    for (host, port), group in sorted(groups.items()):
        if not group.methods:  # a tunnel with no request seen in it: nothing to allow yet
            continue
        scheme: Scheme = "https" if (host, port) in tunnels or port == 443 else "http"
        try:
            route = Route(
                host=host,
                scheme=scheme,
                port=None if DEFAULT_PORTS[scheme] == port else port,
                methods=tuple(sorted(group.methods - {"WS"} or {"GET"})),
                paths=None if any_path or group.any_path else _minimal(group.paths),
                note="suggested by bb routes suggest from observed requests",
            )
        except ValueError:
            skipped += 1
            continue
        routes.append(route)
    return Suggestion(RoutesFile(routes=tuple(routes)), skipped)

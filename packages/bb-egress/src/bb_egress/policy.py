"""Pure egress decisions: which connections and requests a routes file allows, and 403 bodies.

No mitmproxy import here: the addons (`bb_egress.addons`) translate flows into these calls,
so every rule can be tested as a plain function. Everything not allowed by a route is
denied, and every denial carries a reason code, a message for the agent that says what to
do next (which MCP tool to call), and the same as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from bb_egress.request_target import ambiguous_path, method_override, target_form_problem
from bb_protocol.routes import Route, RoutesFile, is_ip_literal, normalise_host
from bb_protocol.tools import TOOL_EGRESS_ALLOW

__all__ = [
    "Allowed",
    "Denied",
    "DenyReason",
    "body_too_large",
    "check_connect",
    "check_header_bytes",
    "check_request",
    "check_sni",
    "denial_body",
    "host_header_agrees",
    "names_destination",
    "parse_authority",
    "same_host",
    "split_path",
]

DenyReason = Literal[
    "ip-literal",
    "invalid-host",
    "no-route",
    "forbidden-destination",
    "resolution-failed",
    "host-mismatch",
    "sni-mismatch",
    "path-not-normal",
    "target-not-origin-form",
    "method-override",
    "non-http",
    "body-invalid",
    "dlp-block",
    "dlp-unredactable",
    "dlp-rejected",
    "injection-unavailable",
    "websocket-secret",
    "header-invalid",
    "body-too-large",
]
"""Machine-readable reason codes of a denial (stable: the audit log and tests use them)."""


@dataclass(frozen=True)
class Allowed:
    """The request may go out on ``route``."""

    route: Route


@dataclass(frozen=True)
class Denied:
    """The request is refused; ``detail`` is safe to show the agent (never a secret value)."""

    reason: DenyReason
    detail: str
    host: str
    port: int

    def next_step(self) -> str:
        """What the agent should do about this denial, naming the tool to call."""
        if self.reason in {"no-route"}:
            return (
                f"If this host is needed for the task, call the MCP tool '{TOOL_EGRESS_ALLOW}'"
                f" (supervise server) with host={self.host!r}, port={self.port} and a one-line"
                " reason; the operator decides. Do not retry through another host or address."
            )
        if self.reason.startswith("dlp") or self.reason == "websocket-secret":
            return (
                "The request carried what looks like a secret. Remove it and send the request"
                " without it; do not encode, split or obfuscate the value. If the route needs a"
                f" credential, ask the operator for one with '{TOOL_EGRESS_ALLOW}'."
            )
        if self.reason == "target-not-origin-form":
            return (
                "Send the request with a path starting with '/' (origin-form) to the host you"
                " connected to; a URL naming another host or port is never forwarded. To reach"
                f" another host, call '{TOOL_EGRESS_ALLOW}'."
            )
        if self.reason == "path-not-normal":
            return (
                "Send the plain path: no dot segments, ';' parameters, backslashes, double or"
                " invalid percent-encoding. This route allows only some paths; to reach"
                f" others, call '{TOOL_EGRESS_ALLOW}'."
            )
        if self.reason == "method-override":
            return (
                "Send the request with the method you mean and without a method-override"
                " header or '_method' parameter; this route allows only some methods. For"
                f" others, call '{TOOL_EGRESS_ALLOW}'."
            )
        if self.reason == "resolution-failed":
            return (
                f"The route to {self.host!r} is allowed, but the proxy could not resolve that"
                " name (it may not exist, or DNS failed). Check the host name for typos; do"
                " not retry through an address or another host. If a different host is"
                f" needed, call the MCP tool '{TOOL_EGRESS_ALLOW}' (supervise server)."
            )
        if self.reason in {"ip-literal", "forbidden-destination"}:
            return (
                "Use a host name, not an address; private, loopback, link-local and metadata"
                f" addresses are never reachable. Ask with '{TOOL_EGRESS_ALLOW}' for a named host."
            )
        return (
            "Send a well-formed request whose Host and TLS server name equal the CONNECT host;"
            f" to reach a new host, call '{TOOL_EGRESS_ALLOW}'."
        )


Decision = Allowed | Denied


def _endpoint(raw_host: str, port: int) -> tuple[str, None] | tuple[None, Denied]:
    if is_ip_literal(raw_host):
        return None, Denied(
            "ip-literal",
            f"{raw_host!r} is an IP address; only named hosts are routed",
            raw_host,
            port,
        )
    try:
        return normalise_host(raw_host), None
    except ValueError as exc:
        return None, Denied("invalid-host", str(exc), raw_host, port)


_CONTROL: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
"""Bytes no header name or value may hold (RFC 9110 5.5: field values are VCHAR, SP, HTAB)."""


def check_header_bytes(fields: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The first header holding a control byte (NUL, CR, LF, ...), described; else None.

    mitmproxy's inbound validation lets NUL through in HTTP/1 header values and would
    forward it; an origin or another proxy that stops at NUL sees a different header
    (a smuggling vector, found by the escape suite, case D42). Refuse instead.
    """
    for name, value in fields:
        bad = _CONTROL.search(name) or _CONTROL.search(value)
        if bad is not None:
            shown = name.decode("latin-1")[:40]
            return f"header {shown!r} holds control byte 0x{bad.group(0)[0]:02x}"
    return None


def check_connect(routes: RoutesFile, raw_host: str, port: int) -> Allowed | Denied:
    """Decide a CONNECT (or a new upstream connection) before any DNS lookup happens.

    Allowed when some route names this host and port; method and path are checked per
    request inside the tunnel.
    """
    host, denied = _endpoint(raw_host, port)
    if denied is not None:
        return denied
    assert host is not None
    candidates = routes.endpoint_routes(host, port)
    if not candidates:
        return Denied("no-route", f"no route allows {host}:{port}", host, port)
    return Allowed(candidates[0])


def split_path(target: str) -> str:
    """The path part of a request target (query and fragment removed)."""
    return target.split("?", 1)[0].split("#", 1)[0] or "/"


def check_request(
    routes: RoutesFile,
    *,
    scheme: str,
    raw_host: str,
    port: int,
    method: str,
    target: str,
    connect_host: str | None,
    connect_port: int | None,
    headers: Iterable[tuple[str, str]],
) -> Allowed | Denied:
    """Decide one HTTP request: host must equal the tunnel's, and a route must allow it.

    ``connect_host``/``connect_port`` are the CONNECT destination for requests inside a
    tunnel (`None` for plain-HTTP absolute-form requests). A request whose Host or
    ``:authority`` differs from the CONNECT host is domain fronting and is denied. The
    target must be origin-form whatever the HTTP version (`bb_egress.request_target`); on
    a path-restricted route the path must be unambiguous, and on a method-restricted
    route no override header or ``_method`` parameter may name another method.
    """
    host, denied = _endpoint(raw_host, port)
    if denied is not None:
        return denied
    assert host is not None
    if connect_host is not None and (host != connect_host or port != connect_port):
        return Denied(
            "host-mismatch",
            f"request for {host}:{port} inside a tunnel to {connect_host}:{connect_port}",
            host,
            port,
        )
    problem = target_form_problem(method, target)
    if problem is not None:
        return Denied("target-not-origin-form", problem, host, port)
    path = split_path(target)
    route = routes.find(scheme, host, port, method, path)
    if route is None:
        return Denied(
            "no-route", f"no route allows {method} {scheme}://{host}:{port}{path}", host, port
        )
    if route.paths is not None:
        problem = ambiguous_path(path)
        if problem is not None:
            detail = f"{problem} (this route allows only some paths)"
            return Denied("path-not-normal", detail, host, port)
    if route.methods is not None:
        query = target.partition("?")[2]
        problem = method_override(headers, query, route.methods)
        if problem is not None:
            return Denied("method-override", problem, host, port)
    return Allowed(route)


def same_host(name: str, host: str) -> bool:
    """True when ``name`` (a TLS server name, a Host value) normalises to ``host``.

    The one host comparison of the proxy: a name that does not even parse is never the
    same host, so a malformed SNI or Host is treated as a mismatch (fail closed).
    """
    try:
        return normalise_host(name) == normalise_host(host)
    except ValueError:
        return False


def check_sni(sni: str | None, tunnel_host: str, tunnel_port: int) -> Denied | None:
    """A denial when the TLS server name differs from the CONNECT host; `None` when it
    agrees or the client sent none (a client may omit SNI; the Host check still applies)."""
    if sni is None or same_host(sni, tunnel_host):
        return None
    return Denied(
        "sni-mismatch",
        f"TLS server name {sni!r} differs from CONNECT host {tunnel_host!r}",
        tunnel_host,
        tunnel_port,
    )


def parse_authority(value: str) -> tuple[str, int | None]:
    """Split a Host or ``:authority`` value into host and port (`None` when absent).

    ``[v6]:port`` and ``[v6]`` keep their brackets off the host; a trailing ``:x`` that
    is not a number belongs to the name (and fails the host comparison later).
    Raises `ValueError` for an empty value.
    """
    if not value:
        raise ValueError("empty authority")
    name, _, port = value.rpartition(":") if not value.endswith("]") else (value, "", "")
    if not name or not port.isdigit():
        return value.strip("[]"), None
    return name.strip("[]"), int(port)


def names_destination(value: str, host: str, port: int) -> bool:
    """True when the authority ``value`` names ``host`` (and ``port``, if it has one)."""
    try:
        name, named_port = parse_authority(value)
    except ValueError:
        return False
    return same_host(name, host) and named_port in {None, port}


def host_header_agrees(values: Iterable[str], host: str, port: int) -> bool:
    """Host, ``:authority`` and an absolute-form target all name the destination.

    Inside a tunnel mitmproxy dials the CONNECT host whatever the request says, while
    origins route by the absolute-form authority first, then Host (RFC 9112 3.2.2): any
    disagreement there is domain fronting. Empty values are absent and not compared.
    """
    return all(names_destination(v, host, port) for v in values if v)


def body_too_large(size: str | int, limit: int) -> str | None:
    """Why a body of ``size`` bytes is refused (over ``limit``), described; else None.

    A size that is not a number counts as 0: mitmproxy has already refused a malformed
    Content-Length before any hook sees it.
    """
    try:
        length = int(size)
    except ValueError:
        return None
    if length <= limit:
        return None
    return f"the request body ({length} bytes) exceeds {limit} bytes"


def denial_body(denied: Denied, *, want_json: bool) -> tuple[bytes, str]:
    """The 403 body and its content type: JSON when the client prefers it, else plain text."""
    document = {
        "error": "egress-denied",
        "reason": denied.reason,
        "detail": denied.detail,
        "host": denied.host,
        "port": denied.port,
        "next_step": denied.next_step(),
        "tool": TOOL_EGRESS_ALLOW,
    }
    if want_json:
        return json.dumps(document, sort_keys=True).encode(), "application/json"
    text = (
        f"bot-bottle egress proxy denied this request ({denied.reason}).\n"
        f"{denied.detail}\n\n"
        f"What to do next: {denied.next_step()}\n"
    )
    return text.encode(), "text/plain; charset=utf-8"

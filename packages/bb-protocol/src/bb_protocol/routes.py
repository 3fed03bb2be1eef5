"""The egress routes file (``routes.yaml``): schema, parsing, host normalisation, writing back.

Why here: the CLI writes this file from manifests, and its applicator rewrites it on the
host when the operator approves an ``egress-allow``/``egress-block`` proposal (or runs ``bb
routes add/rm``); supervise only reads it to list it for the agent, and the egress proxy
enforces it. All of them must read the same schema, so it lives in the contract package.

The file is default-deny: nothing passes unless a route matches. An empty file is a valid
file with no routes (deny-all); an invalid file raises `RoutesError` naming the route
(index and host) and the field, and the caller keeps deny-all (or its old routes).

Schema (YAML)::

    version: 1                      # optional, the only version is 1
    routes:
      - host: api.github.com        # exact host, or "*.example.com" for strict subdomains
        scheme: https               # https (default) or http
        port: 443                   # default 443 for https, 80 for http
        methods: [GET, POST]        # optional; default any method (KNOWN_METHODS only)
        paths: [/repos/]            # optional path prefixes; default any path
        outbound_on_match: supervise  # redact | block | supervise
        inject_headers:             # optional; values may reference EGRESS_TOKEN_* env vars
          Authorization: "Bearer ${EGRESS_TOKEN_GITHUB}"
        provider: false             # true for the agent's own LLM API (defaults to redact)
        private_network: false      # operator-only: may reach private addresses (see below)
        inject_over_http: false     # operator-only: allow inject_headers on scheme http
        note: why this route exists # optional, shown to the operator
        source: manifest            # optional provenance, written by bb (see RouteSource)

Private addresses: the proxy dials only public unicast addresses. A company LLM gateway,
LiteLLM or vLLM on a private address needs ``private_network: true`` on its route, set by
the operator in a bottle manifest. It opens RFC 1918, CGNAT (100.64/10) and IPv6 ULA
addresses for that route only; loopback, link-local, cloud metadata endpoints and the
proxy's own addresses stay refused. Risk: the route reaches whatever its name resolves to
on every private network the host can route to (including the Docker host's own bridge
addresses), so name only hosts whose DNS you control. A proposal (``egress-allow``) can
never carry it: `bb_protocol.queue` refuses such a request.

Credentials in clear: a route with ``scheme: http`` may not inject headers (the credential
would cross the network unencrypted) unless it also says ``inject_over_http: true``
(e.g. a vLLM on a trusted local network); operator-only like ``private_network``.

Host matching: hosts are compared after normalisation (trimmed, lower case, one trailing dot
dropped, internationalised labels converted to their ASCII ``xn--`` form). ``*.example.com``
matches ``a.example.com`` and ``a.b.example.com`` but never ``example.com`` itself. IP
literals are rejected in routes: the proxy always denies them.

Path matching is on segment boundaries: ``/repos`` matches ``/repos`` and ``/repos/x`` but
not ``/reposx``; a prefix ending in ``/`` matches anything below it.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bb_protocol.envvars import DEFAULT_SENSITIVE_PREFIX

__all__ = [
    "DEFAULT_PORTS",
    "FORBIDDEN_INJECT_HEADERS",
    "KNOWN_METHODS",
    "ROUTES_SCHEMA_VERSION",
    "OnMatch",
    "Route",
    "RouteSource",
    "RoutesError",
    "RoutesFile",
    "Scheme",
    "dump_routes",
    "host_matches",
    "is_ip_literal",
    "normalise_host",
    "normalise_route_host",
    "parse_routes",
    "path_matches",
]

ROUTES_SCHEMA_VERSION: Final = 1
"""The only routes-file version this contract knows."""

OnMatch = Literal["redact", "block", "supervise"]
"""What the proxy does when the DLP engine finds a secret in a request on this route."""

RouteSource = Literal["manifest", "runtime", "approval", "operator"]
"""Where a live route came from: the bottle manifest, the runtime's own model API, an
approved ``egress-allow`` proposal, or the operator's ``bb routes add``. Written by the host
(never taken from a proposal); shown by ``bb routes``; never used for matching."""

Scheme = Literal["https", "http"]
"""The URL schemes a route may allow."""

DEFAULT_PORTS: Final[Mapping[str, int]] = {"https": 443, "http": 80}
"""The port a route allows when it names none."""

FORBIDDEN_INJECT_HEADERS: Final = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
        "te",
        "trailer",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "proxy-authenticate",
        "expect",
    }
)
"""Framing and hop-by-hop headers a route may never inject (they would let it smuggle)."""

# fmt: off
# A table: one line per specification the methods come from.
KNOWN_METHODS: Final = frozenset(
    {
        # RFC 9110 (CONNECT is refused separately: tunnels are not routes) and RFC 5789
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH",
        # WebDAV (RFC 4918, 3253, 5323), used by some package and file servers
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
        # the safe QUERY method (draft-ietf-httpbis-safe-method-w-body)
        "QUERY",
    }
)
# fmt: on
"""Methods a route may allow: a typo (``GTE``) is refused, not silently never matched."""

_TOKEN: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_LABEL: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PLACEHOLDER: Final = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME: Final = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_PATH_BAD: Final = re.compile(r"[\s?#\\\x00-\x1f\x7f]")


class RoutesError(ValueError):
    """The routes file is invalid; the message names the route (index and host) and the field."""


# --------------------------------------------------------------------------- hosts


@functools.lru_cache(maxsize=4096)
def is_ip_literal(host: str) -> bool:
    """True when ``host`` is an IPv4 or IPv6 address (optionally bracketed) rather than a name.

    Also true for the numeric spellings that resolvers accept as IPv4 (``2130706433``,
    ``0x7f.1``, ``127.1``): a name made only of digits, hex and dots is never a DNS name.
    """
    text = host.strip().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return True
    labels = text.lower().split(".")
    return all(re.fullmatch(r"0x[0-9a-f]*|[0-9]+", label) for label in labels if label) and any(
        labels
    )


@functools.lru_cache(maxsize=4096)
def normalise_host(host: str) -> str:
    """Return ``host`` in canonical form, or raise `ValueError` saying what is wrong.

    Canonical form: trimmed, lower case, one trailing dot dropped, each label in IDNA ASCII
    form, each label 1-63 letters/digits/hyphens not starting or ending with a hyphen, 253
    characters at most. IP literals are refused: routes name hosts, never addresses.
    """
    return _normalise_host(host, host)


def _normalise_host(text: str, host: str) -> str:
    """`normalise_host` of ``text``; messages quote ``host``, the input as written."""
    text = text.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text:
        raise ValueError("host is empty")
    if is_ip_literal(text):
        raise ValueError(f"host {host!r} is an IP literal; routes must name a host")
    labels = text.split(".")
    out: list[str] = []
    for label in labels:
        if not label:
            raise ValueError(f"host {host!r} has an empty label")
        if label.isascii() and len(label) > 63:
            raise ValueError(
                f"host {host!r}: label {label!r} has {len(label)} characters; at most 63"
            )
        try:
            ascii_label = label.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise ValueError(f"host {host!r}: label {label!r} is not a valid IDNA label") from exc
        if not _LABEL.match(ascii_label):
            raise ValueError(
                f"host {host!r}: label {label!r} must be 1-63 letters, digits or hyphens,"
                " not starting or ending with a hyphen"
            )
        out.append(ascii_label)
    result = ".".join(out)
    if len(result) > 253:
        raise ValueError(f"host {host!r} is longer than 253 characters")
    return result


def _url_hint(host: str) -> str | None:
    """What to write instead when ``host`` holds a URL's scheme, port, path or credentials."""
    text = host.strip()
    scheme, sep, rest = text.partition("://")
    if sep:
        shown = f"{scheme}://"
        extra = " and add `scheme: http`" if scheme.lower() == "http" else ""
        return f"host {host!r} has a scheme: drop {shown!r}{extra} (host: {rest.split('/')[0]!r})"
    if is_ip_literal(text):
        return None  # refused as an IP literal, with its own message
    if "@" in text:
        return f"host {host!r} has credentials ('@'): name the host only; use inject_headers"
    if "/" in text:
        name, _, path = text.partition("/")
        return f"host {host!r} has a path: use host {name!r} and `paths: [/{path}]`"
    name, colon, port = text.rpartition(":")
    if colon and name and not name.startswith("[") and port.isdigit():
        return f"host {host!r} has a port: use host {name!r} and `port: {port}`"
    return None


def _normalise_pattern(host: str) -> str:
    hint = _url_hint(host)
    if hint is not None:
        raise ValueError(hint)
    text = host.strip()
    if text.startswith("*."):
        if "*" in text[2:]:
            raise ValueError(
                f"host {host!r}: '*' is allowed only once, as the whole first label ('*.domain')"
            )
        base = _normalise_host(text[2:], host)
        if base.count(".") < 1:
            raise ValueError(
                f"wildcard {host!r} is too broad: '*.' must be followed by at least two labels"
            )
        return "*." + base
    if "*" in text:
        raise ValueError(f"host {host!r}: '*' is allowed only as a whole first label ('*.domain')")
    return normalise_host(text)


def normalise_route_host(host: str) -> str:
    """A route's ``host`` (exact or ``*.domain``) as stored; `ValueError` says what is wrong."""
    return _normalise_pattern(host)


def host_matches(pattern: str, host: str) -> bool:
    """True when the normalised ``host`` matches the normalised route ``pattern``.

    ``*.example.com`` matches strict subdomains only; anything else must be equal.
    """
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def path_matches(prefix: str, path: str) -> bool:
    """True when ``path`` (query already removed) is ``prefix`` or lies below it."""
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


# --------------------------------------------------------------------------- models


class Route(BaseModel):
    """One allowed destination: a host (or subdomains), scheme and port, maybe narrowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    """Exact host or ``*.domain``, stored normalised (lower case, ASCII IDNA, no trailing dot)."""

    scheme: Scheme = "https"
    """URL scheme; plain ``http`` exists for the rare origin without TLS."""

    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """Destination port; `None` means the scheme's default (443 or 80)."""

    methods: tuple[str, ...] | None = None
    """Allowed methods, upper case; `None` allows any method."""

    paths: tuple[str, ...] | None = None
    """Allowed path prefixes (segment-bounded); `None` allows any path."""

    outbound_on_match: OnMatch | None = None
    """Policy when a request carries a secret; unset means redact (provider) or supervise."""

    inject_headers: dict[str, str] = Field(default_factory=dict)
    """Headers the proxy sets on every request of this route; ``${EGRESS_TOKEN_X}`` expands."""

    provider: bool = False
    """True for the agent's own LLM API route, whose default policy is ``redact``."""

    private_network: bool = False
    """Operator-only: this route may reach private addresses (module docstring: the risk)."""

    inject_over_http: bool = False
    """Operator-only: allow ``inject_headers`` on a plain ``http`` route (sent in clear)."""

    note: str | None = None
    """Why the route exists, for the operator; never used for matching."""

    source: RouteSource | None = None
    """Where the route came from (`RouteSource`); `None` in files written before it existed."""

    @field_validator("host", mode="before")
    @classmethod
    def _host(cls, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("host must be a string")
        return _normalise_pattern(value)

    @field_validator("methods", mode="before")
    @classmethod
    def _methods(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not value:
            raise ValueError("methods must be a non-empty list of HTTP methods")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not _TOKEN.match(item):
                raise ValueError(f"method {item!r} is not an HTTP method token")
            if item.upper() == "CONNECT":
                raise ValueError("method CONNECT cannot be allowed: tunnels are not routes")
            if item.upper() not in KNOWN_METHODS:
                close = difflib.get_close_matches(item.upper(), sorted(KNOWN_METHODS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"method {item!r} is not a known HTTP method{hint}; known: "
                    + ", ".join(sorted(KNOWN_METHODS))
                )
            if item.upper() not in out:
                out.append(item.upper())
        return tuple(out)

    @field_validator("paths", mode="before")
    @classmethod
    def _paths(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not value:
            raise ValueError("paths must be a non-empty list of path prefixes")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.startswith("/"):
                raise ValueError(f"path prefix {item!r} must be a string starting with '/'")
            if _PATH_BAD.search(item):
                raise ValueError(
                    f"path prefix {item!r} must not contain whitespace, '?', '#', '\\'"
                    " or control characters"
                )
            segments = item.split("/")
            if any(seg in {".", ".."} for seg in segments) or "%" in item:
                raise ValueError(
                    f"path prefix {item!r} must not contain '.' or '..' segments or"
                    " percent-encoding"
                )
            if item not in out:
                out.append(item)
        return tuple(out)

    @field_validator("inject_headers", mode="before")
    @classmethod
    def _inject_headers(cls, value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("inject_headers must be a mapping of header name to value")
        seen: set[str] = set()
        for name, header_value in value.items():
            if not isinstance(name, str) or not _TOKEN.match(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if name.lower() in FORBIDDEN_INJECT_HEADERS:
                raise ValueError(f"header {name!r} cannot be injected (framing or hop-by-hop)")
            if name.lower() in seen:
                raise ValueError(f"header {name!r} is given twice (names are case-insensitive)")
            seen.add(name.lower())
            if not isinstance(header_value, str):
                raise ValueError(f"header {name!r}: value must be a string")
            if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", header_value):
                raise ValueError(f"header {name!r}: value must not contain control characters")
            for var in _PLACEHOLDER.findall(header_value):
                if not _ENV_NAME.match(var) or not var.startswith(DEFAULT_SENSITIVE_PREFIX):
                    raise ValueError(
                        f"header {name!r}: ${{{var}}} must name an environment variable"
                        f" starting with {DEFAULT_SENSITIVE_PREFIX} (upper case, digits, '_')"
                    )
            if "$" in _PLACEHOLDER.sub("", header_value):
                raise ValueError(
                    f"header {name!r}: '$' may appear only in ${{{DEFAULT_SENSITIVE_PREFIX}NAME}}"
                    " references"
                )
        return value

    @model_validator(mode="after")
    def _no_credential_in_clear(self) -> Route:
        if self.scheme == "http" and self.inject_headers and not self.inject_over_http:
            raise ValueError(
                "inject_headers on a plain-http route would send the credential unencrypted;"
                " use scheme https, or set inject_over_http: true if the network is trusted"
            )
        if self.inject_over_http and self.scheme != "http":
            raise ValueError("inject_over_http is only for routes with scheme http")
        return self

    @property
    def operator_only(self) -> tuple[str, ...]:
        """The settings set here that only an operator may grant (never a proposal)."""
        return tuple(
            name for name in ("private_network", "inject_over_http") if getattr(self, name)
        )

    @property
    def effective_port(self) -> int:
        """The port this route allows (the scheme's default when none is given)."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    @property
    def effective_on_match(self) -> OnMatch:
        """The on-match policy in force: the explicit one, else redact (provider) or supervise."""
        if self.outbound_on_match is not None:
            return self.outbound_on_match
        return "redact" if self.provider else "supervise"

    @property
    def secret_env_vars(self) -> frozenset[str]:
        """Environment variables the injected headers reference (egress needs them set)."""
        return frozenset(
            var for value in self.inject_headers.values() for var in _PLACEHOLDER.findall(value)
        )

    def matches_endpoint(self, host: str, port: int) -> bool:
        """True when a connection to the normalised ``host`` and ``port`` may use this route."""
        return port == self.effective_port and host_matches(self.host, host)

    def matches_request(self, scheme: str, host: str, port: int, method: str, path: str) -> bool:
        """True when the request (``path`` without its query) is allowed by this route."""
        if scheme != self.scheme or not self.matches_endpoint(host, port):
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.paths is None or any(path_matches(p, path) for p in self.paths)

    def label(self) -> str:
        """A short human name: ``scheme://host:port``."""
        return f"{self.scheme}://{self.host}:{self.effective_port}"


class RoutesFile(BaseModel):
    """The whole routes file: a version and the ordered routes (first match wins)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = ROUTES_SCHEMA_VERSION
    """Schema version; only 1 exists."""

    routes: tuple[Route, ...] = ()
    """The allowed routes in file order; an empty tuple denies everything."""

    @model_validator(mode="before")
    @classmethod
    def _none_routes(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("routes", ()) is None:
            return {**data, "routes": ()}
        return data

    @property
    def secret_env_vars(self) -> frozenset[str]:
        """Every environment variable any route's injected headers reference."""
        out: frozenset[str] = frozenset()
        for route in self.routes:
            out |= route.secret_env_vars
        return out

    def endpoint_routes(self, host: str, port: int) -> tuple[Route, ...]:
        """Routes a connection to ``host`` (normalised) and ``port`` could use, in file order."""
        return tuple(r for r in self.routes if r.matches_endpoint(host, port))

    def find(self, scheme: str, host: str, port: int, method: str, path: str) -> Route | None:
        """The first route allowing this request, or `None` (deny)."""
        for route in self.routes:
            if route.matches_request(scheme, host, port, method, path):
                return route
        return None


# --------------------------------------------------------------------------- text I/O


def _describe_location(raw: object, loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "routes" and isinstance(loc[1], int):
        index = loc[1]
        host = "?"
        if isinstance(raw, dict):
            routes = raw.get("routes")
            if isinstance(routes, list) and 0 <= index < len(routes):
                entry = routes[index]
                if isinstance(entry, dict) and isinstance(entry.get("host"), str):
                    host = entry["host"]
        field = ".".join(str(part) for part in loc[2:]) or "(the route itself)"
        return f"route {index} (host {host!r}), field {field!r}"
    field = ".".join(str(part) for part in loc) or "(top level)"
    return f"field {field!r}"


def parse_routes(text: str, source: str = "routes.yaml") -> RoutesFile:
    """Parse and validate a routes file; raise `RoutesError` naming ``source``, route and field.

    Empty text (or only comments) is a valid file with no routes, which denies everything.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RoutesError(f"{source}: not valid YAML: {exc}") from exc
    if raw is None:
        return RoutesFile()
    if not isinstance(raw, dict):
        raise RoutesError(
            f"{source}: the top level must be a mapping with a 'routes' list,"
            f" got {type(raw).__name__}"
        )
    if "routes" in raw and raw["routes"] is not None and not isinstance(raw["routes"], list):
        raise RoutesError(f"{source}: field 'routes' must be a list of routes")
    try:
        return RoutesFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{_describe_location(raw, tuple(error['loc']))}: {message}")
        raise RoutesError(f"{source}: " + "; ".join(problems)) from None


def dump_routes(routes: RoutesFile) -> str:
    """Write ``routes`` as YAML in the same schema `parse_routes` reads (defaults omitted)."""
    entries: list[dict[str, object]] = []
    for route in routes.routes:
        entry: dict[str, object] = {"host": route.host}
        if route.scheme != "https":
            entry["scheme"] = route.scheme
        if route.port is not None:
            entry["port"] = route.port
        if route.methods is not None:
            entry["methods"] = list(route.methods)
        if route.paths is not None:
            entry["paths"] = list(route.paths)
        if route.outbound_on_match is not None:
            entry["outbound_on_match"] = route.outbound_on_match
        if route.inject_headers:
            entry["inject_headers"] = dict(route.inject_headers)
        if route.provider:
            entry["provider"] = True
        if route.private_network:
            entry["private_network"] = True
        if route.inject_over_http:
            entry["inject_over_http"] = True
        if route.note is not None:
            entry["note"] = route.note
        if route.source is not None:
            entry["source"] = route.source
        entries.append(entry)
    document = {"version": routes.version, "routes": entries}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)

"""What a request may say beyond its host: target form, path ambiguity, method overrides.

Pure functions returning a one-line problem (safe to show the agent) or ``None``; the
policy (`bb_egress.policy.check_request`) turns a problem into a denial. Why each exists
(issue 16, found by an outside red team):

* **Target form.** An HTTP/2 ``:path`` is free text. mitmproxy keeps it as the path and,
  towards an HTTP/1.1 origin, writes it verbatim into the request line, so ``:path`` =
  ``https://other.example/x`` went upstream as ``GET https://other.example/x HTTP/1.1``
  with the allowed Host. Origins must honour an absolute-form authority over Host (RFC
  9112 3.2.2): fronting onto any tenant of the allowed front end, with the route's
  injected credential. Only origin-form (``/path?query``) passes, and ``*`` for OPTIONS,
  whatever the HTTP version; an HTTP/1 absolute-form request line has already been split
  by the proxy into authority (checked against the tunnel) and path (checked here).
* **Ambiguous paths** on path-restricted routes. The route matches the path as sent;
  origins decode it again (``%252e`` twice), drop ``;`` parameters (Tomcat reads ``..;``
  as ``..``), turn backslashes into slashes, accept overlong UTF-8 (``%c0%ae`` = ``.``) or
  fold look-alike characters (``U+FF0E``). Each can land outside the allowed prefix, so a
  path that could mean something else is refused, naming the construct.
* **Method overrides** on method-restricted routes. ``X-HTTP-Method-Override`` and kin,
  and a ``_method`` query, form or JSON field, make many frameworks (Rails, Laravel,
  Symfony, Express's method-override, Google APIs) run another method than the request
  line says. One that names a method the route does not allow is refused rather than
  stripped: stripping would silently send a different request than the agent meant (a
  POST where it asked for a DELETE), while a refusal says why. An override naming an
  allowed method (Google's ``POST`` + ``X-HTTP-Method-Override: GET``) passes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qsl, unquote_to_bytes

__all__ = [
    "METHOD_OVERRIDE_HEADERS",
    "METHOD_OVERRIDE_PARAMETER",
    "ambiguous_path",
    "body_method_override",
    "method_override",
    "target_form_problem",
]

METHOD_OVERRIDE_HEADERS: Final = frozenset(
    {"x-http-method-override", "x-http-method", "x-method-override"}
)
"""Headers (lower case) frameworks read as the real method of a request."""

METHOD_OVERRIDE_PARAMETER: Final = "_method"
"""Query or form parameter Rails, Laravel and Symfony read as the real method."""

_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_VCHAR: Final = re.compile(r"[^\x21-\x7e\x80-\U0010ffff]")
"""Whitespace and control characters: never valid in a request target."""


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def target_form_problem(method: str, target: str) -> str | None:
    """Why ``target`` is not an origin-form request target for ``method``; None when it is.

    Origin-form is ``/`` then path and optional query. ``*`` is allowed for OPTIONS only.
    Refused besides: ``//host`` and ``/\\host`` (read as another host by URL parsers that
    resolve a reference), a fragment (never part of a request target; servers that keep
    it match a different path than the proxy did), whitespace and control characters.
    """
    if target == "*":
        if method.upper() == "OPTIONS":
            return None
        return f"the asterisk target '*' is only valid for OPTIONS, not {method}"
    if not target.startswith("/"):
        if _SCHEME.match(target) and "//" in target:
            return (
                f"the request target {_shown(target)} is an absolute URI, which names its own"
                " host; send a path starting with '/' (origin-form) to the tunnel's host"
            )
        return (
            f"the request target {_shown(target)} is not origin-form; send a path starting with '/'"
        )
    bad = _NOT_VCHAR.search(target)
    if bad is not None:
        return (
            f"the request target holds whitespace or control character"
            f" U+{ord(bad.group(0)):04X}; percent-encode it"
        )
    second = target[1:4].lower()
    if second.startswith(("/", "\\")) or second in {"%2f", "%5c"}:
        return (
            f"the request target {_shown(target)} starts with a network-path reference"
            " ('//' or a look-alike) that URL parsers read as another host"
        )
    if "#" in target:
        return "the request target holds a fragment ('#'); fragments are never sent to servers"
    return None


_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONFUSABLE: Final = frozenset("./\\;%?#")
_MULTIPART_METHOD: Final = re.compile(
    rb'content-disposition:[^\r\n]*\bname=(?:"_method"|_method(?=[;\s]))[^\r\n]*\r?\n'
    rb"(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]*)",
    re.IGNORECASE,
)
"""A multipart part named ``_method``: its headers, the blank line, the value's first line."""


def ambiguous_path(path: str) -> str | None:
    """What makes ``path`` (no query) mean different things to different servers; else None.

    Run on path-restricted routes only: there the prefix check must see the path the
    origin will act on. Refused: dot segments (also encoded, overlong, look-alike or with
    trailing dots and spaces), ``;`` path parameters, backslashes, encoded ``/``, ``\\``,
    ``?``, ``#`` and ``%`` (double encoding), encoded control bytes, malformed escapes, and
    percent-encoded bytes that are not valid UTF-8 (overlong forms such as ``%c0%ae``).
    """
    if _PERCENT.search(path):
        return "the path has a '%' that does not start a two-digit escape"
    lowered = path.lower()
    for encoded, what in (
        ("%25", "an encoded '%' (%25): a server that decodes twice sees another path"),
        ("%2f", "an encoded '/' (%2f): servers disagree on whether it separates segments"),
        ("%5c", "an encoded '\\' (%5c): some servers treat it as '/'"),
        ("%3f", "an encoded '?' (%3f): a server that decodes before splitting ends the path there"),
        ("%23", "an encoded '#' (%23): a server that decodes before splitting ends the path there"),
    ):
        if encoded in lowered:
            return f"the path has {what}"
    try:
        decoded = unquote_to_bytes(path.encode("utf-8", "surrogateescape")).decode("utf-8")
    except UnicodeDecodeError:
        return (
            "the path decodes to bytes that are not valid UTF-8 (an overlong form such as"
            " %c0%ae can be read as '.')"
        )
    control = re.search(r"[\x00-\x1f\x7f]", decoded)
    if control is not None:
        return f"the path has an encoded control byte 0x{ord(control.group(0)):02x}"
    if "\\" in decoded:
        return "the path has a backslash, which some servers treat as '/'"
    if ";" in decoded:
        return (
            "the path has ';' (a path parameter): servers such as Tomcat drop it, so '..;'"
            " is read as '..'"
        )
    for char in decoded:
        if ord(char) > 0x7F and _CONFUSABLE & set(unicodedata.normalize("NFKC", char)):
            folded = unicodedata.normalize("NFKC", char)
            return (
                f"the path has U+{ord(char):04X}, which Unicode normalisation turns into {folded!r}"
            )
    for segment in decoded.split("/"):
        if segment and not segment.rstrip(". "):
            return f"the path has a dot segment {segment!r} (also when percent-encoded)"
    return None


def _overrides_not_allowed(values: Iterable[str], allowed: tuple[str, ...]) -> str | None:
    for value in values:
        wanted = value.strip().upper()
        if wanted not in allowed:
            return wanted or "(empty)"
    return None


def method_override(
    headers: Iterable[tuple[str, str]], query: str, allowed: tuple[str, ...]
) -> str | None:
    """A method-override header or ``_method`` query parameter naming a method not in
    ``allowed``, described; else None. ``query`` is the part after ``?`` (may be empty)."""
    for name, value in headers:
        if name.lower().replace("_", "-") in METHOD_OVERRIDE_HEADERS:  # CGI folds _ and -
            wanted = _overrides_not_allowed([value], allowed)
            if wanted is not None:
                return (
                    f"the {name} header asks the origin to run {wanted!r}, a method this"
                    f" route does not allow ({', '.join(allowed)})"
                )
    params = parse_qsl(query, keep_blank_values=True)
    wanted = _overrides_not_allowed(
        [v for k, v in params if k.lower() == METHOD_OVERRIDE_PARAMETER], allowed
    )
    if wanted is not None:
        return (
            f"the {METHOD_OVERRIDE_PARAMETER} query parameter asks the origin to run"
            f" {wanted!r}, a method this route does not allow ({', '.join(allowed)})"
        )
    return None


def body_method_override(content_type: str, body: bytes, allowed: tuple[str, ...]) -> str | None:
    """A ``_method`` field in a request body naming a method not in ``allowed``.

    Rails (Rack::MethodOverride) and Laravel read it from POST forms: url-encoded,
    untyped (Rack parses a POST without Content-Type as a form) and multipart; Laravel
    also from a JSON body's top-level object.
    """
    if b"method" not in body.lower():
        return None
    kind = content_type.split(";", 1)[0].strip().lower()
    values: list[str] = []
    if kind in {"", "application/x-www-form-urlencoded"}:  # Rack parses untyped POSTs too
        text = body.decode("latin-1")
        values = [
            v
            for k, v in parse_qsl(text, keep_blank_values=True)
            if k.lower() == METHOD_OVERRIDE_PARAMETER
        ]
    elif kind == "multipart/form-data":
        values = [m.group(1).decode("latin-1") for m in _MULTIPART_METHOD.finditer(body)]
    elif kind == "application/json" or kind.endswith("+json"):
        try:
            document = json.loads(body)
        except ValueError:
            document = None  # not JSON after all: the origin cannot read a field from it
        if isinstance(document, dict):
            values = [str(v) for k, v in document.items() if k.lower() == METHOD_OVERRIDE_PARAMETER]
    wanted = _overrides_not_allowed(values, allowed)
    if wanted is None:
        return None
    return (
        f"the body field {METHOD_OVERRIDE_PARAMETER} asks the origin to run {wanted!r}, a"
        f" method this route does not allow ({', '.join(allowed)})"
    )

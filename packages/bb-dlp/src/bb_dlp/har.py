"""Reading HAR 1.2 files into the DLP engine's request and websocket types.

Accepts what browsers and proxies write: ``postData.text`` (with the non-standard
``encoding: base64`` some tools add), and Chrome's ``_webSocketMessages`` (only ``send``
frames: what the client sent). Anything malformed is a `HarError` naming the entry and field.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bb_dlp.models import DlpError, OutboundRequest, WebSocketMessage

__all__ = ["HarEntry", "HarError", "load_har", "parse_har"]


class HarError(DlpError, ValueError):
    """A HAR file cannot be read or does not follow HAR 1.2."""


# The HAR fields the engine reads, checked by hand rather than by pydantic models: importing
# pydantic and building the schemas cost ~0.1 s, most of ``bb dlp scan``'s start-up budget
# (issue 14), for five small record types. Unknown fields are allowed (HAR tools add their own).


class _FieldError(Exception):
    """A field is missing or of the wrong type: (dotted location, message)."""

    def __init__(self, where: str, msg: str) -> None:
        super().__init__(where, msg)
        self.where, self.msg = where, msg


def _obj(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _FieldError(where, "Input should be an object")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise _FieldError(where, "Input should be a valid list")
    return value


def _str(record: dict[str, object], key: str, where: str, default: str | None = None) -> str:
    if key not in record:
        if default is None:
            raise _FieldError(f"{where}.{key}", "Field required")
        return default
    value = record[key]
    if not isinstance(value, str):
        raise _FieldError(f"{where}.{key}", "Input should be a valid string")
    return value


@dataclass(frozen=True, slots=True)
class _PostData:
    text: str
    encoding: str | None


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    url: str
    headers: list[tuple[str, str]]
    post: _PostData | None


@dataclass(frozen=True, slots=True)
class _WsMessage:
    type: str
    opcode: int
    data: str


def _request(raw: object, where: str) -> _Request:
    req = _obj(raw, where)
    method = _str(req, "method", where)
    url = _str(req, "url", where)
    headers: list[tuple[str, str]] = []
    for n, h in enumerate(_list(req.get("headers", []), f"{where}.headers")):
        hw = f"{where}.headers.{n}"
        record = _obj(h, hw)
        headers.append((_str(record, "name", hw), _str(record, "value", hw)))
    post: _PostData | None = None
    raw_post = req.get("postData")
    if raw_post is not None:
        pw = f"{where}.postData"
        record = _obj(raw_post, pw)
        _str(record, "mimeType", pw, "")
        encoding = record.get("encoding")
        if encoding is not None and not isinstance(encoding, str):
            raise _FieldError(f"{pw}.encoding", "Input should be a valid string")
        post = _PostData(_str(record, "text", pw, ""), encoding)
    return _Request(method, url, headers, post)


def _ws_messages(raw: object, where: str) -> list[_WsMessage]:
    out: list[_WsMessage] = []
    for n, m in enumerate(_list(raw, where)):
        mw = f"{where}.{n}"
        record = _obj(m, mw)
        kind = _str(record, "type", mw)
        if kind not in ("send", "receive"):
            raise _FieldError(f"{mw}.type", "Input should be 'send' or 'receive'")
        opcode = record.get("opcode", 1)
        if not isinstance(opcode, int) or isinstance(opcode, bool):
            raise _FieldError(f"{mw}.opcode", "Input should be a valid integer")
        out.append(_WsMessage(kind, opcode, _str(record, "data", mw, "")))
    return out


def _entries(raw: object) -> list[tuple[_Request, list[_WsMessage]]]:
    root = _obj(raw, "(root)")
    if "log" not in root:
        raise _FieldError("log", "Field required")
    log = _obj(root["log"], "log")
    if "entries" not in log:
        raise _FieldError("log.entries", "Field required")
    out: list[tuple[_Request, list[_WsMessage]]] = []
    for n, e in enumerate(_list(log["entries"], "log.entries")):
        ew = f"log.entries.{n}"
        entry = _obj(e, ew)
        if "request" not in entry:
            raise _FieldError(f"{ew}.request", "Field required")
        request = _request(entry["request"], f"{ew}.request")
        frames = _ws_messages(entry.get("_webSocketMessages", []), f"{ew}._webSocketMessages")
        out.append((request, frames))
    return out


@dataclass(frozen=True, slots=True)
class HarEntry:
    """One HAR entry as the engine sees it."""

    index: int
    request: OutboundRequest
    websocket: tuple[WebSocketMessage, ...]


def _body(entry: int, post: _PostData | None) -> bytes:
    if post is None:
        return b""
    if post.encoding == "base64":
        try:
            return base64.b64decode(post.text, validate=True)
        except binascii.Error as exc:
            raise HarError(f"entry {entry}: postData.text is not valid base64 ({exc})") from exc
    return post.text.encode("utf-8", "surrogateescape")


def _convert(index: int, req: _Request, messages: list[_WsMessage]) -> HarEntry:
    parts = urlsplit(req.url)
    if not parts.scheme or not parts.hostname:
        raise HarError(f"entry {index}: request.url {req.url[:80]!r} is not an absolute URL")
    try:
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    except ValueError as exc:
        raise HarError(f"entry {index}: request.url has a bad port ({exc})") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = OutboundRequest(
        method=req.method,
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        path=path,
        headers=req.headers,
        body=_body(index, req.post),
    )
    frames: list[WebSocketMessage] = []
    for n, msg in enumerate(messages):
        if msg.type != "send":
            continue
        if msg.opcode == 2:
            try:
                content = base64.b64decode(msg.data, validate=True)
            except binascii.Error as exc:
                raise HarError(
                    f"entry {index}: _webSocketMessages[{n}] binary data is not base64"
                ) from exc
            frames.append(WebSocketMessage(parts.hostname, path, content, is_text=False))
        else:
            frames.append(WebSocketMessage(parts.hostname, path, msg.data.encode(), is_text=True))
    return HarEntry(index, request, tuple(frames))


def parse_har(text: str | bytes) -> list[HarEntry]:
    """Entries of a HAR document; `HarError` names the first problem."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HarError(f"not JSON: {exc}") from exc
    try:
        entries = _entries(raw)
    except _FieldError as exc:
        raise HarError(f"not a HAR 1.2 document: {exc.where}: {exc.msg}") from None
    return [_convert(i, req, messages) for i, (req, messages) in enumerate(entries)]


def load_har(path: Path) -> list[HarEntry]:
    """Entries of the HAR file at ``path``; `HarError` for unreadable or invalid files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HarError(f"cannot read: {exc.strerror or exc}") from exc
    return parse_har(data)

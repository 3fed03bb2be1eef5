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
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bb_dlp.models import DlpError, OutboundRequest, WebSocketMessage

__all__ = ["HarEntry", "HarError", "load_har", "parse_har"]


class HarError(DlpError, ValueError):
    """A HAR file cannot be read or does not follow HAR 1.2."""


class _NameValue(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    """Header name."""
    value: str
    """Header value."""


class _PostData(BaseModel):
    model_config = ConfigDict(extra="allow")
    mimeType: str = ""  # noqa: N815 - HAR field name
    """Declared body type."""
    text: str = ""
    """The body (text, or base64 when ``encoding`` says so)."""
    encoding: str | None = None
    """``base64`` for binary bodies (an extension several tools write)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")
    method: str
    """HTTP method."""
    url: str
    """Absolute URL."""
    headers: list[_NameValue] = Field(default_factory=list)
    """Request headers in order."""
    postData: _PostData | None = None  # noqa: N815 - HAR field name
    """The body, if any."""


class _WsMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["send", "receive"]
    """Direction: only ``send`` left the client."""
    opcode: int = 1
    """1 text, 2 binary (base64 in ``data``)."""
    data: str = ""
    """Frame payload."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow")
    request: _Request
    """The request as sent."""
    webSocketMessages: list[_WsMessage] = Field(  # noqa: N815 - Chrome field name
        default_factory=list, alias="_webSocketMessages"
    )
    """Chrome's websocket frames."""


class _Log(BaseModel):
    model_config = ConfigDict(extra="allow")
    entries: list[_Entry]
    """Recorded exchanges."""


class _Har(BaseModel):
    model_config = ConfigDict(extra="allow")
    log: _Log
    """The HAR root."""


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


def _convert(index: int, entry: _Entry) -> HarEntry:
    req = entry.request
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
        headers=[(h.name, h.value) for h in req.headers],
        body=_body(index, req.postData),
    )
    frames: list[WebSocketMessage] = []
    for n, msg in enumerate(entry.webSocketMessages):
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
        har = _Har.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HarError(f"not a HAR 1.2 document: {where}: {first['msg']}") from exc
    return [_convert(i, entry) for i, entry in enumerate(har.log.entries)]


def load_har(path: Path) -> list[HarEntry]:
    """Entries of the HAR file at ``path``; `HarError` for unreadable or invalid files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HarError(f"cannot read: {exc.strerror or exc}") from exc
    return parse_har(data)

"""Reading HAR 1.2 into engine requests: bodies, base64, websocket frames, bad input."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bb_dlp.har import HarError, load_har, parse_har


def _har(*entries: dict[str, object]) -> str:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": entries}})


def _entry(url: str = "https://api.example.com/v1/x?q=1", **extra: object) -> dict[str, object]:
    request: dict[str, object] = {
        "method": "POST",
        "url": url,
        "headers": [{"name": "A", "value": "b"}],
    }
    request.update(extra)
    return {"request": request}


def test_an_entry_becomes_an_outbound_request() -> None:
    """Method, scheme, host, default port, path with query, headers in order, text body."""
    [entry] = parse_har(_har(_entry(postData={"mimeType": "text/plain", "text": "hi"})))
    r = entry.request
    assert (r.method, r.scheme, r.host, r.port, r.path) == (
        "POST",
        "https",
        "api.example.com",
        443,
        "/v1/x?q=1",
    )
    assert (r.headers, r.body) == ([("A", "b")], b"hi")


def test_a_base64_body_is_decoded() -> None:
    """``encoding: base64`` bodies are binary and decoded before scanning."""
    data = bytes(range(256))
    post = {
        "mimeType": "application/octet-stream",
        "text": base64.b64encode(data).decode(),
        "encoding": "base64",
    }
    [entry] = parse_har(_har(_entry(postData=post)))
    assert entry.request.body == data


def test_only_sent_websocket_frames_are_kept() -> None:
    """Chrome's ``_webSocketMessages``: ``send`` frames only, binary ones base64-decoded."""
    entry = _entry("wss://ws.example.com/socket")
    entry["_webSocketMessages"] = [
        {"type": "send", "time": 1.0, "opcode": 1, "data": "hello"},
        {"type": "receive", "time": 1.1, "opcode": 1, "data": "from server"},
        {"type": "send", "time": 1.2, "opcode": 2, "data": base64.b64encode(b"\x00\x01").decode()},
    ]
    [parsed] = parse_har(_har(entry))
    assert [(m.content, m.is_text) for m in parsed.websocket] == [
        (b"hello", True),
        (b"\x00\x01", False),
    ]
    assert parsed.request.port == 443


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ('{"log": {}}', "log.entries"),
        (_har({"request": {"method": "GET"}}), "url"),
        (_har(_entry("/relative")), "entry 0: request.url"),
        (_har(_entry(postData={"text": "@@@", "encoding": "base64"})), "entry 0: postData.text"),
    ],
)
def test_invalid_har_is_refused_naming_the_problem(text: str, problem: str) -> None:
    """Bad input is a HarError whose message says what and where."""
    with pytest.raises(HarError, match=problem):
        parse_har(text)


def test_an_unreadable_file_is_a_har_error(tmp_path: Path) -> None:
    """A missing file is reported, not a traceback."""
    with pytest.raises(HarError, match="cannot read"):
        load_har(tmp_path / "missing.har")

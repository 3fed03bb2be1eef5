"""Specification of bb_egress.addons.audit: each verdict written once, never a secret."""

import json
from pathlib import Path

from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from bb_egress.addons import META_VERDICT, Audit, Verdict
from bb_egress.audit import AuditLog
from bb_egress.policy import Denied


class Detects:
    """Finds 'secret' in any text."""

    async def process(self, flow: http.HTTPFlow, route: object, bottle: str) -> str | Denied:
        return "allow"

    async def scan_websocket(
        self, flow: http.HTTPFlow, content: bytes, is_text: bool
    ) -> Denied | None:
        return None

    def last_detectors(self, flow: http.HTTPFlow) -> tuple[str, ...]:
        return ()

    def text_detectors(self, text: str) -> tuple[str, ...]:
        return ("canary",) if "secret" in text else ()


def _lines(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]


def _flow(path: bytes = b"/v1?token=x") -> http.HTTPFlow:
    return tflow.tflow(req=tutils.treq(host="api.example.com", port=443, path=path))


def test_a_verdict_is_written_once_without_the_query(tmp_path: Path) -> None:
    """The verdict is popped: a second hook on the same flow writes nothing more."""
    addon = Audit(AuditLog(tmp_path / "a.jsonl"), Detects(), "b")  # type: ignore[arg-type]
    flow = _flow()
    flow.metadata[META_VERDICT] = Verdict("allow", route="https://api.example.com:443")
    with taddons.context(addon):
        addon.requestheaders(flow)
        addon.request(flow)
    (line,) = _lines(tmp_path)
    assert (line["decision"], line["path"], line["route"]) == (
        "allow",
        "/v1",
        "https://api.example.com:443",
    )


def test_a_refusal_before_the_scan_has_its_host_and_path_screened(tmp_path: Path) -> None:
    """The agent chose them: a finding makes them [redacted] and names the detector."""
    addon = Audit(AuditLog(tmp_path / "a.jsonl"), Detects(), "b")  # type: ignore[arg-type]
    flow = _flow(b"/upload/secret-value")
    flow.metadata[META_VERDICT] = Verdict("deny", reason="no-route", host="secret.example")
    with taddons.context(addon):
        addon.requestheaders(flow)
    (line,) = _lines(tmp_path)
    assert (line["host"], line["path"], line["detectors"]) == (
        "[redacted]",
        "[redacted]",
        ["canary"],
    )


def test_a_websocket_drop_is_logged_as_ws_with_the_path_redacted(tmp_path: Path) -> None:
    """Method WS, path [redacted], the scanner's detectors."""
    addon = Audit(AuditLog(tmp_path / "a.jsonl"), Detects(), "b")  # type: ignore[arg-type]
    flow = _flow()
    flow.metadata[META_VERDICT] = Verdict(
        "deny", reason="websocket-secret", detectors=("d",), tainted=True, method="WS", screen=False
    )
    with taddons.context(addon):
        addon.websocket_message(flow)
    (line,) = _lines(tmp_path)
    assert (line["method"], line["path"], line["detectors"]) == ("WS", "[redacted]", ["d"])


def test_a_connect_line_has_no_path(tmp_path: Path) -> None:
    """A tunnel decision logs host and port only."""
    addon = Audit(AuditLog(tmp_path / "a.jsonl"), Detects(), "b")  # type: ignore[arg-type]
    flow = tflow.tflow(
        req=tutils.treq(method=b"CONNECT", host="api.example.com", port=443, path=b"")
    )
    flow.metadata[META_VERDICT] = Verdict("allow", route="r", host="api.example.com")
    with taddons.context(addon):
        addon.http_connect(flow)
    assert _lines(tmp_path)[0]["path"] == ""

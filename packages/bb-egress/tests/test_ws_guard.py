"""Specification of bb_egress.ws_guard: control frames towards servers carry nothing."""

import pytest
import wsproto.events

from bb_egress import ws_guard


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (wsproto.events.Ping(payload=b"secret"), wsproto.events.Ping(payload=b"")),
        (wsproto.events.Pong(payload=b"secret"), wsproto.events.Pong(payload=b"")),
        (
            wsproto.events.CloseConnection(code=1000, reason="secret"),
            wsproto.events.CloseConnection(code=1000, reason=None),
        ),
        (
            wsproto.events.CloseConnection(code=4242, reason=None),
            wsproto.events.CloseConnection(code=1000, reason=None),
        ),
    ],
)
def test_outbound_control_frames_lose_payload_reason_and_custom_codes(
    event: wsproto.events.Event, expected: wsproto.events.Event
) -> None:
    """Ping/pong payloads and close reasons are emptied; non-standard codes become 1000."""
    assert ws_guard.sanitise_outbound(event) == expected


def test_data_messages_pass_unchanged() -> None:
    """Messages are scanned by the addon, not here."""
    message = wsproto.events.TextMessage(data="hello")
    assert ws_guard.sanitise_outbound(message) is message


def test_install_wraps_mitmproxys_sender_once() -> None:
    """install() is idempotent and marks the wrapper."""
    ws_guard.install()
    ws_guard.install()
    assert ws_guard.installed()

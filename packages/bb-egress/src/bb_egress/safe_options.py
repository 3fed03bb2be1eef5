"""The mitmproxy options that close its known bypasses: set once, re-checked by the addon.

One table serves both directions: `SAFE_OPTIONS` is what ``bb-egress run`` (and the test and
benchmark proxies, which must measure the same proxy) passes to mitmproxy, and
`unsafe_option` is what the addon's ``configure`` refuses when any other value is set later
(``--set`` on a command line, a script, an options file). Each enforced option carries the
reason it matters (docs: /work/shared/research/security.md section 4). Pure: no mitmproxy
import, so the table can be read and tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["ENFORCED_OPTIONS", "SAFE_OPTIONS", "unsafe_option"]

ENFORCED_OPTIONS: Final[dict[str, tuple[object, str]]] = {
    "stream_large_bodies": (None, "bodies would reach the server unscanned"),
    "rawtcp": (False, "non-HTTP tunnels would pass unscanned"),
    "ignore_hosts": ([], "ignored hosts pass through unscanned"),
    "allow_hosts": ([], "non-matching hosts pass through unscanned"),
    "connection_strategy": ("lazy", "eager connects before the policy decides"),
    "ssl_insecure": (False, "upstream TLS would not be verified"),
    "validate_inbound_headers": (True, "request smuggling would be possible"),
    "mode": (["regular"], "only regular proxy mode is supported"),
    "http3": (False, "HTTP/3 is not supported"),
}
"""Option -> (the only accepted value, why any other value is refused)."""

SAFE_OPTIONS: Final[dict[str, object]] = {
    **{name: value for name, (value, _why) in ENFORCED_OPTIONS.items()},
    # Set but not enforced: they only change what the proxy shows or how long it waits.
    "onboarding": False,
    "tcp_timeout": 120,
    "termlog_verbosity": "warn",
}
"""Everything ``bb-egress run`` sets on mitmproxy before the addon loads."""


def unsafe_option(name: str, value: object) -> str | None:
    """Why ``value`` for option ``name`` opens a way around the policy, or None if it is safe.

    Sequences compare by their items, so a tuple ``()`` is as empty as the list ``[]``.
    """
    if name not in ENFORCED_OPTIONS:
        return None
    safe, why = ENFORCED_OPTIONS[name]
    if isinstance(safe, list) and isinstance(value, Sequence) and not isinstance(value, str):
        return None if list(value) == safe else why
    return None if value == safe and type(value) is type(safe) else why

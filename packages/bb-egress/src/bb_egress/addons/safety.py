"""Process-level guards: safe mitmproxy options, no raw TCP or UDP, the CA exported.

`SafeOptions` refuses, in ``configure``, any value of an option that would open a way
around the policy (the table is `bb_egress.safe_options`: streaming, raw TCP,
passthrough hosts, eager connections, insecure upstream TLS, lax header validation).
`NonHttpGuard` kills raw TCP and UDP flows: only HTTP leaves. `CaExport` copies the
CA's public certificate (never the key) to where the launcher reads it.
"""

from __future__ import annotations

from pathlib import Path

from mitmproxy import ctx, exceptions, tcp, udp

from bb_egress.safe_options import ENFORCED_OPTIONS, unsafe_option
from bb_protocol.atomic import write_atomic

__all__ = ["CaExport", "NonHttpGuard", "SafeOptions"]


class SafeOptions:
    """Refuses option values that would open a way around the policy."""

    def configure(self, updated: set[str]) -> None:
        """Raise `OptionsError` naming the option and why its new value is unsafe."""
        for name in sorted(updated & ENFORCED_OPTIONS.keys()):
            if not hasattr(ctx.options, name):
                continue
            value = getattr(ctx.options, name)
            why = unsafe_option(name, value)
            if why is not None:
                raise exceptions.OptionsError(  # type: ignore[no-untyped-call]
                    f"bb-egress refuses {name}={value!r}: {why}"
                )


class NonHttpGuard:
    """Raw TCP and UDP never leave."""

    def tcp_start(self, flow: tcp.TCPFlow) -> None:
        """Kill a raw TCP flow."""
        flow.kill()  # type: ignore[no-untyped-call]

    def udp_start(self, flow: udp.UDPFlow) -> None:
        """Kill a UDP flow."""
        flow.kill()  # type: ignore[no-untyped-call]


class CaExport:
    """Publishes the CA's public certificate for the launcher (atomically, mode 0644)."""

    def __init__(self, target: Path | None) -> None:
        self.target = target

    def running(self) -> None:
        """Copy ``mitmproxy-ca-cert.pem`` from the confdir to the target."""
        if self.target is None:
            return
        source = Path(ctx.options.confdir).expanduser() / "mitmproxy-ca-cert.pem"
        self.target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.target, source.read_bytes(), mode=0o644)

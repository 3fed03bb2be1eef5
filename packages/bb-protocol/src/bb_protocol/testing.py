"""Test helpers shipped with the contract (like ``mitmproxy.test.tflow``).

Not imported by any component at run time. `sample_request` builds a valid request of each
kind. Crash injection (``kill_at_operation``) is a test harness, not a factory: it lives in
the dev-only ``bb_testkit.crash``.
"""

from __future__ import annotations

from bb_protocol.queue.models import (
    CapabilityBlockRequest,
    EgressAllowRequest,
    EgressBlockRequest,
    EgressTokenAllowRequest,
    GitleaksAllowRequest,
    GitleaksFinding,
    GitRefUpdate,
    Request,
)
from bb_protocol.routes import Route

__all__ = ["sample_request"]

_SHA1 = "a" * 40


def sample_request(kind: str, tag: str = "") -> Request:
    """A valid request of ``kind``; ``tag`` goes into a free-text field to tell them apart."""
    match kind:
        case "egress-allow":
            return EgressAllowRequest(route=Route(host="pypi.org"), justification=f"deps {tag}")
        case "egress-block":
            return EgressBlockRequest(host="example.com", justification=f"done {tag}")
        case "capability-block":
            return CapabilityBlockRequest(capability="docker", detail=tag)
        case "egress-token-allow":
            return EgressTokenAllowRequest(
                host="api.github.com",
                method="POST",
                path=f"/repos/x/issues?{tag}",
                detectors=("github-pat",),
                previews=("ghp_****abcd",),
                fingerprint="0" * 64,
            )
        case "gitleaks-allow":
            return GitleaksAllowRequest(
                repo="demo",
                updates=(GitRefUpdate(ref="refs/heads/main", old="0" * 40, new=_SHA1),),
                commits=(_SHA1,),
                findings=(
                    GitleaksFinding(
                        rule_id="generic-api-key",
                        commit=_SHA1,
                        file=f"config{tag}.py",
                        line=3,
                        match="key = 'REDACTED'",
                        fingerprint=f"{_SHA1}:config.py:generic-api-key:3",
                    ),
                ),
                binding="1" * 64,
            )
    raise ValueError(f"unknown kind {kind!r}")

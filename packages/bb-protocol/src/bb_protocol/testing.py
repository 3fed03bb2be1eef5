"""Test helpers shipped with the contract (like ``mitmproxy.test.tflow``).

Not imported by any component at run time. `sample_request` builds a valid request of each
kind; `kill_at_operation` makes the current process SIGKILL itself at its Nth filesystem
mutation, so crash tests hit every point of a writer's protocol reproducibly.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any, Final

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

__all__ = ["MUTATING_OS_CALLS", "kill_at_operation", "sample_request"]

MUTATING_OS_CALLS: Final = ("open", "write", "fsync", "link", "rename", "replace", "unlink")
"""The ``os`` functions the queue uses to change files; each counts as one crash point."""

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


def kill_at_operation(n: int) -> None:
    """SIGKILL this process at its ``n``-th mutating ``os`` call (1-based), before it runs."""
    counter = {"left": n}

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counter["left"] -= 1
            if counter["left"] <= 0:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)

        wrapper.__name__ = name
        return wrapper

    for name in MUTATING_OS_CALLS:
        setattr(os, name, wrap(name, getattr(os, name)))

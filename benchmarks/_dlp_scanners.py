"""The three scanners the DLP benchmark compares, each over the same requests.

* bb: `bb_dlp.scan_outbound` with the default detectors, exactly as the egress proxy calls it.
* gitleaks 8 (the host binary): one ``gitleaks dir`` over a folder holding each request as a
  file (its HTTP/1.1 wire form), so a thousand requests cost one process start, not a thousand.
* Kingfisher's SDK with its bundled rules at medium confidence, in process, scanning the same
  wire bytes; only visible findings count (invisible ones are components of other rules).

Each answers "how many findings in request i" for a list of requests; the benchmark turns that
into recall (positives flagged) and flag rates (negatives, benign traffic flagged).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bb_dlp import DlpConfig, OutboundRequest, scan_outbound

__all__ = ["bb_counts", "gitleaks_counts", "kingfisher", "kingfisher_counts", "wire"]


def wire(request: OutboundRequest) -> bytes:
    """The request as it crosses the wire (HTTP/1.1): what a scanner outside the proxy sees."""
    head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {request.host}"]
    head += [f"{name}: {value}" for name, value in request.headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + request.body


def bb_counts(requests: Sequence[OutboundRequest], config: DlpConfig) -> list[int]:
    """Findings per request from bb's engine."""
    return [len(scan_outbound(r, config).findings) for r in requests]


def gitleaks_counts(
    requests: Sequence[OutboundRequest], extra: Sequence[str] = ()
) -> list[int] | None:
    """Findings per request from ``gitleaks dir`` (default rules), or None without gitleaks."""
    exe = shutil.which("gitleaks")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bb-bench-gitleaks-") as tmp:
        root = Path(tmp, "requests")
        root.mkdir()
        for i, request in enumerate(requests):
            (root / f"{i:06d}.http").write_bytes(wire(request))
        report = Path(tmp, "report.json")
        cmd = [exe, "dir", str(root), "--no-banner", "--exit-code", "0", "-l", "error"]
        cmd += ["-f", "json", "-r", str(report), *extra]
        subprocess.run(cmd, capture_output=True, check=True, timeout=600)
        counts = [0] * len(requests)
        for finding in json.loads(report.read_text() or "[]"):
            counts[int(Path(finding["File"]).stem)] += 1
    return counts


def kingfisher() -> Any | None:
    """Kingfisher's scanner on its bundled rules (medium confidence), or None if not installed.

    The SDK's own rule cache (its default user cache directory) makes repeated runs load
    rather than compile; the benchmark reports which happened.
    """
    try:
        import kingfisher_sdk
    except ImportError:
        return None
    rules = kingfisher_sdk.Rules(confidence="medium")
    return kingfisher_sdk.Scanner(rules)


def kingfisher_counts(requests: Sequence[OutboundRequest], scanner: Any) -> list[int]:
    """Visible findings per request from Kingfisher's scanner."""
    return [sum(1 for f in scanner.scan(wire(r)) if f.visible) for r in requests]

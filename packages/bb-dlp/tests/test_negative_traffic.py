"""Zero findings on realistic benign traffic with the default detectors and 20 secrets."""

from __future__ import annotations

import pytest

from bb_dlp import DlpConfig, OutboundRequest, scan_outbound
from bb_dlp.testing import negative_corpus, random_secrets

CONFIG = DlpConfig.from_environ(random_secrets(20))
CORPUS = negative_corpus()


@pytest.mark.parametrize("request_", CORPUS, ids=lambda r: f"{r.method} {r.host}{r.path[:30]}")
def test_benign_agent_traffic_raises_no_finding(request_: OutboundRequest) -> None:
    """LLM calls with code, hashes, UUIDs, images, lockfiles, forms: nothing to report."""
    result = scan_outbound(request_, CONFIG)
    assert result.clean, [(f.detector, f.surface, f.preview) for f in result.findings]


def test_the_entropy_detector_is_opt_in_because_it_fires_on_images() -> None:
    """With entropy enabled the base64 image is reported (warn-only, severity info)."""
    config = DlpConfig.from_environ(random_secrets(2), ["all", "entropy"])
    findings = [f for r in CORPUS for f in scan_outbound(r, config).findings]
    assert findings
    assert {(f.detector, f.severity, f.redactable) for f in findings} == {
        ("entropy", "info", False)
    }

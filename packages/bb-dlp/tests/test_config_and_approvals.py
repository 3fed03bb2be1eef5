"""DlpConfig from the environment, and safe_tokens (operator approvals)."""

from __future__ import annotations

import concurrent.futures

import pytest

from bb_dlp import (
    OUTBOUND_DETECTOR_NAMES,
    DlpConfig,
    DlpConfigError,
    scan_outbound,
)
from bb_dlp.testing import make_request

A = "Qm7vRt4wYb8nZx9kQ2pLjH3s"
B = "pL2xW9qR4tY7uI1oE5aS8dF3"


def test_entropy_is_opt_in_and_not_part_of_the_default_set() -> None:
    """ "all" means every default detector; entropy must be asked for by name."""
    assert "entropy" not in OUTBOUND_DETECTOR_NAMES
    assert DlpConfig.from_environ({}).detectors == frozenset(OUTBOUND_DETECTOR_NAMES)
    assert "entropy" not in DlpConfig.from_environ({}, ["all"]).detectors
    assert "entropy" in DlpConfig.from_environ({}, ["all", "entropy"]).detectors


def test_an_unknown_detector_name_is_refused_with_the_known_names() -> None:
    """A typo fails loudly instead of silently scanning less."""
    with pytest.raises(DlpConfigError, match=r"unknown DLP detector 'tokens'.*token_patterns"):
        DlpConfig.from_environ({}, ["tokens"])


def test_secrets_come_from_sensitive_prefixes_only() -> None:
    """EGRESS_TOKEN_ always; BOT_BOTTLE_SENSITIVE_PREFIXES adds more; settings are not secrets."""
    env = {
        "EGRESS_TOKEN_X": A,
        "MY_SECRET_Y": B,
        "OTHER_Z": "Zz9yY8xX7wW6vV5uU4tT3sS2",
        "BOT_BOTTLE_SENSITIVE_PREFIXES": " MY_SECRET_ , ,",
        "EGRESS_TOKEN_ALLOW_TIMEOUT_SECONDS": "300",
    }
    config = DlpConfig.from_environ(env)
    assert {s.name for s in config.secrets} == {"EGRESS_TOKEN_X", "MY_SECRET_Y"}
    assert config.warnings == []


def test_the_canary_variable_is_the_canary() -> None:
    """EGRESS_TOKEN_CANARY is a known secret marked as the canary."""
    [secret] = DlpConfig.from_environ({"EGRESS_TOKEN_CANARY": A}).secrets
    assert secret.is_canary


@pytest.mark.parametrize("value", ["", "short", "1234567"])
def test_secrets_too_short_to_match_are_reported_not_ignored(value: str) -> None:
    """A value that cannot be matched safely is named in the warnings at startup."""
    config = DlpConfig.from_environ({"EGRESS_TOKEN_PIN": value})
    assert config.secrets == ()
    assert any("EGRESS_TOKEN_PIN" in w for w in config.warnings)


def test_a_low_entropy_secret_keeps_exact_matching_and_is_reported() -> None:
    """Separator-tolerant matching is disabled for a regular value, and the warning says so."""
    config = DlpConfig.from_environ({"EGRESS_TOKEN_P": "aaaaaaaaaaaa"})
    assert any("separator-tolerant" in w for w in config.warnings)
    assert not scan_outbound(make_request("/?k=aaaaaaaaaaaa"), config).clean


CONFIG = DlpConfig.from_environ({"EGRESS_TOKEN_A": A, "EGRESS_TOKEN_B": B})


def test_an_approved_value_is_skipped_and_a_second_secret_is_still_caught() -> None:
    """Approval of one value does not stop the scan."""
    request = make_request(body=f"first {A} second {B}".encode())
    result = scan_outbound(request, CONFIG, safe_tokens=frozenset({A}))
    assert [f.secret_name for f in result.findings] == ["EGRESS_TOKEN_B"]


def test_an_approved_exact_match_skips_separator_and_fragment_passes() -> None:
    """Passes 2 and 3 would re-block the same value the operator just approved."""
    request = make_request(body=f"value {A} and again {A[:18]}".encode())
    assert not scan_outbound(request, CONFIG).clean
    assert scan_outbound(request, CONFIG, safe_tokens=frozenset({A})).clean


def test_an_approved_token_pattern_value_is_skipped() -> None:
    """safe_tokens applies to provider tokens as well."""
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    request = make_request(headers=[("Authorization", f"token {token}")])
    [finding] = scan_outbound(request, CONFIG).findings
    assert scan_outbound(request, CONFIG, safe_tokens=frozenset({finding.matched})).clean


def test_scans_in_worker_threads_agree_with_a_serial_scan() -> None:
    """No shared mutable state: concurrent scans give the same findings."""
    requests = [make_request(body=f"x {A if i % 2 else B} y {i}".encode()) for i in range(64)]
    serial = [scan_outbound(r, CONFIG) for r in requests]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda r: scan_outbound(r, CONFIG), requests))
    assert parallel == serial

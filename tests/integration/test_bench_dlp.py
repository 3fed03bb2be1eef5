"""The DLP benchmark's comparison: the development set found where it is pointed (or a clear
message), and bb, gitleaks and Kingfisher given the same requests, counted per request."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks._devset import (
    DEVSET_VAR,
    DevsetMissingError,
    chat_body,
    find_rules_dir,
    load_noseyparker,
)
from benchmarks._dlp_scanners import bb_counts, gitleaks_counts, kingfisher, kingfisher_counts
from benchmarks.bench_dlp import _flagged_rates

from bb_dlp import DlpConfig
from bb_dlp.testing import make_request

ROOT = Path(__file__).resolve().parents[2]

# A GitHub classic token shape, generated here (not a real token); the negative is one short.
TOKEN = "ghp_" + "Zq7Xw2Lm9Rt4Kp8Vb3Ns6Hd1Jf5Gc0Ya" + "Tu9E"
RULES = f"""
rules:
- name: GitHub Personal Access Token
  id: np.github.1
  pattern: 'x'
  examples:
  - '{TOKEN}'
  negative_examples:
  - 'ghp_short'
"""


@pytest.fixture
def devset(tmp_path: Path) -> Path:
    rules = tmp_path / "secret-examples" / "noseyparker-rules" / "rules"
    rules.mkdir(parents=True)
    (rules / "github.yml").write_text(RULES)
    (rules / "acme.yml").write_text(
        "rules:\n- name: Acme\n  id: np.acme.1\n  examples:\n  - 'plain words only'\n"
    )
    return tmp_path / "secret-examples"


def test_the_devset_is_found_from_the_option_the_variable_or_not_at_all(
    devset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--devset`` wins, then the variable; a wrong place is an error that says how to fix it."""
    rules = devset / "noseyparker-rules" / "rules"
    assert find_rules_dir(str(devset)) == rules
    assert find_rules_dir(str(rules)) == rules
    monkeypatch.setenv(DEVSET_VAR, str(devset / "noseyparker-rules"))
    assert find_rules_dir() == rules
    with pytest.raises(DevsetMissingError, match="--devset=PATH or set BOT_BOTTLE_SECRET"):
        find_rules_dir(str(tmp_path / "nowhere"))


def test_examples_load_per_provider_with_their_label(devset: Path) -> None:
    """Every example and negative example, with the rule file's stem as provider."""
    loaded = load_noseyparker(find_rules_dir(str(devset)))
    assert [(e.provider, e.rule, e.positive) for e in loaded] == [
        ("acme", "np.acme.1", True),
        ("github", "np.github.1", True),
        ("github", "np.github.1", False),
    ]


def test_the_chat_body_escapes_the_example_as_json_would() -> None:
    """Quotes and newlines inside the example become ``\\"`` and ``\\n`` in the body."""
    body = chat_body('key = "abc"\nnext')
    assert b'key = \\"abc\\"\\nnext' in body
    assert json.loads(body)["messages"][0]["content"].count('"abc"') == 1


@pytest.mark.skipif(shutil.which("gitleaks") is None, reason="gitleaks is not installed")
def test_the_three_scanners_count_findings_per_request_on_the_same_requests(devset: Path) -> None:
    """The token is found by each scanner in its request and nowhere else."""
    loaded = load_noseyparker(find_rules_dir(str(devset)))
    requests = [make_request("/v1/messages", body=chat_body(e.text)) for e in loaded]
    counts = {
        "bb": bb_counts(requests, DlpConfig.from_environ({})),
        "gitleaks": gitleaks_counts(requests),
        "kingfisher": kingfisher_counts(requests, kingfisher()),
    }
    for name, found in counts.items():
        assert found is not None
        assert [n > 0 for n in found] == [False, True, False], name
    rates = _flagged_rates(loaded, counts)
    assert rates["recall_by_provider"] == {
        "acme": {"examples": 1, "bb": 0.0, "gitleaks": 0.0, "kingfisher": 0.0},
        "github": {"examples": 1, "bb": 1.0, "gitleaks": 1.0, "kingfisher": 1.0},
    }
    assert rates["negatives_flagged_rate"] == {"bb": 0.0, "gitleaks": 0.0, "kingfisher": 0.0}


def test_a_missing_devset_is_said_and_the_rest_still_runs(tmp_path: Path) -> None:
    """``--devset`` pointing nowhere: the section says so; the JSON and the table still come."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "dlp",
            "--quick",
            "--rounds=1",
            "--mb=1",
            f"--devset={tmp_path / 'nowhere'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)["dlp"]
    assert "development set not found" in result["devset"]["skipped"]
    assert "development set not found" in done.stderr
    assert "findings on benign traffic" in done.stderr
    assert result["known_secret_matrix"]["cases"] > 0

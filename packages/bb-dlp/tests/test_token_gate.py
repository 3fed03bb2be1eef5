"""The token-rule gate (issue 14, start-up): a Hyperscan prefilter of every Kingfisher rule
that keeps a scan from loading or running Kingfisher where no rule could match.

Closing the gate must never cost a finding: the same findings with and without it over the
whole Nosey Parker development set (examples and negatives), fresh tokens wrapped in JSON,
base64 and percent-encoding, and the benign corpus. A closed gate must not load Kingfisher at
all (checked in a fresh process), and a stale or corrupt cached gate must be rebuilt.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import string
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bb_dlp import catalogue
from bb_dlp.catalogue import RULE_CACHE_VAR, Catalogue, load_rules
from bb_dlp.config import DlpConfig
from bb_dlp.engine import scan_outbound
from bb_dlp.gate import TokenGate, gate_file
from bb_dlp.models import OutboundRequest
from bb_dlp.multimatch import CACHE_DIR_VAR, user_cache_dir
from bb_dlp.testing import llm_request_body, make_request, negative_corpus
from bb_testkit.secret_examples import NOSEYPARKER_RULES

ALNUM = string.ascii_letters + string.digits
VERSION = catalogue.kingfisher_version()


@pytest.fixture(scope="module")
def rule_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A rule cache folder holding Kingfisher's rules and the gate (seeded from the user's
    cache when it has them, so the module compiles at most once)."""
    folder = tmp_path_factory.mktemp("rules")
    seed = user_cache_dir() / "kingfisher"
    if seed.is_dir():
        for path in seed.iterdir():
            if path.is_file():
                shutil.copyfile(path, folder / path.name)
    old = os.environ.get(RULE_CACHE_VAR)
    os.environ[RULE_CACHE_VAR] = str(folder)
    catalogue.token_gate.cache_clear()
    catalogue.precompile_rules(folder, ["medium"])
    yield folder
    if old is None:
        os.environ.pop(RULE_CACHE_VAR, None)
    else:
        os.environ[RULE_CACHE_VAR] = old
    catalogue.token_gate.cache_clear()


def _configs(monkeypatch: pytest.MonkeyPatch) -> tuple[DlpConfig, DlpConfig]:
    """The default detectors with the gate, and the same without it."""
    gated = DlpConfig.from_secrets({})
    assert gated.matchers.catalogue is not None
    assert gated.matchers.catalogue.gate_loaded
    with monkeypatch.context() as patch:
        patch.setattr(catalogue, "token_gate", lambda _confidence: None)
        plain = DlpConfig.from_secrets({})
    return gated, plain


def _findings(request: OutboundRequest, config: DlpConfig) -> list[tuple[object, ...]]:
    return sorted(
        (f.detector, f.surface, f.span, f.preview, f.redactable)
        for f in scan_outbound(request, config).findings
    )


def _noseyparker_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(NOSEYPARKER_RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text()).get("rules", []) or []:
            texts += [str(e) for e in rule.get("examples", []) or []]
            texts += [str(e) for e in rule.get("negative_examples", []) or []]
    return texts


def _fresh_tokens() -> list[str]:
    def pick(n: int, alphabet: str = ALNUM) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(n))

    return [
        "ghp_" + pick(36),
        "xoxb-" + pick(12, string.digits) + "-" + pick(13, string.digits) + "-" + pick(24),
        "AKIA" + pick(16, string.ascii_uppercase + "234567"),
        "sk-ant-api03-" + pick(93, ALNUM + "-_") + "AA",
        "glpat-" + pick(20, ALNUM + "-_"),
        "npm_" + pick(36),
        "hf_" + pick(34, string.ascii_letters),
    ]


def _wrapped(token: str) -> dict[str, bytes]:
    """``token`` as an agent might send it: raw, in JSON, base64'd, percent-encoded."""
    b64 = base64.b64encode(f"key={token}".encode()).decode()
    return {
        "raw": token.encode(),
        "json": json.dumps({"messages": [{"content": f"my key:\n{token}\n"}]}).encode(),
        "json-unicode": json.dumps({"k": token}, ensure_ascii=True)
        .replace(token[:4], "".join(f"\\u{ord(c):04x}" for c in token[:4]))
        .encode(),
        "base64": json.dumps({"blob": b64}).encode(),
        "base64-of-base64": base64.b64encode(b64.encode()),
        "percent": ("q=" + urllib.parse.quote(token, safe="")).encode(),
        "percent-all": ("q=" + "".join(f"%{ord(c):02X}" for c in token)).encode(),
    }


@pytest.mark.skipif(not NOSEYPARKER_RULES.is_dir(), reason="no Nosey Parker development set")
def test_the_gate_loses_no_finding_on_the_whole_noseyparker_set(
    rule_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example and negative example of every Nosey Parker rule, as a body and inside
    JSON: the same findings with the gate as without it (and the gate does close on some)."""
    gated, plain = _configs(monkeypatch)
    texts = _noseyparker_texts()
    assert len(texts) > 300
    found = 0
    for text in texts:
        for body in (text.encode(), json.dumps({"content": text}).encode()):
            request = make_request(body=body)
            expected = _findings(request, plain)
            assert _findings(request, gated) == expected, text[:60]
            found += bool(expected)
    assert found > 200


def test_the_gate_loses_no_fresh_token_wrapped_in_json_base64_or_percent_encoding(
    rule_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fresh provider tokens, each wrapping: same findings with and without the gate, and the
    raw and JSON ones are found at all (so the comparison is not of two empty lists)."""
    gated, plain = _configs(monkeypatch)
    for token in _fresh_tokens():
        for how, body in _wrapped(token).items():
            request = make_request(body=body, headers=[("X-Note", how)])
            expected = _findings(request, plain)
            assert _findings(request, gated) == expected, (token[:8], how)
            if how in ("raw", "json"):
                assert any(f[0] == "token_patterns" for f in expected), (token[:8], how)


def test_the_gate_changes_nothing_on_the_benign_corpus(
    rule_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Benign traffic (and an LLM chat body): the same (empty) findings either way."""
    gated, plain = _configs(monkeypatch)
    corpus = [*negative_corpus(), make_request(body=llm_request_body(20_000))]
    for request in corpus:
        assert _findings(request, gated) == _findings(request, plain)


def test_an_open_gate_consults_kingfisher_and_a_closed_one_does_not(
    rule_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kingfisher's scanner runs for a view the gate opens on, never for one it stays shut on."""
    calls: list[bytes] = []
    real = Catalogue._scan_kingfisher

    def counting(self: Catalogue, data: bytes) -> list[catalogue.TokenHit]:
        calls.append(data)
        return real(self, data)

    monkeypatch.setattr(Catalogue, "_scan_kingfisher", counting)
    cat = Catalogue("medium")
    assert cat.scan(b'{"role": "user", "content": "hello there"}') == []
    assert calls == []
    token = "ghp_" + "".join(secrets.choice(ALNUM) for _ in range(36))
    assert [h.rule_id for h in cat.scan(f"token {token} here".encode())]
    assert len(calls) == 1


_PROBE = """
import sys
from bb_dlp.cli import main
code = main([sys.argv[1]])
print("kingfisher_sdk" in sys.modules, code)
"""


def _har(path: Path, body: str) -> Path:
    entry = {
        "request": {
            "method": "POST",
            "url": "https://api.example.com/v1/messages",
            "headers": [],
            "postData": {"mimeType": "application/json", "text": body},
        }
    }
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    return path


def test_a_scan_the_gate_stays_shut_for_never_imports_kingfisher(
    rule_cache: Path, tmp_path: Path
) -> None:
    """A fresh ``bb dlp scan`` process over a benign HAR: clean, Kingfisher not even imported;
    over one holding a token: Kingfisher loaded, finding reported."""
    env = {**os.environ, RULE_CACHE_VAR: str(rule_cache), CACHE_DIR_VAR: str(tmp_path / "c")}
    benign = _har(tmp_path / "benign.har", '{"messages": [{"content": "hello"}]}')
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(benign)], env=env, capture_output=True, text=True
    )
    assert done.stdout.split() == ["False", "0"], done.stderr
    token = "ghp_" + "".join(secrets.choice(ALNUM) for _ in range(36))
    leaky = _har(tmp_path / "leaky.har", json.dumps({"content": f"use {token}"}))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(leaky)], env=env, capture_output=True, text=True
    )
    assert done.stdout.split()[-2:] == ["True", "1"], done.stderr


def _patterns() -> list[str]:
    return catalogue.rule_patterns("medium")


def test_a_corrupt_or_stale_cached_gate_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    """A flipped byte (or a file for other versions) is not loaded: the gate is compiled
    afresh, written back, and answers like the good one."""
    load_rules("medium")  # warm: the compile below is the gate's, not Kingfisher's
    first = TokenGate(tmp_path, "medium", VERSION, _patterns)
    assert not first.loaded
    path = gate_file(tmp_path, "medium", VERSION)
    assert path.is_file()
    second = TokenGate(tmp_path, "medium", VERSION, _patterns)
    assert second.loaded
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))
    rebuilt = TokenGate(tmp_path, "medium", VERSION, _patterns)
    assert not rebuilt.loaded
    assert TokenGate(tmp_path, "medium", VERSION, _patterns).loaded  # written back intact
    token = b"ghp_" + "".join(secrets.choice(ALNUM) for _ in range(36)).encode()
    for gate in (first, second, rebuilt):
        assert gate.opens(token)
        assert not gate.opens(b"hello world")


def test_a_gate_for_another_kingfisher_version_is_a_different_file(tmp_path: Path) -> None:
    """The cache file name digests Kingfisher's version: an upgrade never loads an old gate."""
    before = gate_file(tmp_path, "medium", VERSION)
    assert gate_file(tmp_path, "medium", "0.0.0-other") != before
    assert VERSION not in ("absent", "unknown")
    assert gate_file(tmp_path, "high", VERSION) != before


def test_a_rule_hyperscan_cannot_compile_leaves_the_gate_always_open(tmp_path: Path) -> None:
    """Fail open toward scanning: an uncompilable pattern makes every non-empty input open it."""
    gate = TokenGate(tmp_path, "medium", VERSION, lambda: ["ok_[a-z]{8}", "(?<bad"])
    assert gate.always_open
    assert gate.opens(b"x")
    assert not gate.opens(b"")


@pytest.mark.skipif(not NOSEYPARKER_RULES.is_dir(), reason="no Nosey Parker development set")
def test_the_gate_loses_no_finding_on_case_whitespace_and_unicode_variants(
    rule_cache: Path,
) -> None:
    """The gate is byte-mode and case-sensitive where each rule is: every Nosey Parker text
    upper-, lower- and mixed-cased, with CRLF, tabs, no-break spaces and non-ASCII letters
    around it gives Kingfisher's exact hits with the gate as without it."""
    gated, plain = Catalogue("medium"), Catalogue("medium", gated=False)
    assert gated.gate_loaded
    rnd = secrets.SystemRandom()

    def variants(text: str) -> list[str]:
        mixed = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)
        return [
            *(text.upper(), text.lower(), text.swapcase(), mixed),
            *(text.replace("\n", "\r\n"), text.replace(" ", "\t"), f"é{text}ü"),
            *(text.replace("=", "é="), "\u00a0".join(text.split(" "))),
        ]

    found = 0
    for text in _noseyparker_texts():
        for variant in variants(text):
            data = variant.encode()
            expected = [(h.rule_id, h.start, h.end) for h in plain.scan(data)]
            assert [(h.rule_id, h.start, h.end) for h in gated.scan(data)] == expected, variant
            found += bool(expected)
    assert found > 500

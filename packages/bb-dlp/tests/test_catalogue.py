"""token_patterns on Kingfisher's catalogue: rule names, secrecy, settings, offline only."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

import kingfisher_sdk
import kingfisher_sdk.revocation
import kingfisher_sdk.validation
import pytest

from bb_dlp import DlpConfig, DlpConfigError, precompile_static, redact_tokens, scan_outbound
from bb_dlp import catalogue as catalogue_module
from bb_dlp.catalogue import (
    KEPT_RULES,
    OWN_PREFIX,
    RULE_CACHE_VAR,
    Catalogue,
    is_placeholder,
    json_unescaped,
    precompile_rules,
)
from bb_dlp.rules import RULES
from bb_dlp.testing import make_request

CONFIG = DlpConfig.from_environ({}, ["token_patterns"])
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _fresh_tokens() -> dict[str, str]:
    """Real-shaped tokens, new each run (nothing tuned to fixed values)."""
    return {
        "github": "ghp_" + _rand(36),
        "gitlab": "glpat-" + _rand(20),
        "anthropic": "sk-ant-api03-" + _rand(93, _ALNUM + "-_") + "AA",
        "slack": f"xoxb-{_rand(12, string.digits)}-{_rand(13, string.digits)}-{_rand(24)}",
    }


def _token_findings(body: bytes, config: DlpConfig = CONFIG) -> list[tuple[str, str, bool]]:
    result = scan_outbound(make_request(body=body), config)
    return [
        (f.preview.split(":")[0], f.matched, f.redactable)
        for f in result.findings
        if f.detector == "token_patterns"
    ]


def test_the_catalogue_holds_hundreds_of_rules_and_high_confidence_fewer() -> None:
    """Kingfisher's bundled rules at medium; ``high`` keeps only the most specific ones."""
    medium, high = Catalogue("medium"), Catalogue("high")
    assert len(medium) > 400
    assert 300 < len(high) < len(medium)


@pytest.mark.parametrize("kind", ["github", "gitlab", "anthropic", "slack"])
def test_a_real_shaped_token_is_found_and_its_finding_names_the_rule(kind: str) -> None:
    """The finding names the catalogue rule; the preview is masked; ``matched`` is the token."""
    token = _fresh_tokens()[kind]
    result = scan_outbound(make_request(body=f"use {token} now".encode()), CONFIG)
    (finding,) = [f for f in result.findings if f.detector == "token_patterns"]
    assert finding.preview.split(":")[0].startswith(("betterleaks.", "veles.", "kingfisher."))
    assert token not in finding.preview
    assert token[6:20] not in finding.preview
    assert token not in repr(finding)
    assert finding.matched == token
    assert finding.redactable


@pytest.mark.parametrize("kind", ["github", "gitlab", "anthropic", "slack"])
@pytest.mark.parametrize(
    "template",
    ["key:\n{t}\n", 'he said "{t}"', "dir\\{t} end", "a\tb\t{t}", 'x\n"{t}"\n{t}'],
)
def test_a_token_inside_a_json_string_next_to_escapes_is_found_and_redacted(
    kind: str, template: str
) -> None:
    """``\\n`` or ``\\"`` touching the token break word boundaries in the raw body: the
    JSON-unescaped view finds it, and the redaction span covers it in the body as sent."""
    token = _fresh_tokens()[kind]
    body = json.dumps({"messages": [{"role": "user", "content": template.format(t=token)}]})
    findings = _token_findings(body.encode())
    assert findings, body
    assert all(matched == token and redactable for _rule, matched, redactable in findings)
    request = make_request(body=body.encode())
    redacted = redact_tokens(request, scan_outbound(request, CONFIG).findings).body
    assert token.encode() not in redacted
    assert json.loads(redacted)  # still valid JSON


def test_the_json_unescaped_view_undoes_the_escapes_that_touch_tokens() -> None:
    """``\\n``, ``\\"``, ``\\/``, ``\\t``, ``\\r`` are undone; no escape, no view."""
    assert json_unescaped(b'a\\nb\\"c\\/e\\tf\\rg') == b'a\nb"c/e\tf\rg'
    assert json_unescaped(b"no escapes here") is None
    assert json_unescaped(b"a lone \\x backslash") is None


def test_a_json_document_is_parsed_into_its_strings_escapes_and_all() -> None:
    """Keys and values, ``\\uXXXX`` decoded; a truncated document falls back to the splits."""
    document = b'{"k\\"ey": ["x\\ny\\u00e9", 3], "b": {"c": "d\\/e"}}'
    assert sorted(json_unescaped(document).split(b"\n")) == sorted(
        [b'k"ey', b"b", b"c", b"d/e", b"x", "y\u00e9".encode()]
    )
    assert json_unescaped(b'{"a": "x\\ny') == b'{"a": "x\ny'


def test_only_a_document_that_ends_as_it_starts_is_parsed() -> None:
    """A body cut short skips the parse (it would read it all, then fail) and gets the
    splits; whitespace-padded and UTF-16-LE documents are still parsed into their strings."""
    padded = b' {"a": "x\\u00e9\\ny"}\r\n'
    assert sorted(json_unescaped(padded).split(b"\n")) == [b"a", b"x\xc3\xa9", b"y"]
    wide = '{"a": "x\\ny"}'.encode("utf-16-le")
    assert sorted(json_unescaped(wide).split(b"\n")) == [b"a", b"x", b"y"]
    assert json_unescaped(b'{"a": ["x\\ny"]') == b'{"a": ["x\ny"]'


@pytest.mark.parametrize(
    "text",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ghp_abc123abc123abc123abc123abc123abc123",
        "ghp_" + "x" * 36,
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",
        "sk-ant-api03-" + "x" * 93 + "AA",
        "xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
        "sk_live_abc123abc123abc123abc123",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "dp.st.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ],
)
def test_placeholders_and_documentation_examples_do_not_block(text: str) -> None:
    """AWS's ``...EXAMPLE`` keys, ``abc123`` runs, ``xxxx`` and docs keys pass (raw and JSON)."""
    assert _token_findings(f"export X={text}\n".encode()) == []
    assert _token_findings(json.dumps({"content": f"set\n{text}\n"}).encode()) == []


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),
        (b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", True),
        (b"abc123abc123abc123", True),
        (b"tok_abcdefQ9", True),
        (b"tok_9876543210", False),  # descending: not a run we suppress
        (b"mongodb://u:D1fficultPassword@cluster0.example.com", False),
        (b"mongodb://u:placeholder@db.internal", True),
        (b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAAAAAAAAAAAAAexample", False),
    ],
)
def test_is_placeholder_judges_the_token_not_its_surroundings(token: bytes, expected: bool) -> None:
    """Filler, periodic units, ascending runs, docs words; key blocks and host names exempt."""
    assert is_placeholder(token) is expected


def test_a_random_token_is_never_taken_for_a_placeholder() -> None:
    """Two thousand fresh 40-character tokens: none is suppressed."""
    assert not [t for t in (_rand(40).encode() for _ in range(2000)) if is_placeholder(t)]


@pytest.mark.parametrize("marker", ["# kingfisher:ignore", "// gitleaks:allow", "# noqa"])
def test_inline_ignore_comments_in_the_traffic_do_not_switch_detection_off(marker: str) -> None:
    """The agent writes the scanned text: an ignore comment beside a token changes nothing."""
    token = _fresh_tokens()["github"]
    assert _token_findings(f"{token}  {marker}\n".encode())


def test_turning_a_rule_off_stops_its_findings_and_only_its_findings() -> None:
    """A per-bottle list of rule ids: the GitHub rule off, GitLab still found."""
    tokens = _fresh_tokens()
    body = f"{tokens['github']} {tokens['gitlab']}".encode()
    rules = {r for r, _m, _e in _token_findings(body)}
    github = {r for r in rules if "github" in r}
    assert github
    assert rules - github
    config = DlpConfig.from_environ({}, ["token_patterns"])
    off = DlpConfig.from_secrets({}, ["token_patterns"], token_rules_off=sorted(github))
    assert {r for r, _m, _e in _token_findings(body, off)} == rules - github
    assert {r for r, _m, _e in _token_findings(body, config)} == rules


def test_one_of_our_kept_rules_can_be_turned_off_by_its_prefixed_id() -> None:
    """Our rules are ``bb.``-prefixed in findings and in the off list."""
    token = f"{secrets.randbelow(9 * 10**9) + 10**9}:AA{_rand(33, _ALNUM + '_-')}"
    assert ("bb.telegram-bot-token", token, True) in _token_findings(token.encode())
    off = DlpConfig.from_secrets({}, ["token_patterns"], token_rules_off=["bb.telegram-bot-token"])
    assert _token_findings(token.encode(), off) == []


def test_an_unknown_rule_id_to_turn_off_is_an_error_naming_it() -> None:
    """A typo must not silently leave the rule on: the error names it and suggests."""
    with pytest.raises(
        DlpConfigError, match=r"unknown token rule 'betterleaks\.github-pta'.*github-pat"
    ):
        DlpConfig.from_secrets({}, token_rules_off=["betterleaks.github-pta"])


def test_an_unknown_confidence_is_an_error_listing_the_levels() -> None:
    """Only low, medium and high exist."""
    with pytest.raises(DlpConfigError, match=r"unknown token-rule confidence 'hgh'.*low, medium"):
        DlpConfig.from_secrets({}, token_confidence="hgh")


def test_the_environment_carries_confidence_and_rules_off() -> None:
    """What the bottle manifest sets reaches the engine through two variables."""
    config = DlpConfig.from_environ(
        {
            "BOT_BOTTLE_DLP_TOKEN_CONFIDENCE": "high",
            "BOT_BOTTLE_DLP_TOKEN_RULES_OFF": " betterleaks.github-pat , bb.doppler-token",
        }
    )
    assert config.token_confidence == "high"
    assert config.token_rules_off == {"betterleaks.github-pat", "bb.doppler-token"}
    assert config.secrets == ()
    with pytest.raises(DlpConfigError, match="'nope'"):
        DlpConfig.from_environ({"BOT_BOTTLE_DLP_TOKEN_RULES_OFF": "nope"})


def test_turning_off_a_rule_known_only_at_another_confidence_is_accepted() -> None:
    """A list written for ``medium`` stays valid when the bottle moves to ``high``."""
    medium_only = sorted(set(Catalogue("medium").names) - set(Catalogue("high").names))
    assert Catalogue("high", [medium_only[0]])


def test_kept_rules_are_our_rules_that_still_exist() -> None:
    """Every kept id names one of our hand-written rules."""
    assert {r.id for r in RULES} >= KEPT_RULES
    assert all(OWN_PREFIX + r in Catalogue().names for r in KEPT_RULES)


def _raise(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("a Kingfisher validator or revoker was used while scanning")


def test_scanning_never_constructs_or_calls_a_validator_or_revoker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Validation and revocation call providers over the network: the proxy never may.

    Every validator/revoker class and every function of the validation and revocation
    modules is replaced by one that fails the test; then a fresh catalogue is built and
    real-shaped tokens of several providers are scanned through the whole engine.
    """
    native = kingfisher_sdk._native  # type: ignore[attr-defined]
    own_modules = (kingfisher_sdk.validation, kingfisher_sdk.revocation)
    for module in (kingfisher_sdk, *own_modules, native):
        for name in dir(module):
            value = getattr(module, name)
            defined_here = getattr(value, "__module__", "") == module.__name__
            named = "Validat" in name or "Revo" in name
            if named or (module in own_modules and callable(value) and defined_here):
                monkeypatch.setattr(module, name, _raise)
    for cached in (catalogue_module.load_rules, catalogue_module._scanner):
        cached.cache_clear()
    try:
        config = DlpConfig.from_environ({}, ["token_patterns"])
        body = " ".join(_fresh_tokens().values()).encode()
        assert len(_token_findings(body, config)) == 4
    finally:
        for cached in (catalogue_module.load_rules, catalogue_module._scanner):
            cached.cache_clear()


_OFFLINE_SCRIPT = """
import json, sys
from bb_dlp import DlpConfig, scan_outbound
from bb_dlp.testing import make_request
body = json.dumps({"content": "key:\\n" + sys.argv[1]}).encode()
result = scan_outbound(make_request(body=body), DlpConfig.from_environ({}))
print(sorted(f.preview.split(":")[0] for f in result.findings if f.detector == "token_patterns"))
"""


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_the_engine_scans_in_a_network_namespace_with_no_network_at_all(tmp_path: Path) -> None:
    """``unshare -n``: no interface but a down loopback, and the scan still finds the token."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.decode()[:80]}")
    token = _fresh_tokens()["github"]
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", _OFFLINE_SCRIPT, token],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "betterleaks.github-pat" in done.stdout


def test_only_the_catalogue_module_imports_kingfisher() -> None:
    """The one place that could reach a validator is this module (import-linter also says so)."""
    root = Path(__file__).resolve().parents[3]
    offenders = [
        str(p.relative_to(root))
        for p in root.glob("packages/*/src/**/*.py")
        if "kingfisher_sdk" in p.read_text(encoding="utf-8") and p.name != "catalogue.py"
    ]
    assert offenders == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the cache to another uid")
def test_a_baked_cache_owned_by_another_user_is_loaded_from_a_private_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kingfisher trusts only its own user's cache directory; the image's belongs to root and
    the sidecar runs as another uid, so a private copy is loaded instead of compiling."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # nothing to seed from
    baked = tmp_path / "baked"
    assert precompile_rules(baked, ["high"]) == {"high": "stored"}
    for path in (baked, *baked.iterdir()):
        os.chown(path, 12345, 12345)
    monkeypatch.setenv(RULE_CACHE_VAR, str(baked))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    catalogue_module._trusted_cache_dir.cache_clear()
    try:
        private = catalogue_module._trusted_cache_dir()
    finally:
        catalogue_module._trusted_cache_dir.cache_clear()
    assert private is not None
    assert private != baked
    assert private.stat().st_uid == os.geteuid()
    assert sorted(p.name for p in private.iterdir()) == sorted(p.name for p in baked.iterdir())
    assert kingfisher_sdk.Rules(confidence="high", cache_dir=private).cache_status == "loaded"


def test_the_gates_cache_is_seeded_from_the_images_instead_of_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """precompile_static copies the baked catalogue into the gate's own cache directory
    (its hook's scrubbed environment names only that one), and Kingfisher loads it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    baked = tmp_path / "baked"
    precompile_rules(baked, ["medium"])
    assert sorted(p.name for p in (tmp_path / "xdg/bot-bottle/dlp/kingfisher").iterdir())
    monkeypatch.setenv(RULE_CACHE_VAR, str(baked))
    state = tmp_path / "state"
    precompile_static(state)
    seeded = state / "kingfisher"
    assert sorted(p.name for p in seeded.iterdir()) == sorted(p.name for p in baked.iterdir())
    assert kingfisher_sdk.Rules(confidence="medium", cache_dir=seeded).cache_status == "loaded"

"""The on-disk cache of compiled databases that keeps a short ``bb dlp scan`` start-up short:
hit, stale, corrupt, foreign or unwritable, it never yields a wrong matcher or a crash."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bb_dlp import multimatch
from bb_dlp.multimatch import CACHE_DIR_VAR, LiteralSet, RuleSet, user_cache_dir

PATTERNS = [rb"tok_[a-z0-9]{8}", rb"key-\d{4}"]
TEXT = b"x tok_abcd1234 y key-9876"


def _only_file(folder: Path) -> Path:
    [path] = [p for p in folder.iterdir() if not p.name.startswith(".")]
    return path


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count compiles (a cache hit has none)."""
    calls: list[int] = []
    real = multimatch.hyperscan.Database

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(multimatch.hyperscan, "Database", counting)
    return calls


def test_a_cache_hit_loads_without_compiling_and_matches_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second process-equivalent build: no compile, same answers."""
    first = RuleSet(PATTERNS, cache="r", cache_dir=tmp_path)
    calls = _compiles(monkeypatch)
    second = RuleSet(PATTERNS, cache="r", cache_dir=tmp_path)
    assert calls == []
    assert second.which(TEXT) == first.which(TEXT) == {0, 1}


def test_a_stale_cache_for_other_rules_or_another_hyperscan_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file name digests the expressions, flags and library version: a changed rule set or
    an upgraded Hyperscan compiles anew instead of loading a database built for another."""
    RuleSet(PATTERNS, cache="r", cache_dir=tmp_path)
    calls = _compiles(monkeypatch)
    assert RuleSet([PATTERNS[0]], cache="r", cache_dir=tmp_path).which(TEXT) == {0}
    monkeypatch.setattr(multimatch, "_HS_VERSION", "0.0.0-other")
    assert RuleSet(PATTERNS, cache="r", cache_dir=tmp_path).which(TEXT) == {0, 1}
    assert len(calls) == 2
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 3


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "flipped-bit", "old-format", "empty"],
)
def test_a_corrupt_cache_file_is_rebuilt_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """Whatever happened to the file, the next build compiles, matches correctly and leaves a
    good file behind (the digest in the header catches damage Hyperscan itself might not)."""
    LiteralSet([b"needle"], cache="t", cache_dir=tmp_path)
    path = _only_file(tmp_path)
    raw = path.read_bytes()
    header = len(multimatch._MAGIC) + 32
    damaged = {
        "garbage": b"garbage",
        "truncated": raw[: len(raw) // 2],
        "flipped-bit": raw[:-1] + bytes([raw[-1] ^ 1]),
        "old-format": raw[header:],  # a bare Hyperscan serialization, as before the header
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    calls = _compiles(monkeypatch)
    assert LiteralSet([b"needle"], cache="t", cache_dir=tmp_path).find(b"a needle") == [(0, 2, 8)]
    assert calls == [1]
    assert path.read_bytes() == raw  # rewritten whole
    payload = raw[header:]
    assert raw[len(multimatch._MAGIC) : header] == hashlib.sha256(payload).digest()


def test_a_file_others_can_write_is_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database file (or folder) writable by group or others could have been planted: it
    is compiled over instead of deserialized."""
    RuleSet(PATTERNS, cache="r", cache_dir=tmp_path)
    path = _only_file(tmp_path)
    path.chmod(0o666)
    calls = _compiles(monkeypatch)
    assert RuleSet(PATTERNS, cache="r", cache_dir=tmp_path).which(TEXT) == {0, 1}
    assert calls == [1]
    tmp_path.chmod(0o777)
    assert RuleSet(PATTERNS, cache="r", cache_dir=tmp_path).which(TEXT) == {0, 1}
    assert calls == [1, 1]


def test_an_unwritable_cache_folder_still_scans(tmp_path: Path) -> None:
    """A cache that cannot be created (here its parent is a file) costs a compile, no error,
    and leaves no partial file behind."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = blocker / "cache"
    assert RuleSet(PATTERNS, cache="r", cache_dir=cache).which(TEXT) == {0, 1}
    assert LiteralSet([b"needle"], cache="t", cache_dir=cache).find(b"needle") == [(0, 0, 6)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_user_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``$XDG_CACHE_HOME/bot-bottle/dlp``, else under ``~/.cache``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir() == tmp_path / "bot-bottle" / "dlp"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "bot-bottle" / "dlp"


def test_a_scan_process_fills_the_user_cache_and_the_next_one_loads_it(
    tmp_path: Path,
) -> None:
    """Whole process, as ``bb dlp scan`` runs: the first run writes the compiled databases to
    the user's cache folder (private), the second reuses them unchanged."""
    har = tmp_path / "a.har"
    har.write_text(
        '{"log": {"version": "1.2", "entries": [{"request": {"method": "POST", "url": '
        '"https://api.example.com/v1", "headers": [], "postData": {"text": "hello"}}}]}}'
    )
    env = {k: v for k, v in os.environ.items() if k != CACHE_DIR_VAR}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    command = [sys.executable, "-m", "bb_dlp.cli", str(har)]
    first = subprocess.run(command, env=env, capture_output=True, check=False, timeout=300)
    assert first.returncode == 0, first.stderr
    cache = tmp_path / "xdg" / "bot-bottle" / "dlp"
    files = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert any(p.suffix == ".hsdb" for p in files)
    assert cache.stat().st_mode & 0o077 == 0
    second = subprocess.run(command, env=env, capture_output=True, check=False, timeout=300)
    assert second.returncode == 0, second.stderr
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == files


def test_a_corrupt_token_catalogue_cache_is_rebuilt_and_the_scan_still_finds_tokens(
    tmp_path: Path,
) -> None:
    """Kingfisher's compiled-rule cache in the user's folder, damaged: the next scan process
    recompiles it (Kingfisher's own check) and still reports a token; never a crash."""
    token = "ghp_" + "Zq7Xw2Lm9Rt4Kp8Vb3Ns6Hd1Jf5Gc0YaTu9E"
    har = tmp_path / "t.har"
    har.write_text(
        '{"log": {"version": "1.2", "entries": [{"request": {"method": "POST", "url": '
        '"https://api.example.com/v1", "headers": [], "postData": {"text": "token '
        + token
        + ' here"}}}]}}'
    )
    env = {k: v for k, v in os.environ.items() if k not in (CACHE_DIR_VAR, "BB_DLP_RULE_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    command = [sys.executable, "-m", "bb_dlp.cli", "--detectors", "token_patterns", str(har)]
    first = subprocess.run(command, env=env, capture_output=True, check=False, timeout=600)
    assert first.returncode == 1, first.stderr
    folder = tmp_path / "xdg" / "bot-bottle" / "dlp" / "kingfisher"
    [compiled] = list(folder.glob("*.vscdb"))  # Kingfisher's (the token gate is beside it)
    compiled.write_bytes(b"\0" * 64)
    again = subprocess.run(command, env=env, capture_output=True, check=False, timeout=600)
    assert again.returncode == 1, again.stderr
    assert b"github" in again.stdout
    assert token.encode() not in again.stdout
    assert compiled.stat().st_size > 64


def test_a_scan_whose_cache_folder_cannot_exist_still_scans(tmp_path: Path) -> None:
    """The user's cache folder cannot be created (its parent is a file): the scan compiles
    everything in memory, reports the finding, and leaves nothing behind."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    har = tmp_path / "t.har"
    token = "ghp_" + "Zq7Xw2Lm9Rt4Kp8Vb3Ns6Hd1Jf5Gc0YaTu9E"
    har.write_text(
        '{"log": {"version": "1.2", "entries": [{"request": {"method": "POST", "url": '
        '"https://api.example.com/v1", "headers": [], "postData": {"text": "' + token + '"}}}]}}'
    )
    env = {k: v for k, v in os.environ.items() if k not in (CACHE_DIR_VAR, "BB_DLP_RULE_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(blocker / "cache")
    done = subprocess.run(
        [sys.executable, "-m", "bb_dlp.cli", str(har)],
        env=env,
        capture_output=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "t.har"]

"""The disk cache of static Hyperscan databases (what the git gate's hook loads per push)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_dlp.config import precompile_static
from bb_dlp.multimatch import CACHE_DIR_VAR, LiteralSet, RuleSet


def test_a_named_set_is_compiled_once_then_loaded(tmp_path: Path) -> None:
    """The first build writes the database; the next loads it and matches the same."""
    first = LiteralSet([b"needle", b"pin"], cache="t", cache_dir=tmp_path)
    [written] = list(tmp_path.iterdir())
    stamp = written.stat().st_mtime_ns
    second = LiteralSet([b"needle", b"pin"], cache="t", cache_dir=tmp_path)
    assert written.stat().st_mtime_ns == stamp
    assert second.find(b"a needle and a pin") == first.find(b"a needle and a pin")


def test_different_expressions_never_share_a_file(tmp_path: Path) -> None:
    """The file name is a digest of the expressions: a changed rule set recompiles."""
    RuleSet([rb"abc\d+"], cache="r", cache_dir=tmp_path)
    RuleSet([rb"xyz\d+"], cache="r", cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_a_corrupt_cache_file_is_recompiled(tmp_path: Path) -> None:
    """A damaged file costs a compile, never a wrong or missing matcher."""
    LiteralSet([b"needle"], cache="t", cache_dir=tmp_path)
    [written] = list(tmp_path.iterdir())
    written.write_bytes(b"garbage")
    assert LiteralSet([b"needle"], cache="t", cache_dir=tmp_path).find(b"needle") == [(0, 0, 6)]


def test_unnamed_sets_are_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sets built from secrets pass no name: nothing of them reaches the disk."""
    monkeypatch.setenv(CACHE_DIR_VAR, str(tmp_path))
    LiteralSet([b"a-secret-value"])
    assert list(tmp_path.iterdir()) == []


def test_precompile_writes_the_static_sets(tmp_path: Path) -> None:
    """Token rules (Kingfisher's catalogue, our kept rules), suspicious characters and the
    quoted-printable/HTML triggers: the databases a hook would otherwise compile."""
    precompile_static(tmp_path)
    names = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert names == ["kept", "kingfisher", "markup", "unicode"]
    assert any((tmp_path / "kingfisher").iterdir())

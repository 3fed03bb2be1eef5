"""The storage watchdog's measurement and its stop (the script run inside the bottle)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bb_cli.backends.compose.watchdog import EXIT_OVER_LIMIT, main, usage


def test_usage_counts_allocated_bytes_and_hard_links_once(tmp_path: Path) -> None:
    """Written data counts; a hard link to the same data does not count twice."""
    (tmp_path / "d").mkdir()
    data = tmp_path / "d" / "f"
    data.write_bytes(b"x" * (1 << 20))
    before = usage([str(tmp_path)])
    os.link(data, tmp_path / "g")
    assert before >= 1 << 20
    assert usage([str(tmp_path)]) == before


def test_sparse_files_count_as_what_they_occupy(tmp_path: Path) -> None:
    """A 1 GiB hole costs the host nothing and is not counted as 1 GiB."""
    with (tmp_path / "sparse").open("wb") as f:
        f.truncate(1 << 30)
    assert usage([str(tmp_path)]) < 1 << 20


def test_a_missing_root_counts_zero(tmp_path: Path) -> None:
    """A volume not yet mounted is not an error."""
    assert usage([str(tmp_path / "absent")]) == 0


def test_the_watchdog_exits_when_usage_passes_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over the cap: exit status 3 and a storage-exceeded line (its exit stops the agent)."""
    (tmp_path / "big").write_bytes(b"x" * (2 << 20))
    assert main(["--limit", str(1 << 20), str(tmp_path)]) == EXIT_OVER_LIMIT
    assert '"event": "storage-exceeded"' in capsys.readouterr().out


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    """A zero limit would stop every bottle at once: refused."""
    with pytest.raises(SystemExit):
        main(["--limit", "0", str(tmp_path)])

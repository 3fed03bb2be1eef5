"""Specification of bb_egress.reload: atomic swaps, bad files keep the old routes."""

import os
import signal
from pathlib import Path

import anyio
import pytest

from bb_egress.reload import RoutesStore

GOOD = "routes:\n  - host: api.github.com\n"
OTHER = "routes:\n  - host: pypi.org\n"


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def test_a_missing_file_means_deny_all(tmp_path: Path) -> None:
    """No file: no routes, no error."""
    store = RoutesStore(tmp_path / "routes.yaml")
    assert store.routes.routes == ()


def test_an_invalid_file_at_startup_means_deny_all(tmp_path: Path) -> None:
    """A bad file at start never becomes allow-all."""
    path = tmp_path / "routes.yaml"
    path.write_text("routes: [{host: 10.0.0.1}]")
    store = RoutesStore(path)
    assert store.routes.routes == ()
    assert store.last_error is not None
    assert "IP literal" in store.last_error


def test_a_bad_new_file_is_rejected_and_the_old_routes_stay(tmp_path: Path) -> None:
    """Reloading a broken file keeps what was in force and records the error."""
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    store = RoutesStore(path)
    _replace(path, "routes: [{host: a.com, port: 0}]")
    assert store.reload() is False
    assert [r.host for r in store.routes.routes] == ["api.github.com"]
    assert "field 'port'" in (store.last_error or "")


def test_an_atomic_replace_is_seen_as_a_change(tmp_path: Path) -> None:
    """Write-then-rename changes the inode, which the watcher notices."""
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    store = RoutesStore(path)
    assert not store.changed()
    _replace(path, OTHER)
    assert store.changed()


@pytest.mark.anyio
async def test_the_watcher_reloads_on_change_and_on_sighup(tmp_path: Path) -> None:
    """Both a file change and SIGHUP bring the new routes into force."""
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    store = RoutesStore(path)
    async with anyio.create_task_group() as tg:
        tg.start_soon(store.watch, 0.05)
        _replace(path, OTHER)
        with anyio.fail_after(5):
            while [r.host for r in store.routes.routes] != ["pypi.org"]:
                await anyio.sleep(0.02)
        path.write_text(GOOD)  # same size and maybe same mtime tick: SIGHUP forces a reload
        os.kill(os.getpid(), signal.SIGHUP)
        with anyio.fail_after(5):
            while [r.host for r in store.routes.routes] != ["api.github.com"]:
                await anyio.sleep(0.02)
        tg.cancel_scope.cancel()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

"""`bb` installed as a tool from the built wheels works outside any checkout.

``uv build --all-packages`` then ``uv tool install <bot_bottle wheel> --find-links <dist>``
into a temporary tool directory (``UV_TOOL_DIR``, ``UV_TOOL_BIN_DIR``), offline from uv's
cache; the installed ``bb`` runs from a directory that is not a checkout, with no
``BOT_BOTTLE_SOURCE``. The CLI's distribution is ``bot-bottle`` (the name ``bb-cli`` on PyPI
is an unrelated project's: docs/distribution.md); it is installed by file all the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(the installed ``bb``, its environment, a directory outside any checkout)."""
    uv = shutil.which("uv") or "/opt/bb-uv/bin/uv"
    if not Path(uv).is_file():
        pytest.skip("uv is not installed")
    base = tmp_path_factory.mktemp("tool")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    env.pop("BOT_BOTTLE_SOURCE", None)
    env.update(UV_PYTHON=os.environ.get("UV_PYTHON", sys.executable), UV_PYTHON_DOWNLOADS="never")
    dist = base / "dist"
    subprocess.run(
        [uv, "build", "--all-packages", "--wheel", "--offline", "-o", str(dist)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("bot_bottle-*.whl")
    env.update(UV_TOOL_DIR=str(base / "tools"), UV_TOOL_BIN_DIR=str(base / "bin"))
    subprocess.run(
        [uv, "tool", "install", "--offline", str(wheel), "--find-links", str(dist)],
        cwd=base,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    run_env = {k: v for k, v in env.items() if not k.startswith("UV_")}
    run_env.update(
        XDG_STATE_HOME=str(base / "state"),
        XDG_CONFIG_HOME=str(base / "config"),
        XDG_CACHE_HOME=str(base / "cache"),
    )
    outside = base / "elsewhere"
    outside.mkdir()
    return base / "bin" / "bb", run_env, outside


def _bb(
    installed: tuple[Path, dict[str, str], Path], *args: str
) -> subprocess.CompletedProcess[str]:
    bb, env, cwd = installed
    return subprocess.run(
        [str(bb), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_installed_bb_prints_its_version(installed: tuple[Path, dict[str, str], Path]) -> None:
    """``bb --version`` from the tool environment, outside the checkout."""
    done = _bb(installed, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bb ")


def test_the_installed_bb_runs_its_doctor_as_json(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    """``bb doctor --json`` answers with every check (exit 0, or 4 when one fails)."""
    done = _bb(installed, "doctor", "--json")
    assert done.returncode in (0, 4), done.stderr
    names = {check["name"] for check in json.loads(done.stdout)}
    assert {"docker engine", "registry"} <= names


def test_the_installed_bb_lists_the_bundled_example_agents(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    """The examples are package data: ``bb start shell`` needs no checkout to find them."""
    bb, _, _ = installed
    site = next(bb.parent.parent.glob("tools/bot-bottle/lib/python*/site-packages"))
    assert (site / "bb_cli" / "examples" / "agents" / "shell.md").is_file()
    assert (site / "bb_cli" / "examples" / "bottles" / "shell.md").is_file()


def test_every_wheel_has_a_readme_license_and_classifiers(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    """PyPI metadata per package: a description from its README, a license, classifiers."""
    bb, _, _ = installed
    for wheel in sorted((bb.parent.parent / "dist").glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            metadata = archive.read(name).decode()
        assert "License-Expression: Apache-2.0" in metadata, wheel.name
        assert "Classifier: Programming Language :: Python :: 3" in metadata, wheel.name
        assert "Description-Content-Type: text/markdown" in metadata, wheel.name
        body = metadata.split("\n\n", 1)[1]
        assert len(body.strip().splitlines()) > 2, f"{wheel.name}: its README says too little"

"""`bb` installed with pipx from the built wheels works outside any checkout.

pipx is locked in the root dev group (``uv run pipx`` is this one). It installs the documented
way: ``pipx install --backend pip <bot_bottle wheel> --preinstall <bb_protocol wheel>
--preinstall <bb_dlp wheel>`` into a temporary ``PIPX_HOME`` / ``PIPX_BIN_DIR``. The install
itself is offline: pip reads only a wheelhouse of the locked, hash-checked dependency wheels
(fetched from the index on the host first, as the image build does). A squatter offers
bb-protocol and bb-dlp at 99.0 during the install; the release's files must win. They do
with pip; with pipx's uv backend (its default when uv is on PATH) they do not, which is why
the docs name ``--backend pip`` (the last test shows it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.cli.conftest import (
    ROOT,
    SQUAT_VERSION,
    clean_env,
    installed_versions,
    release_wheel,
    run_installed_bb,
    uv_binary,
)

PIPX_SHARED_PIP = "pip>=26.1"
"""What pipx 1.18 installs into its shared venv first (``pipx.shared_libs``)."""


def _fetch(argv: list[str], what: str) -> None:
    done = subprocess.run(
        argv, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot fetch {what} from the package index: {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI's locked third-party wheels (``uv export`` hashes) and pipx's pip, one directory."""
    house = tmp_path_factory.mktemp("wheelhouse")
    requirements = house / "requirements.txt"
    exported = subprocess.run(
        [
            uv_binary(),
            "export",
            "--frozen",
            "--package",
            "bot-bottle",
            "--no-dev",
            "--no-emit-workspace",
            "--format",
            "requirements-txt",
            "--no-header",
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    requirements.write_text(exported.stdout)
    pip = [uv_binary(), "tool", "run", "--python", sys.executable, "pip"]
    _fetch(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--require-hashes",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
            "-w",
            str(house),
        ],
        "the locked dependency wheels",
    )
    _fetch(
        [*pip, "download", "--no-deps", "--only-binary=:all:", "-d", str(house), PIPX_SHARED_PIP],
        "pip for pipx's shared venv",
    )
    requirements.unlink()
    return house


def _pipx_install(
    base: Path, backend: str, built_wheels: Path, squatter: Path, wheelhouse: Path
) -> dict[str, str]:
    """Run the documented pipx install with ``backend`` under ``base``; its environment."""
    env = clean_env()
    env.update(
        PIPX_HOME=str(base / "pipx"),
        PIPX_BIN_DIR=str(base / "bin"),
        PIPX_MAN_DIR=str(base / "man"),
        PIPX_DEFAULT_PYTHON=getattr(sys, "_base_executable", sys.executable),
        PIP_CONFIG_FILE=os.devnull,  # this machine's pip.conf out of the way: CI has none
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=f"{wheelhouse} {squatter}",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        UV_OFFLINE="1",
        UV_FIND_LINKS=str(squatter),
        PATH=f"{Path(uv_binary()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipx",
            "install",
            "--backend",
            backend,
            str(release_wheel(built_wheels, "bot-bottle")),
            "--preinstall",
            str(release_wheel(built_wheels, "bb-protocol")),
            "--preinstall",
            str(release_wheel(built_wheels, "bb-dlp")),
        ],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return env


@pytest.fixture(scope="module")
def pipx_installed(
    tmp_path_factory: pytest.TempPathFactory, built_wheels: Path, squatter: Path, wheelhouse: Path
) -> tuple[Path, dict[str, str], Path]:
    """(the pipx-installed ``bb``, its environment, a directory outside any checkout)."""
    base = tmp_path_factory.mktemp("pipx")
    env = _pipx_install(base, "pip", built_wheels, squatter, wheelhouse)
    run_env = {
        k: v for k, v in env.items() if not k.startswith(("UV_", "PIP_", "PIPX_", "VIRTUAL_ENV"))
    }
    run_env.update(
        XDG_STATE_HOME=str(base / "state"),
        XDG_CONFIG_HOME=str(base / "config"),
        XDG_CACHE_HOME=str(base / "cache"),
    )
    outside = base / "elsewhere"
    outside.mkdir()
    return base / "bin" / "bb", run_env, outside


def _site(base: Path) -> Path:
    return next(base.glob("pipx/venvs/bot-bottle/lib/python*/site-packages"))


def test_the_pipx_installed_bb_prints_its_version(
    pipx_installed: tuple[Path, dict[str, str], Path],
) -> None:
    """``bb --version`` from pipx's venv, outside the checkout, no BOT_BOTTLE_SOURCE."""
    done = run_installed_bb(pipx_installed, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bb ")


def test_the_pipx_installed_bb_runs_its_doctor_as_json(
    pipx_installed: tuple[Path, dict[str, str], Path],
) -> None:
    """``bb doctor --json`` answers with every check (exit 0, or 4 when one fails)."""
    done = run_installed_bb(pipx_installed, "doctor", "--json")
    assert done.returncode in (0, 4), done.stderr
    names = {check["name"] for check in json.loads(done.stdout)}
    assert {"docker engine", "registry"} <= names


def test_pipx_takes_the_libraries_from_the_release_files_not_a_higher_version(
    pipx_installed: tuple[Path, dict[str, str], Path], built_wheels: Path
) -> None:
    """``--preinstall`` of the release's bb-protocol and bb-dlp wheels: the squatter's 99.0
    offered on the same find-links is passed over; the examples are package data."""
    site = _site(pipx_installed[0].parent.parent)
    versions = installed_versions(site)
    for distribution in ("bot-bottle", "bb-protocol", "bb-dlp"):
        released = release_wheel(built_wheels, distribution).name.split("-")[1]
        assert versions[distribution] == released != SQUAT_VERSION
    assert (site / "bb_cli" / "examples" / "agents" / "shell.md").is_file()


def test_pipx_with_its_uv_backend_takes_the_squatters_version_despite_preinstall(
    tmp_path: Path, built_wheels: Path, squatter: Path, wheelhouse: Path
) -> None:
    """Why the docs say ``--backend pip``: uv re-resolves the preinstalled file wheels and
    takes the higher bb-protocol offered elsewhere (pipx 1.18.4, uv on PATH)."""
    _pipx_install(tmp_path, "uv", built_wheels, squatter, wheelhouse)
    assert installed_versions(_site(tmp_path))["bb-protocol"] == SQUAT_VERSION

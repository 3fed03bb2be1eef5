"""`bb` installed as a tool from the built wheels works outside any checkout.

``uv build --all-packages``, then the documented ``uv tool install <bot_bottle wheel> --with
<bb_protocol wheel> --with <bb_dlp wheel>`` into a temporary tool directory (``UV_TOOL_DIR``,
``UV_TOOL_BIN_DIR``), offline from uv's cache; the installed ``bb`` runs from a directory that
is not a checkout, with no ``BOT_BOTTLE_SOURCE``. The CLI's distribution is ``bot-bottle``
(the name ``bb-cli`` on PyPI is an unrelated project's: docs/distribution.md). A squatter
offers bb-protocol and bb-dlp at a higher version during the install: the release's own
files must win. The pipx install: test_pipx_install.py.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from tests.integration.cli.conftest import (
    SQUAT_VERSION,
    clean_env,
    installed_versions,
    release_wheel,
    run_installed_bb,
    uv_binary,
)


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, built_wheels: Path, squatter: Path
) -> tuple[Path, dict[str, str], Path]:
    """(the installed ``bb``, its environment, a directory outside any checkout)."""
    base = tmp_path_factory.mktemp("tool")
    env = clean_env()
    env.update(UV_TOOL_DIR=str(base / "tools"), UV_TOOL_BIN_DIR=str(base / "bin"))
    subprocess.run(
        [
            uv_binary(),
            "tool",
            "install",
            "--offline",
            str(release_wheel(built_wheels, "bot-bottle")),
            "--with",
            str(release_wheel(built_wheels, "bb-protocol")),
            "--with",
            str(release_wheel(built_wheels, "bb-dlp")),
            "--find-links",
            str(squatter),
        ],
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


def _site(installed: tuple[Path, dict[str, str], Path]) -> Path:
    bb, _, _ = installed
    return next(bb.parent.parent.glob("tools/bot-bottle/lib/python*/site-packages"))


def test_the_installed_bb_prints_its_version(installed: tuple[Path, dict[str, str], Path]) -> None:
    """``bb --version`` from the tool environment, outside the checkout."""
    done = run_installed_bb(installed, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bb ")


def test_the_installed_bb_runs_its_doctor_as_json(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    """``bb doctor --json`` answers with every check (exit 0, or 4 when one fails)."""
    done = run_installed_bb(installed, "doctor", "--json")
    assert done.returncode in (0, 4), done.stderr
    names = {check["name"] for check in json.loads(done.stdout)}
    assert {"docker engine", "registry"} <= names


def test_the_installed_bb_lists_the_bundled_example_agents(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    """The examples are package data: ``bb start shell`` needs no checkout to find them."""
    site = _site(installed)
    assert (site / "bb_cli" / "examples" / "agents" / "shell.md").is_file()
    assert (site / "bb_cli" / "examples" / "bottles" / "shell.md").is_file()


def test_the_release_files_win_over_a_higher_version_offered_under_the_same_names(
    installed: tuple[Path, dict[str, str], Path], built_wheels: Path
) -> None:
    """bb-protocol and bb-dlp come from the release's wheels (``--with`` files), never from a
    squatter's 99.0 that plain ``--find-links`` would have preferred."""
    versions = installed_versions(_site(installed))
    for distribution in ("bb-protocol", "bb-dlp"):
        released = release_wheel(built_wheels, distribution).name.split("-")[1]
        assert versions[distribution] == released != SQUAT_VERSION


def test_plain_find_links_would_take_the_squatters_higher_version(
    tmp_path: Path, built_wheels: Path, squatter: Path
) -> None:
    """The hazard the ``--with`` files close (and proof the squatter is one): a resolver
    given the release as ``--find-links`` only picks the higher bb-protocol and bb-dlp."""
    wanted = tmp_path / "requirements.in"
    wanted.write_text(f"bot-bottle @ {release_wheel(built_wheels, 'bot-bottle').as_uri()}\n")
    done = subprocess.run(
        [
            uv_binary(),
            "pip",
            "compile",
            "--offline",
            "--no-header",
            "-q",
            str(wanted),
            "--find-links",
            str(built_wheels),
            "--find-links",
            str(squatter),
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert f"bb-protocol=={SQUAT_VERSION}" in done.stdout.splitlines()
    assert f"bb-dlp=={SQUAT_VERSION}" in done.stdout.splitlines()


def test_every_wheel_has_a_readme_license_and_classifiers(built_wheels: Path) -> None:
    """PyPI metadata per package: a description from its README, a license, classifiers."""
    for wheel in sorted(built_wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            metadata = archive.read(name).decode()
        assert "License-Expression: Apache-2.0" in metadata, wheel.name
        assert "Classifier: Programming Language :: Python :: 3" in metadata, wheel.name
        assert "Description-Content-Type: text/markdown" in metadata, wheel.name
        body = metadata.split("\n\n", 1)[1]
        assert len(body.strip().splitlines()) > 2, f"{wheel.name}: its README says too little"

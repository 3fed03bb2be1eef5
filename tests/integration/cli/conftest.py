"""Fixtures of the install tests: the workspace's wheels, and a squatter offering higher versions.

The squatter stands for what PyPI could serve one day under bot-bottle's library names
(``bb-protocol``, ``bb-dlp``: free today, anyone's tomorrow until registered). The documented
install commands must take those from the release's own files even then.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SQUAT_VERSION = "99.0"


def uv_binary() -> str:
    """The uv this machine has, or skip (the install tests need it to build the wheels)."""
    uv = shutil.which("uv") or "/opt/bb-uv/bin/uv"
    if not Path(uv).is_file():
        pytest.skip("uv is not installed")
    return uv


def clean_env() -> dict[str, str]:
    """The caller's environment without its virtualenv, uv settings or BOT_BOTTLE_SOURCE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    env.pop("BOT_BOTTLE_SOURCE", None)
    env.update(UV_PYTHON=os.environ.get("UV_PYTHON", sys.executable), UV_PYTHON_DOWNLOADS="never")
    return env


@pytest.fixture(scope="session")
def built_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``uv build --all-packages --wheel`` of the working tree (offline), one directory."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [uv_binary(), "build", "--all-packages", "--wheel", "--offline", "-o", str(dist)],
        cwd=ROOT,
        env=clean_env(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return dist


def release_wheel(dist: Path, distribution: str) -> Path:
    """The one wheel of ``distribution`` in ``dist``."""
    (wheel,) = dist.glob(f"{distribution.replace('-', '_')}-*.whl")
    return wheel


def _squatter_wheel(directory: Path, distribution: str) -> Path:
    """A wheel named like ours at a higher version, whose package is not ours."""
    module = distribution.replace("-", "_")
    info = f"{module}-{SQUAT_VERSION}.dist-info"
    files = {
        f"{module}/__init__.py": b"SQUATTED = True\n",
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {SQUAT_VERSION}\n"
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: squatter\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{module}-{SQUAT_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


@pytest.fixture(scope="session")
def squatter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links directory offering bb-protocol and bb-dlp at version 99.0."""
    directory = tmp_path_factory.mktemp("squatter")
    for distribution in ("bb-protocol", "bb-dlp"):
        _squatter_wheel(directory, distribution)
    return directory


def installed_versions(site_packages: Path) -> dict[str, str]:
    """{distribution: version} of the ``*.dist-info`` directories in ``site_packages``."""
    versions = {}
    for info in site_packages.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        versions[name.replace("_", "-").lower()] = version
    return versions


def run_installed_bb(
    installed: tuple[Path, dict[str, str], Path], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run an installed ``bb`` (its path, environment and a directory outside the checkout)."""
    bb, env, cwd = installed
    return subprocess.run(
        [str(bb), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )

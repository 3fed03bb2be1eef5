"""Prepare the wheels an image installs, on the host, from the committed lock.

Images never resolve dependencies and never reach PyPI (which fails TLS inside builds on
machines behind intercepting proxies). Instead, for each image:

* ``uv export --frozen`` lists the package's locked third-party dependencies with hashes;
* ``pip wheel --no-deps --require-hashes`` fetches (or builds, for sdist-only projects)
  exactly those, for the image's Python (3.13, Debian trixie's);
* ``uv build --wheel`` builds bb-protocol, the workspace libraries the component uses
  (bb-dlp for egress and the git gate) and the component's own package.

The Dockerfile then installs every wheel with ``--no-deps --no-index``. Third-party wheels
are cached per lock digest, so a rebuild with an unchanged lock costs nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Final

from bb_cli.images.catalog import ImageSpec
from bb_cli.images.errors import ImageBuildError
from bb_cli.images.progress import Reporter
from bb_cli.procs import run_streaming

__all__ = ["IMAGE_PYTHON", "prepare_wheels"]

IMAGE_PYTHON: Final = "3.13"
"""The Python of the images (Debian trixie's python3); wheels are chosen for it."""


def _export_requirements(root: Path, package: str) -> str:
    result = subprocess.run(
        [
            "uv",
            "export",
            "--frozen",
            "--package",
            package,
            "--no-dev",
            "--no-emit-workspace",
            "--format",
            "requirements-txt",
            "--no-header",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ImageBuildError(f"uv export for {package} failed: {result.stderr.strip()}")
    return result.stdout


def prepare_wheels(
    root: Path, spec: ImageSpec, context: Path, cache_dir: Path, reporter: Reporter
) -> None:
    """Fill ``context/wheels/{deps,own}`` for ``spec`` (nothing to do for the agent)."""
    deps_dir = context / "wheels" / "deps"
    own_dir = context / "wheels" / "own"
    deps_dir.mkdir(parents=True, exist_ok=True)
    own_dir.mkdir(parents=True, exist_ok=True)
    if spec.package is None:
        return
    requirements = _export_requirements(root, spec.package)
    key = hashlib.sha256(f"{IMAGE_PYTHON}\n{requirements}".encode()).hexdigest()[:24]
    cached = cache_dir / "wheels" / f"{spec.component}-{key}"
    if not (cached / ".complete").exists():
        reporter.step(
            f"{spec.component}: fetching locked dependency wheels for Python {IMAGE_PYTHON}"
        )
        staging = cached.with_name(cached.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        req_file = staging / "requirements.txt"
        req_file.write_text(requirements)
        run_streaming(
            [
                "uvx",
                "--python",
                IMAGE_PYTHON,
                "pip",
                "wheel",
                "--no-deps",
                "--require-hashes",
                "--disable-pip-version-check",
                "-r",
                str(req_file),
                "-w",
                str(staging),
            ],
            log_path=cache_dir / "logs" / f"{spec.component}-wheels.log",
            on_line=reporter.detail,
            error=ImageBuildError,
            step=f"{spec.component}: pip wheel",
        )
        req_file.unlink()
        (staging / ".complete").write_text(key)
        shutil.rmtree(cached, ignore_errors=True)
        staging.rename(cached)
        reporter.done(f"{spec.component}: dependency wheels ready")
    for wheel in cached.glob("*.whl"):
        shutil.copy2(wheel, deps_dir / wheel.name)
    reporter.step(f"{spec.component}: building {', '.join(spec.packages)} wheels")
    for package in spec.packages:
        run_streaming(
            ["uv", "build", "--package", package, "--wheel", "--out-dir", str(own_dir)],
            log_path=cache_dir / "logs" / f"{package}-build.log",
            on_line=reporter.detail,
            error=ImageBuildError,
            step=f"uv build {package}",
            cwd=root,
        )

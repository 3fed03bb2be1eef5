"""Make sure the Debian base image exists, making it locally when no registry answers.

Every bot-bottle Dockerfile starts ``FROM debian:trixie-slim``. On a machine with a
registry the base is pulled as usual; where none is reachable (air-gapped hosts, CI
sandboxes) it is built from Debian's own package mirror with ``debootstrap
--variant=minbase`` and ``docker import``, trimmed of docs and apt lists like the
official slim image. Either way the user is told which happened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from bb_cli.images.engine import image_id, run_streaming
from bb_cli.images.errors import BaseImageError
from bb_cli.images.progress import Reporter

__all__ = ["BASE_IMAGE", "ensure_base_image"]

BASE_IMAGE: Final = "debian:trixie-slim"
DEBIAN_SUITE: Final = "trixie"
DEFAULT_MIRROR: Final = "http://deb.debian.org/debian"
PULL_TIMEOUT_SECONDS: Final = 45

_TRIM: Final = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/cache/debconf/templates.dat-old",
    "var/log",
)


def _try_pull(reporter: Reporter) -> bool:
    reporter.step(f"pulling {BASE_IMAGE}")
    try:
        result = subprocess.run(
            ["docker", "pull", "--quiet", BASE_IMAGE],
            capture_output=True,
            text=True,
            timeout=PULL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reporter.warn(f"no registry answered within {PULL_TIMEOUT_SECONDS}s")
        return False
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        reporter.warn(f"cannot pull {BASE_IMAGE}: {last}")
        return False
    reporter.done(f"pulled {BASE_IMAGE}")
    return True


def _debootstrap(reporter: Reporter, log_dir: Path, mirror: str) -> None:
    if shutil.which("debootstrap") is None:
        raise BaseImageError(
            f"{BASE_IMAGE} is missing, no registry answered, and debootstrap is not installed. "
            "Install it (apt-get install debootstrap) and rerun, or load the image with "
            "`docker load`."
        )
    if os.geteuid() != 0:
        raise BaseImageError(
            f"{BASE_IMAGE} is missing and no registry answered; making it locally with "
            "debootstrap needs root. Rerun `sudo bb images build`, or load the image with "
            "`docker load`."
        )
    reporter.step(f"making {BASE_IMAGE} locally: debootstrap --variant=minbase {DEBIAN_SUITE}")
    with tempfile.TemporaryDirectory(prefix="bb-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run_streaming(
            ["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(rootfs), mirror],
            log_path=log_dir / "debootstrap.log",
            on_line=reporter.detail,
            step="debootstrap",
        )
        for relative in _TRIM:
            target = rootfs / relative
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir(parents=True)
        reporter.step(f"importing the root filesystem as {BASE_IMAGE}")
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
        )
        imported = subprocess.run(
            ["docker", "import", "--change", 'CMD ["bash"]', "-", BASE_IMAGE],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise BaseImageError(f"docker import failed: {imported.stderr.strip()}")
    reporter.done(f"made {BASE_IMAGE} locally with debootstrap (no registry was used)")


def ensure_base_image(reporter: Reporter, log_dir: Path, *, mirror: str = DEFAULT_MIRROR) -> str:
    """Return the id of the base image, pulling or making it first when it is absent."""
    found = image_id(BASE_IMAGE)
    if found:
        return found
    if not _try_pull(reporter):
        _debootstrap(reporter, log_dir, mirror)
    found = image_id(BASE_IMAGE)
    if not found:
        raise BaseImageError(f"{BASE_IMAGE} is still missing after pull/debootstrap")
    return found

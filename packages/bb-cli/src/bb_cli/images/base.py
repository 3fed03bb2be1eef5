"""Make sure the Debian base image exists, making it locally when no registry answers.

Every bot-bottle Dockerfile starts ``FROM debian:trixie-slim``. On a machine with a
registry the base is pulled as usual; where none is reachable (air-gapped hosts, CI
sandboxes) it is built from Debian's own package mirror with ``debootstrap
--variant=minbase`` and ``docker import``, trimmed of docs and apt lists like the
official slim image. Either way the user is told which happened.

Nothing here can hang or leave a mess (issue 15): the engine is asked first, so no build
starts without one; debootstrap and the import each have a deadline and read no terminal;
the temporary root filesystem is removed on every way out, failures, Ctrl-C and SIGTERM
included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Final

from bb_cli.engine import DockerCommandError, Engine, default_engine
from bb_cli.images.errors import BaseImageError, ImageBuildError
from bb_cli.images.progress import Reporter
from bb_cli.procs import run_streaming

__all__ = ["BASE_IMAGE", "ensure_base_image", "import_rootfs"]

BASE_IMAGE: Final = "debian:trixie-slim"
DEBIAN_SUITE: Final = "trixie"
DEFAULT_MIRROR: Final = "http://deb.debian.org/debian"
PULL_TIMEOUT_SECONDS: Final = 45
DEBOOTSTRAP_TIMEOUT_SECONDS: Final = 1200
"""debootstrap of minbase downloads ~40 MB; twenty minutes means the mirror is not answering."""
IMPORT_TIMEOUT_SECONDS: Final = 600
"""``tar | docker import`` of a ~100 MB root filesystem."""
ENGINE_TIMEOUT_SECONDS: Final = 15

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


def _engine_problem(engine: Engine) -> str | None:
    """Why the Docker engine does not answer (then nothing is built), or None."""
    return engine.problem(timeout=ENGINE_TIMEOUT_SECONDS)


class _Terminated(Exception):  # noqa: N818 - a signal, turned into an exception to unwind
    """SIGTERM arrived while the root filesystem existed: unwind so it is removed."""


@contextlib.contextmanager
def _terminate_unwinds() -> Iterator[None]:
    """While inside, SIGTERM (and SIGHUP) raise `_Terminated`, so ``finally`` blocks run."""

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise _Terminated(signal.Signals(signum).name)

    try:
        previous = {s: signal.signal(s, raise_terminated) for s in (signal.SIGTERM, signal.SIGHUP)}
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def import_rootfs(
    rootfs: Path,
    tag: str,
    *,
    timeout: float = IMPORT_TIMEOUT_SECONDS,
    engine: Engine | None = None,
) -> None:
    """``tar -C rootfs -c . | docker import - tag`` through the engine seam, both killed on
    failure or after ``timeout`` (`Engine.import_rootfs`); `BaseImageError` saying why."""
    engine = engine or default_engine()
    problem = engine.import_rootfs(rootfs, tag, timeout=timeout)
    if problem is None:
        return
    if problem.startswith("did not finish"):
        raise BaseImageError(
            f"importing the root filesystem as {tag} {problem}; "
            "check that the Docker engine answers (`bb doctor`)"
        )
    raise BaseImageError(problem)


def _try_pull(reporter: Reporter, engine: Engine) -> bool:
    reporter.step(f"pulling {BASE_IMAGE}")
    try:
        engine.run("pull", "--quiet", BASE_IMAGE, timeout=PULL_TIMEOUT_SECONDS)
    except DockerCommandError as exc:
        if exc.code == -1:
            reporter.warn(f"no registry answered within {PULL_TIMEOUT_SECONDS}s")
            return False
        last = (exc.stderr.strip().splitlines() or ["(no message)"])[-1]
        reporter.warn(f"cannot pull {BASE_IMAGE}: {last}")
        return False
    reporter.done(f"pulled {BASE_IMAGE}")
    return True


def _debootstrap(
    reporter: Reporter, log_dir: Path, mirror: str, engine: Engine | None = None
) -> None:
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
    tmp = Path(tempfile.mkdtemp(prefix="bb-rootfs-"))
    try:
        with _terminate_unwinds():
            rootfs = tmp / "rootfs"
            run_streaming(
                ["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(rootfs), mirror],
                log_path=log_dir / "debootstrap.log",
                on_line=reporter.detail,
                step="debootstrap",
                timeout=DEBOOTSTRAP_TIMEOUT_SECONDS,
                error=ImageBuildError,
            )
            for relative in _TRIM:
                target = rootfs / relative
                if target.is_dir():
                    shutil.rmtree(target)
                    target.mkdir(parents=True)
            reporter.step(f"importing the root filesystem as {BASE_IMAGE}")
            import_rootfs(rootfs, BASE_IMAGE, engine=engine)
    except _Terminated as exc:
        raise BaseImageError(f"stopped by {exc} while making {BASE_IMAGE}") from None
    finally:
        _remove_tree(tmp)
    reporter.done(f"made {BASE_IMAGE} locally with debootstrap (no registry was used)")


def _mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` (debootstrap mounts proc, sys, maybe /dev), deepest
    first."""
    root = str(path.resolve())
    try:
        text = Path("/proc/self/mountinfo").read_text(encoding="utf-8")
    except OSError:
        return []
    points = [line.split()[4].replace("\\040", " ") for line in text.splitlines() if line]
    inside = [m for m in points if m == root or m.startswith(root + "/")]
    return sorted(set(inside), key=len, reverse=True)


def _remove_tree(path: Path) -> None:
    """Remove a debootstrap tree whatever happened: unmount what debootstrap mounted inside
    it first (never delete through a mount of the host's /dev or /proc), then delete it."""
    for point in _mounts_under(path):
        subprocess.run(
            ["umount", "-l", point],
            capture_output=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    left = _mounts_under(path)
    if left:
        raise BaseImageError(
            f"{path} still has mounts inside ({', '.join(left)}); unmount them and remove it"
        )

    def retry(function: Callable[[str], object], name: str, _exc: BaseException) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(name), 0o700)
            function(name)

    shutil.rmtree(path, onexc=retry)


def ensure_base_image(
    reporter: Reporter,
    log_dir: Path,
    *,
    mirror: str = DEFAULT_MIRROR,
    engine: Engine | None = None,
) -> str:
    """Return the id of the base image, pulling or making it first when it is absent."""
    engine = engine or default_engine()
    problem = _engine_problem(engine)
    if problem:  # never pull, debootstrap or import without an engine to take the result
        raise BaseImageError(
            f"cannot build images: {problem}; start Docker Engine >= 28 (`bb doctor`)"
        )
    found = engine.image_id(BASE_IMAGE)
    if found:
        return found
    if not _try_pull(reporter, engine):
        _debootstrap(reporter, log_dir, mirror, engine)
    found = engine.image_id(BASE_IMAGE)
    if not found:
        raise BaseImageError(f"{BASE_IMAGE} is still missing after pull/debootstrap")
    return found

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

from bb_cli.images.engine import image_id, run_streaming
from bb_cli.images.errors import BaseImageError
from bb_cli.images.progress import Reporter

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


def _engine_problem() -> str | None:
    """Why the Docker engine does not answer (then nothing is built), or None."""
    try:
        done = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True, text=True, timeout=ENGINE_TIMEOUT_SECONDS, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except FileNotFoundError:
        return "the docker CLI is not installed or not on PATH"
    except subprocess.TimeoutExpired:
        return f"the Docker engine did not answer within {ENGINE_TIMEOUT_SECONDS}s"
    if done.returncode == 0 and done.stdout.strip():
        return None
    return (done.stderr.strip().splitlines() or ["the Docker engine does not answer"])[-1]


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


def import_rootfs(rootfs: Path, tag: str, *, timeout: float = IMPORT_TIMEOUT_SECONDS) -> None:
    """``tar -C rootfs -c . | docker import - tag``, both killed on failure or after ``timeout``.

    The parent closes its copy of the pipe, so when ``docker import`` fails early, tar gets
    SIGPIPE instead of blocking forever on a full pipe (the hang issue 15 saw).
    """
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert tar.stdout is not None
    try:
        imported = subprocess.Popen(
            ["docker", "import", "--change", 'CMD ["bash"]', "-", tag],
            stdin=tar.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    except BaseException:
        tar.kill()
        tar.wait()
        raise
    tar.stdout.close()  # only docker holds the read end now
    try:
        _, err = imported.communicate(timeout=timeout)
        tar_err = tar.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        raise BaseImageError(
            f"importing the root filesystem as {tag} did not finish within {timeout:.0f}s; "
            "check that the Docker engine answers (`bb doctor`)"
        ) from None
    finally:
        for process in (imported, tar):
            if process.poll() is None:
                process.kill()
                process.wait()
    if imported.returncode != 0:
        raise BaseImageError(f"docker import failed: {err.strip() or 'no message'}")
    if tar.returncode != 0:
        said = tar_err.decode(errors="replace").strip()
        raise BaseImageError(f"tar of the root filesystem failed: {said or 'no message'}")


def _try_pull(reporter: Reporter) -> bool:
    reporter.step(f"pulling {BASE_IMAGE}")
    try:
        result = subprocess.run(
            ["docker", "pull", "--quiet", BASE_IMAGE],
            stdin=subprocess.DEVNULL,
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
            )
            for relative in _TRIM:
                target = rootfs / relative
                if target.is_dir():
                    shutil.rmtree(target)
                    target.mkdir(parents=True)
            reporter.step(f"importing the root filesystem as {BASE_IMAGE}")
            import_rootfs(rootfs, BASE_IMAGE)
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
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=60, check=False,
                       stdin=subprocess.DEVNULL)  # fmt: skip
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


def ensure_base_image(reporter: Reporter, log_dir: Path, *, mirror: str = DEFAULT_MIRROR) -> str:
    """Return the id of the base image, pulling or making it first when it is absent."""
    problem = _engine_problem()
    if problem:  # never pull, debootstrap or import without an engine to take the result
        raise BaseImageError(
            f"cannot build images: {problem}; start Docker Engine >= 28 (`bb doctor`)"
        )
    found = image_id(BASE_IMAGE)
    if found:
        return found
    if not _try_pull(reporter):
        _debootstrap(reporter, log_dir, mirror)
    found = image_id(BASE_IMAGE)
    if not found:
        raise BaseImageError(f"{BASE_IMAGE} is still missing after pull/debootstrap")
    return found

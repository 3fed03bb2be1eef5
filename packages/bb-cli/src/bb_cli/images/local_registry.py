"""A throwaway registry on the loopback address, from Debian's ``docker-registry`` binary.

Debian packages the Distribution registry (bookworm: 2.8.2) as ``docker-registry``; its
packaged config asks for htpasswd auth, so this runs it as a plain process with a config of
its own: ``127.0.0.1:<free port>``, storage in a temporary directory, no auth. Docker pushes
to and pulls from a loopback registry over plain HTTP without any daemon setting.

Used where bot-bottle needs "a registry for a moment": the smolmachines freezer
(`bb_cli.freeze.smolvm`) and the distribution tests. Start and stop are bounded: the
registry must answer ``/v2/`` within ``start_timeout`` seconds, and is killed if it does not
stop within a few seconds.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from bb_cli.images.errors import RegistryError

__all__ = ["REGISTRY_BINARY", "find_registry_binary", "local_registry"]

REGISTRY_BINARY: Final = "docker-registry"
"""Debian's name for the Distribution registry (``apt-get install docker-registry``)."""

_CONFIG: Final = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def find_registry_binary() -> str | None:
    """The ``docker-registry`` binary on PATH (or /usr/bin), or None when not installed."""
    found = shutil.which(REGISTRY_BINARY)
    if found:
        return found
    fallback = Path("/usr/bin") / REGISTRY_BINARY
    return str(fallback) if fallback.is_file() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def local_registry(
    *, storage: Path | None = None, start_timeout: float = 30.0, binary: str | None = None
) -> Iterator[str]:
    """Run a registry on 127.0.0.1; yield its ``host:port``; stop it (and its storage) after.

    ``storage`` keeps the images in a directory of the caller's (not removed); by default a
    temporary one is used and removed. Raises `RegistryError` saying how to install the
    binary when it is missing, or with the registry's own output when it does not start.
    """
    program = binary or find_registry_binary()
    if program is None:
        raise RegistryError(
            f"no `{REGISTRY_BINARY}` binary: install it with "
            f"`apt-get install -y {REGISTRY_BINARY}` (scripts/setup-host.sh does)"
        )
    with tempfile.TemporaryDirectory(prefix="bb-registry-") as tmp:
        root = storage or Path(tmp) / "storage"
        root.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        config = Path(tmp) / "config.yml"
        config.write_text(_CONFIG.format(root=root, port=port), encoding="utf-8")
        log = Path(tmp) / "registry.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [program, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + start_timeout
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = log.read_text(errors="replace")[-2000:]
                    raise RegistryError(
                        f"{program} did not answer on 127.0.0.1:{port} within "
                        f"{start_timeout:.0f}s (exit {process.poll()}): {output}"
                    )
                time.sleep(0.1)  # polling a port, bounded by the deadline above
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

"""The agent CLIs (Claude Code, Codex) that the runtime images carry: pinned, fetched, verified.

Both ship native binaries on the npm registry that need no Node: Claude Code as
``@anthropic-ai/claude-code-linux-x64`` (one glibc binary), Codex as ``@openai/codex`` at
its ``-linux-x64`` version (a static musl binary, plus ``rg`` which it calls). Like the
Python wheels, they are fetched on the host, never inside a build:

* ``images/agent-clis.lock.json`` pins each package's version and npm ``integrity``
  (sha512 of the tarball) (`CliLock`);
* ``npm pack`` (npm's own client, so the user's registry settings apply) fetches the
  tarball into ``$XDG_CACHE_HOME/bot-bottle/clis``;
* the tarball's sha512 is checked against the lock on every use (`verify_integrity`),
  so a corrupt or swapped cache entry is refused, not built;
* only the binaries the lock names are extracted into the build context.

`bump_lock` re-pins to the registry's latest versions (``bb images bump-clis``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bb_cli.images.errors import ImageBuildError
from bb_cli.images.progress import Reporter

__all__ = [
    "LOCK_FILE",
    "CliLock",
    "CliName",
    "PinnedCli",
    "bump_lock",
    "fetch_cli",
    "load_lock",
    "prepare_cli",
    "verify_integrity",
    "write_lock",
]

CliName = Literal["claude", "codex"]

LOCK_FILE: Final = "images/agent-clis.lock.json"
"""The lock, relative to the source tree."""

_NPM_TIMEOUT_SECONDS: Final = 900
_X64: Final = frozenset({"x86_64", "amd64"})
"""The architectures the pinned binaries run on (the lock holds linux-x64 packages)."""


class PinnedCli(BaseModel):
    """One CLI as the lock pins it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    package: str = Field(pattern=r"^(@[a-z0-9._-]+/)?[a-z0-9._-]+$")
    """The npm package holding the platform binary."""
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    """The CLI's release (what ``--version`` prints); part of the image tag."""
    npm_version: str | None = Field(default=None, pattern=r"^[0-9A-Za-z.+-]+$")
    """The npm version when it differs from the release (Codex: ``X.Y.Z-linux-x64``)."""
    integrity: str = Field(pattern=r"^sha512-[A-Za-z0-9+/]+=*$")
    """npm's Subresource Integrity string of the tarball."""
    binaries: dict[str, str] = Field(min_length=1)
    """Path in the tarball -> file name under ``/usr/local/bin`` in the image."""

    @property
    def spec(self) -> str:
        """What ``npm pack`` is given: ``package@version``."""
        return f"{self.package}@{self.npm_version or self.version}"

    @property
    def tarball_name(self) -> str:
        """The cached tarball's file name (one per pinned version)."""
        stem = self.package.lstrip("@").replace("/", "-")
        return f"{stem}-{self.npm_version or self.version}.tgz"


class CliLock(BaseModel):
    """The whole lock file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    """Lock format version."""
    clis: dict[CliName, PinnedCli]
    """Each CLI's pin."""


def load_lock(root: Path) -> CliLock:
    """Read and validate the lock of the source tree at ``root``."""
    path = root / LOCK_FILE
    try:
        return CliLock.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImageBuildError(f"{path} is missing; restore it from the repository") from None
    except ValidationError as exc:
        raise ImageBuildError(f"{path} is invalid: {exc}") from None


def write_lock(root: Path, lock: CliLock) -> None:
    """Write the lock back (stable formatting, one trailing newline)."""
    data = lock.model_dump(mode="json", exclude_none=True)
    (root / LOCK_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def verify_integrity(path: Path, integrity: str) -> bool:
    """True when the file's sha512 equals the npm integrity string ``sha512-<base64>``."""
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return integrity == "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def fetch_cli(name: str, pin: PinnedCli, cache: Path, reporter: Reporter) -> Path:
    """Return the cached, verified tarball of ``pin``, fetching it with ``npm pack`` first."""
    tarball = cache / "clis" / pin.tarball_name
    if tarball.is_file():
        if verify_integrity(tarball, pin.integrity):
            return tarball
        reporter.warn(f"{name}: cached {tarball.name} does not match the lock; fetching again")
        tarball.unlink()
    if shutil.which("npm") is None:
        raise ImageBuildError(
            f"{name}: {pin.spec} is not cached and npm is not installed. Install npm (any "
            f"version; Node is not needed in the image) or put the tarball at {tarball}."
        )
    staging = tarball.parent / f".{tarball.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    reporter.step(f"{name}: npm pack {pin.spec}")
    try:
        done = subprocess.run(
            ["npm", "pack", pin.spec, "--json", "--pack-destination", str(staging)],
            capture_output=True,
            text=True,
            timeout=_NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ImageBuildError(f"{name}: npm pack {pin.spec} took over 15 minutes") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-3:]
        raise ImageBuildError(f"{name}: npm pack {pin.spec} failed: {' | '.join(last)}")
    fetched = [p for p in staging.iterdir() if p.suffix == ".tgz"]
    if len(fetched) != 1:
        raise ImageBuildError(f"{name}: npm pack {pin.spec} left {len(fetched)} tarballs")
    if not verify_integrity(fetched[0], pin.integrity):
        shutil.rmtree(staging, ignore_errors=True)
        raise ImageBuildError(
            f"{name}: {pin.spec} from the registry does not match the integrity pinned in "
            f"{LOCK_FILE}; refusing it (re-pin deliberately with `bb images bump-clis`)"
        )
    fetched[0].rename(tarball)
    shutil.rmtree(staging, ignore_errors=True)
    reporter.done(f"{name}: fetched and verified {pin.spec}")
    return tarball


def extract_binaries(tarball: Path, pin: PinnedCli, dest: Path) -> list[Path]:
    """Extract exactly the binaries ``pin`` names into ``dest`` (mode 0755)."""
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member_path, target in sorted(pin.binaries.items()):
            try:
                member = archive.getmember(member_path)
            except KeyError:
                raise ImageBuildError(f"{tarball.name} has no {member_path}") from None
            source = archive.extractfile(member) if member.isfile() else None
            if source is None:
                raise ImageBuildError(f"{tarball.name}: {member_path} is not a regular file")
            path = dest / Path(target).name
            with source, path.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            path.chmod(0o755)
            out.append(path)
    return out


def prepare_cli(root: Path, name: CliName, context: Path, cache: Path, reporter: Reporter) -> None:
    """Put the verified binaries of CLI ``name`` into ``context/bin`` for the Dockerfile."""
    machine = platform.machine().lower()
    if machine not in _X64:
        raise ImageBuildError(
            f"{name}: the lock pins linux-x64 binaries and this machine is {machine}; add the"
            f" linux-arm64 packages to {LOCK_FILE} (npm has them) to build here"
        )
    pin = load_lock(root).clis[name]
    tarball = fetch_cli(name, pin, cache, reporter)
    extract_binaries(tarball, pin, context / "bin")


NpmView = Callable[[str, str], str]
"""``npm view SPEC FIELD`` -> its output (a seam for tests)."""


def npm_view(spec: str, field: str) -> str:
    """Ask the registry through npm's own client for one field of a package version."""
    done = subprocess.run(
        ["npm", "view", spec, field], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise ImageBuildError(f"npm view {spec} {field} failed: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def bump_lock(
    lock: CliLock, view: NpmView = npm_view, wanted: Mapping[str, str] | None = None
) -> tuple[CliLock, dict[str, tuple[str, str]]]:
    """Re-pin every CLI to ``wanted[name]`` or the latest release; return the changes.

    Codex's platform build is the npm version ``<release>-linux-x64`` (the ``linux-x64``
    suffix of the pinned ``npm_version`` is kept).
    """
    wanted = wanted or {}
    clis: dict[CliName, PinnedCli] = {}
    changes: dict[str, tuple[str, str]] = {}
    for name, pin in lock.clis.items():
        suffix = ""
        if pin.npm_version and pin.npm_version != pin.version:
            suffix = pin.npm_version.removeprefix(pin.version)
        release = wanted.get(name) or view(pin.package, "version")
        release = release.removesuffix(suffix) if suffix else release
        npm_version = f"{release}{suffix}" if suffix else None
        spec = f"{pin.package}@{npm_version or release}"
        integrity = view(spec, "dist.integrity")
        clis[name] = pin.model_copy(
            update={"version": release, "npm_version": npm_version, "integrity": integrity}
        )
        if release != pin.version or integrity != pin.integrity:
            changes[name] = (pin.version, release)
    return CliLock(clis=clis), changes

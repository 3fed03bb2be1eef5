"""End to end: `bb` installed as a tool, images published to and pulled from a real registry.

What the issue's CI steps ask, on this machine's real parts:

1. a registry: Debian's ``docker-registry`` binary run as a process of the test's own
   (`bb_cli.images.local_registry`: 127.0.0.1, a free port, temporary storage, no auth);
2. ``bb images publish`` from the checkout (the images ``bb images build`` made);
3. the CLI built into wheels (``uv build``) and installed with ``uv tool install`` into a
   fresh tool directory, run from a directory outside any checkout;
4. "the local images removed": only what this test made. The published tags live in the
   registry's own repositories (``127.0.0.1:PORT/bot-bottle/...``), which no one else uses,
   and are untagged before ``bb start``, so the engine holds no image of those repositories
   and the bottle's images are pulled by digest. The ``bot-bottle-*`` images other work
   depends on are never touched (their layers are shared, so the pull moves manifests, not
   layer bytes: the pull is real, the download small);
5. ``bb start shell`` pulls everything and records each image by digest; an egress-only
   upgrade (bb-egress's version bumped in a copy of the committed tree, ``bb images build
   egress`` and ``bb images publish egress`` from it, nothing else) is what the next
   ``bb start`` runs, with the unchanged supervise and agent digests; ``bb resume`` of the
   first bottle keeps its pinned egress; a published protocol bump is passed over, named.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bb_cli.images.catalog import LABEL_PROTOCOL, LABEL_VERSION
from bb_cli.images.local_registry import find_registry_binary, local_registry
from bb_cli.images.progress import RecordingReporter
from bb_cli.images.publish import publish_images
from bb_cli.images.registry import RegistryClient, parse_registry

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

ROOT = Path(__file__).resolve().parents[2]
SHELL_COMPONENTS = ("egress", "supervise", "agent")
"""What the bundled ``shell`` bottle runs (no repos: no git gate)."""


def _uv() -> str:
    found = shutil.which("uv") or "/opt/bb-uv/bin/uv"
    if not Path(found).is_file():
        pytest.skip("uv is not installed")
    return found


def docker(*args: str, check: bool = True, timeout: float = 300) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert not check or done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass
class Tool:
    """The ``bb`` installed from wheels, with a home of its own outside any checkout."""

    bb_path: Path
    cwd: Path
    env: dict[str, str]
    slugs: list[str] = field(default_factory=list)

    def bb(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bb_path), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"bb {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def start(self) -> tuple[str, str, float]:
        """``bb start shell --json``: (slug, stderr, seconds)."""
        began = time.monotonic()
        done = self.bb("start", "shell", "--json")
        seconds = time.monotonic() - began
        slug = json.loads(done.stdout)["slug"]
        self.slugs.append(slug)
        return slug, done.stderr, seconds

    def record(self, slug: str) -> dict[str, object]:
        path = Path(self.env["XDG_STATE_HOME"]) / "bot-bottle" / "bottles" / slug / "bottle.json"
        return dict(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """A real registry process on 127.0.0.1; every tag this module made is removed after."""
    if find_registry_binary() is None:
        pytest.skip("docker-registry is not installed (scripts/setup-host.sh installs it)")
    with local_registry() as host:
        try:
            yield host
        finally:
            refs = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").split()
            mine = [r for r in refs if r.startswith(f"{host}/")]
            digests = docker(
                "image", "ls", "--digests", "--format", "{{.Repository}}@{{.Digest}}"
            ).split()
            mine += [d for d in digests if d.startswith(f"{host}/") and "@sha256:" in d]
            for ref in mine:
                docker("image", "rm", ref, check=False)


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory, registry: str) -> Iterator[Tool]:
    """Wheels built from the checkout, installed with ``uv tool install`` into a temp dir."""
    uv = _uv()
    base = tmp_path_factory.mktemp("tool")
    dist = base / "dist"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    env.pop("BOT_BOTTLE_SOURCE", None)
    env["UV_PYTHON"] = os.environ.get("UV_PYTHON", sys.executable)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    subprocess.run(
        [uv, "build", "--all-packages", "--wheel", "--offline", "-o", str(dist)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("bot_bottle-*.whl")
    env["UV_TOOL_DIR"], env["UV_TOOL_BIN_DIR"] = str(base / "tools"), str(base / "bin")
    subprocess.run(
        [uv, "tool", "install", "--offline", str(wheel), "--find-links", str(dist)],
        cwd=base,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    home = base / "home"
    for sub in ("state", "config", "cache"):
        (home / sub).mkdir(parents=True)
    run_env = {k: v for k, v in env.items() if not k.startswith("UV_")}
    run_env.update(
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        BB_REGISTRY=registry,
    )
    run_env["PATH"] = os.pathsep.join(
        p for p in run_env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    outside = base / "elsewhere"
    outside.mkdir()
    installed = Tool(base / "bin" / "bb", outside, run_env)
    try:
        yield installed
    finally:
        for slug in installed.slugs:
            installed.bb("rm", "-f", slug, check=False)


@pytest.fixture(scope="module")
def published(registry: str) -> dict[str, dict[str, str]]:
    """``bb images publish`` from the checkout (this test's interpreter: the workspace)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bb_cli",
            "images",
            "publish",
            "--registry",
            registry,
            "--json",
            *SHELL_COMPONENTS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {row["component"]: row for row in json.loads(done.stdout)["images"]}


def _untag_registry_images(registry: str) -> None:
    """Remove every local name in the registry's repositories (only this test's)."""
    lines = docker(
        "image",
        "ls",
        "--digests",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}",
    ).splitlines()
    for line in lines:
        for ref in line.split():
            if ref.startswith(f"{registry}/") and not ref.endswith((":<none>", "@<none>")):
                docker("image", "rm", ref, check=False)


def test_the_tool_install_runs_outside_any_checkout(tool: Tool) -> None:
    """``bb --version`` and ``bb doctor --json`` from the wheels, far from the source tree."""
    assert tool.bb("--version").stdout.startswith("bb ")
    checks = {c["name"]: c for c in json.loads(tool.bb("doctor", "--json", check=False).stdout)}
    assert checks["docker engine"]["ok"], checks
    assert checks["registry"]["ok"], checks["registry"]


def test_publishing_again_is_a_no_op(registry: str, published: dict[str, dict[str, str]]) -> None:
    """Each component under its own version; the second publish pushes nothing."""
    for component in SHELL_COMPONENTS:
        assert published[component]["ref"].startswith(f"{registry}/bot-bottle/{component}:")
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "bb_cli",
            "images",
            "publish",
            "--registry",
            registry,
            "--json",
            *SHELL_COMPONENTS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    statuses = {row["status"] for row in json.loads(again.stdout)["images"]}
    assert statuses == {"unchanged"}


def _publish_bumped_egress(registry: str, tmp_path: Path) -> tuple[str, str]:
    """Bump only bb-egress's version in a copy of the committed tree, build and publish it.

    ``bb images build egress`` and ``bb images publish egress`` as a release would run them
    (``BOT_BOTTLE_SOURCE`` names the copy). The build tags ``bot-bottle-egress:<new>``
    locally; that tag, this test's own, is removed once published. Returns (version, digest).
    """
    copy = tmp_path / "src"
    copy.mkdir()
    archive = subprocess.run(
        ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True, timeout=120
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True, timeout=120)
    pyproject = copy / "packages" / "bb-egress" / "pyproject.toml"
    text = pyproject.read_text()
    (line,) = [x for x in text.splitlines() if x.startswith("version = ")]
    parts = line.split('"')[1].split(".")
    new = ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    pyproject.write_text(text.replace(line, f'version = "{new}"', 1))
    env = {**os.environ, "BOT_BOTTLE_SOURCE": str(copy)}
    bb = [sys.executable, "-m", "bb_cli", "images"]
    try:
        built = subprocess.run(
            [*bb, "build", "egress"],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert built.returncode == 0, built.stderr
        done = subprocess.run(
            [*bb, "publish", "--registry", registry, "--json", "egress"],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    finally:
        docker("image", "rm", f"bot-bottle-egress:{new}", check=False)
    (row,) = json.loads(done.stdout)["images"]
    assert (row["version"], row["status"]) == (new, "pushed")
    return new, str(row["digest"])


def _derive(registry: str, component: str, base: str, labels: dict[str, str], tag: str) -> str:
    """A new version of ``base`` (same layers, new labels), built locally as ``tag``."""
    lines = [f"FROM {base}", *(f'LABEL "{k}"="{v}"' for k, v in labels.items())]
    done = subprocess.run(
        ["docker", "build", "--quiet", "--tag", tag, "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tag


def test_a_bottle_pulls_everything_then_an_egress_only_upgrade_changes_only_egress(
    registry: str, published: dict[str, dict[str, str]], tool: Tool, tmp_path: Path
) -> None:
    """Start A (pulled), publish egress 0.x.y+1 and a protocol bump, start B, resume A."""
    _untag_registry_images(registry)
    slug_a, err_a, pulled_seconds = tool.start()
    assert "pulling" in err_a, err_a
    pins_a = tool.record(slug_a)["images"]
    assert isinstance(pins_a, dict)
    for component in SHELL_COMPONENTS:
        assert pins_a[component] == (
            f"{registry}/bot-bottle/{component}@{published[component]['digest']}"
        )

    _, _, present_seconds = tool.start()  # same images, now present: no pull
    print(f"\nbb start shell: {pulled_seconds:.1f}s pulling, {present_seconds:.1f}s present")

    old = published["egress"]["version"]
    new, upgraded = _publish_bumped_egress(registry, tmp_path)
    client = RegistryClient(parse_registry(registry))
    source = f"{registry}/bb-e2e-local/egress"  # a local name of this test's only
    bump = _derive(
        registry,
        "egress",
        pins_a["egress"],
        {LABEL_VERSION: "99.0.0", LABEL_PROTOCOL: "99"},
        f"{source}:99.0.0",
    )
    publish_images(client, {"egress": bump}, RecordingReporter(), tmp_path / "logs")

    index = json.loads(tool.bb("images", "index", "egress", "--json").stdout)["images"]
    compatible = {row["version"]: row["compatible"] for row in index}
    assert compatible == {old: True, new: True, "99.0.0": False}

    slug_b, err_b, _ = tool.start()
    pins_b = tool.record(slug_b)["images"]
    assert isinstance(pins_b, dict)
    assert pins_b["egress"] == f"{registry}/bot-bottle/egress@{upgraded}"
    assert pins_b["supervise"] == pins_a["supervise"]
    assert pins_b["agent"] == pins_a["agent"]
    assert "99.0.0 speaks protocol 99" in err_b, err_b

    tool.bb("stop", slug_a)
    tool.bb("resume", slug_a)
    assert tool.record(slug_a)["images"] == pins_a  # bb resume runs what A ran
    inspect = docker("inspect", "--format", "{{.Config.Image}}", f"bot-bottle-{slug_a}")
    assert inspect.strip() == pins_a["agent"]


def test_an_image_whose_labels_contradict_its_tag_is_refused_on_resume(
    registry: str, published: dict[str, dict[str, str]], tool: Tool
) -> None:
    """A record pinning supervise to an egress image: ``bb resume`` refuses, saying why."""
    slug = tool.slugs[0] if tool.slugs else tool.start()[0]
    path = Path(tool.env["XDG_STATE_HOME"]) / "bot-bottle" / "bottles" / slug / "bottle.json"
    record = json.loads(path.read_text())
    record["images"]["supervise"] = record["images"]["egress"]
    path.write_text(json.dumps(record))
    tool.bb("stop", slug)
    done = tool.bb("resume", slug, check=False)
    assert done.returncode != 0
    assert "labelled component 'egress'" in done.stderr, done.stderr

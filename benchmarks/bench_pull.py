"""``bb start`` with its images pulled from a local registry vs already present, same run.

Setup: Debian's ``docker-registry`` on 127.0.0.1 (`bb_cli.images.local_registry`), the
``shell`` bottle's images (egress, supervise, agent) published there with
``bb images publish``, and ``bb`` installed from the built wheels with ``uv tool install``
and run outside the checkout (inside one, the checkout's own images would win and nothing
would be pulled). Each round: every local name in the registry's repositories is removed
(only this benchmark's), ``bb start shell`` is timed (it pulls the three images by digest),
the bottle removed; then ``bb start shell`` again with the images present, removed.

The layers are shared with the ``bot-bottle-*`` images built on this machine, which are
never deleted (others use them): a "pulled" start moves manifests and configs, and checks
each layer is there, but downloads no layer. So the bytes a cold machine would download,
and the time the registry takes to serve them over loopback (every layer blob read to the
end), are measured separately: ``cold_bytes`` and ``blob_download_s``.

Options: ``--rounds=N`` (default 2). Needs a Docker engine, the images and docker-registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bb_cli.images.local_registry import local_registry
from bb_cli.images.registry import NAMESPACE
from benchmarks._common import int_option, min_median_max

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ("egress", "supervise", "agent")


def _run(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} failed: {done.stderr[-1500:]}")
    return done


def _install(base: Path) -> Path:
    uv = shutil.which("uv") or "/opt/bb-uv/bin/uv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_TOOL"))}
    env.setdefault("UV_PYTHON", sys.executable)
    dist = base / "dist"
    _run([uv, "build", "--all-packages", "--wheel", "--offline", "-o", str(dist)], env, ROOT)
    (wheel,) = dist.glob("bot_bottle-*.whl")
    env["UV_TOOL_DIR"], env["UV_TOOL_BIN_DIR"] = str(base / "tools"), str(base / "bin")
    _run([uv, "tool", "install", "--offline", str(wheel), "--find-links", str(dist)], env, base)
    return base / "bin" / "bb"


def _untag(host: str) -> None:
    lines = _run(
        [
            "docker",
            "image",
            "ls",
            "--digests",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}",
        ]
    ).stdout
    for ref in lines.split():
        if ref.startswith(f"{host}/") and not ref.endswith(("<none>",)):
            subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=False)


def _blobs(host: str) -> tuple[int, float]:
    """Bytes of every layer of the published images, and seconds to read them all."""
    accept = "application/vnd.docker.distribution.manifest.v2+json"
    total, started = 0, time.perf_counter()
    for component in COMPONENTS:
        repo = f"{NAMESPACE}/{component}"
        tags = json.loads(
            urllib.request.urlopen(f"http://{host}/v2/{repo}/tags/list", timeout=30).read()
        )["tags"]
        request = urllib.request.Request(
            f"http://{host}/v2/{repo}/manifests/{tags[0]}", headers={"Accept": accept}
        )
        manifest = json.loads(urllib.request.urlopen(request, timeout=30).read())
        for layer in manifest["layers"]:
            url = f"http://{host}/v2/{repo}/blobs/{layer['digest']}"
            with urllib.request.urlopen(url, timeout=300) as response:
                while chunk := response.read(1 << 20):
                    total += len(chunk)
    return total, time.perf_counter() - started


def run(args: list[str]) -> dict[str, object]:
    rounds = int_option(args, "rounds", 2)
    with tempfile.TemporaryDirectory(prefix="bb-bench-pull-") as tmp, local_registry() as host:
        base = Path(tmp)
        try:
            _run(
                [
                    sys.executable,
                    "-m",
                    "bb_cli",
                    "images",
                    "publish",
                    "--registry",
                    host,
                    *COMPONENTS,
                ],
                cwd=ROOT,
            )
            bb = _install(base)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
            env.pop("BOT_BOTTLE_SOURCE", None)
            env.update(
                XDG_STATE_HOME=str(base / "state"),
                XDG_CACHE_HOME=str(base / "cache"),
                XDG_CONFIG_HOME=str(base / "config"),
                BB_REGISTRY=host,
            )
            cwd = base / "elsewhere"
            cwd.mkdir()
            pulled: list[float] = []
            present: list[float] = []
            for _ in range(rounds):
                for samples, untag in ((pulled, True), (present, False)):
                    if untag:
                        _untag(host)
                    started = time.perf_counter()
                    out = _run([str(bb), "start", "shell", "--json"], env, cwd).stdout
                    samples.append(time.perf_counter() - started)
                    _run([str(bb), "rm", "-f", json.loads(out)["slug"]], env, cwd)
            cold_bytes, download = _blobs(host)
        finally:
            _untag(host)
    return {
        "rounds": rounds,
        "start_pulled": min_median_max(pulled),
        "start_present": min_median_max(present),
        "pull_overhead_median_s": round(
            min_median_max(pulled)["median_s"] - min_median_max(present)["median_s"], 3
        ),
        "cold_bytes": cold_bytes,
        "blob_download_s": round(download, 3),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:]), indent=2))

"""The Docker seam's cost per call: the SDK (what bb-cli uses now) against the ``docker``
CLI subprocess it replaced, for the calls ``bb`` makes most (the engine check, an image's
labels when resolving, a label-filtered container listing for the reload signal).

Each figure is ``--calls=N`` (default 20) back-to-back calls, reported as min/median/max
seconds per call; the same engine, the same image (``debian:trixie-slim`` if present,
else whatever image is first), nothing started. Also ``bb --help``'s import cost: the seam
is imported, the SDK is not; and the first ping of a new process, which pays for importing
the SDK once. Needs a Docker engine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from bb_cli.engine import DockerEngine
from benchmarks._common import int_option, min_median_max


def _per_call(call: Callable[[], object], calls: int) -> dict[str, float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return min_median_max(samples)


def _cli(*args: str) -> Callable[[], object]:
    return lambda: subprocess.run(["docker", *args], capture_output=True, check=False)


def run(args: list[str]) -> dict[str, object]:
    calls = int_option(args, "calls", 20)
    engine = DockerEngine()
    image = "debian:trixie-slim"
    if engine.image_id(image) is None:
        listed = engine.run("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
        image = next(r for r in listed if "<none>" not in r)
    label = "com.docker.compose.project=bb-bench-none"
    fmt = "{{json .Config.Labels}}"
    results: dict[str, object] = {"calls": calls, "image": image}
    results["ping"] = {
        "sdk": _per_call(lambda: engine.problem(), calls),
        "cli": _per_call(_cli("version", "--format", "{{.Server.Version}}"), calls),
    }
    results["image_labels"] = {
        "sdk": _per_call(lambda: engine.image_labels(image), calls),
        "cli": _per_call(_cli("image", "inspect", "--format", fmt, image), calls),
    }
    results["containers_by_label"] = {
        "sdk": _per_call(lambda: engine.containers(label, all=False), calls),
        "cli": _per_call(_cli("ps", "--quiet", "--filter", f"label={label}"), calls),
    }
    first = (
        "import time; from bb_cli.engine import DockerEngine; t = time.perf_counter(); "
        "DockerEngine().problem(); print(time.perf_counter() - t)"
    )
    firsts = [
        float(subprocess.run([sys.executable, "-c", first], capture_output=True, text=True).stdout)
        for _ in range(5)
    ]
    results["sdk_first_ping_in_a_new_process"] = min_median_max(firsts)
    code = "import sys, bb_cli.app, bb_cli.engine; print('docker' in sys.modules)"
    imports = []
    for _ in range(5):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        imports.append(time.perf_counter() - started)
    results["bb_help_imports"] = {
        **min_median_max(imports),
        "docker_sdk_imported": out.stdout.strip() == "True",
    }
    return results

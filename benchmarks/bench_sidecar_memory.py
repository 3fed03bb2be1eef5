"""Where the supervise sidecar's memory goes: anonymous RSS added by each import, in its image.

Runs the built ``bot-bottle-supervise`` image (``--image=``, default the current version's
tag) with a script that imports the server's dependencies one layer at a time and reads
``RssAnon``/``VmRSS`` from ``/proc/self/status`` after each, then repeats the full import
under the allocator and interpreter settings that are the usual ways to cut a Python
process's memory (``MALLOC_ARENA_MAX=2``, ``PYTHONMALLOC=malloc``, ``-OO``). The anchor is
the bare interpreter in the same image. Reported in MiB, never asserted.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bb_supervise._version import __version__

_LAYERS = (
    "pydantic",
    "httpx2",
    "starlette.applications",
    "uvicorn",
    "sse_starlette",
    "mcp_types._v2025_11_25",
    "mcp_types._v2026_07_28",
    "mcp.types",
    "mcp.server.mcpserver",
    "bb_supervise.server",
)

_SCRIPT = """
import importlib, json, re, sys
def rss():
    text = open("/proc/self/status").read()
    return {k: int(re.search(k + r":\\s+(\\d+)", text).group(1)) / 1024
            for k in ("VmRSS", "RssAnon")}
out = {"interpreter": rss()}
for name in sys.argv[1:]:
    importlib.import_module(name)
    out[name] = rss()
out["modules"] = len(sys.modules)
print(json.dumps(out))
"""


def _run(
    image: str, env: dict[str, str], flags: list[str], layers: tuple[str, ...]
) -> dict[str, Any]:
    argv = ["docker", "run", "--rm", "--network", "none", "--entrypoint", "python3"]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    argv += [image, *flags, "-c", _SCRIPT, *layers]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _option(args: list[str], name: str, default: str) -> str:
    for arg in args:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default


def run(args: list[str]) -> dict[str, object]:
    image = _option(args, "image", f"bot-bottle-supervise:{__version__}")
    layers = _run(image, {}, [], _LAYERS)
    added: dict[str, float] = {}
    previous = layers["interpreter"]["RssAnon"]
    for name in _LAYERS:
        added[name] = round(layers[name]["RssAnon"] - previous, 1)
        previous = layers[name]["RssAnon"]
    settings: dict[str, dict[str, float]] = {}
    variants: dict[str, tuple[dict[str, str], list[str]]] = {
        "default": ({}, []),
        "MALLOC_ARENA_MAX=2": ({"MALLOC_ARENA_MAX": "2"}, []),
        "PYTHONMALLOC=malloc": ({"PYTHONMALLOC": "malloc"}, []),
        "-OO": ({}, ["-OO"]),
    }
    for label, (env, flags) in variants.items():
        full = _run(image, env, flags, ("bb_supervise.server",))
        settings[label] = {k: round(v, 1) for k, v in full["bb_supervise.server"].items()}
    return {
        "image": image,
        "interpreter_mib": {k: round(v, 1) for k, v in layers["interpreter"].items()},
        "anon_mib_added_by_import": added,
        "modules_loaded": layers["modules"],
        "full_import_mib_by_setting": settings,
    }

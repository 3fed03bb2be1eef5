"""Run the benchmarks and print their results as JSON (see the package docstring)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )
    wanted = [a for a in argv if not a.startswith("-")] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}",
            file=sys.stderr,
        )
        return 2
    results: dict[str, object] = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}
    }
    for name in wanted:
        print(f"running benchmark {name} ...", file=sys.stderr)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results[name] = module.run([a for a in argv if a.startswith("-")])
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

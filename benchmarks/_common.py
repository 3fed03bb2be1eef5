"""Small helpers every benchmark shares: ``--name=N`` options and min/median/max figures."""

from __future__ import annotations

import statistics

__all__ = ["int_option", "min_median_max"]


def int_option(args: list[str], name: str, default: int) -> int:
    """The integer after ``--name=`` in ``args``, else ``default``."""
    for arg in args:
        if arg.startswith(f"--{name}="):
            return int(arg.split("=", 1)[1])
    return default


def min_median_max(samples: list[float]) -> dict[str, float]:
    """Median, minimum and maximum of ``samples`` in seconds, to the millisecond."""
    return {
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
    }

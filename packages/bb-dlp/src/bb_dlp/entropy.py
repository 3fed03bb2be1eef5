"""Shannon entropy, the gate that keeps fragment matching away from hashes and prose."""

from __future__ import annotations

import math
from collections import Counter

__all__ = ["shannon_entropy"]


def shannon_entropy(value: bytes | str) -> float:
    """Bits per symbol of ``value`` (0.0 for an empty value)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum((c / n) * math.log2(c / n) for c in Counter(value).values())

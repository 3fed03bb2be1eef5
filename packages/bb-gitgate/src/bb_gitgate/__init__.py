"""bot-bottle's git gate: the agent pushes here; gitleaks and the DLP engine decide first.

``__version__`` is resolved lazily: reading package metadata costs ~0.1 s, and the gate's
pre-receive hook starts a fresh interpreter for every push.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from bb_gitgate._version import __version__

        return __version__
    raise AttributeError(f"module 'bb_gitgate' has no attribute {name!r}")

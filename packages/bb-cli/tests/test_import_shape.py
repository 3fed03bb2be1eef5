"""bb-cli's modules import each other without a circle (import-linter keeps the layers; this
checks every pair of top-level modules, the ones outside the layers included)."""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp")  # import-linter's graph library (dev dependency)


def test_no_two_top_level_bb_cli_modules_import_each_other() -> None:
    """A circle (even through a function-level or typing-only import) is a design smell."""
    graph = grimp.build_graph("bb_cli", include_external_packages=False)
    tops = sorted({m.split(".")[1] for m in graph.modules if m.count(".") >= 1})

    def imports(a: str, b: str) -> bool:
        return graph.direct_import_exists(
            importer=f"bb_cli.{a}", imported=f"bb_cli.{b}", as_packages=True
        )

    circles = [(a, b) for a in tops for b in tops if a < b and imports(a, b) and imports(b, a)]
    assert circles == []

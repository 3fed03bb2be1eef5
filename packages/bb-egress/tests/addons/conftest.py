"""Fixtures for the single-addon tests: a routes store on disk."""

from pathlib import Path

import pytest

from bb_egress.reload import RoutesStore

ROUTES = """
routes:
  - host: api.example.com
  - host: files.example.com
    methods: [GET]
"""


@pytest.fixture
def store(tmp_path: Path) -> RoutesStore:
    """Routes allowing api.example.com (any method) and files.example.com (GET only)."""
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    return RoutesStore(routes)

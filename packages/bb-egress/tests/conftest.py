"""Shared fixtures for bb-egress tests.

mitmproxy imports ldap3, which touches names pyasn1 deprecated; with
``filterwarnings = error`` that import would fail collection. Import it once here with
that one warning category silenced, so every later import finds it cached.
"""

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import mitmproxy.addons  # noqa: F401


@pytest.fixture
def anyio_backend() -> str:
    """mitmproxy runs on asyncio only."""
    return "asyncio"

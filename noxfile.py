"""Developer and CI sessions for the bot-bottle workspace.

``uv run nox`` runs the default sessions, which are exactly what CI runs (``.ci/run``).
Each package's unit tests run in an environment holding only that package, its own
dependencies and its dev group (``uv sync --package X --exact``), so an import of another
``bb_*`` package that leaked into its code fails there instead of passing by accident.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PACKAGES = ("bb-protocol", "bb-dlp", "bb-egress", "bb-supervise", "bb-gitgate", "bb-cli")
"""The product packages, by directory under ``packages/`` (and session name ``tests-<dir>``)."""
DISTRIBUTIONS = {"bb-cli": "bot-bottle"}
"""Directory -> distribution name where they differ: ``uv sync --package`` wants the latter.
The CLI is distributed as ``bot-bottle`` because ``bb-cli`` on PyPI is another project's."""
PYTHON = os.environ.get("BB_NOX_PYTHON", "3.13")

nox.options.sessions = [
    "lint",
    "imports",
    "protocol_alone",
    "typecheck",
    *[f"tests-{p.removeprefix('bb-')}" for p in PACKAGES],
    "integration",
    "e2e",
]


def _sync(session: nox.Session, *args: str) -> None:
    """Install the locked environment into the session's venv (never re-resolve)."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},  # type: ignore[union-attr]
    )


def _pytest(session: nox.Session, *paths: str) -> None:
    """Run pytest, forwarding extra args; a run that collects nothing fails (exit 5).

    Each session writes a JUnit report to ``reports/`` for the CI summary line.
    """
    report = ROOT / "reports" / f"{session.name}.xml"
    session.run("pytest", f"--junitxml={report}", *paths, *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    _sync(session, "--only-group", "dev", "--no-install-workspace")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def imports(session: nox.Session) -> None:
    """import-linter: the sidecars and the CLI never import each other."""
    _sync(session, "--all-packages")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def protocol_alone(session: nox.Session) -> None:
    """bb-protocol installs and imports with nothing but its own dependencies."""
    _sync(session, "--package", "bb-protocol", "--exact", "--no-dev")
    session.run(
        "python",
        "-c",
        "import sys, pkgutil, bb_protocol;"
        "[__import__(f'bb_protocol.{m.name}') for m in pkgutil.walk_packages(bb_protocol.__path__)"
        " if not m.name.startswith('testing')];"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'bb_dlp','bb_cli','bb_egress','bb_supervise','bb_gitgate','mitmproxy','mcp','textual','docker'});"
        "assert not bad, bad; print('bb_protocol imports alone')",
    )


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package's source (tests are checked by ruff only)."""
    _sync(session, "--all-packages")
    session.run("mypy", *[f"packages/{p}/src" for p in PACKAGES], "packages/bb-testkit/src")


def _make_unit_session(package: str) -> None:
    short = package.removeprefix("bb-")

    @nox.session(name=f"tests-{short}", python=PYTHON)
    def _tests(session: nox.Session) -> None:
        _sync(session, "--package", DISTRIBUTIONS.get(package, package), "--exact")
        _pytest(session, f"packages/{package}/tests")

    _tests.__doc__ = f"Unit tests of {package}, in an environment holding only {package}."


for _package in PACKAGES:
    _make_unit_session(_package)


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package integration tests: real mitmproxy, git, gitleaks and Docker."""
    _sync(session, "--all-packages")
    _pytest(session, "tests/integration")


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """End-to-end tests: real bottles on a real Docker engine (builds images if needed)."""
    _sync(session, "--all-packages")
    session.run("bb", "images", "build")
    _pytest(session, "tests/e2e")


@nox.session(python=PYTHON)
def images(session: nox.Session) -> None:
    """Build every container image (base image made locally when no registry answers)."""
    _sync(session, "--all-packages")
    session.run("bb", "images", "build", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks, each beside its anchor in the same run; prints JSON."""
    _sync(session, "--all-packages")
    session.run("python", "-m", "benchmarks", *session.posargs)

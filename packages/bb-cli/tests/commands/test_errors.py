"""One error root for bb-cli: every error class derives from `BbError`, keeps its builtin,
is drawn in the tree, and ends a command in one line and its documented exit code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bb_cli
from bb_cli import errors
from bb_cli.app import app
from bb_cli.commands._common import exit_for
from bb_cli.deploykeys import DeployKeyApiError
from bb_cli.state import BottleRecord, save_record

HEAVY = ("bb_cli.tui",)
"""Modules not imported here (textual); their errors are drawn all the same."""


def error_classes() -> list[type[BaseException]]:
    """Every exception class defined in bb_cli's modules."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(bb_cli.__path__, "bb_cli."):
        if info.name.startswith(HEAVY):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            private = obj.__name__.startswith("_")  # control flow that never escapes
            if issubclass(obj, BaseException) and obj.__module__ == info.name and not private:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__qualname__)
def test_every_error_class_derives_from_the_one_root(cls: type[BaseException]) -> None:
    """No second root: everything bb-cli raises is a `BbError` with an exit code."""
    assert issubclass(cls, errors.BbError)
    assert isinstance(cls.exit_code, int)  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__qualname__)
def test_every_error_class_is_drawn_in_the_tree(cls: type[BaseException]) -> None:
    """The tree in bb_cli/errors.py names each class (the one map of codes)."""
    assert cls.__name__ in (errors.__doc__ or "")


def test_there_is_one_bottle_not_found_class() -> None:
    """The applicator's `BottleNotFoundError` is the CLI's."""
    from bb_cli.applicator import BottleNotFoundError

    assert BottleNotFoundError is errors.BottleNotFoundError


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.ManifestError("x"), 2),
        (errors.BottleNotFoundError("x"), 3),
        (errors.EngineUnreachableError("x"), 4),
        (errors.StartError("s", "x"), 5),
        (errors.BottleStoppedError("x"), 6),
        (DeployKeyApiError("remove", "o/r", 500, "boom"), 9),
        (KeyboardInterrupt(), 130),
        (RuntimeError("surprise"), 1),
    ],
)
def test_exit_for_maps_each_error_to_its_documented_code(exc: BaseException, code: int) -> None:
    """`exit_for` is the one mapping; an unexpected error is a one-line internal error."""
    got, message = exit_for(exc)
    assert got == code
    assert "\n" not in message or isinstance(exc, errors.StartError)


def test_a_forge_error_during_rm_is_one_line_and_exit_9(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was a traceback: `bb rm` whose deploy-key removal fails at the forge."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path))
    save_record(
        BottleRecord(
            slug="demo-x",
            agent="a",
            bottle="b",
            runtime="shell",
            backend="compose",
            project="bb-demo-x",
            agent_container="bot-bottle-demo-x",
            supervised=True,
        )
    )

    def forge_down(*_: object) -> int:
        raise DeployKeyApiError("remove", "org/app", 502, "bad gateway")

    monkeypatch.setattr("bb_cli.commands.bottles.require_engine", lambda *_: None)
    monkeypatch.setattr("bb_cli.repo_keys.deprovision_keys", forge_down)
    monkeypatch.setattr("bb_cli.commands.bottles._confirm_remove_running", lambda *_: None)
    result = CliRunner().invoke(app, ["rm", "-f", "demo-x"])
    assert result.exit_code == 9
    assert result.stderr.startswith("error: remove deploy key on org/app failed: HTTP 502")
    assert isinstance(result.exception, SystemExit)

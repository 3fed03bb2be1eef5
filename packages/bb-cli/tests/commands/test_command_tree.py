"""The whole command tree: every command's --help has an example, every option says what it
does, -h works everywhere, and docs/cli.md's table lists every command (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from bb_cli.app import app

CLI_DOC = Path(__file__).resolve().parents[4] / "docs" / "cli.md"
ALIASES = {"ls", "ps"}
"""Hidden aliases of `bb list`: in the tree, not in the table."""


def leaves() -> dict[str, object]:
    """``group sub`` -> click command, for every runnable command."""
    out: dict[str, object] = {}

    def walk(command: object, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out[" ".join(path)] = command

    walk(typer.main.get_command(app), [])
    return out


@pytest.mark.parametrize("path", sorted(leaves()))
def test_every_command_help_shows_an_example(path: str) -> None:
    """`bb CMD -h` includes an `Example:` line."""
    result = CliRunner().invoke(app, [*path.split(), "-h"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


@pytest.mark.parametrize("path", sorted(leaves()))
def test_every_option_and_argument_has_a_description(path: str) -> None:
    """No bare `--flag` in any help: each visible parameter says what it does."""
    command = leaves()[path]
    bare = [
        p.name
        for p in getattr(command, "params", [])
        if not getattr(p, "hidden", False) and not getattr(p, "help", None)
    ]
    assert bare == []


def test_version_prints_the_package_version() -> None:
    """`bb --version` (and -V)."""
    from bb_cli._version import __version__

    for flag in ("--version", "-V"):
        result = CliRunner().invoke(app, [flag])
        assert result.exit_code == 0
        assert result.output.strip() == f"bb {__version__}"


def test_shell_completion_is_offered() -> None:
    """`bb --help` offers --install-completion and --show-completion."""
    out = CliRunner().invoke(app, ["--help"]).output
    assert "--install-completion" in out
    assert "--show-completion" in out


GROUP_DEFAULTS = {"routes": "routes show"}
"""A group that runs a subcommand when given a slug (`bb routes SLUG` is `bb routes show`)."""


def documented_commands(text: str) -> set[str]:
    """The command of each ``bb ...`` span in the first cell of the command table's rows."""
    known = set(leaves())
    out: set[str] = set()
    for row in re.findall(r"^\| (`bb .*?) \| ", text, re.M):
        for span in re.findall(r"`bb ([^`]*)`", row):
            words = span.split()
            path = ""
            for end in range(len(words), 0, -1):
                candidate = " ".join(words[:end])
                if candidate in known or candidate in GROUP_DEFAULTS:
                    path = GROUP_DEFAULTS.get(candidate, candidate)
                    break
            if path:
                out.add(path)
    return out


def test_cli_md_lists_every_command() -> None:
    """docs/cli.md's command table has a row for each command of the tree."""
    documented = documented_commands(CLI_DOC.read_text(encoding="utf-8"))
    assert set(leaves()) - ALIASES - documented == set()


def test_every_manifest_key_is_documented() -> None:
    """docs/cli.md's key tables list every field of the agent and bottle models, and no more."""
    import typing

    from pydantic import BaseModel

    from bb_cli.manifests.models import AgentManifest, BottleManifest

    def model_in(annotation: object) -> type[BaseModel] | None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in typing.get_args(annotation):
            found = model_in(arg)
            if found is not None:
                return found
        return None

    def keys(model: type[BaseModel], prefix: str = "") -> set[str]:
        out: set[str] = set()
        for name, field in model.model_fields.items():
            out.add(prefix + name)
            sub = model_in(field.annotation)
            if sub is not None:
                is_list = "tuple" in str(field.annotation)
                out |= keys(sub, f"{prefix}{name}{'[]' if is_list else ''}.")
        return out

    text = CLI_DOC.read_text(encoding="utf-8")
    section = text.split("### Every manifest key", 1)[1].split("\n#", 1)[0]
    agent_part, bottle_part = section.split("Bottle manifest:", 1)
    documented_agent = set(re.findall(r"^\| `([a-z_\[\].]+)` \|", agent_part, re.M))
    documented_bottle = set(re.findall(r"^\| `([a-z_\[\].]+)` \|", bottle_part, re.M))
    assert documented_agent == keys(AgentManifest)
    assert documented_bottle == keys(BottleManifest)
    for key in ("description", "instructions"):
        assert key in documented_agent
    assert "routes[].note" in documented_bottle


def every_command() -> dict[str, object]:
    """``group sub`` -> click command or group, hidden ones and the root (``""``) included."""
    out: dict[str, object] = {}

    def walk(command: object, path: list[str]) -> None:
        out[" ".join(path)] = command
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def test_no_option_argument_or_env_var_exposes_a_test_hook() -> None:
    """Test hooks live in a `BottlePlan` a test builds, never on the user's command line.

    Walks every command (hidden ones too) and every parameter (hidden ones too): no name,
    flag or environment variable says ``test`` (``--test-egress-subnet`` was one, issue 18).
    """
    exposed = []
    for path, command in every_command().items():
        assert "test" not in path.lower(), f"command `bb {path}`"
        for param in getattr(command, "params", []):
            envvars = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
            names = [param.name or "", *param.opts, *param.secondary_opts, *filter(None, envvars)]
            exposed += [f"bb {path}: {name}" for name in names if "test" in name.lower()]
    assert exposed == []
    assert (
        getattr(typer.main.get_command(app), "context_settings", {}).get("auto_envvar_prefix")
        is None
    ), "an auto env-var prefix would give every option an environment variable"

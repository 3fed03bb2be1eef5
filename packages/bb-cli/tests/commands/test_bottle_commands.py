"""The lifecycle commands' contract without Docker: exit codes, messages, JSON listings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bb_cli.app import app
from bb_cli.state import BottleRecord, find_record, list_records, save_record


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty state dir and config dir; the working directory is tmp_path."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_lifecycle_command() -> None:
    """`bb --help` names start, resume, list, info, exec, attach, logs, stop, rm, doctor."""
    code, out, _ = invoke("--help")
    assert code == 0
    for name in (
        "start",
        "resume",
        "list",
        "info",
        "exec",
        "attach",
        "logs",
        "stop",
        "rm",
        "doctor",
    ):
        assert name in out


def test_importing_the_app_imports_nothing_heavy() -> None:
    """`bb --help` stays fast: no docker, textual, pydantic, yaml or manifest code at import."""
    heavy = ("docker", "textual", "pydantic", "yaml", "bb_cli.manifests", "bb_cli.backends")
    code = f"import sys, bb_cli.app; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_list_json_is_empty_without_bottles(env: Path) -> None:
    """No state, no bottles: an empty JSON list."""
    code, out, _ = invoke("list", "--json")
    assert code == 0
    assert json.loads(out) == []


def test_info_of_an_agent_shows_its_effective_bottle(env: Path) -> None:
    """`bb info shell --json` resolves the bundled example without starting anything."""
    code, out, _ = invoke("info", "shell", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["bottle"]["name"] == "shell"
    assert data["agent"]["runtime"] == "shell"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("info", "no-such-agent"), 2, "no agent named 'no-such-agent'"),
        (("stop", "no-such-bottle"), 3, "no bottle 'no-such-bottle'"),
        (("exec", "no-such-bottle", "--", "true"), 3, "no bottle"),
        (("logs", "x", "--component", "db"), 2, "unknown component 'db'"),
    ],
)
def test_errors_go_to_stderr_with_their_exit_code(
    env: Path, args: tuple[str, ...], code: int, needle: str
) -> None:
    """Each error class has its exit code and a message saying what is wrong."""
    got, _, err = invoke(*args)
    assert got == code
    assert needle in err


def test_bad_manifest_names_file_and_line(env: Path) -> None:
    """A local agent with a typo fails `bb info` with exit 2 and file:line."""
    agents = env / ".bot-bottle" / "agents"
    agents.mkdir(parents=True)
    (agents / "typo.md").write_text("---\nbottle: shell\nruntim: shell\n---\n")
    code, _, err = invoke("info", "typo")
    assert code == 2
    assert f"{agents / 'typo.md'}:3: unknown key 'runtim'" in err


def test_records_round_trip_and_list_oldest_first(env: Path) -> None:
    """Saved records are found by slug and listed in creation order."""
    for slug in ("b-000001", "a-000002"):
        save_record(
            BottleRecord(
                slug=slug,
                agent="a",
                bottle="b",
                runtime="shell",
                backend="compose",
                project=f"bb-{slug}",
                agent_container=f"bot-bottle-{slug}",
            )
        )
    assert find_record("a-000002").project == "bb-a-000002"
    assert [r.slug for r in list_records()] == ["b-000001", "a-000002"]


def test_resume_of_an_old_record_ignores_its_test_options_with_a_warning(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record carrying ``test_options.egress_subnet`` (older ``bb``) never re-enables it.

    The engine, the images and the backend are substituted: the plan ``bb resume`` hands the
    backend is what is checked (no fixed subnet, no forge network, observe kept), then the
    record it writes back (``observe``, no test options).
    """
    import bb_cli.backends
    import bb_cli.commands.bottles
    import bb_cli.commands.commit
    import bb_cli.images
    from bb_cli.plan import BottlePlan

    slug = "shell-3f2a1b"
    record_dir = env / "state" / "bottles" / slug
    record_dir.mkdir(parents=True)
    old = {
        "slug": slug,
        "agent": "shell",
        "bottle": "shell",
        "runtime": "shell",
        "backend": "compose",
        "project": f"bb-{slug}",
        "agent_container": f"bot-bottle-{slug}",
        "test_options": {
            "egress_subnet": "10.150.7.0/24",
            "forge_network": "forge",
            "observe": "1",
        },
    }
    (record_dir / "bottle.json").write_text(json.dumps(old))
    started: list[BottlePlan] = []

    class Backend:
        def start(self, plan: BottlePlan, progress: object) -> None:
            started.append(plan)

    monkeypatch.setattr(bb_cli.commands.bottles, "require_engine", lambda backend="": None)
    monkeypatch.setattr(bb_cli.commands.commit, "resume_image", lambda slug, backend: None)
    monkeypatch.setattr(bb_cli.images, "resolve_image", lambda component: f"img-{component}")
    monkeypatch.setattr(bb_cli.backends, "get_bottle_backend", lambda name: Backend())
    code, _, err = invoke("resume", slug)
    assert code == 0, err
    assert "ignored" in err
    assert "egress_subnet, forge_network" in err
    (plan,) = started
    assert (plan.slug, plan.test_egress_subnet, plan.test_forge_network) == (slug, None, None)
    assert plan.observe is True
    saved = json.loads((record_dir / "bottle.json").read_text())
    assert saved["observe"] is True
    assert "test_options" not in saved

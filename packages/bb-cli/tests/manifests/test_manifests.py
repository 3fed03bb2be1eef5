"""Manifests: parsing with file/line errors, the extends chain, lookup order, lazy listing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.errors import ExtendsCycleError, ManifestError, ManifestNotFoundError
from bb_cli.manifests import ManifestIndex


def write(root: Path, kind: str, name: str, text: str) -> Path:
    path = root / kind / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


AGENT = "---\nbottle: base\nruntime: shell\n---\nDo the work.\n"
BASE = (
    "---\nroutes:\n  - host: pypi.org\nenv:\n  A: '1'\n  B: '1'\n"
    "resources:\n  memory: 2g\n  pids: 1000\ngit_user:\n  name: Base\n  email: b@x.org\n---\n"
)


def test_bundled_example_loads_with_no_config(tmp_path: Path) -> None:
    """The quickstart's shell agent loads from the bundled examples alone."""
    loaded = ManifestIndex.default(cwd=tmp_path, environ={"HOME": str(tmp_path)}).load_for_agent(
        "shell"
    )
    assert loaded.agent.runtime == "shell"
    assert loaded.bottle.name == "shell"
    assert loaded.bottle.routes


def test_agent_body_becomes_its_instructions(tmp_path: Path) -> None:
    """The markdown after the frontmatter is the agent's instructions."""
    write(tmp_path, "agents", "a", AGENT)
    write(tmp_path, "bottles", "base", BASE)
    loaded = ManifestIndex([tmp_path]).load_for_agent("a")
    assert loaded.agent.instructions == "Do the work."


def test_extends_puts_child_routes_first_merges_maps_and_child_wins(tmp_path: Path) -> None:
    """Routes: the child's first (first match wins); maps and resources merge, child wins."""
    write(tmp_path, "agents", "a", AGENT.replace("bottle: base", "bottle: child"))
    write(tmp_path, "bottles", "base", BASE)
    write(
        tmp_path,
        "bottles",
        "child",
        "---\nextends: base\nroutes:\n  - host: github.com\nenv:\n  B: '2'\n"
        "resources:\n  memory: 4g\n---\n",
    )
    bottle = ManifestIndex([tmp_path]).load_for_agent("a").bottle
    assert [r.host for r in bottle.routes] == ["github.com", "pypi.org"]
    assert bottle.env == {"A": "1", "B": "2"}
    assert (bottle.resources.memory, bottle.resources.pids) == ("4g", 1000)
    assert bottle.chain == ("child", "base")


def test_agent_git_user_overlays_the_bottles(tmp_path: Path) -> None:
    """An agent's git user replaces the bottle's."""
    write(
        tmp_path, "agents", "a", "---\nbottle: base\ngit_user:\n  name: Ag\n  email: a@x.org\n---\n"
    )
    write(tmp_path, "bottles", "base", BASE)
    assert ManifestIndex([tmp_path]).load_for_agent("a").bottle.git_user.name == "Ag"  # type: ignore[union-attr]


def test_local_directory_wins_over_user_config(tmp_path: Path) -> None:
    """A ./.bot-bottle manifest shadows the user's one of the same name."""
    user, local = tmp_path / "user", tmp_path / "local"
    write(user, "agents", "a", AGENT)
    write(local, "agents", "a", AGENT.replace("Do the work.", "Local."))
    write(user, "bottles", "base", BASE)
    assert ManifestIndex([user, local]).load_for_agent("a").agent.instructions == "Local."


def test_listing_reads_names_only(tmp_path: Path) -> None:
    """A broken file does not break the listing: files are not opened to list them."""
    write(tmp_path, "agents", "broken", "not a manifest at all")
    assert "broken" in ManifestIndex([tmp_path]).agents()


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("---\nbottle: base\ncolour: blue\n---\n", 3, "unknown key 'colour'"),
        ("---\nbottle: base\nruntime: perl\n---\n", 3, "field 'runtime'"),
        ("---\nbottle: base\nrepos:\n  - name: x\n    urll: y\n---\n", 5, "repos[0].urll"),
        ("---\nbottle: [unclosed\n---\n", 3, "invalid YAML"),
        ("no frontmatter\n", 1, "must start with a '---'"),
        ("---\nbottle: base\n", 1, "never closed"),
        ("---\nbottle: base\ninstructions: x\n---\n", 3, "markdown body"),
        ("---\nbottle: base\nruntime: command\n---\n", 2, "needs a non-empty 'command'"),
    ],
)
def test_agent_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, needle: str
) -> None:
    """Every manifest error says which file, which line and what is wrong."""
    path = write(tmp_path, "agents", "a", text)
    write(tmp_path, "bottles", "base", BASE)
    with pytest.raises(ManifestError) as info:
        ManifestIndex([tmp_path]).load_for_agent("a")
    assert f"{path}:{line}:" in str(info.value)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("bottle", "needle"),
    [
        ("---\nenv:\n  EGRESS_TOKEN_X: v\n---\n", "declare them under 'secrets'"),
        ("---\nenv:\n  HTTPS_PROXY: x\n---\n", "set by bot-bottle itself"),
        ("---\nmounts:\n  - source: /var/run/docker.sock\n    target: /s\n---\n", "Docker socket"),
        ("---\nroutes:\n  - host: 10.0.0.1\n---\n", "routes[0]"),
    ],
)
def test_bottle_settings_that_open_a_hole_are_refused(
    tmp_path: Path, bottle: str, needle: str
) -> None:
    """Secrets in the agent's env, overriding the proxy, the Docker socket, IP routes: refused."""
    write(tmp_path, "agents", "a", AGENT)
    write(tmp_path, "bottles", "base", bottle)
    with pytest.raises(ManifestError, match=r"base\.md:\d+:") as info:
        ManifestIndex([tmp_path]).load_for_agent("a")
    assert needle in str(info.value)


def test_extends_cycle_is_named(tmp_path: Path) -> None:
    """A loop in extends is an error listing the loop."""
    write(tmp_path, "agents", "a", AGENT)
    write(tmp_path, "bottles", "base", "---\nextends: other\n---\n")
    write(tmp_path, "bottles", "other", "---\nextends: base\n---\n")
    with pytest.raises(ExtendsCycleError, match="base -> other -> base"):
        ManifestIndex([tmp_path]).load_for_agent("a")


@pytest.mark.parametrize(
    ("agent", "bottles", "needle"),
    [
        ("nope", {}, "no agent named 'nope'"),
        ("a", {}, "no bottle named 'base' (wanted by"),
        ("a", {"base": "---\nextends: gone\n---\n"}, "no bottle named 'gone'"),
    ],
)
def test_missing_agent_or_bottle_is_named_with_who_wanted_it(
    tmp_path: Path, agent: str, bottles: dict[str, str], needle: str
) -> None:
    """A missing manifest names itself, the file that referenced it, and the known names."""
    write(tmp_path, "agents", "a", AGENT)
    for name, text in bottles.items():
        write(tmp_path, "bottles", name, text)
    with pytest.raises(ManifestNotFoundError) as info:
        ManifestIndex([tmp_path]).load_for_agent(agent)
    assert needle in str(info.value)

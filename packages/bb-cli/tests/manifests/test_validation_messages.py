"""Manifest and route validation speaks the user's words (issue 15): every problem with its
line, the input quoted as written, hints for URL pieces in ``host``, lists not tuples, close
names suggested, ignored files named, and a child's route winning under ``extends``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.errors import BottleNotFoundError, ManifestError, ManifestNotFoundError
from bb_cli.manifests import ManifestIndex
from bb_protocol.routes import Route, RoutesFile


def write(root: Path, kind: str, name: str, text: str) -> Path:
    path = root / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def bottle_error(tmp_path: Path, front: str) -> str:
    """The error of loading an agent whose bottle has frontmatter ``front``."""
    write(tmp_path, "agents", "a.md", "---\nbottle: b\n---\n")
    write(tmp_path, "bottles", "b.md", f"---\n{front}---\n")
    with pytest.raises(ManifestError) as info:
        ManifestIndex([tmp_path]).load_for_agent("a")
    return str(info.value)


@pytest.mark.parametrize(
    ("host", "needle"),
    [
        ("*.*.github.com", "host '*.*.github.com': '*' is allowed only once"),
        ("https://api.github.com", "drop 'https://'"),
        ("http://plain.example.com", "drop 'http://' and add `scheme: http`"),
        ("api.github.com:8443", "use host 'api.github.com' and `port: 8443`"),
        ("api.github.com/repos", "`paths: [/repos]`"),
        ("user@api.github.com", "has credentials"),
    ],
)
def test_a_bad_host_is_quoted_as_written_with_a_hint(host: str, needle: str) -> None:
    """The message quotes the input and says what to write instead."""
    with pytest.raises(ValueError, match="host") as info:
        Route(host=host)
    assert needle in str(info.value)


def test_an_unknown_http_method_is_refused_with_the_close_one() -> None:
    """`GTE` is a typo that would never match: refused, suggesting GET."""
    with pytest.raises(ValueError, match=r"method 'GTE' is not a known HTTP method") as info:
        Route(host="api.github.com", methods=["GTE"])
    assert "did you mean 'GET'?" in str(info.value)


def test_known_methods_are_accepted_in_any_case() -> None:
    """Lower case is fine; WebDAV and PATCH are known."""
    route = Route(host="dav.example.com", methods=["get", "PROPFIND", "patch"])
    assert route.methods == ("GET", "PROPFIND", "PATCH")


def test_every_problem_is_reported_each_with_its_line(tmp_path: Path) -> None:
    """No '(and 1 more problem)': each problem is a line ``file:line: message``."""
    message = bottle_error(
        tmp_path,
        "routes:\n  - host: https://x.example.com\n    methods: [GTE]\nsupervise: maybe\n",
    )
    assert "more problem" not in message
    lines = message.splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("drop 'https://' (host: 'x.example.com')")
    assert ":4: field 'routes[0].methods'" in lines[1]
    assert ":5: field 'supervise'" in lines[2]


def test_a_list_field_says_list_not_tuple(tmp_path: Path) -> None:
    """pydantic's 'valid tuple' becomes 'a list'."""
    message = bottle_error(tmp_path, "mounts: {a: 1}\n")
    assert "should be a list" in message
    assert "tuple" not in message


def test_an_unknown_key_suggests_the_close_one_at_its_level(tmp_path: Path) -> None:
    """A typo inside a route is matched against Route's own fields."""
    message = bottle_error(
        tmp_path, "descripton: x\nroutes:\n  - host: a.example.com\n    metods: [GET]\n"
    )
    assert "unknown key 'descripton' (did you mean 'description'?)" in message
    assert "unknown key 'routes[0].metods' (did you mean 'methods'?)" in message


def test_an_unknown_agent_suggests_the_close_name(tmp_path: Path) -> None:
    """`bb start shel`: did you mean 'shell'?"""
    write(tmp_path, "agents", "shell.md", "---\nbottle: b\n---\n")
    with pytest.raises(ManifestNotFoundError, match=r"did you mean 'shell'\?"):
        ManifestIndex([tmp_path]).load_agent("shel")


def test_files_whose_names_are_ignored_are_named_with_why(tmp_path: Path) -> None:
    """`My_Agent.md` and `notes.txt` are listed as ignored, and named when lookup fails."""
    write(tmp_path, "agents", "My_Agent.md", "---\nbottle: b\n---\n")
    write(tmp_path, "agents", "notes.txt", "x")
    index = ManifestIndex([tmp_path])
    ignored = {path.name: why for path, why in index.ignored()}
    assert "is not a manifest name" in ignored["My_Agent.md"]
    assert "only NAME.md files" in ignored["notes.txt"]
    with pytest.raises(ManifestNotFoundError, match=r"ignored: .*My_Agent\.md"):
        index.load_agent("my-agent")


def test_an_unknown_bottle_slug_suggests_the_close_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bb stop demo-y` when demo-x exists."""
    from bb_cli.state import BottleRecord, find_record, save_record

    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path))
    save_record(
        BottleRecord(
            slug="demo-x",
            agent="a",
            bottle="b",
            runtime="shell",
            backend="compose",
            project="p",
            agent_container="c",
            supervised=True,
        )
    )
    with pytest.raises(BottleNotFoundError, match=r"did you mean 'demo-x'\?"):
        find_record("demo-y")


def test_a_childs_injecting_route_wins_over_its_parents_route(tmp_path: Path) -> None:
    """Under `extends`, the child's route for a host the parent lists is the one matched."""
    write(tmp_path, "agents", "a.md", "---\nbottle: child\n---\n")
    write(tmp_path, "bottles", "base.md", "---\nroutes:\n  - host: api.example.com\n---\n")
    child = (
        "---\nextends: base\nsecrets:\n  EX: EX_TOKEN\nroutes:\n  - host: api.example.com\n"
        "    inject_headers:\n      Authorization: 'Bearer ${EGRESS_TOKEN_EX}'\n---\n"
    )
    write(tmp_path, "bottles", "child.md", child)
    routes = RoutesFile(routes=ManifestIndex([tmp_path]).load_for_agent("a").bottle.routes)
    matched = routes.find("https", "api.example.com", 443, "GET", "/v1")
    assert matched is not None
    assert matched.inject_headers == {"Authorization": "Bearer ${EGRESS_TOKEN_EX}"}

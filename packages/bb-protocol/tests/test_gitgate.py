"""`bb_protocol.gitgate`: the gate config schema both the CLI and the gate use."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from bb_protocol import layout
from bb_protocol.gitgate import GateConfig, RepoName, check_repo_name, dump_gate_config


class _Holder(BaseModel):
    name: RepoName


@pytest.mark.parametrize("name", ["app", "my.repo", "a_b-c", "A" * 100])
def test_a_plain_repo_name_is_accepted(name: str) -> None:
    """Letters, digits, dot, dash and underscore; a path segment of at most 100."""
    assert _Holder(name=name).name == name == check_repo_name(name)


@pytest.mark.parametrize(
    "name", ["", "-x", ".hidden", "a/b", "a b", "app.git", "a..b", "A" * 101, "x\n"]
)
def test_a_repo_name_that_is_not_one_path_segment_is_refused(name: str) -> None:
    """An option-like, nested, ``.git``-suffixed or traversing name never reaches a path."""
    with pytest.raises(ValidationError):
        _Holder(name=name)
    with pytest.raises(ValueError, match="repo name"):
        check_repo_name(name)


def _config(**repo: object) -> GateConfig:
    entry = {
        "name": "app",
        "upstream": "https://forge.test/app.git",
        "push_refs": ["refs/heads/bb/*"],
    }
    return GateConfig.model_validate(
        {"bottle": "b-1", "state_dir": layout.GATE_STATE_DIR, "repos": [{**entry, **repo}]}
    )


def test_the_dumped_config_reads_back_as_the_same_model_with_only_what_was_set() -> None:
    """dump_gate_config writes the writer's fields (defaults stay the gate's) as plain YAML."""
    config = _config(deploy_key=f"{layout.GATE_KEYS_DIR}/app/deploy_key")
    text = dump_gate_config(config)
    data = yaml.safe_load(text)
    assert "hold_timeout_seconds" not in data
    assert data["repos"][0]["deploy_key"] == "/run/bb/repos/app/deploy_key"
    assert GateConfig.model_validate(data) == config


def test_the_gate_listens_on_the_layout_port_unless_told_otherwise() -> None:
    """One port for the CLI's URLs and the gate's default."""
    assert _config().listen_port == layout.GATE_PORT
    assert layout.gate_url("app") == f"http://git-gate:{layout.GATE_PORT}/app.git"


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        ({"upstream": "ext::sh -c evil"}, "remote helper"),
        ({"upstream": "file:///etc"}, "scheme"),
        ({"push_refs": ["refs/notes/x"]}, "refs/heads/"),
        ({"upstream": "ssh://git@forge.test/app.git"}, "known_hosts"),
        ({"name": "app.git"}, "must not end in '.git'"),
    ],
)
def test_the_schema_fails_closed_naming_the_problem(repo: dict[str, object], message: str) -> None:
    """Whoever builds the model (CLI or gate) gets the same refusal."""
    with pytest.raises(ValidationError, match=message):
        _config(**repo)


def test_a_bottle_that_is_not_a_slug_is_refused() -> None:
    """The bottle field uses the slug rule of bb_protocol.paths."""
    with pytest.raises(ValidationError, match="bottle"):
        GateConfig.model_validate(
            {
                "bottle": "Not A Slug",
                "state_dir": Path("/s"),
                "repos": _config().model_dump()["repos"],
            }
        )

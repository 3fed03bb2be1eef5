"""The gate's config: strict validation of upstreams, refs and keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bb_gitgate.config import load_config
from bb_gitgate.errors import ConfigError
from bb_protocol.gitgate import GateConfig, check_upstream_url


def _config(tmp_path: Path, **repo: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "app",
        "upstream": "https://forge.test/org/app.git",
        "push_refs": ["refs/heads/bb/*"],
    }
    base.update(repo)
    return {"bottle": "b1", "state_dir": str(tmp_path / "s"), "repos": [base]}


@pytest.mark.parametrize(
    "url",
    [
        "ssh://git@forge.test/org/app.git",
        "ssh://git@forge.test:2222/org/app.git",
        "https://forge.test/org/app.git",
        "git://127.0.0.1:9418/app.git",
    ],
)
def test_ssh_https_and_git_urls_are_accepted(url):
    """Ordinary remote URLs pass."""
    assert check_upstream_url(url) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ext::sh -c touch% /tmp/x", "remote helper"),
        ("fd::3", "remote helper"),
        ("file:///srv/app.git", "scheme"),
        ("/srv/app.git", "scheme"),
        ("git@forge.test:org/app.git", "scheme"),
        ("ssh://-oProxyCommand=touch%20x/app.git", "starting with '-'"),
        ("ssh://-user@forge.test/app.git", "starting with '-'"),
        ("ssh://git@forge.test/-app.git", "starting with '-'"),
        ("https://user:pw@forge.test/app.git", "password"),
        ("https://forge.test/app.git?x=1", "query"),
        ("https://forge.test/", "no repository path"),
        ("https://forge.test/a b.git", "unexpected characters"),
    ],
)
def test_urls_git_would_run_or_misread_are_refused(url, why):
    """Helpers, local paths and option-like parts raise ValueError saying why."""
    with pytest.raises(ValueError, match=why):
        check_upstream_url(url)


def test_an_ssh_upstream_needs_a_deploy_key_and_pinned_host_keys(tmp_path):
    """No trust on first use: ssh:// without known_hosts is invalid."""
    data = _config(tmp_path, upstream="ssh://git@forge.test/org/app.git", deploy_key="/k")
    with pytest.raises(ValueError, match="known_hosts"):
        GateConfig.model_validate(data)


def test_load_config_reads_yaml_and_json(tmp_path):
    """Both formats load to the same config."""
    data = _config(tmp_path)
    (tmp_path / "c.json").write_text(json.dumps(data))
    (tmp_path / "c.yaml").write_text(json.dumps(data))  # JSON is valid YAML
    assert load_config(tmp_path / "c.json") == load_config(tmp_path / "c.yaml")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"upstream": "ext::sh"}, "repos.0.upstream"),
        ({"push_refs": ["main"]}, "repos.0.push_refs"),
        ({"push_refs": []}, "repos.0.push_refs"),
        ({"name": "../x"}, "repos.0.name"),
        ({"surprise": 1}, "repos.0.surprise"),
    ],
)
def test_an_invalid_config_names_the_field(tmp_path, change, field):
    """ConfigError names the file and the dotted path of the bad field."""
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_config(tmp_path, **change)))
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(path)


def test_repo_names_must_be_unique(tmp_path):
    """Two repos with one name are refused."""
    data = _config(tmp_path)
    data["repos"] = [data["repos"][0], data["repos"][0]]  # type: ignore[index]
    with pytest.raises(ValueError, match="repeated: app"):
        GateConfig.model_validate(data)


@pytest.mark.parametrize("text", ["", "- a list", "{not yaml"])
def test_a_config_that_is_not_a_mapping_is_refused(tmp_path, text):
    """Empty, list or unparsable files raise ConfigError."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_a_missing_config_file_is_a_config_error(tmp_path):
    """The message names the path."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")

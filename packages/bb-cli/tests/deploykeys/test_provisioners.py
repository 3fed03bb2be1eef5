"""Deploy key provisioning against FAKE forges that follow the documented Gitea and GitHub
APIs (see conftest.py for the documents followed). No real forge is reachable here."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bb_cli.deploykeys import (
    DeployKeyApiError,
    DeployKeyCollisionError,
    DeployKeyError,
    DeployKeyProvisioner,
    GiteaDeployKeys,
    GitHubDeployKeys,
    RepoRef,
    generate_keypair,
    key_title,
)

REPO = RepoRef("org", "app")
PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBotBottleTestKeyNotARealKeyAAAAAAAAAAAA bb"


def provisioner(forge, token: str = "test-token") -> DeployKeyProvisioner:
    if forge.flavour == "gitea":
        return GiteaDeployKeys(forge.url, token)
    return GitHubDeployKeys(token, api_url=forge.url)


def test_create_registers_the_public_key_with_the_forges_auth(forge):
    """The key is created with the title, key and read_only flag, authenticated as documented."""
    key = provisioner(forge).create(REPO, "bot-bottle b1", PUBLIC, read_only=False)
    assert key.title == "bot-bottle b1"
    assert key.read_only is False
    method, _path, headers, body = forge.requests[-1]
    assert method == "POST"
    assert body == {"title": "bot-bottle b1", "key": PUBLIC, "read_only": False}
    scheme = "token" if forge.flavour == "gitea" else "Bearer"
    assert headers["Authorization"] == f"{scheme} test-token"
    assert forge.repos["org/app"][0]["key"] == PUBLIC


def test_a_reused_key_raises_a_collision_naming_repo_and_title(forge):
    """HTTP 422 for a key that exists becomes DeployKeyCollisionError (a RuntimeError)."""
    keys = provisioner(forge)
    keys.create(REPO, "bot-bottle b1", PUBLIC, read_only=False)
    with pytest.raises(DeployKeyCollisionError) as caught:
        keys.create(REPO, "bot-bottle b2", PUBLIC, read_only=False)
    assert isinstance(caught.value, RuntimeError)
    assert "org/app" in str(caught.value)
    assert "bot-bottle b2" in str(caught.value)


def test_a_reused_title_collides_on_gitea_but_not_on_github(forge):
    """Gitea answers 422 for a title already used; GitHub documents duplicate titles as fine."""
    keys = provisioner(forge)
    keys.create(REPO, "bot-bottle b1", PUBLIC, read_only=False)
    if forge.flavour == "gitea":
        with pytest.raises(DeployKeyCollisionError, match="same name"):
            keys.create(REPO, "bot-bottle b1", PUBLIC + "x", read_only=False)
    else:
        keys.create(REPO, "bot-bottle b1", PUBLIC + "x", read_only=False)
        assert [k.title for k in keys.list(REPO)] == ["bot-bottle b1", "bot-bottle b1"]


@pytest.mark.parametrize(
    ("token", "repo", "status"),
    [("wrong", REPO, 401), ("test-token", RepoRef("org", "missing"), 404)],
)
def test_other_errors_name_the_status_and_the_forges_message(forge, token, repo, status):
    """A bad token or unknown repo raises DeployKeyApiError with status and message."""
    with pytest.raises(DeployKeyApiError) as caught:
        provisioner(forge, token).create(repo, "t", PUBLIC, read_only=False)
    assert caught.value.status == status
    assert f"HTTP {status}" in str(caught.value)
    assert caught.value.forge_message in str(caught.value)
    assert not isinstance(caught.value, DeployKeyCollisionError)


def test_remove_titled_deletes_the_bottles_key_and_only_it(forge):
    """bb rm removes every key with the bottle's title and leaves others alone."""
    keys = provisioner(forge)
    keys.create(REPO, key_title("b1"), PUBLIC, read_only=False)
    keys.create(REPO, "someone else", PUBLIC + "other", read_only=True)
    assert keys.remove_titled(REPO, key_title("b1")) == 1
    assert [k.title for k in keys.list(REPO)] == ["someone else"]
    assert keys.remove_titled(REPO, key_title("b1")) == 0


def test_deleting_a_key_that_is_gone_reports_false(forge):
    """404 on delete means the key was already removed."""
    assert provisioner(forge).delete(REPO, 999) is False


def test_an_unreachable_forge_is_a_deploy_key_error():
    """Connection failures are DeployKeyError naming the URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(DeployKeyError, match="cannot reach the forge"):
        GiteaDeployKeys(url, "t").list(REPO)


def test_a_non_http_forge_url_is_refused():
    """Only http(s) forge URLs are used (no file: or custom schemes)."""
    with pytest.raises(DeployKeyError, match="not http"):
        GiteaDeployKeys("file:///etc", "t").list(REPO)


def test_generate_keypair_writes_an_ed25519_private_key_readable_only_by_its_owner(tmp_path):
    """ssh-keygen makes the pair; the private half is 0600, the public half is ed25519."""
    pair = generate_keypair(tmp_path / "keys", "bot-bottle b1")
    assert pair.public_key.startswith("ssh-ed25519 ")
    assert pair.public_key.endswith("bot-bottle b1")
    assert pair.private_key.stat().st_mode & 0o777 == 0o600
    assert "PRIVATE KEY" in pair.private_key.read_text()


def test_generate_keypair_never_overwrites_a_key(tmp_path: Path):
    """A second generation into the same directory is refused."""
    generate_keypair(tmp_path, "a")
    with pytest.raises(DeployKeyError, match="already exists"):
        generate_keypair(tmp_path, "b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("org/app", RepoRef("org", "app")), ("org/app.git", RepoRef("org", "app"))],
)
def test_repo_refs_parse_owner_and_name(text, expected):
    """owner/name, with an optional .git suffix."""
    assert RepoRef.parse(text) == expected


@pytest.mark.parametrize("text", ["app", "org/", "/app", "org/app/x", "-o/app", "org/../x"])
def test_malformed_repo_refs_are_refused(text):
    """Anything but owner/name is a ValueError."""
    with pytest.raises(ValueError, match="owner/name"):
        RepoRef.parse(text)

"""A bottle's deploy key from bb start to bb rm, against the FAKE forges of conftest.py."""

from __future__ import annotations

import pytest

from bb_cli.deploykeys import (
    DeployKeyApiError,
    GiteaDeployKeys,
    GitHubDeployKeys,
    RepoRef,
    deprovision,
    provision,
)

REPO = RepoRef("org", "app")


def _provisioner(forge, token="test-token"):
    if forge.flavour == "gitea":
        return GiteaDeployKeys(forge.url, token)
    return GitHubDeployKeys(token, api_url=forge.url)


def test_provision_registers_the_generated_public_half_read_write(forge, tmp_path):
    """The forge gets the locally generated public key; the private half stays on disk."""
    key, pair = provision(_provisioner(forge), REPO, "b1", tmp_path / "keys")
    [stored] = forge.repos["org/app"]
    assert stored["key"] == pair.public_key
    assert stored["read_only"] is False
    assert key.title == "bot-bottle b1"
    assert pair.private_key.exists()


def test_a_refused_provision_leaves_no_private_key(forge, tmp_path):
    """If the forge says no, the local pair is deleted again."""
    with pytest.raises(DeployKeyApiError):
        provision(_provisioner(forge, token="wrong"), REPO, "b1", tmp_path / "keys")
    assert list((tmp_path / "keys").iterdir()) == []


def test_deprovision_removes_the_forge_key_and_the_private_half_idempotently(forge, tmp_path):
    """bb rm: the key is gone from the repo and from disk; running it again is harmless."""
    provision(_provisioner(forge), REPO, "b1", tmp_path / "keys")
    assert deprovision(_provisioner(forge), REPO, "b1", tmp_path / "keys") == 1
    assert forge.repos["org/app"] == []
    assert list((tmp_path / "keys").iterdir()) == []
    assert deprovision(_provisioner(forge), REPO, "b1", tmp_path / "keys") == 0

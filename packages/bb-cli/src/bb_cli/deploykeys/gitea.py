"""Deploy keys on Gitea (and Forgejo), through its REST API v1.

API (https://docs.gitea.com/api/1.22/#tag/repository, "repoCreateKey", "repoListKeys",
"repoDeleteKey"): ``POST /api/v1/repos/{owner}/{repo}/keys`` with ``{"title", "key",
"read_only"}`` answers 201 and the key (``id``, ``title``, ``read_only``...); a title or key
that already exists answers **422** (``{"message": ...}``). ``GET .../keys`` lists keys;
``DELETE .../keys/{id}`` answers 204 (404 when gone). Auth: ``Authorization: token <t>``.
"""

from __future__ import annotations

from typing import Any

from bb_cli.deploykeys.base import (
    DeployKey,
    DeployKeyApiError,
    DeployKeyCollisionError,
    DeployKeyProvisioner,
    RepoRef,
    forge_message,
    http_json,
)

__all__ = ["GiteaDeployKeys"]


def _key(body: Any) -> DeployKey:
    return DeployKey(
        id=int(body["id"]), title=str(body["title"]), read_only=bool(body["read_only"])
    )


class GiteaDeployKeys(DeployKeyProvisioner):
    """`DeployKeyProvisioner` for a Gitea server at ``base_url`` with an API token."""

    def __init__(self, base_url: str, token: str) -> None:
        self._api = base_url.rstrip("/") + "/api/v1"
        self._headers = {"Authorization": f"token {token}", "Accept": "application/json"}

    def _keys(self, repo: RepoRef) -> str:
        return f"{self._api}/repos/{repo.owner}/{repo.name}/keys"

    def create(self, repo: RepoRef, title: str, public_key: str, *, read_only: bool) -> DeployKey:
        """POST the key; 422 means the title or key exists already."""
        answer = http_json(
            "POST",
            self._keys(repo),
            self._headers,
            {"title": title, "key": public_key, "read_only": read_only},
        )
        if answer.status == 201:
            return _key(answer.body)
        if answer.status == 422:
            raise DeployKeyCollisionError(str(repo), title, forge_message(answer.body))
        raise DeployKeyApiError("creating", str(repo), answer.status, forge_message(answer.body))

    def list(self, repo: RepoRef) -> list[DeployKey]:
        """GET the repo's keys."""
        answer = http_json("GET", self._keys(repo), self._headers)
        if answer.status != 200 or not isinstance(answer.body, list):
            raise DeployKeyApiError("listing", str(repo), answer.status, forge_message(answer.body))
        return [_key(item) for item in answer.body]

    def delete(self, repo: RepoRef, key_id: int) -> bool:
        """DELETE the key; 404 means it was already gone."""
        answer = http_json("DELETE", f"{self._keys(repo)}/{key_id}", self._headers)
        if answer.status == 204:
            return True
        if answer.status == 404:
            return False
        raise DeployKeyApiError("removing", str(repo), answer.status, forge_message(answer.body))

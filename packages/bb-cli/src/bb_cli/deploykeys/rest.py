"""The deploy-key calls GitHub and Gitea share.

Both forges expose the same resource shape: ``POST .../repos/{owner}/{repo}/keys`` with
``{"title", "key", "read_only"}`` answering 201 (422 when the key or title exists),
``GET .../keys`` listing, ``DELETE .../keys/{id}`` answering 204 (404 when gone). They differ
only in the API root, the auth headers and how listing pages; subclasses set the first two
and override `RestDeployKeys.list` where needed.
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

__all__ = ["RestDeployKeys", "key_from_json"]


def key_from_json(body: Any) -> DeployKey:
    """Read one key object as both forges return it."""
    return DeployKey(
        id=int(body["id"]), title=str(body["title"]), read_only=bool(body["read_only"])
    )


class RestDeployKeys(DeployKeyProvisioner):
    """A forge whose deploy-key API has the shared shape above."""

    def __init__(self, api: str, headers: dict[str, str]) -> None:
        self._api = api.rstrip("/")
        self._headers = headers

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
            return key_from_json(answer.body)
        if answer.status == 422:
            raise DeployKeyCollisionError(str(repo), title, forge_message(answer.body))
        raise DeployKeyApiError("creating", str(repo), answer.status, forge_message(answer.body))

    def list(self, repo: RepoRef) -> list[DeployKey]:
        """GET the repo's keys (one page)."""
        answer = http_json("GET", self._keys(repo), self._headers)
        if answer.status != 200 or not isinstance(answer.body, list):
            raise DeployKeyApiError("listing", str(repo), answer.status, forge_message(answer.body))
        return [key_from_json(item) for item in answer.body]

    def delete(self, repo: RepoRef, key_id: int) -> bool:
        """DELETE the key; 404 means it was already gone."""
        answer = http_json("DELETE", f"{self._keys(repo)}/{key_id}", self._headers)
        if answer.status == 204:
            return True
        if answer.status == 404:
            return False
        raise DeployKeyApiError("removing", str(repo), answer.status, forge_message(answer.body))

"""Deploy keys on GitHub, through the REST API.

API (https://docs.github.com/en/rest/deploy-keys/deploy-keys, version 2022-11-28):
``POST /repos/{owner}/{repo}/keys`` with ``{"title", "key", "read_only"}`` answers 201 and
the key; a key already in use answers **422** "Validation Failed" with
``errors: [{"message": "key is already in use"}]``. ``GET /repos/{owner}/{repo}/keys`` lists
(paginated, ``per_page`` up to 100); ``DELETE /repos/{owner}/{repo}/keys/{key_id}`` answers
204 (404 when gone). Auth: ``Authorization: Bearer <token>``, with
``Accept: application/vnd.github+json`` and ``X-GitHub-Api-Version: 2022-11-28``.
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

__all__ = ["GitHubDeployKeys"]

_MAX_PAGES = 50


def _key(body: Any) -> DeployKey:
    return DeployKey(
        id=int(body["id"]), title=str(body["title"]), read_only=bool(body["read_only"])
    )


class GitHubDeployKeys(DeployKeyProvisioner):
    """`DeployKeyProvisioner` for GitHub (or GHES at ``api_url``) with a token."""

    def __init__(self, token: str, api_url: str = "https://api.github.com") -> None:
        self._api = api_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _keys(self, repo: RepoRef) -> str:
        return f"{self._api}/repos/{repo.owner}/{repo.name}/keys"

    def create(self, repo: RepoRef, title: str, public_key: str, *, read_only: bool) -> DeployKey:
        """POST the key; 422 means it is already in use."""
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
        """GET every page of the repo's keys."""
        keys: list[DeployKey] = []
        for page in range(1, _MAX_PAGES + 1):
            answer = http_json("GET", f"{self._keys(repo)}?per_page=100&page={page}", self._headers)
            if answer.status != 200 or not isinstance(answer.body, list):
                raise DeployKeyApiError(
                    "listing", str(repo), answer.status, forge_message(answer.body)
                )
            keys += [_key(item) for item in answer.body]
            if len(answer.body) < 100:
                break
        return keys

    def delete(self, repo: RepoRef, key_id: int) -> bool:
        """DELETE the key; 404 means it was already gone."""
        answer = http_json("DELETE", f"{self._keys(repo)}/{key_id}", self._headers)
        if answer.status == 204:
            return True
        if answer.status == 404:
            return False
        raise DeployKeyApiError("removing", str(repo), answer.status, forge_message(answer.body))

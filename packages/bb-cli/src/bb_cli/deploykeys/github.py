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

from bb_cli.deploykeys.base import DeployKey, DeployKeyApiError, RepoRef, forge_message, http_json
from bb_cli.deploykeys.rest import RestDeployKeys, key_from_json

__all__ = ["GitHubDeployKeys"]

_MAX_PAGES = 50


class GitHubDeployKeys(RestDeployKeys):
    """`DeployKeyProvisioner` for GitHub (or GHES at ``api_url``) with a token."""

    def __init__(self, token: str, api_url: str = "https://api.github.com") -> None:
        super().__init__(
            api_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )

    def list(self, repo: RepoRef) -> list[DeployKey]:
        """GET every page of the repo's keys."""
        keys: list[DeployKey] = []
        for page in range(1, _MAX_PAGES + 1):
            answer = http_json("GET", f"{self._keys(repo)}?per_page=100&page={page}", self._headers)
            if answer.status != 200 or not isinstance(answer.body, list):
                raise DeployKeyApiError(
                    "listing", str(repo), answer.status, forge_message(answer.body)
                )
            keys += [key_from_json(item) for item in answer.body]
            if len(answer.body) < 100:
                break
        return keys

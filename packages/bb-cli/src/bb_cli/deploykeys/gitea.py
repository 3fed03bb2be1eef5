"""Deploy keys on Gitea (and Forgejo), through its REST API v1.

API (https://docs.gitea.com/api/1.22/#tag/repository, "repoCreateKey", "repoListKeys",
"repoDeleteKey"): ``POST /api/v1/repos/{owner}/{repo}/keys`` with ``{"title", "key",
"read_only"}`` answers 201 and the key (``id``, ``title``, ``read_only``...); a title or key
that already exists answers **422** (``{"message": ...}``). ``GET .../keys`` lists keys;
``DELETE .../keys/{id}`` answers 204 (404 when gone). Auth: ``Authorization: token <t>``.
"""

from __future__ import annotations

from bb_cli.deploykeys.rest import RestDeployKeys

__all__ = ["GiteaDeployKeys"]


class GiteaDeployKeys(RestDeployKeys):
    """`DeployKeyProvisioner` for a Gitea server at ``base_url`` with an API token."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(
            base_url.rstrip("/") + "/api/v1",
            {"Authorization": f"token {token}", "Accept": "application/json"},
        )

"""Per-bottle deploy keys for repos that name a ``forge``: made at start, removed at rm.

`provision_keys` generates each pair in the bottle's gate directory (the private half is
mounted into the git gate alone) and registers the public half on the forge; it records
which forge holds which key in ``gitgate/forges.json`` (no token) so that `deprovision_keys`
can remove them at ``bb rm``, or right away when a start fails. Tokens are read from the
host environment variable the manifest names, and never written anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from bb_cli.deploykeys import (
    DeployKeyError,
    DeployKeyProvisioner,
    GiteaDeployKeys,
    GitHubDeployKeys,
    RepoRef,
    deprovision,
    provision,
)
from bb_cli.errors import StartError
from bb_cli.manifests import Forge
from bb_cli.plan import BottlePlan

__all__ = ["deprovision_keys", "provision_keys", "provisioner_for"]

FORGES: Final = "forges.json"


def provisioner_for(forge: Forge, environ: Mapping[str, str]) -> DeployKeyProvisioner:
    """The API client for ``forge``; `LookupError` naming the unset token variable."""
    token = environ.get(forge.token_env, "")
    if not token:
        raise LookupError(f"${forge.token_env} is not set (the forge token for {forge.repo})")
    if forge.kind == "gitea":
        assert forge.url is not None  # the model requires it for gitea
        return GiteaDeployKeys(forge.url, token)
    return GitHubDeployKeys(token, api_url=forge.url or "https://api.github.com")


def _gate_dir(state_dir: Path) -> Path:
    return state_dir / "gitgate"


def provision_keys(plan: BottlePlan, environ: Mapping[str, str]) -> int:
    """Register a fresh key for every repo with a forge; return how many. All or none."""
    done: list[dict[str, object]] = []
    record = _gate_dir(plan.state_dir) / FORGES
    try:
        for repo in plan.manifest.agent.repos:
            if repo.forge is None:
                continue
            directory = _gate_dir(plan.state_dir) / "repos" / repo.name
            directory.mkdir(parents=True, exist_ok=True)
            provision(
                provisioner_for(repo.forge, environ),
                RepoRef.parse(repo.forge.repo),
                plan.slug,
                directory,
            )
            done.append({"name": repo.name, "forge": repo.forge.model_dump()})
            record.write_text(json.dumps(done, indent=2), encoding="utf-8")
    except (DeployKeyError, LookupError, ValueError, OSError) as exc:
        deprovision_keys(plan.state_dir, plan.slug, environ)
        raise StartError(
            "provision deploy keys", str(exc), "check the forge token and the repo's forge entry"
        ) from None
    return len(done)


def deprovision_keys(state_dir: Path, slug: str, environ: Mapping[str, str]) -> int:
    """Remove every key `provision_keys` recorded for this bottle; return how many."""
    record = _gate_dir(state_dir) / FORGES
    if not record.is_file():
        return 0
    removed = 0
    for entry in json.loads(record.read_text(encoding="utf-8")):
        forge = Forge.model_validate(entry["forge"])
        directory = _gate_dir(state_dir) / "repos" / str(entry["name"])
        removed += deprovision(
            provisioner_for(forge, environ), RepoRef.parse(forge.repo), slug, directory
        )
    record.unlink()
    return removed

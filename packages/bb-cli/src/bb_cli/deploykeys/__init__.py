"""Per-bottle deploy keys on the forge: created at bottle start, removed on ``bb rm``.

The key pair is generated locally (ed25519, ``ssh-keygen``); the public half is registered
on the repo through the forge's API, and the private half is written only where the git
gate's container will read it. `DeployKeyProvisioner` is the seam; `GiteaDeployKeys` and
`GitHubDeployKeys` implement it.
"""

from bb_cli.deploykeys.base import (
    DeployKey,
    DeployKeyApiError,
    DeployKeyCollisionError,
    DeployKeyError,
    DeployKeyProvisioner,
    KeyPair,
    RepoRef,
    generate_keypair,
    key_title,
)
from bb_cli.deploykeys.gitea import GiteaDeployKeys
from bb_cli.deploykeys.github import GitHubDeployKeys
from bb_cli.deploykeys.lifecycle import deprovision, discard_keypair, provision

__all__ = [
    "DeployKey",
    "DeployKeyApiError",
    "DeployKeyCollisionError",
    "DeployKeyError",
    "DeployKeyProvisioner",
    "GitHubDeployKeys",
    "GiteaDeployKeys",
    "KeyPair",
    "RepoRef",
    "deprovision",
    "discard_keypair",
    "generate_keypair",
    "key_title",
    "provision",
]

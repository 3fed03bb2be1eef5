"""Apply a bottle's ``extends`` chain: pure, most derived bottle first in, one result out.

Rules: a scalar set by a more derived bottle wins; maps (env, secrets) and resources merge
key by key with the more derived value winning; mounts are the root's first, then each
descendant's. Defaults apply only where no bottle in the chain says anything.

Routes are the most derived bottle's FIRST, then its parent's, up to the root's. The proxy
uses the first route that matches a request, so a child's route for a host its parent also
lists wins (e.g. the child adds ``inject_headers`` or narrows ``methods`` for that host):
what ``extends`` promises everywhere else. The parent's route still serves requests the
child's does not match (another path, method or port). Documented in docs/cli.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from bb_cli.manifests.models import BottleManifest, Dlp, EffectiveBottle, Mount, Resources
from bb_protocol.routes import Route

__all__ = ["effective_bottle"]


def effective_bottle(chain: Sequence[tuple[str, BottleManifest]]) -> EffectiveBottle:
    """Merge ``chain`` (most derived first) into one `EffectiveBottle`."""
    routes: list[Route] = []
    mounts: list[Mount] = []
    env: dict[str, str] = {}
    secrets: dict[str, str] = {}
    resources: dict[str, object] = {}
    image = None
    supervise = None
    dlp = None
    git_user = None
    runtime = None
    for _, bottle in chain:  # most derived first: first match wins, so the child's route wins
        routes.extend(bottle.routes or ())
    for _, bottle in reversed(chain):  # root first, so descendants override
        mounts.extend(bottle.mounts or ())
        env.update(bottle.env or {})
        secrets.update(bottle.secrets or {})
        if bottle.resources is not None:
            for key, value in bottle.resources.model_dump(exclude_unset=True).items():
                below = resources.get(key)
                if isinstance(value, dict) and isinstance(below, dict):
                    value = {**below, **value}  # sidecar limits and logs merge key by key
                resources[key] = value
        image = bottle.image if bottle.image is not None else image
        supervise = bottle.supervise if bottle.supervise is not None else supervise
        dlp = bottle.dlp if bottle.dlp is not None else dlp
        git_user = bottle.git_user if bottle.git_user is not None else git_user
        runtime = bottle.runtime if bottle.runtime is not None else runtime
    return EffectiveBottle(
        name=chain[0][0],
        chain=tuple(name for name, _ in chain),
        image=image,
        routes=tuple(routes),
        env=env,
        secrets=secrets,
        mounts=tuple(mounts),
        resources=Resources.model_validate(resources),
        supervise=True if supervise is None else supervise,
        dlp=dlp or Dlp(),
        git_user=git_user,
        runtime=runtime,
    )

"""Host side of decisions: apply approved routes changes and write signed responses.

`Operator` is what ``bb queue`` and the TUI call; `EgressApplicator` turns an approved
egress-allow / egress-block into the bottle's live routes through a `ReloadSignal`
(`DockerReloadSignal` sends SIGHUP to the egress container).
"""

from bb_cli.applicator.egress import EgressApplicator
from bb_cli.applicator.errors import (
    ApplyError,
    BottleNotFoundError,
    InvalidChangeError,
    ReloadError,
)
from bb_cli.applicator.operator import Bottle, Item, Operator, discover_bottles, operator_identity
from bb_cli.applicator.reload import DockerReloadSignal, ReloadSignal
from bb_cli.applicator.routes_change import changed_routes

__all__ = [
    "ApplyError",
    "Bottle",
    "BottleNotFoundError",
    "DockerReloadSignal",
    "EgressApplicator",
    "InvalidChangeError",
    "Item",
    "Operator",
    "ReloadError",
    "ReloadSignal",
    "changed_routes",
    "discover_bottles",
    "operator_identity",
]

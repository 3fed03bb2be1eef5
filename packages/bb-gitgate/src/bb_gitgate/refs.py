"""Ref updates and ref-name policy: pure functions, no git and no I/O.

The agent chooses which refs it pushes, but never which refs exist: the gate accepts an
update only when the ref name matches one of the patterns in the gate's config (written
from the manifest). Names are also checked against git's own ref-name rules
(``git help check-ref-format``; `bb_protocol.gitgate.check_ref_name`, shared with the config
schema) so that nothing that looks like an option or a revision expression ever reaches a
git command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ZERO_OID",
    "RefUpdate",
    "parse_updates",
    "ref_allowed",
]

ZERO_OID: Final = "0" * 40
"""The object id git uses for "no such ref" (creation and deletion)."""

_OID: Final = re.compile(r"[0-9a-f]{40}")


class RefUpdate(BaseModel):
    """One line of a push: move ``ref`` from ``old`` to ``new``."""

    model_config = ConfigDict(frozen=True)

    old: str = Field(pattern=r"^[0-9a-f]{40}$")
    """The value the pusher believes the ref has (``ZERO_OID`` when creating it)."""
    new: str = Field(pattern=r"^[0-9a-f]{40}$")
    """The value the pusher wants (``ZERO_OID`` when deleting it)."""
    ref: str
    """Full ref name, e.g. ``refs/heads/main``."""

    @property
    def is_delete(self) -> bool:
        """True when the push deletes the ref."""
        return self.new == ZERO_OID

    @property
    def is_create(self) -> bool:
        """True when the push creates the ref."""
        return self.old == ZERO_OID


def ref_allowed(ref: str, patterns: Iterable[str]) -> bool:
    """True when ``ref`` matches one of ``patterns`` (``*`` matches within one component)."""
    for pattern in patterns:
        regex = "[^/]*".join(re.escape(part) for part in pattern.split("*"))
        if re.fullmatch(regex, ref):
            return True
    return False


def parse_updates(lines: Sequence[str]) -> list[RefUpdate]:
    """Parse the ``<old> <new> <ref>`` lines git gives a pre-receive hook; raise `ValueError`."""
    updates = []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line:
            continue
        parts = line.split(" ")
        if len(parts) != 3 or not _OID.fullmatch(parts[0]) or not _OID.fullmatch(parts[1]):
            raise ValueError(f"pre-receive line {number} is not '<old> <new> <ref>': {line!r}")
        updates.append(RefUpdate(old=parts[0], new=parts[1], ref=parts[2]))
    return updates

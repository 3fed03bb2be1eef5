"""What a push brings, as pieces of content to scan: pure parsing of git objects, no I/O.

gitleaks reads ``git log -p``: the text of added lines. A secret can leave in much more
than that, so the gate also scans, with the DLP engine, every object the push adds (every
object reachable from the pushed tips and from no existing ref, read from the quarantine):

* each new blob, as bytes (binary files with NULs, UTF-16 text, archives...), labelled
  with a path it has in a new tree;
* each new commit and annotated tag object whole: message, author, committer, tagger and
  any other header (``encoding``, ``mergetag``, ``gpgsig``...);
* the full paths of the entries of each new tree (file and directory names; a name split
  over directories is one string ``a/b/c``).

Notes are commits too: a ``refs/notes/*`` commit pushed under an allowed ref brings its
note blobs like any other. `plan_items` turns the object ids and the non-blob objects' bytes
into `Item` values and says which path each new blob is known by; the blobs themselves are
streamed afterwards (`bb_gitgate.pushed`), so a push's files never sit in memory together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "HEADER_NAMES",
    "Item",
    "ObjectInfo",
    "Plan",
    "TreeEntry",
    "header_of",
    "parse_batch_check",
    "plan_items",
    "tree_entries",
]

ItemKind = Literal["blob", "commit", "tag", "paths"]

HEADER_NAMES: Final = {
    b"author": "author",
    b"committer": "committer",
    b"tagger": "tagger",
    b"tag": "tag name",
}
"""Object headers named in findings (any other header is named as itself)."""

_BATCH_CHECK: Final = re.compile(r"([0-9a-f]{40}) (blob|tree|commit|tag) (\d+)")


@dataclass(frozen=True)
class ObjectInfo:
    """One line of ``git cat-file --batch-check``."""

    oid: str
    type: str
    size: int


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a tree object."""

    mode: bytes
    name: bytes
    oid: str

    @property
    def is_tree(self) -> bool:
        """True for a subdirectory."""
        return self.mode in (b"40000", b"040000")

    @property
    def is_gitlink(self) -> bool:
        """True for a submodule commit (not an object of this repository)."""
        return self.mode == b"160000"


@dataclass(frozen=True)
class Item:
    """One piece of content to scan and where the operator finds it."""

    kind: ItemKind
    oid: str
    """The object the content is (or, for ``paths``, the tree listing the names)."""
    commit: str
    """The commit (or tag object) that brings it: what a finding names."""
    label: str
    """Path of a blob; ``<commit>``, ``<tag NAME>`` or ``<file names>`` otherwise."""
    data: bytes = field(repr=False)


@dataclass
class Plan:
    """Commits, tags and name lists to scan, and the path (and commit) of every new blob."""

    items: list[Item] = field(default_factory=list)
    blobs: dict[str, tuple[str, str]] = field(default_factory=dict)
    """blob id -> (commit, path) for each new blob, in the order first reached."""


def parse_batch_check(text: str) -> list[ObjectInfo]:
    """Parse ``git cat-file --batch-check`` output; raise `ValueError` on anything else."""
    out: list[ObjectInfo] = []
    for line in text.splitlines():
        match = _BATCH_CHECK.fullmatch(line)
        if match is None:
            raise ValueError(f"unexpected cat-file line: {line[:80]!r}")
        out.append(ObjectInfo(match[1], match[2], int(match[3])))
    return out


def tree_entries(data: bytes) -> list[TreeEntry]:
    """Entries of a raw tree object (``<mode> <name>\\0<20-byte id>``...); `ValueError` if bad."""
    entries: list[TreeEntry] = []
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        nul = data.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 21 > len(data):
            raise ValueError("malformed tree object")
        entries.append(
            TreeEntry(data[pos:space], data[space + 1 : nul], data[nul + 1 : nul + 21].hex())
        )
        pos = nul + 21
    return entries


def _headers(data: bytes) -> dict[bytes, bytes]:
    """First value of each header of a commit or tag object (continuation lines ignored)."""
    head = data.split(b"\n\n", 1)[0]
    out: dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        if line and not line.startswith(b" "):
            name, _, value = line.partition(b" ")
            out.setdefault(name, value)
    return out


def header_of(data: bytes, offset: int) -> str | None:
    """Which header of a commit or tag object holds byte ``offset`` (None: the message)."""
    end = data.find(b"\n\n")
    if end < 0 or offset >= end:
        return None
    start = data.rfind(b"\n", 0, offset + 1)
    line_start = 0 if start < 0 else start + 1
    # Continuation lines (gpgsig, mergetag) start with a space: walk back to their header.
    while line_start > 0 and data[line_start : line_start + 1] == b" ":
        prev = data.rfind(b"\n", 0, line_start - 1)
        line_start = prev + 1
    name = data[line_start:].split(b" ", 1)[0]
    return HEADER_NAMES.get(name, name.decode("ascii", "replace"))


def _show(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape").encode("utf-8", "replace").decode("utf-8")


class _Walker:
    def __init__(self, new: Mapping[str, str], objects: Mapping[str, bytes], plan: Plan) -> None:
        self.new = new
        self.objects = objects
        self.plan = plan
        self.visited: set[str] = set()

    def tree(self, oid: str, prefix: bytes, commit: str) -> list[bytes]:
        """Full paths named by the new trees under ``oid``; new blobs get their path.

        Iterative (a pushed tree can be nested deeper than Python's recursion limit).
        """
        names: list[bytes] = []
        stack = [(oid, prefix)]
        while stack:
            tree, base = stack.pop()
            if self.new.get(tree) != "tree" or tree in self.visited:
                continue
            self.visited.add(tree)
            for entry in tree_entries(self.objects[tree]):
                path = base + entry.name
                names.append(path)
                if entry.is_tree:
                    stack.append((entry.oid, path + b"/"))
                elif not entry.is_gitlink and self.new.get(entry.oid) == "blob":
                    self.plan.blobs.setdefault(entry.oid, (commit, _show(path)))
        return names

    def names_item(self, tree: str, commit: str, names: list[bytes]) -> None:
        if names:
            self.plan.items.append(Item("paths", tree, commit, "<file names>", b"\n".join(names)))


def plan_items(
    new: Mapping[str, str], objects: Mapping[str, bytes], commits: Sequence[str]
) -> Plan:
    """Items for the new commits, tags and trees, and the path of each new blob.

    ``new`` maps every new object id to its type; ``objects`` holds the bytes of every new
    commit, tag and tree; ``commits`` lists the new commits oldest first (so a blob is
    named by the commit that introduced it). Raises `ValueError` on a malformed object.
    """
    plan = Plan()
    walker = _Walker(new, objects, plan)
    for commit in commits:
        data = objects[commit]
        plan.items.append(Item("commit", commit, commit, "<commit>", data))
        tree = _headers(data).get(b"tree", b"").decode("ascii", "replace")
        walker.names_item(tree, commit, walker.tree(tree, b"", commit))
    for oid, kind in new.items():
        if kind != "tag":
            continue
        data = objects[oid]
        headers = _headers(data)
        name = _show(headers.get(b"tag", b"?"))
        plan.items.append(Item("tag", oid, oid, "<tag>", data))
        target = headers.get(b"object", b"").decode("ascii", "replace")
        if new.get(target) == "blob":
            plan.blobs.setdefault(target, (oid, f"<blob tagged {name}>"))
        walker.names_item(target, oid, walker.tree(target, b"", oid))
    first = commits[0] if commits else None
    for oid, kind in new.items():
        if kind == "tree" and oid not in walker.visited:
            owner = first or oid
            walker.names_item(oid, owner, walker.tree(oid, b"", owner))
        elif kind == "blob" and oid not in plan.blobs:
            plan.blobs[oid] = (first or oid, f"<blob {oid[:12]}>")
    return plan

"""Specification of bb_gitgate.objects: git objects parsed into items to scan (pure)."""

from __future__ import annotations

import hashlib

import pytest

from bb_gitgate.objects import header_of, parse_batch_check, plan_items, tree_entries


def _oid(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


def _tree(*entries: tuple[bytes, bytes, str]) -> bytes:
    return b"".join(mode + b" " + name + b"\0" + bytes.fromhex(oid) for mode, name, oid in entries)


def _commit(tree: str, message: bytes, author: bytes = b"A <a@x>") -> bytes:
    return (
        f"tree {tree}\n".encode()
        + b"author "
        + author
        + b" 1700000000 +0000\n"
        + b"committer C <c@x> 1700000000 +0000\n\n"
        + message
    )


def test_tree_entries_are_parsed_with_binary_names() -> None:
    """Mode, raw name bytes (newlines, NULs excluded by git) and hex id of each entry."""
    blob = _oid("blob", b"x")
    entries = tree_entries(_tree((b"100644", b"a\nb.txt", blob), (b"40000", b"dir", blob)))
    assert [(e.mode, e.name, e.oid, e.is_tree) for e in entries] == [
        (b"100644", b"a\nb.txt", blob, False),
        (b"40000", b"dir", blob, True),
    ]


@pytest.mark.parametrize("data", [b"100644 name", b"100644 name\0short"])
def test_a_truncated_tree_is_an_error(data: bytes) -> None:
    """A malformed tree raises ValueError (the push is then refused, never passed)."""
    with pytest.raises(ValueError, match="malformed tree"):
        tree_entries(data)


def test_batch_check_lines_are_parsed_and_anything_else_refused() -> None:
    """``<oid> <type> <size>`` per line; a ``missing`` line is an error."""
    oid = "a" * 40
    assert [(i.oid, i.type, i.size) for i in parse_batch_check(f"{oid} blob 12\n")] == [
        (oid, "blob", 12)
    ]
    with pytest.raises(ValueError, match="unexpected"):
        parse_batch_check(f"{oid} missing\n")


@pytest.mark.parametrize(
    ("needle", "expected"),
    [(b"A <a@x>", "author"), (b"C <c@x>", "committer"), (b"the message", None)],
)
def test_header_of_names_the_part_of_a_commit(needle: bytes, expected: str | None) -> None:
    """An offset in the author, committer or message is attributed to it."""
    data = _commit("0" * 40, b"the message\n")
    assert header_of(data, data.index(needle)) == expected


def test_a_plan_covers_commits_names_and_every_new_blob_with_its_path() -> None:
    """New trees are walked for names and blob paths; trees upstream already has are not."""
    old_blob, new_blob = _oid("blob", b"old"), _oid("blob", b"new")
    old_tree = _oid("tree", _tree((b"100644", b"kept.txt", old_blob)))
    sub = _tree((b"100644", b"secret-name.txt", new_blob))
    sub_oid = _oid("tree", sub)
    root = _tree((b"40000", b"lib", old_tree), (b"40000", b"src", sub_oid))
    root_oid = _oid("tree", root)
    commit = _commit(root_oid, b"msg\n")
    commit_oid = _oid("commit", commit)
    new = {commit_oid: "commit", root_oid: "tree", sub_oid: "tree", new_blob: "blob"}
    objects = {commit_oid: commit, root_oid: root, sub_oid: sub}
    plan = plan_items(new, objects, [commit_oid])
    assert plan.blobs == {new_blob: (commit_oid, "src/secret-name.txt")}
    kinds = {item.kind: item for item in plan.items}
    assert kinds["commit"].data == commit
    assert kinds["paths"].data.split(b"\n") == [b"lib", b"src", b"src/secret-name.txt"]


def test_an_annotated_tag_on_a_blob_is_scanned_and_its_blob_too() -> None:
    """A tag object is an item; the blob it points at gets a path naming the tag."""
    blob = _oid("blob", b"data")
    tag = f"object {blob}\ntype blob\ntag v1\ntagger T <t@x> 1 +0000\n\nnote\n".encode()
    tag_oid = _oid("tag", tag)
    plan = plan_items({tag_oid: "tag", blob: "blob"}, {tag_oid: tag}, [])
    assert [i.kind for i in plan.items] == ["tag"]
    assert plan.blobs == {blob: (tag_oid, "<blob tagged v1>")}


def test_a_deep_tree_is_walked_without_recursion() -> None:
    """Nesting deeper than Python's recursion limit is still walked to the bottom."""
    blob = _oid("blob", b"x")
    child, child_oid = _tree((b"100644", b"f", blob)), ""
    new: dict[str, str] = {blob: "blob"}
    objects: dict[str, bytes] = {}
    child_oid = _oid("tree", child)
    new[child_oid], objects[child_oid] = "tree", child
    for _ in range(1500):
        child = _tree((b"40000", b"d", child_oid))
        child_oid = _oid("tree", child)
        new[child_oid], objects[child_oid] = "tree", child
    commit = _commit(child_oid, b"deep\n")
    commit_oid = _oid("commit", commit)
    new[commit_oid], objects[commit_oid] = "commit", commit
    plan = plan_items(new, objects, [commit_oid])
    assert plan.blobs[blob][1] == "d/" * 1500 + "f"

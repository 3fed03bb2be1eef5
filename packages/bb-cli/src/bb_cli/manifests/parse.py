"""Parse one manifest file: YAML frontmatter between ``---`` lines, then a markdown body.

Pure: text in, model out. Every error names the file, the line and the field, because the
person fixing it is looking at that file: the YAML parser's mark gives the line of a syntax
error, and the composed YAML node tree gives the line of each key for validation errors
(unknown keys, wrong types), counted from the top of the file, not of the frontmatter.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bb_cli.errors import ManifestError

__all__ = ["parse_manifest", "split_frontmatter"]

M = TypeVar("M", bound=BaseModel)


def split_frontmatter(text: str, file: str) -> tuple[str, int, str]:
    """Return (frontmatter, line of its first row, body); refuse a file without one."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ManifestError(
            "must start with a '---' line opening the YAML frontmatter", file=file, line=1
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), 2, "".join(lines[index + 1 :]).strip("\n")
    raise ManifestError(
        "the frontmatter opened on line 1 is never closed by '---'", file=file, line=1
    )


def _key_lines(
    node: yaml.Node, path: tuple[object, ...], out: dict[tuple[object, ...], int]
) -> None:
    """Map each key path (as pydantic reports ``loc``) to its 0-based line in the frontmatter."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, key.value)
            out[sub] = key.start_mark.line
            _key_lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            sub = (*path, index)
            out[sub] = item.start_mark.line
            _key_lines(item, sub, out)


def _line_of(loc: tuple[object, ...], lines: dict[tuple[object, ...], int]) -> int | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field_name(loc: tuple[object, ...]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc]
    return "".join(parts).lstrip(".") or "(frontmatter)"


def _submodel(model: type[BaseModel], path: tuple[object, ...]) -> type[BaseModel] | None:
    """The model that holds the key at ``path`` (list indexes and map keys skipped)."""
    current: object = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _model_in(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_in(annotation: object) -> object:
    """The BaseModel inside ``X | None``, ``tuple[X, ...]`` or ``Annotated[X, ...]``, else it."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    if isinstance(annotation, types.UnionType):
        return None
    return annotation


def _describe(error: ErrorDetails, model: type[BaseModel]) -> str:
    """One problem in the user's words: the key as written, lists not tuples, close names."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        message = f"unknown key {_field_name(loc)!r}"
        holder = _submodel(model, loc[:-1])
        if holder is not None:
            known = sorted(holder.model_fields)
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]!r}?)"
            message += f" (allowed: {', '.join(known)})"
        return message
    text = error["msg"].removeprefix("Value error, ")
    text = text.replace("a valid tuple", "a list").replace("a valid dictionary", "a mapping")
    return f"field {_field_name(loc)!r}: {text}"


def parse_manifest[M: BaseModel](
    text: str, file: str, model: type[M], *, body_field: str | None = None
) -> M:
    """Parse ``text`` (the whole file) into ``model``; the body goes into ``body_field``."""
    front, first_line, body = split_frontmatter(text, file)
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else None
        raise ManifestError(f"invalid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}", file=file, line=first_line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ManifestError("the frontmatter must be a mapping of keys", file=file, line=first_line)
    if body_field is not None:
        if body_field in data:
            found = _line_of((body_field,), _index(node))
            line = first_line + found if found is not None else first_line
            raise ManifestError(
                f"field {body_field!r} comes from the markdown body, not the frontmatter",
                file=file,
                line=line,
            )
        data[body_field] = body
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = _index(node)
        # A typo'd key also makes the intended key "missing": report typos first, then in
        # file order; every problem is reported, each with its own line.
        errors = sorted(
            exc.errors(),
            key=lambda e: (e["type"] != "extra_forbidden", _line_of(tuple(e["loc"]), lines) or 0),
        )
        problems: list[tuple[int, str]] = []
        for error in errors:
            line0 = _line_of(tuple(error["loc"]), lines)
            problems.append(
                (first_line + line0 if line0 is not None else first_line, _describe(error, model))
            )
        line, message = problems[0]
        if len(problems) > 1:
            message += "".join(f"\n{file}:{n}: {text}" for n, text in problems[1:])
        raise ManifestError(message, file=file, line=line) from None


def _index(node: yaml.Node | None) -> dict[tuple[object, ...], int]:
    out: dict[tuple[object, ...], int] = {}
    if node is not None:
        _key_lines(node, (), out)
    return out

"""Shared command plumbing: errors to stderr with their exit code, the backend for a slug."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from bb_cli.errors import BbError

__all__ = ["fail", "handle_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` to stderr; the `typer.Exit` to raise."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


def handle_errors[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Turn the CLI's errors (and the contract's validation errors) into exit codes."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BbError as exc:
            raise fail(str(exc), exc.exit_code) from None

    return wrapper

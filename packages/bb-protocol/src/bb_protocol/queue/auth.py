"""Content hashing and the host-only key that authenticates the operator's decisions.

Why a key: the queue volume is mounted only into sidecars, but "the agent cannot reach it"
should not be the only thing standing between the agent and an approval. Every response is
HMAC-SHA256-signed by the host with a per-bottle key (``approval.key``, mode 0600, created
by the host, mounted read-only into the sidecars that verify, never into the agent), and it
names the proposal's id and content hash, so a response can be neither forged, moved to
another proposal, nor replayed onto changed content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from bb_protocol.queue.errors import KeyFileError

__all__ = [
    "KEY_BYTES",
    "ApprovalKey",
    "canonical_json",
    "content_hash",
]

KEY_BYTES: Final = 32
"""Length of an approval key (256 bits)."""


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes every hash and MAC is computed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(model: BaseModel) -> str:
    """SHA-256 (hex) of a model's canonical JSON; binds a decision to exactly what was shown."""
    return hashlib.sha256(canonical_json(model.model_dump(mode="json"))).hexdigest()


class ApprovalKey:
    """A bottle's host-only HMAC key. Its repr never shows the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise KeyFileError(f"approval key is {len(key)} bytes; at least {KEY_BYTES} needed")
        self._key = key

    def __repr__(self) -> str:
        return "ApprovalKey(<hidden>)"

    @classmethod
    def generate(cls) -> ApprovalKey:
        """A fresh random key."""
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def load(cls, path: Path) -> ApprovalKey:
        """Read a key file (hex text); refuse a missing, malformed or group/other-writable one."""
        try:
            info = path.stat()
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"cannot read approval key {path}: {exc}") from exc
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise KeyFileError(f"approval key {path} is writable by others; chmod 600 it")
        try:
            return cls(bytes.fromhex(text))
        except ValueError as exc:
            raise KeyFileError(f"approval key {path} is not hex: {exc}") from exc

    @classmethod
    def create_file(cls, path: Path) -> ApprovalKey:
        """Write a new key to ``path`` (mode 0600, refusing to overwrite) and return it."""
        key = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise KeyFileError(f"approval key {path} already exists") from exc
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key._key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return key

    @classmethod
    def load_or_create(cls, path: Path) -> ApprovalKey:
        """The key at ``path``, created first if there is none."""
        try:
            return cls.create_file(path)
        except KeyFileError:
            return cls.load(path)

    def sign(self, data: Any) -> str:
        """HMAC-SHA256 (hex) over the canonical JSON of ``data``."""
        return hmac.new(self._key, canonical_json(data), hashlib.sha256).hexdigest()

    def verify(self, data: Any, mac: str) -> bool:
        """True when ``mac`` is this key's MAC of ``data`` (constant-time comparison)."""
        return hmac.compare_digest(self.sign(data), mac)

"""What one bottle's scanner looks for, built once at proxy start and shared read-only.

`DlpConfig.from_environ` collects the known secrets (env vars with a sensitive prefix), picks
the detectors, and compiles the multi-pattern databases the engine scans with. Values that
cannot be matched safely are reported in ``warnings``: never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bb_dlp.catalogue import (
    DEFAULT_CONFIDENCE,
    Catalogue,
    own_rule_set,
    precompile_rules,
)
from bb_dlp.models import DlpConfigError
from bb_dlp.multimatch import LiteralSet, RuleSet
from bb_dlp.secrets import MIN_SECRET_LEN, PARTIAL_MATCH_MIN_LEN, KnownSecret
from bb_dlp.views import MARKUP_TRIGGERS, json_trigger, suspicious_literals
from bb_protocol import envvars

__all__ = [
    "ALL_DETECTOR_NAMES",
    "CANARY_VAR",
    "DEFAULT_MAX_DECODED_BYTES",
    "DEFAULT_SENSITIVE_PREFIX",
    "NOT_SECRETS",
    "OUTBOUND_DETECTOR_NAMES",
    "SENSITIVE_PREFIXES_VAR",
    "TOKEN_CONFIDENCE_VAR",
    "TOKEN_RULES_OFF_VAR",
    "DlpConfig",
    "Matchers",
    "precompile_static",
    "secrets_in",
]

OUTBOUND_DETECTOR_NAMES: Final[tuple[str, ...]] = (
    "known_secrets",
    "canary",
    "token_patterns",
    "crlf",
    "unicode_evasion",
)
"""The default ("all") detector set. ``entropy`` is opt-in and deliberately not here."""

ALL_DETECTOR_NAMES: Final[tuple[str, ...]] = (*OUTBOUND_DETECTOR_NAMES, "entropy")

DEFAULT_SENSITIVE_PREFIX: Final = envvars.DEFAULT_SENSITIVE_PREFIX
SENSITIVE_PREFIXES_VAR: Final = envvars.SENSITIVE_PREFIXES
CANARY_VAR: Final = envvars.EGRESS_CANARY
TOKEN_CONFIDENCE_VAR: Final = envvars.DLP_TOKEN_CONFIDENCE
TOKEN_RULES_OFF_VAR: Final = envvars.DLP_TOKEN_RULES_OFF

NOT_SECRETS: Final = frozenset({envvars.SENSITIVE_PREFIXES, envvars.EGRESS_TOKEN_ALLOW_TIMEOUT})
"""Settings that happen to carry the sensitive prefix: configuration, not secrets."""

DEFAULT_MAX_DECODED_BYTES: Final = 64 * 1024 * 1024
"""Decompressed bodies larger than this are a finding (a decompression bomb, or hiding)."""


@dataclass(frozen=True, slots=True)
class Matchers:
    """Compiled databases: pass 1 renderings, pass 2/3 projections, provider rules.

    ``exact_owner[i]`` / ``projection_owner[i]`` give the secret index each literal belongs
    to; ``projection_kind[i]`` says what a projection literal is: a pass-2 rendering (its
    description), ``"fragment"`` (a pass-3 window) or ``"piece"`` (a `PIECE_MIN_LEN` piece,
    reported only when pieces cover the whole secret: ``piece_offsets[i]`` says where in the
    secret's projection it sits). The projection set is case-insensitive.
    """

    exact: LiteralSet
    exact_owner: tuple[int, ...]
    exact_kind: tuple[str, ...]
    projection: LiteralSet
    projection_owner: tuple[int, ...]
    projection_kind: tuple[str, ...]
    piece_offsets: tuple[tuple[int, ...], ...]
    catalogue: Catalogue | None
    json_trigger: re.Pattern[bytes]


def _parse_detectors(detectors: Iterable[str] | None) -> frozenset[str]:
    if detectors is None:
        return frozenset(OUTBOUND_DETECTOR_NAMES)
    chosen: set[str] = set()
    for raw in detectors:
        name = raw.strip()
        if not name:
            continue
        if name == "all":
            chosen |= set(OUTBOUND_DETECTOR_NAMES)
        elif name in ALL_DETECTOR_NAMES:
            chosen.add(name)
        else:
            known = ", ".join(("all", *ALL_DETECTOR_NAMES))
            raise DlpConfigError(f"unknown DLP detector {name!r} (known: {known})")
    if not chosen:
        raise DlpConfigError("no DLP detector selected")
    return frozenset(chosen)


def _prefixes(environ: Mapping[str, str]) -> tuple[str, ...]:
    extra = [p.strip() for p in environ.get(SENSITIVE_PREFIXES_VAR, "").split(",") if p.strip()]
    return (DEFAULT_SENSITIVE_PREFIX, *extra)


def precompile_static(cache_dir: Path) -> None:
    """Compile the static databases (token rules, suspicious characters) into ``cache_dir``.

    Kingfisher's catalogue (default confidence) goes to ``cache_dir/kingfisher``, copied from
    the image's baked cache (``BB_DLP_RULE_CACHE_DIR``) when there is one.

    They hold no secret. A process that sets ``BB_DLP_CACHE_DIR`` to ``cache_dir`` then loads
    them instead of compiling (the git gate's hook, started once per push).
    """
    precompile_rules(cache_dir / "kingfisher", [DEFAULT_CONFIDENCE])
    own_rule_set(cache_dir)
    LiteralSet(suspicious_literals(), cache="unicode", cache_dir=cache_dir)
    RuleSet(list(MARKUP_TRIGGERS), cache="markup", cache_dir=cache_dir)


def _build(
    secrets: tuple[KnownSecret, ...], detectors: frozenset[str], catalogue: Catalogue | None
) -> Matchers:
    exact: dict[bytes, tuple[int, str]] = {}
    proj: dict[bytes, tuple[int, str, tuple[int, ...]]] = {}
    for idx, secret in enumerate(secrets):
        for rendering, kind in secret.exact_renderings().items():
            exact.setdefault(rendering, (idx, kind))
        for rendering, kind in secret.loose_renderings().items():
            proj.setdefault(rendering, (idx, kind, ()))
        for window in secret.windows():
            proj.setdefault(window.lower(), (idx, "fragment", ()))
        for window in secret.hex_windows():
            proj.setdefault(window, (idx, "fragment", ()))
        for piece, offsets in secret.pieces().items():
            proj.setdefault(piece, (idx, "piece", tuple(offsets)))
    return Matchers(
        exact=LiteralSet(list(exact)),
        exact_owner=tuple(v[0] for v in exact.values()),
        exact_kind=tuple(v[1] for v in exact.values()),
        projection=LiteralSet(list(proj), caseless=True),
        projection_owner=tuple(v[0] for v in proj.values()),
        projection_kind=tuple(v[1] for v in proj.values()),
        piece_offsets=tuple(v[2] for v in proj.values()),
        catalogue=catalogue,
        json_trigger=json_trigger("".join(s.value for s in secrets)),
    )


@dataclass(frozen=True)
class DlpConfig:
    """Detectors, known secrets and compiled matchers; immutable, safe to share across threads."""

    detectors: frozenset[str]
    secrets: tuple[KnownSecret, ...]
    warnings: list[str] = field(default_factory=list)
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES
    token_confidence: str = DEFAULT_CONFIDENCE
    """Kingfisher rule confidence for ``token_patterns``: low, medium or high."""
    token_rules_off: frozenset[str] = frozenset()
    """Token rule ids this bottle turns off (exact ids; unknown ones are an error)."""
    matchers: Matchers = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        catalogue = (
            Catalogue(self.token_confidence, self.token_rules_off)
            if "token_patterns" in self.detectors
            else None
        )
        object.__setattr__(self, "matchers", _build(self.secrets, self.detectors, catalogue))

    @classmethod
    def from_secrets(
        cls,
        secrets: Mapping[str, str],
        detectors: Iterable[str] | None = None,
        *,
        canary_name: str = CANARY_VAR,
        max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES,
        token_confidence: str = DEFAULT_CONFIDENCE,
        token_rules_off: Iterable[str] = (),
    ) -> DlpConfig:
        """A config for the given ``name -> value`` secrets (every one treated as sensitive)."""
        chosen = _parse_detectors(detectors)
        warnings: list[str] = []
        kept: list[KnownSecret] = []
        for name in sorted(secrets):
            value = secrets[name]
            is_canary = name == canary_name
            if not value:
                warnings.append(f"{name} is empty: nothing to match")
                continue
            if len(value) < MIN_SECRET_LEN:
                warnings.append(
                    f"{name} is {len(value)} characters, shorter than {MIN_SECRET_LEN}: too "
                    "short to match without false positives, so it is NOT protected"
                )
                continue
            if is_canary and "canary" not in chosen:
                continue
            if not is_canary and "known_secrets" not in chosen:
                continue
            secret = KnownSecret(name=name, value=value, is_canary=is_canary)
            if not secret.projection_usable:
                warnings.append(
                    f"{name}: too short or too regular for separator-tolerant matching; "
                    "only exact and encoded forms are matched"
                )
            elif not secret.windows() and len(secret.projection) > PARTIAL_MATCH_MIN_LEN:
                warnings.append(f"{name}: no high-entropy fragment; partial matches are off")
            kept.append(secret)
        return cls(
            detectors=chosen,
            secrets=tuple(kept),
            warnings=warnings,
            max_decoded_bytes=max_decoded_bytes,
            token_confidence=token_confidence,
            token_rules_off=frozenset(token_rules_off),
        )

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], detectors: Iterable[str] | None = None
    ) -> DlpConfig:
        """Secrets are the env vars whose names start with a sensitive prefix.

        ``EGRESS_TOKEN_`` always counts; ``BOT_BOTTLE_SENSITIVE_PREFIXES`` (comma-separated)
        adds more. ``EGRESS_TOKEN_CANARY`` is the canary. ``BOT_BOTTLE_DLP_TOKEN_CONFIDENCE``
        and ``BOT_BOTTLE_DLP_TOKEN_RULES_OFF`` (comma-separated rule ids) tune token patterns.
        """
        off = environ.get(TOKEN_RULES_OFF_VAR, "").split(",")
        return cls.from_secrets(
            secrets_in(environ),
            detectors,
            token_confidence=environ.get(TOKEN_CONFIDENCE_VAR, "").strip() or DEFAULT_CONFIDENCE,
            token_rules_off=[r.strip() for r in off if r.strip()],
        )


def secrets_in(environ: Mapping[str, str]) -> dict[str, str]:
    """The known secrets of an environment: variables whose names carry a sensitive prefix.

    ``EGRESS_TOKEN_`` always counts; ``BOT_BOTTLE_SENSITIVE_PREFIXES`` (comma-separated) adds
    more; the settings in ``NOT_SECRETS`` are left out. The canary is one of them.
    """
    prefixes = _prefixes(environ)
    return {
        k: v
        for k, v in environ.items()
        if k not in NOT_SECRETS and any(k.startswith(p) for p in prefixes)
    }

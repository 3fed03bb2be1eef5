"""The ``token_patterns`` detector's rules: Kingfisher's maintained catalogue, plus a few of ours.

Provider token formats change faster than one project can follow, so the catalogue is
Kingfisher's (``kingfisher-secret-scanner``, Apache-2.0: about 490 rules compiled into one
Vectorscan database, with the rules' own entropy floors, placeholder filters and composite
rules). A handful of our hand-written rules (`KEPT_RULES`) stay beside it, only where they
find development-set examples Kingfisher misses (docs/dlp.md gives the numbers).

This is the only module that imports ``kingfisher_sdk`` (an import-linter contract says so),
and it only ever builds ``Rules`` and ``Scanner``: Kingfisher can also *validate* and
*revoke* credentials by calling the provider, which a proxy whose only way out is its own
routes must never do. Scanning is in-process and offline.

Rules are compiled once per process and confidence level, from Kingfisher's disk cache when
there is one. The images bake that cache at build time (``BB_DLP_RULE_CACHE_DIR``), so the
proxy loads it at start and works on a read-only root; elsewhere the cache lives under
``BB_DLP_CACHE_DIR/kingfisher`` or Kingfisher's default user cache directory.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import itertools
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

from bb_dlp.entropy import shannon_entropy
from bb_dlp.gate import TokenGate
from bb_dlp.models import DlpConfigError
from bb_dlp.multimatch import CACHE_DIR_VAR, RuleSet, user_cache_dir
from bb_dlp.rules import RULES, TokenRule
from bb_protocol.atomic import write_atomic

if TYPE_CHECKING:
    import kingfisher_sdk

__all__ = [
    "CONFIDENCES",
    "DEFAULT_CONFIDENCE",
    "KEPT_RULES",
    "OWN_PREFIX",
    "RULE_CACHE_VAR",
    "Catalogue",
    "Confidence",
    "TokenHit",
    "cache_status",
    "is_placeholder",
    "json_unescaped",
    "load_rules",
    "own_rule_set",
    "precompile_rules",
    "rule_cache_dir",
]

Confidence = Literal["low", "medium", "high"]
CONFIDENCES: Final[tuple[Confidence, ...]] = get_args(Confidence)
DEFAULT_CONFIDENCE: Final[Confidence] = "medium"
"""Kingfisher's own default; ``high`` drops about a hundred rules (the keyword-context ones)."""

RULE_CACHE_VAR: Final = "BB_DLP_RULE_CACHE_DIR"
"""Directory of Kingfisher's compiled rule cache (the images set it to the one they bake)."""

OWN_PREFIX: Final = "bb."
"""Rule ids of our own kept rules carry this prefix (Kingfisher's are ``betterleaks.``,
``veles.``, ``kingfisher.``), so a finding says whose rule fired."""

KEPT_RULES: Final[frozenset[str]] = frozenset(
    {
        "aws-access-key-id",
        "aws-secret-access-key",
        "azure-storage-key",
        "doppler-token",
        "google-oauth-client-secret",
        "hashicorp-vault-token",
        "newrelic-user-key",
        "square-token",
        "stripe-secret-key",
        "telegram-bot-token",
    }
)
"""Our rules that add recall on the development set (Nosey Parker's examples) over the
catalogue; every other hand-written rule was dropped (docs/dlp.md, "Token patterns")."""

_OWN: Final[tuple[TokenRule, ...]] = tuple(r for r in RULES if r.id in KEPT_RULES)


_PLACEHOLDER_WORDS: Final = re.compile(rb"(?i)example|placeholder|dummy|redacted|insert[_-]?your")
_FILLER_RUN: Final = re.compile(rb"([xX*.#])\1{3}|(.)\2{5}")
_PERIODIC: Final = re.compile(rb"(.{2,8}?)\1{2,}")
_DOC_KEYS: Final = frozenset(
    {b"sk_test_4eC39HqLyjWDarjtT1zdp7dc", b"sk_test_BQokikJOvBiI2HlWgH4olfQ2"}
)
"""Keys printed in providers' own documentation (Stripe's API reference)."""
_SEQUENCE_LEN: Final = 6


def is_placeholder(token: bytes) -> bool:
    """True for documentation examples and filler, which must not block traffic.

    On top of the catalogue's own per-rule filters (which drop, for instance, AWS's
    ``...EXAMPLE`` key and tokens of one repeated letter), and applied to every rule:
    a word such as ``EXAMPLE``/``placeholder``/``dummy``; ``xxxx`` (or ``****``, ``....``)
    or any character six times in a row; a short unit repeated (``abc123abc123abc123``);
    an ascending run of six (``abcdef``, ``123456``); a key from a provider's docs.
    Private-key blocks are never judged (their base64 holds long runs), and only the
    password of a connection string is. A random token trips none of these by chance (the rarest
    case, six equal hex digits somewhere in 32, is about 1 in 40,000).
    """
    if b"-----BEGIN" in token:
        return False  # key material legitimately holds long runs (``AAAAAAAA``)
    scheme = token.find(b"://")
    if scheme >= 0:  # a connection string: judge its password, not its host names
        userinfo = token[scheme + 3 :].split(b"@", 1)[0]
        token = userinfo.split(b":", 1)[-1]
    if token in _DOC_KEYS or _PLACEHOLDER_WORDS.search(token) or _FILLER_RUN.search(token):
        return True
    periodic = _PERIODIC.search(token)
    if periodic is not None and periodic.end() - periodic.start() >= 12:
        return True
    run = 1
    for prev, cur in itertools.pairwise(token):
        run = run + 1 if cur == prev + 1 else 1
        if run >= _SEQUENCE_LEN:
            return True
    return False


@dataclass(frozen=True, slots=True)
class TokenHit:
    """One token-pattern match: which rule, where in the scanned bytes."""

    rule_id: str
    rule_name: str
    start: int
    end: int
    severity: str


def rule_cache_dir() -> Path | None:
    """Where Kingfisher's compiled rules are cached: ``BB_DLP_RULE_CACHE_DIR``, else
    ``BB_DLP_CACHE_DIR/kingfisher``, else ``None`` (Kingfisher's default user cache)."""
    explicit = os.environ.get(RULE_CACHE_VAR, "")
    if explicit:
        return Path(explicit)
    shared = os.environ.get(CACHE_DIR_VAR, "")
    return Path(shared) / "kingfisher" if shared else None


def _owned_copy(baked: Path) -> Path:
    """A private copy of a cache directory another user owns (the image's, owned by root).

    Kingfisher only trusts a cache directory owned by the user it runs as, and a sidecar runs
    as its image user or as the operator's uid. The files hold no secret; copying a few MB
    into the sidecar's own ``/tmp`` tmpfs costs milliseconds, compiling costs seconds.
    """
    uid = os.geteuid()
    private = Path(tempfile.gettempdir()) / f"bb-dlp-rules-{uid}"
    try:
        private.mkdir(mode=0o700, exist_ok=True)
        info = private.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
            private = Path(tempfile.mkdtemp(prefix="bb-dlp-rules-"))
        _copy_files(baked, private)
    except OSError:
        return baked  # no writable temp: Kingfisher compiles (slow, still correct)
    return private


def _copy_files(source_dir: Path, target_dir: Path) -> None:
    """Each file of ``source_dir`` not yet in ``target_dir``, written atomically."""
    for source in source_dir.iterdir():
        target = target_dir / source.name
        if source.is_file() and not target.exists():
            write_atomic(target, source.read_bytes(), mode=0o644)


@functools.cache
def _trusted_cache_dir() -> Path | None:
    directory = rule_cache_dir()
    if directory is None or not directory.is_dir():
        return directory
    if directory.stat().st_uid != os.geteuid():
        return _owned_copy(directory)
    return directory


@functools.cache
def load_rules(confidence: Confidence = DEFAULT_CONFIDENCE) -> kingfisher_sdk.Rules:
    """Kingfisher's bundled rules at ``confidence``, compiled once per process (from the disk
    cache when present: a few hundred milliseconds instead of seconds)."""
    if confidence not in CONFIDENCES:
        raise DlpConfigError(
            f"unknown token-rule confidence {confidence!r} (known: {', '.join(CONFIDENCES)})"
        )
    import kingfisher_sdk  # here, not at the top: a closed gate never needs it

    return kingfisher_sdk.Rules(confidence=confidence, cache_dir=_trusted_cache_dir())


def cache_status(confidence: Confidence = DEFAULT_CONFIDENCE) -> str:
    """Whether this process's rules came from the cache (``loaded``), were compiled and
    stored, or compiled without a usable cache (``bypassed``): logged at proxy start."""
    return load_rules(confidence).cache_status


@functools.cache
def _scanner(confidence: Confidence) -> kingfisher_sdk.Scanner:
    # No DetectionPolicy: its inline ignores would let the scanned text (the agent's) switch
    # detection off with a ``kingfisher:ignore`` comment. Base64 decoding is the engine's job.
    import kingfisher_sdk

    return kingfisher_sdk.Scanner(load_rules(confidence), base64=False)


def rule_patterns(confidence: Confidence) -> list[str]:
    """Every rule's pattern at ``confidence`` (invisible composite parts too), as Kingfisher
    compiles it into its Vectorscan database: what `bb_dlp.gate` builds its prefilter from."""
    return _patterns_of(load_rules(confidence))


def _patterns_of(rules: kingfisher_sdk.Rules) -> list[str]:
    return [rules.detail(m["id"])["pattern"] for m in rules.metadata()]


@functools.cache
def kingfisher_version() -> str:
    """The installed Kingfisher's version, from its ``dist-info`` folder name: importing the
    package (its native module) is what the gate is there to avoid."""
    spec = importlib.util.find_spec("kingfisher_sdk")
    if spec is None or spec.origin is None:
        return "absent"
    site = Path(spec.origin).parent.parent
    found = sorted(site.glob("kingfisher_secret_scanner-*.dist-info"))
    return found[-1].name.removesuffix(".dist-info").split("-", 1)[1] if found else "unknown"


@functools.cache
def token_gate(confidence: Confidence) -> TokenGate | None:
    """The prefilter gate for ``confidence`` from the rule cache folder (built and stored
    there on a miss), or ``None`` where there is no cache folder: compiling it costs seconds,
    which only pays when the next process reuses it."""
    directory = rule_cache_dir()
    if directory is None:
        return None
    return TokenGate(directory, confidence, kingfisher_version(), lambda: rule_patterns(confidence))


@functools.cache
def _own_rule_set() -> RuleSet:
    return own_rule_set()


def own_rule_set(cache_dir: Path | None = None) -> RuleSet:
    """Our kept rules as one Hyperscan prefilter, cached as ``kept-rules`` in ``cache_dir``
    (else ``BB_DLP_CACHE_DIR``; `bb_dlp.config.precompile_static` writes it)."""
    return RuleSet([r.hyperscan_pattern for r in _OWN], cache="kept-rules", cache_dir=cache_dir)


def _own_name(rule: TokenRule) -> str:
    return f"{rule.provider} ({rule.id}, bot-bottle rule)"


@functools.cache
def _rule_names(confidence: Confidence) -> dict[str, str]:
    names = {m["id"]: m["name"] for m in load_rules(confidence).metadata() if m["visible"]}
    names.update({OWN_PREFIX + r.id: _own_name(r) for r in _OWN})
    return names


def _known_ids() -> frozenset[str]:
    """Every rule id any confidence level knows (for naming a typo, not for scanning)."""
    return frozenset(_rule_names("low")) | frozenset(_rule_names("high"))


def precompile_rules(
    cache_dir: Path, confidences: Iterable[Confidence] = CONFIDENCES
) -> dict[str, str]:
    """Compile Kingfisher's rules at each confidence into ``cache_dir`` (or load them from
    it); returns Kingfisher's cache status per level (loaded, stored or bypassed).

    Files it stores are made readable by all: they hold no secret, and the images bake them
    at build time (``python -m bb_dlp.catalogue DIR``) for a proxy that runs as another user
    on a read-only root and only reads them. The image's cache (``BB_DLP_RULE_CACHE_DIR``),
    else this user's (``~/.cache/bot-bottle/dlp/kingfisher``, refilled after a compile),
    seeds ``cache_dir`` instead of a compile: the git gate fills its state dir this way for
    its hook, whose scrubbed environment names only that one.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    explicit = os.environ.get(RULE_CACHE_VAR, "")
    shared = user_cache_dir() / "kingfisher"
    for seed in (Path(explicit) if explicit else None, shared):
        if seed is not None and seed.is_dir() and seed.resolve() != cache_dir.resolve():
            _copy_files(seed, cache_dir)
            break
    import kingfisher_sdk

    status: dict[str, str] = {}
    gates_built = False
    for c in confidences:
        rules = kingfisher_sdk.Rules(confidence=c, cache_dir=cache_dir)
        status[c] = rules.cache_status
        patterns = functools.partial(_patterns_of, rules)
        gates_built |= not TokenGate(cache_dir, c, kingfisher_version(), patterns).loaded
    if "stored" in status.values() or gates_built:
        cache_dir.chmod(0o755)
        for path in cache_dir.iterdir():
            path.chmod(0o644)
        with contextlib.suppress(OSError):  # best effort: the next state dir starts from it
            shared.mkdir(parents=True, exist_ok=True)
            _copy_files(cache_dir, shared)
    return status


_ESCAPES: Final = (
    (b"\\n", b"\n"),
    (b'\\"', b'"'),
    (b"\\/", b"/"),
    (b"\\t", b"\t"),
    (b"\\r", b"\r"),
)


_JSON_PARSE_MAX: Final = 1 << 20
"""Larger bodies get the byte splits: walking a huge document (an array of a million
numbers) in Python would cost more than it saves."""


def _json_strings(data: bytes) -> bytes | None:
    """Every string (keys too) of a JSON document, one per line; ``None`` if it is not JSON.

    ``json.loads`` decodes every escape (``\\uXXXX`` included) in one C pass, and an LLM
    request holds few strings, so this is about twice as fast as byte replacements."""
    try:
        stack: list[object] = [json.loads(data)]
    except (ValueError, RecursionError):
        return None
    out: list[str] = []
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            out.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return "\n".join(out).encode("utf-8", "surrogatepass")


def _looks_like_json(data: bytes) -> bool:
    """True when ``data`` starts with ``{`` or ``[`` and ends with the matching bracket
    (NULs stripped too: UTF-16-LE JSON ends ``}\\x00``)."""
    first = data[:64].lstrip()[:1]
    last = data[-64:].rstrip(b" \t\r\n\x00")[-1:]
    return (first, last) in ((b"{", b"}"), (b"[", b"]"))


def json_unescaped(data: bytes) -> bytes | None:
    """The text of ``data``'s JSON strings with their escapes undone, or ``None`` when it
    holds no backslash.

    A token pasted into a chat message reaches the proxy as ``...key:\\nghp_...\\"``: the
    ``n`` touches the token and the rules' word boundaries fail, and a rule that wants the
    quotes around a header value (``-H "Authorization: Bearer ..."``) sees backslashes.
    A JSON document is parsed (its strings, keys too, one per line); anything else, such as
    a truncated body, gets ``\\n``, ``\\"``, ``\\/``, ``\\t``, ``\\r`` undone by byte splits
    (an escaped backslash is not special-cased there: the view only adds word boundaries).
    Findings are located back in the bytes as sent.
    """
    if b"\\" not in data:
        return None
    # A document must end as it starts: a body cut short (the parse would read it all, then
    # fail) goes straight to the byte splits.
    if len(data) <= _JSON_PARSE_MAX and _looks_like_json(data):
        strings = _json_strings(data)
        if strings is not None:
            return strings
    out = data
    for escape, char in _ESCAPES:
        if escape in out:
            out = char.join(out.split(escape))  # faster than replace() on many hits
    return out if len(out) != len(data) else None


class Catalogue:
    """The token rules one bottle scans with: a confidence level, minus the rules turned off.

    Immutable and shared across threads (Kingfisher's scanner and Hyperscan's per-thread
    scratch are both safe for concurrent scans).

    Kingfisher itself is loaded lazily: the first view the prefilter gate (`bb_dlp.gate`)
    opens for, or the first use of `names`/`len`/`cache_status` (the proxy asks at start, so
    it pays the load there, not on a request). A closed gate skips Kingfisher's scan.
    """

    def __init__(
        self,
        confidence: str = DEFAULT_CONFIDENCE,
        disabled: Iterable[str] = (),
        *,
        gated: bool = True,
    ) -> None:
        """``confidence``: low, medium or high. ``disabled``: exact rule ids (Kingfisher's,
        or ``bb.``-prefixed ours); an unknown one is a `DlpConfigError` naming it (which
        loads Kingfisher: its rule ids say what is a typo). ``gated=False`` runs Kingfisher on
        every view (the recall tests compare both)."""
        if confidence not in CONFIDENCES:
            raise DlpConfigError(
                f"unknown token-rule confidence {confidence!r} (known: {', '.join(CONFIDENCES)})"
            )
        self.confidence: Confidence = confidence
        self.disabled = frozenset(d.strip() for d in disabled if d.strip())
        if self.disabled:
            self._check_disabled()
        self._own = tuple(r for r in _OWN if OWN_PREFIX + r.id not in self.disabled)
        self._gate = token_gate(confidence) if gated else None

    def _check_disabled(self) -> None:
        unknown = sorted(self.disabled - _rule_names(self.confidence).keys())
        if unknown:
            known = _known_ids()
            for rule_id in unknown:
                if rule_id in known:
                    continue  # a rule of another confidence level: turning it off is harmless
                hint = _suggest(rule_id, known)
                raise DlpConfigError(f"unknown token rule {rule_id!r} to turn off{hint}")

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """Rule id -> name of every enabled rule (Kingfisher's visible ones and ours)."""
        names = _rule_names(self.confidence)
        return {k: v for k, v in names.items() if k not in self.disabled}

    @property
    def gate_loaded(self) -> bool:
        """Whether the prefilter gate is in use and came from the cache (nothing compiled)."""
        return self._gate is not None and self._gate.loaded

    def __len__(self) -> int:
        return len(self.names)

    @property
    def cache_status(self) -> str:
        """Kingfisher's cache outcome for these rules: ``loaded`` (from the disk cache),
        ``stored`` (compiled, then cached) or ``bypassed`` (compiled, no usable cache)."""
        return load_rules(self.confidence).cache_status

    def scan(self, data: bytes) -> list[TokenHit]:
        """Every visible match of an enabled rule in ``data`` (offsets into ``data``)."""
        if not data:
            return []
        hits: list[TokenHit] = []
        if self._gate is None or self._gate.opens(data):
            hits.extend(self._scan_kingfisher(data))
        if self._own:
            hits.extend(self._scan_own(data))
        return hits

    def _scan_kingfisher(self, data: bytes) -> list[TokenHit]:
        hits: list[TokenHit] = []
        for f in _scanner(self.confidence).scan(data):
            if not f.visible or f.rule_id not in self.names:
                continue  # invisible: a component of a composite rule; or turned off
            loc = f.location
            if is_placeholder(f.secret.encode("utf-8", "surrogateescape")):
                continue
            hits.append(
                TokenHit(f.rule_id, f.rule_name, loc["start_offset"], loc["end_offset"], "high")
            )
        return hits

    def _scan_own(self, data: bytes) -> list[TokenHit]:
        hits: list[TokenHit] = []
        for idx in sorted(_own_rule_set().which(data)):
            rule = _OWN[idx]
            if rule not in self._own:
                continue  # turned off
            group = "secret" if "secret" in rule.regex.groupindex else 0
            for m in rule.regex.finditer(data):
                s, e = m.span(group)
                token = data[s:e]
                if shannon_entropy(token) >= rule.min_entropy and not is_placeholder(token):
                    rid = OWN_PREFIX + rule.id
                    hits.append(TokenHit(rid, _own_name(rule), s, e, rule.severity))
        return hits


def _suggest(rule_id: str, known: frozenset[str]) -> str:
    import difflib

    close = difflib.get_close_matches(rule_id, sorted(known), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def main(argv: list[str] | None = None) -> int:
    """``python -m bb_dlp.catalogue DIR``: precompile the rule cache into DIR (image build)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bb_dlp.catalogue CACHE_DIR", file=sys.stderr)
        return 2
    status = precompile_rules(Path(args[0]))
    print(f"Kingfisher rule cache in {args[0]}: {status}")
    if "bypassed" in status.values():
        print("Kingfisher refused to use the cache directory (ownership or mode)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

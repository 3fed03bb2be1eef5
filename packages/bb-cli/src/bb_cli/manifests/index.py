"""Find manifests lazily and load exactly what one agent needs.

Where manifests live, lowest priority first (a later directory's file of the same name
wins): the examples bundled with bb-cli, the user's config directory
(``$XDG_CONFIG_HOME/bot-bottle``, else ``~/.config/bot-bottle``), and ``./.bot-bottle/`` of
the working directory. Each holds ``agents/*.md`` and ``bottles/*.md``.

Listing reads only directory entries (no file is opened), so ``bb list`` and the picker stay
fast with many manifests and one broken file does not break the listing; `load_for_agent`
parses the chosen agent and its bottle chain only.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bb_cli.errors import ExtendsCycleError, ManifestError, ManifestNotFoundError
from bb_cli.manifests.merge import effective_bottle
from bb_cli.manifests.models import NAME_PATTERN, AgentManifest, BottleManifest, LoadedManifest
from bb_cli.manifests.parse import parse_manifest

__all__ = [
    "ManifestIndex",
    "bundled_dir",
    "default_search_dirs",
    "did_you_mean",
    "user_config_dir",
]

Kind = Literal["agents", "bottles"]


def bundled_dir() -> Path:
    """The examples shipped inside bb-cli (the zero-config quickstart)."""
    return Path(__file__).resolve().parent.parent / "examples"


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/bot-bottle``, else ``~/.config/bot-bottle``."""
    env = os.environ if environ is None else environ
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "bot-bottle"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "bot-bottle"


def default_search_dirs(
    cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """Bundled, then user config, then ``./.bot-bottle`` (the last one wins)."""
    return [bundled_dir(), user_config_dir(environ), (cwd or Path.cwd()) / ".bot-bottle"]


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known`` to a misspelt ``name``, else ''."""
    close = difflib.get_close_matches(name, list(known), n=2, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def _why_ignored(path: Path) -> str | None:
    """Why a file in ``agents/`` or ``bottles/`` is not a manifest, or None if it is one."""
    if path.name.startswith(".") or path.is_dir():
        return None  # editor swap files, hidden files and directories are not meant
    if path.suffix != ".md":
        return "only NAME.md files are manifests"
    if not NAME_PATTERN.match(path.stem):
        return (
            f"{path.stem!r} is not a manifest name (lower-case letters, digits and inner "
            "dashes, at most 42 characters)"
        )
    return None


@dataclass(frozen=True)
class ManifestIndex:
    """The manifest names visible from some directories; nothing parsed until asked."""

    search_dirs: Sequence[Path]
    """Lowest priority first."""

    @classmethod
    def default(
        cls, cwd: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> ManifestIndex:
        """The index the CLI uses."""
        return cls(tuple(default_search_dirs(cwd, environ)))

    def _files(self, kind: Kind) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for directory in self.search_dirs:
            sub = directory / kind
            try:
                entries = sorted(sub.iterdir())
            except (FileNotFoundError, NotADirectoryError):
                continue
            for path in entries:
                if path.suffix == ".md" and NAME_PATTERN.match(path.stem):
                    found[path.stem] = path
        return found

    def ignored(self) -> list[tuple[Path, str]]:
        """Files in a manifest directory that are not read, each with why (to warn about)."""
        out: list[tuple[Path, str]] = []
        for directory in self.search_dirs:
            for kind in ("agents", "bottles"):
                try:
                    entries = sorted((directory / kind).iterdir())
                except (FileNotFoundError, NotADirectoryError):
                    continue
                out += [(path, why) for path in entries if (why := _why_ignored(path))]
        return out

    def describe_agent(self, name: str) -> str:
        """The agent's ``description`` (its bottle's when it has none), or '' (for pickers)."""
        try:
            agent, _ = self.load_agent(name)
            if agent.description:
                return agent.description
            bottle, _ = self.load_bottle(agent.bottle)
        except ManifestError as exc:
            return f"(invalid: {str(exc).splitlines()[0]})"
        return bottle.description or ""

    def agents(self) -> dict[str, Path]:
        """Agent name -> the file that wins (directory listing only)."""
        return self._files("agents")

    def bottles(self) -> dict[str, Path]:
        """Bottle name -> the file that wins (directory listing only)."""
        return self._files("bottles")

    def _path(self, kind: Kind, name: str, wanted_by: str = "") -> Path:
        files = self._files(kind)
        if name not in files:
            known = ", ".join(sorted(files)) or "none"
            where = ", ".join(str(d / kind) for d in self.search_dirs)
            why = f" (wanted by {wanted_by})" if wanted_by else ""
            hint = did_you_mean(name, sorted(files))
            ignored = [
                f"{path} ({reason})" for path, reason in self.ignored() if path.parent.name == kind
            ]
            skipped = f"; ignored: {'; '.join(ignored)}" if ignored else ""
            raise ManifestNotFoundError(
                f"no {kind[:-1]} named {name!r}{why}{hint}; known: {known}; looked in {where}"
                + skipped
            )
        return files[name]

    def load_agent(self, name: str) -> tuple[AgentManifest, Path]:
        """Parse one agent manifest."""
        path = self._path("agents", name)
        return parse_manifest(
            _read(path), str(path), AgentManifest, body_field="instructions"
        ), path

    def load_bottle(self, name: str, wanted_by: str = "") -> tuple[BottleManifest, Path]:
        """Parse one bottle manifest (its own settings, ``extends`` not applied)."""
        path = self._path("bottles", name, wanted_by)
        return parse_manifest(_read(path), str(path), BottleManifest), path

    def load_for_agent(self, name: str) -> LoadedManifest:
        """The agent and its effective bottle: chain merged, agent's git user overlaid."""
        agent, agent_path = self.load_agent(name)
        chain: list[tuple[str, BottleManifest]] = []
        sources = [str(agent_path)]
        current: str | None = agent.bottle
        wanted_by = str(agent_path)
        while current is not None:
            seen = [n for n, _ in chain]
            if current in seen:
                loop = " -> ".join([*seen, current])
                raise ExtendsCycleError(f"'extends' cycle: {loop}", file=wanted_by)
            bottle, path = self.load_bottle(current, wanted_by)
            chain.append((current, bottle))
            sources.append(str(path))
            wanted_by = str(path)
            current = bottle.extends
        effective = effective_bottle(chain)
        if agent.git_user is not None:
            effective = effective.model_copy(update={"git_user": agent.git_user})
        return LoadedManifest(
            agent_name=name, agent=agent, bottle=effective, sources=tuple(sources)
        )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read: {exc}", file=str(path)) from None

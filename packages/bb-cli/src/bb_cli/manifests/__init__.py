"""Agent and bottle manifests: markdown files with YAML frontmatter.

`ManifestIndex` finds them (listing reads names only) and `ManifestIndex.load_for_agent`
returns a `LoadedManifest`: one agent, one effective bottle. Errors are `ManifestError`s
naming file, line and field.
"""

from __future__ import annotations

from bb_cli.manifests.index import ManifestIndex, bundled_dir, default_search_dirs, user_config_dir
from bb_cli.manifests.merge import effective_bottle
from bb_cli.manifests.models import (
    AgentManifest,
    BottleManifest,
    Dlp,
    EffectiveBottle,
    Forge,
    GitUser,
    LoadedManifest,
    Mount,
    Repo,
    Resources,
    Runtime,
)
from bb_cli.manifests.parse import parse_manifest, split_frontmatter

__all__ = [
    "AgentManifest",
    "BottleManifest",
    "Dlp",
    "EffectiveBottle",
    "Forge",
    "GitUser",
    "LoadedManifest",
    "ManifestIndex",
    "Mount",
    "Repo",
    "Resources",
    "Runtime",
    "bundled_dir",
    "default_search_dirs",
    "effective_bottle",
    "parse_manifest",
    "split_frontmatter",
    "user_config_dir",
]

"""Reading the gate's config: the schema is the contract, `bb_protocol.gitgate.GateConfig`.

The host writes ``gate.yaml`` from the bottle's manifest with the same model
(`bb_protocol.gitgate.dump_gate_config`); here it is read back and validated, and any
problem becomes a `ConfigError` naming the file and the field, so the gate refuses to start.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from bb_gitgate.errors import ConfigError
from bb_protocol.gitgate import GateConfig

__all__ = ["load_config"]


def load_config(path: Path) -> GateConfig:
    """Read and validate the config at ``path`` (YAML or JSON); raise `ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read gate config {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"gate config {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"gate config {path} must be a mapping at the top level")
    try:
        return GateConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"gate config {path} is invalid: {problems}") from exc

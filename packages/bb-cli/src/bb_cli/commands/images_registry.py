"""``bb images publish`` and ``bb images index``: push images to a registry and read it back.

Registered on the ``bb images`` group (`bb_cli.commands.images`). The registry's own tag
lists and image labels are the index (`bb_cli.images.registry`); docs/distribution.md.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bb_cli.commands._common import require_engine
from bb_cli.errors import UsageError

__all__ = ["index", "publish", "stale_build"]

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help="The registry: host, port and optional path (127.0.0.1:5000, ghcr.io/acme); "
        "default: $BB_REGISTRY or `registry` in ~/.config/bot-bottle/config.toml.",
    ),
]


def _registry(value: str | None) -> object:
    from bb_cli.images.errors import RegistryError
    from bb_cli.images.registry import config_path, parse_registry, registry_setting

    if value is not None:
        try:
            return parse_registry(value)
        except ValueError as exc:
            raise UsageError(f"--registry: {exc}") from None
    configured = registry_setting()
    if configured is None:
        raise RegistryError(
            f"no registry given: pass --registry HOST:PORT, set $BB_REGISTRY, or set "
            f'registry = "host:port" in {config_path()}'
        )
    return configured


def _components(given: list[str] | None, default: tuple[str, ...]) -> list[str]:
    from bb_cli.images.catalog import COMPONENTS

    wanted = given or list(default)
    unknown = sorted(set(wanted) - set(COMPONENTS))
    if unknown:
        raise UsageError(
            f"unknown component(s) {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}"
        )
    return [c for c in COMPONENTS if c in wanted]


def stale_build(root: object, spec: object) -> bool:
    """True when the local image's inputs label differs from this checkout's sources."""
    from pathlib import Path

    from bb_cli.engine import default_engine
    from bb_cli.images.base import BASE_IMAGE
    from bb_cli.images.catalog import LABEL_INPUTS, ImageSpec, image_specs, inputs_digest
    from bb_protocol import PROTOCOL_VERSION

    assert isinstance(root, Path)
    assert isinstance(spec, ImageSpec)
    engine = default_engine()
    if spec.base_component is None:
        parent = engine.image_id(BASE_IMAGE)
    else:
        (base,) = image_specs(root, [spec.base_component])
        parent = engine.image_id(base.ref)
    built = engine.image_labels(spec.ref).get(LABEL_INPUTS)
    if parent is None or built is None:
        return False  # publish_images reports the missing image itself
    return built != inputs_digest(root, spec, base_image_id=parent, protocol=PROTOCOL_VERSION)


def publish(
    component: Annotated[
        list[str] | None,
        typer.Argument(
            help="Components to publish (egress, supervise, gitgate, agent, agent-claude, "
            "agent-codex); the core four (egress, supervise, gitgate, agent) by default."
        ),
    ] = None,
    registry: RegistryOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a published version that holds other content."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Push this checkout's built images, each under its own version, to a registry.

    `bot-bottle-egress:0.1.0` becomes REG/bot-bottle/egress:0.1.0, labels kept (component,
    version, protocol, inputs digest): they are the index `bb start` reads. An image the
    registry already holds is not pushed again; a published version holding other content
    is refused (bump the package's version).

    Example: bb images publish --registry 127.0.0.1:5000 egress
    """
    from rich.console import Console

    from bb_cli.images import cache_dir, find_source_tree, image_specs
    from bb_cli.images.catalog import CORE_COMPONENTS
    from bb_cli.images.console import RichReporter
    from bb_cli.images.publish import publish_images
    from bb_cli.images.registry import Registry, RegistryClient

    wanted = _components(component, CORE_COMPONENTS)
    target = _registry(registry)
    assert isinstance(target, Registry)
    require_engine()
    root = find_source_tree()
    specs = image_specs(root, wanted)  # type: ignore[arg-type]
    console = Console(stderr=True)
    with RichReporter(console) as reporter:
        for spec in specs:
            if stale_build(root, spec):
                reporter.warn(
                    f"{spec.ref} was not built from this checkout as it is now (its inputs "
                    f"digest differs): run `bb images build {spec.component}` to publish "
                    "what the sources say"
                )
        outcomes = publish_images(
            RegistryClient(target),
            {spec.component: spec.ref for spec in specs},
            reporter,
            cache_dir() / "logs",
            force=force,
        )
    if as_json:
        rows = [
            {
                "component": o.component,
                "ref": o.ref,
                "digest": o.digest,
                "version": o.version,
                "protocol": o.protocol,
                "status": o.status,
                "seconds": round(o.seconds, 2),
            }
            for o in outcomes
        ]
        typer.echo(json.dumps({"registry": str(target), "images": rows}, indent=2))
    else:
        pushed = sum(o.status != "unchanged" for o in outcomes)
        console.print(f"[bold]{pushed} pushed, {len(outcomes) - pushed} unchanged[/] ({target})")


def index(
    component: Annotated[
        list[str] | None,
        typer.Argument(help="Components to list; all by default."),
    ] = None,
    registry: RegistryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List what a registry holds: each component's versions and the protocol each speaks.

    `compatible` says whether this CLI can talk to it; `bb start` picks the newest
    compatible version of each component.

    Example: bb images index --registry 127.0.0.1:5000 --json
    """
    from rich.console import Console
    from rich.table import Table

    from bb_cli.images.catalog import COMPONENTS, parse_version
    from bb_cli.images.registry import Registry, RegistryClient
    from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

    target = _registry(registry)
    assert isinstance(target, Registry)
    client = RegistryClient(target)
    rows: list[dict[str, object]] = []
    for name in _components(component, COMPONENTS):
        found = sorted(client.index(name), key=lambda p: parse_version(p.version))
        for p in found:
            problem = p.mismatch()
            rows.append(
                {
                    "component": name,
                    "version": p.tag,
                    "protocol": p.protocol,
                    "digest": p.digest,
                    "ref": target.pinned(name, p.digest),
                    "compatible": problem is None and int(p.protocol) in ACCEPTED_PROTOCOL_VERSIONS,
                    "problem": problem or "",
                }
            )
    if as_json:
        typer.echo(json.dumps({"registry": str(target), "images": rows}, indent=2))
        return
    table = Table("component", "version", "protocol", "compatible", "digest")
    for row in rows:
        table.add_row(
            str(row["component"]),
            str(row["version"]),
            str(row["protocol"]),
            "yes" if row["compatible"] else f"no {row['problem']}",
            str(row["digest"])[:19],
        )
    Console().print(table)

"""``bb doctor``: check the host can run hardened bottles, each failure with its fix."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bb_cli.engine import Engine

__all__ = [
    "DEFAULT_ADDRESS_POOLS",
    "Check",
    "address_pool_room",
    "doctor",
    "images_check",
    "registry_check",
    "run_checks",
]

DEFAULT_ADDRESS_POOLS: tuple[tuple[str, int], ...] = (
    *((f"172.{n}.0.0/16", 16) for n in range(17, 32)),
    ("192.168.0.0/16", 20),
)
"""The engine's built-in pools (base, size) when ``default-address-pools`` is not set: 31
networks in all. Each bottle takes two (internal and egress), which caps a host at about 15
bottles (measured by ``benchmarks fleet --bottles``, docs/scale-out.md)."""

NETWORKS_PER_BOTTLE = 2
"""A bottle's networks: the internal one (agent, sidecars) and the egress one (a bottle
with a git gate takes a third, so the room shown is an upper bound)."""


SETUP = "run `sudo scripts/setup-host.sh` from bot-bottle's repository (Debian/Ubuntu)"
"""The one command that brings a host to what ``bb`` needs (engine, compose, gitleaks, uv)."""

IMAGES_FIX = (
    "set $BB_REGISTRY to a registry with published images (`bb start` pulls them), or run "
    "`bb images build` in a checkout"
)


@dataclass(frozen=True)
class Check:
    """One check's outcome."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _gateway_isolation(docker: Engine) -> Check:
    """Create and remove a throwaway internal network with isolated gateway modes."""
    import secrets

    from bb_cli.backends.compose.checks import check_network
    from bb_cli.engine import DockerCommandError

    name = f"bb-doctor-{secrets.token_hex(4)}"
    try:
        docker.run(
            "network",
            "create",
            "--internal",
            "--ipv6=false",
            "-o",
            "com.docker.network.bridge.gateway_mode_ipv4=isolated",
            "-o",
            "com.docker.network.bridge.gateway_mode_ipv6=isolated",
            "--label",
            "org.bot-bottle.doctor=1",
            name,
            timeout=60,
        )
        problems = check_network(docker.inspect("network", name))
    except DockerCommandError as exc:
        problems = [str(exc)]
    finally:
        docker.run("network", "rm", name, check=False, timeout=60)
    return Check(
        "gateway isolation",
        not problems,
        "; ".join(problems) or "internal network with isolated gateways works",
        "" if not problems else "use Docker Engine >= 28 on Linux (bridge driver)",
    )


def _runtimes(docker: Engine) -> Check:
    """The OCI runtimes registered with the engine: what a bottle's ``runtime:`` may name."""
    from bb_cli.engine import DockerCommandError

    try:
        info = docker.info()
    except DockerCommandError as exc:
        return Check("runtimes", False, str(exc), "check that the engine answers `docker info`")
    names = sorted(info.get("Runtimes") or {})
    default = info.get("DefaultRuntime") or "?"
    return Check(
        "runtimes",
        bool(names),
        f"registered: {', '.join(names) or 'none'} (default {default}); a bottle's `runtime:` "
        "must name one of them",
        "" if names else "the engine reports no OCI runtime; reinstall Docker Engine",
    )


def address_pool_room(pools: list[tuple[str, int]] | None, networks_in_use: int) -> Check:
    """How many more bottles the engine's address pools hold (pure: pools as (base, size)).

    ``pools`` is ``docker info``'s ``DefaultAddressPools`` (None or empty: the built-in ones).
    Fails when not even one more bottle fits, since ``bb start`` would then fail to create
    its networks ("all predefined address pools have been fully subnetted").
    """
    import ipaddress

    chosen = list(pools or DEFAULT_ADDRESS_POOLS)
    total = 0
    for base, size in chosen:
        prefix = ipaddress.ip_network(base, strict=False).prefixlen
        total += 2 ** max(size - prefix, 0)
    free = max(total - networks_in_use, 0)
    room = free // NETWORKS_PER_BOTTLE
    fix = (
        "give the engine more address pools: in /etc/docker/daemon.json set "
        '"default-address-pools": [{"base": "10.200.0.0/16", "size": 24}] '
        "(256 networks, 128 bottles), then restart dockerd"
    )
    return Check(
        "address pools",
        room >= 1,
        f"{free} of {total} networks free: room for {room} more bottle(s) "
        f"({NETWORKS_PER_BOTTLE} networks each)",
        "" if room >= 1 else fix,
    )


def _pools(docker: Engine) -> Check:
    """`address_pool_room` over the engine's pools and its bridge networks in use."""
    from bb_cli.engine import DockerCommandError

    try:
        info = docker.info()
        listed = docker.run("network", "ls", "--filter", "driver=bridge", "-q", timeout=30)
    except DockerCommandError as exc:
        return Check("address pools", False, str(exc), "check that the engine answers")
    pools = [(p["Base"], int(p["Size"])) for p in info.get("DefaultAddressPools") or []]
    return address_pool_room(pools, len(listed.stdout.split()))


def registry_check() -> Check:
    """The configured registry answers (a registry is optional: none is not a failure)."""
    from bb_cli.images.errors import RegistryError
    from bb_cli.images.registry import RegistryClient, registry_setting

    try:
        registry = registry_setting()
        if registry is None:
            return Check("registry", True, "none configured ($BB_REGISTRY): images are local")
        RegistryClient(registry, timeout=5).ping()
    except RegistryError as exc:
        return Check("registry", False, str(exc), "fix $BB_REGISTRY or unset it")
    return Check("registry", True, f"{registry} answers")


def images_check(engine: Engine, registry: Check) -> Check:
    """The core images are local, or a configured registry that answers will provide them."""
    from bb_cli.images import missing_images

    try:
        missing = missing_images(engine=engine)
    except Exception as exc:
        return Check("images", False, str(exc), IMAGES_FIX)
    if not missing:
        return Check("images", True, "all present")
    if registry.ok and "none configured" not in registry.detail:
        return Check(
            "images",
            True,
            f"not local: {', '.join(missing)}; `bb start` pulls them ({registry.detail})",
        )
    return Check("images", False, f"missing: {', '.join(missing)}", IMAGES_FIX)


def run_checks(engine: Engine | None = None) -> list[Check]:
    """Engine version, compose v2, images, gateway isolation, runtimes, address pools
    (asked of ``engine``, by default the real one)."""
    from bb_cli.backends.compose.checks import check_engine_version
    from bb_cli.engine import DockerCommandError, default_engine

    docker = engine or default_engine()
    checks: list[Check] = []
    try:
        version = docker.server_version()
    except DockerCommandError as exc:
        return [
            Check(
                "docker engine",
                False,
                str(exc),
                f"install Docker Engine >= 28 and start it: {SETUP}",
            )
        ]
    problems = check_engine_version(version)
    checks.append(
        Check(
            "docker engine",
            not problems,
            "; ".join(problems) or f"Engine {version}",
            f"upgrade to Docker Engine >= 28: {SETUP}" if problems else "",
        )
    )
    compose = docker.run("compose", "version", "--short", check=False, timeout=30)
    major = compose.stdout.strip().lstrip("v").split(".")[0]
    ok = compose.returncode == 0 and major.isdigit() and int(major) >= 2
    checks.append(
        Check(
            "docker compose v2",
            ok,
            compose.stdout.strip() or compose.stderr.strip(),
            "" if ok else f"install the docker compose v2 plugin: {SETUP}",
        )
    )
    registry = registry_check()
    checks.append(images_check(docker, registry))
    checks.append(registry)
    checks.append(_gateway_isolation(docker))
    checks.append(_runtimes(docker))
    checks.append(_pools(docker))
    return checks


def doctor(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Check this host can run hardened bottles; print the fix for each failure.

    Example: bb doctor --json
    """
    from bb_cli.backends.availability import backend_availability

    checks = run_checks()
    backends = [  # informational: a backend this machine cannot run is not a failure
        Check(f"backend {b.name}", b.available, b.reason) for b in backend_availability()
    ]
    if as_json:
        typer.echo(json.dumps([asdict(c) for c in checks + backends], indent=2))
    else:
        from rich.console import Console

        console = Console()
        for c in checks:
            mark = "[green]ok[/]" if c.ok else "[red]FAIL[/]"
            console.print(
                f"{mark}  {c.name}: {c.detail}" + (f"\n      fix: {c.fix}" if c.fix else "")
            )
        console.print("backends this machine can run:")
        for c in backends:
            mark = "[green]yes[/]" if c.ok else "[yellow]no[/] "
            console.print(f"  {mark}  {c.name}: {c.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(4)

"""Pick a component's image from the configured registry, pull it, and pin it by digest.

The registry's index (`RegistryClient.index`: tags and their labels) is read first; the
newest version whose protocol this CLI accepts is chosen, and pulled by digest
(``REG/bot-bottle/egress@sha256:…``) unless the engine already holds it. A tag whose labels
contradict it (another component, a version label that is not the tag) is never chosen,
and the user is told why. When no version is compatible, the error names each version
and the protocol it speaks, and the protocols this CLI speaks.

What a bottle ran is pinned by digest in its record (`pin`), and ``bb resume`` checks the
same pins again (`verify_pinned`) before running them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from bb_cli.engine import Engine, default_engine
from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_PROTOCOL, Component, parse_version
from bb_cli.images.errors import ImageRefusedError, ImagesMissingError
from bb_cli.images.progress import Reporter
from bb_cli.images.registry import Published, RegistryClient
from bb_cli.images.transfer import pull, tag

__all__ = ["choose", "pin", "resolve_from_registry", "use_pinned", "verify_pinned"]


def _speaks(accepted: Collection[int]) -> str:
    return ", ".join(str(v) for v in sorted(accepted))


def choose(
    component: str, index: Iterable[Published], accepted: Collection[int]
) -> tuple[Published, list[str]]:
    """The newest published version of ``component`` this CLI can talk to, and notes.

    Notes say which tags were passed over and why (labels that contradict the tag, a newer
    protocol). Raises `ImagesMissingError` when nothing was published and
    `ImageRefusedError`, naming every version and its protocol, when nothing is compatible.
    """
    notes: list[str] = []
    compatible: list[tuple[tuple[int, ...], Published]] = []
    incompatible: list[Published] = []
    for published in index:
        why = published.mismatch()
        if why is not None:
            notes.append(f"{component}:{published.tag} refused: {why}")
            continue
        if int(published.protocol) in accepted:
            compatible.append((parse_version(published.version), published))
        else:
            incompatible.append(published)
    if not compatible:
        if not incompatible and not notes:
            raise ImagesMissingError(f"no {component} image is published in the registry")
        seen = "; ".join(
            [f"{p.version} speaks protocol {p.protocol}" for p in incompatible] + notes
        )
        raise ImageRefusedError(
            f"no published {component} image can talk to this CLI (it speaks protocol "
            f"{_speaks(accepted)}): {seen}. Upgrade bb, or publish a compatible {component}"
        )
    best = max(compatible, key=lambda item: item[0])[1]
    for other in incompatible:
        if parse_version(other.version) > parse_version(best.version):
            notes.append(
                f"{component} {other.version} speaks protocol {other.protocol}, which this CLI "
                f"does not (it speaks {_speaks(accepted)}); using {best.version}"
            )
    return best, notes


def verify_pinned(
    ref: str, component: str, accepted: Collection[int], *, engine: Engine | None = None
) -> None:
    """Refuse local image ``ref`` unless its labels say ``component`` and a spoken protocol."""
    labels = (engine or default_engine()).image_labels(ref)
    found = labels.get(LABEL_COMPONENT)
    if found != component:
        raise ImageRefusedError(
            f"{ref} was asked for as the {component} image but is labelled component "
            f"{found!r}; refused"
        )
    protocol = labels.get(LABEL_PROTOCOL, "")
    if not protocol.isdigit() or int(protocol) not in accepted:
        raise ImageRefusedError(
            f"{ref} ({component}) speaks protocol {protocol or 'none'}, this CLI speaks "
            f"{_speaks(accepted)}; refused"
        )


def resolve_from_registry(
    component: Component,
    client: RegistryClient,
    accepted: Collection[int],
    reporter: Reporter,
    log_dir: Path,
    *,
    engine: Engine | None = None,
) -> str:
    """Return ``REG/bot-bottle/<component>@<digest>`` of the newest compatible version.

    Pulls it (with progress) when the engine does not hold it yet, then checks the pulled
    image's own labels, so a registry that lies in its index is still refused.
    """
    engine = engine or default_engine()
    best, notes = choose(component, client.index(component), accepted)
    for note in notes:
        reporter.warn(note)
    ref = client.registry.pinned(component, best.digest)
    if engine.image_id(ref) is None:
        reporter.step(f"{component}: pulling {best.version} from {client.registry}")
        pull(ref, reporter, log_dir)
        reporter.done(f"{component}: pulled {best.version} ({best.digest[:19]}…)")
    verify_pinned(ref, component, accepted, engine=engine)
    tag(ref, client.registry.ref(component, best.version), engine=engine)  # found offline too
    return ref


def pin(ref: str, *, engine: Engine | None = None) -> str:
    """The digest form of a resolved image: kept when it has one, else the local image id.

    A pulled image is already ``repo@sha256:…``; a locally built one is pinned by its id
    (``sha256:…``), which compose runs as it is.
    """
    if "@sha256:" in ref or ref.startswith("sha256:"):
        return ref
    image_id = (engine or default_engine()).image_id(ref)
    if image_id is None:
        raise ImagesMissingError(f"{ref} is not a local image; cannot pin it")
    return image_id


def use_pinned(
    ref: str,
    component: str,
    accepted: Collection[int],
    reporter: Reporter,
    log_dir: Path,
    *,
    engine: Engine | None = None,
) -> str:
    """``bb resume``: the image a bottle's record pinned, pulled again if need be, checked.

    A ``repo@sha256:…`` pin missing locally is pulled by that digest (never a newer
    version); a local image id that is gone cannot come back, and the error says so.
    """
    engine = engine or default_engine()
    if engine.image_id(ref) is None:
        if "@sha256:" not in ref:
            raise ImagesMissingError(
                f"the {component} image this bottle ran ({ref}) is no longer on this host; "
                "`bb rm` the bottle and `bb start` a new one (or rebuild the same image)"
            )
        reporter.step(f"{component}: pulling {ref}")
        pull(ref, reporter, log_dir)
        reporter.done(f"{component}: pulled {ref}")
    verify_pinned(ref, component, accepted, engine=engine)
    return ref

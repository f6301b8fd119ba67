"""The RDF formats the export offers, and content negotiation on the ``Accept`` header."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ExportError(ValueError):
    """An export request that cannot be met: an unknown format or a bad filter value.

    ``parameter`` names the request parameter (or CLI option) at fault.
    """

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class RdfFormat:
    """An RDF serialization the export offers."""

    name: str
    media_type: str
    extension: str
    #: Whether the format keeps named graphs (claims grouped by source document).
    quads: bool
    aliases: tuple[str, ...] = ()
    #: Other media types that ask for this format.
    also: tuple[str, ...] = ()


FORMATS: dict[str, RdfFormat] = {
    f.name: f
    for f in (
        RdfFormat("turtle", "text/turtle", "ttl", False, ("ttl",), ("application/x-turtle",)),
        RdfFormat("ntriples", "application/n-triples", "nt", False, ("nt", "n-triples")),
        RdfFormat("nquads", "application/n-quads", "nq", True, ("nq", "n-quads")),
        RdfFormat("trig", "application/trig", "trig", True),
        RdfFormat("jsonld", "application/ld+json", "jsonld", False, ("json-ld",), ("application/json",)),
        RdfFormat("rdfxml", "application/rdf+xml", "rdf", False, ("rdf", "xml", "rdf-xml")),
    )
}


def format_named(name: str, parameter: str = "format") -> RdfFormat:
    """The format called ``name`` (or an alias); raises ExportError naming ``parameter``."""
    wanted = name.strip().lower()
    for fmt in FORMATS.values():
        if wanted == fmt.name or wanted in fmt.aliases:
            return fmt
    raise ExportError(parameter, f"unknown format {name!r}; use one of {', '.join(FORMATS)}")


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    """The ``(type, subtype, quality)`` of each media range in an ``Accept`` header, in order.

    Ranges without a subtype are dropped; a quality that does not parse counts as 0 (not
    acceptable), and qualities are clamped to 0..1.
    """
    ranges = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        kind, _, subtype = pieces[0].lower().partition("/")
        if not subtype:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((kind, subtype, max(0.0, min(q, 1.0))))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The media type in ``offered`` that the ``Accept`` header prefers, or None if it accepts none.

    The most specific matching range gives a type its quality (``text/turtle`` over ``text/*``
    over ``*/*``); ties go to the earlier offered type. No header (or an empty one) accepts the
    first offered type.
    """
    if accept is None or not accept.strip():
        return offered[0] if offered else None
    ranges = _media_ranges(accept)
    best: tuple[float, str] | None = None
    for media_type in offered:
        kind, _, subtype = media_type.lower().partition("/")
        quality, specificity = 0.0, -1
        for r_kind, r_subtype, q in ranges:
            if (r_kind, r_subtype) == (kind, subtype):
                match = 2
            elif r_kind == kind and r_subtype == "*":
                match = 1
            elif (r_kind, r_subtype) == ("*", "*"):
                match = 0
            else:
                continue
            if match > specificity:
                quality, specificity = q, match
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, media_type)
    return best[1] if best else None


def format_for(format_name: str | None, accept: str | None) -> RdfFormat:
    """The export format: the ``format`` parameter if given, else negotiated on ``Accept``.

    Raises ExportError naming ``format`` for an unknown name, or ``Accept`` when it accepts no
    format we offer.
    """
    if format_name is not None and format_name.strip():
        return format_named(format_name)
    offered: list[str] = []
    for fmt in FORMATS.values():
        offered.append(fmt.media_type)
    for fmt in FORMATS.values():
        offered += fmt.also
    chosen = negotiate(accept, offered)
    if chosen is None:
        raise ExportError(
            "Accept",
            f"none of {accept!r} can be served; accepted media types are "
            f"{', '.join(f.media_type for f in FORMATS.values())}, or give the format parameter "
            f"({', '.join(FORMATS)})",
        )
    return next(f for f in FORMATS.values() if chosen == f.media_type or chosen in f.also)

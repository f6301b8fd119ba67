"""The six serializers, and :func:`serialize_blocks`, which streams subject blocks in one of them.

N-Triples, N-Quads, Turtle, TriG and RDF/XML are written by pyoxigraph (Rust), one ``serialize``
call per document over a generator of all its triples: pyoxigraph writes the prefixes (or the
RDF/XML root) once and the document as it reads, so nothing here splices its output. JSON-LD is
written node by node here, compacted with the published ``@context`` (``ontology/context.jsonld``).
Either way the writer runs behind a :mod:`~milcoop.graph.export.pipe`, which hands its bytes out
every :data:`CHUNK_TRIPLES` triples.

Named graphs (TriG, N-Quads): a claim and the quantity it states go in the graph of the source
document the analyst read, ``https://w3id.org/milcoop/graph/{source id}``; everything else is in
the default graph (:func:`milcoop.graph.rdf_source.graph_of` decides, for the SPARQL store too).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import IO, Any, cast

import pyoxigraph as ox
from rdflib import RDF, XSD

from milcoop.graph.export.context import TURTLE_PREFIXES, VOCABULARY_PREFIXES, compact, published_context
from milcoop.graph.export.formats import RdfFormat
from milcoop.graph.export.pipe import Pipe, pulled
from milcoop.graph.rdf_source import StoreDump, SubjectBlock, in_graph

_DEFAULT = ox.DefaultGraph()
_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)
_RDF_TYPE = str(RDF.type)
_TRIPLE_OF = attrgetter("triple")

#: Triples per chunk handed out: large enough to amortise the hand-over, small enough that a
#: client sees its first bytes at once and memory stays flat.
CHUNK_TRIPLES = 4_096


@dataclass
class ExportStats:
    """What an export wrote, filled in as it runs (complete once the iterator is exhausted)."""

    triples: int = 0
    subjects: int = 0
    description_triples: int = 0
    bytes: int = 0
    #: "store" when read from the store, "snapshot" when replayed from a kept whole-dataset export.
    origin: str = "store"
    #: "blocks" when written subject by subject, "dump" when the store's own dump wrote the triples
    #: (then ``subjects`` is not counted and stays 0).
    written_by: str = "blocks"
    done: bool = False


def blocks_of(triples: Iterable[ox.Triple]) -> list[SubjectBlock]:
    """Triples grouped by subject into default-graph blocks, subjects in first-seen order."""
    by_subject: dict[Any, list[ox.Quad]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(ox.Quad(t.subject, t.predicate, t.object, _DEFAULT))
    return [SubjectBlock(s, quads) for s, quads in by_subject.items()]


# ------------------------------------------------------------------------------------------------
# pyoxigraph's serializers: one call per document
# ------------------------------------------------------------------------------------------------


# What the serializers read, one quad or triple at a time; chain and map keep the per-triple
# steps in C (only each block resumes Python), which the serializers' speed depends on.


def _quads(blocks: Iterable[SubjectBlock]) -> Iterator[ox.Quad]:
    return itertools.chain.from_iterable(block.quads for block in blocks)


def _regraphed(blocks: Iterable[SubjectBlock]) -> Iterator[ox.Quad]:
    return itertools.chain.from_iterable(map(in_graph, blocks))


def _triples(blocks: Iterable[SubjectBlock]) -> Iterator[ox.Triple]:
    return map(_TRIPLE_OF, _quads(blocks))


def _serialize(
    items: Iterator[ox.Quad] | Iterator[ox.Triple], out: Pipe, fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None
) -> None:
    # pyoxigraph calls only ``write`` and ``flush`` on its output.
    ox.serialize(items, cast(IO[bytes], out), fmt, prefixes=prefixes)


def _write_ntriples(blocks: Iterable[SubjectBlock], out: Pipe) -> None:
    # Default-graph quads serialize as N-Triples lines.
    _serialize(_quads(blocks), out, ox.RdfFormat.N_QUADS)


def _write_nquads(blocks: Iterable[SubjectBlock], out: Pipe) -> None:
    _serialize(_regraphed(blocks), out, ox.RdfFormat.N_QUADS)


def _write_turtle(blocks: Iterable[SubjectBlock], out: Pipe) -> None:
    _serialize(_triples(blocks), out, ox.RdfFormat.TURTLE, TURTLE_PREFIXES)


def _write_trig(blocks: Iterable[SubjectBlock], out: Pipe) -> None:
    _serialize(_regraphed(blocks), out, ox.RdfFormat.TRIG, TURTLE_PREFIXES)


def _write_rdfxml(blocks: Iterable[SubjectBlock], out: Pipe) -> None:
    # Predicates outside these namespaces get their namespace declared on their own element.
    _serialize(_triples(blocks), out, ox.RdfFormat.RDF_XML, VOCABULARY_PREFIXES)
    out.write(b"\n")  # pyoxigraph ends the document at ``</rdf:RDF>``; a text file ends with a newline


# ------------------------------------------------------------------------------------------------
# JSON-LD: compacted with the published context, one node object per subject
# ------------------------------------------------------------------------------------------------

_CANONICAL_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,14})$")


class JsonLdNodes:
    """Compacted JSON-LD, one node object per subject, in one top-level ``@graph``."""

    def __init__(self) -> None:
        context = published_context()["@context"]
        self._context = context
        self._prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
        self._classes: dict[str, str] = {}
        # predicate IRI -> (term, coercion: "@id" | datatype IRI | None, many)
        self._terms: dict[str, tuple[str, str | None, bool]] = {}
        for term, definition in context.items():
            if isinstance(definition, str):
                if term not in self._prefixes:
                    self._classes[self._expand(definition)] = term
                continue
            if "@reverse" in definition:  # reverse terms (claims, breaches) are for readers and frames
                continue
            coercion = definition.get("@type")
            if coercion is not None and coercion != "@id":
                coercion = self._expand(coercion)
            self._terms[self._expand(definition["@id"])] = (term, coercion, definition.get("@container") == "@set")

    def _expand(self, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if sep and prefix in self._prefixes:
            return self._prefixes[prefix] + rest
        return value

    def _iri(self, iri: str) -> str:
        return compact(iri, self._prefixes)

    def _node_id(self, term: Any) -> str:
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self._iri(term.value)

    def _literal(self, literal: ox.Literal, coercion: str | None) -> Any:
        datatype = literal.datatype.value
        if literal.language:
            return {"@value": literal.value, "@language": literal.language}
        if datatype == _XSD_INTEGER and _CANONICAL_INTEGER.match(literal.value):
            return int(literal.value)
        if datatype == _XSD_BOOLEAN and literal.value in ("true", "false"):
            return literal.value == "true"
        if coercion is None and datatype == _XSD_STRING:
            return literal.value
        if coercion is not None and coercion != "@id" and datatype == coercion:
            return literal.value
        if datatype == _XSD_STRING:
            return {"@value": literal.value}
        return {"@value": literal.value, "@type": self._iri(datatype)}

    def node(self, block: SubjectBlock) -> dict[str, Any]:
        node: dict[str, Any] = {"@id": self._node_id(block.subject)}
        types: list[str] = []
        values: dict[str, list[Any]] = {}
        many: dict[str, bool] = {}
        for q in block.quads:
            predicate, obj = q.predicate.value, q.object
            if predicate == _RDF_TYPE and isinstance(obj, ox.NamedNode):
                types.append(self._classes.get(obj.value) or self._iri(obj.value))
                continue
            term, coercion, is_set = self._terms.get(predicate) or (self._iri(predicate), None, False)
            if isinstance(obj, ox.Literal):
                value = self._literal(obj, coercion)
            elif coercion == "@id":
                value = self._node_id(obj)
            else:
                value = {"@id": self._node_id(obj)}
            values.setdefault(term, []).append(value)
            many[term] = is_set
        if types:
            node["@type"] = types[0] if len(types) == 1 else sorted(types)
        for term in sorted(values):
            found = values[term]
            node[term] = found if many[term] or len(found) > 1 else found[0]
        return node

    def write(self, blocks: Iterable[SubjectBlock], out: Pipe) -> None:
        out.write(b'{\n"@context": ' + json.dumps(self._context, ensure_ascii=False).encode() + b',\n"@graph": [\n')
        separator = b""
        for block in blocks:
            out.write(separator + json.dumps(self.node(block), ensure_ascii=False, separators=(",", ":")).encode())
            separator = b",\n"
        out.write(b"\n]\n}\n")


def _write_jsonld(blocks: Iterable[SubjectBlock], out: Pipe) -> None:
    JsonLdNodes().write(blocks, out)


_WRITERS: dict[str, Callable[[Iterable[SubjectBlock], Pipe], None]] = {
    "ntriples": _write_ntriples,
    "nquads": _write_nquads,
    "turtle": _write_turtle,
    "trig": _write_trig,
    "rdfxml": _write_rdfxml,
    "jsonld": _write_jsonld,
}


# ------------------------------------------------------------------------------------------------
# Streaming a document
# ------------------------------------------------------------------------------------------------


def _paced(
    blocks: Iterable[SubjectBlock],
    pipe: Pipe,
    stats: ExportStats,
    tail: Callable[[ExportStats], list[ox.Triple]] | None,
) -> Iterator[SubjectBlock]:
    """What a writer reads: the blocks, counted, with a hand-over every :data:`CHUNK_TRIPLES`
    triples; then the tail's triples, worked out once the count is known."""
    pending = 0
    for block in blocks:
        stats.subjects += 1
        stats.triples += len(block.quads)
        pending += len(block.quads)
        yield block
        # The writer is back for the next block: it has taken this one.
        if pending >= CHUNK_TRIPLES:
            pipe.hand_over()
            pending = 0
    extra = tail(stats) if tail is not None else []
    stats.description_triples = len(extra)
    yield from blocks_of(extra)


#: Bytes a dump writes between two hand-overs (pyoxigraph writes about 8 KiB at a time).
CHUNK_BYTES = 1 << 18


#: The formats a store may write itself (:meth:`~milcoop.graph.rdf_source.RdfSource.dump_writer`),
#: as pyoxigraph names them, with the prefixes the export's own writer gives them.
DUMP_FORMATS: dict[str, tuple[ox.RdfFormat, dict[str, str] | None]] = {
    "ntriples": (ox.RdfFormat.N_TRIPLES, None),
    "turtle": (ox.RdfFormat.TURTLE, TURTLE_PREFIXES),
}


class _DumpOutput:
    """The file object a store's dump writes into: hands the bytes over every :data:`CHUNK_BYTES`
    and, for N-Triples (a triple a line), counts the lines into ``stats.triples`` as they come,
    so that progress shows."""

    def __init__(self, pipe: Pipe, stats: ExportStats, lines: bool) -> None:
        self.pipe = pipe
        self.stats = stats
        self.lines = lines
        self._pending = 0

    def write(self, data: bytes) -> int:
        if self.lines:
            self.stats.triples += data.count(b"\n")
        written = self.pipe.write(data)
        self._pending += written
        if self._pending >= CHUNK_BYTES:
            self.pipe.hand_over()
            self._pending = 0
        return written

    def flush(self) -> None:
        """Nothing to do: the bytes go out at the hand-overs."""


def serialize_dump(
    dump: StoreDump,
    fmt: RdfFormat,
    stats: ExportStats | None = None,
    tail: Callable[[ExportStats], list[ox.Triple]] | None = None,
) -> Iterator[bytes]:
    """What a store's own ``dump`` writes in ``fmt`` (one of :data:`DUMP_FORMATS`), chunk by
    chunk, then ``tail``'s triples as a document of their own. No triple passes through Python."""
    stats = stats if stats is not None else ExportStats()
    stats.written_by = "dump"
    oxigraph_format, prefixes = DUMP_FORMATS[fmt.name]

    def document(pipe: Pipe) -> None:
        stats.triples = 0
        dump.write(cast(IO[bytes], _DumpOutput(pipe, stats, lines=oxigraph_format == ox.RdfFormat.N_TRIPLES)))
        stats.triples = dump.count()
        extra = tail(stats) if tail is not None else []
        stats.description_triples = len(extra)
        ox.serialize(extra, cast(IO[bytes], pipe), oxigraph_format, prefixes=prefixes)

    for chunk in pulled(document):
        stats.bytes += len(chunk)
        yield chunk
    stats.done = True


def serialize_blocks(
    blocks: Iterable[SubjectBlock],
    fmt: RdfFormat,
    stats: ExportStats | None = None,
    tail: Callable[[ExportStats], list[ox.Triple]] | None = None,
) -> Iterator[bytes]:
    """Serialize ``blocks`` in ``fmt`` as one document, chunk by chunk; ``tail`` adds triples at
    the end once the count is known (the export's description).

    ``blocks`` are read as the chunks are taken (in the writer's thread, see
    :mod:`~milcoop.graph.export.pipe`); ``stats`` is complete once the iterator is exhausted.
    """
    stats = stats if stats is not None else ExportStats()
    write = _WRITERS[fmt.name]

    def document(pipe: Pipe) -> None:
        try:
            write(_paced(blocks, pipe, stats, tail), pipe)
        finally:
            # What ``blocks`` holds must go in this thread, however the writer ended: pyoxigraph's
            # store iterators may not be dropped by another (the consumer, which still holds
            # ``blocks``, would otherwise finalize it when a client goes away).
            close = getattr(blocks, "close", None)
            if close is not None:
                close()

    for chunk in pulled(document):
        stats.bytes += len(chunk)
        yield chunk
    stats.done = True

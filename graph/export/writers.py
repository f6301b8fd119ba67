"""The six serializers, and :func:`serialize_blocks`, which streams subject blocks in one of them.

N-Triples, N-Quads, Turtle, TriG and RDF/XML chunks are written by pyoxigraph's serializers (Rust),
one call per chunk, with the prefix declarations written once at the top; JSON-LD is written node
by node here, compacted with the published ``@context`` (``ontology/context.jsonld``).

Named graphs (TriG, N-Quads): a claim and the quantity it states go in the graph of the source
document the analyst read, ``https://w3id.org/milcoop/graph/{source id}``; everything else is in
the default graph.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, XSD
from rdflib.namespace import VOID

from milcoop.graph.export.context import TURTLE_PREFIXES, VOCABULARY_PREFIXES, compact, local_name, published_context
from milcoop.graph.export.formats import RdfFormat
from milcoop.graph.rdf_source import RDF_TYPE, SubjectBlock
from milcoop.ontology.namespace import DATASET_IRI, GRAPH

_DEFAULT = ox.DefaultGraph()
_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)
_RDF_TYPE = str(RDF.type)

#: Subjects' triples per serializer call: large enough to amortise the call, small enough that a
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
    done: bool = False


def blocks_of(triples: Iterable[ox.Triple]) -> list[SubjectBlock]:
    """Triples grouped by subject into default-graph blocks, subjects in first-seen order."""
    by_subject: dict[Any, list[ox.Quad]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(ox.Quad(t.subject, t.predicate, t.object, _DEFAULT))
    return [SubjectBlock(s, quads) for s, quads in by_subject.items()]


def graph_of(block: SubjectBlock) -> ox.NamedNode | ox.DefaultGraph:
    """The named graph of a block: its claim source's graph, or the default graph."""
    if block.source is None:
        return _DEFAULT
    return ox.NamedNode(f"{GRAPH}{local_name(block.source.value)}")


def _regraphed(blocks: Sequence[SubjectBlock]) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    for block in blocks:
        graph = graph_of(block)
        if isinstance(graph, ox.DefaultGraph):
            quads += block.quads
        else:
            quads += [ox.Quad(q.subject, q.predicate, q.object, graph) for q in block.quads]
    return quads


def _serialize(items: Sequence[ox.Triple] | Sequence[ox.Quad], fmt: ox.RdfFormat, **options: Any) -> bytes:
    data = ox.serialize(items, format=fmt, **options)
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return data


def _strip_prefixes(data: bytes) -> bytes:
    # pyoxigraph starts every Turtle/TriG output with the prefix declarations; they are written
    # once, in the header.
    while data.startswith(b"@prefix "):
        data = data[data.index(b"\n") + 1 :]
    return data


def _prefix_header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in prefixes.items()).encode()


class _Writer:
    def __init__(self) -> None:
        #: Whether a chunk with data has been written (JSON-LD needs it for its separators).
        self.has_data = False

    def header(self) -> bytes:
        return b""

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        raise NotImplementedError

    def footer(self) -> bytes:
        return b""


class _NTriples(_Writer):
    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        # Default-graph quads serialize as N-Triples lines.
        return _serialize([q for b in blocks for q in b.quads], ox.RdfFormat.N_QUADS)


class _NQuads(_Writer):
    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        return _serialize(_regraphed(blocks), ox.RdfFormat.N_QUADS)


class _Turtle(_Writer):
    def header(self) -> bytes:
        return _prefix_header(TURTLE_PREFIXES) + b"\n"

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        # TriG of default-graph quads is Turtle: one block per subject, predicates with ';'.
        data = _serialize([q for b in blocks for q in b.quads], ox.RdfFormat.TRIG, prefixes=TURTLE_PREFIXES)
        return _strip_prefixes(data) + b"\n"


class _TriG(_Writer):
    def header(self) -> bytes:
        return _prefix_header(TURTLE_PREFIXES) + b"\n"

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        data = _serialize(_regraphed(blocks), ox.RdfFormat.TRIG, prefixes=TURTLE_PREFIXES)
        return _strip_prefixes(data) + b"\n"


_XML_START = re.compile(rb"<rdf:RDF\b[^>]*>\n?")
_XML_END = b"</rdf:RDF>"


class _RdfXml(_Writer):
    def __init__(self) -> None:
        super().__init__()
        # The root element pyoxigraph writes for these namespaces (predicates elsewhere get their
        # namespace declared on their own element, so every chunk fits under this root).
        probe = _serialize(
            [ox.Triple(ox.NamedNode(str(DATASET_IRI)), RDF_TYPE, ox.NamedNode(str(VOID.Dataset)))],
            ox.RdfFormat.RDF_XML,
            prefixes=VOCABULARY_PREFIXES,
        )
        match = _XML_START.search(probe)
        assert match is not None
        self._header = probe[: match.end()]

    def header(self) -> bytes:
        return self._header

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        triples = [q.triple for b in blocks for q in b.quads]
        data = _serialize(triples, ox.RdfFormat.RDF_XML, prefixes=VOCABULARY_PREFIXES)
        match = _XML_START.search(data)
        end = data.rfind(_XML_END)
        if match is None or end < 0:
            raise RuntimeError("unexpected RDF/XML from pyoxigraph")
        return data[match.end() : end]

    def footer(self) -> bytes:
        return _XML_END + b"\n"


_CANONICAL_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,14})$")


class _JsonLd(_Writer):
    """Compacted JSON-LD, one node object per subject, in one top-level ``@graph``."""

    def __init__(self) -> None:
        super().__init__()
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

    def header(self) -> bytes:
        return b'{\n"@context": ' + json.dumps(self._context, ensure_ascii=False).encode() + b',\n"@graph": [\n'

    def chunk(self, blocks: Sequence[SubjectBlock]) -> bytes:
        if not blocks:
            return b""
        text = ",\n".join(json.dumps(self.node(b), ensure_ascii=False, separators=(",", ":")) for b in blocks)
        if not self.has_data:
            self.has_data = True
            return text.encode()
        return b",\n" + text.encode()

    def footer(self) -> bytes:
        return b"\n]\n}\n"


_WRITERS: dict[str, Callable[[], _Writer]] = {
    "ntriples": _NTriples,
    "nquads": _NQuads,
    "turtle": _Turtle,
    "trig": _TriG,
    "rdfxml": _RdfXml,
    "jsonld": _JsonLd,
}



def _body(blocks: Iterable[SubjectBlock], writer: _Writer, stats: ExportStats) -> Iterator[bytes]:
    """The header and the data, one chunk per :data:`CHUNK_TRIPLES` triples or so."""
    header = writer.header()
    if header:
        yield header
    buffer: list[SubjectBlock] = []
    pending = 0
    for block in blocks:
        buffer.append(block)
        pending += len(block.quads)
        stats.subjects += 1
        if pending >= CHUNK_TRIPLES:
            stats.triples += pending
            yield writer.chunk(buffer)
            buffer, pending = [], 0
    if buffer:
        stats.triples += pending
        yield writer.chunk(buffer)


def _tail(writer: _Writer, stats: ExportStats, extra: list[ox.Triple]) -> Iterator[bytes]:
    stats.description_triples = len(extra)
    if extra:
        yield writer.chunk(blocks_of(extra))
    footer = writer.footer()
    if footer:
        yield footer


def _counted(chunks: Iterable[bytes], stats: ExportStats) -> Iterator[bytes]:
    for chunk in chunks:
        if chunk:
            stats.bytes += len(chunk)
            yield chunk


def serialize_blocks(
    blocks: Iterable[SubjectBlock],
    fmt: RdfFormat,
    stats: ExportStats | None = None,
    tail: Callable[[ExportStats], list[ox.Triple]] | None = None,
) -> Iterator[bytes]:
    """Serialize ``blocks`` in ``fmt``, chunk by chunk; ``tail`` adds triples once the count is known."""
    stats = stats if stats is not None else ExportStats()
    writer = _WRITERS[fmt.name]()
    yield from _counted(_body(blocks, writer, stats), stats)
    yield from _counted(_tail(writer, stats, tail(stats) if tail is not None else []), stats)
    stats.done = True


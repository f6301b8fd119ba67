"""Read the curated fact files (YAML), check every reference and value, and compile them to RDF.

The curated format is documented in ``data/README.md``. Compilation runs in two passes: the first
collects every id in every file (so files may reference each other in any order), the second
checks each fact's fields and emits its triples. Every problem is collected, located by file,
line and field, and raised together as a :class:`CurationError`; the graph is only returned when
there is none, so invalid input never reaches a store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import OWL, RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from milcoop import __version__
from milcoop.graph.partitions import CURATED
from milcoop.graph.terms import decimal_literal, ntriples_of, oxigraph_quads
from milcoop.loaders import hints
from milcoop.loaders.format import RECORDS, Record
from milcoop.loaders.format import Field as FormatField
from milcoop.loaders.problems import CurationError, Problem, display_path
from milcoop.loaders.yamlio import LocatedDict, LocatedList, OversizedInteger, read_yaml
from milcoop.ontology import MATERIEL_FILE, ONTOLOGY_FILE, SHAPES_FILE, materiel_graph
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.grading import GRADING
from milcoop.ontology.kinds import EVENT_KINDS, PARTICIPANT_KINDS, SECTIONS
from milcoop.ontology.namespace import ID, MC, WIKIDATA
from milcoop.ontology.vocabulary import Vocabulary, vocabulary

#: The bundled curated facts.


def bundled_facts_dir() -> Path:
    """The curated facts shipped with milcoop (package data ``milcoop/data``)."""
    root = resources.files("milcoop").joinpath("data")
    # Installed from a wheel or a checkout, the package is a folder on disk; the fact reader
    # walks folders and reports paths, so it needs a real one.
    if not isinstance(root, Path) or not root.is_dir():
        raise CurationError(
            [Problem("milcoop/data", 0, "", "the bundled facts are not a folder on disk; give fact files or folders")]
        )
    # In a checkout milcoop/data is a link to data/: report the files where analysts edit them.
    return root.resolve()


_ISO3 = re.compile(r"^[A-Z]{3}$")
#: A former state that only the Correlates of War list has (no ISO 3166 code): cow-<ccode>.
_COW_ONLY = re.compile(r"^cow-[1-9][0-9]{0,3}$")
_ALPHA2 = re.compile(r"^[A-Z]{2}$")
_ALPHA4 = re.compile(r"^[A-Z]{4}$")
_NUMERIC = re.compile(r"^[0-9]{3}$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

#: The whole numbers both stores hold: Neo4j's integers are signed 64-bit, and the embedded store
#: (xsd:integer, unbounded) must give the same answers, so a number outside is refused here.
MIN_INTEGER = -(2**63)
MAX_INTEGER = 2**63 - 1


@dataclass(frozen=True)
class Location:
    """Where a compiled resource came from, for error messages and provenance."""

    file: str
    line: int
    subject: str


@dataclass
class CompiledFacts:
    """The curated facts (or one register's import) as one RDF graph, with where each resource
    was curated."""

    graph: Graph
    locations: dict[URIRef, Location]
    files: list[Path]
    #: A digest of the input files: the same files give the same version.
    version: str
    #: The part of the store these facts replace (:mod:`milcoop.graph.partitions`): the curated
    #: facts, or one register.
    partition: str = CURATED
    #: For a register's import: the release (title, version, date, URL) it came from.
    release: dict[str, str] = field(default_factory=dict)
    #: For a register's import: the digest of its inputs, recorded with the partition
    #: (:class:`~milcoop.graph.partitions.PartitionRecord`).
    inputs: str = ""
    _quads: list[ox.Quad] | None = field(default=None, init=False, repr=False, compare=False)
    _ntriples: str | None = field(default=None, init=False, repr=False, compare=False)

    def quads(self) -> list[ox.Quad]:
        """The graph as pyoxigraph quads, converted on first use and kept: validation, the
        digests and the embedded write all read them. The graph must not change afterwards."""
        if self._quads is None:
            self._quads = oxigraph_quads(self.graph)
        return self._quads

    def ntriples(self) -> str:
        """:meth:`quads` as an N-Triples document, written on first use and kept."""
        if self._ntriples is None:
            self._ntriples = ntriples_of(self.quads())
        return self._ntriples


# --------------------------------------------------------------------------------------------
# Sections: which top-level keys a file may hold, what each item compiles to
# --------------------------------------------------------------------------------------------

_PLACE_FIELDS: dict[str, URIRef] = {
    "loading_ports": MC.loadingPort,
    "discharge_ports": MC.dischargePort,
    "border_crossings": MC.borderCrossing,
    "locations": MC.location,
    "targets": MC.targetPlace,
}

#: Event fields that name other facts, and the property each becomes (where the kind has the field).
_EVENT_REFS: dict[str, URIRef] = {
    "against": MC.targetState,
    "uses": MC.usesMaterielFrom,
    "in_exchange_for": MC.inExchangeFor,
}
#: Event fields that take codes of an enumeration, and their property.
_EVENT_ENUMS: dict[str, URIRef] = {
    "transfer_status": MC.transferStatus,
    "terms": MC.transferTerms,
    "condition": MC.materielCondition,
    "production": MC.productionArrangement,
    "access": MC.accessKind,
    "forms": MC.industrialForm,
    "form": MC.financingForm,
}


def entity_iri(kind: str, ident: str) -> URIRef:
    """The IRI of a curated entity: ``https://w3id.org/milcoop/id/{kind}/{id}``."""
    return ID[f"{kind}/{ident}"]


@dataclass
class _Entity:
    section: str
    kind: str
    word: str
    ident: str
    iri: URIRef
    file: str
    record: LocatedDict

    @property
    def subject(self) -> str:
        return f"{self.word} '{self.ident}'"


@dataclass
class _Index:
    """Every id known after the first pass, by kind, plus the ways a state may be named."""

    by_kind: dict[str, dict[str, _Entity]] = field(default_factory=dict)
    state_names: dict[str, URIRef] = field(default_factory=dict)
    materiel: dict[str, URIRef] = field(default_factory=dict)

    def ids(self, kind: str) -> dict[str, _Entity]:
        return self.by_kind.setdefault(kind, {})


class _Fields:
    """Reads one record's fields, reporting each problem with the line of its key."""

    def __init__(self, compiler: _Compiler, file: str, subject: str, record: LocatedDict, fmt: Record) -> None:
        self.c = compiler
        self.file = file
        self.subject = subject
        self.record = record
        #: The record's fields (loaders/format.py): only these may be read, and each is required
        #: exactly where the table says.
        self.fmt = fmt
        #: What ``from`` and ``to`` mean for this event kind, so messages use the analyst's word.
        self.roles: dict[str, str] = {}

    def role(self, key: str) -> str:
        """The field as named in messages: ``recipient`` rather than ``to`` for a transfer."""
        return self.roles.get(key, key)

    def problem(self, key: str | None, message: str, line: int | None = None) -> None:
        at = line if line is not None else (self.record.line_of(key) if key else self.record.line)
        self.c.problems.append(Problem(self.file, at, self.subject, message))

    def spec(self, key: str) -> FormatField:
        """The declared field; reading an undeclared one is a bug here (the format table is the
        one list of fields, and the JSON Schema is generated from it)."""
        try:
            return self.fmt[key]
        except KeyError:
            raise KeyError(f"field '{key}' is not declared in loaders/format.py") from None

    def check_keys(self, allowed: Iterable[str] | None = None) -> None:
        allowed = set(self.fmt if allowed is None else allowed)
        for key in self.record:
            if key not in allowed:
                hint = _did_you_mean(str(key), allowed)
                self.problem(str(key), f"unknown field '{key}'{hint}")

    def raw(self, key: str, required: bool | None = None) -> Any:
        spec = self.spec(key)
        if required is None:
            required = spec.required
        elif required and not spec.required and spec.required_when is None:
            raise AssertionError(f"'{key}' is optional in loaders/format.py but the validator requires it")
        value = self.record.get(key)
        if value is None or value == "" or value == []:
            if required:
                self.problem(None, f"{key} is required")
            return None
        return value

    def text(self, key: str, required: bool | None = None) -> str | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, (dict, list, bool)):
            self.problem(key, f"{key} must be text, not {type(value).__name__}")
            return None
        return str(value).strip()

    def texts(self, key: str) -> list[str]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        out = []
        for item in value:
            if isinstance(item, (dict, list)) or item is None:
                self.problem(key, f"{key} must be a list of text")
                return []
            out.append(str(item).strip())
        return out

    def _whole(self, key: str, value: Any, minimum: int | None) -> int | None:
        if isinstance(value, OversizedInteger) or (
            isinstance(value, int) and not isinstance(value, bool) and not MIN_INTEGER <= value <= MAX_INTEGER
        ):
            shown = value.abbreviated() if isinstance(value, OversizedInteger) else str(value)
            self.problem(
                key,
                f"{key} {shown} is out of range: whole numbers must lie between {MIN_INTEGER} and {MAX_INTEGER} "
                "(signed 64-bit, what Neo4j stores)",
            )
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"{key} must be a whole number, not '{value}'")
            return None
        if minimum is not None and value < minimum:
            self.problem(key, f"{key} must be at least {minimum}, not {value}")
            return None
        return value

    def integer(self, key: str, required: bool | None = None) -> int | None:
        value = self.raw(key, required)
        if value is None:
            return None
        return self._whole(key, value, self.spec(key).minimum)

    def integers(self, key: str) -> list[int]:
        value = self.raw(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        out = []
        for item in values:
            number = self._whole(key, item, self.spec(key).minimum)
            if number is None:
                return []
            out.append(number)
        return out

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, OversizedInteger)):
            self.problem(key, f"{key} must be a number, not '{value}'")
            return None
        if isinstance(value, OversizedInteger) or not math.isfinite(float(value)) or abs(float(value)) > 1e15:
            self.problem(key, f"{key} is out of range: at most 10^15 in size")
            return None
        if value < 0:
            self.problem(key, f"{key} must not be negative, not {value}")
            return None
        return float(value)

    def boolean(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problem(key, f"{key} must be true or false, not '{value}'")
            return None
        return value

    def date(self, key: str, required: bool | None = None) -> PartialDate | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if self.spec(key).type == "date-or-unknown" and value == "unknown":
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as exc:
            self.problem(key, f"{key}: {exc}")
            return None

    def _enum_codes(self, key: str, prop: URIRef | None) -> dict[str, URIRef]:
        prop = prop or self.spec(key).enum
        assert prop is not None, f"'{key}' names no enumeration in loaders/format.py"
        return self.c.vocab.enum_properties[prop].codes

    def _unknown_code(self, key: str, value: str, codes: Iterable[str]) -> None:
        self.problem(key, f"{key} '{value}' is not one of {', '.join(sorted(codes))}{_did_you_mean(value, codes)}")

    def enum(self, key: str, prop: URIRef | None = None, required: bool | None = None) -> URIRef | None:
        value = self.text(key, required)
        if value is None:
            return None
        codes = self._enum_codes(key, prop)
        if value not in codes:
            self._unknown_code(key, value, codes)
            return None
        return codes[value]

    def enums(self, key: str, prop: URIRef | None = None) -> list[URIRef]:
        codes = self._enum_codes(key, prop)
        out = []
        for value in self.texts(key):
            if value not in codes:
                self._unknown_code(key, value, codes)
            else:
                out.append(codes[value])
        return out

    def ref(self, key: str, kinds: tuple[str, ...] | None = None, required: bool | None = None) -> URIRef | None:
        kinds = kinds or self.spec(key).refs
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            self.problem(key, f"{key} must name one {' or '.join(kinds)}")
            return None
        return self.c.resolve(self, key, str(value).strip(), kinds)

    def refs(self, key: str, kinds: tuple[str, ...] | None = None, required: bool | None = None) -> list[URIRef]:
        kinds = kinds or self.spec(key).refs
        value = self.raw(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        out = []
        for item in value:
            if isinstance(item, (dict, list)) or item is None:
                self.problem(key, f"{key} must be a list of {' or '.join(kinds)} references")
                continue
            iri = self.c.resolve(self, key, str(item).strip(), kinds)
            if iri is not None:
                out.append(iri)
        return out

    def record_of(self, key: str) -> _Fields | None:
        """A nested mapping (``period``, ``quantity``) as fields of its own declared format."""
        value = self.raw(key)
        if value is None:
            return None
        name = self.spec(key).record
        assert name is not None, f"'{key}' names no record format in loaders/format.py"
        if not isinstance(value, LocatedDict):
            fields = ", ".join(k for k, v in RECORDS[name].items() if v.required) or ", ".join(RECORDS[name])
            self.problem(key, f"{key} must be a mapping with {fields}")
            return None
        nested = _Fields(self.c, self.file, self.subject, value, RECORDS[name])
        nested.roles = self.roles
        nested.check_keys()
        return nested

    def records(self, key: str, required: bool | None = None) -> list[tuple[int, LocatedDict]]:
        value = self.raw(key, required)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            self.problem(key, f"{key} must be a list")
            return []
        out = []
        for position, (item, line) in enumerate(zip(value, value.item_lines, strict=True), start=1):
            if not isinstance(item, LocatedDict):
                self.problem(key, f"{key} item {position} must be a mapping of fields", line=line)
                continue
            out.append((position, item))
        return out


def _role_word(prop: URIRef) -> str:
    """``mc:sendingState`` -> ``sending state``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", str(prop).rsplit("#", 1)[-1]).lower()


def _did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """``" (did you mean X?)"`` or ``""`` (:func:`milcoop.loaders.hints.did_you_mean`, which spends
    the compilation's hint budget). Each candidate suggests itself: a dict gives its keys, never
    its values (IRIs, tuples)."""
    return hints.did_you_mean(value, candidates.keys() if isinstance(candidates, Mapping) else candidates)


class _Compiler:
    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.graph = Graph()
        self.problems: list[Problem] = []
        self.locations: dict[URIRef, Location] = {}
        self.index = _Index()
        for concept in materiel_graph().subjects(RDF.type, MC.MaterielConcept):
            assert isinstance(concept, URIRef)
            self.index.materiel[str(concept).rsplit("/", 1)[-1]] = concept

    # -- emitting -------------------------------------------------------------------------

    def add(self, subject: URIRef, predicate: URIRef, obj: URIRef | Literal | None) -> None:
        if obj is not None:
            self.graph.add((subject, predicate, obj))

    def add_text(self, subject: URIRef, predicate: URIRef, value: str | None) -> None:
        if value:
            self.graph.add((subject, predicate, Literal(value)))

    def add_int(self, subject: URIRef, predicate: URIRef, value: int | None) -> None:
        if value is not None:
            self.graph.add((subject, predicate, Literal(value, datatype=XSD.integer)))

    def add_date(self, subject: URIRef, predicate: URIRef, value: PartialDate | None) -> None:
        if value is not None:
            self.graph.add((subject, predicate, value.to_literal()))

    def locate(self, iri: URIRef, file: str, line: int, subject: str) -> None:
        self.locations[iri] = Location(file, line, subject)

    # -- pass 1: collect ids ----------------------------------------------------------------

    def collect(self, path: Path) -> list[_Entity]:
        shown = display_path(path)
        document, problem = read_yaml(path)
        if problem:
            self.problems.append(problem)
            return []
        if document is None:
            return []
        return self.collect_document(shown, document)

    def collect_document(self, shown: str, document: Any) -> list[_Entity]:
        """Register the items of one document (a fact file as read, or an importer's records)."""
        if not isinstance(document, LocatedDict):
            self.problems.append(
                Problem(shown, 1, "", "the file must be a mapping of sections (sources, states, events, ...)")
            )
            return []
        entities = []
        for section, items in document.items():
            line = document.line_of(section)
            if section not in SECTIONS:
                hint = _did_you_mean(str(section), SECTIONS)
                self.problems.append(Problem(shown, line, "", f"unknown section '{section}'{hint}"))
                continue
            if items is None:
                continue
            if not isinstance(items, LocatedList):
                self.problems.append(Problem(shown, line, "", f"section '{section}' must be a list"))
                continue
            kind, word = SECTIONS[section]
            for item, item_line in zip(items, items.item_lines, strict=True):
                if not isinstance(item, LocatedDict):
                    self.problems.append(
                        Problem(shown, item_line, "", f"each item of '{section}' must be a mapping of fields")
                    )
                    continue
                try:
                    entity = self._register(shown, section, kind, word, item)
                except Exception as exc:
                    self.internal_error(shown, item.line, f"{word} at line {item.line}", exc)
                    continue
                if entity is not None:
                    entities.append(entity)
        return entities

    def _register(self, file: str, section: str, kind: str, word: str, item: LocatedDict) -> _Entity | None:
        raw_id = item.get("id")
        if section == "events" and isinstance(item.get("kind"), str):
            word = str(item["kind"])
        if raw_id is None or raw_id == "":
            self.problems.append(Problem(file, item.line, f"{word} without id", "id is required"))
            return None
        ident = str(raw_id).strip()
        if section == "states" and not (_ISO3.match(ident) or _COW_ONLY.match(ident)):
            self.problems.append(
                Problem(
                    file,
                    item.line_of("id"),
                    f"state '{ident}'",
                    "id must be the ISO 3166 alpha-3 code, such as PRK (or cow-<number> for a former state only "
                    "the Correlates of War list has)",
                )
            )
            return None
        if not _ID.match(ident):
            self.problems.append(
                Problem(
                    file, item.line_of("id"), f"{word} '{ident}'", "id may hold only letters, digits, '.', '_' and '-'"
                )
            )
            return None
        for known in self.index.by_kind.values():
            if ident in known:
                first = known[ident]
                self.problems.append(
                    Problem(
                        file,
                        item.line_of("id"),
                        f"{word} '{ident}'",
                        f"duplicate id: already used by {first.word} '{ident}' at {first.file}:{first.record.line}",
                    )
                )
                return None
        entity = _Entity(section, kind, word, ident, entity_iri(kind, ident), file, item)
        self.index.ids(kind)[ident] = entity
        if kind == "state":
            self._register_state_names(entity)
        return entity

    def _register_state_names(self, entity: _Entity) -> None:
        record = entity.record
        aliases = record.get("aliases") or []
        if not isinstance(aliases, list):
            # One alias may be given without a list, as _Fields.texts reads it (iterating a
            # string would register each letter; iterating a number raised TypeError).
            aliases = [aliases]
        names = [
            entity.ident,
            record.get("qid"),
            record.get("name"),
            record.get("official_name"),
            # A former state's alpha-2 code is history that ISO reuses (CS was Czechoslovakia's,
            # then Serbia and Montenegro's): only a current state is named by it.
            None if record.get("former") is True else record.get("alpha2"),
            *aliases,
        ]
        for name in names:
            if isinstance(name, str) and name.strip():
                key = name.strip().casefold()
                other = self.index.state_names.get(key)
                if other is not None and other != entity.iri:
                    self.problems.append(
                        Problem(
                            entity.file,
                            record.line,
                            entity.subject,
                            f"name or alias '{name}' is already used by state '{str(other).rsplit('/', 1)[-1]}'",
                        )
                    )
                self.index.state_names[key] = entity.iri

    # -- references -------------------------------------------------------------------------

    def resolve(self, fields: _Fields, key: str, value: str, kinds: tuple[str, ...]) -> URIRef | None:
        #: Each spelling a hint may match, to what the hint names.
        candidates: dict[str, str] = {}
        # Once the hint budget is spent, copying every id for each unknown reference would
        # itself be quadratic, so candidates are only gathered while hints are still given.
        hinting = hints.hinting()
        for kind in kinds:
            if kind == "state":
                iri = self.index.state_names.get(value.casefold())
                if iri is not None:
                    return iri
                if hinting:
                    # Names and aliases as well as codes ("Rusia" -> RUS), each naming the code;
                    # not QIDs: a digit off is another entity, not a slip (Q195 is not Q159).
                    for spelling, state in self.index.state_names.items():
                        if not _QID.match(spelling.upper()):
                            candidates.setdefault(spelling, str(state).rsplit("/", 1)[-1])
            elif kind == "concept":
                if value in self.index.materiel:
                    return self.index.materiel[value]
                if hinting:
                    for ident in self.index.materiel:
                        candidates.setdefault(ident, ident)
            elif kind == "materiel":
                if value in self.index.materiel:
                    return self.index.materiel[value]
                if value in self.index.ids("system"):
                    return self.index.ids("system")[value].iri
                if hinting:
                    for ident in [*self.index.materiel, *self.index.ids("system")]:
                        candidates.setdefault(ident, ident)
            else:
                known = self.index.ids(kind)
                if value in known:
                    return known[value].iri
                if hinting:
                    for ident in known:
                        candidates.setdefault(ident, ident)
        words = [{"materiel": "materiel concept or system", "concept": "materiel concept"}.get(k, k) for k in kinds]
        what = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        label = fields.role(key)
        fields.problem(key, f"{label} '{value}' is not a known {what}{hints.did_you_mean(value, candidates)}")
        return None

    # -- pass 2: facts ------------------------------------------------------------------------

    def compile(self, entity: _Entity) -> None:
        fmt = RECORDS[entity.section]
        if entity.section == "events":
            kind = entity.record.get("kind")
            fmt = RECORDS.get(f"event:{kind}", fmt) if isinstance(kind, str) else fmt
        fields = _Fields(self, entity.file, entity.subject, entity.record, fmt)
        self.locate(entity.iri, entity.file, entity.record.line, entity.subject)
        emit: Callable[[_Entity, _Fields], None] = getattr(self, f"_emit_{entity.section}")
        try:
            emit(entity, fields)
        except Exception as exc:
            self.internal_error(entity.file, entity.record.line, entity.subject, exc)

    def internal_error(self, file: str, line: int, subject: str, exc: Exception) -> None:
        """A safety net: a check that raised is a bug here, reported as a located problem (so the
        files are still refused and nothing is written) rather than a traceback. The fuzz tests
        fail on any such problem."""
        message = f"could not be checked (internal error {type(exc).__name__}: {exc}); please report it"
        self.problems.append(Problem(file, line, subject, message))

    def _names(self, entity: _Entity, fields: _Fields) -> None:
        self.add_text(entity.iri, SKOS.prefLabel, fields.text("name"))
        if "aliases" in fields.fmt:
            for alias in fields.texts("aliases"):
                self.add_text(entity.iri, SKOS.altLabel, alias)
        self.add_text(entity.iri, DCTERMS.description, fields.text("description"))

    def _emit_sources(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.SourceDocument)
        self._names(e, f)
        self.add_text(e.iri, DCTERMS.title, f.text("title"))
        self.add_text(e.iri, DCTERMS.publisher, f.text("publisher"))
        self.add_date(e.iri, DCTERMS.issued, f.date("issued"))
        self.add_date(e.iri, MC.briefedOn, f.date("briefed"))
        self.add(e.iri, MC.sourceKind, f.enum("kind"))
        self.add_text(e.iri, MC.documentNumber, f.text("number"))
        for url in f.texts("url"):
            if not re.match(r"^https?://\S+$", url):
                f.problem("url", f"url '{url}' is not an http(s) URL")
            else:
                self.add(e.iri, MC.url, Literal(url, datatype=XSD.anyURI))

    def _emit_states(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.State)
        self._names(e, f)
        if _ISO3.match(e.ident):
            self.add_text(e.iri, MC.isoCode, e.ident)
        self.add_text(e.iri, MC.officialName, f.text("official_name"))
        alpha2 = f.text("alpha2")
        if alpha2 is not None and not _ALPHA2.match(alpha2):
            f.problem("alpha2", f"alpha2 '{alpha2}' is not two capital letters")
        else:
            self.add_text(e.iri, MC.isoAlpha2, alpha2)
        numeric = f.text("numeric")
        if numeric is not None and not _NUMERIC.match(numeric):
            f.problem("numeric", f"numeric '{numeric}' is not three digits (quote it: \"076\")")
        else:
            self.add_text(e.iri, MC.isoNumeric, numeric)
        self.add_int(e.iri, MC.cowCode, f.integer("cow_code"))
        self.add_text(e.iri, MC.cowAbbreviation, f.text("cow_abbreviation"))
        former = f.boolean("former")
        if former is not None:
            self.add(e.iri, MC.formerState, Literal(former))
        alpha4 = f.text("alpha4")
        if alpha4 is not None and not _ALPHA4.match(alpha4):
            f.problem("alpha4", f"alpha4 '{alpha4}' is not four capital letters")
        else:
            self.add_text(e.iri, MC.isoAlpha4, alpha4)
        self.add_date(e.iri, MC.isoCodeWithdrawn, f.date("iso_withdrawn"))
        successors = f.refs("successors")
        if successors and not former:
            f.problem("successors", "only a former state (former: true) has successors")
        for successor in successors:
            if successor == e.iri:
                f.problem("successors", "a state cannot be its own successor")
            self.add(e.iri, MC.successor, successor)
        if not former and (alpha4 or f.raw("iso_withdrawn") is not None):
            f.problem("former", "alpha4 and iso_withdrawn belong to a former state: add former: true")
        self._qid(e, f)
        self._claims(e, f, required=bool(former))

    def _qid(self, e: _Entity, f: _Fields) -> None:
        qid = f.text("qid")
        if qid is not None:
            if not _QID.match(qid):
                f.problem("qid", f"qid '{qid}' is not a Wikidata QID (Q followed by digits)")
            else:
                self.add_text(e.iri, MC.wikidataId, qid)
                self.add(e.iri, OWL.sameAs, WIKIDATA[qid])

    def _emit_organisations(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.InternationalOrganisation)
        self._names(e, f)
        self._qid(e, f)
        members = f.refs("members")
        for member in members:
            self.add(e.iri, MC.memberState, member)
        self.add(e.iri, MC.partOf, f.ref("part_of"))
        established = f.date("established")
        ended = f.date("mandate_ended")
        self.add_date(e.iri, MC.established, established)
        self.add_date(e.iri, MC.mandateEnded, ended)
        self.add(e.iri, MC.replaces, f.ref("replaces"))
        if established and ended and ended.last_day < established.first_day:
            f.problem("mandate_ended", f"mandate_ended {ended} is before established {established}")
        # Membership and dates are facts and need a source; a bare name does not.
        needs_claims = bool(members or established or ended or e.record.get("replaces"))
        self._claims(e, f, required=needs_claims)

    def _emit_persons(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.Person)
        self._names(e, f)
        self._qid(e, f)
        leader_of = f.ref("leader_of")
        self.add(e.iri, MC.leaderOf, leader_of)
        self.add_text(e.iri, MC.role, f.text("role"))
        for position, item in f.records("offices"):
            self._office(e, position, item)
        self._claims(e, f, required=leader_of is not None)

    def _office(self, e: _Entity, position: int, item: LocatedDict) -> None:
        subject = f"{e.subject} office {position}"
        f = _Fields(self, e.file, subject, item, RECORDS["office"])
        f.check_keys()
        iri = entity_iri("office", f"{e.ident}-office-{position}")
        self.locate(iri, e.file, item.line, subject)
        self.add(e.iri, MC.holdsOffice, iri)
        self.add(iri, RDF.type, MC.OfficeHolding)
        self.add(iri, MC.officeKind, f.enum("kind"))
        self.add(iri, MC.officeState, f.ref("state"))
        title = f.text("title")
        self.add_text(iri, MC.officeTitle, title)
        held_from, held_until = f.date("from"), f.date("until")
        if held_from and held_until and held_until.last_day < held_from.first_day:
            f.problem("until", f"until {held_until} is before from {held_from}")
        self.add_date(iri, MC.heldFrom, held_from)
        self.add_date(iri, MC.heldUntil, held_until)
        self.add_text(iri, SKOS.prefLabel, title or f"Office {position} of {e.ident}")
        part = _Entity("persons", "office", "office", f"{e.ident}-office-{position}", iri, e.file, item)
        self._claims(part, f, required=True)

    def _emit_places(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.Place)
        self._names(e, f)
        self._qid(e, f)
        self.add(e.iri, MC.placeKind, f.enum("kind"))
        container = f.ref("in")
        if container is None:
            return
        if (container, RDF.type, MC.State) in self.graph or "/state/" in str(container):
            self.add(e.iri, MC.locatedIn, container)
            return
        # A place inside a place: record the enclosing place, and the state the outermost one lies
        # in (derived here so that every place answers "which state?" in one hop).
        self.add(e.iri, MC.withinPlace, container)
        seen = {e.iri}
        current: URIRef | None = container
        while current is not None and "/place/" in str(current):
            if current in seen:
                f.problem("in", f"places lie inside each other in a circle: {e.ident} is inside itself")
                return
            seen.add(current)
            record = self.index.ids("place").get(str(current).rsplit("/", 1)[-1])
            if record is None:
                return
            outer = record.record.get("in")
            if outer is None or isinstance(outer, (dict, list)):
                return  # that place's own problem is reported where it is
            current = self._quiet_resolve(str(outer).strip(), ("state", "place"))
        if current is not None:
            self.add(e.iri, MC.locatedIn, current)

    def _quiet_resolve(self, value: str, kinds: tuple[str, ...]) -> URIRef | None:
        """Resolve without reporting a problem (the referring record reports its own)."""
        for kind in kinds:
            if kind == "state":
                iri = self.index.state_names.get(value.casefold())
                if iri is not None:
                    return iri
            elif value in self.index.ids(kind):
                return self.index.ids(kind)[value].iri
        return None

    def _emit_systems(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.WeaponSystem)
        self._names(e, f)
        self.add(e.iri, MC.category, f.ref("category"))
        self.add(e.iri, MC.originState, f.ref("origin"))
        self._claims(e, f, required=False)

    def _emit_resolutions(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.Resolution)
        self._names(e, f)
        self.add_int(e.iri, MC.resolutionNumber, f.integer("number"))
        self.add_date(e.iri, MC.adoptedOn, f.date("adopted"))
        self.add(e.iri, MC.adoptedBy, f.ref("by"))
        self._claims(e, f, required=True)

    def _emit_measures(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.SanctionsMeasure)
        self._names(e, f)
        self.add(e.iri, MC.measureKind, f.enum("kind"))
        self.add(e.iri, MC.targetState, f.ref("target"))
        for resolution in f.refs("imposed_by"):
            self.add(e.iri, MC.imposedBy, resolution)
        for concept in f.refs("covers"):
            self.add(e.iri, MC.coversMateriel, concept)
        cap = f.record_of("cap")
        if cap is not None:
            self.add(e.iri, MC.cap, self._quantity(cap, entity_iri("quantity", f"{e.ident}-cap")))
        in_force = f.date("in_force")
        self.add_date(e.iri, MC.inForceFrom, in_force)
        ended = f.record_of("ended")
        if ended is not None:
            until = ended.date("date")
            if until and in_force and until.last_day < in_force.first_day:
                ended.problem("date", f"ended {until} is before in_force {in_force}")
            self.add_date(e.iri, MC.inForceUntil, until)
            self.add(e.iri, MC.measureEnd, ended.enum("how"))
            for resolution in ended.refs("by"):
                self.add(e.iri, MC.endedBy, resolution)
        self._claims(e, f, required=True)

    def _emit_treaties(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.Treaty)
        self._names(e, f)
        self.add_text(e.iri, DCTERMS.title, f.text("title"))
        parties = f.refs("parties")
        if len(parties) == 1:
            f.problem("parties", "a treaty needs at least two parties")
        for party in parties:
            self.add(e.iri, MC.party, party)
        signed = f.date("signed")
        in_force = f.date("in_force")
        terminated = f.date("terminated")
        self.add_date(e.iri, MC.signedOn, signed)
        self.add(e.iri, MC.signedAt, f.ref("signed_at"))
        for person in f.refs("signatories"):
            self.add(e.iri, MC.signatory, person)
        self.add_int(e.iri, MC.articleCount, f.integer("articles"))
        open_ended = f.boolean("open_ended")
        if open_ended is not None:
            self.add(e.iri, MC.openEnded, Literal(open_ended))
        if e.record.get("in_force") == "unknown":
            self.add(e.iri, MC.entryIntoForceUnknown, Literal(True))
        self.add_date(e.iri, MC.entryIntoForce, in_force)
        self.add_date(e.iri, MC.terminatedOn, terminated)
        term = f.integer("term_years")
        self.add_int(e.iri, MC.termYears, term)
        self.add_int(e.iri, MC.renewalYears, f.integer("renewal_years"))
        automatic = f.boolean("automatic_renewal")
        if automatic is not None:
            self.add(e.iri, MC.automaticRenewal, Literal(automatic))
        if open_ended and term is not None:
            f.problem("term_years", "a treaty marked open_ended has no term: give one or the other")
        if signed and in_force and in_force.last_day < signed.first_day:
            f.problem("in_force", f"in_force {in_force} is before signed {signed}")
        if terminated and in_force and terminated.last_day < in_force.first_day:
            f.problem("terminated", f"terminated {terminated} is before in_force {in_force}")
        if open_ended and terminated:
            f.problem("terminated", "a treaty marked open_ended cannot also have a terminated date")
        self.add(e.iri, MC.replaces, f.ref("replaces"))
        for position, item in f.records("provisions"):
            self._provision(e, position, item)
        for position, item in f.records("ratifications"):
            self._ratification(e, position, item, parties)
        self._claims(e, f, required=True)

    def _provision(self, e: _Entity, position: int, item: LocatedDict) -> None:
        f = _Fields(self, e.file, f"{e.subject} provision {position}", item, RECORDS["provision"])
        f.check_keys()
        article = f.integer("article")
        # A register codes obligations, not articles: without a number, a provision is named by
        # its kind, which is then required (one provision of each kind).
        kind = f.enum("kind", required=f.raw("article") is None)
        if article is None and (kind is None or f.raw("article") is not None):
            return
        if article is not None:
            tail = f"art{article}"
        else:
            assert kind is not None
            tail = self.vocab.enum_properties[MC.provisionKind].code_of(kind)
        iri = entity_iri("provision", f"{e.ident}-{tail}")
        if (iri, RDF.type, MC.Provision) in self.graph:
            if article is not None:
                f.problem("article", f"article {article} is listed twice")
            else:
                f.problem("kind", f"a provision of kind '{tail}' without an article is listed twice")
            return
        self.locate(iri, e.file, item.line, f.subject)
        self.add(e.iri, MC.provision, iri)
        self.add(iri, RDF.type, MC.Provision)
        self.add_int(iri, MC.articleNumber, article)
        self.add_text(iri, SKOS.prefLabel, f.text("name") or (f"Article {article}" if article is not None else None))
        self.add(iri, MC.provisionKind, kind)
        self.add_text(iri, DCTERMS.description, f.text("summary"))

    def _ratification(self, e: _Entity, position: int, item: LocatedDict, parties: list[URIRef]) -> None:
        f = _Fields(self, e.file, f"{e.subject} ratification {position}", item, RECORDS["ratification"])
        f.check_keys()
        state = f.ref("state")
        date = f.date("date")
        step = f.text("step")
        if state is not None and parties and state not in parties:
            f.problem("state", "the ratifying state is not a party to the treaty")
        if state is None or date is None:
            return
        iri = entity_iri("ratification", f"{e.ident}-{str(state).rsplit('/', 1)[-1]}-{date}")
        if (iri, RDF.type, MC.Ratification) in self.graph:
            f.problem("date", f"a ratification step by the same state on {date} is listed twice")
            return
        self.locate(iri, e.file, item.line, f.subject)
        self.add(e.iri, MC.ratification, iri)
        self.add(iri, RDF.type, MC.Ratification)
        self.add(iri, MC.ratifyingState, state)
        self.add_date(iri, MC.ratifiedOn, date)
        self.add_text(iri, SKOS.prefLabel, step)

    def _emit_events(self, e: _Entity, f: _Fields) -> None:
        kind = f.text("kind")
        if kind is None:
            return
        if kind not in EVENT_KINDS:
            f.problem("kind", f"kind '{kind}' is not one of {', '.join(EVENT_KINDS)}{_did_you_mean(kind, EVENT_KINDS)}")
            return
        cls, from_prop, to_prop = EVENT_KINDS[kind]
        f.roles = {"from": _role_word(from_prop), "to": _role_word(to_prop) if to_prop else "to"}
        f.check_keys()
        self.add(e.iri, RDF.type, cls)
        self._names(e, f)
        if kind in PARTICIPANT_KINDS:
            participants = f.refs("participants")
            if len(participants) == 1:
                f.problem("participants", "a joint exercise needs at least two participants")
            for actor in participants:
                self.add(e.iri, from_prop, actor)
        else:
            self.add(e.iri, from_prop, f.ref("from"))
        if to_prop is not None:
            self.add(e.iri, to_prop, f.ref("to"))
        for item in f.refs("items"):
            self.add(e.iri, MC.item, item)
        self._period(e, f)
        for mode in f.enums("transport"):
            self.add(e.iri, MC.transportMode, mode)
        for vessel in f.texts("vessels"):
            self.add_text(e.iri, MC.vesselName, vessel)
        for key, prop in _PLACE_FIELDS.items():
            for place in f.refs(key):
                self.add(e.iri, prop, place)
        for key, prop in _EVENT_REFS.items():
            if key in f.fmt:
                for target in f.refs(key):
                    self.add(e.iri, prop, target)
        for key, prop in _EVENT_ENUMS.items():
            if key in f.fmt:
                if f.spec(key).type == "enums":
                    for code in f.enums(key):
                        self.add(e.iri, prop, code)
                else:
                    self.add(e.iri, prop, f.enum(key))
        if "ordered" in f.fmt:
            ordered = f.date("ordered")
            self.add_date(e.iri, MC.orderDate, ordered)
            self._flag(e.iri, MC.orderDateUncertain, f.boolean("ordered_uncertain"))
            years = f.integers("delivery_years")
            for year in sorted(set(years)):
                self.add_int(e.iri, MC.deliveryYear, year)
            self._flag(e.iri, MC.deliveryYearsUncertain, f.boolean("delivery_years_uncertain"))
            if ordered and years and min(years) < ordered.first_day.year:
                f.problem("delivery_years", f"a delivery in {min(years)} is before the order ({ordered})")
            status = e.record.get("transfer_status")
            if years and status in ("planned", "ordered", "in-production"):
                f.problem("transfer_status", f"transfer_status '{status}' but delivery_years are given")
        if kind == "official-statement":
            self.add(e.iri, MC.stance, f.enum("stance"))
            for target in f.refs("concerns"):
                self.add(e.iri, MC.concerns, target)
            self.add(e.iri, MC.onBehalfOf, f.ref("on_behalf_of"))
        self._claims(e, f, required=True)

    def _flag(self, subject: URIRef, predicate: URIRef, value: bool | None) -> None:
        if value is not None:
            self.add(subject, predicate, Literal(value))

    def _period(self, e: _Entity, f: _Fields) -> None:
        period = f.raw("period")
        point = f.raw("date")
        if period is not None and point is not None:
            f.problem("date", "give either date (a point in time) or period (start and end), not both")
            return
        start = end = None
        if point is not None:
            start = end = f.date("date")
        elif period is not None:
            pf = f.record_of("period")
            if pf is None:
                return
            start = pf.date("start")
            end = pf.date("end")
            if pf.raw("start") is None and pf.raw("end") is None:
                f.problem("period", "period needs a start, an end or both (an unknown start: give end only)")
                return
            if start and end and end.last_day < start.first_day:
                pf.problem("end", f"end {end} is before start {start}")
                return
        self.add_date(e.iri, MC.startDate, start)
        self.add_date(e.iri, MC.endDate, end)
        if start is not None:
            self.add(e.iri, MC.spanStart, Literal(start.first_day, datatype=XSD.date))
        if end is not None:
            self.add(e.iri, MC.spanEnd, Literal(end.last_day, datatype=XSD.date))

    def _emit_breaches(self, e: _Entity, f: _Fields) -> None:
        f.check_keys()
        self.add(e.iri, RDF.type, MC.Breach)
        self._names(e, f)
        self.add(e.iri, MC.breachingEvent, f.ref("event"))
        self.add(e.iri, MC.breachedMeasure, f.ref("measure"))
        self._claims(e, f, required=True)

    # -- checks across facts (after every fact is compiled) -----------------------------------

    def check_across(self) -> None:
        """Rules that need two facts: a breach's measure in force on its event's dates, and a
        statement on behalf of a state by a person holding an office for it."""
        g = self.graph
        for breach in g.subjects(RDF.type, MC.Breach):
            assert isinstance(breach, URIRef)
            event = g.value(breach, MC.breachingEvent)
            measure = g.value(breach, MC.breachedMeasure)
            if not isinstance(event, URIRef) or not isinstance(measure, URIRef):
                continue
            first, last = _span(g, event)
            if first is None and last is None:
                continue  # an undated event cannot be checked against the measure's lifetime
            begins = _date_of(g, measure, MC.inForceFrom, first=True)
            if begins is None:
                adopted = [
                    d for r in g.objects(measure, MC.imposedBy) if (d := _date_of(g, r, MC.adoptedOn, first=True))
                ]
                begins = min(adopted) if adopted else None
            ends = _date_of(g, measure, MC.inForceUntil, first=False)
            where = self.locations.get(breach)
            if where is None:
                continue
            measure_id = str(measure).rsplit("/", 1)[-1]
            if begins is not None and last is not None and last < begins:
                self.problems.append(
                    Problem(
                        where.file,
                        where.line,
                        where.subject,
                        f"measure '{measure_id}' was not yet in force on the event's dates "
                        f"(it took effect on {begins}; the event ended by {last})",
                    )
                )
            elif ends is not None and first is not None and first > ends:
                self.problems.append(
                    Problem(
                        where.file,
                        where.line,
                        where.subject,
                        f"measure '{measure_id}' was no longer in force on the event's dates "
                        f"(in force until {ends}; the event began on {first})",
                    )
                )
        for statement, actor in g.subject_objects(MC.onBehalfOf):
            assert isinstance(statement, URIRef)
            speaker = g.value(statement, MC.statedBy)
            where = self.locations.get(statement)
            if where is None or not isinstance(speaker, URIRef) or "/person/" not in str(speaker):
                continue
            first, last = _span(g, statement)
            for office in g.objects(speaker, MC.holdsOffice):
                if g.value(office, MC.officeState) != actor:
                    continue
                held_from = _date_of(g, office, MC.heldFrom, first=True)
                held_until = _date_of(g, office, MC.heldUntil, first=False)
                if (held_from is None or last is None or held_from <= last) and (
                    held_until is None or first is None or first <= held_until
                ):
                    break
            else:
                actor_id = str(actor).rsplit("/", 1)[-1]
                speaker_id = str(speaker).rsplit("/", 1)[-1]
                self.problems.append(
                    Problem(
                        where.file,
                        where.line,
                        where.subject,
                        f"on_behalf_of '{actor_id}': person '{speaker_id}' holds no office for it on the "
                        "statement's date (add the office under the person's offices)",
                    )
                )

    # -- claims and quantities ----------------------------------------------------------------

    def _claims(self, e: _Entity, f: _Fields, required: bool) -> None:
        seen: dict[str, int] = {}
        for position, item in f.records("claims", required=required):
            cf = _Fields(self, e.file, f"{e.subject} claim {position}", item, RECORDS["claim"])
            cf.check_keys()
            source = cf.ref("source")
            explicit = cf.text("id")
            # A claim whose source is unknown is still checked field by field (and emits nothing).
            claim_id = explicit or (f"{e.ident}--{str(source).rsplit('/', 1)[-1]}" if source else None)
            iri = entity_iri("claim", claim_id) if claim_id else None
            if claim_id is not None and claim_id in seen:
                cf.problem(
                    "id" if explicit else "source",
                    f"claim id '{claim_id}' is already used by claim {seen[claim_id]}; "
                    "give each claim from the same source its own id",
                )
                iri = None
            elif claim_id is not None and not _ID.match(claim_id):
                cf.problem("id", "id may hold only letters, digits, '.', '_' and '-'")
                iri = None
            elif iri is not None and iri in self.locations:
                where = self.locations[iri]
                cf.problem("id", f"claim id '{claim_id}' is already used at {where.file}:{where.line}")
                iri = None
            if claim_id is not None:
                seen.setdefault(claim_id, position)
            if iri is None or source is None:
                self._claim_fields(cf, None, claim_id or f"{e.ident}--{position}")
                continue
            self.locate(iri, e.file, item.line, cf.subject)
            self.add(iri, RDF.type, MC.Claim)
            self.add(iri, MC.asserts, e.iri)
            self.add(iri, MC.source, source)
            self._claim_fields(cf, iri, claim_id or "")

    def _claim_fields(self, cf: _Fields, iri: URIRef | None, claim_id: str) -> None:
        """Check a claim's fields, and emit them when the claim has an IRI (``None``: check only)."""
        sink = iri if iri is not None else entity_iri("claim", "-unchecked-")
        emit = iri is not None
        cites = cf.refs("cites")
        values: list[tuple[URIRef, URIRef | Literal | None]] = [(MC.cites, c) for c in cites]
        for key, prop in (
            ("attribution", MC.attribution),
            ("locator", MC.locator),
            ("quote", MC.quote),
            ("note", MC.analystNote),
        ):
            text = cf.text(key)
            values.append((prop, Literal(text) if text else None))
        values.append((MC.status, cf.enum("status")))
        grading = cf.text("grading")
        if grading is not None:
            match = GRADING.match(grading)
            if not match:
                cf.problem(
                    "grading",
                    f"grading '{grading}' is not on the Admiralty scale: "
                    "a reliability A-F then a credibility 1-6, such as B2",
                )
            else:
                values.append((MC.sourceReliability, Literal(match.group(1))))
                values.append((MC.informationCredibility, Literal(int(match.group(2)), datatype=XSD.integer)))
        for key, prop, suffix in (
            ("quantity", MC.claimedQuantity, ""),
            ("ordered", MC.orderedQuantity, "-ordered"),
            ("value", MC.dealValue, "-value"),
        ):
            qf = cf.record_of(key)
            if qf is not None:
                values.append((prop, self._quantity(qf, entity_iri("quantity", claim_id + suffix), emit=emit)))
        tiv = cf.record_of("tiv")
        if tiv is not None:
            for key, prop in (("per_unit", MC.tivPerUnit), ("order", MC.tivOfOrder), ("delivered", MC.tivDelivered)):
                number = tiv.number(key)
                if number is not None:
                    values.append((prop, decimal_literal(number)))
        if emit:
            for prop, value in values:
                self.add(sink, prop, value)

    def _quantity(self, qf: _Fields, iri: URIRef, emit: bool = True) -> URIRef | None:
        number = qf.integer("value")
        unit = qf.enum("unit")
        qualifier = qf.enum("qualifier")
        uncertain = qf.boolean("uncertain")
        if number is None or unit is None or qualifier is None or not emit:
            return None
        self.locate(iri, qf.file, qf.record.line, qf.subject)
        self.add(iri, RDF.type, MC.Quantity)
        self.add_int(iri, MC.value, number)
        self.add(iri, MC.unit, unit)
        self.add(iri, MC.qualifier, qualifier)
        self._flag(iri, MC.uncertain, uncertain)
        return iri


def _span(g: Graph, event: URIRef) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day an event may cover (None where unknown or open)."""
    first = g.value(event, MC.spanStart)
    last = g.value(event, MC.spanEnd)
    return (
        first.toPython() if isinstance(first, Literal) else None,
        last.toPython() if isinstance(last, Literal) else None,
    )


def _date_of(g: Graph, subject: Any, prop: URIRef, *, first: bool) -> dt.date | None:
    """A partial date of ``subject`` as its first (or last) day."""
    value = g.value(subject, prop)
    if not isinstance(value, Literal):
        return None
    try:
        parsed = PartialDate.parse(str(value))
    except ValueError:
        return None
    return parsed.first_day if first else parsed.last_day


def reference_dir() -> Path:
    """The bundled reference data (every state, former states, the UN bodies), always in scope."""
    return bundled_facts_dir() / "reference"


def fact_files(paths: Iterable[Path] | None = None, *, reference: bool = True) -> list[Path]:
    """The YAML files to read: each given file, and every ``*.yaml``/``*.yml`` under each folder.

    With ``reference`` (the default) the bundled reference data is read too, so that a new case's
    file names RUS, Iran or the Security Council without defining them; unless a given folder
    already holds it, or holds a ``reference/`` folder of its own (a copy of ``data/`` carries its
    reference data with it). A file given twice (or inside two given folders) is read once.
    """
    roots = list(paths) if paths else [bundled_facts_dir()]
    if reference:
        shipped = reference_dir()
        own = any(root.is_dir() and (root / "reference").is_dir() for root in roots)
        if shipped.is_dir() and not own and not any(_covers(root, shipped) for root in roots):
            roots.append(shipped)
    files: list[Path] = []
    problems: list[Problem] = []
    for root in roots:
        if root.is_dir():
            files += sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
        elif root.is_file():
            files.append(root)
        else:
            problems.append(Problem(display_path(root), 0, "", "no such file or folder"))
    if problems:
        raise CurationError(problems)
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    files = list(unique.values())
    if not files:
        raise CurationError([Problem(", ".join(display_path(r) for r in roots), 0, "", "no fact files (*.yaml) found")])
    return files


def _covers(root: Path, folder: Path) -> bool:
    try:
        return root.is_dir() and folder.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def files_version(files: Sequence[Path]) -> str:
    """The data version of fact files: a digest of their names and bytes, of the ontology, shapes
    and taxonomy they are compiled against, and of milcoop's version.

    Equal versions compile to equal facts, which is what lets a load of files whose version the
    store already holds write nothing (``milcoop load --force`` writes anyway).
    """
    sha = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    for vocabulary_file in (ONTOLOGY_FILE, SHAPES_FILE, MATERIEL_FILE):
        sha.update(vocabulary_file.read_bytes())
    sha.update(__version__.encode())
    return sha.hexdigest()[:16]


@dataclass(frozen=True)
class FactDocument:
    """Records in the curated format held in memory, such as a register importer makes: the
    same sections, fields and checks as a fact file. ``name`` is how messages name it (the
    register's file); the records' ``line`` attributes point into it."""

    name: str
    content: LocatedDict


@dataclass
class ReferenceIndex:
    """How the reference data names its resources, for importers that resolve a register's names
    and codes exactly as the compiler will: states by id, name, alias or code (the compiler's
    own rules), states by Correlates of War code, organisations and systems by id, name or alias.
    """

    files: list[Path]
    state_names: dict[str, str]
    cow_codes: dict[int, str]
    organisations: dict[str, str]
    systems: dict[str, str]

    def state(self, name: str) -> str | None:
        """The id of the state ``name`` names (any case), or None."""
        iri = self.state_names.get(name.strip().casefold())
        return None if iri is None else iri.rsplit("/", 1)[-1]

    def actor(self, name: str) -> str | None:
        """The id of the state or organisation ``name`` names (any case), or None."""
        return self.state(name) or self.organisations.get(name.strip().casefold())

    def system(self, designation: str) -> str | None:
        """The id of the reference system named ``designation`` (any case), or None."""
        return self.systems.get(designation.strip().casefold())


def reference_index(reference: Iterable[Path] | None = None) -> ReferenceIndex:
    """Index the reference data (default: the bundled ``data/reference``) by the compiler's
    first pass. Raises :class:`CurationError` when the reference files themselves are wrong."""
    files = fact_files(list(reference) if reference is not None else [reference_dir()], reference=False)
    compiler = _Compiler(vocabulary())
    entities: list[_Entity] = []
    for path in files:
        entities += compiler.collect(path)
    if compiler.problems:
        raise CurationError(compiler.problems)
    cow_codes: dict[int, str] = {}
    organisations: dict[str, str] = {}
    systems: dict[str, str] = {}
    for entity in entities:
        record = entity.record
        names = [entity.ident, record.get("name"), *(record.get("aliases") or [])]
        if entity.kind == "state" and isinstance(record.get("cow_code"), int):
            cow_codes[int(record["cow_code"])] = entity.ident
        elif entity.kind in ("organisation", "system"):
            target = organisations if entity.kind == "organisation" else systems
            for name in names:
                if isinstance(name, str) and name.strip():
                    target.setdefault(name.strip().casefold(), entity.ident)
    state_names = {key: str(iri) for key, iri in compiler.index.state_names.items()}
    return ReferenceIndex(files, state_names, cow_codes, organisations, systems)


def compile_documents(
    documents: Sequence[FactDocument],
    *,
    version: str,
    partition: str,
    files: Sequence[Path] = (),
    release: Mapping[str, str] | None = None,
    reference: Iterable[Path] | None = None,
    shacl: bool = True,
    inputs: str = "",
) -> CompiledFacts:
    """Validate in-memory records exactly as :func:`compile_facts` validates fact files, with the
    reference data in scope (the bundled reference, or the fact files in ``reference``), and
    compile them to one graph. The reference resources are part of the graph, as in a load.
    ``inputs`` (a register import's input digest) is kept with the facts.

    Raises :class:`CurationError` listing every problem.
    """
    ref_files = fact_files(list(reference) if reference is not None else [reference_dir()], reference=False)
    hints.reset_budget()
    compiler = _Compiler(vocabulary())
    entities: list[_Entity] = []
    for path in ref_files:
        entities += compiler.collect(path)
    for document in documents:
        entities += compiler.collect_document(document.name, document.content)
    return _finish(
        compiler,
        entities,
        [*ref_files, *files],
        version,
        shacl=shacl,
        partition=partition,
        release=release,
        inputs=inputs,
    )


def _finish(
    compiler: _Compiler,
    entities: list[_Entity],
    files: list[Path],
    version: str | Callable[[], str],
    *,
    shacl: bool,
    partition: str = CURATED,
    release: Mapping[str, str] | None = None,
    inputs: str = "",
) -> CompiledFacts:
    hints.reset_budget()
    for entity in entities:
        compiler.compile(entity)
    if not compiler.problems:
        compiler.check_across()
    if compiler.problems:
        raise CurationError(compiler.problems)
    for triple in materiel_graph():
        compiler.graph.add(triple)
    # The version of fact files is the digest of their bytes, read only once they passed (a huge
    # file is refused unread).
    named = version() if callable(version) else version
    compiled = CompiledFacts(
        compiler.graph,
        compiler.locations,
        files,
        named,
        partition=partition,
        release=dict(release or {}),
        inputs=inputs,
    )
    if shacl:
        from milcoop.loaders.shacl import shacl_problems

        problems = shacl_problems(compiled)
        if problems:
            raise CurationError(problems)
    return compiled


def compile_facts(paths: Iterable[Path] | None = None, *, shacl: bool = True, reference: bool = True) -> CompiledFacts:
    """Validate the curated facts and compile them to one RDF graph.

    ``paths`` are files or folders (default: the bundled ``data/``); the bundled reference data
    is added unless ``reference`` is false (see :func:`fact_files`). Raises
    :class:`CurationError` listing every problem; returns only when there is none. With
    ``shacl`` (the default), the graph is also checked against the shipped SHACL shapes.
    """
    files = fact_files(paths, reference=reference)
    hints.reset_budget()
    compiler = _Compiler(vocabulary())
    entities: list[_Entity] = []
    for path in files:
        entities += compiler.collect(path)
    return _finish(compiler, entities, files, lambda: files_version(files), shacl=shacl)


__all__ = [
    "CompiledFacts",
    "CurationError",
    "FactDocument",
    "Location",
    "Problem",
    "ReferenceIndex",
    "bundled_facts_dir",
    "compile_documents",
    "compile_facts",
    "entity_iri",
    "fact_files",
    "files_version",
    "reference_index",
]

"""Read the curated fact files (YAML), check every reference and value, and compile them to RDF.

The curated format is documented in ``data/README.md``. Compilation runs in two passes: the first
collects every id in every file (so files may reference each other in any order), the second
checks each fact's fields and emits its triples. Every problem is collected, located by file,
line and field, and raised together as a :class:`CurationError`; the graph is only returned when
there is none, so invalid input never reaches a store.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rdflib import RDF, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from milcoop.loaders import hints
from milcoop.loaders.problems import CurationError, Problem, display_path
from milcoop.loaders.yamlio import LocatedDict, LocatedList, OversizedInteger, read_yaml
from milcoop.ontology import materiel_graph
from milcoop.ontology.dates import PartialDate
from milcoop.ontology.grading import GRADING
from milcoop.ontology.kinds import EVENT_KINDS, SECTIONS
from milcoop.ontology.namespace import ID, MC
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
    """The curated facts as one RDF graph, with where each resource was curated."""

    graph: Graph
    locations: dict[URIRef, Location]
    files: list[Path]
    #: A digest of the input files: the same files give the same version.
    version: str


# --------------------------------------------------------------------------------------------
# Sections: which top-level keys a file may hold, what each item compiles to
# --------------------------------------------------------------------------------------------

#: Event kinds that must name what moved.
_KINDS_WITH_ITEMS = {"materiel-transfer", "technology-transfer", "weapons-use", "support-request"}

_PLACE_FIELDS: dict[str, URIRef] = {
    "loading_ports": MC.loadingPort,
    "discharge_ports": MC.dischargePort,
    "border_crossings": MC.borderCrossing,
    "locations": MC.location,
    "targets": MC.targetPlace,
}

_CLAIM_FIELDS = {"id", "source", "cites", "attribution", "locator", "quote", "status", "grading", "quantity", "note"}
_QUANTITY_FIELDS = {"value", "unit", "qualifier"}


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
    state_codes: list[str] = field(default_factory=list)
    materiel: dict[str, URIRef] = field(default_factory=dict)

    def ids(self, kind: str) -> dict[str, _Entity]:
        return self.by_kind.setdefault(kind, {})


class _Fields:
    """Reads one record's fields, reporting each problem with the line of its key."""

    def __init__(self, compiler: _Compiler, file: str, subject: str, record: LocatedDict) -> None:
        self.c = compiler
        self.file = file
        self.subject = subject
        self.record = record
        #: What ``from`` and ``to`` mean for this event kind, so messages use the analyst's word.
        self.roles: dict[str, str] = {}

    def role(self, key: str) -> str:
        """The field as named in messages: ``recipient`` rather than ``to`` for a transfer."""
        return self.roles.get(key, key)

    def problem(self, key: str | None, message: str, line: int | None = None) -> None:
        at = line if line is not None else (self.record.line_of(key) if key else self.record.line)
        self.c.problems.append(Problem(self.file, at, self.subject, message))

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.record:
            if key not in allowed:
                hint = _did_you_mean(str(key), allowed)
                self.problem(str(key), f"unknown field '{key}'{hint}")

    def raw(self, key: str, required: bool = False) -> Any:
        value = self.record.get(key)
        if value is None or value == "" or value == []:
            if required:
                self.problem(None, f"{key} is required")
            return None
        return value

    def text(self, key: str, required: bool = False) -> str | None:
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

    def integer(self, key: str, required: bool = False, minimum: int = 0) -> int | None:
        value = self.raw(key, required)
        if value is None:
            return None
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
        if value < minimum:
            self.problem(key, f"{key} must be at least {minimum}, not {value}")
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problem(key, f"{key} must be true or false, not '{value}'")
            return None
        return value

    def date(self, key: str, required: bool = False, record: LocatedDict | None = None) -> PartialDate | None:
        source = record if record is not None else self.record
        value = source.get(key)
        if value is None or value == "":
            if required:
                self.problem(None, f"{key} is required")
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as exc:
            self.problem(key, f"{key}: {exc}", line=source.line_of(key))
            return None

    def enum(self, key: str, prop: URIRef, required: bool = False) -> URIRef | None:
        value = self.text(key, required)
        if value is None:
            return None
        codes = self.c.vocab.enum_properties[prop].codes
        if value not in codes:
            self.problem(key, f"{key} '{value}' is not one of {', '.join(sorted(codes))}{_did_you_mean(value, codes)}")
            return None
        return codes[value]

    def enums(self, key: str, prop: URIRef) -> list[URIRef]:
        codes = self.c.vocab.enum_properties[prop].codes
        out = []
        for value in self.texts(key):
            if value not in codes:
                self.problem(
                    key, f"{key} '{value}' is not one of {', '.join(sorted(codes))}{_did_you_mean(value, codes)}"
                )
            else:
                out.append(codes[value])
        return out

    def ref(self, key: str, kinds: tuple[str, ...], required: bool = False) -> URIRef | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            self.problem(key, f"{key} must name one {' or '.join(kinds)}")
            return None
        return self.c.resolve(self, key, str(value).strip(), kinds)

    def refs(self, key: str, kinds: tuple[str, ...], required: bool = False) -> list[URIRef]:
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

    def records(self, key: str, required: bool = False) -> list[tuple[int, LocatedDict]]:
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
        if section == "states" and not _ISO3.match(ident):
            self.problems.append(
                Problem(
                    file, item.line_of("id"), f"state '{ident}'", "id must be the ISO 3166-1 alpha-3 code, such as PRK"
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
        names = [entity.ident, record.get("qid"), record.get("name"), *aliases]
        self.index.state_codes.append(entity.ident)
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
        words = ["materiel concept or system" if k == "materiel" else k for k in kinds]
        what = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
        label = fields.role(key)
        fields.problem(key, f"{label} '{value}' is not a known {what}{hints.did_you_mean(value, candidates)}")
        return None

    # -- pass 2: facts ------------------------------------------------------------------------

    def compile(self, entity: _Entity) -> None:
        fields = _Fields(self, entity.file, entity.subject, entity.record)
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
        self.add_text(entity.iri, SKOS.prefLabel, fields.text("name", required=True))
        for alias in fields.texts("aliases"):
            self.add_text(entity.iri, SKOS.altLabel, alias)
        self.add_text(entity.iri, DCTERMS.description, fields.text("description"))

    def _emit_sources(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "title", "publisher", "issued", "url", "kind", "number", "briefed", "description"})
        self.add(e.iri, RDF.type, MC.SourceDocument)
        self._names(e, f)
        self.add_text(e.iri, DCTERMS.title, f.text("title"))
        self.add_text(e.iri, DCTERMS.publisher, f.text("publisher", required=True))
        self.add_date(e.iri, DCTERMS.issued, f.date("issued"))
        self.add_date(e.iri, MC.briefedOn, f.date("briefed"))
        self.add(e.iri, MC.sourceKind, f.enum("kind", MC.sourceKind, required=True))
        self.add_text(e.iri, MC.documentNumber, f.text("number"))
        for url in f.texts("url"):
            if not re.match(r"^https?://\S+$", url):
                f.problem("url", f"url '{url}' is not an http(s) URL")
            else:
                self.add(e.iri, MC.url, Literal(url, datatype=XSD.anyURI))

    def _emit_states(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "aliases", "qid", "description"})
        self.add(e.iri, RDF.type, MC.State)
        self._names(e, f)
        self.add_text(e.iri, MC.isoCode, e.ident)
        self._qid(e, f)

    def _qid(self, e: _Entity, f: _Fields) -> None:
        qid = f.text("qid")
        if qid is not None:
            if not _QID.match(qid):
                f.problem("qid", f"qid '{qid}' is not a Wikidata QID (Q followed by digits)")
            else:
                self.add_text(e.iri, MC.wikidataId, qid)

    def _emit_organisations(self, e: _Entity, f: _Fields) -> None:
        f.check_keys(
            {
                "id",
                "name",
                "aliases",
                "qid",
                "members",
                "part_of",
                "established",
                "mandate_ended",
                "replaces",
                "description",
                "claims",
            }
        )
        self.add(e.iri, RDF.type, MC.InternationalOrganisation)
        self._names(e, f)
        self._qid(e, f)
        members = f.refs("members", ("state",))
        for member in members:
            self.add(e.iri, MC.memberState, member)
        self.add(e.iri, MC.partOf, f.ref("part_of", ("organisation",)))
        established = f.date("established")
        ended = f.date("mandate_ended")
        self.add_date(e.iri, MC.established, established)
        self.add_date(e.iri, MC.mandateEnded, ended)
        self.add(e.iri, MC.replaces, f.ref("replaces", ("organisation",)))
        if established and ended and ended.last_day < established.first_day:
            f.problem("mandate_ended", f"mandate_ended {ended} is before established {established}")
        # Membership and dates are facts and need a source; a bare name does not.
        needs_claims = bool(members or established or ended or e.record.get("replaces"))
        self._claims(e, f, required=needs_claims)

    def _emit_persons(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "aliases", "qid", "leader_of", "role", "description", "claims"})
        self.add(e.iri, RDF.type, MC.Person)
        self._names(e, f)
        self._qid(e, f)
        self.add(e.iri, MC.leaderOf, f.ref("leader_of", ("state",)))
        self.add_text(e.iri, MC.role, f.text("role"))
        self._claims(e, f, required=False)

    def _emit_places(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "aliases", "qid", "kind", "in", "description"})
        self.add(e.iri, RDF.type, MC.Place)
        self._names(e, f)
        self._qid(e, f)
        self.add(e.iri, MC.placeKind, f.enum("kind", MC.placeKind, required=True))
        self.add(e.iri, MC.locatedIn, f.ref("in", ("state",), required=True))

    def _emit_systems(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "aliases", "category", "origin", "description", "claims"})
        self.add(e.iri, RDF.type, MC.WeaponSystem)
        self._names(e, f)
        category = f.text("category", required=True)
        if category is not None:
            if category not in self.index.materiel:
                hint = _did_you_mean(category, self.index.materiel)
                f.problem("category", f"category '{category}' is not a known materiel concept{hint}")
            else:
                self.add(e.iri, MC.category, self.index.materiel[category])
        self.add(e.iri, MC.originState, f.ref("origin", ("state",)))
        self._claims(e, f, required=False)

    def _emit_resolutions(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "number", "adopted", "by", "description", "claims"})
        self.add(e.iri, RDF.type, MC.Resolution)
        self._names(e, f)
        self.add_int(e.iri, MC.resolutionNumber, f.integer("number", required=True, minimum=1))
        self.add_date(e.iri, MC.adoptedOn, f.date("adopted", required=True))
        self.add(e.iri, MC.adoptedBy, f.ref("by", ("organisation",), required=True))
        self._claims(e, f, required=True)

    def _emit_measures(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "kind", "target", "imposed_by", "covers", "cap", "description", "claims"})
        self.add(e.iri, RDF.type, MC.SanctionsMeasure)
        self._names(e, f)
        self.add(e.iri, MC.measureKind, f.enum("kind", MC.measureKind, required=True))
        self.add(e.iri, MC.targetState, f.ref("target", ("state",), required=True))
        for resolution in f.refs("imposed_by", ("resolution",), required=True):
            self.add(e.iri, MC.imposedBy, resolution)
        for concept in f.refs("covers", ("materiel",)):
            self.add(e.iri, MC.coversMateriel, concept)
        cap = f.raw("cap")
        if cap is not None:
            quantity = self._quantity(f, "cap", cap, entity_iri("quantity", f"{e.ident}-cap"))
            self.add(e.iri, MC.cap, quantity)
        self._claims(e, f, required=True)

    def _emit_treaties(self, e: _Entity, f: _Fields) -> None:
        f.check_keys(
            {
                "id",
                "name",
                "title",
                "aliases",
                "parties",
                "signed",
                "signed_at",
                "signatories",
                "articles",
                "open_ended",
                "in_force",
                "terminated",
                "replaces",
                "provisions",
                "ratifications",
                "description",
                "claims",
            }
        )
        self.add(e.iri, RDF.type, MC.Treaty)
        self._names(e, f)
        self.add_text(e.iri, DCTERMS.title, f.text("title"))
        parties = f.refs("parties", ("state",), required=True)
        if len(parties) == 1:
            f.problem("parties", "a treaty needs at least two parties")
        for party in parties:
            self.add(e.iri, MC.party, party)
        signed = f.date("signed")
        in_force = f.date("in_force")
        terminated = f.date("terminated")
        self.add_date(e.iri, MC.signedOn, signed)
        self.add(e.iri, MC.signedAt, f.ref("signed_at", ("place",)))
        for person in f.refs("signatories", ("person",)):
            self.add(e.iri, MC.signatory, person)
        self.add_int(e.iri, MC.articleCount, f.integer("articles", minimum=1))
        open_ended = f.boolean("open_ended")
        if open_ended is not None:
            self.add(e.iri, MC.openEnded, Literal(open_ended))
        self.add_date(e.iri, MC.entryIntoForce, in_force)
        self.add_date(e.iri, MC.terminatedOn, terminated)
        if signed and in_force and in_force.last_day < signed.first_day:
            f.problem("in_force", f"in_force {in_force} is before signed {signed}")
        if terminated and in_force and terminated.last_day < in_force.first_day:
            f.problem("terminated", f"terminated {terminated} is before in_force {in_force}")
        if open_ended and terminated:
            f.problem("terminated", "a treaty marked open_ended cannot also have a terminated date")
        self.add(e.iri, MC.replaces, f.ref("replaces", ("treaty",)))
        for position, item in f.records("provisions"):
            self._provision(e, f, position, item)
        for position, item in f.records("ratifications"):
            self._ratification(e, f, position, item, parties)
        self._claims(e, f, required=True)

    def _provision(self, e: _Entity, parent: _Fields, position: int, item: LocatedDict) -> None:
        f = _Fields(self, e.file, f"{e.subject} provision {position}", item)
        f.check_keys({"article", "kind", "name", "summary"})
        article = f.integer("article", required=True, minimum=1)
        if article is None:
            return
        iri = entity_iri("provision", f"{e.ident}-art{article}")
        if (iri, RDF.type, MC.Provision) in self.graph:
            f.problem("article", f"article {article} is listed twice")
            return
        self.locate(iri, e.file, item.line, f.subject)
        self.add(e.iri, MC.provision, iri)
        self.add(iri, RDF.type, MC.Provision)
        self.add_int(iri, MC.articleNumber, article)
        self.add_text(iri, SKOS.prefLabel, f.text("name") or f"Article {article}")
        self.add(iri, MC.provisionKind, f.enum("kind", MC.provisionKind))
        self.add_text(iri, DCTERMS.description, f.text("summary", required=True))

    def _ratification(
        self, e: _Entity, parent: _Fields, position: int, item: LocatedDict, parties: list[URIRef]
    ) -> None:
        f = _Fields(self, e.file, f"{e.subject} ratification {position}", item)
        f.check_keys({"state", "date", "step"})
        state = f.ref("state", ("state",), required=True)
        date = f.date("date", required=True)
        step = f.text("step", required=True)
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
        kind = f.text("kind", required=True)
        if kind is None:
            return
        if kind not in EVENT_KINDS:
            f.problem("kind", f"kind '{kind}' is not one of {', '.join(EVENT_KINDS)}{_did_you_mean(kind, EVENT_KINDS)}")
            return
        cls, from_prop, to_prop = EVENT_KINDS[kind]
        f.roles = {"from": _role_word(from_prop), "to": _role_word(to_prop) if to_prop else "to"}
        allowed = {
            "id",
            "kind",
            "name",
            "description",
            "from",
            "items",
            "period",
            "date",
            "transport",
            "vessels",
            *_PLACE_FIELDS,
            "claims",
        }
        if to_prop is not None:
            allowed.add("to")
        if kind == "weapons-use":
            allowed |= {"against", "uses"}
        if kind == "support-request":
            allowed.add("in_exchange_for")
        if kind == "official-statement":
            allowed |= {"stance", "concerns"}
        f.check_keys(allowed)
        self.add(e.iri, RDF.type, cls)
        self._names(e, f)
        actors = ("state", "organisation", "person")
        self.add(e.iri, from_prop, f.ref("from", actors, required=True))
        if to_prop is not None:
            self.add(e.iri, to_prop, f.ref("to", actors, required=True))
        for item in f.refs("items", ("materiel",), required=kind in _KINDS_WITH_ITEMS):
            self.add(e.iri, MC.item, item)
        self._period(e, f)
        for mode in f.enums("transport", MC.transportMode):
            self.add(e.iri, MC.transportMode, mode)
        for vessel in f.texts("vessels"):
            self.add_text(e.iri, MC.vesselName, vessel)
        for key, prop in _PLACE_FIELDS.items():
            for place in f.refs(key, ("place",)):
                self.add(e.iri, prop, place)
        for state in f.refs("against", ("state",)):
            self.add(e.iri, MC.targetState, state)
        for event in f.refs("uses", ("event",)):
            self.add(e.iri, MC.usesMaterielFrom, event)
        for event in f.refs("in_exchange_for", ("event",)):
            self.add(e.iri, MC.inExchangeFor, event)
        if kind == "official-statement":
            self.add(e.iri, MC.stance, f.enum("stance", MC.stance, required=True))
            for target in f.refs("concerns", ("event", "organisation", "source", "treaty"), required=True):
                self.add(e.iri, MC.concerns, target)
        self._claims(e, f, required=True)

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
            if not isinstance(period, LocatedDict):
                f.problem("period", "period must be a mapping with start, end or both")
                return
            pf = _Fields(self, f.file, f.subject, period)
            pf.check_keys({"start", "end"})
            start = f.date("start", record=period)
            end = f.date("end", record=period)
            if period.get("start") in (None, "") and period.get("end") in (None, ""):
                f.problem("period", "period needs a start, an end or both (an unknown start: give end only)")
                return
            if start and end and end.last_day < start.first_day:
                f.problem("period", f"end {end} is before start {start}", line=period.line_of("end"))
                return
        self.add_date(e.iri, MC.startDate, start)
        self.add_date(e.iri, MC.endDate, end)
        if start is not None:
            self.add(e.iri, MC.spanStart, Literal(start.first_day, datatype=XSD.date))
        if end is not None:
            self.add(e.iri, MC.spanEnd, Literal(end.last_day, datatype=XSD.date))

    def _emit_breaches(self, e: _Entity, f: _Fields) -> None:
        f.check_keys({"id", "name", "event", "measure", "description", "claims"})
        self.add(e.iri, RDF.type, MC.Breach)
        self._names(e, f)
        self.add(e.iri, MC.breachingEvent, f.ref("event", ("event",), required=True))
        self.add(e.iri, MC.breachedMeasure, f.ref("measure", ("measure",), required=True))
        self._claims(e, f, required=True)

    # -- claims and quantities ----------------------------------------------------------------

    def _claims(self, e: _Entity, f: _Fields, required: bool) -> None:
        seen: dict[str, int] = {}
        for position, item in f.records("claims", required=required):
            cf = _Fields(self, e.file, f"{e.subject} claim {position}", item)
            cf.check_keys(_CLAIM_FIELDS)
            source = cf.ref("source", ("source",), required=True)
            if source is None:
                continue
            explicit = cf.text("id")
            claim_id = explicit or f"{e.ident}--{str(source).rsplit('/', 1)[-1]}"
            if claim_id in seen:
                cf.problem(
                    "id" if explicit else "source",
                    f"claim id '{claim_id}' is already used by claim {seen[claim_id]}; "
                    "give each claim from the same source its own id",
                )
                continue
            if not _ID.match(claim_id):
                cf.problem("id", "id may hold only letters, digits, '.', '_' and '-'")
                continue
            seen[claim_id] = position
            iri = entity_iri("claim", claim_id)
            if iri in self.locations:
                where = self.locations[iri]
                cf.problem("id", f"claim id '{claim_id}' is already used at {where.file}:{where.line}")
                continue
            self.locate(iri, e.file, item.line, cf.subject)
            self.add(iri, RDF.type, MC.Claim)
            self.add(iri, MC.asserts, e.iri)
            self.add(iri, MC.source, source)
            for cited in cf.refs("cites", ("source",)):
                self.add(iri, MC.cites, cited)
            self.add_text(iri, MC.attribution, cf.text("attribution"))
            self.add_text(iri, MC.locator, cf.text("locator"))
            self.add_text(iri, MC.quote, cf.text("quote"))
            self.add_text(iri, MC.analystNote, cf.text("note"))
            self.add(iri, MC.status, cf.enum("status", MC.status, required=True))
            grading = cf.text("grading", required=True)
            if grading is not None:
                match = GRADING.match(grading)
                if not match:
                    cf.problem(
                        "grading",
                        f"grading '{grading}' is not on the Admiralty scale: "
                        "a reliability A-F then a credibility 1-6, such as B2",
                    )
                else:
                    self.add_text(iri, MC.sourceReliability, match.group(1))
                    self.add_int(iri, MC.informationCredibility, int(match.group(2)))
            quantity = cf.raw("quantity")
            if quantity is not None:
                self.add(
                    iri, MC.claimedQuantity, self._quantity(cf, "quantity", quantity, entity_iri("quantity", claim_id))
                )

    def _quantity(self, f: _Fields, key: str, value: Any, iri: URIRef) -> URIRef | None:
        if not isinstance(value, LocatedDict):
            f.problem(key, f"{key} must be a mapping with value, unit and qualifier")
            return None
        qf = _Fields(self, f.file, f.subject, value)
        qf.check_keys(_QUANTITY_FIELDS)
        number = qf.integer("value", required=True, minimum=0)
        unit = qf.enum("unit", MC.unit, required=True)
        qualifier = qf.enum("qualifier", MC.qualifier, required=True)
        if number is None or unit is None or qualifier is None:
            return None
        self.locate(iri, f.file, value.line, f.subject)
        self.add(iri, RDF.type, MC.Quantity)
        self.add_int(iri, MC.value, number)
        self.add(iri, MC.unit, unit)
        self.add(iri, MC.qualifier, qualifier)
        return iri


def fact_files(paths: Iterable[Path] | None = None) -> list[Path]:
    """The YAML files to read: each given file, and every ``*.yaml``/``*.yml`` under each folder."""
    roots = list(paths) if paths else [bundled_facts_dir()]
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
    if not files:
        raise CurationError([Problem(", ".join(display_path(r) for r in roots), 0, "", "no fact files (*.yaml) found")])
    return files


def _digest(files: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def compile_facts(paths: Iterable[Path] | None = None, *, shacl: bool = True) -> CompiledFacts:
    """Validate the curated facts and compile them to one RDF graph.

    ``paths`` are files or folders (default: the bundled ``data/``). Raises
    :class:`CurationError` listing every problem; returns only when there is none. With
    ``shacl`` (the default), the graph is also checked against the shipped SHACL shapes.
    """
    files = fact_files(paths)
    hints.reset_budget()
    compiler = _Compiler(vocabulary())
    entities: list[_Entity] = []
    for path in files:
        entities += compiler.collect(path)
    for entity in entities:
        compiler.compile(entity)
    if compiler.problems:
        raise CurationError(compiler.problems)
    for triple in materiel_graph():
        compiler.graph.add(triple)
    compiled = CompiledFacts(compiler.graph, compiler.locations, files, _digest(files))
    if shacl:
        from milcoop.loaders.shacl import shacl_problems

        problems = shacl_problems(compiled)
        if problems:
            raise CurationError(problems)
    return compiled


__all__ = [
    "CompiledFacts",
    "CurationError",
    "Location",
    "Problem",
    "bundled_facts_dir",
    "compile_facts",
    "entity_iri",
    "fact_files",
]

"""The curated-facts format, as data: every record's fields, their types, whether they are required.

The validator (:mod:`milcoop.loaders.curated`) reads every field through this table, so a field
that is not declared here cannot be read, an unknown key is reported with the declared ones as
hints, and a field is required exactly where the table says so. The JSON Schema that editors use
(``milcoop schema``) is generated from the same table, so the two cannot drift apart.

Enumerations are not listed here: a field of type ``enum`` names the ontology property whose
closed set of codes it takes, and the codes come from the ontology (``skos:notation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from rdflib import URIRef

from milcoop.ontology.kinds import EVENT_KINDS, PARTICIPANT_KINDS
from milcoop.ontology.namespace import MC

FieldType = Literal[
    "id",
    "text",
    "texts",
    "integer",
    "integers",
    "number",
    "boolean",
    "date",
    "date-or-unknown",
    "enum",
    "enums",
    "ref",
    "refs",
    "record",
    "records",
]

#: Reference kinds an actor field accepts: a state (by code, name or alias), an organisation or a person.
ACTORS: tuple[str, ...] = ("state", "organisation", "person")


@dataclass(frozen=True)
class Field:
    """One field of a record."""

    type: FieldType
    doc: str
    required: bool = False
    #: Required only in some cases (the validator decides, and says when): the condition, in words.
    required_when: str | None = None
    #: For ``enum``/``enums``: the ontology property whose codes the field takes.
    enum: URIRef | None = None
    #: For ``ref``/``refs``: the kinds of thing it may name (``materiel``: a concept or a system).
    refs: tuple[str, ...] = ()
    #: For ``record``/``records``: the name of the nested record format in :data:`RECORDS`.
    record: str | None = None
    #: For ``integer``: the smallest value allowed.
    minimum: int | None = None


Record = Mapping[str, Field]

_ID = Field("id", "Unique across all files; letters, digits, '.', '_' and '-'.", required=True)
_NAME = Field("text", "The name people use.", required=True)
_ALIASES = Field("texts", "Other names people use; they resolve too.")
_QID = Field("text", "The Wikidata item (Q followed by digits), only where a source gives it.")
_DESCRIPTION = Field("text", "A short description.")
_CLAIMS = Field("records", "The sources' accounts of this fact, one per account.", required=True, record="claim")
_OPTIONAL_CLAIMS = Field("records", "The sources' accounts of this fact, one per account.", record="claim")

SOURCE: Record = {
    "id": _ID,
    "name": _NAME,
    "title": Field("text", "The document's full title."),
    "publisher": Field("text", "Who published it.", required=True),
    "issued": Field("date", "When it was published."),
    "url": Field("texts", "Where it is published (http or https)."),
    "kind": Field("enum", "What kind of document it is.", required=True, enum=MC.sourceKind),
    "number": Field("text", "The publisher's own number, such as MSMT 2025/1."),
    "briefed": Field("date", "When it was briefed to others."),
    "description": _DESCRIPTION,
}

STATE: Record = {
    "id": Field(
        "id",
        "The ISO 3166-1 alpha-3 code (ISO 3166-3 for a former state), or cow-<number> for a former state "
        "only the Correlates of War list has.",
        required=True,
    ),
    "name": _NAME,
    "official_name": Field("text", "The official name."),
    "aliases": _ALIASES,
    "qid": _QID,
    "alpha2": Field("text", "ISO 3166 alpha-2 code."),
    "numeric": Field("text", "ISO 3166 numeric code, three digits."),
    "cow_code": Field("integer", "Correlates of War country code (ccode).", minimum=1),
    "cow_abbreviation": Field("text", "Correlates of War state abbreviation."),
    "former": Field("boolean", "True for a former state."),
    "alpha4": Field("text", "ISO 3166-3 alpha-4 code of a former state."),
    "iso_withdrawn": Field("date", "When ISO withdrew the code (not when the state ended)."),
    "successors": Field("refs", "The states that succeeded it, as ISO 3166-3 records them.", refs=("state",)),
    "description": _DESCRIPTION,
    "claims": Field(
        "records",
        "The accounts of its facts (a former state's end of code and successors).",
        required_when="for a former state",
        record="claim",
    ),
}

ORGANISATION: Record = {
    "id": _ID,
    "name": _NAME,
    "aliases": _ALIASES,
    "qid": _QID,
    "members": Field("refs", "Member states.", refs=("state",)),
    "part_of": Field("ref", "The organisation this body is an organ of.", refs=("organisation",)),
    "established": Field("date", "When it was set up."),
    "mandate_ended": Field("date", "When its mandate ended."),
    "replaces": Field("ref", "The body it took the place of.", refs=("organisation",)),
    "description": _DESCRIPTION,
    "claims": Field(
        "records",
        "The sources' accounts of its members and dates.",
        required_when="once it states members, dates or what it replaces",
        record="claim",
    ),
}

OFFICE: Record = {
    "kind": Field("enum", "What kind of office.", required=True, enum=MC.officeKind),
    "state": Field("ref", "The state (or organisation) the office is held for.", required=True, refs=ACTORS[:2]),
    "title": Field("text", "The title as the sources give it, such as Minister of Foreign Affairs."),
    "from": Field("date", "When the person took office; leave out when unknown."),
    "until": Field("date", "When the person left office; leave out while held or when unknown."),
    "claims": _CLAIMS,
}

PERSON: Record = {
    "id": _ID,
    "name": _NAME,
    "aliases": _ALIASES,
    "qid": _QID,
    "leader_of": Field("ref", "The state this person leads.", refs=("state",)),
    "role": Field("text", "The office as the sources name it, such as President."),
    "offices": Field("records", "Offices held, each with its state, period and claims.", record="office"),
    "description": _DESCRIPTION,
    "claims": Field(
        "records", "The sources' accounts of this person.", required_when="once it states leader_of", record="claim"
    ),
}

PLACE: Record = {
    "id": _ID,
    "name": _NAME,
    "aliases": _ALIASES,
    "qid": _QID,
    "kind": Field("enum", "What kind of place.", required=True, enum=MC.placeKind),
    "in": Field("ref", "The state it lies in, or the place it lies inside.", required=True, refs=("state", "place")),
    "description": _DESCRIPTION,
}

SYSTEM: Record = {
    "id": _ID,
    "name": _NAME,
    "aliases": _ALIASES,
    "category": Field("ref", "A concept of the materiel taxonomy.", required=True, refs=("concept",)),
    "origin": Field("ref", "The state that makes it.", refs=("state",)),
    "description": _DESCRIPTION,
    "claims": _OPTIONAL_CLAIMS,
}

RESOLUTION: Record = {
    "id": _ID,
    "name": _NAME,
    "number": Field("integer", "The resolution's number.", required=True, minimum=1),
    "adopted": Field("date", "When it was adopted.", required=True),
    "by": Field("ref", "The body that adopted it.", required=True, refs=("organisation",)),
    "description": _DESCRIPTION,
    "claims": _CLAIMS,
}

MEASURE_END: Record = {
    "date": Field("date", "The last day the measure was in force.", required=True),
    "how": Field("enum", "Whether it lapsed or was terminated.", required=True, enum=MC.measureEnd),
    "by": Field("refs", "The resolutions that ended it or set its end.", refs=("resolution",)),
}

MEASURE: Record = {
    "id": _ID,
    "name": _NAME,
    "kind": Field("enum", "What it restricts.", required=True, enum=MC.measureKind),
    "target": Field("ref", "The state it is directed at.", required=True, refs=("state",)),
    "imposed_by": Field("refs", "The resolutions that impose it.", required=True, refs=("resolution",)),
    "covers": Field("refs", "The materiel it covers.", refs=("materiel",)),
    "cap": Field("record", "The quantity it allows at most.", record="quantity"),
    "in_force": Field("date", "When it took effect; default: the earliest imposing resolution's adoption."),
    "ended": Field("record", "When and how it stopped being in force.", record="measure-end"),
    "description": _DESCRIPTION,
    "claims": _CLAIMS,
}

PROVISION: Record = {
    "article": Field(
        "integer", "The article's number, where the source gives one (a register's coding gives none).", minimum=1
    ),
    "kind": Field(
        "enum", "What the provision does.", required_when="when no article is given", enum=MC.provisionKind
    ),
    "name": Field("text", "The article's heading."),
    "summary": Field("text", "What the article says.", required=True),
}

RATIFICATION: Record = {
    "state": Field("ref", "The party that took the step.", required=True, refs=("state",)),
    "date": Field("date", "When.", required=True),
    "step": Field("text", "What the step was, such as Ratified by the State Duma.", required=True),
}

TREATY: Record = {
    "id": _ID,
    "name": _NAME,
    "title": Field("text", "The full title."),
    "aliases": _ALIASES,
    "parties": Field("refs", "The state parties (two or more).", required=True, refs=("state",)),
    "signed": Field("date", "When it was signed."),
    "signed_at": Field("ref", "Where it was signed.", refs=("place",)),
    "signatories": Field("refs", "Who signed it.", refs=("person",)),
    "articles": Field("integer", "How many articles it has.", minimum=1),
    "open_ended": Field("boolean", "True where the sources say it has no end date."),
    "in_force": Field("date-or-unknown", "When it entered into force, or 'unknown' where that is not known."),
    "terminated": Field("date", "When it ended or was replaced."),
    "term_years": Field("integer", "For how many years it is concluded.", minimum=1),
    "renewal_years": Field("integer", "For how many years each renewal extends it.", minimum=1),
    "automatic_renewal": Field("boolean", "True where it renews unless a party gives notice."),
    "replaces": Field("ref", "The treaty it replaced.", refs=("treaty",)),
    "provisions": Field("records", "Its articles.", record="provision"),
    "ratifications": Field("records", "The parties' ratification steps.", record="ratification"),
    "description": _DESCRIPTION,
    "claims": _CLAIMS,
}

BREACH: Record = {
    "id": _ID,
    "name": Field("text", "A name for the breach; optional (answers name it by its event and measure)."),
    "event": Field("ref", "The event that breaches the measure.", required=True, refs=("event",)),
    "measure": Field(
        "ref", "The measure breached; it must be in force on the event's dates.", required=True, refs=("measure",)
    ),
    "description": _DESCRIPTION,
    "claims": _CLAIMS,
}

QUANTITY: Record = {
    "value": Field("integer", "The number the source states, a whole count.", required=True, minimum=0),
    "unit": Field("enum", "What is counted.", required=True, enum=MC.unit),
    "qualifier": Field("enum", "How the number is bounded or hedged.", required=True, enum=MC.qualifier),
    "uncertain": Field("boolean", "True where the source marks the number as uncertain (SIPRI's '?')."),
}

TIV: Record = {
    "per_unit": Field("number", "SIPRI TIV of one unit, in millions."),
    "order": Field("number", "SIPRI TIV of the whole order, in millions."),
    "delivered": Field("number", "SIPRI TIV of the weapons delivered, in millions."),
}

CLAIM: Record = {
    "id": Field("text", "The claim's id; default <fact id>--<source id>. Give one when a source makes two claims."),
    "source": Field("ref", "The document the analyst read.", required=True, refs=("source",)),
    "cites": Field("refs", "The originals that document reports.", refs=("source",)),
    "attribution": Field("text", "Whom the source credits, when not a document we hold."),
    "locator": Field("text", "Where in the source."),
    "quote": Field("text", "The source's own words, short."),
    "status": Field("enum", "How the source presents the fact.", required=True, enum=MC.status),
    "grading": Field("text", "Admiralty grading: reliability A-F then credibility 1-6, such as B2.", required=True),
    "quantity": Field(
        "record", "The amount this claim gives (for a transfer: the number delivered).", record="quantity"
    ),
    "ordered": Field("record", "The number ordered or agreed, as this claim gives it.", record="quantity"),
    "value": Field("record", "The deal's or package's money value, in a currency unit.", record="quantity"),
    "tiv": Field("record", "SIPRI trend-indicator values, as SIPRI gives them.", record="tiv"),
    "note": Field("text", "The curating analyst's note."),
}

PERIOD: Record = {
    "start": Field("date", "When it began; leave out when unknown."),
    "end": Field("date", "When it ended; leave out while open."),
}

#: Fields every event has.
EVENT_COMMON: Record = {
    "id": _ID,
    "kind": Field("enum", "The kind of event.", required=True),
    "name": _NAME,
    "description": _DESCRIPTION,
    "from": Field("ref", "Where the event flows from (its meaning depends on the kind).", required=True, refs=ACTORS),
    "items": Field("refs", "Materiel or technology concepts, or system ids.", refs=("materiel",)),
    "period": Field("record", "When: start, end or both.", record="period"),
    "date": Field("date", "When, as one point in time."),
    "transport": Field("enums", "How it was carried.", enum=MC.transportMode),
    "vessels": Field("texts", "Ships that carried it."),
    "loading_ports": Field("refs", "Ports where the cargo was loaded.", refs=("place",)),
    "discharge_ports": Field("refs", "Ports where the cargo was landed.", refs=("place",)),
    "border_crossings": Field("refs", "Land border crossings it passed.", refs=("place",)),
    "locations": Field("refs", "Where it took place.", refs=("place",)),
    "targets": Field("refs", "Places struck.", refs=("place",)),
    "claims": _CLAIMS,
}

_TO = Field("ref", "Where the event flows to (its meaning depends on the kind).", required=True, refs=ACTORS)
_ITEMS_REQUIRED = Field(
    "refs", "What moved, was used or was sought: concepts or system ids.", required=True, refs=("materiel",)
)
_TRANSFER_STATUS = Field("enum", "How far the transfer has got (not how a source presents it).", enum=MC.transferStatus)

#: The fields each event kind adds to (or changes in) :data:`EVENT_COMMON`.
EVENT_EXTRA: dict[str, Record] = {
    "materiel-transfer": {
        "to": _TO,
        "items": _ITEMS_REQUIRED,
        "transfer_status": _TRANSFER_STATUS,
        "terms": Field("enum", "Sale, aid, gift, lease or barter.", enum=MC.transferTerms),
        "condition": Field("enum", "New or second-hand.", enum=MC.materielCondition),
        "production": Field("enum", "Licensed or co-production by the recipient.", enum=MC.productionArrangement),
        "ordered": Field("date", "When the order or agreement was made (SIPRI: year of order)."),
        "ordered_uncertain": Field("boolean", "True where the source marks the order date uncertain."),
        "delivery_years": Field("integers", "Years of delivery (SIPRI: year(s) of delivery).", minimum=1),
        "delivery_years_uncertain": Field("boolean", "True where the source marks the delivery years uncertain."),
    },
    "technology-transfer": {
        "to": _TO,
        "items": _ITEMS_REQUIRED,
        "transfer_status": _TRANSFER_STATUS,
        "terms": Field("enum", "Sale, aid, gift, lease or barter.", enum=MC.transferTerms),
    },
    "troop-deployment": {"to": _TO},
    "weapons-use": {
        "items": _ITEMS_REQUIRED,
        "against": Field("refs", "The states the use was directed at.", refs=("state",)),
        "uses": Field("refs", "The transfers whose weapons were used.", refs=("event",)),
    },
    "support-request": {
        "to": _TO,
        "items": _ITEMS_REQUIRED,
        "in_exchange_for": Field("refs", "What was offered or given in return.", refs=("event",)),
    },
    "official-statement": {
        "stance": Field("enum", "Acknowledgement, denial or rejection.", required=True, enum=MC.stance),
        "concerns": Field(
            "refs", "What the statement is about.", required=True, refs=("event", "organisation", "source", "treaty")
        ),
        "on_behalf_of": Field(
            "ref", "The state a person's statement speaks for, by an office held on its date.", refs=ACTORS[:2]
        ),
    },
    "exercise": {
        "participants": Field("refs", "Who took part (two or more); no direction.", required=True, refs=ACTORS),
    },
    "training": {"to": _TO},
    "basing-access": {
        "to": _TO,
        "access": Field(
            "enums", "What access: base, port-call, overflight, facility.", required=True, enum=MC.accessKind
        ),
    },
    "industrial-cooperation": {
        "to": _TO,
        "forms": Field("enums", "What the partners do together.", required=True, enum=MC.industrialForm),
    },
    "financing": {
        "to": _TO,
        "form": Field("enum", "Grant, loan, credit line or aid package.", enum=MC.financingForm),
    },
}


def event_record(kind: str) -> Record:
    """The fields an event of ``kind`` may have."""
    fields = dict(EVENT_COMMON)
    if kind in PARTICIPANT_KINDS:
        del fields["from"]  # participants instead: an exercise has no direction
    fields.update(EVENT_EXTRA[kind])
    return fields


#: Every record format by name: the sections' items, the event kinds (``event:<kind>``) and the
#: nested records.
RECORDS: dict[str, Record] = {
    "sources": SOURCE,
    "states": STATE,
    "organisations": ORGANISATION,
    "persons": PERSON,
    "places": PLACE,
    "systems": SYSTEM,
    "resolutions": RESOLUTION,
    "measures": MEASURE,
    "treaties": TREATY,
    "breaches": BREACH,
    "events": EVENT_COMMON,
    **{f"event:{kind}": event_record(kind) for kind in EVENT_KINDS},
    "claim": CLAIM,
    "quantity": QUANTITY,
    "tiv": TIV,
    "period": PERIOD,
    "provision": PROVISION,
    "ratification": RATIFICATION,
    "office": OFFICE,
    "measure-end": MEASURE_END,
}

assert set(EVENT_EXTRA) == set(EVENT_KINDS), "every event kind needs its fields in EVENT_EXTRA"

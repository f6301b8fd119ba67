"""The answers of the API, as pydantic models (the OpenAPI schema at /openapi.json comes from them).

graph/service.py builds every answer from the store primitives into these models, whichever
store is behind, so the JSON of both stores is the same by construction.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Precision = Literal["year", "month", "day"]

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class Ref(_Model):
    """A node named in an answer: its short id, IRI, kind and name."""

    id: str = Field(examples=["PRK"])
    iri: str = Field(examples=["https://w3id.org/milcoop/id/state/PRK"])
    kind: str = Field(
        description="state, organisation, person, place, source, treaty, provision, resolution, measure, breach, "
        "claim, system, materiel, or an event kind (materiel-transfer, ...).",
        examples=["state"],
    )
    name: str | None = Field(default=None, examples=["Democratic People's Republic of Korea"])


class DateValue(_Model):
    """A date as the sources give it: a year, a month or a day."""

    value: str = Field(examples=["2024-06"])
    precision: Precision = Field(examples=["month"])


class Period(_Model):
    """When an event happened. ``end: null`` with a start means open-ended; ``start: null`` with
    an end means the start is not known (the event may have begun any time before its end)."""

    start: str | None = Field(
        description="null with an end: the start is not known (it may lie any time before the end).",
        examples=["2023-09"],
    )
    start_precision: Precision | None = Field(examples=["month"])
    end: str | None = Field(examples=[None])
    end_precision: Precision | None = Field(examples=[None])


class Quantity(_Model):
    """An amount as a source words it."""

    value: int = Field(examples=[9000000])
    unit: str = Field(examples=["rounds"])
    qualifier: str = Field(
        description="exact, about, nearly, more-than, at-least or as-many-as", examples=["as-many-as"]
    )
    uncertain: bool | None = Field(
        default=None, description="True where the source marks the number as uncertain (SIPRI's '?')."
    )


class SourceRef(_Model):
    id: str = Field(examples=["source-notes"])
    iri: str
    name: str | None = Field(default=None, examples=["Source notes: DPRK–Russia military cooperation"])


class Tiv(_Model):
    """SIPRI trend-indicator values (TIV), in millions: a volume of military capability, not a price."""

    per_unit: float | None = Field(default=None, description="TIV of one unit.", examples=[12.5])
    order: float | None = Field(default=None, description="TIV of the whole order.", examples=[150.0])
    delivered: float | None = Field(default=None, description="TIV of the weapons delivered.", examples=[75.0])


class Claim(_Model):
    """One source's account of a fact."""

    id: str = Field(examples=["prk-rus-ammunition-2024--source-notes"])
    source: SourceRef
    cites: list[SourceRef] = Field(description="The originals the source attributes the claim to.")
    status: str = Field(
        description="confirmed, reported, estimated, alleged, acknowledged, denied or sought", examples=["reported"]
    )
    grading: str = Field(description="Admiralty grading: reliability A-F and credibility 1-6.", examples=["B2"])
    quote: str | None = None
    locator: str | None = Field(default=None, examples=["DPRK to Russia"])
    attribution: str | None = Field(default=None, description="Whom the source credits, when not a document.")
    quantity: Quantity | None = Field(
        default=None, description="The amount this claim gives (for a transfer: the number delivered)."
    )
    ordered: Quantity | None = Field(default=None, description="The number ordered or agreed, as this claim gives it.")
    value: Quantity | None = Field(
        default=None, description="The deal's or package's money value, in a currency unit (such as usd)."
    )
    tiv: Tiv | None = Field(default=None, description="SIPRI trend-indicator values, as SIPRI gives them.")
    note: str | None = Field(default=None, description="The curating analyst's note.")


class ClaimedQuantity(Quantity):
    """A quantity with the claim that gives it (one event may have several, even conflicting)."""

    claim: str = Field(examples=["prk-rus-ammunition-2024--source-notes"])
    source: str = Field(examples=["source-notes"])
    status: str = Field(examples=["reported"])


class Bounds(_Model):
    """An interval of amounts: from ``low`` to ``high`` (null: no upper bound)."""

    low: int | float | None = Field(
        description="The least amount; null only in a consolidated quantity whose claims cannot all be true.",
        examples=[8100000],
    )
    low_inclusive: bool = Field(description="Whether ``low`` itself is allowed.", examples=[True])
    high: int | float | None = Field(
        description="The greatest amount; null: no upper bound (or, with ``low`` null, no interval at all).",
        examples=[9000000],
    )
    high_inclusive: bool = Field(description="Whether ``high`` itself is allowed.", examples=[False])


class ClaimInterval(Bounds):
    """The amounts one claim's number, qualifier and uncertainty allow (milcoop's rule, see
    docs/analysis.md: the tolerance of about, nearly and estimate is a convention, not the source's)."""

    claim: str = Field(examples=["prk-rus-ammunition-2024--voice-news-article"])


class ConsolidatedQuantity(Bounds):
    """Derived by milcoop, not claimed by any source: for one unit, the amounts every taking-part
    claim allows (the intersection of their intervals). Claims whose status does not assert the
    amount (denied, sought) take no part. When the intervals share no amount, ``low`` and ``high``
    are null and ``conflicting`` names the claims whose intervals miss another's."""

    unit: str = Field(examples=["rounds"])
    claims: list[str] = Field(description="The claims taking part, by id.")
    intervals: list[ClaimInterval] = Field(description="Each taking-part claim's own interval.")
    conflicting: list[str] = Field(
        default_factory=list,
        description="Claims whose interval shares no amount with another taking-part claim's; empty when the "
        "intersection exists.",
    )


class PlaceRole(_Model):
    place: Ref
    role: Literal["loading-port", "discharge-port", "border-crossing", "location", "target"]


class Event(_Model):
    """A cooperation event with everything the sources say about it."""

    id: str = Field(examples=["prk-rus-ammunition-2024"])
    iri: str
    kind: str = Field(
        description="materiel-transfer, technology-transfer, troop-deployment, weapons-use, support-request, "
        "official-statement, exercise, training, basing-access, industrial-cooperation or financing",
        examples=["materiel-transfer"],
    )
    name: str | None = None
    description: str | None = None
    from_: Ref | None = Field(
        default=None,
        serialization_alias="from",
        description="Supplier, sending state, requester, user of the weapons, stating actor, trainer, access "
        "provider, contributing partner or funder; null for an exercise (see participants).",
    )
    to: Ref | None = Field(
        default=None,
        description="Recipient, host state, the one support is sought from, trainee, access user, producing "
        "partner or funding recipient; null for an exercise (see participants).",
    )
    participants: list[Ref] = Field(
        default_factory=list, description="For an exercise: who took part (no direction, none is from or to)."
    )
    against: list[Ref] = Field(default_factory=list, description="States a weapons use was directed at.")
    items: list[Ref] = Field(default_factory=list, description="Materiel or technology concepts and systems.")
    quantities: list[ClaimedQuantity] = Field(default_factory=list)
    consolidated: list[ConsolidatedQuantity] = Field(
        default_factory=list,
        description="Derived, not a source's claim: per unit, the amounts all the listed claims' quantities allow "
        "(see docs/analysis.md, 'Consolidated quantities').",
    )
    period: Period | None = Field(description="null when the sources give no time (undated).")
    transport: list[str] = Field(default_factory=list, examples=[["sea"]])
    vessels: list[str] = Field(default_factory=list)
    places: list[PlaceRole] = Field(default_factory=list)
    stance: str | None = Field(default=None, description="For statements: acknowledgement, denial or rejection.")
    concerns: list[Ref] = Field(default_factory=list, description="What a statement is about.")
    uses: list[Ref] = Field(default_factory=list, description="The transfers whose weapons a weapons use used.")
    in_exchange_for: list[Ref] = Field(default_factory=list, description="What a support request offers.")
    on_behalf_of: Ref | None = Field(
        default=None, description="For a person's statement: the state it speaks for, by an office held then."
    )
    transfer_status: str | None = Field(
        default=None,
        description="For transfers: how far it has got (planned, ordered, in-production, delivering, delivered, "
        "cancelled); not how a source presents it (a claim's status).",
        examples=["ordered"],
    )
    terms: str | None = Field(
        default=None, description="For transfers: sale, aid, gift, lease or barter.", examples=["sale"]
    )
    condition: str | None = Field(
        default=None,
        description="For materiel transfers: new, second-hand or second-hand-modernised.",
        examples=["new"],
    )
    production: str | None = Field(
        default=None,
        description="For materiel transfers: licensed-production or co-production by the recipient.",
        examples=["licensed-production"],
    )
    ordered: DateValue | None = Field(
        default=None, description="For materiel transfers: when the order or agreement was made."
    )
    ordered_uncertain: bool | None = Field(
        default=None, description="True where the source marks the order date uncertain."
    )
    delivery_years: list[int] = Field(
        default_factory=list, description="For materiel transfers: the years of delivery.", examples=[[2021, 2022]]
    )
    delivery_years_uncertain: bool | None = Field(
        default=None, description="True where the source marks the delivery years uncertain."
    )
    access: list[str] = Field(
        default_factory=list,
        description="For basing access: base, port-call, overflight or facility.",
        examples=[["port-call"]],
    )
    forms: list[str] = Field(
        default_factory=list,
        description="For industrial cooperation: co-development, co-production, licensed-production, "
        "plant-construction, component-supply or maintenance-and-repair.",
        examples=[["co-production"]],
    )
    form: str | None = Field(
        default=None, description="For financing: grant, loan, credit-line or aid-package.", examples=["grant"]
    )
    statuses: list[str] = Field(description="The statuses of the listed claims.", examples=[["reported"]])
    claims: list[Claim]


class Page(_Model, Generic[T]):
    """One page of a list. Pass ``next_cursor`` as ``cursor`` for the next one; null at the end."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="Opaque; null on the last page.")


class FlowQuery(_Model):
    """The request as understood: references resolved to entities."""

    from_: Ref | None = Field(default=None, serialization_alias="from")
    to: Ref | None = None
    kinds: list[str]
    since: str | None = None
    until: str | None = None
    undated: Literal["include", "exclude"]
    status: str | None = None
    min_grade: str | None = None


class FlowPage(Page[Event]):
    query: FlowQuery


class Provision(_Model):
    id: str = Field(examples=["rus-prk-csp-2024-art4"])
    article: int | None = Field(examples=[4])
    kind: str | None = Field(examples=["mutual-defence"])
    name: str | None = Field(examples=["Article 4: mutual assistance"])
    summary: str | None = None


class Ratification(_Model):
    state: Ref | None
    date: DateValue | None
    step: str | None = Field(examples=["Ratified by the State Duma"])


class Treaty(_Model):
    id: str = Field(examples=["rus-prk-csp-2024"])
    iri: str
    name: str | None = None
    title: str | None = None
    parties: list[Ref]
    signed: DateValue | None = None
    signed_at: Ref | None = None
    signatories: list[Ref] = Field(default_factory=list)
    article_count: int | None = None
    open_ended: bool | None = None
    entry_into_force: DateValue | None = None
    terminated: DateValue | None = None
    replaces: list[Ref] = Field(default_factory=list)
    replaced_by: list[Ref] = Field(default_factory=list)
    provisions: list[Provision] = Field(default_factory=list)
    ratifications: list[Ratification] = Field(default_factory=list)
    claims: list[Claim]


class TreatyPage(Page[Treaty]):
    party: Ref | None = None
    in_force_on: str | None = None


class RelationItem(_Model):
    """One entry of the timeline between two actors: an event or a treaty."""

    type: Literal["event", "treaty"]
    start: str | None = Field(
        description="The first day the entry may denote (event start, treaty signature); null when not known "
        "(an undated event, or one known by its end only, which sorts by its end)."
    )
    direction: Literal["a-to-b", "b-to-a"] | None = Field(
        default=None,
        description="For events flowing between the two actors; null for statements and exercises (no direction).",
    )
    event: Event | None = None
    treaty: Treaty | None = None


class RelationPage(Page[RelationItem]):
    a: Ref
    b: Ref


class Resolution(_Model):
    id: str
    iri: str
    name: str | None = None
    number: int | None = Field(default=None, examples=[2397])
    adopted: DateValue | None = None
    by: Ref | None = None


class Measure(_Model):
    id: str = Field(examples=["dprk-refined-petroleum-cap"])
    iri: str
    name: str | None = None
    kind: str | None = Field(default=None, examples=["quantity-cap"])
    target: Ref | None = None
    covers: list[Ref] = Field(default_factory=list)
    cap: Quantity | None = None
    resolutions: list[Resolution] = Field(default_factory=list)


class Rule(_Model):
    """A rule that derives breaches (ontology/breach-rules.ttl), as a derived breach cites it."""

    id: str = Field(examples=["procurement-from-target"])
    measure_kind: str = Field(examples=["procurement-ban"])
    label: str
    definition: str


class DaySpan(_Model):
    """Two days compared by a rule; null where open (an unknown start or end, still in force)."""

    start: str | None = Field(default=None, examples=["2024-01-01"])
    end: str | None = Field(default=None, examples=["2024-12-31"])


class MatchedItem(_Model):
    """An item of the event that falls under a materiel concept the measure covers."""

    item: Ref
    covered: Ref = Field(description="The covered concept: the item itself or one it is narrower than.")
    category: Ref | None = Field(
        default=None, description="For a system: its category, through which the item falls under the concept."
    )


class CapComparison(_Model):
    """The claimed quantity a cap rule compared with the measure's cap."""

    claim: str = Field(description="The claim giving the quantity (a quantity claim, not a claim of breach).")
    source: str
    status: str
    quantity: Quantity
    cap: Quantity
    year: int = Field(description="The calendar year the whole transfer lies in.", examples=[2024])


class RestsOn(_Model):
    """What a derived breach rests on: the facts the rule compared, each sourced by its own claims."""

    event: Ref
    measure: Ref
    target: Ref = Field(description="The measure's target state, on the side of the event the rule names.")
    side: Literal["from", "to"]
    items: list[MatchedItem]
    event_span: DaySpan = Field(description="The days the event's dates may denote (spanStart, spanEnd).")
    in_force: DaySpan = Field(
        description="The days the measure was certainly in force: from the last day its start may denote, "
        "until the first day its end may denote."
    )
    in_force_from: str = Field(
        description="Where the start comes from: in-force-from (the measure's own date) or the id of the earliest "
        "imposing resolution, by its adoption.",
        examples=["unsc-1718"],
    )
    within: bool = Field(description="Whether the event's whole span lies in the period in force (else it overlaps).")
    cap: CapComparison | None = None


class Violation(_Model):
    """A breach: an event and the sanctions measure it breaches; asserted by sources (with the
    claims that say so) or derived by a rule (with what it rests on and no claims)."""

    id: str = Field(examples=["breach-rus-prk-refined-petroleum-2024"])
    iri: str | None = Field(description="The breach node's IRI; null for a derived breach (no such node).")
    name: str | None = None
    basis: Literal["asserted", "derived"] = Field(
        description="asserted: a source says so (see claims); derived: a rule concludes it from the facts."
    )
    rule: Rule | None = Field(default=None, description="For a derived breach: the rule that derives it.")
    rests_on: RestsOn | None = Field(default=None, description="For a derived breach: what the rule compared.")
    also_derived_by: list[Rule] = Field(
        default_factory=list, description="For an asserted breach: the rules that derive the same event and measure."
    )
    event: Event | None
    measure: Measure | None
    claims: list[Claim] = Field(description="The claims that say it is a breach; empty for a derived breach.")


class ViolationPage(Page[Violation]):
    state: Ref | None = None
    measure: Ref | None = None
    basis: Literal["asserted", "derived"] | None = None


class PathStep(_Model):
    type: str = Field(examples=["SUPPLIER"])
    direction: Literal["forward", "backward"] = Field(
        description="forward: the relationship points from the node before this step to the node after it."
    )


class Path(_Model):
    length: int
    nodes: list[Ref]
    steps: list[PathStep]


class PathAnswer(_Model):
    """Shortest paths between two entities over actors, events, places and treaties."""

    from_: Ref = Field(serialization_alias="from")
    to: Ref
    max_hops: int
    length: int | None = Field(description="Hops of the shortest paths; null when none within max_hops.")
    total: int = Field(description="How many shortest paths there are (``paths`` lists at most ``limit``).")
    complete: bool = Field(
        description="False when the search stopped at its budget (100,000 relationships) before finishing: "
        "then no paths are listed, which does not mean there are none."
    )
    paths: list[Path]


class Source(_Model):
    id: str = Field(examples=["msmt-2025-1"])
    iri: str
    name: str | None = None
    title: str | None = None
    publisher: str | None = None
    kind: str | None = Field(default=None, examples=["monitoring-report"])
    number: str | None = None
    issued: DateValue | None = None
    briefed: DateValue | None = None
    urls: list[str] = Field(default_factory=list)
    description: str | None = None
    claims_read_here: int = Field(description="Claims whose analyst read them in this document.")
    claims_citing: int = Field(description="Claims that cite this document as their original.")


class SupportedFact(_Model):
    """A fact a source supports, with the claims that tie it to the source."""

    fact: Ref
    claims: list[Claim]
    via: list[Literal["source", "cites"]] = Field(
        description="source: read in this document; cites: read elsewhere, attributed to this document."
    )


class SourceDetail(_Model):
    source: Source
    facts: Page[SupportedFact]


class EntitySummary(Ref):
    aliases: list[str] = Field(default_factory=list)


class Link(_Model):
    type: str = Field(examples=["SUPPLIER"])
    target: Ref


class LinkCount(_Model):
    type: str = Field(examples=["SUPPLIER"])
    count: int


class EntityDetail(_Model):
    """An entity with its identifiers, properties and a summary of its links."""

    entity: EntitySummary
    identifiers: dict[str, str] = Field(
        description="Where recorded: iso_code (alpha-3), iso_alpha2, iso_numeric, iso_alpha4 (a former state's), "
        "cow_code, cow_abbreviation (Correlates of War) and wikidata (the QID)."
    )
    description: str | None = None
    properties: dict[str, Any] = Field(description="Its other recorded properties, dates with precision.")
    outgoing: list[Link]
    incoming: list[LinkCount] = Field(description="How many relationships of each type point at it.")
    event: Event | None = Field(default=None, description="For an event: the event as /v1/flows shows it.")
    treaty: Treaty | None = Field(default=None, description="For a treaty: the treaty as /v1/treaties shows it.")


class Change(_Model):
    """A resource (a fact, a claim, an entity) added, removed or changed by a load."""

    iri: str
    id: str = Field(examples=["claim-rusi-shells-1"])
    kind: str = Field(examples=["claim"])
    change: Literal["added", "removed", "changed"]
    version: str = Field(
        description="The data version of the load that last changed it.", examples=["1002481c0ceca65f"]
    )
    at: str = Field(description="When that load ran (UTC).", examples=["2026-12-01T09:30:00+00:00"])


class DataVersion(_Model):
    """A load that changed the store."""

    version: str
    at: str
    files: list[str] = Field(default_factory=list, description="The fact files or register file it read.")
    resources: int = 0
    triples: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    partition: str = Field(
        "curated", description="What the load replaced: the curated facts, or one register (register:sipri)."
    )


class ChangePage(Page[Change]):
    since: DataVersion | None = Field(
        description="The load the changes are counted from (null: before the first load)."
    )
    current: DataVersion | None = Field(description="The latest recorded load.")


class Health(_Model):
    status: Literal["ok", "unavailable"]
    backend: Literal["embedded", "neo4j"]
    data_version: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    detail: str | None = None


class Suggestion(_Model):
    id: str
    kind: str
    name: str | None = None


class ErrorBody(_Model):
    """Every error answer."""

    error: Literal[
        "not_found",
        "invalid_parameter",
        "ambiguous",
        "unavailable",
        "store_error",
        # access control and fair sharing (api/access/)
        "unauthorized",
        "forbidden",
        "too_many_requests",
        "payload_too_large",
        # a SPARQL query with more results than one answer holds (page with LIMIT/OFFSET)
        "result_too_large",
    ]
    message: str = Field(examples=["no actor matches 'Nroth Korea' (parameter from); did you mean PRK?"])
    parameter: str | None = Field(default=None, examples=["from"])
    suggestions: list[Suggestion] = Field(default_factory=list)

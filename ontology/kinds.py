"""The field's closed lists, defined once: event kinds, curated-file sections, the groups of
relationship types the queries use, the labels people name, and the sort keys of dated things.

Everything here is vocabulary, not behaviour: the curation compiler (``milcoop.loaders``), both
stores and the query answers (``milcoop.graph``) and the API read these tables instead of
restating them. Where the OWL file says it, the list is derived from it (the flow directions are
the sub-properties of ``mc:fromActor`` and ``mc:toActor``; labels come from the vocabulary).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Literal

from rdflib import RDFS, URIRef

from milcoop.ontology import ontology_graph
from milcoop.ontology.grading import CREDIBILITIES as CREDIBILITIES
from milcoop.ontology.grading import GRADING as GRADING
from milcoop.ontology.grading import RELIABILITIES as RELIABILITIES
from milcoop.ontology.namespace import MC
from milcoop.ontology.vocabulary import relationship_type_for, vocabulary

# ------------------------------------------------------------------------------------------------
# Curated files
# ------------------------------------------------------------------------------------------------

#: section key -> (entity kind used in IRIs, word used in messages)
SECTIONS: dict[str, tuple[str, str]] = {
    "sources": ("source", "source"),
    "states": ("state", "state"),
    "organisations": ("organisation", "organisation"),
    "persons": ("person", "person"),
    "places": ("place", "place"),
    "systems": ("system", "system"),
    "resolutions": ("resolution", "resolution"),
    "measures": ("measure", "measure"),
    "treaties": ("treaty", "treaty"),
    "events": ("event", "event"),
    "breaches": ("breach", "breach"),
}

#: event kind -> (class, property for ``from``, property for ``to`` or None)
EVENT_KINDS: dict[str, tuple[URIRef, URIRef, URIRef | None]] = {
    "materiel-transfer": (MC.MaterielTransfer, MC.supplier, MC.recipient),
    "technology-transfer": (MC.TechnologyTransfer, MC.supplier, MC.recipient),
    "troop-deployment": (MC.TroopDeployment, MC.sendingState, MC.hostState),
    "weapons-use": (MC.WeaponsUse, MC.usedBy, None),
    "support-request": (MC.SupportRequest, MC.requester, MC.requestedFrom),
    "official-statement": (MC.OfficialStatement, MC.statedBy, None),
    # An exercise has participants, not a direction: mc:participant is a sub-property of both
    # mc:fromActor and mc:toActor, so each participant is on both sides of every query.
    "exercise": (MC.JointExercise, MC.participant, None),
    "training": (MC.TrainingSupport, MC.trainer, MC.trainee),
    "basing-access": (MC.BasingAccess, MC.accessProvider, MC.accessUser),
    "industrial-cooperation": (MC.IndustrialCooperation, MC.contributingPartner, MC.producingPartner),
    "financing": (MC.MilitaryFinancing, MC.funder, MC.fundingRecipient),
}

#: Event kinds whose ``from`` is a list of participants rather than one actor.
PARTICIPANT_KINDS: frozenset[str] = frozenset({"exercise"})

#: Kinds of identifiers that are not a section's: the parts of facts that get IRIs of their own.
PART_ID_KINDS: tuple[str, ...] = ("claim", "quantity", "provision", "ratification", "office")
#: Every kind that appears in ``https://w3id.org/milcoop/id/{kind}/{id}``, sorted.
ID_KINDS: tuple[str, ...] = tuple(sorted({kind for kind, _ in SECTIONS.values()} | set(PART_ID_KINDS)))


# ------------------------------------------------------------------------------------------------
# Relationship-type groups and labels
# ------------------------------------------------------------------------------------------------


@cache
def _sub_property_types(parent: URIRef) -> tuple[str, ...]:
    onto = ontology_graph()
    found: set[URIRef] = set()
    frontier = [parent]
    while frontier:
        current = frontier.pop()
        for child in onto.subjects(RDFS.subPropertyOf, current):
            if isinstance(child, URIRef) and child not in found:
                found.add(child)
                frontier.append(child)
    return tuple(sorted(relationship_type_for(p) for p in found))


#: Sort key of something without a date: after every ISO date.
UNDATED = "~"

#: Relationship types from an event to the actor it flows from (subproperties of mc:fromActor).
FROM_TYPES: tuple[str, ...] = _sub_property_types(MC.fromActor)
#: Relationship types from an event to the actor it flows to (subproperties of mc:toActor).
TO_TYPES: tuple[str, ...] = _sub_property_types(MC.toActor)
#: A weapons use points at the states it was directed against; relations between two states
#: count it as well (``/v1/relations?a=RUS&b=UKR`` lists the strikes).
TARGET_TYPES: tuple[str, ...] = ("TARGET_STATE",)

#: event kind code (as analysts and the API write it) -> node label
EVENT_KIND_LABELS: dict[str, str] = {kind: vocabulary().labels[cls] for kind, (cls, _, _) in EVENT_KINDS.items()}
#: node label -> event kind code
EVENT_LABEL_KINDS: dict[str, str] = {label: kind for kind, label in EVENT_KIND_LABELS.items()}
#: The labels of event nodes, one per event kind.
EVENT_LABELS: frozenset[str] = frozenset(EVENT_KIND_LABELS.values())
#: The kinds a flow can have: something moves from one actor to another.
FLOW_KINDS: tuple[str, ...] = (
    "materiel-transfer",
    "technology-transfer",
    "troop-deployment",
    "support-request",
    "training",
    "basing-access",
    "industrial-cooperation",
    "financing",
)
#: Relationship types from a joint exercise to its participants (no direction).
PARTICIPANT_TYPES: tuple[str, ...] = ("PARTICIPANT",)

#: Relationship types from an event to a place -> the role the place plays in the event.
PLACE_ROLES: dict[str, Literal["loading-port", "discharge-port", "border-crossing", "location", "target"]] = {
    "LOADING_PORT": "loading-port",
    "DISCHARGE_PORT": "discharge-port",
    "BORDER_CROSSING": "border-crossing",
    "LOCATION": "location",
    "TARGET_PLACE": "target",
}

#: node label -> the entity kind shown to users (events show their event kind instead).
ENTITY_KINDS: dict[str, str] = {
    "State": "state",
    "InternationalOrganisation": "organisation",
    "Person": "person",
    "Place": "place",
    "SourceDocument": "source",
    "Treaty": "treaty",
    "Provision": "provision",
    "Ratification": "ratification",
    "OfficeHolding": "office",
    "Resolution": "resolution",
    "SanctionsMeasure": "measure",
    "Breach": "breach",
    "Claim": "claim",
    "Quantity": "quantity",
    "WeaponSystem": "system",
    "MaterielConcept": "materiel",
    "ConceptScheme": "concept-scheme",
}

#: Labels of the entities people name: resolved by name, alias, ISO code or QID from an
#: in-memory index (small: a few thousand at most), and the pool for "did you mean" hints.
#: Events, claims and the like resolve by id or IRI only.
REFERENCE_LABELS: tuple[str, ...] = (
    "InternationalOrganisation",
    "MaterielConcept",
    "Person",
    "Place",
    "Resolution",
    "SanctionsMeasure",
    "SourceDocument",
    "State",
    "Treaty",
    "WeaponSystem",
)
ACTOR_LABELS: frozenset[str] = frozenset({"State", "InternationalOrganisation", "Person"})

#: Path search walks actors, events, places and treaties only. Claims, sources, quantities,
#: materiel concepts, measures and the concept scheme are hubs that every fact touches: walking
#: them would connect anything to anything in two hops and say nothing.
PATH_LABELS: frozenset[str] = frozenset(
    {"State", "InternationalOrganisation", "Person", "Place", "Treaty", *EVENT_KIND_LABELS.values()}
)
#: The relationships path search follows (in either direction) between those nodes.
PATH_TYPES: tuple[str, ...] = (
    "ACCESS_PROVIDER",
    "ACCESS_USER",
    "BORDER_CROSSING",
    "CONCERNS",
    "CONTRIBUTING_PARTNER",
    "DISCHARGE_PORT",
    "FUNDER",
    "FUNDING_RECIPIENT",
    "HOST_STATE",
    "IN_EXCHANGE_FOR",
    "LEADER_OF",
    "LOADING_PORT",
    "LOCATED_IN",
    "LOCATION",
    "MEMBER_STATE",
    "ON_BEHALF_OF",
    "PARTICIPANT",
    "PARTY",
    "PART_OF",
    "PRODUCING_PARTNER",
    "RECIPIENT",
    "REPLACES",
    "REQUESTED_FROM",
    "REQUESTER",
    "SENDING_STATE",
    "SIGNATORY",
    "SIGNED_AT",
    "STATED_BY",
    "SUCCESSOR",
    "SUPPLIER",
    "TARGET_PLACE",
    "TARGET_STATE",
    "TRAINEE",
    "TRAINER",
    "USED_BY",
    "USES_MATERIEL_FROM",
    "WITHIN_PLACE",
)

# ------------------------------------------------------------------------------------------------
# Claims
# ------------------------------------------------------------------------------------------------

#: The statuses a claim can have (the codes of mc:status), sorted.
CLAIM_STATUSES: tuple[str, ...] = tuple(sorted(vocabulary().enum_properties[MC.status].codes))

# The Admiralty scale (RELIABILITIES, CREDIBILITIES, GRADING) is defined in ontology/grading.py
# and re-exported at the top of this module for the lists' readers.

# ------------------------------------------------------------------------------------------------
# Health
# ------------------------------------------------------------------------------------------------

#: Labels counted by the health check.
COUNTED_LABELS: tuple[str, ...] = (
    "Breach",
    "Claim",
    "CooperationEvent",
    "SourceDocument",
    "State",
    "Treaty",
)


def time_key(start: dt.date | None, iri: str, end: dt.date | None = None) -> str:
    """The sort key of a dated thing: ``2023-09-01 <iri>``, by its start, else its end (an event
    whose start is unknown); undated things (neither) sort last."""
    day = start or end
    return f"{day.isoformat() if day else UNDATED} {iri}"


"""Every IRI milcoop mints or uses, in one place.

The namespaces are closed :class:`rdflib.namespace.DefinedNamespace` classes, so a misspelt term
(``MC.supplyer``) fails at import or first use instead of producing a silent new IRI. A test
checks that this module and ``milcoop.ttl`` declare exactly the same terms.
"""

from __future__ import annotations

from typing import ClassVar

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_IRI = URIRef("https://w3id.org/milcoop/ontology")
ONTOLOGY_VERSION = "0.1.0"
ONTOLOGY_VERSION_IRI = URIRef(f"https://w3id.org/milcoop/ontology/{ONTOLOGY_VERSION}")

#: Curated entities: ``ID[f"{kind}/{id}"]``, e.g. ``https://w3id.org/milcoop/id/state/PRK``.
ID = Namespace("https://w3id.org/milcoop/id/")

#: Named graphs, one per source document, used by TriG/N-Quads exports.
GRAPH = Namespace("https://w3id.org/milcoop/graph/")

#: The dataset itself (its DCAT/VoID description).
DATASET_IRI = URIRef("https://w3id.org/milcoop/dataset")


class MC(DefinedNamespace):
    """The milcoop ontology: classes, properties and enumeration individuals."""

    _NS = Namespace("https://w3id.org/milcoop/ontology#")
    _fail = True

    # Classes
    Actor: URIRef
    Breach: URIRef
    Claim: URIRef
    ClaimStatus: URIRef
    CooperationEvent: URIRef
    InternationalOrganisation: URIRef
    MaterielConcept: URIRef
    MaterielScheme: URIRef
    MaterielTransfer: URIRef
    MeasureKind: URIRef
    OfficialStatement: URIRef
    Person: URIRef
    Place: URIRef
    PlaceKind: URIRef
    Provision: URIRef
    ProvisionKind: URIRef
    Qualifier: URIRef
    Quantity: URIRef
    Ratification: URIRef
    Resolution: URIRef
    SanctionsMeasure: URIRef
    SourceDocument: URIRef
    SourceKind: URIRef
    Stance: URIRef
    State: URIRef
    SupportRequest: URIRef
    TechnologyTransfer: URIRef
    TransportMode: URIRef
    Treaty: URIRef
    TroopDeployment: URIRef
    Unit: URIRef
    WeaponSystem: URIRef
    WeaponsUse: URIRef

    # Properties and enumeration individuals
    about: URIRef
    acknowledged: URIRef
    acknowledgement: URIRef
    adoptedBy: URIRef
    adoptedOn: URIRef
    air: URIRef
    alleged: URIRef
    analystNote: URIRef
    articleCount: URIRef
    articleNumber: URIRef
    asManyAs: URIRef
    asserts: URIRef
    atLeast: URIRef
    attribution: URIRef
    barrels: URIRef
    barrelsPerYear: URIRef
    borderCrossing: URIRef
    breachedMeasure: URIRef
    breachingEvent: URIRef
    briefedOn: URIRef
    cap: URIRef
    category: URIRef
    cites: URIRef
    city: URIRef
    claimedQuantity: URIRef
    concerns: URIRef
    confirmed: URIRef
    containers: URIRef
    coverageCompilation: URIRef
    coversMateriel: URIRef
    denial: URIRef
    denied: URIRef
    dischargePort: URIRef
    documentNumber: URIRef
    endDate: URIRef
    entryIntoForce: URIRef
    entryIntoForceClause: URIRef
    established: URIRef
    estimated: URIRef
    exact: URIRef
    fromActor: URIRef
    hostState: URIRef
    imposedBy: URIRef
    inExchangeFor: URIRef
    informationCredibility: URIRef
    isoCode: URIRef
    item: URIRef
    leaderOf: URIRef
    loadingPort: URIRef
    locatedIn: URIRef
    location: URIRef
    locator: URIRef
    mandateEnded: URIRef
    measureKind: URIRef
    memberState: URIRef
    missiles: URIRef
    monitoringReport: URIRef
    moreThan: URIRef
    mutualDefence: URIRef
    nearly: URIRef
    newsArticle: URIRef
    officialDocument: URIRef
    openEnded: URIRef
    originState: URIRef
    partOf: URIRef
    party: URIRef
    personnel: URIRef
    placeKind: URIRef
    port: URIRef
    procurementBan: URIRef
    provision: URIRef
    provisionKind: URIRef
    qualifier: URIRef
    quantityCap: URIRef
    quote: URIRef
    rail: URIRef
    railCrossing: URIRef
    ratification: URIRef
    ratifiedOn: URIRef
    ratifyingState: URIRef
    recipient: URIRef
    region: URIRef
    rejection: URIRef
    replaces: URIRef
    reported: URIRef
    requestedFrom: URIRef
    requester: URIRef
    resolutionNumber: URIRef
    road: URIRef
    role: URIRef
    rounds: URIRef
    sea: URIRef
    sendingState: URIRef
    signatory: URIRef
    signedAt: URIRef
    signedOn: URIRef
    sought: URIRef
    source: URIRef
    sourceKind: URIRef
    sourceReliability: URIRef
    spanEnd: URIRef
    spanStart: URIRef
    stance: URIRef
    startDate: URIRef
    statedBy: URIRef
    status: URIRef
    supplier: URIRef
    supplyBan: URIRef
    systems: URIRef
    targetPlace: URIRef
    targetState: URIRef
    terminatedOn: URIRef
    toActor: URIRef
    transportMode: URIRef
    unit: URIRef
    url: URIRef
    usedBy: URIRef
    usesMaterielFrom: URIRef
    value: URIRef
    vesselName: URIRef
    wikidataId: URIRef


class MAT(DefinedNamespace):
    """The materiel and technology taxonomy (SKOS concepts, see ``materiel.ttl``)."""

    _NS = Namespace("https://w3id.org/milcoop/materiel/")
    _fail = True
    _extras: ClassVar[list[str]] = [
        "air-defence",
        "air-defence-system",
        "ammunition",
        "anti-aircraft-missile",
        "anti-tank-weapon",
        "artillery-ammunition",
        "ballistic-missile",
        "battlefield-data",
        "combat-vehicle",
        "electronic-warfare",
        "multiple-rocket-launcher",
        "munitions-and-related-materiel",
        "operational-know-how",
        "refined-petroleum",
        "rocket-ammunition",
        "rocket-launcher",
        "satellite-technology",
        "self-propelled-gun",
        "small-arms",
        "technology-and-data",
        "un-register-i",
        "un-register-ii",
        "un-register-iii",
        "un-register-iv",
        "un-register-v",
        "un-register-vi",
        "un-register-vii",
    ]

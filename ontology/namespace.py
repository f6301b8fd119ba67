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

#: Wikidata items, which entities link to with ``owl:sameAs`` where a source gives the QID.
WIKIDATA = Namespace("http://www.wikidata.org/entity/")

#: Named graphs, one per source document, used by TriG/N-Quads exports.
GRAPH = Namespace("https://w3id.org/milcoop/graph/")

#: The dataset itself (its DCAT/VoID description).
DATASET_IRI = URIRef("https://w3id.org/milcoop/dataset")


class MC(DefinedNamespace):
    """The milcoop ontology: classes, properties and enumeration individuals."""

    _NS = Namespace("https://w3id.org/milcoop/ontology#")
    _fail = True

    # Classes
    AccessKind: URIRef
    Actor: URIRef
    BasingAccess: URIRef
    Breach: URIRef
    Claim: URIRef
    ClaimStatus: URIRef
    ConsolidatedQuantity: URIRef
    CooperationEvent: URIRef
    FinancingForm: URIRef
    IndustrialCooperation: URIRef
    IndustrialForm: URIRef
    InternationalOrganisation: URIRef
    JointExercise: URIRef
    MaterielConcept: URIRef
    MaterielCondition: URIRef
    MaterielScheme: URIRef
    MaterielTransfer: URIRef
    MeasureEnd: URIRef
    MeasureKind: URIRef
    MilitaryFinancing: URIRef
    OfficeHolding: URIRef
    OfficeKind: URIRef
    OfficialStatement: URIRef
    Person: URIRef
    Place: URIRef
    PlaceKind: URIRef
    ProductionArrangement: URIRef
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
    TrainingSupport: URIRef
    TransferStatus: URIRef
    TransferTerms: URIRef
    TransportMode: URIRef
    Treaty: URIRef
    TroopDeployment: URIRef
    Unit: URIRef
    WeaponSystem: URIRef
    WeaponsUse: URIRef

    # Properties and enumeration individuals
    about: URIRef
    accessKind: URIRef
    accessProvider: URIRef
    accessUser: URIRef
    acknowledged: URIRef
    acknowledgement: URIRef
    adoptedBy: URIRef
    adoptedOn: URIRef
    aid: URIRef
    aidPackage: URIRef
    air: URIRef
    airBase: URIRef
    aircraft: URIRef
    alleged: URIRef
    ambassador: URIRef
    analystNote: URIRef
    articleCount: URIRef
    articleNumber: URIRef
    asManyAs: URIRef
    asserts: URIRef
    assetFreeze: URIRef
    atLeast: URIRef
    attribution: URIRef
    automaticRenewal: URIRef
    barrels: URIRef
    barrelsPerYear: URIRef
    barter: URIRef
    baseAccess: URIRef
    borderCrossing: URIRef
    breachedMeasure: URIRef
    breachingEvent: URIRef
    briefedOn: URIRef
    cancelled: URIRef
    cap: URIRef
    category: URIRef
    cites: URIRef
    city: URIRef
    claimedQuantity: URIRef
    coDevelopment: URIRef
    componentSupply: URIRef
    concerns: URIRef
    confirmed: URIRef
    consultation: URIRef
    containers: URIRef
    contributingPartner: URIRef
    coProduction: URIRef
    courtDocument: URIRef
    coverageCompilation: URIRef
    coversMateriel: URIRef
    cowAbbreviation: URIRef
    cowCode: URIRef
    creditLine: URIRef
    dataset: URIRef
    dealValue: URIRef
    defenceMinister: URIRef
    delivered: URIRef
    delivering: URIRef
    deliveryYear: URIRef
    deliveryYearsUncertain: URIRef
    denial: URIRef
    denied: URIRef
    dischargePort: URIRef
    documentNumber: URIRef
    drones: URIRef
    endDate: URIRef
    endedBy: URIRef
    entente: URIRef
    entryIntoForce: URIRef
    entryIntoForceClause: URIRef
    entryIntoForceUnknown: URIRef
    established: URIRef
    estimate: URIRef
    estimated: URIRef
    eur: URIRef
    exact: URIRef
    facilityUse: URIRef
    financingForm: URIRef
    foreignMinister: URIRef
    formerState: URIRef
    fromActor: URIRef
    funder: URIRef
    fundingRecipient: URIRef
    gift: URIRef
    governmentBriefing: URIRef
    governmentStatement: URIRef
    grant: URIRef
    headOfGovernment: URIRef
    headOfState: URIRef
    heldFrom: URIRef
    heldUntil: URIRef
    holdsOffice: URIRef
    hostState: URIRef
    imposedBy: URIRef
    industrialForm: URIRef
    inExchangeFor: URIRef
    inForceFrom: URIRef
    inForceUntil: URIRef
    informationCredibility: URIRef
    inProduction: URIRef
    isoAlpha2: URIRef
    isoAlpha4: URIRef
    isoCode: URIRef
    isoCodeWithdrawn: URIRef
    isoNumeric: URIRef
    item: URIRef
    items: URIRef
    jointProduction: URIRef
    lapsed: URIRef
    leaderOf: URIRef
    lease: URIRef
    licensedManufacture: URIRef
    licensedProduction: URIRef
    loadingPort: URIRef
    loan: URIRef
    locatedIn: URIRef
    location: URIRef
    locator: URIRef
    maintenanceAndRepair: URIRef
    mandateEnded: URIRef
    materielCondition: URIRef
    measureEnd: URIRef
    measureKind: URIRef
    memberState: URIRef
    militaryBase: URIRef
    militaryCommander: URIRef
    militaryTechnicalCooperation: URIRef
    minister: URIRef
    missiles: URIRef
    monitoringReport: URIRef
    moreThan: URIRef
    mutualDefence: URIRef
    navalBase: URIRef
    nearly: URIRef
    neutrality: URIRef
    new: URIRef
    newsArticle: URIRef
    nonAggression: URIRef
    nonAssistanceToAggressor: URIRef
    offence: URIRef
    officeKind: URIRef
    officeOther: URIRef
    officeState: URIRef
    officeTitle: URIRef
    officialDocument: URIRef
    officialName: URIRef
    onBehalfOf: URIRef
    openEnded: URIRef
    orderDate: URIRef
    orderDateUncertain: URIRef
    ordered: URIRef
    orderedQuantity: URIRef
    originState: URIRef
    overflight: URIRef
    participant: URIRef
    partOf: URIRef
    party: URIRef
    personnel: URIRef
    placeKind: URIRef
    planned: URIRef
    plant: URIRef
    plantConstruction: URIRef
    port: URIRef
    portCall: URIRef
    priorApproval: URIRef
    procurementBan: URIRef
    producingPartner: URIRef
    productionArrangement: URIRef
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
    register: URIRef
    rejection: URIRef
    renewalYears: URIRef
    replaces: URIRef
    reported: URIRef
    requestedFrom: URIRef
    requester: URIRef
    researchReport: URIRef
    resolutionNumber: URIRef
    road: URIRef
    role: URIRef
    rounds: URIRef
    rub: URIRef
    sale: URIRef
    sea: URIRef
    secondHand: URIRef
    secondHandModernised: URIRef
    sendingState: URIRef
    ships: URIRef
    signatory: URIRef
    signedAt: URIRef
    signedOn: URIRef
    sought: URIRef
    source: URIRef
    sourceKind: URIRef
    sourceReliability: URIRef
    spanEnd: URIRef
    spanStart: URIRef
    specialEconomicZone: URIRef
    spokesperson: URIRef
    stance: URIRef
    startDate: URIRef
    statedBy: URIRef
    status: URIRef
    successor: URIRef
    supplier: URIRef
    supplyBan: URIRef
    systems: URIRef
    targetPlace: URIRef
    targetState: URIRef
    technicalAssistanceBan: URIRef
    termAndRenewal: URIRef
    terminated: URIRef
    terminatedOn: URIRef
    termYears: URIRef
    testSite: URIRef
    tivDelivered: URIRef
    tivOfOrder: URIRef
    tivPerUnit: URIRef
    toActor: URIRef
    tolerance: URIRef
    # Consolidated quantities (derived, export only)
    conflictingClaim: URIRef
    consolidates: URIRef
    consolidationRule: URIRef
    lowerBound: URIRef
    lowerInclusive: URIRef
    upperBound: URIRef
    upperInclusive: URIRef
    trainee: URIRef
    trainer: URIRef
    transferStatus: URIRef
    transferTerms: URIRef
    transportMode: URIRef
    travelBan: URIRef
    uncertain: URIRef
    unDocument: URIRef
    unit: URIRef
    unLetter: URIRef
    unPanelReport: URIRef
    url: URIRef
    usd: URIRef
    usedBy: URIRef
    usesMaterielFrom: URIRef
    value: URIRef
    vehicles: URIRef
    vesselName: URIRef
    wikidataId: URIRef
    withinPlace: URIRef


class MAT(DefinedNamespace):
    """The materiel and technology taxonomy (SKOS concepts, see ``materiel.ttl``)."""

    _NS = Namespace("https://w3id.org/milcoop/materiel/")
    _fail = True
    _extras: ClassVar[list[str]] = [
        "air-defence",
        "air-defence-system",
        "ammunition",
        "anti-aircraft-missile",
        "anti-ship-missile",
        "anti-tank-weapon",
        "artillery-ammunition",
        "ballistic-missile",
        "battlefield-data",
        "close-range-ballistic-missile",
        "combat-uav",
        "combat-vehicle",
        "components",
        "cruise-missile",
        "electronic-warfare",
        "engines",
        "guidance-electronics",
        "guided-bomb",
        "intercontinental-ballistic-missile",
        "intermediate-range-ballistic-missile",
        "loitering-munition",
        "major-conventional-weapons",
        "manpads",
        "medium-range-ballistic-missile",
        "missile-launcher",
        "multiple-rocket-launcher",
        "munitions-and-related-materiel",
        "one-way-attack-drone",
        "operational-know-how",
        "production-equipment",
        "reconnaissance-uav",
        "refined-petroleum",
        "rocket-ammunition",
        "rocket-launcher",
        "satellite-technology",
        "satellites",
        "self-propelled-gun",
        "sensors",
        "short-range-ballistic-missile",
        "sipri-air-defence-systems",
        "sipri-aircraft",
        "sipri-anti-submarine-warfare",
        "sipri-armoured-vehicles",
        "sipri-artillery",
        "sipri-engines",
        "sipri-missiles",
        "sipri-naval-weapons",
        "sipri-other",
        "sipri-satellites",
        "sipri-sensors",
        "sipri-ships",
        "small-arms",
        "small-arms-ammunition",
        "technology-and-data",
        "un-register-i",
        "un-register-ii",
        "un-register-iii",
        "un-register-iv",
        "un-register-v",
        "un-register-vi",
        "un-register-vii",
        "unmanned-aerial-vehicle",
        "warship",
    ]

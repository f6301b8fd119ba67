"""The register importers on fixtures in the publishers' layouts (rows made up, fictional states).

Every state the fixtures name is fictional (tests/fixtures/registers/reference/fictional.yaml:
ISO 3166 user-assigned codes, COW codes 9001-9009 that the COW list does not have).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from milcoop.cli import app
from milcoop.loaders.curated import reference_dir
from milcoop.loaders.problems import CurationError
from milcoop.loaders.registers import read_register
from milcoop.settings import Settings, get_settings
from tests.api.stores import client_for

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "registers"
SIPRI = FIXTURES / "sipri"
REFERENCE = [reference_dir(), FIXTURES / "reference"]


def _events(register: str, path: Path, **options: Any) -> dict[str, dict[str, Any]]:
    read, _ = read_register(register, path, reference=REFERENCE, **options)
    return {e["id"]: e for e in read.document.content.get("events", [])}


def _by_name(events: dict[str, dict[str, Any]], designation: str) -> dict[str, Any]:
    (found,) = [e for e in events.values() if e["name"].startswith(designation)]
    return found


def test_a_sipri_row_keeps_every_value_and_mark() -> None:
    events = _events("sipri", SIPRI / "trade-register-2025.csv")
    xs1 = _by_name(events, "XS-1")
    assert xs1["from"] == "XAA" and xs1["to"] == "XAC"
    assert xs1["items"] == ["xs-1"]  # the designation is a known system
    assert xs1["ordered"] == "2021" and xs1["ordered_uncertain"] is True
    assert xs1["delivery_years"] == [2023, 2024]
    assert "transfer_status" not in xs1  # 20 of 50 delivered: the numbers say how far it got
    assert xs1["period"] == {"start": "2021"}  # open: not all delivered
    (claim,) = xs1["claims"]
    assert claim["ordered"] == {"value": 50, "unit": "items", "qualifier": "estimate"}
    assert claim["quantity"] == {"value": 20, "unit": "items", "qualifier": "estimate", "uncertain": True}
    assert claim["tiv"] == {"per_unit": 2.5, "order": 125.0, "delivered": 50.0}
    assert claim["status"] == "estimated" and claim["grading"] == "B2"
    assert claim["locator"] == "line 14" and claim["source"] == "sipri-arms-transfers-2025-03-14"

    falcon = _by_name(events, "Mk-7 Falcon")
    assert falcon["transfer_status"] == "delivered" and falcon["period"] == {"start": "2019", "end": "2022"}
    assert falcon["claims"][0]["quote"] == "Fictional row: deal incl. training, spares"
    assert falcon["claims"][0]["status"] == "reported"
    assert falcon["condition"] == "new"


def test_names_resolve_through_the_reference_data() -> None:
    events = _events("sipri", SIPRI / "trade-register-2025.csv")
    assert _by_name(events, "Tern-2")["from"] == "unidentified-party"  # SIPRI's "unknown"
    tern = _by_name(events, "Tern-2")
    assert tern["transfer_status"] == "ordered" and tern["condition"] == "second-hand"
    assert "quantity" not in tern["claims"][0]  # an order is not a delivery
    tank = _by_name(events, "BT-9")
    assert tank["from"] == "XAZ"  # a former state, by its name
    assert tank["condition"] == "second-hand-modernised"
    assert _by_name(events, "Kite UAV")["to"] == "XAB"  # by an alias


def test_an_unknown_layout_is_refused_naming_the_header_expected() -> None:
    with pytest.raises(CurationError) as caught:
        read_register("sipri", SIPRI / "web-export.csv", reference=REFERENCE)
    (problem,) = caught.value.problems
    assert "Recipient, Supplier, Year of order, , Number ordered" in problem.message
    with pytest.raises(CurationError) as caught:
        read_register("cow", FIXTURES / "atop" / "atop5_1m.csv", reference=REFERENCE)
    assert "lacks version4id" in caught.value.problems[0].message


def test_bad_values_are_reported_with_line_and_column() -> None:
    with pytest.raises(CurationError) as caught:
        read_register("sipri", SIPRI / "trade-register-bad-values.csv", reference=REFERENCE)
    found = {(p.line, p.subject) for p in caught.value.problems}
    assert found == {(12 + 1, "Year of order"), (14, "Number ordered"), (14, "status")}


def test_unresolved_rows_stop_the_import_unless_skipped() -> None:
    with pytest.raises(CurationError) as caught:
        read_register("sipri", SIPRI / "trade-register-unresolved.csv", reference=REFERENCE)
    located = {(p.line, p.subject, p.message.split("'")[1]) for p in caught.value.problems if p.line}
    assert located == {(14, "Recipient", "Narnia*"), (15, "Supplier", "Atlantis")}
    read, _ = read_register("sipri", SIPRI / "trade-register-unresolved.csv", reference=REFERENCE, skip_unresolved=True)
    assert [(u.line, u.value) for u in read.unresolved] == [(14, "Narnia*"), (15, "Atlantis")]
    assert read.counts["events"] == 1


def test_windows_1252_and_lf_line_endings_are_read() -> None:
    events = _events("sipri", SIPRI / "trade-register-cp1252.csv")
    (event,) = events.values()
    assert "€30 m" in event["claims"][0]["quote"] and "Ivarn\u2019s" in event["claims"][0]["quote"]


def test_the_grading_can_be_overridden_and_is_checked() -> None:
    events = _events("sipri", SIPRI / "trade-register-2025.csv", grading="C3")
    assert {e["claims"][0]["grading"] for e in events.values()} == {"C3"}
    with pytest.raises(ValueError, match="--grading 'Z9'"):
        read_register("sipri", SIPRI / "trade-register-2025.csv", reference=REFERENCE, grading="Z9")


def _treaties(register: str, path: Path) -> dict[str, dict[str, Any]]:
    read, _ = read_register(register, path, reference=REFERENCE)
    return {t["id"]: t for t in read.document.content["treaties"]}


def test_atop_phases_members_obligations_and_dates() -> None:
    treaties = _treaties("atop", FIXTURES / "atop")
    assert set(treaties) == {
        "atop-alliance-9901",
        "atop-alliance-9902-phase-1",
        "atop-alliance-9902-phase-2",
        "atop-alliance-9903",
        "atop-alliance-9904",
    }
    in_effect = treaties["atop-alliance-9901"]
    assert in_effect["parties"] == ["XAA", "XAB"] and in_effect["signed"] == "1950-03-15"
    assert "terminated" not in in_effect  # exit 0,0,0: still in effect at the end of the data
    assert {p["kind"] for p in in_effect["provisions"]} == {"mutual-defence", "consultation"}
    second = treaties["atop-alliance-9902-phase-2"]
    assert second["replaces"] == "atop-alliance-9902-phase-1" and second["terminated"] == "2001-12-31"
    assert "XAF" in second["parties"]
    steps = {(s["state"], s["step"]): s["date"] for s in second["ratifications"]}
    assert steps[("XAF", "Entered (ATOP: signature)")] == "1980-02-10"
    assert steps[("XAD", "Left (ATOP)")] == "1990-05"  # the day is unknown
    conditional = {p["kind"]: p["summary"] for p in treaties["atop-alliance-9903"]["provisions"]}
    assert "XAG (conditional)" in conditional["mutual-defence"]
    assert "XAH (conditional)" in conditional["neutrality"]
    undated = treaties["atop-alliance-9904"]
    assert undated["signed"] == "1890-04" and undated["terminated"] == "1901-07"
    claims = {c["locator"] for t in treaties.values() for c in t["claims"]}
    assert "atop5_1m.csv line 2 (atopid 9901, member 9001, phase 0)" in claims
    assert "atop5_1a.csv line 2 (atopid 9901)" in claims


def test_cow_members_types_and_censoring() -> None:
    treaties = _treaties("cow", FIXTURES / "cow" / "alliance_v4.1_by_member.csv")
    assert len(treaties) == 5
    pact = treaties["cow-alliance-9901"]
    assert pact["signed"] == "1790-07-14" and pact["terminated"] == "1850-03-20"
    assert {p["kind"] for p in pact["provisions"]} == {"mutual-defence", "entente"}
    # Left-censored: the members' start (1 January 1816, where the data begins) is no joining date.
    assert not [s for s in pact["ratifications"] if s["step"] == "Member from (COW)"]
    assert 'ss_type "Type I: Defense Pact"' in pact["claims"][0]["quote"]
    assert "left_censor=1" in pact["claims"][0]["quote"]
    entente = treaties["cow-alliance-9904"]
    assert "terminated" not in entente  # right-censored: in effect at the end of the data
    steps = {(s["state"], s["step"]): s["date"] for s in entente["ratifications"]}
    assert steps[("XAI", "Member from (COW)")] == "2003-10-01"
    assert steps[("XAH", "Member until (COW)")] == "2008-04-30"


# -- through the store and the API --------------------------------------------------------------------


def _cli(settings: Settings, *args: str) -> str:
    # The command reads its settings from the environment once per process: read them afresh.
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, [*args], env={"MILCOOP_DATA_DIR": str(settings.data_dir), "NEO4J_URI": settings.neo4j_uri}
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def _reference_args() -> list[str]:
    return ["--reference", str(FIXTURES / "reference")]


def test_import_then_the_api_answers_the_deal(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    output = _cli(settings, "import", "sipri", str(SIPRI / "trade-register-2025.csv"), *_reference_args())
    assert "5 rows read" in output
    with client_for(settings) as client:
        answer = client.get("/v1/flows", params={"from": "XAA", "to": "XAC"}).json()
    (event,) = answer["items"]
    (claim,) = event["claims"]
    assert claim["source"]["id"] == "sipri-arms-transfers-2025-03-14"
    assert claim["ordered"]["value"] == 50 and claim["quantity"]["value"] == 20
    assert claim["tiv"] == {"per_unit": 2.5, "order": 125.0, "delivered": 50.0}
    assert event["delivery_years"] == [2023, 2024]


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    output = _cli(settings, "import", "cow", str(FIXTURES / "cow"), "--dry-run", *_reference_args())
    assert "Dry run: nothing was written." in output
    assert not (tmp_path / "embedded").exists()


def test_sources_lists_partitions_and_releases(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    _cli(settings, "import", "atop", str(FIXTURES / "atop"), *_reference_args())
    output = _cli(settings, "sources")
    assert "register:atop" in output and "atop-5-1" in output


def test_imported_alliances_answer_as_treaties(tmp_path: Path) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, "NEO4J_URI": ""})
    _cli(settings, "import", "cow", str(FIXTURES / "cow" / "alliance_v4.1_by_member.csv"), *_reference_args())
    with client_for(settings) as client:
        answer = client.get("/v1/treaties", params={"party": "XAG"}).json()
    (treaty,) = answer["items"]
    assert treaty["id"] == "cow-alliance-9904"
    assert {p["id"] for p in treaty["parties"]} == {"XAG", "XAH", "XAI"}
    assert [p["kind"] for p in treaty["provisions"]] == ["entente"]
    assert {c["source"]["id"] for c in treaty["claims"]} == {"cow-formal-alliances-4-1"}
    assert len(treaty["claims"]) == 3  # one per member row, each with its line

"""The generated reference data (data/reference/states.yaml and former-states.yaml).

Two promises: the committed files are what ``./dev reference`` makes from the pinned packages
(so nobody edits them by hand and a package update shows up as a diff), and they hold what users
rely on when they write a case: every state, each name and alias naming one state only, and the
codes (COW, not Gleditsch–Ward) that other data sets join on. The files are read as YAML here, with
the project's own bounded reader; compiling them is the compiler's tests' business.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from milcoop.loaders.format import STATE
from milcoop.loaders.yamlio import read_yaml
from tests.conftest import ROOT

REFERENCE = ROOT / "data" / "reference"
GENERATOR = ROOT / "tools" / "reference" / "generate.py"
#: The fields a state record may have: the curated format's own table, not a copy of it.
FIELDS = set(STATE)


def _records(file: str) -> list[dict[str, Any]]:
    data, problem = read_yaml(REFERENCE / file)
    assert problem is None, problem
    assert set(data) == {"states"}
    return list(data["states"])


@pytest.fixture(scope="module")
def current() -> list[dict[str, Any]]:
    return _records("states.yaml")


@pytest.fixture(scope="module")
def former() -> list[dict[str, Any]]:
    return _records("former-states.yaml")


def _keys(record: dict[str, Any]) -> list[str]:
    """What names a state, as the compiler reads it: id, QID, name and aliases (case-insensitive);
    and a current state's alpha-2 code. A former state's alpha-2 code is history that ISO reused
    (CS was Czechoslovakia's, then Serbia and Montenegro's), so it names nothing."""
    keys = [record["id"], record["name"], *record.get("aliases", [])]
    if "qid" in record:
        keys.append(record["qid"])
    if "alpha2" in record and not record.get("former"):
        keys.append(record["alpha2"])
    return keys


@pytest.fixture(scope="module")
def owners(current: list[dict[str, Any]], former: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for record in current + former:
        for key in _keys(record):
            found.setdefault(key.casefold(), set()).add(record["id"])
    return found


def _by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in records}


def _run_check(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--quiet", *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- the committed files are current --------------------------------------------------------------


def test_committed_files_are_what_the_packages_give() -> None:
    result = _run_check()
    assert result.returncode == 0, result.stderr


def test_check_fails_and_names_the_file_when_one_was_edited(tmp_path: Path) -> None:
    for file in ("states.yaml", "former-states.yaml"):
        shutil.copy(REFERENCE / file, tmp_path / file)
    edited = tmp_path / "former-states.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("name: Soviet Union", "name: USSR"), encoding="utf-8")
    result = _run_check("--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert f"{edited} is not what the installed packages give" in result.stderr
    assert f"{tmp_path / 'states.yaml'} is not" not in result.stderr


def test_files_say_they_are_generated_and_from_what() -> None:
    for file in ("states.yaml", "former-states.yaml"):
        head = (REFERENCE / file).read_text(encoding="utf-8").splitlines()[:3]
        assert head[0] == "# GENERATED FILE: do not edit by hand."
        assert "`./dev reference`" in head[1]
        assert re.search(r"pycountry \d+\.\d+\.\d+ and countrycode \d+\.\d+\.\d+", head[1])


# -- what users rely on ---------------------------------------------------------------------------


def test_every_iso_3166_1_entry_once(current: list[dict[str, Any]]) -> None:
    assert len(current) == 249
    for field in ("id", "alpha2", "numeric"):
        values = [record[field] for record in current]
        assert len(set(values)) == len(values), field
    for record in current:
        assert re.fullmatch(r"[A-Z]{3}", record["id"]), record
        assert re.fullmatch(r"[A-Z]{2}", record["alpha2"]), record
        assert re.fullmatch(r"[0-9]{3}", record["numeric"]), record
        assert "former" not in record
    assert _by_id(current)["BRA"]["numeric"] == "076"


def test_records_use_only_the_known_fields_in_sorted_order(
    current: list[dict[str, Any]], former: list[dict[str, Any]]
) -> None:
    for records in (current, former):
        assert [r["id"] for r in records] == sorted(r["id"] for r in records)
        for record in records:
            assert set(record) <= FIELDS, record["id"]
            assert record.get("aliases", []) == sorted(record.get("aliases", []), key=lambda a: (a.casefold(), a))


def test_every_name_and_alias_names_exactly_one_state(owners: dict[str, set[str]]) -> None:
    shared = {key: ids for key, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_former_ids_are_not_current_ids(current: list[dict[str, Any]], former: list[dict[str, Any]]) -> None:
    assert not set(_by_id(current)) & set(_by_id(former))
    for record in former:
        assert record["former"] is True
        assert re.fullmatch(r"[A-Z]{3}|cow-[0-9]+", record["id"]), record["id"]


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("Iran", "IRN"),
        ("Islamic Republic of Iran", "IRN"),
        ("Russia", "RUS"),
        ("Russian Federation", "RUS"),
        ("Burma", "MMR"),
        ("Brazil", "BRA"),
        ("BR", "BRA"),
        ("North Korea", "PRK"),
        ("DPRK", "PRK"),
        ("Democratic People's Republic of Korea", "PRK"),
        ("South Korea", "KOR"),
        ("Republic of Korea", "KOR"),
        ("UK", "GBR"),
        ("US", "USA"),
        ("United States of America", "USA"),
        ("Soviet Union", "SUN"),
        ("USSR", "SUN"),
        ("Yugoslavia", "YUG"),
        ("German Democratic Republic", "DDR"),
        ("Czechoslovakia", "CSK"),
        ("Republic of Vietnam", "cow-817"),
    ],
)
def test_what_people_type_resolves(owners: dict[str, set[str]], typed: str, state: str) -> None:
    for spelling in (typed, typed.lower(), typed.upper()):
        assert owners.get(spelling.casefold()) == {state}, spelling


def test_the_hand_listed_states_keep_their_names_and_qids(current: list[dict[str, Any]]) -> None:
    """The names tests and answers have shown since the first dataset, and the only QIDs."""
    states = _by_id(current)
    names = {
        "PRK": "Democratic People's Republic of Korea",
        "RUS": "Russian Federation",
        "UKR": "Ukraine",
        "KOR": "Republic of Korea",
        "GBR": "United Kingdom",
        "USA": "United States",
        "DEU": "Germany",
        "NLD": "Netherlands",
    }
    assert {ident: states[ident]["name"] for ident in names} == names
    qids = {record["id"]: record["qid"] for record in current if "qid" in record}
    assert qids == {"PRK": "Q423", "RUS": "Q159", "UKR": "Q212"}


def test_cow_codes_are_cow_not_gleditsch_ward(current: list[dict[str, Any]], former: list[dict[str, Any]]) -> None:
    states = _by_id(current)
    # Germany is 255 in COW and 260 in GW; Vietnam 816 in COW and 817 (COW's South Vietnam) in GW.
    assert states["DEU"]["cow_code"] == 255
    assert states["DEU"]["cow_abbreviation"] == "GMY"
    assert states["RUS"]["cow_code"] == 365
    assert states["VNM"]["cow_code"] == 816
    assert _by_id(former)["cow-817"]["cow_code"] == 817
    assert _by_id(former)["DDR"]["cow_code"] == 265
    assert _by_id(former)["CSK"]["cow_code"] == 315
    codes = [r["cow_code"] for r in current + former if "cow_code" in r]
    assert len(codes) == len(set(codes))


def test_no_invented_dates(former: list[dict[str, Any]]) -> None:
    """ISO's withdrawal of a code is the only date any package gives; nothing says when a state ended."""
    soviet = _by_id(former)["SUN"]
    assert soviet["iso_withdrawn"] == "1992-08-30"
    assert "successors" not in soviet  # SUHH: split, no single successor
    date = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
    for record in former:
        for field, value in record.items():
            if field != "iso_withdrawn":
                assert not (isinstance(value, str) and date.match(value)), (record["id"], field)


@pytest.mark.parametrize(
    ("former_id", "successors"),
    [
        ("DDR", ["DEU"]),  # DDDE: merged into Germany
        ("BUR", ["MMR"]),  # BUMM: renamed Myanmar
        ("ZAR", ["COD"]),  # ZRCD
        ("BYS", ["BLR"]),  # BYAA: renamed, kept BY
        ("YUG", ["SCG"]),  # YUCS: CS then meant Serbia and Montenegro, withdrawn after it
        ("CSK", None),  # CSHH: split
        ("SCG", None),  # CSXX: split
        ("cow-817", None),  # no ISO 3166-3 code to derive one from
    ],
)
def test_successors_follow_the_iso_3166_3_rule(
    former: list[dict[str, Any]], former_id: str, successors: list[str] | None
) -> None:
    assert _by_id(former)[former_id].get("successors") == successors


def test_cow_only_former_states_are_named_by_their_cow_code(former: list[dict[str, Any]]) -> None:
    cow_only = [record for record in former if record["id"].startswith("cow-")]
    assert cow_only
    for record in cow_only:
        assert record["id"] == f"cow-{record['cow_code']}"
        assert not {"alpha2", "alpha4", "numeric", "iso_withdrawn"} & set(record)

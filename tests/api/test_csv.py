"""CSV downloads of the list endpoints: ``format=csv`` or ``Accept: text/csv``, the site table's
columns, and cells a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from milcoop.api import tabular
from milcoop.graph import models as m
from milcoop.loaders.curated import CompiledFacts
from tests.api.stores import client_for, embedded_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Iterator[TestClient]:
    with client_for(embedded_settings(tmp_path_factory.mktemp("csv"), bundled)) as test_client:
        yield test_client


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


FLOWS = {"from": "DPRK", "to": "Russia", "limit": 100}


def test_flows_as_csv_hold_the_json_events_in_order(client: TestClient) -> None:
    events = client.get("/v1/flows", params=FLOWS).json()["items"]
    response = client.get("/v1/flows", params={**FLOWS, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="flows.csv"' in response.headers["content-disposition"]
    header, *body = rows(response.text)
    assert header == tabular.FLOWS.headers
    assert [row[0] for row in body] == [event["id"] for event in events]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    ammunition = by_id["prk-rus-ammunition-2024"]
    assert ammunition["from"] == "PRK" and ammunition["to"] == "RUS"
    assert "Artillery ammunition" in ammunition["items"]
    assert ammunition["start"] == "2024" and ammunition["start_precision"] == "year"
    assert "as-many-as 9000000 rounds" in ammunition["quantities"]
    # The consolidated range beside the claims' words: "as many as 9 million" and "nearly nine
    # million" together allow at most 9 million, and the "nearly" claim states the lower edge.
    assert ammunition["consolidated"] == "rounds: at least 8100000, less than 9000000"
    containers = next(row for row in by_id.values() if "20000" in row["quantities"] and "containers" in row["quantities"])
    assert containers["consolidated"] == "containers: more than 20000, no upper bound"
    # An undated event keeps its dates empty rather than inventing any.
    assert by_id["prk-rus-ballistic-missiles"]["start"] == ""


def test_accept_text_csv_gives_csv_and_format_wins_over_it(client: TestClient) -> None:
    by_accept = client.get("/v1/flows", params=FLOWS, headers={"Accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == client.get("/v1/flows", params={**FLOWS, "format": "csv"}).text
    json_first = client.get("/v1/flows", params=FLOWS, headers={"Accept": "application/json, text/csv;q=0.5"})
    assert json_first.headers["content-type"] == "application/json"
    forced = client.get("/v1/flows", params={**FLOWS, "format": "json"}, headers={"Accept": "text/csv"})
    assert forced.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "params", "table"),
    [
        ("/v1/treaties", {"party": "PRK"}, tabular.TREATIES),
        ("/v1/deployments", {"by": "PRK"}, tabular.DEPLOYMENTS),
        ("/v1/violations", {}, tabular.VIOLATIONS),
        ("/v1/entities", {"q": "korea"}, tabular.ENTITIES),
        ("/v1/sources", {}, tabular.SOURCES),
        ("/v1/relations", {"a": "PRK", "b": "RUS"}, tabular.RELATIONS),
    ],
)
def test_every_list_endpoint_answers_its_table(
    client: TestClient, path: str, params: dict[str, str], table: tabular.Table[object]
) -> None:
    items = client.get(path, params=params).json()["items"]
    assert items, f"{path} lists nothing over the bundled facts"
    response = client.get(path, params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    header, *body = rows(response.text)
    assert header == table.headers
    assert len(body) == len(items)


def test_a_csv_page_gives_its_next_cursor_in_a_header(client: TestClient) -> None:
    response = client.get("/v1/flows", params={**FLOWS, "limit": 2, "format": "csv"})
    cursor = response.headers["x-next-cursor"]
    following = client.get("/v1/flows", params={**FLOWS, "limit": 2, "cursor": cursor, "format": "csv"})
    assert rows(following.text)[1][0] == client.get(
        "/v1/flows", params={**FLOWS, "limit": 2, "cursor": cursor}
    ).json()["items"][0]["id"]


def test_a_bad_format_is_a_422_naming_it(client: TestClient) -> None:
    response = client.get("/v1/flows", params={**FLOWS, "format": "xlsx"})
    assert response.status_code == 422
    assert response.json()["parameter"] == "format"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_would_run_as_formulas_get_an_apostrophe(start: str) -> None:
    # A fictional entity (XAA: user-assigned ISO code) whose name is a spreadsheet formula.
    hostile = f"{start}HYPERLINK(\"http://127.0.0.1/\",\"x\")"
    entity = m.EntitySummary(id="XAA", iri="https://example.org/XAA", kind="state", name=hostile, aliases=["plain"])
    header, row = rows(tabular.ENTITIES.csv([entity]))
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == "'" + hostile
    assert cells["aliases"] == "plain"
    assert tabular.safe_cell("North Korea") == "North Korea"

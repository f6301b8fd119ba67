"""The site's pages without a browser: their links to JSON and CSV, the API's errors as HTML,
assets served locally, and the timeline's geometry (a month drawn as a month)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from milcoop.api import charts, worldmap
from milcoop.graph import models as m
from milcoop.loaders.curated import CompiledFacts
from tests.api.stores import client_for, embedded_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Iterator[TestClient]:
    with client_for(embedded_settings(tmp_path_factory.mktemp("pages"), bundled)) as test_client:
        yield test_client


PAGES = [
    "/",
    "/entities?q=North%20Korea",
    "/entities/PRK",
    "/entities/prk-rus-ammunition-2024",
    "/entities/source-notes",
    "/flows?from=DPRK&to=Russia",
    "/treaties?party=PRK",
    "/deployments",
    "/violations",
    "/sources",
]


def links(html: str, attribute: str = "href") -> list[str]:
    return [unescape(url) for url in re.findall(rf'{attribute}="([^"]+)"', html)]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_html_and_links_to_its_json(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    data = re.search(r'class="data-links">(.*?)</p>', response.text, re.S)
    assert data, "no link to the page's data"
    urls = links(data.group(1))
    assert any(url.startswith(("/v1/", "/healthz")) for url in urls)
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        if "format=csv" in url:
            assert answer.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_only_what_the_app_serves(client: TestClient, path: str) -> None:
    html = client.get(path).text
    for url in links(html, "src") + re.findall(r'<link[^>]+href="([^"]+)"', html):
        assert url.startswith("/"), f"{path} loads {url} from elsewhere"
        assert client.get(url).status_code == 200, url


def test_the_flows_page_is_the_json_flows(client: TestClient) -> None:
    events = client.get("/v1/flows", params={"from": "DPRK", "to": "Russia"}).json()["items"]
    html = client.get("/flows", params={"from": "DPRK", "to": "Russia"}).text
    for event in events:
        assert f'data-event="{event["id"]}"' in html
        assert f'href="/entities/{event["id"]}"' in html
    # Every claim's quote is on the page, in its own <details>.
    quotes = [claim["quote"] for event in events for claim in event["claims"] if claim.get("quote")]
    assert quotes and all(quote in unescape(html) for quote in quotes)
    assert html.count('<details class="claims">') == len(events)


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ({"from": "Nroth Korea"}, 404, "from"),
        ({"from": "PRK", "since": "2024-13"}, 422, "since"),
        ({"from": "PRK", "limit": "0"}, 422, "limit"),
        ({"from": "PRK", "kind": "teleportation"}, 422, "kind"),
    ],
)
def test_bad_parameters_give_the_apis_error_as_a_page(
    client: TestClient, query: dict[str, str], status: int, parameter: str
) -> None:
    api = client.get("/v1/flows", params=query)
    page = client.get("/flows", params=query)
    assert api.status_code == page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    body = api.json()
    assert body["parameter"] == parameter
    assert unescape(body["message"]) in unescape(page.text)
    assert 'role="alert"' in page.text


def test_an_unknown_entity_page_is_a_404_page_with_close_matches(client: TestClient) -> None:
    page = client.get("/entities/Nroth Korea")
    assert page.status_code == 404 and 'href="/entities/PRK"' in page.text


def test_the_site_is_not_in_the_api_description(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert "/flows" not in paths and "/" not in paths and "/v1/flows" in paths


# -- the timeline's geometry, on fictional events (XAA, XBB: user-assigned ISO codes) ---------------


def fictional(event_id: str, period: m.Period | None) -> m.Event:
    ref = lambda code: m.Ref(id=code, iri=f"https://example.org/{code}", kind="state", name=None)  # noqa: E731
    return m.Event(id=event_id, iri=f"https://example.org/{event_id}", kind="materiel-transfer", from_=ref("XAA"),
                   to=ref("XBB"), period=period, statuses=[], claims=[])


def bar_width(svg: str, event_id: str) -> float:
    group = re.search(rf'data-event="{event_id}".*?<rect class="([^"]*)" x="[^"]+" y="[^"]+" width="([^"]+)"', svg, re.S)
    assert group, event_id
    return float(group.group(2))


def test_a_month_is_drawn_as_a_month_and_a_year_as_a_year() -> None:
    month = fictional("a-month", m.Period(start="2023-02", start_precision="month", end="2023-02", end_precision="month"))
    year = fictional("a-year", m.Period(start="2023", start_precision="year", end="2023", end_precision="year"))
    day = fictional("a-day", m.Period(start="2023-06-01", start_precision="day", end="2023-06-01", end_precision="day"))
    svg = str(charts.timeline([month, year, day]))
    assert bar_width(svg, "a-year") == pytest.approx(bar_width(svg, "a-month") * 365 / 28, rel=0.05)
    assert bar_width(svg, "a-day") < bar_width(svg, "a-month") / 10
    assert "2023-02 (month)" in svg and "2023 (year)" in svg


def test_open_ends_are_drawn_open_and_undated_events_apart() -> None:
    open_end = fictional("open-end", m.Period(start="2022-05", start_precision="month", end=None, end_precision=None))
    no_start = fictional("no-start", m.Period(start=None, start_precision=None, end="2023", end_precision="year"))
    undated = fictional("undated", None)
    svg = str(charts.timeline([open_end, no_start, undated]))
    assert re.search(r'data-event="open-end".*?class="bar precision-month open-end".*?class="arrow"', svg, re.S)
    assert re.search(r'data-event="no-start".*?class="bar precision-unknown open-start"', svg, re.S)
    assert "2022-05 (month) – open-ended" in svg and "start unknown – 2023 (year)" in svg
    undated_group = re.search(r'<g class="event undated" data-event="undated".*?</g>', svg, re.S)
    assert undated_group and "rect class=\"bar" not in undated_group.group(0)
    assert svg.index("Undated: the sources give no time") < svg.index('data-event="undated"')


def test_the_map_draws_one_arrow_per_state_pair_sized_by_its_events(client: TestClient) -> None:
    events = client.get("/v1/flows", params={"from": "DPRK", "to": "Russia"}).json()["items"]
    html = client.get("/flows", params={"from": "DPRK", "to": "Russia"}).text
    arrows = re.findall(r'<path class="flow" data-from="([^"]+)" data-to="([^"]+)" data-count="(\d+)"', html)
    assert arrows == [("PRK", "RUS", str(len(events)))]
    # The two states are highlighted by their ISO numeric codes (408, 643), the shapes served locally.
    assert 'class="country involved" data-iso-numeric="408"' in html
    assert 'class="country involved" data-iso-numeric="643"' in html
    assert client.get("/docs/assets/world-atlas/LICENSE").status_code == 200
    world = client.get("/map/world.svg")
    assert world.headers["content-type"].startswith("image/svg+xml")
    assert world.text.count("<path") == len(worldmap.countries()) > 170
    assert 'href="/map/world.svg"' in html


def test_a_missing_page_is_a_404_page_for_people_and_json_for_programs(client: TestClient) -> None:
    page = client.get("/nowhere", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "there is no page at /nowhere" in page.text
    program = client.get("/nowhere")
    assert program.status_code == 404 and program.json() == {"detail": "Not Found"}
    assert client.get("/v1/nowhere", headers={"Accept": "text/html"}).headers["content-type"] == "application/json"

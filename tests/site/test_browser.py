"""The site as a person uses it, in a real headless Chromium: the start page, a search for
"North Korea", the DPRK->Russia flows with their timeline and network, the CSV download, and
proof that no page asks any host but this machine for anything. Screenshots of each page are
kept (see conftest.py for where)."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from milcoop.api import tabular
from tests.site.conftest import save_screenshot

pytestmark = pytest.mark.slow

FLOWS_QUERY = "from=DPRK&to=Russia"


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback only: the test's own server
        return json.load(response)


def network_requests(driver: Any) -> list[str]:
    """Every URL the pages asked for since the last call, from the DevTools network events."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def assert_all_local(urls: list[str], site: str) -> None:
    assert urls, "the DevTools log saw no request at all: it is not recording"
    local = urlsplit(site).netloc
    outside = [url for url in urls if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != local]
    assert not outside, f"requests left the machine: {outside}"


def wait_for(driver: Any, css: str, seconds: float = 20) -> Any:
    return WebDriverWait(driver, seconds).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


@pytest.fixture()
def page(browser: Any, site: str) -> Any:
    browser.set_window_size(1280, 800)
    network_requests(browser)  # start each test with an empty log
    return browser


def test_landing_page_shows_what_the_graph_holds(page: Any, site: str) -> None:
    page.get(site + "/")
    health = get_json(site + "/healthz")
    counts = {dt.text: dd.text for dt, dd in zip(
        page.find_elements(By.CSS_SELECTOR, ".counts dt"), page.find_elements(By.CSS_SELECTOR, ".counts dd"), strict=True
    )}
    assert counts["events"] == str(health["counts"]["CooperationEvent"])
    assert counts["sources"] == str(health["counts"]["SourceDocument"])
    assert health["data_version"] in page.find_element(By.TAG_NAME, "main").text
    sources = get_json(site + "/v1/sources")["items"]
    listed = {a.text for a in page.find_elements(By.CSS_SELECTOR, "main table tbody td:first-child a")}
    assert listed == {source["id"] for source in sources}
    # Keyboard: the first Tab reaches the skip link, which leads to the content.
    ActionChains(page).send_keys(Keys.TAB).perform()
    skip = page.switch_to.active_element
    assert skip.get_attribute("class") == "skip" and skip.is_displayed()
    ActionChains(page).send_keys(Keys.ENTER).perform()
    assert page.switch_to.active_element.get_attribute("id") == "main"
    save_screenshot(page, "01-landing")
    assert_all_local(network_requests(page), site)


def test_search_north_korea_then_open_the_flows_to_russia(page: Any, site: str) -> None:
    page.get(site + "/")
    box = page.find_element(By.ID, "q")
    box.send_keys("North Korea")
    box.send_keys(Keys.ENTER)
    result = wait_for(page, 'main table a[href="/entities/PRK"]')
    save_screenshot(page, "02-search-north-korea")
    result.click()
    wait_for(page, "#partners")
    assert page.find_element(By.TAG_NAME, "h1").text == "Democratic People's Republic of Korea"
    assert "Q423" in page.find_element(By.CSS_SELECTOR, ".props").text  # identifiers shown
    save_screenshot(page, "03-entity-prk")
    page.find_element(By.CSS_SELECTOR, 'a[href="/flows?from=PRK&to=RUS"]').click()
    wait_for(page, "svg.timeline")
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("Flows from Democratic People's Republic of Korea")
    assert_all_local(network_requests(page), site)


def test_flows_draw_the_timeline_and_network_of_the_json_events(page: Any, site: str) -> None:
    page.get(f"{site}/flows?{FLOWS_QUERY}")
    timeline = wait_for(page, "svg.timeline")
    network = page.find_element(By.CSS_SELECTOR, "svg.network")
    for chart in (timeline, network):
        assert chart.size["width"] > 600 and chart.size["height"] > 100, "the chart is not drawn"
        assert chart.get_attribute("aria-labelledby")
    events = get_json(f"{site}/v1/flows?{FLOWS_QUERY}")["items"]
    drawn = {g.get_attribute("data-event") for g in timeline.find_elements(By.CSS_SELECTOR, "g.event")}
    assert drawn == {event["id"] for event in events}
    by_item = {
        item: [g for g in timeline.find_elements(By.CSS_SELECTOR, "g.event") if item in g.get_attribute("data-items").split()]
        for item in ("ballistic-missile", "artillery-ammunition")
    }
    # Artillery ammunition is dated (2024, year precision): a bar over the whole year on the axis.
    ammunition = by_item["artillery-ammunition"][0]
    assert ammunition.get_attribute("data-event") == "prk-rus-ammunition-2024"
    bar = ammunition.find_element(By.CSS_SELECTOR, "rect.bar")
    assert "precision-year" in bar.get_attribute("class") and bar.size["width"] > 50
    assert "2024 (year)" in ammunition.text
    # The ballistic missiles are undated in the sources: listed apart, not placed on the axis.
    missiles = by_item["ballistic-missile"][0]
    assert "undated" in missiles.get_attribute("class")
    assert not missiles.find_elements(By.CSS_SELECTOR, "rect.bar")
    # An open-ended event is drawn running on, with its arrow; a month-precision start says so.
    open_ended = timeline.find_element(By.CSS_SELECTOR, 'g[data-event="prk-rus-munitions-containers"]')
    assert open_ended.find_elements(By.CSS_SELECTOR, "rect.open-end") and open_ended.find_elements(By.CSS_SELECTOR, ".arrow")
    assert "2023-09 (month)" in open_ended.text
    # The network: PRK supplies RUS; both items are nodes, sized by their events, linked to both.
    nodes = {g.get_attribute("data-node"): g for g in network.find_elements(By.CSS_SELECTOR, "g.node")}
    assert {"from:PRK", "to:RUS", "item:ballistic-missile", "item:artillery-ammunition"} <= set(nodes)
    links = network.find_elements(By.CSS_SELECTOR, "path.link")
    assert any("prk-rus-ballistic-missiles" in link.get_attribute("data-events") for link in links)
    assert any("prk-rus-ammunition-2024" in link.get_attribute("data-events") for link in links)
    supplier = float(nodes["from:PRK"].find_element(By.TAG_NAME, "circle").get_attribute("r"))
    one_item = float(nodes["item:ballistic-missile"].find_element(By.TAG_NAME, "circle").get_attribute("r"))
    assert supplier > one_item, "nodes are not sized by their number of events"
    # The map: one arrow from North Korea to Russia, drawn over locally served shapes.
    world = page.find_element(By.CSS_SELECTOR, "svg.map")
    assert world.size["width"] > 600
    background = world.find_element(By.CSS_SELECTOR, "image.world")
    assert background.size["width"] > 600
    assert page.execute_script(
        "return fetch(arguments[0]).then(r => r.text()).then(t => (t.match(/<path/g) || []).length)",
        background.get_attribute("href"),
    ) > 100
    assert {p.get_attribute("data-iso-numeric") for p in world.find_elements(By.CSS_SELECTOR, "path.country")} == {
        "408", "643"
    }
    arrow = world.find_element(By.CSS_SELECTOR, 'path.flow[data-from="PRK"][data-to="RUS"]')
    assert arrow.get_attribute("data-count") == str(len(events))
    # Each claim's source and quote is one click away.
    details = page.find_element(By.CSS_SELECTOR, "details.claims")
    assert not details.find_element(By.TAG_NAME, "blockquote").is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    assert details.find_element(By.TAG_NAME, "blockquote").is_displayed()
    save_screenshot(page, "04-flows-dprk-russia")
    assert_all_local(network_requests(page), site)


def test_the_csv_download_holds_the_json_flows(page: Any, site: str, downloads: Path) -> None:
    page.get(f"{site}/flows?{FLOWS_QUERY}")
    link = page.find_element(By.CSS_SELECTOR, 'a[data-format="CSV"]')
    assert link.get_attribute("href") == f"{site}/v1/flows?{FLOWS_QUERY}&format=csv"
    for old in downloads.glob("*"):
        old.unlink()
    link.click()
    target = downloads / "flows.csv"
    deadline = time.monotonic() + 20
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), f"no download: {list(downloads.iterdir())}"
    header, *rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    # The download has the columns of the table on the page ...
    shown = [th.text for th in page.find_elements(By.CSS_SELECTOR, "section table thead th")]
    assert [h.replace("_", " ") for h in header] == shown[: len(header)]
    assert header == tabular.FLOWS.headers
    # ... and the events of /v1/flows, in its order, with their actors and dates.
    events = get_json(f"{site}/v1/flows?{FLOWS_QUERY}")["items"]
    assert [row[0] for row in rows] == [event["id"] for event in events]
    for row, event in zip(rows, events, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["from"] == event["from"]["id"] and cells["to"] == event["to"]["id"]
        assert cells["start"] == ((event["period"] or {}).get("start") or "")
        assert cells["statuses"] == "; ".join(event["statuses"])
    assert_all_local(network_requests(page), site)


def test_the_other_views_answer_in_the_browser(page: Any, site: str) -> None:
    for name, path, marker in (
        ("05-treaties-prk", "/treaties?party=PRK", "main table tbody tr"),
        ("06-deployments", "/deployments", "svg.timeline"),
        ("07-violations", "/violations", "main table tbody tr"),
        ("08-event", "/entities/prk-rus-ammunition-2024", "details.claims"),
    ):
        page.get(site + path)
        wait_for(page, marker)
        assert page.find_element(By.CSS_SELECTOR, 'a[data-format="JSON"]')
        save_screenshot(page, name)
    assert_all_local(network_requests(page), site)


def test_a_bad_parameter_is_the_apis_error_as_a_page(page: Any, site: str) -> None:
    page.get(f"{site}/flows?from=Nroth%20Korea&to=Russia")
    alert = wait_for(page, '[role="alert"]')
    api = get_json_error(f"{site}/v1/flows?from=Nroth%20Korea&to=Russia")
    assert api["message"] in alert.text and "404" in alert.text
    assert alert.find_element(By.CSS_SELECTOR, 'a[href="/entities/PRK"]')  # did you mean
    save_screenshot(page, "09-error-unknown-actor")


def get_json_error(url: str) -> Any:
    try:
        urllib.request.urlopen(url, timeout=30)
    except urllib.error.HTTPError as error:
        return json.load(error)
    raise AssertionError(f"{url} did not fail")


def test_readable_on_a_phone(page: Any, site: str) -> None:
    page.set_window_size(390, 844)
    page.get(f"{site}/flows?{FLOWS_QUERY}")
    wait_for(page, "svg.timeline")
    # The page itself never scrolls sideways; wide charts scroll inside their own frame.
    overflow = page.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    assert page.find_element(By.CSS_SELECTOR, "main table thead").location["x"] < 0  # cards, not columns
    save_screenshot(page, "10-flows-phone")


@pytest.mark.parametrize(("path", "drawn"), [("/docs", ".swagger-ui .opblock"), ("/redoc", ".api-content")])
def test_the_api_docs_render_offline(page: Any, site: str, path: str, drawn: str) -> None:
    page.get(site + path)
    wait_for(page, drawn, seconds=40)
    save_screenshot(page, "11-api" + path.replace("/", "-"))
    assert_all_local(network_requests(page), site)

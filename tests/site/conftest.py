"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium,
against the API and site served by uvicorn on a loopback port over the bundled facts.

If Chromium cannot start, the browser tests are skipped on a developer's machine (with the
reason) but fail under ``CI=true``, like the Neo4j tests (tests/neo4j_fixtures.py): CI must never
pass without having run them. ``.ci/run`` installs Chromium when it is missing.

The browser resolves no host name but the loopback's (``--host-resolver-rules``), so a page that
asked another host for anything could not reach it; the tests read the DevTools network events
of every page to prove no page asks. Screenshots go to ``MILCOOP_SCREENSHOTS`` or
``.milcoop/artifacts/screenshots/`` (ignored by git).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.api.stores import embedded_settings, serving
from tests.conftest import ROOT

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

#: Where Debian installs them (``apt-get install chromium chromium-driver``).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"Chromium is required under CI=true and could not be started: {reason}", pytrace=False)
    pytest.skip(f"Chromium not available: {reason}")


def screenshot_dir() -> Path:
    path = Path(os.environ.get("MILCOOP_SCREENSHOTS") or ROOT / ".milcoop" / "artifacts" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def site_settings(tmp_path_factory: pytest.TempPathFactory, bundled: CompiledFacts) -> Settings:
    return embedded_settings(tmp_path_factory.mktemp("site"), bundled)


@pytest.fixture(scope="session")
def site(site_settings: Settings) -> Iterator[str]:
    """The base URL of the app (API and site) on a free loopback port."""
    with serving(site_settings) as base:
        yield base


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def browser(downloads: Path) -> Iterator[Any]:
    """A headless Chromium at 1280x800 with DevTools performance (network) logs on."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        _unavailable(f"selenium is not installed ({exc}); run ./dev --version to install the dev extra")
        raise
    binary = next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        _unavailable("chromium or chromedriver is not on PATH (apt-get install -y chromium chromium-driver)")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        # Nothing but the loopback resolves: a page asking another host fails instead of reaching out.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    try:
        driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    except WebDriverException as exc:
        _unavailable(f"chromedriver could not start {binary}: {exc.msg}")
        raise
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()


def save_screenshot(driver: Any, name: str) -> Path:
    """The whole page (not only the window) as PNG under the screenshots folder."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1},
        },
    )
    path = screenshot_dir() / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path

"""Real-browser test of the Streamlit app: `streamlit run app.py` on a free loopback port, driven by Debian's
/usr/bin/chromium through Playwright (never `playwright install`). Screenshots go to artifacts/ (gitignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install -y chromium)"),
]

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--disable-extensions",
               "--disable-default-apps", "--metrics-recording-only", "--mute-audio"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "STREAMLIT_SERVER_HEADLESS": "true"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit_test.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    else:
        proc.kill()
        log.close()
        raise RuntimeError((ARTIFACTS / "streamlit_test.log").read_text())
    if proc.poll() is not None:
        log.close()
        raise RuntimeError((ARTIFACTS / "streamlit_test.log").read_text())
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


def test_recommend_form_charts_and_screenshot(server, browser):
    from playwright.sync_api import expect

    from advisor import export
    from advisor.decide import Scenario, recommend

    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server, wait_until="domcontentloaded")
    vol = page.get_by_label("Monthly volume [images/month]")
    vol.wait_for(timeout=60_000)
    vol.fill("50000")
    res = page.get_by_label("Resolution (W x H pixels, or megapixels)")
    res.fill("1024x1024")
    page.get_by_text("personal", exact=True).click()  # radio; also moves focus out of the text field
    page.get_by_role("button", name="Recommend").click()
    # the scenario the form now describes (the example scenario's defaults plus what was typed), asked of the engine
    example = export.scenario_dict(export.load_scenario_file(export.EXAMPLE_SCENARIO))
    example.pop("megapixels", None)
    expected = recommend(Scenario.from_dict({**example, "volume_images_per_month": 50000, "width": 1024, "height": 1024,
                                             "commercial": False}))
    best = expected.recommendation.option_id
    best_label = expected.option(best).label
    alert = page.get_by_test_id("stAlertContentSuccess").first
    expect(alert).to_contain_text(best, timeout=60_000)
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(state="visible", timeout=60_000)
    # the chart's break-even / series names are SVG text: the recommended option is one of the curves
    legend = page.locator("[data-testid='stPlotlyChart']").first.locator("g.legend text").all_text_contents()
    assert best_label in legend, legend
    assert page.get_by_test_id("stException").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "recommend.png"))
    page.close()


def test_bad_resolution_shows_error_and_page_survives(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(server, wait_until="domcontentloaded")
    res = page.get_by_label("Resolution (W x H pixels, or megapixels)")
    res.wait_for(timeout=60_000)
    res.fill("huge")
    page.get_by_text("personal", exact=True).click()
    page.get_by_role("button", name="Recommend").click()
    expect(page.get_by_test_id("stAlertContentError").first).to_contain_text("resolution: got 'huge'", timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    # the rest of the app still works: another page renders
    page.get_by_role("link", name="Catalog").click()
    expect(page.get_by_role("heading", name="Catalog").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "bad_input.png"))
    page.close()


@pytest.mark.parametrize("name,heading", [("Simulator", "Simulator"), ("Validation", "Validation"),
                                          ("Catalog", "Catalog"), ("Profiles", "Measured profiles")])
def test_every_page_renders(server, browser, name, heading):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server, wait_until="domcontentloaded")
    link = page.get_by_role("link", name=name)
    link.wait_for(timeout=60_000)
    link.click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=30_000)
    marker = {"Simulator": "Seconds per step", "Validation": "Points (used)"}.get(name)
    if marker:  # pages with charts: wait for this page's own metric (not the previous page's stale chart), then the chart
        page.get_by_test_id("stMetricLabel").get_by_text(marker).wait_for(timeout=120_000)
        page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(state="visible", timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"page_{name.lower()}.png"))
    page.close()

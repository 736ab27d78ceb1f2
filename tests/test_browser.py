"""Real-browser test of the Streamlit app: `streamlit run app.py` on a free loopback port, driven by Debian's
/usr/bin/chromium through Playwright (never `playwright install`). Screenshots go to artifacts/ (gitignored)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
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

# Generous waits: on the 2-core VM, with the rest of the suite running beside it, Streamlit's first start takes
# 5-20 s and the first Recommend run (the engine plus its volume and sensitivity sweeps) 5-60 s. These are
# ceilings, not expectations (the test goes on as soon as the page is ready); raise them with the variables.
HEALTH_TIMEOUT_S = float(os.environ.get("ADVISOR_BROWSER_HEALTH_TIMEOUT_S", "180"))
RENDER_TIMEOUT_MS = int(float(os.environ.get("ADVISOR_BROWSER_RENDER_TIMEOUT_S", "240")) * 1000)
START_ATTEMPTS = 3  # a free port can be taken by another process between bind-and-close and Streamlit's bind
LOG_TAIL_CHARS = 6000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log_path: Path

    def log_tail(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"
        return text[-LOG_TAIL_CHARS:] or "(server log is empty)"

    def describe(self) -> str:
        code = self.proc.poll()
        state = "running" if code is None else f"exited with code {code}"
        return (f"streamlit server {self.url} ({state}); log {self.log_path}, last {LOG_TAIL_CHARS} characters:\n"
                f"{self.log_tail()}")


def _healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:  # refused, reset, timed out (URLError and socket.timeout are OSErrors)
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


def _start_server() -> Server:
    """`streamlit run app.py` on a free loopback port; waits for /_stcore/health (retries on a lost port race)."""
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "STREAMLIT_SERVER_HEADLESS": "true"}
    failures = []
    for attempt in range(1, START_ATTEMPTS + 1):
        port = _free_port()
        log_path = ARTIFACTS / "streamlit_test.log"  # one file, rewritten per attempt (the failure keeps its tail)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                 "--server.fileWatcherType", "none"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        server = Server(f"http://127.0.0.1:{port}", proc, log_path)
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            if _healthy(server.url):
                return server
            time.sleep(0.5)
        failures.append(f"attempt {attempt}: no 'ok' from {server.url}/_stcore/health within {HEALTH_TIMEOUT_S:g} s\n"
                        f"{server.describe()}")
        _stop(proc)
        port_lost = "already in use" in server.log_tail().lower()
        if not port_lost:
            break
    pytest.fail("Streamlit did not start:\n" + "\n\n".join(failures), pytrace=False)


@pytest.fixture(scope="module")
def server():
    srv = _start_server()
    yield srv
    _stop(srv.proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def explained(server: Server, page, name: str):
    """On any failure: a full-page screenshot and the server's state and log in the failure message."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 (AssertionError and Playwright's TimeoutError alike)
        shot = ARTIFACTS / f"failed_{name}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
        except Exception as shot_exc:  # noqa: BLE001
            shot = f"(no screenshot: {shot_exc})"
        pytest.fail(f"{type(exc).__name__}: {exc}\nscreenshot: {shot}\n{server.describe()}", pytrace=True)


def _new_page(browser, height: int):
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    return page


def _ready(page, locator, what: str) -> None:
    """Wait for ``locator`` or for an app exception, whichever shows first; an exception fails at once (with its
    text; the traceback is in the server log that :func:`explained` attaches) instead of after the full wait."""
    exc = page.get_by_test_id("stException")
    locator.or_(exc).first.wait_for(state="visible")
    if exc.count():
        raise AssertionError(f"the app raised while waiting for {what}: {exc.first.inner_text()!r}")


def _wait_until(check, what: str, timeout_ms: int = RENDER_TIMEOUT_MS, every_s: float = 0.5):
    """Poll ``check()`` until it returns a truthy value; AssertionError naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout_ms / 1000
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms / 1000:g} s waiting for {what}; last seen: {last!r}")
        time.sleep(every_s)


def _legend(page) -> list[str]:
    """Legend entries of the first chart: plotly's (SVG text) or Vega-Lite's (drawn as SVG: role-legend text)."""
    charts = page.locator("[data-testid='stPlotlyChart']")
    if charts.count():
        return charts.first.locator("g.legend text").all_text_contents()
    vega = page.locator("[data-testid='stVegaLiteChart']")
    return vega.first.locator("g.role-legend text").all_text_contents() if vega.count() else []


def test_recommend_form_charts_and_screenshot(server, browser):
    from advisor.catalog import load_catalog
    from advisor.report import export, tables
    from advisor.decide import Scenario

    # the scenario the form will describe (the example scenario's defaults plus what is typed), asked of the engine
    example = export.scenario_dict(export.load_scenario_file(export.EXAMPLE_SCENARIO))
    example.pop("megapixels", None)
    scenario = Scenario.from_dict({**example, "volume_images_per_month": 50000, "width": 1024, "height": 1024,
                                   "commercial": False})
    views = export.compute_views(scenario, export.load_catalog_for(scenario))
    expected = views.result
    best_option = expected.option(expected.recommendation.option_id)
    best = tables.human_label(best_option, load_catalog())  # the page names options for people, ids in tooltips
    best_label = export.option_labels(views, export.load_catalog_for(scenario))[best_option.id]

    page = _new_page(browser, 2400)
    with explained(server, page, "recommend"):
        page.goto(f"{server.url}/recommend", wait_until="domcontentloaded")
        vol = page.get_by_label("Monthly volume [images/month]")
        vol.wait_for()
        page.get_by_label("Powered on [h/day] (optional)", exact=True).wait_for()  # the optional field is on the form
        vol.fill("50000")
        res = page.get_by_label("Resolution (W x H pixels, or megapixels)")
        res.fill("1024x1024")
        page.get_by_text("personal", exact=True).click()  # radio; also moves focus out of the text field
        page.get_by_role("button", name="Recommend").click()
        _ready(page, page.get_by_test_id("stAlertContentSuccess").filter(has_text=best), f"the recommendation {best}")
        _ready(page, page.locator("[data-testid='stVegaLiteChart'] svg.marks"), "the cost-vs-volume chart")
        # the chart's series names are SVG text: the recommended option is one of the curves (polled: the first
        # chart on screen may still be the previous run's until Streamlit replaces it)
        _wait_until(lambda: best_label in _legend(page) or None,
                    f"the recommended option {best_label!r} in the cost-vs-volume legend {_legend(page)!r}")
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / "recommend.png"), full_page=True)
    page.close()


def test_bad_resolution_shows_error_and_page_survives(server, browser):
    page = _new_page(browser, 1400)
    with explained(server, page, "bad_input"):
        page.goto(f"{server.url}/recommend", wait_until="domcontentloaded")
        res = page.get_by_label("Resolution (W x H pixels, or megapixels)")
        res.wait_for()
        res.fill("huge")
        page.get_by_text("personal", exact=True).click()
        page.get_by_role("button", name="Recommend").click()
        _ready(page, page.get_by_test_id("stAlertContentError").filter(has_text="resolution: got 'huge'"),
               "the resolution error")
        assert page.get_by_test_id("stException").count() == 0
        # the rest of the app still works: another page renders
        _navigate(page, "Catalog", "Catalog")
        page.screenshot(path=str(ARTIFACTS / "bad_input.png"))
    page.close()


def test_exported_scenario_is_the_form(server, browser):
    """One state, in a real browser: the Scenario (YAML) download (made when clicked) reloads to the scenario the form
    shows, with the volume typed into the form."""
    from advisor.report import export

    page = _new_page(browser, 1800)
    with explained(server, page, "export_yaml"):
        page.goto(f"{server.url}/recommend", wait_until="domcontentloaded")
        vol = page.get_by_label("Monthly volume [images/month]")
        vol.wait_for()
        _ready(page, page.get_by_test_id("stMetricValue").first, "the first answer's headline metrics")
        before = page.get_by_test_id("stMetricValue").first.inner_text()
        vol.fill("4321")
        page.get_by_role("button", name="Recommend").click()
        # the monthly cost changes with the volume: wait for the answer to the typed volume, not the first render's
        page.wait_for_function("(before) => { const m = document.querySelector(\"[data-testid='stMetricValue']\");"
                               " return m && m.innerText !== before; }", arg=before, timeout=RENDER_TIMEOUT_MS)
        button = page.get_by_role("button", name="Scenario (YAML)")
        _wait_until(lambda: button.count() and button.is_enabled(), "the Scenario (YAML) button")
        _wait_until(lambda: page.evaluate("() => !document.querySelector('[data-testid=\"stStatusWidget\"]') || "
                                          "document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
                                          ".indexOf('Running') < 0"), "the page to finish its run")

        def downloaded_volume():
            """Download the scenario and read its volume back (None until the page's rerun has replaced the button:
            on a loaded machine the bottom of the page is redrawn a moment after the headline)."""
            with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl:
                button.click()
            got = export.load_scenario_text(Path(dl.value.path()).read_text(encoding="utf-8"))
            return got if got.volume_images_per_month == 4321 else None

        scenario = _wait_until(downloaded_volume, "a scenario download with the typed volume 4321", every_s=1.0)
        assert scenario.volume_images_per_month == 4321
        example = export.load_scenario_file(export.EXAMPLE_SCENARIO)
        assert scenario.gpu_owned == example.gpu_owned and scenario.needs == example.needs
    page.close()


def test_recommend_readable_at_800px(server, browser):
    """At 820 px wide the headline metrics are shown whole (not cut to '$0.0...'), and typing in a form field shows no
    'Press Enter to submit form' hint over the inputs."""
    page = browser.new_page(viewport={"width": 820, "height": 1600})
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    with explained(server, page, "narrow"):
        page.goto(f"{server.url}/recommend", wait_until="domcontentloaded")
        _ready(page, page.get_by_test_id("stMetricValue").first, "the headline metrics")
        values = page.get_by_test_id("stMetricValue")
        _wait_until(lambda: values.count() >= 3, "all three headline metrics")  # they render one after another
        cut = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricValue']")]
            .filter(e => { const t = e.querySelector('div') || e; return t.scrollWidth > t.clientWidth + 1; })
            .map(e => e.innerText)""")
        assert values.count() >= 3 and cut == [], f"metric values cut at 820 px: {cut}"
        res = page.get_by_label("Resolution (W x H pixels, or megapixels)")
        res.click()
        res.press("End")
        res.type(" ")
        page.wait_for_timeout(500)
        assert page.get_by_text("Press Enter to submit form").count() == 0
        page.screenshot(path=str(ARTIFACTS / "recommend_820px.png"), full_page=True)
    page.close()


def _navigate(page, name: str, heading: str, attempts: int = 3) -> None:
    """Click the navigation link ``name`` until the page's ``heading`` shows (a click that lands while the
    previous page's script is still finishing may be dropped by Streamlit; a person clicks again)."""
    target = page.get_by_role("heading", name=heading)
    for attempt in range(attempts):
        page.get_by_role("link", name=name).click()
        try:
            target.or_(page.get_by_test_id("stException")).first.wait_for(state="visible", timeout=60_000)
            break
        except Exception:  # noqa: BLE001 (Playwright's TimeoutError): click again
            if attempt == attempts - 1:
                raise
    _ready(page, target, f"the {heading} heading")


@pytest.mark.parametrize("name,heading", [("Simulator", "Simulator"), ("Validation", "Validation"),
                                          ("Catalog", "Catalog"), ("Your GPU profile", "Measured profiles")])
def test_every_page_renders(server, browser, name, heading):
    page = _new_page(browser, 1800)
    with explained(server, page, f"page_{name.lower()}"):
        page.goto(server.url, wait_until="domcontentloaded")
        # the landing page (Compare) first shows its answer, as a person would see it before clicking on
        _ready(page, page.get_by_test_id("stAlertContentSuccess").first, "the landing page's answer")
        _navigate(page, name, heading)
        marker = {"Simulator": "Seconds per step", "Validation": "Points (used)"}.get(name)
        if marker:  # pages with charts: wait for this page's own metric (not the previous page's stale chart), then
            _ready(page, page.get_by_test_id("stMetricLabel").get_by_text(marker), f"the {marker!r} metric")
            _ready(page, page.locator("[data-testid='stPlotlyChart'] .main-svg"), "the chart")
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"page_{name.lower()}.png"))
    page.close()


def test_compare_page_screenshot(server, browser):
    """Issue 10: the Compare page answers the studio question (Z-Image Turbo vs FLUX.2 [dev], owned RTX 4090,
    commercial, 500/month) on one screen; its screenshot goes to artifacts/compare.png."""
    page = _new_page(browser, 2400)
    with explained(server, page, "compare"):
        page.goto(server.url, wait_until="domcontentloaded")
        link = page.get_by_role("link", name="Compare")
        link.wait_for()
        link.click()
        _ready(page, page.get_by_role("heading", name="Compare models"), "the Compare heading")
        _ready(page, page.get_by_text("commercial use", exact=False).first, "the answer's title (use stated)")
        _ready(page, page.get_by_test_id("stAlertContentSuccess"), "the one-line answer")
        _ready(page, page.locator("[data-testid='stDataFrame']").first, "the deployments table")
        _ready(page, page.locator("[data-testid='stPlotlyChart'] .main-svg"), "the cost-vs-volume chart")
        _wait_until(lambda: any("Z-Image Turbo · your GPU" in t for t in _legend(page)) or None,
                    f"the owned Z-Image Turbo line in the legend {_legend(page)!r}")
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    page.close()


#: every page's URL path and the heading it opens on
URL_PAGES = [("compare", "Compare models"), ("recommend", "Recommend"), ("turnaround", "Turnaround & risk"),
             ("simulator", "Simulator"), ("profiles", "Measured profiles"), ("catalog", "Catalog"),
             ("validation", "Validation")]


@pytest.mark.parametrize("path,heading", URL_PAGES)
def test_every_url_opens_its_page_as_the_first_visit(server, browser, path, heading):
    """Typing a page's URL opens that page, in a fresh browser context (no cookies, no earlier session): named
    navigation, never 'Page not found', and no file names (app, common) in the navigation."""
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    with explained(server, page, f"url_{path}"):
        page.goto(f"{server.url}/{path}", wait_until="domcontentloaded")
        _ready(page, page.get_by_role("heading", name=heading, exact=True), f"the {heading} heading")
        assert page.get_by_text("Page not found").count() == 0
        nav = page.get_by_role("link")
        names = [n.strip() for n in nav.all_inner_texts()]
        assert "common" not in names and "app" not in names, names
        assert page.url.rstrip("/").endswith(f"/{path}")
    context.close()


def test_root_url_opens_compare(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    with explained(server, page, "url_root"):
        page.goto(server.url, wait_until="domcontentloaded")
        _ready(page, page.get_by_role("heading", name="Compare models", exact=True), "the Compare heading")
        _wait_until(lambda: page.url.rstrip("/").endswith("/compare") or None, f"the /compare URL (at {page.url})")
    context.close()


def _no_horizontal_overflow(page) -> list[str]:
    """Inputs and tables wider than the viewport (cut at the right edge): their labels or test ids."""
    return page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll("[data-testid='stWidgetLabel'], [data-testid='stDataFrame'],"
                                             + " [data-testid='stMetric'], [data-baseweb='select']")]
          .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; })
          .map(e => (e.innerText || e.getAttribute('data-testid') || '').slice(0, 60));
    }""")


@pytest.mark.parametrize("width", [820, 1400])
@pytest.mark.parametrize("path,heading,marker", [("compare", "Compare models", "Cheapest per month"),
                                                 ("recommend", "Recommend", "Per month"),
                                                 ("turnaround", "Turnaround & risk", "p95 wait")])
def test_pages_readable_at_820_and_1400_px(server, browser, width, path, heading, marker):
    """At 820 and 1400 px wide: no sidebar takes width (the navigation is in the top bar), no input, metric or table
    runs past the right edge, the GPU box shows the card's whole short name; a full-page screenshot per page."""
    page = browser.new_page(viewport={"width": width, "height": 1600})
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    with explained(server, page, f"layout_{path}_{width}"):
        page.goto(f"{server.url}/{path}", wait_until="domcontentloaded")
        _ready(page, page.get_by_role("heading", name=heading, exact=True), f"the {heading} heading")
        _ready(page, page.get_by_test_id("stMetricLabel").get_by_text(marker, exact=True), f"the {marker} metric")
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.count() == 0 or sidebar.bounding_box() is None or sidebar.bounding_box()["width"] < 5
        assert _no_horizontal_overflow(page) == []
        # every one of these pages has a "GPU you own" select that starts on the RTX 4090 (views/compare.py
        # DEFAULT_GPU, the example scenario on Recommend, views/turnaround.py): it must be there and show the whole
        # short name with the memory, not a cut "RTX 40..."
        # Streamlit's select box keeps the shown choice in its input's value
        gpu_box = page.get_by_test_id("stSelectbox").filter(has_text="GPU you own")
        # a page still rerunning shows grey placeholders for its widgets: wait for the box (up to RENDER_TIMEOUT)
        _ready(page, gpu_box.first, f"the 'GPU you own' select on {path} at {width} px")
        shown = gpu_box.first.locator("input").first
        assert shown.get_attribute("value") == "RTX 4090 · 24 GiB", shown.get_attribute("value")
        assert shown.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the card's name is cut in its box"
        page.screenshot(path=str(ARTIFACTS / f"layout_{path}_{width}px.png"), full_page=True)
    page.close()


def test_profile_upload_changes_compare_and_recommend(server, browser, tmp_path):
    """One calibration for the session, in a real browser: uploading the studio's RTX 4090 profile on "Your GPU
    profile" changes the owned-card seconds on Compare and the answers on Recommend say they are calibrated on it."""
    from profile_fixtures import studio_4090_profile_text

    prof = tmp_path / "my-4090.yaml"
    prof.write_text(studio_4090_profile_text(6.0), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)

    with explained(server, page, "calibration_everywhere"):
        page.goto(f"{server.url}/compare", wait_until="domcontentloaded")
        _ready(page, page.get_by_text("Catalog calibration", exact=False).first, "the catalog-calibration caption")
        _navigate(page, "Your GPU profile", "Measured profiles")
        page.locator("input[type='file']").first.set_input_files(str(prof))
        _ready(page, page.get_by_text("Predicted after [s/image]"), "the refitted prediction")
        _navigate(page, "Compare", "Compare models")
        _ready(page, page.get_by_text("Calibrated on your NVIDIA GeForce RTX 4090 profile of 2026-12-01",
                                      exact=False).first, "the session-calibration caption on Compare")
        _navigate(page, "Recommend", "Recommend")
        _ready(page, page.get_by_text("Calibrated on your NVIDIA GeForce RTX 4090 profile of 2026-12-01",
                                      exact=False).first, "the session-calibration caption on Recommend")
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / "calibrated_recommend.png"), full_page=True)
    context.close()


def test_downloads_work_however_fast_they_are_clicked(server, browser):
    """Change the image format and click the download at once, then the CSV and the HTML report back to back: every
    click gives a file of the asked kind (never a silent failure), and the report shows no server path."""
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    with explained(server, page, "downloads"):
        page.goto(f"{server.url}/recommend", wait_until="domcontentloaded")
        _ready(page, page.get_by_test_id("stMetricValue").first, "the headline metrics")
        page.get_by_text("Make the report and image files (a few seconds)", exact=True).click()
        _ready(page, page.get_by_role("button", name="Download image"), "the image download")
        fmt = page.get_by_label("Format")

        def pick_svg():
            """Open the Format box and pick svg (retried: a rerun may redraw the box while its list opens)."""
            fmt.click()
            option = page.get_by_role("option", name="svg")
            try:
                option.wait_for(timeout=5000)
                option.click()
            except Exception:  # noqa: BLE001 (Playwright's TimeoutError: the list closed under a redraw)
                return None
            return True

        _wait_until(pick_svg, "the svg format picked")
        with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl:  # clicked without waiting for the rerun
            page.get_by_role("button", name="Download image").click()
        data = Path(dl.value.path()).read_bytes()
        # clicked before the rerun ends, the button still holds the previous run's file: a download either way, and
        # its name always says what it holds (never a PNG named .svg, never nothing)
        name = dl.value.suggested_filename
        assert (name.endswith(".svg") and b"<svg" in data[:400]) or (name.endswith(".png") and data[:4] == b"\x89PNG")
        with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl_again:  # after the rerun: the asked format
            _wait_until(lambda: page.get_by_role("button", name="Download image").is_enabled(), "the image button")
            page.wait_for_timeout(1000)
            page.get_by_role("button", name="Download image").click()
        assert dl_again.value.suggested_filename.endswith(".svg") or name.endswith(".svg")
        with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl_csv:
            page.get_by_role("button", name="Options (CSV)").click()
        assert Path(dl_csv.value.path()).read_text(encoding="utf-8").startswith("rank,id,")
        with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl_html:
            page.get_by_role("button", name="Report (HTML, works offline)").click()
        report = Path(dl_html.value.path()).read_text(encoding="utf-8")
        assert "<h2>Recommendation:" in report and str(ROOT) not in report
    context.close()

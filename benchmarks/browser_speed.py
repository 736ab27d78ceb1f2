"""App speed in a real browser (issue 15): Debian's /usr/bin/chromium driven by Playwright (never
`playwright install`), against `streamlit run app.py` and an empty Streamlit page served the same way in the same run.

Measured per trial, each in a fresh browser context (empty cache, no cookies, a new Streamlit session):
  * empty page: navigation start -> the page's one text element visible [s] (the floor: Streamlit's own JS + websocket)
  * app (/recommend): navigation start -> the recommendation text visible [s], -> the first chart drawn [s]
  * every page (/compare, /recommend, /turnaround, ...): navigation start -> its first answer visible [s]
  * app re-render: a form change (monthly volume) + submit -> the new headline figure shown [s], -> the app idle again
    (Streamlit's running indicator gone) [s]
The server is warmed once first (engine caches, imports); the cold first load is printed separately. Ratios are
app / empty-page medians (the machine's load inflates absolute times; ratios much less). Targets: first chart within
2x the empty page, re-render under 1 s. Prints figures and `uptime`; asserts nothing.

Run: .venv/bin/python benchmarks/browser_speed.py [--trials N]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--disable-extensions",
               "--disable-default-apps", "--mute-audio"]
TIMEOUT_MS = 300_000
VIEWPORT = {"width": 1400, "height": 1000}
EMPTY_PAGE = 'import streamlit as st\n\nst.title("Empty page")\nst.write("empty page ready")\n'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(script: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"streamlit did not start for {script}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _visible(page, selector: str) -> None:
    page.locator(selector).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def _idle(page) -> None:
    """Wait until Streamlit's running indicator is gone (the script run and its deltas are done)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.indexOf('Running') < 0",
        timeout=TIMEOUT_MS, polling=50)


def empty_trial(browser, url: str) -> float:
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.get_by_text("empty page ready").wait_for(state="visible", timeout=TIMEOUT_MS)
    dt = time.perf_counter() - t0
    ctx.close()
    return dt


#: the first chart drawn, plotly (its SVG) or Vega-Lite (its SVG or canvas)
CHART = ("[data-testid='stPlotlyChart'] .main-svg, [data-testid='stVegaLiteChart'] svg.marks, "
         "[data-testid='stVegaLiteChart'] canvas")
REC = "[data-testid='stAlertContentSuccess']"
HEADLINE = "[data-testid='stMetricValue']"


def app_trial(browser, url: str, volume: int | None) -> dict[str, float]:
    """One fresh-browser load of the app; with ``volume``, then one form change (monthly volume) and submit."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    _visible(page, REC)
    out["text_s"] = time.perf_counter() - t0
    _visible(page, CHART)
    out["chart_s"] = time.perf_counter() - t0
    _idle(page)
    out["idle_s"] = time.perf_counter() - t0
    if volume is not None:
        before = page.locator(HEADLINE).first.inner_text()
        vol = page.get_by_label("Monthly volume [images/month]")
        vol.fill(str(volume))
        t1 = time.perf_counter()
        page.get_by_role("button", name="Recommend").click()
        page.wait_for_function(
            "(before) => { const m = document.querySelector(\"[data-testid='stMetricValue']\");"
            " return m && m.innerText !== before; }", arg=before, timeout=TIMEOUT_MS, polling=20)
        out["rerender_text_s"] = time.perf_counter() - t1
        _idle(page)
        out["rerender_idle_s"] = time.perf_counter() - t1
    ctx.close()
    return out


#: each page's URL path and what its first answer is (a CSS selector that appears when the answer is shown)
PAGE_ANSWERS = (("compare", REC), ("recommend", REC), ("turnaround", REC), ("simulator", REC),
                ("profiles", "h1"), ("catalog", "[data-testid='stDataFrame']"),
                ("validation", "[data-testid='stMetricValue']"))


def page_trial(browser, url: str, path: str, selector: str) -> float:
    """Seconds from navigation start to ``path``'s first answer, in a fresh browser context (a new session)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(f"{url}/{path}", wait_until="commit")
    _visible(page, selector)
    out = time.perf_counter() - t0
    ctx.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    tmp = Path(tempfile.mkdtemp(prefix="advisor-empty-page-"))
    empty_script = tmp / "empty.py"
    empty_script.write_text(EMPTY_PAGE, encoding="utf-8")
    empty_proc, empty_url = _serve(empty_script)
    app_proc, app_url = _serve(ROOT / "app.py")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            cold = app_trial(browser, f"{app_url}/recommend", None)  # a cold server: engine, catalog, imports
            print(f"cold server, first load: recommendation text {cold['text_s']:.2f} s, first chart "
                  f"{cold['chart_s']:.2f} s, idle {cold['idle_s']:.2f} s")
            empty_trial(browser, empty_url)  # warm the empty server too
            empties, apps = [], []
            volumes = [20_000, 1_234, 50_000, 7_777, 300]
            for i in range(args.trials):
                empties.append(empty_trial(browser, empty_url))
                apps.append(app_trial(browser, f"{app_url}/recommend", volumes[i % len(volumes)]))
            pages = {path: [page_trial(browser, app_url, path, sel) for _ in range(args.trials)]
                     for path, sel in PAGE_ANSWERS}
            browser.close()
    finally:
        _stop(app_proc)
        _stop(empty_proc)
        empty_script.unlink()
        tmp.rmdir()

    def med(key: str) -> float:
        return statistics.median(a[key] for a in apps)

    e = statistics.median(empties)
    print(f"trials: {args.trials} (fresh browser context each; warm server)")
    print(f"empty Streamlit page, text visible:  median {e:.2f} s  ({', '.join(f'{x:.2f}' for x in empties)})")
    for key, what in (("text_s", "recommendation text"), ("chart_s", "first chart"), ("idle_s", "page idle")):
        vals = ", ".join(f"{a[key]:.2f}" for a in apps)
        print(f"app, {what:<20} median {med(key):6.2f} s  = {med(key) / e:5.2f} x empty  ({vals})")
    for key, what in (("rerender_text_s", "new headline"), ("rerender_idle_s", "page idle")):
        vals = ", ".join(f"{a[key]:.2f}" for a in apps)
        print(f"after a form change, {what:<13} median {med(key):6.2f} s  ({vals})")
    print(f"targets: first chart <= 2x empty page (now {med('chart_s') / e:.2f}x); re-render < 1 s "
          f"(now {med('rerender_idle_s'):.2f} s to idle)")
    print("time to first answer per page (fresh browser context, warm server; median of the trials):")
    for path, times in pages.items():
        print(f"  /{path:<11} {statistics.median(times):6.2f} s  ({', '.join(f'{x:.2f}' for x in times)})")
    print("uptime after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()

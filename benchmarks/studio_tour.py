"""The app tried as six studios would, in a real browser: `streamlit run app.py` on a free loopback port, driven by
Debian's /usr/bin/chromium through Playwright (never `playwright install`).

Two parts (both by default):
  * timing: per page (/compare, /recommend, /turnaround, /simulator, /profiles, /catalog, /validation), seconds from
    navigation start to the page's first answer (the green success box, else its first table or metric), each in a
    fresh browser context; the first visit after the server starts (cold engine caches) and a second one (warm).
    `uptime` load averages are printed before and after, since the machine's load inflates every figure.
  * tour: the six studios of the app issue, each on Compare / Recommend (and Turnaround for the team), then once:
    a measured-profile upload (Compare and Recommend must then say "Calibrated on your ..."), the scenario YAML round
    trip on Recommend and every export button. Full-page screenshots at 1400 and 820 px wide go to
    artifacts/studios/<studio>-<page>-<width>.png; the text each page shows (answer, headline figures, bullets) and
    simple checks (raw option ids, scientific notation, long unrounded decimals, 'None', cut metric values, sidebar
    width, horizontal overflow) are printed and written to artifacts/studios/tour.json.

Prints figures; asserts nothing (a check that trips is printed as a finding).

Run: .venv/bin/python benchmarks/studio_tour.py [--part timing|tour|all] [--only STUDIO[,STUDIO]]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # profile_fixtures: the studio's RTX 4090 profile
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--disable-extensions",
               "--disable-default-apps", "--mute-audio"]
OUT = ROOT / "artifacts" / "studios"
TIMEOUT_MS = 300_000  # a ceiling on a loaded 2-core machine, not an expectation
PAGES = ["compare", "recommend", "turnaround", "simulator", "profiles", "catalog", "validation"]
WIDTHS = (1400, 820)
#: the first answer a page shows: its green success box, else its first table (data grid or plain) or metric
FIRST_ANSWER = ("[data-testid='stAlertContentSuccess'], [data-testid='stDataFrame'], [data-testid='stTable'], "
                "[data-testid='stMetricValue']")

#: the six studios of the issue: page -> form values (labels as the app shows them)
STUDIOS = {
    "1-own-4070tisuper-500": {
        "compare": {"gpu": "RTX 4070 Ti SUPER", "volume": 500},
        "recommend": {"gpu": "RTX 4070 Ti SUPER", "volume": 500}},
    "2-own-4090-500": {
        "compare": {"gpu": "RTX 4090", "volume": 500},
        "recommend": {"gpu": "RTX 4090", "volume": 500}},
    "3-own-3060-500": {
        "compare": {"gpu": "RTX 3060 12GB", "volume": 500},
        "recommend": {"gpu": "RTX 3060 12GB", "volume": 500}},
    "4-team5-5000-p95-10min": {
        "compare": {"gpu": "RTX 4090", "volume": 5000},
        "recommend": {"gpu": "RTX 4090", "volume": 5000},
        "turnaround": {"gpu": "RTX 4090", "volume": 5000, "team": 5, "target": 10}},
    "5-chinese-text-500": {
        "compare": {"gpu": "RTX 4090", "volume": 500, "kind": "text-in-image-chinese"},
        "recommend": {"gpu": "RTX 4090", "volume": 500, "needs": "chinese-text"}},
    "6-no-gpu-100": {
        "compare": {"gpu": "none", "volume": 100},
        "recommend": {"gpu": "none", "volume": 100}},
}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / "streamlit.log", "wb")  # noqa: SIM115 (kept open while the server runs)
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                             "--server.headless", "true", "--server.address", "127.0.0.1",
                             "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"streamlit did not start (see {OUT / 'streamlit.log'})")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


# ------------------------------------------------------------------------------------------------ page helpers
def idle(page, settle_s: float = 1.5, timeout_s: float = 300) -> None:
    """Wait until Streamlit has finished its run: no 'Running' status and no spinner for ``settle_s`` in a row."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        busy = page.evaluate("""() => {
            const s = document.querySelector("[data-testid='stStatusWidget']");
            return !!(s && /Running|Stop/.test(s.innerText)) || !!document.querySelector("[data-testid='stSpinner']");
        }""")
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= settle_s:
            return
        time.sleep(0.25)


def first_answer(page, path: str = "") -> None:
    """Wait for the page's first answer (/profiles without an upload answers with its "No profile uploaded yet")."""
    exc = page.get_by_test_id("stException")
    sel = FIRST_ANSWER + (", [data-testid='stAlertContentInfo']" if path == "profiles" else "")
    page.locator(sel).or_(exc).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def open_answered(page, url: str, path: str) -> None:
    """Go to ``path`` and wait until its first answer has rendered and the page is idle."""
    page.goto(f"{url}/{path}", wait_until="domcontentloaded")
    first_answer(page)
    idle(page)


def pick(page, label: str, text: str) -> None:
    """Choose ``text`` in the select box labelled ``label`` (typed to filter the list, then the option clicked)."""
    box = page.get_by_label(label, exact=True)
    box.click()
    page.keyboard.type(text)
    opt = page.get_by_role("option").filter(has_text=text).first
    opt.wait_for(timeout=20_000)
    opt.click()


def add_to_multiselect(page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.click()
    page.keyboard.type(text)
    page.get_by_role("option").filter(has_text=text).first.click()
    page.keyboard.press("Escape")


def fill_number(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))


def submit(page, name: str) -> float:
    """Click the form's submit button; seconds until the run is idle again and an answer (or error) shows."""
    t0 = time.monotonic()
    page.get_by_role("button", name=name, exact=True).click()
    time.sleep(0.5)
    idle(page)
    first_answer(page)
    return time.monotonic() - t0


RAW_ID = re.compile(r"\b(?:self-host|rent|rental|api|buy|own):[a-z0-9][\w.-]*:[\w.:-]+")
SCI = re.compile(r"\b\d(?:\.\d+)?e[+-]?\d+\b", re.I)
LONG_DECIMAL = re.compile(r"\b\d+\.\d{5,}\b")
NONE_WORD = re.compile(r"(?<![\w-])(None|nan|NaN|null)(?![\w-])")


def page_facts(page) -> dict:
    """What the page shows, as text, and the readability checks."""
    facts = page.evaluate("""() => {
        const t = sel => [...document.querySelectorAll(sel)].map(e => e.innerText.trim()).filter(Boolean);
        const w = document.documentElement.clientWidth;
        const sb = document.querySelector("[data-testid='stSidebar']");
        const sbw = sb ? sb.getBoundingClientRect().width : 0;
        const overflow = [...document.querySelectorAll("[data-testid='stWidgetLabel'], [data-testid='stDataFrame'],"
              + " [data-testid='stTable'], [data-testid='stMetric'], [data-baseweb='select'], .stPlotlyChart,"
              + " [data-testid='stVegaLiteChart']")]
            .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; })
            .map(e => (e.innerText || e.getAttribute('data-testid') || e.className || '').slice(0, 50));
        const cutMetrics = [...document.querySelectorAll("[data-testid='stMetricValue']")]
            .filter(e => { const d = e.querySelector('div') || e; return d.scrollWidth > d.clientWidth + 1; })
            .map(e => e.innerText);
        const cutSelects = [...document.querySelectorAll("[data-baseweb='select'] div[value], "
              + "[data-baseweb='select'] [class*='singleValue'], [data-baseweb='tag'] span")]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText);
        return {success: t("[data-testid='stAlertContentSuccess']"),
                warnings: t("[data-testid='stAlertContentWarning']"),
                errors: t("[data-testid='stAlertContentError']"), info: t("[data-testid='stAlertContentInfo']"),
                exceptions: t("[data-testid='stException']"),
                metrics: [...document.querySelectorAll("[data-testid='stMetric']")].map(
                    m => m.innerText.replace(/\\n+/g, ' = ').trim()),
                captions: t("[data-testid='stCaptionContainer']"),
                bullets: t("[data-testid='stMarkdownContainer'] li").slice(0, 40),
                tables: t("[data-testid='stTable']").map(x => x.slice(0, 3000)),
                selects: t("[data-baseweb='select']"),
                sidebar_width_px: sbw, overflow: overflow, cut_metrics: cutMetrics, cut_selects: cutSelects,
                body: document.body.innerText};
    }""")
    body = facts.pop("body")
    facts["raw_ids"] = sorted(set(RAW_ID.findall(body)))[:10]
    facts["scientific"] = sorted(set(SCI.findall(body)))[:10]
    facts["long_decimals"] = sorted(set(LONG_DECIMAL.findall(body)))[:10]
    facts["none_words"] = [body[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
                           for m in NONE_WORD.finditer(body)][:10]
    return facts


def shoot(page, studio: str, name: str) -> dict:
    """Full-page screenshots at 1400 and 820 px wide; the facts seen at each width."""
    seen = {}
    for width in WIDTHS:
        # Streamlit scrolls inside its main container, so a "full page" screenshot is one viewport: the viewport is
        # grown to the content's height instead
        page.set_viewport_size({"width": width, "height": 1200})
        time.sleep(1.5)  # charts and grids re-lay out on resize
        height = page.evaluate("""() => { const b = document.querySelector("[data-testid='stMainBlockContainer']");
            const s = document.querySelector("[data-testid='stMain']");
            return b ? b.getBoundingClientRect().bottom + (s ? s.scrollTop : 0) : document.body.scrollHeight; }""")
        page.set_viewport_size({"width": width, "height": min(int(height) + 40, 16000)})
        time.sleep(1.0)
        page.screenshot(path=str(OUT / f"{studio}-{name}-{width}.png"), full_page=True)
        seen[width] = page_facts(page)
    page.set_viewport_size({"width": 1400, "height": 1200})
    # the evidence on demand: open every expander ("Why", quality figures, ...) and check what it shows too
    for header in page.locator("[data-testid='stExpander'] summary").all():
        try:
            if header.is_visible():
                header.click()
        except Exception:  # noqa: BLE001 (an expander re-rendered away is fine)
            pass
    time.sleep(1.0)
    idle(page)
    expanded = page_facts(page)
    seen["expanded"] = {k: expanded[k] for k in ("raw_ids", "scientific", "long_decimals", "none_words")}
    seen["expanded"]["text"] = page.evaluate(
        "() => [...document.querySelectorAll(\"[data-testid='stExpanderDetails']\")].map(e => e.innerText).join('\\n')"
    )[:20000]
    return seen


def show(studio: str, name: str, seconds: float, seen: dict) -> None:
    f = seen[1400]
    print(f"\n=== {studio} / {name}: answer after submit {seconds:.1f} s")
    for k in ("success", "metrics", "warnings", "errors", "exceptions", "captions"):
        if f[k]:
            print(f"  {k}: " + " | ".join(x.replace("\n", " ")[:400] for x in f[k]))
    for b in f["bullets"][:12]:
        print(f"   - {b[:300]}")
    for width, g in seen.items():
        if width == "expanded":
            flags = {k: g[k] for k in ("raw_ids", "scientific", "long_decimals", "none_words") if g[k]}
            if flags:
                print(f"  CHECK in the expanders: {json.dumps(flags)[:800]}")
            continue
        flags = {k: g[k] for k in ("raw_ids", "scientific", "long_decimals", "none_words", "overflow", "cut_metrics",
                                   "cut_selects") if g[k]}
        if g["sidebar_width_px"] > 5:
            flags["sidebar_width_px"] = g["sidebar_width_px"]
        if flags:
            print(f"  CHECK @{width}px: {json.dumps(flags)[:800]}")


# ------------------------------------------------------------------------------------------------ the parts
def timing(browser, url: str, rounds: int = 2) -> list[dict]:
    rows = []
    print(f"\n# time to first answer (fresh browser context per visit); {uptime()}")
    for r in range(rounds):
        for path in PAGES:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            t0 = time.monotonic()
            page.goto(f"{url}/{path}", wait_until="commit")
            try:
                first_answer(page, path)
                s = time.monotonic() - t0
            except Exception as exc:  # noqa: BLE001 (a page that never answers is a finding, not a crash)
                s = float("nan")
                print(f"  /{path}: no answer ({type(exc).__name__})")
            what = page.evaluate("""() => { const e = document.querySelector("[data-testid='stAlertContentSuccess']");
                return e ? 'success box' : (document.querySelector("[data-testid='stAlertContentInfo']") && !document
                .querySelector("[data-testid='stMetricValue'], [data-testid='stDataFrame'], [data-testid='stTable']")
                ? 'info box' : 'table/metric'); }""")
            rows.append({"round": "cold" if r == 0 else f"warm{r}", "page": path, "seconds": s, "first": what,
                         "load": os.getloadavg()})
            print(f"  {rows[-1]['round']:5s} /{path:11s} {s:6.1f} s  ({what}; load {os.getloadavg()[0]:.2f})")
            ctx.close()
    print(f"# after timing: {uptime()}")
    return rows


def set_form(page, page_name: str, values: dict) -> None:
    if "gpu" in values:
        pick(page, "GPU you own", values["gpu"])
    if page_name == "compare":
        fill_number(page, "Images kept per month", values["volume"])
        if "kind" in values:
            pick(page, "Kind of work", values["kind"])
    elif page_name == "recommend":
        fill_number(page, "Monthly volume [images/month]", values["volume"])
        if "needs" in values:
            add_to_multiselect(page, "Needs", values["needs"])
    elif page_name == "turnaround":
        fill_number(page, "Images per month", values["volume"])
        fill_number(page, "Team size [people]", values["team"])
        fill_number(page, "p95 target [min] (optional)", values["target"])


BUTTON = {"compare": "Compare", "recommend": "Recommend", "turnaround": "Simulate"}


def studio_tour(browser, url: str, only: set[str] | None) -> dict:
    found = {}
    for studio, pages in STUDIOS.items():
        if only and not any(studio.startswith(o) for o in only):
            continue
        for name, values in pages.items():
            ctx = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            try:
                open_answered(page, url, name)
                set_form(page, name, values)
                seconds = submit(page, BUTTON[name])
                seen = shoot(page, studio, name)
                show(studio, name, seconds, seen)
                found[f"{studio}/{name}"] = {"seconds_after_submit": seconds, "facts": seen}
            except Exception as exc:  # noqa: BLE001
                page.screenshot(path=str(OUT / f"{studio}-{name}-failed.png"), full_page=True)
                print(f"\n=== {studio} / {name}: FAILED {type(exc).__name__}: {str(exc)[:400]}")
                found[f"{studio}/{name}"] = {"failed": f"{type(exc).__name__}: {exc}"}
            ctx.close()
    return found


def calibration_tour(browser, url: str) -> dict:
    """Upload the studio's RTX 4090 profile (6x slower than the catalog's H100 run); Compare, Recommend and
    Turnaround must then say "Calibrated on your ..." and their seconds move."""
    from profile_fixtures import studio_4090_profile_text

    out = {}
    prof = Path(tempfile.mkdtemp()) / "my-4090.yaml"
    prof.write_text(studio_4090_profile_text(6.0), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        before = {}
        for name in ("compare", "recommend"):
            open_answered(page, url, name)
            before[name] = page_facts(page)
        page.goto(f"{url}/profiles", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Measured profiles").wait_for()
        page.locator("input[type='file']").first.set_input_files(str(prof))
        page.get_by_text("Predicted after [s/image]").first.wait_for()
        idle(page)
        out["profiles"] = {"facts": shoot(page, "calibrated", "profiles")}
        for name, link in (("compare", "Compare"), ("recommend", "Recommend"), ("turnaround", "Turnaround & risk"),
                           ("simulator", "Simulator")):
            page.get_by_role("link", name=link, exact=True).first.click()  # in-app navigation keeps the session
            t0 = time.monotonic()
            first_answer(page)
            idle(page)
            seconds = time.monotonic() - t0
            seen = shoot(page, "calibrated", name)
            show("calibrated", name, seconds, seen)
            body = page.evaluate("() => document.body.innerText")
            out[name] = {"says_calibrated_on_your": "Calibrated on your" in body, "facts": seen,
                         "before": before.get(name)}
            print(f"  'Calibrated on your' on {name}: {out[name]['says_calibrated_on_your']}")
            if name in before:
                print(f"  metrics before upload: {before[name]['metrics']}")
    except Exception as exc:  # noqa: BLE001
        page.screenshot(path=str(OUT / "calibrated-failed.png"), full_page=True)
        print(f"\n=== calibration: FAILED {type(exc).__name__}: {str(exc)[:400]}")
        out["failed"] = f"{type(exc).__name__}: {exc}"
    ctx.close()
    return out


#: Simulator settings that reproduce what Compare shows (same card, model and setting must give the same seconds)
SIM_CASES = {
    "z-image-turbo-4090-bf16": {"pipeline": "Z-Image Turbo", "gpu": "RTX 4090 ·", "opts": []},
    "z-image-turbo-4090-compile-sage": {"pipeline": "Z-Image Turbo", "gpu": "RTX 4090 ·",
                                        "opts": ["torch.compile of the denoiser", "SageAttention2"]},
    "flux-2-dev-3060": {"pipeline": "FLUX.2 [dev]", "gpu": "RTX 3060 12GB", "opts": []},
}


def simulator_tour(browser, url: str) -> dict:
    out = {}
    for case, v in SIM_CASES.items():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            open_answered(page, url, "simulator")
            pick(page, "Pipeline", v["pipeline"])
            pick(page, "GPU", v["gpu"])
            for o in v["opts"]:
                add_to_multiselect(page, "Optimizations (the setting Compare and Recommend name: e.g. torch.compile, "
                                         "SageAttention)", o)
            seconds = submit(page, "Simulate")
            seen = shoot(page, "simulator", case)
            show("simulator", case, seconds, seen)
            out[case] = {"facts": seen}
        except Exception as exc:  # noqa: BLE001
            page.screenshot(path=str(OUT / f"simulator-{case}-failed.png"), full_page=True)
            print(f"\n=== simulator / {case}: FAILED {type(exc).__name__}: {str(exc)[:400]}")
            out[case] = {"failed": f"{type(exc).__name__}: {exc}"}
        ctx.close()
    return out


def download(page, button: str) -> dict:
    print(f"  (download: {button})", flush=True)  # progress: a hung step shows where it hangs
    t0 = time.monotonic()
    try:
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name=button, exact=True).first.click()
        data = Path(dl.value.path()).read_bytes()
        return {"button": button, "file": dl.value.suggested_filename, "bytes": len(data),
                "seconds": round(time.monotonic() - t0, 1), "head": data[:60].decode("utf-8", "replace"),
                "server_path_inside": str(ROOT).encode() in data, "data": data}
    except Exception as exc:  # noqa: BLE001
        return {"button": button, "failed": f"{type(exc).__name__}: {str(exc)[:200]}"}


def exports_tour(browser, url: str) -> dict:
    """Recommend: set a scenario (3060, 1234 images, chinese-text), download its YAML, load it in a fresh session
    and compare the answer; then every export button (CSV, HTML, chart image in each format, clicked right after the
    format change) and the Turnaround chart export."""
    out = {"downloads": []}
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        open_answered(page, url, "recommend")
        set_form(page, "recommend", {"gpu": "RTX 3060 12GB", "volume": 1234, "needs": "chinese-text"})
        submit(page, "Recommend")
        answer_a = page_facts(page)["success"]
        y = download(page, "Scenario (YAML)")
        out["downloads"].append({k: v for k, v in y.items() if k != "data"})
        for b in ("Options (CSV)", "Report (HTML, works offline)"):
            d = download(page, b)
            if b.startswith("Report") and "data" in d:
                html = d["data"].decode("utf-8", "replace")
                (OUT / "report.html").write_text(html, encoding="utf-8")
                text = re.sub(r"<[^>]+>", " ", html)
                d["first_words"] = re.sub(r"\s+", " ", text)[:600]
                d["says_calibration"] = "calibrat" in html.lower()
            out["downloads"].append({k: v for k, v in d.items() if k != "data"})
        for fmt in ("png", "svg", "pdf"):
            pick(page, "Format", fmt)
            d = download(page, "Download image")  # at once, without waiting for the rerun
            d["asked"] = fmt
            out["downloads"].append({k: v for k, v in d.items() if k != "data"})
        for fmt in ("pdf", "png"):  # the same, clicked only once the format change's rerun has finished
            pick(page, "Format", fmt)
            time.sleep(0.5)
            idle(page)
            d = download(page, "Download image")
            d["asked"] = f"{fmt} (clicked after the rerun)"
            out["downloads"].append({k: v for k, v in d.items() if k != "data"})
        if "data" in y:
            yml = Path(tempfile.mkdtemp()) / "scenario.yaml"
            yml.write_bytes(y["data"])
            (OUT / "scenario.yaml").write_bytes(y["data"])
            ctx2 = browser.new_context(viewport={"width": 1400, "height": 1200})
            p2 = ctx2.new_page()
            p2.set_default_timeout(TIMEOUT_MS)
            p2.goto(f"{url}/recommend", wait_until="domcontentloaded")
            first_answer(p2)
            idle(p2)
            p2.get_by_text("Load a scenario YAML").first.click()
            up = p2.get_by_test_id("stFileUploader").filter(has_text="Scenario (YAML)")
            up.locator("input[type='file']").set_input_files(str(yml))
            time.sleep(1)
            idle(p2)
            first_answer(p2)
            f2 = page_facts(p2)
            p2.screenshot(path=str(OUT / "roundtrip-recommend-1400.png"), full_page=True)
            out["roundtrip"] = {"answer_before": answer_a, "answer_after_load": f2["success"],
                                "same": answer_a == f2["success"], "info": f2["info"],
                                "volume_field": p2.get_by_label("Monthly volume [images/month]").input_value(),
                                "selects": f2["selects"][:6]}
            ctx2.close()
        # Turnaround: the chart export needs the render box ticked first
        open_answered(page, url, "turnaround")
        page.get_by_text("Render the chart for download").click()
        time.sleep(1)
        idle(page)
        btn = page.locator("[data-testid='stDownloadButton'] button").last
        name = btn.inner_text().strip()
        d = download(page, name)
        out["downloads"].append({k: v for k, v in d.items() if k != "data"})
    except Exception as exc:  # noqa: BLE001
        page.screenshot(path=str(OUT / "exports-failed.png"), full_page=True)
        out["failed"] = f"{type(exc).__name__}: {str(exc)[:400]}"
    ctx.close()
    print("\n=== exports and round trip")
    print(json.dumps(out, indent=1, default=str)[:6000])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["timing", "tour", "all"], default="all")
    ap.add_argument("--only", default="", help="comma-separated studio prefixes (e.g. 1,4) or 'calibration,exports'")
    ap.add_argument("--rounds", type=int, default=2, help="timing rounds (the first is cold)")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()} or None

    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill PID` still stops the server (finally below)
    print(f"# start: {uptime()}")
    proc, url = start_server()
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            if args.part in ("timing", "all"):
                results["timing"] = timing(browser, url, args.rounds)
            if args.part in ("tour", "all"):
                results["studios"] = studio_tour(browser, url, only)
                if not only or "simulator" in only:
                    results["simulator"] = simulator_tour(browser, url)
                if not only or "calibration" in only:
                    results["calibration"] = calibration_tour(browser, url)
                if not only or "exports" in only:
                    results["exports"] = exports_tour(browser, url)
            browser.close()
    finally:
        stop_server(proc)
    (OUT / "tour.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(f"\n# end: {uptime()}\n# wrote {OUT / 'tour.json'} and the screenshots in {OUT}")


if __name__ == "__main__":
    main()

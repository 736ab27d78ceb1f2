"""App speed (issue 5): engine work behind a Recommend re-render after an input change (target < 300 ms),
and the first page render through Streamlit's AppTest (target < 3 s). Prints figures; asserts nothing.

Run: .venv/bin/python benchmarks/app_speed.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def engine_rerender() -> None:
    from advisor.report import charts, export, tables
    from advisor.report.sweeps import _with

    base = export.load_scenario_file(export.EXAMPLE_SCENARIO)
    cat = export.load_catalog_for(base)
    t0 = time.perf_counter()
    views = export.compute_views(base, cat)  # cold: YAML, architectures, simulator caches
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    export.build_figures(views, cat)  # cold: imports plotly (the page imports it once per process)
    cold_figs = time.perf_counter() - t0
    print(f"cold start (catalog + first scenario, all sweeps): {cold * 1000:.0f} ms; "
          f"first figures (incl. plotly import): {cold_figs * 1000:.0f} ms")
    # input changes a user makes one at a time; each is a new scenario (the page's st.cache_data misses);
    # engine results of sweep points whose inputs did not change are reused (advisor.report.export._recommend)
    changes = [
        {"volume_images_per_month": 20_000},
        {"volume_images_per_month": 1_234},
        {"electricity_usd_per_kwh": 0.31},
        {"commercial": True},
        {"needs": ["quality"]},
        {"megapixels": 2.0},  # a new size: every option is simulated again
    ]
    times, page_times = {}, {}
    for ch in changes:
        s = _with(base, **ch)
        c = export.load_catalog_for(s)
        # what the Recommend page computes on a re-render: the engine and the volume sweep (the sensitivity sweeps
        # wait until their chart is opened), the Vega-Lite cost-vs-volume chart and the grouped table
        t0 = time.perf_counter()
        views = export.compute_views(s, c, sensitivity=False)
        labels = export.option_labels(views, c)
        charts.cost_vs_volume_spec(views, labels)
        tables.display_rows(tables.best_per_model_and_deployment(views.result), c)
        page_times[str(ch)] = time.perf_counter() - t0
        # everything (all sweeps and the four plotly figures: the report and image exports)
        t0 = time.perf_counter()
        views = export.compute_views(s, c)
        export.build_figures(views, c)
        times[str(ch)] = time.perf_counter() - t0
    for k in times:
        print(f"re-render after {k:<40} page {page_times[k] * 1000:7.0f} ms; all sweeps + figures "
              f"{times[k] * 1000:7.0f} ms")
    for what, d in (("page", page_times), ("all sweeps + figures", times)):
        vals = list(d.values())
        print(f"re-render engine work ({what}): median {statistics.median(vals) * 1000:.0f} ms, "
              f"max {max(vals) * 1000:.0f} ms (target < 300 ms for the page)")


def first_render() -> None:
    from streamlit.testing.v1 import AppTest

    t0 = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("views/recommend.py").run()  # the root URL opens Compare
    dt = time.perf_counter() - t0
    ok = not at.exception and not at.error
    print(f"first page render via AppTest (fresh process, cold caches): {dt:.2f} s (target < 3 s) ok={ok}")
    t0 = time.perf_counter()
    at.number_input(key="volume").set_value(777)
    at.button[0].click().run()
    print(f"re-render via AppTest after a volume change (incl. Streamlit): {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "first":
        first_render()
    elif len(sys.argv) > 1 and sys.argv[1] == "engine":
        engine_rerender()
    else:  # each in a fresh process so the first render is really cold
        import subprocess

        subprocess.run([sys.executable, __file__, "first"], check=True)
        subprocess.run([sys.executable, __file__, "engine"], check=True)

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
    from advisor.report import export

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
    times = {}
    for ch in changes:
        s = export._with(base, **ch)
        t0 = time.perf_counter()
        views = export.compute_views(s, export.load_catalog_for(s))
        export.build_figures(views, cat)
        times[str(ch)] = time.perf_counter() - t0
    for k, v in times.items():
        print(f"re-render after {k:<40} {v * 1000:7.0f} ms (engine calls + figures)")
    vals = list(times.values())
    print(f"re-render engine work: median {statistics.median(vals) * 1000:.0f} ms, max {max(vals) * 1000:.0f} ms "
          f"(target < 300 ms)")


def first_render() -> None:
    from streamlit.testing.v1 import AppTest

    t0 = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
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

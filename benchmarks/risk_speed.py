"""Speed of the issue-11 risk and turnaround answers on the real catalog, per scenario.

Prints figures; asserts nothing (speed targets live in benchmarks, not in timed tests).

Timed, per scenario (after one untimed warm-up of the same call, so the catalog, simulator estimates and the
first-touch page faults of the sample arrays are paid before timing):

- ``monte carlo``: :func:`advisor.decide.risk.cost_distribution` = the cost models of the candidate options of the
  engine's result (the cheapest distinct choices, :func:`advisor.decide.risk.candidates`) + 10,000 samples each (:func:`advisor.workload.montecarlo.simulate_monthly_costs`)
  + P10/P50/P90 [ms]; median of ``--runs`` calls with a new seed each. Target: < 300 ms.
- ``what-if``: :func:`advisor.decide.risk.assess` with the tornado (closed form) and the flip thresholds (closed
  form where cost is linear, checked or searched on the engine over a cut catalog otherwise) [s], one run.
- ``turnaround``: first ``recommend`` of the scenario with a team and a p95 target (SimPy queue simulations of
  every distinct service time) [s], in a fresh cache, one run.
- ``per process``: ``advisor recommend --volume 5000`` with and without ``--no-risk`` as a fresh process each
  (median of ``--runs`` of each, alternating), wall and CPU (user + system) seconds; CPU time is what to compare
  on a shared machine (the wall clock there includes waiting for a core). Target: risk within 1.5x of no-risk.

Usage: ``.venv/bin/python benchmarks/risk_speed.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from advisor.catalog import load_catalog
from advisor.decide import Scenario, recommend
from advisor.decide import risk as R
from advisor.decide import turnaround_rule as TR

TARGET_MS = 300.0
TARGET_RISK_RATIO = 1.5
SCENARIOS = {
    "500 images/month, own RTX 4090": dict(volume_images_per_month=500, gpu_owned="rtx-4090"),
    "5,000 images/month": dict(volume_images_per_month=5_000),
    "50,000 images/month, 2 MP": dict(volume_images_per_month=50_000, megapixels=2.0),
}


def _process_seconds(args: list[str]) -> tuple[float, float]:
    """(wall, user + system CPU) seconds of one ``python -m advisor`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "advisor", *args], check=True, stdout=subprocess.DEVNULL,
                   cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def per_process(runs: int) -> None:
    """``recommend`` with risk vs ``--no-risk``, one fresh process per call (module doc)."""
    base = ["recommend", "--volume", "5000"]
    times: dict[str, list[tuple[float, float]]] = {"risk": [], "no-risk": []}
    for _ in range(runs):
        times["no-risk"].append(_process_seconds(base + ["--no-risk"]))
        times["risk"].append(_process_seconds(base))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    ratio = med["risk"][1] / med["no-risk"][1]
    print(f"per process ({' '.join(base)}): risk {med['risk'][0]:.1f} s wall / {med['risk'][1]:.1f} s CPU, "
          f"--no-risk {med['no-risk'][0]:.1f} s wall / {med['no-risk'][1]:.1f} s CPU: CPU ratio {ratio:.2f} "
          f"(target <= {TARGET_RISK_RATIO:g}: {'OK' if ratio <= TARGET_RISK_RATIO else 'SLOWER than target'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--process-runs", type=int, default=3, help="fresh processes per variant (per process)")
    args = parser.parse_args()
    per_process(args.process_runs)
    catalog = load_catalog()
    for name, kw in SCENARIOS.items():
        sc = Scenario(**kw)
        result = recommend(sc, catalog)
        R.cost_distribution(sc, result, catalog, seed=0)  # warm-up, untimed
        times = []
        for run in range(args.runs):
            t0 = time.perf_counter()
            mc, _ = R.cost_distribution(sc, result, catalog, seed=run + 1)
            times.append((time.perf_counter() - t0) * 1e3)
        med = statistics.median(times)
        print(f"{name}: monte carlo {len(mc.option_ids)} of {len(result.options)} options x {mc.n_samples:,} samples: "
              f"median {med:.0f} ms, "
              f"min {min(times):.0f}, max {max(times):.0f} over {args.runs} runs "
              f"(target < {TARGET_MS:.0f} ms: {'OK' if med < TARGET_MS else 'SLOWER than target'})")
        t0 = time.perf_counter()
        risk = R.assess(sc, result, catalog)
        print(f"  what-if (tornado + flip thresholds on the engine): {time.perf_counter() - t0:.1f} s, "
              f"{len(risk.flips)} flip(s)")
    TR._CACHE.clear()
    sc = Scenario(volume_images_per_month=5_000, team_size=5, p95_target_minutes=10)
    t0 = time.perf_counter()
    result = recommend(sc, catalog)
    print(f"turnaround: first recommend with a team of 5 and a 10 min p95 target: {time.perf_counter() - t0:.1f} s "
          f"({len(result.options)} options, {len(TR._CACHE)} distinct service times simulated)")


if __name__ == "__main__":
    main()

"""Speed of ``advisor.workload.montecarlo.simulate_monthly_costs``: 10,000 samples over ~500 options.

Prints figures; asserts nothing (speed targets live in benchmarks, not in timed tests).

The options are synthetic but exercise every term of the cost formula: an uncertain fixed cost for every option,
an uncertain per-image price for half of them, an uncertain GPU-second rental price for a third, a simulator error
(lognormal, CV 0.2) and energy for all, shared electricity price and volume variation. Timed: the whole call
(draws, cost arithmetic, P10/P50/P90) [ms]; median of ``--runs`` calls after one untimed warm-up call (the first
call pays page faults for the ~40 MB result arrays).

Target: median < 300 ms.

Usage: ``.venv/bin/python benchmarks/montecarlo_speed.py [--options 500] [--samples 10000] [--runs 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from advisor.workload.montecarlo import CostModel, SharedInputs, simulate_monthly_costs

TARGET_MS = 300.0


def synthetic_options(n_options: int, seed: int = 0) -> list[CostModel]:
    """``n_options`` cost models with every kind of uncertain input (see module doc)."""
    rng = np.random.default_rng(seed)
    models = []
    for i in range(n_options):
        fixed_low = float(rng.uniform(0, 200))
        models.append(CostModel(
            option_id=f"option-{i:03d}",
            fixed_usd_per_month=(fixed_low, fixed_low * float(rng.uniform(1.1, 2.0))),
            usd_per_image=(0.01, 0.06) if i % 2 else 0.0,
            gpu_seconds_per_image=float(rng.uniform(1.0, 30.0)),
            simulator_relative_error=0.2,
            usd_per_gpu_second=(1e-4, 4e-4) if i % 3 == 0 else 0.0,
            kwh_per_gpu_second=float(rng.uniform(0.5e-4, 2e-4)),
        ))
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", type=int, default=500)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    models = synthetic_options(args.options)
    shared = SharedInputs(images_per_month=5_000, volume_relative_sd=0.3, usd_per_kwh=(0.10, 0.40))
    simulate_monthly_costs(models, shared, n_samples=args.samples, seed=0)  # warm-up, untimed
    times_ms = []
    for run in range(args.runs):
        t0 = time.perf_counter()
        simulate_monthly_costs(models, shared, n_samples=args.samples, seed=run + 1)
        times_ms.append((time.perf_counter() - t0) * 1e3)
    median = statistics.median(times_ms)
    verdict = "OK" if median < TARGET_MS else "SLOWER than target"
    print(f"simulate_monthly_costs: {args.options} options x {args.samples} samples")
    print(f"  median {median:.0f} ms, min {min(times_ms):.0f} ms, max {max(times_ms):.0f} ms over {args.runs} runs "
          f"(target < {TARGET_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()

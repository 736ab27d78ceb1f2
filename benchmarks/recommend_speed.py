"""Speed of a full-catalog ``advisor.decide.recommend`` call, cold and warm, in-process.

Prints figures; asserts nothing (speed targets live here, not in timed tests; docs/TEAM.md).

- import: ``import advisor.decide`` in a fresh interpreter [ms]
- cold: the first ``recommend`` after import in a fresh interpreter (reads the catalog, architecture and
  calibration YAML, runs every simulator estimate) [ms]; median of ``--cold-runs`` fresh interpreters
- warm: later calls in the same process with a new volume each time (catalog, architectures and estimates
  cached; the cost engine and ranking re-run) [ms]; median and max of ``--warm-runs``
- warm, new size: a call with an image size not seen before (YAML cached, every estimate re-simulated) [ms]

Target: warm < 100 ms.

Usage: ``.venv/bin/python benchmarks/recommend_speed.py [--cold-runs 3] [--warm-runs 20]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

TARGET_WARM_MS = 100.0

_CHILD = r"""
import json, time
t0 = time.perf_counter()
from advisor.decide import Scenario, recommend
t1 = time.perf_counter()
r = recommend(Scenario(volume_images_per_month=500, gpu_owned="rtx-4090"))
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "cold_ms": (t2 - t1) * 1e3, "options": len(r.options),
                  "excluded": len(r.excluded)}))
"""


def cold(runs: int) -> list[dict]:
    """Each run in a fresh interpreter, so no cache (lru_cache, imported modules) survives."""
    out = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def warm(runs: int) -> tuple[list[float], float]:
    from advisor.decide import Scenario, recommend

    recommend(Scenario(volume_images_per_month=500, gpu_owned="rtx-4090"))  # fill the caches
    times = []
    for i in range(runs):
        sc = Scenario(volume_images_per_month=500 + 37 * i, gpu_owned="rtx-4090")
        t0 = time.perf_counter()
        recommend(sc)
        times.append((time.perf_counter() - t0) * 1e3)
    t0 = time.perf_counter()
    recommend(Scenario(volume_images_per_month=500, gpu_owned="rtx-4090", width=1152, height=896))
    new_size_ms = (time.perf_counter() - t0) * 1e3
    return times, new_size_ms


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--warm-runs", type=int, default=20)
    args = ap.parse_args(argv)

    c = cold(args.cold_runs)
    w, new_size_ms = warm(args.warm_runs)
    print(f"recommend, full catalog, 500 images/month, owned rtx-4090 ({c[0]['options']} options, "
          f"{c[0]['excluded']} excluded); python {sys.version.split()[0]}")
    print(f"  import advisor.decide        median {statistics.median(x['import_ms'] for x in c):7.1f} ms "
          f"({args.cold_runs} fresh interpreters)")
    print(f"  cold (first call)            median {statistics.median(x['cold_ms'] for x in c):7.1f} ms "
          f"(min {min(x['cold_ms'] for x in c):.1f}, max {max(x['cold_ms'] for x in c):.1f})")
    print(f"  warm (caches filled)         median {statistics.median(w):7.1f} ms (max {max(w):.1f}; "
          f"{args.warm_runs} calls); target < {TARGET_WARM_MS:.0f} ms: "
          f"{'met' if statistics.median(w) < TARGET_WARM_MS else 'NOT met'}")
    print(f"  warm, new image size         {new_size_ms:7.1f} ms (every estimate re-simulated)")


if __name__ == "__main__":
    main()

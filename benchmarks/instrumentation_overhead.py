"""Overhead of the measurement instrumentation (stage hooks + step callback + marks) vs a plain pipeline call.

Target: < 2 % of the pipeline call. Two independent estimates:

1. Paired timing. ``--pairs`` pairs of (plain, instrumented) calls of a small scaled pipeline (same inputs,
   same seed), the order inside a pair alternating (plain first, then instrumented first) so slow drift of a
   shared machine cancels. Per pair the relative difference (instrumented - plain) / plain; reported: their
   median and a percentile-bootstrap 90 % interval of that median (resampling pairs, fixed seed). The target
   is *shown* by this estimate only when the whole interval lies below +2 %.
2. Direct cost. The work the instrumentation adds, timed on its own in tight loops: per call (StageTimer
   set-up, start/end of the run, hook removal) and per step (one pre-hook + one post-hook + one callback),
   as a share of the fastest plain call. This does not include the pipeline building the callback's tensor
   dict each step (``callback_on_step_end_tensor_inputs``), which only the paired timing sees.

On CUDA the marks are CUDA events (no per-step sync).

Usage: .venv/bin/python benchmarks/instrumentation_overhead.py [--pipeline z-image-turbo] [--random-weights scaled:0.05]
       [--device cpu] [--size 256] [--steps 8] [--pairs 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bootstrap_median_interval(values: list[float], level: float = 0.90, resamples: int = 5000,
                               seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap interval of the median of ``values`` (Efron & Tibshirani 1993, ch. 13): resample
    the values with replacement ``resamples`` times, take each resample's median, return the
    ((1 - level) / 2, (1 + level) / 2) quantiles of those medians."""
    rng = random.Random(seed)
    n = len(values)
    meds = sorted(statistics.median(rng.choices(values, k=n)) for _ in range(resamples))
    lo = meds[int((1 - level) / 2 * (resamples - 1))]
    hi = meds[int(round((1 + level) / 2 * (resamples - 1)))]
    return lo, hi


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipeline", default="z-image-turbo")
    ap.add_argument("--random-weights", default="scaled:0.05")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--pairs", "--repeats", dest="pairs", type=int, default=100,
                    help="alternating (plain, instrumented) pairs (default 100)")
    ap.add_argument("--target", type=float, default=2.0, help="target overhead [%% of the call] (default 2)")
    a = ap.parse_args()

    import torch

    from measure.configs import PIPELINES
    from measure.pipelines import build_pipeline, call_kwargs
    from measure.timing import StageTimer

    t_start = time.perf_counter()
    cuda = a.device.startswith("cuda")
    built = build_pipeline(a.pipeline, random_weights=a.random_weights, device=a.device, precision=a.precision)
    pdef = PIPELINES[a.pipeline]

    def kwargs():
        return call_kwargs(built, prompt="a red fox in fresh snow at dawn, detailed", width=a.size, height=a.size,
                           steps=a.steps, guidance=pdef.default_guidance, batch_size=1, max_sequence_length=None,
                           seed=0)

    def plain() -> float:
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        built.pipe(**kwargs())
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - t

    def instrumented() -> float:
        tm = StageTimer(built.pipe, cuda=cuda, expected_steps=a.steps)
        kw = kwargs()
        kw["callback_on_step_end"] = tm.callback
        kw["callback_on_step_end_tensor_inputs"] = ["latents"]
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        tm.start_run()
        built.pipe(**kw)
        tm.end_run()
        dt = time.perf_counter() - t
        tm.remove()
        return dt

    for _ in range(2):  # warm-up (allocator, kernels, caches)
        plain(), instrumented()
    p, i, rel = [], [], []
    for k in range(a.pairs):
        if k % 2 == 0:
            tp = plain()
            ti = instrumented()
        else:
            ti = instrumented()
            tp = plain()
        p.append(tp)
        i.append(ti)
        rel.append(100 * (ti - tp) / tp)
    med = statistics.median(rel)
    lo, hi = bootstrap_median_interval(rel)
    print(f"pipeline {a.pipeline} ({a.random_weights}, {a.precision}) on {a.device}, {a.size}^2, {a.steps} steps, "
          f"{a.pairs} alternating pairs (+2 warm-up pairs)")
    print(f"plain call         median {statistics.median(p) * 1e3:9.2f} ms  (min {min(p) * 1e3:.2f})")
    print(f"instrumented call  median {statistics.median(i) * 1e3:9.2f} ms  (min {min(i) * 1e3:.2f})")
    print(f"paired difference  median {med:+.2f} % of the call, bootstrap 90 % interval [{lo:+.2f}, {hi:+.2f}] %  "
          f"(pairs: min {min(rel):+.1f} %, max {max(rel):+.1f} %)")

    # direct cost: the work the instrumentation adds, timed in isolation
    # per step = one pre-hook + one post-hook + one callback, on an identity module
    ident = torch.nn.Identity()
    tm = StageTimer(built.pipe, cuda=cuda, expected_steps=10**9)
    tm._hook(ident, "transformer")
    tm.start_run()
    x = torch.zeros(1)
    n = 20000
    t = time.perf_counter()
    for k in range(n):
        ident(x)
        tm.callback(built.pipe, k, None, {})
    per_step = (time.perf_counter() - t) / n
    tm.abort_run()
    tm.remove()
    t = time.perf_counter()
    for _ in range(n):
        ident(x)
    bare = (time.perf_counter() - t) / n
    hook_step = per_step - bare
    # per call = hooks set up + start_run + `steps` callbacks + end_run + hooks removed (no module runs)
    m = 200
    t = time.perf_counter()
    for _ in range(m):
        tm = StageTimer(built.pipe, cuda=cuda, expected_steps=a.steps)
        tm.start_run()
        for k in range(a.steps):
            tm.callback(built.pipe, k, None, {})
        tm.end_run()
        tm.remove()
    per_call_fixed = (time.perf_counter() - t) / m  # includes the `steps` callbacks (without their hook pairs)
    call_s = min(p)
    step_s = call_s / a.steps
    # upper bound: the text-encoder and VAE hooks fire a few times per call (counted as 4 extra hook pairs), and
    # the callbacks are counted twice (in the per-call loop and in hook_step)
    direct_s = per_call_fixed + (a.steps + 4) * hook_step
    direct_pct = 100 * direct_s / call_s
    print(f"direct cost        hooks+callback {hook_step * 1e6:.1f} us per step "
          f"({100 * hook_step / step_s:.4f} % of a {step_s * 1e3:.1f} ms step); per call (set-up, run marks, "
          f"{a.steps} callbacks, removal) {per_call_fixed * 1e6:.0f} us; total {direct_s * 1e6:.0f} us = "
          f"{direct_pct:.4f} % of the fastest plain call")

    shown_paired = hi < a.target
    print(f"target < {a.target:g} %: paired timing "
          + ("SHOWS it (whole 90 % interval below the target)" if shown_paired else
             f"does NOT show it (90 % interval reaches {hi:+.2f} %: machine noise is larger than the effect)")
          + f"; direct cost {direct_pct:.4f} % " + ("is below it" if direct_pct < a.target else "is NOT below it"))
    print(f"benchmark wall time {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

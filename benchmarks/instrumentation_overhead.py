"""Overhead of the measurement instrumentation (stage hooks + step callback + marks) vs a plain pipeline call.

Target: < 2 % of the pipeline call. Alternates plain and instrumented calls (same inputs, same seed) and
compares medians; prints per-call and per-step overhead. On CUDA the marks are CUDA events (no per-step sync).

Usage: .venv/bin/python benchmarks/instrumentation_overhead.py [--pipeline z-image-turbo] [--random-weights scaled:0.05]
       [--device cpu] [--size 256] [--steps 8] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipeline", default="z-image-turbo")
    ap.add_argument("--random-weights", default="scaled:0.05")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()

    import torch

    from measure.configs import PIPELINES
    from measure.pipelines import build_pipeline, call_kwargs
    from measure.timing import StageTimer

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

    plain(), instrumented()  # warm-up
    p, i = [], []
    for _ in range(a.repeats):
        p.append(plain())
        i.append(instrumented())
    mp, mi = statistics.median(p), statistics.median(i)
    print(f"pipeline {a.pipeline} ({a.random_weights}, {a.precision}) on {a.device}, {a.size}^2, {a.steps} steps, "
          f"{a.repeats} alternating repeats")
    print(f"plain call         median {mp * 1e3:9.2f} ms  (min {min(p) * 1e3:.2f})")
    print(f"instrumented call  median {mi * 1e3:9.2f} ms  (min {min(i) * 1e3:.2f})")
    print(f"overhead           {100 * (mi - mp) / mp:+.2f} % of the call (median); "
          f"{100 * (min(i) - min(p)) / min(p):+.2f} % (min); {(mi - mp) / a.steps * 1e3:+.3f} ms per step  "
          f"[target < 2 %]")
    # deterministic bound (robust to a noisy shared box): cost of the work the instrumentation adds per step
    # = one pre-hook + one post-hook + one callback, timed in isolation on an identity module
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
    step_s = min(p) / a.steps
    print(f"hooks+callback     {(per_step - bare) * 1e6:.1f} us per step = "
          f"{100 * (per_step - bare) / step_s:.4f} % of a {step_s * 1e3:.1f} ms step (fastest plain call / steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

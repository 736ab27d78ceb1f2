"""This machine's matmul peak (torch, else numpy), for calibrating the simulator's CPU device.

Lives in ``measure`` because it imports torch; ``advisor calibrate --cpu`` loads it lazily.
"""

from __future__ import annotations

import time

import numpy as np


def measure_cpu_peak(n: int = 2048, repeats: int = 5) -> dict[str, float]:
    """This machine's matmul peaks [TFLOP/s]: best of ``repeats`` n x n matmuls, fp32 and (torch only) bf16."""
    flops = 2.0 * n**3
    out: dict[str, float] = {}
    try:
        import torch

        for name, dt_ in (("fp32_tflops", torch.float32), ("bf16_tflops", torch.bfloat16)):
            a = torch.randn(n, n, dtype=dt_)
            b = torch.randn(n, n, dtype=dt_)
            torch.mm(a, b)
            best = min(_timeit(lambda: torch.mm(a, b)) for _ in range(repeats))
            out[name] = flops / best / 1e12
        out["measured_with"] = f"torch.mm {n}^2, {torch.get_num_threads()} threads, best of {repeats}"
    except ImportError:
        a = np.random.rand(n, n).astype(np.float32)
        best = min(_timeit(lambda: a @ a) for _ in range(repeats))
        out["fp32_tflops"] = flops / best / 1e12
        out["bf16_tflops"] = out["fp32_tflops"]
        out["measured_with"] = f"numpy {n}^2 float32, best of {repeats} (no torch: bf16 = fp32)"
    return out


def _timeit(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t

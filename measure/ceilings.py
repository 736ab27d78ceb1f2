"""Device ceilings: achieved dense matmul throughput and device-to-device copy bandwidth.

- bf16 matmul ``n x n @ n x n`` (default n=8192): FLOPs = 2 n^3 (multiply-add = 2 FLOPs) -> TFLOP/s (1e12).
- fp8 (e4m3) matmul via ``torch._scaled_mm`` where supported (Hopper/Ada and newer): same FLOP count.
- copy: ``dst.copy_(src)`` of ``copy_gib`` GiB; bytes moved = 2 x size (read + write) -> GB/s (1e9).
Each is the best (max) of ``repeats`` timed iterations after ``warmup`` (CUDA events on GPU).

Usage: python -m measure.ceilings --device cuda --out DIR   (writes DIR/<device-slug>.yaml; default profiles/ceilings)
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml


def _cpu_name() -> str:
    from measure.runner import _cpu_model

    return _cpu_model()


def _timer(cuda: bool):
    import torch

    def run(fn, warmup: int, repeats: int) -> list[float]:
        for _ in range(warmup):
            fn()
        out = []
        for _ in range(repeats):
            if cuda:
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                fn()
                b.record()
                torch.cuda.synchronize()
                out.append(a.elapsed_time(b) / 1000.0)
            else:
                t = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t)
        return out

    return run


def measure_ceilings(device: str = "cuda", n: int = 8192, copy_gib: float = 2.0, warmup: int = 3,
                     repeats: int = 10) -> dict:
    """Achieved TFLOP/s and GB/s on ``device`` (see module docstring)."""
    import torch

    cuda = device.startswith("cuda")
    run = _timer(cuda)
    res: dict = {"device": device, "n": n, "repeats": repeats,
                 "name": torch.cuda.get_device_name(torch.device(device)) if cuda else _cpu_name(),
                 "torch": str(torch.__version__), "measured_at": datetime.now(timezone.utc).isoformat()}
    flops = 2.0 * n**3

    def rates(work: float, ts: list[float], scale: float) -> tuple[float, float]:
        """(best, median) rate of ``work`` units per timed run, divided by ``scale``."""
        return work / min(ts) / scale, work / sorted(ts)[len(ts) // 2] / scale

    try:
        a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
        b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
        ts = run(lambda: torch.mm(a, b), warmup, repeats)
        best, median = rates(flops, ts, 1e12)
        res["bf16_matmul_tflops"], res["bf16_matmul_median_tflops"] = round(best, 2), round(median, 2)
        del a, b
    except Exception as exc:  # noqa: BLE001
        res["bf16_matmul_error"] = f"{type(exc).__name__}: {exc}"[:300]
    try:
        if not cuda:
            raise RuntimeError("fp8 _scaled_mm needs a CUDA GPU (sm_89+)")
        a = torch.randn(n, n, device=device).to(torch.float8_e4m3fn)
        b = torch.randn(n, n, device=device).to(torch.float8_e4m3fn).t()  # column-major second operand
        one = torch.tensor(1.0, device=device)
        ts = run(lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16), warmup, repeats)
        best, median = rates(flops, ts, 1e12)
        res["fp8_matmul_tflops"], res["fp8_matmul_median_tflops"] = round(best, 2), round(median, 2)
        del a, b
    except Exception as exc:  # noqa: BLE001
        res["fp8_matmul_error"] = f"{type(exc).__name__}: {exc}"[:300]
    try:
        numel = int(copy_gib * 2**30 // 2)
        src = torch.empty(numel, device=device, dtype=torch.bfloat16).fill_(1)
        dst = torch.empty_like(src)
        ts = run(lambda: dst.copy_(src), warmup, repeats)
        res["copy_bytes"] = numel * 2
        best, median = rates(2 * numel * 2, ts, 1e9)
        res["copy_gb_per_s"], res["copy_median_gb_per_s"] = round(best, 1), round(median, 1)
        res["copy_convention"] = "bytes read + bytes written (2 x size) per second"
        del src, dst
    except Exception as exc:  # noqa: BLE001
        res["copy_error"] = f"{type(exc).__name__}: {exc}"[:300]
    if cuda:
        torch.cuda.empty_cache()
    return res


def main(argv: list[str] | None = None) -> int:
    from advisor.io import atomic_write_text
    from advisor.catalog.measured import gpu_slug_for_name
    from measure.profile_io import slugify

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--copy-gib", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", default="profiles/ceilings")
    args = ap.parse_args(argv)
    res = measure_ceilings(args.device, n=args.n, copy_gib=args.copy_gib, repeats=args.repeats)
    slug = gpu_slug_for_name(res["name"]) if args.device.startswith("cuda") else None
    slug = slug or ("cuda-" if args.device.startswith("cuda") else "cpu-") + slugify(res["name"])
    res["gpu_slug"] = slug if args.device.startswith("cuda") else None
    path = Path(args.out) / f"{slug}.yaml"
    atomic_write_text(path, yaml.safe_dump(res, sort_keys=False))
    print(yaml.safe_dump(res, sort_keys=False), end="")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

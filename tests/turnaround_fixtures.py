"""A hand-made catalog and a fake simulator for the turnaround and risk tests (issue 11); numbers chosen for hand
arithmetic.

One GPU 'slow' (street price $1,000 with low = high, so a purchase costs exactly 1000 x (1 - 0.25) / 36 =
$20.8333/month per card), one pipeline 'small' that the fake simulator runs at 60 s per image with 400 W board
+ 100 W rest of system (500 W x 60 s = 30,000 J = 0.0083333 kWh per image), no idle hours (powered on 0 h/day), no
failures (1 attempt per image), no fallback band (too_close_fraction 0), and one API 'small-api' at $0.005/MP
(1 MP billed per image). No rental offers.
"""

from __future__ import annotations

import json

from advisor.catalog import build_catalog
from advisor.perf import PerfEstimate, PerfRequest

S = {"source": "test fixture", "as_of": "2026-11-01"}


def n(v):
    return {"value": v, **S}


def raw(street=(1000.0, 1000.0), uncertainty_default=0.0):
    return {
        "gpus": [{"slug": "slow", "name": "SLOW", "architecture": "ada", "vram_gib": n(24.0),
                  "memory_bandwidth_gb_per_s": n(1000.0), "tensor_tflops": {"bf16_fp32acc": n(100.0), "fp16_fp32acc": n(100.0), "fp32": n(50.0)},
                  "pcie_gen": n(4), "pcie_lanes": n(16), "board_power_watts": n(400.0), "idle_power_watts": n(20.0),
                  "launch_price_usd": n(1000.0),
                  "street_price_usd": {"low": street[0], "high": street[1], **S}}],
        "pipelines": [{"slug": "small", "name": "Small", "family": "test",
                       # 6e9 parameters x 2 bytes (bf16) = 12 GB loaded per rental session
                       "weights_on_disk_gb": {"bf16": {**n(12.0), "derived": True}},
                       "default_steps": 8, "transformer_evals_per_step": 1, "default_guidance": 0,
                       "guidance_kind": "none", "guidance_distilled": True,
                       "license": {"name": "L", "commercial_use": "allowed", "fee_usd_per_month": None,
                                   "fee_note": "test", **S},
                       "capabilities": [], "quality_elo": None}],
        "apis": [{"slug": "small-api", "provider": "P1", "pipeline": "small", "pricing": "per-megapixel",
                  "per_mp_usd": n(0.005), "rounding": "ceil-mp"}],
        "rentals": [],
        "defaults": {"rest_of_system_watts": n(100.0), "rest_of_system_idle_watts": n(40.0),
                     "electricity_usd_per_kwh": n(0.30), "amortization_months": n(36), "resale_fraction": n(0.25),
                     "failure_rate": n(0.0), "rental_utilization": n(0.5), "powered_on_hours_per_day": n(0.0),
                     "too_close_fraction": n(uncertainty_default)},
    }


def make_catalog(**kw):
    return build_catalog(json.loads(json.dumps(raw(**kw))), "test-catalog-issue-11")


SECONDS_PER_IMAGE = 60.0


def fake_estimate(req: PerfRequest, catalog, uncertainty: float = 0.0) -> PerfEstimate:
    """60 s per image, 400 W board / 500 W system; only bf16 fits (12 GiB; other precisions 30 GiB, so the engine
    leaves them out and every option is one bf16 option)."""
    s = SECONDS_PER_IMAGE
    fits = req.precision == "bf16"
    return PerfEstimate(request=req, seconds_per_image=s, stages_seconds={"denoise": s}, seconds_per_step=s / 8,
                        cold_start_seconds=10.0, peak_vram_gib=12.0 if fits else 30.0, fits=fits, offload="none",
                        energy_per_image_joules=400.0 * s, board_power_watts=400.0, system_power_watts=500.0,
                        uncertainty=uncertainty, bound="compute", notes=())

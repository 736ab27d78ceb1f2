"""Calibration on the H100 campaign: VRAM constants record, estimate with a given calibration, in-memory refit."""

from __future__ import annotations

import pytest


def test_memory_constants_agree_with_calibration_record():
    from advisor.perf import memory as M
    from advisor.perf import timing as T

    v = T.load_calibration().vram
    assert M.VAE_DECODE_LIVE_BUFFERS == v["vae_decode_live_buffers"]
    assert M.TRANSFORMER_LIVE_HIDDEN_COPIES == v["transformer_live_hidden_copies"]
    assert M.CUDA_CONTEXT_GIB == v["cuda_context_gib"]
    # allocator cache fraction fitted 1.02 (median); the constant is rounded to 1.0 (within 5%)
    assert abs(M.ALLOCATOR_OVERHEAD_FRACTION - v["allocator_overhead_fraction"]) <= 0.05


def test_estimate_uses_a_given_calibration_and_caches_per_calibration():
    from advisor.perf import PerfRequest, estimate
    from advisor.perf import timing as T

    req = PerfRequest("z-image-turbo", "h100-sxm", steps=9, offload="none")
    base = T.load_calibration()
    fam = base.families["hopper"].model_copy(update={"step_overhead_seconds": base.families["hopper"].step_overhead_seconds + 0.1})
    slow = base.model_copy(update={"families": {**base.families, "hopper": fam}})
    a, b = estimate(req), estimate(req, calibration=slow)
    # +0.1 s per step overhead x 9 steps = +0.9 s per image
    assert b.seconds_per_image - a.seconds_per_image == pytest.approx(0.9, rel=1e-6)
    assert estimate(req, calibration=slow) is b


def test_calibrate_with_is_in_memory_and_cached(tmp_path, monkeypatch):
    from advisor.fit import calibrate as C
    from advisor.catalog.measured import load_measured_profiles
    from advisor.perf import timing as T

    before = T.CALIBRATION_PATH.read_bytes()
    prof = [p for p in load_measured_profiles(C.MEASURED_ROOT / "h100-sxm") if p.runs][:1]
    cal = C.calibrate_with(prof)
    assert C.calibrate_with(prof) is cal
    assert T.CALIBRATION_PATH.read_bytes() == before
    assert cal.families["hopper"].points > 0

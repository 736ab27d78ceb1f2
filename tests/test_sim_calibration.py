"""Calibration on the H100 campaign: VRAM constants record, estimate with a given calibration, in-memory refit."""

from __future__ import annotations

import pytest


def test_vram_constants_are_the_calibration_record_and_refit_to_it():
    """One source: the simulator's VRAM constants are read from calibration.yaml ``vram``, which is what fit_vram
    gives on the committed profiles (no copy by hand), and the fit changes nothing global."""
    from advisor.catalog import load_catalog
    from advisor.catalog.measured import load_measured_profiles
    from advisor.fit import calibrate as C
    from advisor.perf import memory as M
    from advisor.perf import timing as T

    cal = T.load_calibration()
    k = M.constants_of(cal)
    for key in M.VRAM_CONSTANT_KEYS:
        assert getattr(k, key) == cal.vram[key], key
    fitted = C.fit_vram(load_measured_profiles(C.MEASURED_ROOT), load_catalog())
    assert {key: fitted[key] for key in M.VRAM_CONSTANT_KEYS} == {key: cal.vram[key] for key in M.VRAM_CONSTANT_KEYS}
    # the fit statistics behind the rounded constants: median cache fraction 1.02 -> 1.0 (0.1 steps), smallest
    # 0.26 -> headroom 0.25 (rounded down to 0.05)
    assert fitted["allocator_overhead_fraction_median"] == pytest.approx(1.02, abs=0.005)
    assert fitted["allocator_overhead_fraction_min"] == pytest.approx(0.26, abs=0.005)
    assert M.PRIOR_VRAM == M.VramConstants()  # the priors were not touched by the grid search


def test_estimate_uses_the_vram_constants_of_its_calibration():
    from advisor.perf import PerfRequest, estimate
    from advisor.perf import timing as T

    req = PerfRequest("z-image-turbo", "h100-sxm", steps=9, offload="none")
    base = T.load_calibration()
    more_context = base.model_copy(update={"vram": {**base.vram, "cuda_context_gib": base.vram["cuda_context_gib"] + 1.0}})
    a, b = estimate(req), estimate(req, calibration=more_context)
    # the CUDA context is added once to the peak stage: +1.0 GiB context -> +1.0 GiB peak, nothing else moves
    assert b.peak_vram_gib - a.peak_vram_gib == pytest.approx(1.0, rel=1e-9)
    assert b.seconds_per_image == a.seconds_per_image


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

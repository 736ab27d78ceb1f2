"""Fit the power model and the VRAM constants of the simulator on measured GPU profiles (NVML energy counter,
torch allocator peaks). Used by :func:`advisor.fit.calibrate.calibrate_with` and :func:`advisor.fit.refit.calibrate`;
the timing efficiencies are fitted in :mod:`advisor.fit.calibrate`.

Public API: power_sample(profile, catalog, cal), fit_power_params(profiles, catalog, cal), fit_vram(profiles, catalog).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from advisor.catalog import Catalog
from advisor.perf import _engine as E
from advisor.perf import timing as T


def _gpu_profiles(profiles: list, catalog: Catalog) -> list:
    """Complete GPU profiles with runs on a catalog GPU, no offload (failed / partial-without-runs skipped)."""
    out = []
    for prof in profiles:
        if prof.status == "failed" or not prof.runs or prof.device.kind == "cpu":
            continue
        if prof.settings.offload != "none" or prof.architecture is None:
            continue
        if not prof.device.gpu_slug or prof.device.gpu_slug not in catalog.gpus:
            continue
        out.append(prof)
    return out


def _profile_plan(prof, catalog: Catalog, cal: T.Calibration):
    s = prof.settings
    gpu = catalog.gpu(prof.device.gpu_slug)
    w = E.workload(prof.architecture, s.width, s.height, s.steps, 2 if s.cfg else 1, s.batch_size, s.precision,
                   text_tokens=s.max_sequence_length if s.components == "transformer" else None)
    return gpu, w, E.time_stages(w, gpu, s.precision, cal)


def power_sample(prof, catalog: Catalog, cal: T.Calibration) -> tuple[tuple[float, float, float, float], float, float] | None:
    """((idle_W, limit_W, measured_W, compute_fraction), predicted s per image, measured s per image) of one profile.

    measured_W = NVML energy per image / median seconds per image (the mean board power over the whole call, which
    is what energy = P x t needs); compute_fraction from the simulator's op-class split of the same configuration.
    """
    pw = prof.power
    if pw.energy_per_image_joules is None or prof.summary.total_seconds is None:
        return None
    gpu, w, plan = _profile_plan(prof, catalog, cal)
    s = prof.settings
    meas_s = prof.summary.total_seconds.median / s.batch_size
    split = E.power_split(plan, s.steps, transformer_only=s.components == "transformer")
    pred_s = (split.compute_seconds + split.memory_seconds) / s.batch_size
    fc = split.compute_fraction
    return (gpu.idle_power_watts.value, gpu.board_power_watts.value, pw.energy_per_image_joules / meas_s, fc), pred_s, meas_s


def fit_power_params(profiles: list, catalog: Catalog, cal: T.Calibration) -> tuple[T.PowerParams, dict[str, float]]:
    """Power model fitted on the NVML profiles, and leave-one-profile-out errors [%]:

    - ``power_loo_mape``: mean board power, params refitted without the profile;
    - ``energy_loo_mape``: energy per image = LOO power x the calibrated predicted time vs the NVML counter.
    """
    from advisor.perf import power as P

    data = [x for x in (power_sample(p, catalog, cal) for p in _gpu_profiles(profiles, catalog)) if x is not None]
    prior = T.PowerParams(**T.PRIOR_POWER)
    fitted = P.fit_power([d[0] for d in data], prior)
    params = prior.model_copy(update={**fitted, "fitted_on": (
        f"{len(data)} NVML profiles (energy counter / run time), leave-one-out errors in calibration.energy"
        if data else "prior (no NVML profiles)")})
    errs_p, errs_e = [], []
    for i, (sample, pred_s, meas_s) in enumerate(data):
        rest = [d[0] for j, d in enumerate(data) if j != i]
        par = prior.model_copy(update=P.fit_power(rest, prior))
        idle, limit, meas_w, fc = sample
        pw = P.power_at_compute_fraction(idle, limit, fc, par)
        errs_p.append(abs(pw - meas_w) / meas_w * 100)
        meas_e = meas_w * meas_s  # NVML energy per image [J]
        errs_e.append(abs(pw * pred_s - meas_e) / meas_e * 100)
    stats = {"n_profiles": float(len(data))}
    if errs_p:
        stats.update(power_loo_mape=round(float(np.mean(errs_p)), 2), energy_loo_mape=round(float(np.mean(errs_e)), 2),
                     energy_loo_max_abs_pct_error=round(float(np.max(errs_e)), 2))
    return params, stats


def fit_vram(profiles: list, catalog: Catalog) -> dict[str, float]:
    """Fit the VRAM constants (:class:`advisor.perf.memory.VramConstants`; its docstring says which measured quantity
    each constant is fitted against) on measured peaks. Returns the constants (the keys of
    :data:`advisor.perf.memory.VRAM_CONSTANT_KEYS`, which the simulator reads from the calibration) and fit
    statistics [GiB, %]; {} without a usable profile. Pure: the constants are values, nothing global is changed.

    Grid search of the two activation constants on the squared error of predicted activations vs measured
    (torch max allocated - measured weights): live hidden copies 1.0..16.0 step 0.5, VAE live buffers 1.0..8.0 step
    0.1. The allocator cache fraction is the median of the per-profile (reserved - allocated) / activations, rounded
    to 0.1 (the per-profile values spread 0.26..1.15, so a second decimal is noise); the fragmentation headroom is
    the smallest of them rounded down to 0.05; the context is the median NVML used - torch reserved.
    """
    from advisor.perf import flops as F
    from advisor.perf import memory as M

    profs = [p for p in _gpu_profiles(profiles, catalog)
             if p.memory.torch_max_allocated_gib and p.memory.weights_gib and p.settings.batch_size == 1]
    if not profs:
        return {}

    def acts(prof, k: M.VramConstants) -> float:
        s, spec = prof.settings, prof.architecture
        n_t = s.max_sequence_length or F.text_tokens(spec, E.DEFAULT_PROMPT_TOKENS)
        if s.components == "transformer":
            return M.transformer_activation_gib(spec, s.width, s.height, n_t, 1, constants=k)
        return M.peak_vram_breakdown(spec, s.width, s.height, E.DEFAULT_PROMPT_TOKENS, 1, s.precision, "none",
                                     {"vae": "bf16"}, constants=k).activations_gib

    best, best_err = M.PRIOR_VRAM, math.inf
    for ci in range(2, 33):
        for vi in range(10, 81):
            k = replace(M.PRIOR_VRAM, transformer_live_hidden_copies=ci / 2, vae_decode_live_buffers=vi / 10)
            err = sum((acts(p, k) - (p.memory.torch_max_allocated_gib - p.memory.weights_gib)) ** 2 for p in profs)
            if err < best_err - 1e-12:
                best, best_err = k, err
    a = {id(p): acts(p, best) for p in profs}
    cache = [(p.memory.torch_max_reserved_gib - p.memory.torch_max_allocated_gib) / a[id(p)] for p in profs
             if p.memory.torch_max_reserved_gib]
    ctx = [p.memory.nvml_used_gib - p.memory.torch_max_reserved_gib for p in profs
           if p.memory.nvml_used_gib and p.memory.torch_max_reserved_gib]
    alloc_err = [abs(p.memory.weights_gib + a[id(p)] - p.memory.torch_max_allocated_gib)
                 / p.memory.torch_max_allocated_gib * 100 for p in profs]
    prior = M.PRIOR_VRAM
    return {
        "transformer_live_hidden_copies": best.transformer_live_hidden_copies,
        "vae_decode_live_buffers": best.vae_decode_live_buffers,
        "allocator_overhead_fraction": (round(float(np.median(cache)), 1) if cache
                                        else prior.allocator_overhead_fraction),
        "fragmentation_headroom_fraction": (math.floor(float(np.min(cache)) * 20 + 1e-9) / 20 if cache
                                            else prior.fragmentation_headroom_fraction),
        "cuda_context_gib": round(float(np.median(ctx)), 2) if ctx else prior.cuda_context_gib,
        "allocator_overhead_fraction_median": round(float(np.median(cache)), 2) if cache else 0.0,
        "allocator_overhead_fraction_min": round(float(np.min(cache)), 2) if cache else 0.0,
        "allocated_mape_in_sample_pct": round(float(np.mean(alloc_err)), 2),
        "n_profiles": float(len(profs)),
    }

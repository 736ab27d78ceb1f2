"""The error table: predicted vs measured for every validation point, its summary metrics (overall, per GPU class,
per software stack, leave-one-GPU-out, CPU, same GPU + pipeline), documented fit cases and peak VRAM.

Goal (research/simulator.md section 2): LOGO MAPE <= 15% (T2 allows 12%), P90 <= 25%, CPU MAPE <= 15%; per GPU
class with 3 or more points MAPE <= 20% (:data:`CLASS_GOAL_MAPE`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from advisor.catalog import Catalog, load_catalog
from advisor.catalog.yaml_reader import read_yaml_file
from advisor.fit import calibrate as C
from advisor.fit.validate.points import fit_classification, gpu_class, stack_of
from advisor.perf import timing as T

GOALS = {"leave_one_gpu_out_mape": 15.0, "p90_abs_pct_error": 25.0, "same_gpu_pipeline_mape": 8.0, "cpu_mape": 15.0,
         "fit_classification_accuracy": 1.0}
#: every GPU class (and stack) with at least CLASS_GOAL_MIN_POINTS scored points should be within this MAPE [%]
CLASS_GOAL_MAPE = 20.0
CLASS_GOAL_MIN_POINTS = 3
BASELINE_PATH = C.ROOT / "profiles" / "validation" / "baseline.yaml"


def _ape(pred: float, meas: float) -> float:
    return abs(pred - meas) / meas * 100.0


def _stats(errors: list[float]) -> tuple[float | None, float | None]:
    if not errors:
        return None, None
    arr = np.array(errors)
    return float(arr.mean()), float(np.percentile(arr, 90))


def grouped_errors(rows: list[dict[str, Any]], key: str, err: str = "abs_pct_error") -> dict[str, dict[str, Any]]:
    """Per value of ``rows[i][key]``: n, MAPE, P90 and max of ``err`` over the rows where it is set [%], and
    whether the group meets the class goal (None when it has fewer than :data:`CLASS_GOAL_MIN_POINTS` points)."""
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r.get(err) is not None:
            groups.setdefault(str(r[key]), []).append(float(r[err]))
    out = {}
    for k in sorted(groups):
        mape, p90 = _stats(groups[k])
        n = len(groups[k])
        out[k] = {"n": n, "mape": mape, "p90": p90, "max": max(groups[k]),
                  "meets_goal": (mape <= CLASS_GOAL_MAPE) if n >= CLASS_GOAL_MIN_POINTS else None}
    return out


def family_table(rows: list[dict[str, Any]], cal: T.Calibration) -> dict[str, dict[str, Any]]:
    """Per calibration family (every GPU family, measured or not): fitted points, how its efficiencies were obtained
    (:func:`advisor.perf.timing.family_tier`: fitted / shared-level / specs-only), scored points, their in-sample
    MAPE and the leave-one-family-out MAPE / P90 (refit without the whole family) [%]."""
    out: dict[str, dict[str, Any]] = {}
    for fam in T.FAMILIES:
        if fam == "cpu":
            continue
        sel = [r for r in rows if r["family"] == fam]
        lofo = [r["lofo_abs_pct_error"] for r in sel if r.get("lofo_abs_pct_error") is not None]
        f = cal.families.get(fam)
        out[fam] = {"fitted_points": f.points if f else 0, "tier": T.family_tier(cal, fam), "n_scored": len(sel),
                    "mape": _stats([r["abs_pct_error"] for r in sel])[0],
                    "leave_one_family_out_mape": _stats(lofo)[0], "leave_one_family_out_p90": _stats(lofo)[1]}
    return out


def validation_report(points: list[C.ValidationPoint] | None = None, cal: T.Calibration | None = None,
                      refit: bool = True, catalog: Catalog | None = None,
                      progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """The error table (see module docstring), computed; nothing is read from or written to a cache.

    ``refit=False`` skips the leave-one-out refits (seconds instead of minutes). ``progress(fraction, text)`` is
    called before each refit (fraction in [0, 1]), e.g. to drive a progress bar.
    """
    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    points = points if points is not None else C.load_points(catalog, cal=cal)
    rows = []
    for p in points:
        passed, floor, frac = C.roofline_check(p)
        pred = C.predict_point(p, cal)
        rows.append({
            "id": p.id, "kind": p.kind, "pipeline": p.pipeline, "gpu": p.gpu.slug, "family": p.family,
            "precision": p.precision, "width": p.width, "height": p.height, "steps": p.steps, "timed": p.timed,
            "stack": p.stack, "gpu_class": gpu_class(p.gpu), "stack_group": stack_of(p.stack),
            "measured_seconds": p.measured_seconds, "predicted_seconds": pred,
            "abs_pct_error": _ape(pred, p.measured_seconds), "floor_seconds": floor, "fraction_of_peak": frac,
            "roofline_check": "passed" if passed else "failed", "quality": p.quality, "stored_roofline_check": p.stored_roofline_check,
            "use_for_fit": p.use_for_fit, "source": p.source, "logo_predicted_seconds": None,
            "logo_abs_pct_error": None, "cpu_loo_predicted_seconds": None, "lofo_abs_pct_error": None,
        })
    ok = [i for i, r in enumerate(rows) if r["roofline_check"] == "passed" and r["quality"] == "ok"]
    mape, p90 = _stats([rows[i]["abs_pct_error"] for i in ok])

    logo_err: list[float] = []
    cpu_err: list[float] = []
    same_err: list[float] = []
    if refit:
        gpu_slugs = sorted({points[i].gpu.slug for i in ok if points[i].family != "cpu"})
        cpu_groups = sorted({points[i].group for i in ok if points[i].family == "cpu"})
        # tier T1 (research/simulator.md): this model measured on this GPU *and stack*; a third-party run on another
        # software version of the same stack (public) is not a repeat of our profiles (measured), so kind counts too
        def t1_key(q: C.ValidationPoint) -> tuple:
            return (q.pipeline, q.gpu.slug, stack_of(q.stack), q.kind)

        same_ids = [i for i in ok if points[i].family != "cpu" and points[i].use_for_fit
                    and any(j != i and t1_key(points[j]) == t1_key(points[i]) and points[j].use_for_fit for j in ok)]
        # families with fitted points of their own: leave the whole family out (its efficiencies then come from the
        # priors x the shared level, as for a family that was never measured: the "from specs only" error)
        fam_fit = sorted({points[i].family for i in ok if points[i].family != "cpu" and C.eligible(points[i])})
        n_fits, done = len(gpu_slugs) + len(cpu_groups) + len(same_ids) + len(fam_fit), 0

        def tick(text: str) -> None:
            nonlocal done
            if progress is not None:
                progress(done / n_fits if n_fits else 1.0, f"refit {done + 1}/{n_fits}: {text}")
            done += 1

        for slug in gpu_slugs:
            tick(f"leave out {slug}")
            held = C.with_points_removed(points, lambda q, s=slug: q.gpu.slug == s)
            cal_h = C.fit(held, cal)
            for i in ok:
                if points[i].gpu.slug == slug:
                    pr = C.predict_point(points[i], cal_h)
                    rows[i]["logo_predicted_seconds"] = pr
                    rows[i]["logo_abs_pct_error"] = _ape(pr, points[i].measured_seconds)
                    logo_err.append(rows[i]["logo_abs_pct_error"])
        for g in cpu_groups:
            tick(f"leave out CPU configuration {g}")
            held = C.with_points_removed(points, lambda q, g=g: q.family == "cpu" and q.group == g)
            cal_h = C.fit(held, cal)
            for i in ok:
                if points[i].family == "cpu" and points[i].group == g:
                    pr = C.predict_point(points[i], cal_h)
                    rows[i]["cpu_loo_predicted_seconds"] = pr
                    cpu_err.append(_ape(pr, points[i].measured_seconds))
        for fam in fam_fit:
            tick(f"leave out family {fam}")
            held = C.with_points_removed(points, lambda q, f=fam: q.family == f)
            cal_h = C.fit(held, cal)
            for i in ok:
                if points[i].family == fam:
                    pr = C.predict_point(points[i], cal_h)
                    rows[i]["lofo_abs_pct_error"] = _ape(pr, points[i].measured_seconds)
        for i in same_ids:
            p = points[i]
            tick(f"leave out {p.id}")
            held = C.with_points_removed(points, lambda q, pid=p.id: q.id == pid)
            same_err.append(_ape(C.predict_point(p, C.fit(held, cal)), p.measured_seconds))
        if progress is not None:
            progress(1.0, "done")
    else:
        cpu_err = [rows[i]["abs_pct_error"] for i in ok if points[i].family == "cpu"]
    logo_mape, logo_p90 = _stats(logo_err)
    cpu_mape, cpu_p90 = _stats(cpu_err)
    same_mape, _ = _stats(same_err)
    gpu_ok = [rows[i]["abs_pct_error"] for i in ok if points[i].family != "cpu"]
    gpu_mape, gpu_p90 = _stats(gpu_ok)
    fit_acc, fit_rows = fit_classification(catalog, cal=cal)
    vram_rows = vram_errors(catalog, cal=cal)
    used = [rows[i] for i in ok]
    return {
        "by_gpu_class": grouped_errors(used, "gpu_class"),
        "by_stack": grouped_errors(used, "stack_group"),
        "by_pipeline": grouped_errors(used, "pipeline"),
        "leave_one_gpu_out_by_gpu_class": grouped_errors(used, "gpu_class", "logo_abs_pct_error"),
        "families": family_table(used, cal),
        "leave_one_family_out_p90": _stats([r["lofo_abs_pct_error"] for r in used
                                            if r["lofo_abs_pct_error"] is not None])[1],
        "energy": dict(cal.energy),
        "vram": vram_rows,
        "peak_vram_allocated_mape": _stats([r["allocated_abs_pct_error"] for r in vram_rows])[0],
        "peak_vram_nvml_mape": _stats([r["nvml_abs_pct_error"] for r in vram_rows if r["nvml_abs_pct_error"] is not None])[0],
        "points": rows,
        "n_points": len(rows),
        "n_used": len(ok),
        "mape": mape,
        "p90_abs_pct_error": p90,
        "gpu_mape": gpu_mape,
        "gpu_p90_abs_pct_error": gpu_p90,
        "leave_one_gpu_out_mape": logo_mape,
        "leave_one_gpu_out_p90": logo_p90,
        "cpu_mape": cpu_mape,
        "cpu_p90_abs_pct_error": cpu_p90,
        "cpu_mape_method": "leave-one-config-out refit" if refit else "in-sample",
        "same_gpu_pipeline_mape": same_mape,
        "fit_classification_accuracy": fit_acc,
        "fit_cases": fit_rows,
        "calibration": {"fitted_at": cal.fitted_at.isoformat(), "versions": cal.versions},
        "goals": GOALS,
    }


def vram_errors(catalog: Catalog | None = None, cal: T.Calibration | None = None) -> list[dict[str, Any]]:
    """Predicted vs measured peak VRAM of every complete GPU profile [GiB, %]: weights + activations (model) vs
    torch max allocated, and the NVML-like total (+ allocator cache + context) vs NVML used. In-sample: the
    constants were fitted on these profiles (advisor.fit.calibrate.fit_vram)."""
    from advisor.catalog.measured import load_measured_profiles
    from advisor.perf import _engine as E
    from advisor.perf import flops as F
    from advisor.perf import memory as M

    catalog = catalog or load_catalog()
    k = M.constants_of(cal or T.load_calibration())
    out = []
    for prof in C._gpu_profiles(load_measured_profiles(C.MEASURED_ROOT), catalog):
        s, spec, m = prof.settings, prof.architecture, prof.memory
        if not m.torch_max_allocated_gib:
            continue
        if s.components == "transformer":
            vb = M.transformer_only_breakdown(spec, s.width, s.height, F.text_tokens(spec, E.DEFAULT_PROMPT_TOKENS),
                                              s.precision, k)
        else:
            vb = M.peak_vram_breakdown(spec, s.width, s.height, E.DEFAULT_PROMPT_TOKENS, 1, s.precision, "none",
                                       {"vae": "bf16"}, constants=k)
        alloc = vb.weights_gib + vb.activations_gib
        total = vb.total_gib
        out.append({"profile": f"{s.pipeline}-{s.width}x{s.height}-{s.components}", "predicted_allocated_gib": alloc,
                    "measured_allocated_gib": m.torch_max_allocated_gib,
                    "allocated_abs_pct_error": _ape(alloc, m.torch_max_allocated_gib),
                    "predicted_nvml_gib": total, "measured_nvml_gib": m.nvml_used_gib,
                    "nvml_abs_pct_error": _ape(total, m.nvml_used_gib) if m.nvml_used_gib else None})
    return out


def baseline() -> dict[str, Any]:
    """The recorded regression baseline (``profiles/validation/baseline.yaml``)."""
    return read_yaml_file(BASELINE_PATH, expect=dict)

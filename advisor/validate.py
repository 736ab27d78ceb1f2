"""Validation of the simulator: predicted vs measured for every validation point, and the error table.

Metrics (percent; absolute percentage error |pred - meas| / meas):
- ``mape`` / ``p90_abs_pct_error``: every point that passes the roofline sanity check, predicted with the
  calibration fitted on all fit points (in-sample for fitted points, held out for the rest);
- ``leave_one_gpu_out_mape`` (+ p90): for each GPU, refit without that GPU's points and predict them (GPU points);
- ``cpu_mape``: CPU points, refit without the point's scaled configuration (all resolutions/precisions) and predict;
- ``same_gpu_pipeline_mape``: leave-one-point-out among points sharing pipeline and GPU (tier T1 in
  research/simulator.md);
- ``fit_classification_accuracy``: documented fit / no-fit cases in ``profiles/validation/fit_cases.yaml``.

Goal (research/simulator.md section 2): LOGO MAPE <= 15% (T2 allows 12%), P90 <= 25%, CPU MAPE <= 15%.

Public API: validation_report(points=None, cal=None, refit=True) -> dict, fit_cases(), write_plot(report, path),
write_predictions(path), format_table(report).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from advisor import calibrate as C
from advisor.catalog import Catalog, load_catalog
from advisor.errors import CatalogError, InputError
from advisor.perf import timing as T

FIT_CASES_PATH = C.ROOT / "profiles" / "validation" / "fit_cases.yaml"
GOALS = {"leave_one_gpu_out_mape": 15.0, "p90_abs_pct_error": 25.0, "cpu_mape": 15.0}


def _ape(pred: float, meas: float) -> float:
    return abs(pred - meas) / meas * 100.0


def _stats(errors: list[float]) -> tuple[float | None, float | None]:
    if not errors:
        return None, None
    arr = np.array(errors)
    return float(arr.mean()), float(np.percentile(arr, 90))


def validation_report(points: list[C.ValidationPoint] | None = None, cal: T.Calibration | None = None,
                      refit: bool = True, catalog: Catalog | None = None) -> dict[str, Any]:
    """The error table (see module docstring). ``refit=False`` skips the leave-one-out refits (fast)."""
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
            "stack": p.stack, "measured_seconds": p.measured_seconds, "predicted_seconds": pred,
            "abs_pct_error": _ape(pred, p.measured_seconds), "floor_seconds": floor, "fraction_of_peak": frac,
            "roofline_check": "passed" if passed else "failed", "quality": p.quality, "stored_roofline_check": p.stored_roofline_check,
            "use_for_fit": p.use_for_fit, "source": p.source, "logo_predicted_seconds": None,
            "logo_abs_pct_error": None, "cpu_loo_predicted_seconds": None,
        })
    ok = [i for i, r in enumerate(rows) if r["roofline_check"] == "passed" and r["quality"] == "ok"]
    mape, p90 = _stats([rows[i]["abs_pct_error"] for i in ok])

    logo_err: list[float] = []
    cpu_err: list[float] = []
    same_err: list[float] = []
    if refit:
        gpu_slugs = sorted({points[i].gpu.slug for i in ok if points[i].family != "cpu"})
        for slug in gpu_slugs:
            held = C.with_points_removed(points, lambda q, s=slug: q.gpu.slug == s)
            cal_h = C.fit(held, cal)
            for i in ok:
                if points[i].gpu.slug == slug:
                    pr = C.predict_point(points[i], cal_h)
                    rows[i]["logo_predicted_seconds"] = pr
                    rows[i]["logo_abs_pct_error"] = _ape(pr, points[i].measured_seconds)
                    logo_err.append(rows[i]["logo_abs_pct_error"])
        cpu_groups = sorted({points[i].group for i in ok if points[i].family == "cpu"})
        for g in cpu_groups:
            held = C.with_points_removed(points, lambda q, g=g: q.family == "cpu" and q.group == g)
            cal_h = C.fit(held, cal)
            for i in ok:
                if points[i].family == "cpu" and points[i].group == g:
                    pr = C.predict_point(points[i], cal_h)
                    rows[i]["cpu_loo_predicted_seconds"] = pr
                    cpu_err.append(_ape(pr, points[i].measured_seconds))
        for i in ok:
            p = points[i]
            if p.family == "cpu" or not p.use_for_fit:
                continue
            mates = [j for j in ok if j != i and points[j].pipeline == p.pipeline and points[j].gpu.slug == p.gpu.slug
                     and points[j].use_for_fit]
            if not mates:
                continue
            held = C.with_points_removed(points, lambda q, pid=p.id: q.id == pid)
            same_err.append(_ape(C.predict_point(p, C.fit(held, cal)), p.measured_seconds))
    else:
        cpu_err = [rows[i]["abs_pct_error"] for i in ok if points[i].family == "cpu"]
    logo_mape, logo_p90 = _stats(logo_err)
    cpu_mape, cpu_p90 = _stats(cpu_err)
    same_mape, _ = _stats(same_err)
    gpu_ok = [rows[i]["abs_pct_error"] for i in ok if points[i].family != "cpu"]
    gpu_mape, gpu_p90 = _stats(gpu_ok)
    fit_acc, fit_rows = fit_classification(catalog)
    return {
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


# ------------------------------------------------------------------------------------------------ fit cases
def fit_cases(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or FIT_CASES_PATH
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for i, e in enumerate(data):
        for k in ("id", "pipeline", "gpu", "precision", "offload", "expect_fits", "source"):
            if k not in e:
                raise CatalogError(str(path), e.get("id", f"#{i}"), k, "required field is missing")
    return data


def fit_classification(catalog: Catalog | None = None, path: Path | None = None) -> tuple[float | None, list[dict]]:
    """Share of documented fit/no-fit cases the simulator classifies right, and the per-case rows."""
    from advisor.perf import PerfRequest, estimate

    catalog = catalog or load_catalog()
    rows = []
    for e in fit_cases(path):
        req = PerfRequest(e["pipeline"], e["gpu"], precision=e["precision"], width=e.get("width", 1024),
                          height=e.get("height", 1024), offload=e["offload"])
        est = estimate(req, catalog)
        predicted_fits = est.fits
        if e.get("expect_peak_gib") is not None and e["offload"] != "auto":
            pass
        rows.append({"id": e["id"], "expect_fits": bool(e["expect_fits"]), "predicted_fits": predicted_fits,
                     "peak_vram_gib": est.peak_vram_gib, "expect_peak_gib": e.get("expect_peak_gib"),
                     "offload": est.offload, "correct": predicted_fits == bool(e["expect_fits"]),
                     "source": e["source"]})
    if not rows:
        return None, rows
    return sum(r["correct"] for r in rows) / len(rows), rows


# --------------------------------------------------------------------------------------------------- output
def _fmt(v: float | None, unit: str = "%") -> str:
    return "n/a" if v is None else f"{v:.1f}{unit}"


def format_table(report: dict[str, Any]) -> str:
    """Plain-text table of points and the summary metrics."""
    lines = [f"{'id':58s} {'gpu':18s} {'timed':19s} {'meas s':>9s} {'pred s':>9s} {'err':>7s} {'LOGO':>7s} check"]
    for r in report["points"]:
        logo = r["logo_abs_pct_error"]
        lines.append(f"{r['id'][:58]:58s} {r['gpu'][:18]:18s} {r['timed']:19s} {r['measured_seconds']:9.3f} "
                     f"{r['predicted_seconds']:9.3f} {r['abs_pct_error']:6.1f}% "
                     f"{'' if logo is None else f'{logo:6.1f}%':>7s} {r['roofline_check']}"
                     + ("" if r["quality"] == "ok" else f" ({r['quality']})")
                     + ("" if r["use_for_fit"] else " (not fitted)"))
    lines.append("")
    lines.append(f"points {report['n_points']} (used {report['n_used']}); MAPE {_fmt(report['mape'])}, "
                 f"P90 {_fmt(report['p90_abs_pct_error'])}; GPU MAPE {_fmt(report['gpu_mape'])}")
    lines.append(f"leave-one-GPU-out MAPE {_fmt(report['leave_one_gpu_out_mape'])} (P90 "
                 f"{_fmt(report['leave_one_gpu_out_p90'])}); CPU MAPE {_fmt(report['cpu_mape'])} "
                 f"({report['cpu_mape_method']}); same GPU+pipeline MAPE {_fmt(report['same_gpu_pipeline_mape'])}")
    acc = report["fit_classification_accuracy"]
    lines.append(f"fit classification accuracy {'n/a' if acc is None else f'{acc * 100:.0f}%'} "
                 f"({len(report['fit_cases'])} documented cases)")
    return "\n".join(lines)


def json_summary(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("points", "mape", "p90_abs_pct_error", "leave_one_gpu_out_mape", "leave_one_gpu_out_p90", "cpu_mape",
            "same_gpu_pipeline_mape", "gpu_mape", "fit_classification_accuracy", "fit_cases", "n_points", "n_used",
            "cpu_mape_method", "calibration", "goals")
    return {k: report[k] for k in keys}


def write_plot(report: dict[str, Any], path: str | Path) -> Path:
    """Predicted vs measured scatter (log-log, y = x and +-15% lines). PNG/SVG via kaleido (needs Chromium);
    falls back to HTML next to ``path`` when the static export fails. Returns the written path."""
    import plotly.graph_objects as go

    path = Path(path)
    rows = [r for r in report["points"]]
    fig = go.Figure()
    for fam in sorted({r["family"] for r in rows}):
        sel = [r for r in rows if r["family"] == fam]
        fig.add_trace(go.Scatter(
            x=[r["measured_seconds"] for r in sel], y=[r["predicted_seconds"] for r in sel], mode="markers",
            name=fam, text=[r["id"] for r in sel],
            marker={"symbol": ["circle" if r["roofline_check"] == "passed" else "x" for r in sel], "size": 9}))
    lo = min(min(r["measured_seconds"], r["predicted_seconds"]) for r in rows) * 0.8
    hi = max(max(r["measured_seconds"], r["predicted_seconds"]) for r in rows) * 1.2
    for k, dash in ((1.0, "solid"), (1.15, "dot"), (1 / 1.15, "dot")):
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo * k, hi * k], mode="lines", showlegend=k == 1.0,
                                 name="y = x (dotted: +-15%)", line={"dash": dash, "color": "grey"}))
    fig.update_layout(title="Simulator: predicted vs measured seconds", xaxis_title="measured [s]",
                      yaxis_title="predicted [s]", xaxis_type="log", yaxis_type="log", width=800, height=650)
    from advisor.io import atomic_write_bytes, atomic_write_text

    if path.suffix.lower() in (".png", ".svg", ".pdf"):
        try:
            data = fig.to_image(format=path.suffix.lower()[1:])
            atomic_write_bytes(path, data)
            return path
        except Exception:  # noqa: BLE001 - kaleido/Chromium missing: HTML fallback
            path = path.with_suffix(".html")
    atomic_write_text(path, fig.to_html(include_plotlyjs="cdn"))
    return path


# ------------------------------------------------------------------------------------------------ predictions
#: The lead's H100 campaign (planned runs). Each: id, pipeline, precision, width, height, steps, components.
PLANNED_RUNS = [
    ("z-image-turbo-bf16-1024", "z-image-turbo", "bf16", 1024, 1024, 9, "all"),
    ("z-image-turbo-bf16-512", "z-image-turbo", "bf16", 512, 512, 9, "all"),
    ("z-image-turbo-bf16-1536", "z-image-turbo", "bf16", 1536, 1536, 9, "all"),
    ("flux-2-klein-4b-bf16-1024", "flux-2-klein-4b", "bf16", 1024, 1024, 4, "all"),
    ("flux-1-dev-bf16-1024", "flux-1-dev", "bf16", 1024, 1024, 28, "all"),
    ("flux-2-dev-transformer-bf16-1024", "flux-2-dev", "bf16", 1024, 1024, 50, "transformer"),
]


def predictions(gpu: str = "h100-sxm", catalog: Catalog | None = None, cal: T.Calibration | None = None) -> dict:
    """Simulator predictions for the planned GPU campaign (per stage seconds, peak VRAM, power)."""
    from advisor.perf import PerfRequest
    from advisor.perf import _engine as E
    from advisor.perf import memory as M
    from advisor.perf import power as P

    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    g = catalog.gpu(gpu)
    runs = []
    for rid, pipe, prec, w, h, steps, comps in PLANNED_RUNS:
        req = PerfRequest(pipe, gpu, precision=prec, width=w, height=h, steps=steps, offload="none")
        spec = E.load_architecture(pipe)
        evals = E.resolve_evals(catalog.pipeline(pipe), None)
        wl = E.workload(spec, w, h, steps, evals, 1, prec)
        plan = E.time_stages(wl, g, prec, cal)
        vb = E.vram_for(wl, w, h, prec, "none")
        entry: dict[str, Any] = {
            "id": rid, "pipeline": pipe, "gpu": gpu, "precision": prec, "width": w, "height": h, "steps": steps,
            "components": comps, "offload": "none",
            "transformer_forward_seconds": plan.eval_time.seconds,
            "seconds_per_step": plan.step_seconds,
            "stages_seconds": {"text_encoder": plan.text_encoder.seconds, "denoise": plan.step_seconds * steps,
                               "vae_decode": plan.vae.seconds},
        }
        if comps == "transformer":
            tr_gib = M.module_weight_gib(spec, prec)[spec.transformer.module]
            act = M.transformer_activation_gib(spec, w, h, wl.text_tokens, 1)
            entry["peak_vram_gib"] = tr_gib + act * (1 + M.ALLOCATOR_OVERHEAD_FRACTION) + M.CUDA_CONTEXT_GIB
            entry["seconds_per_image"] = plan.step_seconds * steps
            comp_s, mem_s = plan.eval_time.compute_seconds * steps, plan.eval_time.memory_seconds * steps
            entry["note"] = "transformer only (random inputs), as planned"
        else:
            entry["peak_vram_gib"] = vb.total_gib
            entry["fits"] = vb.total_gib <= g.vram_gib.value
            entry["seconds_per_image"] = sum(entry["stages_seconds"].values())
            comp_s = plan.text_encoder.compute_seconds + plan.eval_time.compute_seconds * steps + plan.vae.compute_seconds
            mem_s = plan.text_encoder.memory_seconds + plan.eval_time.memory_seconds * steps + plan.vae.memory_seconds
        pw = P.board_power(g, cal.power, comp_s, mem_s, 0.0)
        entry["board_power_watts"] = pw
        entry["energy_per_image_joules"] = pw * entry["seconds_per_image"]
        entry["uncertainty"] = E.uncertainty_for(cal, pipe, g)
        entry["bound"] = "compute" if comp_s >= mem_s else "memory"
        runs.append(_round(entry))
    ceilings = {
        "matmul_bf16_tflops_expected": g.tensor_tflops["bf16_fp32acc"].value * cal.families[g.architecture].linear,
        "copy_gb_per_s_expected": g.memory_bandwidth_gb_per_s.value * cal.families[g.architecture].weights,
        "pcie_h2d_pinned_gb_per_s_expected": g.pcie_gb_per_s * E.PCIE_EFFICIENCY["group"],
    }
    return {
        "written_at": dt.date.today().isoformat(),
        "gpu": gpu,
        "calibration": {"fitted_at": cal.fitted_at.isoformat(), "versions": cal.versions, "method": cal.method},
        "note": ("Predictions committed BEFORE the H100 campaign; compare with profiles/measured/h100-sxm/* after it. "
                 "Peak VRAM from advisor/perf/memory.py; power from advisor/perf/power.py (prior utilisations)."),
        "ceilings": _round(ceilings),
        "runs": runs,
    }


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.4g}")
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def write_predictions(path: str | Path, gpu: str = "h100-sxm") -> Path:
    from advisor.io import atomic_write_text

    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise InputError("write_predictions", str(path), "a .yaml path")
    text = "# Written by `advisor validate --write-predictions` (advisor/validate.py predictions()).\n"
    text += yaml.safe_dump(predictions(gpu), sort_keys=False, width=120)
    atomic_write_text(path, text)
    return path


def points_without(points, pred):
    return [replace(p) for p in points if not pred(p)]

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

from advisor.fit import calibrate as C
from advisor.catalog import Catalog, load_catalog
from advisor.errors import CatalogError, InputError
from advisor.perf import timing as T

FIT_CASES_PATH = C.ROOT / "profiles" / "validation" / "fit_cases.yaml"
GOALS = {"leave_one_gpu_out_mape": 15.0, "p90_abs_pct_error": 25.0, "same_gpu_pipeline_mape": 8.0, "cpu_mape": 15.0,
         "fit_classification_accuracy": 1.0}
BASELINE_PATH = C.ROOT / "profiles" / "validation" / "baseline.yaml"


def _refit_cache_path(points, cal) -> Path:
    """Disk cache of the leave-one-out refits, keyed on everything they depend on: the points (ids, measured values,
    fit flags), the base calibration and the source of the fit/simulator modules. Any change gives a new key."""
    import hashlib
    import os

    h = hashlib.sha256()
    for p in points:
        h.update(f"{p.id}|{p.gpu.slug}|{p.measured_seconds!r}|{p.use_for_fit}|{p.quality}|{p.timed}\n".encode())
    h.update(cal.model_dump_json().encode())
    for mod in ("calibrate.py", "perf/timing.py", "perf/_engine.py", "perf/flops.py", "validate.py"):
        h.update((C.ROOT / "advisor" / mod).read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "advisor"
    return base / f"validate-refits-{h.hexdigest()[:20]}.json"


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
    cached = None
    if refit:
        import json

        cache_path = _refit_cache_path(points, cal)
        try:
            cached = json.loads(cache_path.read_text()) if cache_path.is_file() else None
        except (OSError, ValueError):
            cached = None
    if refit and cached is not None:
        for i, r in enumerate(rows):
            for k in ("logo_predicted_seconds", "logo_abs_pct_error", "cpu_loo_predicted_seconds"):
                r[k] = cached["rows"][i][k]
        logo_err, cpu_err, same_err = cached["logo"], cached["cpu"], cached["same"]
    elif refit:
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
        try:
            from advisor.io import atomic_write_text

            cache_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache_path, json.dumps({"rows": [
                {k: r[k] for k in ("logo_predicted_seconds", "logo_abs_pct_error", "cpu_loo_predicted_seconds")}
                for r in rows], "logo": logo_err, "cpu": cpu_err, "same": same_err}))
        except OSError:
            pass  # a read-only home: no cache, same numbers
    else:
        cpu_err = [rows[i]["abs_pct_error"] for i in ok if points[i].family == "cpu"]
    logo_mape, logo_p90 = _stats(logo_err)
    cpu_mape, cpu_p90 = _stats(cpu_err)
    same_mape, _ = _stats(same_err)
    gpu_ok = [rows[i]["abs_pct_error"] for i in ok if points[i].family != "cpu"]
    gpu_mape, gpu_p90 = _stats(gpu_ok)
    fit_acc, fit_rows = fit_classification(catalog)
    vram_rows = vram_errors(catalog)
    return {
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
    from advisor.perf import memory as M

    rows = []
    for e in fit_cases(path):
        if e.get("components", "all") == "transformer":
            # the denoiser alone (random prompt embeddings, 512 text tokens): weights + activations + context
            from advisor.catalog.architecture import load_architecture
            from advisor.perf import flops as F

            spec = load_architecture(e["pipeline"])
            w, h = e.get("width", 1024), e.get("height", 1024)
            act = M.transformer_activation_gib(spec, w, h, F.text_tokens(spec, 64), 1)
            wt = M.module_weight_gib(spec, e["precision"])[spec.transformer.module]
            peak = wt + act * (1 + M.ALLOCATOR_OVERHEAD_FRACTION) + M.CUDA_CONTEXT_GIB
            required = wt + act * (1 + M.FRAGMENTATION_HEADROOM_FRACTION) + M.CUDA_CONTEXT_GIB
            predicted_fits, offload = required <= catalog.gpu(e["gpu"]).vram_gib.value, "none"
        else:
            req = PerfRequest(e["pipeline"], e["gpu"], precision=e["precision"], width=e.get("width", 1024),
                              height=e.get("height", 1024), offload=e["offload"])
            est = estimate(req, catalog)
            predicted_fits, peak, offload = est.fits, est.peak_vram_gib, est.offload
        rows.append({"id": e["id"], "expect_fits": bool(e["expect_fits"]), "predicted_fits": predicted_fits,
                     "peak_vram_gib": peak, "expect_peak_gib": e.get("expect_peak_gib"),
                     "offload": offload, "correct": predicted_fits == bool(e["expect_fits"]),
                     "source": e["source"]})
    if not rows:
        return None, rows
    return sum(r["correct"] for r in rows) / len(rows), rows


def vram_errors(catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """Predicted vs measured peak VRAM of every complete GPU profile [GiB, %]: weights + activations (model) vs
    torch max allocated, and the NVML-like total (+ allocator cache + context) vs NVML used. In-sample: the
    constants were fitted on these profiles (advisor.fit.calibrate.fit_vram)."""
    from advisor.catalog.measured import load_measured_profiles
    from advisor.perf import _engine as E
    from advisor.perf import flops as F
    from advisor.perf import memory as M

    catalog = catalog or load_catalog()
    out = []
    for prof in C._gpu_profiles(load_measured_profiles(C.MEASURED_ROOT), catalog):
        s, spec, m = prof.settings, prof.architecture, prof.memory
        if not m.torch_max_allocated_gib:
            continue
        if s.components == "transformer":
            act = M.transformer_activation_gib(spec, s.width, s.height, F.text_tokens(spec, E.DEFAULT_PROMPT_TOKENS), 1)
            wt = M.module_weight_gib(spec, s.precision)[spec.transformer.module]
        else:
            vb = M.peak_vram_breakdown(spec, s.width, s.height, E.DEFAULT_PROMPT_TOKENS, 1, s.precision, "none",
                                       {"vae": "bf16"})
            act, wt = vb.activations_gib, vb.weights_gib
        alloc = wt + act
        total = alloc + act * M.ALLOCATOR_OVERHEAD_FRACTION + M.CUDA_CONTEXT_GIB
        out.append({"profile": f"{s.pipeline}-{s.width}x{s.height}-{s.components}", "predicted_allocated_gib": alloc,
                    "measured_allocated_gib": m.torch_max_allocated_gib,
                    "allocated_abs_pct_error": _ape(alloc, m.torch_max_allocated_gib),
                    "predicted_nvml_gib": total, "measured_nvml_gib": m.nvml_used_gib,
                    "nvml_abs_pct_error": _ape(total, m.nvml_used_gib) if m.nvml_used_gib else None})
    return out


def baseline() -> dict[str, Any]:
    """The recorded regression baseline (``profiles/validation/baseline.yaml``)."""
    return yaml.safe_load(BASELINE_PATH.read_text(encoding="utf-8"))


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
    e = report.get("energy") or {}
    lines.append(f"energy per image vs NVML (power refitted leave-one-profile-out) MAPE "
                 f"{_fmt(e.get('energy_loo_mape'))} (max {_fmt(e.get('energy_loo_max_abs_pct_error'))}); board power "
                 f"MAPE {_fmt(e.get('power_loo_mape'))}; peak VRAM MAPE vs torch allocated "
                 f"{_fmt(report.get('peak_vram_allocated_mape'))}, vs NVML used {_fmt(report.get('peak_vram_nvml_mape'))}")
    return "\n".join(lines)


def json_summary(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("energy", "vram", "peak_vram_allocated_mape", "peak_vram_nvml_mape", "points", "mape", "p90_abs_pct_error", "leave_one_gpu_out_mape", "leave_one_gpu_out_p90", "cpu_mape",
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
    text = "# Written by `advisor validate --write-predictions` (advisor/fit/validate.py predictions()).\n"
    text += yaml.safe_dump(predictions(gpu), sort_keys=False, width=120)
    atomic_write_text(path, text)
    return path


def points_without(points, pred):
    return [replace(p) for p in points if not pred(p)]


# ---------------------------------------------------------------------------------------- out-of-sample report
PREDICTIONS_PATH = C.ROOT / "profiles" / "validation" / "predictions-2026-11-26.yaml"
CEILINGS_DIR = C.ROOT / "profiles" / "ceilings"


def _git_commit_of(path: Path) -> str | None:
    """Last commit that touched ``path`` (None outside a git checkout)."""
    import subprocess

    try:
        out = subprocess.run(["git", "log", "-1", "--format=%H %ad", "--date=short", "--", str(path)],
                             cwd=str(C.ROOT), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _pct(pred: float | None, meas: float | None) -> float | None:
    """Signed error (pred - meas) / meas x 100 [%]; None when either side is missing."""
    if pred is None or meas is None or meas == 0:
        return None
    return (pred - meas) / meas * 100.0


def _match_profile(run: dict, profiles: list) -> Any:
    """The complete measured profile with the run's settings (pipeline, gpu, size, precision, components, no offload)."""
    for prof in profiles:
        s = prof.settings
        if prof.status == "failed" or not prof.runs:
            continue
        if (s.pipeline == run["pipeline"] and prof.device.gpu_slug == run["gpu"] and s.width == run["width"]
                and s.height == run["height"] and s.precision == run["precision"]
                and s.components == run.get("components", "all") and s.offload == run.get("offload", "none")
                and s.batch_size == 1):
            return prof
    return None


def out_of_sample(predictions_path: str | Path | None = None, measured_root: str | Path | None = None,
                  ceilings_dir: str | Path | None = None) -> dict[str, Any]:
    """Predicted (committed file) vs measured (profiles) for every run of a predictions file.

    Per run and quantity: predicted, measured and signed error (pred - meas) / meas x 100 [%]. Quantities:
    seconds per image, seconds per step (median step incl. scheduler), transformer forward, each stage (median
    over runs), peak VRAM (prediction vs torch max allocated and vs NVML used), mean board power (vs NVML run mean:
    energy over the run / run time) and energy per image (vs the NVML total-energy counter). When the measured
    step count differs from the predicted one (FLUX.2 dev transformer-only: 10 measured, 50 planned) the per-step
    numbers are compared directly and the per-image numbers are scaled by predicted/measured steps (marked).
    Nothing is refitted: the file's numbers were committed before the campaign.
    """
    from advisor.catalog.measured import load_measured_profiles

    path = Path(predictions_path) if predictions_path is not None else PREDICTIONS_PATH
    if not path.is_file():
        raise InputError("--against-predictions", str(path), "an existing predictions YAML file")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or "runs" not in data:
        raise CatalogError(str(path), None, "runs", "required field is missing")
    profiles = load_measured_profiles(measured_root or C.MEASURED_ROOT)
    rows: list[dict[str, Any]] = []
    runs_out = []
    for run in data["runs"]:
        prof = _match_profile(run, profiles)
        entry: dict[str, Any] = {"id": run["id"], "matched": None, "notes": [], "quantities": []}
        runs_out.append(entry)
        if prof is None:
            entry["notes"].append("no complete measured profile with these settings")
            continue
        s, summ, mem, pw = prof.settings, prof.summary, prof.memory, prof.power
        entry["matched"] = f"{prof.device.gpu_slug}/{s.pipeline}-{s.width}x{s.height}-{s.steps}steps-{s.components}"
        steps_meas = len(prof.runs[0].step_seconds) or s.steps
        steps_pred = int(run["steps"])
        scale = steps_pred / steps_meas
        if steps_meas != steps_pred:
            entry["notes"].append(f"measured {steps_meas} steps, predicted {steps_pred}: per-image numbers scaled "
                                  f"x{scale:g} from the measured per-step time")
        med = lambda sp: None if sp is None else sp.median  # noqa: E731
        fwd = [r.transformer_seconds / r.transformer_calls for r in prof.runs
               if r.transformer_seconds is not None and r.transformer_calls]
        meas_fwd = float(np.median(fwd)) if fwd else None
        if s.components == "transformer":
            meas_img = med(summ.denoise_seconds) * scale if summ.denoise_seconds else None
        else:
            meas_img = med(summ.total_seconds) * scale if scale == 1 else None
        energy = pw.energy_per_image_joules * scale if pw.energy_per_image_joules is not None else None
        run_seconds = med(summ.total_seconds) / s.batch_size if summ.total_seconds else None
        run_watts = (pw.energy_per_image_joules / run_seconds if pw.energy_per_image_joules and run_seconds
                     else pw.run_mean_watts)
        st = run.get("stages_seconds", {})
        q = [
            ("seconds_per_image", "s", run.get("seconds_per_image"), meas_img),
            ("seconds_per_step", "s", run.get("seconds_per_step"), med(summ.step_seconds)),
            ("transformer_forward", "s", run.get("transformer_forward_seconds"), meas_fwd),
        ]
        if s.components == "all":
            q += [
                ("stage text_encoder", "s", st.get("text_encoder"), med(summ.text_encoder_seconds)),
                ("stage denoise", "s", st.get("denoise"), med(summ.denoise_seconds) * scale if summ.denoise_seconds else None),
                ("stage vae_decode", "s", st.get("vae_decode"), med(summ.vae_decode_seconds)),
            ]
        q += [
            ("peak VRAM vs torch allocated", "GiB", run.get("peak_vram_gib"), mem.torch_max_allocated_gib),
            ("peak VRAM vs NVML used", "GiB", run.get("peak_vram_gib"), mem.nvml_used_gib),
            ("board power (run mean)", "W", run.get("board_power_watts"), run_watts),
            ("energy per image", "J", run.get("energy_per_image_joules"), energy),
        ]
        for name, unit, pred, meas in q:
            item = {"run": run["id"], "quantity": name, "unit": unit, "predicted": pred, "measured": meas,
                    "error_pct": _pct(pred, meas)}
            entry["quantities"].append(item)
            rows.append(item)
    ceil_rows = []
    gpu = data.get("gpu", "h100-sxm")
    cpath = Path(ceilings_dir or CEILINGS_DIR) / f"{gpu}.yaml"
    ceil = yaml.safe_load(cpath.read_text(encoding="utf-8")) if cpath.is_file() else {}
    pc = data.get("ceilings", {})
    for name, key, mkey in (("bf16 matmul 8192^3 (median)", "matmul_bf16_tflops_expected", "bf16_matmul_median_tflops"),
                            ("device copy, read+write (median)", "copy_gb_per_s_expected", "copy_median_gb_per_s"),
                            ("PCIe host->device pinned", "pcie_h2d_pinned_gb_per_s_expected", None)):
        unit = "TFLOP/s" if "tflops" in key else "GB/s"
        pred, meas = pc.get(key), (ceil.get(mkey) if mkey else None)
        ceil_rows.append({"quantity": name, "unit": unit, "predicted": pred, "measured": meas,
                          "error_pct": _pct(pred, meas)})
    errs = [abs(r["error_pct"]) for r in rows if r["error_pct"] is not None]
    by_q: dict[str, list[float]] = {}
    for r in rows:
        if r["error_pct"] is not None:
            by_q.setdefault(r["quantity"], []).append(abs(r["error_pct"]))
    return {
        "predictions_file": str(path.relative_to(C.ROOT)) if path.is_relative_to(C.ROOT) else str(path),
        "predictions_commit": _git_commit_of(path),
        "predictions_written_at": data.get("written_at"),
        "gpu": gpu,
        "runs": runs_out,
        "rows": rows,
        "ceilings": ceil_rows,
        "mape_by_quantity": {k: float(np.mean(v)) for k, v in by_q.items()},
        "mape_all": float(np.mean(errs)) if errs else None,
    }


def _num(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.4g}"


def _err(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.1f}%"


def format_out_of_sample(rep: dict[str, Any], markdown: bool = False) -> str:
    """Table (plain text, or markdown with a header naming the predictions' commit) of :func:`out_of_sample`."""
    lines: list[str] = []
    if markdown:
        lines += [
            f"# Out-of-sample check: {rep['gpu']} campaign vs predictions committed before it",
            "",
            "Generated by `advisor validate --against-predictions "
            f"{rep['predictions_file']} --format markdown` (advisor/fit/validate.py `out_of_sample`). Do not edit by hand.",
            "",
            f"- predictions: `{rep['predictions_file']}` (written {rep['predictions_written_at']}; commit "
            f"`{rep['predictions_commit'] or 'unknown'}`)",
            f"- measured: `profiles/measured/{rep['gpu']}/*.yaml` (random full-size weights; median over timed runs) and "
            f"`profiles/ceilings/{rep['gpu']}.yaml`",
            "- error = (predicted - measured) / measured; nothing refitted",
            "",
        ]
        for e in rep["runs"]:
            if e["notes"]:
                lines.append(f"- `{e['id']}`: " + "; ".join(e["notes"]))
        lines += ["", "| run | quantity | unit | predicted | measured | error |", "|---|---|---|---:|---:|---:|"]
        for r in rep["rows"]:
            lines.append(f"| {r['run']} | {r['quantity']} | {r['unit']} | {_num(r['predicted'])} | "
                         f"{_num(r['measured'])} | {_err(r['error_pct'])} |")
        lines += ["", "## Ceilings", "", "| ceiling | unit | predicted | measured | error |", "|---|---|---:|---:|---:|"]
        for r in rep["ceilings"]:
            lines.append(f"| {r['quantity']} | {r['unit']} | {_num(r['predicted'])} | {_num(r['measured'])} | "
                         f"{_err(r['error_pct'])} |")
        lines += ["", "## Mean absolute error by quantity", "", "| quantity | MAPE |", "|---|---:|"]
        for k, v in rep["mape_by_quantity"].items():
            lines.append(f"| {k} | {v:.1f}% |")
        lines.append("")
        return "\n".join(lines)
    lines.append(f"predictions {rep['predictions_file']} (commit {rep['predictions_commit'] or 'unknown'})")
    lines.append(f"{'run':34s} {'quantity':30s} {'unit':5s} {'predicted':>10s} {'measured':>10s} {'error':>8s}")
    for r in rep["rows"]:
        lines.append(f"{r['run'][:34]:34s} {r['quantity'][:30]:30s} {r['unit']:5s} {_num(r['predicted']):>10s} "
                     f"{_num(r['measured']):>10s} {_err(r['error_pct']):>8s}")
    for e in rep["runs"]:
        for n in e["notes"]:
            lines.append(f"note {e['id']}: {n}")
    lines.append("ceilings:")
    for r in rep["ceilings"]:
        lines.append(f"  {r['quantity']:34s} {r['unit']:8s} {_num(r['predicted']):>10s} {_num(r['measured']):>10s} "
                     f"{_err(r['error_pct']):>8s}")
    lines.append("MAPE by quantity: " + ", ".join(f"{k} {v:.1f}%" for k, v in rep["mape_by_quantity"].items()))
    return "\n".join(lines)

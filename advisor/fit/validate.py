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

The full report (with the refits, minutes of CPU) is stored in ``profiles/validation/report.yaml`` keyed by a hash of
its inputs (data files and the simulator/fit code, :data:`REPORT_INPUTS`), so the CLI, the app and the tests read it
instantly while it is current and recompute it when it is stale.

Public API: validation_report(points=None, cal=None, refit=True, progress=None) -> dict, inputs_sha256(),
write_report(path), stored_report(path), current_report(path), fit_cases(), planned_runs(), predictions(gpu),
write_plot(report, path), write_predictions(path), format_table(report), out_of_sample(...).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from advisor.fit import calibrate as C
from advisor.catalog import Catalog, load_catalog
from advisor.catalog.yaml_reader import read_yaml_file
from advisor.errors import CatalogError, InputError
from advisor.perf import timing as T

FIT_CASES_PATH = C.ROOT / "profiles" / "validation" / "fit_cases.yaml"
GOALS = {"leave_one_gpu_out_mape": 15.0, "p90_abs_pct_error": 25.0, "same_gpu_pipeline_mape": 8.0, "cpu_mape": 15.0,
         "fit_classification_accuracy": 1.0}
BASELINE_PATH = C.ROOT / "profiles" / "validation" / "baseline.yaml"


REPORT_PATH = C.ROOT / "profiles" / "validation" / "report.yaml"
PLANNED_RUNS_PATH = C.ROOT / "profiles" / "validation" / "planned-runs.yaml"
#: What the full report is computed from, relative to the repository root (globs): the data and the code of the
#: simulator and of the fit. Any change to one of these files makes a stored report stale. From the catalog files
#: (gpus.yaml, pipelines.yaml: prices and prose change often) only the numbers the simulator reads count
#: (:func:`catalog_digest`).
REPORT_INPUTS = (
    "profiles/calibration.yaml", "profiles/architectures/*.yaml", "profiles/ceilings/*.yaml",
    "profiles/measured/**/*.yaml", "profiles/validation/public.yaml", "profiles/validation/fit_cases.yaml",
    "advisor/perf/*.py", "advisor/fit/calibrate.py", "advisor/fit/validate.py",
)
#: The catalog fields the simulator reads (GPU datasheet numbers, pipeline call defaults).
_GPU_FIELDS = ("architecture", "vram_gib", "memory_bandwidth_gb_per_s", "tensor_tflops", "pcie_gen", "pcie_lanes",
               "board_power_watts", "idle_power_watts")
_PIPELINE_FIELDS = ("default_steps", "default_guidance", "guidance_kind", "transformer_evals_per_step")


def catalog_digest(catalog: Catalog | None = None) -> str:
    """The catalog numbers the validation depends on, as canonical JSON: per GPU its datasheet values (not their
    sources), per pipeline its call defaults."""
    import json

    catalog = catalog or load_catalog()

    def values(obj: Any) -> Any:
        if hasattr(obj, "value") and hasattr(obj, "source"):
            return obj.value
        if isinstance(obj, dict):
            return {k: values(v) for k, v in sorted(obj.items())}
        return obj

    gpus = {slug: {f: values(getattr(g, f)) for f in _GPU_FIELDS} for slug, g in sorted(catalog.gpus.items())}
    pipes = {slug: {f: getattr(p, f) for f in _PIPELINE_FIELDS} for slug, p in sorted(catalog.pipelines.items())}
    return json.dumps({"gpus": gpus, "pipelines": pipes}, sort_keys=True)


def report_input_files(root: Path | None = None) -> list[Path]:
    """The files of :data:`REPORT_INPUTS` that exist, sorted by path relative to ``root`` (the repository)."""
    root = Path(root or C.ROOT)
    files = {f for pattern in REPORT_INPUTS for f in root.glob(pattern) if f.is_file()}
    return sorted(files, key=lambda f: f.relative_to(root).as_posix())


def inputs_sha256(root: Path | None = None, catalog: Catalog | None = None) -> str:
    """SHA-256 over the relative path and bytes of every report input file (:func:`report_input_files`) and the
    :func:`catalog_digest` [hex]. Cheap (reads ~100 small files): it tells whether a stored report is still the one
    these inputs give."""
    import hashlib

    root = Path(root or C.ROOT)
    h = hashlib.sha256(catalog_digest(catalog).encode())
    for f in report_input_files(root):
        data = f.read_bytes()
        h.update(f"{f.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _ape(pred: float, meas: float) -> float:
    return abs(pred - meas) / meas * 100.0


def _stats(errors: list[float]) -> tuple[float | None, float | None]:
    if not errors:
        return None, None
    arr = np.array(errors)
    return float(arr.mean()), float(np.percentile(arr, 90))


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
        cpu_groups = sorted({points[i].group for i in ok if points[i].family == "cpu"})
        same_ids = [i for i in ok if points[i].family != "cpu" and points[i].use_for_fit
                    and any(j != i and points[j].pipeline == points[i].pipeline
                            and points[j].gpu.slug == points[i].gpu.slug and points[j].use_for_fit for j in ok)]
        n_fits, done = len(gpu_slugs) + len(cpu_groups) + len(same_ids), 0

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
    data = read_yaml_file(path) or []  # the hardened reader (catalog.yaml_reader); an empty file: no cases
    if not isinstance(data, list):
        raise CatalogError(str(path), None, None, "expected a list of entries at the top level")
    for i, e in enumerate(data):
        for k in ("id", "pipeline", "gpu", "precision", "offload", "expect_fits", "source"):
            if k not in e:
                raise CatalogError(str(path), e.get("id", f"#{i}"), k, "required field is missing")
    return data


def fit_classification(catalog: Catalog | None = None, path: Path | None = None,
                       cal: T.Calibration | None = None) -> tuple[float | None, list[dict]]:
    """Share of documented fit/no-fit cases the simulator classifies right, and the per-case rows."""
    from advisor.perf import PerfRequest, estimate

    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    from advisor.perf import memory as M

    rows = []
    for e in fit_cases(path):
        if e.get("components", "all") == "transformer":
            # the denoiser alone (random prompt embeddings, 512 text tokens): weights + activations + context
            from advisor.catalog.architecture import load_architecture
            from advisor.perf import flops as F

            spec = load_architecture(e["pipeline"])
            vb = M.transformer_only_breakdown(spec, e.get("width", 1024), e.get("height", 1024),
                                              F.text_tokens(spec, 64), e["precision"], M.constants_of(cal))
            peak = vb.total_gib
            predicted_fits, offload = vb.required_gib <= catalog.gpu(e["gpu"]).vram_gib.value, "none"
        else:
            req = PerfRequest(e["pipeline"], e["gpu"], precision=e["precision"], width=e.get("width", 1024),
                              height=e.get("height", 1024), offload=e["offload"])
            est = estimate(req, catalog, calibration=cal)
            predicted_fits, peak, offload = est.fits, est.peak_vram_gib, est.offload
        rows.append({"id": e["id"], "expect_fits": bool(e["expect_fits"]), "predicted_fits": predicted_fits,
                     "peak_vram_gib": peak, "expect_peak_gib": e.get("expect_peak_gib"),
                     "offload": offload, "correct": predicted_fits == bool(e["expect_fits"]),
                     "source": e["source"]})
    if not rows:
        return None, rows
    return sum(r["correct"] for r in rows) / len(rows), rows


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


# ------------------------------------------------------------------------------------------------ stored report
def report_to_yaml_text(report: dict[str, Any], inputs: str) -> str:
    """The stored form of a full report: ``inputs_sha256`` (of :func:`inputs_sha256` when it was computed),
    ``written_at`` and the report itself (floats written exactly: ``yaml.safe_dump`` uses ``repr``)."""
    header = ("# Written by `advisor validate --write-report` (advisor/fit/validate.py). Do not edit by hand: the full\n"
              "# validation report (leave-one-out refits included) of the inputs whose SHA-256 is inputs_sha256\n"
              "# (advisor.fit.validate.REPORT_INPUTS); tests/test_validate.py recomputes it when they change.\n")
    doc = {"inputs_sha256": inputs, "written_at": dt.date.today().isoformat(), "report": report}
    return header + yaml.safe_dump(doc, sort_keys=False, width=120)


def write_report(path: Path | None = None, report: dict[str, Any] | None = None,
                 progress: Callable[[float, str], None] | None = None) -> Path:
    """Compute the full report (with refits; minutes) unless given, and write it atomically to ``path`` (default
    ``profiles/validation/report.yaml``) keyed by the inputs' hash taken before computing. Returns the path."""
    from advisor.io import atomic_write_text

    path = Path(path or REPORT_PATH)
    if path.suffix not in (".yaml", ".yml"):
        raise InputError("--write-report", str(path), "a .yaml path")
    inputs = inputs_sha256()
    report = report if report is not None else validation_report(refit=True, progress=progress)
    atomic_write_text(path, report_to_yaml_text(report, inputs))
    return path


def stored_report(path: Path | None = None) -> dict[str, Any] | None:
    """The stored report document ({inputs_sha256, written_at, report}), or None when the file does not exist."""
    path = Path(path or REPORT_PATH)
    if not path.is_file():
        return None
    doc = read_yaml_file(path, expect=dict)
    for k in ("inputs_sha256", "written_at", "report"):
        if k not in doc:
            raise CatalogError(str(path), None, k, "required field is missing")
    return doc


def current_report(path: Path | None = None,
                   progress: Callable[[float, str], None] | None = None) -> tuple[dict[str, Any], bool]:
    """(full report, stored?): the stored report when its inputs hash is today's (instant), else recomputed
    (minutes; nothing is written)."""
    doc = stored_report(path)
    if doc is not None and doc["inputs_sha256"] == inputs_sha256():
        return doc["report"], True
    return validation_report(refit=True, progress=progress), False


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
_PLANNED_KEYS = {"id": str, "pipeline": str, "precision": str, "width": int, "height": int, "steps": int,
                 "components": str}


def planned_runs(path: Path | None = None) -> list[dict[str, Any]]:
    """The campaign's planned runs (``profiles/validation/planned-runs.yaml`` ``runs``): id, pipeline, precision,
    width, height, steps, components (all | transformer)."""
    path = Path(path or PLANNED_RUNS_PATH)
    data = read_yaml_file(path, expect=dict)
    runs = data.get("runs")
    if not isinstance(runs, list) or not runs:
        raise CatalogError(str(path), None, "runs", "a non-empty list of planned runs is required")
    for i, r in enumerate(runs):
        rid = r.get("id", f"#{i}") if isinstance(r, dict) else f"#{i}"
        for k, typ in _PLANNED_KEYS.items():
            if not isinstance(r, dict) or not isinstance(r.get(k), typ):
                raise CatalogError(str(path), rid, k, f"required, a {typ.__name__}")
        if r["components"] not in ("all", "transformer"):
            raise CatalogError(str(path), rid, "components", "all or transformer")
    return runs


def predictions(gpu: str = "h100-sxm", catalog: Catalog | None = None, cal: T.Calibration | None = None,
                runs_path: Path | None = None) -> dict:
    """Simulator predictions for the planned GPU campaign (:func:`planned_runs`): per stage seconds, peak VRAM,
    board power (the engine's power split, :func:`advisor.perf._engine.power_split`)."""
    from advisor.perf import _engine as E
    from advisor.perf import memory as M

    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    k = M.constants_of(cal)
    g = catalog.gpu(gpu)
    runs = []
    for run in planned_runs(runs_path):
        rid, pipe, prec, w, h = run["id"], run["pipeline"], run["precision"], run["width"], run["height"]
        steps, comps = run["steps"], run["components"]
        spec = E.load_architecture(pipe)
        evals = E.resolve_evals(catalog.pipeline(pipe), None)
        wl = E.workload(spec, w, h, steps, evals, 1, prec)
        plan = E.time_stages(wl, g, prec, cal)
        entry: dict[str, Any] = {
            "id": rid, "pipeline": pipe, "gpu": gpu, "precision": prec, "width": w, "height": h, "steps": steps,
            "components": comps, "offload": "none",
            "transformer_forward_seconds": plan.eval_time.seconds,
            "seconds_per_step": plan.step_seconds,
            "stages_seconds": {"text_encoder": plan.text_encoder.seconds, "denoise": plan.step_seconds * steps,
                               "vae_decode": plan.vae.seconds},
        }
        transformer_only = comps == "transformer"
        if transformer_only:
            entry["peak_vram_gib"] = M.transformer_only_breakdown(spec, w, h, wl.text_tokens, prec, k).total_gib
            entry["seconds_per_image"] = plan.step_seconds * steps
            comp_s, mem_s = plan.eval_time.compute_seconds * steps, plan.eval_time.memory_seconds * steps
            entry["note"] = "transformer only (random inputs), as planned"
        else:
            vb = E.vram_for(wl, w, h, prec, "none", k)
            entry["peak_vram_gib"] = vb.total_gib
            entry["fits"] = vb.total_gib <= g.vram_gib.value
            entry["seconds_per_image"] = sum(entry["stages_seconds"].values())
            comp_s = plan.text_encoder.compute_seconds + plan.eval_time.compute_seconds * steps + plan.vae.compute_seconds
            mem_s = plan.text_encoder.memory_seconds + plan.eval_time.memory_seconds * steps + plan.vae.memory_seconds
        pw = E.board_power_watts(g, cal, E.power_split(plan, steps, transformer_only=transformer_only))
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


# ---------------------------------------------------------------------------------------- out-of-sample report
PREDICTIONS_PATH = C.ROOT / "profiles" / "validation" / "predictions-2026-11-26.yaml"
CEILINGS_DIR = C.ROOT / "profiles" / "ceilings"


def _sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes [hex]: names the exact predictions file compared (``git log --find-object`` or
    ``sha256sum`` finds it), without calling git."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
    data = read_yaml_file(path) or {}
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
    ceil = read_yaml_file(cpath) if cpath.is_file() else {}
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
        "predictions_sha256": _sha256_of(path),
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
    """Table (plain text, or markdown with a header naming the predictions file and its sha256) of :func:`out_of_sample`."""
    lines: list[str] = []
    if markdown:
        lines += [
            f"# Out-of-sample check: {rep['gpu']} campaign vs predictions committed before it",
            "",
            "Generated by `advisor validate --against-predictions "
            f"{rep['predictions_file']} --format markdown` (advisor/fit/validate.py `out_of_sample`). Do not edit by hand.",
            "",
            f"- predictions: `{rep['predictions_file']}` (written {rep['predictions_written_at']}; sha256 "
            f"`{rep['predictions_sha256']}`)",
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
    lines.append(f"predictions {rep['predictions_file']} (sha256 {rep['predictions_sha256']})")
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

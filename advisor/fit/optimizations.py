"""Validation of the named optimizations (issue 12): predicted vs measured speedups, per optimization and per GPU
class, leave-one-GPU-out for fitted factors, out-of-sample points reported apart.

Each point of ``profiles/validation/optimization_points.yaml`` compares a configuration with optimizations against
a baseline measured by the same author on the same machine, so the error is on the ratio:

    measured_speedup  = baseline_seconds / measured_seconds            (or the published ratio)
    predicted_speedup = T(baseline optimizations) / T(optimizations)   (advisor.perf.estimate, same configuration)
    error [%]         = |predicted_speedup / measured_speedup - 1| x 100

(equal to the error of the predicted optimized time once the simulator's baseline is scaled to the measured one).

Fitted factors: an optimization with ``fitted_by: evals_skipped_fraction`` takes the mean over its in-fit points
of the fraction that reproduces each point's measured speedup exactly (the step time is linear in that fraction, so
two evaluations solve it). Leave-one-GPU-out: refit without the GPU's points, predict them. Fitting needs in-fit
points from >= 2 GPUs (never a single claim).

Roofline check: the measured optimized seconds must be >= the floor at 100% of the datasheet peaks (every FLOP at
the fastest rate the optimization allows, weights at DRAM bandwidth, only the evaluations not skipped); a ratio-only
point cannot be checked (``n/a``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from advisor.catalog import GPU, PROFILES_DIR, Catalog, load_catalog
from advisor.catalog.optimizations import Figure
from advisor.errors import CatalogError

POINTS_PATH = PROFILES_DIR / "validation" / "optimization_points.yaml"
TIMED = ("end_to_end", "transformer_step")


@dataclass(frozen=True)
class OptimizationPoint:
    """One published measurement of an optimization against a same-machine baseline."""

    id: str
    pipeline: str
    gpu: GPU
    width: int
    height: int
    steps: int
    guidance: float | None
    timed: str
    optimizations: tuple[str, ...]
    baseline_optimizations: tuple[str, ...]
    measured_speedup: float
    baseline_seconds: float | None
    measured_seconds: float | None
    use_for_fit: bool
    source: str
    stack: str
    note: str = ""
    inline_gpu: bool = field(default=False)


def gpu_class(gpu: GPU) -> str:
    """``consumer`` (GeForce RTX) or ``data-centre`` (A100, L40S, H100, ...)."""
    return "consumer" if gpu.slug.startswith("rtx-") or "GeForce" in gpu.name else "data-centre"


def load_points(catalog: Catalog | None = None, path: Path | None = None) -> list[OptimizationPoint]:
    """The points of ``optimization_points.yaml``; errors name the file, point and field."""
    from advisor.catalog.yaml_reader import read_yaml_file

    catalog = catalog or load_catalog()
    path = path or POINTS_PATH
    if not path.is_file():
        return []
    data = read_yaml_file(path, expect=list) or []
    out = []
    for i, e in enumerate(data):
        pid = e.get("id", f"#{i}") if isinstance(e, dict) else f"#{i}"
        try:
            gpu = GPU.model_validate(e["gpu_spec"]) if e.get("gpu_spec") else catalog.gpu(e["gpu"])
            if e["timed"] not in TIMED:
                raise CatalogError(str(path), pid, "timed", f"must be one of {', '.join(TIMED)}")
            base_s, meas_s = e.get("baseline_seconds"), e.get("measured_seconds")
            if base_s is not None and meas_s is not None:
                speedup = float(base_s) / float(meas_s)
            elif e.get("measured_speedup") is not None:
                speedup = float(e["measured_speedup"])
            else:
                raise CatalogError(str(path), pid, "measured_speedup",
                                   "give baseline_seconds + measured_seconds or measured_speedup")
            for n in list(e["optimizations"]) + list(e.get("baseline_optimizations") or []):
                catalog.optimizations.get(n)
            out.append(OptimizationPoint(
                id=pid, pipeline=catalog.pipeline(e["pipeline"]).slug, gpu=gpu, width=int(e["width"]),
                height=int(e["height"]), steps=int(e["steps"]), guidance=e.get("guidance"), timed=e["timed"],
                optimizations=tuple(e["optimizations"]),
                baseline_optimizations=tuple(e.get("baseline_optimizations") or ()), measured_speedup=speedup,
                baseline_seconds=None if base_s is None else float(base_s),
                measured_seconds=None if meas_s is None else float(meas_s), use_for_fit=bool(e["use_for_fit"]),
                source=e["source"], stack=e.get("stack", "diffusers"), note=e.get("note", ""),
                inline_gpu=bool(e.get("gpu_spec"))))
        except KeyError as exc:
            raise CatalogError(str(path), pid, str(exc.args[0]), "required field is missing") from None
    return out


def catalog_for(p: OptimizationPoint, catalog: Catalog) -> Catalog:
    """The catalog with the point's inline GPU added (a copy; the catalog itself is unchanged)."""
    if p.gpu.slug in catalog.gpus and catalog.gpus[p.gpu.slug] == p.gpu:
        return catalog
    return catalog.model_copy(update={"gpus": {**catalog.gpus, p.gpu.slug: p.gpu}})


def with_factor(catalog: Catalog, slug: str, field_name: str, value: float) -> Catalog:
    """A catalog copy where optimization ``slug`` has ``field_name`` = ``value`` (for fitting)."""
    book = catalog.optimizations
    o = book.get(slug)
    old = getattr(o, field_name)
    fig = Figure(value=value, source=old.source if old else "fit", as_of=old.as_of if old else dt.date.today(),
                 derived=True)
    book2 = book.model_copy(update={"optimizations": {**book.optimizations, slug: o.model_copy(update={field_name: fig})}})
    return catalog.model_copy(update={"optimizations": book2})


def predicted_seconds(p: OptimizationPoint, catalog: Catalog, optimizations: tuple[str, ...], cal=None) -> float:
    """Simulated seconds of what the point timed, with ``optimizations`` [s]."""
    from advisor.perf import PerfRequest, estimate

    cat = catalog_for(p, catalog)
    req = PerfRequest(p.pipeline, p.gpu.slug, width=p.width, height=p.height, steps=p.steps, guidance=p.guidance,
                      offload="none", optimizations=optimizations)
    est = estimate(req, cat, calibration=cal)
    return est.seconds_per_step if p.timed == "transformer_step" else est.seconds_per_image


def predicted_speedup(p: OptimizationPoint, catalog: Catalog, cal=None) -> float:
    """T(baseline optimizations) / T(optimizations) [1]."""
    return (predicted_seconds(p, catalog, p.baseline_optimizations, cal)
            / predicted_seconds(p, catalog, p.optimizations, cal))


def floor_seconds(p: OptimizationPoint, catalog: Catalog, optimizations: tuple[str, ...] | None = None) -> float:
    """Physical floor of the point's configuration with ``optimizations`` (default: the point's) at 100% of the
    datasheet peaks [s]: :func:`advisor.perf.floor.floor_stages_for` of the plan, the denoiser's part times the
    share of evaluations a step cache still runs."""
    from advisor.catalog.architecture import load_architecture
    from advisor.perf import _engine as E
    from advisor.perf import floor as FL
    from advisor.perf import optimizations as O

    cat = catalog_for(p, catalog)
    plan = O.plan_for(O.resolve(p.optimizations if optimizations is None else optimizations, p.gpu,
                                cat.optimizations))
    pipe = cat.pipeline(p.pipeline)
    spec = load_architecture(pipe.slug)
    fl = FL.floor_stages_for(spec, p.gpu, "bf16", p.width, p.height, E.resolve_evals(pipe, p.guidance), plan)
    fwd = fl["forward"] * O.evaluated_fraction(plan.evals_skipped_fraction, plan.skipped_eval_runs_first_block,
                                               E.transformer_layers(spec.transformer))
    if p.timed == "transformer_step":
        return fwd
    return fl["text_encoder"] + fwd * p.steps + fl["vae_decode"]


def roofline_check(p: OptimizationPoint, catalog: Catalog) -> str:
    """``passed`` / ``failed`` (the measured optimized or baseline seconds below its floor), ``n/a`` for ratio-only
    points."""
    if p.measured_seconds is None or p.baseline_seconds is None:
        return "n/a"
    ok = (p.measured_seconds >= floor_seconds(p, catalog)
          and p.baseline_seconds >= floor_seconds(p, catalog, p.baseline_optimizations))
    return "passed" if ok else "failed"


def _ape(pred: float, meas: float) -> float:
    return abs(pred / meas - 1.0) * 100.0


def solve_skip_fraction(p: OptimizationPoint, catalog: Catalog, slug: str, cal=None) -> float:
    """The evals_skipped_fraction of ``slug`` that reproduces ``p``'s measured speedup exactly [1]: the optimized
    time is linear in the fraction, T(s) = T(0) + s x (T(0.5) - T(0)) / 0.5, solved for T = T_base / speedup."""
    t_base = predicted_seconds(p, catalog, p.baseline_optimizations, cal)
    t0 = predicted_seconds(p, with_factor(catalog, slug, "evals_skipped_fraction", 0.0), p.optimizations, cal)
    t5 = predicted_seconds(p, with_factor(catalog, slug, "evals_skipped_fraction", 0.5), p.optimizations, cal)
    slope = (t5 - t0) / 0.5
    return (t_base / p.measured_speedup - t0) / slope


def fit_factor(points: list[OptimizationPoint], catalog: Catalog, slug: str, cal=None) -> float | None:
    """Mean of the per-point solutions over the in-fit points that use ``slug`` alone; None without in-fit points
    from >= 2 GPUs (one GPU's claim never sets a factor)."""
    use = [p for p in points if p.use_for_fit and p.optimizations == (slug,) and not p.baseline_optimizations]
    if len({p.gpu.slug for p in use}) < 2:
        return None
    return float(np.mean([solve_skip_fraction(p, catalog, slug, cal) for p in use]))


def fitted_factors(catalog: Catalog | None = None, points: list[OptimizationPoint] | None = None,
                   cal=None) -> dict[str, float]:
    """Every catalog optimization with ``fitted_by``: its value fitted on all in-fit points."""
    catalog = catalog or load_catalog()
    points = points if points is not None else load_points(catalog)
    out = {}
    for slug, o in catalog.optimizations.optimizations.items():
        if o.fitted_by == "evals_skipped_fraction":
            v = fit_factor(points, catalog, slug, cal)
            if v is not None:
                out[slug] = v
    return out


def _group_stats(rows: list[dict], key: str, err: str = "abs_pct_error") -> dict[str, dict[str, Any]]:
    groups: dict[str, list[float]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r[err])
    return {k: {"n": len(v), "mape": float(np.mean(v)), "max": float(np.max(v))} for k, v in sorted(groups.items())}


def optimization_report(catalog: Catalog | None = None, points: list[OptimizationPoint] | None = None,
                        cal=None) -> dict[str, Any]:
    """The per-point rows and the per-optimization, per-GPU-class, in-fit / out-of-sample and leave-one-GPU-out
    summaries (module docstring)."""
    catalog = catalog or load_catalog()
    points = points if points is not None else load_points(catalog)
    rows = []
    for p in points:
        pred = predicted_speedup(p, catalog, cal)
        rows.append({"id": p.id, "optimizations": "+".join(p.optimizations),
                     "baseline": "+".join(p.baseline_optimizations) or "bf16 eager", "gpu": p.gpu.slug,
                     "gpu_class": gpu_class(p.gpu), "pipeline": p.pipeline, "timed": p.timed,
                     "measured_speedup": p.measured_speedup, "predicted_speedup": pred,
                     "abs_pct_error": _ape(pred, p.measured_speedup),
                     "sample": "in-fit" if p.use_for_fit else "out-of-sample",
                     "roofline_check": roofline_check(p, catalog), "logo_abs_pct_error": None, "source": p.source})
    # leave-one-GPU-out for fitted factors
    for slug, o in catalog.optimizations.optimizations.items():
        if o.fitted_by != "evals_skipped_fraction":
            continue
        gpus = sorted({p.gpu.slug for p in points if p.use_for_fit and slug in p.optimizations})
        for g in gpus:
            held = [p for p in points if p.gpu.slug != g]
            v = fit_factor(held, catalog, slug, cal) if len(gpus) > 2 else _single_fit(held, catalog, slug, cal)
            if v is None:
                continue
            cat_h = with_factor(catalog, slug, "evals_skipped_fraction", min(max(v, 0.0), 0.99))
            for r, p in zip(rows, points):
                if p.gpu.slug == g and p.use_for_fit and slug in p.optimizations:
                    r["logo_abs_pct_error"] = _ape(predicted_speedup(p, cat_h, cal), p.measured_speedup)
    ok = [r for r in rows if r["roofline_check"] != "failed"]
    logo = [r["logo_abs_pct_error"] for r in ok if r["logo_abs_pct_error"] is not None]
    out_rows = [r for r in ok if r["sample"] == "out-of-sample"]
    in_rows = [r for r in ok if r["sample"] == "in-fit"]
    return {
        "points": rows,
        "n_points": len(rows),
        "n_used": len(ok),
        "by_optimization": _group_stats(ok, "optimizations"),
        "by_gpu_class": _group_stats(ok, "gpu_class"),
        "in_fit_mape": float(np.mean([r["abs_pct_error"] for r in in_rows])) if in_rows else None,
        "out_of_sample_mape": float(np.mean([r["abs_pct_error"] for r in out_rows])) if out_rows else None,
        "out_of_sample_by_gpu_class": _group_stats(out_rows, "gpu_class") if out_rows else {},
        "leave_one_gpu_out_mape": float(np.mean(logo)) if logo else None,
        "fitted": fitted_factors(catalog, points, cal),
    }


def _single_fit(points: list[OptimizationPoint], catalog: Catalog, slug: str, cal=None) -> float | None:
    """Leave-one-GPU-out with two GPUs: the one remaining GPU's in-fit points (mean of their solutions). Used only to
    test transfer to the held-out GPU, never stored in the catalog."""
    use = [p for p in points if p.use_for_fit and p.optimizations == (slug,) and not p.baseline_optimizations]
    if not use:
        return None
    return float(np.mean([solve_skip_fraction(p, catalog, slug, cal) for p in use]))


def _f(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f}%"


def format_report(rep: dict[str, Any]) -> str:
    """Plain-text table of the optimization validation."""
    lines = ["", "Optimizations (profiles/validation/optimization_points.yaml): measured vs predicted speedup",
             f"{'id':52s} {'gpu':16s} {'class':11s} {'meas x':>7s} {'pred x':>7s} {'err':>7s} {'LOGO':>7s} sample / check"]
    for r in rep["points"]:
        logo = "" if r["logo_abs_pct_error"] is None else f"{r['logo_abs_pct_error']:6.1f}%"
        lines.append(f"{r['id'][:52]:52s} {r['gpu'][:16]:16s} {r['gpu_class']:11s} {r['measured_speedup']:7.2f} "
                     f"{r['predicted_speedup']:7.2f} {r['abs_pct_error']:6.1f}% {logo:>7s} "
                     f"{r['sample']} / {r['roofline_check']}")
    lines.append("per optimization: " + "; ".join(f"{k} {_f(v['mape'])} (n={v['n']})"
                                                   for k, v in rep["by_optimization"].items()))
    lines.append("per GPU class: " + "; ".join(f"{k} {_f(v['mape'])} (n={v['n']})" for k, v in rep["by_gpu_class"].items()))
    lines.append(f"in-fit MAPE {_f(rep['in_fit_mape'])}; out-of-sample MAPE {_f(rep['out_of_sample_mape'])} ("
                 + "; ".join(f"{k} {_f(v['mape'])}" for k, v in rep["out_of_sample_by_gpu_class"].items())
                 + f"); leave-one-GPU-out (fitted factors) MAPE {_f(rep['leave_one_gpu_out_mape'])}")
    lines.append("fitted: " + ", ".join(f"{k} evals_skipped_fraction {v:.4f}" for k, v in rep["fitted"].items()))
    return "\n".join(lines)

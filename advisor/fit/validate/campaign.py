"""A measurement campaign checked out of sample: predictions for the planned runs
(``profiles/validation/planned-runs.yaml``) committed before the campaign, then compared with the measured profiles
(:func:`out_of_sample`; nothing refitted)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from advisor.catalog import Catalog, load_catalog
from advisor.catalog.yaml_reader import read_yaml_file
from advisor.errors import CatalogError, InputError
from advisor.fit import calibrate as C
from advisor.perf import timing as T

PLANNED_RUNS_PATH = C.ROOT / "profiles" / "validation" / "planned-runs.yaml"


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
    text = "# Written by `advisor validate --write-predictions` (advisor/fit/validate/campaign.py predictions()).\n"
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
            f"{rep['predictions_file']} --format markdown` (advisor/fit/validate/campaign.py `out_of_sample`). Do not edit by hand.",
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

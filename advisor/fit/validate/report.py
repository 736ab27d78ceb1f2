"""The stored validation report (``profiles/validation/report.yaml``, keyed by the SHA-256 of its inputs), the
text table and JSON summary of ``advisor validate``, and the predicted-vs-measured plot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import yaml

from advisor.catalog import Catalog, load_catalog
from advisor.catalog.yaml_reader import read_yaml_file
from advisor.errors import CatalogError, InputError
from advisor.fit import calibrate as C
from advisor.fit.validate.metrics import CLASS_GOAL_MAPE, validation_report

REPORT_PATH = C.ROOT / "profiles" / "validation" / "report.yaml"
#: What the full report is computed from, relative to the repository root (globs): the data and the code of the
#: simulator and of the fit. Any change to one of these files makes a stored report stale. From the catalog files
#: (gpus.yaml, pipelines.yaml: prices and prose change often) only the numbers the simulator reads count
#: (:func:`catalog_digest`).
REPORT_INPUTS = (
    "profiles/calibration.yaml", "profiles/architectures/*.yaml", "profiles/ceilings/*.yaml",
    "profiles/measured/**/*.yaml", "profiles/validation/public*.yaml", "profiles/validation/fit_cases.yaml",
    "profiles/optimizations.yaml",
    "advisor/perf/*.py", "advisor/fit/calibrate.py", "advisor/fit/power_vram.py", "advisor/fit/validate/*.py",
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
    lines += format_groups(report)
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


def format_groups(report: dict[str, Any]) -> list[str]:
    """Lines of the per-GPU-class, per-stack and per-pipeline MAPE tables (n, MAPE, P90, max, leave-one-GPU-out
    MAPE per class) with the class goal (<= CLASS_GOAL_MAPE with 3+ points) marked."""
    lines: list[str] = []
    logo = report.get("leave_one_gpu_out_by_gpu_class") or {}
    for title, key in (("GPU class", "by_gpu_class"), ("stack", "by_stack"), ("pipeline", "by_pipeline")):
        groups = report.get(key) or {}
        if not groups:
            continue
        lines.append(f"{'per ' + title:24s} {'n':>4s} {'MAPE':>7s} {'P90':>7s} {'max':>7s}"
                     + (f" {'LOGO':>7s}" if key == "by_gpu_class" else "") + f"  goal <= {CLASS_GOAL_MAPE:g}% (3+ points)")
        for name, g in groups.items():
            goal = {True: "met", False: "MISSED", None: "too few points"}[g["meets_goal"]]
            lo = _fmt(logo.get(name, {}).get("mape")) if key == "by_gpu_class" else None
            lines.append(f"  {name[:22]:22s} {g['n']:4d} {_fmt(g['mape']):>7s} {_fmt(g['p90']):>7s} {_fmt(g['max']):>7s}"
                         + (f" {lo:>7s}" if lo is not None else "") + f"  {goal}")
        lines.append("")
    fams = report.get("families") or {}
    if fams:
        lines.append(f"{'per calibration family':24s} {'fitted':>6s} {'scored':>6s} {'MAPE':>7s} {'LOFO':>7s} "
                     f"{'LOFO P90':>8s}  how its efficiencies were obtained")
        for name, f in fams.items():
            lines.append(f"  {name:22s} {f['fitted_points']:6d} {f['n_scored']:6d} {_fmt(f['mape']):>7s} "
                         f"{_fmt(f['leave_one_family_out_mape']):>7s} {_fmt(f['leave_one_family_out_p90']):>8s}  "
                         + {"fitted": "fitted on its own points", "shared-level": "prior x shared GPU level",
                            "few-points": "fitted on one or two points (wide band)",
                            "specs-only": "from specs only (no measured runs)"}[f["tier"]])
        lines.append("")
    return lines


def json_summary(report: dict[str, Any]) -> dict[str, Any]:
    optional = ("by_gpu_class", "by_stack", "by_pipeline", "leave_one_gpu_out_by_gpu_class", "families",
                "leave_one_family_out_p90")
    keys = ("energy", "vram", "peak_vram_allocated_mape", "peak_vram_nvml_mape", "points", "mape", "p90_abs_pct_error", "leave_one_gpu_out_mape", "leave_one_gpu_out_p90", "cpu_mape",
            "same_gpu_pipeline_mape", "gpu_mape", "fit_classification_accuracy", "fit_cases", "n_points", "n_used",
            "cpu_mape_method", "calibration", "goals")
    return {**{k: report[k] for k in keys}, **{k: report.get(k, {}) for k in optional}}


# ------------------------------------------------------------------------------------------------ stored report
def report_to_yaml_text(report: dict[str, Any], inputs: str) -> str:
    """The stored form of a full report: ``inputs_sha256`` (of :func:`inputs_sha256` when it was computed),
    ``written_at`` and the report itself (floats written exactly: ``yaml.safe_dump`` uses ``repr``)."""
    header = ("# Written by `advisor validate --write-report` (advisor/fit/validate/). Do not edit by hand: the full\n"
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


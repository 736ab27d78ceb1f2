"""Fit the simulator's efficiencies (``profiles/calibration.yaml``) to measured data.

Data (all *measured*; vendor claims are never fitted):
- measured profiles ``profiles/measured/**.yaml`` (:class:`advisor.measured.MeasuredProfile`, each with the
  ArchitectureSpec of what ran, so scaled CPU configurations are predicted exactly as they ran);
- public third-party measurements ``profiles/validation/public.yaml`` with ``use_for_fit: true``.

Model (see :mod:`advisor.perf.timing`): for GPU families
    log e[family, op] = log prior[family, op] + g[op] + d[family, op]
where ``g`` is shared by every GPU family (the data set's overall level) and ``d`` a per-family deviation pulled
towards 0; the priors carry the *relative* efficiencies of the families from public microbenchmarks (matmul
ceilings, FlashAttention-2 on Ampere vs Hopper). The CPU has its own ``c[op]``. Per-step overheads are
log o[family] = log prior_o + h[family]. Fitting minimises
    sum_i (log predicted_i - log measured_i)^2 + sum_k lambda_k theta_k^2
(least squares on log error with ridge priors) by damped Gauss-Newton (Levenberg-Marquardt) with a numeric Jacobian.
Efficiencies are capped at 1.0 (no kernel beats the dense peak).

Public API: ValidationPoint, load_points(), fit(points) -> Calibration, predict_point(point, cal),
measure_cpu_peak(), calibrate(write=True).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from advisor.arch import ArchitectureSpec, load_architecture
from advisor.catalog import GPU, Catalog, load_catalog
from advisor.errors import CatalogError
from advisor.perf import _engine as E
from advisor.perf import timing as T

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PATH = ROOT / "profiles" / "validation" / "public.yaml"
MEASURED_ROOT = ROOT / "profiles" / "measured"
TIMED = ("end_to_end", "transformer_step", "transformer_forward", "text_encoder", "vae_decode", "denoise")
FIT_OPS = ("linear", "attention", "conv", "elementwise", "text_encoder")
GPU_FAMILIES = ("ampere", "ada", "hopper", "blackwell")
#: Ridge weights (per unit of log parameter): g shared level weak, d family deviation strong, CPU weak, overhead weak.
LAMBDA = {"g": 0.02, "d": 0.3, "c": 0.02, "h": 0.01}
#: Roofline sanity band: a measurement is rejected when it is faster than the 100%-of-peak floor (impossible) or
#: needs less than this fraction of peak (it must include work the label does not say: loading, offload, ...).
MIN_PLAUSIBLE_FRACTION = 0.15
#: Measurement quality: a profile whose median step exceeds 1.5x its best step was disturbed (shared VM) and is
#: reported but neither fitted nor scored.
NOISY_MEDIAN_OVER_MIN = 1.5
#: CPU precisions whose matmul peak could not be measured reproducibly on the dev VM (bf16 torch.mm gave 0.15-0.42
#: TFLOP/s across runs on 2026-11-26 under host contention), so their runs cannot be predicted from a measured peak:
#: reported, not fitted or scored.
CPU_UNSTABLE_PRECISIONS = ("bf16",)


@dataclass(frozen=True)
class ValidationPoint:
    """One measured time the simulator must reproduce."""

    id: str
    pipeline: str
    gpu: GPU
    precision: str
    width: int
    height: int
    steps: int
    measured_seconds: float
    timed: str
    spec: ArchitectureSpec
    kind: str  # public | measured
    source: str
    as_of: str
    stack: str = "diffusers"
    use_for_fit: bool = True
    stored_roofline_check: str | None = None
    text_tokens: int | None = None
    batch: int = 1
    evals: int = 1
    group: str = ""  # for leave-one-out splits (CPU: config name)
    quality: str = "ok"  # ok | noisy (measurement spread too large to validate on)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def family(self) -> str:
        return self.gpu.architecture


# ------------------------------------------------------------------------------------------------- loading
def _public_points(path: Path, catalog: Catalog) -> list[ValidationPoint]:
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out = []
    for i, e in enumerate(data):
        pid = e.get("id", f"#{i}")
        try:
            gpu = GPU.model_validate(e["gpu_spec"]) if e.get("gpu_spec") else catalog.gpu(e["gpu"])
            pipe = catalog.pipeline(e["pipeline"])
            if e["timed"] not in TIMED:
                raise CatalogError(str(path), pid, "timed", f"must be one of {', '.join(TIMED)}")
            evals = E.resolve_evals(pipe, e.get("guidance"))
            out.append(ValidationPoint(
                id=pid, pipeline=pipe.slug, gpu=gpu, precision=e["precision"], width=int(e["width"]),
                height=int(e["height"]), steps=int(e["steps"]), measured_seconds=float(e["measured_seconds"]),
                timed=e["timed"], spec=load_architecture(pipe.slug), kind="public", source=e["source"],
                as_of=str(e["as_of"]), stack=e.get("stack", "diffusers"), use_for_fit=bool(e.get("use_for_fit", True)),
                stored_roofline_check=e.get("roofline_check"), batch=int(e.get("batch_size", 1)), evals=evals,
                group=pipe.slug, note=e.get("note", "")))
        except KeyError as exc:
            raise CatalogError(str(path), pid, str(exc.args[0]), "required field is missing") from None
    return out


def _measured_points(root: Path, catalog: Catalog, cal: T.Calibration) -> list[ValidationPoint]:
    from advisor.measured import load_measured_profiles

    out = []
    for prof in load_measured_profiles(root):
        if prof.status == "failed" or not prof.runs:
            continue
        s = prof.settings
        if s.offload != "none" or s.compile:
            continue  # offload/compile runs validate other parts of the model
        if prof.device.kind == "cpu":
            gpu = E.cpu_device(cal)
        else:
            slug = prof.device.gpu_slug
            if not slug or slug not in catalog.gpus:
                continue
            gpu = catalog.gpu(slug)
        spec = prof.architecture
        if spec is None:
            if s.random_weights not in (None, "full"):
                continue  # a scaled config without its architecture cannot be predicted
            try:
                spec = load_architecture(s.pipeline)
            except Exception:  # noqa: BLE001 - unknown architecture: skip
                continue
        base = dict(pipeline=s.pipeline, gpu=gpu, precision=s.precision, width=s.width, height=s.height,
                    steps=s.steps, spec=spec, kind="measured", source=f"profile {prof.device.name} {prof.started_at:%Y-%m-%d}",
                    as_of=f"{prof.started_at:%Y-%m-%d}", batch=s.batch_size, evals=2 if s.cfg else 1,
                    text_tokens=(s.max_sequence_length if s.components == "transformer" or prof.device.kind == "cpu"
                                 else None),
                    group=f"{s.pipeline}:{spec.slug}")
        pid = f"{s.pipeline}@{gpu.slug}:{spec.slug}:{s.width}x{s.height}:{s.precision}:{s.steps}"
        steps_all = [x for r in prof.runs for x in r.step_seconds]
        if s.components == "transformer" and steps_all:
            # best of N steps: the dev VM shows 2-3x slowdowns on single steps (research/diffusers-offline.md s5).
            # A profile whose median step is > NOISY_MEDIAN_OVER_MIN x its best step is too noisy to validate on.
            best, med = min(steps_all), float(np.median(steps_all))
            noisy = med > NOISY_MEDIAN_OVER_MIN * best
            quality = "noisy" if noisy else "ok"
            if prof.device.kind == "cpu" and s.precision in CPU_UNSTABLE_PRECISIONS:
                quality, noisy = "unstable-peak", True
            out.append(ValidationPoint(id=pid + ":forward", measured_seconds=best, timed="transformer_forward",
                                       use_for_fit=not noisy, quality=quality,
                                       note=f"best of {len(steps_all)} steps; median {med:.3f} s", **base))
            continue
        summ = prof.summary
        if summ.total_seconds is not None:
            out.append(ValidationPoint(id=pid + ":e2e", measured_seconds=summ.total_seconds.median / s.batch_size,
                                       timed="end_to_end", **base))
        for stage, spread in (("text_encoder", summ.text_encoder_seconds), ("vae_decode", summ.vae_decode_seconds)):
            if spread is not None:
                out.append(ValidationPoint(id=pid + ":" + stage, measured_seconds=spread.median, timed=stage, **base))
    return out


def load_points(catalog: Catalog | None = None, public_path: Path | None = None, measured_root: Path | None = None,
                cal: T.Calibration | None = None) -> list[ValidationPoint]:
    """Every validation point: public (``public.yaml``) then measured profiles."""
    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    return (_public_points(public_path or PUBLIC_PATH, catalog)
            + _measured_points(measured_root or MEASURED_ROOT, catalog, cal))


# ---------------------------------------------------------------------------------------------- prediction
_WORKLOADS: dict[tuple, E.Workload] = {}


def _workload(p: ValidationPoint) -> E.Workload:
    key = (p.spec.slug, id(p.spec), p.width, p.height, p.steps, p.evals, p.batch, p.precision, p.text_tokens)
    w = _WORKLOADS.get(key)
    if w is None:
        w = _WORKLOADS[key] = E.workload(p.spec, p.width, p.height, p.steps, p.evals, p.batch, p.precision,
                                         text_tokens=p.text_tokens)
    return w


def predict_stages(p: ValidationPoint, cal: T.Calibration) -> dict[str, float]:
    """Predicted stage times of the point's configuration [s] (keys as :data:`TIMED`)."""
    w = _workload(p)
    plan = E.time_stages(w, p.gpu, p.precision, cal)
    return {
        "transformer_step": plan.step_seconds,
        "transformer_forward": plan.eval_time.seconds,
        "denoise": plan.step_seconds * p.steps,
        "text_encoder": plan.text_encoder.seconds,
        "vae_decode": plan.vae.seconds,
        "end_to_end": plan.text_encoder.seconds + plan.step_seconds * p.steps + plan.vae.seconds,
    }


def predict_point(p: ValidationPoint, cal: T.Calibration) -> float:
    """Predicted seconds for what the point timed [s]."""
    return predict_stages(p, cal)[p.timed]


def roofline_check(p: ValidationPoint) -> tuple[bool, float, float]:
    """(passed, floor_seconds, fraction_of_peak) of a point: the floor at 100% of peak for what was timed."""
    key = (p.id, p.gpu.slug, p.measured_seconds, p.timed)
    if key in _ROOFLINE:
        return _ROOFLINE[key]
    w = _workload(p)
    rates = T.device_rates(p.gpu, p.precision)
    ev = T.roofline_floor_seconds(w.eval_cost, rates)
    te = T.roofline_floor_seconds(w.te, rates)
    vae = T.roofline_floor_seconds(w.vae, rates)
    floor = {"transformer_forward": ev, "transformer_step": ev, "denoise": ev * p.steps, "text_encoder": te,
             "vae_decode": vae, "end_to_end": te + ev * p.steps + vae}[p.timed]
    frac = floor / p.measured_seconds
    out = _ROOFLINE[key] = ((frac <= 1.0 and frac >= MIN_PLAUSIBLE_FRACTION), floor, frac)
    return out


_ROOFLINE: dict[tuple, tuple[bool, float, float]] = {}


def eligible(p: ValidationPoint) -> bool:
    """A point the fit may use: marked ``use_for_fit``, good measurement quality, passes the roofline check."""
    return p.use_for_fit and p.quality == "ok" and roofline_check(p)[0]


# ------------------------------------------------------------------------------------------------------ fit
class _Params:
    """Parameter vector layout."""

    def __init__(self):
        self.names: list[str] = []
        self.lam: list[float] = []
        for op in FIT_OPS:
            self._add(f"g.{op}", LAMBDA["g"])
        for f in GPU_FAMILIES:
            for op in FIT_OPS:
                self._add(f"d.{f}.{op}", LAMBDA["d"])
        for op in FIT_OPS:
            self._add(f"c.{op}", LAMBDA["c"])
        for f in GPU_FAMILIES + ("cpu",):
            self._add(f"h.{f}", LAMBDA["h"])
        self.index = {n: i for i, n in enumerate(self.names)}

    def _add(self, name: str, lam: float) -> None:
        self.names.append(name)
        self.lam.append(lam)

    def families(self, theta: np.ndarray, base: T.Calibration) -> dict[str, T.FamilyEfficiency]:
        out = {}
        for f in GPU_FAMILIES + ("cpu",):
            prior = T.PRIOR_FAMILIES[f]
            vals = {}
            for op in FIT_OPS:
                lg = math.log(prior[op])
                lg += theta[self.index[f"c.{op}"]] if f == "cpu" else (
                    theta[self.index[f"g.{op}"]] + theta[self.index[f"d.{f}.{op}"]])
                vals[op] = min(1.0, math.exp(lg))
            vals["step_overhead_seconds"] = prior["step_overhead_seconds"] * math.exp(theta[self.index[f"h.{f}"]])
            old = base.families.get(f)
            vals["weights"] = old.weights if old else 0.8
            out[f] = T.FamilyEfficiency.model_construct(**vals, points=0, note="")
        return out


def _cal_with(base: T.Calibration, fams: dict[str, T.FamilyEfficiency]) -> T.Calibration:
    return base.model_copy(update={"families": fams})


def _residuals(theta, layout, base, points):
    cal = _cal_with(base, layout.families(theta, base))
    r = [math.log(predict_point(p, cal) / p.measured_seconds) for p in points]
    r += [math.sqrt(l) * t for l, t in zip(layout.lam, theta)]
    return np.array(r)


def fit(points: list[ValidationPoint], base: T.Calibration | None = None, iterations: int = 40) -> T.Calibration:
    """Fit efficiencies to ``points`` (those with ``use_for_fit``); returns a new Calibration (not written)."""
    base = base or T.load_calibration()
    base = base.model_copy(update={"families": {f: T.FamilyEfficiency(**v) for f, v in T.PRIOR_FAMILIES.items()}})
    pts = [p for p in points if eligible(p)]
    layout = _Params()
    theta = np.zeros(len(layout.names))
    lam_lm = 1e-2
    r = _residuals(theta, layout, base, pts)
    cost = float(r @ r)
    for _ in range(iterations):
        eps = 1e-4
        J = np.empty((len(r), len(theta)))
        for k in range(len(theta)):
            t2 = theta.copy()
            t2[k] += eps
            J[:, k] = (_residuals(t2, layout, base, pts) - r) / eps
        A = J.T @ J
        gvec = J.T @ r
        improved = False
        for _ in range(8):
            step = np.linalg.solve(A + lam_lm * np.diag(np.diag(A) + 1e-9), -gvec)
            t_new = theta + step
            r_new = _residuals(t_new, layout, base, pts)
            c_new = float(r_new @ r_new)
            if c_new < cost:
                theta, r, cost = t_new, r_new, c_new
                lam_lm = max(lam_lm / 3, 1e-6)
                improved = True
                break
            lam_lm *= 4
        if not improved or np.linalg.norm(step) < 1e-6:
            break
    fams = layout.families(theta, base)
    counts = {f: sum(1 for p in pts if p.family == f) for f in fams}
    fams = {f: T.FamilyEfficiency(**{**e.model_dump(), "points": counts[f],
                                     "note": "fitted" if counts[f] else "prior x shared GPU level (no points)"})
            for f, e in fams.items()}
    return base.model_copy(update={
        "families": fams,
        "fit_points": sorted({f"{p.pipeline}@{p.gpu.slug}:{p.id}" for p in pts}),
        "excluded_points": sorted({p.id for p in points if not eligible(p)}),
    })


# ---------------------------------------------------------------------------------------------- CPU peak
def measure_cpu_peak(n: int = 2048, repeats: int = 5) -> dict[str, float]:
    """This machine's matmul peaks [TFLOP/s]: best of ``repeats`` n x n matmuls, fp32 and (torch only) bf16."""
    flops = 2.0 * n**3
    out: dict[str, float] = {}
    try:
        import torch

        for name, dt_ in (("fp32_tflops", torch.float32), ("bf16_tflops", torch.bfloat16)):
            a = torch.randn(n, n, dtype=dt_)
            b = torch.randn(n, n, dtype=dt_)
            torch.mm(a, b)
            best = min(_timeit(lambda: torch.mm(a, b)) for _ in range(repeats))
            out[name] = flops / best / 1e12
        out["measured_with"] = f"torch.mm {n}^2, {torch.get_num_threads()} threads, best of {repeats}"
    except ImportError:
        a = np.random.rand(n, n).astype(np.float32)
        best = min(_timeit(lambda: a @ a) for _ in range(repeats))
        out["fp32_tflops"] = flops / best / 1e12
        out["bf16_tflops"] = out["fp32_tflops"]
        out["measured_with"] = f"numpy {n}^2 float32, best of {repeats} (no torch: bf16 = fp32)"
    return out


def _timeit(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("diffusers", "torch", "transformers"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def calibrate(write: bool = True, cpu: bool = False, path: Path | None = None,
              catalog: Catalog | None = None) -> T.Calibration:
    """Fit on every measured point, compute the validation error bands, and write ``calibration.yaml``."""
    from advisor import validate as V

    catalog = catalog or load_catalog()
    base = T.load_calibration(path)
    if cpu:
        peak = measure_cpu_peak()
        base = base.model_copy(update={"cpu": base.cpu.model_copy(update={
            "fp32_tflops": peak["fp32_tflops"], "bf16_tflops": peak["bf16_tflops"],
            "measured_with": peak["measured_with"], "as_of": dt.date.today()})})
    points = load_points(catalog, cal=base)
    cal = fit(points, base)
    report = V.validation_report(points, cal, refit=True)
    cal = cal.model_copy(update={
        "fitted_at": dt.date.today(),
        "versions": _versions_of_points(points) or _versions(),
        "method": "least squares on log error, ridge to priors (advisor/calibrate.py)",
        "uncertainty": {
            "calibrated": round(max(0.05, report["p90_abs_pct_error"] / 100), 3),
            "cross_gpu": round(max(0.10, (report["leave_one_gpu_out_p90"] or 25.0) / 100), 3),
            "cold": 0.35,
        },
    })
    if write:
        from advisor.io import atomic_write_text

        atomic_write_text(path or T.CALIBRATION_PATH, T.calibration_to_yaml_text(cal))
    return cal


def _versions_of_points(points: list[ValidationPoint]) -> dict[str, str]:
    """diffusers/torch versions of the measured profiles (public points do not state theirs)."""
    from advisor.measured import load_measured_profiles

    seen: dict[str, set[str]] = {}
    for prof in load_measured_profiles(MEASURED_ROOT):
        for k in ("diffusers", "torch"):
            v = getattr(prof.software, k)
            if v:
                seen.setdefault(k, set()).add(v)
    return {k: ",".join(sorted(v)) for k, v in seen.items()}


def with_points_removed(points: list[ValidationPoint], pred) -> list[ValidationPoint]:
    return [replace(p, use_for_fit=p.use_for_fit and not pred(p)) for p in points]

"""Fit the simulator's efficiencies (``profiles/calibration.yaml``) to measured data.

Data (all *measured*; vendor claims are never fitted):
- measured profiles ``profiles/measured/**.yaml`` (:class:`advisor.catalog.measured.MeasuredProfile`, each with the
  ArchitectureSpec of what ran, so scaled CPU configurations are predicted exactly as they ran);
- public third-party measurements ``profiles/validation/public*.yaml`` (one file per body of sources: ``public.yaml``,
  ``public-amd.yaml``, ...) with ``use_for_fit: true``.

Model (see :mod:`advisor.perf.timing`): for GPU families
    log e[family, op] = log prior[family, op] + g[op] + b[stack(family), op] + d[family, op]
where ``g`` is shared by every GPU family (the data set's overall level), ``b`` the level of a non-CUDA software
stack (ROCm, MPS; 0 for CUDA families: :data:`NON_CUDA_STACK`) and ``d`` a per-family deviation, both pulled
towards 0; the priors carry the *relative* efficiencies of the families from public microbenchmarks (matmul
ceilings, FlashAttention-2 on Ampere vs Hopper). The CPU has its own ``c[op]``. Per-step overheads are
log o[family] = log prior_o + h[family]; the launch floor per transformer layer (advisor.perf.timing) is
log l[family] = log prior_l + g_l + d_l[family] on GPUs (shared level: it is host dispatch cost of the software
stack) and log prior_l + c_l on the CPU. Fitting minimises
    sum_i (log predicted_i - log measured_i)^2 + sum_k lambda_k theta_k^2
(least squares on log error with ridge priors) by damped Gauss-Newton (Levenberg-Marquardt) with a numeric Jacobian.
Efficiencies are capped at 1.0 (no kernel beats the dense peak).

Public API: ValidationPoint, load_points(), fit(points) -> Calibration, predict_point(point, cal),
fit_power_params(profiles, catalog, cal), fit_vram(profiles, catalog), calibrate_with(extra_profiles) (in memory).
The orchestrator that writes ``profiles/calibration.yaml`` is :func:`advisor.fit.refit.calibrate`; this machine's
CPU peak is measured by ``measure.cpu_peak``. Every fit returns a new value: nothing global is changed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from advisor.catalog.architecture import ArchitectureSpec, load_architecture
from advisor.catalog.yaml_reader import read_yaml_file
from advisor.catalog import GPU, REPO_ROOT, Catalog, load_catalog
from advisor.errors import CatalogError
from advisor.perf import _engine as E
from advisor.perf import timing as T
from advisor.fit.power_vram import _gpu_profiles, fit_power_params, fit_vram, power_sample  # noqa: F401 (re-exported)

ROOT = REPO_ROOT
PUBLIC_PATH = ROOT / "profiles" / "validation" / "public.yaml"


def public_paths() -> list[Path]:
    """Every public-point file, ``public.yaml`` first, then ``public-*.yaml`` by name."""
    return [PUBLIC_PATH] + sorted(PUBLIC_PATH.parent.glob("public-*.yaml"))


MEASURED_ROOT = ROOT / "profiles" / "measured"
#: what a point timed; ``denoise_vae`` = the denoising loop + VAE decode without text encoding: a ComfyUI/SwarmUI
#: rerun with an unchanged prompt, whose text-encoder output is cached (profiles/optimizations.yaml comfyui)
TIMED = ("end_to_end", "transformer_step", "transformer_forward", "text_encoder", "vae_decode", "denoise",
         "denoise_vae")
FIT_OPS = ("linear", "attention", "conv", "elementwise", "text_encoder", "vae")
#: every GPU calibration family (advisor.perf.timing.FAMILIES without the CPU); only those with points get a fitted
#: deviation, the others take their prior x the shared GPU level
GPU_FAMILIES = tuple(f for f in T.FAMILIES if f != "cpu")
#: Ridge weights (per unit of log parameter): g shared level weak, d family deviation strong, CPU weak, overhead weak.
LAMBDA = {"g": 0.02, "d": 0.3, "b": 0.05, "c": 0.02, "h": 0.01}
#: The software stack of the non-CUDA families (ROCm: hipBLASLt / its attention kernels; MPS: Metal Performance
#: Shaders). Their points get a level of their own (``b.<stack>.<op>`` on top of the shared ``g``, weakly pulled to 0),
#: so that a few ROCm or MPS runs move the ROCm or MPS families and not the level every CUDA family without points
#: inherits (a T4 or a B200 is not slower because an MI300X runs SGLang at 51% of its matmul peak).
NON_CUDA_STACK = {"rdna3": "rocm", "rdna4": "rocm", "cdna3": "rocm", "apple": "mps"}
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
    #: named optimizations the run used (profiles/optimizations.yaml slugs: a stack's FP8 paths, caches, compile);
    #: predicted with advisor.perf.optimizations.optimized_stages
    optimizations: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def family(self) -> str:
        return self.gpu.architecture


# ------------------------------------------------------------------------------------------------- loading
def _public_points(path: Path, catalog: Catalog) -> list[ValidationPoint]:
    if not path.is_file():
        return []
    data = read_yaml_file(path) or []  # the hardened reader (catalog.yaml_reader); an empty file: no cases
    if not isinstance(data, list):
        raise CatalogError(str(path), None, None, "expected a list of entries at the top level")
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
                group=pipe.slug, note=e.get("note", ""), optimizations=_optimizations_of(e, gpu, catalog, path),
                quality=_quality_of(e, path)))
        except KeyError as exc:
            raise CatalogError(str(path), pid, str(exc.args[0]), "required field is missing") from None
    return out


def _profile_points(profiles: list, catalog: Catalog, cal: T.Calibration) -> list[ValidationPoint]:
    """Validation points of measured profiles; failed runs and partial profiles without runs are skipped."""
    out = []
    for prof in profiles:
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
        if summ.step_seconds is not None and prof.device.kind != "cpu":  # any GPU backend (cuda, rocm, mps)
            out.append(ValidationPoint(id=pid + ":step", measured_seconds=summ.step_seconds.median,
                                       timed="transformer_step", note=f"median of {summ.step_seconds.n} steps", **base))
        if summ.total_seconds is not None:
            out.append(ValidationPoint(id=pid + ":e2e", measured_seconds=summ.total_seconds.median / s.batch_size,
                                       timed="end_to_end", **base))
        for stage, spread in (("text_encoder", summ.text_encoder_seconds), ("vae_decode", summ.vae_decode_seconds)):
            if spread is not None:
                out.append(ValidationPoint(id=pid + ":" + stage, measured_seconds=spread.median, timed=stage, **base))
    return out


def load_points(catalog: Catalog | None = None, public_path: Path | None = None, measured_root: Path | None = None,
                cal: T.Calibration | None = None, extra_profiles: list | None = None) -> list[ValidationPoint]:
    """Every validation point: public (:func:`public_paths`, or only ``public_path``), measured profiles, then
    ``extra_profiles`` (in memory). A point id used twice across the public files is an error."""
    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    from advisor.catalog.measured import load_measured_profiles

    profiles = load_measured_profiles(measured_root or MEASURED_ROOT) + list(extra_profiles or [])
    public: list[ValidationPoint] = []
    seen: dict[str, Path] = {}
    for path in ([public_path] if public_path else public_paths()):
        for p in _public_points(path, catalog):
            if p.id in seen:
                raise CatalogError(str(path), p.id, "id", f"must be unique; also used in {seen[p.id].name}")
            seen[p.id] = path
            public.append(p)
    return public + _profile_points(profiles, catalog, cal)


# ---------------------------------------------------------------------------------------------- prediction
#: workloads keyed by the architecture (identity, held by the workload) and the configuration; pure
_WORKLOADS: dict[tuple, E.Workload] = {}


def _workload(p: ValidationPoint, precision: str | None = None) -> E.Workload:
    """The point's workload (at ``precision`` instead of the point's, for an optimization's weight format)."""
    prec = precision or p.precision
    key = (p.spec.slug, id(p.spec), p.width, p.height, p.steps, p.evals, p.batch, prec, p.text_tokens)
    w = _WORKLOADS.get(key)
    if w is None or w.spec is not p.spec:
        w = _WORKLOADS[key] = E.workload(p.spec, p.width, p.height, p.steps, p.evals, p.batch, prec,
                                         text_tokens=p.text_tokens)
    return w


#: quality labels a public point may carry: ``inconsistent`` = the source's own numbers contradict each other (e.g.
#: a larger image timed faster than a smaller one in the same table), so the point is listed but neither fitted nor
#: scored, like a noisy measured profile
PUBLIC_QUALITY = ("ok", "inconsistent")


def _quality_of(e: dict, path: Path) -> str:
    q = e.get("quality", "ok")
    if q not in PUBLIC_QUALITY:
        raise CatalogError(str(path), e.get("id"), "quality", f"one of {', '.join(PUBLIC_QUALITY)}")
    return q


def _optimizations_of(e: dict, gpu: GPU, catalog: Catalog, path: Path) -> tuple[str, ...]:
    """The entry's ``optimizations`` (list of catalog slugs), checked against the catalog's combination rules for
    its GPU; errors name the file, entry and field."""
    names = e.get("optimizations") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CatalogError(str(path), e.get("id"), "optimizations", "a list of optimization slugs")
    if names:
        from advisor.errors import InputError
        from advisor.perf import optimizations as O

        try:
            O.resolve(tuple(names), gpu, catalog.optimizations, e.get("precision", "bf16"))
        except (InputError, KeyError) as exc:
            raise CatalogError(str(path), e.get("id"), "optimizations", str(exc)) from None
    return tuple(names)


#: optimization plans per (names, GPU slug, precision); pure
_PLANS: dict[tuple, Any] = {}


def _plan(p: ValidationPoint):
    from advisor.perf import optimizations as O

    key = (p.optimizations, p.gpu.slug, id(p.gpu), p.precision)
    hit = _PLANS.get(key)
    if hit is None or hit[0] is not p.gpu:
        book = load_catalog().optimizations
        hit = _PLANS[key] = (p.gpu, O.plan_for(O.resolve(p.optimizations, p.gpu, book, p.precision)))
    return hit[1]


def predict_stages(p: ValidationPoint, cal: T.Calibration,
                   rates: tuple[T.DeviceRates, T.DeviceRates] | None = None) -> dict[str, float]:
    """Predicted stage times of the point's configuration [s] (keys as :data:`TIMED`); ``rates``: the point's
    :func:`advisor.perf._engine.stage_rates` under ``cal`` when the caller has them. A point run with named
    optimizations is predicted with them (:func:`advisor.perf.optimizations.optimized_stages`)."""
    if p.optimizations:
        from advisor.perf import optimizations as O

        w = _workload(p)
        plan = _plan(p)
        w_opt = _workload(p, plan.weight_format) if plan.weight_format else None
        st = O.optimized_stages(p.spec, p.gpu, p.precision, p.width, p.height, p.steps, p.evals, p.batch, plan, cal,
                                w_base=w, w_opt=w_opt)
        return _with_denoise_vae(E.stage_seconds(st.stages, p.steps))
    return _with_denoise_vae(E.stage_seconds(E.time_stages(_workload(p), p.gpu, p.precision, cal, rates), p.steps))


def _with_denoise_vae(stages: dict[str, float]) -> dict[str, float]:
    return {**stages, "denoise_vae": stages["denoise"] + stages["vae_decode"]}


def predict_point(p: ValidationPoint, cal: T.Calibration,
                  rates: tuple[T.DeviceRates, T.DeviceRates] | None = None) -> float:
    """Predicted seconds for what the point timed [s]."""
    return predict_stages(p, cal, rates)[p.timed]


def roofline_check(p: ValidationPoint) -> tuple[bool, float, float]:
    """(passed, floor_seconds, fraction_of_peak) of a point: the floor at 100% of peak for what was timed."""
    key = (p.id, p.gpu.slug, id(p.gpu), id(p.spec), p.width, p.height, p.steps, p.evals, p.batch, p.precision, p.text_tokens,
           p.measured_seconds, p.timed, p.kind, p.optimizations)
    hit = _ROOFLINE.get(key)
    if hit is not None and hit[0] is p.spec and hit[1] is p.gpu:
        return hit[2]
    # the physical floor: datasheet peaks; a run with FP8 matmuls (a named optimization) at the FP8 rate
    fp8_mm = bool(p.optimizations) and (_plan(p).matmul_tensor_key or "").startswith("fp8")
    fl = E.floor_stages(_workload(p), p.gpu, "fp8" if fp8_mm else p.precision)
    ev, te, vae = fl["forward"], fl["text_encoder"], fl["vae_decode"]
    floor = {"transformer_forward": ev, "transformer_step": ev, "denoise": ev * p.steps, "text_encoder": te,
             "denoise_vae": ev * p.steps + vae,
             "vae_decode": vae, "end_to_end": te + ev * p.steps + vae}[p.timed]
    frac = floor / p.measured_seconds
    # The low bound flags timings that must contain unlabelled work; a measured profile's text-encoder / VAE stage
    # timings are exactly that stage (CUDA events around the module call), which runs far below peak
    # (GroupNorm, small-batch GEMMs), so only the physical upper bound applies to them.
    exact_stage = p.kind == "measured" and p.timed in ("text_encoder", "vae_decode")
    out = ((frac <= 1.0 and (frac >= MIN_PLAUSIBLE_FRACTION or exact_stage)), floor, frac)
    _ROOFLINE[key] = (p.spec, p.gpu, out)  # holds spec and GPU, so their ids cannot be reused while the entry lives
    return out


#: roofline checks keyed by everything the floor depends on (the GPU's datasheet numbers, the architecture, the
#: configuration, what was timed); pure and deterministic, so sharing it between sessions is safe
_ROOFLINE: dict[tuple, tuple[ArchitectureSpec, GPU, tuple[bool, float, float]]] = {}


def eligible(p: ValidationPoint) -> bool:
    """A point the fit may use: marked ``use_for_fit``, good measurement quality, passes the roofline check."""
    return p.use_for_fit and p.quality == "ok" and roofline_check(p)[0]


# ------------------------------------------------------------------------------------------------------ fit
class _Params:
    """Parameter vector layout. ``fitted``: the GPU families with points (a family without points has no deviation
    or overhead parameter of its own: a ridge-pulled zero column would only cost Jacobian evaluations)."""

    def __init__(self, fitted: tuple[str, ...] = GPU_FAMILIES):
        self.names: list[str] = []
        self.lam: list[float] = []
        self.fitted = tuple(f for f in GPU_FAMILIES if f in fitted)
        for op in FIT_OPS:
            self._add(f"g.{op}", LAMBDA["g"])
        for f in self.fitted:
            for op in FIT_OPS:
                self._add(f"d.{f}.{op}", LAMBDA["d"])
        for stack in sorted({NON_CUDA_STACK[f] for f in self.fitted if f in NON_CUDA_STACK}):
            for op in FIT_OPS:
                self._add(f"b.{stack}.{op}", LAMBDA["b"])
        for op in FIT_OPS:
            self._add(f"c.{op}", LAMBDA["c"])
        for f in self.fitted + ("cpu",):
            self._add(f"h.{f}", LAMBDA["h"])
        # launch floor per layer: shared GPU level (host dispatch cost of the software stack) + family deviation
        self._add("g.latency", LAMBDA["g"])
        for f in self.fitted:
            self._add(f"d.{f}.latency", LAMBDA["d"])
        self._add("c.latency", LAMBDA["c"])
        self.index = {n: i for i, n in enumerate(self.names)}

    def _theta(self, theta: np.ndarray, name: str) -> float:
        i = self.index.get(name)
        return 0.0 if i is None else float(theta[i])

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
                lg += self._theta(theta, f"c.{op}") if f == "cpu" else (
                    self._theta(theta, f"g.{op}") + self._theta(theta, f"d.{f}.{op}")
                    + (self._theta(theta, f"b.{NON_CUDA_STACK[f]}.{op}") if f in NON_CUDA_STACK else 0.0))
                vals[op] = min(1.0, math.exp(lg))
            vals["step_overhead_seconds"] = prior["step_overhead_seconds"] * math.exp(self._theta(theta, f"h.{f}"))
            vals["per_layer_latency_seconds"] = prior["per_layer_latency_seconds"] * math.exp(
                self._theta(theta, "c.latency") if f == "cpu" else
                self._theta(theta, "g.latency") + self._theta(theta, f"d.{f}.latency"))
            old = base.families.get(f)
            vals["weights"] = old.weights if old else 0.8
            vals["matmul_ceiling_fraction"] = prior.get("matmul_ceiling_fraction", 1.0)
            vals["copy_ceiling_fraction"] = prior.get("copy_ceiling_fraction", 1.0)
            out[f] = T.FamilyEfficiency.model_construct(**vals, points=0, note="")
        return out


def _cal_with(base: T.Calibration, fams: dict[str, T.FamilyEfficiency]) -> T.Calibration:
    return base.model_copy(update={"families": fams})


def _residuals(theta, layout, base, points, rates):
    """Log errors of every point + ridge terms; ``rates[i]``: point i's device rates (fixed during a fit: the
    ceiling fractions come from the priors, only the efficiencies move)."""
    cal = _cal_with(base, layout.families(theta, base))
    r = [math.log(predict_point(p, cal, rt) / p.measured_seconds) for p, rt in zip(points, rates)]
    r += [math.sqrt(l) * t for l, t in zip(layout.lam, theta)]
    return np.array(r)


def fit(points: list[ValidationPoint], base: T.Calibration | None = None, iterations: int = 40) -> T.Calibration:
    """Fit efficiencies to ``points`` (those with ``use_for_fit``); returns a new Calibration (not written)."""
    base = base or T.load_calibration()
    base = base.model_copy(update={"families": {f: T.FamilyEfficiency(**v) for f, v in T.PRIOR_FAMILIES.items()}})
    pts = [p for p in points if eligible(p)]
    layout = _Params(tuple(sorted({p.family for p in pts})))
    theta = np.zeros(len(layout.names))
    lam_lm = 1e-2
    start = _cal_with(base, layout.families(theta, base))
    rates = [E.stage_rates(p.gpu, p.precision, start) for p in pts]
    r = _residuals(theta, layout, base, pts, rates)
    cost = float(r @ r)
    for _ in range(iterations):
        eps = 1e-4
        J = np.empty((len(r), len(theta)))
        for k in range(len(theta)):
            t2 = theta.copy()
            t2[k] += eps
            J[:, k] = (_residuals(t2, layout, base, pts, rates) - r) / eps
        A = J.T @ J
        gvec = J.T @ r
        improved = False
        for _ in range(8):
            step = np.linalg.solve(A + lam_lm * np.diag(np.diag(A) + 1e-9), -gvec)
            t_new = theta + step
            r_new = _residuals(t_new, layout, base, pts, rates)
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
                                     "note": "fitted" if counts[f] else (
                                         "from specs only: datasheet peaks x generic prior x shared GPU level "
                                         "(no measured points; software stack not measured)"
                                         if f in T.NON_CUDA_FAMILIES else "prior x shared GPU level (no points)")})
            for f, e in fams.items()}
    return base.model_copy(update={
        "families": fams,
        "fit_points": sorted({f"{p.pipeline}@{p.gpu.slug}:{p.id}" for p in pts}),
        "excluded_points": sorted({p.id for p in points if not eligible(p)}),
    })


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("diffusers", "torch", "transformers"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def calibrate_with(extra_profiles: list | None = None, catalog: Catalog | None = None,
                   base: T.Calibration | None = None) -> T.Calibration:
    """In-memory calibration on the committed data plus ``extra_profiles`` (e.g. an uploaded MeasuredProfile).

    No file is read besides the committed profiles and nothing is written; the timing efficiencies, the power model
    and the VRAM constants are refitted into a new Calibration value (nothing global changes, so two sessions
    calibrating at once each get their own). Results are cached on the identity of the profiles, catalog and base
    calibration passed (the entry holds them, so an id cannot be reused while it lives): a page can call it on every
    rerun. Use the result with ``advisor.perf.estimate(req, calibration=cal)``.
    """
    extra = tuple(extra_profiles or ())
    catalog = catalog or load_catalog()
    base = base or T.load_calibration()
    key = (tuple(id(p) for p in extra), id(catalog), id(base))
    hit = _CAL_WITH_CACHE.get(key)
    if hit is not None:
        (held_extra, held_catalog, held_base), cached = hit
        if held_catalog is catalog and held_base is base and all(a is b for a, b in zip(held_extra, extra)):
            return cached
    from advisor.catalog.measured import load_measured_profiles

    profiles = load_measured_profiles(MEASURED_ROOT) + list(extra)
    points = load_points(catalog, cal=base, extra_profiles=list(extra))
    cal = fit(points, base)
    params, energy = fit_power_params(profiles, catalog, cal)
    cal = cal.model_copy(update={"power": params, "energy": energy, "vram": fit_vram(profiles, catalog) or dict(base.vram),
                                 "notes": list(base.notes) + [f"in-memory refit with {len(extra)} extra profile(s)"]})
    with _CAL_WITH_LOCK:
        if len(_CAL_WITH_CACHE) > 16:
            _CAL_WITH_CACHE.clear()
        _CAL_WITH_CACHE[key] = ((extra, catalog, base), cal)
    return cal


_CAL_WITH_CACHE: dict[tuple, tuple[tuple, T.Calibration]] = {}
_CAL_WITH_LOCK = threading.Lock()


def _ceilings_used(catalog: Catalog) -> dict[str, str]:
    out = {}
    for slug in catalog.gpus:
        c = T.load_ceilings(slug)
        if c is not None:
            out[slug] = (f"profiles/ceilings/{slug}.yaml: bf16 {c.bf16_matmul_median_tflops} TFLOP/s, copy "
                         f"{c.copy_median_gb_per_s} GB/s (medians), {c.measured_at or ''} torch {c.torch or '?'}")
    return out


def with_points_removed(points: list[ValidationPoint], pred) -> list[ValidationPoint]:
    return [replace(p, use_for_fit=p.use_for_fit and not pred(p)) for p in points]

"""Apply named optimizations (``profiles/optimizations.yaml``) to the simulator (issue 12).

Pure functions from a set of catalog optimizations to the simulator's inputs, then one orchestrator
(:func:`simulate_optimized`) that runs the same stages as :func:`advisor.perf._engine.simulate` with them:

- weight format (bytes per weight): the denoiser's weight bytes, its VRAM and its PCIe transfers use the format's
  bytes (advisor.perf.flops.PRECISION_BYTES); the text encoders and the VAE keep the request's precision;
- matmul rate: the denoiser's linears run at ``gpu.tensor_tflops[matmul_tensor_key] x matmul_rate_multiplier``,
  scaled to the achievable rate like the BF16 one (measured ceilings / family ceiling fraction,
  :func:`advisor.perf.timing.device_rates`); fp8_fp32acc uses the measured FP8 ceiling where one exists;
- kernel efficiency: e_linear x linear_efficiency_factor, e_attention x attention_efficiency_factor, each at most
  1.0 of the rate the kernel runs at (a quantised attention kernel runs at its INT8/FP8 tensor path's rate,
  :func:`attention_rate_ratio`); unfused elementwise bytes x elementwise_traffic_factor (= e_elementwise / factor); host dispatch floor and
  per-step overhead x launch_overhead_factor (factors multiply when several optimizations set one);
- extra traffic: dequant_bytes_per_weight x linear weights per forward (a weight format's per-layer upcast), and
  activation_quant_bytes_per_element x linear input elements per forward (times the elementwise traffic factor: a
  compiler fuses them too); an FP8 weight cast (:data:`CAST_FORMATS`) and the activation quantisation ops are
  whole-tensor streaming passes, charged at the weight-streaming rate (BW x e_weights); block-format dequantisation
  (GGUF, NF4) is charged as unfused elementwise traffic;
- step caching: the denoise stage runs ``(1 - s) + s x c`` of its evaluations, s = evals_skipped_fraction,
  c = 1 / transformer layers when a skipped evaluation still runs the first block (First-Block-Cache) else 0;
- fixed costs: compile_seconds adds to the cold start, per_image_overhead_seconds to every image.

Combination rules (:func:`resolve`): at most one weight format, one attention kernel, one step cache, one serving
stack; a serving stack adds its ``includes`` (only those the GPU supports when ``include_where_supported``);
a weight format needs ``--precision bf16`` or ``fp16`` (it replaces the request's denoiser precision); every
optimization needs the GPU's compute capability >= its minimum and, if listed, its architecture family.
Violations raise :class:`advisor.errors.InputError` with one line naming why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from advisor.catalog import GPU, Catalog
from advisor.catalog.optimizations import Optimization, OptimizationBook
from advisor.errors import InputError
from advisor.perf.power import rest_of_system

#: weight formats whose per-layer upcast is a single dtype cast (``weight.to(bfloat16)``): a whole-tensor streaming
#: pass at the weight-streaming rate. Block-quantised formats (GGUF k-quants, NF4) dequantise with several tensor ops
#: per block layout (unpack, scale, offset: ComfyUI-GGUF dequant.py, bitsandbytes), charged as unfused elementwise
#: traffic like the rest of that class.
CAST_FORMATS = ("fp8",)
#: kinds of which a request may hold at most one (weights and compute both set the weight format)
EXCLUSIVE_GROUPS = {"weights": "weight format", "compute": "weight format", "attention": "attention kernel",
                    "step-cache": "step cache", "serving-stack": "serving stack"}
FAMILY_NAMES = {"ampere": "Ampere", "ada": "Ada", "hopper": "Hopper", "blackwell": "Blackwell", "cpu": "a CPU"}


@dataclass(frozen=True)
class AppliedFactor:
    """One factor an optimization applied, with its source (for the CLI's JSON and the recommender's reasons)."""

    optimization: str
    field: str
    value: float | None  # None for a rate key (the key is in ``source``)
    source: str


@dataclass(frozen=True)
class OptimizationPlan:
    """The combined effect of a set of optimizations on the simulator's inputs (see module docstring)."""

    names: tuple[str, ...] = ()
    weight_format: str | None = None
    matmul_tensor_key: str | None = None
    matmul_rate_multiplier: float = 1.0
    linear_factor: float = 1.0
    attention_factor: float = 1.0
    elementwise_traffic_factor: float = 1.0
    launch_overhead_factor: float = 1.0
    dequant_bytes_per_weight: float = 0.0
    activation_quant_bytes_per_element: float = 0.0
    evals_skipped_fraction: float = 0.0
    skipped_eval_runs_first_block: bool = False
    compile_seconds: float = 0.0
    per_image_overhead_seconds: float = 0.0
    changes_quality: bool = False
    applied: tuple[AppliedFactor, ...] = field(default_factory=tuple)


def book_of(catalog: Catalog) -> OptimizationBook:
    """The catalog's optimizations (empty book when profiles/optimizations.yaml is absent)."""
    return catalog.optimizations


def compute_capability(gpu: GPU, book: OptimizationBook) -> float | None:
    """CUDA compute capability of ``gpu`` [major.minor]; None for the CPU or when the catalog has no table."""
    if gpu.architecture == "cpu" or book.compute_capability is None:
        return None
    return book.compute_capability.of(gpu.slug, gpu.architecture)


def support_problem(opt: Optimization, gpu: GPU, book: OptimizationBook) -> str | None:
    """Why ``opt`` cannot run on ``gpu`` (one phrase), or None when it can."""
    cc = compute_capability(gpu, book)
    family = FAMILY_NAMES.get(gpu.architecture, gpu.architecture)
    backend = getattr(gpu, "backend", "cuda") if gpu.architecture != "cpu" else "cpu"
    if backend in ("rocm", "mps"):
        if backend not in opt.backends:
            return f"{opt.slug} runs on {', '.join(opt.backends)}; {gpu.slug} is {family} ({backend})"
        return None
    if cc is None:
        return f"{opt.slug} needs a CUDA GPU; {gpu.slug} is {family}"
    if opt.architectures is not None and gpu.architecture not in opt.architectures:
        allowed = ", ".join(FAMILY_NAMES.get(a, a) for a in opt.architectures)
        return f"{opt.slug} runs on {allowed} only; {gpu.slug} is {family} ({cc:.1f})"
    if cc < opt.min_compute_capability:
        return (f"{opt.slug} needs compute capability >= {opt.min_compute_capability:.1f}; "
                f"{gpu.slug} is {family} ({cc:.1f})")
    if opt.matmul_tensor_key is not None and opt.matmul_tensor_key not in gpu.tensor_tflops:
        return f"{opt.slug} needs the {opt.matmul_tensor_key} tensor rate, which {gpu.slug} does not list"
    return None


def resolve(names: tuple[str, ...] | list[str], gpu: GPU, book: OptimizationBook,
            precision: str = "bf16") -> tuple[Optimization, ...]:
    """Catalog optimizations for ``names`` on ``gpu`` after the combination rules (module docstring), serving
    stacks expanded; raises :class:`InputError` naming the first violation."""
    out: list[Optimization] = []
    seen_group: dict[str, str] = {}

    def add(o: Optimization, via: str | None = None) -> None:
        if any(x.slug == o.slug for x in out):
            return
        problem = support_problem(o, gpu, book)
        if problem is not None:
            if via is not None and book.get(via).include_where_supported:
                return  # the stack runs without this part on this GPU
            raise InputError("optimization", o.slug, problem)
        group = EXCLUSIVE_GROUPS.get(o.kind)
        if group is not None and group in seen_group:
            raise InputError("optimization", o.slug, f"one {group} at a time; {seen_group[group]} is already one "
                                                    f"(combine one each of weight format, attention kernel, step "
                                                    f"cache, serving stack, plus torch-compile)")
        if o.weight_format is not None and precision not in ("bf16", "fp16"):
            raise InputError("optimization", o.slug, f"--precision bf16 or fp16 with a weight-format optimization "
                                                    f"(it sets the denoiser's weights itself; got --precision {precision})")
        if group is not None:
            seen_group[group] = o.slug
        out.append(o)
        for inc in o.includes:
            add(book.get(inc), via=o.slug)

    for n in names:
        add(book.get(n))
    return tuple(out)


def combined_skip_fraction(fractions: list[float]) -> float:
    """Fraction of evaluations skipped by independent caches: 1 - prod(1 - s_i) [1] (one cache at a time is
    enforced, so this is the single value in practice)."""
    keep = 1.0
    for s in fractions:
        keep *= 1.0 - s
    return 1.0 - keep


def plan_for(opts: tuple[Optimization, ...]) -> OptimizationPlan:
    """Combine ``opts`` into one :class:`OptimizationPlan` (factors multiply; fixed seconds add)."""
    kw: dict = dict(linear_factor=1.0, attention_factor=1.0, elementwise_traffic_factor=1.0,
                    launch_overhead_factor=1.0, matmul_rate_multiplier=1.0, dequant_bytes_per_weight=0.0,
                    activation_quant_bytes_per_element=0.0, compile_seconds=0.0, per_image_overhead_seconds=0.0)
    applied: list[AppliedFactor] = []
    skips: list[float] = []
    mult = {"linear_efficiency_factor": "linear_factor", "attention_efficiency_factor": "attention_factor",
            "elementwise_traffic_factor": "elementwise_traffic_factor",
            "launch_overhead_factor": "launch_overhead_factor", "matmul_rate_multiplier": "matmul_rate_multiplier"}
    add = {"dequant_bytes_per_weight": "dequant_bytes_per_weight",
           "activation_quant_bytes_per_element": "activation_quant_bytes_per_element",
           "compile_seconds": "compile_seconds", "per_image_overhead_seconds": "per_image_overhead_seconds"}
    weight_format = key = None
    first_block = False
    for o in opts:
        for f, k in mult.items():
            v = getattr(o, f)
            if v is not None:
                kw[k] *= v.value
                applied.append(AppliedFactor(o.slug, f, v.value, v.source))
        for f, k in add.items():
            v = getattr(o, f)
            if v is not None:
                kw[k] += v.value
                applied.append(AppliedFactor(o.slug, f, v.value, v.source))
        if o.weight_format is not None:
            weight_format = o.weight_format
            from advisor.perf.flops import precision_bytes

            applied.append(AppliedFactor(o.slug, "weight_format", precision_bytes(o.weight_format),
                                         f"{o.weight_format} bytes per weight (advisor.perf.flops.PRECISION_BYTES; "
                                         f"{'; '.join(o.sources)})"))
        if o.matmul_tensor_key is not None:
            key = o.matmul_tensor_key
            applied.append(AppliedFactor(o.slug, "matmul_tensor_key", None,
                                         f"{o.matmul_tensor_key} (profiles/gpus.yaml tensor_tflops)"))
        if o.evals_skipped_fraction is not None:
            skips.append(o.evals_skipped_fraction.value)
            first_block = first_block or o.skipped_eval_runs_first_block
            applied.append(AppliedFactor(o.slug, "evals_skipped_fraction", o.evals_skipped_fraction.value,
                                         o.evals_skipped_fraction.source))
    return OptimizationPlan(names=tuple(o.slug for o in opts), weight_format=weight_format, matmul_tensor_key=key,
                            evals_skipped_fraction=combined_skip_fraction(skips),
                            skipped_eval_runs_first_block=first_block,
                            changes_quality=any(o.changes_quality for o in opts), applied=tuple(applied), **kw)


def evaluated_fraction(skip: float, first_block: bool, layers: int) -> float:
    """Share of the denoiser's work still done with step caching [1]: (1 - s) + s x (1 / layers if the skipped
    evaluations run the first block, else 0)."""
    cached_cost = (1.0 / layers) if (first_block and layers > 0) else 0.0
    return (1.0 - skip) + skip * cached_cost


def linear_weight_count(spec) -> float:
    """Linear weights of the denoiser [parameters] (in x out x count over its linear groups)."""
    return float(sum(g.in_features * g.out_features * g.count for g in spec.transformer.linears))


def linear_input_elements(spec, width: int, height: int, text_tokens: int, batch: int,
                          reference_tokens: int = 0) -> float:
    """Elements entering the denoiser's linears in one forward [elements]: sum of tokens(stream) x in_features x
    count x batch (streams image / text / joint; other streams counted as joint)."""
    from advisor.perf import flops as F

    n_i = F.image_tokens(spec, width, height) + reference_tokens
    tokens = {"image": n_i, "text": text_tokens, "joint": n_i + text_tokens}
    return float(sum(tokens.get(g.stream, n_i + text_tokens) * g.in_features * g.count for g in spec.transformer.linears)
                 * batch)


#: Highest fraction of the rate a kernel runs at that an optimized linear or attention kernel may reach [1]: an
#: efficiency is achieved / achievable rate, so a kernel factor (x2 for SageAttention, x1.5 for FlashAttention-3)
#: applied to a calibrated efficiency near 1 (the GeForce Ada fit has linear 1.0, attention 0.998) must not take it
#: past the achievable rate. A kernel that is faster because it runs on a faster tensor path (SageAttention's INT8
#: QK^T and FP8 PV) gets that path's rate instead (:func:`attention_rate_ratio`), never an efficiency above 1.
MAX_KERNEL_EFFICIENCY = 1.0
#: Tensor paths of an attention kernel that quantises its inputs: (QK^T keys, PV keys) in profiles/gpus.yaml
#: ``tensor_tflops``, the first one a GPU lists is used. SageAttention's ``sageattn`` dispatch (github
#: thu-ml/SageAttention sageattention/core.py, read 2026-12-07): QK^T in INT8 on every supported GPU; PV in FP8 with
#: FP16 accumulation on sm89 and sm120 (pv_accum_dtype 'fp32+fp16', kernel qk_int8_sv_f8_accum_f16), FP8 with FP32
#: accumulation on sm90 ('fp32+fp32'; Hopper lists one FP8 rate for both accumulators), FP16 (Triton, FP16
#: accumulation) on sm86 and FP16 with FP32 accumulation on sm80 (A100: one FP16 rate for both).
QUANTISED_ATTENTION_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sage-attention": (("int8_tops",), ("fp8_fp16acc", "fp8_fp32acc", "fp16_fp16acc", "fp16_fp32acc")),
}


def attention_rate_ratio(gpu: GPU, plan: OptimizationPlan) -> float:
    """Dense rate of the plan's quantised attention path / the activation-precision (BF16) attention rate [1]; 1.0
    without a quantised attention kernel (:data:`QUANTISED_ATTENTION_KEYS`) or when the GPU lists neither path.

    QK^T and PV have the same FLOPs (2 x S^2 x d each), one after the other, so the path's rate is the harmonic mean
    of the two datasheet rates: 2 / (1/R_qk + 1/R_pv). Both datasheet rates are scaled to the achievable rate by the
    same factor as the BF16 one (:func:`advisor.perf.timing.device_rates`), so the ratio of datasheet rates is the
    ratio of achievable rates. Never below 1 (the kernel would not be chosen)."""
    from advisor.perf import timing as T

    paths = [QUANTISED_ATTENTION_KEYS[n] for n in plan.names if n in QUANTISED_ATTENTION_KEYS]
    if not paths or gpu.architecture == "cpu":
        return 1.0
    qk_keys, pv_keys = paths[0]
    qk = next((gpu.tensor_tflops[k].value for k in qk_keys if k in gpu.tensor_tflops), None)
    pv = next((gpu.tensor_tflops[k].value for k in pv_keys if k in gpu.tensor_tflops), None)
    if qk is None or pv is None:
        return 1.0
    bf16 = T._rate(gpu, T.MATMUL_KEYS["bf16"] + ("fp32",)) / 1e12
    return max(1.0, 2.0 / (1.0 / qk + 1.0 / pv) / bf16)


def adjusted_efficiency(eff, plan: OptimizationPlan, attention_ratio: float = 1.0):
    """The family efficiencies with the plan's kernel factors applied (a copy; fields not re-validated, since a
    factor may take an efficiency past the calibration's fitting bounds).

    linear = min(e_linear x linear_factor, 1) of the matmul rate the plan runs at (:func:`denoiser_rates`);
    attention = min(e_attention x attention_factor / ``attention_ratio``, 1) of the attention rate, which
    :func:`denoiser_rates` multiplies by ``attention_ratio`` (:func:`attention_rate_ratio`) for a quantised kernel:
    the kernel keeps its measured speed-up over SDPA until it reaches its tensor path's achievable rate
    (:data:`MAX_KERNEL_EFFICIENCY`). elementwise = e / elementwise_traffic_factor: the factor scales the bytes moved
    (fusion removes round trips), not the bandwidth reached, so it is not capped."""
    return eff.model_copy(update={
        "linear": min(eff.linear * plan.linear_factor, MAX_KERNEL_EFFICIENCY),
        "attention": min(eff.attention * plan.attention_factor / attention_ratio, MAX_KERNEL_EFFICIENCY),
        "elementwise": eff.elementwise / plan.elementwise_traffic_factor,
        "per_layer_latency_seconds": eff.per_layer_latency_seconds * plan.launch_overhead_factor,
        "step_overhead_seconds": eff.step_overhead_seconds * plan.launch_overhead_factor,
    })


def denoiser_rates(gpu: GPU, precision: str, plan: OptimizationPlan, cal):
    """Achievable rates for the denoiser under the plan [FLOP/s, B/s] (module docstring); the attention rate is the
    quantised attention path's for a kernel such as SageAttention (:func:`attention_rate_ratio`)."""
    from advisor.perf import timing as T

    base = T.device_rates(gpu, precision, cal)
    key = plan.matmul_tensor_key
    if key is None:
        mm = base.matmul_flops_per_s
    elif key.startswith("fp8"):
        mm = T.device_rates(gpu, "fp8", cal).matmul_flops_per_s
        sheet = gpu.tensor_tflops
        if key == "fp8_fp16acc" and "fp8_fp16acc" in sheet and "fp8_fp32acc" in sheet:
            # fast accumulation: the FP32-accumulate rate (measured where a ceiling exists) x the datasheet ratio
            # of the two accumulate modes (2 on GeForce Ada, 1 on Hopper and GeForce Blackwell)
            mm *= sheet["fp8_fp16acc"].value / sheet["fp8_fp32acc"].value
    else:
        sheet_bf16 = T._rate(gpu, ("bf16_fp32acc", "fp16_fp32acc", "fp32"))
        achievable = T.device_rates(gpu, "bf16", cal).matmul_flops_per_s / sheet_bf16
        mm = gpu.tensor_tflops[key].value * 1e12 * achievable
    return replace(base, matmul_flops_per_s=mm * plan.matmul_rate_multiplier,
                   attention_flops_per_s=base.attention_flops_per_s * attention_rate_ratio(gpu, plan))


@dataclass(frozen=True)
class OptimizedStages:
    """Stage times of one configuration under an :class:`OptimizationPlan` (see :func:`optimized_stages`)."""

    stages: object  # advisor.perf._engine.StagePlan; step_seconds already scaled by the evaluated fraction
    w_base: object  # Workload at the request's precision (text encoders, VAE)
    w_opt: object  # Workload at the plan's weight format (denoiser)
    wprec: str  # the denoiser's weight precision
    eff_opt: object  # FamilyEfficiency with the plan's kernel factors
    evaluated_fraction: float  # share of denoiser evaluations still run (step caching) [1]


def optimized_stages(spec, gpu: GPU, precision: str, width: int, height: int, steps: int, evals: int, batch: int,
                     plan: OptimizationPlan, cal, w_base=None, w_opt=None, reference_tokens: int = 0,
                     text_tokens: int | None = None) -> OptimizedStages:
    """Text encoder, one denoiser forward, VAE and the step time [s] of a configuration under ``plan`` (module
    docstring). An FP8 weight cast (dequant_bytes_per_weight x linear weights) and the activation quantisation
    (activation_quant_bytes_per_element x linear input elements) are streaming traffic: each reads and writes whole
    tensors (``extra_stream_bytes`` of :func:`advisor.perf.timing.stage_time`); a block-format dequantisation is
    elementwise traffic. ``w_base``/``w_opt``:
    the workloads when the caller has them (the fit caches them)."""
    from advisor.perf import _engine as E
    from advisor.perf import timing as T

    wprec = plan.weight_format or precision
    kw = {"reference_tokens": reference_tokens} if reference_tokens else {}
    if text_tokens is not None:
        kw["text_tokens"] = text_tokens
    w_base = w_base or E.workload(spec, width, height, steps, evals, batch, precision, **kw)
    w_opt = w_opt or (E.workload(spec, width, height, steps, evals, batch, wprec, **kw) if wprec != precision
                      else w_base)
    eff = cal.families[gpu.architecture]
    eff_opt = adjusted_efficiency(eff, plan, attention_rate_ratio(gpu, plan))
    rates_te = T.device_rates(gpu, precision, cal)
    te_layers = sum(E.transformer_layers(c) for c in spec.text_encoders) * evals
    te = T.stage_time(w_base.te, rates_te, eff, text_encoder=True, layers=te_layers)
    layers = E.transformer_layers(spec.transformer)
    dequant = linear_weight_count(spec) * plan.dequant_bytes_per_weight
    if plan.weight_format is None:
        elem_extra, stream_extra = E.quantised_dequant_bytes(spec, wprec), 0.0
    elif plan.weight_format in CAST_FORMATS:
        elem_extra, stream_extra = 0.0, dequant  # one dtype cast per weight tensor: a streaming pass
    else:
        elem_extra, stream_extra = dequant, 0.0  # block formats dequantise with several small ops per tensor
    # quantising a linear's input is one pass over a whole activation tensor (tens of MB per linear at 1 MP): a
    # streaming kernel like the weight cast, not one of the many small fused-away ops the elementwise class stands for
    stream_extra += (plan.activation_quant_bytes_per_element * plan.elementwise_traffic_factor
                     * linear_input_elements(spec, width, height, w_opt.text_tokens, batch * evals, reference_tokens))
    ev = T.stage_time(w_opt.eval_cost, denoiser_rates(gpu, precision, plan, cal), eff_opt,
                      extra_elementwise_bytes=elem_extra, layers=layers, extra_stream_bytes=stream_extra)
    vae_rates = T.device_rates(gpu, "fp32" if precision == "fp32" else "bf16", cal)
    vae = T.stage_time(w_base.vae, vae_rates, eff, vae=True)
    frac = evaluated_fraction(plan.evals_skipped_fraction, plan.skipped_eval_runs_first_block, layers)
    step = ev.seconds * frac + eff_opt.step_overhead_seconds
    return OptimizedStages(E.StagePlan(te, ev, vae, step), w_base, w_opt, wprec, eff_opt, frac)


def simulate_optimized(req, catalog: Catalog, cal=None):
    """:func:`advisor.perf._engine.simulate` with ``req.optimizations`` applied (module docstring); the result's
    ``optimizations_applied`` lists every factor with its source. With no optimizations the numbers equal the
    engine's (tests/test_optimizations.py checks this)."""
    from advisor.catalog.architecture import load_architecture
    from advisor.perf import PerfEstimate, device_for
    from advisor.perf import _engine as E
    from advisor.perf import memory as M
    from advisor.perf import timing as T

    cal = cal or T.load_calibration()
    pipe = catalog.pipeline(req.pipeline)
    gpu = E.cpu_device(cal) if req.gpu == "cpu" else device_for(req.gpu, catalog)
    book = book_of(catalog)
    opts = resolve(req.optimizations, gpu, book, req.precision)
    plan = plan_for(opts)
    spec = load_architecture(pipe.slug)
    steps = req.steps or pipe.default_steps
    evals = E.resolve_evals(pipe, req.guidance)
    b = req.batch_size
    n_ref = E.reference_tokens_of(req, pipe, spec)  # input images join the image stream (advisor.perf.settings)
    os_ = optimized_stages(spec, gpu, req.precision, req.width, req.height, steps, evals, b, plan, cal,
                           reference_tokens=n_ref)
    wprec, w_base, w_opt, eff_opt, frac = os_.wprec, os_.w_base, os_.w_opt, os_.eff_opt, os_.evaluated_fraction
    sp = os_.stages
    te, ev, vae, step = sp.text_encoder, sp.eval_time, sp.vae, sp.step_seconds

    from advisor.perf.settings import weight_precisions

    precisions = weight_precisions(spec, req.precision, plan.weight_format, plan.matmul_tensor_key)
    k = M.constants_of(cal)

    def vb_for(strategy: str):
        return M.peak_vram_breakdown(spec, req.width, req.height, w_opt.prompt_tokens, b, wprec, strategy,
                                     precisions, constants=k, reference_tokens=n_ref, evals_per_step=evals)

    from advisor.perf import vram_fit as VF

    fit = VF.choose_offload(gpu, req.offload, vb_for)  # the engine's fit check (unified memory included)
    chosen, vb, fits = fit.offload, fit.breakdown, fit.fits
    notes: list[str] = list(fit.notes)
    t_xfer = _transfer_seconds(spec, gpu, wprec, precisions, chosen, sp, steps, E.weight_streams_per_step(spec, evals))
    stages_call = {"text_encoder": te.seconds, "denoise": step * steps, "vae_decode": vae.seconds,
                   "offload_transfer": t_xfer}
    total_call = sum(stages_call.values()) + plan.per_image_overhead_seconds * b
    stages = {key: v / b for key, v in stages_call.items()}
    notes.extend(T.family_notes(cal, gpu))
    if plan.names:
        notes.append("optimizations: " + ", ".join(plan.names)
                     + (" (changes image quality)" if plan.changes_quality else ""))
    compute_s = te.compute_seconds + ev.compute_seconds * frac * steps + vae.compute_seconds
    memory_s = te.memory_seconds + ev.memory_seconds * frac * steps + vae.memory_seconds
    bound = "transfer" if t_xfer > max(compute_s, memory_s) else ("compute" if compute_s >= memory_s else "memory")
    split = E.PowerSplit(compute_s, memory_s + (step - ev.seconds * frac + ev.launch_bound_seconds * frac) * steps
                         + te.launch_bound_seconds + vae.launch_bound_seconds, t_xfer)
    pw = E.board_power_watts(gpu, cal, split)
    weights_bytes = M.total_weight_gib(spec, wprec, precisions) * M.GIB
    cold = E.COLD_FIXED_SECONDS + weights_bytes / (E.DISK_GB_PER_S * 1e9) + plan.compile_seconds
    if gpu.architecture != "cpu" and chosen == "none":
        cold += weights_bytes / (gpu.pcie_gb_per_s * 1e9 * E.PCIE_EFFICIENCY["model"])
    return PerfEstimate(
        request=req, seconds_per_image=total_call / b, stages_seconds=stages, seconds_per_step=step,
        cold_start_seconds=cold, peak_vram_gib=vb.total_gib, fits=fits, offload=chosen,
        required_vram_gib=vb.required_gib, vram_limit_gib=fit.limit.gib,
        energy_per_image_joules=pw * total_call / b, board_power_watts=pw,
        system_power_watts=pw + rest_of_system(gpu, catalog.defaults)[0],
        uncertainty=E.uncertainty_for(cal, pipe.slug, gpu), bound=bound, notes=tuple(notes),
        optimizations_applied=plan.applied,
    )


def _transfer_seconds(spec, gpu: GPU, wprec: str, precisions: dict, strategy: str, sp, steps: int,
                      calls_per_step: int) -> float:
    """Host->device copy time per call not hidden behind compute [s]
    (:func:`advisor.perf._engine.offload_copy_seconds` with the denoiser at the optimization's weight format)."""
    from advisor.perf import _engine as E
    from advisor.perf import memory as M

    if strategy == "none" or gpu.architecture == "cpu":
        return 0.0
    return E.offload_copy_seconds(M.module_weight_gib(spec, wprec, precisions), spec.transformer.module, gpu,
                                  strategy, steps, calls_per_step, sp.eval_time.seconds)


def speedup_summary(applied: tuple[AppliedFactor, ...]) -> str:
    """Short text of the factors applied, e.g. 'fp8-compute: matmul_tensor_key fp8_fp32acc; torch-compile: ...'."""
    parts: dict[str, list[str]] = {}
    for a in applied:
        txt = a.source.split(" ")[0] if a.field in ("weight_format", "matmul_tensor_key") else f"{a.value:g}"
        parts.setdefault(a.optimization, []).append(f"{a.field} {txt}")
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in parts.items())

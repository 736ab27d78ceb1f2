"""The simulator behind :func:`advisor.perf.estimate`: architecture -> FLOPs/bytes -> stage times, VRAM, power.

Steps (each a small function):
1. architecture: ``profiles/architectures/<pipeline>.yaml`` (:mod:`advisor.catalog.architecture`);
2. work: FLOPs and bytes per stage (:mod:`advisor.perf.flops`);
3. times: per-op-class roofline with calibrated efficiencies (:mod:`advisor.perf.timing`);
4. VRAM and offload: peak VRAM per strategy (:mod:`advisor.perf.memory`); the host->device transfer time
   = bytes moved over PCIe / (PCIe bandwidth x efficiency), per image (model offload) or per evaluation
   (group / sequential offload);
5. power and energy (:mod:`advisor.perf.power`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from advisor.catalog.architecture import ArchitectureSpec, load_architecture
from advisor.catalog import GPU, Catalog, Pipeline
from advisor.errors import InputError
from advisor.perf import flops as F
from advisor.perf import memory as M
from advisor.perf import power as P
from advisor.perf import timing as T
from advisor.perf import vram_fit as VF

DEFAULT_PROMPT_TOKENS = 64  # a typical one-sentence prompt [tokenizer tokens]
#: Fraction of theoretical PCIe bandwidth a host->device copy reaches [1]. Group offload (diffusers
#: enable_group_offload, leaf level, use_stream=True: pinned memory, copies on a side stream) is measured: diffusers'
#: own benchmark CI (huggingface.co/datasets/diffusers/benchmarks collated_results.csv, FluxTransformer2DModel
#: forward at 1024x1024, L40 with PCIe 4.0 x16 per diffusers benchmarks/README.md) gives 1.86-1.90 s per forward with
#: group-offload-leaf vs 0.49-0.54 s on the card, so the copy is the bound: 23.8 GB of bf16 weights / 1.88 s =
#: 12.7 GB/s = 0.40 of the 31.5 GB/s link (the many per-leaf transfers and hooks, not the link, set the rate).
#: accelerate's model offload copies whole models from pageable memory ~0.5 and sequential offload moves each leaf
#: with hooks and no overlap ~0.35 (estimates; NVIDIA bandwidthTest pinned vs pageable).
PCIE_EFFICIENCY = {"model": 0.5, "group": 0.40, "sequential": 0.35}
DISK_GB_PER_S = 2.0  # safetensors load from NVMe for a cold start [GB/s] (estimate)
COLD_FIXED_SECONDS = 5.0  # import diffusers + build the pipeline objects [s] (estimate)
OFFLOAD_ORDER = ("none", "model", "group", "sequential")


def weight_streams_per_step(spec: ArchitectureSpec, evals_per_step: int) -> int:
    """Denoiser calls per scheduler step, each of which streams the offloaded weights once [count]:
    ``evals_per_step`` for a pipeline that calls the transformer once per guidance branch
    (:data:`advisor.perf.memory.SEPARATE_CFG_FORWARD_PIPELINES`), else 1 (the branches are batched into one call).
    Under group or sequential offload every call streams the denoiser's weights over PCIe again."""
    return max(1, evals_per_step) if spec.pipeline_class in M.SEPARATE_CFG_FORWARD_PIPELINES else 1


def cpu_device(cal: T.Calibration | None = None) -> GPU:
    """This machine's CPU as a :class:`GPU`-shaped device; peaks from calibration.yaml ``cpu`` (measured)."""
    cal = cal or T.load_calibration()
    return _cpu_device_cached(cal.cpu.model_dump_json())


@lru_cache(maxsize=4)
def _cpu_device_cached(cpu_json: str) -> GPU:
    cpu = T.CpuDevice.model_validate_json(cpu_json)
    src = {"source": f"measured on this machine: {cpu.measured_with}", "as_of": cpu.as_of.isoformat()}
    return GPU.model_validate({
        "slug": "cpu", "name": f"CPU ({cpu.name})", "architecture": "cpu",
        "vram_gib": {"value": 24.0, **src, "note": "system RAM of the dev VM"},
        "memory_bandwidth_gb_per_s": {"value": cpu.memory_bandwidth_gb_per_s, **src},
        "tensor_tflops": {"fp32": {"value": cpu.fp32_tflops, **src}, "bf16_fp32acc": {"value": cpu.bf16_tflops, **src},
                          "fp16_fp32acc": {"value": cpu.fp32_tflops, **src, "note": "no fast fp16 GEMM on this CPU"}},
        "pcie_gen": {"value": 4, **src, "note": "unused"}, "pcie_lanes": {"value": 16, **src, "note": "unused"},
        "board_power_watts": {"value": cpu.board_power_watts, **src},
        "idle_power_watts": {"value": cpu.idle_power_watts, **src},
    })


@dataclass(frozen=True)
class Workload:
    """Everything the timing and memory models need about one request [tokens, FLOP, bytes]."""

    spec: ArchitectureSpec
    steps: int
    evals_per_step: int
    batch: int
    prompt_tokens: int
    text_tokens: int
    te: F.StageCost  # all text encoders, all prompts (x2 with a negative prompt)
    eval_cost: F.StageCost  # one denoiser forward (batch samples)
    vae: F.StageCost  # VAE decode of the output (+ encode of the input images, once per call)
    reference_tokens: int = 0  # input-image tokens in every denoiser forward (advisor.perf.settings)


def resolve_evals(pipe: Pipeline, guidance: float | None) -> int:
    """Denoiser forwards per step: 2 with real CFG at guidance > 1, else 1."""
    g = pipe.default_guidance if guidance is None else guidance
    if pipe.guidance_kind == "cfg":
        return 2 if g > 1.0 else 1
    return max(1, int(round(pipe.transformer_evals_per_step)))


def workload(spec: ArchitectureSpec, width: int, height: int, steps: int, evals: int, batch: int, precision: str,
             prompt_tokens: int = DEFAULT_PROMPT_TOKENS, text_tokens: int | None = None,
             reference_tokens: int = 0) -> Workload:
    """Build the :class:`Workload`; ``text_tokens`` overrides the denoiser's text sequence (measured runs);
    ``reference_tokens`` (input images, :func:`advisor.perf.settings.reference_tokens_for`) join the denoiser's image
    stream in every forward, and their pixels are VAE-encoded once per call (the encoder at the same pixel count as
    a square image, side rounded to the token grid)."""
    n_t = F.text_tokens(spec, prompt_tokens) if text_tokens is None else text_tokens
    te = F.text_encoder_flops(spec, prompt_tokens, batch, precision).scaled(evals) if spec.text_encoders else F.StageCost()
    act_bytes = 4.0 if precision == "fp32" else 2.0
    ev = F.transformer_flops_per_eval(spec, width, height, n_t, batch * evals, precision,
                                      activation_bytes_per_element=act_bytes, reference_tokens=reference_tokens)
    vae_prec = "fp32" if precision == "fp32" else "bf16"
    vae = F.vae_decode_flops(spec, width, height, batch, vae_prec)
    if reference_tokens and spec.vae_encoder is not None:
        px = spec.tokens.vae_scale_factor * spec.tokens.patch_size
        side = max(px, int(round((reference_tokens ** 0.5))) * px)
        vae = vae + F.vae_encode_flops(spec, side, side, batch, vae_prec)
    return Workload(spec, steps, evals, batch, prompt_tokens, n_t, te, ev, vae, reference_tokens)


def quantised_dequant_bytes(spec: ArchitectureSpec, precision: str) -> float:
    """Extra memory traffic per denoiser forward for weight-only quantisation (nf4 / gguf): each linear weight is
    read packed and written + read as bf16 before the GEMM [bytes]."""
    if precision not in ("nf4", "gguf-q4"):
        return 0.0
    lin = sum(g.in_features * g.out_features * g.count for g in spec.transformer.linears)
    return lin * (F.precision_bytes(precision) + 2 * 2.0)


@dataclass(frozen=True)
class StagePlan:
    text_encoder: T.StageTime
    eval_time: T.StageTime
    vae: T.StageTime
    step_seconds: float  # one scheduler step incl. overhead (no offload) [s]


def reference_tokens_of(req, pipe: Pipeline, spec: ArchitectureSpec) -> int:
    """Input-image tokens of a request [tokens] (:func:`advisor.perf.settings.reference_tokens_for`; 0 for a
    request without ``input_megapixels``)."""
    from advisor.perf.settings import reference_tokens_for

    return reference_tokens_for(pipe, spec, getattr(req, "input_megapixels", 0.0))


def transformer_layers(comp) -> int:
    """Repeated transformer layers one call of a component runs [count]: one attention group entry per block
    (the ArchitectureSpec lists only the layers a text-to-image call uses). A cross-attention (``kv_sequence`` set:
    the UNet's attn2) sits in the same block as its self-attention, so it adds no layer."""
    return sum(a.count for a in comp.attentions if getattr(a, "kv_sequence", None) is None) if comp is not None else 0


def stage_rates(gpu: GPU, precision: str, cal: T.Calibration) -> tuple[T.DeviceRates, T.DeviceRates]:
    """(rates of the precision, rates of the VAE's precision) of ``gpu`` under ``cal`` (:func:`T.device_rates`)."""
    return (T.device_rates(gpu, precision, cal),
            T.device_rates(gpu, "fp32" if precision == "fp32" else "bf16", cal))


def time_stages(w: Workload, gpu: GPU, precision: str, cal: T.Calibration,
                rates: tuple[T.DeviceRates, T.DeviceRates] | None = None) -> StagePlan:
    """Stage times; the text encoders (once per prompt, x evals with a negative prompt) and each denoiser forward
    get the launch floor of their layer count (:mod:`advisor.perf.timing`). ``rates``: :func:`stage_rates` of the
    same GPU, precision and calibration ceilings when the caller already has them (the fit, which calls this
    thousands of times with only the efficiencies changing)."""
    rates, vae_rates = rates or stage_rates(gpu, precision, cal)
    eff = cal.families[gpu.architecture]
    te_layers = sum(transformer_layers(c) for c in w.spec.text_encoders) * w.evals_per_step
    te = T.stage_time(w.te, rates, eff, text_encoder=True, layers=te_layers)
    ev = T.stage_time(w.eval_cost, rates, eff, extra_elementwise_bytes=quantised_dequant_bytes(w.spec, precision),
                      layers=transformer_layers(w.spec.transformer))
    vae = T.stage_time(w.vae, vae_rates, eff, vae=True)
    return StagePlan(te, ev, vae, ev.seconds + eff.step_overhead_seconds)


@dataclass(frozen=True)
class PowerSplit:
    """How one call's time divides for the power model [s]: compute-bound op classes, everything else the GPU is
    busy or starved (memory-bound classes, per-step overhead, launch-floor excess), and PCIe waits."""

    compute_seconds: float
    memory_seconds: float
    transfer_seconds: float = 0.0

    @property
    def compute_fraction(self) -> float:
        """Compute-bound share of the non-transfer time [1] (1.0 for an empty split)."""
        busy = self.compute_seconds + self.memory_seconds
        return self.compute_seconds / busy if busy > 0 else 1.0


def power_split(plan: StagePlan, steps: int, transformer_only: bool = False,
                transfer_seconds: float = 0.0) -> PowerSplit:
    """The one split of a call's stage plan for :mod:`advisor.perf.power` [s]: compute = the compute-bound time of
    the text encoder, ``steps`` denoiser forwards and the VAE; memory = their memory-bound time + the per-step
    overhead + the launch-floor excess (GPU starved, low utilisation). ``transformer_only``: the denoiser alone
    (``--components transformer`` profiles)."""
    ev = plan.eval_time
    overhead = (plan.step_seconds - ev.seconds + ev.launch_bound_seconds) * steps
    if transformer_only:
        return PowerSplit(ev.compute_seconds * steps, ev.memory_seconds * steps + overhead, transfer_seconds)
    te, vae = plan.text_encoder, plan.vae
    compute = te.compute_seconds + ev.compute_seconds * steps + vae.compute_seconds
    memory = ((te.memory_seconds + ev.memory_seconds * steps + vae.memory_seconds)
              + (overhead + te.launch_bound_seconds + vae.launch_bound_seconds))
    return PowerSplit(compute, memory, transfer_seconds)


def board_power_watts(gpu: GPU, cal: T.Calibration, split: PowerSplit) -> float:
    """Mean board power of a call with this time split [W] (:func:`advisor.perf.power.board_power`)."""
    return P.board_power(gpu, cal.power, split.compute_seconds, split.memory_seconds, split.transfer_seconds)


def floor_stages(w: Workload, gpu: GPU, precision: str) -> dict[str, float]:
    """Physical floor per stage at 100% of the datasheet peaks [s] (:func:`advisor.perf.timing.roofline_floor_seconds`):
    ``text_encoder``, ``forward`` (one denoiser evaluation of the workload's batch), ``vae_decode``. The one roofline
    floor behind ``check-claim`` and the validation points' sanity check."""
    rates = T.device_rates(gpu, precision, achievable=False)
    return {"text_encoder": T.roofline_floor_seconds(w.te, rates),
            "forward": T.roofline_floor_seconds(w.eval_cost, rates),
            "vae_decode": T.roofline_floor_seconds(w.vae, rates)}


def _precisions(precision: str) -> dict[str, str]:
    vae = "fp32" if precision == "fp32" else "bf16"
    return {"vae": vae}


def vram_for(w: Workload, width: int, height: int, precision: str, strategy: str,
             constants: M.VramConstants | None = None) -> M.VramBreakdown:
    """Peak VRAM of the workload under an offload strategy [GiB] (``constants``: the calibration's, see
    :func:`advisor.perf.memory.constants_of`; None = the priors). The images (``w.batch``) and the denoiser
    evaluations per step go in separately: CFG doubles the denoiser's batch where the pipeline concatenates
    cond/uncond, never the VAE decode or the text encoders (:func:`advisor.perf.memory.peak_vram_breakdown`)."""
    return M.peak_vram_breakdown(w.spec, width, height, w.prompt_tokens, w.batch, precision,
                                 strategy, _precisions(precision), constants=constants,
                                 reference_tokens=w.reference_tokens, evals_per_step=w.evals_per_step)


def transfer_seconds(w: Workload, gpu: GPU, precision: str, strategy: str, plan: StagePlan) -> float:
    """Host->device copy time per call (batch) not hidden behind compute [s]: :func:`offload_copy_seconds` of the
    workload's weights, ``steps x`` :func:`weight_streams_per_step` denoiser calls hiding behind ``plan.eval_time``."""
    if strategy == "none" or gpu.architecture == "cpu":
        return 0.0
    return offload_copy_seconds(M.module_weight_gib(w.spec, precision, _precisions(precision)),
                                w.spec.transformer.module, gpu, strategy, w.steps,
                                weight_streams_per_step(w.spec, w.evals_per_step), plan.eval_time.seconds)


def offload_copy_seconds(module_gib: dict[str, float], denoiser_module: str, gpu: GPU, strategy: str, steps: int,
                         calls_per_step: int, step_compute_seconds: float) -> float:
    """Copy time of an offload strategy not hidden behind compute [s], from the modules' weights [GiB].

    Model offload moves every module once per call. Group and sequential offload move the other modules once and
    stream the denoiser's weights once per transformer call (``steps x calls_per_step`` calls); group offload
    prefetches on a side stream, so each call's copy hides behind its share of the step's compute
    (``step_compute_seconds / calls_per_step``); sequential offload does not overlap. Link rate: the GPU's PCIe
    rate x :data:`PCIE_EFFICIENCY` of the strategy."""
    if strategy == "none" or gpu.architecture == "cpu":
        return 0.0
    pcie = gpu.pcie_gb_per_s * 1e9 * PCIE_EFFICIENCY[strategy]
    all_bytes = sum(module_gib.values()) * M.GIB
    tr_bytes = module_gib.get(denoiser_module, 0.0) * M.GIB
    if strategy == "model":
        return all_bytes / pcie
    other = (all_bytes - tr_bytes) / pcie
    per_call = tr_bytes / pcie
    calls = steps * calls_per_step
    if strategy == "group":
        return other + max(0.0, per_call - step_compute_seconds / calls_per_step) * calls
    return other + per_call * calls


def simulate(req, catalog: Catalog, cal: T.Calibration | None = None):
    from advisor.perf import PerfEstimate, device_for

    cal = cal or T.load_calibration()
    pipe = catalog.pipeline(req.pipeline)
    gpu = cpu_device(cal) if req.gpu == "cpu" else device_for(req.gpu, catalog)
    spec = load_architecture(pipe.slug)
    steps = req.steps or pipe.default_steps
    evals = resolve_evals(pipe, req.guidance)
    b = req.batch_size
    w = workload(spec, req.width, req.height, steps, evals, b, req.precision,
                 reference_tokens=reference_tokens_of(req, pipe, spec))
    plan = time_stages(w, gpu, req.precision, cal)
    k = M.constants_of(cal)
    # one fit check for every path (advisor.perf.vram_fit.choose_offload: discrete cards, unified memory, the CPU)
    fit = VF.choose_offload(gpu, req.offload, lambda s: vram_for(w, req.width, req.height, req.precision, s, k))
    chosen, vb, fits = fit.offload, fit.breakdown, fit.fits
    notes: list[str] = list(fit.notes)
    if not fits and (chosen != "sequential" or req.offload != "auto"):
        notes[0] += _fit_hint(w, req, gpu, k)

    t_xfer = transfer_seconds(w, gpu, req.precision, chosen, plan)
    stages_call = {
        "text_encoder": plan.text_encoder.seconds,
        "denoise": plan.step_seconds * steps,
        "vae_decode": plan.vae.seconds,
        "offload_transfer": t_xfer,
    }
    total_call = sum(stages_call.values())
    stages = {k: v / b for k, v in stages_call.items()}
    if req.compile:
        notes.append("compile=True is not modelled separately (calibrated on eager runs); expect 10-30% faster")
    if req.attention != "sdpa":
        notes.append(f"attention={req.attention} is modelled like SDPA")
    notes.extend(T.family_notes(cal, gpu))

    compute_s = plan.text_encoder.compute_seconds + (plan.eval_time.compute_seconds * steps) + plan.vae.compute_seconds
    memory_s = plan.text_encoder.memory_seconds + (plan.eval_time.memory_seconds * steps) + plan.vae.memory_seconds
    if t_xfer > max(compute_s, memory_s):
        bound = "transfer"
    else:
        bound = "compute" if compute_s >= memory_s else "memory"
    pw = board_power_watts(gpu, cal, power_split(plan, steps, transfer_seconds=t_xfer))
    system = pw + P.rest_of_system(gpu, catalog.defaults)[0]  # a Mac or DGX Spark gives its own
    weights_bytes = M.total_weight_gib(spec, req.precision, _precisions(req.precision)) * M.GIB
    cold = COLD_FIXED_SECONDS + weights_bytes / (DISK_GB_PER_S * 1e9)
    if gpu.architecture != "cpu" and chosen == "none":
        cold += weights_bytes / (gpu.pcie_gb_per_s * 1e9 * PCIE_EFFICIENCY["model"])
    return PerfEstimate(
        request=req,
        seconds_per_image=total_call / b,
        stages_seconds=stages,
        seconds_per_step=plan.step_seconds,
        cold_start_seconds=cold,
        peak_vram_gib=vb.total_gib,
        required_vram_gib=vb.required_gib,
        vram_limit_gib=fit.limit.gib,
        fits=fits,
        offload=chosen,
        energy_per_image_joules=pw * total_call / b,
        board_power_watts=pw,
        system_power_watts=system,
        uncertainty=uncertainty_for(cal, pipe.slug, gpu),
        bound=bound,
        notes=tuple(notes),
    )


def _fit_hint(w: Workload, req, gpu: GPU, k: M.VramConstants) -> str:
    limit = VF.gpu_memory_limit(gpu)
    vram = limit.gib
    opts = []
    from advisor import perf

    for prec in ("fp8", "nf4"):
        needs = getattr(perf, "PRECISION_NEEDS_TENSOR_KEYS", {}).get(prec)
        if prec == req.precision or (needs and not any(key in gpu.tensor_tflops for key in needs)):
            continue  # a precision this GPU cannot run (no FP8 tensor cores) is no way to make it fit
        try:
            if vram_for(workload(w.spec, req.width, req.height, w.steps, w.evals_per_step, w.batch, prec,
                                 reference_tokens=w.reference_tokens), req.width,
                        req.height, prec, "none", k).required_gib <= vram:
                opts.append(prec)
        except InputError:
            pass
    for s in () if limit.unified else OFFLOAD_ORDER[1:]:  # offloading frees nothing in unified memory
        if vram_for(w, req.width, req.height, req.precision, s, k).required_gib <= vram:
            opts.append(f"{s} offload")
            break
    return ("; " + " or ".join(opts) + " would make it fit") if opts else "; no precision/offload in the model makes it fit"


def uncertainty_for(cal: T.Calibration, pipeline: str, gpu: GPU) -> float:
    """Relative error band: measured tier when this pipeline was fitted on this GPU, cross-GPU tier when the
    family has measured points, cold tier otherwise (numbers from the last validation run, calibration.yaml)."""
    u = cal.uncertainty
    tag = f"{pipeline}@{gpu.slug}"
    if any(p.startswith(tag) for p in cal.fit_points):
        return u.get("calibrated", 0.15)
    tier = T.family_tier(cal, gpu.architecture)
    if tier == "fitted":
        return u.get("cross_gpu", 0.25)
    if tier in ("specs-only", "few-points"):  # ROCm / MPS family without points, or any on one or two: wider band
        return u.get("specs_only", 1.5 * u.get("cold", 0.35))
    return u.get("cold", 0.35)


def stage_seconds(plan: StagePlan, steps: int) -> dict[str, float]:
    """What a measured profile times, from a stage plan [s]: one transformer step (incl. overhead), one forward,
    the denoise loop, text encoder, VAE decode and the end-to-end call (no offload)."""
    return {
        "transformer_step": plan.step_seconds,
        "transformer_forward": plan.eval_time.seconds,
        "denoise": plan.step_seconds * steps,
        "text_encoder": plan.text_encoder.seconds,
        "vae_decode": plan.vae.seconds,
        "end_to_end": plan.text_encoder.seconds + plan.step_seconds * steps + plan.vae.seconds,
    }

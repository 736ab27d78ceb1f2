"""Performance simulator: one entry point, :func:`estimate`, from (pipeline, GPU, settings) to time, VRAM and power.

Phase 1 (first-order roofline). For each stage (text encoder, denoiser, VAE decode):

- FLOPs = 2 x params x tokens per transformer evaluation (multiply-add = 2 FLOPs; Kaplan et al. 2020,
  "Scaling Laws for Neural Language Models", eq. 2.1) plus attention 4 x L^2 x d per layer;
- time = max(FLOPs / (peak x efficiency), bytes / (bandwidth x efficiency)) (Williams et al. 2009, "Roofline");
- the peak is the catalog's *dense* tensor rate for the precision (GeForce FP32-accumulate rates are the halved ones);
- weights bytes = params x bytes per parameter of the precision; fits when weights + activations + context <= VRAM;
- ``offload='auto'`` = the fastest strategy that fits (none, then model, group, sequential);
- board power = idle + utilisation x (board - idle).

Steps and guidance default to the ``studio`` preset (the steps studios run, sourced per pipeline) or ``library``
(the library's call); input images add tokens to the denoiser (:mod:`advisor.perf.settings`). Every estimate carries
THE label of its setting, its compile warm-up and the host RAM / disk the machine around the card needs
(:mod:`advisor.perf.host`).

Results are cached (``functools.lru_cache``) on the frozen request and the catalog root.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

from advisor.catalog import GPU, Catalog, load_catalog
from advisor.errors import InputError

PRECISIONS = ("fp32", "bf16", "fp16", "fp8", "int8", "nf4", "gguf-q4")
OFFLOADS = ("auto", "none", "model", "group", "sequential")
ATTENTIONS = ("sdpa", "flash", "eager")
STAGES = ("text_encoder", "denoise", "vae_decode", "offload_transfer")

#: Bytes per weight by precision [bytes]. nf4 / gguf-q4: 4 bits + block scales (~4.5 bits, bitsandbytes NF4 with
#: 64-element blocks and double-quantised absmax; GGUF Q4_K is 4.5 bits per weight, llama.cpp docs).
BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "nf4": 0.5625, "gguf-q4": 0.5625}

#: Which catalog tensor rate a precision's matmuls run at. Quantised-weight formats (nf4, gguf) dequantise to bf16
#: and run bf16 matmuls. PyTorch's default fp32 matmul does not use TF32 (``allow_tf32`` is False by default).
TENSOR_KEY = {
    "fp32": "fp32",
    "bf16": "bf16_fp32acc",
    "fp16": "fp16_fp32acc",
    "fp8": "fp8_fp32acc",
    "int8": "int8_tops",
    "nf4": "bf16_fp32acc",
    "gguf-q4": "bf16_fp32acc",
}

#: Request precisions whose matmuls need a tensor rate the GPU lists (profiles/gpus.yaml ``tensor_tflops``): "fp8"
#: means FP8 weights AND FP8 matmuls (advisor.perf.timing.MATMUL_KEYS), which need FP8 tensor cores (CUDA compute
#: capability >= 8.9: Ada, Hopper, Blackwell; ROCm: CDNA3 and RDNA4). Without them the timing would fall back to
#: the BF16 rate under an "FP8 matmuls" label, so such a request is refused (:func:`check_precision_supported`).
#: FP8 *storage* (weights kept in FP8, upcast to BF16 per layer) needs no FP8 hardware: the ``fp8-storage``
#: optimization with ``--precision bf16``.
#: "int8" (INT8 matmuls) likewise needs an INT8 tensor rate (Turing and later; not Apple GPUs or RDNA3).
PRECISION_NEEDS_TENSOR_KEYS = {"fp8": ("fp8_fp32acc", "fp8_fp16acc"), "int8": ("int8_tops",)}
#: what each of those precisions' matmuls need, for the message
_NEEDS_WORDS = {"fp8": "fp8 means FP8 matmuls, which need FP8 tensor cores (CUDA compute capability >= 8.9, ROCm "
                       "CDNA3/RDNA4)",
                "int8": "int8 means INT8 matmuls, which need INT8 tensor cores (CUDA compute capability >= 7.5)"}

@dataclass(frozen=True)
class PerfRequest:
    """What to simulate. ``gpu`` is a catalog GPU slug or ``"cpu"`` (this machine's CPU as a device)."""

    pipeline: str
    gpu: str
    precision: str = "bf16"  # fp32|bf16|fp16|fp8|int8|nf4|gguf-q4
    width: int = 1024
    height: int = 1024
    steps: int | None = None  # None -> pipeline default
    guidance: float | None = None  # None -> pipeline default
    batch_size: int = 1
    offload: str = "auto"  # auto|none|model|group|sequential
    attention: str = "sdpa"
    compile: bool = False
    #: named optimizations from profiles/optimizations.yaml (issue 12; advisor.perf.optimizations)
    optimizations: tuple[str, ...] = ()
    #: where steps/guidance come from when not given: "studio" (Pipeline.studio_settings) | "library" (default_steps)
    steps_preset: str = "studio"
    #: input (reference / edit) images per request [MP]: extra image tokens where the pipeline takes input images
    input_megapixels: float = 0.0


@dataclass(frozen=True)
class PerfEstimate:
    """Simulated performance of one request (per image unless the name says otherwise)."""

    request: PerfRequest
    seconds_per_image: float
    stages_seconds: dict[str, float]  # text_encoder, denoise, vae_decode, offload_transfer [s per image]
    seconds_per_step: float
    cold_start_seconds: float
    peak_vram_gib: float  # what nvidia-smi shows on a roomy card: incl. PyTorch's reclaimable allocator cache [GiB]
    fits: bool  # decided on required_vram_gib <= vram_limit_gib
    offload: str  # strategy actually used (auto resolved)
    energy_per_image_joules: float  # board energy [J]
    board_power_watts: float  # mean board power while generating [W]
    system_power_watts: float  # board + rest of system [W]
    uncertainty: float  # relative error band (0.3 = +-30%)
    bound: str  # compute|memory|transfer
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: factors the optimizations applied, with sources (advisor.perf.optimizations.AppliedFactor; issue 12)
    optimizations_applied: tuple = field(default_factory=tuple)
    # --- the setting and the machine around the card (filled by :func:`estimate`; advisor.perf.settings / host) ---
    steps: int = 0  # scheduler steps actually simulated
    steps_source: str = ""  # where they come from (studio setting with its source, library call, as requested)
    setting: str = ""  # THE label of the setting (advisor.perf.settings.setting_label)
    #: compile warm-up paid once per process start (each rental session, each serverless cold start) [s]; already
    #: inside ``cold_start_seconds``, never inside ``seconds_per_image``
    compile_seconds: float = 0.0
    host_ram_gib: float = 0.0  # host RAM the process needs: offloaded weights + working set + OS [GiB]
    disk_gb: float = 0.0  # checkpoint on disk [GB]
    reference_tokens: int = 0  # input-image tokens per denoiser forward [tokens]
    #: what must fit (weights + activations + fragmentation headroom + context, advisor.perf.memory) [GiB]
    required_vram_gib: float | None = None
    #: the memory it must fit in: the card's VRAM, or the GPU's share of unified memory (vram_fit.gpu_memory_limit) [GiB]
    vram_limit_gib: float | None = None


def validate_request(req: PerfRequest) -> None:
    """Raise :class:`InputError` for an out-of-range request field."""
    if req.precision not in PRECISIONS:
        raise InputError("precision", req.precision, "|".join(PRECISIONS))
    if req.offload not in OFFLOADS:
        raise InputError("offload", req.offload, "|".join(OFFLOADS))
    if req.attention not in ATTENTIONS:
        raise InputError("attention", req.attention, "|".join(ATTENTIONS))
    for name in ("width", "height"):
        v = getattr(req, name)
        if not isinstance(v, int) or v < 64 or v > 8192 or v % 16:
            raise InputError(name, v, "an integer multiple of 16 between 64 and 8192 [pixels]")
    if req.steps is not None and (not isinstance(req.steps, int) or req.steps < 1 or req.steps > 1000):
        raise InputError("steps", req.steps, "an integer between 1 and 1000")
    if req.guidance is not None and (not math.isfinite(req.guidance) or req.guidance < 0):
        raise InputError("guidance", req.guidance, "a finite number >= 0")
    if not isinstance(req.batch_size, int) or req.batch_size < 1 or req.batch_size > 64:
        raise InputError("batch_size", req.batch_size, "an integer between 1 and 64")
    if not isinstance(req.optimizations, tuple) or not all(isinstance(o, str) for o in req.optimizations):
        raise InputError("optimizations", req.optimizations, "a tuple of optimization slugs (advisor catalog optimizations)")
    from advisor.perf.settings import STEPS_PRESETS

    if req.steps_preset not in STEPS_PRESETS:
        raise InputError("steps_preset", req.steps_preset, " | ".join(STEPS_PRESETS))
    mp = req.input_megapixels
    if isinstance(mp, bool) or not isinstance(mp, (int, float)) or not math.isfinite(mp) or mp < 0 or mp > 64:
        raise InputError("input_megapixels", mp, "a number between 0 and 64 [MP of input images per request]")


def check_precision_supported(req: PerfRequest, catalog: Catalog) -> None:
    """Raise :class:`InputError` (field ``precision``) when the request's precision needs tensor cores the GPU does
    not have (:data:`PRECISION_NEEDS_TENSOR_KEYS`); the message names the GPU, the missing rates and what runs
    instead (FP8 storage with BF16 matmuls where the GPU supports the ``fp8-storage`` optimization)."""
    keys = PRECISION_NEEDS_TENSOR_KEYS.get(req.precision)
    if not keys:
        return
    gpu = device_for(req.gpu, catalog)
    if any(k in gpu.tensor_tflops for k in keys):
        return
    storage = "fp8-storage" in catalog.optimizations.optimizations and req.gpu != "cpu"
    if storage:
        from advisor.perf.optimizations import support_problem

        storage = support_problem(catalog.optimizations.get("fp8-storage"), gpu, catalog.optimizations) is None
    instead = ("; for FP8 weights with BF16 matmuls use --precision bf16 --optimization fp8-storage"
               if storage and req.precision == "fp8" else "")
    runs = [p for p in PRECISIONS if p not in PRECISION_NEEDS_TENSOR_KEYS
            or any(k in gpu.tensor_tflops for k in PRECISION_NEEDS_TENSOR_KEYS[p])]
    raise InputError("precision", req.precision,
                     f"a precision {req.gpu} runs ({', '.join(runs)}): {_NEEDS_WORDS[req.precision]}, and "
                     f"{req.gpu} ({gpu.architecture}) lists no tensor_tflops {' or '.join(keys)} in "
                     f"profiles/gpus.yaml{instead}")


def estimate(req: PerfRequest, catalog: Catalog | None = None, calibration=None) -> PerfEstimate:
    """Simulate ``req`` on the catalog (default: ``profiles/``) with ``calibration`` (an
    :class:`advisor.perf.timing.Calibration`, e.g. from :func:`advisor.fit.calibrate.calibrate_with`; default:
    ``profiles/calibration.yaml``). Cached per (request, catalog identity, calibration identity): the default
    calibration is resolved first (one object per file version), so a rewritten calibration file is a new key."""
    from advisor.perf.timing import load_calibration

    validate_request(req)
    catalog = catalog or load_catalog()
    check_precision_supported(req, catalog)
    calibration = calibration or load_calibration()
    return _estimate_cached(req, _CatalogKey(catalog), _CatalogKey(calibration))


def _resolved(req: PerfRequest, catalog: Catalog) -> tuple[PerfRequest, str]:
    """``req`` with steps and guidance of its preset filled in (advisor.perf.settings), and where the steps come
    from."""
    from dataclasses import replace

    from advisor.perf import settings as S

    pipe = catalog.pipeline(req.pipeline)
    steps, where = S.resolve_steps(pipe, req.steps, req.steps_preset)
    return replace(req, steps=steps, guidance=S.resolve_guidance(pipe, req.guidance, req.steps_preset)), where


def _finish(est: PerfEstimate, req: PerfRequest, steps_source: str, catalog: Catalog) -> PerfEstimate:
    """The estimate with the asked request ``req`` (steps left as asked, so a copy of it with other optimizations
    resolves the same preset), the resolved steps, the setting label, the compile warm-up and the host RAM / disk
    it needs (advisor.perf.settings, advisor.perf.host)."""
    from dataclasses import replace

    from advisor.catalog.architecture import load_architecture
    from advisor.perf import host as H
    from advisor.perf import memory as M
    from advisor.perf import settings as S

    pipe = catalog.pipeline(req.pipeline)
    spec = load_architecture(pipe.slug)
    r = est.request
    weight = next((a.source.split(" ")[0] for a in est.optimizations_applied if a.field == "weight_format"), None)
    key = next((a.source.split(" ")[0] for a in est.optimizations_applied if a.field == "matmul_tensor_key"), None)
    precisions = S.weight_precisions(spec, r.precision, weight, key)  # storage-only FP8 reaches the text encoders
    weights_gib = M.total_weight_gib(spec, weight or r.precision, precisions)
    # on the CPU the weights live in host memory like offloaded ones
    # unified memory (Apple Silicon, GB10): the GPU's allocations are host memory too (advisor.perf.host)
    unified = r.gpu != "cpu" and getattr(catalog.gpu(r.gpu), "unified_memory", False)
    needs = H.host_needs(pipe, spec, weights_gib, "model" if r.gpu == "cpu" else est.offload, weight or r.precision,
                         unified_gpu_gib=est.required_vram_gib if unified else None)
    est = replace(est, request=req, steps=r.steps or 0, steps_source=steps_source,
                  compile_seconds=S.compile_seconds(est),
                  host_ram_gib=needs.host_ram_gib, disk_gb=needs.disk_gb,
                  reference_tokens=S.reference_tokens_for(pipe, spec, r.input_megapixels))
    if r.input_megapixels and not est.reference_tokens:
        est = replace(est, notes=est.notes + (f"{pipe.name} takes no input images (no image-editing or "
                                              f"multi-reference capability in the catalog): input_megapixels "
                                              f"{r.input_megapixels:g} costs nothing here",))
    return replace(est, setting=S.setting_label(est, catalog))


class _CatalogKey:
    """Hashable wrapper so the lru_cache keys on object identity (catalogs and calibrations are not mutated).

    The wrapper holds a reference, so an id cannot be reused by another object while its cache entry lives."""

    __slots__ = ("catalog",)

    def __init__(self, catalog):
        self.catalog = catalog

    def __hash__(self) -> int:
        return id(self.catalog)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CatalogKey) and other.catalog is self.catalog


@functools.lru_cache(maxsize=4096)
def _estimate_cached(req: PerfRequest, key: _CatalogKey, cal_key: _CatalogKey) -> PerfEstimate:
    from advisor.perf import _engine

    run, steps_source = _resolved(req, key.catalog)
    if req.optimizations:  # issue 12: named optimizations (advisor/perf/optimizations.py)
        from advisor.perf.optimizations import simulate_optimized

        est = simulate_optimized(run, key.catalog, cal_key.catalog)
    else:
        est = _engine.simulate(run, key.catalog, cal_key.catalog)
    return _finish(est, req, steps_source, key.catalog)


def device_for(req_gpu: str, catalog: Catalog) -> GPU:
    """The catalog GPU, or a synthetic :class:`GPU` for ``"cpu"`` (see :func:`advisor.perf._engine.cpu_device`)."""
    if req_gpu == "cpu":
        from advisor.perf import _engine

        return _engine.cpu_device()
    return catalog.gpu(req_gpu)


__all__ = [
    "PerfRequest",
    "PerfEstimate",
    "estimate",
    "validate_request",
    "check_precision_supported",
    "device_for",
    "PRECISIONS",
    "OFFLOADS",
    "STAGES",
    "BYTES_PER_PARAM",
    "TENSOR_KEY",
]

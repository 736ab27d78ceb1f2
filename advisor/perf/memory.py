"""GPU memory (VRAM) estimates from an :class:`advisor.catalog.architecture.ArchitectureSpec`, in GiB (2**30 bytes).

Pure Python. Model:

    peak = max over stages s of [ resident weights during s + activation peak of s * (1 + allocator_overhead_fraction) ]
           + cuda_context_gib                      (constants: :class:`VramConstants`)

(weights are few large, long-lived tensors rounded to 2 MiB by the caching allocator, so the fragmentation
allowance applies to activations only).

Resident weights by offload strategy (diffusers names):
- ``none``: every module on the GPU (``pipe.to("cuda")``).
- ``model`` (``enable_model_cpu_offload``): only the module that runs (accelerate hooks move the previous one back
  to the CPU when the next one starts).
- ``group`` (``enable_group_offload(offload_type="block_level", num_blocks_per_group=1, use_stream=True)``):
  the running module's non-block parameters + group_offload_resident_blocks of its largest block (the stream
  prefetches the next group while one runs).
- ``sequential`` (``enable_sequential_cpu_offload``): one leaf module at a time (largest Linear/Embedding).

Activation peaks (inference, no autograd graph, SDPA/flash attention so attention memory is O(L) not O(L^2)):
- transformer: batch * bytes * [N_joint * (transformer_live_hidden_copies * hidden + max_io) ], where max_io is the
  largest (in + out) features of a linear over that stream (its input and output are alive together);
- text encoder: same over its tokens + the (layers + 1) hidden states kept by ``output_hidden_states=True``;
- VAE decode: vae_decode_live_buffers * the largest conv input/output tensor (full-resolution 256/128-channel maps
  dominate; GroupNorm and the nearest upsample each need a full copy).

Constants marked "to be calibrated" are first guesses to be fitted from measured peaks (``torch.cuda.max_memory_
allocated`` / NVML) by advisor.fit.calibrate; keep their names stable.

Public functions:
    OFFLOAD_STRATEGIES, GIB, VramConstants, PRIOR_VRAM, constants_of(calibration) -> VramConstants
    (every function below that depends on a constant takes ``constants: VramConstants | None``; None = PRIOR_VRAM)
    component_weight_bytes(component, precision) -> float                 [bytes]
    resident_buffer_count(component) -> int                               [elements]
    component_weight_gib(component, precision) -> float
    module_weight_gib(spec, precision="bf16", precisions=None) -> dict[str, float]   (module -> GiB)
    total_weight_gib(spec, precision="bf16", precisions=None) -> float
    transformer_activation_gib(spec, width_px, height_px, text_tokens, batch=1, activation_bytes_per_element=2.0)
    text_encoder_activation_gib(component, prompt_tokens, batch=1, activation_bytes_per_element=2.0)
    vae_decode_workspace_gib(spec, width_px, height_px, batch=1, activation_bytes_per_element=2.0)
    denoiser_batch(spec, batch, evals_per_step) -> int                     [samples per denoiser forward]
    peak_vram_breakdown(spec, width_px, height_px, prompt_tokens=77, batch=1, precision="bf16", offload="none",
                        precisions=None, ..., evals_per_step=1) -> VramBreakdown
    peak_vram_gib(...same arguments...) -> float

What a run must fit in on a device and the offload strategy that makes it fit (unified memory included):
:mod:`advisor.perf.vram_fit`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from advisor.catalog.architecture import ArchitectureSpec, ComponentSpec
from advisor.errors import InputError
from advisor.perf.flops import HIGH_PRECISION_BYTES, image_tokens, precision_bytes, text_encoder_tokens, text_tokens

GIB = 2**30

# The constants of the model are a value, :class:`VramConstants`, passed to every function that needs them. The
# simulator takes them from the calibration (``profiles/calibration.yaml`` ``vram``, fitted by
# advisor.fit.calibrate.fit_vram on measured peaks: :func:`constants_of`); the defaults below are the priors used
# when a calibration has no VRAM record. Each constant is fitted against the measured quantity it describes:
#   activation constants        <- torch.cuda.max_memory_allocated - measured weights (what tensors need),
#   allocator_overhead_fraction <- (max_memory_reserved - max_memory_allocated) / predicted activations,
#   cuda_context_gib            <- NVML used - max_memory_reserved (outside torch's allocator).


@dataclass(frozen=True)
class VramConstants:
    """Constants of the VRAM model (priors as defaults; fitted values live in the calibration).

    - ``cuda_context_gib``: CUDA context + cuBLAS/cuDNN workspaces + kernel images [GiB] (NVML used - torch reserved;
      not visible to torch.cuda.max_memory_allocated). Prior: 1.15 GiB (1.147 GiB on the 10 H100 profiles, torch
      2.11.0+cu130).
    - ``allocator_overhead_fraction``: caching-allocator cache kept on top of the activations, (reserved - allocated)
      / activations on a roomy card [1]: the cache keeps each stage's freed blocks (text encoder, denoiser, VAE) that
      the next stage cannot reuse. Reclaimable: on a failed cudaMalloc PyTorch frees unused cached blocks and retries
      before raising OOM, so it counts in ``total_gib`` (what nvidia-smi shows) but only
      ``fragmentation_headroom_fraction`` of it counts in ``required_gib`` (whether it fits). Prior 1.0.
    - ``fragmentation_headroom_fraction``: non-reclaimable share of the cache, as a fraction of activations, kept as
      headroom in ``required_gib`` [1]: the smallest (reserved - allocated) / activations seen on a profile (klein-4B
      1024^2: 0.63 GiB / 2.48 GiB = 0.26), rounded down to 0.05. A heuristic: fragmentation on a tight card was not
      measured. Prior 0.25.
    - ``transformer_live_hidden_copies``: hidden-size tensors alive at once in a denoiser/text-encoder block besides
      the largest linear's in/out (residual stream, its normed/modulated copy, attention output, gate) [1]. Prior 12.5
      (FLUX.2 dev transformer-only 1024^2: 61.37 GiB allocated - 60.18 GiB measured weights = 1.19 GiB).
    - ``vae_decode_live_buffers``: copies of the largest VAE decoder activation alive at once (input, GroupNorm
      output, SiLU/upsample output, residual, upcast) [1]. Prior 4.9 (full-pipeline H100 profiles).
    - ``group_offload_resident_blocks``: blocks resident under block-level group offload with use_stream=True
      (running + prefetched) [count]; not fitted.
    """

    cuda_context_gib: float = 1.15
    allocator_overhead_fraction: float = 1.0
    fragmentation_headroom_fraction: float = 0.25
    transformer_live_hidden_copies: float = 12.5
    vae_decode_live_buffers: float = 4.9
    group_offload_resident_blocks: int = 2


#: The priors (no VRAM record in the calibration).
PRIOR_VRAM = VramConstants()
#: Keys of ``Calibration.vram`` that are constants of the model (the other keys are fit statistics).
VRAM_CONSTANT_KEYS = ("cuda_context_gib", "allocator_overhead_fraction", "fragmentation_headroom_fraction",
                      "transformer_live_hidden_copies", "vae_decode_live_buffers")


def constants_of(calibration) -> VramConstants:
    """The VRAM constants of a calibration (:class:`advisor.perf.timing.Calibration`, its ``vram`` record); the
    prior for each constant the record lacks; :data:`PRIOR_VRAM` for ``None``."""
    record = getattr(calibration, "vram", None) or {}
    return replace(PRIOR_VRAM, **{k: float(record[k]) for k in VRAM_CONSTANT_KEYS if k in record})


OFFLOAD_STRATEGIES = ("none", "model", "group", "sequential")
#: diffusers pipelines (0.42.1) that run the unconditional CFG pass as a second denoiser forward of the same batch
#: (``with self.transformer.cache_context("uncond"): neg_noise_pred = self.transformer(...)``) instead of
#: concatenating cond/uncond into one batch as StableDiffusionXLPipeline, StableDiffusion3Pipeline
#: (``torch.cat([latents] * 2)``) and ZImagePipeline (``latents.repeat(2, 1, 1, 1)``) do. Any other class is
#: taken to concatenate (the larger peak).
SEPARATE_CFG_FORWARD_PIPELINES = frozenset({"QwenImagePipeline", "QwenImageEditPipeline", "QwenImageEditPlusPipeline",
                                            "Flux2KleinPipeline", "FluxPipeline", "FluxKontextPipeline"})


def component_weight_bytes(component: ComponentSpec, precision: str) -> float:
    """Resident bytes of a component's parameters + buffers [bytes].

    Linear weights at ``precision``; everything else (biases, norms, embeddings, convs, unused towers) at 16 bit
    when ``precision`` is below 16 bit, else at ``precision``. Buffers (BatchNorm statistics) at 4 bytes.
    Tied weights (Qwen3-4B lm_head == embed_tokens) are counted once (param_count is deduplicated; a tied head
    listed as a buffer by an earlier extractor is dropped, see :func:`resident_buffer_count`).
    """
    b = precision_bytes(precision)
    hi = b if b >= HIGH_PRECISION_BYTES else HIGH_PRECISION_BYTES
    lin_w = sum(g.in_features * g.out_features * g.count for g in component.linears)
    lin_w = min(lin_w, component.param_count)
    other = component.param_count - lin_w
    return lin_w * b + other * hi + resident_buffer_count(component) * 4.0


def resident_buffer_count(component: ComponentSpec) -> int:
    """Buffer elements that take their own device memory [elements]: ``buffer_count`` less a tied output head.

    Before 2026-11-26 measure.architecture_extract counted as buffers the state_dict entries missing from
    ``named_parameters()``, which drops duplicates, so a tied ``lm_head.weight`` (``tie_word_embeddings: true``,
    e.g. Qwen3-4B in FLUX.2 klein 4B: 151,936 x 2,560 = 388,956,160 elements) landed in ``buffer_count`` although it
    is the embedding parameter itself. The extractor now counts it once, but the architectures embedded in the
    measured profiles recorded then still carry it. Measured: klein 4B weights_gib 14.868 = params * 2 B, i.e.
    without those 1.449 GiB. Removed here when the count is at least the head's size.
    """
    buffers = component.buffer_count
    if component.config.get("tie_word_embeddings"):
        tied = sum(g.in_features * g.out_features * g.count for g in component.linears if g.name == "lm_head")
        if 0 < tied <= buffers:
            buffers -= tied
    return buffers


def component_weight_gib(component: ComponentSpec, precision: str) -> float:
    """Resident weights of one component [GiB]."""
    return component_weight_bytes(component, precision) / GIB


def _precision_for(component: ComponentSpec, precision: str, precisions: dict[str, str] | None) -> str:
    if precisions:
        for key in (component.name, component.module, component.role):
            if key in precisions:
                return precisions[key]
    return precision


def module_weight_gib(spec: ArchitectureSpec, precision: str = "bf16",
                      precisions: dict[str, str] | None = None) -> dict[str, float]:
    """Resident weights per pipeline module (transformer, text_encoder[_2], vae) [GiB].

    ``precisions`` overrides ``precision`` per component name, module or role (e.g. {"text_encoder": "nf4"}).
    """
    out: dict[str, float] = {}
    for c in spec.components:
        out[c.module] = out.get(c.module, 0.0) + component_weight_gib(c, _precision_for(c, precision, precisions))
    return out


def total_weight_gib(spec: ArchitectureSpec, precision: str = "bf16", precisions: dict[str, str] | None = None) -> float:
    """All modules' weights together [GiB]."""
    return sum(module_weight_gib(spec, precision, precisions).values())


def _stream_activation_bytes(component: ComponentSpec, streams: dict[str, float], batch: int,
                             act_bytes: float, constants: VramConstants) -> float:
    hidden = component.hidden_size or 0
    peak = 0.0
    for g in component.linears:
        if g.stream in ("per_sample", "latent"):
            continue
        n = streams.get(g.stream, 0.0)
        peak = max(peak, n * (g.in_features + g.out_features))
    n_max = max(streams.values()) if streams else 0.0
    return batch * act_bytes * (n_max * constants.transformer_live_hidden_copies * hidden + peak)


def transformer_activation_gib(spec: ArchitectureSpec, width_px: int, height_px: int, text_tokens: int,
                               batch: int = 1, activation_bytes_per_element: float = 2.0,
                               constants: VramConstants | None = None, reference_tokens: int = 0) -> float:
    """Activation peak of one denoiser forward [GiB] (inputs/latents included; flash attention, O(L));
    ``reference_tokens`` (input images, :func:`advisor.perf.flops.reference_image_tokens`) join the image stream."""
    n_i = image_tokens(spec, width_px, height_px) + reference_tokens
    streams = {"image": float(n_i), "text": float(text_tokens), "joint": float(n_i + text_tokens)}
    b = _stream_activation_bytes(spec.transformer, streams, batch, activation_bytes_per_element,
                                 constants or PRIOR_VRAM)
    return b / GIB


def text_encoder_activation_gib(component: ComponentSpec, prompt_tokens: int, batch: int = 1,
                                activation_bytes_per_element: float = 2.0,
                                constants: VramConstants | None = None) -> float:
    """Activation peak of one text-encoder forward [GiB], incl. all hidden states kept (output_hidden_states)."""
    n = float(text_encoder_tokens(component, prompt_tokens))
    b = _stream_activation_bytes(component, {"text": n}, batch, activation_bytes_per_element, constants or PRIOR_VRAM)
    b += batch * activation_bytes_per_element * n * (component.hidden_size or 0) * ((component.num_blocks or 0) + 1)
    return b / GIB


def vae_decode_workspace_gib(spec: ArchitectureSpec, width_px: int, height_px: int, batch: int = 1,
                             activation_bytes_per_element: float = 2.0,
                             constants: VramConstants | None = None) -> float:
    """VAE decode activation peak [GiB] = vae_decode_live_buffers * largest conv in/out tensor (no tiling).

    E.g. FLUX VAE at 1024^2: the 256-channel upsampler conv at full resolution, 256 * 1024 * 1024 * 2 B = 0.5 GiB,
    times 4 = 2 GiB.
    """
    dec = spec.vae_decoder
    if dec is None:
        return 0.0
    s = spec.tokens.vae_scale_factor
    latent_px = (height_px // s) * (width_px // s)
    largest = 0.0
    for g in dec.convs:
        out_px = latent_px * g.out_scale**2
        in_px = out_px * g.stride**2
        largest = max(largest, out_px * g.out_channels, in_px * g.in_channels)
    k = constants or PRIOR_VRAM
    return k.vae_decode_live_buffers * largest * batch * activation_bytes_per_element / GIB


@dataclass(frozen=True)
class VramBreakdown:
    """Peak VRAM and what it is made of [GiB]; ``stage`` names the stage where the peak occurs.

    ``total_gib``: what nvidia-smi shows on a roomy card (weights + activations + allocator cache + context);
    ``required_gib``: what must fit (weights + activations + fragmentation headroom + context), see
    :class:`VramConstants` ``allocator_overhead_fraction``.
    """

    total_gib: float
    weights_gib: float
    activations_gib: float
    overhead_gib: float
    stage: str
    offload: str
    required_gib: float = 0.0


def stage_breakdown(weights_gib: float, activations_gib: float, stage: str, offload: str,
                    constants: VramConstants | None = None) -> VramBreakdown:
    """One stage's VRAM [GiB]: total = weights + activations x (1 + allocator_overhead_fraction) + cuda_context_gib;
    required = weights + activations x (1 + fragmentation_headroom_fraction) + cuda_context_gib."""
    k = constants or PRIOR_VRAM
    overhead = activations_gib * k.allocator_overhead_fraction + k.cuda_context_gib
    required = weights_gib + activations_gib * (1 + k.fragmentation_headroom_fraction) + k.cuda_context_gib
    return VramBreakdown(weights_gib + activations_gib + overhead, weights_gib, activations_gib, overhead, stage,
                         offload, required)


def _resident_gib(components: list[ComponentSpec], offload: str, precision: str,
                  precisions: dict[str, str] | None, constants: VramConstants) -> float:
    total = 0.0
    for c in components:
        p = _precision_for(c, precision, precisions)
        full = component_weight_gib(c, p)
        if offload == "model" or offload == "none":
            total += full
            continue
        per_param = full / c.param_count if c.param_count else 0.0
        if offload == "group":
            non_block = c.param_count - (c.blocks_param_count or 0)
            resident = non_block + constants.group_offload_resident_blocks * (c.largest_block_params or 0)
            total += min(full, resident * per_param)
        else:  # sequential: one leaf at a time
            total = max(total, (c.largest_leaf_params or c.param_count) * per_param)
    return total


def denoiser_batch(spec: ArchitectureSpec, batch: int, evals_per_step: int) -> int:
    """Samples in one denoiser forward [count]: ``batch`` x ``evals_per_step`` where the pipeline concatenates the
    conditional and unconditional (CFG) inputs into one batch, else ``batch`` (the second pass is a forward of its
    own, :data:`SEPARATE_CFG_FORWARD_PIPELINES`)."""
    if evals_per_step > 1 and spec.pipeline_class in SEPARATE_CFG_FORWARD_PIPELINES:
        return batch
    return batch * evals_per_step


def peak_vram_breakdown(spec: ArchitectureSpec, width_px: int, height_px: int, prompt_tokens: int = 77,
                        batch: int = 1, precision: str = "bf16", offload: str = "none",
                        precisions: dict[str, str] | None = None,
                        activation_bytes_per_element: float = 2.0,
                        constants: VramConstants | None = None, reference_tokens: int = 0, *,
                        evals_per_step: int = 1) -> VramBreakdown:
    """Peak VRAM of one text-to-image call [GiB] (stages run one after another; see module docstring).

    ``batch``: images per call. ``evals_per_step``: denoiser evaluations per step (2 under classifier-free
    guidance). Each stage gets its own batch, as diffusers 0.42.1 runs it:
    - denoiser: :func:`denoiser_batch` (SDXL, SD3, Z-Image concatenate cond/uncond, ``torch.cat([latents] * 2)``);
    - text encoders: ``batch`` prompts per forward; the negative prompt is encoded by a forward of its own
      (``encode_prompt`` calls the encoders again), so CFG adds a forward, not a larger one (the timing model
      likewise counts the text encoders x evals as separate forwards, :func:`advisor.perf._engine.workload`);
    - VAE decode: the ``batch`` images; CFG has nothing to decode.
    ``reference_tokens``: input-image tokens in the denoiser's image stream (editing, multi-reference).
    """
    if offload not in OFFLOAD_STRATEGIES:
        raise InputError("offload", offload, f"one of {', '.join(OFFLOAD_STRATEGIES)}")
    if not isinstance(evals_per_step, int) or evals_per_step < 1:
        raise InputError("evals_per_step", evals_per_step, "an integer >= 1 (denoiser forwards per step)")
    k = constants or PRIOR_VRAM
    a = activation_bytes_per_element
    n_t = text_tokens(spec, prompt_tokens)
    stages: list[tuple[str, list[ComponentSpec], float]] = []
    for te in spec.text_encoders:
        stages.append((te.name, [te], text_encoder_activation_gib(te, prompt_tokens, batch, a, k)))
    stages.append(("transformer", [spec.transformer],
                   transformer_activation_gib(spec, width_px, height_px, n_t, denoiser_batch(spec, batch, evals_per_step),
                                              a, k, reference_tokens)))
    vae_parts = [c for c in spec.components if c.module == "vae"]
    if vae_parts:
        stages.append(("vae_decode", vae_parts, vae_decode_workspace_gib(spec, width_px, height_px, batch, a, k)))

    best: VramBreakdown | None = None
    required = 0.0
    all_gib = total_weight_gib(spec, precision, precisions)
    for name, comps, act in stages:
        weights = all_gib if offload == "none" else _resident_gib(comps, offload, precision, precisions, k)
        b = stage_breakdown(weights, act, name, offload, k)
        required = max(required, b.required_gib)
        if best is None or b.total_gib > best.total_gib:
            best = b
    assert best is not None
    # what must fit is the largest stage requirement: under offload the stage with the largest nvidia-smi peak
    # (more activations, hence more cache) need not be the one with the largest requirement (more resident weights)
    return replace(best, required_gib=required)


def transformer_only_breakdown(spec: ArchitectureSpec, width_px: int, height_px: int, text_tokens: int,
                               precision: str = "bf16", constants: VramConstants | None = None) -> VramBreakdown:
    """The denoiser alone on the GPU (``advisor measure --components transformer``: random prompt embeddings of
    ``text_tokens``): its weights + one forward's activations (batch 1) + allocator cache + context [GiB]."""
    k = constants or PRIOR_VRAM
    act = transformer_activation_gib(spec, width_px, height_px, text_tokens, 1, constants=k)
    weights = module_weight_gib(spec, precision)[spec.transformer.module]
    return stage_breakdown(weights, act, "transformer", "none", k)


def peak_vram_gib(spec: ArchitectureSpec, width_px: int, height_px: int, prompt_tokens: int = 77, batch: int = 1,
                  precision: str = "bf16", offload: str = "none", precisions: dict[str, str] | None = None,
                  activation_bytes_per_element: float = 2.0, constants: VramConstants | None = None) -> float:
    """Peak VRAM of one text-to-image call [GiB]; see :func:`peak_vram_breakdown`."""
    return peak_vram_breakdown(spec, width_px, height_px, prompt_tokens, batch, precision, offload, precisions,
                               activation_bytes_per_element, constants).total_gib


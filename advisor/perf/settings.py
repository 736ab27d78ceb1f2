"""The setting a request runs at, resolved and named: steps preset, input images, and THE label of a setting.

- Steps preset (:data:`STEPS_PRESETS`): ``studio`` = the steps and guidance studios run
  (``Pipeline.studio_settings``: model-card trade-off, ComfyUI template, with its source), ``library`` = the library's
  own call (``Pipeline.default_steps`` / ``default_guidance``). An explicit ``steps`` / ``guidance`` wins.
- Input images: only a pipeline that takes them (catalog capability ``image-editing`` or ``multi-reference``) gets
  reference tokens (:func:`advisor.perf.flops.reference_image_tokens`).
- :func:`setting_label`: the one label of a setting (weight format, matmul precision, compile, attention kernel, step
  cache, offload, steps), e.g. "FP8 weights, FP8 matmuls, torch.compile, SageAttention, 28 steps, group offload".
  Every command (simulate, recommend, compare) shows this label from the estimate, so one setting is one label and
  one number of seconds everywhere. Steps from the library's own call read "50 steps (library default)", so no row
  passes them off as what studios run.
"""

from __future__ import annotations

from advisor.errors import InputError

STEPS_PRESETS = ("studio", "library")
#: how :func:`resolve_steps` names steps that come from the library's own call (``Pipeline.default_steps``)
LIBRARY_SOURCE = "library call"
#: Capabilities (profiles/pipelines.yaml) of a pipeline that takes input images.
INPUT_IMAGE_CAPABILITIES = ("image-editing", "multi-reference")
#: How each optimization shows in a label (catalog slug -> words); kinds decide where it goes.
_NAMES = {"torch-compile": "torch.compile", "sage-attention": "SageAttention", "flash-attention-3": "FlashAttention-3",
          "first-block-cache": "First-Block-Cache", "teacache": "TeaCache", "nunchaku-w4a4": "Nunchaku W4A4",
          "nvfp4": "NVFP4", "comfyui": "ComfyUI", "sglang-diffusion": "SGLang Diffusion",
          "diffusers-eager": "diffusers", "tensorrt": "TensorRT"}
_WEIGHTS = {"bf16": "bf16", "fp16": "fp16", "fp32": "fp32", "fp8": "FP8", "int8": "INT8", "nf4": "NF4",
            "nf4-dq": "NF4", "gguf-q4": "GGUF Q4", "gguf-q8": "GGUF Q8"}
#: the matmul precision a request precision runs at without a compute optimization (quantised weights dequantise)
_MATMUL = {"bf16": "BF16", "fp16": "FP16", "fp32": "FP32", "fp8": "FP8", "int8": "INT8", "nf4": "BF16",
           "gguf-q4": "BF16"}
_KEY_MATMUL = {"fp8_fp32acc": "FP8", "fp8_fp16acc": "FP8", "int8_tops": "INT8", "fp4": "FP4"}


def resolve_steps(pipe, steps: int | None, preset: str) -> tuple[int, str]:
    """(steps, where they come from) for ``pipe`` under ``preset`` [steps]; an explicit ``steps`` wins."""
    if preset not in STEPS_PRESETS:
        raise InputError("steps_preset", preset, " | ".join(STEPS_PRESETS))
    if steps is not None:
        return steps, "as requested"
    st = pipe.studio_settings
    if preset == "studio" and st is not None:
        return st.steps, f"studio setting ({st.source}, {st.as_of})"
    why = "" if preset == "library" else "; no studio setting in the catalog"
    return pipe.default_steps, f"{LIBRARY_SOURCE} (profiles/pipelines.yaml default_steps{why})"


def resolve_guidance(pipe, guidance: float | None, preset: str) -> float | None:
    """The guidance scale of the call: explicit, else the studio setting's (preset studio), else None (the
    pipeline's ``default_guidance``, applied by the engine)."""
    if guidance is not None or preset != "studio" or pipe.studio_settings is None:
        return guidance
    return pipe.studio_settings.guidance


def takes_input_images(pipe) -> bool:
    """Whether ``pipe`` takes input (reference / edit) images: a catalog capability image-editing or
    multi-reference."""
    return any(c.capability in INPUT_IMAGE_CAPABILITIES for c in pipe.capabilities)


def reference_tokens_for(pipe, spec, input_megapixels: float) -> int:
    """Input-image tokens ``pipe`` adds to every denoiser forward [tokens]; 0 when it takes no input images."""
    from advisor.perf.flops import reference_image_tokens

    if not input_megapixels or not takes_input_images(pipe):
        return 0
    return reference_image_tokens(spec, input_megapixels)


def setting_label(est, catalog=None) -> str:
    """THE label of the setting an estimate ran (module docstring) [text]."""
    req = est.request
    names = tuple(getattr(req, "optimizations", ()))
    book = getattr(catalog, "optimizations", None)
    kinds = {}
    # a serving stack's included kernels (FlashAttention-3 in SGLang on Hopper) are in the applied factors only
    ran = tuple(dict.fromkeys(names + tuple(a.optimization for a in est.optimizations_applied)))
    for n in ran:
        o = book.optimizations.get(n) if book is not None and n in getattr(book, "optimizations", {}) else None
        kinds[n] = o.kind if o is not None else ""
    weight = next((a.source.split(" ")[0] for a in est.optimizations_applied if a.field == "weight_format"), None)
    key = next((a.source.split(" ")[0] for a in est.optimizations_applied if a.field == "matmul_tensor_key"), None)
    weights = _WEIGHTS.get(weight or req.precision, weight or req.precision)
    matmul = _KEY_MATMUL.get(key, key) if key else _MATMUL.get(req.precision, req.precision.upper())
    parts = [f"{weights} weights", f"{matmul} matmuls",
             "torch.compile" if "torch-compile" in names else "eager"]
    attention = [n for n in ran if kinds.get(n) == "attention"]
    parts.append(_NAMES.get(attention[0], attention[0]) if attention else "SDPA attention")
    parts += [_NAMES.get(n, n) for n in names if kinds.get(n) in ("step-cache", "serving-stack")]
    steps = getattr(est, "steps", 0) or req.steps
    if steps:
        # a row must not pass the library's own call off as what studios run (compare / recommend show this label)
        library = getattr(est, "steps_source", "").startswith(LIBRARY_SOURCE)
        parts.append(f"{steps} steps" + (" (library default)" if library else ""))
    if est.offload not in ("none", "auto"):
        parts.append(f"{est.offload} offload")
    if getattr(est, "reference_tokens", 0):
        parts.append(f"{req.input_megapixels:g} MP input")
    return ", ".join(parts)


#: Weight formats stored by a dtype cast (FP8 e4m3): a storage-only setting keeps these weights in the text encoders
#: too (``weight_precisions``).
STORAGE_CAST_FORMATS = ("fp8",)


def weight_precisions(spec, precision: str, weight_format: str | None, matmul_key: str | None) -> dict[str, str]:
    """Weight precision per component that overrides ``precision`` (``advisor.perf.memory.module_weight_gib``'s
    ``precisions``) under an optimization that sets ``weight_format`` (``matmul_key``: its matmul tensor key, None
    for BF16 matmuls).

    - VAE: bf16 (fp32 for an fp32 request); the denoiser: ``weight_format`` (the caller's precision argument).
    - Text encoders: stored in ``weight_format`` too when the setting only changes how weights are stored (an FP8
      cast with BF16 matmuls: diffusers ``enable_layerwise_casting`` / ``apply_layerwise_casting`` upcasts each
      layer before its forward, so the encoder still computes in BF16); ComfyUI's FLUX.2 [dev] template loads
      FP8 checkpoints of both the transformer and the Mistral text encoder (Comfy-Org/flux2-dev
      ``split_files/text_encoders/mistral_3_small_flux2_fp8.safetensors``, ComfyUI blog "FLUX.2 Day-0 Support in
      ComfyUI", 2025-11-25), which is what lets a 64 GB desktop hold them. A setting with FP8 or INT8 matmuls
      (``matmul_key`` set) or a block format (NF4, GGUF) quantises the denoiser only: the encoders stay at
      ``precision``, as the validation stacks run them.
    Host RAM, weight load (disk -> host -> GPU) and offload transfers follow these bytes; the encoder's upcast
    traffic (3 extra bytes per weight, once per prompt: ~0.07 s for the 24B Mistral encoder at 1 TB/s) is not
    added to its time."""
    out = {"vae": "fp32" if precision == "fp32" else "bf16"}
    if weight_format and weight_format != precision:
        storage_only = weight_format in STORAGE_CAST_FORMATS and matmul_key is None
        out.update({c.name: weight_format if storage_only else precision for c in spec.text_encoders})
    return out


def compile_seconds(est) -> float:
    """Compile warm-up of the setting [s]: the optimizations' ``compile_seconds`` (torch.compile), paid once per
    process start: every rental session and every serverless cold start (0 without compilation)."""
    return float(sum(a.value for a in est.optimizations_applied if a.field == "compile_seconds" and a.value))

"""Build a real diffusers pipeline: from a local weights folder, or with random weights at tiny/scaled/full size.

``full`` materialises the real sizes directly on the target device in the target dtype: the modules are
constructed under ``torch.device(device)`` with the default dtype set, so no CPU copy is made, and the weights
are then re-initialised in place with N(0, 0.02) (cheap; keeps activations finite; Z-Image pad tokens included).
Sizes: :mod:`measure.configs`. Tokenizers: :mod:`measure.tokenizers` (offline).
"""

from __future__ import annotations

import contextlib
import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import InputError
from measure.configs import PIPELINES, PipelineDef, component_configs, parse_random_weights

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}

_TRANSFORMERS_CONFIGS = {
    "Qwen3Model": "Qwen3Config",
    "Qwen3ForCausalLM": "Qwen3Config",
    "Mistral3ForConditionalGeneration": "Mistral3Config",
    "CLIPTextModel": "CLIPTextConfig",
    "CLIPTextModelWithProjection": "CLIPTextConfig",
    "T5EncoderModel": "T5Config",
    "Qwen2_5_VLForConditionalGeneration": "Qwen2_5_VLConfig",
}


@dataclass
class BuiltPipeline:
    """A ready pipeline plus what is needed to call and describe it."""

    pipe: Any
    pdef: PipelineDef
    device: str
    precision: str
    components: str  # all | transformer
    call_kwargs: dict[str, Any]  # fixed extra call kwargs (text_encoder_out_layers)
    components_run: list[str]
    components_skipped: list[str]
    component_infos: list[dict[str, Any]]
    build_seconds: float
    weights_bytes: int
    notes: list[str] = field(default_factory=list)


def torch_dtype(precision: str):
    import torch

    return getattr(torch, DTYPES[precision])


@contextlib.contextmanager
def _build_context(device: str, dtype):
    """Construct modules directly on ``device`` with ``dtype`` as the default floating dtype."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(old)


def random_init_(module, std: float = 0.02) -> None:
    """Re-initialise every >=2-D parameter in place with N(0, std) (1-D norms/biases keep their init).

    Also covers Z-Image's ``x_pad_token``/``cap_pad_token`` (allocated with torch.empty, may hold NaN).
    """
    import torch

    with torch.no_grad():
        for p in module.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)
            elif not torch.isfinite(p).all():
                p.zero_()


def library_class(library: str, class_name: str):
    """``getattr(<library>, class_name)`` for ``library`` in diffusers / transformers; a class the installed
    version lacks is an InputError naming the class and the version (one line, CLI exit 2)."""
    import importlib

    mod = importlib.import_module(library)
    cls = getattr(mod, class_name, None)
    if cls is None:
        raise InputError(f"{library} class", class_name,
                         f"a class of the installed {library} {getattr(mod, '__version__', '?')} "
                         f"(upgrade {library} to a release that has it)")
    return cls


def _make_transformers_model(class_name: str, cfg: dict):
    config_cls = library_class("transformers", _TRANSFORMERS_CONFIGS[class_name])
    return library_class("transformers", class_name)(config_cls(**cfg))


def build_module(class_name: str, cfg: dict):
    """One diffusers or transformers module from its :mod:`measure.configs` kwargs, on the current default
    device and dtype (callers wrap it in ``torch.device(...)``)."""
    if class_name in _TRANSFORMERS_CONFIGS:
        return _make_transformers_model(class_name, cfg)
    return library_class("diffusers", class_name)(**cfg)


def _count(module) -> tuple[int, int]:
    n = sum(p.numel() for p in module.parameters())
    b = sum(p.numel() * p.element_size() for p in module.parameters())
    return n, b


def raw_config(module: Any) -> dict[str, Any]:
    """Config of a diffusers (``.config``) or transformers (``.config.to_dict()``) module as a plain dict
    ({} without one); also used by ``measure.architecture_extract``."""
    cfg = getattr(module, "config", None)
    if cfg is None:
        return {}
    return cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg)


def _config_dict(module) -> dict[str, Any]:
    """JSON/YAML-safe config of a diffusers or transformers module."""
    import json

    raw = {k: v for k, v in raw_config(module).items() if k not in _NOISY_CONFIG_KEYS and not k.startswith("_")}
    return json.loads(json.dumps(raw, default=str))


_NOISY_CONFIG_KEYS = {"id2label", "label2id", "transformers_version", "architectures", "output_hidden_states",
                      "return_dict", "chunk_size_feed_forward", "problem_type", "tokenizer_class", "task_specific_params",
                      "finetuning_task", "prefix", "output_attentions", "torchscript", "pruned_heads", "tie_encoder_decoder",
                      "is_decoder", "cross_attention_hidden_size", "add_cross_attention", "typical_p", "dtype"}


def build_pipeline(slug: str, *, weights: str | None = None, random_weights: str | None = "tiny",
                   device: str = "cpu", precision: str = "fp32", components: str = "all",
                   offload: str = "none", seed: int = 0) -> BuiltPipeline:
    """Build the pipeline ``slug`` ready to call on ``device``.

    ``components='transformer'`` builds no text encoder / tokenizer (prompt embeddings are fed at random) and
    keeps the small VAE only because some pipelines read its config/BatchNorm stats; it is not run.
    """
    import diffusers
    import torch

    from measure.tokenizers import tokenizer

    if slug not in PIPELINES:
        from advisor.errors import UnknownSlugError

        raise UnknownSlugError("--pipeline", slug, PIPELINES)
    pdef = PIPELINES[slug]
    dtype = torch_dtype(precision)
    # Random weights are built (and randomly initialised) on the target device, also when the pipeline is offloaded:
    # initialising 56B parameters on the CPU took over 170 s for FLUX.2 [dev] (H100 campaign); on the GPU it takes
    # seconds. With offload each module is then moved to the CPU (one module on the GPU at a time), where the offload
    # hooks expect it. Local weights (--weights) load on the CPU first when offloaded, as diffusers does.
    build_device = device if (offload == "none" or not weights) else "cpu"
    t0 = time.perf_counter()
    call: dict[str, Any] = {}
    notes: list[str] = []
    pipe_cls = library_class("diffusers", pdef.pipeline_class)
    torch.manual_seed(seed)
    if weights:
        path = Path(weights)
        if not (path / "model_index.json").is_file():
            raise InputError("--weights", weights, "a local diffusers pipeline folder containing model_index.json")
        kw: dict[str, Any] = dict(dtype=dtype, local_files_only=True)
        if components == "transformer":
            for te, tok in pdef.text_encoders:
                kw[te] = None
                kw[tok] = None
        pipe = pipe_cls.from_pretrained(str(path), **kw)
        if offload == "none":
            pipe.to(device)
    else:
        mode, fraction = parse_random_weights(random_weights or "tiny")
        from measure.configs_more import MEASURABLE, measurable_configs

        configs, call = (measurable_configs(slug, mode) if slug in MEASURABLE
                         else component_configs(slug, mode, fraction))
        modules: dict[str, Any] = {}
        with _build_context(build_device, dtype):
            for name, (cls_name, cfg) in configs.items():
                if name == "scheduler":
                    continue
                if name.startswith("text_encoder") and components == "transformer":
                    continue
                modules[name] = build_module(cls_name, cfg)
                random_init_(modules[name])
                modules[name].eval()
                if offload != "none" and build_device != "cpu":
                    modules[name] = modules[name].to("cpu")
                    if str(build_device).startswith("cuda"):
                        torch.cuda.empty_cache()
                    elif str(build_device) == "mps":
                        torch.mps.empty_cache()
        sched_cls, sched_cfg = configs["scheduler"]
        modules["scheduler"] = library_class("diffusers", sched_cls)(**sched_cfg)
        for (te, tok), kind in zip(pdef.text_encoders, pdef.tokenizer_kinds):
            if components == "transformer":
                modules[te] = None
                modules[tok] = None
            else:
                modules[tok] = tokenizer(kind)
        pipe = pipe_cls(**modules, **pdef.extra_init)
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    elif offload == "group":
        pipe.enable_group_offload(onload_device=torch.device(device), offload_type="block_level",
                                  num_blocks_per_group=1)
    pipe.set_progress_bar_config(disable=True)
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
    elif device == "mps":
        torch.mps.synchronize()
    build_seconds = time.perf_counter() - t0

    infos, total_bytes, run, skipped = [], 0, [], []
    for name in ("text_encoder", "text_encoder_2", "text_encoder_3", "transformer", "unet", "vae"):
        mod = getattr(pipe, name, None)
        if mod is None:
            if name.startswith("text_encoder") and any(te == name for te, _ in pdef.text_encoders):
                skipped.append(name)
            continue
        n, b = _count(mod)
        total_bytes += b
        infos.append(dict(name=name, class_name=type(mod).__name__, param_count=n,
                          dtype=str(next(mod.parameters()).dtype).replace("torch.", ""), config=_config_dict(mod)))
        if name == "vae" and components == "transformer":
            skipped.append("vae (built, not run)")
        else:
            run.append(name)
    return BuiltPipeline(pipe=pipe, pdef=pdef, device=device, precision=precision, components=components,
                         call_kwargs=call, components_run=run, components_skipped=skipped, component_infos=infos,
                         build_seconds=build_seconds, weights_bytes=total_bytes, notes=notes)


def _accepts(fn, name: str) -> bool:
    return name in inspect.signature(fn).parameters


def call_kwargs(built: BuiltPipeline, *, prompt: str, width: int, height: int, steps: int, guidance: float,
                batch_size: int, max_sequence_length: int | None, seed: int) -> dict[str, Any]:
    """Keyword arguments for one pipeline call (random prompt embeddings with ``components='transformer'``)."""
    import torch

    pipe = built.pipe
    kw: dict[str, Any] = dict(num_inference_steps=steps, guidance_scale=guidance, width=width, height=height,
                              generator=torch.Generator("cpu").manual_seed(seed))
    qwen = built.pdef.pipeline_class == "QwenImagePipeline"
    if qwen:
        # Qwen-Image's CFG is "true_cfg_scale" with a negative prompt (its guidance_scale is for guidance-distilled
        # checkpoints only); the model card passes negative_prompt=" "
        kw["true_cfg_scale"], kw["guidance_scale"] = guidance, None
        if guidance > 1 and built.components == "all":
            kw["negative_prompt"] = [" "] * batch_size
    if max_sequence_length is not None and _accepts(pipe.__call__, "max_sequence_length"):  # SDXL has none (77)
        kw["max_sequence_length"] = max_sequence_length
    kw.update(built.call_kwargs)
    if built.components == "all":
        kw["prompt"] = [prompt] * batch_size
        kw["output_type"] = "pil"
        return kw
    # transformer only: random prompt embeddings of the shape the text encoder(s) would give
    kw["output_type"] = "latent"
    kw.pop("text_encoder_out_layers", None)
    den = getattr(pipe, "transformer", None) or pipe.unet
    cfg = den.config
    dev, dt = built.device, den.dtype  # the execution device (also with offload)
    msl = max_sequence_length or built.pdef.default_max_sequence_length
    g = torch.Generator("cpu").manual_seed(seed + 1)
    cls = built.pdef.pipeline_class
    if cls == "ZImagePipeline":
        # Z-Image strips padding: the denoiser sees only the templated prompt tokens
        n_text = _templated_prompt_tokens(prompt)
        emb = [torch.randn(n_text, cfg.cap_feat_dim, generator=g).to(dev, dt) for _ in range(batch_size)]
        kw["prompt_embeds"] = emb
        if guidance > 0:
            kw["negative_prompt_embeds"] = [e.clone() for e in emb]
    elif cls in ("Flux2Pipeline", "Flux2KleinPipeline"):
        kw["prompt_embeds"] = torch.randn(batch_size, msl, cfg.joint_attention_dim, generator=g).to(dev, dt)
        if cls == "Flux2KleinPipeline" and guidance > 1 and not pipe.config.is_distilled:
            kw["negative_prompt_embeds"] = kw["prompt_embeds"].clone()
    elif qwen:
        n_text = min(msl, 64)  # an unpadded prompt: the denoiser sees its tokens only (a sentence ~ 64)
        kw["prompt_embeds"] = torch.randn(batch_size, n_text, cfg.joint_attention_dim, generator=g).to(dev, dt)
        kw["prompt_embeds_mask"] = torch.ones(batch_size, n_text, dtype=torch.long).to(dev)
        if guidance > 1:
            kw["negative_prompt_embeds"] = kw["prompt_embeds"].clone()
            kw["negative_prompt_embeds_mask"] = kw["prompt_embeds_mask"].clone()
    elif cls == "StableDiffusionXLPipeline":
        # 77 CLIP tokens of CLIP-L + OpenCLIP-bigG hidden states (2048 channels); the pooled bigG projection
        n_pooled = cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim
        kw["prompt_embeds"] = torch.randn(batch_size, 77, cfg.cross_attention_dim, generator=g).to(dev, dt)
        kw["pooled_prompt_embeds"] = torch.randn(batch_size, n_pooled, generator=g).to(dev, dt)
        if guidance > 1:
            kw["negative_prompt_embeds"] = kw["prompt_embeds"].clone()
            kw["negative_pooled_prompt_embeds"] = kw["pooled_prompt_embeds"].clone()
    elif cls == "StableDiffusion3Pipeline":
        # 77 CLIP tokens (zero-padded to the T5 width) + msl T5 tokens; pooled CLIP-L + CLIP-G projections
        kw["prompt_embeds"] = torch.randn(batch_size, 77 + msl, cfg.joint_attention_dim, generator=g).to(dev, dt)
        kw["pooled_prompt_embeds"] = torch.randn(batch_size, cfg.pooled_projection_dim, generator=g).to(dev, dt)
        if guidance > 1:  # real CFG: the pipeline would otherwise encode the empty negative prompt
            kw["negative_prompt_embeds"] = kw["prompt_embeds"].clone()
            kw["negative_pooled_prompt_embeds"] = kw["pooled_prompt_embeds"].clone()
    else:  # FluxPipeline
        kw["prompt_embeds"] = torch.randn(batch_size, msl, cfg.joint_attention_dim, generator=g).to(dev, dt)
        kw["pooled_prompt_embeds"] = torch.randn(batch_size, cfg.pooled_projection_dim, generator=g).to(dev, dt)
    return kw


def _templated_prompt_tokens(prompt: str) -> int:
    """Tokens of the prompt in the Qwen chat template with the offline tokenizer (Z-Image strips padding)."""
    from measure.tokenizers import tokenizer

    tok = tokenizer("qwen")
    ids = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=True, add_generation_prompt=True)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return len(ids)

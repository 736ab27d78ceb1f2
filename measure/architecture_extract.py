"""Extract an :class:`advisor.catalog.architecture.ArchitectureSpec` from real diffusers/transformers modules.

Needs torch, diffusers and transformers (the ``measure`` extra); they are imported lazily inside
the functions so that importing this module stays cheap. Modules may live on the meta device.

Public API:
    extract_spec(components, pipeline_class, slug="custom", tokens=None, text_max_sequence_length=None,
                 source="") -> ArchitectureSpec
    build_meta_pipeline_components(slug) -> dict[str, torch.nn.Module]      (full-size, meta device)
    SLUGS, PIPELINE_CLASS                                                      (every catalog pipeline)
    default_token_rules(pipeline_class, components, max_sequence_length=None) -> TokenRules
    library_versions() -> dict[str, str]

How streams are assigned (denoiser): every ``nn.Linear`` is classified by its module path with the
ordered rules in ``_TRANSFORMER_STREAM_RULES`` (first match wins); a path that matches no rule raises
ValueError so a new architecture fails loudly instead of being counted wrong. Text encoders: every
linear that runs is a ``text`` linear (vision towers/projectors are recorded as unused parameters).
VAE: convolutions are walked block by block with the spatial scale tracked through up/down samplers.
The walk is checked against ``torch.utils.flop_counter.FlopCounterMode`` in tests/test_flops*.py.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from measure.arch_modules import (  # helpers shared with architecture_more / architecture_trace
    _blocks, _config_dict, _is_norm, _largest_leaf, _norm_features, _num_buffers, _num_params, _pattern,
)
from measure.configs import PIPELINE_CLASS  # noqa: F401  (re-exported: the one source)
from advisor.catalog.architecture import (
    ArchitectureSpec,
    AttentionGroup,
    ComponentSpec,
    ConvGroup,
    LinearGroup,
    NormGroup,
    TokenRules,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

SLUGS = tuple(PIPELINE_CLASS)  # every catalog pipeline (measure.configs is the one list)

# (regex on the module path, stream); first match wins.
_TRANSFORMER_STREAM_RULES: list[tuple[str, str]] = [
    # once per sample: timestep / guidance / pooled-text embeddings and adaLN modulation
    (r"(^|\.)(time_text_embed|time_guidance_embed|t_embedder|time_embed)\.", "per_sample"),
    (r"modulation", "per_sample"),
    (r"adaLN", "per_sample"),
    (r"\.(img|txt)_mod\.", "per_sample"),  # Qwen-Image per-block modulation
    (r"(^|\.)norm1(_context)?\.linear$", "per_sample"),
    (r"^single_transformer_blocks\.\d+\.norm\.linear$", "per_sample"),
    (r"^norm_out\.linear$", "per_sample"),
    # text tokens only
    (r"^context_refiner\.", "text"),
    (r"^cap_embedder\.", "text"),
    (r"^context_embedder", "text"),
    (r"\.add_[qkv]_proj$", "text"),
    (r"\.to_add_out$", "text"),
    (r"\.ff_context\.", "text"),
    (r"\.txt_mlp\.", "text"),  # Qwen-Image: the text half of each dual-stream block
    (r"^txt_in$", "text"),
    # image tokens only
    (r"^noise_refiner\.", "image"),
    (r"x_embedder", "image"),
    (r"^img_in$", "image"),
    (r"^pos_embed\.proj$", "image"),  # SD3 patch embedding (a Conv2d; recorded as a conv)
    (r"^all_final_layer\.", "joint"),  # Z-Image: the final layer runs over the unified sequence, then slices
    (r"final_layer", "image"),
    (r"^proj_out$", "image"),
    (r"^transformer_blocks\.", "image"),  # FLUX double-stream blocks: the image half
    # all (image + text) tokens
    (r"^layers\.", "joint"),
    (r"^single_transformer_blocks\.", "joint"),
]

# norms: the text half of FLUX double blocks, and the final norm over image tokens only
_NORM_STREAM_RULES: list[tuple[str, str]] = [
    (r"_context(\.|$)", "text"),
    (r"(^|\.)txt_norm", "text"),
    (r"^norm_out(\.|$)", "image"),
]

_ATTENTION_SEQUENCE_RULES: list[tuple[str, str]] = [
    (r"^transformer_blocks\.\d+\.attn2$", "image"),  # SD3.5 Medium (MMDiT-X): a second attention over image tokens
    (r"^noise_refiner\.", "image"),
    (r"^context_refiner\.", "text"),
    (r"^(layers|single_transformer_blocks|transformer_blocks)\.", "joint"),
]

# text-encoder submodules that a text-to-image call never runs
_UNUSED_TEXT_PREFIXES = ("model.vision_tower", "model.multi_modal_projector", "vision_tower", "multi_modal_projector",
                         "model.visual", "visual")


def _first_match(name: str, rules: list[tuple[str, str]]) -> str | None:
    for regex, value in rules:
        if re.search(regex, name):
            return value
    return None


class _Groups:
    """Accumulates identical layers into groups keyed by their pattern and shape."""

    def __init__(self) -> None:
        self.linears: dict[tuple, int] = {}
        self.attentions: dict[tuple, int] = {}
        self.convs: dict[tuple, int] = {}
        self.norms: dict[tuple, int] = {}

    @staticmethod
    def _add(d: dict[tuple, int], key: tuple) -> None:
        d[key] = d.get(key, 0) + 1

    def linear(self, name: str, mod: Any, stream: str, scale: float = 1.0) -> None:
        self._add(self.linears, (_pattern(name), stream, mod.in_features, mod.out_features, mod.bias is not None, scale))

    def attention(self, name: str, sequence: str, heads: int, kv_heads: int, head_dim: int, causal: bool,
                  scale: float = 1.0) -> None:
        self._add(self.attentions, (_pattern(name), sequence, heads, kv_heads, head_dim, causal, scale))

    def conv(self, name: str, mod: Any, out_scale: float) -> None:
        kh, kw = mod.kernel_size
        stride = mod.stride[0]
        self._add(self.convs, (_pattern(name), mod.in_channels, mod.out_channels, (kh, kw), stride, mod.groups,
                               float(out_scale), mod.bias is not None))

    def norm(self, name: str, kind: str, stream: str, features: int, scale: float = 1.0) -> None:
        self._add(self.norms, (_pattern(name), kind, stream, features, scale))

    def build(self) -> dict[str, list]:
        return {
            "linears": [LinearGroup(name=k[0], stream=k[1], in_features=k[2], out_features=k[3], bias=k[4], scale=k[5],
                                    count=n) for k, n in self.linears.items()],
            "attentions": [AttentionGroup(name=k[0], sequence=k[1], heads=k[2], kv_heads=k[3], head_dim=k[4],
                                          causal=k[5], scale=k[6], count=n) for k, n in self.attentions.items()],
            "convs": [ConvGroup(name=k[0], in_channels=k[1], out_channels=k[2], kernel=k[3], stride=k[4], groups=k[5],
                                out_scale=k[6], bias=k[7], count=n) for k, n in self.convs.items()],
            "norms": [NormGroup(name=k[0], kind=k[1], stream=k[2], features=k[3], scale=k[4], count=n)
                      for k, n in self.norms.items()],
        }


def _extract_transformer(name: str, module: Any) -> ComponentSpec:
    import torch

    g = _Groups()
    attn_names: dict[str, Any] = {}
    for mname, mod in module.named_modules():
        if hasattr(mod, "heads") and (hasattr(mod, "to_q") or hasattr(mod, "to_qkv_mlp_proj")):
            attn_names[mname] = mod
    # Z-Image carries one x_embedder / final_layer per (patch, frame-patch) size; only the configured one runs
    skip_prefixes: list[str] = []
    cfg = getattr(module, "config", {})
    if hasattr(module, "all_x_embedder") and len(module.all_x_embedder) > 1:
        key = f"{cfg['all_patch_size'][0]}-{cfg['all_f_patch_size'][0]}"
        skip_prefixes += [f"all_x_embedder.{k}" for k in module.all_x_embedder.keys() if k != key]
        skip_prefixes += [f"all_final_layer.{k}" for k in module.all_final_layer.keys() if k != key]

    for mname, mod in module.named_modules():
        if any(mname.startswith(p) for p in skip_prefixes):
            continue
        if isinstance(mod, torch.nn.Linear):
            stream = _first_match(mname, _TRANSFORMER_STREAM_RULES)
            if stream is None:
                raise ValueError(f"{type(module).__name__}: no stream rule for linear {mname!r}")
            g.linear(mname, mod, stream)
        elif isinstance(mod, torch.nn.Conv2d):
            # a patch embedding over the latent grid (SD3): kernel = stride = patch, output at 1/stride of the grid
            g.conv(mname, mod, 1.0 / mod.stride[0])
        elif (kind := _is_norm(mod)) is not None:
            feats = _norm_features(mod)
            if feats is None:
                continue
            stream = _first_match(mname, _NORM_STREAM_RULES + _TRANSFORMER_STREAM_RULES) or "joint"
            parent = mname.rsplit(".", 1)[0] if "." in mname else ""
            leaf = mname.rsplit(".", 1)[-1]
            if parent in attn_names and leaf.startswith("norm_") and feats == getattr(attn_names[parent], "head_dim", -1):
                feats *= attn_names[parent].heads  # QK norm over head_dim, applied to every head
                if "added" in leaf:
                    stream = "text"
            g.norm(mname, kind, stream, feats)

    for mname, mod in attn_names.items():
        head_dim = int(getattr(mod, "head_dim", None) or mod.inner_dim // mod.heads)
        heads = int(mod.heads)
        kv_heads = heads
        if getattr(mod, "to_k", None) is not None:
            kv_heads = mod.to_k.out_features // head_dim
        if getattr(mod, "add_q_proj", None) is not None:
            seq = "joint"
        else:
            seq = _first_match(mname, _ATTENTION_SEQUENCE_RULES)
            if seq is None:
                raise ValueError(f"{type(module).__name__}: no sequence rule for attention {mname!r}")
        g.attention(mname, seq, heads, kv_heads, head_dim, causal=False)

    hidden = cfg.get("dim") or (cfg.get("num_attention_heads", 0) * cfg.get("attention_head_dim", 0)) or None
    return ComponentSpec(
        name=name, role="transformer", module=name, class_name=type(module).__name__, config=_config_dict(module),
        param_count=_num_params(module), buffer_count=_num_buffers(module), hidden_size=hidden,
        **_blocks(module), **g.build(),
    )


# ---------------------------------------------------------------------------------------------- text encoder
def _text_attention(mod: Any) -> tuple[int, int, int] | None:
    """(heads, kv_heads, head_dim) of a transformers attention module, or None if ``mod`` is not one."""
    q = getattr(mod, "q_proj", None) or getattr(mod, "q", None)
    k = getattr(mod, "k_proj", None) or getattr(mod, "k", None)
    if q is None or k is None or not hasattr(q, "out_features"):
        return None
    head_dim = getattr(mod, "head_dim", None) or getattr(mod, "key_value_proj_dim", None)
    if head_dim is None:
        return None
    return q.out_features // head_dim, k.out_features // head_dim, int(head_dim)


def _extract_text_encoder(name: str, module: Any, max_sequence_length: int) -> ComponentSpec:
    import torch

    cls = type(module).__name__
    causal = not (cls.startswith("T5") or cls.startswith("UMT5"))  # CLIP text uses a causal mask; LLMs are causal
    g = _Groups()
    unused = 0
    for mname, mod in module.named_modules():
        if mname.startswith(_UNUSED_TEXT_PREFIXES):
            continue
        if isinstance(mod, torch.nn.Linear):
            # CLIPTextModelWithProjection: the projection runs once, on the pooled (EOS) token
            g.linear(mname, mod, "per_sample" if mname == "text_projection" else "text")
        elif (kind := _is_norm(mod)) is not None:
            feats = _norm_features(mod)
            if feats is None:
                continue
            parent_attn = None
            if "." in mname:
                parent_attn = module.get_submodule(mname.rsplit(".", 1)[0])
            hk = _text_attention(parent_attn) if parent_attn is not None else None
            if hk is not None and feats == hk[2]:  # per-head q/k norm (Qwen3)
                feats *= hk[0] if mname.endswith("q_norm") else hk[1]
            g.norm(mname, kind, "text", feats)
        else:
            hk = _text_attention(mod)
            if hk is not None:
                g.attention(mname, "text", hk[0], hk[1], hk[2], causal=causal)
    for prefix in _UNUSED_TEXT_PREFIXES:
        try:
            sub = module.get_submodule(prefix)
        except AttributeError:
            continue
        unused += _num_params(sub)
    cfg = getattr(module, "config", None)
    text_cfg = getattr(cfg, "text_config", None) or cfg
    hidden = getattr(text_cfg, "hidden_size", None) or getattr(text_cfg, "d_model", None)
    # transformer blocks of the language model only
    lm = module
    for prefix in ("model.language_model", "language_model"):
        try:
            lm = module.get_submodule(prefix)
            break
        except AttributeError:
            pass
    blocks = _blocks(lm)
    blocks["largest_leaf_params"] = _largest_leaf(module) or None
    return ComponentSpec(
        name=name, role="text_encoder", module=name, class_name=cls, config=_config_dict(module),
        param_count=_num_params(module), param_count_unused=unused, buffer_count=_num_buffers(module),
        sequence_policy="padded", max_sequence_length=max_sequence_length, hidden_size=hidden,
        **blocks, **g.build(),
        notes=("causal self-attention" if causal else "bidirectional self-attention")
        + ("; vision tower and projector are loaded but not run for text-to-image" if unused else ""),
    )


# ------------------------------------------------------------------------------------------------------- VAE
def _walk_vae_block(g: _Groups, prefix: str, block: Any, scale: float, sampler_attr: str | None) -> float:
    """Record the convs/norms/attention of one VAE (up/down/mid) block at ``scale``; return the scale after it."""
    import torch

    out_scale = scale
    samplers = getattr(block, sampler_attr, None) if sampler_attr else None
    if samplers is not None:
        out_scale = scale * 2 if sampler_attr == "upsamplers" else scale / 2
        for i, s in enumerate(samplers):
            for n, m in s.named_modules():
                if isinstance(m, torch.nn.Conv2d):
                    full = f"{prefix}.{sampler_attr}.{i}" + (f".{n}" if n else "")
                    g.conv(full, m, out_scale)
    for n, m in block.named_modules():
        full = f"{prefix}.{n}" if n else prefix
        if sampler_attr and (n == sampler_attr or n.startswith(sampler_attr + ".")):
            continue
        if isinstance(m, torch.nn.Conv2d):
            g.conv(full, m, scale)
        elif isinstance(m, torch.nn.Linear):
            g.linear(full, m, "latent", scale)
        elif (kind := _is_norm(m)) is not None and (f := _norm_features(m)) is not None:
            g.norm(full, kind, "latent", f, scale)
        elif hasattr(m, "heads") and hasattr(m, "to_q"):
            head_dim = m.to_q.out_features // m.heads
            g.attention(full, "latent", m.heads, m.to_k.out_features // head_dim, head_dim, causal=False, scale=scale)
    return out_scale


def _extract_vae(module: Any) -> list[ComponentSpec]:
    import torch

    cfg = _config_dict(module)
    n_up = len(module.decoder.up_blocks)
    # ---- decoder (latent -> image)
    g = _Groups()
    params = _num_params(module.decoder)
    for extra in ("post_quant_conv",):
        m = getattr(module, extra, None)
        if m is not None:
            g.conv(extra, m, 1.0)
            params += _num_params(m)
    dec = module.decoder
    g.conv("decoder.conv_in", dec.conv_in, 1.0)
    scale = 1.0
    scale = _walk_vae_block(g, "decoder.mid_block", dec.mid_block, scale, None)
    for i, blk in enumerate(dec.up_blocks):
        scale = _walk_vae_block(g, f"decoder.up_blocks.{i}", blk, scale, "upsamplers")
    if isinstance(dec.conv_norm_out, torch.nn.Module) and (f := _norm_features(dec.conv_norm_out)):
        g.norm("decoder.conv_norm_out", _is_norm(dec.conv_norm_out) or "GroupNorm", "latent", f, scale)
    g.conv("decoder.conv_out", dec.conv_out, scale)
    bn = getattr(module, "bn", None)
    buffers = _num_buffers(module.decoder)
    notes = f"decoder upsamples the latent {int(scale)}x"
    if bn is not None:  # FLUX.2: BatchNorm statistics used to (de)normalise the patchified latent
        params += _num_params(bn)
        buffers += _num_buffers(bn)
        notes += "; BatchNorm2d latent statistics counted with the decoder"
    dec_spec = ComponentSpec(name="vae_decoder", role="vae_decoder", module="vae", class_name=type(module).__name__,
                             config=cfg, param_count=params, buffer_count=buffers,
                             num_blocks=n_up, largest_block_params=max(_num_params(b) for b in dec.up_blocks),
                             blocks_param_count=sum(_num_params(b) for b in dec.up_blocks),
                             largest_leaf_params=_largest_leaf(dec) or None,
                             notes=notes, **g.build())
    # ---- encoder (image -> latent)
    enc = module.encoder
    n_down = len(enc.down_blocks)
    g = _Groups()
    params = _num_params(enc)
    scale = float(2 ** (n_down - 1))
    g.conv("encoder.conv_in", enc.conv_in, scale)
    for i, blk in enumerate(enc.down_blocks):
        scale = _walk_vae_block(g, f"encoder.down_blocks.{i}", blk, scale, "downsamplers")
    scale = _walk_vae_block(g, "encoder.mid_block", enc.mid_block, scale, None)
    if (f := _norm_features(enc.conv_norm_out)):
        g.norm("encoder.conv_norm_out", _is_norm(enc.conv_norm_out) or "GroupNorm", "latent", f, scale)
    g.conv("encoder.conv_out", enc.conv_out, scale)
    m = getattr(module, "quant_conv", None)
    if m is not None:
        g.conv("quant_conv", m, scale)
        params += _num_params(m)
    enc_spec = ComponentSpec(name="vae_encoder", role="vae_encoder", module="vae", class_name=type(module).__name__,
                             config=cfg, param_count=params, buffer_count=_num_buffers(enc),
                             num_blocks=n_down, largest_block_params=max(_num_params(b) for b in enc.down_blocks),
                             blocks_param_count=sum(_num_params(b) for b in enc.down_blocks),
                             largest_leaf_params=_largest_leaf(enc) or None,
                             notes="used only for image-to-image / editing inputs", **g.build())
    return [dec_spec, enc_spec]


# -------------------------------------------------------------------------------------------------- tokens
def default_token_rules(pipeline_class: str, components: dict[str, Any],
                        max_sequence_length: int | None = None) -> TokenRules:
    """Token rules of a diffusers pipeline class, read from its components' configs."""
    vae = components.get("vae")
    vcfg = vae.config if vae is not None else None
    if vcfg is not None and hasattr(vcfg, "temperal_downsample"):  # causal 3-D VAE (Qwen-Image): 2x per stage
        vae_scale, latent_channels = 2 ** len(vcfg.temperal_downsample), int(vcfg.z_dim)
    else:
        vae_scale = 2 ** (len(vcfg.block_out_channels) - 1) if vcfg is not None else 8
        latent_channels = int(vcfg.latent_channels) if vcfg is not None else 16
    if pipeline_class == "ZImagePipeline":
        tcfg = components["transformer"].config
        return TokenRules(
            vae_scale_factor=vae_scale, patch_size=int(tcfg.all_patch_size[0]), latent_channels=latent_channels,
            text_policy="prompt_only", max_sequence_length=max_sequence_length or 512, text_multiple_of=32,
            image_multiple_of=32, template_tokens=8,
            notes="Qwen3 encodes max_sequence_length padded tokens (chat template, enable_thinking=True); the "
                  "transformer keeps prompt tokens only (padding stripped), padded to a multiple of 32 "
                  "(SEQ_MULTI_OF); template_tokens ~8 = <|im_start|>user\\n ... <|im_end|>\\n<|im_start|>assistant\\n",
        )
    if pipeline_class in ("Flux2Pipeline", "Flux2KleinPipeline"):
        patch = int(vae.config.patch_size[0]) if vae is not None and hasattr(vae.config, "patch_size") else 2
        return TokenRules(
            vae_scale_factor=vae_scale, patch_size=patch, latent_channels=latent_channels, text_policy="padded",
            max_sequence_length=max_sequence_length or 512,
            notes="all max_sequence_length (padded) text tokens enter the transformer; the text encoder runs over "
                  "them too, lm_head included (hidden states of 3 layers are stacked)",
        )
    if pipeline_class in ("FluxPipeline", "FluxKontextPipeline"):
        return TokenRules(
            vae_scale_factor=vae_scale, patch_size=2, latent_channels=latent_channels, text_policy="padded",
            max_sequence_length=max_sequence_length or 512,
            notes="T5 tokens padded to max_sequence_length (pipeline default 512; schnell model card uses 256) "
                  "enter the transformer; CLIP (77 tokens) only gives the pooled vector",
        )
    from measure.architecture_more import more_token_rules

    rules = more_token_rules(pipeline_class, components, vae_scale, latent_channels, max_sequence_length)
    if rules is not None:
        return rules
    raise ValueError(f"pipeline_class {pipeline_class!r}: no token rules (known: ZImagePipeline, Flux2Pipeline, "
                     f"Flux2KleinPipeline, FluxPipeline, FluxKontextPipeline, StableDiffusion3Pipeline, "
                     f"QwenImagePipeline, QwenImageEditPipeline, StableDiffusionXLPipeline); pass tokens=")


def library_versions() -> dict[str, str]:
    import diffusers
    import torch
    import transformers

    return {"diffusers": diffusers.__version__, "transformers": transformers.__version__,
            "torch": torch.__version__.split("+")[0]}


def extract_spec(components: dict[str, Any], pipeline_class: str, slug: str = "custom",
                 tokens: TokenRules | None = None, text_max_sequence_length: dict[str, int] | None = None,
                 max_sequence_length: int | None = None, source: str = "") -> ArchitectureSpec:
    """Walk real modules (any device, meta included) and build their :class:`ArchitectureSpec`.

    ``components`` maps pipeline attribute names to modules: ``transformer`` (required), ``text_encoder``,
    ``text_encoder_2``, ``vae`` (an AutoencoderKL-like module with ``encoder``/``decoder``). Missing optional
    components are simply left out. ``text_max_sequence_length`` overrides the tokens each text encoder
    encodes (default: CLIP 77, others the pipeline max_sequence_length, 512).
    """
    if "transformer" not in components and "unet" not in components:
        raise ValueError("components: a 'transformer' (or 'unet') module is required")
    tokens = tokens or default_token_rules(pipeline_class, components, max_sequence_length)
    if "transformer" in components:
        specs = [_extract_transformer("transformer", components["transformer"])]
    else:
        from measure.architecture_more import extract_unet

        specs = [extract_unet(components["unet"], tokens)]
    for name in sorted(k for k in components if k.startswith("text_encoder")):
        mod = components[name]
        if mod is None:
            continue
        seq = (text_max_sequence_length or {}).get(name)
        if seq is None:
            seq = 77 if type(mod).__name__.startswith("CLIP") else tokens.max_sequence_length
        specs.append(_extract_text_encoder(name, mod, seq))
    if components.get("vae") is not None:
        if type(components["vae"]).__name__ == "AutoencoderKLQwenImage":
            from measure.architecture_more import extract_causal3d_vae

            specs.extend(extract_causal3d_vae(components["vae"]))
        else:
            specs.extend(_extract_vae(components["vae"]))
    return ArchitectureSpec(slug=slug, pipeline_class=pipeline_class, components=specs, tokens=tokens,
                            versions=library_versions(), source=source)


# ------------------------------------------------------------------------------------------ full-size configs
def build_meta_pipeline_components(slug: str) -> dict[str, Any]:
    """Instantiate the full-size components of ``slug`` on ``torch.device('meta')`` (no memory, no weights).

    The sizes come from ``measure.configs.component_configs(slug, "full")``, the one copy of the real configs
    (the measured runs build the same modules); imported here lazily, like torch.
    """
    import torch

    if slug not in PIPELINE_CLASS:
        from advisor.errors import UnknownSlugError

        raise UnknownSlugError("slug", slug, SLUGS)
    from measure.configs import component_configs
    from measure.configs_more import ARCH_ONLY, arch_only_configs
    from measure.pipelines import build_module

    configs = arch_only_configs(slug) if slug in ARCH_ONLY else component_configs(slug, "full")[0]
    with torch.device("meta"):
        return {name: build_module(cls_name, cfg) for name, (cls_name, cfg) in configs.items() if name != "scheduler"}


_SOURCES = {
    "z-image-turbo": "ZImageTransformer2DModel class defaults (== Tongyi-MAI/Z-Image-Turbo transformer/config.json); "
                     "Qwen3-4B config.json; FLUX.1 VAE config",
    "flux-2-dev": "Flux2Transformer2DModel class defaults (== diffusers scripts/convert_flux2_to_diffusers.py); "
                  "Mistral3Config() defaults (Mistral-Small-3.1-24B) untied; AutoencoderKLFlux2 defaults",
    "flux-2-klein-4b": "convert_flux2_to_diffusers.py klein-4B: 5 double + 20 single, 24 heads, joint 7680; Qwen3-4B",
    "flux-2-klein-9b": "convert_flux2_to_diffusers.py klein-9B: 8 double + 24 single, 32 heads, joint 12288; Qwen3-8B",
    "flux-1-dev": "black-forest-labs/FLUX.1-dev transformer/text_encoder/text_encoder_2/vae config.json",
    "flux-1-schnell": "black-forest-labs/FLUX.1-schnell configs (as dev, guidance_embeds False)",
}


def extract_slug(slug: str) -> ArchitectureSpec:
    """Build the meta-device components of ``slug`` and extract its spec."""
    from measure.architecture_more import MORE_SOURCES, adjust_spec, text_sequence_lengths

    comps = build_meta_pipeline_components(slug)
    spec = extract_spec(comps, PIPELINE_CLASS[slug], slug=slug, source={**_SOURCES, **MORE_SOURCES}[slug],
                        text_max_sequence_length=text_sequence_lengths(PIPELINE_CLASS[slug]))
    return adjust_spec(spec)

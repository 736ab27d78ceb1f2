"""Component configs of the supported pipelines: real sizes, diffusers-test-sized ``tiny``, and ``scaled:<f>``.

No torch here: configs are plain dicts ``{module: (class_name, kwargs)}``; :mod:`measure.pipelines` builds them.
The ``full`` configs are the single source of the real sizes: ``measure.architecture_extract`` builds its
meta-device modules (and so ``profiles/architectures/*.yaml``) from them.

Real sizes (source: shared/research/diffusers-offline.md §2, checked against exact parameter counts built on
the meta device; FLUX.1 from the public FLUX.1-dev / T5-v1.1-XXL / CLIP ViT-L/14 config.json files):

- Z-Image-Turbo: ZImageTransformer2DModel class defaults (6,154,908,736 params), Qwen3-4B ``Qwen3Model``
  (4,022,468,096), FLUX.1 ``AutoencoderKL`` (83,821,011).
- FLUX.2-dev: Flux2Transformer2DModel defaults (32,223,281,152), Mistral-Small-3.x ``Mistral3ForConditionalGeneration``
  (24.0B untied), AutoencoderKLFlux2 defaults (84,046,115).
- FLUX.2-klein-4B / 9B: 5+20 blocks, 24 heads / 8+24 blocks, 32 heads; Qwen3-4B / Qwen3-8B ``Qwen3ForCausalLM``.
- FLUX.1-dev / schnell: FluxTransformer2DModel 19+38 blocks, 24 heads (11.9B), CLIP-L text (123M), T5-v1.1-XXL
  encoder (4.76B), FLUX.1 AutoencoderKL.

Also measurable: Z-Image (base, undistilled) = the Z-Image-Turbo architecture; FLUX.2 [klein] base 4B / 9B = the
klein 4B / 9B architectures with ``is_distilled=False``. SD 3.5, Qwen-Image(-Edit), FLUX.1 Kontext and SDXL have
their sizes in :mod:`measure.configs_more` (SD 3.5, Qwen-Image, SDXL measurable at tiny and full size).

``scaled:<f>`` shrinks width and depth of the real configs by ``f`` (0 < f <= 1) keeping the shape rules
(head_dim fixed at the real value, so hidden = heads * head_dim; Z-Image ``cap_feat_dim`` = text hidden; FLUX.2
``joint_attention_dim`` = 3 x text hidden; FLUX.1 ``joint_attention_dim`` = T5 d_model, ``pooled_projection_dim`` =
CLIP hidden; VAE channels multiples of 32 for GroupNorm(32)). ``scaled:1`` equals ``full``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from advisor.errors import InputError

TINY_VOCAB = 320  # >= 256 byte symbols + the special tokens of every offline tokenizer

# ------------------------------------------------------------------------------------------ real sizes
FLUX1_VAE = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
                 up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
                 act_fn="silu", latent_channels=16, norm_num_groups=32, sample_size=1024, scaling_factor=0.3611,
                 shift_factor=0.1159, use_quant_conv=False, use_post_quant_conv=False)
FLUX2_VAE: dict[str, Any] = dict(block_out_channels=[128, 256, 512, 512], latent_channels=32, norm_num_groups=32)

Z_IMAGE_DIT = dict(all_patch_size=[2], all_f_patch_size=[1], in_channels=16, dim=3840, n_layers=30, n_refiner_layers=2,
                   n_heads=30, n_kv_heads=30, norm_eps=1e-5, qk_norm=True, cap_feat_dim=2560, rope_theta=256.0,
                   t_scale=1000.0, axes_dims=[32, 48, 48], axes_lens=[1024, 512, 512])
QWEN3_4B = dict(vocab_size=151936, hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
                num_key_value_heads=8, head_dim=128, max_position_embeddings=40960, rope_theta=1000000,
                rms_norm_eps=1e-6, tie_word_embeddings=True)
QWEN3_8B = dict(QWEN3_4B, hidden_size=4096, intermediate_size=12288, tie_word_embeddings=False)

FLUX2_DEV_DIT = dict(in_channels=128, num_layers=8, num_single_layers=48, attention_head_dim=128, num_attention_heads=48,
                     joint_attention_dim=15360, mlp_ratio=3.0, axes_dims_rope=[32, 32, 32, 32], rope_theta=2000,
                     guidance_embeds=True)
KLEIN_4B_DIT = dict(FLUX2_DEV_DIT, num_layers=5, num_single_layers=20, num_attention_heads=24, joint_attention_dim=7680,
                    guidance_embeds=False)
KLEIN_9B_DIT = dict(FLUX2_DEV_DIT, num_layers=8, num_single_layers=24, num_attention_heads=32, joint_attention_dim=12288,
                    guidance_embeds=False)
MISTRAL_TEXT = dict(model_type="mistral", vocab_size=131072, hidden_size=5120, intermediate_size=32768,
                    num_hidden_layers=40, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
                    max_position_embeddings=131072, rope_theta=1000000000.0, rms_norm_eps=1e-5, sliding_window=None,
                    tie_word_embeddings=False)
PIXTRAL_VISION = dict(model_type="pixtral", hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                      num_attention_heads=16, head_dim=64, image_size=1540, patch_size=14, rope_theta=10000.0,
                      vocab_size=32000)  # as Mistral3Config()'s default vision_config; no weight depends on it
# image_token_index: the public Mistral-Small-3.1 value; unused for text-to-image (no pixel_values)
MISTRAL3 = dict(text_config=MISTRAL_TEXT, vision_config=PIXTRAL_VISION, image_token_index=10, tie_word_embeddings=False,
                spatial_merge_size=2, multimodal_projector_bias=False, projector_hidden_act="gelu",
                vision_feature_layer=-1)

FLUX1_DEV_DIT = dict(patch_size=1, in_channels=64, num_layers=19, num_single_layers=38, attention_head_dim=128,
                     num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768, guidance_embeds=True,
                     axes_dims_rope=[16, 56, 56])
FLUX1_SCHNELL_DIT = dict(FLUX1_DEV_DIT, guidance_embeds=False)
CLIP_L_TEXT = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                   max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768, bos_token_id=0,
                   eos_token_id=2, pad_token_id=1)  # FLUX.1-dev text_encoder/config.json (eos 2: pool at argmax id)
T5_XXL = dict(vocab_size=32128, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
              relative_attention_num_buckets=32, feed_forward_proj="gated-gelu", dropout_rate=0.1,  # off in eval()
              tie_word_embeddings=False, is_encoder_decoder=False, use_cache=False, pad_token_id=0, eos_token_id=1)

FLOW_SCHED = dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=False)
FLOW_SCHED_DYNAMIC = dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15,
                          base_image_seq_len=256, max_image_seq_len=4096)
FLOW_SCHED_SCHNELL = dict(num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=False)

# ----------------------------------------------------------------------------------------- tiny sizes
TINY_VAE16 = dict(FLUX1_VAE, block_out_channels=[16, 16, 32, 32], layers_per_block=1, norm_num_groups=8, sample_size=64)
TINY_VAE_FLUX2 = dict(block_out_channels=[16, 16, 32, 32], layers_per_block=1, latent_channels=8, norm_num_groups=8,
                      sample_size=64)
TINY_QWEN = dict(vocab_size=TINY_VOCAB, hidden_size=16, intermediate_size=32, num_hidden_layers=3, num_attention_heads=2,
                 num_key_value_heads=1, head_dim=8, max_position_embeddings=1024, tie_word_embeddings=True)
TINY_FLUX2_DIT = dict(in_channels=32, num_layers=1, num_single_layers=2, attention_head_dim=16, num_attention_heads=2,
                      joint_attention_dim=48, axes_dims_rope=[4, 4, 4, 4], timestep_guidance_channels=32)


#: diffusers pipeline class of each pipeline: the one source (the architecture generator and the measured profiles
#: read it here; profiles/architectures/*.yaml are generated from it)
PIPELINE_CLASS: dict[str, str] = {
    "z-image-turbo": "ZImagePipeline",
    "flux-2-dev": "Flux2Pipeline",
    "flux-2-klein-4b": "Flux2KleinPipeline",
    "flux-2-klein-9b": "Flux2KleinPipeline",
    "flux-1-dev": "FluxPipeline",
    "flux-1-schnell": "FluxPipeline",
    "z-image": "ZImagePipeline",
    "flux-2-klein-base-4b": "Flux2KleinPipeline",
    "flux-2-klein-base-9b": "Flux2KleinPipeline",
    # described from their real classes, not measurable offline yet (sizes: measure/configs_more.py)
    "sd-3.5-large": "StableDiffusion3Pipeline",
    "sd-3.5-large-turbo": "StableDiffusion3Pipeline",
    "sd-3.5-medium": "StableDiffusion3Pipeline",
    "qwen-image": "QwenImagePipeline",
    "qwen-image-edit": "QwenImageEditPipeline",
    "flux-1-kontext-dev": "FluxKontextPipeline",
    "sdxl": "StableDiffusionXLPipeline",
}


@dataclass(frozen=True)
class PipelineDef:
    """A supported pipeline: which module holds what. Its class is :data:`PIPELINE_CLASS`; its call defaults
    (steps, guidance) are the catalog's (``profiles/pipelines.yaml``), read through :mod:`advisor.catalog`."""

    slug: str
    default_max_sequence_length: int
    text_encoders: tuple[tuple[str, str], ...]  # (module attr, tokenizer attr)
    tokenizer_kinds: tuple[str, ...]  # offline tokenizer kind per tokenizer attr
    extra_init: dict[str, Any] = field(default_factory=dict)  # extra pipeline constructor kwargs (is_distilled)
    out_layers_full: tuple[int, ...] | None = None  # FLUX.2 text_encoder_out_layers of the real encoder
    hub_id: str = ""

    @property
    def pipeline_class(self) -> str:
        return PIPELINE_CLASS[self.slug]

    @property
    def default_steps(self) -> int:
        """Scheduler steps of a default call (the catalog's ``default_steps``)."""
        from advisor.catalog import load_catalog

        return load_catalog().pipeline(self.slug).default_steps

    @property
    def default_guidance(self) -> float:
        """Guidance scale of a default call (the catalog's ``default_guidance``)."""
        from advisor.catalog import load_catalog

        return load_catalog().pipeline(self.slug).default_guidance


PIPELINES: dict[str, PipelineDef] = {
    "z-image-turbo": PipelineDef("z-image-turbo", 512, (("text_encoder", "tokenizer"),),
                                 ("qwen",), hub_id="Tongyi-MAI/Z-Image-Turbo"),
    "flux-2-dev": PipelineDef("flux-2-dev", 512, (("text_encoder", "tokenizer"),),
                              ("mistral",), out_layers_full=(10, 20, 30), hub_id="black-forest-labs/FLUX.2-dev"),
    "flux-2-klein-4b": PipelineDef("flux-2-klein-4b", 512, (("text_encoder", "tokenizer"),),
                                   ("qwen",), extra_init={"is_distilled": True}, out_layers_full=(9, 18, 27),
                                   hub_id="black-forest-labs/FLUX.2-klein-4B"),
    "flux-2-klein-9b": PipelineDef("flux-2-klein-9b", 512, (("text_encoder", "tokenizer"),),
                                   ("qwen",), extra_init={"is_distilled": True}, out_layers_full=(9, 18, 27),
                                   hub_id="black-forest-labs/FLUX.2-klein-9B"),
    "flux-1-dev": PipelineDef("flux-1-dev", 512,
                              (("text_encoder", "tokenizer"), ("text_encoder_2", "tokenizer_2")), ("clip", "t5"),
                              hub_id="black-forest-labs/FLUX.1-dev"),
    "flux-1-schnell": PipelineDef("flux-1-schnell", 256,
                                  (("text_encoder", "tokenizer"), ("text_encoder_2", "tokenizer_2")), ("clip", "t5"),
                                  hub_id="black-forest-labs/FLUX.1-schnell"),
    # Z-Image (base): the Turbo architecture undistilled (same transformer, Qwen3-4B, VAE); real CFG
    "z-image": PipelineDef("z-image", 512, (("text_encoder", "tokenizer"),), ("qwen",), hub_id="Tongyi-MAI/Z-Image"),
    # klein base: the klein architectures undistilled (is_distilled=False: real CFG at guidance > 1)
    "flux-2-klein-base-4b": PipelineDef("flux-2-klein-base-4b", 512, (("text_encoder", "tokenizer"),), ("qwen",),
                                        extra_init={"is_distilled": False}, out_layers_full=(9, 18, 27),
                                        hub_id="black-forest-labs/FLUX.2-klein-base-4B"),
    "flux-2-klein-base-9b": PipelineDef("flux-2-klein-base-9b", 512, (("text_encoder", "tokenizer"),), ("qwen",),
                                        extra_init={"is_distilled": False}, out_layers_full=(9, 18, 27),
                                        hub_id="black-forest-labs/FLUX.2-klein-base-9B"),
    # SD 3.5: CLIP-L, CLIP-G (77 tokens each) and T5 (max_sequence_length, pipeline default 256); sizes in
    # measure/configs_more.py (tiny and full)
    **{slug: PipelineDef(slug, 256, (("text_encoder", "tokenizer"), ("text_encoder_2", "tokenizer_2"),
                                     ("text_encoder_3", "tokenizer_3")), ("clip", "clip", "t5"),
                         hub_id=f"stabilityai/stable-diffusion-3.5-{slug.removeprefix('sd-3.5-')}")
       for slug in ("sd-3.5-large", "sd-3.5-large-turbo", "sd-3.5-medium")},
    # Qwen-Image: Qwen2.5-VL over the templated prompt (unpadded), the 20B MMDiT; real CFG via true_cfg_scale
    "qwen-image": PipelineDef("qwen-image", 512, (("text_encoder", "tokenizer"),), ("qwen",), hub_id="Qwen/Qwen-Image"),
    # SDXL: CLIP-L + OpenCLIP-bigG over 77 tokens each, the UNet (timed as the denoiser)
    "sdxl": PipelineDef("sdxl", 77, (("text_encoder", "tokenizer"), ("text_encoder_2", "tokenizer_2")), ("clip", "clip"),
                        hub_id="stabilityai/stable-diffusion-xl-base-1.0"),
}


def parse_random_weights(value: str) -> tuple[str, float]:
    """'tiny' -> ('tiny', 0), 'full' -> ('full', 1), 'scaled:0.1' -> ('scaled', 0.1); else InputError."""
    if value in ("tiny", "full"):
        return value, (0.0 if value == "tiny" else 1.0)
    m = re.fullmatch(r"scaled:([0-9]*\.?[0-9]+)", value or "")
    if m:
        f = float(m.group(1))
        if 0 < f <= 1:
            return "scaled", f
    raise InputError("--random-weights", value, "tiny, full or scaled:<fraction in (0, 1]> e.g. scaled:0.1")


def _n(x: int, f: float, lo: int = 1) -> int:
    return max(lo, int(round(x * f)))


def _mult(x: int, f: float, m: int, lo: int) -> int:
    return max(lo, int(round(x * f / m)) * m)


def _scale_qwen(cfg: dict, f: float) -> dict:
    kv = _n(cfg["num_key_value_heads"], f)
    heads = max(kv, int(round(cfg["num_attention_heads"] * f / kv)) * kv)
    return dict(cfg, num_key_value_heads=kv, num_attention_heads=heads,
                hidden_size=_mult(cfg["hidden_size"], f, 128, 128),
                intermediate_size=_mult(cfg["intermediate_size"], f, 128, 128),
                num_hidden_layers=_n(cfg["num_hidden_layers"], f, lo=3))


def _scale_out_layers(layers: tuple[int, ...], full_depth: int, depth: int) -> tuple[int, ...]:
    """Map FLUX.2 text_encoder_out_layers onto a shallower encoder, kept strictly increasing and <= depth."""
    out: list[int] = []
    for x in layers:
        v = max(1, int(round(x * depth / full_depth)))
        if out:
            v = max(v, out[-1] + 1)
        out.append(min(v, depth))
    return tuple(out)


def _scale_vae(cfg: dict, f: float) -> dict:
    return dict(cfg, block_out_channels=[_mult(c, f, 32, 32) for c in cfg["block_out_channels"]])


def component_configs(slug: str, mode: str, fraction: float = 1.0) -> tuple[dict[str, tuple[str, dict]], dict]:
    """Configs ``{module: (class_name, kwargs)}`` and extra call kwargs for ``slug`` at ``mode`` (tiny|scaled|full).

    Transformers text-encoder kwargs are config kwargs (the config class is implied by the model class).
    """
    if slug not in PIPELINES:
        from advisor.errors import UnknownSlugError

        raise UnknownSlugError("--pipeline", slug, PIPELINES)
    f = 1.0 if mode == "full" else fraction
    call: dict[str, Any] = {}
    d = PIPELINES[slug]
    if slug in ("z-image-turbo", "z-image"):
        if mode == "tiny":
            te = dict(TINY_QWEN, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=2, head_dim=16)
            dit = dict(Z_IMAGE_DIT, dim=64, n_layers=2, n_refiner_layers=1, n_heads=2, n_kv_heads=2, cap_feat_dim=32,
                       axes_dims=[8, 12, 12], axes_lens=[512, 64, 64])
            vae = TINY_VAE16
        else:
            te = _scale_qwen(QWEN3_4B, f) if f < 1 else dict(QWEN3_4B)
            heads = _n(Z_IMAGE_DIT["n_heads"], f)
            dit = dict(Z_IMAGE_DIT, n_heads=heads, n_kv_heads=heads, dim=heads * 128,
                       n_layers=_n(Z_IMAGE_DIT["n_layers"], f), n_refiner_layers=_n(Z_IMAGE_DIT["n_refiner_layers"], f),
                       cap_feat_dim=te["hidden_size"])
            vae = _scale_vae(FLUX1_VAE, f)
        return {"transformer": ("ZImageTransformer2DModel", dit), "text_encoder": ("Qwen3Model", te),
                "vae": ("AutoencoderKL", vae), "scheduler": ("FlowMatchEulerDiscreteScheduler", FLOW_SCHED)}, call
    if slug.startswith("flux-2"):
        dev = slug == "flux-2-dev"
        if mode == "tiny":
            dit = dict(TINY_FLUX2_DIT, guidance_embeds=dev)
            vae = TINY_VAE_FLUX2
            if dev:
                te_cls = "Mistral3ForConditionalGeneration"
                te = dict(MISTRAL3, text_config=dict(MISTRAL_TEXT, vocab_size=TINY_VOCAB, hidden_size=16, intermediate_size=32,
                                                     num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1,
                                                     head_dim=8, pad_token_id=3, max_position_embeddings=1024),
                          vision_config=dict(PIXTRAL_VISION, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                             intermediate_size=32, image_size=28, patch_size=14, head_dim=8))
            else:
                te_cls, te = "Qwen3ForCausalLM", dict(TINY_QWEN)
            call["text_encoder_out_layers"] = (1, 2, 3)
        else:
            base_dit = {"flux-2-dev": FLUX2_DEV_DIT, "flux-2-klein-4b": KLEIN_4B_DIT, "flux-2-klein-9b": KLEIN_9B_DIT,
                        "flux-2-klein-base-4b": KLEIN_4B_DIT, "flux-2-klein-base-9b": KLEIN_9B_DIT}[slug]
            if dev:
                te_cls = "Mistral3ForConditionalGeneration"
                text = _scale_qwen(MISTRAL_TEXT, f) if f < 1 else dict(MISTRAL_TEXT)
                vh = _mult(PIXTRAL_VISION["hidden_size"], f, 64, 64)
                vision = dict(PIXTRAL_VISION, hidden_size=vh, num_attention_heads=vh // 64,
                              intermediate_size=_mult(PIXTRAL_VISION["intermediate_size"], f, 64, 64),
                              num_hidden_layers=_n(PIXTRAL_VISION["num_hidden_layers"], f)) if f < 1 else dict(PIXTRAL_VISION)
                te = dict(MISTRAL3, text_config=text, vision_config=vision)
                hidden, depth, full_depth = text["hidden_size"], text["num_hidden_layers"], MISTRAL_TEXT["num_hidden_layers"]
            else:
                te_cls = "Qwen3ForCausalLM"
                base_te = QWEN3_4B if slug.endswith("-4b") else QWEN3_8B
                te = _scale_qwen(base_te, f) if f < 1 else dict(base_te)
                hidden, depth, full_depth = te["hidden_size"], te["num_hidden_layers"], base_te["num_hidden_layers"]
            heads = _n(base_dit["num_attention_heads"], f)
            dit = dict(base_dit, num_attention_heads=heads, num_layers=_n(base_dit["num_layers"], f),
                       num_single_layers=_n(base_dit["num_single_layers"], f), joint_attention_dim=3 * hidden)
            vae = _scale_vae(FLUX2_VAE, f)
            call["text_encoder_out_layers"] = _scale_out_layers(d.out_layers_full, full_depth, depth)
        return {"transformer": ("Flux2Transformer2DModel", dit), "text_encoder": (te_cls, te),
                "vae": ("AutoencoderKLFlux2", vae),
                "scheduler": ("FlowMatchEulerDiscreteScheduler", FLOW_SCHED_DYNAMIC)}, call
    # FLUX.1 dev / schnell
    base_dit = FLUX1_DEV_DIT if slug == "flux-1-dev" else FLUX1_SCHNELL_DIT
    sched = FLOW_SCHED_DYNAMIC if slug == "flux-1-dev" else FLOW_SCHED_SCHNELL
    if mode == "tiny":
        clip = dict(CLIP_L_TEXT, vocab_size=TINY_VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_attention_heads=2, projection_dim=32)
        t5 = dict(T5_XXL, vocab_size=TINY_VOCAB, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
        dit = dict(base_dit, num_layers=1, num_single_layers=1, attention_head_dim=16, num_attention_heads=2,
                   joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 6, 6])
        vae = TINY_VAE16
    else:
        ch = _mult(CLIP_L_TEXT["hidden_size"], f, 64, 64)
        clip = dict(CLIP_L_TEXT, hidden_size=ch, num_attention_heads=ch // 64, intermediate_size=4 * ch,
                    num_hidden_layers=_n(CLIP_L_TEXT["num_hidden_layers"], f), projection_dim=ch) if f < 1 else dict(CLIP_L_TEXT)
        t5 = dict(T5_XXL, d_model=_mult(T5_XXL["d_model"], f, 64, 64), num_heads=_n(T5_XXL["num_heads"], f),
                  d_ff=_mult(T5_XXL["d_ff"], f, 64, 64), num_layers=_n(T5_XXL["num_layers"], f)) if f < 1 else dict(T5_XXL)
        dit = dict(base_dit, num_attention_heads=_n(base_dit["num_attention_heads"], f),
                   num_layers=_n(base_dit["num_layers"], f), num_single_layers=_n(base_dit["num_single_layers"], f),
                   joint_attention_dim=t5["d_model"], pooled_projection_dim=clip["hidden_size"])
        vae = _scale_vae(FLUX1_VAE, f)
    return {"transformer": ("FluxTransformer2DModel", dit), "text_encoder": ("CLIPTextModel", clip),
            "text_encoder_2": ("T5EncoderModel", t5), "vae": ("AutoencoderKL", vae),
            "scheduler": ("FlowMatchEulerDiscreteScheduler", sched)}, call


def text_hidden_size(slug: str, configs: dict[str, tuple[str, dict]]) -> dict[str, int]:
    """Hidden size per text-encoder module (for random prompt embeddings with --components transformer)."""
    out = {}
    for mod, (cls, cfg) in configs.items():
        if not mod.startswith("text_encoder"):
            continue
        if cls == "Mistral3ForConditionalGeneration":
            out[mod] = cfg["text_config"]["hidden_size"]
        elif cls == "T5EncoderModel":
            out[mod] = cfg["d_model"]
        else:
            out[mod] = cfg["hidden_size"]
    return out

"""Configs of the pipelines beyond FLUX and Z-Image: the real sizes of SD 3.5, Qwen-Image(-Edit), FLUX.1 Kontext and
SDXL, and test sizes (``tiny``) of the ones ``advisor measure`` builds offline (:data:`MEASURABLE`).

No torch here (plain dicts ``{module: (class_name, kwargs)}``, as :mod:`measure.configs`). Every pipeline here gets an
architecture (``profiles/architectures/<slug>.yaml``, built on the meta device by
``python -m measure.generate_architectures``) so the simulator can cost it. SD 3.5, Qwen-Image and SDXL are also
measurable (offline CLIP / T5 / Qwen tokenizers); Qwen-Image-Edit and Kontext need an input image, not built yet.

Sources (each the model repo's ``<component>/config.json`` on huggingface.co, transcribed field by field; the
copies read were in public code that reproduces them, named per config below):

- SD 3.5 Large / Large Turbo: ``stabilityai/stable-diffusion-3.5-large[-turbo]`` transformer/config.json (38 layers,
  38 heads x 64, caption_projection_dim 2432, pos_embed_max_size 192, qk_norm rms_norm, no dual attention; "byte-
  identical between them"); SD 3.5 Medium: ``stabilityai/stable-diffusion-3.5-medium`` (24 layers, 24 heads x 64,
  pos_embed_max_size 384, dual_attention_layers 0-12). Text encoders: CLIP ViT-L/14 (text_encoder), OpenCLIP
  ViT-bigG/14 (text_encoder_2, 1280 hidden, 32 layers, gelu), T5-v1.1-XXL (text_encoder_3); VAE 16 channels,
  scaling 1.5305, shift 0.0609, no quant convs. (Copies: tenstorrent tt-forge-models SD3.5 loaders; the
  Comfy-Org/stable-diffusion-3.5-fp8 loader.)
- Qwen-Image / Qwen-Image-Edit: ``Qwen/Qwen-Image`` transformer/config.json (60 layers, 24 heads x 128,
  joint_attention_dim 3584, in_channels 64, axes_dims_rope [16, 56, 56]); vae/config.json
  (AutoencoderKLQwenImage base_dim 96, z_dim 16, dim_mult [1, 2, 4, 4], num_res_blocks 2, temperal_downsample
  [False, True, True]); text_encoder/config.json = Qwen2.5-VL-7B-Instruct (28 layers, 3584 hidden, 28 q / 4 kv
  heads, ffn 18944, vocab 152064; vision tower depth 32, 1280 hidden). (Copies: LightX2V's qwen-image builder,
  vllm-omni tests, LightX2V's Qwen2_5_VLConfig kwargs.)
- FLUX.1 Kontext [dev]: ``black-forest-labs/FLUX.1-Kontext-dev``: the FLUX.1 [dev] transformer, CLIP-L, T5-XXL and
  VAE configs (same shapes; FluxKontextPipeline concatenates the input image's latent tokens to the image stream).
- SDXL 1.0: ``stabilityai/stable-diffusion-xl-base-1.0`` unet/config.json (block_out_channels [320, 640, 1280],
  transformer_layers_per_block [1, 2, 10], attention_head_dim [5, 10, 20], cross_attention_dim 2048,
  use_linear_projection, addition_embed_type text_time, projection_class_embeddings_input_dim 2816);
  text_encoder = CLIP ViT-L/14, text_encoder_2 = OpenCLIP bigG (CLIPTextModelWithProjection, projection 1280);
  vae = AutoencoderKL 4 channels, scaling 0.13025. (Copies: sd-forge's hard-coded ``_SDXL_HF_UNET_CONFIG``
  "Source: stabilityai/stable-diffusion-xl-base-1.0 — unet/config.json", nunchaku SDXL metadata.)
"""

from __future__ import annotations

from typing import Any

from measure.configs import CLIP_L_TEXT, FLOW_SCHED_DYNAMIC, FLUX1_DEV_DIT, FLUX1_VAE, T5_XXL

# ------------------------------------------------------------------------------------------------- SD 3.5
SD35_LARGE_DIT: dict[str, Any] = dict(sample_size=128, patch_size=2, in_channels=16, num_layers=38,
                                      attention_head_dim=64, num_attention_heads=38, joint_attention_dim=4096,
                                      caption_projection_dim=2432, pooled_projection_dim=2048, out_channels=16,
                                      pos_embed_max_size=192, qk_norm="rms_norm", dual_attention_layers=())
SD35_MEDIUM_DIT = dict(SD35_LARGE_DIT, num_layers=24, num_attention_heads=24, caption_projection_dim=1536,
                       pos_embed_max_size=384, dual_attention_layers=tuple(range(13)))
CLIP_L_PROJ = dict(CLIP_L_TEXT)  # CLIPTextModelWithProjection: the same tower + a 768 -> 768 text_projection
CLIP_G_PROJ = dict(CLIP_L_TEXT, hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20,
                   hidden_act="gelu", projection_dim=1280)
SD3_VAE = dict(FLUX1_VAE, scaling_factor=1.5305, shift_factor=0.0609)  # 16 channels, no quant convs, as FLUX.1
SD3_SCHED = dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=False)

# --------------------------------------------------------------------------------------------- Qwen-Image
QWEN_IMAGE_DIT = dict(patch_size=2, in_channels=64, out_channels=16, num_layers=60, attention_head_dim=128,
                      num_attention_heads=24, joint_attention_dim=3584, guidance_embeds=False,
                      axes_dims_rope=(16, 56, 56))
QWEN25_VL_7B = dict(
    text_config=dict(vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                     num_attention_heads=28, num_key_value_heads=4, max_position_embeddings=128000,
                     rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False,
                     rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]}),
    vision_config=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, in_channels=3,
                       out_hidden_size=3584, patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                       window_size=112, fullatt_block_indexes=[7, 15, 23, 31], tokens_per_second=2,
                       hidden_act="silu"),
    vocab_size=152064, tie_word_embeddings=False, image_token_id=151655, video_token_id=151656,
    vision_start_token_id=151652, vision_end_token_id=151653)
QWEN_IMAGE_VAE = dict(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                      temperal_downsample=[False, True, True], dropout=0.0)
QWEN_IMAGE_SCHED = dict(num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=True, base_shift=0.5,
                        max_shift=0.9, base_image_seq_len=256, max_image_seq_len=8192, time_shift_type="exponential")

# ------------------------------------------------------------------------------------------------- SDXL
SDXL_UNET = dict(sample_size=128, in_channels=4, out_channels=4, layers_per_block=2,
                 block_out_channels=[320, 640, 1280],
                 down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
                 up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
                 mid_block_type="UNetMidBlock2DCrossAttn", transformer_layers_per_block=[1, 2, 10],
                 attention_head_dim=[5, 10, 20], cross_attention_dim=2048, use_linear_projection=True,
                 addition_embed_type="text_time", addition_time_embed_dim=256,
                 projection_class_embeddings_input_dim=2816, norm_num_groups=32, norm_eps=1e-5, act_fn="silu")
SDXL_VAE = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
                up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
                act_fn="silu", latent_channels=4, norm_num_groups=32, sample_size=1024, scaling_factor=0.13025)
SDXL_SCHED = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                  steps_offset=1, timestep_spacing="leading")


def _sd35(dit: dict) -> dict[str, tuple[str, dict]]:
    return {"transformer": ("SD3Transformer2DModel", dit), "text_encoder": ("CLIPTextModelWithProjection", CLIP_L_PROJ),
            "text_encoder_2": ("CLIPTextModelWithProjection", CLIP_G_PROJ), "text_encoder_3": ("T5EncoderModel", T5_XXL),
            "vae": ("AutoencoderKL", SD3_VAE), "scheduler": ("FlowMatchEulerDiscreteScheduler", SD3_SCHED)}


def _qwen_image() -> dict[str, tuple[str, dict]]:
    return {"transformer": ("QwenImageTransformer2DModel", QWEN_IMAGE_DIT),
            "text_encoder": ("Qwen2_5_VLForConditionalGeneration", QWEN25_VL_7B),
            "vae": ("AutoencoderKLQwenImage", QWEN_IMAGE_VAE),
            "scheduler": ("FlowMatchEulerDiscreteScheduler", QWEN_IMAGE_SCHED)}


#: slug -> (hub id, full component configs); the pipeline class is measure.configs.PIPELINE_CLASS[slug]
ARCH_ONLY: dict[str, tuple[str, dict[str, tuple[str, dict]]]] = {
    "sd-3.5-large": ("stabilityai/stable-diffusion-3.5-large", _sd35(SD35_LARGE_DIT)),
    "sd-3.5-large-turbo": ("stabilityai/stable-diffusion-3.5-large-turbo", _sd35(SD35_LARGE_DIT)),
    "sd-3.5-medium": ("stabilityai/stable-diffusion-3.5-medium", _sd35(SD35_MEDIUM_DIT)),
    "qwen-image": ("Qwen/Qwen-Image", _qwen_image()),
    "qwen-image-edit": ("Qwen/Qwen-Image-Edit", _qwen_image()),
    "flux-1-kontext-dev": ("black-forest-labs/FLUX.1-Kontext-dev",
                           {"transformer": ("FluxTransformer2DModel", FLUX1_DEV_DIT),
                            "text_encoder": ("CLIPTextModel", CLIP_L_TEXT), "text_encoder_2": ("T5EncoderModel", T5_XXL),
                            "vae": ("AutoencoderKL", FLUX1_VAE),
                            "scheduler": ("FlowMatchEulerDiscreteScheduler", FLOW_SCHED_DYNAMIC)}),
    "sdxl": ("stabilityai/stable-diffusion-xl-base-1.0",
             {"unet": ("UNet2DConditionModel", SDXL_UNET), "text_encoder": ("CLIPTextModel", CLIP_L_TEXT),
              "text_encoder_2": ("CLIPTextModelWithProjection", dict(CLIP_G_PROJ, hidden_act="gelu")),
              "vae": ("AutoencoderKL", SDXL_VAE), "scheduler": ("EulerDiscreteScheduler", SDXL_SCHED)}),
}


def arch_only_configs(slug: str) -> dict[str, tuple[str, dict]]:
    """Full-size ``{module: (class_name, kwargs)}`` of an architecture-only pipeline (KeyError if not one)."""
    return ARCH_ONLY[slug][1]


# ------------------------------------------------------------------ measurable offline: tiny sizes (SD 3.5 family)
#: pipelines of this module that ``advisor measure`` builds (offline CLIP / T5 tokenizers suffice); ``tiny`` and
#: ``full`` sizes (``scaled`` is not defined for them yet)
MEASURABLE = ("sd-3.5-large", "sd-3.5-large-turbo", "sd-3.5-medium", "qwen-image", "sdxl")
TINY_VOCAB = 320  # as measure.configs.TINY_VOCAB: >= 256 byte symbols + the offline tokenizers' specials
# SD3's shape rules: the CLIP-L + CLIP-G hidden states are concatenated and zero-padded to the T5 width, so
# T5 d_model >= 2 x CLIP hidden; joint_attention_dim = T5 d_model; pooled_projection_dim = the two projections.
_TINY_CLIP = dict(CLIP_L_TEXT, vocab_size=TINY_VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=2, projection_dim=32)
_TINY_T5 = dict(T5_XXL, vocab_size=TINY_VOCAB, d_model=64, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
_TINY_SD3_VAE = dict(FLUX1_VAE, block_out_channels=[16, 16, 32, 32], layers_per_block=1, norm_num_groups=8,
                     sample_size=64, scaling_factor=1.5305, shift_factor=0.0609)


def measurable_configs(slug: str, mode: str) -> tuple[dict[str, tuple[str, dict]], dict]:
    """``({module: (class_name, kwargs)}, extra call kwargs)`` of a :data:`MEASURABLE` pipeline at ``tiny`` or
    ``full`` size; ``scaled`` is refused in one line."""
    from advisor.errors import InputError

    if mode == "full":
        return dict(ARCH_ONLY[slug][1]), {}
    if mode != "tiny":
        raise InputError("--random-weights", mode, f"tiny or full for {slug} (scaled sizes are defined for the "
                                                   "FLUX and Z-Image pipelines only)")
    if slug == "qwen-image":
        return _tiny_qwen_image(), {}
    if slug == "sdxl":
        return _tiny_sdxl(), {}
    base = SD35_MEDIUM_DIT if slug == "sd-3.5-medium" else SD35_LARGE_DIT
    dit = dict(base, sample_size=32, num_layers=2, attention_head_dim=8, num_attention_heads=2,
               joint_attention_dim=_TINY_T5["d_model"], caption_projection_dim=16, pooled_projection_dim=64,
               pos_embed_max_size=32, dual_attention_layers=(0,) if base["dual_attention_layers"] else ())
    return {"transformer": ("SD3Transformer2DModel", dit),
            "text_encoder": ("CLIPTextModelWithProjection", _TINY_CLIP),
            "text_encoder_2": ("CLIPTextModelWithProjection", _TINY_CLIP),
            "text_encoder_3": ("T5EncoderModel", _TINY_T5),
            "vae": ("AutoencoderKL", _TINY_SD3_VAE), "scheduler": ("FlowMatchEulerDiscreteScheduler", SD3_SCHED)}, {}


def _tiny_qwen_image() -> dict[str, tuple[str, dict]]:
    """Qwen-Image at test size. Shape rules: transformer in_channels = 4 x VAE z_dim (2x2 latent patches),
    joint_attention_dim = text hidden size, head_dim = sum(axes_dims_rope); Qwen2.5-VL's mrope_section sums to
    head_dim / 2. The vision tower is built (tiny) but a text-to-image call never runs it."""
    text = dict(QWEN25_VL_7B["text_config"], vocab_size=TINY_VOCAB, hidden_size=32, intermediate_size=64,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                rope_scaling={"type": "mrope", "mrope_section": [2, 1, 1]})
    vision = dict(QWEN25_VL_7B["vision_config"], depth=1, hidden_size=32, intermediate_size=64, num_heads=2,
                  out_hidden_size=32, fullatt_block_indexes=[0])
    te = dict(QWEN25_VL_7B, text_config=text, vision_config=vision, vocab_size=TINY_VOCAB,
              image_token_id=TINY_VOCAB - 4, video_token_id=TINY_VOCAB - 3, vision_start_token_id=TINY_VOCAB - 2,
              vision_end_token_id=TINY_VOCAB - 1)
    dit = dict(QWEN_IMAGE_DIT, in_channels=64, out_channels=16, num_layers=2, attention_head_dim=16,
               num_attention_heads=2, joint_attention_dim=32, axes_dims_rope=(4, 6, 6))
    vae = dict(QWEN_IMAGE_VAE, base_dim=16)
    return {"transformer": ("QwenImageTransformer2DModel", dit),
            "text_encoder": ("Qwen2_5_VLForConditionalGeneration", te),
            "vae": ("AutoencoderKLQwenImage", vae), "scheduler": ("FlowMatchEulerDiscreteScheduler", QWEN_IMAGE_SCHED)}


def _tiny_sdxl() -> dict[str, tuple[str, dict]]:
    """SDXL at test size. Shape rules: cross_attention_dim = CLIP-L hidden + bigG hidden (the two hidden states are
    concatenated); projection_class_embeddings_input_dim = 6 x addition_time_embed_dim (original size, crop, target
    size) + the bigG projection (pooled text)."""
    unet = dict(SDXL_UNET, sample_size=8, block_out_channels=[32, 64, 64], layers_per_block=1,
                transformer_layers_per_block=[1, 1, 2], attention_head_dim=[2, 4, 4], cross_attention_dim=64,
                addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 32, norm_num_groups=8)
    vae = dict(SDXL_VAE, block_out_channels=[16, 16, 32, 32], layers_per_block=1, norm_num_groups=8, sample_size=64)
    return {"unet": ("UNet2DConditionModel", unet), "text_encoder": ("CLIPTextModel", _TINY_CLIP),
            "text_encoder_2": ("CLIPTextModelWithProjection", dict(_TINY_CLIP, hidden_act="gelu")),
            "vae": ("AutoencoderKL", vae), "scheduler": ("EulerDiscreteScheduler", SDXL_SCHED)}

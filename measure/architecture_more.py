"""Architecture extraction beyond the first six pipelines (FLUX, Z-Image): token rules, the SDXL UNet and the
Qwen-Image causal 3-D VAE (both traced on the meta device: :mod:`measure.architecture_trace`), config sources.

Imported lazily by :mod:`measure.architecture_extract` (needs torch, diffusers, transformers).

Public API:
    more_token_rules(pipeline_class, components, vae_scale, latent_channels, max_sequence_length) -> TokenRules | None
    text_sequence_lengths(pipeline_class) -> dict[str, int] | None
    extract_unet(unet, tokens) -> ComponentSpec
    extract_causal3d_vae(vae) -> [decoder ComponentSpec, encoder ComponentSpec]
    adjust_spec(spec) -> ArchitectureSpec
    MORE_SOURCES
"""

from __future__ import annotations

from typing import Any

from advisor.catalog.architecture import ArchitectureSpec, ComponentSpec, TokenRules

#: SD3: the transformer's text sequence = 77 CLIP tokens (CLIP-L and CLIP-G hidden states concatenated and padded
#: to 4096 channels) + T5 tokens padded to max_sequence_length (StableDiffusion3Pipeline default 256).
SD3_CLIP_TOKENS = 77
SD3_T5_TOKENS = 256
#: Qwen-Image: the chat template's system prompt + "<|im_start|>user\n" (34 tokens, ``prompt_template_encode_start_idx``)
#: are encoded and then dropped; the transformer keeps the prompt + "<|im_end|>\n<|im_start|>assistant\n" (5 tokens).
QWEN_IMAGE_DROP_TOKENS = 34
QWEN_IMAGE_KEPT_TEMPLATE_TOKENS = 5

# trace sizes (latent grid and text tokens) chosen so that 1, the text tokens and latent_px * 4**k never coincide
_UNET_TRACE_HW = (16, 24)
_UNET_TRACE_TEXT = 7
_VAE_TRACE_HW = (8, 12)


def more_token_rules(pipeline_class: str, components: dict[str, Any], vae_scale: int, latent_channels: int,
                     max_sequence_length: int | None) -> TokenRules | None:
    """Token rules of the SD3 / Qwen-Image / SDXL pipeline classes (None for another class)."""
    if pipeline_class == "StableDiffusion3Pipeline":
        patch = int(components["transformer"].config.patch_size)
        t5 = max_sequence_length or SD3_T5_TOKENS
        return TokenRules(
            vae_scale_factor=vae_scale, patch_size=patch, latent_channels=latent_channels, text_policy="padded",
            max_sequence_length=SD3_CLIP_TOKENS + t5,
            notes=f"the transformer's text stream = {SD3_CLIP_TOKENS} CLIP tokens (CLIP-L + CLIP-G hidden states "
                  f"concatenated, zero-padded to 4096 channels) + {t5} T5 tokens (StableDiffusion3Pipeline "
                  f"max_sequence_length default 256), all padded; pooled CLIP-L + CLIP-G (2048) condition the "
                  "timestep embedding",
        )
    if pipeline_class in ("QwenImagePipeline", "QwenImageEditPipeline"):
        patch = int(components["transformer"].config.patch_size)
        return TokenRules(
            vae_scale_factor=vae_scale, patch_size=patch, latent_channels=latent_channels, text_policy="prompt_only",
            max_sequence_length=max_sequence_length or 512, template_tokens=QWEN_IMAGE_KEPT_TEMPLATE_TOKENS,
            notes=f"Qwen2.5-VL encodes the chat template + prompt unpadded (padding=True pads to the longest prompt "
                  f"of the batch); the first {QWEN_IMAGE_DROP_TOKENS} template tokens are dropped, the transformer "
                  f"sees the prompt + {QWEN_IMAGE_KEPT_TEMPLATE_TOKENS} closing template tokens, at most "
                  "max_sequence_length (512)"
                  + ("; editing: the input image's latent tokens join the image stream and the input image also "
                     "runs through the Qwen2.5-VL vision tower (not costed here)"
                     if pipeline_class == "QwenImageEditPipeline" else ""),
        )
    if pipeline_class == "StableDiffusionXLPipeline":
        return TokenRules(
            vae_scale_factor=vae_scale, patch_size=1, latent_channels=latent_channels, text_policy="padded",
            max_sequence_length=77,
            notes="UNet: no tokens; 'image tokens' = latent pixels (H/8 x W/8). Cross-attention keys/values = the "
                  "77 CLIP tokens (CLIP-L 768 + OpenCLIP-bigG 1280 = 2048 channels), padded",
        )
    return None


def text_sequence_lengths(pipeline_class: str, t5_tokens: int | None = None) -> dict[str, int] | None:
    """Tokens each text encoder of ``pipeline_class`` encodes when they differ from the defaults (CLIP 77, others
    the transformer's max_sequence_length); SD3's T5 encodes ``t5_tokens`` (default 256)."""
    if pipeline_class == "StableDiffusion3Pipeline":
        return {"text_encoder": SD3_CLIP_TOKENS, "text_encoder_2": SD3_CLIP_TOKENS,
                "text_encoder_3": t5_tokens or SD3_T5_TOKENS}
    return None


def _num_params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def extract_unet(unet: Any, tokens: TokenRules) -> ComponentSpec:
    """The SDXL-style ``UNet2DConditionModel`` as the denoiser component (role ``transformer``, module ``unet``).

    Every layer is traced on the meta device (one forward over a 16 x 24 latent and 7 text tokens): convolutions and
    transformer-block linears at latent scale 1, 1/2, 1/4 (``latent`` stream), cross-attention keys/values over
    the ``text`` stream, time / added-condition embeddings and each ResNet's time projection ``per_sample``.
    """
    import torch

    from measure.arch_modules import _blocks, _config_dict, _num_buffers
    from measure.architecture_trace import trace_component

    cfg = unet.config
    h, w = _UNET_TRACE_HW
    text_dim = cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim
    device = next(unet.parameters()).device
    with torch.device(device):
        sample = torch.zeros(1, cfg.in_channels, h, w)
        ehs = torch.zeros(1, _UNET_TRACE_TEXT, cfg.cross_attention_dim)
        added = {"text_embeds": torch.zeros(1, text_dim), "time_ids": torch.zeros(1, 6)}
        t = torch.tensor([10.0])
    groups = trace_component(unet, lambda: unet(sample, t, encoder_hidden_states=ehs, added_cond_kwargs=added),
                             (h, w), _UNET_TRACE_TEXT)
    return ComponentSpec(
        name="unet", role="transformer", module="unet", class_name=type(unet).__name__, config=_config_dict(unet),
        param_count=_num_params(unet), buffer_count=_num_buffers(unet), hidden_size=int(cfg.block_out_channels[0]),
        **_blocks(unet), **groups,
        notes="UNet traced on the meta device: convs and transformer blocks at latent scales 1, 1/2, 1/4; "
              "attn2 = cross-attention to the text tokens; hidden_size = the full-resolution channel count",
    )


def extract_causal3d_vae(vae: Any) -> list[ComponentSpec]:
    """Decoder and encoder of a causal 3-D VAE (``AutoencoderKLQwenImage``) for one frame, traced on the meta device.

    One frame: each causal Conv3d sees its input with zero temporal padding (3x3x3 kernels cost 27 taps per output
    pixel, ``kernel_frames`` 3); the temporal up/down-sampling convolutions are skipped on the first chunk.
    """
    import torch

    from measure.arch_modules import _config_dict, _largest_leaf, _num_buffers
    from measure.architecture_trace import trace_component

    cfg = _config_dict(vae)
    h, w = _VAE_TRACE_HW
    z_dim = int(vae.config.z_dim)
    scale = 2 ** len(vae.config.temperal_downsample)
    device = next(vae.parameters()).device
    with torch.device(device):
        z = torch.zeros(1, z_dim, 1, h, w)
        x = torch.zeros(1, 3, 1, h * scale, w * scale)
    dec_groups = trace_component(vae, lambda: vae.decode(z), (h, w))
    enc_groups = trace_component(vae, lambda: vae.encode(x), (h, w))
    dec, enc = vae.decoder, vae.encoder
    post = getattr(vae, "post_quant_conv", None)
    quant = getattr(vae, "quant_conv", None)
    dec_spec = ComponentSpec(
        name="vae_decoder", role="vae_decoder", module="vae", class_name=type(vae).__name__, config=cfg,
        param_count=_num_params(dec) + (_num_params(post) if post is not None else 0),
        buffer_count=_num_buffers(dec), num_blocks=len(dec.up_blocks),
        largest_block_params=max(_num_params(b) for b in dec.up_blocks),
        blocks_param_count=sum(_num_params(b) for b in dec.up_blocks), largest_leaf_params=_largest_leaf(dec) or None,
        notes=f"causal 3-D VAE decoding one frame; upsamples the latent {scale}x (traced on the meta device)",
        **dec_groups)
    enc_spec = ComponentSpec(
        name="vae_encoder", role="vae_encoder", module="vae", class_name=type(vae).__name__, config=cfg,
        param_count=_num_params(enc) + (_num_params(quant) if quant is not None else 0),
        buffer_count=_num_buffers(enc), num_blocks=len(enc.down_blocks),
        largest_block_params=max(_num_params(b) for b in enc.down_blocks),
        blocks_param_count=sum(_num_params(b) for b in enc.down_blocks), largest_leaf_params=_largest_leaf(enc) or None,
        notes="used only for image-to-image / editing inputs (one frame)", **enc_groups)
    return [dec_spec, enc_spec]


def adjust_spec(spec: ArchitectureSpec) -> ArchitectureSpec:
    """Facts of a pipeline class the module walk cannot see: Qwen-Image encodes its prompt unpadded."""
    if spec.pipeline_class not in ("QwenImagePipeline", "QwenImageEditPipeline"):
        return spec
    comps = []
    for c in spec.components:
        if c.role == "text_encoder":
            note = ("; the prompt is encoded unpadded with the chat template (+34 tokens dropped after encoding, "
                    "not counted in the encoder's tokens here)")
            if spec.pipeline_class == "QwenImageEditPipeline":
                note += "; editing runs the vision tower on the input image (counted as unused here)"
            c = c.model_copy(update={"sequence_policy": "prompt_only", "notes": c.notes + note})
        comps.append(c)
    return spec.model_copy(update={"components": comps})


_SD35 = ("stabilityai/stable-diffusion-3.5-{} transformer/config.json (SD3Transformer2DModel {}); text_encoder CLIP "
         "ViT-L/14, text_encoder_2 OpenCLIP ViT-bigG/14 (CLIPTextModelWithProjection), text_encoder_3 T5-v1.1-XXL; "
         "vae AutoencoderKL 16 ch (scaling 1.5305, shift 0.0609)")
MORE_SOURCES = {
    "z-image": "Tongyi-MAI/Z-Image: the Z-Image-Turbo transformer, Qwen3-4B and VAE configs (same architecture, "
               "not distilled)",
    "flux-2-klein-base-4b": "black-forest-labs/FLUX.2-klein-base-4B: the klein-4B architecture (5 double + 20 single, "
                            "24 heads, joint 7680; Qwen3-4B), not distilled",
    "flux-2-klein-base-9b": "black-forest-labs/FLUX.2-klein-base-9B: the klein-9B architecture (8 double + 24 single, "
                            "32 heads, joint 12288; Qwen3-8B), not distilled",
    "sd-3.5-large": _SD35.format("large", "38 layers, 38 heads x 64, pos_embed_max_size 192, qk_norm rms_norm"),
    "sd-3.5-large-turbo": _SD35.format("large-turbo", "as Large: 38 layers, 38 heads x 64"),
    "sd-3.5-medium": _SD35.format("medium", "24 layers, 24 heads x 64, pos_embed_max_size 384, dual attention 0-12"),
    "qwen-image": "Qwen/Qwen-Image transformer/config.json (60 layers, 24 heads x 128, joint 3584), text_encoder "
                  "Qwen2.5-VL-7B-Instruct config.json, vae/config.json (AutoencoderKLQwenImage base_dim 96, z_dim 16)",
    "qwen-image-edit": "Qwen/Qwen-Image-Edit: the Qwen-Image transformer, Qwen2.5-VL-7B and VAE configs",
    "flux-1-kontext-dev": "black-forest-labs/FLUX.1-Kontext-dev: the FLUX.1 [dev] transformer (19 + 38 blocks, 24 "
                          "heads), CLIP-L, T5-v1.1-XXL and VAE configs",
    "sdxl": "stabilityai/stable-diffusion-xl-base-1.0 unet/config.json (block_out_channels 320/640/1280, "
            "transformer_layers_per_block 1/2/10, cross_attention_dim 2048), text_encoder CLIP ViT-L/14, "
            "text_encoder_2 OpenCLIP ViT-bigG/14 with projection, vae AutoencoderKL 4 ch (scaling 0.13025)",
}

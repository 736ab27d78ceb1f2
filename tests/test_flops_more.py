"""Analytic FLOPs == torch's FlopCounterMode for the block kinds beyond the DiTs: the SD3 MMDiT (patch-embedding
conv, dual attention, QK norm), the Qwen-Image MMDiT, the SDXL-style UNet (convolutions and cross-attention at
several resolutions), the Qwen-Image causal 3-D VAE decoder and CLIP text encoders with a projection.

Same method and tolerance as tests/test_flops_counter.py (FlopCounterMode counts 2*M*N*K per matmul and the full
kernel of every convolution, zero-padded Conv3d taps included; attention is recorded from the real q/k shapes of
each SDPA call; 1e-9 relative = float rounding only). Small real modules run on the CPU; the extraction code path
is the one that builds profiles/architectures/*.yaml.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from test_flops_counter import _dummy_transformer, assert_close, count, rules  # noqa: E402

from measure.architecture_extract import extract_spec  # noqa: E402
from advisor.perf.flops import (  # noqa: E402
    image_tokens, text_encoder_flops, transformer_flops_per_eval, vae_decode_flops)


def test_sd3_transformer_matches_flop_counter():
    from diffusers import SD3Transformer2DModel

    torch.manual_seed(0)
    # dual attention in block 0 (SD3.5 Medium's MMDiT-X), RMS QK norm (SD3.5), last block context_pre_only
    m = SD3Transformer2DModel(sample_size=16, patch_size=2, in_channels=4, num_layers=3, attention_head_dim=8,
                              num_attention_heads=2, joint_attention_dim=24, caption_projection_dim=16,
                              pooled_projection_dim=12, out_channels=4, pos_embed_max_size=16, qk_norm="rms_norm",
                              dual_attention_layers=(0,)).eval()
    spec = extract_spec({"transformer": m}, "StableDiffusion3Pipeline", tokens=rules(ch=4, max_seq=10))
    w, h, n_t = 96, 64, 10  # latent 12 x 8, patch 2 -> 6 x 4 = 24 image tokens
    assert image_tokens(spec, w, h) == 24
    lin, att = count(lambda: m(hidden_states=torch.randn(1, 4, h // 8, w // 8),
                               encoder_hidden_states=torch.randn(1, n_t, 24), pooled_projections=torch.randn(1, 12),
                               timestep=torch.tensor([500.0])))
    cost = transformer_flops_per_eval(spec, w, h, n_t)
    assert cost.conv_flops > 0  # the patch embedding
    assert_close(cost.linear_flops + cost.conv_flops, lin)
    assert_close(cost.attention_flops, att)


def test_qwen_image_transformer_matches_flop_counter():
    from diffusers import QwenImageTransformer2DModel

    torch.manual_seed(0)
    m = QwenImageTransformer2DModel(patch_size=2, in_channels=16, out_channels=4, num_layers=2, attention_head_dim=16,
                                    num_attention_heads=2, joint_attention_dim=24, axes_dims_rope=(4, 6, 6)).eval()
    spec = extract_spec({"transformer": m}, "QwenImagePipeline",
                        tokens=rules(ch=4, policy="prompt_only", max_seq=512))
    w, h, n_t = 64, 64, 9
    n_i = image_tokens(spec, w, h)
    assert n_i == 16
    lin, att = count(lambda: m(hidden_states=torch.randn(1, n_i, 16), encoder_hidden_states=torch.randn(1, n_t, 24),
                               encoder_hidden_states_mask=torch.ones(1, n_t), timestep=torch.tensor([0.5]),
                               img_shapes=[(1, h // 16, w // 16)]))
    cost = transformer_flops_per_eval(spec, w, h, n_t)
    assert_close(cost.linear_flops, lin)
    assert_close(cost.attention_flops, att)


@pytest.mark.parametrize("w,h,n_t", [(128, 192, 7), (256, 128, 12)])
def test_unet_matches_flop_counter(w, h, n_t):
    """The UNet spec is traced at one size (16 x 24 latent, 7 text tokens) and must scale to others exactly."""
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    u = UNet2DConditionModel(sample_size=16, in_channels=4, out_channels=4, layers_per_block=1,
                             block_out_channels=[32, 64, 64],
                             down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
                             up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
                             transformer_layers_per_block=[1, 1, 2], attention_head_dim=[2, 4, 4],
                             cross_attention_dim=24, use_linear_projection=True, addition_embed_type="text_time",
                             addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 16,
                             norm_num_groups=8).eval()
    spec = extract_spec({"unet": u}, "StableDiffusionXLPipeline", tokens=rules(patch=1, ch=4, max_seq=n_t))
    assert spec.transformer.module == "unet"
    assert any(a.kv_sequence == "text" for a in spec.transformer.attentions)  # cross-attention recorded
    lin, att = count(lambda: u(torch.randn(1, 4, h // 8, w // 8), torch.tensor([10.0]),
                               encoder_hidden_states=torch.randn(1, n_t, 24),
                               added_cond_kwargs={"text_embeds": torch.randn(1, 16), "time_ids": torch.randn(1, 6)}))
    cost = transformer_flops_per_eval(spec, w, h, n_t)
    assert cost.conv_flops > 0 and cost.attention_flops > 0
    assert_close(cost.linear_flops + cost.conv_flops, lin)
    assert_close(cost.attention_flops, att)


def test_causal3d_vae_decoder_matches_flop_counter():
    from diffusers import AutoencoderKLQwenImage

    torch.manual_seed(0)
    vae = AutoencoderKLQwenImage(base_dim=8, z_dim=4, dim_mult=[1, 2, 4, 4], num_res_blocks=1, attn_scales=[],
                                 temperal_downsample=[False, True, True]).eval()
    spec = extract_spec({"transformer": _dummy_transformer(), "vae": vae}, "QwenImagePipeline",
                        tokens=rules(ch=4, policy="prompt_only"))
    w, h = 96, 64
    dec = spec.vae_decoder
    assert any(c.kernel_frames == 3 for c in dec.convs)  # causal 3x3x3 kernels on one frame: 27 taps
    counted, att = count(lambda: vae.decode(torch.randn(1, 4, 1, h // 8, w // 8)))
    cost = vae_decode_flops(spec, w, h)
    assert_close(cost.conv_flops + cost.linear_flops, counted)
    assert_close(cost.attention_flops, att)
    assert att > 0  # the mid-block attention over the latent grid


def test_clip_with_projection_text_encoder_matches_flop_counter():
    """CLIPTextModelWithProjection (SD3, SDXL): the projection runs once, on the pooled token."""
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    torch.manual_seed(0)
    te = CLIPTextModelWithProjection(CLIPTextConfig(vocab_size=300, hidden_size=32, intermediate_size=64,
                                                    num_hidden_layers=2, num_attention_heads=4,
                                                    max_position_embeddings=77, projection_dim=24)).eval()
    spec = extract_spec({"transformer": _dummy_transformer(), "text_encoder": te}, "FluxPipeline",
                        tokens=rules(max_seq=77))
    proj = [g for g in spec.text_encoders[0].linears if g.name == "text_projection"]
    assert proj and proj[0].stream == "per_sample"
    ids = torch.randint(0, 300, (1, 77))
    # called as StableDiffusion3Pipeline / StableDiffusionXLPipeline call it: no attention mask
    lin, att = count(lambda: te(input_ids=ids, output_hidden_states=True))
    cost = text_encoder_flops(spec, prompt_tokens=5)
    assert_close(cost.linear_flops, lin)
    # Without a mask CLIP's SDPA gets is_causal=True, which the recorder (like a flash kernel) counts at half; the
    # analytic model counts causal attention in full (module docstring of advisor.perf.flops): exactly 2x. At full
    # size that over-count is 4*77*77*1280*32/2 = 0.49 GFLOP for CLIP-G, under 0.5% of its 0.11 TFLOP encode.
    assert_close(cost.attention_flops, 2 * att)


def test_qwen25_vl_text_encoder_matches_flop_counter():
    """Qwen-Image's text encoder (Qwen2.5-VL): the language model and lm_head run over the prompt; the vision tower is
    recorded as unused for text-to-image and costs nothing here."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    te = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(
        text_config=dict(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, rope_scaling={"type": "mrope",
                                                                                    "mrope_section": [2, 1, 1]}),
        vision_config=dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=32),
        vocab_size=300)).eval()
    seq = 12
    spec = extract_spec({"transformer": _dummy_transformer(), "text_encoder": te}, "FluxPipeline",
                        tokens=rules(max_seq=seq))
    comp = spec.text_encoders[0]
    assert comp.param_count_unused == sum(p.numel() for p in te.model.visual.parameters()) > 0
    ids = torch.randint(0, 300, (1, seq))
    # as QwenImagePipeline calls it: one unpadded prompt, an all-ones mask
    lin, att = count(lambda: te(input_ids=ids, attention_mask=torch.ones(1, seq, dtype=torch.long),
                                output_hidden_states=True))
    cost = text_encoder_flops(spec, prompt_tokens=seq)
    assert_close(cost.linear_flops, lin)
    # an all-ones mask lets transformers use SDPA's is_causal=True (counted at half by the recorder); the analytic
    # model counts causal attention in full (advisor.perf.flops docstring): exactly 2x, at ~100 prompt tokens a
    # negligible share of the encoder (attention 4*L^2*d*layers vs linears 2*L*params)
    assert att > 0
    assert_close(cost.attention_flops, 2 * att)

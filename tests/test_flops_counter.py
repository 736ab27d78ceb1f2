"""Analytic FLOPs (advisor.perf.flops) == torch.utils.flop_counter.FlopCounterMode on small real modules.

Why it is exact: FlopCounterMode counts 2*M*N*K for every mm/addmm/bmm and 2*k*k*Cin*Cout*Hout*Wout for every
convolution, biases excluded, exactly the analytic convention; the only things it does not count (norms,
activations, softmax, RoPE) are not counted analytically either. The one gap: on CPU, SDPA dispatches to
``_scaled_dot_product_flash_attention_for_cpu``, which FlopCounterMode has no formula for (it counts 0). So
attention is counted separately: ``torch.nn.functional.scaled_dot_product_attention`` is wrapped to record
4 * Lq * Lkv * Hq * d from the real q/k shapes of each call and then runs the real kernel. Tolerance: 1e-9
relative (float rounding only), since the counts are integers computed the same way.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from advisor.catalog.architecture import TokenRules  # noqa: E402
from measure.architecture_extract import extract_spec  # noqa: E402
from advisor.perf.flops import image_tokens, transformer_flops_per_eval, vae_decode_flops  # noqa: E402


class SdpaRecorder:
    """Wrap F.scaled_dot_product_attention; sum 4*Lq*Lkv*Hq*d (halved when is_causal) over calls."""

    def __init__(self):
        self.flops = 0.0
        self._orig = None

    def __enter__(self):
        self._orig = torch.nn.functional.scaled_dot_product_attention
        orig = self._orig

        def wrapped(*args, **kwargs):
            q = kwargs.pop("query") if "query" in kwargs else args[0]
            k = kwargs.pop("key") if "key" in kwargs else args[1]
            v = kwargs.pop("value") if "value" in kwargs else args[2]
            args = args[3:]
            *batch, lq, d = q.shape
            lkv = k.shape[-2]
            n = 1
            for b in batch:
                n *= b
            f = 4.0 * n * lq * lkv * d
            self.flops += 0.5 * f if kwargs.get("is_causal") else f
            return orig(q, k, v, *args, **kwargs)

        torch.nn.functional.scaled_dot_product_attention = wrapped
        return self

    def __exit__(self, *exc):
        torch.nn.functional.scaled_dot_product_attention = self._orig


def count(fn):
    with SdpaRecorder() as rec, FlopCounterMode(display=False) as fc:
        with torch.no_grad():
            fn()
    return fc.get_total_flops(), rec.flops


def rules(vae_scale=8, patch=2, ch=16, policy="padded", max_seq=8, text_mult=1, img_mult=1):
    return TokenRules(vae_scale_factor=vae_scale, patch_size=patch, latent_channels=ch, text_policy=policy,
                      max_sequence_length=max_seq, text_multiple_of=text_mult, image_multiple_of=img_mult)


def assert_close(analytic, counted):
    assert analytic == pytest.approx(counted, rel=1e-9), (analytic, counted)


@pytest.mark.parametrize("batch", [1, 2])
def test_flux2_transformer_matches_flop_counter(batch):
    from diffusers import Flux2Transformer2DModel

    torch.manual_seed(0)
    m = Flux2Transformer2DModel(in_channels=32, num_layers=2, num_single_layers=3, attention_head_dim=16,
                                num_attention_heads=2, joint_attention_dim=48, axes_dims_rope=(4, 4, 4, 4),
                                guidance_embeds=True).eval()
    spec = extract_spec({"transformer": m}, "Flux2Pipeline", tokens=rules(ch=8, max_seq=12))
    w, h, n_t = 96, 64, 12  # 6 x 4 = 24 image tokens
    n_i = image_tokens(spec, w, h)
    assert n_i == 24
    ids_i = torch.zeros(n_i, 4)
    ids_t = torch.zeros(n_t, 4)
    lin, att = count(lambda: m(hidden_states=torch.randn(batch, n_i, 32), encoder_hidden_states=torch.randn(batch, n_t, 48),
                               timestep=torch.full((batch,), 0.5), img_ids=ids_i, txt_ids=ids_t,
                               guidance=torch.full((batch,), 4.0)))
    cost = transformer_flops_per_eval(spec, w, h, n_t, batch=batch)
    assert_close(cost.linear_flops + cost.conv_flops, lin)
    assert_close(cost.attention_flops, att)
    assert att > 0 and lin > 0


def test_flux1_transformer_matches_flop_counter():
    from diffusers import FluxTransformer2DModel

    torch.manual_seed(0)
    m = FluxTransformer2DModel(in_channels=16, num_layers=2, num_single_layers=2, attention_head_dim=16,
                               num_attention_heads=2, joint_attention_dim=48, pooled_projection_dim=24,
                               axes_dims_rope=(4, 6, 6), guidance_embeds=True).eval()
    spec = extract_spec({"transformer": m}, "FluxPipeline", tokens=rules(ch=4, max_seq=10))
    w = h = 64
    n_i, n_t = image_tokens(spec, w, h), 10
    lin, att = count(lambda: m(hidden_states=torch.randn(1, n_i, 16), encoder_hidden_states=torch.randn(1, n_t, 48),
                               pooled_projections=torch.randn(1, 24), timestep=torch.tensor([0.5]),
                               img_ids=torch.zeros(n_i, 3), txt_ids=torch.zeros(n_t, 3),
                               guidance=torch.tensor([3.5])))
    cost = transformer_flops_per_eval(spec, w, h, n_t)
    assert_close(cost.linear_flops, lin)
    assert_close(cost.attention_flops, att)


def test_zimage_transformer_matches_flop_counter():
    from diffusers import ZImageTransformer2DModel

    torch.manual_seed(0)
    m = ZImageTransformer2DModel(dim=64, n_layers=2, n_refiner_layers=1, n_heads=2, n_kv_heads=2, cap_feat_dim=32,
                                 axes_dims=[8, 12, 12], axes_lens=[512, 64, 64]).eval()
    with torch.no_grad():
        m.x_pad_token.normal_()
        m.cap_pad_token.normal_()
    # Z-Image pads image and caption tokens to multiples of 32 (SEQ_MULTI_OF); the spec records that.
    spec = extract_spec({"transformer": m}, "ZImagePipeline",
                        tokens=rules(policy="prompt_only", max_seq=512, text_mult=32, img_mult=32))
    w, h, prompt_len = 128, 96, 40  # latent 16 x 12 -> 8 x 6 = 48 tokens -> padded to 64; caption 40 -> 64
    n_i = image_tokens(spec, w, h)
    assert n_i == 64
    x = [torch.randn(16, 1, h // 8, w // 8)]
    cap = [torch.randn(prompt_len, 32)]
    lin, att = count(lambda: m(x, torch.tensor([0.5]), cap))
    cost = transformer_flops_per_eval(spec, w, h, 64)
    assert_close(cost.linear_flops, lin)
    assert_close(cost.attention_flops, att)


@pytest.mark.parametrize("kind", ["flux1", "flux2"])
def test_vae_decoder_matches_flop_counter(kind):
    from diffusers import AutoencoderKL, AutoencoderKLFlux2

    torch.manual_seed(0)
    kw = dict(block_out_channels=(16, 16, 32, 32), layers_per_block=1, norm_num_groups=8,
              down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
    if kind == "flux1":
        vae = AutoencoderKL(latent_channels=4, **kw).eval()
    else:
        vae = AutoencoderKLFlux2(latent_channels=4, **kw).eval()
    spec = extract_spec({"transformer": _dummy_transformer(), "vae": vae}, "FluxPipeline",
                        tokens=rules(ch=4))
    w, h = 96, 64
    z = torch.randn(1, 4, h // 8, w // 8)

    def decode():
        if vae.post_quant_conv is not None:
            vae.decoder(vae.post_quant_conv(z))
        else:
            vae.decoder(z)

    counted, att = count(decode)
    cost = vae_decode_flops(spec, w, h)
    assert_close(cost.conv_flops + cost.linear_flops, counted)
    assert_close(cost.attention_flops, att)
    assert cost.conv_flops > 0 and att > 0


def test_vae_encoder_matches_flop_counter():
    from diffusers import AutoencoderKL

    from advisor.perf.flops import vae_encode_flops

    vae = AutoencoderKL(latent_channels=4, block_out_channels=(16, 16, 32, 32), layers_per_block=1, norm_num_groups=8,
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4).eval()
    spec = extract_spec({"transformer": _dummy_transformer(), "vae": vae}, "FluxPipeline", tokens=rules(ch=4))
    x = torch.randn(1, 3, 64, 96)
    counted, att = count(lambda: vae.quant_conv(vae.encoder(x)))
    cost = vae_encode_flops(spec, 96, 64)
    assert_close(cost.conv_flops + cost.linear_flops, counted)
    assert_close(cost.attention_flops, att)


def _dummy_transformer():
    from diffusers import Flux2Transformer2DModel

    return Flux2Transformer2DModel(in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=8,
                                   num_attention_heads=1, joint_attention_dim=8, axes_dims_rope=(2, 2, 2, 2))


@pytest.mark.parametrize("kind", ["qwen3-causal-lm", "t5", "clip"])
def test_text_encoder_matches_flop_counter(kind):
    """Text encoders run over the padded sequence with a padding mask, lm_head included (FLUX.2/klein)."""
    from transformers import (CLIPTextConfig, CLIPTextModel, Qwen3Config, Qwen3ForCausalLM, T5Config,
                              T5EncoderModel)

    from advisor.perf.flops import text_encoder_flops

    torch.manual_seed(0)
    seq = 16
    if kind == "qwen3-causal-lm":
        te = Qwen3ForCausalLM(Qwen3Config(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                                          num_attention_heads=4, num_key_value_heads=2, head_dim=8))
    elif kind == "t5":
        te = T5EncoderModel(T5Config(vocab_size=300, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4,
                                     feed_forward_proj="gated-gelu"))
    else:
        seq = 77
        te = CLIPTextModel(CLIPTextConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                          num_attention_heads=4, max_position_embeddings=77))
    te.eval()
    spec = extract_spec({"transformer": _dummy_transformer(), "text_encoder": te}, "FluxPipeline",
                        tokens=rules(max_seq=seq))
    ids = torch.randint(0, 300, (1, seq))
    mask = torch.ones(1, seq, dtype=torch.long)
    mask[:, seq // 2:] = 0  # padded prompt, as the pipelines tokenize with padding="max_length"
    lin, att = count(lambda: te(input_ids=ids, attention_mask=mask, output_hidden_states=True))
    cost = text_encoder_flops(spec, prompt_tokens=5)
    assert_close(cost.linear_flops, lin)
    assert_close(cost.attention_flops, att)  # T5 too: transformers 5 runs its attention through SDPA
    assert att > 0

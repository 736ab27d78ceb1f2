"""The pipelines beyond the first six, as the simulator sees them: known answers computed by hand from the published
configs (SD 3.5 Large's MMDiT, SDXL's UNet), and the catalog's call settings consistent with each pipeline's
guidance (real CFG = two denoiser evaluations per step)."""

from __future__ import annotations

import pytest

from advisor.catalog import load_catalog
from advisor.catalog.architecture import load_architecture
from advisor.perf import flops as F


def test_sd35_large_linear_flops_by_hand():
    """SD 3.5 Large at 1024^2: 38 MMDiT blocks of D = 38 x 64 = 2432 (transformer/config.json), 4096 image tokens
    (128 x 128 latent, patch 2), 333 text tokens (77 CLIP + 256 T5), 2 FLOPs per multiply-add.

    Per block: image q, k, v, out + a 4x MLP = 12 D^2 per image token; the same 12 D^2 per text token (add_q/k/v,
    to_add_out, ff_context); adaLN-Zero modulation D -> 6D for each stream once per sample. The last block is
    context_pre_only: text only gets add_q/k/v (3 D^2) and a D -> 2D modulation. Around the blocks: context_embedder
    4096 -> D per text token, timestep (256 -> D -> D) and pooled-text (2048 -> D -> D) embeddings and norm_out
    (D -> 2D) once, proj_out D -> 2*2*16 = 64 per image token. The patch embedding is a conv, counted apart.
    """
    D, n_i, n_t, layers = 2432, 4096, 333, 38
    blocks = (layers - 1) * (12 * D * D * n_i + 12 * D * D * n_t + 12 * D * D)
    last = 12 * D * D * n_i + 3 * D * D * n_t + (6 * D * D + 2 * D * D)
    around = 4096 * D * n_t + (256 * D + D * D) + (2048 * D + D * D) + 2 * D * D + 64 * D * n_i
    expected_linear = 2.0 * (blocks + last + around)
    # patch embedding: Conv2d(16 -> D, kernel 2, stride 2) producing one output per image token
    expected_conv = 2.0 * 2 * 2 * 16 * D * n_i
    spec = load_architecture("sd-3.5-large")
    cost = F.transformer_flops_per_eval(spec, 1024, 1024, F.text_tokens(spec, 64))
    assert cost.linear_flops == expected_linear  # integers in float: exact
    assert cost.conv_flops == expected_conv
    # attention: joint over 4096 + 333 tokens, 38 heads x 64 = D, 38 blocks: 4 * L^2 * D per block
    assert cost.attention_flops == 4.0 * (n_i + n_t) ** 2 * D * layers


def test_sdxl_unet_cross_attention_and_conv_in_by_hand():
    """SDXL at 1024^2: a 128 x 128 latent. conv_in: 3x3, 4 -> 320 channels at full resolution. Cross-attention
    (attn2) queries over the latent pixels at each transformer block's resolution, keys/values over the 77 text
    tokens: 1 block per 2 attention layers at 1/2 scale (640 ch) x (2 down + 3 up), 10 per layer at 1/4 scale
    (1280 ch) x (2 down + 3 up) + 10 in the mid block (unet/config.json transformer_layers_per_block [1, 2, 10])."""
    spec = load_architecture("sdxl")
    unet = spec.transformer
    conv_in = [c for c in unet.convs if c.name == "conv_in"]
    assert len(conv_in) == 1 and (conv_in[0].in_channels, conv_in[0].out_channels, conv_in[0].kernel) == (4, 320, (3, 3))
    cross = [a for a in unet.attentions if a.kv_sequence == "text"]
    half = sum(a.count for a in cross if a.scale == 0.5)
    quarter = sum(a.count for a in cross if a.scale == 0.25)
    assert (half, quarter) == (2 * 2 + 3 * 2, 2 * 10 + 3 * 10 + 10)
    px = 128 * 128
    expected_cross = 4.0 * 77 * (half * (px / 4) * 640 + quarter * (px / 16) * 1280)
    expected_self = 4.0 * (half * (px / 4) ** 2 * 640 + quarter * (px / 16) ** 2 * 1280)
    cost = F.transformer_flops_per_eval(spec, 1024, 1024, 77)
    assert cost.attention_flops == pytest.approx(expected_cross + expected_self, rel=1e-12)


@pytest.mark.parametrize("slug", sorted(load_catalog().pipelines))
def test_evaluations_per_step_follow_the_guidance(slug):
    """Real CFG (guidance_kind cfg, guidance > 1) runs the denoiser twice per step; distilled or embedded
    guidance once."""
    pipe = load_catalog().pipeline(slug)
    cfg = pipe.guidance_kind == "cfg" and pipe.default_guidance > 1.0
    assert pipe.transformer_evals_per_step == (2 if cfg else 1)
    assert pipe.transformer_evals_note  # each says where its steps and guidance come from


def test_editing_pipelines_answer_editing_workloads_only():
    """Kontext and Qwen-Image-Edit edit an input image on every call: excluded, with the reason, from a text-to-image
    workload; ranked once the workload sends input images (and then the text-only pipelines leave)."""
    from advisor.cost.scenario import Scenario
    from advisor.decide import recommend

    cat = load_catalog()
    editing = {s for s, p in cat.pipelines.items() if p.requires_input_image}
    assert editing == {"flux-1-kontext-dev", "qwen-image-edit"}
    t2i = recommend(Scenario(volume_images_per_month=10_000), cat)
    assert not {o.pipeline for o in t2i.options} & editing
    reasons = {e.pipeline: e.reasons[0] for e in t2i.excluded if e.pipeline in editing}
    assert set(reasons) == editing
    assert reasons["qwen-image-edit"].endswith("edits an input image on every call; this workload sends none "
                                               "(input megapixels 0): pass the input image size to compare editing "
                                               "options.")
    edit = recommend(Scenario(volume_images_per_month=10_000, input_megapixels=1.0), cat)
    assert editing <= {o.pipeline for o in edit.options}
    assert "sdxl" not in {o.pipeline for o in edit.options}  # takes no input image

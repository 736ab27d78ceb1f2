"""Input (reference / edit) images cost compute: extra tokens in the denoiser's image stream (advisor.perf.flops
reference_image_tokens, advisor.perf.settings), moving self-host and API costs together."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.catalog.architecture import load_architecture
from advisor.cli import app
from advisor.errors import InputError
from advisor.perf import PerfRequest, estimate
from advisor.perf import flops as F

runner = CliRunner()


def test_reference_tokens_by_hand():
    spec = load_architecture("flux-2-dev")
    # FLUX.2: VAE downscale 8 x patch 2 = 16 pixels per token side, 256 pixels per token.
    assert (spec.tokens.vae_scale_factor, spec.tokens.patch_size) == (8, 2)
    assert F.reference_image_tokens(spec, 2.0) == 7813  # 2,000,000 / 256 = 7,812.5 -> 7,813
    assert F.reference_image_tokens(spec, 1024 * 1024 / 1e6) == 4096  # a 1024^2 input: 64 x 64 tokens, like the output
    assert F.reference_image_tokens(spec, 0) == 0
    with pytest.raises(InputError, match="input_megapixels"):
        F.reference_image_tokens(spec, -1.0)


def test_linear_and_attention_flops_grow_as_the_architecture_says():
    spec = load_architecture("flux-2-dev")
    n_t, n_i, n_r = 512, 4096, 7813
    base = F.transformer_flops_per_eval(spec, 1024, 1024, n_t)
    edit = F.transformer_flops_per_eval(spec, 1024, 1024, n_t, reference_tokens=n_r)
    # linears: every image-stream and joint-stream linear sees n_r more tokens: + 2 x n_r x in x out x count
    per_token = sum(g.in_features * g.out_features * g.count for g in spec.transformer.linears
                    if g.stream in ("image", "joint"))
    assert edit.linear_flops - base.linear_flops == pytest.approx(2.0 * n_r * per_token, rel=1e-12)
    # attention: all FLUX.2 attention runs over the joint sequence, so it grows with its square
    assert {a.sequence for a in spec.transformer.attentions} == {"joint"}
    ratio = ((n_i + n_r + n_t) / (n_i + n_t)) ** 2  # (12,421 / 4,608)^2 = 7.27
    assert edit.attention_flops / base.attention_flops == pytest.approx(ratio, rel=1e-12)


def test_editing_pipeline_pays_for_input_images_and_a_text_to_image_one_does_not():
    plain = estimate(PerfRequest("flux-2-dev", "h200"))
    edit = estimate(PerfRequest("flux-2-dev", "h200", input_megapixels=2.0))
    assert edit.reference_tokens == 7813 and plain.reference_tokens == 0
    assert edit.stages_seconds["denoise"] > 2 * plain.stages_seconds["denoise"]
    assert edit.stages_seconds["vae_decode"] > plain.stages_seconds["vae_decode"]  # + the VAE encode of the inputs
    assert edit.peak_vram_gib > plain.peak_vram_gib
    assert "2 MP input" in edit.setting
    zit = estimate(PerfRequest("z-image-turbo", "h200", input_megapixels=2.0))
    assert zit.reference_tokens == 0
    assert zit.seconds_per_image == estimate(PerfRequest("z-image-turbo", "h200")).seconds_per_image
    assert any("takes no input images" in n for n in zit.notes)


def test_bad_input_megapixels_is_one_line():
    allowed = "allowed: a number between 0 and 64 [MP of input images per request]"
    with pytest.raises(InputError) as ei:
        estimate(PerfRequest("flux-2-dev", "h200", input_megapixels=-1))
    assert str(ei.value) == f"input_megapixels: got -1; {allowed}"
    r = runner.invoke(app, ["simulate", "--pipeline", "flux-2-dev", "--gpu", "h200", "--input-megapixels", "nan"])
    assert r.exit_code == 2, r.output
    assert r.output.strip() == f"error: input_megapixels: got nan; {allowed}"  # the whole output: one line


def test_cli_simulate_reports_input_tokens():
    r = runner.invoke(app, ["simulate", "--pipeline", "flux-2-klein-4b", "--gpu", "rtx-4090", "--input-megapixels",
                            "1", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["reference_tokens"] == 3907 and d["input_megapixels"] == 1.0  # ceil(1e6 / 256)


def test_recommend_moves_self_host_and_api_together():
    from advisor.decide import Scenario, recommend

    def costs(mp: float):
        res = recommend(Scenario.from_dict({"volume_images_per_month": 2000, "input_megapixels": mp}))
        rent = next(o for o in res.options if o.pipeline == "flux-2-dev" and o.deployment == "cloud-gpu"
                    and o.gpu == "rtx-4090")
        api = next(o for o in res.options if o.id == "api:fal-flux-2-dev")
        return rent.seconds_per_image, api.monthly_cost_usd, res

    (s0, api0, _), (s2, api2, res2) = costs(0.0), costs(2.0)
    assert s2 > 2 * s0  # 7,813 extra tokens on 4,608: linears x2.7, attention x7.3
    assert api2 > api0  # the provider bills input megapixels too
    # a text-to-image-only model cannot take the inputs: excluded everywhere, with the reason
    assert not any(o.pipeline == "z-image-turbo" for o in res2.options)
    assert any(e.pipeline == "z-image-turbo" and "takes no input images" in e.reasons[0] for e in res2.excluded)

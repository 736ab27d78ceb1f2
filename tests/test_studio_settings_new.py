"""Studio settings of the pipelines added beyond the first six, the "(library default)" label, and check-claim on the
same steps as simulate with the floor of the kernels a claim names (profiles/pipelines.yaml studio_settings,
advisor.perf.settings, advisor.perf.floor, advisor.fit.claims, advisor check-claim)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.catalog import load_catalog
from advisor.cli import app
from advisor.errors import InputError
from advisor.fit.claims import check_claim
from advisor.perf import PerfRequest, estimate
from advisor.perf import _engine as E
from advisor.perf import floor as FL
from advisor.perf import settings as S

runner = CliRunner()

#: (steps, guidance, denoiser forwards per step) studios run, written from the public sources themselves:
STUDIO = {
    # ComfyUI nodes.py KSampler: steps default 20, cfg default 8.0 (SDXL runs "like any regular checkpoint",
    # ComfyUI_examples sdxl/README.md); cfg 8 > 1 runs the negative prompt too
    "sdxl": (20, 8.0, 2),
    # ComfyUI templates/image_qwen_image.json: KSampler 20 steps, cfg 2.5, negative prompt connected
    "qwen-image": (20, 2.5, 2),
    # ComfyUI templates/image_qwen_image_edit.json: Steps 20, CFG 2.5 (Lightning LoRA switch off)
    "qwen-image-edit": (20, 2.5, 2),
    # stabilityai/stable-diffusion-3.5-large model card: num_inference_steps=28, guidance_scale=3.5
    "sd-3.5-large": (28, 3.5, 2),
    # stabilityai/stable-diffusion-3.5-large-turbo model card: num_inference_steps=4, guidance_scale=0.0 (no CFG)
    "sd-3.5-large-turbo": (4, 0.0, 1),
    # stabilityai/stable-diffusion-3.5-medium model card: num_inference_steps=40, guidance_scale=4.5
    "sd-3.5-medium": (40, 4.5, 2),
    # ComfyUI templates/flux_kontext_dev_basic.json: KSampler 20 steps, cfg 1, FluxGuidance 2.5 (embedded guidance)
    "flux-1-kontext-dev": (20, 2.5, 1),
    # ComfyUI templates/image_z_image.json: KSampler 50 steps, cfg 4
    "z-image": (50, 4.0, 2),
    # ComfyUI FLUX.2 [klein] templates: Flux2Scheduler 20 steps, CFGGuider cfg 5 (4B text-to-image; 9B base blueprint)
    "flux-2-klein-base-4b": (20, 5.0, 2),
    "flux-2-klein-base-9b": (20, 5.0, 2),
}


@pytest.mark.parametrize("slug", sorted(STUDIO))
def test_studio_steps_are_the_sourced_numbers(slug):
    steps, guidance, evals = STUDIO[slug]
    pipe = load_catalog().pipeline(slug)
    st = pipe.studio_settings
    assert (st.steps, st.guidance) == (steps, guidance)
    assert st.source and st.as_of
    assert S.resolve_steps(pipe, None, "studio") == (steps, f"studio setting ({st.source}, {st.as_of})")
    assert E.resolve_evals(pipe, S.resolve_guidance(pipe, None, "studio")) == evals
    # the library preset keeps the library's own call
    assert S.resolve_steps(pipe, None, "library")[0] == pipe.default_steps


def test_no_catalog_pipeline_falls_back_to_the_library_call():
    for pipe in load_catalog().pipelines.values():
        assert pipe.studio_settings is not None, pipe.slug
        assert S.resolve_steps(pipe, None, "studio")[1].startswith("studio setting"), pipe.slug


def test_qwen_image_edit_denoise_at_the_studio_steps_is_20_of_50():
    # no offload on an H200: the denoise stage is steps x the same step time; CFG either way (2.5 and 4.0 > 1)
    studio = estimate(PerfRequest("qwen-image-edit", "h200", input_megapixels=1.0))
    library = estimate(PerfRequest("qwen-image-edit", "h200", input_megapixels=1.0, steps_preset="library"))
    assert (studio.steps, library.steps) == (20, 50)
    assert studio.offload == library.offload == "none"
    assert studio.stages_seconds["denoise"] / library.stages_seconds["denoise"] == pytest.approx(20 / 50, rel=1e-12)


def test_library_steps_are_labelled_in_simulate_and_compare_rows():
    studio = estimate(PerfRequest("sdxl", "h200"))
    library = estimate(PerfRequest("sdxl", "h200", steps_preset="library"))
    assert studio.setting.endswith(", 20 steps")
    assert library.setting.endswith(", 50 steps (library default)")
    assert estimate(PerfRequest("sdxl", "h200", steps=50)).setting.endswith(", 50 steps")  # asked for: no tag
    r = runner.invoke(app, ["compare", "--pipeline", "sdxl", "--pipeline", "sd-3.5-medium", "--volume", "500",
                            "--gpu", "rtx-4090", "--steps-preset", "library", "--format", "json"])
    assert r.exit_code == 0, r.output
    settings = [row["setting"] for m in json.loads(r.output)["models"] for row in m["rows"] if row["setting"]]
    assert settings and all("steps (library default)" in s for s in settings)


# ------------------------------------------------------------------------------------------------ check-claim
def test_check_claim_of_simulates_own_flux2_dev_time_is_possible():
    est = estimate(PerfRequest("flux-2-dev", "rtx-4090"))
    c = check_claim("flux-2-dev", "rtx-4090", est.seconds_per_image)
    assert c.steps == est.steps == 28  # the same studio steps as simulate
    assert c.steps_source == est.steps_source
    assert c.verdict != "impossible" and c.fraction_of_peak < 1.0
    # the library preset is the library's 50 steps: denoise floor x 50/28 exactly (same forward)
    lib = check_claim("flux-2-dev", "rtx-4090", est.seconds_per_image, steps_preset="library")
    assert lib.steps == 50
    assert lib.floor_stages_seconds["denoise"] / c.floor_stages_seconds["denoise"] == pytest.approx(50 / 28, rel=1e-12)


def test_the_plain_floor_is_the_engines_floor():
    cat = load_catalog()
    pipe, gpu = cat.pipeline("flux-1-dev"), cat.gpu("rtx-4090")
    spec = E.load_architecture(pipe.slug)
    plain = FL.floor_stages_for(spec, gpu, "bf16", 1024, 1024, 1, FL.floor_plan((), gpu, cat, "bf16"))
    engine = E.floor_stages(E.workload(spec, 1024, 1024, 28, 1, 1, "bf16"), gpu, "bf16")
    assert plain == pytest.approx(engine, rel=1e-12)


def test_sage_attention_floor_puts_attention_at_the_int8_rate():
    """RTX 4090 datasheet (NVIDIA Ada whitepaper v2.1 Appendix A): BF16 165.2 TFLOPS dense, INT8 660.6 TOPS dense,
    the fastest of SageAttention's formats listed for the card. Every stage of FLUX.1 [dev] at 1024^2 is compute
    bound (the forward, T5-XXL on 512 tokens, the VAE decode), so the floor drops by the attention FLOPs x
    (1/165.2e12 - 1/660.6e12): 28 forwards (embedded guidance) + the text encoders + the VAE's attention."""
    cat = load_catalog()
    spec = E.load_architecture("flux-1-dev")
    w = E.workload(spec, 1024, 1024, 28, 1, 1, "bf16")
    att = 28 * w.eval_cost.attention_flops + w.te.attention_flops + w.vae.attention_flops
    plain = check_claim("flux-1-dev", "rtx-4090", 20.0, catalog=cat)
    sage = check_claim("flux-1-dev", "rtx-4090", 20.0, catalog=cat, optimizations=("sage-attention",))
    # both rates x how far the card runs above its datasheet: the measured bf16 ceiling 166.6 TFLOPS
    # (profiles/ceilings/rtx-4090.yaml) / 165.2
    boost = 166.6 / 165.2
    expected = att * (1 / (165.2e12 * boost) - 1 / (660.6e12 * boost))
    assert plain.floor_seconds - sage.floor_seconds == pytest.approx(expected, rel=1e-9)
    assert sage.optimizations == ("sage-attention",)


def test_no_optimization_raises_the_floor():
    cat = load_catalog()
    plain = check_claim("flux-1-dev", "rtx-4090", 20.0, catalog=cat).floor_seconds
    names = [o.slug for o in cat.optimizations.optimizations.values() if o.kind not in ("step-cache",)]
    checked = 0
    for name in names:
        try:
            c = check_claim("flux-1-dev", "rtx-4090", 20.0, catalog=cat, optimizations=(name,))
        except InputError:  # not on this card (Hopper-only, Blackwell-only, Apple stacks)
            continue
        checked += 1
        assert c.floor_seconds <= plain * (1 + 1e-12), name
    assert checked >= 8


def test_product_settings_on_consumer_cards_are_not_flagged_with_their_kernels():
    """The recommender's own FLUX.1 [dev] setting on an RTX 5080 (torch.compile, SageAttention, 28 steps) is not
    implausible once the claim names its kernels; without them the floor ignores SageAttention's INT8 path."""
    est = estimate(PerfRequest("flux-1-dev", "rtx-5080", optimizations=("torch-compile", "sage-attention")))
    c = check_claim("flux-1-dev", "rtx-5080", est.seconds_per_image, optimizations=("torch-compile", "sage-attention"))
    assert c.verdict == "plausible", c.reason


def test_check_claim_cli_says_the_steps_and_refuses_bad_optimizations():
    r = runner.invoke(app, ["check-claim", "--pipeline", "flux-2-dev", "--gpu", "rtx-4090", "--seconds", "80"])
    assert r.exit_code == 0, r.output
    assert "steps assumed 28 (studio setting" in r.output
    bad = runner.invoke(app, ["check-claim", "--pipeline", "flux-1-dev", "--gpu", "rtx-4090", "--seconds", "9",
                              "--optimization", "warp-drive"])
    assert bad.exit_code == 2
    assert len(bad.output.strip().splitlines()) == 1 and "optimization: got 'warp-drive'" in bad.output
    cache = runner.invoke(app, ["check-claim", "--pipeline", "flux-1-dev", "--gpu", "rtx-4090", "--seconds", "9",
                                "--optimization", "teacache"])
    assert cache.exit_code == 2
    assert len(cache.output.strip().splitlines()) == 1 and "step cache" in cache.output
    wrong_card = runner.invoke(app, ["check-claim", "--pipeline", "flux-1-dev", "--gpu", "rtx-4090", "--seconds", "9",
                                     "--optimization", "flash-attention-3"])
    assert wrong_card.exit_code == 2 and len(wrong_card.output.strip().splitlines()) == 1


def test_check_claim_counts_input_images_where_the_pipeline_takes_them():
    # Qwen-Image-Edit (image-editing capability): 1 MP of input joins every forward, so its floor rises; SDXL takes
    # no input images, so the same option changes nothing (as in simulate). 1 MP of output is 4,096 image tokens and
    # 1 MP of input about as many again: the linear FLOPs about double, so 1.5x is a margin-safe lower bound
    edit = check_claim("qwen-image-edit", "rtx-4000-ada", 100.0)
    edit_1mp = check_claim("qwen-image-edit", "rtx-4000-ada", 100.0, input_megapixels=1.0)
    assert edit_1mp.floor_stages_seconds["denoise"] > 1.5 * edit.floor_stages_seconds["denoise"]
    sdxl = check_claim("sdxl", "rtx-4090", 3.0)
    assert check_claim("sdxl", "rtx-4090", 3.0, input_megapixels=1.0).floor_seconds == sdxl.floor_seconds

"""The setting a request runs at: studio vs library steps, THE setting label, FP8 matmuls gated as a quality trade-off,
the compile warm-up per process start (advisor.perf.settings, advisor.decide.optimize)."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from advisor.catalog import PROFILES_DIR, load_catalog
from advisor.cli import app
from advisor.errors import InputError
from advisor.perf import PerfRequest, estimate

runner = CliRunner()


def test_flux2_dev_studio_steps_are_the_model_cards_trade_off():
    pipe = load_catalog().pipeline("flux-2-dev")
    assert pipe.default_steps == 50 and pipe.studio_settings.steps == 28
    assert "28 steps can be a good trade-off" in pipe.studio_settings.source
    studio = estimate(PerfRequest("flux-2-dev", "h200"))
    library = estimate(PerfRequest("flux-2-dev", "h200", steps_preset="library"))
    assert (studio.steps, library.steps) == (28, 50)
    assert "FLUX.2-dev model card" in studio.steps_source and "library call" in library.steps_source
    # no offload on an H200 (it fits): the denoise stage is steps x the same step time, so the ratio is 28/50 exactly
    assert studio.offload == library.offload == "none"
    assert studio.stages_seconds["denoise"] / library.stages_seconds["denoise"] == pytest.approx(28 / 50, rel=1e-12)
    assert studio.seconds_per_step == pytest.approx(library.seconds_per_step, rel=1e-12)


def test_explicit_steps_win_over_the_preset_and_the_request_is_kept_as_asked():
    req = PerfRequest("flux-2-dev", "h200", steps=20)
    est = estimate(req)
    assert est.steps == 20 and est.steps_source == "as requested"
    assert est.request == req  # steps left as asked: a copy with other optimizations resolves the same preset
    assert estimate(PerfRequest("flux-2-dev", "h200")).request.steps is None


def test_bad_steps_preset_is_one_line():
    with pytest.raises(InputError) as ei:
        estimate(PerfRequest("flux-2-dev", "h200", steps_preset="fast"))
    assert str(ei.value) == "steps_preset: got 'fast'; allowed: studio | library"
    r = runner.invoke(app, ["simulate", "--pipeline", "flux-2-dev", "--gpu", "h200", "--steps-preset", "fast"])
    assert r.exit_code == 2, r.output
    assert r.output.strip() == "error: steps_preset: got 'fast'; allowed: studio | library"  # the whole output


def test_setting_label_names_weights_matmuls_compile_attention_steps_offload():
    eager = estimate(PerfRequest("z-image-turbo", "rtx-4090"))
    assert eager.setting == "bf16 weights, BF16 matmuls, eager, SDPA attention, 9 steps"
    fast = estimate(PerfRequest("z-image-turbo", "rtx-4090",
                                optimizations=("torch-compile", "sage-attention", "fp8-compute")))
    assert fast.setting == "FP8 weights, FP8 matmuls, torch.compile, SageAttention, 9 steps"
    store = estimate(PerfRequest("flux-2-dev", "rtx-4090", optimizations=("fp8-storage",)))
    assert store.setting == "FP8 weights, BF16 matmuls, eager, SDPA attention, 28 steps, group offload"
    fp8 = estimate(PerfRequest("flux-2-dev", "rtx-4090", precision="fp8", steps=20))
    assert fp8.setting == "FP8 weights, FP8 matmuls, eager, SDPA attention, 20 steps, group offload"


def test_fp8_matmuls_are_a_quality_trade_off():
    from advisor.decide import optimize

    cat = load_catalog()
    assert cat.optimizations.get("fp8-compute").changes_quality is True
    gpu = cat.gpu("rtx-4090")
    plain = optimize.candidate_sets(gpu, cat.optimizations, allow_quality_tradeoffs=False)
    allowed = optimize.candidate_sets(gpu, cat.optimizations, allow_quality_tradeoffs=True)
    assert not any("fp8-compute" in s for s in plain)
    assert any("fp8-compute" in s for s in allowed)
    assert ("torch-compile", "sage-attention", "fp8-storage") in plain  # FP8 weights with BF16 matmuls stay allowed

    def est(req, catalog):
        return estimate(req, catalog)

    fp8 = estimate(PerfRequest("z-image-turbo", "rtx-4090", precision="fp8"))
    assert optimize.fastest(fp8, cat, est, allow_quality_tradeoffs=False) is None
    assert optimize.fastest(fp8, cat, est, allow_quality_tradeoffs=True) is fp8


def test_one_setting_one_number_in_recommend_and_simulate():
    """The owned card's option shows the label and seconds the simulator gives for that same setting."""
    from advisor.decide import Scenario, recommend

    res = recommend(Scenario.from_dict({"volume_images_per_month": 500, "gpu_owned": "rtx-4090"}))
    own = next(o for o in res.options if o.id == "self-host:owned:rtx-4090:z-image-turbo:bf16")
    names = {"torch.compile": "torch-compile", "SageAttention": "sage-attention", "FlashAttention-3":
             "flash-attention-3"}
    opts = tuple(slug for word, slug in names.items() if word in own.setting)
    if own.setting.startswith("FP8 weights, BF16 matmuls"):
        opts += ("fp8-storage",)
    sim = estimate(PerfRequest("z-image-turbo", "rtx-4090", optimizations=opts))
    assert own.setting == sim.setting and own.setting in own.label
    assert own.seconds_per_image == pytest.approx(sim.seconds_per_image, rel=1e-12)
    assert "FP8 matmuls" not in own.setting  # dynamic FP8 only with allow_quality_tradeoffs


def test_compile_warm_up_is_on_the_estimate_and_in_the_cold_start():
    eager = estimate(PerfRequest("flux-1-dev", "h100-sxm"))
    comp = estimate(PerfRequest("flux-1-dev", "h100-sxm", optimizations=("torch-compile",)))
    compile_s = load_catalog().optimizations.get("torch-compile").compile_seconds.value
    assert eager.compile_seconds == 0 and comp.compile_seconds == compile_s
    # same weights and offload: the cold starts differ by the compile warm-up alone
    assert comp.cold_start_seconds - eager.cold_start_seconds == pytest.approx(compile_s, rel=1e-12)


def test_compile_is_billed_in_every_rental_session():
    from advisor.decide import market
    from advisor.decide.engine import Scenario

    cat = load_catalog()
    offer = next(o for o in cat.rentals.values() if not getattr(o, "serverless", False))
    inputs = market.rental_inputs(Scenario.from_dict({"volume_images_per_month": 1000}), cat)
    pipe = cat.pipeline("flux-1-dev")
    args = (inputs, offer, pipe, "bf16", 1000, 1.0, 5.0, 1, "download", False)
    plain = market.session_plan(*args)
    compiled = market.session_plan(*args, compile_seconds=120.0)
    assert compiled.run_seconds - plain.run_seconds == pytest.approx(120.0, rel=1e-12)
    assert compiled.fixed_session_usd(1.0) - plain.fixed_session_usd(1.0) == pytest.approx(120.0 / 3600, rel=1e-9)
    assert "120 s to compile" in compiled.texts["load"]


def test_cli_simulate_json_names_the_setting_and_the_compile_seconds():
    r = runner.invoke(app, ["simulate", "--pipeline", "flux-2-dev", "--gpu", "rtx-4090", "--optimization",
                            "torch-compile", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["steps"] == 28 and d["steps_preset"] == "studio" and "model card" in d["steps_source"]
    # the warm-up is the catalog's torch-compile compile_seconds, read from the YAML file itself
    book = yaml.safe_load((PROFILES_DIR / "optimizations.yaml").read_text(encoding="utf-8"))["optimizations"]
    compile_seconds = next(o for o in book if o["slug"] == "torch-compile")["compile_seconds"]["value"]
    assert d["setting"].startswith("bf16 weights, BF16 matmuls, torch.compile")
    assert d["compile_seconds"] == compile_seconds > 0
    r = runner.invoke(app, ["simulate", "--pipeline", "flux-2-dev", "--gpu", "rtx-4090", "--steps-preset", "library",
                            "--format", "json"])
    assert json.loads(r.output)["steps"] == 50


def test_compare_rows_show_the_whole_setting_with_the_same_seconds():
    from advisor.decide import Scenario
    from advisor.decide.compare import compare, short_label

    res = compare(["z-image-turbo", "flux-2-klein-4b"],
                  Scenario.from_dict({"volume_images_per_month": 500, "gpu_owned": "rtx-4090"}))
    own = next(r for m in res.models if m.model == "z-image-turbo" for r in m.rows if r.kind == "own")
    assert short_label(own) == f"own rtx-4090: {own.setting}"
    assert "torch.compile" in own.setting or "eager" in own.setting  # the label never hides compile
    assert own.setting.endswith("9 steps")

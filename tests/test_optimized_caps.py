"""Optimized settings stay physical, bought cards say how they are priced, and FP8 matmuls need FP8 hardware.

- An optimization's kernel factor never takes a linear or attention efficiency past 1.0 of the rate the kernel runs
  at; SageAttention runs at its INT8 (QK^T) / FP8-or-FP16 (PV) tensor path's rate instead
  (advisor.perf.optimizations.attention_rate_ratio), so its speed-up over SDPA is kept without an efficiency above 1.
- Group offload streams the denoiser's weights once per transformer call: twice per step for a pipeline that calls
  the transformer once per guidance branch (Qwen-Image), each copy hidden only behind its own call's compute.
- The studio question of the expert review (FLUX.2 [dev] or Qwen-Image, 20,000 images a month, an owned RTX PRO
  6000) is answered with a time that ``check-claim`` does not call implausible.
- A card priced from its used price is named "a used <card> ($X, used price of <date>)", and its resale value falls
  at the used-price decline an owned card is charged.
- ``--precision fp8`` (FP8 matmuls) on a GPU without FP8 tensor cores is one line and exit code 2.

Known answers are computed here from the catalog's own numbers with the formulas written out; relative tolerances
of 1e-9 only absorb floating-point reordering.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.catalog.architecture import load_architecture
from advisor.cli import app
from advisor.cost.scenario import Scenario, with_studio_people_defaults
from advisor.decide import market
from advisor.decide.engine import recommend
from advisor.fit.claims import check_claim
from advisor.perf import PerfRequest, estimate
from advisor.perf import _engine as E
from advisor.perf import memory as M
from advisor.perf import optimizations as O
from advisor.perf import timing as T

runner = CliRunner()
REL = 1e-9  # floating-point reordering only




def _plan(catalog, gpu, names):
    return O.plan_for(O.resolve(names, catalog.gpu(gpu), catalog.optimizations, "bf16"))


def _eff(catalog, cal, gpu, names):
    g = catalog.gpu(gpu)
    plan = _plan(catalog, gpu, names)
    return O.adjusted_efficiency(cal.families[g.architecture], plan, O.attention_rate_ratio(g, plan))


# ------------------------------------------------------------------------------------------ efficiency caps
def test_fa3_on_hopper_is_capped_at_the_achievable_rate(catalog, cal):
    e = cal.families["hopper"].attention
    factor = catalog.optimizations.get("flash-attention-3").attention_efficiency_factor.value
    eff = _eff(catalog, cal, "h100-sxm", ("flash-attention-3",))
    expected = min(e * factor, 1.0)  # by hand: 0.68 x 1.5 = 1.02 with the shipped fit -> 1.0
    assert eff.attention == pytest.approx(expected, rel=REL)
    assert eff.attention <= 1.0


def test_sage_attention_runs_on_its_int8_fp8_path_by_hand(catalog, cal):
    g = catalog.gpu("rtx-4070-ti")
    sheet = {k: v.value for k, v in g.tensor_tflops.items()}
    # sm89: QK^T INT8, PV FP8 with FP16 accumulation; equal FLOPs, one after the other: harmonic mean of the rates
    path = 2.0 / (1.0 / sheet["int8_tops"] + 1.0 / sheet["fp8_fp16acc"])
    ratio = path / sheet["bf16_fp32acc"]  # 320.7 / 80.2 = 4.0 on the shipped datasheet numbers
    plan = _plan(catalog, "rtx-4070-ti", ("sage-attention",))
    assert O.attention_rate_ratio(g, plan) == pytest.approx(ratio, rel=REL)
    e = cal.families["ada"].attention
    factor = catalog.optimizations.get("sage-attention").attention_efficiency_factor.value
    eff = _eff(catalog, cal, "rtx-4070-ti", ("sage-attention",))
    assert eff.attention == pytest.approx(min(e * factor / ratio, 1.0), rel=REL)
    assert eff.attention <= 1.0
    # the kernel keeps its sourced speed-up: attention time = FLOPs / (BF16 attention rate x e x factor)
    spec = load_architecture("qwen-image")
    base = O.optimized_stages(spec, g, "bf16", 1024, 1024, 20, 2, 1, O.plan_for(()), cal)
    opt = O.optimized_stages(spec, g, "bf16", 1024, 1024, 20, 2, 1, plan, cal)
    flops = base.w_opt.eval_cost.attention_flops
    bf16_rate = T.device_rates(g, "bf16", cal).attention_flops_per_s
    assert opt.stages.eval_time.by_class["attention"] == pytest.approx(flops / (bf16_rate * e * factor), rel=REL)


def test_sage_attention_on_geforce_ampere_uses_int8_and_fp16(catalog):
    g = catalog.gpu("rtx-3090")
    sheet = {k: v.value for k, v in g.tensor_tflops.items()}
    # sm86: Triton kernel, QK^T INT8, PV FP16 with FP16 accumulation (no FP8 on Ampere)
    expected = 2.0 / (1.0 / sheet["int8_tops"] + 1.0 / sheet["fp16_fp16acc"]) / sheet["bf16_fp32acc"]
    assert O.attention_rate_ratio(g, _plan(catalog, "rtx-3090", ("sage-attention",))) == pytest.approx(expected,
                                                                                                        rel=REL)


def test_no_optimized_efficiency_exceeds_one(catalog, cal):
    sets = [("torch-compile", "sage-attention"), ("torch-compile", "flash-attention-3"), ("sglang-diffusion",),
            ("comfyui",), ("nunchaku-w4a4",), ("nvfp4",), ("fp8-compute", "torch-compile")]
    checked = 0
    for g in catalog.gpus.values():
        for names in sets:
            try:
                plan = O.plan_for(O.resolve(names, g, catalog.optimizations, "bf16"))
            except Exception:  # not supported on this card: nothing to check
                continue
            eff = O.adjusted_efficiency(cal.families[g.architecture], plan, O.attention_rate_ratio(g, plan))
            assert eff.linear <= 1.0 and eff.attention <= 1.0, (g.slug, names, eff.linear, eff.attention)
            checked += 1
    assert checked > 50  # every CUDA card x most sets


# ------------------------------------------------------------------------------------------ offload transfers
def test_group_offload_streams_once_per_transformer_call_by_hand(catalog, cal):
    """Qwen-Image calls the transformer once per guidance branch: 2 x 50 weight streams of 40.9 GB on a 12 GB card,
    each hidden only behind its own call (half the batched two-branch forward)."""
    req = PerfRequest("qwen-image", "rtx-4070-ti", steps=50)
    est = estimate(req, catalog)
    assert est.offload == "group"
    g = catalog.gpu("rtx-4070-ti")
    spec = load_architecture("qwen-image")
    mods = M.module_weight_gib(spec, "bf16", {"vae": "bf16"})
    pcie = g.pcie_gb_per_s * 1e9 * E.PCIE_EFFICIENCY["group"]
    tr = mods[spec.transformer.module] * M.GIB / pcie
    other = (sum(mods.values()) - mods[spec.transformer.module]) * M.GIB / pcie
    w = E.workload(spec, 1024, 1024, 50, 2, 1, "bf16")
    forward_both = E.time_stages(w, g, "bf16", cal).eval_time.seconds
    expected = other + max(0.0, tr - forward_both / 2) * 50 * 2
    assert est.stages_seconds["offload_transfer"] == pytest.approx(expected, rel=REL)
    # physics: the denoise cannot beat 100 streams of the weights over the link
    assert est.seconds_per_image >= 100 * tr


def test_batched_guidance_streams_once_per_step(catalog, cal):
    """SDXL batches both guidance branches into one call: 30 streams for 30 steps, not 60."""
    est = estimate(PerfRequest("sdxl", "rtx-3060-12gb", precision="fp16", steps=30, offload="sequential"), catalog)
    g = catalog.gpu("rtx-3060-12gb")
    spec = load_architecture("sdxl")
    mods = M.module_weight_gib(spec, "fp16", {"vae": "bf16"})
    pcie = g.pcie_gb_per_s * 1e9 * E.PCIE_EFFICIENCY["sequential"]
    expected = sum(mods.values()) * M.GIB / pcie + mods[spec.transformer.module] * M.GIB / pcie * (30 - 1)
    assert est.stages_seconds["offload_transfer"] == pytest.approx(expected, rel=REL)


# ------------------------------------------------------------------------------------------ the reviewer's compare
@pytest.mark.parametrize("preset", ["studio", "library"])
def test_compare_answer_passes_its_own_claim_check(catalog, preset):
    res = runner.invoke(app, ["compare", "--pipeline", "flux-2-dev", "--pipeline", "qwen-image", "--volume", "20000",
                              "--gpu", "rtx-pro-6000-blackwell", "--steps-preset", preset, "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    pick = d["recommendation"]["option_id"]
    row = next(r for m in d["models"] for r in m["rows"] if r["option_id"] == pick)
    if row["kind"] == "api":  # an API's time is not the simulator's: nothing to check
        return
    steps = int(re.search(r"(\d+) steps", row["setting"]).group(1))
    verdict = check_claim(row["model"], row["gpu"], row["seconds_per_image"], steps=steps,
                          precision=row["precision"], catalog=catalog)
    assert verdict.verdict != "implausible", (row["label"], row["seconds_per_image"], verdict.reason)


# ------------------------------------------------------------------------------------------ used cards
def test_a_card_without_a_new_price_is_named_used(catalog):
    g = catalog.gpu("rtx-4070-ti")
    assert g.street_price_usd is None and g.used_price_usd is not None
    r = g.used_price_usd
    mid = (r.low + r.high) / 2
    assert market.bought_card_words(g) == f"a used {g.name} (${mid:,.0f}, used price of {r.as_of.isoformat()})"
    new = catalog.gpu("rtx-5090")
    assert new.street_price_usd is not None
    assert market.bought_card_words(new) == f"a new {new.name}"


def test_a_used_purchase_resells_at_the_used_price_decline(catalog):
    sc = Scenario(**with_studio_people_defaults({"volume_images_per_month": 500}))
    res = recommend(sc, catalog)
    opts = [o for o in res.options if o.hardware == "purchase" and o.gpu == "rtx-3060-12gb"]
    assert opts, "no bought RTX 3060 option"
    o = opts[0]
    assert "a used" in o.label and "used price of" in o.label
    d = catalog.defaults
    months, fraction = d.amortization_months.value, d.resale_fraction.value
    decline, rate = d.used_price_decline_per_month.value, d.cost_of_capital_per_year.value
    fee = d.selling_fee_fraction.value  # the seller of the used card receives its price less the marketplace fee
    card = catalog.gpu("rtx-3060-12gb").used_price_usd.mid
    price = o.purchase_usd / o.gpus_needed
    resale = card * (1 - decline) ** months * (1 - fee) + (price - card) * fraction
    hardware = o.gpus_needed * ((price - resale) / months + (price + resale) / 2 * rate / 12)
    assert o.cost_breakdown_usd["hardware"] == pytest.approx(hardware, rel=REL)


# ------------------------------------------------------------------------------------------ FP8 matmuls
@pytest.mark.parametrize("gpu", ["rtx-3060-12gb", "rx-7900-xtx", "apple-m3-max-128gb"])
def test_fp8_precision_without_fp8_tensor_cores_is_one_line(gpu):
    res = runner.invoke(app, ["simulate", "--pipeline", "flux-1-dev", "--gpu", gpu, "--precision", "fp8"])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert "precision" in lines[0] and "'fp8'" in lines[0] and "fp8_fp32acc" in lines[0] and gpu in lines[0]


def test_fp8_storage_and_fp8_matmuls_where_supported():
    # FP8 storage upcasts to BF16: no FP8 hardware needed on a CUDA card
    res = runner.invoke(app, ["simulate", "--pipeline", "flux-1-dev", "--gpu", "rtx-3060-12gb", "--precision", "bf16",
                              "--optimization", "fp8-storage"])
    assert res.exit_code == 0, res.output
    assert "FP8 weights, BF16 matmuls" in res.output
    res = runner.invoke(app, ["simulate", "--pipeline", "flux-1-dev", "--gpu", "rtx-4090", "--precision", "fp8"])
    assert res.exit_code == 0, res.output
    assert "FP8 weights, FP8 matmuls" in res.output


def test_simulator_page_refuses_fp8_on_an_rtx_3060_in_one_error():
    from streamlit.testing.v1 import AppTest

    # the whole app is loaded headless and the page switched to, as tests/test_app.py does (its 120 s timeout: the
    # first engine call loads the catalog on a busy 2-core machine)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120).run()
    at.switch_page("views/simulator.py").run()
    at.selectbox(key="sim_pipeline").select("flux-1-dev")
    at.selectbox(key="sim_gpu").select("rtx-3060-12gb")
    at.selectbox(key="sim_precision").select("fp8")
    at.button[0].click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "precision" in errors[0] and "fp8_fp32acc" in errors[0], errors

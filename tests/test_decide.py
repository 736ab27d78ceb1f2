"""advisor.decide on a small hand-made catalog and a fake estimator (numbers chosen for hand arithmetic)."""

from __future__ import annotations

import json

import pytest

from advisor import decide as D
from advisor.catalog import build_catalog
from advisor.errors import InputError, UnknownSlugError
from advisor.perf import PerfEstimate, PerfRequest

S = {"source": "test fixture", "as_of": "2026-11-01"}


def n(v, **kw):
    return {"value": v, **S, **kw}


def gpu(slug, vram, price=None, street=None, idle=20.0, fp8=False):
    tt = {"bf16_fp32acc": n(100.0), "fp16_fp32acc": n(100.0), "fp32": n(50.0)}
    if fp8:
        tt["fp8_fp32acc"] = n(200.0)
    return {"slug": slug, "name": slug.upper(), "architecture": "ada", "vram_gib": n(vram),
            "memory_bandwidth_gb_per_s": n(1000.0), "tensor_tflops": tt, "pcie_gen": n(4), "pcie_lanes": n(16),
            "board_power_watts": n(400.0), "idle_power_watts": n(idle),
            "launch_price_usd": n(price) if price else None,
            "street_price_usd": {"low": street[0], "high": street[1], **S} if street else None}


#: transformer parameters [billions] of the test pipelines (the fake estimator's only input besides the GPU)
PARAMS_B: dict[str, float] = {}


def pipeline(slug, params_b, commercial="allowed", fee=None, caps=(), elo=None):
    PARAMS_B[slug] = params_b
    # bf16 weights on disk: transformer parameters x 2 bytes (what the rental sessions load)
    disk = {"bf16": {**n(params_b * 2.0), "derived": True}} if params_b else {}
    return {"slug": slug, "name": slug.title(), "family": "test", "weights_on_disk_gb": disk,
            "default_steps": 8, "transformer_evals_per_step": 1, "default_guidance": 0, "guidance_kind": "none",
            "guidance_distilled": True,
            "license": {"name": "L", "commercial_use": commercial, "fee_usd_per_month": n(fee) if fee else None,
                        "fee_note": "test", **S},
            "capabilities": [{"capability": c, "evidence": "test", **S} for c in caps],
            "quality_elo": n(elo) if elo else None}


RAW = {
    "gpus": [gpu("rtx-4090", 24.0, price=1600, street=(1800, 2200), fp8=True), gpu("h100", 80.0, price=30000)],
    "pipelines": [
        pipeline("small", 6, caps=("chinese-text",)),  # fits everywhere
        pipeline("big", 32, commercial="paid-license", fee=100.0, caps=("multi-reference",), elo=1100),
        pipeline("nc", 6, commercial="forbidden"),
        pipeline("pro", 0, elo=1200),  # API-only
    ],
    "apis": [
        {"slug": "small-api", "provider": "P1", "pipeline": "small", "pricing": "per-megapixel",
         "per_mp_usd": n(0.005), "rounding": "ceil-mp"},
        {"slug": "pro-api", "provider": "P2", "pipeline": "pro", "pricing": "first-mp-plus-additional",
         "first_mp_usd": n(0.03), "additional_mp_usd": n(0.015), "input_mp_usd": n(0.015)},
    ],
    "rentals": [{"slug": "h100-cloud", "gpu": "h100", "provider": "Cloud",
                 "on_demand_usd_per_hour": {"low": 2.0, "high": 3.0, **S},
                 "billing_increment_seconds": 1, "minimum_billing_seconds": 60}],
    "defaults": {"rest_of_system_watts": n(100.0), "rest_of_system_idle_watts": n(40.0),
                 "electricity_usd_per_kwh": n(0.30), "amortization_months": n(36), "resale_fraction": n(0.25),
                 "failure_rate": n(0.2), "rental_utilization": n(0.5), "powered_on_hours_per_day": n(0.0),
                 "too_close_fraction": n(0.15),
                 # rentals billed per working session (issue 13)
                 "sessions_per_working_day": n(1), "working_days_per_month": n(20), "pod_boot_seconds": n(60),
                 "volume_read_gb_per_s": n(0.5), "download_gb_per_s": n(0.1), "spot_interruptions_per_hour": n(0.1)},
}


def make_catalog(raw=RAW):
    return build_catalog(json.loads(json.dumps(raw)), "test-catalog")


CAT = make_catalog()
CALLS: list[PerfRequest] = []

# Fake simulator: seconds/image = params_B x 0.5 s / (tflops/100) ; fp8 twice the rate; fits when bytes/param x
# params <= VRAM - 2 GiB; bf16 'big' on 24 GiB does not fit, fp8 does not either (32 GiB), nf4 (18 GiB) fits with
# model offload. board power 400 W; uncertainty 0.1.
BYTES = {"bf16": 2.0, "fp8": 1.0, "nf4": 0.5625}


def fake_estimate(req: PerfRequest, catalog) -> PerfEstimate:
    CALLS.append(req)
    pipe = catalog.pipeline(req.pipeline)
    g = catalog.gpu(req.gpu)
    params = PARAMS_B[pipe.slug] * 1e9
    rate = g.tensor_tflops["fp8_fp32acc" if req.precision == "fp8" else "bf16_fp32acc"].value
    s = params / 1e9 * 0.5 / (rate / 100.0)
    peak = params * BYTES[req.precision] / 2**30 * (1 if req.precision != "nf4" else 0.9)
    fits = peak <= g.vram_gib.value - 2
    return PerfEstimate(request=req, seconds_per_image=s, stages_seconds={"denoise": s}, seconds_per_step=s / 8,
                        cold_start_seconds=10.0, peak_vram_gib=peak, fits=fits,
                        offload="model" if req.precision == "nf4" else "none",
                        energy_per_image_joules=400.0 * s, board_power_watts=400.0, system_power_watts=500.0,
                        uncertainty=0.1, bound="compute", notes=() if fits else ("needs more VRAM",))


def run(**kw):
    sc = D.Scenario(**{"volume_images_per_month": 500, **kw})
    return D.recommend(sc, catalog=CAT, estimator=fake_estimate)


# --- scenario validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, field, match",
    [
        ({"volume_images_per_month": 0}, "volume_images_per_month", r"got 0; allowed: a finite number > 0"),
        ({"volume_images_per_month": -5}, "volume_images_per_month", "got -5"),
        ({"volume_images_per_month": float("nan")}, "volume_images_per_month", "got nan"),
        ({"volume_images_per_month": float("inf")}, "volume_images_per_month", "got inf"),
        ({"volume_images_per_month": 2e9}, "volume_images_per_month", r"<= 1e\+09"),
        ({"volume_images_per_month": 5, "megapixels": 17}, "megapixels", r"in \(0, 16\]"),
        ({"volume_images_per_month": 5, "megapixels": 0}, "megapixels", "got 0"),
        ({"volume_images_per_month": 5, "width": 1000, "height": 1024}, "width", "multiple of 16"),
        ({"volume_images_per_month": 5, "width": 1024}, "height", "got None"),
        ({"volume_images_per_month": 5, "needs": ["speed"]}, "needs",
         r"needs: got 'speed'; allowed: each one of chinese-text, multi-reference, quality"),
        ({"volume_images_per_month": 5, "needs": ["quality", "speed"]}, "needs", "got 'speed'"),
        ({"volume_images_per_month": 5, "powered_on_hours_per_day": 25}, "powered_on_hours_per_day",
         r"got 25; allowed: a finite number in \[0, 24\] \[h/day\]"),
        ({"volume_images_per_month": 5, "powered_on_hours_per_day": -1}, "powered_on_hours_per_day", "got -1"),
        ({"volume_images_per_month": 5, "powered_on_hours_per_day": float("nan")}, "powered_on_hours_per_day",
         "got nan"),
        ({"volume_images_per_month": 5, "deadline_hours": 2}, "batch_images", "together with deadline_hours"),
        ({"volume_images_per_month": 5, "colour": "red"}, "colour", "known scenario fields"),
        ({}, "volume_images_per_month", "required"),
    ],
)
def test_scenario_errors(kw, field, match):
    with pytest.raises(InputError, match=match) as exc:
        D.Scenario(**kw)
    assert exc.value.field == field


def test_scenario_from_dict_rejects_list():
    with pytest.raises(InputError, match="scenario: got 'list'"):
        D.Scenario.from_dict([1, 2])


def test_scenario_size():
    # 2 MP -> side 1024 x sqrt(2) = 1448.2 -> /16 = 90.5 -> round 90 (banker's) x 16 = 1440 ... or 91 x 16 = 1456
    assert D.Scenario(volume_images_per_month=1, megapixels=2.0).size_pixels in ((1440, 1440), (1456, 1456))
    assert D.Scenario(volume_images_per_month=1).size_pixels == (1024, 1024)
    # width x height given: 1536 x 1024 / 2**20 = 1.5 MP
    assert D.Scenario(volume_images_per_month=1, width=1536, height=1024).output_megapixels == 1.5


def test_unknown_gpu_suggests():
    with pytest.raises(UnknownSlugError, match="did you mean rtx-4090"):
        run(gpu_owned="rtx-4909")


# --- costs against hand arithmetic ------------------------------------------------------------


def test_owned_small_bf16_hand():
    r = run(gpu_owned="rtx-4090")
    o = r.option("self-host:owned:rtx-4090:small:bf16")
    # Owned GPU, on anyway: only the energy above idle counts.
    # s = 6 x 0.5 / 1.0 = 3.0 s; board 400 W - 20 W idle = 380 W; rest 500-400 = 100 W - 40 W idle = 60 W
    # 440 W x 3 s = 1320 J; attempts 1/(1-0.2) = 1.25; 1320 x 500 x 1.25 = 825_000 J = 0.229167 kWh
    # x 0.30 USD/kWh = 0.06875 USD
    assert o.seconds_per_image == 3.0
    assert o.cost_breakdown_usd["electricity"] == pytest.approx(825_000 / 3.6e6 * 0.30, rel=1e-12)
    assert o.cost_breakdown_usd["hardware"] == 0.0
    assert o.monthly_cost_usd == pytest.approx(0.06875, rel=1e-12)
    assert o.cost_per_image_usd == pytest.approx(0.06875 / 500, rel=1e-12)
    assert "440 W above idle (GPU board 400 W - 20 W idle + rest of system 100 W - 40 W idle)" in o.reasons[0]
    assert "Not counted: the purchase (a sunk cost) and the idle draw" in o.reasons[0]
    # busy hours 500 x 1.25 x 3 / 3600 = 0.5208 h
    assert o.gpu_hours_per_month == pytest.approx(500 * 1.25 * 3 / 3600, rel=1e-12)
    assert "500 images/month" in o.reasons[0] and "sunk cost" in o.reasons[0] and "3.00 s" in o.reasons[0]


def test_buy_uses_street_midpoint_hand():
    r = run()
    o = r.option("self-host:buy:rtx-4090:small:bf16")
    # street midpoint (1800 + 2200)/2 = 2000; resale 25% = 500; (2000 - 500) / 36 = 41.6667 USD/month
    assert o.cost_breakdown_usd["hardware"] == pytest.approx(1500 / 36, rel=1e-12)
    assert "midpoint of the $1,800-$2,200 new street price" in o.reasons[0]
    assert "resale fraction of 25%" in o.reasons[0]  # every buy reason states the resale fraction (issue 13)
    h = r.option("self-host:buy:h100:small:bf16")
    # launch price 30000 -> (30000 - 7500) / 36 = 625
    assert h.cost_breakdown_usd["hardware"] == pytest.approx(625.0, rel=1e-12)
    assert "launch price" in h.reasons[0]


def test_rental_hand():
    r = run()
    o = r.option("cloud-gpu:h100-cloud:small:bf16")
    # billed per working session (issue 13): min(1 session/day x 20 days, 500 images) = 20 sessions; each boots 60 s,
    # downloads 6e9 params x 2 B = 12 GB at 0.1 GB/s = 120 s (no storage price on this offer), and generates
    # 500/20 x 1.25 attempts x 3 s = 93.75 s: 273.75 s -> 274 s billed (1 s increment, 60 s minimum)
    assert o.gpu_hours_per_month == pytest.approx(20 * 273.75 / 3600, rel=1e-12)
    # 20 x 274 s / 3600 x 2.50 USD/h (midpoint) = 3.8056 USD/month
    assert o.cost_breakdown_usd["rental"] == pytest.approx(20 * 274 / 3600 * 2.5, rel=1e-12)
    assert "midpoint" in o.reasons[0] and "$2.00-$3.00/h" in o.reasons[0]


def test_api_hand():
    r = run()
    o = r.option("api:small-api")
    # 0.005 USD/MP x 1 MP x 500 x 1.25 attempts = 3.125
    assert o.monthly_cost_usd == pytest.approx(3.125, rel=1e-12)
    p = run(megapixels=1.5, input_megapixels=1.0).option("api:pro-api")
    # 0.03 + 0.015 x 0.5 + 0.015 x 1 input MP = 0.0525 x 500 x 1.25 = 32.8125
    assert p.monthly_cost_usd == pytest.approx(32.8125, rel=1e-12)
    s15 = run(megapixels=1.5).option("api:small-api")
    # ceil-mp: 1.5 -> 2 MP x 0.005 = 0.01 x 625 = 6.25
    assert s15.monthly_cost_usd == pytest.approx(6.25, rel=1e-12)


def test_licence_fee_added_for_commercial():
    r = run(commercial=True)
    o = r.option("self-host:buy:h100:big:bf16")
    assert o.cost_breakdown_usd["license"] == 100.0
    assert any("paid licence: $100/month" in x for x in o.reasons)
    assert run(commercial=False).option("self-host:buy:h100:big:bf16").cost_breakdown_usd["license"] == 0.0
    assert run().use == "commercial"  # the default (issue 10: studios are commercial)


# --- ranking, exclusions ----------------------------------------------------------------------


def test_ranking_sorted_and_recommendation_is_top():
    r = run(gpu_owned="rtx-4090")
    costs = [o.monthly_cost_usd for o in r.options]
    assert costs == sorted(costs)
    assert r.recommendation.option_id == r.options[0].id
    assert r.options[0].hardware == "owned"


def test_excluded_fit_licence_capability():
    r = run(gpu_owned="rtx-4090", commercial=True, needs=["chinese-text"])
    ex = {e.id: e for e in r.excluded}
    # 'nc' forbids commercial use
    assert any("forbids commercial use" in x for x in ex["self-host:*:nc"].reasons)
    # 'big' lacks chinese-text
    assert any("no sourced evidence of chinese-text" in x for x in ex["self-host:*:big"].reasons)
    assert "api:pro-api" in ex
    ids = {o.id for o in r.options}
    assert not any(":nc:" in i or ":big:" in i for i in ids)
    assert not (ids & set(ex))


def test_big_needs_nf4_offload_on_24gb():
    r = run(gpu_owned="rtx-4090")
    o = r.option("self-host:owned:rtx-4090:big:nf4")
    assert o.offload == "model"
    assert any("model offload" in x for x in o.reasons)
    ids = {x.id for x in r.options}
    assert "self-host:owned:rtx-4090:big:bf16" not in ids  # 64 GB of bf16 weights do not fit in 24 GiB


def test_does_not_fit_anywhere_is_excluded():
    raw = json.loads(json.dumps(RAW))
    raw["pipelines"].append(pipeline("huge", 200))
    cat = make_catalog(raw)
    r = D.recommend(D.Scenario(volume_images_per_month=10, gpu_owned="rtx-4090"), catalog=cat,
                    estimator=fake_estimate)
    ex = {e.id: e for e in r.excluded}
    assert "Does not fit on the RTX-4090 (24 GiB)" in ex["self-host:owned:rtx-4090:huge"].reasons[0]
    assert "self-host:buy:h100:huge" in ex


def test_deadline_excludes_owned_and_scales_purchase():
    # small on 4090 bf16: 3 s; 10_000 x 1.25 x 3 = 37_500 s = 10.4 h > 2 h
    r = run(gpu_owned="rtx-4090", deadline_hours=2, batch_images=10_000)
    ex = {e.id: e for e in r.excluded}
    assert "more than your 2 h deadline" in ex["self-host:owned:rtx-4090:small:bf16"].reasons[0]
    buy = r.option("self-host:buy:rtx-4090:small:bf16")
    # work 10.417 h, room 2 h - 10 s cold start = 1.99722 h -> ceil(5.2156) = 6 cards
    assert buy.gpus_needed == 6
    assert buy.cost_breakdown_usd["hardware"] == pytest.approx(6 * 1500 / 36, rel=1e-12)
    assert any("needs 6 cards in parallel" in x for x in buy.reasons)
    assert any("no throughput or rate limit" in x for x in r.option("api:small-api").reasons)


def test_owned_capacity_exceeded():
    # a card is planned for 730.5 h / (1 + 1.2816 x 0.25) = 553.2 h so that the P90 month fits;
    # 1e6 images x 1.25 x 3 s = 1042 h > 553.2 h -> ceil(1.883) = 2 cards
    r = run(gpu_owned="rtx-4090", volume_images_per_month=1e6)
    ex = {e.id: e for e in r.excluded}
    assert "more than one card is planned for: 553 h" in ex["self-host:owned:rtx-4090:small:bf16"].reasons[0]
    assert r.option("self-host:buy:rtx-4090:small:bf16").gpus_needed == 2


def test_a_card_is_planned_so_the_busy_month_fits():
    # 6e5 images x 1.25 x 3 s = 625 h: fits the 730.5 h month but not the 553.2 h planned per card -> 2 cards
    r = run(gpu_owned="rtx-4090", volume_images_per_month=6e5)
    assert "self-host:owned:rtx-4090:small:bf16" in {e.id for e in r.excluded}
    assert r.option("self-host:buy:rtx-4090:small:bf16").gpus_needed == 2
    # the scenario's own spread sets the ceiling: CV 0.1 -> 730.5 / 1.12816 = 647.5 h >= 625 h -> one card
    r = run(gpu_owned="rtx-4090", volume_images_per_month=6e5, volume_relative_sd=0.1)
    assert r.option("self-host:owned:rtx-4090:small:bf16").gpus_needed == 1
    assert r.option("self-host:buy:rtx-4090:small:bf16").gpus_needed == 1


def test_a_bought_machine_pays_cost_of_capital_hand():
    # hand catalog: the 4090's street midpoint (1800 + 2200) / 2 = $2,000, no rest of system, resale fraction 0.25
    # -> $500 after 36 months (depreciation (2000 - 500) / 36 = 41.67 USD/month, above); the catalog states no cost
    # of capital (0). At 12 %/year the money tied up averages (2000 + 500) / 2 = 1250 -> 1250 x 0.12 / 12 = 12.50
    base = run(volume_images_per_month=1000).option("self-host:buy:rtx-4090:small:bf16")
    dear = run(volume_images_per_month=1000, cost_of_capital_per_year=0.12).option("self-host:buy:rtx-4090:small:bf16")
    assert base.capital_usd_per_month == 0.0
    assert dear.capital_usd_per_month == pytest.approx(12.5, rel=1e-12)
    assert dear.cost_breakdown_usd["hardware"] == pytest.approx(1500 / 36 + 12.5, rel=1e-12)
    assert any("cost of capital $12.50/month" in x for x in dear.reasons)


def test_quality_need_ranks_scored_first():
    r = run(needs=["quality"])
    assert r.options[0].pipeline == "pro"  # Elo 1200 first, though not the cheapest
    elos = [o.quality_elo for o in r.options if o.quality_elo is not None]
    assert elos == sorted(elos, reverse=True)
    assert any("no sourced quality score" in x for x in r.option("api:small-api").reasons)


def test_too_close_to_call():
    # two rental-free, owned-free scenario: buy 4090 small fp8 vs bf16 are the same choice; compare API vs
    # owned at a volume where they are near. Owned small bf16 0.078125 vs ... use a custom catalog instead:
    raw = json.loads(json.dumps(RAW))
    raw["apis"] = [{"slug": "near", "provider": "P", "pipeline": "small", "pricing": "per-image",
                    "per_image_usd": n(0.000157)}]
    raw["rentals"] = []
    raw["gpus"] = raw["gpus"][:1]
    raw["pipelines"] = [p for p in raw["pipelines"] if p["slug"] != "nc"]  # 'nc' would tie with 'small'
    cat = make_catalog(raw)
    # powered_on_hours_per_day=0 set explicitly: the owned card is costed as a dedicated box switched on only
    # while generating, i.e. full system energy (board + rest of system), no idle term, as in the numbers below.
    # allow_quality_tradeoffs: the fixture's fp8 is FP8 matmuls, a quality trade-off the engine uses only when allowed
    sc = D.Scenario(volume_images_per_month=500, gpu_owned="rtx-4090", powered_on_hours_per_day=0,
                    allow_quality_tradeoffs=True)
    r = D.recommend(sc, catalog=cat, estimator=fake_estimate)
    # owned small fp8: 1.5 s, 750 J: 1.25 x 500 x 750 J -> 0.0390625 USD; owned bf16 0.078125 (same choice);
    # API 0.000157 x 625 = 0.098125. Runner-up = API (different choice): gap 0.0590625.
    # band = 0.1 x 0.0390625 + 0 = 0.0039 -> not close.
    assert r.recommendation.option_id == "self-host:owned:rtx-4090:small:fp8"
    assert r.recommendation.runner_up_id == "api:near"
    assert r.recommendation.too_close_to_call is False
    raw["apis"][0]["per_image_usd"] = n(0.0000650)  # 0.040625/month: gap 0.0015625 < band 0.0039
    r2 = D.recommend(sc, catalog=make_catalog(raw), estimator=fake_estimate)
    assert r2.recommendation.too_close_to_call is True
    assert any("Too close to call" in x for x in r2.recommendation.reasons)


def test_break_even_consistent():
    r = run(gpu_owned="rtx-4090")
    assert r.break_even
    by_id = {o.id: o for o in r.options}
    for be in r.break_even:
        a, b = by_id[be.a], by_id[be.b]
        if be.images_per_month is None:
            continue
        ca = a.fixed_usd_per_month + a.variable_usd_per_image * be.images_per_month
        cb = b.fixed_usd_per_month + b.variable_usd_per_image * be.images_per_month
        assert ca == pytest.approx(cb, rel=1e-9)


def test_decomposition_matches_monthly_cost():
    # with powered_on 0 h and no minimum-billing effect the linear decomposition is exact
    r = run(gpu_owned="rtx-4090")
    for o in r.options:
        if o.deployment == "cloud-gpu":
            continue  # per-second rounding makes the rental bill slightly above the line
        assert o.fixed_usd_per_month + o.variable_usd_per_image * 500 == pytest.approx(o.monthly_cost_usd, rel=1e-9)


def test_payback_for_purchases():
    # Payback is measured against the cheapest way to make the SAME model's images without buying (issue 10).
    # 'small' at 500 images/month, personal use, no rentals costed in this fixture (see the rental tests):
    #   buy RTX-4090 bf16: price 2000 (street midpoint); running = electricity only:
    #     3 s x 500 W = 1500 J x 500 x 1.25 = 937,500 J = 0.2604167 kWh x 0.30 = 0.078125 USD/month
    #   the cheapest non-buying way for 'small': its API, 0.005 USD/MP x 1 MP x 500 x 1.25 = 3.125 USD/month
    #   payback = 2000 / (3.125 - 0.078125) = 2000 / 3.046875 = 656.41 months
    # (the old rule compared against any model's cheapest option; here that is 'pro-api', a different model)
    r = run(commercial=False)
    o = r.option("self-host:buy:rtx-4090:small:bf16")
    assert o.payback_against == "api:small-api"
    assert o.payback_months == pytest.approx(2000 / 3.046875, rel=1e-9)
    # with an owned 4090 the same model costs only its electricity (0.078125 ... above idle): buying never pays
    owned = run(commercial=False, gpu_owned="rtx-4090")
    assert owned.option("self-host:buy:rtx-4090:small:bf16").payback_against.startswith("self-host:owned:rtx-4090:small")


def test_json_keys():
    d = run(gpu_owned="rtx-4090").to_json_dict()
    json.dumps(d)  # serialisable
    assert {"options", "excluded", "recommendation", "break_even"} <= set(d)
    opt = d["options"][0]
    for k in ("id", "pipeline", "deployment", "gpu", "precision", "fits", "seconds_per_image", "monthly_cost_usd",
              "cost_per_image_usd", "cost_breakdown_usd", "gpu_hours_per_month", "reasons"):
        assert k in opt
    assert set(opt["cost_breakdown_usd"]) == {"hardware", "electricity", "license", "api", "rental", "people"}
    assert d["use"] == "commercial"
    assert {"option_id", "reasons", "too_close_to_call"} <= set(d["recommendation"])
    assert set(d["break_even"][0]) == {"a", "b", "images_per_month", "pair"}
    assert {o["deployment"] for o in d["options"]} == {"self-host", "cloud-gpu", "api"}


def test_estimates_requested_per_precision():
    CALLS.clear()
    run(gpu_owned="rtx-4090")
    precisions = {(c.gpu, c.precision) for c in CALLS}
    assert ("rtx-4090", "fp8") in precisions
    assert ("h100", "fp8") not in precisions  # fixture h100 lists no fp8 rate
    assert all(c.width == 1024 and c.height == 1024 for c in CALLS)


def test_decomposition_with_idle_hours():
    # Catalog default 8 h/day on -> 8 x 30.4375 = 243.5 h/month; idle 20 W GPU + 40 W rest = 60 W.
    raw = json.loads(json.dumps(RAW))
    raw["defaults"]["powered_on_hours_per_day"] = n(8.0)
    cat = make_catalog(raw)
    # Dedicated box (bought, or owned with powered_on_hours_per_day set): busy system energy + idle energy.
    # busy 500 x 1.25 x 3 s = 0.520833 h; idle 243.5 - 0.520833 = 242.979167 h x 60 W x 3600 = 52_483_500 J
    # busy 500 x 1.25 x (1200 J board + 300 J rest) = 937_500 J; total 53_421_000 J / 3.6e6 = 14.839167 kWh
    # x 0.30 = 4.45175 USD
    r = D.recommend(D.Scenario(volume_images_per_month=500, gpu_owned="rtx-4090", powered_on_hours_per_day=8),
                    catalog=cat, estimator=fake_estimate)
    o = r.option("self-host:owned:rtx-4090:small:bf16")
    assert o.monthly_cost_usd == pytest.approx(4.45175, rel=1e-9)
    assert o.fixed_usd_per_month + o.variable_usd_per_image * 500 == pytest.approx(o.monthly_cost_usd, rel=1e-9)
    assert "switched on 8 h/day for this work as you set" in o.reasons[0]
    assert "243 h idle" in o.reasons[0] and "60 W (20 W GPU idle + 40 W rest of system idle)" in o.reasons[0]
    assert r.assumptions["powered_on_hours_source"] == "scenario"
    # A bought card on the same 8 h/day: same electricity, plus (2000 - 500) / 36 hardware.
    b = r.option("self-host:buy:rtx-4090:small:bf16")
    assert b.cost_breakdown_usd["electricity"] == pytest.approx(4.45175, rel=1e-9)
    assert b.monthly_cost_usd == pytest.approx(1500 / 36 + 4.45175, rel=1e-9)
    # Without powered_on_hours_per_day the owned GPU ignores the catalog's 8 h: only the 825_000 J above idle
    # (see test_owned_small_bf16_hand) = 0.06875 USD, while the bought card still pays its idle hours.
    r2 = D.recommend(D.Scenario(volume_images_per_month=500, gpu_owned="rtx-4090"), catalog=cat,
                     estimator=fake_estimate)
    assert r2.option("self-host:owned:rtx-4090:small:bf16").monthly_cost_usd == pytest.approx(0.06875, rel=1e-12)
    b2 = r2.option("self-host:buy:rtx-4090:small:bf16")
    assert b2.cost_breakdown_usd["electricity"] == pytest.approx(4.45175, rel=1e-9)
    assert "8 h/day on, the catalog default for a dedicated box" in b2.reasons[0]


def test_serverless_rental_goes_through_its_own_pricer():
    """A serverless offer is priced by rental.serverless_options (advisor.decide.serverless has the billing and its
    known answers, tests/test_rentals.py); here only what the engine owns: it bills at least the generation time
    (500 x 1.25 attempts x 3 s = 1,875 s on the fixture H100: 6 B x 0.5 s / (100 TFLOPS / 100)), and no person starts or stops it."""
    raw = json.loads(json.dumps(RAW))
    raw["rentals"].append({"slug": "h100-sls", "gpu": "h100", "provider": "Sls", "serverless": True,
                           "on_demand_usd_per_hour": {"low": 2.0, "high": 3.0, **S},
                           "billing_increment_seconds": 1, "minimum_billing_seconds": 0,
                           "idle_timeout_seconds": n(5)})
    r = D.recommend(D.Scenario(volume_images_per_month=500, setup_hours=1, hourly_rate_usd=10),
                    catalog=make_catalog(raw), estimator=fake_estimate)
    sls = [o for o in r.options if o.offer == "h100-sls" and o.pipeline == "small"]
    assert sls
    for o in sls:
        assert o.seconds_per_image == pytest.approx(3.0, rel=1e-12)
        assert o.gpu_hours_per_month >= 500 * 1.25 * 3.0 / 3600
        assert not o.started_by_hand and o.people_breakdown_usd["operator"] == 0.0


def test_cost_breakdown_per_image_hand():
    r = run()
    o = r.option("self-host:buy:rtx-4090:small:bf16")
    # Monthly parts at 500 images/month (fixture: 0 h/day powered on, so no idle energy):
    #   hardware (2000 - 500) / 36 = 41.666667 USD/month -> / 500 = 0.083333 USD/image
    #   electricity: 3 s x (400 W board + 100 W rest) = 1500 J x 500 x 1.25 attempts = 937_500 J = 0.2604167 kWh
    #     x 0.30 USD/kWh = 0.078125 USD/month -> / 500 = 0.00015625 USD/image
    #   license, api, rental 0
    pi = o.cost_breakdown_per_image_usd
    assert set(pi) == {"hardware", "electricity", "license", "api", "rental", "people"}
    assert pi["hardware"] == pytest.approx(1500 / 36 / 500, rel=1e-12)
    assert pi["electricity"] == pytest.approx(0.00015625, rel=1e-12)
    assert pi["license"] == pi["api"] == pi["rental"] == 0.0
    assert o.cost_per_image_usd == pytest.approx(1500 / 36 / 500 + 0.00015625, rel=1e-12)
    # every option, of every kind: the per-image parts add up to the cost per image (rel 1e-12: only the
    # rounding of five float divisions and a sum separates the two)
    r = run(gpu_owned="rtx-4090", commercial=True)
    assert {o.deployment for o in r.options} == {"self-host", "cloud-gpu", "api"}
    for o in r.options:
        assert sum(o.cost_breakdown_per_image_usd.values()) == pytest.approx(o.cost_per_image_usd, rel=1e-12), o.id
        for k, v in o.cost_breakdown_usd.items():
            assert o.cost_breakdown_per_image_usd[k] == pytest.approx(v / 500, rel=1e-12), (o.id, k)
    # the JSON carries it (additive to the contract's names)
    d = r.to_json_dict()["options"][0]
    assert set(d["cost_breakdown_per_image_usd"]) == set(d["cost_breakdown_usd"])


def test_batch_hours_hand():
    r = run(batch_images=1000, deadline_hours=10)
    o = r.option("cloud-gpu:h100-cloud:small:bf16")
    # 1000 images x 1.25 attempts x 3 s = 3750 s on one instance (1.04 h of work < 10 h) + 10 s cold start
    # = 3760 s = 1.044444 h
    assert o.gpus_needed == 1
    assert o.batch_hours == pytest.approx(3760 / 3600, rel=1e-12)
    b = r.option("self-host:buy:rtx-4090:small:bf16")
    assert b.batch_hours == pytest.approx(3760 / 3600, rel=1e-12)  # same 3 s/image on the 4090 (same bf16 rate)
    assert r.option("api:small-api").batch_hours is None  # no sourced API throughput
    # deadline 0.5 h: the work needs 3750 / (1800 - 10) = 2.09 -> 3 instances; 3750 / 3 + 10 = 1260 s
    r = run(batch_images=1000, deadline_hours=0.5)
    o = r.option("cloud-gpu:h100-cloud:small:bf16")
    assert o.gpus_needed == 3
    assert o.batch_hours == pytest.approx(1260 / 3600, rel=1e-12)
    # no batch: no batch time
    assert run().option("cloud-gpu:h100-cloud:small:bf16").batch_hours is None


# --- no silent free licences -------------------------------------------------------------------


def test_unknown_licence_fee_ranks_after_priced_and_says_break_even():
    """A paid-licence model whose fee is unknown: each of its rows says "fee not set, break-even $X/month" (X = the
    fee at which it costs the same as the model's cheapest API) in the option, the licence text and the CSV, and
    ranks after every priced option even when it is cheaper before the fee."""
    import copy

    from advisor.fmt import usd
    from advisor.report.tables import option_rows

    raw = copy.deepcopy(RAW)
    big = next(p for p in raw["pipelines"] if p["slug"] == "big")
    big["license"]["fee_usd_per_month"] = None
    raw["apis"].append({"slug": "big-api", "provider": "P3", "pipeline": "big", "pricing": "per-megapixel",
                        "per_mp_usd": n(0.5), "rounding": "ceil-mp"})
    r = D.recommend(D.Scenario(volume_images_per_month=500, commercial=True), catalog=make_catalog(raw),
                    estimator=fake_estimate)
    unknown = [i for i, o in enumerate(r.options) if not o.license_fee_known]
    known = [i for i, o in enumerate(r.options) if o.license_fee_known]
    assert unknown and known and max(known) < min(unknown)
    # at least one unpriced row costs less than some priced row before its fee: it was moved down, not ranked there
    assert min(r.options[i].monthly_cost_usd for i in unknown) < max(r.options[i].monthly_cost_usd for i in known)
    api = r.option("api:big-api")  # 0.5 USD/MP x 1 MP x 500 images x 1.25 attempts = 312.5 USD/month
    assert api.monthly_cost_usd == pytest.approx(312.5, rel=1e-12)
    rows = {row["id"]: row for row in option_rows(r)}
    for i in unknown:
        o = r.options[i]
        assert o.cost_breakdown_usd["license"] == 0.0
        if o.monthly_cost_usd < api.monthly_cost_usd:
            # break-even fee = API 312.5 - this option without a licence
            be = 312.5 - o.monthly_cost_usd
            assert o.break_even_license_fee_usd_per_month == pytest.approx(be, rel=1e-9)
            assert o.license_note == f"fee not set, break-even {usd(be)}/month"
        else:
            assert o.license_note.startswith("fee not set, no break-even")
        assert o.license_note in o.license and o.license_note in rows[o.id]["license"]
    assert r.recommendation.option_id in {r.options[i].id for i in known}
    # the fee given: the rows are priced and ranked by cost again
    given = D.recommend(D.Scenario(volume_images_per_month=500, commercial=True,
                                   license_fee_usd_per_month={"big": 10.0}),
                        catalog=make_catalog(raw), estimator=fake_estimate)
    assert all(o.license_fee_known and o.license_note == "" for o in given.options)
    costs = [o.monthly_cost_usd for o in given.options]
    assert costs == sorted(costs)


def test_an_owned_card_without_a_used_price_has_an_estimated_resale_hand():
    # the H100 gets a $30,000 street and a $22,000-26,000 used price: used/new = 24000 / 30000 = 0.8, the only (so the
    # median) ratio. The owned 4090 has no used price: resale = street midpoint 2000 x 0.8 = $1,600; at 1 %/month
    # decline + 12 %/year / 12 = 2 %/month it costs 1600 x 0.02 = 32.00 USD/month to keep
    raw = json.loads(json.dumps(RAW))
    h100 = next(g for g in raw["gpus"] if g["slug"] == "h100")
    h100["street_price_usd"] = {"low": 30000.0, "high": 30000.0, **S}
    h100["used_price_usd"] = {"low": 22000.0, "high": 26000.0, **S}
    cat = make_catalog(raw)
    sc = D.Scenario(volume_images_per_month=500, gpu_owned="rtx-4090", used_price_decline_per_month=0.01,
                    cost_of_capital_per_year=0.12)
    own = D.recommend(sc, catalog=cat, estimator=fake_estimate).option("self-host:owned:rtx-4090:small:bf16")
    assert own.resale_derived and own.holding_usd_per_month == pytest.approx(32.0, rel=1e-12)
    assert own.cost_breakdown_usd["hardware"] == pytest.approx(32.0, rel=1e-12)
    assert any("$2,000" in x and "x 0.800" in x and "= $1,600" in x and "derived" in x for x in own.reasons)
    # a card with no price at all (no used, street or launch price) is counted as free, and the answer says so
    h100["launch_price_usd"] = None
    h100["street_price_usd"] = h100["used_price_usd"] = None
    raw["gpus"][0]["street_price_usd"] = {"low": 2000.0, "high": 2000.0, **S}
    raw["gpus"][0]["used_price_usd"] = {"low": 1500.0, "high": 1500.0, **S}
    sc = D.Scenario(volume_images_per_month=500, gpu_owned="h100")
    own = D.recommend(sc, catalog=make_catalog(raw), estimator=fake_estimate).option("self-host:owned:h100:small:bf16")
    assert own.holding_usd_per_month is None and own.cost_breakdown_usd["hardware"] == 0.0
    assert any("no used, new or launch price" in x and "counted as free" in x for x in own.reasons)

"""Issue 11, risk: Monte Carlo cost distributions per option, P(recommended cheaper), tornado and flip thresholds
found on the engine, and their place in `advisor recommend --format json`. Hand-worked cases use the fixture catalog
(tests/turnaround_fixtures.py): buying the card costs 1000 x 0.75 / 36 = 20.8333 USD/month + V x 0.0083333 kWh x
price; the API costs V x 0.005 USD."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.decide import Scenario, recommend
from advisor.decide import risk as R
from tests.turnaround_fixtures import fake_estimate, make_catalog

CAT = make_catalog()
HW = 1000 * 0.75 / 36  # [USD/month] one card
KWH_PER_IMAGE = 500 * 60 / 3.6e6  # 500 W x 60 s = 30,000 J = 0.0083333 kWh
runner = CliRunner()


def result_for(**kw):
    sc = Scenario(**{"volume_images_per_month": 20_000, **kw})
    return sc, recommend(sc, CAT, fake_estimate)


def test_zero_spread_reproduces_the_engine():
    """No input uncertain (street price low = high, no volume variation, electricity range = the price, simulator
    error 0): every sample of every option equals the engine's monthly cost."""
    sc, res = result_for(volume_relative_sd=0, electricity_usd_per_kwh_range=[0.3, 0.3])
    mc, _ = R.cost_distribution(sc, res, CAT, n_samples=50, assumptions=False)
    for o in res.options:
        assert mc.samples_usd(o.id) == pytest.approx([o.monthly_cost_usd] * 50, rel=1e-12)
    # hand: card 20.8333 + 20,000 x 0.0083333 x 0.30 = 70.83; API 20,000 x 0.005 = 100
    assert res.option("self-host:buy:slow:small:bf16").monthly_cost_usd == pytest.approx(HW + 20_000 * KWH_PER_IMAGE * 0.3)
    assert mc.probability_cheaper("self-host:buy:slow:small:bf16", "api:small-api") == 1.0


def test_api_percentiles_follow_the_volume_lognormal_hand():
    sc, res = result_for(volume_relative_sd=0.25)
    mc, _ = R.cost_distribution(sc, res, CAT, assumptions=False)
    p = {q.option_id: q for q in mc.percentiles}["api:small-api"]
    # cost = 100 x V, V lognormal with mean 1 and CV 0.25: sigma^2 = ln(1.0625) = 0.0606246, sigma = 0.246221,
    # mu = -sigma^2 / 2 = -0.0303123. P50 = 100 exp(mu) = 97.014; P10 = 100 exp(mu - 1.281552 sigma) = 70.765;
    # P90 = 100 exp(mu + 1.281552 sigma) = 133.00.
    # Tolerance: the sampling sd of a quantile q of n = 10,000 draws is sqrt(q(1-q)/n) / f(x_q); for the median
    # 0.005 / (0.3989 / (sigma x 97.01)) ~ 0.30 USD, for P10/P90 ~ 0.006 / (0.1755 / (sigma x x_q)) ~ 0.6-1.1 USD;
    # 4 sd bands: 1.2 and 4.5 USD.
    assert p.p50_usd == pytest.approx(97.014, abs=1.2)
    assert p.p10_usd == pytest.approx(70.765, abs=4.5)
    assert p.p90_usd == pytest.approx(133.00, abs=4.5)


def test_street_price_range_moves_only_the_hardware_hand():
    cat = make_catalog(street=(800.0, 1200.0))
    sc = Scenario(volume_images_per_month=20_000, volume_relative_sd=0, electricity_usd_per_kwh_range=[0.3, 0.3])
    res = recommend(sc, cat, fake_estimate)
    mc, _ = R.cost_distribution(sc, res, cat, assumptions=False)
    s = mc.samples_usd("self-host:buy:slow:small:bf16")
    # hardware uniform over [800, 1200] x 0.75 / 36 = [16.667, 25.000] + electricity 50 -> [66.667, 75.000]
    assert s.min() >= 800 * 0.75 / 36 + 50 - 1e-9 and s.max() <= 1200 * 0.75 / 36 + 50 + 1e-9
    assert float(s.mean()) == pytest.approx(1000 * 0.75 / 36 + 50, abs=0.1)  # sd of the mean 2.4/sqrt(12)/100


def test_flip_thresholds_on_the_engine_hand():
    sc, res = result_for()
    probe = R.EngineProbe(sc, res, CAT, fake_estimate)
    flips, searched = R.flip_thresholds(probe)
    by = {(f.input, f.direction): f for f in flips}
    # volume: card 20.8333 + 0.0025 V = API 0.005 V -> V = 20.8333 / 0.0025 = 8,333.3 images/month
    f = by[("volume_images_per_month", "below")]
    assert f.winner_id == "api:small-api"
    assert f.threshold == pytest.approx(HW / (0.005 - KWH_PER_IMAGE * 0.3), rel=0.011)  # bisection xtol 1 %
    # electricity: 20.8333 + 20,000 x 0.0083333 x e = 100 -> e = 79.1667 / 166.667 = 0.475 USD/kWh
    e = by[("electricity_usd_per_kwh", "above")]
    assert e.threshold == pytest.approx((100 - HW) / (20_000 * KWH_PER_IMAGE), rel=0.011)
    # GPU price: 1000 f x 0.75 / 36 + 50 = 100 -> f = 50 x 36 / 750 = 2.4
    g = by[("gpu_price_factor", "above")]
    assert g.threshold == pytest.approx(2.4, rel=0.011)
    assert ("volume_images_per_month", "above") not in by  # the card stays cheaper at every higher volume
    assert f.phrase() == f"{f.winner_label} wins below {f.threshold:,.0f} images a month"


def test_tornado_on_the_engine_hand():
    sc, res = result_for()
    probe = R.EngineProbe(sc, res, CAT, fake_estimate)
    bars = {b.input_name: b for b in R.tornado_bars(
        probe, {"electricity_usd_per_kwh": (0.225, 0.375), "gpu_price_factor": (0.5, 1.5)},
        {"electricity_usd_per_kwh": 0.3, "gpu_price_factor": 1.0})}
    card = "self-host:buy:slow:small:bf16"
    # electricity 0.225 / 0.375: 20.8333 + 166.667 x e = 58.333 / 83.333 -> swing 25.0; the API does not move
    assert bars["electricity_usd_per_kwh"].cost_at_low_usd[card] == pytest.approx(HW + 166.6667 * 0.225, rel=1e-6)
    assert bars["electricity_usd_per_kwh"].swing_usd == pytest.approx(25.0, rel=1e-6)
    assert bars["electricity_usd_per_kwh"].cost_at_high_usd["api:small-api"] == pytest.approx(100.0)
    # GPU price x 0.5 / x 1.5: hardware 10.417 / 31.25 -> swing 20.833
    assert bars["gpu_price_factor"].swing_usd == pytest.approx(HW, rel=1e-9)


def test_assess_reasons_and_json():
    sc, res = result_for()
    risk = R.assess(sc, res, CAT, fake_estimate)
    R.attach_risk(res, risk)
    d = json.loads(json.dumps(res.to_json_dict()))
    r = d["risk"]
    p = r["percentiles_usd"]["self-host:buy:slow:small:bf16"]
    assert p["p10"] <= p["p50"] <= p["p90"]
    assert r["recommended_id"] == "self-host:buy:slow:small:bf16" and r["runner_up_id"] == "api:small-api"
    assert 0.5 < r["probability_recommended_cheaper"] <= 1.0
    assert {f["input"] for f in r["flip_thresholds"]} >= {"volume_images_per_month", "electricity_usd_per_kwh"}
    assert any(x.startswith("What would change the answer:") and "images a month" in x and "/kWh" in x
               for x in res.recommendation.reasons)
    assert any(x.startswith("Cost spread") for x in res.recommendation.reasons)
    assert all(math.isfinite(b["swing_usd"]) for b in r["tornado"] if b["swing_usd"] is not None)


def test_cli_recommend_json_has_percentiles_and_flips():
    res = runner.invoke(app, ["recommend", "--volume", "5000", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    rec = d["recommendation"]["option_id"]
    p = d["risk"]["percentiles_usd"][rec]
    assert p["p10"] <= p["p50"] <= p["p90"]
    assert isinstance(d["risk"]["flip_thresholds"], list) and d["risk"]["tornado"]
    assert any(x.startswith(("What would change the answer:", "No flip")) for x in d["recommendation"]["reasons"])
    quick = runner.invoke(app, ["recommend", "--volume", "5000", "--format", "json", "--no-risk"])
    assert "risk" not in json.loads(quick.output)


# --- closed forms and the assumptions the engine fixes ---------------------------------------------------------


def test_linear_flip_hand():
    import numpy as np

    from advisor.decide import risk_inputs as RI

    # winner 0: 10 + 1 x; option 1: 0 + 2 x (dearer above x = 10, cheaper below); option 2: 30 + 0 x (cheaper above
    # x = 20). At base 5: going up, option 2 undercuts the winner at (30 - 10) / (1 - 0) = 20. Option 1 is cheaper
    # at the base (0 + 2 x 5 = 10 < 15), so it is marked not eligible (as an option whose licence fee is unknown).
    a, s = np.array([10.0, 0.0, 30.0]), np.array([1.0, 2.0, 0.0])
    group = np.array([True, False, False])
    eligible = np.array([True, False, True])
    assert RI.linear_flip(a, s, group, eligible, 5.0, 0.0, 100.0, "above") == (20.0, 2)
    assert RI.linear_flip(a, s, group, eligible, 5.0, 0.0, 100.0, "below") is None  # option 2 gains going up only
    assert RI.linear_flip(a, s, group, eligible, 5.0, 0.0, 19.0, "above") is None  # beyond the searched range
    # a group of two lines (two precisions of the winner): 10 + x and 12 + 0.5 x; option 2 must beat both:
    # 30 = 10 + x at x = 20, 30 = 12 + 0.5 x at x = 36 -> the flip is at 36
    a2, s2 = np.array([10.0, 12.0, 30.0]), np.array([1.0, 0.5, 0.0])
    assert RI.linear_flip(a2, s2, np.array([True, True, False]), np.ones(3, bool), 5.0, 0.0, 100.0,
                          "above") == (36.0, 2)


def test_keep_factor_range_hand():
    from advisor.decide.risk_inputs import keep_factor_range

    # keep 0.86 +- 0.1 -> attempts x 0.86 / 0.96 = 0.8958 .. 0.86 / 0.76 = 1.1316
    assert keep_factor_range(0.86) == pytest.approx((0.86 / 0.96, 0.86 / 0.76))
    # keep 1.0 cannot rise: 1 .. 1 / 0.9
    assert keep_factor_range(1.0) == pytest.approx((1.0, 1 / 0.9))


@pytest.fixture(scope="module")
def studio_risk():
    from advisor.catalog import load_catalog
    from advisor.cost.scenario import with_studio_people_defaults

    cat = load_catalog()
    sc = Scenario.from_dict(with_studio_people_defaults({"volume_images_per_month": 5000}))
    res = recommend(sc, cat)
    return sc, res, cat, R.assess(sc, res, cat)


def test_risk_samples_people_startup_api_steps_and_keep_rates(studio_risk):
    sc, res, cat, risk = studio_risk
    names = {b["input_name"] for b in risk.tornado}
    assert {"people:hourly_rate_usd", "people:api_setup_hours", "startup", "api_price", "steps"} <= names
    assert any(n.startswith("keep:") for n in names)
    assert set(risk.inputs["assumption_factors"]) >= {"people:hourly_rate_usd", "startup", "api_price", "steps"}
    # the API price bar of an API option, by hand: its API part x (0.7 - 1) and x (1.1 - 1) around its cost
    bar = next(b for b in risk.tornado if b["input_name"] == "api_price")
    api = next(o for o in res.options if o.deployment == "api" and o.id in bar["cost_at_low_usd"])
    part = api.cost_breakdown_usd["api"]
    assert bar["cost_at_low_usd"][api.id] == pytest.approx(api.monthly_cost_usd - 0.3 * part, rel=1e-9)
    assert bar["cost_at_high_usd"][api.id] == pytest.approx(api.monthly_cost_usd + 0.1 * part, rel=1e-9)
    # the Monte Carlo samples the candidates, not the whole catalog
    assert len(risk.percentiles_usd) <= R.MC_OPTIONS + 2 < len(res.options)


def test_closed_form_flips_agree_with_the_engine(studio_risk):
    sc, res, cat, risk = studio_risk
    rec = next(o for o in res.options if o.id == res.recommendation.option_id)
    checked = 0
    for f in risk.flips:
        if f.input not in ("hourly_rate_usd", "volume_images_per_month", "electricity_usd_per_kwh"):
            continue
        checked += 1
        # 2 % past the threshold the engine itself picks another choice; 2 % before it keeps the recommendation
        # (the closed form is exact for the rate and electricity; the volume one was checked at 1 %)
        sign = 1 if f.direction == "above" else -1
        for factor, changed in ((1 + sign * 0.02, True), (1 - sign * 0.02, False)):
            upd = {f.input: f.threshold * factor}
            r = recommend(sc.model_copy(update=upd), cat)
            win = next(o for o in r.options if o.id == r.recommendation.option_id)
            assert (R._choice(win) != R._choice(rec)) is changed, (f, factor)
    assert checked >= 1  # at 5,000 images a month the volume and the people's rate both flip the answer

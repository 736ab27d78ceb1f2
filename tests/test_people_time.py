"""People's time: its own cost segment, counted the same way for every way of working (set-up per kind, software
upkeep for every self-run kind, hardware upkeep for owned/bought machines, operator minutes per rental session started
by hand, minutes per spot reclaim); licence-fee break-even and the scenario inputs. Hand arithmetic in comments;
fixture from tests/test_decide."""

from __future__ import annotations

import pytest

from advisor import decide as D
from advisor.cost import people as P
from advisor.cost import tco
from advisor.errors import InputError
from tests.test_decide import CAT, RAW, S, fake_estimate, make_catalog

PEOPLE = {"setup_hours": 9.0, "upkeep_hours_per_month": 2.0, "hourly_rate_usd": 40.0}


def run(**kw):
    return D.recommend(D.Scenario(**{"volume_images_per_month": 500, "commercial": False, **kw}), catalog=CAT,
                       estimator=fake_estimate)


def test_people_formula_hand():
    # 9 h x 40 USD/h / 36 months = 10 USD/month set-up; 2 h/month x 40 = 80 USD/month upkeep -> 90
    assert tco.people_usd_per_month(9, 2, 40, 36) == pytest.approx(90.0, rel=1e-12)
    assert tco.people_usd_per_month(0, 0, 40, 36) == 0.0
    with pytest.raises(ValueError):
        tco.people_usd_per_month(-1, 0, 40, 36)
    with pytest.raises(ValueError):
        tco.people_usd_per_month(1, 0, 40, 0)


def test_attempts_per_kept_image_hand():
    # 1.25 attempts (20% failures) / 0.8 keep = 1.5625 generations per kept image
    assert tco.attempts_per_kept_image(1.25, 0.8) == pytest.approx(1.5625, rel=1e-12)
    with pytest.raises(ValueError):
        tco.attempts_per_kept_image(1.25, 0.0)


def test_break_even_license_fee_hand():
    # API 130 USD/month; self-host without licence 30 -> any fee below 100 keeps self-hosting cheaper
    assert tco.break_even_license_fee_usd_per_month(130.0, 30.0) == pytest.approx(100.0, rel=1e-12)
    assert tco.break_even_license_fee_usd_per_month(30.0, 130.0) is None


#: every people's-time input given, so no catalog default enters the hand computations below
ALL = {**PEOPLE, "rental_setup_hours": 6.0, "api_setup_hours": 3.0, "hardware_upkeep_hours_per_month": 0.5,
       "operator_minutes_per_session": 3.0, "reclaim_minutes_per_event": 12.0}


def test_people_segment_in_every_option():
    r = run(gpu_owned="rtx-4090", **ALL)  # the fixture's catalog default amortization is 36 months
    for o in r.options:
        assert "people" in o.cost_breakdown_usd
        assert sum(o.cost_breakdown_usd.values()) == pytest.approx(o.monthly_cost_usd, rel=1e-12)
        assert sum(o.cost_breakdown_per_image_usd.values()) == pytest.approx(o.cost_per_image_usd, rel=1e-12)
        assert sum(o.people_breakdown_usd.values()) == pytest.approx(o.cost_breakdown_usd["people"], rel=1e-12)
    own = r.option("self-host:owned:rtx-4090:small:bf16")
    # owned: 9 h x 40 / 36 = 10 set-up + 2 h x 40 = 80 software upkeep + 0.5 h x 40 = 20 hardware upkeep = 110
    assert own.cost_breakdown_usd["people"] == pytest.approx(110.0, rel=1e-12)
    assert own.people_hours_per_month == pytest.approx(9 / 36 + 2 + 0.5, rel=1e-12)
    assert any("People's time: 9 h own/buy set-up over 36 months + 2 h/month software upkeep + 0.5 h/month hardware "
               "upkeep = 2.75 h/month at $40.00/h = $110/month" in x for x in own.reasons)
    # the people part is fixed: it moves the break-even line, not the per-image slope
    zero = run(gpu_owned="rtx-4090").option("self-host:owned:rtx-4090:small:bf16")
    assert own.fixed_usd_per_month - zero.fixed_usd_per_month == pytest.approx(110.0, rel=1e-12)
    assert own.variable_usd_per_image == pytest.approx(zero.variable_usd_per_image, rel=1e-12)


def test_known_answer_buy_per_machine():
    # 1,000,000 images x 1.25 attempts x 3 s ('small' bf16 on the fixture 4090) = 1,041.7 h > 730 h: two cards.
    # people = 10 set-up + 80 software + 2 machines x 0.5 h x 40 = 40 hardware = 130 USD/month
    r = run(volume_images_per_month=1_000_000, **ALL)
    buy = r.option("self-host:buy:rtx-4090:small:bf16")
    assert buy.gpus_needed == 2
    assert buy.cost_breakdown_usd["people"] == pytest.approx(130.0, rel=1e-12)
    assert buy.people_breakdown_usd["hardware_upkeep"] == pytest.approx(40.0, rel=1e-12)


def test_known_answer_rental_pod_by_hand():
    # fixture: 1 session per working day x 20 working days = 20 sessions/month (fewer than 500 images)
    # pod: 6 h x 40 / 36 = 6.667 set-up + 80 software upkeep + 20 x 3 min / 60 x 40 = 40 operator = 126.667; no
    # hardware upkeep (the provider's), no reclaims (on-demand)
    r = run(**ALL)
    pod = r.option("cloud-gpu:h100-cloud:small:bf16")
    assert pod.started_by_hand and pod.sessions_per_month == pytest.approx(20.0, rel=1e-12)
    assert pod.cost_breakdown_usd["people"] == pytest.approx(6 * 40 / 36 + 80 + 40, rel=1e-12)
    assert pod.people_breakdown_usd["hardware_upkeep"] == 0.0


def _catalog_with(**offer):
    raw = {**RAW, "rentals": [*RAW["rentals"], {"slug": "h100-x", "gpu": "h100", "provider": "X",
                                                "on_demand_usd_per_hour": {"low": 2.0, "high": 3.0, **S},
                                                "billing_increment_seconds": 1, "minimum_billing_seconds": 60,
                                                **offer}]}
    return make_catalog(raw)


def test_known_answer_spot_reclaims_and_serverless():
    cat = _catalog_with(spot_usd_per_hour={"low": 1.0, "high": 1.0, **S})
    r = D.recommend(D.Scenario(volume_images_per_month=500, commercial=False, **ALL), catalog=cat,
                    estimator=fake_estimate)
    spot = r.option("cloud-gpu:h100-x:small:bf16:spot")
    assert spot.reclaims_per_month > 0
    # spot pod: the on-demand pod's 126.667 + reclaims x 12 min / 60 x 40 USD/h = 8 USD per reclaim
    assert spot.cost_breakdown_usd["people"] == pytest.approx(6 * 40 / 36 + 80 + 40 + 8 * spot.reclaims_per_month,
                                                             rel=1e-12)
    cat = _catalog_with(serverless=True, idle_timeout_seconds={"value": 5, **S})
    r = D.recommend(D.Scenario(volume_images_per_month=500, commercial=False, **ALL), catalog=cat,
                    estimator=fake_estimate)
    sls = [o for o in r.options if o.offer == "h100-x"]
    assert sls
    for sl in sls:  # serverless starts by itself: 6.667 set-up + 80 software upkeep, no operator minutes
        assert not sl.started_by_hand
        assert sl.cost_breakdown_usd["people"] == pytest.approx(6 * 40 / 36 + 80, rel=1e-12)


def test_known_answer_api_integration():
    # API: 3 h x 40 / 36 = 3.333 USD/month integration, no upkeep
    api = run(**ALL).option("api:small-api")
    assert api.cost_breakdown_usd["people"] == pytest.approx(3 * 40 / 36, rel=1e-12)
    assert api.people_breakdown_usd["software_upkeep"] == 0.0


def test_rental_pays_software_upkeep_too():
    o = D.people.people_usd_per_month
    ctx = D.engine.prepare(D.Scenario(volume_images_per_month=500, **ALL), CAT, fake_estimate)
    # one machine, no sessions: rental 6 x 40 / 36 + 80 = 86.667; owned 110; API 3.333
    assert o(ctx, "cloud-gpu") == pytest.approx(6 * 40 / 36 + 80, rel=1e-12)
    assert o(ctx, "self-host") == pytest.approx(110.0, rel=1e-12)
    assert o(ctx, "api") == pytest.approx(3 * 40 / 36, rel=1e-12)


def test_stated_defaults_fill_the_gaps_and_zero_leaves_out():
    from advisor.catalog import load_catalog

    d = load_catalog().defaults
    p, where = P.resolve(D.Scenario(volume_images_per_month=5, **PEOPLE), d)
    # the scenario's own figures are kept; the per-kind ones come from profiles/defaults.yaml with their reasoning
    assert (p.setup_hours, p.upkeep_hours_per_month, p.hourly_rate_usd) == (9.0, 2.0, 40.0)
    for name in ("rental_setup_hours", "api_setup_hours", "hardware_upkeep_hours_per_month",
                 "operator_minutes_per_session", "reclaim_minutes_per_event"):
        assert getattr(p, name) == d.people_time[name].value
        assert "ASSUMPTION" in where[name]
        lo, hi = P.ranges(d)[name]
        assert lo <= getattr(p, name) <= hi
    # set-up and upkeep at zero (or no rate): people's time is left out everywhere
    p0, _ = P.resolve(D.Scenario(volume_images_per_month=5, hourly_rate_usd=40.0), d)
    assert all(v == 0.0 for k, v in p0.model_dump().items() if k != "hourly_rate_usd")
    assert P.FIELDS == tuple(d.people_time)


def test_studio_constants_match_the_stated_defaults():
    from advisor.catalog import load_catalog
    from advisor.cost import scenario as sc

    d = load_catalog().defaults.people_time
    assert (sc.STUDIO_SETUP_HOURS, sc.STUDIO_UPKEEP_HOURS_PER_MONTH, sc.STUDIO_HOURLY_RATE_USD) == (
        d["setup_hours"].value, d["upkeep_hours_per_month"].value, d["hourly_rate_usd"].value)


def test_answer_changes_when_people_time_is_zero():
    # Owned 4090, 'small': electricity 3 s x (400 - 20 + 100 - 40) W = 1320 J x 500 x 1.25 = 825,000 J
    #   = 0.229167 kWh x 0.30 = 0.06875 USD/month; API 3.125 USD/month. With 110 USD/month of people's time the
    #   owned card costs 110.07 and the API (3.125 + 3.333 integration) wins; at zero the owned card wins.
    with_people = run(gpu_owned="rtx-4090", **ALL)
    without = run(gpu_owned="rtx-4090")
    assert with_people.recommendation.option_id.startswith("api:")
    assert without.recommendation.option_id.startswith("self-host:owned:rtx-4090")
    assert without.option("self-host:owned:rtx-4090:small:bf16").monthly_cost_usd == pytest.approx(0.06875, rel=1e-9)


@pytest.mark.parametrize("field, value", [("setup_hours", -1), ("upkeep_hours_per_month", float("nan")),
                                          ("hourly_rate_usd", -5), ("rental_setup_hours", -1),
                                          ("api_setup_hours", float("inf")), ("hardware_upkeep_hours_per_month", -0.5),
                                          ("operator_minutes_per_session", -3), ("reclaim_minutes_per_event", 1e9)])
def test_people_scenario_errors(field, value):
    with pytest.raises(InputError, match=f"{field}: got"):
        D.Scenario(volume_images_per_month=5, **{field: value})


def test_licence_fee_input_and_break_even_hand():
    # 'big' (paid licence, catalog fee 100) is overridden by the scenario's 250; bought H100 nf4/bf16 ...
    r = run(commercial=True, license_fee_usd_per_month={"big": 250.0})
    o = r.option("self-host:buy:h100:big:bf16")
    assert o.cost_breakdown_usd["license"] == 250.0
    assert "your input" in o.license and o.license_fee_known
    with pytest.raises(InputError, match=r"license_fee_usd_per_month.big: got -1"):
        D.Scenario(volume_images_per_month=5, license_fee_usd_per_month={"big": -1})
    # personal use: no fee whatever is entered, and the answer says which use it assumed
    p = run(commercial=False, license_fee_usd_per_month={"big": 250.0})
    assert p.option("self-host:buy:h100:big:bf16").cost_breakdown_usd["license"] == 0.0
    assert p.recommendation.reasons[0].startswith("Assumed personal")

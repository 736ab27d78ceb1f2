"""People's time (issue 10): its own cost segment, self-host = set-up + upkeep, rental = set-up, API = none;
licence-fee break-even and the scenario inputs. Hand arithmetic in comments; fixture from tests/test_decide."""

from __future__ import annotations

import pytest

from advisor import decide as D
from advisor.cost import tco
from advisor.errors import InputError
from tests.test_decide import CAT, fake_estimate

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


def test_people_segment_in_every_option():
    r = run(gpu_owned="rtx-4090", **PEOPLE)  # the fixture's catalog default amortization is 36 months
    for o in r.options:
        assert "people" in o.cost_breakdown_usd
        assert sum(o.cost_breakdown_usd.values()) == pytest.approx(o.monthly_cost_usd, rel=1e-12)
        assert sum(o.cost_breakdown_per_image_usd.values()) == pytest.approx(o.cost_per_image_usd, rel=1e-12)
    own = r.option("self-host:owned:rtx-4090:small:bf16")
    buy = r.option("self-host:buy:rtx-4090:small:bf16")
    api = r.option("api:small-api")
    # self-host (owned or bought): 9 x 40 / 36 + 2 x 40 = 90 USD/month; API: none
    assert own.cost_breakdown_usd["people"] == pytest.approx(90.0, rel=1e-12)
    assert buy.cost_breakdown_usd["people"] == pytest.approx(90.0, rel=1e-12)
    assert api.cost_breakdown_usd["people"] == 0.0
    assert any("People's time: 9 h set-up over 36 months + 2 h/month upkeep at $40.00/h = $90.00/month" in x
               for x in own.reasons)
    # the people part is fixed: it moves the break-even line, not the per-image slope
    zero = run(gpu_owned="rtx-4090").option("self-host:owned:rtx-4090:small:bf16")
    assert own.fixed_usd_per_month - zero.fixed_usd_per_month == pytest.approx(90.0, rel=1e-12)
    assert own.variable_usd_per_image == pytest.approx(zero.variable_usd_per_image, rel=1e-12)


def test_rental_pays_set_up_only():
    o = D.quality.people_usd_per_month
    ctx = D.engine.prepare(D.Scenario(volume_images_per_month=500, **PEOPLE), CAT, fake_estimate)
    # rental: 9 h x 40 / 36 = 10 USD/month; self-host 90; API 0
    assert o(ctx, "cloud-gpu") == pytest.approx(10.0, rel=1e-12)
    assert o(ctx, "self-host") == pytest.approx(90.0, rel=1e-12)
    assert o(ctx, "api") == 0.0


def test_answer_changes_when_people_time_is_zero():
    # Owned 4090, 'small': electricity 3 s x (400 - 20 + 100 - 40) W = 1320 J x 500 x 1.25 = 825,000 J
    #   = 0.229167 kWh x 0.30 = 0.06875 USD/month; API 3.125 USD/month. With 90 USD/month of people's time the
    #   owned card costs 90.07 and the API (3.125) wins; with people's time at zero the owned card wins.
    with_people = run(gpu_owned="rtx-4090", **PEOPLE)
    without = run(gpu_owned="rtx-4090")
    assert with_people.recommendation.option_id.startswith("api:")
    assert without.recommendation.option_id.startswith("self-host:owned:rtx-4090")
    assert without.option("self-host:owned:rtx-4090:small:bf16").monthly_cost_usd == pytest.approx(0.06875, rel=1e-9)


@pytest.mark.parametrize("field, value", [("setup_hours", -1), ("upkeep_hours_per_month", float("nan")),
                                          ("hourly_rate_usd", -5)])
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

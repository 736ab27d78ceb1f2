"""Cost formulas against hand arithmetic, plus hypothesis properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.cost import tco

# Floats in these tests come from a handful of + - x / operations: rel=1e-12 is far above the
# rounding error of double arithmetic (~1e-16 per operation) and far below any real mistake.
REL = 1e-12


def test_hardware_amortization_hand():
    # (1800 - 600) / 36 = 1200 / 36 = 33.333...
    assert tco.hardware_amortization_usd_per_month(1800.0, 600.0, 36) == pytest.approx(100.0 / 3, rel=REL)


def test_hardware_amortization_errors():
    with pytest.raises(ValueError, match="months must be > 0"):
        tco.hardware_amortization_usd_per_month(1000, 0, 0)
    with pytest.raises(ValueError, match=r"resale_usd \(2000\) must not exceed purchase_usd"):
        tco.hardware_amortization_usd_per_month(1000, 2000, 12)
    with pytest.raises(ValueError, match="purchase_usd must be a finite number >= 0"):
        tco.hardware_amortization_usd_per_month(-1, 0, 12)


def test_owned_gpu_is_sunk():
    assert tco.owned_gpu_sunk_cost_usd_per_month(1800.0) == 0.0


def test_system_power_and_energy_hand():
    # 380 W board + 120 W rest = 500 W
    assert tco.system_power_watts(380.0, 120.0) == 500.0
    # 1178 J board + 120 W x 3.1 s = 1178 + 372 = 1550 J
    assert tco.system_energy_per_image_joules(1178.0, 120.0, 3.1) == pytest.approx(1550.0, rel=REL)


def test_busy_and_idle_hours_hand():
    # 500 images x 1.25 attempts x 7.2 s = 4500 s = 1.25 h
    busy = tco.busy_hours_per_month(7.2, 500, 1.25)
    assert busy == pytest.approx(1.25, rel=REL)
    assert tco.idle_hours_per_month(100.0, busy) == pytest.approx(98.75, rel=REL)
    assert tco.idle_hours_per_month(1.0, 5.0) == 0.0  # never negative


def test_electricity_hand():
    # busy: 1550 J x 500 x (1 + 0.25) = 968_750 J
    # idle: 60 W x 98.75 h x 3600 s/h = 21_330_000 J
    # total 22_298_750 J / 3.6e6 = 6.194097... kWh x 0.30 USD/kWh = 1.858229... USD
    got = tco.electricity_usd_per_month(1550.0, 500, 0.30, retry_fraction=0.25, idle_watts=60.0, idle_hours=98.75)
    assert got == pytest.approx(22_298_750 / 3.6e6 * 0.30, rel=REL)
    assert got == pytest.approx(1.8582291666, rel=1e-9)
    # no idle, no retry: 3.6e6 J = 1 kWh -> price
    assert tco.electricity_usd_per_month(3.6e6, 1, 0.25) == pytest.approx(0.25, rel=REL)


def test_electricity_rejects_negative():
    with pytest.raises(ValueError, match="usd_per_kwh must be a finite number >= 0"):
        tco.electricity_usd_per_month(1.0, 1, -0.1)


def test_license():
    assert tco.license_usd_per_month(999.0, commercial=True) == 999.0
    assert tco.license_usd_per_month(999.0, commercial=False) == 0.0
    assert tco.license_usd_per_month(None, commercial=True) == 0.0


def test_retries_hand():
    # p = 0.2: 1 / 0.8 = 1.25 attempts, 0.25 retries
    assert tco.expected_attempts_per_image(0.2) == pytest.approx(1.25, rel=REL)
    assert tco.retry_fraction(0.2) == pytest.approx(0.25, rel=REL)
    assert tco.expected_attempts_per_image(0.0) == 1.0
    with pytest.raises(ValueError, match=r"failure_rate must be in \[0, 1\)"):
        tco.expected_attempts_per_image(1.0)


def test_rental_hours_hand():
    # 10_000 images x 3.6 s / 3600 = 10 h; / 0.8 utilization = 12.5 h
    assert tco.rental_gpu_hours_per_month(10_000, 3.6, 0.8) == pytest.approx(12.5, rel=REL)
    with pytest.raises(ValueError, match=r"utilization must be in \(0, 1\]"):
        tco.rental_gpu_hours_per_month(1, 1, 0)


@pytest.mark.parametrize(
    "run, minimum, increment, expected",
    [
        (10.0, 60.0, 1.0, 60.0),  # below the minimum -> minimum
        (61.2, 60.0, 1.0, 62.0),  # ceil to 1 s increments
        (61.2, 0.0, 60.0, 120.0),  # per-minute billing: 2 started minutes
        (3600.0, 60.0, 3600.0, 3600.0),  # exactly one hour
        (3600.5, 60.0, 3600.0, 7200.0),  # hourly billing: 2 started hours
        (0.0, 60.0, 1.0, 0.0),  # nothing run, nothing billed
    ],
)
def test_billed_seconds(run, minimum, increment, expected):
    assert tco.billed_seconds(run, minimum, increment) == expected


def test_rental_usd_hand():
    # 12.5 h in 1 session, per-second billing, 2.00 USD/h -> 25.00 USD
    assert tco.rental_usd_per_month(12.5, 2.0, 60, 1) == pytest.approx(25.0, rel=REL)
    # 0.01 h = 36 s, minimum 60 s -> 60 s x 2.00/3600 = 0.0333... USD
    assert tco.rental_usd_per_month(0.01, 2.0, 60, 1) == pytest.approx(1 / 30, rel=REL)
    # 1 h over 4 sessions of 900 s, hourly increments -> 4 x 1 h x 2.00 = 8.00 USD
    assert tco.rental_usd_per_month(1.0, 2.0, 0, 3600, sessions_per_month=4) == pytest.approx(8.0, rel=REL)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        # FLUX.2 [pro] style: 0.03 first MP + 0.015 per extra MP
        (dict(pricing="first-mp-plus-additional", megapixels=1.0, first_mp_usd=0.03, additional_mp_usd=0.015), 0.03),
        # 2.0 MP exact: 0.03 + 0.015 x 1 = 0.045
        (dict(pricing="first-mp-plus-additional", megapixels=2.0, first_mp_usd=0.03, additional_mp_usd=0.015), 0.045),
        # 1.5 MP, no rounding: 0.03 + 0.015 x 0.5 = 0.0375
        (dict(pricing="first-mp-plus-additional", megapixels=1.5, first_mp_usd=0.03, additional_mp_usd=0.015), 0.0375),
        # 1.5 MP, ceil: bills 2 MP -> 0.045
        (dict(pricing="first-mp-plus-additional", megapixels=1.5, first_mp_usd=0.03, additional_mp_usd=0.015,
              rounding="ceil-mp"), 0.045),
        # 0.5 MP below the first MP: still the first-MP price 0.03
        (dict(pricing="first-mp-plus-additional", megapixels=0.5, first_mp_usd=0.03, additional_mp_usd=0.015), 0.03),
        # 1 MP output + 1 MP input reference at 0.015: 0.03 + 0.015 = 0.045 (BFL "1 MP edit")
        (dict(pricing="first-mp-plus-additional", megapixels=1.0, first_mp_usd=0.03, additional_mp_usd=0.015,
              input_mp_usd=0.015, input_megapixels=1.0), 0.045),
        # per MP 0.012, 1.2 MP ceil -> 2 MP -> 0.024
        (dict(pricing="per-megapixel", megapixels=1.2, per_mp_usd=0.012, rounding="ceil-mp"), 0.024),
        # per MP 0.005, 1.2 MP exact -> 0.006
        (dict(pricing="per-megapixel", megapixels=1.2, per_mp_usd=0.005), 0.006),
        # per MP with input 1.5 MP ceil -> 2 MP x 0.012: 0.012 + 0.024 = 0.036
        (dict(pricing="per-megapixel", megapixels=1.0, per_mp_usd=0.012, input_mp_usd=0.012, input_megapixels=1.5,
              rounding="ceil-mp"), 0.036),
        # flat per image
        (dict(pricing="per-image", megapixels=4.0, per_image_usd=0.04), 0.04),
    ],
)
def test_api_usd_per_image(kwargs, expected):
    pricing = kwargs.pop("pricing")
    mp = kwargs.pop("megapixels")
    assert tco.api_usd_per_image(pricing, mp, **kwargs) == pytest.approx(expected, rel=REL)


def test_api_errors():
    with pytest.raises(ValueError, match="per-megapixel pricing needs per_mp_usd"):
        tco.api_usd_per_image("per-megapixel", 1.0)
    with pytest.raises(ValueError, match="pricing must be one of"):
        tco.api_usd_per_image("per-token", 1.0)
    with pytest.raises(ValueError, match="rounding must be one of none, ceil-mp"):
        tco.billed_megapixels(1.0, "floor")


def test_ceil_tolerates_float_noise():
    # 1024*1024 px / 2**20 = exactly 1; (0.1+0.2)*10/3 = 1.0000000000000002 must still bill 1 MP
    assert tco.billed_megapixels((0.1 + 0.2) * 10 / 3, "ceil-mp") == 1.0


def test_api_month_hand():
    # 0.03 x 500 x 1.25 = 18.75
    assert tco.api_usd_per_month(0.03, 500, 1.25) == pytest.approx(18.75, rel=REL)


def test_break_even_hand():
    # A: 50 + 0.001 n ; B: 0 + 0.03 n -> n = (0 - 50) / (0.001 - 0.03) = 1724.1379...
    n = tco.break_even_images_per_month(50.0, 0.001, 0.0, 0.03)
    assert n == pytest.approx(50 / 0.029, rel=REL)
    assert tco.break_even_images_per_month(0.0, 0.03, 50.0, 0.001) == pytest.approx(50 / 0.029, rel=REL)
    # parallel lines never cross
    assert tco.break_even_images_per_month(10.0, 0.01, 20.0, 0.01) is None
    # A cheaper on both counts: crossing at negative volume -> None
    assert tco.break_even_images_per_month(10.0, 0.01, 20.0, 0.02) is None
    # equal fixed costs: the lines meet only at 0 images -> None (never at a positive volume)
    assert tco.break_even_images_per_month(0.0, 0.01, 0.0, 0.02) is None


def test_cold_start_hours_hand():
    # 30 sessions x 45 s = 1350 s = 0.375 h
    assert tco.cold_start_hours_per_month(45.0, 30) == pytest.approx(0.375, rel=REL)


def test_payback_hand():
    # buy 1800, running 5/month, alternative 155/month -> 1800 / 150 = 12 months
    assert tco.payback_months(1800.0, 5.0, 155.0) == pytest.approx(12.0, rel=REL)
    assert tco.payback_months(1800.0, 50.0, 40.0) is None


# --- properties -------------------------------------------------------------------------------

# No subnormal dollars: a fixed-cost gap of 5e-324 USD divided by a slope of 2 USD/image underflows to a
# crossing volume of 0.0, which is not a meaningful break-even (hypothesis found fa=0, pa=2, fb=5e-324, pb=0).
money = st.floats(min_value=0.0, max_value=1e5, allow_nan=False, allow_infinity=False, allow_subnormal=False)
# 0 or at least 1e-9 USD/image: subnormal slopes would put the crossing beyond any float volume
per_image = st.one_of(st.just(0.0), st.floats(min_value=1e-9, max_value=10.0))
volume = st.floats(min_value=0.0, max_value=1e7, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    e=st.floats(1.0, 1e6), s=st.floats(0.01, 600.0), idle_w=st.floats(0.0, 300.0),
    rest_w=st.floats(0.0, 300.0), price=st.floats(0.0, 2.0), n1=volume, n2=volume,
    on_hours=st.floats(0.0, 730.5), p=st.floats(0.0, 0.9),
)
def test_electricity_non_decreasing_in_volume(e, s, idle_w, rest_w, price, n1, n2, on_hours, p):
    # Generating draws at least the idle power: board power >= idle power holds for every real card,
    # so build energy from a busy power >= idle power.
    busy_w = idle_w + e / s
    energy = busy_w * s + rest_w * s
    lo, hi = sorted((n1, n2))

    def cost(n):
        attempts = tco.expected_attempts_per_image(p)
        idle_h = tco.idle_hours_per_month(on_hours, tco.busy_hours_per_month(s, n, attempts))
        return tco.electricity_usd_per_month(energy, n, price, tco.retry_fraction(p), idle_w, idle_h)

    assert cost(hi) >= cost(lo) - 1e-9 * max(1.0, cost(lo))


@settings(max_examples=200, deadline=None)
@given(n1=volume, n2=volume, s=st.floats(0.01, 600.0), util=st.floats(0.05, 1.0), usd_h=st.floats(0.0, 20.0),
       minimum=st.floats(0.0, 3600.0), inc=st.sampled_from([1.0, 60.0, 3600.0]))
def test_rental_non_decreasing_in_volume(n1, n2, s, util, usd_h, minimum, inc):
    lo, hi = sorted((n1, n2))

    def cost(n):
        return tco.rental_usd_per_month(tco.rental_gpu_hours_per_month(n, s, util), usd_h, minimum, inc)

    assert cost(hi) >= cost(lo) - 1e-9 * max(1.0, cost(lo))


@settings(max_examples=200, deadline=None)
@given(mp1=st.floats(0.01, 16.0), mp2=st.floats(0.01, 16.0), first=per_image, add=per_image,
       rounding=st.sampled_from(["none", "ceil-mp"]))
def test_api_price_non_decreasing_in_megapixels(mp1, mp2, first, add, rounding):
    lo, hi = sorted((mp1, mp2))
    f = lambda mp: tco.api_usd_per_image("first-mp-plus-additional", mp, first_mp_usd=first,  # noqa: E731
                                          additional_mp_usd=add, rounding=rounding)
    assert f(hi) >= f(lo) - 1e-12


@settings(max_examples=300, deadline=None)
@given(fa=money, pa=per_image, fb=money, pb=per_image)
def test_break_even_costs_equal_there(fa, pa, fb, pb):
    n = tco.break_even_images_per_month(fa, pa, fb, pb)
    if n is None:
        # parallel, or one line below the other at every volume >= 0
        same_slope = math.isclose(pa, pb, rel_tol=1e-15, abs_tol=0.0)
        a_everywhere_below = fa <= fb and pa <= pb
        b_everywhere_below = fb <= fa and pb <= pa
        assert same_slope or a_everywhere_below or b_everywhere_below
        return
    ca = tco.linear_cost_usd_per_month(fa, pa, n)
    cb = tco.linear_cost_usd_per_month(fb, pb, n)
    # both sides are sums of numbers up to ~1e5 + 10 x n; compare with a tolerance relative to them
    scale = max(1.0, abs(fa), abs(fb), pa * n, pb * n)
    assert abs(ca - cb) <= 1e-9 * scale


# --- energy a job adds to a machine that is on anyway, and powered-on hours ---------------------


def test_powered_on_hours_per_month_hand():
    # 24 h/day x 365.25/12 = 24 x 30.4375 = 730.5 h; 8 h/day -> 243.5 h; 0 h/day -> 0 h
    assert tco.powered_on_hours_per_month(24.0) == pytest.approx(730.5, rel=1e-12)
    assert tco.powered_on_hours_per_month(8.0) == pytest.approx(243.5, rel=1e-12)
    assert tco.powered_on_hours_per_month(0.0) == 0.0
    with pytest.raises(ValueError, match=r"hours_per_day must be in \[0, 24\], got 25"):
        tco.powered_on_hours_per_month(25.0)


def test_added_power_and_energy_hand():
    # RTX 4090-like: board 349 W while generating, 15 W idle; rest of system 100 W active, 50 W idle
    # added = (349 - 15) + (100 - 50) = 334 + 50 = 384 W; x 5 s = 1920 J per image
    w = tco.added_power_watts(349.0, 15.0, 100.0, 50.0)
    assert w == pytest.approx(384.0, rel=1e-12)
    assert tco.added_energy_per_image_joules(w, 5.0) == pytest.approx(1920.0, rel=1e-12)
    # 500 images x 1920 J = 960_000 J = 0.266667 kWh x 0.17 USD/kWh = 0.0453333 USD, no idle term
    assert tco.electricity_usd_per_month(1920.0, 500, 0.17) == pytest.approx(960_000 / 3.6e6 * 0.17, rel=1e-12)
    # a part drawing less than its idle figure adds nothing rather than a negative amount
    assert tco.above_idle_watts(10.0, 15.0) == 0.0
    assert tco.added_power_watts(10.0, 15.0, 100.0, 50.0) == 50.0
    with pytest.raises(ValueError, match="idle_watts must be a finite number >= 0"):
        tco.above_idle_watts(10.0, -1.0)


def test_holding_cost_hand():
    # resale $2,000 x (1 %/month decline + 7.5 %/year / 12 = 0.625 %/month) = 2000 x 0.01625 = 32.50 USD/month
    assert tco.holding_usd_per_month(2000.0, 0.01, 0.075) == pytest.approx(32.5, rel=1e-12)
    assert tco.holding_usd_per_month(0.0, 0.01, 0.075) == 0.0
    for bad, field in (((2000.0, 1.5, 0.05), r"used_price_decline_per_month .*, got 1\.5"),
                       ((2000.0, -0.01, 0.05), r"used_price_decline_per_month .*, got -0\.01"),
                       ((2000.0, 0.01, 1.2), r"cost_of_capital_per_year .*, got 1\.2"),
                       ((-1.0, 0.01, 0.05), r"resale_usd .*, got -1\.0")):
        with pytest.raises(ValueError, match=rf"^{field}$"):
            tco.holding_usd_per_month(*bad)


def test_capital_cost_of_a_bought_machine_hand():
    # $1,000 machine sold for $600 after the period: book value falls linearly 1000 -> 600, average 800 tied up;
    # 800 x 7.5 %/year / 12 = 800 x 0.00625 = 5.00 USD/month
    assert tco.capital_cost_usd_per_month(1000.0, 600.0, 0.075) == pytest.approx(5.0, rel=REL)
    # nothing resold: average (1200 + 0) / 2 = 600 x 12 %/year / 12 = 6.00 USD/month
    assert tco.capital_cost_usd_per_month(1200.0, 0.0, 0.12) == pytest.approx(6.0, rel=REL)
    assert tco.capital_cost_usd_per_month(1000.0, 600.0, 0.0) == 0.0
    for bad, msg in (((1000.0, 1200.0, 0.075), "must not exceed purchase_usd"),
                     ((1000.0, 600.0, 1.5), "cost_of_capital_per_year must be a fraction"),
                     ((-1.0, 0.0, 0.075), "purchase_usd must be a finite number >= 0")):
        with pytest.raises(ValueError, match=msg):
            tco.capital_cost_usd_per_month(*bad)


def test_estimated_resale_of_a_card_without_a_used_price_hand():
    # ratios 0.6, 0.8, 0.9 -> median 0.8; a $500 new card resells for 500 x 0.8 = 400 USD
    assert tco.estimated_resale_usd(500.0, [0.9, 0.6, 0.8]) == pytest.approx(400.0, rel=REL)
    # an even count takes the mean of the middle two: (0.7 + 0.8) / 2 = 0.75 -> 1000 x 0.75 = 750 USD
    assert tco.estimated_resale_usd(1000.0, [0.6, 0.8, 0.7, 0.9]) == pytest.approx(750.0, rel=REL)
    with pytest.raises(ValueError, match="must not be empty"):
        tco.estimated_resale_usd(500.0, [])
    with pytest.raises(ValueError, match="finite number > 0"):
        tco.estimated_resale_usd(500.0, [0.8, 0.0])


def test_planning_hours_per_card_hand():
    # 730.5 h, volume CV 0.25, z 1.2816 (normal P90): 730.5 / (1 + 0.3204) = 730.5 / 1.3204 = 553.24 h
    assert tco.planning_hours_per_card(730.5, 0.25, 1.2816) == pytest.approx(730.5 / 1.3204, rel=REL)
    assert 553.2 < tco.planning_hours_per_card(730.5, 0.25, 1.2816) < 553.3
    # no spread: the whole month
    assert tco.planning_hours_per_card(730.5, 0.0, 1.2816) == 730.5
    with pytest.raises(ValueError, match="hours_per_month must be > 0"):
        tco.planning_hours_per_card(0.0, 0.25, 1.2816)


def test_net_resale_is_the_price_less_the_selling_fee():
    from advisor.cost import tco

    # eBay's 13.25 % final value fee (profiles/defaults.yaml selling_fee_fraction) on a $2,160 card
    assert tco.net_resale_usd(2160.0, 0.1325) == pytest.approx(2160.0 * 0.8675)
    assert tco.net_resale_usd(2160.0, 0.0) == 2160.0
    with pytest.raises(ValueError, match="selling_fee_fraction"):
        tco.net_resale_usd(2160.0, 1.5)

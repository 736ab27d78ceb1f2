"""advisor.workload.montecarlo: hand-computed percentiles and probabilities, common random numbers, tornado,
flip thresholds, reproducibility, bad input.

Tolerances: Monte Carlo samples are iid across samples, so
* a sample p-quantile has standard error sqrt(p (1 - p) / n) / f(x_p), with f the density at the quantile
  (asymptotic normality of sample quantiles; Serfling, Approximation Theorems of Mathematical Statistics,
  sec. 2.3.3);
* a sample proportion has standard error sqrt(P (1 - P) / n);
* a sample mean has standard error sd / sqrt(n).
Each check allows 4 standard errors (computed in the test from n), i.e. a correct implementation fails with
probability < 1e-4; the seed is fixed, so the tests are deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.errors import InputError
from advisor.workload.montecarlo import (
    CostModel,
    Range,
    SharedInputs,
    flip_threshold,
    monthly_cost_usd,
    percentiles_linear,
    probability_cheaper_from_samples,
    simulate_monthly_costs,
    tornado,
    triangular_inverse_cdf,
)

N = 100_000


def _quantile_se(p: float, density: float, n: int = N) -> float:
    return math.sqrt(p * (1 - p) / n) / density


# --- hand-computed distributions ----------------------------------------------------------------------


def test_uniform_price_range_percentiles_by_hand():
    # price ~ U($1, $3) per image x 100 images -> cost ~ U($100, $300): density 1/200 per USD.
    # P10 = 100 + 0.1 x 200 = $120; P50 = $200; P90 = $280.
    # SE(P10) = sqrt(0.1 x 0.9 / 1e5) x 200 = 0.19 USD; SE(P50) = sqrt(0.25 / 1e5) x 200 = 0.32 USD.
    r = simulate_monthly_costs([CostModel("api", usd_per_image=(1.0, 3.0))], SharedInputs(images_per_month=100),
                               n_samples=N, seed=1)
    (pct,) = r.percentiles
    assert abs(pct.p10_usd - 120.0) <= 4 * _quantile_se(0.1, 1 / 200)
    assert abs(pct.p50_usd - 200.0) <= 4 * _quantile_se(0.5, 1 / 200)
    assert abs(pct.p90_usd - 280.0) <= 4 * _quantile_se(0.9, 1 / 200)
    samples = r.samples_usd("api")
    assert samples.min() >= 100.0 and samples.max() <= 300.0


def test_triangular_range_median_by_hand():
    # fixed cost ~ triangular(0, mode 0, 100): F(x) = 1 - (1 - x/100)^2, median: (1 - x/100)^2 = 1/2 ->
    # x = 100 (1 - sqrt(0.5)) = 100 x 0.292893 = $29.29; density there 2 (1 - 0.292893) / 100 = 0.014142 per USD
    # -> SE = sqrt(0.25 / 1e5) / 0.014142 = 0.112 USD
    r = simulate_monthly_costs([CostModel("own", fixed_usd_per_month=Range(0.0, 100.0, mode=0.0))],
                               SharedInputs(images_per_month=0), n_samples=N, seed=2)
    assert abs(r.percentiles[0].p50_usd - 29.2893) <= 4 * _quantile_se(0.5, 0.014142)


def test_triangular_inverse_cdf_by_hand():
    # triangular(0, 1, 4): F(1) = 1/4. u = 1/8 < 1/4: x = sqrt(1/8 x 4 x 1) = sqrt(0.5) = 0.707107
    # u = 0.5: x = 4 - sqrt(0.5 x 4 x 3) = 4 - sqrt(6) = 4 - 2.449490 = 1.550510
    x = triangular_inverse_cdf(np.array([0.125, 0.5, 0.0, 1.0]), np.array(0.0), np.array(1.0), np.array(4.0))
    assert x == pytest.approx([0.707107, 1.550510, 0.0, 4.0], abs=1e-6)


def test_percentiles_linear_matches_numpy():
    x = np.random.default_rng(0).normal(size=(3, 1001))
    assert percentiles_linear(x, (10, 50, 90)) == pytest.approx(np.percentile(x, [10, 50, 90], axis=1), abs=1e-12)
    # 5 points 1..5: P10 at position 0.4 -> 1.4; P50 -> 3; P90 at position 3.6 -> 4.6
    assert percentiles_linear(np.array([5.0, 1, 3, 2, 4]), (10, 50, 90)) == pytest.approx([1.4, 3.0, 4.6])


def test_monthly_cost_formula_by_hand():
    # 50 fixed + 1000 images x (0.01 + 4 s x (0.0002 + 0.0001 kWh/s x 0.3 $/kWh)) = 50 + 1000 x (0.01 + 4 x 0.00023)
    # = 50 + 1000 x 0.01092 = 60.92 USD
    assert monthly_cost_usd(50.0, 1000.0, 0.01, 4.0, 0.0002, 0.0001, 0.3) == pytest.approx(60.92)


def test_simulator_error_and_volume_have_mean_one():
    # GPU cost only: 1000 images x 10 s x 0.001 $/s = $10 expected; lognormal errors with mean 1 (cv 0.5 each,
    # independent) keep the mean at $10. sd of the product: sqrt((1 + 0.25)^2 - 1) x 10 = 0.75 x 10 = $7.5
    # -> SE of the mean = 7.5 / sqrt(1e5) = 0.024 USD.
    r = simulate_monthly_costs(
        [CostModel("rent", gpu_seconds_per_image=10.0, simulator_relative_error=0.5, usd_per_gpu_second=0.001)],
        SharedInputs(images_per_month=1000, volume_relative_sd=0.5), n_samples=N, seed=3)
    samples = r.samples_usd("rent")
    assert abs(samples.mean() - 10.0) <= 4 * 7.5 / math.sqrt(N)
    # the product of the two mean-one lognormals is lognormal with s2 = 2 ln(1.25) = 0.446, kurtosis
    # e^(4 s2) + 2 e^(3 s2) + 3 e^(2 s2) - 3 = 5.96 + 7.63 + 7.32 - 3 = 17.9; SE of the sample sd / sd
    # = sqrt((17.9 - 1) / (4 N)) = sqrt(16.9 / 4e5) = 0.0065 -> 4 SE = 2.6 %
    assert samples.std() == pytest.approx(7.5, rel=0.026)


# --- probability_cheaper on common samples ------------------------------------------------------------


def test_probability_cheaper_difference_of_uniforms_by_hand():
    # A = 100 images x U($1, $3) = U(100, 300); B = U(200, 400) fixed; independent draws.
    # On the 200 x 200 square, A > B is the triangle 200 <= b < a <= 300 with legs 100: area 100^2 / 2 = 5000.
    # P(A > B) = 5000 / 40000 = 0.125 -> P(A < B) = 0.875. SE = sqrt(0.875 x 0.125 / 1e5) = 0.00105.
    models = [CostModel("A", usd_per_image=(1.0, 3.0)), CostModel("B", fixed_usd_per_month=(200.0, 400.0))]
    r = simulate_monthly_costs(models, SharedInputs(images_per_month=100), n_samples=N, seed=4)
    se = math.sqrt(0.875 * 0.125 / N)
    assert abs(r.probability_cheaper("A", "B") - 0.875) <= 4 * se
    assert r.probability_cheaper("A", "B") + r.probability_cheaper("B", "A") == pytest.approx(1.0)


def test_shared_inputs_are_common_random_numbers():
    # A and B use the same GPU and energy; only shared inputs are uncertain (electricity $0.05-$0.60/kWh, volume
    # cv 0.5). Energy at the mean volume: 200,000 images x 20 s x 1.1e-4 kWh/s (a 400 W machine) = 440 kWh ->
    # $22-$264, times the volume factor, so A's cost swings by hundreds of USD across samples while B is always
    # exactly $1 dearer. Drawn per option, P(A cheaper) would be near 0.5; on common samples it is exactly 1.
    shared = SharedInputs(images_per_month=200_000, volume_relative_sd=0.5, usd_per_kwh=(0.05, 0.60))
    gpu = {"gpu_seconds_per_image": 20.0, "kwh_per_gpu_second": 1.1e-4}
    models = [CostModel("A", fixed_usd_per_month=100.0, **gpu), CostModel("B", fixed_usd_per_month=101.0, **gpu),
              CostModel("A-copy", fixed_usd_per_month=100.0, **gpu)]
    r = simulate_monthly_costs(models, shared, n_samples=20_000, seed=5)
    assert np.ptp(r.samples_usd("A")) > 100.0  # the shared uncertainty is large...
    assert r.probability_cheaper("A", "B") == 1.0  # ...but B - A = $1 in every sample
    assert r.probability_cheaper("B", "A") == 0.0
    # identical inputs with only shared uncertainty: identical samples, every pair a tie -> exactly 0.5
    assert np.array_equal(r.samples_usd("A"), r.samples_usd("A-copy"))
    assert r.probability_cheaper("A", "A-copy") == 0.5


def test_probability_cheaper_counts_ties_half():
    assert probability_cheaper_from_samples(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0])) == 0.5
    # a < b once (1 < 2), ties twice (2 = 2, 4 = 4): (1 + 0.5 x 2) / 4 = 0.5


def test_shared_draws_do_not_depend_on_option_list():
    shared = SharedInputs(images_per_month=1000, volume_relative_sd=0.2, usd_per_kwh=(0.1, 0.3))
    base = CostModel("energy", gpu_seconds_per_image=2.0, kwh_per_gpu_second=0.0001)
    alone = simulate_monthly_costs([base], shared, n_samples=1000, seed=9)
    with_others = simulate_monthly_costs([CostModel("x", usd_per_image=(0.1, 0.2)), base], shared,
                                         n_samples=1000, seed=9)
    assert np.array_equal(alone.samples_usd("energy"), with_others.samples_usd("energy"))


# --- reproducibility ----------------------------------------------------------------------------------


def test_same_seed_same_samples():
    models = [CostModel("A", fixed_usd_per_month=(10, 20), usd_per_image=(0.01, 0.03), gpu_seconds_per_image=3.0,
                        simulator_relative_error=0.2, kwh_per_gpu_second=1e-4),
              CostModel("B", usd_per_gpu_second=Range(1e-4, 5e-4, mode=2e-4), gpu_seconds_per_image=5.0)]
    shared = SharedInputs(images_per_month=5000, volume_relative_sd=0.3, usd_per_kwh=(0.1, 0.4))
    a = simulate_monthly_costs(models, shared, n_samples=5000, seed=123)
    b = simulate_monthly_costs(models, shared, n_samples=5000, seed=123)
    c = simulate_monthly_costs(models, shared, n_samples=5000, seed=124)
    assert np.array_equal(a.costs_usd, b.costs_usd)
    assert a.percentiles == b.percentiles
    assert not np.array_equal(a.costs_usd, c.costs_usd)


def test_constant_inputs_give_constant_costs():
    r = simulate_monthly_costs([CostModel("flat", fixed_usd_per_month=50.0, usd_per_image=0.02)],
                               SharedInputs(images_per_month=1000), n_samples=10, seed=0)
    # 50 + 1000 x 0.02 = 70 USD in every sample
    assert r.costs_usd.shape == (1, 10)
    assert np.all(r.costs_usd == 70.0)
    assert r.percentiles[0].p10_usd == r.percentiles[0].p90_usd == 70.0


# --- tornado ------------------------------------------------------------------------------------------


def _costs(inputs):
    x, y, z = inputs["x"], inputs["y"], inputs["z"]
    return {"A": 100 + 2 * x + 10 * y, "B": 150 + x, "C": 1000 + 100 * z}


def test_tornado_order_and_values_by_hand():
    base = {"x": 10.0, "y": 1.0, "z": 5.0}
    # at base: A = 100 + 20 + 10 = 130, B = 160, C = 1500 -> top 2 tracked: A, B
    bars = tornado(_costs, base, {"z": (0.0, 100.0), "y": (0.5, 2.0), "x": (0.0, 50.0)}, top_n=2)
    assert [b.input_name for b in bars] == ["x", "y", "z"]
    x, y, z = bars
    # x: A 100 + 0 + 10 = 110 -> 100 + 100 + 10 = 210 (swing 100); B 150 -> 200 (50); swing 100
    assert x.cost_at_low_usd == {"A": 110.0, "B": 150.0}
    assert x.cost_at_high_usd == {"A": 210.0, "B": 200.0}
    assert x.swing_usd == 100.0
    assert (x.cheapest_at_low, x.cheapest_at_high, x.flips) == ("A", "B", True)
    # y: A 100 + 20 + 5 = 125 -> 100 + 20 + 20 = 140 (swing 15); B unchanged; A stays cheapest
    assert y.swing_usd == 15.0 and not y.flips
    # z moves only C, which is not tracked: swing 0 for the top 2 (C's own swing of 10,000 is ignored)
    assert z.swing_usd == 0.0
    # explicit option list overrides top_n
    bars_c = tornado(_costs, base, {"z": (0.0, 100.0), "x": (0.0, 50.0)}, options=["C"])
    assert [b.input_name for b in bars_c] == ["z", "x"] and bars_c[0].swing_usd == 10_000.0


# --- flip_threshold -----------------------------------------------------------------------------------


def test_flip_threshold_linear_by_hand():
    # cost A - cost B as a function of x (y = 1): (100 + 2x + 10) - (150 + x) = x - 40 -> root x = 40
    def a_minus_b(x):
        costs = _costs({"x": x, "y": 1.0, "z": 0.0})
        return costs["A"] - costs["B"]

    root = flip_threshold(a_minus_b, 0.0, 50.0)
    assert root == pytest.approx(40.0, abs=1e-9)
    # 3x - 12 = 0 -> x = 4, with the sign change the other way round
    assert flip_threshold(lambda x: 12 - 3 * x, 0.0, 10.0) == pytest.approx(4.0, abs=1e-9)
    # no sign change in [0, 30] -> None; root exactly at an end -> that end
    assert flip_threshold(lambda x: x - 40, 0.0, 30.0) is None
    assert flip_threshold(lambda x: x - 40, 40.0, 50.0) == 40.0


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Range(3.0, 1.0), r"range: got \(3.0, 1.0\); allowed: low <= high"),
        (lambda: Range(1.0, 3.0, mode=5.0), r"range.mode: got 5.0; allowed: a value in \[low, high\]"),
        (lambda: CostModel("A", usd_per_image=(3.0, 1.0)),
         r"A.usd_per_image: got \(3.0, 1.0\); allowed: \(low, high\)"),
        (lambda: CostModel("A", usd_per_image=-0.1), r"A.usd_per_image: got -0.1; allowed: a finite number >= 0"),
        (lambda: CostModel("A", fixed_usd_per_month=(1, 2, 3)),
         r"A.fixed_usd_per_month: got \(1, 2, 3\); allowed: a number"),
        (lambda: CostModel("A", simulator_relative_error=float("nan")), r"A.simulator_relative_error: got nan"),
        (lambda: CostModel("", usd_per_image=1.0), r"option_id: got ''; allowed: a non-empty string"),
        (lambda: SharedInputs(images_per_month=-5), r"images_per_month: got -5; allowed: a finite number >= 0"),
        (lambda: SharedInputs(images_per_month=5, usd_per_kwh="cheap"), r"usd_per_kwh: got 'cheap'; allowed: a finite"),
        (lambda: simulate_monthly_costs([], SharedInputs(10)),
         r"models: got 'list'; allowed: a non-empty list of CostModel"),
        (lambda: simulate_monthly_costs([CostModel("A"), CostModel("A")], SharedInputs(10)),
         r"option_id: got 'A'; allowed: unique option ids"),
        (lambda: simulate_monthly_costs([CostModel("A")], SharedInputs(10), n_samples=0),
         r"n_samples: got 0; allowed: an integer >= 1"),
        (lambda: simulate_monthly_costs([CostModel("A")], SharedInputs(10), n_samples=10).probability_cheaper("A", "Z"),
         r"option_id: got 'Z'; allowed: one of A"),
        (lambda: tornado(_costs, {"x": 1.0, "y": 1.0, "z": 1.0}, {"w": (0, 1)}),
         r"ranges: got 'w'; allowed: an input of base_inputs: x, y, z"),
        (lambda: tornado(_costs, {"x": 1.0, "y": 1.0, "z": 1.0}, {"x": (2, 1)}),
         r"ranges.x: got \(2, 1\); allowed: \(low, high\) with low <= high"),
        (lambda: tornado(_costs, {"x": 1.0, "y": 1.0, "z": 1.0}, {"x": (0, 1)}, options=["D"]),
         r"cost_fn: got \"result without 'D'\"; allowed: a mapping"),
        (lambda: flip_threshold(lambda x: x, 1.0, 1.0), r"hi: got 1.0; allowed: a number > lo = 1.0"),
        (lambda: flip_threshold(lambda x: float("nan"), 0.0, 1.0), r"f\(0.0\): got nan; allowed: a finite number"),
    ],
)
def test_bad_input_raises_one_line_input_error(make, message):
    with pytest.raises(InputError, match=message) as info:
        make()
    assert "\n" not in str(info.value)


# --- named shared factors (people's time, start-ups, API prices, steps, keep rates) ------------------------------


def test_factor_terms_scale_their_part_hand():
    from advisor.workload.montecarlo import cost_at_usd, simulate_monthly_costs

    # fixed 10 + people 20 x rate factor (constant 1) x hours factor uniform [0.5, 1.5] + 1,000 images x 0.01 USD x
    # API price factor uniform [0.7, 1.1]: mean 10 + 20 + 10 x 0.9 = 39; bounds 10 + 10 + 7 = 27 .. 10 + 30 + 11 = 51
    m = CostModel("a", fixed_usd_per_month=10.0, usd_per_image=0.01, factor_terms=((20.0, ("rate", "hours")),),
                  per_image_factors=("api",))
    shared = SharedInputs(images_per_month=1000.0, factors={"rate": 1.0, "hours": (0.5, 1.5), "api": (0.7, 1.1)})
    s = simulate_monthly_costs([m], shared, n_samples=20_000, seed=3).samples_usd("a")
    assert s.min() >= 27.0 - 1e-9 and s.max() <= 51.0 + 1e-9
    # sd of the mean: sqrt(20^2 / 12 + 10^2 x 0.4^2 / 12) / sqrt(20,000) = 0.043; 0.2 is over 4 sd
    assert float(s.mean()) == pytest.approx(39.0, abs=0.2)
    # the same formula without a draw: hours x 1.5, API x 0.7 -> 10 + 30 + 7 = 47
    assert cost_at_usd(m, 1000.0, 0.0, {"hours": 1.5, "api": 0.7}) == pytest.approx(47.0, rel=1e-12)
    # a factor no SharedInputs draws is refused in one line
    with pytest.raises(InputError, match="a.factor: got 'api'"):
        simulate_monthly_costs([m], SharedInputs(images_per_month=1000.0, factors={"rate": 1.0, "hours": 1.0}))


def test_gpu_factors_scale_gpu_time_hand():
    from advisor.workload.montecarlo import cost_at_usd

    # 100 images x 10 GPU-s x steps 1.25 x 0.001 USD/s = 1.25 USD; no factor: 1.0 USD
    m = CostModel("g", gpu_seconds_per_image=10.0, usd_per_gpu_second=0.001, gpu_factors=("steps",))
    assert cost_at_usd(m, 100.0, 0.0, {"steps": 1.25}) == pytest.approx(1.25, rel=1e-12)
    assert cost_at_usd(m, 100.0, 0.0, {}) == pytest.approx(1.0, rel=1e-12)

"""advisor.workload.queueing: SimPy simulation against queueing closed forms, hand-worked scenarios, bad input.

Statistical tolerance (used by every simulation-vs-closed-form test below)
-------------------------------------------------------------------------
Each run simulates N = 200_000 customers from an empty queue; the first W = 2_000 are dropped (initial
transient: at utilisation 0.7 the M/M/1 relaxation time is about 1 / (mu (1 - sqrt(rho))^2) ~ 38 service times,
so 2_000 is > 50 relaxation times). The remaining 198_000 are cut into B = 40 consecutive batches of 4_950.
Waiting times are autocorrelated, but at rho <= 0.7 their integrated autocorrelation time is a few tens of
customers (M/M/1, rho = 0.7: asymptotic variance of the mean ~ 335 / mu^2 vs Var(Wq) ~ 10 / mu^2, i.e. ~ 33
customers), about 150x smaller than a batch, so the batch means are close to independent and
SE = sd(batch means) / sqrt(B) estimates the standard error of the overall mean (batch means method: Law &
Kelton, Simulation Modeling and Analysis, sec. 9.5.3). We assert |simulated - closed form| <= 4 SE: a fixed seed
makes the test deterministic, and a correct simulator lands outside 4 SE with probability < 1e-4 (t with 39
degrees of freedom: ~3e-4), so a pass is not a lucky seed. We also assert SE < 3 % of the closed form, so
"4 SE" can never be a uselessly wide band (at N = 200k the measured SE is about 1-2 % at rho = 0.7).
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from advisor.errors import InputError
from advisor.workload.queueing import (
    APIServers,
    GPUServers,
    Workload,
    deterministic_sampler,
    erlang_c_probability_wait,
    exponential_sampler,
    gpus_needed,
    md1_mean_wait_seconds,
    mg1_mean_wait_seconds,
    mm1_mean_wait_seconds,
    mm1_response_time_quantile_seconds,
    mmc_mean_wait_seconds,
    poisson_arrival_seconds,
    simulate_queue,
    simulate_turnaround,
)

N_CUSTOMERS = 200_000
WARMUP = 2_000
BATCHES = 40


def _batch_mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """Mean after the warm-up and its batch-means standard error (see module docstring)."""
    kept = values[WARMUP:]
    size = len(kept) // BATCHES
    means = kept[: size * BATCHES].reshape(BATCHES, size).mean(axis=1)
    return float(kept.mean()), float(means.std(ddof=1) / math.sqrt(BATCHES))


def _assert_within_4_se(simulated: float, se: float, expected: float) -> None:
    assert se < 0.03 * expected, f"SE {se:.4g} too large for a meaningful test (expected {expected:.4g})"
    assert abs(simulated - expected) <= 4 * se, (
        f"simulated {simulated:.4f} vs closed form {expected:.4f}: {abs(simulated - expected) / se:.1f} SE apart"
    )


# --- closed forms, expected values worked by hand ---------------------------------------------------


def test_mm1_mean_wait_by_hand():
    # lam = 0.5/s, mu = 1/s: rho = 0.5; Wq = rho / (mu - lam) = 0.5 / 0.5 = 1.0 s
    assert mm1_mean_wait_seconds(0.5, 1.0) == pytest.approx(1.0, rel=1e-12)
    # lam = 0.75, mu = 1: rho = 0.75; Wq = 0.75 / 0.25 = 3.0 s
    assert mm1_mean_wait_seconds(0.75, 1.0) == pytest.approx(3.0, rel=1e-12)


def test_md1_and_mg1_mean_wait_by_hand():
    # M/D/1, lam = 0.5/s, S = 1 s: rho = 0.5; Wq = rho S / (2 (1 - rho)) = 0.5 / (2 x 0.5) = 0.5 s
    assert md1_mean_wait_seconds(0.5, 1.0) == pytest.approx(0.5, rel=1e-12)
    # M/G/1 with cv = 1 (exponential) must equal M/M/1: lam E[S^2] / (2 (1 - rho)) = 0.5 x 2 / 1 = 1.0 s
    assert mg1_mean_wait_seconds(0.5, 1.0, 1.0) == pytest.approx(1.0, rel=1e-12)
    # M/D/1, lam = 0.1/s, S = 5 s: rho = 0.5; Wq = 0.5 x 5 / (2 x 0.5) = 2.5 s
    assert md1_mean_wait_seconds(0.1, 5.0) == pytest.approx(2.5, rel=1e-12)


def test_erlang_c_by_hand():
    # c = 2, lam = 1, mu = 1: a = 1, rho = 0.5. a^c/c! = 1/2; / (1 - rho) = 1. sum_{k<2} a^k/k! = 1 + 1 = 2.
    # C = 1 / (2 + 1) = 1/3; Wq = C / (c mu - lam) = (1/3) / (2 - 1) = 1/3 s
    assert erlang_c_probability_wait(2, 1.0, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    assert mmc_mean_wait_seconds(2, 1.0, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    # c = 1 reduces to M/M/1: P(wait) = rho = 0.5 (lam = 0.5, mu = 1): (0.5 / 0.5) / (1 + 0.5 / 0.5) = 1/2
    assert erlang_c_probability_wait(1, 0.5, 1.0) == pytest.approx(0.5, rel=1e-12)
    # c = 3, lam = 2.1, mu = 1: a = 2.1, rho = 0.7. sum_{k<3} = 1 + 2.1 + 2.205 = 5.305;
    # a^3/3! = 9.261 / 6 = 1.5435; / 0.3 = 5.145. C = 5.145 / (5.305 + 5.145) = 5.145 / 10.45 = 0.492344...
    # Wq = C / (3 - 2.1) = 0.492344 / 0.9 = 0.547049 s
    assert erlang_c_probability_wait(3, 2.1, 1.0) == pytest.approx(5.145 / 10.45, rel=1e-12)
    assert mmc_mean_wait_seconds(3, 2.1, 1.0) == pytest.approx(5.145 / 10.45 / 0.9, rel=1e-12)


def test_mm1_response_quantile_by_hand():
    # response time ~ Exp(mu - lam) = Exp(0.5): q95 = -ln(0.05) / 0.5 = ln(20) / 0.5 = 2.995732 / 0.5 = 5.991465 s
    assert mm1_response_time_quantile_seconds(0.95, 0.5, 1.0) == pytest.approx(5.991465, rel=1e-6)
    # median: ln 2 / 0.5 = 0.693147 / 0.5 = 1.386294 s
    assert mm1_response_time_quantile_seconds(0.5, 0.5, 1.0) == pytest.approx(1.386294, rel=1e-6)


# --- simulation vs closed forms (see the module docstring for the 4 SE tolerance) ------------------


@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_simulated_mm1_mean_wait(rho):
    q = simulate_queue(rho, exponential_sampler(1.0), servers=1, n_requests=N_CUSTOMERS, seed=11)
    mean, se = _batch_mean_and_se(q.waiting_seconds)
    _assert_within_4_se(mean, se, mm1_mean_wait_seconds(rho, 1.0))


@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_simulated_md1_mean_wait_pollaczek_khinchine(rho):
    q = simulate_queue(rho, deterministic_sampler(1.0), servers=1, n_requests=N_CUSTOMERS, seed=12)
    mean, se = _batch_mean_and_se(q.waiting_seconds)
    _assert_within_4_se(mean, se, md1_mean_wait_seconds(rho, 1.0))


@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_simulated_mmc_mean_wait_erlang_c(rho):
    c = 3
    lam = rho * c  # mu = 1/s
    q = simulate_queue(lam, exponential_sampler(1.0), servers=c, n_requests=N_CUSTOMERS, seed=13)
    mean, se = _batch_mean_and_se(q.waiting_seconds)
    _assert_within_4_se(mean, se, mmc_mean_wait_seconds(c, lam, 1.0))


def test_simulated_mm1_response_time_p95():
    # Instead of the noisy sample quantile we test the fraction of responses <= the closed-form q95: it is a
    # mean of indicators, so the same batch-means SE applies; it must be 0.95 within 4 SE.
    lam = 0.7
    q95 = mm1_response_time_quantile_seconds(0.95, lam, 1.0)
    q = simulate_queue(lam, exponential_sampler(1.0), servers=1, n_requests=N_CUSTOMERS, seed=14)
    frac, se = _batch_mean_and_se((q.response_seconds <= q95).astype(float))
    _assert_within_4_se(frac, se, 0.95)
    # and the empirical p95 itself: by the delta method SE(q) ~ SE(frac) / f(q95), f = (mu - lam) exp(-(mu-lam) q)
    density = (1.0 - lam) * math.exp(-(1.0 - lam) * q95)
    assert abs(np.quantile(q.response_seconds[WARMUP:], 0.95) - q95) <= 4 * se / density


def test_simulated_busy_fraction_is_rho():
    # utilisation of M/D/1 = rho exactly in the long run. Busy time = N x 1 s exactly (deterministic service); the
    # elapsed time is ~ the last arrival, a sum of N exponentials with relative SD 1/sqrt(N) = 1/sqrt(5e4) = 0.45 %,
    # so the busy fraction is within 4 SE = 1.8 % of rho (rel 0.02)
    q = simulate_queue(0.5, deterministic_sampler(1.0), servers=1, n_requests=50_000, seed=3)
    assert q.busy_fraction == pytest.approx(0.5, rel=0.02)


# --- reproducibility ------------------------------------------------------------------------------------


def test_same_seed_same_result():
    w = Workload(team_size=12, requests_per_person_per_hour=3.0, images_per_request=4, days=3)
    gpus = GPUServers(k=2, seconds_per_image=6.0, relative_sd=0.3)
    a = simulate_turnaround(w, gpus, seed=42)
    b = simulate_turnaround(w, gpus, seed=42)
    assert a == b
    assert simulate_turnaround(w, gpus, seed=43) != a
    qa = simulate_queue(0.7, exponential_sampler(1.0), 1, 1000, seed=5)
    qb = simulate_queue(0.7, exponential_sampler(1.0), 1, 1000, seed=5)
    assert np.array_equal(qa.response_seconds, qb.response_seconds)


# --- workload arrivals ------------------------------------------------------------------------------


def test_poisson_arrivals_only_in_working_hours_and_count():
    rng = np.random.default_rng(0)
    window = 8 * 3600.0
    t = poisson_arrival_seconds(rate_per_second=0.01, window_seconds=window, days=20, rng=rng)
    assert np.all(np.diff(t) >= 0)
    assert np.all(np.mod(t, 86400.0) < window)
    # count ~ Poisson(0.01 x 28800 x 20 = 5760): sd = sqrt(5760) = 75.9; within 4 sd
    assert abs(len(t) - 5760) <= 4 * math.sqrt(5760)


# --- scenarios worked by hand -----------------------------------------------------------------------------


def test_burst_on_one_gpu_by_hand():
    # 5 people x 1 request of 40 images at 10:00 (2 h into an 08:00 day), 1 GPU, 2 s/image, deterministic.
    # Each request takes 40 x 2 = 80 s and they run one after another: finish at 80, 160, 240, 320, 400 s
    # after 10:00 -> turnarounds 1.333, 2.667, 4.0, 5.333, 6.667 min (last: 5 x 40 x 2 = 400 s = 6.67 min).
    # p50 = 4.0 min; p95 (linear interpolation, position 0.95 x 4 = 3.8) = 320 + 0.8 x 80 = 384 s = 6.4 min.
    # waits 0, 80, 160, 240, 320 s -> mean 160 s = 2.667 min. busy 400 s of an 8 h = 28800 s day.
    w = Workload(team_size=5, bursts=[{"at_hour": 2.0, "requests": 1}], images_per_request=40)
    r = simulate_turnaround(w, GPUServers(k=1, seconds_per_image=2.0, relative_sd=0.0), seed=0)
    assert r.requests_simulated == 5 and r.images_simulated == 200
    assert r.max_turnaround_minutes == pytest.approx(400 / 60)
    assert r.p95_turnaround_minutes == pytest.approx(6.4)
    assert r.p50_turnaround_minutes == pytest.approx(4.0)
    assert r.mean_wait_minutes == pytest.approx(160 / 60)
    assert r.utilisation == pytest.approx(400 / 28800)
    assert r.utilisation_working_hours == pytest.approx(400 / 28800)
    assert r.simulated_period_hours == pytest.approx(8.0)
    # two GPUs: requests 1-2 finish at 80 s, 3-4 at 160 s, 5 at 240 s -> max 4.0 min
    r2 = simulate_turnaround(w, GPUServers(k=2, seconds_per_image=2.0, relative_sd=0.0), seed=0)
    assert r2.max_turnaround_minutes == pytest.approx(4.0)


def test_burst_at_end_of_day_carries_over_by_hand():
    # same 400 s burst at 7.95 h into an 8 h day: starts at 28620 s, the window ends at 28800 s, the queue
    # carries over and the last request finishes at 28620 + 400 = 29020 s.
    # period = 29020 s; utilisation = 400 / 29020; in-hours busy = 28800 - 28620 = 180 s -> 180 / 28800.
    w = Workload(team_size=5, bursts=[{"at_hour": 7.95, "requests": 1}], images_per_request=40)
    r = simulate_turnaround(w, GPUServers(k=1, seconds_per_image=2.0), seed=0)
    assert r.simulated_period_hours == pytest.approx(29020 / 3600)
    assert r.utilisation == pytest.approx(400 / 29020)
    assert r.utilisation_working_hours == pytest.approx(180 / 28800)
    assert r.max_turnaround_minutes == pytest.approx(400 / 60)


def test_bursts_repeat_every_day():
    # 2 days x 2 bursts x 3 people x 2 requests = 24 requests; days are independent (queue empties in 48 s)
    w = Workload(team_size=3, bursts=[{"at_hour": 1.0, "requests": 2}, {"at_hour": 5.0, "requests": 2}],
                 images_per_request=1, days=2)
    r = simulate_turnaround(w, GPUServers(k=1, seconds_per_image=8.0), seed=0)
    assert r.requests_simulated == 24
    # within a burst: 6 requests of 8 s on one GPU -> finish at 8 .. 48 s; max 48 s = 0.8 min
    assert r.max_turnaround_minutes == pytest.approx(0.8)


def test_api_concurrency_by_hand():
    # 2 people x 1 request of 5 images at 08:00; API runs 4 calls at once, 10 s each (deterministic).
    # Calls queue in order A1..A5, B1..B5. t=0: A1-A4; t=10: A5, B1, B2, B3; t=20: B4, B5.
    # A ends at 20 s, B at 30 s. p50 = 25 s; p95 = 20 + 0.95 x 10 = 29.5 s; max 30 s.
    # Waits (to the first call): A 0 s, B 10 s -> mean 5 s. Busy: 10 calls x 10 s = 100 s of 4 x 28800 s.
    w = Workload(team_size=2, bursts=[{"at_hour": 0.0, "requests": 1}], images_per_request=5)
    r = simulate_turnaround(w, APIServers(concurrency_limit=4, latency_seconds_per_image=10.0), seed=0)
    assert r.p50_turnaround_minutes == pytest.approx(25 / 60)
    assert r.p95_turnaround_minutes == pytest.approx(29.5 / 60)
    assert r.max_turnaround_minutes == pytest.approx(30 / 60)
    assert r.mean_wait_minutes == pytest.approx(5 / 60)
    assert r.utilisation_working_hours == pytest.approx(100 / (4 * 28800))
    # concurrency 10 covers all calls at once: both done at 10 s
    r10 = simulate_turnaround(w, APIServers(concurrency_limit=10, latency_seconds_per_image=10.0), seed=0)
    assert r10.max_turnaround_minutes == pytest.approx(10 / 60)
    assert r10.mean_wait_minutes == 0.0


# --- gpus_needed ----------------------------------------------------------------------------------------------


def test_gpus_needed_monotonic_and_smallest():
    # offered load: 20 people x 6 req/h x 4 images x 10 s = 4800 GPU-s per hour = 1.33 GPUs busy on average
    w = Workload(team_size=20, requests_per_person_per_hour=6.0, images_per_request=4, days=2)
    k, results = gpus_needed(w, seconds_per_image=10.0, relative_sd=0.3, p95_target_minutes=2.0, seed=7)
    assert k is not None and k >= 2  # one GPU cannot carry 1.33 GPUs of work
    assert list(results) == list(range(1, k + 1))
    p95 = [results[i].p95_turnaround_minutes for i in results]
    # same seed -> same arrivals and image times for every k (common random numbers); FIFO with identical
    # servers makes every request's wait non-increasing in k, so p95 is non-increasing exactly (no noise band)
    assert all(later <= earlier + 1e-9 for earlier, later in itertools.pairwise(p95))
    assert p95[-1] <= 2.0 < p95[-2]
    # all k simulated the same requests
    assert len({results[i].requests_simulated for i in results}) == 1


def test_gpus_needed_none_when_target_unreachable():
    # a lone request of 30 images x 10 s = 300 s = 5 min on one GPU: no number of GPUs brings it under 4 min
    w = Workload(team_size=1, bursts=[{"at_hour": 0.0, "requests": 1}], images_per_request=30)
    k, results = gpus_needed(w, seconds_per_image=10.0, relative_sd=0.0, p95_target_minutes=4.0, k_max=3)
    assert k is None
    assert sorted(results) == [1, 2, 3]
    assert all(r.p95_turnaround_minutes == pytest.approx(5.0) for r in results.values())


# --- bad input -> one-line InputError naming field, value and what is allowed -------------------------------


def _rate(**kw):
    base = {"team_size": 3, "requests_per_person_per_hour": 2.0}
    base.update(kw)
    return Workload(**base)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: _rate(team_size=0), "team_size: got 0; allowed: an integer >= 1"),
        (lambda: _rate(team_size=2.5), "team_size: got 2.5; allowed: an integer >= 1"),
        (lambda: _rate(team_size=True), "team_size: got True; allowed: an integer >= 1"),
        (lambda: _rate(requests_per_person_per_hour=-1.0),
         "requests_per_person_per_hour: got -1.0; allowed: a finite number > 0"),
        (lambda: _rate(requests_per_person_per_hour=0), "requests_per_person_per_hour: got 0; allowed: a finite"),
        (lambda: _rate(requests_per_person_per_hour=float("nan")), "requests_per_person_per_hour: got nan"),
        (lambda: Workload(team_size=3), "requests_per_person_per_hour: got None; allowed: a number > 0, or give"),
        (lambda: _rate(bursts=[{"at_hour": 1.0, "requests": 1}]), "bursts: got .*; allowed: None when"),
        (lambda: Workload(team_size=3, bursts="10:00"),
         "bursts: got '10:00'; allowed: a list of {at_hour: float, requests: int >= 1}"),
        (lambda: Workload(team_size=3, bursts=[]), "bursts: got \\[\\]; allowed: a non-empty list"),
        (lambda: Workload(team_size=3, bursts=[{"at_hour": 1.0}]),
         "bursts\\[\\]: got {'at_hour': 1.0}; allowed: a dict with exactly the keys at_hour, requests"),
        (lambda: Workload(team_size=3, bursts=[{"at_hour": 1.0, "requests": 0}]),
         "bursts.requests: got 0; allowed: an integer >= 1"),
        (lambda: Workload(team_size=3, bursts=[{"at_hour": -1.0, "requests": 1}]),
         "bursts.at_hour: got -1.0; allowed: a finite number >= 0"),
        (lambda: Workload(team_size=3, bursts=[{"at_hour": 9.0, "requests": 1}]),
         "bursts.at_hour: got 9.0; allowed: 0 <= at_hour < working_hours_per_day \\(8.0\\)"),
        (lambda: _rate(images_per_request=0), "images_per_request: got 0; allowed: an integer >= 1"),
        (lambda: _rate(working_hours_per_day=0), "working_hours_per_day: got 0; allowed: a number with 0 < hours"),
        (lambda: _rate(working_hours_per_day=25),
         "working_hours_per_day: got 25; allowed: a number with 0 < hours <= 24"),
        (lambda: _rate(days=0), "days: got 0; allowed: an integer >= 1"),
        (lambda: GPUServers(k=0, seconds_per_image=1.0), "k: got 0; allowed: an integer >= 1"),
        (lambda: GPUServers(k=1, seconds_per_image=-2.0), "seconds_per_image: got -2.0; allowed: a finite number > 0"),
        (lambda: GPUServers(k=1, seconds_per_image=2.0, relative_sd=-0.1),
         "relative_sd: got -0.1; allowed: a finite number >= 0"),
        (lambda: APIServers(concurrency_limit=0, latency_seconds_per_image=1.0),
         "concurrency_limit: got 0; allowed: an integer >= 1"),
        (lambda: APIServers(concurrency_limit=2, latency_seconds_per_image=0.0),
         "latency_seconds_per_image: got 0.0; allowed: a finite number > 0"),
        (lambda: simulate_turnaround(_rate(), "4 GPUs"), "servers: got 'str'; allowed: GPUServers, APIServers or ServerlessServers"),
        (lambda: simulate_turnaround(_rate(requests_per_person_per_hour=1e6, days=30), GPUServers(1, 1.0)),
         "workload: got '~.* jobs'; allowed: at most max_jobs=2000000 simulated jobs"),
        (lambda: gpus_needed(_rate(), 1.0, 0.0, p95_target_minutes=0.0),
         "p95_target_minutes: got 0.0; allowed: a finite number > 0"),
        (lambda: gpus_needed(_rate(), 1.0, 0.0, p95_target_minutes=1.0, k_max=0), "k_max: got 0; allowed: an integer"),
        (lambda: simulate_queue(0.5, exponential_sampler(1.0), servers=0, n_requests=10, seed=0),
         "servers: got 0; allowed: an integer >= 1"),
        (lambda: mm1_mean_wait_seconds(1.0, 1.0), "lam: got 1.0; allowed: < mu = 1.0 \\(a stable queue"),
        (lambda: mmc_mean_wait_seconds(2, 3.0, 1.0), "lam: got 3.0; allowed: < c x mu = 2.0"),
        (lambda: md1_mean_wait_seconds(0.5, 2.0), "lam: got 0.5; allowed: < 1 / mean_service_seconds = 0.5"),
        (lambda: mm1_response_time_quantile_seconds(1.0, 0.5, 1.0), "p: got 1.0; allowed: a probability"),
    ],
)
def test_bad_input_raises_one_line_input_error(make, message):
    with pytest.raises(InputError, match=message) as info:
        make()
    assert "\n" not in str(info.value)
    assert re.match(r"^[\w.\[\]]+: got .+; allowed: .+$", str(info.value))

"""Serverless as it runs: cold-start formulas (advisor.cost.serverless), scale-to-zero workers in the turnaround
(advisor.workload.scale_to_zero), the fast FIFO recursion against SimPy, and the closed-form queue used above the
simulation budget (advisor.workload.closed_form). Expected values are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.cost import serverless as S
from advisor.errors import InputError
from advisor.workload import queueing as Q
from advisor.workload.closed_form import closed_form_turnaround
from advisor.workload.fifo import fifo_start_end_seconds
from advisor.workload.scale_to_zero import (ServerlessServers, scale_to_zero_start_end_seconds,
                                            simulate_scale_to_zero_seconds)

# --- pure formulas ----------------------------------------------------------------------------------------------


def test_cold_start_probability_hand():
    # one request every 120 s, idle timeout 5 s: exp(-5 / 120) = 0.9591894
    assert S.cold_start_probability(1 / 120, 5.0) == pytest.approx(0.95918946, rel=1e-7)
    # one every 10 s, timeout 60 s: exp(-6) = 0.00247875
    assert S.cold_start_probability(0.1, 60.0) == pytest.approx(0.002478752, rel=1e-6)


def test_expected_idle_seconds_hand():
    # rate 0.1/s, timeout 5 s: E[min(Exp(0.1), 5)] = (1 - exp(-0.5)) / 0.1 = 3.934693 s
    assert S.expected_idle_seconds(0.1, 5.0) == pytest.approx(3.9346934, rel=1e-7)
    # a rare request: the whole timeout is billed, 1e-6/s -> 5 x (1 - 2.5e-6) ~ 5 s
    assert S.expected_idle_seconds(1e-6, 5.0) == pytest.approx(5.0, rel=1e-5)


def test_scale_to_zero_worker_seconds_hand():
    # One worker at 0.01 requests/s, 1 s service, 2 s cold start, 5 s timeout (the Welch case below):
    # p = exp(-0.05) = 0.9512294; rho = 0.01; requests per busy period E[N] = (1 + p u C) / (1 - rho) with
    # 1 + p u C = 1 + 0.9512294 x 0.02 = 1.0190246; idle after a busy period (1 - p) / u = 4.8770575 s.
    # seconds per request = (s + p C + (1 - rho)(1 - p) / u) / (1 + p u C)
    #                     = (1 + 1.9024588 + 0.99 x 4.8770575) / 1.0190246 = 7.7307458 / 1.0190246 = 7.5864174
    # cold starts per request = p (1 - rho) / (1 + p u C) = 0.9417171 / 1.0190246 = 0.9241358 (Welch's share)
    p = math.exp(-0.05)
    seconds, cold = S.scale_to_zero_worker_seconds_per_request(0.01, 1.0, 2.0, 5.0)
    assert seconds == pytest.approx((1 + 2 * p + 0.99 * (1 - p) / 0.01) / (1 + 0.02 * p), rel=1e-12)
    assert seconds == pytest.approx(7.5864174, rel=1e-7)
    assert cold == pytest.approx(0.924136, abs=1e-6)
    # a rare request costs cold start + service + the whole timeout and is always cold: 2 + 1 + 5 = 8 s
    rare_s, rare_cold = S.scale_to_zero_worker_seconds_per_request(1e-9, 1.0, 2.0, 5.0)
    assert rare_s == pytest.approx(8.0, rel=1e-6) and rare_cold == pytest.approx(1.0, rel=1e-6)
    # one worker cannot take 1 request/s of 1 s each
    with pytest.raises(InputError, match="rate_per_worker_per_second: got 1.0"):
        S.scale_to_zero_worker_seconds_per_request(1.0, 1.0, 2.0, 5.0)


def test_scale_to_zero_workers_hand():
    # the fewest workers with load below 1 each: 0.69 busy -> 1; 7.2 busy -> 8; exactly 2.0 busy -> 3
    assert S.scale_to_zero_workers(0.16, 4.3125) == 1
    assert S.scale_to_zero_workers(1.6, 4.5) == 8
    assert S.scale_to_zero_workers(0.5, 4.0) == 3


def test_scale_to_zero_bill_hand():
    # 5,000 requests a month over 8 h x 20 days = 576,000 s: rate 0.0086806/s, 1 s each, 92 s cold starts
    # (60 s boot + 32 s load), 5 s timeout. One worker (0.0087 busy). p = exp(-0.043403) = 0.9575255;
    # per request (1 + 92 p + (1 - rho)(1 - p) / u) / (1 + p u 92) and p (1 - rho) / (1 + p u 92) cold starts;
    # the day starts add 1 x 20 x (1 - p) = 0.849 cold starts of 92 s.
    rate = 5000 / 576_000
    p, rho = math.exp(-rate * 5), rate * 1.0
    den = 1 + p * rate * 92
    per_s = (1 + 92 * p + (1 - rho) * (1 - p) / rate) / den
    steady = 5000 * p * (1 - rho) / den
    colds = steady + 20 * (1 - p)
    billed, cold_n, k = S.scale_to_zero_billed_seconds(5000, rate, 1.0, 92.0, 5.0, 20)
    assert k == 1 and cold_n == pytest.approx(colds, rel=1e-12)
    assert billed == pytest.approx(5000 * per_s + 20 * (1 - p) * 92, rel=1e-12)
    # 1 + p u C = 1 + 0.9575256 x 0.0086806 x 92 = 1.7646906 (0.76 requests arrive during a cold start and queue
    # behind it, warm): 5,000 x 0.9575256 x 0.9913194 / 1.7646906 = 2,689.46 steady + 0.85 day-start cold starts;
    # per request (1 + 88.0924 + 0.9913194 x 4.8957) / 1.7646906 = 53.2348 s -> 266,174 + 78.2 = 266,252 s
    assert cold_n == pytest.approx(2690.31, abs=0.01) and billed == pytest.approx(266_252.09, abs=0.01)
    # per-second billing: half a second of round-up per run on average; a 120 s minimum raises every run to it
    assert S.billed_run_seconds(billed, cold_n, 1.0, 1.0) == pytest.approx(billed + cold_n / 2, rel=1e-12)
    assert S.billed_run_seconds(1000.0, 10, 120.0, 1.0) == pytest.approx(1200.0, rel=1e-12)
    assert S.scale_to_zero_usd_per_month(3600.0, 1.12) == pytest.approx(1.12, rel=1e-12)


def test_warm_hours_hand():
    # active window: 2 workers x 21.74 days x (8 h + 90 s / 3600) = 2 x 21.74 x 8.025 = 348.927 h
    assert S.active_window_hours_per_month(2, 8.0, 21.74, 90.0) == pytest.approx(348.927, rel=1e-12)
    # always warm: 730.5 h a worker; x 0.76 USD/h = 555.18 USD/month
    assert S.always_warm_hours_per_month(1) == pytest.approx(730.5)
    assert S.warm_usd_per_month(730.5, 0.76) == pytest.approx(555.18, rel=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: S.cold_start_probability(0.01, 0.0), "idle_timeout_seconds: got 0.0; allowed: a finite number > 0"),
    (lambda: S.cold_start_probability(-1.0, 5.0), "arrival_rate_per_second: got -1.0"),
    (lambda: S.scale_to_zero_workers(0.1, 0.0), "service_seconds_per_request: got 0.0; allowed: a finite number > 0"),
    (lambda: S.active_window_hours_per_month(1, 25.0, 20, 0), "working_hours_per_day: got 25.0; allowed: at most 24"),
    (lambda: S.always_warm_hours_per_month(0), "workers: got 0; allowed: an integer >= 1"),
    (lambda: S.cold_start_seconds(-5, 0), "boot_seconds: got -5"),
])
def test_bad_input_one_line(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


# --- scale-to-zero workers in the turnaround ----------------------------------------------------------------------


def test_lone_request_waits_the_cold_start_exactly():
    # one person, one request at the start of each day: the worker stopped overnight, so every request is cold and
    # takes 90 s cold start + 30 s = 2.0 min, deterministic
    w = Q.Workload(team_size=1, bursts=[{"at_hour": 0.0, "requests": 1}], days=3)
    r = Q.simulate_turnaround(w, ServerlessServers(1, 30.0, 0.0, 90.0, 5.0))
    assert r.cold_starts == 3
    assert r.p50_turnaround_minutes == pytest.approx(2.0) and r.max_turnaround_minutes == pytest.approx(2.0)
    warm = Q.simulate_turnaround(w, Q.GPUServers(1, 30.0, 0.0))
    assert warm.max_turnaround_minutes == pytest.approx(0.5)


def test_one_worker_cold_share_matches_welch():
    # One worker, Poisson arrivals rate 0.01/s, 1 s service, 2 s cold start, 5 s timeout. A request is cold when it
    # arrives to an empty system after a gap > T: p = exp(-0.05) = 0.951229; requests per busy period (M/G/1 with an
    # exceptional first service X0 = 1 + 2p, Welch 1964) E[N] = 1 + 0.01 x 2.902459 / 0.99 = 1.0293178; cold share
    # p / E[N] = 0.924136. 20 days x 8 h x 36 requests/h = 5,760 requests: the binomial sd of the share is
    # sqrt(0.924 x 0.076 / 5760) = 0.0035, so 0.015 is over 4 sd.
    w = Q.Workload(team_size=1, requests_per_person_per_hour=36.0, days=20)
    r = Q.simulate_turnaround(w, ServerlessServers(1, 1.0, 0.0, 2.0, 5.0))
    p = math.exp(-0.05)
    share = p / (1 + 0.01 * (1 + 2 * p) / 0.99)
    assert share == pytest.approx(0.924136, abs=1e-6)
    assert r.cold_starts / r.requests_simulated == pytest.approx(share, abs=0.015)
    # the closed form uses the same share
    cf = closed_form_turnaround(w, ServerlessServers(1, 1.0, 0.0, 2.0, 5.0))
    assert cf.cold_starts / cf.requests_simulated == pytest.approx(share, abs=0.001)  # rounding of the count


def test_many_workers_cold_share_is_exp_minus_rate_timeout():
    # With spare workers and cold starts short against the gaps (rate 0.005/s, 0.5 s + 0.5 s), a request is cold
    # unless a worker freed within the timeout: share ~ exp(-0.005 x 30) = 0.860708, minus the ~0.5 % of requests
    # arriving within 1 s of the previous one; 20 days x 8 h x 18/h = 2,880 requests, sd 0.0065: tolerance 0.03.
    w = Q.Workload(team_size=1, requests_per_person_per_hour=18.0, days=20)
    r = Q.simulate_turnaround(w, ServerlessServers(3, 0.5, 0.0, 0.5, 30.0))
    assert r.cold_starts / r.requests_simulated == pytest.approx(math.exp(-0.15), abs=0.03)


@pytest.mark.parametrize("k, cold, timeout", [(1, 90.0, 5.0), (2, 10.0, 60.0), (3, 0.5, 1.0), (5, 30.0, 5.0)])
def test_scale_to_zero_recursion_equals_simpy(k, cold, timeout):
    rng = np.random.default_rng(k)
    a = np.sort(rng.uniform(0, 20_000, 1500))
    a[40:50] = a[40]  # simultaneous arrivals
    a.sort()
    s = rng.lognormal(0.0, 1.0, len(a))
    for x, y in zip(simulate_scale_to_zero_seconds(a, s, k, cold, timeout),
                    scale_to_zero_start_end_seconds(a, s, k, cold, timeout), strict=True):
        np.testing.assert_allclose(x.astype(float), y.astype(float), rtol=0, atol=1e-9)  # float sums only


@pytest.mark.parametrize("k", [1, 2, 4, 9])
def test_fifo_recursion_equals_simpy(k):
    rng = np.random.default_rng(10 + k)
    a = np.sort(rng.uniform(0, 5_000, 2000))
    a[100:120] = a[100]
    a.sort()
    s = rng.lognormal(0.5, 1.0, len(a))
    for x, y in zip(Q._simulate_fifo_seconds(a, s, k), fifo_start_end_seconds(a, s, k), strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)


# --- closed form ------------------------------------------------------------------------------------------------


def test_closed_form_md1_mean_wait_is_pollaczek_khinchine():
    # M/D/1: rate 30/h = 1/120 s, 60 s service: rho = 0.5, Wq = rho S / (2 (1 - rho)) = 0.5 x 60 / 1 = 30 s
    w = Q.Workload(team_size=1, requests_per_person_per_hour=30.0)
    r = closed_form_turnaround(w, Q.GPUServers(1, 60.0, 0.0))
    assert r.mean_wait_minutes == pytest.approx(0.5, rel=1e-12)
    assert r.mean_turnaround_minutes == pytest.approx(1.5, rel=1e-12)


def test_closed_form_mmc_wait_quantile():
    # 2 servers, exponential-like service is not representable (lognormal points), so check the wait law itself:
    # deterministic 60 s, rate 1.5/min (a = 1.5, c = 2, rho = 0.75). Erlang C: sum_{k<2} a^k/k! = 2.5,
    # a^2/2!/(1 - 0.75) = 4.5; C = 4.5 / 7 = 0.642857. Allen-Cunneen Wq = C / (2/60 - 1/40) x (1 + 0) / 2
    # = 0.642857 / 0.0083333 / 2 = 38.5714 s. p95 of R = 60 + t with C exp(-t C / Wq) = 0.05:
    # t = (Wq / C) ln(C / 0.05) = 60 x ln(12.857) = 153.23 s -> R = 213.23 s = 3.5538 min.
    w = Q.Workload(team_size=1, requests_per_person_per_hour=90.0)
    r = closed_form_turnaround(w, Q.GPUServers(2, 60.0, 0.0))
    assert r.mean_wait_minutes == pytest.approx(38.5714 / 60, rel=1e-4)
    # the quantile is read off a 256-point geometric grid by linear interpolation: 1 % is ample
    assert r.p95_turnaround_minutes == pytest.approx((60 + 60 * math.log(0.642857 / 0.05)) / 60, rel=0.01)


def test_closed_form_close_to_simulation_at_moderate_load():
    # 2 GPUs, 20 s +-30 %, 100 requests/h (rho = 0.28 each): the Allen-Cunneen p95 is within 10 % of a 4,000-request
    # simulation (its own sampling error at p95 is a few per cent)
    w = Q.Workload(team_size=5, requests_per_person_per_hour=20.0, days=5)
    sim = Q.simulate_turnaround(w, Q.GPUServers(2, 20.0, 0.3))
    cf = closed_form_turnaround(w, Q.GPUServers(2, 20.0, 0.3))
    assert cf.p95_turnaround_minutes == pytest.approx(sim.p95_turnaround_minutes, rel=0.10)


def test_closed_form_overload_grows_through_the_day():
    # rho = 2 (one 60 s GPU, 120 requests/h): a request t s into an 8 h day waits (rho - 1) t; the day's p95 arrival
    # waits ~0.95 x 8 h = 7.6 h; carry-over: 8 h backlog at 17:00 is cleared by the 16 h night, so every day alike
    w = Q.Workload(team_size=1, requests_per_person_per_hour=120.0, days=3)
    r = closed_form_turnaround(w, Q.GPUServers(1, 60.0, 0.0))
    assert r.p95_turnaround_minutes == pytest.approx(0.95 * 8 * 60 + 1, rel=0.01)  # 200-point grid of the day


# --- the engine's serverless options: cost never falls as volume rises ---------------------------------------------

OFFER = "runpod-rtx-4090-serverless"
SUFFIXES = {"scale-to-zero": "", "active-window": ":active-window", "always-warm": ":always-warm"}


def _one_model(pipeline: str):
    """The shipped catalog cut to one pipeline and the one serverless offer (every other option is irrelevant)."""
    from advisor.catalog import load_catalog

    cat = load_catalog()
    return cat.model_copy(update={"pipelines": {pipeline: cat.pipelines[pipeline]},
                                  "rentals": {OFFER: cat.rentals[OFFER]}, "apis": {}})


def _studio(volume: int):
    from advisor.decide import Scenario

    # the studio people's-time defaults of the reported case
    return Scenario(volume_images_per_month=volume, setup_hours=8, upkeep_hours_per_month=2, hourly_rate_usd=50)


def test_every_serverless_mode_costs_more_at_more_volume():
    # Z-Image Turbo on RunPod Serverless 4090 with the real simulator: once cost $1,773/month at 100k images and
    # $1,512 at 1M (a cold start counted for every request that found no warm worker, even those queued behind a
    # starting one, and one worker at any rate). For each mode and precision the monthly cost must not fall over
    # 100 .. 3,000,000 images; the billed hours times the offer's flex (scale to zero) or active (warm) price is the
    # bill less the network volume (at most weights GB x 0.07 USD/GB-month).
    from advisor.decide import recommend

    cat = _one_model("z-image-turbo")
    offer = cat.rentals[OFFER]
    flex, active = offer.on_demand_usd_per_hour.high, offer.on_demand_usd_per_hour.low
    max_storage_usd = max(w.value for w in cat.pipelines["z-image-turbo"].weights_on_disk_gb.values()) * 0.07 \
        if cat.pipelines["z-image-turbo"].weights_on_disk_gb else 0.0
    grid = sorted({int(round(v)) for v in np.geomspace(100, 3_000_000, 25)})
    costs: dict[str, list[float]] = {}
    for v in grid:
        result = recommend(_studio(v), cat)
        chosen = [o for o in result.options if o.offer == OFFER and o.serverless_mode]
        assert {o.serverless_mode for o in chosen} == set(SUFFIXES), v
        for o in chosen:
            costs.setdefault(o.id, []).append(o.monthly_cost_usd)
            price = flex if o.serverless_mode == "scale-to-zero" else active
            rental = o.cost_breakdown_usd["rental"]
            assert o.gpu_hours_per_month * price <= rental * (1 + 1e-12), (o.id, v)
            assert rental <= o.gpu_hours_per_month * price + max_storage_usd + 1e-9, (o.id, v)
    assert len(costs) >= 3
    for oid, series in costs.items():
        assert len(series) == len(grid), oid
        for (v0, c0), (v1, c1) in zip(zip(grid, series), zip(grid[1:], series[1:])):
            assert c1 >= c0 * (1 - 1e-12), f"{oid}: {v0:,} images ${c0:,.2f} -> {v1:,} images ${c1:,.2f}"


def test_serverless_bill_at_three_million_images_hand():
    # FLUX.2 [klein] 4B bf16 at a fixed 1 s/image (so the bill depends on catalog prices and the billing model only):
    # 3,000,000 images, 1 per request, 1 / 0.98 attempts -> s = 1.0204082 s a request; 8 h x 21.74 working days
    # = 626,112 s -> lam = 4.7914750/s, lam s = 4.8892602 busy -> 5 workers at u = 0.9582950/s, rho = 0.9778520;
    # p = exp(-5 u) = 0.0083002. Cold start 60 s boot + 15.96 GB at 0.5 GB/s from a network volume = 91.92 s
    # (storage 15.96 x 0.07 = 1.1172 USD/month) or at 0.1 GB/s downloaded = 219.6 s (no storage).
    from advisor.decide import recommend
    from advisor.perf import PerfEstimate

    def fixed(req, catalog):
        return PerfEstimate(request=req, seconds_per_image=1.0, stages_seconds={"denoise": 1.0}, seconds_per_step=0.25,
                            cold_start_seconds=30.0, peak_vram_gib=10.0, fits=True, offload="none",
                            energy_per_image_joules=300.0, board_power_watts=300.0, system_power_watts=400.0,
                            uncertainty=0.1, bound="compute", notes=())

    result = recommend(_studio(3_000_000), _one_model("flux-2-klein-4b"), estimator=fixed)
    n, s, days, window_s = 3e6, 1 / 0.98, 21.74, 8 * 21.74 * 3600
    lam = n / window_s
    k = math.floor(lam * s) + 1
    u = lam / k
    rho, p = u * s, math.exp(-u * 5)
    assert k == 5 and p == pytest.approx(0.0083002, abs=1e-7)

    def flex_bill(cold: float, storage_usd: float) -> float:
        den = 1 + p * u * cold  # requests per busy period x (1 - rho)
        steady = n * p * (1 - rho) / den
        colds = steady + k * days * (1 - p)  # every worker starts cold each working day
        seconds = n * (s + p * cold + (1 - rho) * (1 - p) / u) / den + (colds - steady) * cold
        return (seconds + colds * 0.5) * 1.12 / 3600 + storage_usd  # half a second of round-up per run

    stz = result.option(f"cloud-gpu:{OFFER}:flux-2-klein-4b:bf16")
    expected = min(flex_bill(91.92, 15.96 * 0.07), flex_bill(219.6, 0.0))
    # the five workers are on ~99 % of the 173.92 h window: about 5 x 173.92 x 1.12 = 974 USD
    assert stz.cost_breakdown_usd["rental"] == pytest.approx(expected, rel=1e-9)
    assert 900 < expected < 5 * 173.92 * 1.12 + 10
    assert stz.gpus_needed == 5
    # active window: ceil(3e6 x 1.0204082 / 3600 h = 850.34 h of work / 173.92 h) = 5 workers, each started once a
    # working day with the weights downloaded (no storage): 5 x 21.74 x (8 + 219.6 / 3600) h x 0.76 USD/h
    win = result.option(f"cloud-gpu:{OFFER}:flux-2-klein-4b:bf16:active-window")
    assert win.cost_breakdown_usd["rental"] == pytest.approx(5 * 21.74 * (8 + 219.6 / 3600) * 0.76, rel=1e-9)
    # always warm: ceil(850.34 / 730.5) = 2 workers day and night: 2 x 730.5 h x 0.76 USD/h
    warm = result.option(f"cloud-gpu:{OFFER}:flux-2-klein-4b:bf16:always-warm")
    assert warm.cost_breakdown_usd["rental"] == pytest.approx(2 * 730.5 * 0.76, rel=1e-9)

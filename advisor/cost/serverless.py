"""Serverless GPU billing as it runs: cold starts, idle timeouts and warm workers (pure formulas).

A serverless endpoint (RunPod Serverless, docs.runpod.io/serverless/pricing) bills a worker "from when it starts
until it fully stops, rounded up to the nearest second": its start (container boot + weight load + compile), the
requests it runs, and the idle timeout it waits after its last request before it stops (default 5 s). Three ways
to run one, each a separate option of the decision engine:

* **scale-to-zero** (flex workers): no worker runs between requests; a request that finds no warm worker waits for
  a cold start, which is also billed. The endpoint runs k = floor(lam x s) + 1 workers (the fewest that keep up with
  Poisson arrivals at rate ``lam`` [1/s] of requests of ``s`` seconds), each taking 1/k of the arrivals (Poisson
  thinning): each is an M/G/1 queue whose busy periods start cold when the worker has been idle longer than the
  idle timeout ``T`` (probability p = exp(-u T) at its rate u = lam / k; Kleinrock, *Queueing Systems Vol. 1*
  (1975) sec. 2.6) and the first service of a cold busy period is the cold start plus the request (M/G/1 with an
  exceptional first service: Welch, *Operations Research* 12(5) (1964) 736-752). A worker is billed from start
  to stop: its busy periods and the idle time it waits, E[min(gap, T)] = (1 - p) / u, after each
  (:func:`scale_to_zero_worker_seconds_per_request`). Requests that arrive while a worker starts or runs queue
  behind it and are not cold starts of their own. The first request of each working day finds every worker
  stopped (the night is longer than any idle timeout). The real dispatcher pools the workers (a free warm worker
  takes the next request), which keeps them busier than independent 1/k shares: the bill is a little high, never
  below the generation time it contains.
* **active window**: warm (active) workers kept on through the working hours, started once a day (one billed cold
  start each), none at night.
* **always warm**: active workers on day and night (730.5 h a month), no cold start for any request.

Units are in the names; times [s], rates [1/s], prices [USD/h], bills [USD/month].
"""

from __future__ import annotations

import math

from advisor.errors import InputError

SECONDS_PER_HOUR = 3600.0
HOURS_PER_MONTH = 365.25 * 24 / 12  # 730.5 h: mean month of the Julian year (as advisor.cost.tco)
#: the three ways to run a serverless offer (option id suffixes)
MODES = ("scale-to-zero", "active-window", "always-warm")


def _nonneg(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        raise InputError(name, value, "a finite number >= 0")
    return float(value)


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise InputError(name, value, "a finite number > 0")
    return float(value)


def cold_start_probability(arrival_rate_per_second: float, idle_timeout_seconds: float) -> float:
    """P(a request finds no warm worker) = exp(-lam x T) for Poisson arrivals at ``lam`` [1/s] and idle timeout
    ``T`` [s] (see the module doc). [-]

    An idle timeout of 0 is refused: no provider stops a worker the instant it finishes (RunPod's minimum is 1 s).
    """
    lam = _positive("arrival_rate_per_second", arrival_rate_per_second)
    timeout = _positive("idle_timeout_seconds", idle_timeout_seconds)
    return math.exp(-lam * timeout)


def expected_idle_seconds(arrival_rate_per_second: float, idle_timeout_seconds: float) -> float:
    """Billed idle time after a request: E[min(gap, T)] = (1 - exp(-lam T)) / lam, gap ~ Exp(lam). [s]"""
    lam = _positive("arrival_rate_per_second", arrival_rate_per_second)
    timeout = _positive("idle_timeout_seconds", idle_timeout_seconds)
    return -math.expm1(-lam * timeout) / lam


def cold_start_seconds(boot_seconds: float, load_seconds: float, compile_seconds: float = 0.0) -> float:
    """A worker's start: container boot + weight load + torch.compile (when the option compiles). [s]"""
    return _nonneg("boot_seconds", boot_seconds) + _nonneg("load_seconds", load_seconds) + _nonneg(
        "compile_seconds", compile_seconds)


def scale_to_zero_workers(arrival_rate_per_second: float, service_seconds_per_request: float) -> int:
    """Workers a scale-to-zero endpoint runs: the fewest that keep up, k = floor(lam x s) + 1, so that each
    worker's load u x s = lam x s / k stays below 1 (a stable queue). [-]"""
    lam = _nonneg("arrival_rate_per_second", arrival_rate_per_second)
    service = _positive("service_seconds_per_request", service_seconds_per_request)
    return int(math.floor(lam * service + 1e-12)) + 1


def scale_to_zero_worker_seconds_per_request(rate_per_worker_per_second: float, service_seconds_per_request: float,
                                             cold_seconds: float, idle_timeout_seconds: float) -> tuple[float, float]:
    """(billed worker seconds, cold starts) per request for one scale-to-zero worker in steady state.

    The worker is an M/G/1 queue at rate u [1/s] with load rho = u s < 1. After a busy period it waits idle; the next
    busy period starts cold with p = exp(-u T) (the gap exceeded the timeout), its first service then being C + s
    (Welch 1964). A busy period started by work x lasts x / (1 - rho) and serves 1 + u x / (1 - rho) requests, so
    per busy period: requests E[N] = (1 + p u C) / (1 - rho), billed time (s + p C) / (1 - rho) + (1 - p) / u
    (busy + idle E[min(gap, T)]), cold starts p. Per request:
    seconds = (s + p C + (1 - rho)(1 - p) / u) / (1 + p u C), cold starts = p (1 - rho) / (1 + p u C).
    A rare request (u -> 0) costs C + s + T and is always cold. [s], [-]
    """
    u = _positive("rate_per_worker_per_second", rate_per_worker_per_second)
    s = _positive("service_seconds_per_request", service_seconds_per_request)
    c = _nonneg("cold_seconds", cold_seconds)
    rho = u * s
    if rho >= 1:
        raise InputError("rate_per_worker_per_second", u, f"below 1 / service time ({1 / s:.4g}/s): one worker "
                         "cannot keep up; use more workers (scale_to_zero_workers)")
    p = cold_start_probability(u, idle_timeout_seconds)
    per_period = 1.0 + p * u * c
    idle = -math.expm1(-u * idle_timeout_seconds) / u  # (1 - p) / u without cancellation at small u
    return (s + p * c + (1.0 - rho) * idle) / per_period, p * (1.0 - rho) / per_period


def scale_to_zero_billed_seconds(requests_per_month: float, arrival_rate_per_second: float,
                                 service_seconds_per_request: float, cold_seconds: float, idle_timeout_seconds: float,
                                 working_days_per_month: float) -> tuple[float, float, int]:
    """(billed worker seconds, cold starts, workers) a month of a scale-to-zero endpoint (module doc).

    k = :func:`scale_to_zero_workers` workers each at rate lam / k; billed = requests x seconds per request +
    the day starts' extra cold starts x C, where each worker's first request of a working day is cold (the steady
    state counts it cold with p only): k x days x (1 - p) more, and never more cold starts than requests.
    [s/month], [1/month], [-]
    """
    n = _nonneg("requests_per_month", requests_per_month)
    days = _nonneg("working_days_per_month", working_days_per_month)
    c = _nonneg("cold_seconds", cold_seconds)
    if n == 0:
        return 0.0, 0.0, 0
    lam = _positive("arrival_rate_per_second", arrival_rate_per_second)
    k = scale_to_zero_workers(lam, service_seconds_per_request)
    seconds, cold = scale_to_zero_worker_seconds_per_request(lam / k, service_seconds_per_request, c,
                                                             idle_timeout_seconds)
    p = cold_start_probability(lam / k, idle_timeout_seconds)
    steady = n * cold
    colds = min(n, steady + k * days * (1.0 - p))
    return n * seconds + (colds - steady) * c, colds, k


def billed_run_seconds(total_seconds: float, runs: float, minimum_billing_seconds: float = 0.0,
                       billing_increment_seconds: float = 1.0) -> float:
    """``total_seconds`` of worker time over ``runs`` worker runs (start to stop), each rounded up to the billing
    increment and raised to the minimum. A run's length is spread over many increments, so its expected round-up
    is half an increment: max(runs x minimum, total + runs x increment / 2). [s]"""
    total = _nonneg("total_seconds", total_seconds)
    n = _nonneg("runs", runs)
    inc = _positive("billing_increment_seconds", billing_increment_seconds)
    if n == 0 or total == 0:
        return 0.0
    return max(n * _nonneg("minimum_billing_seconds", minimum_billing_seconds), total + n * inc / 2)


def scale_to_zero_usd_per_month(billed_seconds_per_month: float, flex_usd_per_hour: float) -> float:
    """Bill of flex workers: billed seconds / 3600 x flex price. [USD/month]"""
    return _nonneg("billed_seconds_per_month", billed_seconds_per_month) / SECONDS_PER_HOUR * _nonneg(
        "flex_usd_per_hour", flex_usd_per_hour)


def active_window_hours_per_month(workers: int, working_hours_per_day: float, working_days_per_month: float,
                                  cold_seconds: float) -> float:
    """Active workers kept on through the working hours, each started once a working day (its cold start billed
    before the window opens): workers x days x (hours + cold start / 3600). [h/month]"""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError("workers", workers, "an integer >= 1")
    hours = _positive("working_hours_per_day", working_hours_per_day)
    if hours > 24:
        raise InputError("working_hours_per_day", hours, "at most 24")
    days = _nonneg("working_days_per_month", working_days_per_month)
    return workers * days * (hours + _nonneg("cold_seconds", cold_seconds) / SECONDS_PER_HOUR)


def always_warm_hours_per_month(workers: int) -> float:
    """Active workers on day and night: workers x 730.5 h. [h/month]"""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError("workers", workers, "an integer >= 1")
    return workers * HOURS_PER_MONTH


def warm_usd_per_month(hours_per_month: float, active_usd_per_hour: float) -> float:
    """Bill of active workers: hours x active price. [USD/month]"""
    return _nonneg("hours_per_month", hours_per_month) * _nonneg("active_usd_per_hour", active_usd_per_hour)

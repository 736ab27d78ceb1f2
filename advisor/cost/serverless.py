"""Serverless GPU billing as it runs: cold starts, idle timeouts and warm workers (pure formulas).

A serverless endpoint (RunPod Serverless, docs.runpod.io/serverless/pricing) bills a worker "from when it starts
until it fully stops, rounded up to the nearest second": its start (container boot + weight load + compile), the
requests it runs, and the idle timeout it waits after its last request before it stops (default 5 s). Three ways
to run one, each a separate option of the decision engine:

* **scale-to-zero** (flex workers): no worker runs between requests; a request that finds no warm worker waits for
  a cold start, which is also billed. With Poisson arrivals at rate ``lam`` [1/s] a worker that just finished a
  request is still warm when the next one arrives if the gap is shorter than the idle timeout ``T``:
  P(cold) = P(gap > T) = exp(-lam T) (the exponential inter-arrival law of a Poisson process; Kleinrock,
  *Queueing Systems Vol. 1* (1975) sec. 2.6). It bills the idle time it waits, E[min(gap, T)] = (1 - exp(-lam T))
  / lam per request (the mean of an exponential truncated at T). The first request of each working day always
  finds the worker stopped (the night is longer than any idle timeout).
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


def cold_starts_per_month(requests_per_month: float, cold_probability: float, working_days_per_month: float) -> float:
    """Expected cold starts of a scale-to-zero endpoint. [1/month]

    The first request of each working day is always cold and every later one is cold with ``cold_probability``:
    ``min(requests, requests x p + days x (1 - p))`` (never more cold starts than requests).
    """
    n = _nonneg("requests_per_month", requests_per_month)
    p = _nonneg("cold_probability", cold_probability)
    if p > 1:
        raise InputError("cold_probability", p, "a probability between 0 and 1")
    days = _nonneg("working_days_per_month", working_days_per_month)
    return min(n, n * p + days * (1.0 - p))


def scale_to_zero_billed_seconds(requests_per_month: float, service_seconds_per_request: float,
                                 cold_starts: float, cold_seconds: float, idle_seconds_per_request: float) -> float:
    """Billed worker time of a scale-to-zero endpoint:
    requests x (service + idle) + cold starts x cold start. [s/month]"""
    n = _nonneg("requests_per_month", requests_per_month)
    return n * (_nonneg("service_seconds_per_request", service_seconds_per_request)
                + _nonneg("idle_seconds_per_request", idle_seconds_per_request)) + _nonneg(
        "cold_starts", cold_starts) * _nonneg("cold_seconds", cold_seconds)


def billed_run_seconds(total_seconds: float, runs: float, minimum_billing_seconds: float = 0.0,
                       billing_increment_seconds: float = 1.0) -> float:
    """``total_seconds`` spread over ``runs`` worker runs (start to stop), each rounded up to the billing
    increment and raised to the minimum: runs x max(minimum, ceil(mean run / increment) x increment). [s]"""
    total = _nonneg("total_seconds", total_seconds)
    n = _nonneg("runs", runs)
    if n == 0 or total == 0:
        return 0.0
    inc = _positive("billing_increment_seconds", billing_increment_seconds)
    per_run = math.ceil(total / n / inc - 1e-9) * inc
    return n * max(per_run, _nonneg("minimum_billing_seconds", minimum_billing_seconds))


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

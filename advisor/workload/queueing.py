"""Turnaround of a team's image requests on k GPUs or a rate-limited API: SimPy discrete-event simulation.

Question answered: "my team sends requests like this; how long does a request take from submit to last image
(p50/p95/max) [minutes], and how many GPUs keep the p95 under a target?"

Model (choices, stated once here and relied on by the tests):

* **Arrivals.** Either a Poisson process with rate ``team_size x requests_per_person_per_hour`` that runs only
  inside each day's working window ``[day x 24 h, day x 24 h + working_hours_per_day)`` (given the count of a
  window, Poisson arrival times are iid uniform in it), or fixed *bursts*: at ``at_hour`` hours after the start
  of each working day every team member submits ``requests`` requests at once. ``days`` counts working days
  (weekends are not modelled). No request arrives outside the working window.
* **Carry-over.** The queue is *not* flushed at the end of a day: GPUs (or the API) keep serving after hours
  until every submitted request is done, and work left at the next morning competes with new arrivals.
  The simulation ends when the last request completes.
* **GPUs** (:class:`GPUServers`): ``k`` identical GPUs behind one FIFO queue. A request of ``n`` images goes
  to ONE GPU, which renders its images back to back (how ComfyUI / A1111 style workers run a prompt with a
  batch count; splitting one request over several GPUs would shorten a lone large request but needs a
  scheduler small teams rarely run, so this is the conservative choice). The time per image is lognormal with
  mean ``seconds_per_image`` and coefficient of variation ``relative_sd`` (deterministic when 0); a request's
  service time is the sum of its ``n`` independent image times.
* **Scale-to-zero serverless workers** (:class:`~advisor.workload.scale_to_zero.ServerlessServers`): as GPUs, but a
  worker idle longer than its timeout has stopped and the request it takes first waits its cold start
  (:mod:`advisor.workload.scale_to_zero`).
* **API** (:class:`APIServers`): every image is a separate call; at most ``concurrency_limit`` calls are in
  flight, extra calls wait FIFO (a request's images enter the queue in order at its arrival). A request
  finishes when its last image returns. Call latency is lognormal as above (deterministic by default).
* **Wait** of a request: time from arrival until its first image starts. **Turnaround**: arrival until its
  last image is done.
* **Utilisation**: busy server-seconds / (servers x simulated period), where the period runs from the start
  of day 1 to the later of the end of the last working window and the last completion.
  ``utilisation_working_hours`` counts only busy time and capacity inside the working windows.
* **Percentiles** use numpy's default linear interpolation (Hyndman & Fan type 7).
* **Kernel**: :func:`simulate_turnaround` computes the FIFO queue by the Kiefer-Wolfowitz recursion
  (:mod:`advisor.workload.fifo`), which the tests check job by job against the SimPy model
  :func:`_simulate_fifo_seconds` (still used by :func:`simulate_queue`); it is about 100 times faster.
* **Reproducibility**: all random numbers are drawn up front from ``numpy.random.default_rng(seed)``
  (arrivals first, then service times in request order) and SimPy is deterministic, so the same seed gives the
  same result; the draws do not depend on the number of servers, so :func:`gpus_needed` compares k values on
  common random numbers.

Closed forms (tests and docs only): Kleinrock, *Queueing Systems Vol. 1: Theory* (1975): M/M/1 and M/M/m with
the Erlang C formula in ch. 3 (birth-death queues in equilibrium); M/G/1 and the Pollaczek-Khinchine mean-value
formula, and the exponential M/M/1 FIFO sojourn-time distribution, in ch. 5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from advisor.errors import InputError
from advisor.workload.fifo import fifo_start_end_seconds
from advisor.workload.scale_to_zero import ServerlessServers, scale_to_zero_start_end_seconds

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
DEFAULT_MAX_JOBS = 2_000_000  # guard: jobs (GPU requests or API image calls) one simulation may hold

# (rng, n) -> n service times [s]
ServiceSampler = Callable[[np.random.Generator, int], np.ndarray]


# --- validation ---------------------------------------------------------------------------------


def _require_int(field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(field, value, f"an integer >= {minimum}")
    return int(value)


def _require_positive(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise InputError(field, value, "a finite number > 0")
    if not (math.isfinite(value) and value > 0):
        raise InputError(field, value, "a finite number > 0")
    return float(value)


def _require_nonneg(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise InputError(field, value, "a finite number >= 0")
    if not (math.isfinite(value) and value >= 0):
        raise InputError(field, value, "a finite number >= 0")
    return float(value)


# --- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    """Every team member submits ``requests`` requests at ``at_hour`` hours after the start of each working day."""

    at_hour: float  # [h] since the start of the working day
    requests: int  # per person

    def __post_init__(self) -> None:
        _require_nonneg("bursts.at_hour", self.at_hour)
        _require_int("bursts.requests", self.requests, 1)


def _parse_bursts(bursts: Any) -> tuple[Burst, ...]:
    if not isinstance(bursts, (list, tuple)):
        raise InputError("bursts", bursts, "a list of {at_hour: float, requests: int >= 1}")
    if not bursts:
        raise InputError("bursts", bursts, "a non-empty list of {at_hour: float, requests: int >= 1}")
    parsed = []
    for item in bursts:
        if isinstance(item, Burst):
            parsed.append(item)
        elif isinstance(item, dict) and set(item) == {"at_hour", "requests"}:
            parsed.append(Burst(at_hour=item["at_hour"], requests=item["requests"]))
        else:
            raise InputError("bursts[]", item, "a dict with exactly the keys at_hour, requests")
    return tuple(parsed)


@dataclass(frozen=True)
class Workload:
    """Who sends what, when: a team, its request rate (or bursts), images per request, working days.

    Exactly one of ``requests_per_person_per_hour`` [1/h per person] and ``bursts`` is given. ``bursts`` is a
    list of ``{"at_hour": float, "requests": int}`` (or :class:`Burst`); it is stored as a tuple of Burst.
    """

    team_size: int
    requests_per_person_per_hour: float | None = None
    bursts: tuple[Burst, ...] | None = None
    images_per_request: int = 1
    working_hours_per_day: float = 8.0  # [h]
    days: int = 1  # working days simulated

    def __post_init__(self) -> None:
        _require_int("team_size", self.team_size, 1)
        _require_int("images_per_request", self.images_per_request, 1)
        _require_int("days", self.days, 1)
        hours = self.working_hours_per_day
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not (0 < hours <= 24):
            raise InputError("working_hours_per_day", hours, "a number with 0 < hours <= 24")
        if self.requests_per_person_per_hour is None and self.bursts is None:
            raise InputError("requests_per_person_per_hour", None, "a number > 0, or give bursts instead")
        if self.requests_per_person_per_hour is not None and self.bursts is not None:
            raise InputError("bursts", self.bursts, "None when requests_per_person_per_hour is given (not both)")
        if self.requests_per_person_per_hour is not None:
            _require_positive("requests_per_person_per_hour", self.requests_per_person_per_hour)
        if self.bursts is not None:
            bursts = _parse_bursts(self.bursts)
            for burst in bursts:
                if not burst.at_hour < hours:
                    raise InputError("bursts.at_hour", burst.at_hour, f"0 <= at_hour < working_hours_per_day ({hours})")
            object.__setattr__(self, "bursts", bursts)


@dataclass(frozen=True)
class GPUServers:
    """``k`` identical GPUs, one FIFO queue; a request runs on one GPU, its images back to back.

    ``seconds_per_image`` [s] is the mean time per image; ``relative_sd`` [-] its coefficient of variation
    (lognormal; 0 = deterministic).
    """

    k: int
    seconds_per_image: float
    relative_sd: float = 0.0

    def __post_init__(self) -> None:
        _require_int("k", self.k, 1)
        _require_positive("seconds_per_image", self.seconds_per_image)
        _require_nonneg("relative_sd", self.relative_sd)


@dataclass(frozen=True)
class APIServers:
    """An API that runs at most ``concurrency_limit`` calls at once; each image is one call.

    ``latency_seconds_per_image`` [s] is the mean latency of one call; ``relative_sd`` [-] its coefficient of
    variation (lognormal; 0 = deterministic).
    """

    concurrency_limit: int
    latency_seconds_per_image: float
    relative_sd: float = 0.0

    def __post_init__(self) -> None:
        _require_int("concurrency_limit", self.concurrency_limit, 1)
        _require_positive("latency_seconds_per_image", self.latency_seconds_per_image)
        _require_nonneg("relative_sd", self.relative_sd)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnaroundResult:
    """Per-request turnaround statistics of one simulation (all requests of all simulated days).

    Turnarounds and waits in [min]; utilisations are fractions [-]; with no request simulated every
    time statistic is 0.
    """

    servers: GPUServers | APIServers
    seed: int
    requests_simulated: int
    images_simulated: int
    p50_turnaround_minutes: float
    p95_turnaround_minutes: float
    max_turnaround_minutes: float
    mean_turnaround_minutes: float
    mean_wait_minutes: float
    utilisation: float  # busy server-seconds / (servers x simulated period)
    utilisation_working_hours: float  # same, counting only time inside the working windows
    simulated_period_hours: float  # [h] start of day 1 .. max(end of last working window, last completion)
    cold_starts: int = 0  # requests that waited for a worker's cold start (ServerlessServers only)


@dataclass(frozen=True, eq=False)
class QueueResult:
    """Per-customer times of a plain FIFO queue run by :func:`simulate_queue` [s], in arrival order."""

    arrival_seconds: np.ndarray
    waiting_seconds: np.ndarray  # arrival -> service start
    response_seconds: np.ndarray  # arrival -> service end (sojourn time)
    busy_fraction: float  # busy server-seconds / (servers x time of the last departure) [-]


# --- service-time samplers ----------------------------------------------------------------------


def lognormal_mu_sigma(mean: float, relative_sd: float) -> tuple[float, float]:
    """Parameters (mu, sigma) of ln X for a lognormal X with the given mean and coefficient of variation.

    sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2 (moments of the lognormal: E[X] = exp(mu + sigma^2/2),
    Var[X] = (exp(sigma^2) - 1) E[X]^2; Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions
    Vol. 1, ch. 14).
    """
    sigma2 = math.log1p(relative_sd * relative_sd)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def lognormal_sampler(mean_seconds: float, relative_sd: float) -> ServiceSampler:
    """Sampler of lognormal service times with mean ``mean_seconds`` [s] and CV ``relative_sd`` (0 = constant)."""
    _require_positive("mean_seconds", mean_seconds)
    _require_nonneg("relative_sd", relative_sd)
    if relative_sd == 0:
        return deterministic_sampler(mean_seconds)
    mu, sigma = lognormal_mu_sigma(mean_seconds, relative_sd)
    return lambda rng, n: rng.lognormal(mu, sigma, n)


def exponential_sampler(mean_seconds: float) -> ServiceSampler:
    """Sampler of exponential service times with mean ``mean_seconds`` [s] (the M in M/M/c)."""
    _require_positive("mean_seconds", mean_seconds)
    return lambda rng, n: rng.exponential(mean_seconds, n)


def deterministic_sampler(seconds: float) -> ServiceSampler:
    """Sampler that returns ``seconds`` [s] every time (the D in M/D/1); draws no random numbers."""
    _require_positive("seconds", seconds)
    return lambda rng, n: np.full(n, float(seconds))


# --- arrivals -----------------------------------------------------------------------------------


def team_rate_per_second(workload: Workload) -> float:
    """Poisson arrival rate of the whole team during working hours: team x rate per person / 3600. [1/s]"""
    return workload.team_size * workload.requests_per_person_per_hour / SECONDS_PER_HOUR


def working_window_seconds(workload: Workload) -> float:
    """Length of one working day. [s]"""
    return workload.working_hours_per_day * SECONDS_PER_HOUR


def poisson_arrival_seconds(rate_per_second: float, window_seconds: float, days: int,
                            rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times [s since start of day 1] of a Poisson process active only in daily windows.

    Per day: count ~ Poisson(rate x window), times iid uniform in ``[day x 86400, day x 86400 + window)``
    (order statistics property of the Poisson process; Kleinrock Vol. 1 sec. 2.6 / Ross, Stochastic
    Processes, Thm 2.3.1).
    """
    counts = rng.poisson(rate_per_second * window_seconds, days)
    offsets = rng.uniform(0.0, window_seconds, int(counts.sum()))
    day_start = np.repeat(np.arange(days) * SECONDS_PER_DAY, counts)
    out = day_start + offsets
    out.sort(kind="stable")
    return out


def burst_arrival_seconds(workload: Workload) -> np.ndarray:
    """Arrival times [s since start of day 1] of burst requests: team x requests at each burst, every day."""
    times = []
    for day in range(workload.days):
        for burst in workload.bursts:
            at = day * SECONDS_PER_DAY + burst.at_hour * SECONDS_PER_HOUR
            times.extend([at] * (workload.team_size * burst.requests))
    out = np.asarray(times, dtype=float)
    out.sort(kind="stable")
    return out


def expected_requests(workload: Workload) -> float:
    """Expected number of requests over all simulated days. [-]"""
    if workload.bursts is not None:
        return float(workload.days * workload.team_size * sum(b.requests for b in workload.bursts))
    return team_rate_per_second(workload) * working_window_seconds(workload) * workload.days


# --- the SimPy kernel ---------------------------------------------------------------------------


def _simulate_fifo_seconds(arrival_seconds: Sequence[float], service_seconds: Sequence[float],
                           servers: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times [s] of jobs in a FIFO queue with ``servers`` identical servers (SimPy).

    One arrival process puts job indices into a ``simpy.Store`` (FIFO) at their arrival times; ``servers``
    server processes take the oldest waiting job whenever they are free and hold it for its service time.
    ``arrival_seconds`` must be sorted.
    """
    n = len(arrival_seconds)
    arrivals = list(map(float, arrival_seconds))
    services = list(map(float, service_seconds))
    start = [0.0] * n
    end = [0.0] * n
    env = simpy.Environment()
    queue = simpy.Store(env)

    def arrive():
        for i, t in enumerate(arrivals):
            if t > env.now:
                yield env.timeout(t - env.now)
            queue.put(i)

    def serve():
        while True:
            i = yield queue.get()
            start[i] = env.now
            yield env.timeout(services[i])
            end[i] = env.now

    env.process(arrive())
    for _ in range(servers):
        env.process(serve())
    env.run()  # ends when no event is left: every job served, servers blocked on an empty store
    return np.asarray(start), np.asarray(end)


def simulate_queue(arrival_rate_per_second: float, service_sampler: ServiceSampler, servers: int,
                   n_requests: int, seed: int) -> QueueResult:
    """Waiting and response times [s] of ``n_requests`` Poisson arrivals in a FIFO ``servers``-server queue.

    Starts empty. Interarrival times ~ Exp(rate) are drawn first, then the service times from
    ``service_sampler(rng, n_requests)``, from ``numpy.random.default_rng(seed)``.
    """
    rate = _require_positive("arrival_rate_per_second", arrival_rate_per_second)
    servers = _require_int("servers", servers, 1)
    n = _require_int("n_requests", n_requests, 1)
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, n))
    services = np.asarray(service_sampler(rng, n), dtype=float)
    start, end = _simulate_fifo_seconds(arrivals, services, servers)
    busy = float(np.sum(end - start)) / (servers * float(end.max()))
    return QueueResult(arrival_seconds=arrivals, waiting_seconds=start - arrivals,
                       response_seconds=end - arrivals, busy_fraction=busy)


# --- utilisation --------------------------------------------------------------------------------


def busy_seconds_in_windows(start_seconds: np.ndarray, end_seconds: np.ndarray, window_seconds: float,
                            days: int) -> float:
    """Busy time [s] of service intervals ``[start, end)`` that falls inside the daily working windows."""
    total = 0.0
    for day in range(days):
        lo = day * SECONDS_PER_DAY
        hi = lo + window_seconds
        total += float(np.sum(np.clip(np.minimum(end_seconds, hi) - np.maximum(start_seconds, lo), 0.0, None)))
    return total


def simulated_period_seconds(workload: Workload, last_completion_seconds: float) -> float:
    """From the start of day 1 to the later of the end of the last working window and the last completion. [s]"""
    last_window_end = (workload.days - 1) * SECONDS_PER_DAY + working_window_seconds(workload)
    return max(last_window_end, last_completion_seconds)


# --- orchestrators ------------------------------------------------------------------------------


def simulate_turnaround(workload: Workload, servers: GPUServers | APIServers | ServerlessServers, seed: int = 0,
                        max_jobs: int = DEFAULT_MAX_JOBS) -> TurnaroundResult:
    """Simulate the team's requests on ``servers`` and fill a :class:`TurnaroundResult` (see module doc).

    ``max_jobs`` bounds the expected number of simulated jobs (requests on GPUs, image calls on an API) so a
    mistyped rate fails fast with an InputError instead of running for minutes.
    """
    if not isinstance(workload, Workload):
        raise InputError("workload", type(workload).__name__, "a Workload")
    if not isinstance(servers, (GPUServers, APIServers, ServerlessServers)):
        raise InputError("servers", type(servers).__name__, "GPUServers, APIServers or ServerlessServers")
    n_img = workload.images_per_request
    jobs_per_request = n_img if isinstance(servers, APIServers) else 1
    if expected_requests(workload) * jobs_per_request > max_jobs:
        raise InputError("workload", f"~{expected_requests(workload) * jobs_per_request:.0f} jobs",
                         f"at most max_jobs={max_jobs} simulated jobs; lower the rate, team or days")

    rng = np.random.default_rng(seed)
    if workload.bursts is not None:
        arrivals = burst_arrival_seconds(workload)
    else:
        arrivals = poisson_arrival_seconds(team_rate_per_second(workload), working_window_seconds(workload),
                                           workload.days, rng)
    n_req = len(arrivals)
    window = working_window_seconds(workload)
    if n_req == 0:
        period = simulated_period_seconds(workload, 0.0)
        return TurnaroundResult(servers=servers, seed=seed, requests_simulated=0, images_simulated=0,
                                p50_turnaround_minutes=0.0, p95_turnaround_minutes=0.0, max_turnaround_minutes=0.0,
                                mean_turnaround_minutes=0.0, mean_wait_minutes=0.0, utilisation=0.0,
                                utilisation_working_hours=0.0, simulated_period_hours=period / SECONDS_PER_HOUR)

    cold_starts = 0
    if isinstance(servers, (GPUServers, ServerlessServers)):
        sampler = lognormal_sampler(servers.seconds_per_image, servers.relative_sd)
        image_seconds = sampler(rng, n_req * n_img).reshape(n_req, n_img)
        if isinstance(servers, GPUServers):
            start, end = fifo_start_end_seconds(arrivals, image_seconds.sum(axis=1), servers.k)
        else:
            start, end, cold = scale_to_zero_start_end_seconds(arrivals, image_seconds.sum(axis=1), servers.k,
                                                              servers.cold_start_seconds,
                                                              servers.idle_timeout_seconds)
            cold_starts = int(cold.sum())
        first_start, last_end, n_servers = start, end, servers.k
    else:
        sampler = lognormal_sampler(servers.latency_seconds_per_image, servers.relative_sd)
        call_seconds = sampler(rng, n_req * n_img)
        start, end = fifo_start_end_seconds(np.repeat(arrivals, n_img), call_seconds, servers.concurrency_limit)
        # images of a request are consecutive jobs: first starts first (FIFO), the request ends with its last call
        first_start = start.reshape(n_req, n_img).min(axis=1)
        last_end = end.reshape(n_req, n_img).max(axis=1)
        n_servers = servers.concurrency_limit

    turnaround_minutes = (last_end - arrivals) / SECONDS_PER_MINUTE
    wait_minutes = (first_start - arrivals) / SECONDS_PER_MINUTE
    p50, p95 = np.percentile(turnaround_minutes, [50.0, 95.0])
    busy = float(np.sum(end - start))
    period = simulated_period_seconds(workload, float(last_end.max()))
    busy_in_hours = busy_seconds_in_windows(start, end, window, workload.days)
    return TurnaroundResult(
        servers=servers,
        seed=seed,
        requests_simulated=n_req,
        images_simulated=n_req * n_img,
        p50_turnaround_minutes=float(p50),
        p95_turnaround_minutes=float(p95),
        max_turnaround_minutes=float(turnaround_minutes.max()),
        mean_turnaround_minutes=float(turnaround_minutes.mean()),
        mean_wait_minutes=float(wait_minutes.mean()),
        utilisation=busy / (n_servers * period),
        utilisation_working_hours=busy_in_hours / (n_servers * window * workload.days),
        simulated_period_hours=period / SECONDS_PER_HOUR,
        cold_starts=cold_starts,
    )


def gpus_needed(workload: Workload, seconds_per_image: float, relative_sd: float, p95_target_minutes: float,
                k_max: int = 64, seed: int = 0) -> tuple[int | None, dict[int, TurnaroundResult]]:
    """Smallest number of GPUs k (1..k_max) whose simulated p95 turnaround is <= ``p95_target_minutes`` [min].

    Returns ``(k, results)``: ``k`` is None when no k up to ``k_max`` meets the target; ``results`` maps every k
    tried (1 up to the answer, or up to k_max) to its :class:`TurnaroundResult` (for a chart of p95 vs k).
    Every k uses the same seed, hence the same arrivals and image times (common random numbers); for a FIFO
    queue with identical servers every request's wait is then non-increasing in k (Kiefer & Wolfowitz 1955
    workload-vector recursion is monotone), so p95 is non-increasing in k and the first k that meets the target
    is the smallest.
    """
    target = _require_positive("p95_target_minutes", p95_target_minutes)
    k_max = _require_int("k_max", k_max, 1)
    results: dict[int, TurnaroundResult] = {}
    for k in range(1, k_max + 1):
        result = simulate_turnaround(workload, GPUServers(k, seconds_per_image, relative_sd), seed=seed)
        results[k] = result
        if result.p95_turnaround_minutes <= target:
            return k, results
    return None, results


# --- closed forms (tests and docs) --------------------------------------------------------------


def _require_stable(lam: float, capacity: float, what: str) -> None:
    if not lam < capacity:
        raise InputError("lam", lam, f"< {what} = {capacity} (a stable queue, utilisation < 1)")


def mm1_mean_wait_seconds(lam: float, mu: float) -> float:
    """Mean time in queue (before service) of M/M/1: Wq = rho / (mu - lam), rho = lam / mu. [s]

    ``lam`` arrival rate [1/s], ``mu`` service rate [1/s]. Kleinrock Vol. 1 ch. 3: T = 1/(mu - lam) minus the mean
    service time 1/mu.
    """
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    _require_stable(lam, mu, "mu")
    return (lam / mu) / (mu - lam)


def mg1_mean_wait_seconds(lam: float, mean_service_seconds: float, service_cv: float) -> float:
    """Mean time in queue of M/G/1, Pollaczek-Khinchine: Wq = lam E[S^2] / (2 (1 - rho)). [s]

    E[S^2] = (1 + cv^2) E[S]^2, rho = lam E[S]. Kleinrock Vol. 1 ch. 5 (P-K mean-value formula).
    """
    _require_positive("lam", lam)
    _require_positive("mean_service_seconds", mean_service_seconds)
    _require_nonneg("service_cv", service_cv)
    _require_stable(lam, 1.0 / mean_service_seconds, "1 / mean_service_seconds")
    rho = lam * mean_service_seconds
    second_moment = (1.0 + service_cv * service_cv) * mean_service_seconds * mean_service_seconds
    return lam * second_moment / (2.0 * (1.0 - rho))


def md1_mean_wait_seconds(lam: float, service_seconds: float) -> float:
    """Mean time in queue of M/D/1 (P-K with cv = 0): Wq = rho S / (2 (1 - rho)), rho = lam S. [s]"""
    return mg1_mean_wait_seconds(lam, service_seconds, 0.0)


def erlang_c_probability_wait(c: int, lam: float, mu: float) -> float:
    """Erlang C: probability that an arrival to M/M/c waits. [-]

    With offered load a = lam / mu and rho = a / c < 1:
    C = (a^c / c!) / (1 - rho) / (sum_{k<c} a^k / k! + (a^c / c!) / (1 - rho)). Kleinrock Vol. 1 ch. 3 (M/M/m).
    Terms are built iteratively (a^k / k! = previous x a / k) to avoid overflowing factorials.
    """
    c = _require_int("c", c, 1)
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    _require_stable(lam, c * mu, "c x mu")
    a = lam / mu
    rho = a / c
    term = 1.0  # a^0 / 0!
    partial = 0.0
    for k in range(c):
        partial += term
        term *= a / (k + 1)  # now a^(k+1) / (k+1)!
    tail = term / (1.0 - rho)  # (a^c / c!) / (1 - rho)
    return tail / (partial + tail)


def mmc_mean_wait_seconds(c: int, lam: float, mu: float) -> float:
    """Mean time in queue of M/M/c: Wq = C(c, a) / (c mu - lam). [s] Kleinrock Vol. 1 ch. 3 (M/M/m)."""
    return erlang_c_probability_wait(c, lam, mu) / (c * mu - lam)


def mm1_response_time_quantile_seconds(p: float, lam: float, mu: float) -> float:
    """p-quantile of the M/M/1 FIFO response (sojourn) time, which is Exp(mu - lam): -ln(1 - p) / (mu - lam). [s]

    Kleinrock Vol. 1 ch. 5 (M/M/1 FIFO sojourn-time density (mu - lam) exp(-(mu - lam) t)).
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not (0 < p < 1):
        raise InputError("p", p, "a probability with 0 < p < 1")
    _require_positive("lam", lam)
    _require_positive("mu", mu)
    _require_stable(lam, mu, "mu")
    return -math.log1p(-p) / (mu - lam)

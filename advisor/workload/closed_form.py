"""Closed-form turnaround for workloads too large to simulate: Erlang C with the Allen-Cunneen correction.

:func:`closed_form_turnaround` answers the same question as :func:`advisor.workload.queueing.simulate_turnaround`
(p50 / p95 / max turnaround [min] and utilisation of a team's requests on k GPUs, k scale-to-zero workers or an
API) in microseconds, for workloads whose simulation would hold more jobs than the budget allows.

Method (Poisson arrivals at the team's working-hour rate, steady state inside the working window):

* **Waiting.** M/M/c probability of waiting C (Erlang C, Kleinrock Vol. 1 ch. 3) and the Allen-Cunneen mean wait
  for general arrivals and service, Wq = C / (c mu - lam) x (ca^2 + cs^2) / 2 (Allen, *Probability, Statistics
  and Queueing Theory*, 2nd ed. 1990, sec. 6.4; Gross & Harris, *Fundamentals of Queueing Theory*, 4th ed. sec.
  7.2). The wait is 0 with probability 1 - C and exponential with mean Wq / C otherwise (the exact M/M/c FIFO
  waiting-time law, its mean corrected by Allen-Cunneen).
* **Service** of one request: the sum of its n lognormal image times, matched to a lognormal with the same mean
  and variance (Fenton, IRE Trans. Commun. Syst. 8 (1960) 57-67), represented by 100 equally likely quantile
  points; scale-to-zero workers add their cold start to the requests that find no warm worker: exp(-lam x idle
  timeout) of those that arrive to an empty system (:mod:`advisor.cost.serverless`; Welch's exceptional first
  service for the share); an API's request of n images on c parallel calls takes ceil(n / c) calls in a
  row and its image calls arrive in batches of n (interarrival SCV ca^2 = 2n - 1).
* **Turnaround** R = wait + service; P(R > t) is summed over the service points and its p-quantile found by
  bisection. "max" is the 99.9th percentile (a closed form has no largest sample).
* **Overload** (lam E[S] >= c during the working hours): the queue grows through the day (fluid approximation):
  a request arriving t seconds into the window waits (rho - 1) t, plus the backlog the night did not clear.
* **Bursts**: every person's requests arrive at once; request j of a burst of N on c servers finishes after
  floor(j / c) + 1 service times (plus the backlog of earlier bursts).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from advisor.workload import queueing as Q
from advisor.workload.scale_to_zero import ServerlessServers

POINTS = 100  # quantile points of the service-time law
_Z = np.array([NormalDist().inv_cdf((i + 0.5) / POINTS) for i in range(POINTS)])


def allen_cunneen_mean_wait_seconds(c: int, lam: float, mean_service_seconds: float, service_scv: float,
                                    arrival_scv: float = 1.0) -> float:
    """Allen-Cunneen mean wait of G/G/c: Erlang C / (c mu - lam) x (ca^2 + cs^2) / 2. [s] (module doc)"""
    mu = 1.0 / mean_service_seconds
    return Q.mmc_mean_wait_seconds(c, lam, mu) * (arrival_scv + service_scv) / 2.0


def _service_points(mean_seconds: float, relative_sd: float, n: int) -> np.ndarray:
    """Equally likely points of the sum of n iid lognormal(mean, cv) image times (Fenton-Wilkinson). [s]"""
    m, cv = n * mean_seconds, relative_sd / math.sqrt(n)
    if cv == 0:
        return np.full(POINTS, m)
    mu, sigma = Q.lognormal_mu_sigma(m, cv)
    return np.exp(mu + sigma * _Z)


def _quantiles(points: np.ndarray, weights: np.ndarray, p_wait: float, wait_mean: float,
               qs: tuple[float, ...]) -> np.ndarray:
    """The ``qs``-quantiles [s] of wait + service, wait = 0 w.p. 1 - p_wait, else Exp(mean ``wait_mean``):
    P(R > t) = sum_i w_i (1 if s_i > t else p_wait exp(-(t - s_i) / wait_mean)) on a geometric grid of 256 t
    values from half the shortest service to beyond the largest quantile, inverted by linear interpolation (the
    grid step is under 4 % for a 10,000-fold span)."""
    def tail(t: np.ndarray) -> np.ndarray:
        gap = t[:, None] - points[None, :]
        expo = np.exp(-np.maximum(gap, 0.0) / wait_mean) * p_wait if wait_mean > 0 else np.zeros_like(gap)
        return np.where(gap < 0, 1.0, expo) @ weights

    hi = float(points.max()) + 1.0
    while tail(np.array([hi]))[0] > 1.0 - max(qs):
        hi *= 2.0
    grid = np.concatenate([[0.0], np.geomspace(max(float(points.min()) / 2.0, hi * 1e-9), hi, 256)])
    over = tail(grid)  # non-increasing in t
    return np.interp(1.0 - np.asarray(qs), over[::-1], grid[::-1])


def _result(servers, workload: Q.Workload, p50: float, p95: float, p999: float, mean_t: float, mean_w: float,
            busy_seconds: float, n_servers: int, n_req: float, cold: float = 0.0) -> Q.TurnaroundResult:
    window = Q.working_window_seconds(workload)
    period = max((workload.days - 1) * Q.SECONDS_PER_DAY + window, 1e-9)
    return Q.TurnaroundResult(
        servers=servers, seed=-1, requests_simulated=int(round(n_req)),
        images_simulated=int(round(n_req * workload.images_per_request)),
        p50_turnaround_minutes=p50 / 60.0, p95_turnaround_minutes=p95 / 60.0, max_turnaround_minutes=p999 / 60.0,
        mean_turnaround_minutes=mean_t / 60.0, mean_wait_minutes=mean_w / 60.0,
        utilisation=min(busy_seconds / (n_servers * period), 1.0),
        utilisation_working_hours=min(busy_seconds / (n_servers * window * workload.days), 1.0),
        simulated_period_hours=period / Q.SECONDS_PER_HOUR, cold_starts=int(round(cold)))


def _overloaded(points: np.ndarray, weights: np.ndarray, rho: float, workload: Q.Workload) -> tuple[float, ...]:
    """(p50, p95, p99.9, mean wait) [s] of a queue that grows through each working day (fluid, module doc)."""
    window = Q.working_window_seconds(workload)
    night = Q.SECONDS_PER_DAY - window
    grid = (np.arange(200) + 0.5) / 200 * window
    waits, backlog = [], 0.0
    for _ in range(workload.days):
        waits.append(backlog + (rho - 1.0) * grid)
        backlog = max(0.0, backlog + (rho - 1.0) * window - night)
    w = np.concatenate(waits)
    mean_s = float(np.sum(points * weights))
    p50, p95, p999 = np.percentile(w, [50.0, 95.0, 99.9]) + mean_s
    return float(p50), float(p95), float(p999), float(w.mean())


def closed_form_turnaround(workload: Q.Workload, servers) -> Q.TurnaroundResult:
    """Turnaround statistics of ``workload`` on ``servers`` (GPUServers, ServerlessServers or APIServers) in
    closed form (module doc). ``seed`` is -1 and counts are expected values."""
    n_img = workload.images_per_request
    n_req = Q.expected_requests(workload)
    weights = np.full(POINTS, 1.0 / POINTS)
    cold = 0.0
    if isinstance(servers, Q.APIServers):
        c = servers.concurrency_limit
        calls_in_row = math.ceil(n_img / c)
        points = calls_in_row * _service_points(servers.latency_seconds_per_image, servers.relative_sd, 1)
        job_mean, job_scv, arrival_scv = servers.latency_seconds_per_image, servers.relative_sd ** 2, 2.0 * n_img - 1
        jobs_per_request = n_img
    else:
        c = servers.k
        points = _service_points(servers.seconds_per_image, servers.relative_sd, n_img)
        if isinstance(servers, ServerlessServers) and workload.bursts is None:
            lam, m = Q.team_rate_per_second(workload), float(np.mean(points))
            p = math.exp(-lam * servers.idle_timeout_seconds)
            # requests that arrive while a worker starts queue behind it and find it warm: the cold share of
            # requests is p / E[requests per busy period] = p / (1 + lam E[X0] / (1 - rho)), X0 = the busy
            # period's first service m + p C (M/G/1 with exceptional first service: Welch, Oper. Res. 12 (1964)
            # 736-752; exact for one worker, an approximation for several)
            rho = lam * m / c
            p = p / (1.0 + lam * (m + p * servers.cold_start_seconds) / (1.0 - rho)) if rho < 1 else p
            points = np.concatenate([points, points + servers.cold_start_seconds])
            weights = np.concatenate([weights * (1.0 - p), weights * p])
            cold = n_req * p
        job_mean = float(np.sum(points * weights))
        job_scv = float(np.sum(points ** 2 * weights)) / job_mean ** 2 - 1.0
        arrival_scv, jobs_per_request = 1.0, 1
    busy = n_req * jobs_per_request * job_mean
    if workload.bursts is not None:
        # an API request of n <= c images occupies n of the c call slots: c // n requests run side by side
        c_req = max(1, c // n_img) if isinstance(servers, Q.APIServers) else c
        return _bursts(workload, servers, points, weights, c_req, n_req, busy, c)
    lam = Q.team_rate_per_second(workload) * jobs_per_request
    rho = lam * job_mean / c
    if rho >= 1.0:
        p50, p95, p999, mean_w = _overloaded(points, weights, rho, workload)
        mean_t = mean_w + float(np.sum(points * weights))
        return _result(servers, workload, p50, p95, p999, mean_t, mean_w, busy, c, n_req, cold)
    p_wait = Q.erlang_c_probability_wait(c, lam, 1.0 / job_mean)
    wq = allen_cunneen_mean_wait_seconds(c, lam, job_mean, job_scv, arrival_scv)
    cond = wq / p_wait if p_wait > 0 else 0.0
    p50, p95, p999 = _quantiles(points, weights, p_wait, cond, (0.5, 0.95, 0.999)).tolist()
    return _result(servers, workload, p50, p95, p999, wq + float(np.sum(points * weights)), wq, busy, c, n_req,
                   cold)


def _bursts(workload: Q.Workload, servers, points: np.ndarray, weights: np.ndarray, c: int,
            n_req: float, busy: float, n_servers: int) -> Q.TurnaroundResult:
    """Bursts in closed form (module doc): deterministic order, mean service per request."""
    s = float(np.sum(points * weights))
    backlog, t_prev, samples, w_all = 0.0, 0.0, [], []
    for b in sorted(workload.bursts, key=lambda x: x.at_hour):
        at = b.at_hour * Q.SECONDS_PER_HOUR
        backlog = max(0.0, backlog - (at - t_prev))
        n = workload.team_size * b.requests
        j = np.linspace(0, n - 1, min(n, 1000))
        samples.append(backlog + (np.floor(j / c) + 1.0) * s)
        w_all.append(np.full(len(j), n / len(j)))
        backlog += n * s / c
        t_prev = at
    t = np.concatenate(samples)
    w = np.concatenate(w_all)
    order = np.argsort(t)
    cdf = np.cumsum(w[order]) / w.sum()

    def q(p: float) -> float:
        return float(t[order][min(np.searchsorted(cdf, p), len(t) - 1)])

    mean_t = float(np.sum(t * w) / w.sum())
    return _result(servers, workload, q(0.5), q(0.95), q(0.999), mean_t, max(mean_t - s, 0.0), busy, n_servers,
                   n_req)

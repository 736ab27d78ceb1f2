"""Scale-to-zero serverless workers in the SimPy turnaround: a request that finds no warm worker waits a cold start.

Model (:func:`simulate_scale_to_zero_seconds`, SimPy; :func:`advisor.workload.queueing.simulate_turnaround` runs
the same model by the recursion :func:`scale_to_zero_start_end_seconds`, which the tests compare with it request by
request):

* up to ``k`` workers (the endpoint's max workers), one FIFO queue of requests;
* a worker that finished a request stays warm for ``idle_timeout_seconds`` and then stops; a stopped worker that
  takes a request first runs its cold start (boot + weight load + compile) and then the request, so that request's
  turnaround includes the cold start;
* a waiting request goes to the warm idle worker freed most recently (autoscalers keep the warm ones busy), else
  to a stopped worker, which starts; with every worker busy or starting it waits in the queue.

With one worker and Poisson arrivals at rate ``lam`` a request that arrives to an empty system finds the worker
stopped with probability exp(-lam x idle timeout) (:func:`advisor.cost.serverless.cold_start_probability`); the
tests check the simulated fraction against it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from advisor.errors import InputError


def _check(name: str, value: float, positive: bool) -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        raise InputError(name, value, "a finite number > 0" if positive else "a finite number >= 0")


@dataclass(frozen=True)
class ServerlessServers:
    """Up to ``k`` scale-to-zero workers: mean ``seconds_per_image`` [s] (lognormal, CV ``relative_sd``), a
    ``cold_start_seconds`` [s] start for a stopped worker, stopped after ``idle_timeout_seconds`` [s] idle."""

    k: int
    seconds_per_image: float
    relative_sd: float
    cold_start_seconds: float
    idle_timeout_seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise InputError("k", self.k, "an integer >= 1")
        _check("seconds_per_image", self.seconds_per_image, True)
        _check("relative_sd", self.relative_sd, False)
        _check("cold_start_seconds", self.cold_start_seconds, False)
        _check("idle_timeout_seconds", self.idle_timeout_seconds, True)


def simulate_scale_to_zero_seconds(arrival_seconds: Sequence[float], service_seconds: Sequence[float],
                                   servers: int, cold_start_seconds: float,
                                   idle_timeout_seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end [s] and cold flag of each request (SimPy; see the module doc). ``arrival_seconds`` sorted.

    ``start`` is when a worker takes the request (its cold start, if any, begins); ``end`` = start + cold start
    (if cold) + service.
    """
    n = len(arrival_seconds)
    arrivals = list(map(float, arrival_seconds))
    services = list(map(float, service_seconds))
    start, end, cold = [0.0] * n, [0.0] * n, [False] * n
    env = simpy.Environment()
    waiting: deque[int] = deque()
    idle = [(-math.inf, s) for s in range(servers)]  # (freed at [s], worker); -inf: never started

    def run(worker: int, i: int, is_cold: bool):
        start[i], cold[i] = env.now, is_cold
        yield env.timeout(services[i] + (cold_start_seconds if is_cold else 0.0))
        end[i] = env.now
        idle.append((env.now, worker))
        dispatch()

    def dispatch() -> None:
        while waiting and idle:
            j = max(range(len(idle)), key=lambda x: idle[x][0])  # the most recently freed worker
            freed, worker = idle.pop(j)
            i = waiting.popleft()
            env.process(run(worker, i, env.now - freed > idle_timeout_seconds))

    def arrive():
        for i, t in enumerate(arrivals):
            if t > env.now:
                yield env.timeout(t - env.now)
            waiting.append(i)
            dispatch()

    env.process(arrive())
    env.run()
    return np.asarray(start), np.asarray(end), np.asarray(cold, dtype=bool)


def scale_to_zero_start_end_seconds(arrival_seconds: Sequence[float], service_seconds: Sequence[float],
                                    servers: int, cold_start_seconds: float,
                                    idle_timeout_seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same start, end [s] and cold flags as :func:`simulate_scale_to_zero_seconds`, by recursion over the
    requests in arrival order (FIFO): request i starts at max(arrival, the earliest time a worker is free) on the
    free worker freed most recently, cold when that worker has been idle longer than the timeout. The tests
    compare it with the SimPy model request by request; it costs O(k) per request instead of an event list."""
    a = np.asarray(arrival_seconds, dtype=float).tolist()
    s = np.asarray(service_seconds, dtype=float).tolist()
    free = [-math.inf] * servers  # when each worker was last freed; -inf: never started
    start, end, cold = np.empty(len(a)), np.empty(len(a)), np.zeros(len(a), dtype=bool)
    for i, (t, x) in enumerate(zip(a, s)):
        earliest = min(free)
        t0 = t if t > earliest else earliest
        w = max((j for j in range(servers) if free[j] <= t0), key=free.__getitem__)
        is_cold = t0 - free[w] > idle_timeout_seconds
        free[w] = t0 + (cold_start_seconds if is_cold else 0.0) + x
        start[i], end[i], cold[i] = t0, free[w], is_cold
    return start, end, cold

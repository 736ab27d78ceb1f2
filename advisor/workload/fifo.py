"""Start and end times of a FIFO queue with identical servers by the Kiefer-Wolfowitz recursion (no event list).

For jobs taken in arrival order by ``k`` identical servers, job i starts at max(its arrival, the earliest time a
server is free) and that server is then busy until start + service (Kiefer & Wolfowitz, "On the theory of queues
with many servers", Trans. AMS 78 (1955) 1-18: the workload-vector recursion). This is exactly what the SimPy
model of :func:`advisor.workload.queueing._simulate_fifo_seconds` computes (the tests compare them job by job), at
a small fraction of its cost: a heap of k free times per job, and for one server Lindley's recursion in closed
vector form D_i = C_i + max_{j <= i}(A_j - C_{j-1}) with C the cumulative service times (Lindley, Proc. Camb.
Phil. Soc. 48 (1952) 277-289). :func:`advisor.workload.queueing.simulate_turnaround` uses it for warm GPUs and
APIs; scale-to-zero workers, whose service depends on each worker's history, keep the SimPy model.
"""

from __future__ import annotations

import heapq

import numpy as np


def fifo_start_end_seconds(arrival_seconds: np.ndarray, service_seconds: np.ndarray,
                           servers: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times [s] of each job (sorted ``arrival_seconds`` [s], ``service_seconds`` [s])."""
    a = np.asarray(arrival_seconds, dtype=float)
    s = np.asarray(service_seconds, dtype=float)
    if servers == 1:
        c = np.cumsum(s)
        end = c + np.maximum.accumulate(a - (c - s))
        return end - s, end
    free = [0.0] * servers  # every server is free from time 0 (arrivals are >= 0)
    start = np.empty(len(a))
    for i, (t, x) in enumerate(zip(a.tolist(), s.tolist())):
        f = free[0]
        st = t if t > f else f
        heapq.heapreplace(free, st + x)
        start[i] = st
    return start, start + s

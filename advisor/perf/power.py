"""Board power and energy per image: a utilisation model, not TDP x time.

    P_board = P_idle + (P_board_limit - P_idle) x u^alpha                                          [W]
    u = (t_compute x u_compute + t_memory x u_memory + t_transfer x u_transfer) / t_total           [1]
    E_image = P_board x t_image                                                                      [J]
    P_system = P_board + rest_of_system_watts                                                         [W]

``rest_of_system_watts`` is the desktop around a card (catalog defaults: CPU, board, fans, PSU loss) unless the GPU
is a machine sold whole (Apple Silicon, DGX Spark): there ``board_power_watts`` is the SoC package (with its unified
memory) under a GPU load, ``idle_power_watts`` the whole machine idle at the wall, and the GPU entry's own
``rest_of_system_watts`` / ``rest_of_system_idle_watts`` the watts outside the package (power-supply loss, fans,
SSD) and 0 at idle, so no watt is counted twice (:func:`rest_of_system`).

(same shape as GenZ ``power.py``: static + utilisation-weighted dynamic power; ML.ENERGY warns that TDP is not
measured power.) ``u_*`` and ``alpha`` are fitted by :func:`fit_power` on NVML profiles (mean denoise board power of
measured runs) when present; otherwise priors (compute-bound 0.85, memory-bound 0.6, PCIe waits 0.15, alpha 1).
The result is always within [idle, board limit].
"""

from __future__ import annotations

import math

from advisor.catalog import GPU


def utilisation(params, compute_seconds: float, memory_seconds: float, transfer_seconds: float) -> float:
    """Time-weighted utilisation in [0, 1] [1]."""
    total = compute_seconds + memory_seconds + transfer_seconds
    if total <= 0:
        return 0.0
    u = (compute_seconds * params.compute_utilisation + memory_seconds * params.memory_utilisation
         + transfer_seconds * params.transfer_utilisation) / total
    return min(1.0, max(0.0, u))


def power_at_utilisation(idle_watts: float, limit_watts: float, u: float, alpha: float) -> float:
    """P = idle + (limit - idle) x u^alpha, clamped to [idle, limit] [W] (the one place the formula is written)."""
    p = idle_watts + (limit_watts - idle_watts) * u**alpha
    return min(limit_watts, max(idle_watts, p))


def power_at_compute_fraction(idle_watts: float, limit_watts: float, compute_fraction: float, params) -> float:
    """Board power of a run that spends ``compute_fraction`` of its time compute-bound and the rest memory-bound or
    waiting (u = f x u_compute + (1 - f) x u_memory) [W]; what :func:`fit_power` fits and the leave-one-out check uses."""
    u = compute_fraction * params.compute_utilisation + (1 - compute_fraction) * params.memory_utilisation
    return power_at_utilisation(idle_watts, limit_watts, u, params.alpha)


def board_power(gpu: GPU, params, compute_seconds: float, memory_seconds: float, transfer_seconds: float) -> float:
    """Mean board power while generating [W], clamped to [idle, board limit]."""
    u = utilisation(params, compute_seconds, memory_seconds, transfer_seconds)
    return power_at_utilisation(gpu.idle_power_watts.value, gpu.board_power_watts.value, u, params.alpha)


def rest_of_system(gpu: GPU, defaults) -> tuple[float, float]:
    """The machine's power outside the GPU board/package: (while generating, idle) [W].

    A machine sold whole gives its own figures (``GPU.rest_of_system_watts`` / ``rest_of_system_idle_watts``: its
    idle power is already the whole machine's ``idle_power_watts``); a card goes into a desktop whose figures are
    ``defaults.rest_of_system_watts`` / ``rest_of_system_idle_watts`` (profiles/defaults.yaml).
    """
    busy = gpu.rest_of_system_watts if getattr(gpu, "rest_of_system_watts", None) is not None \
        else defaults.rest_of_system_watts
    idle = gpu.rest_of_system_idle_watts if getattr(gpu, "rest_of_system_idle_watts", None) is not None \
        else defaults.rest_of_system_idle_watts
    return busy.value, idle.value


def energy_joules(power_watts: float, seconds: float) -> float:
    """Energy = power x time [J]."""
    return power_watts * seconds


def fit_power(samples: list[tuple[float, float, float, float]], prior) -> dict:
    """Fit ``compute_utilisation`` and ``memory_utilisation`` from measured (idle_W, limit_W, measured_W, compute_fraction).

    ``measured_W`` is the NVML board energy of a run / its duration; ``compute_fraction`` the simulator's share of
    the run's time in compute-bound op classes (the rest: memory-bound classes, per-step overheads, idle gaps).
    Least squares on the relative error of P over a grid (u_c 0.5..1.0, u_m 0.2..1.0, step 0.01); ``alpha`` is kept
    at ``prior.alpha``: with every measured run > 80% compute-bound, alpha and u_c are not separately identifiable.
    Returns the fitted fields (prior values when ``samples`` is empty).
    """
    best = {"alpha": prior.alpha, "compute_utilisation": prior.compute_utilisation,
            "memory_utilisation": prior.memory_utilisation}
    if not samples:
        return best
    best_err = math.inf
    for ui in range(51):
        uc = 0.5 + 0.01 * ui
        for mi in range(81):
            um = 0.2 + 0.01 * mi
            err = 0.0
            for idle, limit, measured, fc in samples:
                p = power_at_utilisation(idle, limit, fc * uc + (1 - fc) * um, prior.alpha)
                err += ((p - measured) / measured) ** 2
            if err < best_err - 1e-15:
                best_err = err
                best = {"alpha": prior.alpha, "compute_utilisation": round(uc, 3), "memory_utilisation": round(um, 3)}
    return best

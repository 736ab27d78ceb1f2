"""The uncertain assumptions of the risk analysis, and where cost is linear in one, its closed form.

Used by :mod:`advisor.decide.risk`. Two things live here:

1. **Assumption factors** (:func:`assumption_factors`, :func:`option_factor_parts`): every assumption the engine
   fixes that moves the answer, as a named multiplicative factor around the engine's value (1 = as costed), with
   its stated range:

   * people's time, each input of ``profiles/defaults.yaml`` ``people_time`` over its stated low..high range
     (hours per kind and the hourly rate; a value set outside that range is kept fixed);
   * ``startup``: the boot + weight load (+ compile) time of rentals and serverless cold starts,
     x :data:`STARTUP_FACTORS` (a choice: no provider publishes boot times; measured RunPod cold starts run from
     7 s to 7 min, dev.to/sergeyshmakov "How RunPod FlashBoot Actually Works", 2026-05-27);
   * ``reclaims``: spot reclaims per GPU-hour x :data:`RECLAIM_FACTORS` (a choice: no published reclaim rates);
   * ``api_price``: image API list prices x :data:`API_PRICE_FACTORS` (a choice: list prices of image APIs have
     mostly fallen since 2024; the catalog holds one dated price per offer);
   * ``steps``: the denoising steps a studio really runs x :data:`STEPS_FACTORS` (a choice: between the model
     card's trade-off and the library default), scaling GPU time;
   * ``keep:<model>``: attempts per kept image = 1 / keep rate, with the keep rate +-:data:`KEEP_RATE_SPREAD`
     (a choice: the published keep rates are single-reviewer figures on about 100 images, whose 95 % Wilson
     half-widths are 0.05-0.07), scaling GPU time and API images.

   Each factor is uniform over its range (the maximum-entropy law given only bounds, as the other ranges).
2. **Linear inputs** (:func:`lines`): an option's monthly cost as a + s x for one input x, from the engine's own
   parts (volume: fixed + per-image; electricity: kWh x price; GPU price: hardware x factor; a licence fee; the
   people's hourly rate; the API price factor). :func:`linear_flip` solves where another option's line crosses the
   recommendation's, in closed form, instead of root finding on the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

STARTUP_FACTORS = (0.5, 2.0)
RECLAIM_FACTORS = (0.25, 4.0)
API_PRICE_FACTORS = (0.7, 1.1)
STEPS_FACTORS = (0.8, 1.25)
KEEP_RATE_SPREAD = 0.1
KEEP_RATE_FLOOR = 0.05

#: people's-time part of an option (advisor.cost.people) -> the input that scales it (setup depends on the kind)
PART_INPUT = {"software_upkeep": "upkeep_hours_per_month", "hardware_upkeep": "hardware_upkeep_hours_per_month",
              "operator": "operator_minutes_per_session", "reclaims": "reclaim_minutes_per_event"}
SETUP_INPUT = {"owned": "setup_hours", "purchase": "setup_hours", "rental": "rental_setup_hours",
               "serverless": "rental_setup_hours", "api": "api_setup_hours"}


def _kind(o: Any) -> str:
    if o.deployment == "api":
        return "api"
    if o.hardware in ("owned", "purchase"):
        return o.hardware
    return "rental" if getattr(o, "started_by_hand", False) else "serverless"


def keep_factor_range(keep: float) -> tuple[float, float]:
    """Attempts factor (base keep / sampled keep) at the ends of keep +- the spread, floored and capped at 1. [-]"""
    lo_keep = max(KEEP_RATE_FLOOR, keep - KEEP_RATE_SPREAD)
    hi_keep = min(1.0, keep + KEEP_RATE_SPREAD)
    return keep / hi_keep, keep / lo_keep


def assumption_factors(result: Any, options: list[Any]) -> tuple[dict[str, tuple[float, float]], dict[str, Any]]:
    """The named factors (name -> (low, high), 1 = the engine's value) for ``options``, and their description."""
    a = result.assumptions
    factors: dict[str, tuple[float, float]] = {}
    described: dict[str, Any] = {}
    for name, (lo, hi) in (a.get("people_time_ranges") or {}).items():
        base = float(a.get(name) or 0.0)
        if base > 0 and lo <= base <= hi and hi > lo:
            factors[f"people:{name}"] = (lo / base, hi / base)
            described[f"people:{name}"] = {"low": lo, "high": hi, "base": base, "distribution": "uniform",
                                           "source": "profiles/defaults.yaml people_time (stated assumption)"}
    for name, rng, src in (("startup", STARTUP_FACTORS, "choice: boot + weight load times are assumptions"),
                           ("reclaims", RECLAIM_FACTORS, "choice: no provider publishes spot reclaim rates"),
                           ("api_price", API_PRICE_FACTORS, "choice: image API list prices move, mostly down"),
                           ("steps", STEPS_FACTORS, "choice: steps studios run vary around the stated setting")):
        factors[name] = rng
        described[name] = {"low_factor": rng[0], "high_factor": rng[1], "distribution": "uniform", "source": src}
    for o in options:
        key = f"keep:{o.model}"
        if key not in factors and o.keep_rate and "your" not in (o.keep_rate_source or ""):
            factors[key] = keep_factor_range(float(o.keep_rate))
            described[key] = {"keep_rate": o.keep_rate, "spread": KEEP_RATE_SPREAD, "distribution": "uniform "
                              "attempts factor", "source": f"choice: +-{KEEP_RATE_SPREAD:g} around the keep rate"}
    return factors, described


@dataclass(frozen=True)
class FactorParts:
    """An option's parts that the named factors scale: fixed parts [USD/month] each with the factors that scale
    it, and the factors of its GPU time and of its per-image price."""

    terms: tuple[tuple[float, tuple[str, ...]], ...]
    gpu_factors: tuple[str, ...]
    per_image_factors: tuple[str, ...]

    @property
    def fixed_usd(self) -> float:
        """The sum of the parts (they leave the option's plain fixed cost). [USD/month]"""
        return sum(u for u, _ in self.terms)


def option_factor_parts(o: Any, factors: dict[str, tuple[float, float]]) -> FactorParts:
    """Which of ``factors`` scale which part of option ``o`` (module doc)."""
    terms = []
    rate = "people:hourly_rate_usd" if "people:hourly_rate_usd" in factors else None
    for part, usd in (o.people_breakdown_usd or {}).items():
        if not usd:
            continue
        inp = SETUP_INPUT.get(_kind(o)) if part == "setup" else PART_INPUT.get(part)
        names = tuple(n for n in (f"people:{inp}" if inp else None, rate) if n and n in factors)
        if part == "reclaims" and "reclaims" in factors:
            names += ("reclaims",)
        terms.append((float(usd), names))
    startup = float(getattr(o, "startup_usd_per_month", 0.0) or 0.0)
    if startup > 0:
        terms.append((startup, ("startup",)))
    keep = f"keep:{o.model}" if f"keep:{o.model}" in factors else None
    gpu = tuple(n for n in ("steps", keep) if n and n in factors) if o.deployment != "api" else ()
    per_image = tuple(n for n in ("api_price", keep) if n and n in factors) if o.deployment == "api" else ()
    return FactorParts(tuple((u, n) for u, n in terms if n), gpu, per_image)


# --- linear inputs ------------------------------------------------------------------------------


def lines(result: Any, name: str) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(a, s, base) with cost_i(x) = a_i + s_i x for every option of ``result`` and input ``name``, anchored so
    that cost_i(base) is the engine's monthly cost; None when the cost is not linear in ``name`` here."""
    opts = result.options
    monthly = np.array([o.monthly_cost_usd for o in opts])
    volume = float(result.scenario["volume_images_per_month"])
    if name == "volume_images_per_month":
        s, base = np.array([o.variable_usd_per_image for o in opts]), volume
    elif name == "electricity_usd_per_kwh":
        s = np.array([o.fixed_kwh_per_month + volume * o.variable_kwh_per_image for o in opts])
        base = float(result.assumptions["electricity_usd_per_kwh"])
    elif name == "gpu_price_factor":  # the purchase (cards and the rest of the machine) x a factor
        s = np.array([o.cost_breakdown_usd.get("hardware", 0.0) if o.hardware == "purchase" else 0.0 for o in opts])
        base = 1.0
    elif name.startswith("license_fee:"):
        pipe = name.split(":", 1)[1]
        s = np.array([1.0 if (o.pipeline == pipe and o.deployment != "api" and o.cost_breakdown_usd.get("license", 0)
                              > 0) else 0.0 for o in opts])
        base = next((o.cost_breakdown_usd["license"] for o, si in zip(opts, s) if si), None)
        if base is None:
            return None
    elif name == "hourly_rate_usd":
        base = float(result.assumptions.get("hourly_rate_usd") or 0.0)
        if base <= 0:
            return None
        s = np.array([o.people_hours_per_month for o in opts])
    elif name == "api_price_factor":
        s, base = np.array([o.cost_breakdown_usd.get("api", 0.0) for o in opts]), 1.0
    else:
        return None
    return monthly - s * base, s, base


def linear_flip(a: np.ndarray, s: np.ndarray, group: np.ndarray, eligible: np.ndarray, base: float, lo: float,
                hi: float, direction: str) -> tuple[float, int] | None:
    """Nearest x beyond ``base`` (above: up to ``hi``; below: down to ``lo``) where an eligible option outside the
    winning ``group`` (the recommendation and its other precisions) becomes cheaper than every line of the group,
    and the cheapest eligible option just past it; None when none does within the range.

    Lines a_j + s_j x and a_g + s_g x cross at x = (a_j - a_g) / (s_g - s_j). Going up, j undercuts g beyond that
    point when s_j < s_g (never when s_j >= s_g and j is dearer at the base); j undercuts the whole group from the
    largest of its crossings with the group's lines; the flip is the smallest such point over j. Going down,
    mirrored.
    """
    sign = 1.0 if direction == "above" else -1.0
    others = eligible & ~group
    if not others.any() or not group.any():
        return None
    need = np.full(len(a), -math.inf)  # per j: the x (in the search direction) from which j beats every g
    for g in np.flatnonzero(group):
        ds = (s[g] - s) * sign  # > 0: j gains on g in the search direction
        gap = (a + s * base) - (a[g] + s[g] * base)  # j's cost minus g's at the base
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.where(gap <= 0, 0.0, np.where(ds > 0, gap / ds, math.inf))  # how far to travel
        need = np.maximum(need, dist)
    need = np.where(others, need, math.inf)
    j = int(np.argmin(need))
    dist = float(need[j])
    t = base + sign * dist
    if not math.isfinite(dist) or dist <= 0 or t > hi or t < lo:
        return None
    past = t + sign * max(abs(t), 1.0) * 1e-9
    cost = np.where(eligible, a + s * past, math.inf)
    return t, int(np.argmin(cost))

"""Flip thresholds of the risk analysis: the input values at which the engine's recommendation changes.

Used by :mod:`advisor.decide.risk` (step 3 of its module doc). Where every option's cost is linear in the input
(electricity price, GPU purchase price x a factor, the people's hourly rate, API prices x a factor, a licence fee)
the threshold is solved in closed form from the engine's own cost parts (:func:`advisor.decide.risk_inputs
.linear_flip`) with no engine run; the volume threshold is solved the same way and then checked with one engine
run just past it (volume also moves GPU counts, sessions and billing rounding). Where the closed form does not
apply (the engine ranks by quality, or the check fails) the threshold is searched ON THE ENGINE: a coarse outward
scan from the base value and bisection (:func:`advisor.workload.montecarlo.flip_threshold`), each evaluation
:func:`~advisor.decide.engine.recommend` with one input changed, on the catalog cut to the candidates (the cheapest
distinct choices at the base value and both ends of the range, :func:`_candidate_probe`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.catalog import Catalog, Sourced
from advisor.decide import risk_inputs as RI
from advisor.decide.engine import Estimator, Result, recommend
from advisor.errors import InputError
from advisor.fmt import usd
from advisor.workload import montecarlo as MC

#: flip searches: (lowest, highest) factor of the base value for volume and GPU price, range for electricity
VOLUME_FACTORS = (1 / 1024, 1024)
GPU_PRICE_FACTORS = (0.25, 4.0)
ELECTRICITY_RANGE_USD_PER_KWH = (0.0, 1.0)
LICENSE_FEE_MAX_FACTOR = 10.0  # licence fee searched from 0 to 10 x its catalog value
API_PRICE_SEARCH_FACTORS = (0.25, 4.0)  # API list prices searched from a quarter to 4 x the catalog's
RELATIVE_XTOL = 0.01  # bisection stops at 1 % of the threshold
#: flip searches run the engine on the cheapest distinct choices at the base value and both ends of the range
FLIP_CANDIDATES = 30
UNITS = {"volume_images_per_month": "images/month", "electricity_usd_per_kwh": "USD/kWh",
         "gpu_price_factor": "x catalog GPU prices", "license_fee": "USD/month", "hourly_rate_usd": "USD/h",
         "api_price_factor": "x catalog API prices"}


@dataclass
class Flip:
    """The recommendation changes when ``input`` crosses ``threshold`` going ``direction`` from its base value."""

    input: str
    direction: str  # below | above
    threshold: float
    base_value: float
    winner_id: str
    winner_label: str
    unit: str

    def phrase(self) -> str:
        if self.input == "volume_images_per_month":
            value = f"{self.threshold:,.0f} images a month"
        elif self.input == "electricity_usd_per_kwh":
            value = f"{usd(self.threshold)}/kWh"
        elif self.input == "gpu_price_factor":
            value = f"{self.threshold:.2f} x the catalog GPU prices"
        elif self.input == "api_price_factor":
            value = f"{self.threshold:.2f} x the catalog API prices"
        elif self.input == "hourly_rate_usd":
            value = f"{usd(self.threshold)}/h for people's time"
        else:
            value = f"{usd(self.threshold)}/month licence fee ({self.input.split(':', 1)[1]})"
        return f"{self.winner_label} wins {self.direction} {value}"


# --- steps 2 and 3: the engine with one input changed --------------------------------------------


def _same_perf(catalog: Catalog, estimator: Estimator) -> Estimator:
    """Run the simulator on ``catalog`` whatever priced copy the engine gets (prices do not change speed)."""
    return lambda req, _priced: estimator(req, catalog)


def _choice(o: Any) -> tuple:
    return (o.pipeline, o.deployment, o.hardware, o.gpu, o.provider if o.deployment != "self-host" else None)


class EngineProbe:
    """``recommend`` with one input changed; results memoised per (input, value)."""

    def __init__(self, scenario: Any, result: Result, catalog: Catalog, estimator: Estimator):
        self.scenario, self.result, self.catalog = scenario, result, catalog
        self.estimator = _same_perf(catalog, estimator)
        self.raw_estimator = estimator
        self._memo: dict[tuple[str, float], Result] = {}

    def run(self, name: str, value: float) -> Result:
        key = (name, float(value))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        sc, cat = self.scenario, self.catalog
        if name == "volume_images_per_month":
            upd: dict[str, Any] = {"volume_images_per_month": float(value)}
            ta = self.result.assumptions.get("turnaround")
            if ta and sc.bursts is None and sc.requests_per_person_per_hour is None:
                # the team's arrival pattern stays that of the base volume (the peak is the team's, not the month's)
                upd["requests_per_person_per_hour"] = ta["requests_per_person_per_hour"]
            sc = sc.model_copy(update=upd)
        elif name == "electricity_usd_per_kwh":
            sc = sc.model_copy(update={"electricity_usd_per_kwh": float(value)})
        elif name == "hourly_rate_usd":
            sc = sc.model_copy(update={"hourly_rate_usd": float(value)})
        elif name == "gpu_price_factor":
            cat = _scaled_gpu_prices(cat, float(value))
        elif name == "rental_price_end":  # 0 = every offer at its low quote, 1 = at its high quote
            cat = _rental_prices_at(cat, float(value))
        elif name == "simulator_error_factor":
            est = self.estimator
            res = recommend(sc, cat, lambda req, c: _scaled_estimate(est(req, c), float(value)))
            self._memo[key] = res
            return res
        elif name.startswith("license_fee:"):
            cat = _license_fee(cat, name.split(":", 1)[1], float(value))
        else:
            raise InputError("input", name, "volume_images_per_month, electricity_usd_per_kwh, gpu_price_factor, "
                                            "rental_price_end, simulator_error_factor, license_fee:<pipeline>")
        res = recommend(sc, cat, self.estimator)
        self._memo[key] = res
        return res

    def winner(self, name: str, value: float) -> Any:
        res = self.run(name, value)
        rid = res.recommendation.option_id
        return next((o for o in res.options if o.id == rid), None)


def _scaled_estimate(est: Any, factor: float) -> Any:
    import dataclasses

    return dataclasses.replace(est, seconds_per_image=est.seconds_per_image * factor,
                               stages_seconds={k: v * factor for k, v in est.stages_seconds.items()},
                               seconds_per_step=est.seconds_per_step * factor,
                               energy_per_image_joules=est.energy_per_image_joules * factor)


def _scaled_gpu_prices(catalog: Catalog, factor: float) -> Catalog:
    gpus = {}
    for slug, g in catalog.gpus.items():
        upd = {}
        if g.street_price_usd is not None:
            r = g.street_price_usd
            upd["street_price_usd"] = r.model_copy(update={"low": r.low * factor, "high": r.high * factor,
                                                           "note": f"risk: catalog range x {factor:g}"})
        if g.launch_price_usd is not None:
            upd["launch_price_usd"] = g.launch_price_usd.model_copy(
                update={"value": g.launch_price_usd.value * factor, "note": f"risk: catalog price x {factor:g}"})
        gpus[slug] = g.model_copy(update=upd) if upd else g
    return catalog.model_copy(update={"gpus": gpus})


def _rental_prices_at(catalog: Catalog, end: float) -> Catalog:
    rentals = {}
    for slug, r in catalog.rentals.items():
        upd = {}
        for name in ("on_demand_usd_per_hour", "spot_usd_per_hour"):
            rng = getattr(r, name, None)
            if rng is not None:
                v = rng.low + (rng.high - rng.low) * end
                upd[name] = rng.model_copy(update={"low": v, "high": v})
        rentals[slug] = r.model_copy(update=upd)
    return catalog.model_copy(update={"rentals": rentals})


def _license_fee(catalog: Catalog, pipeline: str, fee: float) -> Catalog:
    p = catalog.pipelines[pipeline]
    lic = p.license
    old = lic.fee_usd_per_month
    new = (old.model_copy(update={"value": fee}) if old is not None else
           Sourced(value=fee, source="risk: licence fee varied", as_of=dt_today()))
    pipes = dict(catalog.pipelines)
    pipes[pipeline] = p.model_copy(update={"license": lic.model_copy(update={"fee_usd_per_month": new})})
    return catalog.model_copy(update={"pipelines": pipes})


def dt_today():
    import datetime as dt

    return dt.date.today()


def _cut_catalog(catalog: Catalog, result: Result, option_ids: list[str], owned: str | None) -> Catalog:
    """The catalog cut down to what ``option_ids`` (options of ``result``) use, and the owned GPU."""
    by_id = {o.id: o for o in result.options}
    return _catalog_for(catalog, [by_id[oid] for oid in option_ids], owned)


def _catalog_for(catalog: Catalog, options: list[Any], owned: str | None) -> Catalog:
    """The catalog cut down to what ``options`` use (pipelines, GPUs, rental offers, APIs) and the owned GPU.

    Each option's numbers depend only on its own catalog entries and the scenario, so these options cost the same
    on the cut catalog as on the whole one (and the engine runs for them only)."""
    pipes, gpus, rentals, apis = set(), {owned} if owned else set(), set(), set()
    for o in options:
        if o.pipeline:
            pipes.add(o.pipeline)
        if o.gpu:
            gpus.add(o.gpu)
        if o.deployment == "cloud-gpu":
            rentals.add(o.offer)
        elif o.deployment == "api":
            apis.add(o.offer)
    return catalog.model_copy(update={
        "pipelines": {k: v for k, v in catalog.pipelines.items() if k in pipes},
        "gpus": {k: v for k, v in catalog.gpus.items() if k in gpus},
        "rentals": {k: v for k, v in catalog.rentals.items() if k in rentals},
        "apis": {k: v for k, v in catalog.apis.items() if k in apis}})


def _leading_distinct(result: Result, n: int) -> list[Any]:
    """The ``n`` cheapest options of ``result`` with distinct choices (model, deployment, card/offer)."""
    out, seen = [], set()
    for o in result.options:
        if _choice(o) not in seen:
            seen.add(_choice(o))
            out.append(o)
            if len(out) >= n:
                break
    return out


def _search(probe: EngineProbe, name: str, base_value: float, lo: float, hi: float, log: bool,
            steps: int = 6) -> list[Flip]:
    """Nearest value below and above ``base_value`` (within [lo, hi]) where the recommendation changes."""
    base_win = probe.winner(name, base_value)
    if base_win is None:
        return []
    base_key = _choice(base_win)
    out = []
    for direction, end in (("below", lo), ("above", hi)):
        if (direction == "below" and base_value <= lo) or (direction == "above" and base_value >= hi):
            continue
        grid = (np.geomspace(base_value, end, steps + 1) if log and end > 0 and base_value > 0
                else np.linspace(base_value, end, steps + 1))[1:]
        prev = base_value
        for x in grid:
            w = probe.winner(name, float(x))
            if w is None or _choice(w) != base_key:
                def f(v: float) -> float:
                    wv = probe.winner(name, v)
                    return -1.0 if (wv is not None and _choice(wv) == base_key) else 1.0

                a, b = (prev, float(x)) if prev < x else (float(x), prev)
                xtol = RELATIVE_XTOL * max(abs(a), abs(b), 1e-12)
                t = MC.flip_threshold(f, a, b, xtol=xtol) if f(a) != f(b) else float(x)
                w_at = probe.winner(name, float(x))
                if w_at is not None:
                    out.append(Flip(name, direction, float(t), base_value, w_at.id, w_at.label or w_at.id,
                                    UNITS.get(name.split(":")[0], "")))
                break
            prev = float(x)
    return out


def _candidate_probe(probe: EngineProbe, name: str, lo: float, hi: float) -> EngineProbe:
    """A probe on the catalog cut to the candidates for a flip of ``name`` in [lo, hi]: the
    :data:`FLIP_CANDIDATES` cheapest distinct choices at the base value and at both ends, by the options' linear
    costs (:func:`advisor.decide.risk_inputs.lines`; full engine runs at the ends only for an input without).

    Costs move monotonically (mostly linearly) with volume, electricity, GPU and licence prices, so an option that
    wins somewhere in [lo, hi] is among the cheapest at the base or at an end; the search then runs the engine on
    those options only (same numbers, a fraction of the time). Memoised per input."""
    key = ("candidates", name, lo, hi)
    hit = probe._memo.get(key)  # type: ignore[arg-type]
    if hit is not None:
        return hit
    options: dict[str, Any] = {}
    line = RI.lines(probe.result, name)
    if line is not None:
        a, slope, _ = line
        for x in (line[2], lo, hi):
            order = sorted(range(len(a)), key=lambda i: (a[i] + slope[i] * x, probe.result.options[i].id))
            seen: set = set()
            for i in order:
                o = probe.result.options[i]
                if _choice(o) not in seen:
                    seen.add(_choice(o))
                    options.setdefault(o.id, o)
                    if len(seen) >= FLIP_CANDIDATES:
                        break
    else:
        for res in (probe.result, probe.run(name, lo), probe.run(name, hi)):
            for o in _leading_distinct(res, FLIP_CANDIDATES):
                options.setdefault(o.id, o)
    small = EngineProbe(probe.scenario, probe.result,
                        _catalog_for(probe.catalog, list(options.values()), probe.scenario.gpu_owned),
                        probe.raw_estimator)
    small.estimator = probe.estimator
    probe._memo[key] = small  # type: ignore[index]
    return small


def _engine_input(name: str) -> bool:
    """Inputs :meth:`EngineProbe.run` can change."""
    return name in ("volume_images_per_month", "electricity_usd_per_kwh", "gpu_price_factor",
                    "hourly_rate_usd") or name.startswith("license_fee:")


#: inputs in which every option's cost is exactly linear (nothing else in the engine moves with them), so the
#: closed-form threshold needs no check on the engine; the volume also moves GPU counts, sessions and billing
#: rounding, so its closed-form threshold is checked with one engine run past it
EXACTLY_LINEAR = ("electricity_usd_per_kwh", "gpu_price_factor", "hourly_rate_usd", "api_price_factor")


def _closed_form_flips(probe: EngineProbe, name: str, base_value: float, lo: float, hi: float) -> list[Flip] | None:
    """The flips of ``name`` below and above ``base_value`` in closed form (:func:`advisor.decide.risk_inputs
    .linear_flip`); None when the closed form does not apply (the engine ranks by more than cost, or its
    recommendation is not the cheapest line at the base, or a volume threshold fails its check)."""
    res = probe.result
    if "quality" in res.scenario.get("needs", []):
        return None
    line = RI.lines(res, name)
    rec = next((i for i, o in enumerate(res.options) if o.id == res.recommendation.option_id), None)
    if line is None or rec is None:
        return None
    a, s, base = line
    opts = res.options
    w = opts[rec]
    eligible = np.array([o.license_fee_known == w.license_fee_known for o in opts])
    group = np.array([_choice(o) == _choice(w) for o in opts]) & eligible
    at_base = a + s * base
    if (at_base[eligible & ~group] < at_base[group].min() - 1e-9).any():
        return None  # the engine's pick is not the cheapest line: it ranks by more than cost here
    out = []
    for direction in ("below", "above"):
        hit = RI.linear_flip(a, s, group, eligible, base, lo, hi, direction)
        if hit is None:
            continue
        t, j = hit
        winner = opts[j]
        if name not in EXACTLY_LINEAR and not name.startswith("license_fee:"):
            refined = _refine_on_engine(_near_probe(probe, name, a, s, t, w, direction), name, w, t, base_value,
                                        lo, hi, direction)
            if refined is None:
                return None  # not linear enough here: search on the engine instead
            t, winner = refined
        out.append(Flip(name, direction, float(t), base_value, winner.id, winner.label or winner.id,
                        UNITS.get(name.split(":")[0], "")))
    return out


#: a closed-form threshold is checked on the engine over the cheapest distinct choices near it (by the lines)
NEAR_CANDIDATES = 12


def _near_probe(probe: EngineProbe, name: str, a: np.ndarray, s: np.ndarray, t: float, w: Any,
                direction: str) -> EngineProbe:
    """A probe on the catalog cut to ``w`` and the :data:`NEAR_CANDIDATES` cheapest distinct choices by their
    lines at ``t`` and 1.5, 2 and 4 times as far from it in the search direction (a small engine run each)."""
    opts = probe.result.options
    chosen: dict[str, Any] = {w.id: w}
    for f in (1.0, 1.5, 2.0, 4.0):
        x = t * f if direction == "above" else t / f
        seen: set = set()
        for i in np.argsort(a + s * x, kind="stable"):
            o = opts[int(i)]
            if _choice(o) not in seen:
                seen.add(_choice(o))
                chosen.setdefault(o.id, o)
                if len(seen) >= NEAR_CANDIDATES:
                    break
    small = EngineProbe(probe.scenario, probe.result,
                        _catalog_for(probe.catalog, list(chosen.values()), probe.scenario.gpu_owned),
                        probe.raw_estimator)
    small.estimator = probe.estimator
    return small


def _refine_on_engine(probe: EngineProbe, name: str, w: Any, t: float, base: float, lo: float, hi: float,
                      direction: str, steps: int = 8) -> tuple[float, Any] | None:
    """Check a closed-form threshold ``t`` on the engine: the winner just past it (1 %) must be another choice
    than ``w``; if it is not, step further out (2 %, 4 %, ... 128 % of ``t``, within the range) and bisect on the engine
    between the last point that kept ``w`` and the first that did not, to :data:`RELATIVE_XTOL`. None when no
    flip shows within ``steps`` steps (the caller then searches the whole range)."""
    sign = -1.0 if direction == "below" else 1.0
    keep = base
    for k in range(steps):
        x = t * (1.0 + sign * RELATIVE_XTOL * 2 ** k)
        x = min(max(x, lo), hi)
        win = probe.winner(name, x)
        if win is not None and _choice(win) != _choice(w):
            if k == 0:
                return t, win
            a, b = sorted((keep if (keep - x) * sign < 0 else t, x))

            def f(v: float) -> float:
                wv = probe.winner(name, v)
                return -1.0 if (wv is not None and _choice(wv) == _choice(w)) else 1.0

            if f(a) == f(b):
                return None
            found = MC.flip_threshold(f, a, b, xtol=RELATIVE_XTOL * max(abs(a), abs(b), 1e-12))
            return (float(found), win) if found is not None else None
        keep = x
        if x in (lo, hi):
            break
    return None


def flip_thresholds(probe: EngineProbe) -> tuple[list[Flip], dict[str, list[float]]]:
    """Thresholds of volume, electricity price, GPU price factor, the people's hourly rate, API prices and the
    leading licence fee (module doc, step 3): in closed form where the cost is linear in the input, else (or when
    the closed form's check fails) by search on the engine over the candidates."""
    res = probe.result
    volume = float(res.scenario["volume_images_per_month"])
    price = float(res.assumptions["electricity_usd_per_kwh"])
    searched = {
        "volume_images_per_month": [max(volume * VOLUME_FACTORS[0], 1.0), min(volume * VOLUME_FACTORS[1], 1e9)],
        "electricity_usd_per_kwh": list(ELECTRICITY_RANGE_USD_PER_KWH),
        "gpu_price_factor": list(GPU_PRICE_FACTORS),
        "api_price_factor": list(API_PRICE_SEARCH_FACTORS),
    }
    base_values = {"volume_images_per_month": volume, "electricity_usd_per_kwh": price, "gpu_price_factor": 1.0,
                   "api_price_factor": 1.0}
    logs = {"volume_images_per_month": True, "electricity_usd_per_kwh": False, "gpu_price_factor": True,
            "api_price_factor": True}
    rate = float(res.assumptions.get("hourly_rate_usd") or 0.0)
    if rate > 0:
        r_lo, r_hi = (res.assumptions.get("people_time_ranges") or {}).get("hourly_rate_usd", (rate / 4, rate * 4))
        searched["hourly_rate_usd"] = [0.0, max(float(r_hi) * 2, rate * 2)]
        base_values["hourly_rate_usd"], logs["hourly_rate_usd"] = rate, False
    rec = next((o for o in res.options if o.id == res.recommendation.option_id), None)
    if rec is not None and rec.pipeline and rec.cost_breakdown_usd.get("license", 0.0) > 0:
        fee = probe.catalog.pipelines[rec.pipeline].license.fee_usd_per_month
        if fee is not None:
            name = f"license_fee:{rec.pipeline}"
            searched[name] = [0.0, fee.value * LICENSE_FEE_MAX_FACTOR]
            base_values[name], logs[name] = fee.value, False
    flips: list[Flip] = []
    for name, (lo, hi) in searched.items():
        found = _closed_form_flips(probe, name, base_values[name], lo, hi)
        if found is None and _engine_input(name):
            found = _search(_candidate_probe(probe, name, lo, hi), name, base_values[name], lo, hi, log=logs[name])
        flips += found or []
    return flips, searched

"""How sure is the cost answer, and what would change it (issue 11).

Orchestrator :func:`assess` (a scenario and the engine's :class:`~advisor.decide.engine.Result` -> :class:`Risk`):

1. **Cost distributions** (:func:`cost_models` + :func:`advisor.workload.montecarlo.simulate_monthly_costs`):
   10,000 common-random-number samples of every option's monthly cost over the uncertain inputs, P10 / P50 / P90
   per option, and the probability that the recommended option is cheaper than the runner-up. Uncertain inputs:

   * simulator error: lognormal, mean 1, CV = the option's validation uncertainty (``Option.simulator_uncertainty``,
     from ``advisor validate`` via ``PerfEstimate.uncertainty``), scaling its GPU time (energy or rented hours);
   * GPU purchase price: uniform over the catalog's street price range (``GPU.street_price_usd``, sourced);
     constant when the catalog has only a launch price;
   * rental price: uniform over the offer's on-demand (or spot) range across providers' quotes (sourced);
   * electricity price: uniform over ``electricity_usd_per_kwh_range`` (scenario), else the resolved price x
     [0.75, 1.25] (:data:`DEFAULT_ELECTRICITY_RANGE_FACTORS`, a choice: no sourced spread in the catalog);
   * monthly volume: lognormal, mean = the scenario volume, CV ``volume_relative_sd`` (scenario), else 0.25
     (:data:`DEFAULT_VOLUME_RELATIVE_SD`, a choice);
   * API list prices and licence fees: constant (single published figures).

   Each option's cost is the engine's own linear decomposition at the scenario (``fixed_usd_per_month`` +
   volume x ``variable_usd_per_image``, with its electricity split into ``fixed_kwh_per_month`` and
   ``variable_kwh_per_image``), its parts scaled by the sampled inputs, and anchored so that at the base inputs it
   equals the engine's ``monthly_cost_usd`` (any residual of billing rounding is kept as a constant).
2. **Tornado** (:func:`tornado_bars`): the engine re-run with one input at the low and at the high end of its range
   (every other input at its base value); the bars give the top options' monthly costs at both ends.
3. **Flip thresholds** (:func:`flip_thresholds`): the input values at which the engine's recommendation changes,
   found by a coarse outward scan from the base value and bisection
   (:func:`advisor.workload.montecarlo.flip_threshold`) ON THE ENGINE: each evaluation is
   :func:`~advisor.decide.engine.recommend` with one input changed (volume, electricity price, every GPU's purchase
   price x a factor, the recommended pipeline's licence fee), run on the catalog cut to the candidates (the
   cheapest distinct choices of full engine runs at the base value and at both ends of the range,
   :func:`_candidate_probe`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from advisor.catalog import Catalog, Sourced, SourcedRange, load_catalog, load_catalog_with_overrides
from advisor.decide.engine import Estimator, Result, recommend
from advisor.errors import InputError
from advisor.fmt import usd
from advisor.jsonsafe import finite_or_none
from advisor.perf import estimate
from advisor.workload import montecarlo as MC

DEFAULT_VOLUME_RELATIVE_SD = 0.25  # choice: month-to-month volume of a studio varies by about a quarter
DEFAULT_ELECTRICITY_RANGE_FACTORS = (0.75, 1.25)  # choice: tariff drift and plan differences over the horizon
N_SAMPLES = 10_000
SEED = 0
TORNADO_OPTIONS = 3
#: flip searches: (lowest, highest) factor of the base value for volume and GPU price, range for electricity
VOLUME_FACTORS = (1 / 1024, 1024)
GPU_PRICE_FACTORS = (0.25, 4.0)
ELECTRICITY_RANGE_USD_PER_KWH = (0.0, 1.0)
LICENSE_FEE_MAX_FACTOR = 10.0  # licence fee searched from 0 to 10 x its catalog value
RELATIVE_XTOL = 0.01  # bisection stops at 1 % of the threshold
#: flip searches run the engine on the cheapest distinct choices at the base value and both ends of the range
FLIP_CANDIDATES = 30
UNITS = {"volume_images_per_month": "images/month", "electricity_usd_per_kwh": "USD/kWh",
         "gpu_price_factor": "x catalog GPU prices", "license_fee": "USD/month"}


# --- results ----------------------------------------------------------------------------------


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
        else:
            value = f"{usd(self.threshold)}/month licence fee ({self.input.split(':', 1)[1]})"
        return f"{self.winner_label} wins {self.direction} {value}"


@dataclass
class Risk:
    """Cost distributions [USD/month], tornado and flip thresholds of one scenario."""

    n_samples: int
    seed: int
    percentiles_usd: dict[str, dict[str, float]]  # option id -> {p10, p50, p90}
    recommended_id: str | None
    runner_up_id: str | None
    probability_recommended_cheaper: float | None
    inputs: dict[str, Any]  # the ranges used, with where each comes from
    tornado: list[dict[str, Any]] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    searched: dict[str, list[float]] = field(default_factory=dict)  # input -> [low, high] searched for flips
    reasons: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        return {"n_samples": self.n_samples, "seed": self.seed, "percentiles_usd": self.percentiles_usd,
                "recommended_id": self.recommended_id, "runner_up_id": self.runner_up_id,
                "probability_recommended_cheaper": self.probability_recommended_cheaper, "inputs": self.inputs,
                "tornado": [finite_or_none(b) for b in self.tornado], "flip_thresholds": [asdict(f) for f in self.flips],
                "flip_search_ranges": self.searched, "reasons": self.reasons}


# --- step 1: Monte Carlo -----------------------------------------------------------------------


def _factor_range(r: SourcedRange | None, mid: float | None = None) -> tuple[float, float]:
    """(low / mid, high / mid) of a sourced range [-]; (1, 1) when there is none."""
    if r is None:
        return 1.0, 1.0
    m = r.mid if mid is None else mid
    return (r.low / m, r.high / m) if m > 0 else (1.0, 1.0)


def cost_models(result: Result, catalog: Catalog) -> list[MC.CostModel]:
    """One :class:`~advisor.workload.montecarlo.CostModel` per option of ``result`` (see the module doc)."""
    usd_per_kwh = float(result.assumptions["electricity_usd_per_kwh"])
    volume = float(result.scenario["volume_images_per_month"])
    models = []
    for o in result.options:
        parts = o.cost_breakdown_usd
        u = float(o.simulator_uncertainty or 0.0)
        s = o.seconds_per_image or 0.0
        if o.deployment == "self-host":
            hw = parts.get("hardware", 0.0)
            lo, hi = (1.0, 1.0)
            gpu = catalog.gpus.get(o.gpu) if o.gpu else None
            if o.hardware == "purchase" and gpu is not None and gpu.street_price_usd is not None:
                lo, hi = _factor_range(gpu.street_price_usd)
            kwh_var = o.variable_kwh_per_image
            rest = o.monthly_cost_usd - hw - o.fixed_kwh_per_month * usd_per_kwh - volume * kwh_var * usd_per_kwh
            models.append(MC.CostModel(
                o.id, fixed_usd_per_month=(max(rest + hw * lo, 0.0), max(rest + hw * hi, 0.0)),
                gpu_seconds_per_image=s if kwh_var > 0 else 0.0, simulator_relative_error=u,
                kwh_per_gpu_second=kwh_var / s if (s and kwh_var > 0) else 0.0,
                fixed_kwh_per_month=o.fixed_kwh_per_month))
        elif o.deployment == "cloud-gpu":
            offer = catalog.rentals.get(o.offer or "")
            rng = None
            if offer is not None:
                rng = offer.spot_usd_per_hour if o.spot else offer.on_demand_usd_per_hour
            lo, hi = _factor_range(rng)
            rental = parts.get("rental", 0.0)
            var = o.variable_usd_per_image * volume  # the part of the bill that grows with the images [USD/month]
            var = min(var, rental)
            rest = o.monthly_cost_usd - rental  # licence and other constant parts
            fixed_rental = rental - var
            per_gpu_second = (var / volume / s) if (s and var > 0) else 0.0
            models.append(MC.CostModel(
                o.id, fixed_usd_per_month=(max(rest + fixed_rental * lo, 0.0), max(rest + fixed_rental * hi, 0.0)),
                gpu_seconds_per_image=s if per_gpu_second else 0.0, simulator_relative_error=u,
                usd_per_gpu_second=(per_gpu_second * lo, per_gpu_second * hi)))
        else:  # API: list price per image (constant), scaled by the volume
            per_image = o.variable_usd_per_image
            rest = o.monthly_cost_usd - per_image * volume
            models.append(MC.CostModel(o.id, fixed_usd_per_month=max(rest, 0.0), usd_per_image=per_image))
    return models


def shared_inputs(scenario: Any, result: Result) -> tuple[MC.SharedInputs, dict[str, Any]]:
    """Volume and electricity draws shared by every option, and a description of where each comes from."""
    price = float(result.assumptions["electricity_usd_per_kwh"])
    if scenario.electricity_usd_per_kwh_range is not None:
        e_lo, e_hi = scenario.electricity_usd_per_kwh_range
        e_src = "your electricity_usd_per_kwh_range"
    else:
        e_lo, e_hi = price * DEFAULT_ELECTRICITY_RANGE_FACTORS[0], price * DEFAULT_ELECTRICITY_RANGE_FACTORS[1]
        e_src = (f"choice: the price {usd(price)}/kWh x {DEFAULT_ELECTRICITY_RANGE_FACTORS[0]:g}-"
                 f"{DEFAULT_ELECTRICITY_RANGE_FACTORS[1]:g} (set electricity_usd_per_kwh_range)")
    v_sd = scenario.volume_relative_sd if scenario.volume_relative_sd is not None else DEFAULT_VOLUME_RELATIVE_SD
    v_src = "your volume_relative_sd" if scenario.volume_relative_sd is not None else \
        f"choice: {DEFAULT_VOLUME_RELATIVE_SD:g} (set volume_relative_sd)"
    shared = MC.SharedInputs(images_per_month=float(scenario.volume_images_per_month), volume_relative_sd=v_sd,
                             usd_per_kwh=(e_lo, e_hi))
    described = {
        "electricity_usd_per_kwh": {"low": e_lo, "high": e_hi, "distribution": "uniform", "source": e_src},
        "volume_images_per_month": {"mean": shared.images_per_month, "relative_sd": v_sd,
                                    "distribution": "lognormal", "source": v_src},
        "simulator_error": {"distribution": "lognormal, mean 1", "relative_sd": "per option: the validation "
                            "uncertainty of its estimate (advisor validate)"},
        "gpu_purchase_price": {"distribution": "uniform", "source": "catalog street price range per GPU"},
        "rental_price": {"distribution": "uniform", "source": "catalog on-demand (or spot) range per offer"},
        "constant": "API list prices, licence fees",
    }
    return shared, described


def cost_distribution(scenario: Any, result: Result, catalog: Catalog, n_samples: int = N_SAMPLES,
                      seed: int = SEED) -> tuple[MC.MonteCarloResult, dict[str, Any]]:
    """Monte Carlo of every option's monthly cost (module doc, step 1)."""
    if not result.options:
        raise InputError("options", 0, "at least one option that meets every constraint")
    shared, described = shared_inputs(scenario, result)
    return MC.simulate_monthly_costs(cost_models(result, catalog), shared, n_samples=n_samples, seed=seed), described


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


def tornado_bars(probe: EngineProbe, ranges: dict[str, tuple[float, float]], base: dict[str, float],
                 top_n: int = TORNADO_OPTIONS) -> list[MC.TornadoBar]:
    """One-at-a-time engine re-runs (module doc, step 2) for the ``top_n`` cheapest options at the base inputs."""
    tracked, seen = [], set()
    for o in probe.result.options:  # the top distinct choices (not the same option at another precision)
        if _choice(o) not in seen and len(tracked) < top_n:
            seen.add(_choice(o))
            tracked.append(o.id)

    # Each option's numbers depend only on its own catalog entries and the scenario, so the tracked options cost
    # the same on the catalog cut down to their entries (and the engine runs, and simulates waits, for them only).
    small = EngineProbe(probe.scenario, probe.result, _cut_catalog(probe.catalog, probe.result, tracked,
                                                                   probe.scenario.gpu_owned), probe.raw_estimator)
    small.estimator = probe.estimator

    def cost_fn(inputs: dict[str, float]) -> dict[str, float]:
        changed = [k for k in inputs if inputs[k] != base[k]]
        res = probe.result if not changed else small.run(changed[0], inputs[changed[0]])
        by_id = {o.id: o.monthly_cost_usd for o in res.options}
        return {oid: by_id.get(oid, math.inf) for oid in tracked}  # inf: excluded at that value

    return MC.tornado(cost_fn, base, ranges, options=tracked)


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
    :data:`FLIP_CANDIDATES` cheapest distinct choices of full engine runs at the base value and at both ends.

    Costs move monotonically (mostly linearly) with volume, electricity, GPU and licence prices, so an option that
    wins somewhere in [lo, hi] is among the cheapest at the base or at an end; the search then runs the engine on
    those options only (same numbers, a fraction of the time)."""
    options: dict[str, Any] = {}
    for res in (probe.result, probe.run(name, lo), probe.run(name, hi)):
        for o in _leading_distinct(res, FLIP_CANDIDATES):
            options.setdefault(o.id, o)
    small = EngineProbe(probe.scenario, probe.result,
                        _catalog_for(probe.catalog, list(options.values()), probe.scenario.gpu_owned),
                        probe.raw_estimator)
    small.estimator = probe.estimator
    return small


def flip_thresholds(probe: EngineProbe) -> tuple[list[Flip], dict[str, list[float]]]:
    """Thresholds of volume, electricity price, GPU price factor and the leading licence fee (module doc, step 3)."""
    res = probe.result
    volume = float(res.scenario["volume_images_per_month"])
    price = float(res.assumptions["electricity_usd_per_kwh"])
    searched = {
        "volume_images_per_month": [max(volume * VOLUME_FACTORS[0], 1.0), min(volume * VOLUME_FACTORS[1], 1e9)],
        "electricity_usd_per_kwh": list(ELECTRICITY_RANGE_USD_PER_KWH),
        "gpu_price_factor": list(GPU_PRICE_FACTORS),
    }
    base_values = {"volume_images_per_month": volume, "electricity_usd_per_kwh": price, "gpu_price_factor": 1.0}
    logs = {"volume_images_per_month": True, "electricity_usd_per_kwh": False, "gpu_price_factor": True}
    rec = next((o for o in res.options if o.id == res.recommendation.option_id), None)
    if rec is not None and rec.pipeline and rec.cost_breakdown_usd.get("license", 0.0) > 0:
        fee = probe.catalog.pipelines[rec.pipeline].license.fee_usd_per_month
        if fee is not None:
            name = f"license_fee:{rec.pipeline}"
            searched[name] = [0.0, fee.value * LICENSE_FEE_MAX_FACTOR]
            base_values[name], logs[name] = fee.value, False
    flips: list[Flip] = []
    for name, (lo, hi) in searched.items():
        flips += _search(_candidate_probe(probe, name, lo, hi), name, base_values[name], lo, hi, log=logs[name])
    return flips, searched


# --- orchestrator -------------------------------------------------------------------------------


def assess(scenario: Any, result: Result | None = None, catalog: Catalog | None = None,
           estimator: Estimator = estimate, n_samples: int = N_SAMPLES, seed: int = SEED,
           what_if: bool = True) -> Risk:
    """P10/P50/P90 per option, P(recommended cheaper than the runner-up), and (``what_if``) the tornado and flip
    thresholds for ``scenario``; ``result`` is the engine's result for it (computed when not given)."""
    if catalog is None:
        catalog = load_catalog_with_overrides(scenario.overrides) if scenario.overrides else load_catalog()
    if result is None:
        result = recommend(scenario, catalog, estimator)
    mc, described = cost_distribution(scenario, result, catalog, n_samples, seed)
    pct = {p.option_id: {"p10": p.p10_usd, "p50": p.p50_usd, "p90": p.p90_usd} for p in mc.percentiles}
    rec, runner = result.recommendation.option_id, result.recommendation.runner_up_id
    prob = mc.probability_cheaper(rec, runner) if (rec in pct and runner in pct) else None
    risk = Risk(n_samples=mc.n_samples, seed=seed, percentiles_usd=pct, recommended_id=rec, runner_up_id=runner,
                probability_recommended_cheaper=prob, inputs=described)
    by_id = {o.id: o for o in result.options}
    if rec in pct:
        p = pct[rec]
        text = (f"Cost spread ({mc.n_samples:,} samples of prices, electricity, volume and simulator error): "
                f"{usd(p['p10'])}-{usd(p['p90'])}/month (P10-P90, median {usd(p['p50'])}) for the recommendation")
        if prob is not None:
            text += (f"; it is cheaper than the runner-up ({by_id[runner].label or runner}) in {prob:.0%} of the "
                     f"samples")
        risk.reasons.append(text + ".")
    if what_if and rec is not None:
        probe = EngineProbe(scenario, result, catalog, estimator)
        shared, _ = shared_inputs(scenario, result)
        e = shared.usd_per_kwh
        v_sd = shared.volume_relative_sd
        z90 = 1.2815515655446004  # standard normal 90th percentile
        sigma = MC.lognormal_mean_one_sigma(v_sd)
        u_max = max((o.simulator_uncertainty for o in result.options[:TORNADO_OPTIONS]), default=0.0)
        vol = shared.images_per_month
        ranges = {"volume_images_per_month": (vol * math.exp(-sigma * sigma / 2 - z90 * sigma),
                                              vol * math.exp(-sigma * sigma / 2 + z90 * sigma)),
                  "electricity_usd_per_kwh": (e.low, e.high),
                  "gpu_price_factor": _street_factor_span(catalog),
                  "rental_price_end": (0.0, 1.0),
                  "simulator_error_factor": (max(1.0 - u_max, 0.05), 1.0 + u_max)}
        base = {"volume_images_per_month": vol, "electricity_usd_per_kwh": float(result.assumptions[
            "electricity_usd_per_kwh"]), "gpu_price_factor": 1.0, "rental_price_end": 0.5,
            "simulator_error_factor": 1.0}
        risk.inputs["tornado_ranges"] = {k: list(v) for k, v in ranges.items()}
        risk.tornado = [asdict(b) for b in tornado_bars(probe, ranges, base)]
        risk.flips, risk.searched = flip_thresholds(probe)
        if result.assumptions.get("turnaround"):
            risk.inputs["turnaround_in_what_if"] = ("volume changes keep the team's requests per hour of the base "
                                                    "volume (the waits and GPU counts are those of the base pattern)")
        if risk.flips:
            risk.reasons.append("What would change the answer: " + "; ".join(f.phrase() for f in risk.flips) + ".")
        else:
            risk.reasons.append("No flip of the recommendation within the searched ranges: " + ", ".join(
                f"{k} {lo:g}-{hi:g}" for k, (lo, hi) in risk.searched.items()) + ".")
    return risk


def _street_factor_span(catalog: Catalog) -> tuple[float, float]:
    """Widest (low / mid, high / mid) of the catalog's street price ranges [-] (the GPU-price tornado bar)."""
    spans = [_factor_range(g.street_price_usd) for g in catalog.gpus.values() if g.street_price_usd is not None]
    if not spans:
        return 1.0, 1.0
    return min(s[0] for s in spans), max(s[1] for s in spans)


def attach_risk(result: Result, risk: Risk) -> Result:
    """Put the risk figures on ``result`` (``result.risk``, shown by ``to_json_dict``) and its sentences in the
    recommendation's reasons. Returns ``result``."""
    result.risk = risk.to_json_dict()
    result.recommendation.reasons.extend(risk.reasons)
    return result


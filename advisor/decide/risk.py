"""How sure is the cost answer, and what would change it.

Orchestrator :func:`assess` (a scenario and the engine's :class:`~advisor.decide.engine.Result` -> :class:`Risk`):

1. **Cost distributions** (:func:`cost_models` + :func:`advisor.workload.montecarlo.simulate_monthly_costs`):
   10,000 common-random-number samples of the monthly cost of the candidate options (:func:`candidates`: the
   :data:`MC_OPTIONS` cheapest distinct choices, the recommendation and its runner-up; an option far down the
   ranking cannot become the answer), P10 / P50 / P90 per option, and the probability that the recommended option
   is cheaper than the runner-up. Uncertain inputs:

   * simulator error: lognormal, mean 1, CV = the option's validation uncertainty (``Option.simulator_uncertainty``,
     from ``advisor validate`` via ``PerfEstimate.uncertainty``), scaling its GPU time (energy or rented hours);
   * GPU purchase price: uniform over the catalog's street price range (``GPU.street_price_usd``, sourced);
     constant when the catalog has only a launch price;
   * rental price: uniform over the offer's on-demand (or spot) range across providers' quotes (sourced);
   * electricity price: uniform over ``electricity_usd_per_kwh_range`` (scenario), else the resolved price x
     [0.75, 1.25] (:data:`DEFAULT_ELECTRICITY_RANGE_FACTORS`, a choice: no sourced spread in the catalog);
   * monthly volume: lognormal, mean = the scenario volume, CV ``volume_relative_sd`` (scenario), else 0.25
     (:data:`DEFAULT_VOLUME_RELATIVE_SD`, a choice);
   * the assumptions the engine fixes (:mod:`advisor.decide.risk_inputs`, each with its stated range): people's
     hours per kind and hourly rate, boot + weight load (cold starts), spot reclaims, API list prices, steps and
     keep rates;
   * licence fees: constant (a flip threshold gives the fee that changes the answer).

   Each option's cost is the engine's own linear decomposition at the scenario (``fixed_usd_per_month`` +
   volume x ``variable_usd_per_image``, with its electricity split into ``fixed_kwh_per_month`` and
   ``variable_kwh_per_image``, its people's time and start-ups as their own parts), its parts scaled by the sampled
   inputs, and anchored so that at the base inputs it equals the engine's ``monthly_cost_usd``.
2. **Tornado** (:func:`tornado_bars`): each input at the low and at the high end of its range (every other input
   at its base value), the top options' monthly costs at both ends, in closed form from the same parts (every
   input moves a part linearly), with no engine re-run.
3. **Flip thresholds** (:func:`advisor.decide.risk_flips.flip_thresholds`): the input values at which the
   recommendation changes, in closed form where cost is linear in the input, else searched on the engine.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.catalog import Catalog, SourcedRange, load_catalog, load_catalog_with_overrides
from advisor.decide import risk_inputs as RI
from advisor.decide.engine import Estimator, Result, recommend
from advisor.decide.risk_flips import EngineProbe, Flip, _choice, _leading_distinct, flip_thresholds
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
MC_OPTIONS = 40  # the Monte Carlo samples the cheapest distinct choices (an option far down cannot win)



# --- results ----------------------------------------------------------------------------------


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


def cost_models(result: Result, catalog: Catalog, options: list[Any] | None = None,
                factors: dict[str, tuple[float, float]] | None = None) -> list[MC.CostModel]:
    """One :class:`~advisor.workload.montecarlo.CostModel` per option of ``options`` (default: every option of
    ``result``), with the assumption ``factors`` (:mod:`advisor.decide.risk_inputs`) on the parts they scale."""
    usd_per_kwh = float(result.assumptions["electricity_usd_per_kwh"])
    volume = float(result.scenario["volume_images_per_month"])
    factors = factors or {}
    models = []
    for o in (result.options if options is None else options):
        parts = o.cost_breakdown_usd
        u = float(o.simulator_uncertainty or 0.0)
        s = o.seconds_per_image or 0.0
        fp = RI.option_factor_parts(o, factors)
        startup = sum(usd for usd, names in fp.terms if names == ("startup",))
        people = fp.fixed_usd - startup  # the people's parts the factors scale (they leave the plain fixed cost)
        extra = dict(factor_terms=fp.terms, gpu_factors=fp.gpu_factors, per_image_factors=fp.per_image_factors)
        if o.deployment == "self-host":
            hw = parts.get("hardware", 0.0)
            lo, hi = (1.0, 1.0)
            gpu = catalog.gpus.get(o.gpu) if o.gpu else None
            if o.hardware == "purchase" and gpu is not None and gpu.street_price_usd is not None:
                lo, hi = _factor_range(gpu.street_price_usd)
            kwh_var = o.variable_kwh_per_image
            rest = (o.monthly_cost_usd - hw - o.fixed_kwh_per_month * usd_per_kwh - volume * kwh_var * usd_per_kwh
                    - people)
            models.append(MC.CostModel(
                o.id, fixed_usd_per_month=(max(rest + hw * lo, 0.0), max(rest + hw * hi, 0.0)),
                gpu_seconds_per_image=s if kwh_var > 0 else 0.0, simulator_relative_error=u,
                kwh_per_gpu_second=kwh_var / s if (s and kwh_var > 0) else 0.0,
                fixed_kwh_per_month=o.fixed_kwh_per_month, **extra))
        elif o.deployment == "cloud-gpu":
            offer = catalog.rentals.get(o.offer or "")
            rng = None
            if offer is not None:
                rng = offer.spot_usd_per_hour if o.spot else offer.on_demand_usd_per_hour
            lo, hi = _factor_range(rng)
            rental = parts.get("rental", 0.0)
            var = o.variable_usd_per_image * volume  # the part of the bill that grows with the images [USD/month]
            var = min(var, rental)
            rest = o.monthly_cost_usd - rental - people  # licence and other constant parts
            fixed_rental = rental - var
            from_fixed = min(startup, fixed_rental)  # the start-ups leave the fixed part first, then the variable
            fixed_rental -= from_fixed
            var = max(var - (startup - from_fixed), 0.0)
            per_gpu_second = (var / volume / s) if (s and var > 0) else 0.0
            models.append(MC.CostModel(
                o.id, fixed_usd_per_month=(max(rest + fixed_rental * lo, 0.0), max(rest + fixed_rental * hi, 0.0)),
                gpu_seconds_per_image=s if per_gpu_second else 0.0, simulator_relative_error=u,
                usd_per_gpu_second=(per_gpu_second * lo, per_gpu_second * hi), **extra))
        else:  # API: list price per image, scaled by the volume (and the API price and keep-rate factors)
            per_image = o.variable_usd_per_image
            rest = o.monthly_cost_usd - per_image * volume - people
            models.append(MC.CostModel(o.id, fixed_usd_per_month=max(rest, 0.0), usd_per_image=per_image, **extra))
    return models


def candidates(result: Result, n: int = MC_OPTIONS) -> list[Any]:
    """The options worth sampling: the ``n`` cheapest distinct choices, the recommendation and its runner-up."""
    out = _leading_distinct(result, n)
    ids = {o.id for o in out}
    for oid in (result.recommendation.option_id, result.recommendation.runner_up_id):
        o = next((x for x in result.options if x.id == oid), None) if oid else None
        if o is not None and o.id not in ids:
            out.append(o)
            ids.add(o.id)
    return out


def shared_inputs(scenario: Any, result: Result, options: list[Any] | None = None
                  ) -> tuple[MC.SharedInputs, dict[str, Any]]:
    """Volume, electricity and assumption-factor draws shared by every option, and where each comes from."""
    factors, factor_text = RI.assumption_factors(result, result.options if options is None else options)
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
                             usd_per_kwh=(e_lo, e_hi), factors=factors)
    described = {
        "electricity_usd_per_kwh": {"low": e_lo, "high": e_hi, "distribution": "uniform", "source": e_src},
        "volume_images_per_month": {"mean": shared.images_per_month, "relative_sd": v_sd,
                                    "distribution": "lognormal", "source": v_src},
        "simulator_error": {"distribution": "lognormal, mean 1", "relative_sd": "per option: the validation "
                            "uncertainty of its estimate (advisor validate)"},
        "gpu_purchase_price": {"distribution": "uniform", "source": "catalog street price range per GPU"},
        "rental_price": {"distribution": "uniform", "source": "catalog on-demand (or spot) range per offer"},
        "assumption_factors": factor_text,
        "constant": "licence fees (a flip threshold gives the fee that changes the answer)",
    }
    return shared, described


def cost_distribution(scenario: Any, result: Result, catalog: Catalog, n_samples: int = N_SAMPLES,
                      seed: int = SEED, assumptions: bool = True) -> tuple[MC.MonteCarloResult, dict[str, Any]]:
    """Monte Carlo of the candidate options' monthly costs (module doc, step 1); ``assumptions=False`` keeps the
    assumption factors (people's time, start-up, API prices, steps, keep rates) at the engine's values."""
    if not result.options:
        raise InputError("options", 0, "at least one option that meets every constraint")
    options = candidates(result)
    shared, described = shared_inputs(scenario, result, options)
    if not assumptions:
        import dataclasses

        shared = dataclasses.replace(shared, factors={})
        described["assumption_factors"] = {}
    described["options_sampled"] = (f"the {len(options)} cheapest distinct choices (with the recommendation and its "
                                    f"runner-up) of {len(result.options)} options")
    models = cost_models(result, catalog, options, dict(shared.factors and {k: (r.low, r.high) for k, r in
                                                                          shared.factors.items()}))
    return MC.simulate_monthly_costs(models, shared, n_samples=n_samples, seed=seed), described


def _rental_factor(o: Any, catalog: Catalog, end: float) -> float:
    """A pod's price at ``end`` of its quoted range (0 = low, 1 = high) over the midpoint it was costed at [-];
    1 for serverless (each mode bills its own end of the range) and non-rentals."""
    offer = catalog.rentals.get(o.offer or "") if o.deployment == "cloud-gpu" else None
    if offer is None or offer.serverless:
        return 1.0
    rng = offer.spot_usd_per_hour if o.spot else offer.on_demand_usd_per_hour
    return (rng.low + (rng.high - rng.low) * end) / rng.mid if rng is not None and rng.mid > 0 else 1.0


def one_at_a_time_usd(result: Result, catalog: Catalog, o: Any, name: str, value: float, base: float,
                      factors: dict[str, tuple[float, float]]) -> float:
    """Option ``o``'s monthly cost [USD/month] with input ``name`` at ``value`` (its base ``base``) and every other
    input at its base, in closed form from the engine's own parts (every input here moves a part linearly)."""
    if value == base:
        return o.monthly_cost_usd
    line = RI.lines(_one(result, o), name)
    if line is not None:
        return float(line[0][0] + line[1][0] * value)
    volume = float(result.scenario["volume_images_per_month"])
    if name == "rental_price_end":
        return o.monthly_cost_usd + o.cost_breakdown_usd.get("rental", 0.0) * (
            _rental_factor(o, catalog, value) / _rental_factor(o, catalog, base) - 1.0)
    gpu_usd = (o.variable_kwh_per_image * volume * float(result.assumptions["electricity_usd_per_kwh"])
               if o.deployment == "self-host" else
               max(o.variable_usd_per_image * volume - o.startup_usd_per_month, 0.0)
               if o.deployment == "cloud-gpu" else 0.0)
    if name == "simulator_error_factor":
        return o.monthly_cost_usd + gpu_usd * (value / base - 1.0)
    fp = RI.option_factor_parts(o, factors)
    moved = sum(usd for usd, names in fp.terms if name in names)
    if name in fp.gpu_factors:
        moved += gpu_usd
    if name in fp.per_image_factors:
        moved += o.cost_breakdown_usd.get("api", 0.0)
    return o.monthly_cost_usd + moved * (value / base - 1.0)


def _one(result: Result, o: Any) -> Any:
    """``result`` with only option ``o`` (for :func:`advisor.decide.risk_inputs.lines` on one option)."""
    import copy

    r = copy.copy(result)
    r.options = [o]
    return r


def tornado_bars(probe: EngineProbe, ranges: dict[str, tuple[float, float]], base: dict[str, float],
                 top_n: int = TORNADO_OPTIONS, factors: dict[str, tuple[float, float]] | None = None
                 ) -> list[MC.TornadoBar]:
    """One-at-a-time sensitivity (module doc, step 2) for the ``top_n`` cheapest distinct options at the base
    inputs, in closed form (:func:`one_at_a_time_usd`): no engine re-run."""
    tracked, seen = [], set()
    for o in probe.result.options:  # the top distinct choices (not the same option at another precision)
        if _choice(o) not in seen and len(tracked) < top_n:
            seen.add(_choice(o))
            tracked.append(o)
    factors = factors or {}

    def cost_fn(inputs: dict[str, float]) -> dict[str, float]:
        changed = [k for k in inputs if inputs[k] != base[k]]
        if not changed:
            return {o.id: o.monthly_cost_usd for o in tracked}
        k = changed[0]
        return {o.id: one_at_a_time_usd(probe.result, probe.catalog, o, k, inputs[k], base[k], factors)
                for o in tracked}

    return MC.tornado(cost_fn, base, ranges, options=[o.id for o in tracked])


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
        text = (f"Cost spread ({mc.n_samples:,} samples of prices, electricity, volume, simulator error, people's "
                f"time, start-ups, API prices, steps and keep rates): "
                f"{usd(p['p10'])}-{usd(p['p90'])}/month (P10-P90, median {usd(p['p50'])}) for the recommendation")
        if prob is not None:
            text += (f"; it is cheaper than the runner-up ({by_id[runner].label or runner}) in {prob:.0%} of the "
                     f"samples")
        risk.reasons.append(text + ".")
    if what_if and rec is not None:
        probe = EngineProbe(scenario, result, catalog, estimator)
        tracked = _leading_distinct(result, TORNADO_OPTIONS)
        shared, _ = shared_inputs(scenario, result, tracked)
        factors = {k: (r.low, r.high) for k, r in shared.factors.items()}
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
        ranges.update(factors)  # the assumption factors around the engine's values (1)
        base.update({k: 1.0 for k in factors})
        risk.inputs["tornado_ranges"] = {k: list(v) for k, v in ranges.items()}
        risk.tornado = [asdict(b) for b in tornado_bars(probe, ranges, base, factors=factors)]
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


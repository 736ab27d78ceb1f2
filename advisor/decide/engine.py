"""The decision orchestrator: from a :class:`Scenario` to a ranked :class:`Result` (pvlib ModelChain style).

Steps of :func:`recommend`:

1. :func:`prepare` - resolve the catalog (with overrides), prices, retries and image size;
2. :func:`self_host_options` (:mod:`advisor.decide.own`) - the owned GPU and buying each catalog GPU;
3. :func:`rental_options` (:mod:`advisor.decide.rental`) - each cloud rental offer;
4. :func:`api_options` (:mod:`advisor.decide.api`) - each API offer;
5. :func:`rank` and :func:`decide` - order by monthly cost (quality first when asked), pick the top,
   flag "too close to call";
6. :func:`break_even_table` - pairwise crossing volumes of the leading options.

Hard constraints (VRAM fit, licence, capabilities, deadline) put an option in ``excluded`` with a
reason; they never enter the ranking. Performance comes only from :func:`advisor.perf.estimate`.
Costs come only from :mod:`advisor.cost.tco`; rules from :mod:`advisor.decide.rules`.
"""

from __future__ import annotations

from typing import Any

from advisor.cost import people as cost_people
from advisor.cost import tco
from advisor.decide import crossings, frontier, market, people, quality, rules, turnaround_rule
from advisor.decide.api import api_options
from advisor.decide.option import (DAYS_PER_MONTH, BreakEven, Context, Estimator, Excluded, Option,  # noqa: F401
                                   Recommendation, Result)
from advisor.decide.own import OWNED_CARD_RULE, self_host_options
from advisor.decide.rental import rental_options
from advisor.catalog import Catalog, Sourced, load_catalog, load_catalog_with_overrides
from advisor.errors import UnknownSlugError
from advisor.perf import estimate
from advisor.cost.scenario import Scenario
from advisor.fmt import usd as _usd  # the one money formatter (CLI, reasons, app)

LEADING_FOR_BREAK_EVEN = 3  # top options always included in the pairwise break-even table

__all__ = ["BreakEven", "Context", "DAYS_PER_MONTH", "Estimator", "Excluded", "Option", "Recommendation", "Result",
           "api_options", "assumptions", "break_even_table", "decide", "leading_options", "prepare", "rank",
           "recommend", "rental_options", "self_host_options"]

# --- step 1: prepare --------------------------------------------------------------------------


def prepare(scenario: Scenario, catalog: Catalog | None, estimator: Estimator) -> Context:
    """Step 1: catalog with overrides, defaults filled from the catalog, the owned GPU checked."""
    if catalog is None:
        catalog = load_catalog_with_overrides(scenario.overrides) if scenario.overrides else load_catalog()
    d = catalog.defaults
    if scenario.gpu_owned is not None and scenario.gpu_owned not in catalog.gpus:
        raise UnknownSlugError("gpu", scenario.gpu_owned, catalog.gpus)
    width, height = scenario.size_pixels
    hours_per_day = scenario.powered_on_hours_per_day if scenario.powered_on_hours_per_day is not None \
        else d.powered_on_hours_per_day.value
    return Context(
        scenario=scenario,
        catalog=catalog,
        volume=scenario.volume_images_per_month,
        megapixels=scenario.output_megapixels,
        width=width,
        height=height,
        usd_per_kwh=market.electricity_for(scenario, catalog)[0],  # scenario, else its region's tariff, else default
        amortization_months=scenario.amortization_months or d.amortization_months.value,
        failure_rate=d.failure_rate.value,
        attempts=tco.expected_attempts_per_image(d.failure_rate.value),
        rental_utilization=d.rental_utilization.value,
        powered_on_hours_per_day=hours_per_day,
        powered_on_hours_per_month=tco.powered_on_hours_per_month(hours_per_day),
        hours_on_given=scenario.powered_on_hours_per_day is not None,
        rest_of_system_watts=d.rest_of_system_watts.value,
        rest_of_system_idle_watts=d.rest_of_system_idle_watts.value,
        resale_fraction=d.resale_fraction.value,
        too_close_fraction=d.too_close_fraction.value,
        estimator=estimator,
        turnaround=turnaround_rule.planner_for(scenario, require_target=False),
        **dict(zip(("people", "people_sources"), cost_people.resolve(scenario, d))),
        **quality.quality_context(scenario, catalog),
    )


# --- step 5: rank and decide ------------------------------------------------------------------


def rank(options: list[Option], needs: list[str]) -> list[Option]:
    """Step 5a: order options by :func:`advisor.decide.rules.rank_key`."""
    return sorted(options, key=lambda o: rules.rank_key(o.monthly_cost_usd, o.quality_elo, needs, o.id))


def priced_first(ranked: list[Option]) -> list[Option]:
    """``ranked`` with every option whose commercial licence fee is unknown moved after all priced options (order
    kept within each group): its cost leaves out a fee that may be large, so it never ranks above a priced option
    until the fee is given."""
    return [o for o in ranked if o.license_fee_known] + [o for o in ranked if not o.license_fee_known]


def license_note(o: Option) -> str:
    """"fee not set, break-even $X/month" for an option whose licence fee is unknown ("" when known); X is the fee
    at which it costs the same as its model's cheapest API (:func:`advisor.cost.tco.break_even_license_fee_usd_per_month`)."""
    if o.license_fee_known:
        return ""
    be = o.break_even_license_fee_usd_per_month
    if be is not None:
        return f"fee not set, break-even {_usd(be)}/month"
    return ("fee not set, no break-even: dearer than its model's cheapest API even with a free licence"
            if any(r.startswith("Even with a free licence") for r in o.reasons) else
            "fee not set, no API of this model to break even against")


def add_license_notes(options: list[Option]) -> None:
    """Put :func:`license_note` on each option with an unknown fee (``license_note``, and appended to ``license``
    so every table and export that shows the licence shows it), in place."""
    for o in options:
        o.license_note = license_note(o)
        if o.license_note and o.license_note not in o.license:
            o.license = f"{o.license}; {o.license_note}"


def _choice_key(o: Option) -> tuple:
    """Options that are the same decision (same pipeline on the same hardware, only precision differs)."""
    if o.deployment == "api":
        return ("api", o.id)  # every API offer is its own decision (API-only models have no pipeline)
    return (o.pipeline, o.deployment, o.hardware, o.gpu, o.provider if o.deployment != "self-host" else None)


def _add_payback(ctx: Context, ranked: list[Option]) -> None:
    """Payback of each purchase against the cheapest way to make the same images of the SAME model without
    buying (the owned card, a rental or an API of that model): ``price / (alternative - running)`` [months],
    running = monthly cost without the hardware share (electricity, licence, people)."""
    for o in ranked:
        if o.hardware != "purchase":
            continue
        alternative = next((x for x in ranked if x.hardware != "purchase" and x.model == o.model), None)
        if alternative is None:
            continue
        running = o.monthly_cost_usd - o.cost_breakdown_usd["hardware"]
        purchase = o.purchase_usd if o.purchase_usd is not None else (
            o.cost_breakdown_usd["hardware"] * ctx.amortization_months / (1 - ctx.resale_fraction)
            if ctx.resale_fraction < 1 else 0.0)
        o.payback_months = tco.payback_months(purchase, running, alternative.monthly_cost_usd)
        o.payback_against = alternative.id


def decide(ctx: Context, ranked: list[Option]) -> Recommendation:
    """Step 5b: the top option, with "too close to call" when the runner-up is within the combined band."""
    if not ranked:
        return Recommendation(None, ["Every option is excluded by a hard constraint; see 'excluded'."], False)
    top = ranked[0]
    reasons = list(top.reasons)
    runner = next((o for o in ranked[1:] if _choice_key(o) != _choice_key(top)), None)
    close = False
    if runner is not None:
        gap = runner.monthly_cost_usd - top.monthly_cost_usd
        band = top.uncertainty_usd_per_month + runner.uncertainty_usd_per_month
        close = abs(gap) < band
        if close:
            reasons.append(f"Too close to call: the runner-up ({runner.label}) costs only {_usd(gap)}/month more, "
                           f"within the combined estimate uncertainty of ±{_usd(band)}/month.")
        else:
            reasons.append(f"The runner-up ({runner.label}) costs {_usd(runner.monthly_cost_usd)}/month, "
                           f"{_usd(gap)}/month more.")
    return Recommendation(top.id, reasons, close, runner.id if runner else None)


# --- step 6: break-even -----------------------------------------------------------------------

def leading_options(ranked: list[Option]) -> list[Option]:
    """The top options plus the best of each kind (owned, purchase, rental, API)."""
    lead = list(ranked[:LEADING_FOR_BREAK_EVEN])
    seen = {o.id for o in lead}
    for kind in ("owned", "purchase", "rental", None):
        best = next((o for o in ranked if o.hardware == kind), None)
        if best is not None and best.id not in seen:
            lead.append(best)
            seen.add(best.id)
    return lead


def break_even_table(ranked: list[Option]) -> list[BreakEven]:
    """Step 6: pairwise crossing volumes of the leading options (from fixed + per-image decomposition)."""
    lead = leading_options(ranked)
    out = []
    for i, a in enumerate(lead):
        for b in lead[i + 1:]:
            n = tco.break_even_images_per_month(a.fixed_usd_per_month, a.variable_usd_per_image,
                                                b.fixed_usd_per_month, b.variable_usd_per_image)
            out.append(BreakEven(a.id, b.id, n))
    return out


# --- orchestrator -----------------------------------------------------------------------------


def recommend(scenario: Scenario, catalog: Catalog | None = None, estimator: Estimator = estimate) -> Result:
    """Rank every way to make ``scenario``'s images by monthly cost and recommend one.

    Parameters
    ----------
    scenario : Scenario
        Volume, size, owned GPU, prices and needs.
    catalog : Catalog, optional
        Default: ``profiles/`` with ``scenario.overrides`` applied.
    estimator : callable, optional
        ``(PerfRequest, Catalog) -> PerfEstimate``; default :func:`advisor.perf.estimate`.
    """
    ctx = prepare(scenario, catalog, estimator)
    options, excluded = [], []
    for step in (self_host_options, rental_options, api_options):
        o, e = step(ctx)
        options += o
        excluded += e
    people.add_people(ctx, options)
    _add_other_view(options)
    quality.annotate(ctx, options)
    options, floored = quality.apply_floor(ctx, options, Excluded)
    excluded += floored
    ranked = quality.rank(ctx, options) if "quality" in scenario.needs else rank(options, scenario.needs)
    ranked = crossings.practical_first(ranked, ctx.catalog)  # one people could not work with ranks after
    ranked = priced_first(ranked)  # and a row whose licence fee is unknown never ranks above a priced one (last: wins)
    add_license_notes(ranked)
    _add_payback(ctx, ranked)
    recommendation = quality.decide_known(ctx, ranked, decide)
    _add_market_reasons(ctx, ranked, recommendation)
    if (keep := keep_or_sell_reason(ranked, recommendation)) is not None:
        recommendation.reasons.append(keep)
    if "quality" not in scenario.needs and (zero := people.people_zero_reason(ranked, recommendation)):
        recommendation.reasons.append(zero)
    result = Result(
        scenario=scenario.model_dump(mode="json"),
        options=ranked,
        excluded=excluded,
        recommendation=recommendation,
        break_even=quality.break_even_pairs(ranked, recommendation, BreakEven),
        assumptions={**assumptions(ctx), **quality.assumptions(ctx), **people.assumptions(ctx)},
    )
    result.frontier = frontier.frontier_summary(result, ctx.catalog)  # what quality costs: the answer's opening
    return result


def _add_market_reasons(ctx: Context, ranked: list[Option], rec: Recommendation) -> None:
    """Issue 13: when the pick is not a rental, say what the cheapest rental would really cost and why (its
    session bill); and the pick's cost in the scenario's currency at the catalog's dated rate."""
    top = next((o for o in ranked if o.id == rec.option_id), None)
    if top is None:
        return
    if top.hardware != "rental":
        rental = next((o for o in ranked if o.hardware == "rental"), None)
        if rental is not None:
            rec.reasons.append(f"A rented GPU would really cost {_usd(rental.monthly_cost_usd)}/month at best "
                               f"({rental.label}), not just its generating time: " + " ".join(
                                   r for i, r in enumerate(rental.reasons)
                                   if i == 0 or r.startswith(("Fixed costs", "Spot/interruptible"))))
    line = market.currency_line(ctx.catalog, getattr(ctx.scenario, "currency", "USD"), top.monthly_cost_usd,
                                top.label or top.id)
    if line:
        rec.reasons.append(line)


def _add_other_view(options: list[Option]) -> None:
    """The owned card's monthly cost in the other view (holding <-> sunk) [USD/month], in place."""
    for o in options:
        if o.hardware == "owned" and o.holding_usd_per_month is not None:
            sign = -1.0 if o.owned_card_view == "holding" else 1.0
            o.monthly_cost_other_view_usd = o.monthly_cost_usd + sign * o.holding_usd_per_month


def _holding_assumptions(ctx: Context) -> dict[str, Any]:
    """The holding-cost rates as resolved, with their sources."""
    out: dict[str, Any] = {}
    for name in ("used_price_decline_per_month", "cost_of_capital_per_year", "selling_fee_fraction"):
        given = getattr(ctx.scenario, name, None)
        s = getattr(ctx.catalog.defaults, name, None)
        out[name] = given if given is not None else (s.value if s is not None else 0.0)
        out[f"{name}_source"] = "your scenario" if given is not None else (
            f"{s.source} ({s.as_of})" if s is not None else "no catalog default: 0")
    out["owned_card_resale_usd"] = getattr(ctx.scenario, "owned_card_resale_usd", None)
    return out


def keep_or_sell_reason(ranked: list[Option], rec: Recommendation) -> str | None:
    """"Keep the card" vs "sell it": both figures of the best owned option against the pick (or, when the pick is
    the owned card, against the best option that needs no owned card), with the used price's date. None without
    an owned card with a holding cost."""
    own = next((o for o in ranked if o.hardware == "owned" and o.holding_usd_per_month is not None), None)
    top = next((o for o in ranked if o.id == rec.option_id), None)
    if own is None or top is None:
        return None
    holding_total = own.monthly_cost_usd if own.owned_card_view == "holding" else own.monthly_cost_other_view_usd
    sunk_total = own.monthly_cost_other_view_usd if own.owned_card_view == "holding" else own.monthly_cost_usd
    other = top if top.hardware != "owned" else next(
        (o for o in ranked if o.hardware != "owned" and o.license_fee_known), None)
    dated = f" (used price of {own.used_price_as_of})" if own.used_price_as_of else ""
    text = (f"Keep or sell the card you own: keeping it for {own.label} costs {_usd(holding_total)}/month counting "
            f"what holding it costs ({_usd(own.holding_usd_per_month)}/month{dated}), {_usd(sunk_total)}/month if "
            f"the purchase is treated as sunk")
    if other is None:
        return text + "."
    verdict = ("selling it and using this costs less even against the sunk view" if other.monthly_cost_usd < sunk_total
               else "selling it and using this costs less once holding is counted" if other.monthly_cost_usd
               < holding_total else "keeping it costs less in both views")
    return f"{text}; selling it and using {other.label} costs {_usd(other.monthly_cost_usd)}/month: {verdict}."


def _rental_assumptions(ctx: Context) -> dict[str, Any]:
    """The session-billing inputs (value and where from), or why rentals cannot be costed."""
    inputs = market.rental_inputs(ctx.scenario, ctx.catalog)
    if isinstance(inputs, str):
        return {"rental_inputs": inputs}
    out: dict[str, Any] = {"rental_storage": inputs.storage}
    for name in ("sessions_per_working_day", "working_days_per_month", "boot_seconds", "volume_read_gb_per_s",
                 "download_gb_per_s", "spot_interruptions_per_hour"):
        value, where = getattr(inputs, name)
        out[f"rental_{name}"] = value
        num = getattr(ctx.catalog.defaults, "pod_boot_seconds" if name == "boot_seconds" else name, None)
        out[f"rental_{name}_source"] = where if (where == "your scenario" or num is None) else \
            f"{num.source} ({num.as_of})"
    return out


def assumptions(ctx: Context) -> dict[str, Any]:
    """The resolved inputs, with the catalog source of each default."""
    d = ctx.catalog.defaults
    sc = ctx.scenario

    def src(s: Sourced, given: Any = None) -> str:
        return "scenario" if given is not None else f"{s.source} ({s.as_of})"

    return {
        "megapixels": ctx.megapixels,
        "width": ctx.width,
        "height": ctx.height,
        "electricity_usd_per_kwh": ctx.usd_per_kwh,
        "electricity_source": market.electricity_for(sc, ctx.catalog)[1],
        "region": getattr(sc, "region", None),
        "currency": getattr(sc, "currency", "USD"),
        "amortization_months": ctx.amortization_months,
        "amortization_source": src(d.amortization_months, sc.amortization_months),
        "resale_fraction": ctx.resale_fraction,
        "failure_rate": ctx.failure_rate,
        "attempts_per_image": ctx.attempts,
        "rental_billing": ("per working session: boot + weight load (persistent volume or download) + generation "
                           "(+ serverless idle timeout, + spot redone work), rounded to each offer's increment and "
                           "minimum, plus the volume's storage per GB-month (issue 13)"),
        **_rental_assumptions(ctx),
        "rental_price": "midpoint of each offer's on-demand (or spot) low..high range (range shown in reasons)",
        "powered_on_hours_per_day": ctx.powered_on_hours_per_day,
        "powered_on_hours_source": src(d.powered_on_hours_per_day, sc.powered_on_hours_per_day),
        "powered_on_hours_per_month": ctx.powered_on_hours_per_month,
        "owned_gpu_energy": ("dedicated box: busy energy + idle draw over the powered-on hours (set in the scenario)"
                             if ctx.hours_on_given else
                             "on anyway for other work: only the energy above idle that generating adds "
                             "((board - GPU idle) + (rest of system - its idle)) x busy time"),
        "purchase_price": ("card (new street price midpoint, else used, else launch price) + the rest of a working "
                           "machine for the card's system class (defaults rest_of_system_usd)"),
        "owned_gpu": ("holding view: resale value x (used-price decline + cost of capital / 12) is its hardware cost; "
                      "the purchase price is sunk and never counted" if getattr(sc, "owned_card_view", "holding")
                      == "holding" else "sunk view: the card costs nothing (the purchase is sunk)"),
        "owned_card_view": getattr(sc, "owned_card_view", "holding"),
        "owned_card_rule": OWNED_CARD_RULE,
        **_holding_assumptions(ctx),
        **({"turnaround": ctx.turnaround.assumptions()} if ctx.turnaround is not None else {}),
    }

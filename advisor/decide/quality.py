"""Quality, keep rate and licence fee in the decision (people's time: :mod:`advisor.decide.people`).

Small named steps that :func:`advisor.decide.engine.recommend` runs after the options are priced:

* :func:`quality_context` - the ranking scale (by default text-to-image, or image-edit when the scenario sends input
  images) and the quality floor (``SCALE:VALUE``), checked against the catalog;
* :func:`for_model` - a context whose attempts per image include the model's keep rate;
* :func:`license_fee` - the commercial licence fee of a pipeline: the scenario's, else the catalog's, else unknown;
* :func:`figure_for` - the figure of an option's exact model and priced variant (API tier, weight format) in the
  scale's one ranking snapshot (:meth:`advisor.catalog.quality.QualityBook.figure`);
* :func:`annotate` - quality figure, keep rate, licence and the break-even licence fee on each option;
* :func:`apply_floor` - the quality floor as a hard constraint;
* :func:`pareto_frontier` and :func:`rank` - cost per image vs quality; ``--need quality`` ranks along the frontier;
* :func:`decide_known` - never recommends an option whose licence fee is unknown, and states the use assumed;
* :func:`break_even_pairs` - the pairs a user asks about: per model own/buy vs its API, buy vs rent, and the
  recommendation vs the runner-up.

Different quality scales are never mixed: every number here is on one named scale, from one snapshot of it.
The cost-quality frontier that opens an answer is :mod:`advisor.decide.frontier`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from advisor.catalog import Catalog, Pipeline
from advisor.catalog.quality import DEFAULT_SCALE, QualityBook, parse_min_quality
from advisor.cost import tco
from advisor.cost.scenario import Scenario
from advisor.errors import InputError
from advisor.fmt import usd as _usd

# Context, Option, Recommendation, Excluded and BreakEven are advisor.decide.engine's classes; the engine passes
# the classes it needs (this module never imports the engine: the engine imports this one).

#: the scale a ranking uses when the scenario sends input images (an edit or reference job) and names no scale: a
#: model's text-to-image score says nothing about its edits, so an editing question is ranked on the edit arena
#: (profiles/quality.yaml ``lmarena-image-edit``); a catalog without that scale keeps the text-to-image default
DEFAULT_EDIT_SCALE = "lmarena-image-edit"

#: the rule ``--need quality`` ranks by, stated in the recommendation's reasons
QUALITY_RANK_RULE = ("ranked along the cost-per-image vs quality Pareto frontier on {scale}: options no other option "
                     "beats on both cost and quality first, highest quality first; then dominated options by quality; "
                     "unscored options last, by cost (unscored is never imputed)")


# --- context ---------------------------------------------------------------------------------------------------------

def quality_context(scenario: Scenario, catalog: Catalog) -> dict[str, Any]:
    """``quality_scale`` and ``min_quality`` for :class:`~advisor.decide.engine.Context`; InputError when unknown."""
    book: QualityBook = catalog.quality
    floor = parse_min_quality(scenario.min_quality, book) if scenario.min_quality is not None else None
    default = DEFAULT_EDIT_SCALE if scenario.input_megapixels and DEFAULT_EDIT_SCALE in book.scales else DEFAULT_SCALE
    scale = scenario.quality_scale or (floor[0] if floor else default)
    if book.scales and scale not in book.scales:
        if scenario.quality_scale is not None:
            raise InputError("quality_scale", scale, f"one of {', '.join(sorted(book.scales))}")
        scale = sorted(book.scales)[0]  # a catalog without the default scale: its first scale, named in assumptions
    return {"quality_scale": scale, "min_quality": floor}


def keep_rate_for(scenario: Scenario, book: QualityBook, model: str) -> tuple[float, str]:
    """Share of generations kept for ``model`` and the scenario's kind of work, with where it came from.

    The scenario's own ``keep_rates[model]`` first, then the catalog (profiles/keep_rates.yaml), else 1.0 (no
    published keep rate: every finished image counts as usable, said so).
    """
    if model in scenario.keep_rates:
        return float(scenario.keep_rates[model]), "your keep rate (scenario)"
    k = book.keep_rate(model, scenario.kind_of_work)
    if k is not None:
        ci = k.wilson()
        ci_text = f", 95% Wilson interval {ci[0]:.0%}-{ci[1]:.0%} over n = {k.n} {k.n_unit or ''}".rstrip() if ci \
            else ", no sample size published"
        return k.value, (f"{k.criterion}: {k.value_qualifier}{k.value:.0%} ({k.solidity}, {k.source}, {k.as_of}"
                         f"{ci_text})")
    return 1.0, f"no published keep rate for {model} in {scenario.kind_of_work} work: all finished images counted"


def for_model(ctx: "Context", model: str) -> "Context":
    """``ctx`` with attempts per image divided by ``model``'s keep rate.

    A kept image needs ``attempts / keep`` generations (:func:`advisor.cost.tco.attempts_per_kept_image`); the
    failure rate becomes the equivalent ``1 - keep (1 - f)`` so that retries in the electricity bill agree.
    """
    keep, _ = keep_rate_for(ctx.scenario, ctx.catalog.quality, model)
    if keep >= 1.0:
        return ctx
    return dataclasses.replace(ctx, attempts=tco.attempts_per_kept_image(ctx.attempts, keep),
                               failure_rate=1.0 - keep * (1.0 - ctx.failure_rate))


def license_fee(scenario: Scenario, pipe: Pipeline) -> tuple[float, bool, str]:
    """(fee [USD/month], known, words) of self-hosting or renting ``pipe`` for the scenario's use.

    Personal use or a permissive licence: 0, known. A paid commercial licence: the scenario's
    ``license_fee_usd_per_month[pipeline]``, else the catalog's sourced fee, else 0 and *unknown* (BFL publishes
    no self-serve FLUX [dev] price; the answer then gives the break-even fee instead).
    """
    lic = pipe.license
    if not scenario.commercial:
        return 0.0, True, f"{lic.name} (personal use assumed)"
    if lic.commercial_use == "allowed":
        return 0.0, True, f"{lic.name}: commercial use free"
    if pipe.slug in scenario.license_fee_usd_per_month:
        fee = float(scenario.license_fee_usd_per_month[pipe.slug])
        return fee, True, f"{lic.name}: commercial licence {_usd(fee)}/month (your input)"
    if lic.fee_usd_per_month is not None:
        s = lic.fee_usd_per_month
        return s.value, True, f"{lic.name}: commercial licence {_usd(s.value)}/month ({s.source}, {s.as_of})"
    return 0.0, False, f"{lic.name}: commercial licence needed, fee not published and not set"


# --- annotate --------------------------------------------------------------------------------------------------------

def _pipeline_of(ctx: "Context", o: "Option") -> Pipeline | None:
    return ctx.catalog.pipelines.get(o.pipeline) if o.pipeline else None


def priced_variant(catalog: Catalog, o: "Option") -> str | None:
    """The exact variant ``o`` prices, the key a quality figure must match: an API offer's ``variant`` (its quality
    tier, e.g. gpt-image-2 'low'); the weight format (``precision``) of a self-hosted or rented option."""
    if o.deployment == "api":
        offer = catalog.apis.get(o.offer or "")
        return getattr(offer, "variant", None)
    return o.precision


def figure_for(catalog: Catalog, o: "Option", scale: str):
    """The quality figure of option ``o`` on ``scale`` (one snapshot, its exact variant), or None (unscored)."""
    return catalog.quality.figure(o.model, scale, priced_variant(catalog, o))


def variant_words(catalog: Catalog, o: "Option") -> str:
    """' (low)' when ``o``'s model is sold in quality tiers, else ''."""
    tier = catalog.quality.tier_of(o.model, priced_variant(catalog, o))
    return f" ({tier})" if tier else ""


def annotate(ctx: "Context", options: list["Option"]) -> None:
    """Quality on the ranking scale, keep rate, licence and break-even licence fee of each option, in place."""
    book = ctx.catalog.quality
    sc = ctx.scenario
    cheapest_api: dict[str, "Option"] = {}
    for o in options:
        if o.deployment == "api" and (o.model not in cheapest_api
                                      or o.monthly_cost_usd < cheapest_api[o.model].monthly_cost_usd):
            cheapest_api[o.model] = o
    for o in options:
        f = figure_for(ctx.catalog, o, ctx.quality_scale)
        if book.figures:  # a catalog without profiles/quality.yaml keeps the pipelines' legacy quality_elo
            o.quality_elo = f.value if f is not None else None
            o.quality_scale = ctx.quality_scale if f is not None else None
            o.quality_source = f"{f.source}, {f.as_of}" if f is not None else None
        if "quality" in sc.needs and book.figures:
            name = book.scales[ctx.quality_scale].name if ctx.quality_scale in book.scales else ctx.quality_scale
            m = o.model + variant_words(ctx.catalog, o)
            o.reasons.append(f"You asked for quality: {m} scores {f.value:g} on {name} ({f.source}, {f.as_of})."
                             if f is not None else
                             f"You asked for quality: {m} has no figure on {name} (snapshot "
                             f"{book.snapshot(ctx.quality_scale)}), so it ranks after scored options (unscored is "
                             f"never imputed).")
        keep, src = keep_rate_for(sc, book, o.model)
        o.keep_rate, o.keep_rate_source = keep, src
        if keep < 1.0:
            o.reasons.append(f"Keep rate {keep:.0%} ({src}): {1 / keep:.2f} generations per image kept, included "
                             f"in GPU time and cost.")
        if o.seconds_per_image is not None:
            attempts = tco.attempts_per_kept_image(ctx.attempts, keep)
            o.gpu_seconds_per_kept_image = o.seconds_per_image * attempts
        pipe = _pipeline_of(ctx, o)
        if o.deployment == "api":
            offer = ctx.catalog.apis.get(o.id.partition(":")[2]) if o.id.startswith("api:") else None
            verified = offer is None or offer.commercial_use is not None  # an offer the catalog has not checked
            o.license = (f"{o.provider} API terms: commercial use of outputs allowed" if sc.commercial and verified
                         else f"{o.provider} API terms: commercial use of outputs not verified in the catalog"
                         if sc.commercial else f"{o.provider} API terms")
            continue
        if pipe is None:
            continue
        fee, known, words = license_fee(sc, pipe)
        o.license, o.license_fee_known = words, known
        paid = sc.commercial and pipe.license.commercial_use == "paid-license"
        o.license_paid = paid
        if not known:
            o.reasons.append(
                f"Commercial use of {pipe.name} needs a paid licence ({pipe.license.fee_note[:160].rstrip()}...); "
                f"no published fee, so this cost excludes it: enter your quoted fee (scenario "
                f"license_fee_usd_per_month, CLI --licence-fee {pipe.slug}=USD, app licence-fee box).")
        api = cheapest_api.get(o.model)
        if paid and api is not None:
            without = o.monthly_cost_usd - o.cost_breakdown_usd.get("license", 0.0)
            o.break_even_license_fee_usd_per_month = tco.break_even_license_fee_usd_per_month(
                api.monthly_cost_usd, without)
            be = o.break_even_license_fee_usd_per_month
            o.reasons.append(
                f"Break-even licence fee: this beats {api.label} ({_usd(api.monthly_cost_usd)}/month) while the "
                f"licence costs less than {_usd(be)} a month at {ctx.volume:,.0f} images/month." if be is not None
                else f"Even with a free licence this costs more than {api.label} "
                     f"({_usd(api.monthly_cost_usd)}/month) at {ctx.volume:,.0f} images/month.")


# --- floor, frontier, ranking ----------------------------------------------------------------------------------------

def apply_floor(ctx: "Context", options: list["Option"], Excluded: type) -> tuple[list["Option"], list]:
    """Drop options under the quality floor (or unscored on its scale) into ``excluded`` (``Excluded`` objects);
    InputError when no option has a figure on the floor's scale."""
    if ctx.min_quality is None:
        return options, []
    scale, floor = ctx.min_quality
    book = ctx.catalog.quality
    figs = {o.id: figure_for(ctx.catalog, o, scale) for o in options}
    if not any(f is not None for f in figs.values()):
        have = sorted({f.scale for o in options for f in book.figures_for(o.model)})
        raise InputError("min_quality", f"{scale}:{floor:g}",
                         f"a scale at least one option has a figure on: {', '.join(have) or 'none'}")
    name = book.scales[scale].name
    snap = book.snapshot(scale)
    kept, out = [], []
    for o in options:
        f = figs[o.id]
        if f is not None and f.value >= floor:
            kept.append(o)
            continue
        m = o.model + variant_words(ctx.catalog, o)
        why = (f"{m} has no figure of its own on {name} (snapshot {snap}; a figure of another tier, variant or "
               f"snapshot does not count); unscored is never imputed, so it cannot meet your floor of {floor:g}."
               if f is None else
               f"{m} scores {f.value:g} on {name} ({f.source}, {f.as_of}), under your floor of {floor:g}.")
        out.append(Excluded(o.id, o.pipeline, o.deployment, o.gpu, o.precision, [why]))
    return kept, out


def pareto_frontier(points: list[tuple[float, float]]) -> list[bool]:
    """For (cost, quality) points, True where no other point is at most as costly and at least as good with one of
    the two strictly better (lower cost is better, higher quality is better). O(n^2), n is a few hundred."""
    flags = []
    for i, (ci, qi) in enumerate(points):
        dominated = any(cj <= ci and qj >= qi and (cj < ci or qj > qi)
                        for j, (cj, qj) in enumerate(points) if j != i)
        flags.append(not dominated)
    return flags


def frontier_ids(options: list["Option"]) -> set[str]:
    """Ids of the options on the cost-per-image vs quality frontier (scored options only, their own scale)."""
    scored = [o for o in options if o.quality_elo is not None]
    flags = pareto_frontier([(o.cost_per_image_usd, o.quality_elo) for o in scored])
    return {o.id for o, f in zip(scored, flags) if f}


def rank(ctx: "Context", options: list["Option"]) -> list["Option"]:
    """``--need quality``: :data:`QUALITY_RANK_RULE`."""
    front = frontier_ids(options)

    def key(o: "Option") -> tuple:
        if o.quality_elo is None:
            return (2, 0.0, o.monthly_cost_usd, o.id)
        return (0 if o.id in front else 1, -o.quality_elo, o.monthly_cost_usd, o.id)

    return sorted(options, key=key)


# --- decision and break-even -----------------------------------------------------------------------------------------

def decide_known(ctx: "Context", ranked: list["Option"],
                 decide: Callable[["Context", list["Option"]], "Recommendation"]) -> "Recommendation":
    """The engine's decision among options whose costs are complete (licence fee known), with the use stated."""
    candidates = [o for o in ranked if o.license_fee_known]
    rec = decide(ctx, candidates)
    sc = ctx.scenario
    use = ("Assumed commercial use: licences must allow it; paid licences are added as costs." if sc.commercial
           else "Assumed personal (non-commercial) use: licence fees are not counted.")
    extra = [use]
    if "quality" in sc.needs:
        name = ctx.catalog.quality.scales[ctx.quality_scale].name if ctx.quality_scale in ctx.catalog.quality.scales \
            else ctx.quality_scale
        extra.append("Rule: " + QUALITY_RANK_RULE.format(scale=name) + ".")
    skipped = [o for o in ranked[:1] if not o.license_fee_known]
    for o in skipped:
        extra.append(f"{o.label} would rank first at {_usd(o.monthly_cost_usd)}/month before its licence fee, "
                     f"which is not set; enter the fee to compare it.")
    rec.reasons = extra + rec.reasons
    return rec


def _best(options: list["Option"], pred: Callable[["Option"], bool]) -> "Option | None":
    return min((o for o in options if pred(o)), key=lambda o: (o.monthly_cost_usd, o.id), default=None)


def break_even_pairs(ranked: list["Option"], rec: "Recommendation", BreakEven: type) -> list["BreakEven"]:
    """Per model: own vs its API, buy vs its API, buy vs rent; then the recommendation vs the runner-up.

    Each crossing volume is ``(fixed_b - fixed_a) / (per_image_a - per_image_b)``
    (:func:`advisor.cost.tco.break_even_images_per_month`) on the options' linear decompositions.
    """
    out: list = []
    models: list[str] = []
    for o in ranked:
        if o.model not in models:
            models.append(o.model)

    def add(a, b, pair):
        if a is None or b is None:
            return
        n = tco.break_even_images_per_month(a.fixed_usd_per_month, a.variable_usd_per_image,
                                            b.fixed_usd_per_month, b.variable_usd_per_image)
        out.append(BreakEven(a.id, b.id, n, pair))

    for m in models:
        own = _best(ranked, lambda o: o.model == m and o.hardware == "owned")
        buy = _best(ranked, lambda o: o.model == m and o.hardware == "purchase")
        rent = _best(ranked, lambda o: o.model == m and o.deployment == "cloud-gpu")
        api = _best(ranked, lambda o: o.model == m and o.deployment == "api")
        add(own, api, f"{m}: own vs its API")
        add(buy, api, f"{m}: buy vs its API")
        add(buy, rent, f"{m}: buy vs rent")
    if rec.option_id and rec.runner_up_id:
        by_id = {o.id: o for o in ranked}
        add(by_id.get(rec.option_id), by_id.get(rec.runner_up_id), "recommendation vs runner-up")
    return out


def assumptions(ctx: "Context") -> dict[str, Any]:
    """The issue-10 inputs as resolved (added to :func:`advisor.decide.engine.assumptions`)."""
    sc = ctx.scenario
    book = ctx.catalog.quality
    return {
        "use": "commercial" if sc.commercial else "personal",
        "quality_scale": ctx.quality_scale,
        "quality_scale_name": book.scales[ctx.quality_scale].name if ctx.quality_scale in book.scales else None,
        "quality_figure_rule": "per option, the figure of its exact model and variant (API quality tier, or "
                               "weight format) in the scale's one ranking snapshot; a tier without its own figure "
                               "is unscored; never mixed across scales or snapshots",
        "quality_snapshot": book.snapshot(ctx.quality_scale),
        "min_quality": sc.min_quality,
        "kind_of_work": sc.kind_of_work,
        "keep_rate_rule": "scenario keep_rates, else profiles/keep_rates.yaml (keep_rate, else accuracy) for the "
                          "kind of work, else 1.0",
        "license_fee_usd_per_month": dict(sc.license_fee_usd_per_month),
    }

"""What quality costs: the cost-quality frontier that opens every answer.

:func:`frontier_summary` walks the priced options from the cheapest up and keeps the cheapest option, then the
cheapest option at each higher quality level on one scale (the result's ranking scale, one snapshot of it, each
option scored by the figure of its exact model and variant, :mod:`advisor.catalog.quality`). That is the lower-left
edge of the cost-vs-quality cloud: every step up buys a better published figure, and no option off the list is both
cheaper and better than one on it. It also says when the single pick scores below the models the scenario names
(the models the owned GPU runs, or the models a comparison asks about).

Options whose cost is incomplete (a paid licence whose fee is neither published nor given) are left off the
frontier and counted, as they are never recommended either (:func:`advisor.decide.quality.decide_known`).
Unscored options are never imputed: the cheapest option opens the list even when unscored (said so); later steps
need a figure.
"""

from __future__ import annotations

from typing import Any

from advisor.catalog import Catalog
from advisor.decide.option import Option, Result
from advisor.decide.quality import variant_words
from advisor.fmt import usd as _usd


#: named models listed in the warning sentence (the best first); the JSON ``named_better`` has them all
WARNING_MODELS = 4


def model_name(catalog: Catalog, o: Option) -> str:
    """Short name of the model ``o`` makes its images with: 'FLUX.2 [dev]', 'gpt-image-2 (low)'."""
    slug = o.model or o.pipeline or o.id
    return catalog.model_name(slug).split(" (")[0] + variant_words(catalog, o)


def where_words(catalog: Catalog, o: Option) -> str:
    """Where ``o`` runs, in a few words: 'API (fal.ai)', 'on your RTX 4090', 'rented RTX 4090', 'bought RTX 4070'."""
    if o.deployment == "api":
        if not o.provider:
            return "API"
        return o.provider if o.provider.endswith("API") else f"API ({o.provider})"
    card = card_words(catalog, o.gpu)
    n = f"{o.gpus_needed}x " if o.gpus_needed > 1 else ""
    if o.deployment == "cloud-gpu":
        return f"rented {n}{card}"
    return f"on your {n}{card}" if o.hardware == "owned" else f"bought {n}{card}"


def card_words(catalog: Catalog, gpu_slug: str | None) -> str:
    """'RTX 4090' for 'rtx-4090' (the catalog name without the vendor's brand words)."""
    gpu = catalog.gpus.get(gpu_slug or "")
    return (gpu.name if gpu is not None else (gpu_slug or "GPU")).replace("NVIDIA ", "").replace("GeForce ", "")


def _step(catalog: Catalog, o: Option) -> dict[str, Any]:
    return {"option_id": o.id, "model": o.model, "name": model_name(catalog, o), "where": where_words(catalog, o),
            "deployment": o.deployment, "monthly_cost_usd": o.monthly_cost_usd,
            "cost_per_image_usd": o.cost_per_image_usd, "quality": o.quality_elo, "quality_source": o.quality_source}


def frontier_steps(options: list[Option]) -> list[Option]:
    """The cheapest option, then the cheapest option at each strictly higher quality, by monthly cost [USD/month]
    (ties: the highest score first, unscored last, then by id). Options with an incomplete cost (licence fee
    unknown) are skipped; after the first step only scored options count (a quality level needs a figure)."""
    # at equal cost the best scored option comes first: the same price for a known, higher quality
    priced = sorted((o for o in options if o.license_fee_known),
                    key=lambda o: (o.monthly_cost_usd, o.quality_elo is None, -(o.quality_elo or 0.0), o.id))
    if not priced:
        return []
    steps = [priced[0]]
    best = priced[0].quality_elo
    for o in priced[1:]:
        if o.quality_elo is not None and (best is None or o.quality_elo > best):
            steps.append(o)
            best = o.quality_elo
    return steps


def _named_models(options: list[Option], named: list[str] | None) -> list[str]:
    if named is not None:
        return list(dict.fromkeys(named))
    return list(dict.fromkeys(o.model for o in options if o.hardware == "owned"))


def frontier_summary(result: Result, catalog: Catalog, named_models: list[str] | None = None,
                     pick_id: str | None = None) -> dict[str, Any]:
    """The cost-quality frontier of ``result`` on its ranking scale, and how the pick compares with the models the
    scenario names.

    Parameters
    ----------
    result : Result
        A priced, annotated engine result (options carry ``quality_elo`` on the result's ranking scale).
    catalog : Catalog
        For model and card names, and the scale's name and snapshot.
    named_models : list of str, optional
        Models the user named (a comparison's models). Default: the models the owned GPU runs (options with
        hardware 'owned').
    pick_id : str, optional
        The option the answer picks; default the result's recommendation.

    Returns
    -------
    dict with ``scale``, ``scale_name``, ``snapshot`` (the as_of of the one snapshot used), ``steps`` (see
    :func:`frontier_steps`; each {option_id, model, name, where, deployment, monthly_cost_usd [USD/month],
    cost_per_image_usd [USD/image], quality, quality_source}), ``text`` (one line, 'A $1.38 (unscored) -> B $2.55
    (1083) -> ...'), ``left_off_incomplete`` (options without a complete cost), ``pick`` (the recommendation's
    step-shaped dict or None), ``named_better`` (named models scoring above the pick: {model, name, quality,
    option_id, where, monthly_cost_usd} of each model's cheapest scored option) and ``warning`` (a sentence, or
    None when the pick scores at least as high as every named model).
    """
    scale = result.assumptions.get("quality_scale") or ""
    book = catalog.quality
    scale_name = book.scales[scale].name if scale in book.scales else scale
    options = result.options
    steps = frontier_steps(options)
    by_id = {o.id: o for o in options}
    pick = by_id.get(pick_id or result.recommendation.option_id or "")

    def q(x: float | None) -> str:
        return "unscored" if x is None else f"{x:g}"

    text = " -> ".join(f"{model_name(catalog, o)} {where_words(catalog, o)} {_usd(o.monthly_cost_usd)} "
                       f"({q(o.quality_elo)})" for o in steps)
    named_better: list[dict[str, Any]] = []
    if pick is not None:
        for m in _named_models(options, named_models):
            scored = [o for o in options if o.model == m and o.quality_elo is not None and o.license_fee_known]
            if not scored:
                scored = [o for o in options if o.model == m and o.quality_elo is not None]
            if not scored:
                continue
            best = max(o.quality_elo for o in scored)
            if pick.quality_elo is not None and best <= pick.quality_elo:
                continue
            cheapest = min((o for o in scored if o.quality_elo == best), key=lambda o: (o.monthly_cost_usd, o.id))
            where = where_words(catalog, cheapest) + ("" if cheapest.license_fee_known else
                                                      ", before its licence fee, which is not set")
            named_better.append({"model": m, "name": model_name(catalog, cheapest), "quality": best,
                                 "option_id": cheapest.id, "where": where,
                                 "monthly_cost_usd": cheapest.monthly_cost_usd,
                                 "license_fee_known": cheapest.license_fee_known})
        named_better.sort(key=lambda d: -d["quality"])
    warning = None
    if pick is not None and named_better:
        owned = next((o for o in options if o.hardware == "owned"), None)
        who = ("the models you compare" if named_models is not None or owned is None else
               f"models your {card_words(catalog, owned.gpu)} runs")
        score = (f"has no score on {scale_name}, while {who} score" if pick.quality_elo is None else
                 f"scores {pick.quality_elo:g} on {scale_name}, below {who}")
        shown = named_better[:WARNING_MODELS]
        more = len(named_better) - len(shown)
        warning = (f"Quality: the pick, {model_name(catalog, pick)} {where_words(catalog, pick)}, {score}: "
                   + "; ".join(f"{d['name']} {d['quality']:g} (from {_usd(d['monthly_cost_usd'])}/month, "
                               f"{d['where']})" for d in shown)
                   + (f"; and {more} more." if more else "."))
    return {"scale": scale, "scale_name": scale_name, "snapshot": book.snapshot(scale) if scale else None,
            "steps": [_step(catalog, o) for o in steps], "text": text,
            "left_off_incomplete": sum(1 for o in options if not o.license_fee_known),
            "pick": _step(catalog, pick) if pick is not None else None, "named_better": named_better,
            "warning": warning}


def frontier_lines(summary: dict[str, Any]) -> list[str]:
    """The frontier as the lines that open ``advisor recommend``'s text answer."""
    if not summary.get("steps"):
        return []
    snap = f", snapshot {summary['snapshot']}" if summary.get("snapshot") else ""
    lines = [f"What quality costs ({summary['scale_name']}{snap}; cheapest, then the cheapest at each higher "
             f"score, $/month): {summary['text']}"]
    if summary.get("left_off_incomplete"):
        lines.append(f"  ({summary['left_off_incomplete']} options whose licence fee is not set are left off: "
                     f"their cost is incomplete.)")
    if summary.get("warning"):
        lines.append(summary["warning"])
    return lines

"""API offers (deployment ``api``): each offer at its list price (piecewise per megapixel, provider rounding)."""

from __future__ import annotations

import datetime as dt

from advisor.catalog import ModelInfo, Sourced
from advisor.cost import tco
from advisor.decide import market, quality, rules, turnaround_rule
from advisor.decide.common import _n, _per_image, _quality_reason
from advisor.decide.option import Context, Excluded, Option
from advisor.fmt import usd as _usd


def _model_info(ctx: Context, slug: str) -> ModelInfo:
    """The catalog's entry for an API-only model; a model models.yaml does not list has no evidence of anything."""
    info = ctx.catalog.models.get(slug)
    return info if info is not None else ModelInfo(slug=slug, name=slug, maker="unknown", open_weights=False,
                                                   source="not in profiles/models.yaml")


def api_options(ctx: Context) -> tuple[list[Option], list[Excluded]]:
    """Step 4: each API offer at its list price (piecewise per megapixel, provider rounding)."""
    options: list[Option] = []
    excluded: list[Excluded] = []
    sc = ctx.scenario
    base = ctx
    for api in base.catalog.apis.values():
        ctx = quality.for_model(base, api.model_slug)  # attempts per kept image of this model (keep rate)
        pipe = ctx.catalog.pipelines.get(api.pipeline) if api.pipeline else None  # None: API-only model
        oid = f"api:{api.slug}"
        # retired (or past its shutdown date): kept in the catalog for history, never ranked (issue 13)
        gone = market.api_status_exclusion(api, dt.date.today())
        if gone is None and api.pricing == "subscription":
            gone = market.subscription_exclusion(api)  # Midjourney: plans, no API, no per-image figure
        if gone is not None:
            excluded.append(Excluded(oid, api.pipeline, "api", None, None, [gone]))
            continue
        hard = [r for r in (rules.api_license_rule(api, sc.commercial) if api.commercial_use is not None else None,
                            # API-only models meet a need by the same sourced evidence as weights (models.yaml)
                            rules.capability_rule(pipe if pipe is not None else _model_info(ctx, api.model_slug),
                                                  sc.needs),
                            # an offer that prices input megapixels takes input images whatever the catalog says
                            rules.input_image_rule(pipe, sc.input_megapixels)
                            if pipe is not None and api.input_mp_usd is None else None,
                            # an editing model's API edits an input image too: no answer to text-to-image work
                            rules.edit_only_rule(pipe, sc.input_megapixels) if pipe is not None else None) if r]
        if api.max_mp is not None and ctx.megapixels > api.max_mp + 1e-9:
            hard.append(f"{api.provider} serves at most {api.max_mp:g} MP for {api.slug}; you asked for "
                        f"{ctx.megapixels:g} MP.")
        wait = turnaround_rule.api_wait(ctx.turnaround, api) if not hard else None
        if wait is not None and not wait.meets:  # issue 11: the p95 target is hard
            hard.append(wait.sentence(ctx.turnaround))
        if hard:
            excluded.append(Excluded(oid, api.pipeline, "api", None, None, hard))
            continue
        model_name = pipe.name if pipe is not None else ctx.catalog.model_name(api.model_slug)

        def val(s: Sourced | None) -> float | None:
            return s.value if s is not None else None

        usd_image = tco.api_usd_per_image(
            api.pricing, ctx.megapixels, first_mp_usd=val(api.first_mp_usd), additional_mp_usd=val(api.additional_mp_usd),
            per_mp_usd=val(api.per_mp_usd), per_image_usd=val(api.per_image_usd), input_mp_usd=val(api.input_mp_usd),
            input_megapixels=sc.input_megapixels, rounding=api.rounding)
        monthly = tco.api_usd_per_month(usd_image, ctx.volume, ctx.attempts)
        price_src = next(s for s in (api.first_mp_usd, api.per_mp_usd, api.per_image_usd) if s is not None)
        billed_mp = tco.billed_megapixels(ctx.megapixels, api.rounding)
        reasons = [f"{api.provider} {model_name}{' [' + api.variant + ']' if api.variant else ''} at "
                   f"{_usd(usd_image)}/image for {billed_mp:g} billed MP ({api.pricing}, rounding {api.rounding}; "
                   f"{price_src.source}, {price_src.as_of}) x {_n(ctx.volume)} images x {ctx.attempts:.2f} attempts "
                   f"= {_usd(monthly)}/month; list prices, no hardware."]
        for r in (market.api_status_reason(api), market.commercial_caveat(api, sc.commercial)):
            if r:
                reasons.append(r)
        if sc.input_megapixels and api.input_mp_usd is not None:
            reasons.append(f"Includes {sc.input_megapixels:g} MP of reference input per request at "
                           f"{_usd(api.input_mp_usd.value)}/MP.")
        if sc.deadline_hours is not None:
            reasons.append("The catalog has no throughput or rate limit for this API; the deadline is assumed met "
                           "with parallel requests.")
        q = _quality_reason(ctx, pipe) if pipe is not None else None
        if q:
            reasons.append(q)
        if wait is not None:
            reasons.append(wait.sentence(ctx.turnaround))
        options.append(Option(
            id=oid, pipeline=api.pipeline, deployment="api", turnaround=wait.summary() if wait is not None else None, gpu=None, precision=None, fits=True,
            seconds_per_image=None, monthly_cost_usd=monthly, cost_per_image_usd=monthly / ctx.volume,
            cost_breakdown_usd=(breakdown := {"hardware": 0.0, "electricity": 0.0, "license": 0.0, "api": monthly,
                                              "rental": 0.0}),
            cost_breakdown_per_image_usd=_per_image(ctx, breakdown),
            gpu_hours_per_month=0.0, reasons=reasons, label=f"{model_name} via {api.provider}{'' if 'API' in api.provider else ' API'}",
            hardware=None, provider=api.provider, fixed_usd_per_month=0.0, model=api.model_slug,
            variable_usd_per_image=usd_image * ctx.attempts, uncertainty_usd_per_month=0.0,
            quality_elo=rules.quality_score(pipe) if pipe is not None else None, offer=api.slug,
        ))
    return options, excluded

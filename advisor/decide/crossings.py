"""Capacity-aware break-even volumes between the ways of working a studio weighs.

:func:`kind_crossings` takes the leading option of each kind (your card, buying a card, renting, an API) from a
ranked :class:`advisor.decide.engine.Result` and gives, for each pair, the monthly volume where their cost lines
``fixed + per_image x n`` cross (:func:`advisor.cost.tco.break_even_images_per_month`). A crossing beyond what a
self-hosted option's cards can make in a month (24/7: ``gpus x hours per month x 3600 / GPU-seconds per kept
image``) is reported as beyond capacity, never as a volume: past that volume the option would need more cards,
which is another option with other fixed costs.

:func:`practicality` flags an option that is too slow per image for people to work with, or that the catalog's
sources report failing too often on that card.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from advisor.cost import tco

#: the kinds, in the order a studio reads them: (label, predicate on an Option)
KINDS: tuple[tuple[str, str], ...] = (("own", "owned"), ("buy", "purchase"), ("rent", "rental"), ("api", "api"))

#: Seconds per image above which an option is flagged "not practical" by default. Assumption with its reasoning:
#: at 2 minutes an image a designer iterating on a prompt gets fewer than 30 tries an hour; Nielsen's limit for
#: keeping a user's attention on a task is 10 s (Nielsen Norman Group, "Response Times: The 3 Important Limits",
#: 1993, updated 2014), so 120 s is 12x past it; the catalog's own reports of FLUX.2 [dev] on a 12 GB card
#: ("crashes or unusable") sit above it. Overridable per call.
PRACTICAL_SECONDS_PER_IMAGE = 120.0
#: documented failure rate above which an option is flagged "not practical" (a share of generations)
PRACTICAL_FAILURE_RATE = 0.2


@dataclass(frozen=True)
class Crossing:
    """Where two kinds' leading options cost the same."""

    a: str  # option id
    b: str  # option id
    kind_a: str  # own | buy | rent | api
    kind_b: str
    images_per_month: float | None  # the crossing volume; None when beyond capacity or when the lines never cross
    status: str  # "crosses" | "beyond capacity" | "never"
    capacity_images_per_month: float | None  # the binding self-host capacity [images/month] (beyond capacity)
    cheaper_below: str | None  # option id cheaper below the crossing (None when the lines never cross)


def kind_of(option: Any) -> str:
    """'own', 'buy', 'rent' or 'api' for an engine option."""
    if option.deployment == "api":
        return "api"
    if option.deployment == "cloud-gpu":
        return "rent"
    return "own" if option.hardware == "owned" else "buy"


def capacity_images_per_month(option: Any) -> float | None:
    """Images a self-hosted option's cards make in a month running 24/7 [images/month]; None for rentals and APIs
    (more capacity is rented or bought per call)."""
    if option.deployment != "self-host":
        return None
    sec = getattr(option, "gpu_seconds_per_kept_image", None) or option.seconds_per_image
    if not sec or sec <= 0:
        return None
    return (option.gpus_needed or 1) * tco.HOURS_PER_MONTH * tco.SECONDS_PER_HOUR / sec


def leading_by_kind(result: Any) -> dict[str, Any]:
    """{kind: the best-ranked option of that kind} in the result's ranking (only options with a complete cost)."""
    out: dict[str, Any] = {}
    for o in result.options:
        if not getattr(o, "license_fee_known", True):
            continue
        out.setdefault(kind_of(o), o)
    return {k: out[k] for k, _ in KINDS if k in out}


def crossing(a: Any, b: Any) -> Crossing:
    """The capacity-aware crossing of two options' cost lines."""
    n = tco.break_even_images_per_month(a.fixed_usd_per_month, a.variable_usd_per_image,
                                        b.fixed_usd_per_month, b.variable_usd_per_image)
    cheaper_below = None
    if n is not None:
        cheaper_below = a.id if a.fixed_usd_per_month < b.fixed_usd_per_month else b.id
    caps = [c for c in (capacity_images_per_month(a), capacity_images_per_month(b)) if c is not None]
    cap = min(caps) if caps else None
    if n is None:
        return Crossing(a.id, b.id, kind_of(a), kind_of(b), None, "never", None, None)
    if cap is not None and n > cap:
        return Crossing(a.id, b.id, kind_of(a), kind_of(b), None, "beyond capacity", cap, cheaper_below)
    return Crossing(a.id, b.id, kind_of(a), kind_of(b), n, "crosses", None, cheaper_below)


def kind_crossings(result: Any) -> list[Crossing]:
    """Crossings between the leading option of each kind (own, buy, rent, API), in that order of pairs."""
    lead = list(leading_by_kind(result).values())
    return [crossing(a, b) for i, a in enumerate(lead) for b in lead[i + 1:]]


def practicality(option: Any, catalog: Any, limit_seconds_per_image: float = PRACTICAL_SECONDS_PER_IMAGE,
                 failure_rate_limit: float = PRACTICAL_FAILURE_RATE) -> str | None:
    """Why an option is not practical, or None: slower than ``limit_seconds_per_image`` [s] per image, or a
    documented failure rate on its card above ``failure_rate_limit`` (the catalog's keep-rate facts with metric
    ``failure_rate`` for its model and card)."""
    if not (math.isfinite(limit_seconds_per_image) and limit_seconds_per_image > 0):
        from advisor.errors import InputError

        raise InputError("practical limit [s/image]", limit_seconds_per_image, "a number > 0")
    why = []
    sec = option.seconds_per_image
    if sec is not None and sec > limit_seconds_per_image:
        why.append(f"{sec:,.0f} s per image, over the practical limit of {limit_seconds_per_image:g} s")
    book = getattr(catalog, "quality", None)
    if book is not None and option.gpu:
        for k in book.keep_facts(option.model or option.pipeline or ""):
            if k.metric == "failure_rate" and k.gpu == option.gpu and k.value > failure_rate_limit:
                why.append(f"{k.value:.0%} of generations failed on this card ({k.source}, {k.as_of})")
                break
    return "; ".join(why) if why else None


def practical_first(ranked: list[Any], catalog: Any) -> list[Any]:
    """Set each option's ``not_practical`` reason (:func:`practicality`) and move the impractical ones after the
    practical ones (order kept within each group), so an option people could not work with is never recommended
    while a practical one exists; it stays in the table with its reason."""
    for o in ranked:
        why = practicality(o, catalog)
        o.not_practical = f"not practical: {why}" if why else ""
        if why:
            o.reasons.append(f"Not practical: {why}. It stays in the table but ranks after every practical option.")
    return [o for o in ranked if not o.not_practical] + [o for o in ranked if o.not_practical]

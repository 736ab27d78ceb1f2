"""People's time in the decision: its own cost segment ``cost_breakdown_usd['people']`` on every option, counted the
same way for every way of working (:mod:`advisor.cost.people` has the formula and the parts).

* :func:`kind_of` - the people's-time kind of an option (owned, purchase, rental pod, serverless, API);
* :func:`people_usd_per_month` - people's time of one deployment kind [USD/month] (one machine, no sessions);
* :func:`add_people` - the segment, its parts and its reason on every option, in place;
* :func:`people_zero_reason` - what the answer would be with people's time at zero;
* :func:`assumptions` - the inputs as resolved, with where each came from.
"""

from __future__ import annotations

from typing import Any

from advisor.cost import people as cost_people
from advisor.fmt import usd as _usd

# Context, Option and Recommendation are advisor.decide.option's classes (only named in annotations here).

#: where the people's-time figures come from when the user gives none
PEOPLE_DEFAULTS_NOTE = ("figures you did not set are the stated defaults of profiles/defaults.yaml people_time: "
                        "assumptions with their reasoning, not measurements")

#: the rule, stated in the assumptions
PEOPLE_RULE = ("the same for every way of working: set-up per kind (own/buy, rental, API) amortised over the "
               "amortization months; software upkeep for every self-run kind (own, buy, rent); hardware upkeep per "
               "owned or bought machine; operator minutes per rental session started and stopped by hand (pods, not "
               "serverless); minutes per spot reclaim; all x the hourly rate")


def kind_of(o: "Option") -> str:
    """``owned`` | ``purchase`` | ``rental`` (a pod a person starts and stops) | ``serverless`` | ``api``."""
    if o.deployment == "api":
        return "api"
    if o.hardware in ("owned", "purchase"):
        return o.hardware
    return "rental" if o.started_by_hand else "serverless"


def people_usd_per_month(ctx: "Context", deployment: str) -> float:
    """People's time of one deployment kind for one machine and no rental sessions [USD/month].

    ``deployment``: ``self-host`` (an owned or bought machine), ``cloud-gpu`` (a rental: set-up + software upkeep;
    its sessions and reclaims are added per option by :func:`add_people`) or ``api``.
    """
    kind = {"self-host": "owned", "cloud-gpu": "serverless", "api": "api"}.get(deployment, deployment)
    parts = cost_people.usd_per_month(_people(ctx), kind, ctx.amortization_months)
    return sum(parts.values())


def _people(ctx: "Context") -> cost_people.PeopleTime:
    if ctx.people is not None:
        return ctx.people
    return cost_people.resolve(ctx.scenario, ctx.catalog.defaults)[0]


def _reason(p: cost_people.PeopleTime, kind: str, o: "Option", months: float, total_usd: float,
            hours: dict[str, float]) -> str:
    what = {"owned": "own/buy", "purchase": "own/buy", "rental": "rental", "serverless": "rental",
            "api": "API integration"}[kind]
    parts = [f"{p.setup_for(kind):g} h {what} set-up over {months:g} months"]
    if hours["software_upkeep"]:
        parts.append(f"{p.upkeep_hours_per_month:g} h/month software upkeep")
    if hours["hardware_upkeep"]:
        per = f" x {o.gpus_needed} machines" if o.gpus_needed > 1 else ""
        parts.append(f"{p.hardware_upkeep_hours_per_month:g} h/month hardware upkeep{per}")
    if hours["operator"]:
        parts.append(f"{o.sessions_per_month:.3g} sessions/month started and stopped by hand x "
                     f"{p.operator_minutes_per_session:g} min")
    if hours["reclaims"]:
        parts.append(f"{o.reclaims_per_month:.3g} spot reclaims/month x {p.reclaim_minutes_per_event:g} min")
    return (f"People's time: {' + '.join(parts)} = {sum(hours.values()):.3g} h/month at "
            f"{_usd(p.hourly_rate_usd)}/h = {_usd(total_usd)}/month ({PEOPLE_DEFAULTS_NOTE}).")


def add_people(ctx: "Context", options: list["Option"]) -> None:
    """Add people's time to every option as its own segment ``people`` (0 when not counted), its parts in
    ``people_breakdown_usd`` and ``people_hours_per_month``, in place. It is a fixed cost (moves the break-even line,
    not the per-image slope)."""
    p = _people(ctx)
    for o in options:
        kind = kind_of(o)
        hours = cost_people.hours_per_month(
            p, kind, ctx.amortization_months, machines=max(o.gpus_needed, 1),
            sessions_per_month=o.sessions_per_month if kind == "rental" else 0.0,
            reclaims_per_month=o.reclaims_per_month if kind == "rental" else 0.0)
        parts = {k: v * p.hourly_rate_usd for k, v in hours.items()}
        people = sum(parts.values())
        o.people_breakdown_usd = parts
        o.people_hours_per_month = sum(hours.values())
        o.cost_breakdown_usd["people"] = people
        o.monthly_cost_usd += people
        o.fixed_usd_per_month += people
        o.cost_per_image_usd = o.monthly_cost_usd / ctx.volume
        o.cost_breakdown_per_image_usd = {k: v / ctx.volume for k, v in o.cost_breakdown_usd.items()}
        if people > 0:
            o.reasons.append(_reason(p, kind, o, ctx.amortization_months, people, hours))


def people_zero_reason(ranked: list["Option"], rec: "Recommendation") -> str | None:
    """What the answer would be with people's time set to zero: the cheapest option whose cost is complete, by
    monthly cost less its ``people`` segment. None when no option has people's time (the answer is already the
    zero-people one) or nothing is recommended."""
    if not any(o.cost_breakdown_usd.get("people", 0.0) > 0 for o in ranked) or rec.option_id is None:
        return None
    known = [o for o in ranked if o.license_fee_known]
    alt = min(known, key=lambda o: (o.monthly_cost_usd - o.cost_breakdown_usd.get("people", 0.0), o.id), default=None)
    if alt is None:
        return None
    if alt.id == rec.option_id:
        return "With people's time set to zero the answer stays the same."
    return (f"With people's time set to zero the answer would be {alt.label} at "
            f"{_usd(alt.monthly_cost_usd - alt.cost_breakdown_usd.get('people', 0.0))}/month.")


def assumptions(ctx: "Context") -> dict[str, Any]:
    """People's-time inputs as resolved (added to :func:`advisor.decide.engine.assumptions`): each figure, where it
    came from, and its low..high range for the risk sampling."""
    p = _people(ctx)
    return {
        **p.model_dump(),
        "people_time_sources": dict(ctx.people_sources),
        "people_time_ranges": {k: list(v) for k, v in cost_people.ranges(ctx.catalog.defaults).items()},
        "people_time_source": PEOPLE_DEFAULTS_NOTE,
        "people_rule": PEOPLE_RULE,
    }

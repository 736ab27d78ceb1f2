"""Which catalog prices an option rests on, how old they are, and which of them to check before deciding.

An option's cost is computed from a few catalog prices (:mod:`advisor.decide.engine`): the purchase price of the
card it buys (street-price midpoint, else launch price), the on-demand (or spot) hourly price of the rental offer, the API's
list prices, the catalog's default electricity price (when the scenario sets none) and a published licence fee.
:func:`option_prices` lists those :class:`PriceBasis` entries with their source and ``as_of`` date;
:func:`decision_prices` does it for the recommended option and the runner-up, the two the decision is between.

A price is *stale* when its ``as_of`` date is more than :data:`advisor.catalog.STALE_AFTER_DAYS` days old, and
*flagged* when its source or note calls it "inconsistent" (public-data.md labels transcriptions that disagree
with each other that way). Either puts a warning next to the recommendation (app and HTML report).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from advisor.catalog import STALE_AFTER_DAYS, Catalog, Sourced, SourcedRange

#: words in a price's source or note that flag it as doubtful (case-insensitive)
FLAG_WORDS = ("inconsistent",)


@dataclass(frozen=True)
class PriceBasis:
    """One catalog price an option's cost rests on.

    ``field`` is the catalog path ('rentals.runpod-rtx-4090-pod.on_demand_usd_per_hour'); ``what`` says it for
    people; ``value`` (a single number) or ``low``/``high`` (a range) are the catalog's numbers in ``unit``;
    ``age_days`` = today - ``as_of`` [days].
    """

    option_id: str
    field: str
    what: str
    unit: str
    value: float | None
    low: float | None
    high: float | None
    source: str
    as_of: dt.date
    note: str
    age_days: int
    stale: bool
    flagged: bool
    stale_after_days: int = STALE_AFTER_DAYS  # 90 for a card's street or used price (advisor.catalog.sourced)

    @property
    def needs_check(self) -> bool:
        """True when the price is stale or flagged."""
        return self.stale or self.flagged

    @property
    def problem(self) -> str:
        """'stale (412 days old)', 'flagged inconsistent', both joined by ' and ', or ''."""
        out = []
        if self.stale:
            out.append(f"stale ({self.age_days} days old; older than {self.stale_after_days} days)")
        if self.flagged:
            out.append("flagged inconsistent by its source")
        return " and ".join(out)


def _flagged(source: str, note: str | None) -> bool:
    text = f"{source} {note or ''}".lower()
    return any(w in text for w in FLAG_WORDS)


def _basis(option_id: str, field: str, what: str, unit: str, s: Sourced | SourcedRange, today: dt.date) -> PriceBasis:
    age = (today - s.as_of).days
    value = s.value if isinstance(s, Sourced) else None
    low = s.low if isinstance(s, SourcedRange) else None
    high = s.high if isinstance(s, SourcedRange) else None
    return PriceBasis(option_id=option_id, field=field, what=what, unit=unit, value=value, low=low, high=high,
                      source=s.source, as_of=s.as_of, note=s.note or "", age_days=age,
                      stale=s.is_stale(today), flagged=_flagged(s.source, s.note),
                      stale_after_days=getattr(s, "stale_after_days", STALE_AFTER_DAYS))


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def option_prices(option: Any, catalog: Catalog, scenario: dict[str, Any] | None = None,
                  today: dt.date | None = None, assumptions: dict[str, Any] | None = None) -> list[PriceBasis]:
    """The catalog prices behind ``option``'s cost (an :class:`advisor.decide.Option` or its JSON dict).

    ``catalog`` must be the one the option was costed on (the scenario's overrides applied: an override is a catalog
    number with its own source and as_of); ``scenario`` is the result's scenario mapping (``Result.scenario``): when it
    sets the electricity price (or a region whose tariff sets it), that is not the catalog's default price, which is
    then not listed; ``assumptions`` (``Result.assumptions``) confirms the price the engine used was the default.
    """
    today = today or dt.date.today()
    scenario = scenario or {}
    oid = str(_get(option, "id"))
    kind, _, rest = oid.partition(":")
    breakdown = _get(option, "cost_breakdown_usd") or {}
    out: list[PriceBasis] = []
    gpu = catalog.gpus.get(_get(option, "gpu") or "")
    if kind == "self-host" and _get(option, "hardware") == "purchase" and gpu is not None:
        # the engine's purchase price (advisor.decide.market.system_price): the card's new street-price midpoint, else
        # its used-price midpoint, else its launch price; plus the rest of a working machine of its system class
        for name, what in (("street_price_usd", "new street price"), ("used_price_usd", "used price"),
                           ("launch_price_usd", "launch price")):
            if getattr(gpu, name) is not None:
                out.append(_basis(oid, f"gpus.{gpu.slug}.{name}", f"{what} of the {gpu.name}", "USD",
                                  getattr(gpu, name), today))
                break
        rest_usd = catalog.defaults.rest_of_system_usd.get(gpu.system_class or "")
        if rest_usd is not None:
            out.append(_basis(oid, f"defaults.rest_of_system_usd.{gpu.system_class}",
                              f"rest of a '{gpu.system_class}' machine (CPU, board, RAM, PSU, case, storage)", "USD",
                              rest_usd, today))
    elif kind == "cloud-gpu":
        # the option's typed fields (Option.offer, Option.spot); ids are only parsed for a JSON dict without them
        offer = catalog.rentals.get(_get(option, "offer") or rest.split(":")[0])
        if offer is not None:
            card = catalog.gpus[offer.gpu].name if offer.gpu in catalog.gpus else offer.gpu
            spot_flag = _get(option, "spot")
            spot = (spot_flag if spot_flag is not None else oid.endswith(":spot")) and \
                getattr(offer, "spot_usd_per_hour", None) is not None
            name = "spot_usd_per_hour" if spot else "on_demand_usd_per_hour"  # id = ...:<precision>[:spot]
            out.append(_basis(oid, f"rentals.{offer.slug}.{name}",
                              f"{offer.provider} {'spot' if spot else 'on-demand'} price of the {card}", "USD/h",
                              getattr(offer, name), today))
    elif kind == "api":
        api = catalog.apis.get(_get(option, "offer") or rest)  # id = api:<offer>
        if api is not None:
            fields = {"first_mp_usd": "price of the first megapixel",
                      "additional_mp_usd": "price per additional megapixel", "per_mp_usd": "price per megapixel", "per_image_usd": "price per image"}
            if float(scenario.get("input_megapixels") or 0) > 0:
                fields["input_mp_usd"] = "price per input megapixel"
            for name, what in fields.items():
                s = getattr(api, name)
                if s is not None:
                    out.append(_basis(oid, f"apis.{api.slug}.{name}", f"{api.provider} {what}",
                                      "USD/image" if name == "per_image_usd" else "USD/MP", s, today))
    assumed = (_get(assumptions, "electricity_usd_per_kwh") if assumptions is not None else None)
    default_kwh = catalog.defaults.electricity_usd_per_kwh
    uses_default = scenario.get("electricity_usd_per_kwh") is None and not scenario.get("region") and (
        assumed is None or assumed == default_kwh.value)
    if float(breakdown.get("electricity") or 0) > 0 and uses_default:
        out.append(_basis(oid, "defaults.electricity_usd_per_kwh", "default electricity price", "USD/kWh",
                          catalog.defaults.electricity_usd_per_kwh, today))
    pipe = catalog.pipelines.get(_get(option, "pipeline") or "")
    if float(breakdown.get("license") or 0) > 0 and pipe is not None and pipe.license.fee_usd_per_month is not None:
        out.append(_basis(oid, f"pipelines.{pipe.slug}.license.fee_usd_per_month",
                          f"{pipe.license.name} licence fee", "USD/month", pipe.license.fee_usd_per_month, today))
    return out


def decision_option_ids(result: Any) -> list[str]:
    """The recommended option id and the runner-up's (the engine's ``Recommendation.runner_up_id``), in that order."""
    rec = _get(result, "recommendation")
    ids = [_get(rec, "option_id"), _get(rec, "runner_up_id")]
    return [i for i in dict.fromkeys(ids) if i]


def decision_prices(result: Any, catalog: Catalog, today: dt.date | None = None) -> dict[str, list[PriceBasis]]:
    """{option id: its :func:`option_prices`} for the recommended option and the runner-up (in that order)."""
    options = {_get(o, "id"): o for o in _get(result, "options", []) or []}
    scenario = _get(result, "scenario") or {}
    assumptions = _get(result, "assumptions") or {}
    return {oid: option_prices(options[oid], catalog, scenario, today, assumptions)
            for oid in decision_option_ids(result) if oid in options}


def price_warnings(prices: dict[str, list[PriceBasis]]) -> list[PriceBasis]:
    """The prices of :func:`decision_prices` that are stale or flagged (each catalog field once)."""
    seen: set[str] = set()
    out = []
    for rows in prices.values():
        for p in rows:
            if p.needs_check and p.field not in seen:
                seen.add(p.field)
                out.append(p)
    return out

"""People's time, counted the same way for every way of working (own, buy, rent, API).

A studio pays people for (hours, or minutes where the name says so; all x ``hourly_rate_usd``):

* set-up, once per deployment kind, amortised over the amortisation months like hardware:
  own/buy ``setup_hours`` (drivers, stack, weights), rental ``rental_setup_hours`` (image/template, volume,
  scripts), API ``api_setup_hours`` (integration);
* software upkeep ``upkeep_hours_per_month`` for every kind it runs itself (own, buy and rent alike);
* hardware upkeep ``hardware_upkeep_hours_per_month`` per owned or bought machine only;
* ``operator_minutes_per_session`` per rental session started and stopped by hand (pods; not serverless);
* ``reclaim_minutes_per_event`` per spot reclaim.

Formula (straight-line amortisation as :func:`advisor.cost.tco.hardware_amortization_usd_per_month`)::

    people [USD/month] = rate x (setup / amortization_months + software upkeep + hardware upkeep x machines
                                 + sessions x operator_minutes / 60 + reclaims x reclaim_minutes / 60)

The stated defaults and their low..high ranges are ``people_time`` in ``profiles/defaults.yaml`` (assumptions with
their reasoning); :func:`resolve` fills the scenario's gaps from them and :func:`ranges` gives the ranges for the
Monte Carlo.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: the people's-time inputs, in the order they are explained (scenario field names = profiles/defaults.yaml keys)
FIELDS: tuple[str, ...] = ("setup_hours", "rental_setup_hours", "api_setup_hours", "upkeep_hours_per_month",
                           "hardware_upkeep_hours_per_month", "operator_minutes_per_session",
                           "reclaim_minutes_per_event", "hourly_rate_usd")

#: what each input means, for errors, help texts and the assumptions block
MEANING: dict[str, str] = {
    "setup_hours": "set-up of an owned or bought machine (drivers, stack, weights), one-off [h]",
    "rental_setup_hours": "set-up of a rented GPU (image/template, volume, scripts), one-off [h]",
    "api_setup_hours": "integration of an API, one-off [h]",
    "upkeep_hours_per_month": "software upkeep of any stack the studio runs itself (own, buy, rent) [h/month]",
    "hardware_upkeep_hours_per_month": "upkeep of each owned or bought machine [h/month]",
    "operator_minutes_per_session": "a person's time per rental session started and stopped by hand [min]",
    "reclaim_minutes_per_event": "a person's time per spot reclaim [min]",
    "hourly_rate_usd": "the studio's cost of one person-hour [USD/h]",
}

Kind = Literal["owned", "purchase", "rental", "serverless", "api"]


class PeopleTime(BaseModel):
    """Resolved people's-time inputs (each >= 0; units in the names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    setup_hours: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    rental_setup_hours: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    api_setup_hours: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    upkeep_hours_per_month: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    hardware_upkeep_hours_per_month: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    operator_minutes_per_session: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    reclaim_minutes_per_event: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    hourly_rate_usd: float = Field(default=0.0, ge=0, allow_inf_nan=False)

    def setup_for(self, kind: Kind) -> float:
        """One-off set-up hours of a deployment kind [h]."""
        if kind in ("owned", "purchase"):
            return self.setup_hours
        if kind in ("rental", "serverless"):
            return self.rental_setup_hours
        return self.api_setup_hours


def hours_per_month(p: PeopleTime, kind: Kind, amortization_months: float, machines: int = 1,
                    sessions_per_month: float = 0.0, reclaims_per_month: float = 0.0) -> dict[str, float]:
    """People's hours per month of one option, by part [h/month] (see the module docstring for the formula).

    ``machines``: owned/bought machines (hardware upkeep is per machine); ``sessions_per_month``: rental sessions
    started and stopped by hand (pods; 0 for serverless); ``reclaims_per_month``: expected spot reclaims.
    """
    if not (amortization_months > 0 and math.isfinite(amortization_months)):
        raise ValueError(f"amortization_months must be > 0, got {amortization_months!r}")
    for name, v in (("machines", machines), ("sessions_per_month", sessions_per_month),
                    ("reclaims_per_month", reclaims_per_month)):
        if not (v >= 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    self_run = kind != "api"
    owned = kind in ("owned", "purchase")
    by_hand = kind == "rental"
    return {
        "setup": p.setup_for(kind) / amortization_months,
        "software_upkeep": p.upkeep_hours_per_month if self_run else 0.0,
        "hardware_upkeep": p.hardware_upkeep_hours_per_month * machines if owned else 0.0,
        "operator": sessions_per_month * p.operator_minutes_per_session / 60.0 if by_hand else 0.0,
        "reclaims": reclaims_per_month * p.reclaim_minutes_per_event / 60.0 if by_hand else 0.0,
    }


def usd_per_month(p: PeopleTime, kind: Kind, amortization_months: float, machines: int = 1,
                  sessions_per_month: float = 0.0, reclaims_per_month: float = 0.0) -> dict[str, float]:
    """:func:`hours_per_month` x ``hourly_rate_usd``, by part [USD/month]; their sum is the ``people`` segment."""
    h = hours_per_month(p, kind, amortization_months, machines, sessions_per_month, reclaims_per_month)
    return {k: v * p.hourly_rate_usd for k, v in h.items()}


def _catalog_value(defaults: Any, name: str) -> float:
    fig = (getattr(defaults, "people_time", None) or {}).get(name)
    return float(fig.value) if fig is not None else 0.0


def counted(scenario: Any) -> bool:
    """Whether the scenario counts people's time at all: an hourly rate > 0 and a set-up or upkeep figure > 0
    (``--setup-hours 0 --upkeep-hours-per-month 0``, or ``--hourly-rate 0``, leaves every part out)."""
    rate = scenario.hourly_rate_usd or 0.0
    return rate > 0 and ((scenario.setup_hours or 0.0) > 0 or (scenario.upkeep_hours_per_month or 0.0) > 0)


def resolve(scenario: Any, defaults: Any) -> tuple[PeopleTime, dict[str, str]]:
    """The scenario's people's time with its gaps filled, and where each figure came from.

    ``setup_hours``, ``upkeep_hours_per_month`` and ``hourly_rate_usd`` are the scenario's (0 when not given, as
    before). The per-kind figures (``rental_setup_hours``, ...) are the scenario's when given, else the stated
    default of ``profiles/defaults.yaml`` when people's time is :func:`counted`, else 0.
    """
    on = counted(scenario)
    values: dict[str, float] = {}
    where: dict[str, str] = {}
    for name in FIELDS:
        given = getattr(scenario, name, None)
        if given is not None:
            values[name] = float(given)
            where[name] = "your scenario"
        elif on:
            values[name] = _catalog_value(defaults, name)
            fig = (getattr(defaults, "people_time", None) or {}).get(name)
            where[name] = f"{fig.source} ({fig.as_of})" if fig is not None else "no catalog default: 0"
        else:
            values[name] = 0.0
            where[name] = "people's time left out"
    return PeopleTime(**values), where


def ranges(defaults: Any) -> dict[str, tuple[float, float]]:
    """The low..high range of each people's-time input from ``profiles/defaults.yaml`` (for the Monte Carlo)."""
    return {name: (float(f.low), float(f.high)) for name, f in (getattr(defaults, "people_time", None) or {}).items()}

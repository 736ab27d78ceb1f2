"""Flags shared by ``recommend``, ``compare`` and ``turnaround``: people's time per deployment kind and the owned
card's holding cost (scenario fields with the same names; a flag wins over the ``--scenario`` file)."""

from __future__ import annotations

from typing import Any

from advisor.cost.people import FIELDS as PEOPLE_FIELDS

#: --people-time NAME=VALUE names (the scenario fields; the three with their own flags are accepted too)
PEOPLE_TIME_HELP = ("people's time NAME=VALUE (repeatable): " + ", ".join(PEOPLE_FIELDS) +
                    "; stated defaults in profiles/defaults.yaml people_time")
HOLDING_FIELDS = ("used_price_decline_per_month", "cost_of_capital_per_year", "owned_card_resale_usd",
                  "selling_fee_fraction")
HOLDING_HELP = ("owned card NAME=VALUE (repeatable): used_price_decline_per_month (0.01 = 1 %/month), "
                "cost_of_capital_per_year (0.08 = 8 %/year), owned_card_resale_usd (what you would receive for it "
                "today), selling_fee_fraction (0.1325 = eBay's fee)")
OWNED_CARD_VIEW_HELP = ("holding (default): the owned card costs its used price's decline + the cost of capital on "
                        "its resale value, what keeping it instead of selling it costs; sunk: the purchase costs "
                        "nothing")


def economics_flag_data(people_time: list[str] | None, owned_card_view: str | None,
                        holding: list[str] | None) -> dict[str, Any]:
    """Scenario fields from ``--people-time``, ``--owned-card-view`` and ``--holding``; InputError (one line, naming
    the flag, the value and what is allowed) on an unknown name or a malformed pair. Ranges are checked by the
    Scenario."""
    from advisor.errors import InputError

    out: dict[str, Any] = {}
    for flag, items, names in (("--people-time", people_time, PEOPLE_FIELDS), ("--holding", holding, HOLDING_FIELDS)):
        allowed = f"NAME=NUMBER with NAME one of {', '.join(names)}"
        for item in items or []:
            name, sep, raw = item.partition("=")
            try:
                value = float(raw)
            except ValueError:
                raise InputError(flag, item, allowed) from None
            if not sep or name.strip() not in names:
                raise InputError(flag, item, allowed)
            out[name.strip()] = value
    if owned_card_view is not None:
        if owned_card_view not in ("holding", "sunk"):
            raise InputError("--owned-card-view", owned_card_view, "holding or sunk")
        out["owned_card_view"] = owned_card_view
    return out

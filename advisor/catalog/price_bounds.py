"""Plausible bounds of a price a studio gives (imported quotes, scenario overrides), checked where it enters.

A price outside these bounds is a typo or a hostile value (``1e308`` would make every later cost infinite), never a
real quote. The bounds are deliberately wide (well above any public price in ``profiles/``, far below overflow):

- a GPU (street, used or launch price): under $100,000 per card (an H200 SXM lists near $35,000);
- a rental: under $1,000 per GPU-hour (8-GPU H200 nodes rent for under $50/h); storage under $10 per GB-month;
- an API: under $10 per image and per megapixel (the dearest catalog offers cost cents); a subscription under
  $100,000 per month;
- electricity: under $5 per kWh (the scenario's own bound);
- text: a source of at most 300 characters, a note of at most 500, no control characters (NUL bytes included).

A zero price is refused unless the note says the item is free (a note beginning with "free"): a "$0/month" answer
from a missing digit is worse than a refusal.

Public API: :data:`PRICE_BOUNDS_USD`, :func:`check_value`, :func:`check_text`, :func:`check_override_values`.
No import of the rest of the catalog (the catalog's ``PriceOverride`` calls :func:`check_value`).
"""

from __future__ import annotations

import math
from typing import Any

from advisor.errors import InputError

#: field -> (exclusive upper bound, unit): a price at or above the bound is refused
PRICE_BOUNDS_USD: dict[str, tuple[float, str]] = {
    "street_price_usd": (100_000.0, "USD per card"),
    "used_price_usd": (100_000.0, "USD per card"),
    "launch_price_usd": (100_000.0, "USD per card"),
    "on_demand_usd_per_hour": (1_000.0, "USD per GPU-hour"),
    "spot_usd_per_hour": (1_000.0, "USD per GPU-hour"),
    "persistent_storage_usd_per_gb_month": (10.0, "USD per GB-month"),
    "per_image_usd": (10.0, "USD per image"),
    "per_mp_usd": (10.0, "USD per megapixel"),
    "first_mp_usd": (10.0, "USD per megapixel"),
    "additional_mp_usd": (10.0, "USD per megapixel"),
    "input_mp_usd": (10.0, "USD per input megapixel"),
    "subscription_usd_per_month": (100_000.0, "USD per month"),
    "electricity_usd_per_kwh": (5.0, "USD per kWh"),
}
MAX_SOURCE_CHARS = 300
MAX_NOTE_CHARS = 500
#: API fields used by each pricing kind (``input_mp_usd`` is used by every kind when inputs are priced)
API_FIELDS_FOR_PRICING = {
    "first-mp-plus-additional": ("first_mp_usd", "additional_mp_usd", "input_mp_usd"),
    "per-megapixel": ("per_mp_usd", "input_mp_usd"),
    "per-image": ("per_image_usd", "input_mp_usd"),
    "subscription": ("subscription_usd_per_month",),
}


def declared_free(note: str | None) -> bool:
    """True when the note says the item is free (begins with 'free', any case): a zero price is then meant."""
    return bool(note) and note.strip().lower().startswith("free")


def check_value(where: str, field: str, value: Any, note: str | None = None, allow_zero: bool = False) -> float:
    """``value`` as a float within the field's plausible bound; :class:`InputError` naming ``where`` otherwise.

    Zero only when ``allow_zero`` or the note declares the item free (:func:`declared_free`)."""
    bound, unit = PRICE_BOUNDS_USD.get(field, (math.inf, "USD"))
    allowed = f"a number >= 0 and < {bound:,.0f} [{unit}]" if math.isfinite(bound) else "a finite number >= 0"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(where, _cut(value), allowed)
    x = float(value)
    if not math.isfinite(x) or x < 0 or x >= bound:
        raise InputError(where, _cut(value), allowed)
    if x == 0 and not (allow_zero or declared_free(note)):
        raise InputError(where, _cut(value), f"{allowed}; a zero price only with a note beginning 'free' (e.g. "
                                             f"'free tier')")
    return x


def check_text(where: str, text: Any, max_chars: int) -> str:
    """Printable text of at most ``max_chars`` characters (no NUL or other control characters)."""
    if not isinstance(text, str):
        raise InputError(where, _cut(text), f"text of at most {max_chars} characters")
    if len(text) > max_chars:
        raise InputError(where, f"{len(text):,} characters", f"at most {max_chars} characters")
    bad = next((c for c in text if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        raise InputError(where, f"text with the control character {bad!r}", "printable text (no NUL bytes, tabs "
                                                                            "or line breaks)")
    return text


def _cut(value: Any, limit: int = 40) -> Any:
    text = str(value)
    return value if len(text) <= limit else f"{text[:limit - 20]}...({len(text):,} characters)"


def check_override_values(overrides: Any) -> None:
    """Every price in scenario ``overrides`` (``{section: {slug: {field: {value|low|high, source, note}}}}``,
    ``defaults: {field: {...}}``) within :data:`PRICE_BOUNDS_USD`; one-line :class:`InputError` naming
    ``overrides.<section>.<slug>.<field>.<value|low|high>`` otherwise. A zero is allowed here (a scenario states
    its own assumptions, e.g. free electricity); other fields are left to the catalog."""
    if not isinstance(overrides, dict):
        return
    for section, body in overrides.items():
        if not isinstance(body, dict):
            continue
        entries = {"defaults": body}.items() if section == "defaults" else body.items()
        for slug, patch in entries:
            if not isinstance(patch, dict):
                continue
            where = "overrides.defaults" if section == "defaults" else f"overrides.{section}.{slug}"
            for field, num in patch.items():
                if field not in PRICE_BOUNDS_USD or not isinstance(num, dict):
                    continue
                note = num.get("note") if isinstance(num.get("note"), str) else None
                for key in ("value", "low", "high"):
                    if key in num and num[key] is not None:
                        check_value(f"{where}.{field}.{key}", field, num[key], note, allow_zero=True)
                for key, limit in (("source", MAX_SOURCE_CHARS), ("note", MAX_NOTE_CHARS)):
                    if isinstance(num.get(key), str):
                        check_text(f"{where}.{field}.{key}", num[key], limit)

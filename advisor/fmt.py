"""Formatting shared by every layer that writes prose for people (decision reasons, tables, the app, the report).

Money: :func:`usd` (the engine's reasons), :func:`money` (any currency at a given rate), :func:`per_thousand_images`,
:func:`per_month`; quantities: :func:`number`. None of them ever writes scientific notation. Text is data:
:func:`csv_cell` / :func:`csv_row` neutralise spreadsheet formulas, :func:`md_text` escapes Markdown.
"""

from __future__ import annotations

import math
import re as _re


def usd(x: float | None) -> str:
    """Money for display [USD]: '$12,345' from $100, '$12.34' from $1, else 3 significant digits in fixed
    notation ('$0.412', '$0.00412', '$0.0000299'; never '2.99e-05'); '-' for None."""
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"${x:,.0f}"
    if abs(x) >= 1:
        return f"${x:,.2f}"
    if x == 0:
        return "$0"
    decimals = min(12, 2 - math.floor(math.log10(abs(x))))  # 3 significant digits
    return f"${x:.{decimals}f}"


#: symbols written before an amount; any other ISO 4217 code is written as 'CHF 12.34'
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹", "KRW": "₩",
                    "CAD": "CA$", "AUD": "A$"}

#: currencies shown without decimals (their minor unit is not used in prices)
NO_DECIMALS = frozenset({"JPY", "KRW"})


def _fixed(x: float, decimals_at_least_1: int) -> str:
    """|x| with thousands separators: no decimals from 100, ``decimals_at_least_1`` from 1, else 3 significant
    digits in fixed notation (never scientific notation)."""
    a = abs(x)
    if a >= 100:
        return f"{a:,.0f}"
    if a >= 1:
        return f"{a:,.{decimals_at_least_1}f}"
    if a == 0:
        return "0"
    decimals = min(12, 2 - math.floor(math.log10(a)))  # 3 significant digits
    return f"{a:.{decimals}f}"


def money(x_usd: float | None, currency: str = "USD", usd_to_currency: float = 1.0) -> str:
    """An amount for people: ``x_usd`` [USD] times ``usd_to_currency`` [currency per USD], in ``currency``.

    '$12,345' from 100, '$12.34' from 1, below 1 three significant digits in fixed notation ('$0.0288',
    '$0.0000299'; never '2.99e-05'); a minus sign before the symbol ('-$3.50'); '-' for None. ``currency`` is an
    ISO 4217 code ('USD', 'EUR', ...): a known symbol ('€12.34') or the code ('CHF 12.34').
    """
    if x_usd is None:
        return "-"
    code = currency.upper()
    if not (isinstance(usd_to_currency, (int, float)) and math.isfinite(usd_to_currency) and usd_to_currency > 0):
        raise ValueError(f"usd_to_currency must be a finite number > 0 [{code} per USD], got {usd_to_currency!r}")
    x = x_usd * usd_to_currency
    digits = _fixed(x, 0 if code in NO_DECIMALS and abs(x) >= 1 else 2)
    sign = "-" if x < 0 and digits.strip("0.,") else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"


#: images per priced batch in :func:`per_thousand_images` [images]
IMAGES_PER_PRICED_BATCH = 1000


def per_thousand_images(cost_per_image_usd: float | None, currency: str = "USD", usd_to_currency: float = 1.0) -> str:
    """Cost of 1,000 images [currency / 1,000 images] from a cost per image [USD/image]: '$0.0288 per 1,000 images'
    rather than '$0.0000288 per image'."""
    if cost_per_image_usd is None:
        return "-"
    return (f"{money(cost_per_image_usd * IMAGES_PER_PRICED_BATCH, currency, usd_to_currency)} per "
            f"{IMAGES_PER_PRICED_BATCH:,} images")


def per_month(monthly_usd: float | None, currency: str = "USD", usd_to_currency: float = 1.0) -> str:
    """A monthly amount [currency/month] from USD/month: '$1,234/month'."""
    if monthly_usd is None:
        return "-"
    return f"{money(monthly_usd, currency, usd_to_currency)}/month"


def number(x: float | None, digits: int = 3, trim: bool = False) -> str:
    """A plain quantity for people, never in scientific notation: ``digits`` significant digits in fixed notation,
    at least the integer part, with thousands separators ('12.3', '0.00412', '12,346'); ``trim`` drops trailing zeros after
    the decimal point ('0.5' rather than '0.500'); '-' for None."""
    if x is None:
        return "-"
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a == 0:
        return "0"
    decimals = max(0, min(12, digits - 1 - math.floor(math.log10(a))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if trim and "." in text else text


#: characters that Markdown (CommonMark + Streamlit's extensions: ``$`` maths, ``:icon:`` and ``:color[...]``
#: directives, ``~`` strike-through) would read as markup; every ASCII punctuation mark may be backslash-escaped
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:=&")


def md_text(text: object) -> str:
    """``text`` as literal Markdown text: every markup character backslash-escaped (so a catalog or user string
    such as ``![x](http://...)`` or ``$1 and $2`` shows as typed, never as an image, a link or maths); line breaks
    become spaces (one line stays one line)."""
    s = " ".join(str(text).splitlines())
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in s)


# ------------------------------------------------------------------------------------- text is data, never markup

#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection": =, +, -, @, tab, CR)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = _re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(value: object) -> object:
    """One CSV cell, neutralised: text starting with =, +, -, @, tab or CR gets a leading apostrophe (the OWASP rule,
    so a spreadsheet shows it as text and never runs it); numbers, and text that is just a number ('-3.5'), are
    left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def csv_row(row: dict) -> dict:
    """Every cell of ``row`` through :func:`csv_cell` (None becomes '')."""
    return {k: "" if v is None else csv_cell(v) for k, v in row.items()}


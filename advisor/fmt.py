"""Formatting shared by every layer that writes prose for people (decision reasons, tables, the app)."""

from __future__ import annotations

import math


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

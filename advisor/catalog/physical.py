"""Physical validation of every catalog number (after the schema): what the numbers may be, by what they mean.

Rules, by the field's name (units are in the names, so a field added later is covered by the default rule):

- every number (a :class:`Sourced` value, both ends of a :class:`SourcedRange`, a plain int/float field) is finite
  and ``>= 0`` (prices, fees, tariffs, seconds, watts, counts): a negative price is a typo, not a discount;
- ``> 0`` where zero is impossible or would divide: VRAM, bandwidths (``*_gb_per_s``), every ``tensor_tflops``
  rate, board power, parameter counts, amortization months, steps, sequence length, per-unit rates (``per_usd``);
- fractions (``*_fraction``, ``rental_utilization``) in [0, 1]; ``failure_rate`` in [0, 1) (retries are
  ``1 / (1 - failure_rate)``); ``rental_utilization`` > 0 (billed hours are divided by it);
- ``powered_on_hours_per_day`` in [0, 24]; ``pcie_gen`` one of 3, 4, 5; ``pcie_lanes`` one of 1, 2, 4, 8, 16;
- quality ratings (``*elo*``) may be any finite number;
- a GPU's board power is above its idle power;
- every ``as_of`` (and ``*_as_of``) date is not in the future (today, by the machine's clock).

A violation raises :class:`PhysicalError` (a :class:`CatalogError`): one line naming the file, the entry, the field,
the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Callable

from pydantic import BaseModel

from advisor.catalog.base import walk
from advisor.errors import CatalogError


class PhysicalError(CatalogError):
    """A catalog number that cannot be physically right; ``value`` and ``allowed`` are kept for callers."""

    def __init__(self, file: str, entry: str | None, field: str, value: Any, allowed: str):
        self.value, self.allowed = value, allowed
        super().__init__(file, entry, field, f"got {value!r}; allowed: {allowed}")


_POSITIVE_NAMES = {"vram_gib", "board_power_watts", "parameters", "amortization_months", "default_steps",
                   "max_sequence_length", "transformer_evals_per_step", "billing_increment_seconds", "per_usd",
                   "max_mp", "working_days_per_month"}
_Rule = tuple[Callable[[float], bool], str]

_NON_NEGATIVE: _Rule = (lambda x: x >= 0, "a finite number >= 0")
_POSITIVE: _Rule = (lambda x: x > 0, "a finite number > 0")
_FRACTION: _Rule = (lambda x: 0 <= x <= 1, "a fraction in [0, 1]")
_ANY: _Rule = (lambda x: True, "a finite number")


def rule_for(path: str) -> _Rule:
    """The rule for the number at dotted ``path`` (e.g. ``tensor_tflops.bf16_fp32acc``, ``street_price_usd.low``)."""
    parts = [p for p in re.split(r"[.\[\]]", path) if p and not p.isdigit()]
    parts = [p for p in parts if p not in ("value", "low", "high")]
    name = parts[-1] if parts else path
    parent = parts[-2] if len(parts) > 1 else ""
    if "elo" in name:
        return _ANY
    if parent == "tensor_tflops":
        return _POSITIVE[0], "a finite number > 0 [TFLOP/s]"
    if name == "pcie_gen":
        return (lambda x: x in (3, 4, 5)), "one of 3, 4, 5"
    if name == "pcie_lanes":
        return (lambda x: x in (1, 2, 4, 8, 16)), "one of 1, 2, 4, 8, 16"
    if name == "failure_rate":
        return (lambda x: 0 <= x < 1), "a fraction in [0, 1)"
    if name == "rental_utilization":
        return (lambda x: 0 < x <= 1), "a fraction in (0, 1]"
    if name.endswith("_fraction"):
        return _FRACTION
    if name.endswith("hours_per_day"):
        return (lambda x: 0 <= x <= 24), "a number of hours in [0, 24]"
    if parent == "weights_on_disk_gb":  # a checkpoint on disk has a size
        return _POSITIVE[0], "a finite number > 0 [GB]"
    if name in _POSITIVE_NAMES or name.endswith("_gb_per_s") or "bandwidth" in name:
        return _POSITIVE
    return _NON_NEGATIVE


def _numbers(obj: Any, prefix: str = ""):
    """Yield (dotted path, number) for every int/float (not bool) inside models, dicts and lists."""
    yield from walk(obj, lambda o: isinstance(o, (int, float)) and not isinstance(o, bool), prefix)


def _dates(obj: Any, prefix: str = ""):
    """Yield (dotted path, date) for every ``as_of`` / ``*_as_of`` date inside models, dicts and lists."""
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            v = getattr(obj, name)
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(v, dt.date) and (name == "as_of" or name.endswith("_as_of")):
                yield path, v
            else:
                yield from _dates(v, path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _dates(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _dates(v, f"{prefix}[{i}]")


def check_entry(obj: BaseModel, file: str, entry: str | None, today: dt.date | None = None) -> None:
    """Apply the physical rules to every number and date of one validated catalog entry; raise PhysicalError."""
    today = today or dt.date.today()
    for path, x in _numbers(obj):
        ok, allowed = rule_for(path)
        if not math.isfinite(x) or not ok(x):
            raise PhysicalError(file, entry, path, x, allowed)
    for path, d in _dates(obj):
        if d > today:
            raise PhysicalError(file, entry, path, d.isoformat(), f"a date not in the future (today is {today})")
    board, idle = getattr(obj, "board_power_watts", None), getattr(obj, "idle_power_watts", None)
    if board is not None and idle is not None and hasattr(board, "value") and not board.value > idle.value:
        raise PhysicalError(file, entry, "board_power_watts.value", board.value,
                            f"a board power above the idle power ({idle.value:g} W)")

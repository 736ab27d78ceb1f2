"""Sourced numbers: one value (:class:`Sourced`) or a range (:class:`SourcedRange`) with its source and date, and
when such a number is *stale*.

A number is stale when its ``as_of`` date is more than a number of days before today: :data:`STALE_AFTER_DAYS`
(180) for every price, except the street and used prices of cards (:data:`CARD_PRICE_STALE_AFTER_DAYS`, 90 days),
which moved by tens of percent a month in 2026 (GPU Poet's monthly market reports: the RTX 5090's best resale deal
rose 23% from August to September 2026). The owning catalog entry sets the shorter threshold on its ranges
(:class:`advisor.catalog.hardware.GPU`), so every caller of :meth:`SourcedRange.is_stale` gets it without knowing
which field it holds.
"""

from __future__ import annotations

import datetime as dt
import math

from pydantic import Field, PrivateAttr, field_validator, model_validator

from advisor.catalog.base import Strict

#: default age [days] after which a sourced price is flagged stale
STALE_AFTER_DAYS = 180
#: age [days] after which a card's street or used price is flagged stale (prices moved monthly in 2026)
CARD_PRICE_STALE_AFTER_DAYS = 90


def _older_than(as_of: dt.date, today: dt.date | None, days: int) -> bool:
    today = today or dt.date.today()
    return (today - as_of).days > days


class Sourced(Strict):
    """One number with its provenance."""

    value: float
    source: str = Field(min_length=3)
    as_of: dt.date
    derived: bool = False  # computed by arithmetic from other sourced figures (say how in ``note``)
    note: str | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    def is_stale(self, today: dt.date | None = None, days: int = STALE_AFTER_DAYS) -> bool:
        """True when ``as_of`` is older than ``days`` days before ``today``."""
        return _older_than(self.as_of, today, days)


class SourcedRange(Strict):
    """A range of values (e.g. street prices, rental offers) with its provenance."""

    low: float
    high: float
    source: str = Field(min_length=3)
    as_of: dt.date
    note: str | None = None
    #: age [days] after which this range is stale; a card's street/used price sets 90 (see the module docstring)
    _stale_after_days: int = PrivateAttr(default=STALE_AFTER_DAYS)

    @model_validator(mode="after")
    def _ordered(self) -> "SourcedRange":
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite")
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    @property
    def mid(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def stale_after_days(self) -> int:
        """The age [days] after which this range is stale (180, or 90 for a card's street/used price)."""
        return self._stale_after_days

    def is_stale(self, today: dt.date | None = None, days: int | None = None) -> bool:
        """True when ``as_of`` is older than ``days`` (default: :attr:`stale_after_days`) days before ``today``."""
        return _older_than(self.as_of, today, self._stale_after_days if days is None else days)

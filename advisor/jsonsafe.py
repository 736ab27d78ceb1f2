"""JSON the CLI prints: strict JSON, never ``Infinity`` or ``NaN`` (shared helper; imports no stage).

Python's ``json.dumps`` writes ``Infinity``/``NaN`` for non-finite floats, which is not JSON (RFC 8259, section 6)
and breaks ``jq`` and browsers. :func:`dumps` writes ``null`` for them instead.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite_or_none(obj: Any) -> Any:
    """``obj`` with every non-finite float (inf, -inf, nan) inside dicts, lists and tuples replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`finite_or_none` (obj) with ``allow_nan=False`` (strict JSON)."""
    kwargs.setdefault("allow_nan", False)
    return json.dumps(finite_or_none(obj), **kwargs)

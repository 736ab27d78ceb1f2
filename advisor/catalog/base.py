"""The one strict base model of the product: every pydantic model of the catalog, the architectures, the measured
profiles and the calibration derives from :class:`Strict`.

- ``extra="forbid"``: an unknown key is an error (a typo never passes silently);
- ``frozen=True``: models are values; change one with ``model_copy(update=...)``, which makes a new object, so a
  cached result can never be changed under another user of the same object;
- a YAML boolean is refused where a number is expected (pydantic would take true/false as 1/0).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class Strict(BaseModel):
    """Base model: unknown keys refused, immutable, no booleans for numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        """true/false is not a number: refuse a YAML boolean where a number is expected (pydantic would take 1/0)."""
        if isinstance(v, bool) and info.field_name in cls.model_fields:
            ann = cls.model_fields[info.field_name].annotation
            args = get_args(ann) or (ann,)
            if bool not in args and any(a in (int, float) for a in args):
                raise ValueError("true/false is not a number; allowed: a number")
        return v


def walk(obj: Any, is_leaf: Callable[[Any], bool], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted path, value)`` for every value inside ``obj`` for which ``is_leaf`` is true, walking pydantic
    models (in field order), dicts and lists depth-first; ``prefix`` is prepended to each path (``a.b[2].c``)."""
    if is_leaf(obj):
        yield prefix, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from walk(getattr(obj, name), is_leaf, f"{prefix}.{name}" if prefix else name)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, is_leaf, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from walk(v, is_leaf, f"{prefix}[{i}]")

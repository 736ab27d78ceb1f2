"""A studio's own price quotes (``advisor prices import FILE.csv`` and the app's upload), validated like the catalog.

CSV columns (header row required; order free): ``section, entry, field, value, low, high, source, as_of, note``.

- ``section``: gpus | rentals | apis | defaults; ``entry``: a slug of that section (``defaults`` for defaults);
- ``field``: a price field of the section (:data:`advisor.catalog.PRICE_FIELDS`);
- ``value`` for a single figure, or ``low`` and ``high`` for a range (street price, rental USD/h); a range field
  given only ``value`` is the range ``value..value``;
- ``source`` (who quoted it) and ``as_of`` (YYYY-MM-DD) are required, as for every catalog number.

A bad row raises :class:`advisor.errors.InputError` naming the file and row (one line). Valid prices are kept as a
YAML list of :class:`advisor.catalog.PriceOverride` (default ``profiles/overrides/prices.yaml``, which
:func:`advisor.catalog.load_catalog` applies); each source is shown as ``your price: ...`` in reasons.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import yaml

from advisor.catalog import (PRICE_FIELDS, PRICE_OVERRIDES_FILE, PROFILES_DIR, Catalog, PriceOverride, build_catalog,
                             load_catalog, price_overrides_to_dict, read_price_overrides, read_raw)
from advisor.errors import AdvisorError, InputError

COLUMNS = ("section", "entry", "field", "value", "low", "high", "source", "as_of", "note")
REQUIRED_COLUMNS = ("section", "entry", "field", "source", "as_of")
MAX_CSV_BYTES = 1_000_000  # a price list is a few kB


def _number(row_name: str, column: str, text: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        raise InputError(f"{row_name} {column}", text, "a number >= 0") from None
    if not (math.isfinite(x) and x >= 0):
        raise InputError(f"{row_name} {column}", text, "a finite number >= 0")
    return x


def parse_row(row: dict[str, str], row_name: str, catalog: Catalog) -> PriceOverride:
    """One CSV row -> :class:`PriceOverride`; InputError naming ``row_name`` and the column otherwise."""
    get = {k: (row.get(k) or "").strip() for k in COLUMNS}
    for col in ("section", "entry", "field"):
        if not get[col]:
            raise InputError(f"{row_name} {col}", "", "required")
    section = get["section"]
    if section not in PRICE_FIELDS:
        raise InputError(f"{row_name} section", section, f"one of {', '.join(PRICE_FIELDS)}")
    field = get["field"]
    if field not in PRICE_FIELDS[section]:
        raise InputError(f"{row_name} field", field, f"a {section} price field: {', '.join(PRICE_FIELDS[section])}")
    entry = get["entry"]
    known = {"defaults"} if section == "defaults" else set(getattr(catalog, section))
    if entry not in known:
        raise InputError(f"{row_name} entry", entry, f"a {section} slug of the catalog (e.g. {', '.join(sorted(known)[:3])})")
    if len(get["source"]) < 3:
        raise InputError(f"{row_name} source", get["source"], "required: who quoted this price (at least 3 characters)")
    try:
        as_of = dt.date.fromisoformat(get["as_of"])
    except ValueError:
        raise InputError(f"{row_name} as_of", get["as_of"], "required: the date of the quote, YYYY-MM-DD") from None
    value = _number(row_name, "value", get["value"])
    low = _number(row_name, "low", get["low"])
    high = _number(row_name, "high", get["high"])
    if PRICE_FIELDS[section][field] == "range":
        if low is None and high is None and value is not None:
            low = high = value
        if low is None or high is None:
            raise InputError(f"{row_name} low/high", f"{get['low']!r}/{get['high']!r}",
                             f"{field} is a range: low and high (or value for a single figure)")
        if low > high:
            raise InputError(f"{row_name} low", low, f"at most high ({high:g})")
        value = None
    else:
        if value is None:
            raise InputError(f"{row_name} value", get["value"], f"required for {field}: a number >= 0")
        low = high = None
    return PriceOverride(section=section, entry=entry, field=field, value=value, low=low, high=high,
                         source=get["source"], as_of=as_of, note=get["note"] or None)


def parse_price_csv(text: str, file: str, catalog: Catalog | None = None) -> list[PriceOverride]:
    """Every row of a price CSV, validated (see the module docstring); the whole set is then checked by building the
    catalog with it, so a price the catalog would refuse is refused here."""
    catalog = catalog if catalog is not None else load_catalog()
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise InputError(file, f"{len(text):,} characters", f"a CSV of at most {MAX_CSV_BYTES:,} bytes")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{file} header", ",".join(header) or "(empty)",
                         f"columns {', '.join(COLUMNS)} (required: {', '.join(REQUIRED_COLUMNS)})")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise InputError(f"{file} header", unknown[0], f"one of {', '.join(COLUMNS)}")
    prices = []
    for i, raw in enumerate(reader, start=2):  # row 1 is the header
        row = {(k or "").strip(): v for k, v in raw.items()}
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        prices.append(parse_row(row, f"{file} row {i}", catalog))
    if not prices:
        raise InputError(file, "no price rows", "at least one row under the header")
    try:
        if Path(catalog.root).is_dir():  # a catalog read from files: rebuild it with the prices applied
            build_catalog(read_raw(catalog.root), catalog.root, price_overrides_to_dict(prices))
    except AdvisorError as exc:
        raise InputError(file, "prices", f"prices the catalog accepts ({exc})") from None
    return prices


def merge_prices(old: list[PriceOverride], new: list[PriceOverride]) -> list[PriceOverride]:
    """``old`` with every (section, entry, field) that ``new`` quotes replaced by the new quote."""
    key = lambda p: (p.section, p.entry, p.field)  # noqa: E731
    replaced = {key(p) for p in new}
    return [p for p in old if key(p) not in replaced] + list(new)


def prices_to_yaml(prices: list[PriceOverride]) -> str:
    """The override file's text (a YAML list, read back by :func:`advisor.catalog.read_price_overrides`)."""
    header = ("# A studio's own price quotes (advisor prices import). Applied over profiles/*.yaml by load_catalog;\n"
              "# each number's source is shown as 'your price: ...' in reasons.\n")
    data: list[dict[str, Any]] = [p.model_dump(mode="json", exclude_none=True) for p in prices]
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def default_overrides_path(root: Path | str | None = None) -> Path:
    """Where imported prices are kept by default: ``<profiles>/overrides/prices.yaml``."""
    return (Path(root) if root is not None else PROFILES_DIR) / PRICE_OVERRIDES_FILE


def import_prices(csv_path: Path | str, out: Path | str | None = None, root: Path | str | None = None
                  ) -> tuple[Path, list[PriceOverride], int]:
    """Validate ``csv_path`` and merge its prices into the override file ``out`` (atomic write).

    Returns (file written, the prices imported, how many prices the file holds now).
    """
    from advisor import catalog as catalog_module
    from advisor.io import atomic_write_text

    csv_path = Path(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("FILE", str(csv_path), f"a readable UTF-8 CSV file ({getattr(exc, 'strerror', None) or exc})") \
            from None
    prices = parse_price_csv(text, csv_path.name, load_catalog(root))
    target = Path(out) if out is not None else default_overrides_path(root)
    kept = merge_prices(read_price_overrides(target), prices)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, prices_to_yaml(kept))
    catalog_module._load_cached.cache_clear()  # the next load_catalog applies the new prices
    return target, prices, len(kept)

"""A studio's own price quotes (``advisor prices import FILE.csv`` and the app's upload), validated like the catalog.

CSV columns (header row required; order free): ``section, entry, field, value, low, high, source, as_of, note``.

- ``section``: gpus | rentals | apis | defaults; ``entry``: a slug of that section (``defaults`` for defaults);
- ``field``: a price field of the section (:data:`advisor.catalog.PRICE_FIELDS`);
- ``value`` for a single figure, or ``low`` and ``high`` for a range (street price, rental USD/h); a range field
  given only ``value`` is the range ``value..value``;
- ``source`` (who quoted it) and ``as_of`` (YYYY-MM-DD) are required, as for every catalog number.

Checked where they enter (:mod:`advisor.catalog.price_bounds`): every figure finite and within a stated plausible
bound (a GPU under $100,000, a rental under $1,000/h, an API under $10 per image or megapixel); a zero only with a
note beginning "free"; a field the entry's pricing never reads, a second row giving another figure for the same
field, a surplus cell, a date in the future, control characters (NUL bytes) and over-long text are refused.
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
from advisor.catalog import price_bounds as pb
from advisor.errors import AdvisorError, InputError
from advisor.io import short

COLUMNS = ("section", "entry", "field", "value", "low", "high", "source", "as_of", "note")
REQUIRED_COLUMNS = ("section", "entry", "field", "source", "as_of")
MAX_CSV_BYTES = 1_000_000  # a price list is a few kB
MAX_ROWS = 10_000  # a studio quotes tens of prices; the catalog has a few hundred price fields
MAX_SLUG_CHARS = 100


def _number(row_name: str, column: str, text: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        raise InputError(f"{row_name} {column}", short(text, 40), "a number >= 0") from None
    if not (math.isfinite(x) and x >= 0):
        raise InputError(f"{row_name} {column}", short(text, 40), "a finite number >= 0")
    return x


def _used_fields(section: str, entry: str, catalog: Catalog) -> tuple[str, ...] | None:
    """The price fields the entry's costing reads (None: all of the section's). An API offer reads only the
    fields of its pricing kind (:data:`advisor.catalog.price_bounds.API_FIELDS_FOR_PRICING`)."""
    if section == "apis" and entry in catalog.apis:
        return pb.API_FIELDS_FOR_PRICING.get(catalog.apis[entry].pricing)
    return None


def parse_row(row: dict[str, str], row_name: str, catalog: Catalog, today: dt.date | None = None) -> PriceOverride:
    """One CSV row -> :class:`PriceOverride`; InputError naming ``row_name`` and the column otherwise."""
    today = today or dt.date.today()
    get = {k: (row.get(k) or "").strip() for k in COLUMNS}
    for col in COLUMNS:  # text first: NUL bytes, line breaks and megabyte cells never reach a message or a file
        limit = {"source": pb.MAX_SOURCE_CHARS, "note": pb.MAX_NOTE_CHARS}.get(col, MAX_SLUG_CHARS)
        pb.check_text(f"{row_name} {col}", get[col], limit)
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
    used = _used_fields(section, entry, catalog)
    if used is not None and field not in used:
        raise InputError(f"{row_name} field", field, f"a field {entry} is priced by ({', '.join(used)}; its pricing "
                                                     f"is {catalog.apis[entry].pricing}): another field is never read")
    if len(get["source"]) < 3:
        raise InputError(f"{row_name} source", get["source"], "required: who quoted this price (at least 3 characters)")
    try:
        as_of = dt.date.fromisoformat(get["as_of"])
    except ValueError:
        raise InputError(f"{row_name} as_of", get["as_of"], "required: the date of the quote, YYYY-MM-DD") from None
    if as_of > today:
        raise InputError(f"{row_name} as_of", get["as_of"], f"a date not in the future (today is {today.isoformat()})")
    value = _number(row_name, "value", get["value"])
    low = _number(row_name, "low", get["low"])
    high = _number(row_name, "high", get["high"])
    note = get["note"] or None
    if PRICE_FIELDS[section][field] == "range":
        if low is None and high is None and value is not None:
            low = high = value
        if low is None or high is None:
            raise InputError(f"{row_name} low/high", f"{short(get['low'], 30)!r}/{short(get['high'], 30)!r}",
                             f"{field} is a range: low and high (or value for a single figure)")
        if low > high:
            raise InputError(f"{row_name} low", low, f"at most high ({high:g})")
        for col, x in (("low", low), ("high", high)):
            pb.check_value(f"{row_name} {col if get[col] else 'value'}", field, x, note)
        value = None
    else:
        if value is None:
            raise InputError(f"{row_name} value", get["value"], f"required for {field}: a number >= 0")
        if get["low"] or get["high"]:
            raise InputError(f"{row_name} low/high", f"{short(get['low'], 30)!r}/{short(get['high'], 30)!r}",
                             f"empty: {field} is a single figure (the value column)")
        pb.check_value(f"{row_name} value", field, value, note)
        low = high = None
    return PriceOverride(section=section, entry=entry, field=field, value=value, low=low, high=high,
                         source=get["source"], as_of=as_of, note=note)


def parse_price_csv(text: str, file: str, catalog: Catalog | None = None) -> list[PriceOverride]:
    """Every row of a price CSV, validated (see the module docstring); the whole set is then checked by building the
    catalog with it, so a price the catalog would refuse is refused here, naming its row."""
    catalog = catalog if catalog is not None else load_catalog()
    file = short(file, 60)
    if len(text) > MAX_CSV_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        raise InputError(file, f"{len(text):,} characters", f"a CSV of at most {MAX_CSV_BYTES:,} bytes")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(f"{file} row {line}", "a NUL byte", "UTF-8 text without NUL bytes")
    try:
        rows = list(_rows(text, file))
    except csv.Error as exc:
        raise InputError(file, "malformed CSV", f"comma-separated text ({short(exc, 80)})") from None
    prices: list[PriceOverride] = []
    where: dict[tuple[str, str, str], tuple[str, PriceOverride]] = {}
    for row_name, row in rows:
        p = parse_row(row, row_name, catalog)
        key = (p.section, p.entry, p.field)
        if key in where:
            first, q = where[key]
            if (q.value, q.low, q.high) != (p.value, p.low, p.high):
                raise InputError(f"{row_name} {p.field}", _figure(p), f"one price per {p.section}.{p.entry}."
                                 f"{p.field} (row {first.rsplit(' ', 1)[-1]} already gives {_figure(q)})")
            continue  # the same quote twice: kept once
        where[key] = (row_name, p)
        prices.append(p)
    if not prices:
        raise InputError(file, "no price rows", "at least one row under the header")
    try:
        if Path(catalog.root).is_dir():  # a catalog read from files: rebuild it with the prices applied
            build_catalog(read_raw(catalog.root), catalog.root, price_overrides_to_dict(prices))
    except AdvisorError as exc:
        text_exc = str(exc)
        row_name = next((r for (s, e, f), (r, _) in where.items() if f"{s}.{e}.{f}" in text_exc
                         or (s == "defaults" and f"defaults.{f}" in text_exc)), file)
        raise InputError(row_name, "this price", f"a price the catalog accepts ({short(text_exc, 200)})") from None
    return prices


def _figure(p: PriceOverride) -> str:
    return f"{p.value:g}" if p.value is not None else f"{p.low:g}-{p.high:g}"


def _rows(text: str, file: str):
    """(row name, {column: text}) of each non-blank data row; the header and surplus cells checked."""
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{file} header", short(",".join(header), 80) or "(empty)",
                         f"columns {', '.join(COLUMNS)} (required: {', '.join(REQUIRED_COLUMNS)})")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise InputError(f"{file} header", short(unknown[0], 40), f"one of {', '.join(COLUMNS)}")
    twice = [c for c in header if header.count(c) > 1]
    if twice:
        raise InputError(f"{file} header", twice[0], "each column once")
    for n, raw in enumerate(reader, start=2):  # row 1 is the header
        row_name = f"{file} row {reader.line_num if reader.line_num else n}"
        if n - 1 > MAX_ROWS:
            raise InputError(file, f"more than {MAX_ROWS:,} rows", f"at most {MAX_ROWS:,} price rows")
        extra = raw.get(None)
        if extra and any((c or "").strip() for c in extra):
            raise InputError(row_name, f"{len(header) + len(extra)} cells", f"{len(header)} cells, one per header "
                                                                             f"column (surplus cells are refused)")
        row = {(k or "").strip(): v for k, v in raw.items() if k is not None}
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        yield row_name, row


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


def _check_merge_target(field: str, path: Path) -> list[PriceOverride]:
    """The prices kept in ``path``; a file that is not a price-override file is refused, never replaced."""
    from advisor.errors import CatalogError

    try:
        return read_price_overrides(path)
    except CatalogError as exc:
        where = f"entry {exc.entry}: " if exc.entry else ""
        raise InputError(field, short(path, 80), f"a price override file to merge into ({where}"
                                                 f"{short(exc.problem, 160)})") from None


def import_prices(csv_path: Path | str, out: Path | str | None = None, root: Path | str | None = None
                  ) -> tuple[Path, list[PriceOverride], int]:
    """Validate ``csv_path`` and merge its prices into the override file ``out`` (locked read-merge-write, atomic).

    The CSV is read through the bounded reader (:func:`advisor.io.read_text_file`: a device, FIFO or folder is
    refused before it is opened, at most ``MAX_CSV_BYTES + 1`` bytes are read). The override file is updated under
    a lock (:func:`advisor.io.locked_update`), so parallel imports all survive. Returns (file written, the prices
    imported, how many prices the file holds now).
    """
    from advisor import catalog as catalog_module
    from advisor.io import check_output_file, locked_update, read_text_file

    field = "--out" if out is not None else "override file"
    target = Path(out) if out is not None else default_overrides_path(root)
    check_output_file(field, target, merge=True)  # before the CSV is read: a bad --out costs nothing
    if target.exists():
        _check_merge_target(field, target)  # before the lock file is made beside it
    text = read_text_file(csv_path, "FILE", max_bytes=MAX_CSV_BYTES, what="a UTF-8 CSV file")
    prices = parse_price_csv(text, Path(csv_path).name, load_catalog(root))
    kept: list[PriceOverride] = []

    def merge(path: Path) -> str:
        kept[:] = merge_prices(_check_merge_target(field, path), prices)
        return prices_to_yaml(kept)

    locked_update(field, target, merge)
    catalog_module._load_cached.cache_clear()  # the next load_catalog applies the new prices
    return target, prices, len(kept)

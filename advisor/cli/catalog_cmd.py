"""``advisor catalog gpus|pipelines|apis|rentals|tariffs|stale``: list the sourced catalog, every number with source
and date. ``apis`` also shows each offer's status (active, deprecated with its shutdown date, retired) and source;
``stale`` lists every price (USD, per-kWh and currency figures) older than 180 days (a card's street or used price:
90 days), with its source.

Table format: one row per sourced number (entry, field, value, as_of, stale, source). JSON format: the validated
entries with each sourced number as ``{value|low,high, source, as_of, derived, note, stale}``. A number is *stale*
when its ``as_of`` date is more than 180 days before today (``--today`` overrides today).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from advisor.cli import app, fail


class Section(str, Enum):
    gpus = "gpus"
    pipelines = "pipelines"
    apis = "apis"
    rentals = "rentals"
    tariffs = "tariffs"
    stale = "stale"
    optimizations = "optimizations"  # issue 12: profiles/optimizations.yaml


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


_GETTERS = {"gpus": "gpu", "pipelines": "pipeline", "apis": "api", "rentals": None, "tariffs": None}
#: a field path that holds a price (money, energy tariff or exchange rate), for ``advisor catalog stale``
PRICE_FIELD_WORDS = ("usd", "price", "per_kwh", "per_usd")


def _entries(catalog, section: str, slug: Optional[str]) -> list:
    """Entries of ``section``, or just ``slug`` (raising UnknownSlugError with suggestions if it is unknown)."""
    from advisor.errors import UnknownSlugError

    items = getattr(catalog, section)
    if slug is None:
        return list(items.values())
    getter = _GETTERS[section]
    if getter is not None:
        return [getattr(catalog, getter)(slug)]
    if slug not in items:
        raise UnknownSlugError(section.rstrip("s"), slug, items)
    return [items[slug]]


def _fmt_number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e6 else f"{x:g}"


def catalog_rows(entries: list, today: dt.date) -> list[dict]:
    """One row per sourced number: entry, field, value (text), as_of, stale, derived, source, note."""
    from advisor.catalog import Sourced, iter_sourced

    rows = []
    for entry in entries:
        status = getattr(entry, "status", None)
        if status is not None and hasattr(entry, "status_source"):  # API offers: status row first (issue 13)
            text = status + (f" (shutdown {entry.shutdown_date})" if entry.shutdown_date else "")
            as_of = entry.status_as_of
            rows.append({"entry": entry.slug, "field": "status", "value": text,
                         "as_of": as_of.isoformat() if as_of else "", "stale": bool(as_of and (today - as_of).days > 180),
                         "derived": False, "source": entry.status_source or "(no status source)", "note": None})
        for path, num in iter_sourced(entry):
            value = _fmt_number(num.value) if isinstance(num, Sourced) else f"{_fmt_number(num.low)}-{_fmt_number(num.high)}"
            rows.append(
                {
                    "entry": entry.slug,
                    "field": path,
                    "value": value,
                    "as_of": num.as_of.isoformat(),
                    "stale": num.is_stale(today),
                    "derived": bool(getattr(num, "derived", False)),
                    "source": num.source,
                    "note": num.note,
                }
            )
    return rows


@app.command("catalog")
def catalog_command(
    section: Section = typer.Argument(..., help="which part of the catalog: gpus, pipelines, apis or rentals"),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table (rich) or json"),
    slug: Optional[str] = typer.Option(None, "--slug", help="show only this entry"),
    today: Optional[str] = typer.Option(None, "--today", help="reference date for the stale flag, YYYY-MM-DD (default: today)"),
    root: Optional[Path] = typer.Option(None, "--profiles", help="catalog folder (default: the shipped profiles/)"),
) -> None:
    """List catalog entries with every number's source, date and a stale flag (older than 180 days; a card's street
    or used price: 90 days)."""
    from advisor.catalog import STALE_AFTER_DAYS, load_catalog, to_json_dict
    from advisor.errors import AdvisorError, InputError

    try:
        if today is None:
            ref = dt.date.today()
        else:
            try:
                ref = dt.date.fromisoformat(today)
            except ValueError:
                raise InputError("--today", today, "a date YYYY-MM-DD") from None
        catalog = load_catalog(root)
        if section is Section.stale:
            _print_stale(catalog, ref, output_format)
            return
        if section is Section.optimizations:
            _print_optimizations(catalog, output_format, slug)
            return
        entries = _entries(catalog, section.value, slug)
    except AdvisorError as exc:
        raise fail(str(exc)) from None

    if output_format is OutputFormat.json:
        doc = {
            "section": section.value,
            "today": ref.isoformat(),
            "stale_after_days": STALE_AFTER_DAYS,
            "entries": [to_json_dict(e, ref) for e in entries],
        }
        from advisor.jsonsafe import dumps

        typer.echo(dumps(doc, indent=2))  # strict JSON: no Infinity/NaN
        return

    from rich.console import Console
    from rich.table import Table

    rows = catalog_rows(entries, ref)
    table = Table(title=f"catalog: {section.value} ({len(entries)} entries; stale = as_of > {STALE_AFTER_DAYS} days "
                        f"before {ref}; a card's street/used price: > 90 days)",
                  show_lines=False)
    for col in ("entry", "field", "value", "as_of", "stale", "source"):
        table.add_column(col, overflow="fold", no_wrap=col in ("entry", "value", "as_of", "stale"))
    for r in rows:
        value = r["value"] + (" (D)" if r["derived"] else "")
        table.add_row(r["entry"], r["field"], value, r["as_of"], "STALE" if r["stale"] else "", r["source"])
    Console(width=200).print(table)
    typer.echo("(D) = derived by arithmetic; see the note in --format json.")


def stale_price_rows(catalog, today: dt.date, days: int | None = None) -> list[dict]:
    """Every price in the catalog (sections gpus, rentals, apis, tariffs, currencies, defaults) whose ``as_of`` is
    more than ``days`` days before ``today`` (None: each number's own threshold, 180 days and 90 for a card's street
    or used price): section, entry, field, value, as_of, age_days, stale_after_days, source."""
    from advisor.catalog import Sourced, iter_sourced

    groups = [("gpus", catalog.gpus), ("rentals", catalog.rentals), ("apis", catalog.apis),
              ("tariffs", catalog.tariffs), ("currencies", catalog.currencies), ("defaults", {"defaults": catalog.defaults})]
    rows = []
    for section, items in groups:
        for slug, entry in items.items():
            for path, num in iter_sourced(entry):
                limit = days if days is not None else getattr(num, "stale_after_days", 180)
                if not any(w in path for w in PRICE_FIELD_WORDS) or not num.is_stale(today, limit):
                    continue
                value = _fmt_number(num.value) if isinstance(num, Sourced) else \
                    f"{_fmt_number(num.low)}-{_fmt_number(num.high)}"
                rows.append({"section": section, "entry": slug, "field": path, "value": value,
                             "as_of": num.as_of.isoformat(), "age_days": (today - num.as_of).days,
                             "stale_after_days": limit, "source": num.source})
    return sorted(rows, key=lambda r: (-r["age_days"], r["section"], r["entry"], r["field"]))


def _print_stale(catalog, ref: dt.date, output_format: "OutputFormat") -> None:
    from advisor.catalog import CARD_PRICE_STALE_AFTER_DAYS, STALE_AFTER_DAYS

    rows = stale_price_rows(catalog, ref)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps({"today": ref.isoformat(), "stale_after_days": STALE_AFTER_DAYS,
                               "card_price_stale_after_days": CARD_PRICE_STALE_AFTER_DAYS, "prices": rows},
                              indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"prices older than {STALE_AFTER_DAYS} days ({CARD_PRICE_STALE_AFTER_DAYS} for a card's street "
                        f"or used price) before {ref}: {len(rows)}")
    for col in ("section", "entry", "field", "value", "as_of", "age_days", "source"):
        table.add_column(col, overflow="fold", no_wrap=col not in ("source",))
    for r in rows:
        table.add_row(r["section"], r["entry"], r["field"], r["value"], r["as_of"], str(r["age_days"]), r["source"])
    Console(width=220).print(table)


def _print_optimizations(catalog, output_format: "OutputFormat", slug: Optional[str]) -> None:
    """``advisor catalog optimizations`` (issue 12): each named optimization, where it runs, whether it changes
    quality, every factor with its source (JSON: the validated entries)."""
    book = catalog.optimizations
    entries = [book.get(slug)] if slug else list(book.optimizations.values())
    if output_format is OutputFormat.json:
        from advisor.jsonsafe import dumps

        typer.echo(dumps({"section": "optimizations", "entries": [e.model_dump(mode="json") for e in entries],
                          "compute_capability": book.compute_capability.model_dump(mode="json")
                          if book.compute_capability else None}, indent=2))
        return
    for e in entries:
        where = ", ".join(e.architectures) if e.architectures else "any family"
        typer.echo(f"{e.slug} [{e.kind}] {e.name}")
        typer.echo(f"  runs on: compute capability >= {e.min_compute_capability:.1f}, {where}"
                   f"{'; includes ' + ', '.join(e.includes) if e.includes else ''}"
                   f"; changes quality: {'yes' if e.changes_quality else 'no'}")
        if e.weight_format:
            typer.echo(f"  weight format: {e.weight_format}")
        if e.matmul_tensor_key:
            typer.echo(f"  matmul rate: {e.matmul_tensor_key}")
        for f in ("matmul_rate_multiplier", "linear_efficiency_factor", "attention_efficiency_factor",
                  "elementwise_traffic_factor", "launch_overhead_factor", "dequant_bytes_per_weight",
                  "activation_quant_bytes_per_element", "evals_skipped_fraction", "compile_seconds",
                  "per_image_overhead_seconds"):
            v = getattr(e, f)
            if v is not None:
                typer.echo(f"  {f} = {v.value:g}{' (D)' if v.derived else ''} [{v.as_of}] {v.source}")
        if e.quality_note:
            typer.echo(f"  quality: {e.quality_note}")
        typer.echo(f"  sources: {' | '.join(e.sources)}")

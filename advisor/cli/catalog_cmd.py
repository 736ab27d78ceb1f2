"""``advisor catalog gpus|pipelines|apis|rentals``: list the sourced catalog, every number with source and date.

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


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


_GETTERS = {"gpus": "gpu", "pipelines": "pipeline", "apis": "api", "rentals": None}


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
        raise UnknownSlugError("rental", slug, items)
    return [items[slug]]


def _fmt_number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e6 else f"{x:g}"


def catalog_rows(entries: list, today: dt.date) -> list[dict]:
    """One row per sourced number: entry, field, value (text), as_of, stale, derived, source, note."""
    from advisor.catalog import Sourced, iter_sourced

    rows = []
    for entry in entries:
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
    """List catalog entries with every number's source, date and a stale flag (older than 180 days)."""
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
        typer.echo(json.dumps(doc, indent=2))
        return

    from rich.console import Console
    from rich.table import Table

    rows = catalog_rows(entries, ref)
    table = Table(title=f"catalog: {section.value} ({len(entries)} entries; stale = as_of > {STALE_AFTER_DAYS} days before {ref})",
                  show_lines=False)
    for col in ("entry", "field", "value", "as_of", "stale", "source"):
        table.add_column(col, overflow="fold", no_wrap=col in ("entry", "value", "as_of", "stale"))
    for r in rows:
        value = r["value"] + (" (D)" if r["derived"] else "")
        table.add_row(r["entry"], r["field"], value, r["as_of"], "STALE" if r["stale"] else "", r["source"])
    Console(width=200).print(table)
    typer.echo("(D) = derived by arithmetic; see the note in --format json.")

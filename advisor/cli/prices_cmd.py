"""``advisor prices import FILE.csv``: bring a studio's own price quotes into the catalog (issue 13).

Validated like the catalog (source and date required; see :mod:`advisor.catalog.prices` for the columns); a bad row
is one error line naming the row, exit code 2, and nothing is written. ``--out`` follows the output rule of
:func:`advisor.io.check_output_file` (never a device, folder or measured profile; an existing file only when it is
a price-override file, which is merged into under a lock). Kept as an override file
(``profiles/overrides/prices.yaml`` unless ``--out`` says otherwise) that the catalog applies; reasons then quote
each imported figure as "your price: <source>".
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from advisor.cli import app

prices_app = typer.Typer(help="Your own price quotes (GPU street prices, rental USD/h, API prices, electricity).",
                         no_args_is_help=True)
app.add_typer(prices_app, name="prices")


@prices_app.command("import")
def prices_import(
    file: Path = typer.Argument(..., help="CSV with columns section, entry, field, value|low,high, source, as_of, note"),
    out: Optional[Path] = typer.Option(None, "--out", help="override file to write (default: "
                                                           "profiles/overrides/prices.yaml, applied by the catalog)"),
    root: Optional[Path] = typer.Option(None, "--profiles", help="catalog folder (default: the shipped profiles/)"),
) -> None:
    """Validate FILE.csv and keep its prices as catalog overrides ("your price" in reasons)."""
    from advisor.catalog.prices import import_prices

    target, prices, total = import_prices(file, out, root)
    for p in prices:
        figure = f"{p.value:g}" if p.value is not None else f"{p.low:g}-{p.high:g}"
        typer.echo(f"{p.section}.{p.entry}.{p.field} = {figure} (your price: {p.source}, {p.as_of})")
    typer.echo(f"imported {len(prices)} price(s) into {target} ({total} kept)")

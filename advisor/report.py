"""Formatting of :class:`advisor.decide.Result`: rich table, JSON, CSV. No arithmetic here."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from advisor.decide import Result

CSV_COLUMNS = (
    "rank", "id", "label", "pipeline", "deployment", "hardware", "gpu", "provider", "precision", "offload",
    "gpus_needed", "seconds_per_image", "monthly_cost_usd", "cost_per_image_usd", "hardware_usd",
    "electricity_usd", "license_usd", "api_usd", "rental_usd", "gpu_hours_per_month", "uncertainty_usd_per_month",
    "quality_elo", "payback_months", "reasons",
)


def _money(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"${x:,.0f}"
    if x >= 0.01:
        return f"${x:,.2f}"
    return f"${x:.2g}" if x else "$0"


def to_json(result: Result, indent: int = 2) -> str:
    """The result as JSON text (keys as in docs/TEAM.md)."""
    return json.dumps(result.to_json_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def option_rows(result: Result) -> list[dict[str, Any]]:
    """One flat dict per ranked option (CSV and dataframe friendly)."""
    rows = []
    for i, o in enumerate(result.options, 1):
        b = o.cost_breakdown_usd
        rows.append({
            "rank": i, "id": o.id, "label": o.label, "pipeline": o.pipeline, "deployment": o.deployment,
            "hardware": o.hardware, "gpu": o.gpu, "provider": o.provider, "precision": o.precision,
            "offload": o.offload, "gpus_needed": o.gpus_needed, "seconds_per_image": o.seconds_per_image,
            "monthly_cost_usd": o.monthly_cost_usd, "cost_per_image_usd": o.cost_per_image_usd,
            "hardware_usd": b["hardware"], "electricity_usd": b["electricity"], "license_usd": b["license"],
            "api_usd": b["api"], "rental_usd": b["rental"], "gpu_hours_per_month": o.gpu_hours_per_month,
            "uncertainty_usd_per_month": o.uncertainty_usd_per_month, "quality_elo": o.quality_elo,
            "payback_months": o.payback_months, "reasons": " | ".join(o.reasons),
        })
    return rows


def to_csv(result: Result) -> str:
    """Ranked options as CSV text (one row per option; costs in USD per month unless named per image)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in option_rows(result):
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def summary_lines(result: Result) -> list[str]:
    """Plain-text recommendation lines (headline, then its reasons)."""
    rec = result.recommendation
    if rec.option_id is None:
        return ["No option left: " + " ".join(rec.reasons)]
    top = result.option(rec.option_id)
    head = (f"Recommendation: {top.label}: {_money(top.monthly_cost_usd)}/month "
            f"({_money(top.cost_per_image_usd)}/image)")
    if rec.too_close_to_call:
        head += " - too close to call"
    return [head] + [f"  - {r}" for r in rec.reasons]


def render_table(result: Result, limit: int = 20, console=None) -> None:
    """Print the recommendation and a rich table of the top ``limit`` options."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    for line in summary_lines(result):
        console.print(line, highlight=False, markup=False)
    table = Table(title=escape(f"Options ranked by monthly cost (top {min(limit, len(result.options))} of "
                        f"{len(result.options)}; {len(result.excluded)} excluded)"))
    for col, just in (("#", "right"), ("option", "left"), ("deployment", "left"), ("precision", "left"),
                      ("s/image", "right"), ("$/month", "right"), ("$/image", "right"), ("hardware", "right"),
                      ("electricity", "right"), ("licence", "right"), ("api/rental", "right"), ("±$", "right")):
        table.add_column(col, justify=just)
    for i, o in enumerate(result.options[:limit], 1):
        b = o.cost_breakdown_usd
        table.add_row(
            str(i), escape(o.label), o.deployment, o.precision or "-",
            f"{o.seconds_per_image:.2f}" if o.seconds_per_image is not None else "-",
            _money(o.monthly_cost_usd), _money(o.cost_per_image_usd), _money(b["hardware"]),
            _money(b["electricity"]), _money(b["license"]), _money(b["api"] + b["rental"]),
            _money(o.uncertainty_usd_per_month),
        )
    console.print(table)
    if result.break_even:
        console.print("Break-even volumes (images/month where two cost lines cross):", highlight=False)
        for be in result.break_even:
            where = f"{be.images_per_month:,.0f}" if be.images_per_month is not None else "never"
            console.print(f"  {be.a} vs {be.b}: {where}", highlight=False, markup=False)
    if result.excluded:
        console.print(f"Excluded ({len(result.excluded)}; reasons in --format json):", highlight=False)
        for e in result.excluded[:limit]:
            console.print(f"  {e.id}: {e.reasons[0]}", highlight=False, markup=False)

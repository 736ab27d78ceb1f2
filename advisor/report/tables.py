"""Formatting of :class:`advisor.decide.Result`: rich table, JSON, CSV, and the money formatter the CLI, the
decision reasons and the app share. No arithmetic here."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from advisor.fmt import usd  # noqa: F401  (re-exported: the one money formatter)

if TYPE_CHECKING:  # pragma: no cover
    from advisor.decide import Option, Result

DEPLOYMENTS = ("self-host", "cloud-gpu", "api")
DEFAULT_TABLE_ROWS = 10

CSV_COLUMNS = (
    "rank", "id", "label", "pipeline", "deployment", "hardware", "gpu", "provider", "precision", "offload", "fits",
    "gpus_needed", "seconds_per_image", "monthly_cost_usd", "cost_per_image_usd", "hardware_usd",
    "electricity_usd", "license_usd", "api_usd", "rental_usd", "gpu_hours_per_month", "uncertainty_usd_per_month",
    "quality_elo", "payback_months", "reasons",
)


def short_label(o: "Option") -> str:
    """One-line name of an option for narrow tables: pipeline slug, where it runs, precision.

    'flux-2-klein-4b · own rtx-4090 · fp8', 'flux-1-dev · buy 2x rtx-5090 · bf16',
    'flux-1-schnell · rent runpod-rtx-4090-pod · fp8', 'api fal-flux-1-schnell'.
    """
    if o.deployment == "api":
        return f"api {o.id.split(':', 1)[1]}"
    n = f"{o.gpus_needed}x " if o.gpus_needed > 1 else ""
    if o.deployment == "cloud-gpu":
        where = f"rent {n}{o.id.split(':')[1]}"  # id = cloud-gpu:<offer slug>:<pipeline>:<precision>
    else:
        where = f"{'own' if o.hardware == 'owned' else 'buy'} {n}{o.gpu}"
    return f"{o.pipeline} · {where} · {o.precision}"


def best_per_deployment(result: "Result") -> list[tuple[int, "Option"]]:
    """(rank, option) of the best-ranked option of each deployment kind present, in DEPLOYMENTS order."""
    out = []
    for kind in DEPLOYMENTS:
        for i, o in enumerate(result.options, 1):
            if o.deployment == kind:
                out.append((i, o))
                break
    return out


def to_json(result: "Result", indent: int = 2) -> str:
    """The result as JSON text (keys as in docs/TEAM.md)."""
    return json.dumps(result.to_json_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def option_rows(result: "Result") -> list[dict[str, Any]]:
    """One flat dict per ranked option (CSV and dataframe friendly)."""
    rows = []
    for i, o in enumerate(result.options, 1):
        b = o.cost_breakdown_usd
        rows.append({
            "rank": i, "id": o.id, "label": o.label, "pipeline": o.pipeline, "deployment": o.deployment,
            "hardware": o.hardware, "gpu": o.gpu, "provider": o.provider, "precision": o.precision,
            "offload": o.offload, "fits": o.fits, "gpus_needed": o.gpus_needed, "seconds_per_image": o.seconds_per_image,
            "monthly_cost_usd": o.monthly_cost_usd, "cost_per_image_usd": o.cost_per_image_usd,
            "hardware_usd": b["hardware"], "electricity_usd": b["electricity"], "license_usd": b["license"],
            "api_usd": b["api"], "rental_usd": b["rental"], "gpu_hours_per_month": o.gpu_hours_per_month,
            "uncertainty_usd_per_month": o.uncertainty_usd_per_month, "quality_elo": o.quality_elo,
            "payback_months": o.payback_months, "reasons": " | ".join(o.reasons),
        })
    return rows


def to_csv(result: "Result") -> str:
    """Ranked options as CSV text (one row per option; costs in USD per month unless named per image)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in option_rows(result):
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def summary_lines(result: "Result") -> list[str]:
    """Plain-text recommendation lines (headline, then its reasons)."""
    rec = result.recommendation
    if rec.option_id is None:
        return ["No option left: " + " ".join(rec.reasons)]
    top = result.option(rec.option_id)
    head = (f"Recommendation: {top.label}: {usd(top.monthly_cost_usd)}/month "
            f"({usd(top.cost_per_image_usd)}/image)")
    if rec.too_close_to_call:
        head += " - too close to call"
    return [head] + [f"  - {r}" for r in rec.reasons]


def render_table(result: "Result", limit: int = DEFAULT_TABLE_ROWS, console=None) -> None:
    """Print the recommendation, the best option of each deployment kind, and a table of the top ``limit``."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    for line in summary_lines(result):
        console.print(line, highlight=False, markup=False)

    # the cost parts need ~150 columns; narrower terminals get the totals only (parts: --format csv/json)
    parts = console.width >= 140

    def cost_table(title: str, rows: list[tuple[int, Any]]) -> Table:
        table = Table(title=escape(title))
        cols = [("#", "right"), ("option", "left"), ("s/image", "right"), ("$/month", "right"), ("$/image", "right")]
        if parts:
            cols += [("hardware", "right"), ("electricity", "right"), ("licence", "right"), ("api/rental", "right")]
        cols += [("±$/month", "right")]
        for col, just in cols:
            table.add_column(col, justify=just, no_wrap=(col != "option"), overflow="fold")
        for i, o in rows:
            b = o.cost_breakdown_usd
            cells = [str(i), escape(short_label(o)),
                     f"{o.seconds_per_image:.2f}" if o.seconds_per_image is not None else "-",
                     usd(o.monthly_cost_usd), usd(o.cost_per_image_usd)]
            if parts:
                cells += [usd(b["hardware"]), usd(b["electricity"]), usd(b["license"]), usd(b["api"] + b["rental"])]
            table.add_row(*cells, usd(o.uncertainty_usd_per_month))
        return table

    best = best_per_deployment(result)
    if best:
        console.print(cost_table("Best option of each deployment kind (# = overall rank)", best))
    top = list(enumerate(result.options[:limit], 1))
    console.print(cost_table(f"Options ranked (top {len(top)} of {len(result.options)}; {len(result.excluded)} "
                             f"excluded; --limit N for more; costs in USD/month unless per image)", top))
    if result.break_even:
        crossing = [be for be in result.break_even if be.images_per_month is not None]
        never = len(result.break_even) - len(crossing)
        console.print("Break-even volumes (images/month where two cost lines cross):", highlight=False)
        for be in sorted(crossing, key=lambda be: be.images_per_month):
            console.print(f"  {be.a} vs {be.b}: {be.images_per_month:,.0f}", highlight=False, markup=False)
        if never:
            console.print(f"  {never} other pair(s) of leading options never cross (one is cheaper at every volume; "
                          "all pairs in --format json)", highlight=False)
    if result.excluded:
        console.print(f"Excluded ({len(result.excluded)}; reasons in --format json):", highlight=False)
        for e in result.excluded[:limit]:
            console.print(f"  {e.id}: {e.reasons[0]}", highlight=False, markup=False)

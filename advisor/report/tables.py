"""Formatting of :class:`advisor.decide.Result`: rich table, JSON, CSV, and the money formatter the CLI, the
decision reasons and the app share. No arithmetic here."""

from __future__ import annotations

import csv
import io
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
    "quality_elo", "payback_months", "reasons", "simulator_uncertainty", "speed_basis",
    "people_usd", "model", "quality_scale", "keep_rate", "license",  # issue 10
    "not_practical",
)


def short_label(o: "Option") -> str:
    """One-line name of an option for narrow tables: pipeline slug, where it runs, precision.

    'flux-2-klein-4b · own rtx-4090 · fp8', 'flux-1-dev · buy 2x rtx-5090 · bf16',
    'flux-1-schnell · rent runpod-rtx-4090-pod · fp8', 'api fal-flux-1-schnell'.
    """
    if o.deployment == "api":
        return f"api {o.offer}"
    n = f"{o.gpus_needed}x " if o.gpus_needed > 1 else ""
    if o.deployment == "cloud-gpu":
        where = f"rent {n}{o.offer}" + (f" {o.serverless_mode}" if getattr(o, "serverless_mode", "") else "")
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
    from advisor.jsonsafe import dumps

    return dumps(result.to_json_dict(), indent=indent, ensure_ascii=False)  # non-finite -> null, strict JSON


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
            "people_usd": b.get("people", 0.0), "model": o.model, "quality_scale": o.quality_scale,
            "keep_rate": o.keep_rate, "license": o.license, "not_practical": getattr(o, "not_practical", ""),
            "simulator_uncertainty": o.simulator_uncertainty, "speed_basis": getattr(o, "speed_basis", ""),
        })
    return rows


def to_csv(result: "Result") -> str:
    """Ranked options as CSV text (one row per option; costs in USD per month unless named per image); text cells
    neutralised against spreadsheet formulas (:func:`csv_text`)."""
    return csv_text(option_rows(result), CSV_COLUMNS)


def csv_text(rows: Any, columns: Any) -> str:
    """The one CSV writer of the product: ``rows`` (dicts) under ``columns``, every text cell starting with =, +, -,
    @, tab or CR prefixed with an apostrophe (:func:`advisor.fmt.csv_cell`, the OWASP rule); numbers unchanged."""
    from advisor.fmt import csv_row

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow(csv_row(row))
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
            note = getattr(o, "license_note", "")  # an unknown licence fee is said in every table
            setting = getattr(o, "setting", "")  # the whole setting the seconds belong to (advisor.perf.settings)
            cells = [str(i), escape(short_label(o) + (f" ({note})" if note else "") + (f"\n{setting}" if setting else "")),
                     (f"{o.seconds_per_image:.2f}" + (f"\n±{o.simulator_uncertainty:.0%}"  # specs-only/few-points band
                                                       if getattr(o, "speed_basis", "") else ""))
                     if o.seconds_per_image is not None else "-",
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


# ---------------------------------------------------------------------------------------- for people
# Labels a person reads (app, HTML report): model, where it runs, card, precision; money per 1,000 images and per
# month. Ids stay in the CSV / JSON exports and in tooltips.

#: deployment kinds as people say them
DEPLOYMENT_LABELS = {"self-host": "own hardware", "cloud-gpu": "rented GPU", "api": "paid API"}

_CARD_PREFIXES = ("NVIDIA GeForce ", "NVIDIA ", "GeForce ")


def short_name(name: str) -> str:
    """A catalog name without its parenthesised detail: 'FLUX.2 [dev] (Black Forest Labs, 32B)' -> 'FLUX.2 [dev]'."""
    return name.split(" (", 1)[0].strip() or name


def model_label(option: Any, catalog: Any) -> str:
    """The model an option runs, for people ('FLUX.2 [klein] 4B'): the catalog name of ``Option.model`` (a pipeline,
    or an entry of a ``models`` section where the catalog has one), else the model slug."""
    slug = getattr(option, "model", "") or option.pipeline or ""
    if catalog is None:
        return slug
    for section in ("pipelines", "models"):
        entry = (getattr(catalog, section, None) or {}).get(slug)
        if entry is not None and getattr(entry, "name", None):
            return short_name(entry.name)
    return slug


def card_label(gpu_slug: str | None, catalog: Any) -> str:
    """A GPU for people, without the vendor ('RTX 4090', 'H100 SXM5 80GB'); '-' for none (APIs)."""
    if not gpu_slug:
        return "-"
    gpu = catalog.gpus.get(gpu_slug)
    if gpu is None:
        return gpu_slug
    name = gpu.name
    for prefix in _CARD_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def precision_label(precision: str | None) -> str:
    """'fp8' -> 'FP8', 'gguf-q4' -> 'GGUF Q4'; '-' for APIs (the provider's choice)."""
    return "-" if not precision else precision.replace("-", " ").upper()


def where_label(option: Any, catalog: Any = None) -> str:
    """Where an option runs, for people: 'your GPU', 'buy 2 GPUs', 'rent: RunPod (Pods)', 'rent spot: Vast.ai',
    'API: fal.ai', 'API: OpenAI API (high)' (the offer's variant, from ``catalog``, when the model name lacks it)."""
    n = option.gpus_needed or 1
    if option.deployment == "api":
        api = (getattr(catalog, "apis", None) or {}).get(option.offer)
        variant = getattr(api, "variant", None)
        if variant and variant.lower() not in model_label(option, catalog).lower():
            return f"API: {option.provider} ({variant})"
        return f"API: {option.provider}"
    if option.deployment == "cloud-gpu":
        spot = " spot" if option.spot else ""
        return f"rent{spot}{f' {n}x' if n > 1 else ''}: {option.provider}"
    if option.hardware == "owned":
        return "your GPU"
    return f"buy {n} GPUs" if n > 1 else "buy a GPU"


def human_label(option: Any, catalog: Any) -> str:
    """One line for people: 'FLUX.2 [klein] 4B · your GPU · RTX 4090 · FP8' (API: 'FLUX.1 [schnell] · API: fal.ai')."""
    parts = [model_label(option, catalog), where_label(option, catalog)]
    if option.deployment != "api":
        parts += [card_label(option.gpu, catalog), precision_label(option.precision)]
    return " · ".join(parts)


def best_per_model_and_deployment(result: "Result") -> list[tuple[int, "Option"]]:
    """(rank, option) of the best-ranked option of each (model, deployment) pair, in rank order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for i, o in enumerate(result.options, 1):
        key = (getattr(o, "model", "") or o.pipeline, o.deployment)
        if key not in seen:
            seen.add(key)
            out.append((i, o))
    return out


#: columns of :func:`display_rows` (the app's options tables, the HTML report)
DISPLAY_COLUMNS = ("#", "model", "where it runs", "card", "precision", "per 1,000 images", "per month",
                   "seconds per image")


def display_rows(ranked: list[tuple[int, "Option"]], catalog: Any, currency: str = "USD",
                 usd_to_currency: float = 1.0) -> list[dict[str, Any]]:
    """Rows for people, one per (rank, option): DISPLAY_COLUMNS as text (money with :func:`advisor.fmt.money` in
    ``currency`` at ``usd_to_currency`` [currency per USD]), plus the option ``id`` (for tooltips and filters)."""
    from advisor.fmt import IMAGES_PER_PRICED_BATCH, money, number

    rows = []
    for i, o in ranked:
        rows.append({
            "#": i, "model": model_label(o, catalog) + (f" ({o.license_note})" if getattr(o, "license_note", "") else ""),
            "where it runs": where_label(o, catalog),
            "card": card_label(o.gpu, catalog),
            "precision": precision_label(o.precision),
            "per 1,000 images": money(o.cost_per_image_usd * IMAGES_PER_PRICED_BATCH, currency, usd_to_currency),
            "per month": money(o.monthly_cost_usd, currency, usd_to_currency),
            "seconds per image": ("-" if o.seconds_per_image is None else f"{number(o.seconds_per_image)} s")
            + (" · not practical" if getattr(o, "not_practical", "") else ""),
            "deployment": DEPLOYMENT_LABELS.get(o.deployment, o.deployment), "id": o.id,
        })
    # an empty cell is an en dash: a lone '-' in st.table and the report is read as a Markdown list item ('•')
    for row in rows:
        for k, v in row.items():
            if v == "-":
                row[k] = "–"
    return rows


# ---------------------------------------------------------------------------------------- freshness
def price_text(p: Any) -> str:
    """A catalog price (:class:`advisor.decide.provenance.PriceBasis`) for people: '$1,599', '$0.34-$0.60/h',
    '$0.03/MP', '$0.15/kWh' (catalog prices are in USD)."""
    from advisor.fmt import money

    per = p.unit.split("/", 1)[1] if "/" in p.unit else ""
    amount = money(p.value) if p.value is not None else f"{money(p.low)}-{money(p.high)}"
    return f"{amount}/{per}" if per else amount


def price_rows(prices: dict[str, list[Any]], result: "Result", catalog: Any) -> list[dict[str, Any]]:
    """Rows of the prices behind the decision (:func:`advisor.decide.provenance.decision_prices`): which option
    (recommended / runner-up, for people), what, price, as of, age, check (stale / flagged), source."""
    rec = result.recommendation.option_id
    rows = []
    for oid, items in prices.items():
        o = result.option(oid)
        role = "recommended" if oid == rec else "runner-up"
        for p in items:
            rows.append({"option": f"{role}: {human_label(o, catalog)}", "price": p.what, "value": price_text(p),
                         "as of": p.as_of.isoformat(), "age [days]": p.age_days,
                         "check": p.problem or "ok", "source": p.source})
    return rows


def price_warning_text(p: Any) -> str:
    """One line saying why a price needs checking and where: '... is stale (412 days old ...): check <source>'."""
    return (f"The {p.what} ({price_text(p)}, as of {p.as_of.isoformat()}) is {p.problem}: check {p.source}"
            + (f" ({p.note})" if p.note else "") + ".")

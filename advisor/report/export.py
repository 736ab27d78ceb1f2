"""Tables and files from engine results: options CSV, scenario YAML, static charts, offline HTML report.

Everything here *arranges* numbers that come from the engine (:func:`advisor.decide.recommend`,
:func:`advisor.perf.estimate`) or the catalog; it computes none itself. The only values it makes up
are the *inputs* of extra engine calls (other volumes, electricity prices, hardware-price
multipliers) for the sweep and sensitivity views (:func:`compute_views`).

Static images (PNG, SVG, PDF) go through kaleido 1.x with one Chromium kept open per process
(``kaleido.start_sync_server``, ``mathjax=False`` so nothing is fetched); the HTML report inlines
plotly.js so it opens offline.

Public API:
    options_rows(result), catalog_rows(catalog, today), scenario_to_yaml(scenario),
    compute_views(scenario, catalog) -> Views, build_figures(views, catalog),
    figure_bytes(fig, fmt), figures_bytes(figs, fmt), report_html(views, figs, catalog),
    write_exports(scenario, out_dir, formats, catalog) -> list[Path]
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml
from pydantic import BaseModel

from advisor.catalog import Catalog, Sourced, SourcedRange, load_catalog
from advisor.errors import InputError
from advisor.io import atomic_write_bytes, atomic_write_text
from advisor.cost.scenario import EXAMPLE_SCENARIO  # noqa: F401  (re-exported for the pages)
from advisor.fmt import usd
from advisor.report.sweeps import (BREAKDOWN_KEYS, Views, batch_hours, compute_views, get,  # noqa: F401 (pages)
                                   load_catalog_for, load_scenario_file, load_scenario_text, scenario_dict)
from advisor.report.tables import option_rows, to_csv

#: columns of the options table in the HTML report (the same rows as the CSV, fewer columns)
HTML_COLUMNS = ("rank", "label", "deployment", "seconds_per_image", "monthly_cost_usd", "cost_per_image_usd",
                "gpu_hours_per_month")

if TYPE_CHECKING:  # plotly is imported lazily (the CLI imports this module inside its command)
    import plotly.graph_objects as go

FORMATS = ("png", "svg", "pdf", "html", "csv", "yaml")
IMAGE_FORMATS = ("png", "svg", "pdf")






# ------------------------------------------------------------------------------------------ tables




def _sourced_rows(section: str, entry: str, path: str, obj: Any, today: dt.date) -> Iterable[dict[str, Any]]:
    if isinstance(obj, Sourced):
        yield {"section": section, "entry": entry, "field": path, "value": obj.value, "low": None, "high": None,
               "source": obj.source, "as_of": obj.as_of, "derived": obj.derived, "stale": obj.is_stale(today),
               "note": obj.note or ""}
    elif isinstance(obj, SourcedRange):
        yield {"section": section, "entry": entry, "field": path, "value": None, "low": obj.low, "high": obj.high,
               "source": obj.source, "as_of": obj.as_of, "derived": False, "stale": obj.is_stale(today),
               "note": obj.note or ""}
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _sourced_rows(section, entry, f"{path}.{name}" if path else name, getattr(obj, name), today)
    elif isinstance(obj, dict):
        for key, val in obj.items():
            yield from _sourced_rows(section, entry, f"{path}.{key}" if path else str(key), val, today)
    elif isinstance(obj, (list, tuple)):
        for i, val in enumerate(obj):
            yield from _sourced_rows(section, entry, f"{path}[{i}]", val, today)


def catalog_rows(catalog: Catalog, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Every sourced number of the catalog: section, entry, field, value (or low/high), source, as_of, stale."""
    today = today or dt.date.today()
    rows: list[dict[str, Any]] = []
    for section in ("gpus", "pipelines", "apis", "rentals"):
        for slug, entry in getattr(catalog, section).items():
            rows.extend(_sourced_rows(section, slug, "", entry, today))
    rows.extend(_sourced_rows("defaults", "defaults", "", catalog.defaults, today))
    return rows


# ----------------------------------------------------------------------------------------- scenario
def scenario_to_yaml(scenario: Any) -> str:
    """The scenario as YAML text (reloads with the scenario loader of :mod:`advisor.decide`)."""
    header = "# Scenario exported by the image-generation cost advisor; reload with `advisor recommend --scenario FILE`\n"
    return header + yaml.safe_dump(scenario_dict(scenario), sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------------------ engine calls






























# ------------------------------------------------------------------------------------------ figures
def build_figures(views: Views, catalog: Catalog | None = None) -> dict[str, "go.Figure"]:
    """All Recommend-page figures, by name: cost_vs_volume, cost_breakdown, batch_time, sensitivity."""
    from advisor.report import charts

    catalog = catalog or load_catalog()
    figs = {
        "cost_vs_volume": charts.cost_vs_volume(views),
        "cost_breakdown": charts.cost_breakdown(views.result, first=views.leading),
    }
    batch = charts.batch_time(views.result, batch_hours(views, catalog), get(views.scenario, "batch_images"),
                              get(views.scenario, "deadline_hours"))
    if batch is not None:
        figs["batch_time"] = batch
    if views.sensitivity:
        figs["sensitivity"] = charts.sensitivity(views)
    return figs


_KALEIDO_LOCK = threading.Lock()


def _ensure_kaleido() -> None:
    """Start the per-process kaleido server once (one Chromium for every image of this process)."""
    import kaleido

    from kaleido._sync_server import GlobalKaleidoServer  # noqa: PLC2701 (is_running is not re-exported)

    if not GlobalKaleidoServer().is_running():
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)


def figures_bytes(figs: Iterable["go.Figure"], fmt: str, *, width: int = 1000, height: int = 560, scale: float = 2) -> list[bytes]:
    """Render figures to ``fmt`` (png, svg, pdf) with one kaleido browser for the whole batch."""
    import plotly.io as pio

    if fmt not in IMAGE_FORMATS:
        raise InputError("format", fmt, "|".join(IMAGE_FORMATS))
    out = []
    with _KALEIDO_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*kopts.*")
        _ensure_kaleido()
        for fig in figs:
            out.append(pio.to_image(fig, format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1))
    return out


def figure_bytes(fig: "go.Figure", fmt: str, **kw: Any) -> bytes:
    """One figure as PNG, SVG or PDF bytes (see :func:`figures_bytes`)."""
    return figures_bytes([fig], fmt, **kw)[0]


def report_html(views: Views, figs: dict[str, "go.Figure"], catalog: Catalog | None = None) -> str:
    """A self-contained HTML report (plotly.js inlined once; opens offline)."""
    import html

    import plotly.io as pio

    catalog = catalog or load_catalog()
    result = views.result
    rec = get(result, "recommendation")
    rec_id = get(rec, "option_id")
    reasons = get(rec, "reasons") or []
    close = get(rec, "too_close_to_call")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Image-generation cost report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}.warn{background:#fff4e5;padding:.5em 1em;border-left:4px solid #f90}"
        "pre{background:#f6f6f6;padding:1em}</style></head><body>",
        "<h1>Image-generation cost report</h1>",
        f"<p>Generated {html.escape(dt.datetime.now().isoformat(timespec='seconds'))} from the catalog in "
        f"<code>{html.escape(str(catalog.root))}</code>.</p>",
        f"<h2>Recommendation: {html.escape(str(rec_id))}</h2>",
    ]
    if close:
        parts.append(f"<p class='warn'>Too close to call: {html.escape(_close_text(close))}</p>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(str(r))}</li>" for r in reasons) + "</ul>")
    parts.append("<h2>Options</h2><table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in HTML_COLUMNS) + "</tr>")
    for row in option_rows(result):
        parts.append("<tr>" + "".join(f"<td>{html.escape(_fmt_cell(c, row[c]))}</td>" for c in HTML_COLUMNS) + "</tr>")
    parts.append("</table>")
    excluded = get(result, "excluded") or []
    if excluded:
        parts.append("<h3>Excluded</h3><ul>")
        for ex in excluded:
            parts.append(f"<li>{html.escape(str(get(ex, 'id', ex)))}: {html.escape('; '.join(map(str, get(ex, 'reasons', []) or [])))}</li>")
        parts.append("</ul>")
    first = True
    for name, fig in figs.items():
        parts.append(f"<h2>{html.escape(name.replace('_', ' ').capitalize())}</h2>")
        parts.append(pio.to_html(fig, include_plotlyjs=True if first else False, full_html=False,
                                 config={"displaylogo": False}))
        first = False
    parts.append("<h2>Scenario</h2><pre>" + html.escape(scenario_to_yaml(views.scenario)) + "</pre></body></html>")
    return "\n".join(parts)


def _close_text(close: Any) -> str:
    if isinstance(close, str):
        return close
    if isinstance(close, (list, tuple)):
        return ", ".join(map(str, close))
    return "the leading options are within the estimate's uncertainty"


def _fmt_cell(column: str, v: Any) -> str:
    """A table cell for people: money with :func:`advisor.fmt.usd`, other floats with 3 significant digits in fixed
    notation (never scientific notation)."""
    if v is None:
        return "-"
    if column.endswith("_usd"):
        return usd(v)
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) >= 1e-3 and abs(v) < 1e3 else f"{v:,.0f}" if abs(v) >= 1e3 else f"{v:.6f}".rstrip("0")
    return str(v)


# ------------------------------------------------------------------------------------------- writer
def write_exports(scenario: Any, out_dir: str | Path, formats: Iterable[str] = FORMATS,
                  catalog: Catalog | None = None) -> list[Path]:
    """Write the chosen formats for ``scenario`` into ``out_dir`` (atomic writes; nothing outside it).

    Files: ``options.csv``, ``scenario.yaml``, ``report.html``, and ``<chart>.<png|svg|pdf>`` per chart.
    """
    formats = list(dict.fromkeys(formats))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError("formats", ",".join(bad) or "", ",".join(FORMATS))
    catalog = catalog or load_catalog_for(scenario)
    out_dir = Path(out_dir)
    need_charts = any(f in ("png", "svg", "pdf", "html") for f in formats)
    views = compute_views(scenario, catalog, sweeps=need_charts)
    written: list[Path] = []
    if "csv" in formats:
        written.append(atomic_write_text(out_dir / "options.csv", to_csv(views.result)))
    if "yaml" in formats:
        written.append(atomic_write_text(out_dir / "scenario.yaml", scenario_to_yaml(scenario)))
    if need_charts:
        figs = build_figures(views, catalog)
        if "html" in formats:
            written.append(atomic_write_text(out_dir / "report.html", report_html(views, figs, catalog)))
        for fmt in IMAGE_FORMATS:
            if fmt in formats:
                for name, data in zip(figs, figures_bytes(figs.values(), fmt)):
                    written.append(atomic_write_bytes(out_dir / f"{name}.{fmt}", data))
    return written







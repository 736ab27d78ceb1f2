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
from advisor.io import atomic_write_bytes, atomic_write_text, check_output_dir  # noqa: F401
from advisor.cost.scenario import EXAMPLE_SCENARIO  # noqa: F401  (re-exported for the pages)
from advisor.fmt import per_month, per_thousand_images
from advisor.decide.provenance import decision_prices, price_warnings
from advisor.report import tables
from advisor.report.sweeps import (BREAKDOWN_KEYS, Views, batch_hours, compute_views, get,  # noqa: F401 (pages)
                                   load_catalog_for, load_scenario_file, load_scenario_text, scenario_dict)
from advisor.report.tables import to_csv

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
def option_labels(views: Views, catalog: Catalog) -> dict[str, str]:
    """{option id: :func:`advisor.report.tables.human_label`} for every option of the scenario's result; a label two
    options share gets each one's overall rank appended ('... (#12)'), so charts never merge two options."""
    from collections import Counter

    from advisor.report.tables import human_label

    opts = list(get(views.result, "options", []) or [])
    labels = {get(o, "id"): human_label(o, catalog) for o in opts}
    twice = {k for k, n in Counter(labels.values()).items() if n > 1}
    for rank, o in enumerate(opts, 1):
        if labels[get(o, "id")] in twice:
            labels[get(o, "id")] += f" (#{rank})"
    return labels


#: the Recommend-page figures in page order (build_figure names)
FIGURE_NAMES = ("cost_vs_volume", "cost_breakdown", "batch_time", "sensitivity")


def build_figure(views: Views, name: str, catalog: Catalog | None = None,
                 labels: dict[str, str] | None = None) -> "go.Figure | None":
    """One Recommend-page figure by name (FIGURE_NAMES), options named for people (:func:`option_labels`); None when
    the scenario has nothing to draw for it (no batch: no batch_time; no sweeps: no sensitivity)."""
    from advisor.report import charts

    catalog = catalog or load_catalog()
    labels = labels if labels is not None else option_labels(views, catalog)
    if name == "cost_vs_volume":
        return charts.cost_vs_volume(views, labels=labels)
    if name == "cost_breakdown":
        return charts.cost_breakdown(views.result, first=views.leading, labels=labels)
    if name == "batch_time":
        return charts.batch_time(views.result, batch_hours(views, catalog), get(views.scenario, "batch_images"),
                                 get(views.scenario, "deadline_hours"), labels=labels)
    if name == "sensitivity":
        return charts.sensitivity(views, labels=labels) if views.sensitivity else None
    raise InputError("chart", name, ", ".join(FIGURE_NAMES))


def build_figures(views: Views, catalog: Catalog | None = None) -> dict[str, "go.Figure"]:
    """All Recommend-page figures, by name: cost_vs_volume, cost_breakdown, batch_time, sensitivity."""
    catalog = catalog or load_catalog()
    labels = option_labels(views, catalog)
    figs = {}
    for name in FIGURE_NAMES:
        fig = build_figure(views, name, catalog, labels)
        if fig is not None:
            figs[name] = fig
    figs["pareto"] = pareto_figure(views.result)  # issue 10
    return figs


def pareto_figure(result: Any) -> "go.Figure":
    """The cost-per-image vs quality chart of ``result`` on its ranking scale (frontier from the engine)."""
    from advisor.decide.quality import frontier_ids
    from advisor.report import charts

    a = get(result, "assumptions", {}) or {}
    rec = get(get(result, "recommendation"), "option_id")
    return charts.pareto(result, frontier_ids(list(get(result, "options", []) or [])),
                         a.get("quality_scale_name") or a.get("quality_scale") or "quality", rec)


PARETO_CSV_COLUMNS = ("id", "label", "model", "deployment", "cost_per_image_usd", "monthly_cost_usd", "quality_scale",
                      "quality_value", "quality_source", "on_frontier", "recommended")


def pareto_csv(result: Any) -> str:
    """The Pareto chart's points as CSV: every option, its quality on the ranking scale (empty = unscored, never
    imputed), whether it is on the frontier and whether it is the recommendation."""
    from advisor.decide.quality import frontier_ids

    opts = list(get(result, "options", []) or [])
    front = frontier_ids(opts)
    rec = get(get(result, "recommendation"), "option_id")
    return tables.csv_text(({"id": o.id, "label": o.label, "model": o.model, "deployment": o.deployment,
                             "cost_per_image_usd": o.cost_per_image_usd, "monthly_cost_usd": o.monthly_cost_usd,
                             "quality_scale": o.quality_scale, "quality_value": o.quality_elo,
                             "quality_source": o.quality_source, "on_frontier": o.id in front,
                             "recommended": o.id == rec} for o in opts), PARETO_CSV_COLUMNS)


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


def report_html(views: Views, figs: dict[str, "go.Figure"], catalog: Catalog | None = None,
                calibration_label: str | None = None) -> str:
    """A self-contained HTML report (plotly.js inlined once; opens offline). ``calibration_label`` says which
    calibration the simulator used (the app: "Calibrated on your ... profile" or "Catalog calibration ...")."""
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
        # the catalog's version, never a path on the machine that made the report
        f"<p>Generated {html.escape(dt.datetime.now().isoformat(timespec='seconds'))} from the advisor's catalog "
        f"(profiles/, every number with its source and date).</p>",
        f"<p>{html.escape(calibration_label or 'Catalog calibration (profiles/calibration.yaml).')}</p>",
    ]
    from advisor.report import answers

    best = result.option(rec_id) if rec_id else None
    cur = report_currency(views.scenario, catalog)
    if best is None:
        parts.append("<h2>Recommendation: none</h2>")
    else:
        # the same answer and headline figures as the app's Recommend page
        parts.append(f"<h2>Recommendation: {html.escape(tables.human_label(best, catalog))}</h2>")
        parts.append(f"<p class='answer'>{html.escape(answers.recommend_answer(result, catalog))}</p>")
        secs = "-" if best.seconds_per_image is None else f"{best.seconds_per_image:.3g} s"
        parts.append(f"<p><b>{html.escape(per_month(best.monthly_cost_usd, *cur))}</b> · "
                     f"<b>{html.escape(per_thousand_images(best.cost_per_image_usd, *cur))}</b> · "
                     f"<b>{html.escape(secs)} per image</b>"
                     + (f" (at {cur[1]:g} {cur[0]} per USD, the catalog's rate)" if cur[0] != "USD" else "")
                     + "</p>")
        frontier = answers.frontier_line(result, catalog)
        if frontier:
            parts.append(f"<p><b>What quality costs</b> (cheapest option at each quality level): "
                         f"{html.escape(frontier)}</p>")
        crossings = answers.crossing_lines(result, catalog)
        if crossings:
            parts.append("<h3>Break-even volumes between the best option of each kind</h3><ul>"
                         + "".join(f"<li>{html.escape(x)}</li>" for x in crossings) + "</ul>")
    # freshness: every catalog price behind the recommendation and the runner-up, with its as-of date
    prices = decision_prices(result, catalog)
    for w in price_warnings(prices):
        parts.append(f"<p class='warn'>Check this price before deciding: {html.escape(tables.price_warning_text(w))}"
                     "</p>")
    if close:
        parts.append(f"<p class='warn'>Too close to call: {html.escape(_close_text(close))}</p>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(str(r))}</li>" for r in answers.short_bullets(reasons)) + "</ul>")
    parts.append("<details><summary>Why: the full reasons and their sources</summary><ul>"
                 + "".join(f"<li>{html.escape(str(r))}</li>" for r in reasons) + "</ul></details>")
    price_table = tables.price_rows(prices, result, catalog) if best is not None else []
    if price_table:
        parts.append("<h3>Prices behind this decision</h3>" + _html_table(price_table))
    ranked = list(enumerate(get(result, "options", []) or [], 1))
    parts.append("<h2>Options: the best of each model and where it runs</h2>")
    parts.append(_html_table(tables.display_rows(tables.best_per_model_and_deployment(result), catalog, *cur),
                             tables.DISPLAY_COLUMNS))
    parts.append(f"<details><summary>All {len(ranked)} options</summary>"
                 + _html_table(tables.display_rows(ranked, catalog, *cur), tables.DISPLAY_COLUMNS) + "</details>")
    excluded = get(result, "excluded") or []
    if excluded:
        parts.append(f"<details><summary>Excluded ({len(excluded)})</summary><ul>")
        for ex in excluded:
            parts.append(f"<li title='{html.escape(str(get(ex, 'id', ex)))}'>"
                         f"{html.escape(excluded_label(ex, catalog))}: "
                         f"{html.escape('; '.join(map(str, get(ex, 'reasons', []) or [])))}</li>")
        parts.append("</ul></details>")
    first = True
    for name, fig in figs.items():
        parts.append(f"<h2>{html.escape(name.replace('_', ' ').capitalize())}</h2>")
        parts.append(pio.to_html(fig, include_plotlyjs=True if first else False, full_html=False,
                                 config={"displaylogo": False}))
        first = False
    parts.append("<h2>Scenario</h2><pre>" + html.escape(scenario_to_yaml(views.scenario)) + "</pre></body></html>")
    return "\n".join(parts)


def report_currency(scenario: Any, catalog: Catalog) -> tuple[str, float]:
    """(currency code, its units per USD) the report shows amounts in: the scenario's ``currency`` at the catalog's
    dated rate (``Catalog.currencies``), else ('USD', 1.0)."""
    code = str(get(scenario, "currency") or "USD").upper()
    rate = (getattr(catalog, "currencies", None) or {}).get(code)
    if code == "USD" or rate is None:
        return "USD", 1.0
    return code, rate.per_usd.value


def _html_table(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    """An HTML table of already formatted rows (every cell escaped)."""
    import html

    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def excluded_label(ex: Any, catalog: Catalog) -> str:
    """An excluded option for people: model · where · card (its id stays in the tooltip)."""
    pipe = catalog.pipelines.get(get(ex, "pipeline") or "")
    parts = [tables.short_name(pipe.name) if pipe else str(get(ex, "pipeline"))]
    parts.append(tables.DEPLOYMENT_LABELS.get(get(ex, "deployment"), str(get(ex, "deployment"))))
    if get(ex, "gpu"):
        parts.append(tables.card_label(get(ex, "gpu"), catalog))
    if get(ex, "precision"):
        parts.append(tables.precision_label(get(ex, "precision")))
    return " · ".join(parts)


def _close_text(close: Any) -> str:
    if isinstance(close, str):
        return close
    if isinstance(close, (list, tuple)):
        return ", ".join(map(str, close))
    return "the leading options are within the estimate's uncertainty"


# ------------------------------------------------------------------------------------------- writer
def export_names(formats: Iterable[str]) -> list[str]:
    """The file names an export of ``formats`` writes (known before anything is computed)."""
    names = []
    if "csv" in formats:
        names += ["options.csv", "pareto.csv"]
    if "yaml" in formats:
        names.append("scenario.yaml")
    if "html" in formats:
        names.append("report.html")
    names += [f"{chart}.{fmt}" for fmt in IMAGE_FORMATS if fmt in formats for chart in (*FIGURE_NAMES, "pareto")]
    return names


def check_export_targets(out_dir: str | Path, formats: Iterable[str], field: str = "--out",
                         force: bool = False) -> Path:
    """The output rule for an export, before any work: ``out_dir`` a usable folder (:func:`check_output_dir`), and
    each file the export may write either absent, or a regular file when ``force`` (never a folder, device or
    FIFO in its place: an ``OUT/report.html`` folder of the user's notes is refused, not replaced)."""
    import os
    import stat

    from advisor.io import short

    out = check_output_dir(field, out_dir)
    for name in export_names(formats):
        try:
            st = os.lstat(out / name)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputError(field, short(out / name), f"a usable path ({exc.strerror or exc})") from None
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a link, device or special file"
            raise InputError(field, short(out / name), f"a folder whose {name} is a file the export may replace "
                                                       f"(this is {kind}: nothing was written)")
        if not force:
            raise InputError(field, short(out / name), "a folder without the export's files (this one exists: add "
                                                       "--force to replace it, or choose a new folder)")
    return out


def write_exports(scenario: Any, out_dir: str | Path, formats: Iterable[str] = FORMATS,
                  catalog: Catalog | None = None, field: str = "--out", force: bool = True) -> list[Path]:
    """Write the chosen formats for ``scenario`` into ``out_dir``: all of them or none (nothing outside it).

    Files: ``options.csv``, ``scenario.yaml``, ``report.html``, and ``<chart>.<png|svg|pdf>`` per chart. The folder
    and every target name are checked first (:func:`check_export_targets`; one-line :class:`InputError` naming
    ``field``; ``force``: replace the export's own earlier files), every file is rendered in memory, then written
    into a temp folder beside ``out_dir`` and moved in (:func:`_move_in`); on any failure ``out_dir`` is left as it
    was.
    """
    formats = list(dict.fromkeys(formats))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError("formats", ",".join(bad) or "", ",".join(FORMATS))
    out_dir = check_export_targets(out_dir, formats, field, force)
    catalog = catalog or load_catalog_for(scenario)
    need_charts = any(f in ("png", "svg", "pdf", "html") for f in formats)
    views = compute_views(scenario, catalog, sweeps=need_charts)
    files: dict[str, bytes] = {}
    if "csv" in formats:
        files["options.csv"] = to_csv(views.result).encode("utf-8")
        files["pareto.csv"] = pareto_csv(views.result).encode("utf-8")
    if "yaml" in formats:
        files["scenario.yaml"] = scenario_to_yaml(scenario).encode("utf-8")
    if need_charts:
        figs = build_figures(views, catalog)
        if "html" in formats:
            files["report.html"] = report_html(views, figs, catalog).encode("utf-8")
        for fmt in IMAGE_FORMATS:
            if fmt in formats:
                for name, data in zip(figs, figures_bytes(figs.values(), fmt)):
                    files[f"{name}.{fmt}"] = data
    try:
        return _move_in(out_dir, files)
    except OSError as exc:
        raise InputError(field, str(out_dir), f"a folder you can write to ({exc.strerror or exc}); nothing was "
                                              f"written") from None


def _move_in(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` into a temp folder beside ``out_dir``, then move them in; on failure undo every step.

    A new ``out_dir`` is the temp folder renamed (one atomic rename). An existing one gets each file by
    ``os.replace``; regular files it held under the same names are kept aside until every move succeeded and put
    back otherwise. Only what this export created is ever removed: a name that is not a regular file is refused
    before anything moves. Files 0666 and folders 0777 less the user's umask (the kernel applies it).
    """
    import os
    import secrets
    import shutil
    import stat

    from advisor.io import DIR_MODE, FILE_MODE

    created: list[Path] = []
    missing = [] if out_dir.exists() else [d for d in [out_dir.absolute(), *out_dir.absolute().parents]
                                           if not d.exists()]
    for d in reversed(missing[1:]):  # parents of out_dir that do not exist yet
        d.mkdir(mode=DIR_MODE)
        created.append(d)
    parent = out_dir.absolute().parent
    staging = parent / f".{(out_dir.name or 'export')[:100]}.{secrets.token_hex(4)}.tmp"
    staging.mkdir(mode=DIR_MODE)  # ours alone: only it is ever removed recursively
    moved: list[tuple[Path, Path | None]] = []
    try:
        for name, data in files.items():
            fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        if not out_dir.exists():
            os.rename(staging, out_dir)
            return [out_dir / name for name in files]
        for name in files:  # checked again just before moving: a folder put there meanwhile is never replaced
            try:
                if not stat.S_ISREG(os.lstat(out_dir / name).st_mode):
                    raise IsADirectoryError(21, "not a regular file, refused", str(out_dir / name))
            except FileNotFoundError:
                pass
        aside = staging / ".previous"
        aside.mkdir()
        for name in files:
            target = out_dir / name
            old = None
            if target.exists():
                old = aside / name
                os.replace(target, old)
            moved.append((target, old))
            os.replace(staging / name, target)
        return [out_dir / name for name in files]
    except BaseException:
        for target, old in reversed(moved):
            try:
                if old is not None:
                    os.replace(old, target)  # puts the user's file back over ours
                elif target.is_file() and not target.is_symlink():
                    target.unlink()  # a file this export moved in
            except OSError:
                pass
        raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        for d in reversed(created):
            if d.exists() and not any(d.iterdir()) and not out_dir.exists():
                d.rmdir()

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

import collections
import csv
import datetime as dt
import functools
import io
import json
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml
from pydantic import BaseModel

from advisor.catalog import Catalog, Sourced, SourcedRange, load_catalog
from advisor.errors import InputError
from advisor.io import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:  # plotly is imported lazily (the CLI imports this module inside its command)
    import plotly.graph_objects as go

FORMATS = ("png", "svg", "pdf", "html", "csv", "yaml")
IMAGE_FORMATS = ("png", "svg", "pdf")

#: Volumes [images/month] at which the cost-vs-volume chart asks the engine (plus the scenario's own
#: volume and every break-even volume, so the break-even markers sit on the engine's curves).
VOLUME_SWEEP = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000)
#: Electricity prices [USD/kWh] for the sensitivity view (plus the scenario's own price).
ELECTRICITY_SWEEP = (0.05, 0.15, 0.30, 0.45)
#: Multipliers of the scenario volume for the sensitivity view.
VOLUME_FACTORS = (0.1, 1.0, 10.0)
#: Multipliers of every GPU's catalog purchase price for the sensitivity view.
HARDWARE_PRICE_FACTORS = (0.5, 1.0, 1.5)
#: How many options (best first) the volume and sensitivity charts follow.
LEADING = 5

OPTION_COLUMNS = (
    ("option", "id"),
    ("pipeline", "pipeline"),
    ("deployment", "deployment"),
    ("gpu", "gpu"),
    ("precision", "precision"),
    ("fits", "fits"),
    ("monthly_cost_usd", "monthly_cost_usd"),
    ("cost_per_image_usd", "cost_per_image_usd"),
    ("seconds_per_image", "seconds_per_image"),
    ("gpu_hours_per_month", "gpu_hours_per_month"),
)
BREAKDOWN_KEYS = ("hardware", "electricity", "license", "api", "rental")


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read ``name`` from a pydantic model / dataclass attribute or a mapping key."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


# ------------------------------------------------------------------------------------------ tables
def options_rows(result: Any) -> list[dict[str, Any]]:
    """One row per option of a :class:`advisor.decide.Result`, in the engine's order (best first)."""
    rows = []
    for opt in get(result, "options", []):
        row = {col: get(opt, attr) for col, attr in OPTION_COLUMNS}
        breakdown = get(opt, "cost_breakdown_usd") or {}
        for key in BREAKDOWN_KEYS:
            row[f"{key}_usd"] = breakdown.get(key, 0.0) if isinstance(breakdown, dict) else get(breakdown, key, 0.0)
        rows.append(row)
    return rows


def options_csv(result: Any) -> str:
    """The options table as CSV text (header = column names with units)."""
    rows = options_rows(result)
    buf = io.StringIO()
    fields = [c for c, _ in OPTION_COLUMNS] + [f"{k}_usd" for k in BREAKDOWN_KEYS]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


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
def scenario_dict(scenario: Any) -> dict[str, Any]:
    """The scenario as plain JSON-able data (what ``advisor recommend --scenario`` reads back)."""
    if hasattr(scenario, "model_dump"):
        return scenario.model_dump(mode="json", exclude_none=True)
    return json.loads(json.dumps(scenario, default=str))


def scenario_to_yaml(scenario: Any) -> str:
    """The scenario as YAML text (reloads with the scenario loader of :mod:`advisor.decide`)."""
    header = "# Scenario exported by the image-generation cost advisor; reload with `advisor recommend --scenario FILE`\n"
    return header + yaml.safe_dump(scenario_dict(scenario), sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------------------ engine calls
@dataclass
class Views:
    """The engine results behind the Recommend page and the report.

    ``result`` is the scenario's own :class:`advisor.decide.Result`; ``volume_results`` maps a volume
    [images/month] to the engine's result at that volume; ``sensitivity`` maps a parameter name to a
    list of (input value, Result). ``leading`` holds the option ids the charts follow (best first).
    """

    scenario: Any
    result: Any
    leading: list[str]
    volume_results: dict[float, Any] = field(default_factory=dict)
    sensitivity: dict[str, list[tuple[float, Any]]] = field(default_factory=dict)
    hardware_gpus: list[str] = field(default_factory=list)


def _with(scenario: Any, **changes: Any) -> Any:
    """A copy of the scenario with fields changed, validated again by the engine's model."""
    from advisor.decide import Scenario

    data = scenario_dict(scenario)
    data.update(changes)
    return Scenario.from_dict(data)


def _price_overrides(catalog: Catalog, gpus: Iterable[str], factor: float, base: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides that scale each GPU's catalog purchase prices by ``factor`` (input, not output)."""
    today = dt.date.today().isoformat()
    src = f"sensitivity view: catalog price x {factor:g}"
    over = json.loads(json.dumps(base or {}))
    gpu_over = over.setdefault("gpus", {})
    for slug in gpus:
        g = catalog.gpus[slug]
        patch = gpu_over.setdefault(slug, {})
        if g.launch_price_usd is not None:
            patch["launch_price_usd"] = {"value": g.launch_price_usd.value * factor, "source": src, "as_of": today,
                                         "derived": True}
        for name in ("street_price_usd", "used_price_usd"):
            rng = getattr(g, name)
            if rng is not None:
                patch[name] = {"low": rng.low * factor, "high": rng.high * factor, "source": src, "as_of": today}
    return over


def leading_option_ids(result: Any, n: int = LEADING) -> list[str]:
    """The recommended option first, then the best option of each other kind of hardware (your GPU, a
    GPU to buy, a rented GPU, an API), in the engine's order; filled up with the next best options."""
    opts = list(get(result, "options", []))
    ids = [get(o, "id") for o in opts]
    rec = get(get(result, "recommendation"), "option_id")
    out = [rec] if rec in ids else []
    kinds = {get(o, "hardware") for o in opts if get(o, "id") in out}
    for o in opts:
        kind = get(o, "hardware")
        if kind not in kinds and len(out) < n:
            out.append(get(o, "id"))
            kinds.add(kind)
    for i in ids:
        if len(out) >= n:
            break
        if i not in out:
            out.append(i)
    return out


def _leading_catalog(catalog: Catalog, result: Any, leading: list[str], owned: str | None) -> Catalog:
    """The catalog cut down to what the leading options use (their pipelines, GPUs, rental offers, APIs).

    Each option's numbers depend only on its own catalog entries and the scenario, so the engine gives
    the same numbers for these options on this smaller catalog, many times faster (used for the volume
    curves; rankings and recommendations always come from the full catalog).
    """
    by_id = {get(o, "id"): o for o in get(result, "options", [])}
    pipes, gpus, rentals, apis = set(), set(), set(), set()
    for oid in leading:
        o = by_id[oid]
        pipes.add(get(o, "pipeline"))
        if get(o, "gpu"):
            gpus.add(get(o, "gpu"))
        kind, _, rest = oid.partition(":")
        if kind == "cloud-gpu":
            rentals.add(rest.split(":")[0])
        elif kind == "api":
            apis.add(rest)
    if owned:
        gpus.add(owned)
    return catalog.model_copy(update={
        "pipelines": {k: v for k, v in catalog.pipelines.items() if k in pipes},
        "gpus": {k: v for k, v in catalog.gpus.items() if k in gpus},
        "rentals": {k: v for k, v in catalog.rentals.items() if k in rentals},
        "apis": {k: v for k, v in catalog.apis.items() if k in apis},
    })


#: Engine results kept across calls of :func:`compute_views` (most sweep points do not change when one
#: input changes: e.g. the electricity sweep after a new electricity price, the volume curve after a new
#: volume). Bounded LRU; a full result is about 0.5 MB.
RESULT_CACHE_SIZE = 128
_RESULTS: "collections.OrderedDict[tuple, tuple]" = collections.OrderedDict()
_RESULTS_LOCK = threading.Lock()
_SMALL_CATALOGS: "collections.OrderedDict[tuple, tuple]" = collections.OrderedDict()


def _recommend(scenario: Any, catalog: Catalog, perf_catalog: Catalog | None = None) -> Any:
    """:func:`advisor.decide.recommend` of ``scenario`` on ``catalog``, memoised per (scenario, catalog).

    ``perf_catalog`` (if given) is the catalog the simulator runs on (:func:`_same_perf`). The key is the
    scenario's JSON (every input, overrides included) and the identity of the catalog objects, the same
    rule as the simulator's own cache (:func:`advisor.perf.estimate`): catalogs are not mutated, and a
    reloaded catalog is a new object. The entry holds the catalogs, so their ids are not reused while
    it lives. The result is the engine's, unchanged.
    """
    from advisor.decide import recommend

    key = (json.dumps(scenario_dict(scenario), sort_keys=True), id(catalog), id(perf_catalog))
    with _RESULTS_LOCK:
        hit = _RESULTS.get(key)
        if hit is not None:
            _RESULTS.move_to_end(key)
            return hit[0]
    if perf_catalog is None:
        result = recommend(scenario, catalog)
    else:
        result = recommend(scenario, catalog, estimator=_same_perf(perf_catalog))
    with _RESULTS_LOCK:
        _RESULTS[key] = (result, catalog, perf_catalog)
        while len(_RESULTS) > RESULT_CACHE_SIZE:
            _RESULTS.popitem(last=False)
    return result


def _leading_catalog_cached(catalog: Catalog, result: Any, leading: list[str], owned: str | None) -> Catalog:
    """:func:`_leading_catalog`, the same object again for the same cut of the same catalog (so the
    volume curves of the next input change can reuse the engine results of this one)."""
    small = _leading_catalog(catalog, result, leading, owned)
    key = (id(catalog), tuple(sorted(small.pipelines)), tuple(sorted(small.gpus)), tuple(sorted(small.rentals)),
           tuple(sorted(small.apis)))
    with _RESULTS_LOCK:
        hit = _SMALL_CATALOGS.get(key)
        if hit is not None:
            _SMALL_CATALOGS.move_to_end(key)
            return hit[0]
        _SMALL_CATALOGS[key] = (small, catalog)
        while len(_SMALL_CATALOGS) > 32:
            _SMALL_CATALOGS.popitem(last=False)
    return small


def compute_views(scenario: Any, catalog: Catalog | None = None, *, sweeps: bool = True) -> Views:
    """Call the engine for the scenario and (``sweeps=True``) for the volume and sensitivity sweeps.

    Engine results are memoised across calls (:func:`_recommend`), so sweep points whose inputs did not
    change since an earlier call are not recomputed."""
    catalog = catalog or load_catalog()
    result = _recommend(scenario, catalog)
    views = Views(scenario=scenario, result=result, leading=leading_option_ids(result))
    if not sweeps or not views.leading:
        return views

    # monthly cost vs volume of the leading options: the engine on the catalog cut down to those options
    small = _leading_catalog_cached(catalog, result, views.leading, get(scenario, "gpu_owned"))
    base_volume = float(get(scenario, "volume_images_per_month"))
    volumes = set(VOLUME_SWEEP) | {base_volume}
    for be in get(result, "break_even", []) or []:
        v = get(be, "images_per_month")
        if v is not None and v > 0 and get(be, "a") in views.leading and get(be, "b") in views.leading:
            volumes.add(float(v))
    for v in sorted(volumes):
        views.volume_results[v] = result if v == base_volume else _recommend(
            _with(scenario, volume_images_per_month=_vol(v)), small, catalog)

    # sensitivity: full catalog (the recommendation at each value must see every option)
    base_price = float(get(get(result, "assumptions") or {}, "electricity_usd_per_kwh"))  # as the engine resolved it
    prices = sorted(set(ELECTRICITY_SWEEP) | {base_price})
    views.sensitivity["electricity_usd_per_kwh"] = [
        (p, result if p == base_price else _recommend(_with(scenario, electricity_usd_per_kwh=p), catalog))
        for p in prices
    ]
    views.sensitivity["volume_images_per_month"] = [
        (f * base_volume, result if f == 1.0 else _recommend(_with(scenario, volume_images_per_month=_vol(f * base_volume)), catalog))
        for f in VOLUME_FACTORS
    ]
    # hardware purchase price (multiplier of the catalog prices of every GPU an option would buy)
    gpus = sorted({get(o, "gpu") for o in get(result, "options", []) if get(o, "deployment") == "self-host" and get(o, "gpu") in catalog.gpus})
    views.hardware_gpus = gpus
    base_over = get(scenario, "overrides") or {}
    hw = []
    for f in HARDWARE_PRICE_FACTORS:
        if f == 1.0 or not gpus:
            hw.append((f, result))
        else:
            scaled = _with(scenario, overrides=_price_overrides(catalog, gpus, f, base_over))
            # only prices change, so the simulator runs on the scenario's own catalog (and reuses its cache)
            hw.append((f, _recommend(scaled, load_catalog_for(scaled), catalog)))
    views.sensitivity["hardware_price_factor"] = hw
    return views


def batch_hours(views: Views, catalog: Catalog | None = None) -> dict[str, float]:
    """Hours to finish the scenario's batch per option [h]: the engine's ``Option.batch_hours``.

    Options without one (APIs: no sourced throughput; every option when the scenario has no batch) are
    left out. ``catalog`` is unused and kept for callers of the earlier signature.
    """
    out: dict[str, float] = {}
    for o in get(views.result, "options", []) or []:
        h = get(o, "batch_hours")
        if h is not None:
            out[get(o, "id")] = h
    return out


def load_scenario_text(text: str, file: str = "<scenario>") -> Any:
    """Parse a scenario YAML document with the engine's loader (:func:`advisor.decide.load_scenario_text`)."""
    from advisor.decide import load_scenario_text as _load

    return _load(text, file)


def load_scenario_file(path: str | Path) -> Any:
    """The scenario in ``path``, read exactly as ``advisor recommend --scenario`` reads it."""
    from advisor.decide import load_scenario

    return load_scenario(path)


EXAMPLE_SCENARIO = Path(__file__).resolve().parent / "scenarios" / "example.yaml"


def _same_perf(catalog: Catalog):
    from advisor.perf import estimate

    def estimator(req: Any, _priced_catalog: Catalog) -> Any:
        return estimate(req, catalog)

    return estimator


def _vol(v: float) -> int | float:
    return int(round(v)) if float(v).is_integer() or v >= 1 else v


# ------------------------------------------------------------------------------------------ figures
def build_figures(views: Views, catalog: Catalog | None = None) -> dict[str, "go.Figure"]:
    """All Recommend-page figures, by name: cost_vs_volume, cost_breakdown, batch_time, sensitivity."""
    from advisor import charts

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
    parts.append("<h2>Options</h2><table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c, _ in OPTION_COLUMNS) + "</tr>")
    for row in options_rows(result):
        parts.append("<tr>" + "".join(f"<td>{html.escape(_fmt_cell(row[c]))}</td>" for c, _ in OPTION_COLUMNS) + "</tr>")
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


def _fmt_cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
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
        written.append(atomic_write_text(out_dir / "options.csv", options_csv(views.result)))
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


def load_catalog_for(scenario: Any) -> Catalog:
    """The catalog with the scenario's overrides applied (the same catalog ``recommend`` would build).

    Catalogs with overrides are cached per overrides (JSON text) so repeated sweeps reuse both the
    catalog and the simulator's per-catalog cache; the YAML files are read once per process.
    """
    overrides = get(scenario, "overrides") or None
    if not overrides:
        return load_catalog()
    return _catalog_with_overrides(json.dumps(overrides, sort_keys=True, default=str))


@functools.lru_cache(maxsize=1)
def _raw_catalog() -> dict[str, Any]:
    from advisor.catalog import read_raw

    return read_raw()


@functools.lru_cache(maxsize=32)
def _catalog_with_overrides(overrides_json: str) -> Catalog:
    from advisor.catalog import PROFILES_DIR, build_catalog

    return build_catalog(_raw_catalog(), str(PROFILES_DIR), json.loads(overrides_json))

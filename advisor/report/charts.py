"""Plotly figures of engine results. No arithmetic: every plotted number is an engine or catalog number,
only arranged (sorted, grouped, labelled). Uncertainty bands are drawn by plotly from the engine's
relative band (``error_x=dict(type='percent')``), not computed here.

Figures: cost_vs_volume, cost_breakdown, batch_time, sensitivity (Recommend page and report);
stage_breakdown, vram_bar, power_bars (Simulator); predicted_vs_measured (Validation).
"""

from __future__ import annotations

import json
import math
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from advisor.fmt import IMAGES_PER_PRICED_BATCH, money, number, usd
from advisor.report.sweeps import BREAKDOWN_KEYS, Views, get

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
BREAKDOWN_COLORS = {"hardware": "#4c78a8", "electricity": "#f58518", "license": "#b279a2", "api": "#54a24b",
                    "rental": "#e45756", "people": "#9d755d"}
STAGE_COLORS = {"text_encoder": "#72b7b2", "denoise": "#4c78a8", "vae_decode": "#f58518", "offload_transfer": "#e45756"}
LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50), font=dict(size=13),
              legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0, bgcolor="rgba(255,255,255,0)"))
LOG_AXIS = dict(type="log", dtick=1, minor=dict(ticks="inside", showgrid=True, gridcolor="#f3f3f3"))
#: LAYOUT without the template, for figures made by :func:`_figure` (which sets the template once).
_LAYOUT_REST = {k: v for k, v in LAYOUT.items() if k != "template"}


def _figure(*data: Any) -> go.Figure:
    """A figure with ``LAYOUT``'s template, as ``go.Figure()`` + ``update_layout(template=...)`` makes it.

    Assigning a template the usual way copies it *and* validates every property of it (a large object):
    about 15 ms per figure, most of a chart's build time. The template is plotly's own registered one,
    already valid, so it is assigned without validation: the shortcut plotly itself takes when it applies
    its default template to a new figure (``BaseFigure._initialize_layout_template``). The figure's JSON
    is the same either way."""
    fig = go.Figure(data=list(data) or None)
    layout = fig.layout
    validate = layout._validate
    layout._validate = False
    try:
        layout.template = pio.templates[LAYOUT["template"]]
    finally:
        layout._validate = validate
    return fig


TOP_N = 12  # bars per ranked chart: the recommended option and the next best ones


def option_label(opt: Any, labels: dict[str, str] | None = None) -> str:
    """Human label of an option: ``labels[id]`` when given (e.g. :func:`advisor.report.tables.human_label`), else the
    engine's ``label``, else its id."""
    oid = get(opt, "id")
    if labels and oid in labels:
        return labels[oid]
    return str(get(opt, "label") or oid)


#: tick labels per decade on a log axis spanning few decades (1-2-5), and the span [decades] up to which they are used
LOG_TICK_MANTISSAS = (1, 2, 5)
LOG_125_MAX_DECADES = 2.5


def _trim(text: str) -> str:
    """'$1.00' -> '$1', '0.500' -> '0.5' (tick labels: trailing zeros after a decimal point dropped)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _compact(v: float) -> str:
    """1,000 -> '1k', 300,000 -> '300k', 3,000,000 -> '3M' (tick labels of volume axes); below 1,000 as
    :func:`advisor.fmt.number`."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return _trim(number(v / size)) + suffix
    return _trim(number(v))


def _tick_money(v: float) -> str:
    return _trim(money(v))


def log_ticks(values: list[float | None], kind: str = "money") -> dict[str, Any]:
    """Tick values and labels for a log axis showing ``values``: 1-2-5 in each decade when the data span at most
    LOG_125_MAX_DECADES decades, else decades only (never plotly's bare '2' and '5' minor labels). Labels are money
    (:func:`advisor.fmt.money`) for ``kind='money'``, else compact numbers ('10k', '1M'). Empty dict when no value
    is positive."""
    pos = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    if not pos:
        return {}
    lo, hi = min(pos), max(pos)
    d0, d1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    mantissas = LOG_TICK_MANTISSAS if math.log10(hi / lo) <= LOG_125_MAX_DECADES else (1,)
    vals = [m * 10.0 ** d for d in range(d0, d1 + 1) for m in mantissas]
    inside = [v for v in vals if lo / 1.5 <= v <= hi * 1.5]
    if len(inside) < 2:  # a narrow range: keep the neighbouring 1-2-5 ticks
        vals = [m * 10.0 ** d for d in range(d0, d1 + 1) for m in LOG_TICK_MANTISSAS]
        inside = [v for v in vals if lo / 2.5 <= v <= hi * 2.5]
    fmt = _tick_money if kind == "money" else _compact
    return dict(tickmode="array", tickvals=inside, ticktext=[fmt(v) for v in inside])


def _options_by_id(result: Any) -> dict[str, Any]:
    return {get(o, "id"): o for o in get(result, "options", []) or []}


def cost_vs_volume(views: Views, labels: dict[str, str] | None = None) -> go.Figure:
    """Monthly cost [USD/month] vs volume [images/month] of the leading options, log-log, with the
    engine's break-even volumes marked on the curves and the scenario's volume as a dashed line.
    ``labels``: option id -> name shown (default: the engine's labels)."""
    fig = _figure()
    volumes = sorted(views.volume_results)
    labels = {oid: option_label(o, labels) for oid, o in _options_by_id(views.result).items()}
    all_y: list[float | None] = []
    by_volume = {v: _options_by_id(views.volume_results[v]) for v in volumes}  # once per result, not per option
    for i, oid in enumerate(views.leading):
        ys = []
        for v in volumes:
            opt = by_volume[v].get(oid)
            ys.append(get(opt, "monthly_cost_usd") if opt is not None else None)
        all_y += ys
        fig.add_trace(go.Scatter(x=volumes, y=ys, mode="lines+markers", name=labels.get(oid, oid), connectgaps=False,
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=2), marker=dict(size=5),
                                 hovertemplate="%{x:,.0f} images/month<br>%{y:$,.2f}/month<extra>" + oid + "</extra>"))
    bx, by, btext = [], [], []
    for be in get(views.result, "break_even", []) or []:
        a, b, v = get(be, "a"), get(be, "b"), get(be, "images_per_month")
        if v is None or a not in views.leading or b not in views.leading or v not in views.volume_results:
            continue
        opt = by_volume[v].get(a)
        if opt is None:
            continue
        bx.append(v)
        by.append(get(opt, "monthly_cost_usd"))
        btext.append(f"break-even {labels.get(a, a)} / {labels.get(b, b)}: {v:,.0f} images/month")
    if bx:
        fig.add_trace(go.Scatter(x=bx, y=by, mode="markers", name="break-even", text=btext,
                                 marker=dict(symbol="diamond", size=13, color="black", line=dict(color="white", width=1)),
                                 hovertemplate="%{text}<br>%{y:$,.2f}/month<extra></extra>"))
    vol = get(views.scenario, "volume_images_per_month")
    if vol:
        fig.add_vline(x=vol, line=dict(color="grey", dash="dash"))  # log x axis: the label in decades, below
        fig.add_annotation(x=math.log10(vol), xref="x", y=1, yref="paper", text="your volume", showarrow=False,
                           xanchor="right", yanchor="bottom")
    fig.update_layout(title="Monthly cost vs volume (◆ = break-even)", xaxis_title="volume [images/month]",
                      yaxis_title="monthly cost [USD/month]", height=560, **_LAYOUT_REST)
    fig.update_layout(margin=dict(b=150))
    fig.update_xaxes(type="log", **log_ticks(volumes, kind="count"))
    fig.update_yaxes(type="log", **log_ticks(all_y))
    return fig


def _decades(values: list[float | None]) -> list[float]:
    """The powers of ten around the positive ``values`` (the domain a log scale shows after rounding out)."""
    pos = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    if not pos:
        return []
    return [10.0 ** math.floor(math.log10(min(pos))), 10.0 ** math.ceil(math.log10(max(pos)))]


def _label_expr(ticks: dict[str, Any]) -> str:
    """A Vega expression mapping each tick value to its label (the labels of :func:`log_ticks`)."""
    expr = "''"
    for v, text in reversed(list(zip(ticks.get("tickvals", []), ticks.get("ticktext", [])))):
        expr = f"abs(datum.value - {v!r}) <= {abs(v) * 1e-9!r} ? {json.dumps(text)} : {expr}"
    return expr


def cost_vs_volume_spec(views: Views, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The data of :func:`cost_vs_volume` as a Vega-Lite spec: monthly cost [USD/month] vs volume [images/month] of
    the leading options (log-log, the same 1-2-5 / decade ticks), the engine's break-even volumes as diamonds and the
    scenario's volume as a dashed rule. Vega-Lite draws in a fraction of the time plotly.js takes to load in a fresh
    browser, so the Recommend page opens on this one; the report and image exports keep the plotly figure."""
    volumes = sorted(views.volume_results)
    names = {oid: option_label(o, labels) for oid, o in _options_by_id(views.result).items()}
    by_volume = {v: _options_by_id(views.volume_results[v]) for v in volumes}
    order = [names.get(oid, oid) for oid in views.leading]
    points, all_y = [], []
    for oid in views.leading:
        for v in volumes:
            opt = by_volume[v].get(oid)
            y = get(opt, "monthly_cost_usd") if opt is not None else None
            if y is None or y <= 0:
                continue
            all_y.append(y)
            points.append({"volume": v, "cost": y, "option": names.get(oid, oid), "id": oid,
                           "volume_text": f"{v:,.0f} images/month", "cost_text": f"{money(y)}/month"})
    marks = []
    for be in get(views.result, "break_even", []) or []:
        a, b, v = get(be, "a"), get(be, "b"), get(be, "images_per_month")
        if v is None or a not in views.leading or b not in views.leading or v not in views.volume_results:
            continue
        opt = by_volume[v].get(a)
        if opt is None or not get(opt, "monthly_cost_usd"):
            continue
        marks.append({"volume": v, "cost": get(opt, "monthly_cost_usd"),
                      "text": f"break-even {names.get(a, a)} / {names.get(b, b)}: {v:,.0f} images/month"})
    # ticks over the whole decades the log scale shows (Vega-Lite rounds a log domain out to powers of ten)
    xt, yt = log_ticks(_decades(volumes), kind="count"), log_ticks(_decades(all_y))
    x = {"field": "volume", "type": "quantitative", "title": "volume [images/month]", "scale": {"type": "log"},
         "axis": {"values": xt.get("tickvals"), "labelExpr": _label_expr(xt), "grid": True}}
    y = {"field": "cost", "type": "quantitative", "title": "monthly cost [USD/month]", "scale": {"type": "log"},
         "axis": {"values": yt.get("tickvals"), "labelExpr": _label_expr(yt), "grid": True}}
    layers: list[dict[str, Any]] = [{
        "data": {"values": points},
        "mark": {"type": "line", "point": True, "strokeWidth": 2},
        "encoding": {"x": x, "y": y,
                     "color": {"field": "option", "type": "nominal", "sort": order, "title": None,
                               "scale": {"domain": order, "range": list(PALETTE[:len(order)])},
                               "legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 0,
                                          "labelFontSize": 12}},
                     "tooltip": [{"field": "option"}, {"field": "volume_text", "title": "volume"},
                                 {"field": "cost_text", "title": "cost"}]},
    }]
    if marks:
        layers.append({"data": {"values": marks},
                       "mark": {"type": "point", "shape": "diamond", "size": 160, "filled": True, "color": "black"},
                       "encoding": {"x": {"field": "volume", "type": "quantitative"},
                                    "y": {"field": "cost", "type": "quantitative"},
                                    "tooltip": [{"field": "text", "title": "break-even"}]}})
    vol = get(views.scenario, "volume_images_per_month")
    if vol:
        layers.append({"data": {"values": [{"volume": float(vol), "text": "your volume"}]},
                       "mark": {"type": "rule", "strokeDash": [6, 4], "color": "grey"},
                       "encoding": {"x": {"field": "volume", "type": "quantitative"}}})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "title": "Monthly cost vs volume (◆ = break-even; dashed: your volume)",
            "height": 380 + 22 * len(order),  # the plot and, below it, one legend line per option
            "layer": layers, "usermeta": {"embedOptions": {"renderer": "svg"}}}


def cost_breakdown(result: Any, n: int = 8, first: list[str] | None = None,
                   labels: dict[str, str] | None = None) -> go.Figure:
    """Stacked bars of the options' cost per 1,000 images [USD / 1,000 images] by part (hardware, electricity,
    licence, API, rental): the engine's ``cost_breakdown_per_image_usd`` (the monthly parts divided by the volume;
    they add up to ``cost_per_image_usd``) times IMAGES_PER_PRICED_BATCH (1,000), a change of unit only, each
    labelled with the engine's cost per 1,000 images and monthly cost. Shows the ``first`` option ids (e.g. the
    leading option of each kind) and then the next best, ``n`` in all, cheapest on top."""
    by_id = _options_by_id(result)
    ids = [i for i in (first or []) if i in by_id]
    ids += [get(o, "id") for o in get(result, "options", []) or [] if get(o, "id") not in ids][: max(0, n - len(ids))]
    opts = sorted((by_id[i] for i in ids), key=lambda o: get(o, "cost_per_image_usd"))
    names = [option_label(o, labels) for o in opts]
    k = IMAGES_PER_PRICED_BATCH
    fig = _figure()
    for key in BREAKDOWN_KEYS:
        vals = []
        for o in opts:
            bd = get(o, "cost_breakdown_per_image_usd") or {}
            vals.append(get(bd, key, 0.0) * k)
        if any(vals):
            fig.add_trace(go.Bar(y=names, x=vals, name=key, orientation="h", marker_color=BREAKDOWN_COLORS[key],
                                 customdata=[money(v) for v in vals],
                                 hovertemplate="%{y}<br>" + key + ": %{customdata} per 1,000 images<extra></extra>"))
    fig.add_trace(go.Scatter(y=names, x=[get(o, "cost_per_image_usd") * k for o in opts], mode="text",
                             showlegend=False,
                             text=[f"  {money(get(o, 'cost_per_image_usd') * k)} · "
                                   f"{money(get(o, 'monthly_cost_usd'))}/month" for o in opts],
                             textposition="middle right", hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack",
                      title="Cost per 1,000 images by part (label: per 1,000 images · per month)",
                      xaxis_title="cost per 1,000 images [USD]", height=max(340, 34 * len(opts) + 170), **_LAYOUT_REST)
    fig.update_layout(margin=dict(r=210, b=150), legend=dict(y=-0.45))
    fig.update_xaxes(rangemode="tozero", tickprefix="$", exponentformat="none", separatethousands=True)
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def batch_time(result: Any, hours_by_id: dict[str, float], batch_images: Any = None, deadline_hours: Any = None,
               n: int = TOP_N, labels: dict[str, str] | None = None) -> go.Figure | None:
    """Hours to finish the batch for the best options that have one (engine numbers in ``hours_by_id``),
    with the deadline as a vertical line. None when no option has a batch time."""
    opts = [o for o in get(result, "options", []) or [] if get(o, "id") in hours_by_id][:n]
    if not opts:
        return None
    labels = [option_label(o, labels) for o in opts]
    hours = [hours_by_id[get(o, "id")] for o in opts]
    colors = ["#54a24b" if (deadline_hours is None or h <= deadline_hours) else "#e45756" for h in hours]
    fig = _figure(go.Bar(y=labels, x=hours, orientation="h", marker_color=colors,
                         hovertemplate="%{y}<br>%{x:,.2f} h<extra></extra>"))
    if deadline_hours:
        fig.add_vline(x=deadline_hours, line=dict(color="black", dash="dash"), annotation_text="deadline")
    title = "Time to finish the batch" + (f" of {batch_images:,} images" if batch_images else "")
    fig.update_layout(title=title, xaxis_title="time [hours]", height=max(320, 28 * len(opts) + 140), **_LAYOUT_REST)
    fig.update_xaxes(exponentformat="none", separatethousands=True)
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


SENSITIVITY_TITLES = {
    "electricity_usd_per_kwh": ("electricity price [USD/kWh]", "linear"),
    "volume_images_per_month": ("volume [images/month]", "log"),
    "hardware_price_factor": ("GPU purchase price [x catalog price]", "linear"),
}


#: options the sensitivity panels follow (the first of ``Views.leading``): fewer lines, a lighter figure
SENSITIVITY_LINES = 4


def sensitivity(views: Views, labels: dict[str, str] | None = None) -> go.Figure:
    """Monthly cost of the leading options as one input moves (one panel per input), the cheapest option
    at each value marked with a star: the ranking is where the lines cross."""
    params = [p for p in SENSITIVITY_TITLES if p in views.sensitivity]
    labels = {oid: option_label(o, labels) for oid, o in _options_by_id(views.result).items()}
    all_y: list[float | None] = []
    fig = make_subplots(rows=1, cols=len(params), subplot_titles=[SENSITIVITY_TITLES[p][0] for p in params],
                        horizontal_spacing=0.08, figure=_figure())
    for col, p in enumerate(params, start=1):
        series = views.sensitivity[p]
        xs = [x for x, _ in series]
        by_id = [_options_by_id(res) for _, res in series]  # once per result, not per option
        for i, oid in enumerate(views.leading[:SENSITIVITY_LINES]):
            ys = []
            for opts in by_id:
                opt = opts.get(oid)
                ys.append(get(opt, "monthly_cost_usd") if opt is not None else None)
            all_y += ys
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=labels.get(oid, oid), legendgroup=oid,
                                     showlegend=col == 1,
                                     line=dict(color=PALETTE[i % len(PALETTE)]),
                                     hovertemplate="%{x}<br>%{y:$,.2f}/month<extra>" + oid + "</extra>"), row=1, col=col)
        wx, wy, wt = [], [], []
        for (x, res), opts in zip(series, by_id):
            rec = get(get(res, "recommendation"), "option_id")
            opt = opts.get(rec)
            if opt is not None:
                wx.append(x)
                wy.append(get(opt, "monthly_cost_usd"))
                wt.append(f"recommended: {labels.get(rec, option_label(opt))}")
        all_y += wy
        fig.add_trace(go.Scatter(x=wx, y=wy, mode="markers", name="recommended", legendgroup="rec", showlegend=col == 1,
                                 text=wt, marker=dict(symbol="star", size=12, color="gold", line=dict(color="black", width=1)),
                                 hovertemplate="%{x}<br>%{text}<extra></extra>"), row=1, col=col)
        if SENSITIVITY_TITLES[p][1] == "log":
            fig.update_xaxes(type="log", **log_ticks(xs, kind="count"), row=1, col=col)
        else:
            fig.update_xaxes(exponentformat="none", row=1, col=col)
    fig.update_yaxes(type="log", **log_ticks(all_y))  # one money scale for every panel
    fig.update_yaxes(title_text="monthly cost [USD/month]", row=1, col=1)
    fig.update_layout(title="Sensitivity: how the ranking moves (★ = recommended at that value)", height=600,
                      **_LAYOUT_REST)
    fig.update_layout(margin=dict(t=90, b=230), legend=dict(y=-0.22, bgcolor="rgba(255,255,255,0)"))
    return fig


# ----------------------------------------------------------------------------------------- simulator
def stage_breakdown(est: Any) -> go.Figure:
    """Seconds per image by stage (text encoder, denoise, VAE decode, offload transfer), one stacked bar,
    with the engine's relative uncertainty drawn as a percent error bar on the total."""
    stages = get(est, "stages_seconds") or {}
    fig = _figure()
    for stage, secs in stages.items():
        fig.add_trace(go.Bar(y=["per image"], x=[secs], name=stage, orientation="h",
                             marker_color=STAGE_COLORS.get(stage, "#999"),
                             hovertemplate=stage + ": %{x:.3f} s<extra></extra>"))
    unc = get(est, "uncertainty") or 0.0
    fig.add_trace(go.Scatter(y=["per image"], x=[get(est, "seconds_per_image")], mode="markers", name=f"total ± {unc:.0%}",
                             marker=dict(symbol="line-ns-open", size=24, color="black"),
                             error_x=dict(type="percent", value=unc * 100, color="black", thickness=2, width=10),
                             hovertemplate="total %{x:.3f} s<extra></extra>"))
    fig.update_layout(barmode="stack", title="Seconds per image by stage", xaxis_title="time [s]", height=330,
                      **_LAYOUT_REST)
    fig.update_layout(margin=dict(b=120), legend=dict(y=-0.45))
    return fig


def vram_bar(est: Any, capacity_gib: float, device: str) -> go.Figure:
    """Peak VRAM [GiB] next to the card's capacity [GiB] (catalog), with the figure that decides "fits".

    The simulator decides ``fits`` on the memory a run *requires*; its peak also counts the caching allocator's
    reclaimable cache (PyTorch frees it and retries before running out of memory; :mod:`advisor.perf.memory`), so
    a peak above the capacity line can still fit. When the estimate carries ``required_vram_gib`` both bars are
    drawn, labelled; otherwise a peak above the line next to "fits" is coloured amber and the title says why."""
    peak = get(est, "peak_vram_gib")
    fits = get(est, "fits")
    required = get(est, "required_vram_gib")
    bars = []
    if required is not None:
        bars.append(go.Bar(y=["required (decides fits)"], x=[required], orientation="h",
                           marker_color="#54a24b" if fits else "#e45756", text=[f"{required:.1f} GiB"],
                           textposition="auto", name="required",
                           hovertemplate="required %{x:.2f} GiB (decides fits)<extra></extra>"))
    over_but_fits = bool(fits and peak > capacity_gib)
    bars.append(go.Bar(y=["peak (nvidia-smi)" if required is not None else "peak VRAM"], x=[peak], orientation="h",
                       marker_color=("#f2b134" if over_but_fits else "#54a24b" if fits else "#e45756")
                       if required is None else "#9ecae9",
                       text=[f"{peak:.1f} GiB"], textposition="auto", name="peak",
                       hovertemplate="peak %{x:.2f} GiB<extra></extra>"))
    fig = _figure(*bars)
    fig.add_vline(x=capacity_gib, line=dict(color="black", width=2),
                  annotation_text=f"{device}: {capacity_gib:g} GiB", annotation_position="top")
    title = "Memory vs capacity: fits" if fits else "Memory vs capacity: does not fit"
    if over_but_fits and required is None:
        title += " (the peak includes reclaimable allocator cache)"
    fig.update_layout(title=dict(text=title, font=dict(size=13)), xaxis_title="memory [GiB]",
                      height=220 + 40 * (len(bars) - 1), showlegend=False,
                      **{k: v for k, v in _LAYOUT_REST.items() if k != "legend"})
    fig.update_xaxes(rangemode="tozero")
    return fig


def power_bars(est: Any) -> go.Figure:
    """Board and whole-system power while generating [W]."""
    names = ["board", "system (board + rest)"]
    vals = [get(est, "board_power_watts"), get(est, "system_power_watts")]
    fig = _figure(go.Bar(x=names, y=vals, marker_color=["#4c78a8", "#72b7b2"], text=[f"{v:.0f} W" for v in vals],
                         textposition="auto", hovertemplate="%{x}: %{y:.0f} W<extra></extra>"))
    fig.update_layout(title="Power while generating", yaxis_title="power [W]", height=300, showlegend=False,
                      **{k: v for k, v in _LAYOUT_REST.items() if k != "legend"})
    return fig


# ---------------------------------------------------------------------------------------- validation
def predicted_vs_measured(rows: list[dict[str, Any]], predicted_key: str = "predicted_seconds",
                          measured_key: str = "measured_seconds", label_key: str = "label",
                          group_key: str | None = "gpu") -> go.Figure:
    """Scatter of predicted vs measured seconds (log-log) with the y = x diagonal; one colour per group."""
    fig = _figure()
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r.get(group_key)) if group_key else "all", []).append(r)
    vals = [r[k] for r in rows for k in (predicted_key, measured_key) if r.get(k)]
    for i, (g, rs) in enumerate(sorted(groups.items())):
        fig.add_trace(go.Scatter(x=[r[measured_key] for r in rs], y=[r[predicted_key] for r in rs], mode="markers",
                                 name=g, text=[str(r.get(label_key, "")) for r in rs],
                                 marker=dict(size=10, color=PALETTE[i % len(PALETTE)], line=dict(color="white", width=1)),
                                 hovertemplate="%{text}<br>measured %{x:.3g} s<br>predicted %{y:.3g} s<extra>" + g + "</extra>"))
    if vals:
        lo, hi = min(vals), max(vals)
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="predicted = measured",
                                 line=dict(color="grey", dash="dash"), hoverinfo="skip"))
    fig.update_layout(title="Predicted vs measured", xaxis_title="measured [s]", yaxis_title="predicted [s]",
                      height=520, **_LAYOUT_REST)

    rng = [math.log10(min(vals)) - 0.2, math.log10(max(vals)) + 0.2] if vals else None  # same view on both axes
    fig.update_xaxes(type="log", range=rng)
    fig.update_yaxes(type="log", range=rng)
    return fig


# --- issue 10: cost against quality, model against model -------------------------------------------------------------

DASH_BY_KIND = {"own": "solid", "buy": "dash", "rent": "dot", "api": "dashdot"}


def pareto(result: Any, frontier: set[str], scale_name: str, recommended_id: str | None = None) -> go.Figure:
    """Cost per kept image [USD/image, log] vs quality on ONE scale (``scale_name``) for every scored option.

    ``frontier`` holds the ids on the Pareto frontier (:func:`advisor.decide.quality.frontier_ids`); dominated
    options are grey, the recommendation is a star. Unscored options are not drawn (never imputed); the title
    says how many."""
    opts = list(get(result, "options", []) or [])
    scored = [o for o in opts if get(o, "quality_elo") is not None]
    fig = _figure()
    for on_front, name, color in ((False, "dominated", "#c7c7c7"), (True, "Pareto frontier", PALETTE[0])):
        pts = [o for o in scored if (get(o, "id") in frontier) == on_front]
        if not pts:
            continue
        fig.add_trace(go.Scatter(
            x=[get(o, "cost_per_image_usd") for o in pts], y=[get(o, "quality_elo") for o in pts], mode="markers",
            name=name, marker=dict(color=color, size=9 if on_front else 7, line=dict(width=0.5, color="#555")),
            text=[f"{option_label(o)}<br>{usd(get(o, 'cost_per_image_usd'))}/image · "
                  f"{usd(get(o, 'monthly_cost_usd'))}/month" for o in pts],
            hovertemplate="%{text}<br>quality %{y:g}<extra></extra>"))
    rec = next((o for o in scored if get(o, "id") == recommended_id), None)
    if rec is not None:
        fig.add_trace(go.Scatter(x=[get(rec, "cost_per_image_usd")], y=[get(rec, "quality_elo")], mode="markers",
                                 name="recommendation", marker=dict(symbol="star", size=18, color=PALETTE[3]),
                                 text=[option_label(rec)], hovertemplate="%{text}<extra>recommendation</extra>"))
    fig.update_layout(title=f"Cost per kept image vs quality on {scale_name} ({len(scored)} scored options; "
                            f"{len(opts) - len(scored)} unscored not drawn)",
                      xaxis_title="cost per kept image [USD/image, log]", yaxis_title=f"quality: {scale_name}",
                      height=520, **_LAYOUT_REST)
    fig.update_xaxes(**LOG_AXIS, tickprefix="$")
    return fig


def compare_cost_vs_volume(res: Any, labels: dict[str, str] | None = None,
                           crossings: list[tuple[str, float, float]] | None = None) -> go.Figure:
    """Monthly cost [USD/month, log] vs volume [images/month, log] for the compared models: one colour per model,
    one dash per deployment (own, buy, rent, api), from the compare result's ``curves`` (engine numbers); the
    scenario's volume is a vertical line. ``labels`` names each curve for people ({option id: label}); each
    ``crossings`` item (name, images per month, USD per month) is marked where self-hosting overtakes an API."""
    labels = labels or {}
    curves = list(get(res, "curves", []) or [])
    models = list(dict.fromkeys(get(c, "model") for c in curves))
    fig = _figure()
    for c in curves:
        color = PALETTE[models.index(get(c, "model")) % len(PALETTE)]
        name = labels.get(str(get(c, "option_id")), f"{get(c, 'model')} · {get(c, 'kind')}: {get(c, 'label')}")
        fig.add_trace(go.Scatter(
            x=get(c, "volumes"), y=get(c, "monthly_cost_usd"), mode="lines", name=name,
            line=dict(color=color, dash=DASH_BY_KIND.get(get(c, "kind"), "solid")),
            hovertemplate="%{x:,.0f} images/month: %{y:$,.2f}/month<extra>" + name + "</extra>"))
    for name, n, cost in crossings or []:
        fig.add_trace(go.Scatter(x=[n], y=[cost], mode="markers", name=name, marker=dict(size=11, symbol="x",
                                 color="black"), hovertemplate="%{x:,.0f} images/month<extra>" + name + "</extra>"))
    vol = get(get(res, "scenario", {}) or {}, "volume_images_per_month")
    if vol:
        # the label as its own annotation: on a log axis plotly reads an annotation's x in decades (log10), and a
        # vline's built-in annotation puts it at x = vol decades (10^100 at 100 images a month)
        fig.add_vline(x=vol, line=dict(color="#888", dash="dot"))
        fig.add_annotation(x=math.log10(vol), xref="x", y=1, yref="paper", text=f"{vol:,.0f}/month",
                           showarrow=False, yanchor="bottom")
    fig.update_layout(title="Monthly cost vs volume per model and deployment [USD/month]",
                      xaxis_title="images kept per month [log]", yaxis_title="monthly cost [USD/month, log]",
                      height=560, **_LAYOUT_REST)
    fig.update_layout(margin=dict(b=220), legend=dict(y=-0.2))
    fig.update_xaxes(**LOG_AXIS)
    fig.update_yaxes(**LOG_AXIS, tickprefix="$")
    return fig

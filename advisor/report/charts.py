"""Plotly figures of engine results. No arithmetic: every plotted number is an engine or catalog number,
only arranged (sorted, grouped, labelled). Uncertainty bands are drawn by plotly from the engine's
relative band (``error_x=dict(type='percent')``), not computed here.

Figures: cost_vs_volume, cost_breakdown, batch_time, sensitivity (Recommend page and report);
stage_breakdown, vram_bar, power_bars (Simulator); predicted_vs_measured (Validation).
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from advisor.fmt import usd
from advisor.report.sweeps import BREAKDOWN_KEYS, Views, get

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
BREAKDOWN_COLORS = {"hardware": "#4c78a8", "electricity": "#f58518", "license": "#b279a2", "api": "#54a24b",
                    "rental": "#e45756"}
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


def option_label(opt: Any) -> str:
    """Human label of an option (the engine's ``label``, else its id)."""
    return str(get(opt, "label") or get(opt, "id"))


def _top(result: Any, n: int = TOP_N) -> list[Any]:
    return list(get(result, "options", []) or [])[:n]


def _options_by_id(result: Any) -> dict[str, Any]:
    return {get(o, "id"): o for o in get(result, "options", []) or []}


def cost_vs_volume(views: Views) -> go.Figure:
    """Monthly cost [USD/month] vs volume [images/month] of the leading options, log-log, with the
    engine's break-even volumes marked on the curves and the scenario's volume as a dashed line."""
    fig = _figure()
    volumes = sorted(views.volume_results)
    labels = {oid: option_label(o) for oid, o in _options_by_id(views.result).items()}
    by_volume = {v: _options_by_id(views.volume_results[v]) for v in volumes}  # once per result, not per option
    for i, oid in enumerate(views.leading):
        ys = []
        for v in volumes:
            opt = by_volume[v].get(oid)
            ys.append(get(opt, "monthly_cost_usd") if opt is not None else None)
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
        fig.add_vline(x=vol, line=dict(color="grey", dash="dash"), annotation_text="your volume",
                      annotation_position="top left")
    fig.update_layout(title="Monthly cost vs volume (◆ = break-even)", xaxis_title="volume [images/month]",
                      yaxis_title="monthly cost [USD/month]", height=560, **_LAYOUT_REST)
    fig.update_layout(margin=dict(b=150))
    fig.update_xaxes(**LOG_AXIS)
    fig.update_yaxes(**LOG_AXIS, tickprefix="$")
    return fig


def cost_breakdown(result: Any, n: int = 8, first: list[str] | None = None) -> go.Figure:
    """Stacked bars of the options' cost per image [USD/image] by part (hardware, electricity, licence, API,
    rental), as the engine gives them in ``cost_breakdown_per_image_usd`` (the monthly parts divided by the
    volume; they add up to ``cost_per_image_usd``), each labelled with the engine's cost per image and monthly
    cost. Shows the ``first`` option ids (e.g. the leading option of each kind) and then the next best, ``n``
    in all, cheapest per image on top."""
    by_id = _options_by_id(result)
    ids = [i for i in (first or []) if i in by_id]
    ids += [get(o, "id") for o in get(result, "options", []) or [] if get(o, "id") not in ids][: max(0, n - len(ids))]
    opts = sorted((by_id[i] for i in ids), key=lambda o: get(o, "cost_per_image_usd"))
    labels = [option_label(o) for o in opts]
    fig = _figure()
    for key in BREAKDOWN_KEYS:
        vals = []
        for o in opts:
            bd = get(o, "cost_breakdown_per_image_usd") or {}
            vals.append(get(bd, key, 0.0))
        if any(vals):
            fig.add_trace(go.Bar(y=labels, x=vals, name=key, orientation="h", marker_color=BREAKDOWN_COLORS[key],
                                 hovertemplate="%{y}<br>" + key + ": %{x:$,.5f}/image<extra></extra>"))
    fig.add_trace(go.Scatter(y=labels, x=[get(o, "cost_per_image_usd") for o in opts], mode="text", showlegend=False,
                             text=[f"  {usd(get(o, 'cost_per_image_usd'))}/image · "
                                   f"{usd(get(o, 'monthly_cost_usd'))}/month" for o in opts],
                             textposition="middle right", hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack", title="Cost per image by part [USD/image] (label: per image · per month)",
                      xaxis_title="cost per image [USD/image]", height=max(340, 34 * len(opts) + 170), **_LAYOUT_REST)
    fig.update_layout(margin=dict(r=210, b=150), legend=dict(y=-0.45))
    fig.update_xaxes(rangemode="tozero", tickprefix="$")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def batch_time(result: Any, hours_by_id: dict[str, float], batch_images: Any = None, deadline_hours: Any = None,
               n: int = TOP_N) -> go.Figure | None:
    """Hours to finish the batch for the best options that have one (engine numbers in ``hours_by_id``),
    with the deadline as a vertical line. None when no option has a batch time."""
    opts = [o for o in get(result, "options", []) or [] if get(o, "id") in hours_by_id][:n]
    if not opts:
        return None
    labels = [option_label(o) for o in opts]
    hours = [hours_by_id[get(o, "id")] for o in opts]
    colors = ["#54a24b" if (deadline_hours is None or h <= deadline_hours) else "#e45756" for h in hours]
    fig = _figure(go.Bar(y=labels, x=hours, orientation="h", marker_color=colors,
                         hovertemplate="%{y}<br>%{x:,.2f} h<extra></extra>"))
    if deadline_hours:
        fig.add_vline(x=deadline_hours, line=dict(color="black", dash="dash"), annotation_text="deadline")
    title = "Time to finish the batch" + (f" of {batch_images:,} images" if batch_images else "")
    fig.update_layout(title=title, xaxis_title="time [hours]", height=max(320, 28 * len(opts) + 140), **_LAYOUT_REST)
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


SENSITIVITY_TITLES = {
    "electricity_usd_per_kwh": ("electricity price [USD/kWh]", "linear"),
    "volume_images_per_month": ("volume [images/month]", "log"),
    "hardware_price_factor": ("GPU purchase price [x catalog price]", "linear"),
}


def sensitivity(views: Views) -> go.Figure:
    """Monthly cost of the leading options as one input moves (one panel per input), the cheapest option
    at each value marked with a star: the ranking is where the lines cross."""
    params = [p for p in SENSITIVITY_TITLES if p in views.sensitivity]
    labels = {oid: option_label(o) for oid, o in _options_by_id(views.result).items()}
    fig = make_subplots(rows=1, cols=len(params), subplot_titles=[SENSITIVITY_TITLES[p][0] for p in params],
                        horizontal_spacing=0.08, figure=_figure())
    for col, p in enumerate(params, start=1):
        series = views.sensitivity[p]
        xs = [x for x, _ in series]
        by_id = [_options_by_id(res) for _, res in series]  # once per result, not per option
        for i, oid in enumerate(views.leading):
            ys = []
            for opts in by_id:
                opt = opts.get(oid)
                ys.append(get(opt, "monthly_cost_usd") if opt is not None else None)
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
                wt.append(f"recommended: {option_label(opt)}")
        fig.add_trace(go.Scatter(x=wx, y=wy, mode="markers", name="recommended", legendgroup="rec", showlegend=col == 1,
                                 text=wt, marker=dict(symbol="star", size=12, color="gold", line=dict(color="black", width=1)),
                                 hovertemplate="%{x}<br>%{text}<extra></extra>"), row=1, col=col)
        if SENSITIVITY_TITLES[p][1] == "log":
            fig.update_xaxes(**LOG_AXIS, row=1, col=col)
        fig.update_yaxes(type="log", tickprefix="$", row=1, col=col)
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
    """Peak VRAM [GiB] next to the card's capacity [GiB] (catalog)."""
    peak = get(est, "peak_vram_gib")
    fits = get(est, "fits")
    fig = _figure(go.Bar(y=["peak VRAM"], x=[peak], orientation="h", marker_color="#54a24b" if fits else "#e45756",
                         text=[f"{peak:.1f} GiB"], textposition="auto", name="peak",
                         hovertemplate="peak %{x:.2f} GiB<extra></extra>"))
    fig.add_vline(x=capacity_gib, line=dict(color="black", width=2),
                  annotation_text=f"{device}: {capacity_gib:g} GiB", annotation_position="top")
    fig.update_layout(title="Peak memory vs capacity", xaxis_title="memory [GiB]", height=220, showlegend=False,
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

"""Charts of the turnaround and risk answers (plotly): p95 wait vs GPU count, the tornado of what moves the cost, and
the monthly cost percentiles, with the layout, palette and figure factory of :mod:`advisor.report.charts`."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from advisor.fmt import usd
from advisor.report.charts import _LAYOUT_REST, PALETTE, _figure
from advisor.report.sweeps import get

#: the p95 axis stops here [min]: waits beyond a working week mean the queue never drains (more work than the
#: cards can do); such points are drawn at the top of the axis and said so in the hover text
P95_AXIS_CAP_MINUTES = 5 * 8 * 60.0


def p95_vs_gpus(curves: list[Any], target_minutes: float | None = None,
                labels: dict[str, str] | None = None) -> go.Figure:
    """p95 turnaround [min] vs number of GPUs, one line per option (the engine's simulated p95 at each count;
    an API is a flat line: it has no GPU count), the p95 target as a dashed horizontal line. ``labels`` names the
    options for people ({option id: label}). The log axis spans the data, capped at a working week."""
    labels = labels or {}
    fig = _figure()
    all_ys: list[float] = []
    for i, c in enumerate(curves):
        by_k = get(c, "p95_minutes_by_gpus") or {}
        ks = sorted(int(k) for k in by_k)
        raw = [by_k[k] if k in by_k else by_k[str(k)] for k in ks]
        ys = [min(float(y), P95_AXIS_CAP_MINUTES) for y in raw]
        all_ys += [y for y in ys if y > 0]
        api = get(c, "deployment") == "api"
        name = labels.get(str(get(c, "option_id")), str(get(c, "label")))
        fig.add_trace(go.Scatter(x=ks, y=ys, mode="lines" if api else "lines+markers", name=name,
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=2, dash="dot" if api else "solid"),
                                 hovertemplate="%{x} GPU(s)<br>p95 %{y:.3g} min (a week or more: the queue never "
                                               "drains)<extra></extra>" if any(y >= P95_AXIS_CAP_MINUTES for y in ys)
                                 else "%{x} GPU(s)<br>p95 %{y:.3g} min<extra></extra>"))
    if target_minutes:
        all_ys.append(float(target_minutes))
        fig.add_hline(y=target_minutes, line=dict(color="black", dash="dash"),
                      annotation_text=f"target {target_minutes:g} min", annotation_position="top right")
    fig.update_layout(title="p95 turnaround vs number of GPUs (dotted: API, no GPU count)",
                      xaxis_title="GPUs [count]", yaxis_title="p95 turnaround [min]", height=560, **_LAYOUT_REST)
    fig.update_layout(margin=dict(b=170))
    fig.update_xaxes(dtick=1, rangemode="tozero")
    if all_ys:  # a log axis that spans the data (plotly's log range is in decades)
        lo, hi = min(all_ys), max(all_ys)
        fig.update_yaxes(type="log", range=[math.log10(lo) - 0.2, math.log10(hi) + 0.2])
    else:
        fig.update_yaxes(type="log")
    return fig


TORNADO_TITLES = {
    "volume_images_per_month": "monthly volume [images/month]",
    "electricity_usd_per_kwh": "electricity price [USD/kWh]",
    "gpu_price_factor": "GPU purchase price [x catalog]",
    "rental_price_end": "rental price [low..high quote]",
    "simulator_error_factor": "simulator error [x seconds per image]",
    "people:hourly_rate_usd": "people's hourly rate [x stated]", "startup": "boot + weight load [x assumed]",
    "api_price": "API list prices [x catalog]", "steps": "steps run [x stated setting]",
    "reclaims": "spot reclaims [x assumed]",
}


def tornado(bars: list[Any], labels: dict[str, str] | None = None) -> go.Figure:
    """Tornado chart: for each input (largest swing on top), the monthly cost [USD/month] of each tracked option
    at the low and the high end of the input's range (engine re-runs, ``advisor.decide.risk.tornado_bars``); each
    bar spans the two costs."""
    labels = labels or {}
    fig = _figure()
    bars = list(bars)
    options = list((get(bars[0], "cost_at_low_usd") or {}).keys()) if bars else []
    names = [f"{TORNADO_TITLES.get(get(b, 'input_name'), get(b, 'input_name'))}: "
             f"{get(b, 'low_value'):.3g}..{get(b, 'high_value'):.3g}" for b in bars]
    for i, oid in enumerate(options):
        lows, spans, text = [], [], []
        for b in bars:
            lo, hi = (get(b, "cost_at_low_usd") or {}).get(oid), (get(b, "cost_at_high_usd") or {}).get(oid)
            finite = [v for v in (lo, hi) if v is not None and math.isfinite(v)]
            lows.append(min(finite) if finite else None)
            spans.append((max(finite) - min(finite)) if finite else None)
            text.append(f"low end {usd(lo) if lo is not None and math.isfinite(lo) else 'excluded'} · high end "
                        f"{usd(hi) if hi is not None and math.isfinite(hi) else 'excluded'}")
        fig.add_trace(go.Bar(y=names, x=spans, base=lows, orientation="h", name=labels.get(oid, oid), text=text,
                             marker_color=PALETTE[i % len(PALETTE)], textposition="none",
                             hovertemplate="%{y}<br>%{text}<extra>" + oid + "</extra>"))
    fig.update_layout(barmode="group", title="What moves the cost most (tornado: each input over its range)",
                      xaxis_title="monthly cost [USD/month]", height=max(360, 70 * len(bars) + 220), **_LAYOUT_REST)
    fig.update_layout(margin=dict(b=170))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(tickprefix="$")
    return fig


def cost_percentiles(percentiles: dict[str, dict[str, float]], option_ids: list[str],
                     labels: dict[str, str] | None = None) -> go.Figure:
    """Monthly cost P50 [USD/month] with the P10-P90 range as an asymmetric error bar, for ``option_ids`` (the
    Monte Carlo figures of ``advisor.decide.risk.assess``)."""
    labels = labels or {}
    ids = [i for i in option_ids if i in percentiles]
    p = [percentiles[i] for i in ids]
    fig = _figure(go.Scatter(
        y=[labels.get(i, i) for i in ids], x=[q["p50"] for q in p], mode="markers", name="P50",
        marker=dict(size=11, color=PALETTE[0]),
        error_x=dict(type="data", symmetric=False, array=[q["p90"] - q["p50"] for q in p],
                     arrayminus=[q["p50"] - q["p10"] for q in p], thickness=2, width=8),
        text=[f"P10 {usd(q['p10'])} · P50 {usd(q['p50'])} · P90 {usd(q['p90'])}" for q in p],
        hovertemplate="%{y}<br>%{text}<extra></extra>"))
    fig.update_layout(title="Monthly cost: P50 with the P10-P90 range (Monte Carlo)",
                      xaxis_title="monthly cost [USD/month]", height=max(320, 34 * len(ids) + 170), **_LAYOUT_REST)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(tickprefix="$")
    return fig

"""Turnaround & risk page: how long the team waits per option (p95 vs number of GPUs, the target drawn), how spread
out each option's monthly cost is (P10/P50/P90), what moves it most (tornado) and what would flip the
recommendation. Every number is the engine's: advisor.decide.turnaround.turnaround_report and advisor.decide.risk.assess
(the same figures as `advisor turnaround` and `advisor recommend --format json`)."""

import json

import pandas as pd
import streamlit as st

from advisor.errors import InputError
from advisor.report import charts, export
from views import common

IMAGE_MIME = {"png": "image/png", "svg": "image/svg+xml"}


def parse_bursts(text: str):
    """'0:8, 4:2' -> [{'at_hour': 0.0, 'requests': 8}, {'at_hour': 4.0, 'requests': 2}]; '' -> None."""
    if not (text or "").strip():
        return None
    out = []
    for part in text.split(","):
        hour, sep, n = part.strip().partition(":")
        try:
            if not sep:
                raise ValueError
            out.append({"at_hour": float(hour), "requests": int(n)})
        except ValueError:
            raise InputError("bursts", part.strip(), "HOUR:REQUESTS items separated by commas, e.g. 0:8, 4:2") from None
    return out


@st.cache_data(show_spinner="Simulating the queue and sampling the costs…", max_entries=16)
def answer_for(scenario_json: str) -> dict:
    """The engine's turnaround report and risk figures for one scenario (cached on its JSON)."""
    from advisor.decide import Scenario
    from advisor.decide.risk import assess
    from advisor.decide.turnaround import turnaround_report

    scenario = Scenario.from_dict(json.loads(scenario_json))
    catalog = export.load_catalog_for(scenario)
    rep = turnaround_report(scenario, catalog)
    risk = assess(scenario, rep.result, catalog) if rep.result.options else None
    return {"report": rep.to_json_dict(), "risk": risk.to_json_dict() if risk else None,
            "labels": {o.id: o.label or o.id for o in rep.result.options},
            "reasons": list(rep.result.recommendation.reasons)}


def figures(ans: dict) -> dict:
    rep, risk, labels = ans["report"], ans["risk"], ans["labels"]
    figs = {"p95_vs_gpus": charts.p95_vs_gpus(rep["curves"], rep["p95_target_minutes"])}
    if risk:
        figs["tornado"] = charts.tornado(risk["tornado"], labels)
        ids = [r["option_id"] for r in rep["rows"][:10]]
        figs["cost_percentiles"] = charts.cost_percentiles(risk["percentiles_usd"], ids, labels)
    return figs


@st.cache_data(show_spinner="Rendering…", max_entries=32)
def image_bytes(scenario_json: str, name: str, fmt: str) -> bytes:
    return export.figure_bytes(figures(answer_for(scenario_json))[name], fmt)


st.title("Turnaround & risk")
st.caption("How long your team waits for images on each option (a SimPy queue simulation fed by the simulator's "
           "seconds per image), how many GPUs keep the p95 under your target (a hard constraint: options that need "
           "more are costed with more), how sure the cost answer is, and what would change it.")

if common.catalog() is None:
    st.stop()

with st.form("turnaround_form"):
    c1, c2, c3, c4 = st.columns(4)
    volume = c1.number_input("Monthly volume [images/month]", min_value=0, value=5000, step=100, key="ta_volume")
    team = c2.number_input("Team size [people]", min_value=0, value=5, step=1, key="ta_team")
    target = c3.number_input("p95 target [min] (optional)", min_value=0.0, value=10.0, step=1.0, key="ta_target",
                             placeholder="none")
    rate = c4.number_input("Requests per person per hour (optional)", min_value=0.0, value=None, step=1.0,
                           key="ta_rate", placeholder="from the volume")
    c5, c6, c7, c8 = st.columns(4)
    bursts = c5.text_input("Bursts HOUR:REQUESTS per person (optional)", value="", key="ta_bursts",
                           placeholder="e.g. 0:8, 4:2")
    per_request = c6.number_input("Images per request", min_value=0, value=1, step=1, key="ta_images")
    hours = c7.number_input("Working hours per day", min_value=0.0, value=8.0, step=1.0, key="ta_hours")
    days = c8.number_input("Working days simulated", min_value=0, value=5, step=1, key="ta_days")
    c9, c10, c11 = st.columns(3)
    conc = c9.number_input("API calls in flight (optional)", min_value=0, value=None, step=1, key="ta_conc",
                           placeholder="default 4")
    latency = c10.number_input("API latency [s/image] when the catalog has none (optional)", min_value=0.0,
                               value=None, step=1.0, key="ta_latency", placeholder="default 10")
    use = c11.radio("Use", ["commercial", "personal"], horizontal=True, key="ta_use")
    st.form_submit_button("Simulate", type="primary")


def _scenario():
    from advisor.decide import Scenario

    data = {"volume_images_per_month": volume, "team_size": int(team), "commercial": use == "commercial",
            "images_per_request": int(per_request), "working_hours_per_day": float(hours), "working_days": int(days),
            "bursts": parse_bursts(bursts)}
    if target is not None:
        data["p95_target_minutes"] = float(target)
    if rate is not None:
        data["requests_per_person_per_hour"] = float(rate)
    if conc is not None:
        data["api_concurrency_limit"] = int(conc)
    if latency is not None:
        data["api_latency_seconds_per_image"] = float(latency)
    return Scenario.from_dict({k: v for k, v in data.items() if v is not None})


scenario = common.guarded(_scenario)
if scenario is None:
    st.stop()
scenario_json = json.dumps(export.scenario_dict(scenario), sort_keys=True)
ans = common.guarded(answer_for, scenario_json)
if ans is None:
    st.stop()
rep, risk = ans["report"], ans["risk"]

st.subheader("Recommendation under the turnaround target")
if rep["recommendation"] is None:
    st.error("No option meets every constraint, the p95 target included.", icon=":material/block:")
else:
    st.success(f"**{ans['labels'][rep['recommendation']]}**  \n`{rep['recommendation']}`", icon=":material/thumb_up:")
    st.markdown("\n".join(f"- {r}" for r in ans["reasons"]))
    if risk:
        row = risk["percentiles_usd"][rep["recommendation"]]
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Monthly cost P10", common.usd(row["p10"]))
        m2.metric("Monthly cost P50", common.usd(row["p50"]))
        m3.metric("Monthly cost P90", common.usd(row["p90"]))
        prob = risk["probability_recommended_cheaper"]
        m4.metric("P(cheaper than runner-up)", "-" if prob is None else f"{prob:.0%}")

st.subheader("Waits per option")
df = pd.DataFrame(rep["rows"])
st.dataframe(df, key="ta_rows", hide_index=True, width="stretch", column_config={
    "p50_turnaround_minutes": st.column_config.NumberColumn("p50 [min]", format="%.2f"),
    "p95_turnaround_minutes": st.column_config.NumberColumn("p95 [min]", format="%.2f"),
    "max_turnaround_minutes": st.column_config.NumberColumn("max [min]", format="%.2f"),
    "utilisation": st.column_config.NumberColumn("utilisation", format="%.3f"),
    "monthly_cost_usd": st.column_config.NumberColumn("monthly cost [USD]", format="dollar")})
if rep["excluded_by_target"]:
    with st.expander(f"Options that cannot meet the target ({len(rep['excluded_by_target'])})"):
        st.markdown("\n".join(f"- **{e['option_id']}**: {e['reasons'][0]}" for e in rep["excluded_by_target"]))

figs = figures(ans)
tabs = st.tabs(["p95 vs GPUs", "Cost P10/P50/P90", "Tornado", "Flip thresholds"])
with tabs[0]:
    st.plotly_chart(figs["p95_vs_gpus"], key="chart_p95_vs_gpus")
with tabs[1]:
    if "cost_percentiles" in figs:
        st.plotly_chart(figs["cost_percentiles"], key="chart_cost_percentiles")
with tabs[2]:
    if "tornado" in figs:
        st.plotly_chart(figs["tornado"], key="chart_tornado")
with tabs[3]:
    if risk and risk["flip_thresholds"]:
        st.dataframe(pd.DataFrame(risk["flip_thresholds"]), key="ta_flips", hide_index=True)
    elif risk:
        st.info("The recommendation does not flip within the searched ranges: " + ", ".join(
            f"{k} {lo:g}-{hi:g}" for k, (lo, hi) in risk["flip_search_ranges"].items()))

st.subheader("Export a chart")
x1, x2, x3 = st.columns(3)
chart = x1.selectbox("Chart", list(figs), key="ta_img_chart")
fmt = x2.selectbox("Format", list(IMAGE_MIME), key="ta_img_fmt")
if x3.button("Render image", key="ta_prep_img"):
    st.session_state["ta_want_img"] = (scenario_json, chart, fmt)
if st.session_state.get("ta_want_img") == (scenario_json, chart, fmt):
    x3.download_button(f"{chart}.{fmt}", image_bytes(scenario_json, chart, fmt), f"{chart}.{fmt}", IMAGE_MIME[fmt],
                       key="ta_dl_img")

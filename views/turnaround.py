"""Turnaround & risk page, as a studio asks it: "we are N people, each sends R requests an hour; with our card (or
none), these models at this resolution, which way of working keeps the p95 wait under T minutes, and what does it
cost?". The answer first (one sentence, three figures), then the waits per option, the p95-vs-GPUs chart, and
(on demand, it samples thousands of costs) the cost spread, tornado and flip thresholds. Every number is the
engine's: advisor.decide.turnaround.turnaround_report and advisor.decide.risk.assess (the same figures as
`advisor turnaround` and `advisor recommend --format json`)."""

import json

import pandas as pd
import streamlit as st

from advisor.cost.scenario import STUDIO_HOURLY_RATE_USD, STUDIO_SETUP_HOURS, STUDIO_UPKEEP_HOURS_PER_MONTH
from advisor.errors import InputError
from advisor.fmt import md_text, money, number
from advisor.report import answers, charts_risk, export, tables
from views import common

IMAGE_MIME = {"png": "image/png", "svg": "image/svg+xml"}
DEFAULT_MODELS = ["z-image-turbo", "flux-2-dev", "flux-2-klein-4b"]


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


def catalog_for_models(models: tuple[str, ...]):
    """The catalog cut to ``models`` (their pipelines and the APIs serving them); the full catalog when empty."""
    cat = common.catalog()
    if not models:
        return cat
    wanted = set(models)
    return cat.model_copy(update={
        "pipelines": {k: v for k, v in cat.pipelines.items() if k in wanted},
        "apis": {k: v for k, v in cat.apis.items() if (v.model or v.pipeline) in wanted}})


@st.cache_data(show_spinner="Simulating the team's queue…", max_entries=16)
def answer_for(scenario_json: str, models: tuple[str, ...], cal_key: str = "catalog") -> dict:
    """The engine's turnaround report for one scenario and model choice (cached on its inputs)."""
    from advisor.decide import Scenario
    from advisor.decide.turnaround import turnaround_report

    scenario = Scenario.from_dict(json.loads(scenario_json))
    catalog = catalog_for_models(models)
    rep = turnaround_report(scenario, catalog, common.answer_estimator(common.calibration_from_key(cal_key)))
    cat = common.catalog()
    opts = {o.id: o for o in rep.result.options}
    return {"report": rep.to_json_dict(), "answer": answers.recommend_answer(rep.result, cat),
            "labels": {o.id: tables.human_label(o, cat) for o in rep.result.options},
            "reasons": answers.short_bullets(list(rep.result.recommendation.reasons)),
            "full_reasons": list(rep.result.recommendation.reasons),
            "kinds": {oid: tables.where_label(o, cat) for oid, o in opts.items()}}


@st.cache_data(show_spinner="Sampling the costs (Monte Carlo) and searching what flips the answer…", max_entries=16)
def risk_for(scenario_json: str, models: tuple[str, ...], cal_key: str = "catalog") -> dict | None:
    """The engine's risk figures for the same scenario (cached)."""
    from advisor.decide import Scenario
    from advisor.decide.risk import assess
    from advisor.decide.turnaround import turnaround_report

    scenario = Scenario.from_dict(json.loads(scenario_json))
    catalog = catalog_for_models(models)
    rep = turnaround_report(scenario, catalog, common.answer_estimator(common.calibration_from_key(cal_key)))
    risk = assess(scenario, rep.result, catalog) if rep.result.options else None
    return risk.to_json_dict() if risk else None


st.title("Turnaround & risk")
st.caption("How long your team waits for an image with each way of working, and how many GPUs keep the p95 wait "
           "under your target (options that need more are costed with more).")

cat = common.catalog()
if cat is None:
    st.stop()

from advisor.decide.compare import known_models  # noqa: E402

names = known_models(cat)
gpu_slugs = ["none"] + sorted(s for s, g in cat.gpus.items() if g.architecture != "cpu")

with st.form("turnaround_form", enter_to_submit=False):
    models = st.multiselect("Models (empty: every model)", sorted(names),
                            default=[m for m in DEFAULT_MODELS if m in names],
                            format_func=lambda s: names[s].split(" (")[0], key="ta_models")
    c1, c2, c3, c4 = st.columns(4)
    gpu = c1.selectbox("GPU you own", gpu_slugs, index=gpu_slugs.index("rtx-4090") if "rtx-4090" in gpu_slugs else 0,
                       format_func=lambda s: common.gpu_label(cat, s), key="ta_gpu")
    resolution = c2.text_input("Resolution (W x H, or megapixels)", value="1024x1024", key="ta_resolution")
    volume = c3.number_input("Images per month", min_value=0, value=5000, step=100, key="ta_volume")
    use = c4.radio("Use", ["commercial", "personal"], horizontal=True, key="ta_use")
    c5, c6, c7, c8 = st.columns(4)
    team = c5.number_input("Team size [people]", min_value=0, value=5, step=1, key="ta_team")
    rate = c6.number_input("Requests per person per hour (optional)", min_value=0.0, value=None, step=1.0,
                           key="ta_rate", placeholder="from the volume")
    target = c7.number_input("p95 target [min] (optional)", min_value=0.0, value=10.0, step=1.0, key="ta_target",
                             placeholder="none")
    per_request = c8.number_input("Images per request", min_value=0, value=1, step=1, key="ta_images")
    with st.expander("Working pattern and API assumptions"):
        c9, c10, c11 = st.columns(3)
        hours = c9.number_input("Working hours per day", min_value=0.0, value=8.0, step=1.0, key="ta_hours")
        days = c10.number_input("Working days simulated", min_value=0, value=5, step=1, key="ta_days")
        bursts = c11.text_input("Bursts HOUR:REQUESTS per person (optional)", value="", key="ta_bursts",
                                placeholder="e.g. 0:8, 4:2")
        c12, c13 = st.columns(2)
        conc = c12.number_input("API calls in flight (optional)", min_value=0, value=None, step=1, key="ta_conc",
                                placeholder="default 4")
        latency = c13.number_input("API latency [s/image] when the catalog has none (optional)", min_value=0.0,
                                   value=None, step=1.0, key="ta_latency", placeholder="default 10")
    with st.expander("People's time (assumptions to replace; 0 leaves it out)"):
        p1, p2, p3 = st.columns(3)
        setup = p1.number_input("Set-up [h, one-off]", min_value=0.0, value=STUDIO_SETUP_HOURS, key="ta_setup_hours")
        upkeep = p2.number_input("Upkeep [h/month]", min_value=0.0, value=STUDIO_UPKEEP_HOURS_PER_MONTH,
                                 key="ta_upkeep_hours")
        hourly = p3.number_input("Hourly rate [USD/h]", min_value=0.0, value=STUDIO_HOURLY_RATE_USD,
                                 key="ta_hourly_rate")
    st.form_submit_button("Simulate", type="primary")


def _scenario():
    from advisor.decide import Scenario

    data = {"volume_images_per_month": volume, "team_size": int(team), "commercial": use == "commercial",
            "gpu_owned": None if gpu == "none" else gpu, **common.parse_resolution(resolution),
            "images_per_request": int(per_request), "working_hours_per_day": float(hours), "working_days": int(days),
            "bursts": parse_bursts(bursts), "setup_hours": float(setup), "upkeep_hours_per_month": float(upkeep),
            "hourly_rate_usd": float(hourly)}
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
CAL, CAL_LABEL = common.answer_calibration(cat)
CAL_KEY = common.calibration_key(CAL)
ans = common.guarded(answer_for, scenario_json, tuple(models), CAL_KEY)
if ans is None:
    st.stop()
rep, labels = ans["report"], ans["labels"]
rows = rep["rows"]
by_id = {r["option_id"]: r for r in rows}


def _minutes(x: float | None) -> str:
    """A wait for people: '4 s', '12 min', '2.1 h' (never 517.1338928734324 or '0.074 min')."""
    if x is None:
        return "-"
    if x >= 120:
        return f"{x / 60:,.1f} h"
    if x < 1:
        return f"{x * 60:.0f} s" if x * 60 >= 1 else "under 1 s"
    return f"{number(x, 2, trim=True)} min"


# ---------------------------------------------------------------------------------------- the answer first
st.subheader("Answer")
rec_id = rep["recommendation"]
if rec_id is None:
    st.error("No option meets every constraint, the p95 target included.", icon=":material/block:")
else:
    st.success(md_text(ans["answer"]), icon=":material/thumb_up:")
    r = by_id.get(rec_id, {})
    m1, m2, m3 = st.columns(3)
    m1.metric("Per month", money(r.get("monthly_cost_usd")))
    m2.metric("p95 wait", _minutes(r.get("p95_turnaround_minutes")),
              help="95% of requests are back within this time (simulated queue, waiting included)"
                   + ("; an API's time per image is its published latency, or the assumed latency under 'Working "
                      "pattern and API assumptions' (10 s by default) when none is published"
                      if r.get("deployment") == "api" else ""))
    m3.metric("GPUs needed", "-" if r.get("deployment") == "api" else f"{r.get('gpus_needed', 1)}")
st.caption(md_text(CAL_LABEL))
st.markdown("\n".join(f"- {md_text(b)}" for b in ans["reasons"]))
with st.expander("Why: the full reasons and their sources"):
    st.markdown("\n".join(f"- {md_text(b)}" for b in ans["full_reasons"]))

st.subheader("Waits per option")
table = [{"option": labels.get(r["option_id"], r["option_id"]), "GPUs": "-" if r["deployment"] == "api" else
          str(r["gpus_needed"]), "p50 wait": _minutes(r["p50_turnaround_minutes"]),
          "p95 wait": _minutes(r["p95_turnaround_minutes"]), "longest wait": _minutes(r["max_turnaround_minutes"]),
          "busy": f"{r['utilisation']:.0%}" if r.get("utilisation") is not None else "-",
          "per month": money(r["monthly_cost_usd"]),
          "meets target": "yes" if r.get("meets_target") else "no"} for r in rows[:40]]
st.dataframe(pd.DataFrame(table), key="ta_rows", hide_index=True, width="stretch")
if rep["excluded_by_target"]:
    with st.expander(f"Options that cannot meet the target ({len(rep['excluded_by_target'])})"):
        st.markdown("\n".join(f"- **{md_text(answers.humanize_ids(e['option_id'], cat))}**: "
                              f"{md_text(answers.short_bullets(e['reasons'][:1], 40)[0])}"
                              for e in rep["excluded_by_target"]))

fig = charts_risk.p95_vs_gpus(rep["curves"], rep["p95_target_minutes"], labels=labels)
st.plotly_chart(fig, key="chart_p95_vs_gpus")

show_risk = st.toggle("How sure is the cost? (Monte Carlo spread, tornado, what flips the answer; a few seconds)",
                      key="ta_show_risk")
figs = {"p95_vs_gpus": fig}
if show_risk:
    risk = common.guarded(risk_for, scenario_json, tuple(models), CAL_KEY)
    if risk:
        if rec_id in risk["percentiles_usd"]:
            row = risk["percentiles_usd"][rec_id]
            m1, m2, m3, m4 = st.columns(4)
            m1.metric("Monthly cost P10", money(row["p10"]))
            m2.metric("Monthly cost P50", money(row["p50"]))
            m3.metric("Monthly cost P90", money(row["p90"]))
            prob = risk["probability_recommended_cheaper"]
            m4.metric("Cheaper than the runner-up", "-" if prob is None else f"{prob:.0%} of samples")
        figs["tornado"] = charts_risk.tornado(risk["tornado"], labels)
        ids = [r["option_id"] for r in rows[:10]]
        figs["cost_percentiles"] = charts_risk.cost_percentiles(risk["percentiles_usd"], ids, labels)
        tabs = st.tabs(["Cost P10/P50/P90", "Tornado", "What flips the answer"])
        with tabs[0]:
            st.plotly_chart(figs["cost_percentiles"], key="chart_cost_percentiles")
        with tabs[1]:
            st.plotly_chart(figs["tornado"], key="chart_tornado")
        with tabs[2]:
            if risk["flip_thresholds"]:
                st.dataframe(pd.DataFrame(answers.flip_rows(risk["flip_thresholds"], labels)), key="ta_flips",
                             hide_index=True, width="stretch")
            else:
                st.info("The recommendation does not flip within the searched ranges: " + ", ".join(
                    f"{k} {number(lo, 3, trim=True)}-{number(hi, 3, trim=True)}"
                    for k, (lo, hi) in risk["flip_search_ranges"].items()))

st.subheader("Export a chart")
x1, x2, x3 = st.columns(3)
chart = x1.selectbox("Chart", list(figs), key="ta_img_chart")
fmt = x2.selectbox("Format", list(IMAGE_MIME), key="ta_img_fmt")
x3.download_button(f"{chart}.{fmt}", export.figure_bytes(figs[chart], fmt) if st.session_state.get("ta_render")
                   else b"", f"{chart}.{fmt}", IMAGE_MIME[fmt], key="ta_dl_img",
                   disabled=not st.session_state.get("ta_render"), on_click="ignore")
st.checkbox("Render the chart for download (kaleido, a few seconds)", key="ta_render")

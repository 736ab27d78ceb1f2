"""Recommend page: a scenario form -> advisor.decide.recommend -> recommendation, options table, charts,
sensitivity view and exports. Every number shown is the engine's (see advisor.report.export.compute_views)."""

import json
import re

import pandas as pd
import streamlit as st

from advisor import report
from advisor.report import export
from advisor.errors import InputError
from pages import common

RES_WH = re.compile(r"^\s*(\d+)\s*[x×X*,]\s*(\d+)\s*$")
RES_MP = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:mp|megapixels?)?\s*$", re.IGNORECASE)
MAX_SCENARIO_BYTES = 256 * 1024  # a scenario YAML is under 2 kB; refuse anything far larger


def parse_resolution(text: str) -> dict:
    """'1024x1024' -> {'width': 1024, 'height': 1024}; '1.0' or '1 MP' -> {'megapixels': 1.0}."""
    m = RES_WH.match(text or "")
    if m:
        return {"width": int(m.group(1)), "height": int(m.group(2))}
    m = RES_MP.match(text or "")
    if m:
        return {"megapixels": float(m.group(1))}
    raise InputError("resolution", text, "width x height in pixels (e.g. 1024x1024) or megapixels (e.g. 1.0)")


def build_scenario(data: dict):
    """Validate form data with the engine's Scenario model (InputError on bad values)."""
    from advisor.decide import Scenario

    return Scenario.from_dict(data)


def load_uploaded_scenario(name: str, raw: bytes):
    if len(raw) > MAX_SCENARIO_BYTES:
        raise InputError("scenario upload", f"{name} ({len(raw):,} bytes)", f"a YAML file of at most {MAX_SCENARIO_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("scenario upload", name, "a UTF-8 YAML scenario file") from None
    return export.load_scenario_text(text, file=name)


@st.cache_data(show_spinner="Asking the engine…", max_entries=32)
def views_for(scenario_json: str):
    """All engine calls behind the page for one scenario (cached on the scenario's JSON)."""
    from advisor.decide import Scenario

    scenario = Scenario.from_dict(json.loads(scenario_json))
    return export.compute_views(scenario, export.load_catalog_for(scenario))


@st.cache_data(show_spinner="Rendering…", max_entries=64)
def export_bytes(scenario_json: str, what: str, fmt: str) -> bytes:
    """Exported file bytes for a scenario (cached: kaleido and the HTML report cost seconds)."""
    views = views_for(scenario_json)
    cat = export.load_catalog_for(views.scenario)
    if fmt == "csv":
        return report.to_csv(views.result).encode()
    if fmt == "yaml":
        return export.scenario_to_yaml(views.scenario).encode()
    figs = export.build_figures(views, cat)
    if fmt == "html":
        return export.report_html(views, figs, cat).encode()
    return export.figure_bytes(figs[what], fmt)


st.title("Recommend")
st.caption("Describe what you need; the advisor costs every way to make the images (your GPU, a GPU to buy, "
           "a rented cloud GPU, a paid API) and recommends one. Empty optional fields use the catalog defaults.")

cat = common.catalog()
if cat is None:
    st.stop()

from advisor.decide.rules import ALLOWED_NEEDS  # noqa: E402  (after the catalog check: needs the engine)

d = cat.defaults
example = common.guarded(export.load_scenario_file, export.EXAMPLE_SCENARIO)  # the form's defaults
if example is None:
    st.stop()
if example.width is not None:
    default_res = f"{example.width}x{example.height}"
else:
    default_res = f"{example.megapixels if example.megapixels is not None else 1.0:g} MP"
gpu_choices = ["none"] + sorted(cat.gpus)
with st.form("scenario_form"):
    c1, c2, c3 = st.columns(3)
    volume = c1.number_input("Monthly volume [images/month]", min_value=0, value=int(example.volume_images_per_month), step=100,
                             key="volume")
    resolution = c2.text_input("Resolution (W x H pixels, or megapixels)", value=default_res, key="resolution")
    gpu_owned = c3.selectbox("GPU you own", gpu_choices, key="gpu_owned", format_func=lambda s: common.gpu_label(cat, s),
                             index=gpu_choices.index(example.gpu_owned) if example.gpu_owned in gpu_choices else 0)
    c4, c5, c10, c6 = st.columns(4)
    electricity = c4.number_input("Electricity price [USD/kWh]", min_value=0.0, value=example.electricity_usd_per_kwh,
                                  step=0.01, format="%.3f",
                                  key="electricity", placeholder=f"default {d.electricity_usd_per_kwh.value:g}")
    amortization = c5.number_input("Amortization [months]", min_value=1,
                                   value=None if example.amortization_months is None else int(example.amortization_months),
                                   step=1, key="amortization",
                                   placeholder=f"default {d.amortization_months.value:g}")
    hours_on = c10.number_input(
        "Powered on [h/day] (optional)", min_value=0.0, max_value=24.0, value=example.powered_on_hours_per_day,
        step=1.0, format="%g", key="powered_on_hours_per_day", placeholder="default",
        help=("Hours a day the generating machine is switched on for this work; idle hours cost electricity. "
              "Empty: a GPU you own is assumed to be on anyway for other work, so only the energy above idle "
              f"is counted; a GPU to buy runs as a dedicated box for the catalog default of "
              f"{d.powered_on_hours_per_day.value:g} h/day."))
    use = c6.radio("Use", ["commercial", "personal"], horizontal=True, key="use", index=0 if example.commercial else 1)
    c7, c8, c9 = st.columns(3)
    needs = c7.multiselect("Needs", list(ALLOWED_NEEDS), default=list(example.needs), key="needs")
    batch_images = c8.number_input("Batch [images] (optional)", min_value=1, value=example.batch_images, step=100,
                                   key="batch_images",
                                   placeholder="none")
    deadline = c9.number_input("Batch deadline [hours] (optional)", min_value=0.0, value=example.deadline_hours,
                               step=1.0, key="deadline_hours", placeholder="none")
    st.form_submit_button("Recommend", type="primary")

with st.expander("Load a scenario YAML instead of the form (e.g. one exported below)"):
    up = st.file_uploader("Scenario (YAML)", type=["yaml", "yml"], key="scenario_upload")

scenario = None
if up is not None:
    scenario = common.guarded(load_uploaded_scenario, up.name, up.getvalue(), context=f"{up.name}: ")
    if scenario is not None:
        st.info(f"Using the uploaded scenario {up.name}; remove it to use the form again.", icon=":material/upload:")
else:
    def _from_form():
        data = {"volume_images_per_month": int(volume), **parse_resolution(resolution),
                "gpu_owned": None if gpu_owned == "none" else gpu_owned, "commercial": use == "commercial",
                "needs": list(needs)}
        if electricity is not None:
            data["electricity_usd_per_kwh"] = float(electricity)
        if amortization is not None:
            data["amortization_months"] = int(amortization)
        if hours_on is not None:
            data["powered_on_hours_per_day"] = float(hours_on)
        if batch_images is not None:
            data["batch_images"] = int(batch_images)
        if deadline is not None:
            data["deadline_hours"] = float(deadline)
        return build_scenario(data)

    scenario = common.guarded(_from_form)

if scenario is None:
    st.stop()

scenario_json = json.dumps(export.scenario_dict(scenario), sort_keys=True)
views = common.guarded(views_for, scenario_json)
if views is None:
    st.stop()
st.session_state["scenario_json"] = scenario_json
result = views.result
by_id = {o.id: o for o in result.options}
rec = result.recommendation

# ---------------------------------------------------------------------------------------- recommendation
st.subheader("Recommendation")
best = by_id.get(rec.option_id) if rec is not None else None
if best is None:
    st.error("No option meets every constraint (see the excluded options below).", icon=":material/block:")
else:
    st.success(f"**{best.label or best.id}**  \n`{best.id}`", icon=":material/thumb_up:")
    if rec.too_close_to_call:
        runner = by_id.get(export.get(rec, "runner_up_id"))
        st.warning("Too close to call: " + (f"the runner-up, {runner.label or runner.id}, " if runner else "the runner-up ")
                   + "costs about the same within the estimate's uncertainty. Either is a sound choice.",
                   icon=":material/balance:")
    st.markdown("\n".join(f"- {r}" for r in rec.reasons))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Monthly cost", common.usd(best.monthly_cost_usd))
    m2.metric("Cost per image", common.usd(best.cost_per_image_usd))
    m3.metric("Seconds per image", common.secs(best.seconds_per_image))
    m4.metric("GPU-hours per month", "-" if best.gpu_hours_per_month is None else f"{best.gpu_hours_per_month:,.1f}")

# ---------------------------------------------------------------------------------------- options table
st.subheader("Options")
df = pd.DataFrame(report.option_rows(result))
st.dataframe(
    df, key="options_table", hide_index=True, width="stretch",
    column_config={
        "monthly_cost_usd": st.column_config.NumberColumn("monthly cost [USD]", format="dollar"),
        "cost_per_image_usd": st.column_config.NumberColumn("cost per image [USD]", format="$%.6f"),
        "seconds_per_image": st.column_config.NumberColumn("seconds per image", format="%.3g"),
        "gpu_hours_per_month": st.column_config.NumberColumn("GPU-hours per month", format="%.1f"),
        "fits": st.column_config.CheckboxColumn("fits"),
        **{f"{k}_usd": st.column_config.NumberColumn(f"{k} [USD/mo]", format="%.2f") for k in export.BREAKDOWN_KEYS},
    },
)
if result.excluded:
    with st.expander(f"Excluded options ({len(result.excluded)})"):
        st.markdown("\n".join(f"- **{export.get(e, 'id')}**: {'; '.join(map(str, export.get(e, 'reasons', []) or []))}"
                              for e in result.excluded))

# ---------------------------------------------------------------------------------------- charts
figs = export.build_figures(views, cat)
tab_names = ["Monthly cost vs volume", "Cost per image", "Batch time", "Sensitivity"]
t1, t2, t3, t4 = st.tabs(tab_names)
with t1:
    st.plotly_chart(figs["cost_vs_volume"], key="chart_cost_vs_volume")
    crossings = [b for b in result.break_even if (export.get(b, "images_per_month") or 0) > 0
                 and export.get(b, "a") in views.leading and export.get(b, "b") in views.leading]
    if crossings:
        st.markdown("**Break-even volumes** (where two options cost the same):\n" + "\n".join(
            f"- {by_id[b.a].label or b.a} = {by_id[b.b].label or b.b}: **{b.images_per_month:,.0f}** images/month"
            for b in crossings))
with t2:
    st.plotly_chart(figs["cost_breakdown"], key="chart_cost_breakdown")
with t3:
    if "batch_time" in figs:
        st.plotly_chart(figs["batch_time"], key="chart_batch_time")
    else:
        st.info("Set a batch size (and a deadline) in the form to see how long each option takes.")
with t4:
    st.plotly_chart(figs["sensitivity"], key="chart_sensitivity")
    rows = []
    for param, series in views.sensitivity.items():
        for x, res in series:
            rows.append({"input": param, "value": x, "recommended": res.recommendation.option_id if res.recommendation else None})
    st.dataframe(pd.DataFrame(rows), key="sensitivity_table", hide_index=True)
    if views.hardware_gpus:
        st.caption("GPU purchase price scales the catalog prices of: " + ", ".join(views.hardware_gpus))

# ---------------------------------------------------------------------------------------- exports
st.subheader("Export")
e1, e2, e3 = st.columns(3)
e1.download_button("Options (CSV)", export_bytes(scenario_json, "", "csv"), "options.csv", "text/csv", key="dl_csv")
e2.download_button("Scenario (YAML)", export_bytes(scenario_json, "", "yaml"), "scenario.yaml", "application/x-yaml",
                   key="dl_yaml")
if e3.button("Prepare HTML report", key="prep_html"):
    st.session_state["want_html"] = scenario_json
if st.session_state.get("want_html") == scenario_json:
    e3.download_button("Report (HTML, works offline)", export_bytes(scenario_json, "", "html"), "report.html",
                       "text/html", key="dl_html")
i1, i2, i3 = st.columns(3)
chart = i1.selectbox("Chart", list(figs), key="img_chart")
fmt = i2.selectbox("Format", list(export.IMAGE_FORMATS), key="img_fmt")
if i3.button("Render image", key="prep_img"):
    st.session_state["want_img"] = (scenario_json, chart, fmt)
if st.session_state.get("want_img") == (scenario_json, chart, fmt):
    mime = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}[fmt]
    i3.download_button(f"{chart}.{fmt}", export_bytes(scenario_json, chart, fmt), f"{chart}.{fmt}", mime, key="dl_img")

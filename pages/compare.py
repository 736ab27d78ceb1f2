"""Compare page: model against model on one screen (own card, buy, rent, every API of each model) with cost,
seconds, quality and licence. Opens on the studio's question: Z-Image Turbo vs FLUX.2 [dev] on an owned RTX 4090,
commercial, 500 images a month. Every number is :func:`advisor.decide.compare.compare`'s; nothing is computed here."""

import json

import pandas as pd
import streamlit as st

from advisor.cost.scenario import STUDIO_HOURLY_RATE_USD, STUDIO_SETUP_HOURS, STUDIO_UPKEEP_HOURS_PER_MONTH
from pages import common

DEFAULT_MODELS = ["z-image-turbo", "flux-2-dev"]
DEFAULT_GPU = "rtx-4090"
DEFAULT_VOLUME = 500
KINDS_OF_WORK = ("general", "portrait", "text-in-image-english", "text-in-image-chinese")


@st.cache_data(show_spinner="Asking the engine…", max_entries=32)
def compare_for(models: tuple[str, ...], scenario_json: str):
    """The engine's compare result for the form (cached on its inputs)."""
    from advisor.decide import Scenario
    from advisor.decide.compare import compare

    return compare(list(models), Scenario.from_dict(json.loads(scenario_json)))


st.title("Compare models")
st.caption("Model against model: for each, the best setting on your card, buying the cheapest card that runs it, "
           "the cheapest rental and every API that serves that same model, with monthly cost, seconds per image, "
           "quality (one named scale; unscored stays unscored) and licence.")

cat = common.catalog()
if cat is None:
    st.stop()

from advisor.decide.compare import known_models  # noqa: E402  (after the catalog check)

names = known_models(cat)
gpu_slugs = ["none"] + sorted(s for s, g in cat.gpus.items() if g.architecture != "cpu")
paid = [s for s, p in cat.pipelines.items() if p.license.commercial_use == "paid-license"]

with st.form("compare"):
    c1, c2, c3 = st.columns([3, 1, 2])
    models = c1.multiselect("Models", sorted(names), default=DEFAULT_MODELS, format_func=lambda s: f"{names[s]} ({s})",
                            key="models")
    volume = c2.number_input("Images kept per month", min_value=1, value=DEFAULT_VOLUME, step=100, key="volume")
    gpu = c3.selectbox("GPU you own", gpu_slugs, index=gpu_slugs.index(DEFAULT_GPU),
                       format_func=lambda s: common.gpu_label(cat, s), key="gpu")
    c4, c5, c6, c7 = st.columns(4)
    commercial = c4.checkbox("Commercial use", value=True, key="commercial",
                             help="Studios are commercial: paid licences are added as costs.")
    kind = c5.selectbox("Kind of work", KINDS_OF_WORK, key="kind_of_work",
                        help="Picks the published keep rate per model (share of generations a designer keeps).")
    scales = sorted(cat.quality.scales)
    scale = c6.selectbox("Quality scale shown", scales, index=scales.index("lmarena-t2i") if "lmarena-t2i" in scales
                         else 0, format_func=lambda s: cat.quality.scales[s].name, key="quality_scale")
    st.markdown("**Licence fees** - BFL publishes no price for a FLUX [dev] commercial self-hosting licence: enter "
                "your quote, or leave empty to see the break-even fee.")
    fee_cols = st.columns(max(1, len(paid)))
    fees = {}
    for col, slug in zip(fee_cols, paid):
        v = col.number_input(f"{slug} licence [USD/month]", min_value=0.0, value=None, step=50.0, key=f"fee_{slug}",
                             placeholder="not set")
        if v is not None:
            fees[slug] = v
    st.markdown("**People's time** (assumptions to replace; set to 0 to leave it out)")
    p1, p2, p3 = st.columns(3)
    setup = p1.number_input("Set-up [h, one-off]", min_value=0.0, value=STUDIO_SETUP_HOURS, key="setup_hours")
    upkeep = p2.number_input("Upkeep [h/month]", min_value=0.0, value=STUDIO_UPKEEP_HOURS_PER_MONTH,
                             key="upkeep_hours")
    rate = p3.number_input("Hourly rate [USD/h]", min_value=0.0, value=STUDIO_HOURLY_RATE_USD, key="hourly_rate")
    st.form_submit_button("Compare", type="primary")

data = {"volume_images_per_month": float(volume), "gpu_owned": None if gpu == "none" else gpu,
        "commercial": bool(commercial), "kind_of_work": kind, "quality_scale": scale,
        "license_fee_usd_per_month": fees, "setup_hours": setup, "upkeep_hours_per_month": upkeep,
        "hourly_rate_usd": rate}
res = common.guarded(compare_for, tuple(models), json.dumps(data, sort_keys=True))
if res is None:
    st.stop()

from advisor.decide.compare import short_label  # noqa: E402

usd = common.usd
st.subheader(f"{' vs '.join(m.name for m in res.models)} · {volume:,} images/month · {res.use} use")
for r in res.recommendation["reasons"]:
    st.markdown(f"- {r}")

rows = []
for m in res.models:
    for r in m.rows:
        b = r.cost_breakdown_usd
        rows.append({
            "model": m.model, "deployment": short_label(r), "s/image": r.seconds_per_image,
            "$/month": r.monthly_cost_usd, "$/kept image": r.cost_per_image_usd, "people $/month": b.get("people", 0.0),
            "licence $/month": b.get("license", 0.0), "licence fee known": r.license_fee_known,
            "break-even licence $/month": r.break_even_license_fee_usd_per_month,
            f"quality ({res.quality_scale})": r.quality_value, "keep rate": r.keep_rate,
            "$/month without people": r.monthly_cost_without_people_usd, "licence": r.license, "id": r.option_id})
table = pd.DataFrame(rows)
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "s/image": st.column_config.NumberColumn(format="%.2f"),
    "$/month": st.column_config.NumberColumn(format="$%.2f"),
    "$/kept image": st.column_config.NumberColumn(format="$%.4f"),
    "people $/month": st.column_config.NumberColumn(format="$%.2f"),
    "licence $/month": st.column_config.NumberColumn(format="$%.2f"),
    "break-even licence $/month": st.column_config.NumberColumn(format="$%.2f"),
    "$/month without people": st.column_config.NumberColumn(format="$%.2f"),
})

cols = st.columns(len(res.models))
for col, m in zip(cols, res.models):
    with col:
        st.markdown(f"**{m.name}** - {m.license}")
        n = m.self_host_overtakes_api_images_per_month
        st.markdown(f"Self-hosting overtakes its own API at: **{'never' if n is None else f'{n:,.0f} images/month'}**")
        if m.break_even_license_fee_usd_per_month is not None:
            st.markdown(f"Break-even licence fee: self-hosting beats its API while the licence costs less than "
                        f"**{usd(m.break_even_license_fee_usd_per_month)}** a month at this volume.")
        q = m.headline_quality
        st.caption(f"Quality on {res.quality_scale}: " + (f"{q['value']:g} (n = {q['sample_size'] or 'not published'}, "
                                                         f"{q['source']}, {q['as_of']})" if q else "unscored"))
        for note in m.notes:
            st.caption(note)

from advisor.report import charts  # noqa: E402

st.plotly_chart(charts.compare_cost_vs_volume(res), width="stretch", key="compare_chart")

with st.expander("Quality figures (each on its own scale; never averaged across scales)"):
    qrows = [{"model": m.model, **{k: q[k] for k in ("scale_name", "value", "low", "high", "sample_size", "solidity",
                                                     "source", "as_of")}} for m in res.models for q in m.quality]
    st.dataframe(pd.DataFrame(qrows), hide_index=True, width="stretch")
    if res.pairwise:
        st.markdown("**Published head-to-heads** (95% Wilson intervals over n)")
        st.dataframe(pd.DataFrame([{k: p[k] for k in ("model_a", "model_b", "a_wins", "ties", "b_wins", "n", "n_unit",
                                                        "solidity", "source", "as_of", "related")}
                                   for p in res.pairwise]), hide_index=True, width="stretch")
    kf = [{"model": m.model, **k} for m in res.models for k in m.keep_facts]
    if kf:
        st.markdown("**Keep rates and failure facts** (single-reviewer figures where marked; replace with yours)")
        st.dataframe(pd.DataFrame(kf), hide_index=True, width="stretch")

from advisor.report import export  # noqa: E402

with st.expander("Cost per kept image vs quality (all options, Pareto frontier)"):
    st.plotly_chart(export.pareto_figure(res.engine), width="stretch", key="pareto_chart")

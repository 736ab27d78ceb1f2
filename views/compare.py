"""Compare page: model against model on one screen (own card, buy, rent, every API of each model) with cost,
seconds, quality and licence. Opens on the studio's question: Z-Image Turbo vs FLUX.2 [dev] on an owned RTX 4090,
commercial, 500 images a month. The answer comes first (two sentences, three figures), the evidence below it.
Every number is :func:`advisor.decide.compare.compare`'s; nothing is computed here."""

import datetime as dt
import json

import pandas as pd
import streamlit as st

from advisor.cost.scenario import STUDIO_HOURLY_RATE_USD, STUDIO_SETUP_HOURS, STUDIO_UPKEEP_HOURS_PER_MONTH
from advisor.fmt import md_text
from advisor.report import answers
from views import common

DEFAULT_MODELS = ["z-image-turbo", "flux-2-dev"]
DEFAULT_GPU = "rtx-4090"
DEFAULT_VOLUME = 500
KINDS_OF_WORK = ("general", "portrait", "text-in-image-english", "text-in-image-chinese")


@st.cache_data(show_spinner="Asking the engine…", max_entries=32)
def compare_for(models: tuple[str, ...], scenario_json: str, cal_key: str = "catalog"):
    """The engine's compare result for the form (cached on its inputs and the session's calibration)."""
    from advisor.decide import Scenario
    from advisor.decide.compare import compare

    estimator = common.answer_estimator(common.calibration_from_key(cal_key))
    return compare(list(models), Scenario.from_dict(json.loads(scenario_json)), estimator=estimator)


st.title("Compare models")
st.caption("For each model: the best setting on your card, the cheapest card to buy, the cheapest rental and every "
           "API serving that same model, costed the same way.")

cat = common.catalog()
if cat is None:
    st.stop()

from advisor.decide.compare import known_models  # noqa: E402  (after the catalog check)
parse_resolution = common.parse_resolution

names = known_models(cat)
gpu_slugs = ["none"] + sorted(s for s, g in cat.gpus.items() if g.architecture != "cpu")
paid = [s for s, p in cat.pipelines.items() if p.license.commercial_use == "paid-license"]

with st.form("compare", enter_to_submit=False):
    models = st.multiselect("Models", sorted(names), default=DEFAULT_MODELS, format_func=lambda s: names[s].split(" (")[0],
                            key="cmp_models")
    c2, c3, c4, c5 = st.columns([1, 1, 1, 1])
    volume = c2.number_input("Images kept per month", min_value=1, value=DEFAULT_VOLUME, step=100, key="cmp_volume")
    resolution = c3.text_input("Resolution (W x H, or megapixels)", value="1024x1024", key="cmp_resolution")
    gpu = c4.selectbox("GPU you own", gpu_slugs, index=gpu_slugs.index(DEFAULT_GPU),
                       format_func=lambda s: common.gpu_label(cat, s), key="cmp_gpu")
    commercial = c5.checkbox("Commercial use", value=True, key="cmp_commercial",
                             help="Studios are commercial: paid licences are added as costs.")
    c6, c7 = st.columns(2)
    kind = c6.selectbox("Kind of work", KINDS_OF_WORK, key="cmp_kind_of_work",
                        help="Picks the published keep rate per model (share of generations a designer keeps).")
    scales = ["by question", *sorted(cat.quality.scales)]
    scale = c7.selectbox("Quality scale shown", scales, index=0, key="cmp_quality_scale",
                         format_func=lambda s: ("LMArena text-to-image, or image edit with reference images"
                                                if s == "by question" else cat.quality.scales[s].name))
    shown_paid = [s for s in paid if s in models] or paid[:1]
    fees = {}
    with st.expander("Licence fees (BFL publishes no FLUX [dev] self-hosting price: empty shows the break-even fee)",
                     expanded=False):
        fee_cols = st.columns(max(1, len(shown_paid)))
        for col, slug in zip(fee_cols, shown_paid):
            v = col.number_input(f"{common.pipeline_label(cat, slug)} licence [USD/month]", min_value=0.0, value=None,
                                 step=50.0, key=f"cmp_fee_{slug}", placeholder="fee not set")
            if v is not None:
                fees[slug] = v
    c8, c9 = st.columns(2)
    host_ram = c8.number_input("Your machine's RAM [GB] (optional)", min_value=1.0, value=None, step=16.0,
                               key="cmp_host_ram_gb", placeholder="default: a 32 GB desktop",
                               help="Offloading keeps weights in system RAM: a setting that needs more is left out, "
                                    "with the RAM it would need.")
    input_mp = c9.number_input("Reference images [MP per image] (editing)", min_value=0.0, value=0.0, step=1.0,
                               key="cmp_input_megapixels",
                               help="Images passed with the prompt: extra tokens for the GPU, extra MP an API bills.")
    with st.expander("People's time (assumptions to replace; 0 leaves it out)", expanded=False):
        p1, p2, p3 = st.columns(3)
        setup = p1.number_input("Set-up [h, one-off]", min_value=0.0, value=STUDIO_SETUP_HOURS, key="cmp_setup_hours")
        upkeep = p2.number_input("Upkeep [h/month]", min_value=0.0, value=STUDIO_UPKEEP_HOURS_PER_MONTH,
                                 key="cmp_upkeep_hours")
        rate = p3.number_input("Hourly rate [USD/h]", min_value=0.0, value=STUDIO_HOURLY_RATE_USD, key="cmp_hourly_rate")
    st.form_submit_button("Compare", type="primary")

size = common.guarded(parse_resolution, resolution)
if size is None:
    st.stop()
data = {"volume_images_per_month": float(volume), "gpu_owned": None if gpu == "none" else gpu,
        "commercial": bool(commercial), "kind_of_work": kind,
        **({} if scale == "by question" else {"quality_scale": scale}),
        "license_fee_usd_per_month": fees, "setup_hours": setup, "upkeep_hours_per_month": upkeep,
        "hourly_rate_usd": rate, **size, **({"host_ram_gb": float(host_ram)} if host_ram is not None else {}),
        **({"input_megapixels": float(input_mp)} if input_mp else {})}
CAL, CAL_LABEL = common.answer_calibration(cat)
res = common.guarded(compare_for, tuple(models), json.dumps(data, sort_keys=True), common.calibration_key(CAL))
if res is None:
    st.stop()

usd = common.usd
view = answers.compare_view(res, cat, today=dt.date.today())

# ---------------------------------------------------------------------------------------- the answer first
st.subheader(view.title)
st.success(md_text(view.answer), icon=":material/thumb_up:")
m1, m2, m3 = st.columns(3)
for col, (label, value, helptext) in zip((m1, m2, m3), view.headline):
    col.metric(label, value, help=helptext)
st.caption(md_text(CAL_LABEL))
if view.warnings:
    st.warning(md_text(f"Check {len(view.warnings)} price(s) behind these rows before deciding: "
                       + "; ".join(view.warnings) + "."), icon=":material/schedule:")
    with st.expander("The prices to check: value, date and where to check"):
        st.markdown("\n".join(f"- {md_text(w)}" for w in view.warning_details))
st.markdown("\n".join(f"- {md_text(b)}" for b in view.bullets))

st.dataframe(pd.DataFrame(view.rows), hide_index=True, width="stretch")

cols = st.columns(len(view.models))
for col, card in zip(cols, view.models):
    with col:
        st.markdown(f"**{md_text(card['name'])}** · {md_text(card['license'])}")
        for line in card["lines"]:
            st.markdown(f"- {md_text(line)}")

from advisor.report import charts  # noqa: E402

st.plotly_chart(charts.compare_cost_vs_volume(res, view.labels, view.crossings), width="stretch", key="compare_chart")

with st.expander("Why: the full reasons and their sources"):
    st.markdown("\n".join(f"- {md_text(r)}" for r in res.recommendation["reasons"]))
    for m in res.models:
        for note in m.notes:
            st.caption(md_text(answers.humanize_ids(note, cat)))

with st.expander("Quality figures (each on its own scale; never averaged across scales)"):
    def _txt(v, pct=False):
        """A cell for people: '-' for nothing, percentages and numbers rounded, dates as ISO text."""
        if v is None or v == "":
            return "-"
        if isinstance(v, float):
            return f"{v:.0%}" if pct else f"{v:,.4g}"
        return str(v)

    qrows = [{"model": names.get(m.model, m.model).split(" (")[0], "scale": q["scale_name"], "value": _txt(q["value"]),
              "interval": "-" if q["low"] is None else f"{q['low']:,.0f}-{q['high']:,.0f}",
              "n": _txt(q["sample_size"]), "solidity": _txt(q["solidity"]), "source": _txt(q["source"]),
              "as of": _txt(q["as_of"])} for m in res.models for q in m.quality]
    st.dataframe(pd.DataFrame(qrows), hide_index=True, width="stretch")
    if res.pairwise:
        st.markdown("**Published head-to-heads** (95% Wilson intervals over n; each side the exact variant tested)")
        st.dataframe(pd.DataFrame([{"side A": p["label_a"], "side B": p["label_b"], "A wins": _txt(p["a_wins"]),
                                    "ties": _txt(p["ties"]), "B wins": _txt(p["b_wins"]),
                                    "n": f"{_txt(p['n'])} {p.get('n_unit') or ''}".strip(),
                                    "solidity": _txt(p["solidity"]), "source": _txt(p["source"]),
                                    "as of": _txt(p["as_of"])} for p in res.pairwise]),
                     hide_index=True, width="stretch")
    kf = [{"model": names.get(m.model, m.model).split(" (")[0], "kind of work": _txt(k["kind_of_work"]),
           "what": _txt(k["metric"]).replace("_", " "), "criterion": _txt(k["criterion"]),
           "value": (k.get("value_qualifier") or "") + _txt(k["value"], pct=True),
           "95% interval": "-" if k["wilson_low"] is None else f"{k['wilson_low']:.0%}-{k['wilson_high']:.0%}",
           "n": _txt(k["n"]), "card": _txt(k["gpu"]), "source": _txt(k["source"]), "as of": _txt(k["as_of"])}
          for m in res.models for k in m.keep_facts]
    if kf:
        st.markdown("**Keep rates and failure facts** (single-reviewer figures where marked; replace with yours)")
        st.dataframe(pd.DataFrame(kf), hide_index=True, width="stretch")

from advisor.report import export  # noqa: E402

with st.expander("Cost per kept image vs quality (all options, Pareto frontier)"):
    st.plotly_chart(export.pareto_figure(res.engine), width="stretch", key="pareto_chart")

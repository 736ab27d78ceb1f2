"""Recommend page: a scenario form -> advisor.decide.recommend -> recommendation, the prices it rests on, options
table, charts, sensitivity view and exports. Every number shown is the engine's (advisor.report.export.compute_views)
or the catalog's; this page only arranges and formats them.

One state: the form's widgets (``st.session_state``) are the scenario. Loading a scenario YAML writes its values
into the widgets (fields the form has no widget for, such as ``overrides``, are kept beside it and shown), so the
form, the results and the exported scenario always agree.
"""

import datetime as dt
import json
import re

import pandas as pd
import streamlit as st

from advisor import report
from advisor.errors import InputError
from advisor.fmt import md_text, money, number, per_thousand_images
from advisor.report import answers
from advisor.report import export, tables
from views import common

parse_resolution = common.parse_resolution  # the one resolution parser of the forms

#: the studio's currency and its rate [currency per USD]; the engine and the catalog count in USD
CURRENCY, USD_TO_CURRENCY = "USD", 1.0

#: session_state keys: the form's last values (kept across page switches), scenario fields the form has no widget
#: for (from a loaded YAML), and the upload already applied to the form
FORM_VALUES_KEY = "recommend_form_values"
EXTRA_KEY = "scenario_extra"
LOADED_KEY = "scenario_loaded"

#: the charts, one shown at a time (a lighter page: one plotly figure to lay out, not four)
CHARTS = {"cost_vs_volume": "Monthly cost vs volume", "cost_breakdown": "Cost per 1,000 images",
          "batch_time": "Batch time", "sensitivity": "Sensitivity"}


def build_scenario(data: dict):
    """Validate form data with the engine's Scenario model (InputError on bad values)."""
    from advisor.decide import Scenario

    return Scenario.from_dict(data)


def load_uploaded_scenario(name: str, raw: bytes):
    """An uploaded scenario through the scenario reader (size, UTF-8, aliases, depth, duplicate keys checked)."""
    from advisor.cost.scenario import Scenario, parse_scenario_bytes

    return Scenario.from_dict(parse_scenario_bytes(raw, name))


def load_uploaded_scenario_for(catalog, name: str, raw: bytes):
    """:func:`load_uploaded_scenario`, with the owned GPU checked against the catalog (the form can only show a
    catalog GPU)."""
    from advisor.errors import UnknownSlugError

    scenario = load_uploaded_scenario(name, raw)
    if scenario.gpu_owned is not None and scenario.gpu_owned not in catalog.gpus:
        raise UnknownSlugError("gpu", scenario.gpu_owned, catalog.gpus)
    return scenario


#: scenario fields the form's widgets hold (everything else of a loaded scenario is kept in EXTRA_KEY)
FORM_FIELDS = ("volume_images_per_month", "megapixels", "width", "height", "gpu_owned", "electricity_usd_per_kwh",
               "amortization_months", "powered_on_hours_per_day", "commercial", "needs", "batch_images",
               "deadline_hours", "region", "currency", "min_quality", "allow_quality_tradeoffs",
               "setup_hours", "upkeep_hours_per_month", "hourly_rate_usd", "host_ram_gb", "input_megapixels")
#: issue 10: the quality-floor slider (LMArena text-to-image, the default ranking scale) and the FLUX.2 [dev]
#: licence-fee box (BFL publishes no price: empty = not set, the answer then gives the break-even fee)
FLOOR_SCALE = "lmarena-t2i"
#: with reference images (editing) the floor is on LMArena's image-edit board: a text-to-image score is not an edit score
EDIT_FLOOR_SCALE = "lmarena-image-edit"
FLOOR_OPTIONS = ["off", *range(1000, 1525, 25)]
FEE_PIPELINE = "flux-2-dev"


def form_state(scenario) -> dict:
    """Widget values (by widget key) that describe ``scenario``."""
    if scenario.width is not None:
        res = f"{scenario.width}x{scenario.height}"
    else:
        res = f"{scenario.megapixels if scenario.megapixels is not None else 1.0:g} MP"
    return {
        "volume": int(scenario.volume_images_per_month), "resolution": res,
        "gpu_owned": scenario.gpu_owned or "none",
        "electricity": scenario.electricity_usd_per_kwh,
        "amortization": None if scenario.amortization_months is None else int(scenario.amortization_months),
        "powered_on_hours_per_day": scenario.powered_on_hours_per_day,
        "use": "commercial" if scenario.commercial else "personal", "needs": list(scenario.needs),
        "batch_images": scenario.batch_images, "deadline_hours": scenario.deadline_hours,
        "region": getattr(scenario, "region", None) or "none", "currency": getattr(scenario, "currency", "USD"),
        "min_quality_floor": _floor_value(scenario.min_quality),
        "allow_quality_tradeoffs": bool(getattr(scenario, "allow_quality_tradeoffs", False)),  # issue 12
        "licence_fee_flux_2_dev": scenario.license_fee_usd_per_month.get(FEE_PIPELINE),
        # issue 10: people's time (its own cost segment; 0 leaves it out)
        "setup_hours": float(scenario.setup_hours), "upkeep_hours_per_month": float(scenario.upkeep_hours_per_month),
        "hourly_rate_usd": float(scenario.hourly_rate_usd),
        "host_ram_gb": getattr(scenario, "host_ram_gb", None),
        "input_megapixels": float(getattr(scenario, "input_megapixels", 0.0) or 0.0),
    }


def _floor_value(min_quality):
    """The slider position of a scenario's ``min_quality`` ('off' unless it is on FLOOR_SCALE at a slider step)."""
    scale, _, value = (min_quality or "").partition(":")
    try:
        v = float(value)
    except ValueError:
        return "off"
    on_slider = scale in (FLOOR_SCALE, EDIT_FLOOR_SCALE) and v.is_integer() and int(v) in FLOOR_OPTIONS
    return int(v) if on_slider else "off"


def scenario_extra(scenario) -> dict:
    """The scenario's fields that the form has no widget for and that differ from the defaults."""
    from advisor.decide import Scenario

    data = export.scenario_dict(scenario)
    defaults = export.scenario_dict(Scenario(volume_images_per_month=1))
    return {k: v for k, v in data.items() if k not in FORM_FIELDS and v != defaults.get(k)}


def form_data(state) -> dict:
    """Scenario data from the widget values in ``state`` (st.session_state)."""
    data = {"volume_images_per_month": int(state["volume"]), **parse_resolution(state["resolution"]),
            "gpu_owned": None if state["gpu_owned"] == "none" else state["gpu_owned"],
            "commercial": state["use"] == "commercial", "needs": list(state["needs"])}
    optional = {"electricity": ("electricity_usd_per_kwh", float), "amortization": ("amortization_months", int),
                "powered_on_hours_per_day": ("powered_on_hours_per_day", float),
                "batch_images": ("batch_images", int), "deadline_hours": ("deadline_hours", float),
                "host_ram_gb": ("host_ram_gb", float)}
    for key, (name, cast) in optional.items():
        if state.get(key) is not None:
            data[name] = cast(state[key])
    if state.get("region") not in (None, "none"):  # issue 13: where the studio is (the tariff is in "electricity")
        data["region"] = state["region"]
    data["currency"] = state.get("currency") or "USD"
    if state.get("allow_quality_tradeoffs"):  # issue 12
        data["allow_quality_tradeoffs"] = True
    for key in ("setup_hours", "upkeep_hours_per_month", "hourly_rate_usd"):  # issue 10: people's time
        if state.get(key) is not None:
            data[key] = float(state[key])
    if state.get("input_megapixels"):
        data["input_megapixels"] = float(state["input_megapixels"])
    if state.get("min_quality_floor") not in (None, "off"):
        scale = EDIT_FLOOR_SCALE if state.get("input_megapixels") else FLOOR_SCALE
        data["min_quality"] = f"{scale}:{state['min_quality_floor']}"
    if state.get("licence_fee_flux_2_dev") is not None:  # merged with any other pipelines' fees of the scenario
        fees = dict((state.get(EXTRA_KEY) or {}).get("license_fee_usd_per_month") or {})
        data["license_fee_usd_per_month"] = {**fees, FEE_PIPELINE: float(state["licence_fee_flux_2_dev"])}
    return data


def fill_tariff() -> None:
    """Region picker callback: put the region's tariff [USD/kWh] into the electricity field (still editable)."""
    region = st.session_state.get("region")
    tariff = common.catalog().tariffs.get(region) if region not in (None, "none") else None
    st.session_state["electricity"] = tariff.usd_per_kwh.value if tariff is not None else None


def load_price_csv(name: str, raw: bytes) -> dict:
    """An uploaded price CSV -> catalog overrides (validated like ``advisor prices import``; "your price")."""
    from advisor.catalog import price_overrides_to_dict
    from advisor.catalog.prices import parse_price_csv

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("price upload", name, "a UTF-8 CSV file") from None
    return price_overrides_to_dict(parse_price_csv(text, name, common.catalog()))


def with_overrides(data: dict, overrides: dict) -> dict:
    """Scenario data with ``overrides`` (section -> slug -> fields) merged over its own overrides."""
    if not overrides:
        return data
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in (data.get("overrides") or {}).items()}
    for section, entries in overrides.items():
        merged.setdefault(section, {})
        for slug, fields in entries.items():
            merged[section][slug] = {**merged[section].get(slug, {}), **fields} if isinstance(fields, dict) else fields
    return {**data, "overrides": merged}


@st.cache_resource(show_spinner="Asking the engine…", max_entries=32)
def views_for(scenario_json: str, sensitivity: bool = True, cal_key: str = "catalog"):
    """The engine calls behind the page for one scenario (cached on the scenario's JSON; shared, never mutated).
    ``sensitivity=False`` leaves out the sensitivity sweeps (several full engine runs) until that chart is shown."""
    from advisor.decide import Scenario

    scenario = Scenario.from_dict(json.loads(scenario_json))
    return export.compute_views(scenario, export.load_catalog_for(scenario), sensitivity=sensitivity,
                                calibration=common.calibration_from_key(cal_key))


@st.cache_resource(show_spinner=False, max_entries=64)
def figure_for(scenario_json: str, name: str, cal_key: str = "catalog"):
    """One chart of a scenario (cached: re-renders and chart switches reuse it; shared, never mutated)."""
    views = views_for(scenario_json, name == "sensitivity", cal_key)
    return export.build_figure(views, name, export.load_catalog_for(views.scenario))


@st.cache_resource(show_spinner=False, max_entries=64)
def volume_spec_for(scenario_json: str, cal_key: str = "catalog") -> dict:
    """The cost-vs-volume chart of a scenario as a Vega-Lite spec (cached; shared, never mutated)."""
    from advisor.report import charts

    views = views_for(scenario_json, False, cal_key)
    return charts.cost_vs_volume_spec(views, export.option_labels(views, export.load_catalog_for(views.scenario)))


@st.cache_data(show_spinner="Rendering…", max_entries=64)
def export_bytes(scenario_json: str, what: str, fmt: str, cal_key: str = "catalog", cal_label: str = "") -> bytes:
    """Exported file bytes for a scenario (cached: kaleido and the HTML report cost seconds)."""
    views = views_for(scenario_json, fmt not in ("csv", "yaml"), cal_key)  # charts and report: with the sensitivity sweeps
    cat = export.load_catalog_for(views.scenario)
    if fmt == "csv":
        return report.to_csv(views.result).encode()
    if fmt == "yaml":
        return export.scenario_to_yaml(views.scenario).encode()
    figs = export.build_figures(views, cat)
    if fmt == "html":
        return export.report_html(views, figs, cat, cal_label or None).encode()
    return export.figure_bytes(figs[what], fmt)


@st.cache_data(show_spinner=False, max_entries=32)
def decision_prices_for(scenario_json: str, today: str, cal_key: str = "catalog"):
    """The catalog prices behind the recommendation and the runner-up (advisor.decide.provenance)."""
    from advisor.decide.provenance import decision_prices

    views = views_for(scenario_json, False, cal_key)
    return decision_prices(views.result, export.load_catalog_for(views.scenario), dt.date.fromisoformat(today))


def _money(x):
    return money(x, CURRENCY, USD_TO_CURRENCY)


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

# ------------------------------------------------------------------------------------ one state: the widgets
# Widget values live in st.session_state. Streamlit drops a widget's value when its page is left, so the last
# values are kept under FORM_VALUES_KEY and put back; the first visit starts from the example scenario.
for key, value in st.session_state.get(FORM_VALUES_KEY, form_state(example)).items():
    st.session_state.setdefault(key, value)
st.session_state.setdefault(EXTRA_KEY, scenario_extra(example))

with st.expander("Load a scenario YAML (fills the form; e.g. one exported below)"):
    up = st.file_uploader("Scenario (YAML)", type=["yaml", "yml"], key="scenario_upload")
if up is None:
    st.session_state[LOADED_KEY] = None
elif st.session_state.get(LOADED_KEY) != (up.name, up.file_id):
    loaded = common.guarded(load_uploaded_scenario_for, cat, up.name, up.getvalue(), context=f"{up.name}: ")
    if loaded is not None:  # else: one st.error, and the form keeps its values
        st.session_state.update(form_state(loaded))
        st.session_state[EXTRA_KEY] = scenario_extra(loaded)
        st.session_state[LOADED_KEY] = (up.name, up.file_id)
        st.info(f"Loaded {up.name} into the form: the results below are this scenario's.", icon=":material/upload:")

# issue 13: where the studio is (fills the electricity field, still editable), the currency shown, its own prices
r1, r2, r3 = st.columns([2, 1, 3])
region_choices = ["none"] + sorted(cat.tariffs)
r1.selectbox("Region (fills the electricity price)", region_choices, key="region", on_change=fill_tariff,
             format_func=lambda s: "none (catalog default)" if s == "none" else
             f"{cat.tariffs[s].name}: {cat.tariffs[s].usd_per_kwh.value:.3f} USD/kWh ({cat.tariffs[s].kind}, "
             f"{cat.tariffs[s].usd_per_kwh.as_of})")
r2.selectbox("Currency", ["USD", "EUR", "GBP"], key="currency")
price_up = r3.file_uploader("Your prices (CSV: section, entry, field, value|low,high, source, as_of)", type=["csv"],
                            key="price_upload")
price_overrides = {}
if price_up is not None:
    price_overrides = common.guarded(load_price_csv, price_up.name, price_up.getvalue(), context="") or {}
    if price_overrides:
        st.caption(f"Using your prices from {price_up.name} (shown as 'your price' in the reasons).")
_cur = cat.currencies.get(st.session_state.get("currency") or "USD")
if _cur is not None:
    CURRENCY, USD_TO_CURRENCY = _cur.code, _cur.per_usd.value

gpu_choices = ["none"] + sorted(cat.gpus)
with st.form("scenario_form", enter_to_submit=False):
    c1, c2, c3 = st.columns(3)
    c1.number_input("Monthly volume [images/month]", min_value=0, step=100, key="volume")
    c2.text_input("Resolution (W x H pixels, or megapixels)", key="resolution")
    c3.selectbox("GPU you own", gpu_choices, key="gpu_owned", format_func=lambda s: common.gpu_label(cat, s))
    c4, c5, c10, c6 = st.columns(4)
    c4.number_input("Electricity price [USD/kWh]", min_value=0.0, value=None, step=0.01, format="%.3f",
                    key="electricity", placeholder=f"default {d.electricity_usd_per_kwh.value:g}")
    c5.number_input("Amortization [months]", min_value=1, value=None, step=1, key="amortization",
                    placeholder=f"default {d.amortization_months.value:g}")
    c10.number_input(
        "Powered on [h/day] (optional)", min_value=0.0, max_value=24.0, value=None,
        step=1.0, format="%g", key="powered_on_hours_per_day", placeholder="default",
        help=("Hours a day the generating machine is switched on for this work; idle hours cost electricity. "
              "Empty: a GPU you own is assumed to be on anyway for other work, so only the energy above idle "
              f"is counted; a GPU to buy runs as a dedicated box for the catalog default of "
              f"{d.powered_on_hours_per_day.value:g} h/day."))
    c6.radio("Use", ["commercial", "personal"], horizontal=True, key="use")
    c7, c8, c9 = st.columns(3)
    c7.multiselect("Needs", list(ALLOWED_NEEDS), key="needs")
    c8.number_input("Batch [images] (optional)", min_value=1, value=None, step=100, key="batch_images",
                    placeholder="none")
    c9.number_input("Batch deadline [hours] (optional)", min_value=0.0, value=None, step=1.0, key="deadline_hours",
                    placeholder="none")
    h1, h2 = st.columns(2)
    h1.number_input("Your machine's RAM [GB] (optional)", min_value=1.0, value=None, step=16.0, key="host_ram_gb",
                    placeholder="default: a 32 GB desktop",
                    help="Offloading keeps weights in system RAM: an option that needs more than this is excluded "
                         "with the RAM it would need (and a bought machine is priced with the upgrade).")
    h2.number_input("Reference / input images [megapixels per image] (editing)", min_value=0.0, step=1.0,
                    key="input_megapixels",
                    help="Images passed to the model with the prompt (FLUX.2 multi-reference, editing): extra tokens "
                         "the GPU has to process, and extra megapixels an API bills.")
    q1, q2 = st.columns(2)  # issue 10
    q1.select_slider("Quality floor: LMArena text-to-image, or image edit with reference images (off = none; "
                     "unscored models are dropped by a floor)", FLOOR_OPTIONS, key="min_quality_floor")
    q2.number_input("FLUX.2 [dev] commercial licence [USD/month] (optional)", min_value=0.0, value=None, step=50.0,
                    key="licence_fee_flux_2_dev", placeholder="not set: break-even fee shown",
                    help="BFL publishes no self-serve price; enter your quote. Empty: costs exclude it and each "
                         "FLUX.2 [dev] option says the fee at which it would still beat its API.")
    p1, p2, p3 = st.columns(3)  # issue 10: people's time, its own cost segment (0 leaves it out)
    p1.number_input("People: set-up [h, one-off]", min_value=0.0, step=1.0, key="setup_hours",
                    help="Hours to set up self-hosting or a rental, amortised over the amortization months. "
                         "An assumption of yours: the example uses 8 h.")
    p2.number_input("People: upkeep [h/month]", min_value=0.0, step=0.5, key="upkeep_hours_per_month",
                    help="Hours a month keeping self-hosting running (updates, failed runs); APIs have none.")
    p3.number_input("People: hourly rate [USD/h]", min_value=0.0, step=5.0, key="hourly_rate_usd")
    st.checkbox("Allow quality trade-offs (step caching, W4A4, NVFP4 change the image)", key="allow_quality_tradeoffs",
                help="issue 12: self-host and rental options may then use FP8 matmuls (dynamic activation "
                     "quantisation), First-Block-Cache / TeaCache and 4-bit compute; the reasons say when they do. "
                     "torch.compile, FP8 weight storage and attention kernels are always considered.")
    st.form_submit_button("Recommend", type="primary")

st.session_state[FORM_VALUES_KEY] = {k: st.session_state.get(k) for k in form_state(example)}
extra = st.session_state.get(EXTRA_KEY) or {}
if extra:
    x1 = x2 = st.container()
    x1.caption("Also in this scenario (fields the form does not show): "
               + "; ".join(f"`{k}` = `{json.dumps(v, default=str)[:120]}`" for k, v in extra.items()))
    if x2.button("Drop these fields", key="drop_extra"):
        st.session_state[EXTRA_KEY] = {}
        st.rerun()

scenario = common.guarded(lambda: build_scenario(with_overrides({**extra, **form_data(st.session_state)},
                                                                  price_overrides)))
if scenario is None:
    st.stop()

scenario_json = json.dumps(export.scenario_dict(scenario), sort_keys=True)
CAL, CAL_LABEL = common.answer_calibration(cat)  # an uploaded profile recalibrates every answer of the session
CAL_KEY = common.calibration_key(CAL)
views = common.guarded(views_for, scenario_json, False, CAL_KEY)  # the sensitivity sweeps wait for their chart
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
    prices = common.guarded(decision_prices_for, scenario_json, dt.date.today().isoformat(), CAL_KEY) or {}
    from advisor.decide.provenance import price_warnings

    st.success(md_text(answers.recommend_answer(result, cat)), icon=":material/thumb_up:")
    for w in price_warnings(prices):
        st.warning("Check this price before deciding: " + tables.price_warning_text(w), icon=":material/schedule:")
    if rec.too_close_to_call:
        runner = by_id.get(export.get(rec, "runner_up_id"))
        st.warning("Too close to call: " + (f"the runner-up, {tables.human_label(runner, cat)}, " if runner else
                                            "the runner-up ")
                   + "costs about the same within the estimate's uncertainty. Either is a sound choice.",
                   icon=":material/balance:")
    m1, m2, m3 = st.columns(3)
    m1.metric("Per month", _money(best.monthly_cost_usd),
              help=f"{_money(best.monthly_cost_usd)} per month for {scenario.volume_images_per_month:,.0f} images")
    m2.metric("Per 1,000 images", _money(best.cost_per_image_usd * 1000),
              help=f"{per_thousand_images(best.cost_per_image_usd, CURRENCY, USD_TO_CURRENCY)}; per image "
                   f"{_money(best.cost_per_image_usd)}")
    m3.metric("Seconds per image", "-" if best.seconds_per_image is None else f"{number(best.seconds_per_image)} s")
    st.caption(md_text(CAL_LABEL + (f" GPU time: {best.gpu_hours_per_month:,.1f} h/month."
                                    if best.gpu_hours_per_month else "")))
    frontier = answers.frontier_line(result, cat)
    if frontier:
        st.markdown("**What quality costs** (cheapest option at each quality level): " + md_text(frontier))
    st.markdown("\n".join(f"- {md_text(r)}" for r in answers.short_bullets(rec.reasons)))
    with st.expander("Why: the full reasons, their sources and the prices behind this decision"):
        st.markdown("\n".join(f"- {md_text(r)}" for r in rec.reasons))
        rows = tables.price_rows(prices, result, cat)
        if rows:
            st.markdown("**Prices behind this decision** (the recommended option and the runner-up)")
            st.table(pd.DataFrame(rows).set_index("option"))  # a few rows: a plain table, lighter than a data grid

# ---------------------------------------------------------------------------------------- charts
labels = export.option_labels(views, cat)
available = list(CHARTS)
chart_name = st.segmented_control("Chart", available, format_func=CHARTS.get, key="chart_view",
                                  default=available[0], required=True)
fig = None if chart_name == "cost_vs_volume" else figure_for(scenario_json, chart_name, CAL_KEY)
if chart_name == "cost_vs_volume":  # Vega-Lite: drawn long before plotly.js has loaded in a fresh browser
    st.vega_lite_chart(spec=volume_spec_for(scenario_json, CAL_KEY), width="stretch", key="chart_cost_vs_volume")
elif chart_name == "batch_time" and fig is None:
    st.info("Set a batch size (and a deadline) in the form to see how long each option takes.")
elif fig is not None:
    st.plotly_chart(fig, key=f"chart_{chart_name}", config={"displaylogo": False})
if chart_name == "cost_vs_volume":
    lines = answers.crossing_lines(result, cat)
    if lines:
        st.markdown("**Break-even volumes** between the best option of each kind (your card, buying, renting, an "
                    "API):\n" + "\n".join(f"- {md_text(x)}" for x in lines))
elif chart_name == "sensitivity":
    names = {"electricity_usd_per_kwh": "electricity price [USD/kWh]",
             "volume_images_per_month": "volume [images/month]",
             "hardware_price_factor": "GPU purchase price [x catalog]"}
    rows = []
    for param, series in views_for(scenario_json, True, CAL_KEY).sensitivity.items():
        for x, res in series:
            rid = res.recommendation.option_id if res.recommendation else None
            rows.append({"input": names.get(param, param), "value": number(x, 4, trim=True),
                         "recommended": labels.get(rid) or (tables.human_label(res.option(rid), cat) if rid else "-")})
    st.dataframe(pd.DataFrame(rows), key="sensitivity_table", hide_index=True)
    if views_for(scenario_json, True, CAL_KEY).hardware_gpus:
        st.caption("GPU purchase price scales the catalog prices of: "
                   + ", ".join(tables.card_label(g, cat) for g in views_for(scenario_json, True, CAL_KEY).hardware_gpus))

# ---------------------------------------------------------------------------------------- options table
st.subheader("Options")
ranked = list(enumerate(result.options, 1))
cols = list(tables.DISPLAY_COLUMNS)
best_rows = tables.display_rows(tables.best_per_model_and_deployment(result), cat, CURRENCY, USD_TO_CURRENCY)
st.caption("The best option of each model and each way to run it, ranked (# = overall rank). "
           "Costs per 1,000 images and per month.")
st.table(pd.DataFrame(best_rows, columns=cols).set_index("#"))  # a plain table: no data-grid script to load
# the full list only on demand: 500 rows and more cost the browser seconds to lay out, even collapsed
if st.toggle(f"Show all {len(ranked)} options (filter by model, where it runs, card)", key="show_all_options"):
    all_rows = tables.display_rows(ranked, cat, CURRENCY, USD_TO_CURRENCY)
    f1, f2, f3 = st.columns(3)
    f_model = f1.multiselect("Model", sorted({r["model"] for r in all_rows}), key="filter_model")
    f_dep = f2.multiselect("Deployment", [tables.DEPLOYMENT_LABELS[k] for k in tables.DEPLOYMENTS
                                          if any(o.deployment == k for o in result.options)], key="filter_deployment")
    f_card = f3.multiselect("Card", sorted({r["card"] for r in all_rows if r["card"] != "-"}), key="filter_card")
    shown = [r for r in all_rows if (not f_model or r["model"] in f_model) and (not f_dep or r["deployment"] in f_dep)
             and (not f_card or r["card"] in f_card)]
    st.dataframe(pd.DataFrame(shown, columns=cols), key="options_all", hide_index=True, width="stretch")
if result.excluded:
    if st.toggle(f"Show the {len(result.excluded)} excluded options and why", key="show_excluded"):
        st.markdown("\n".join(f"- **{export.excluded_label(e, cat)}**: "
                              f"{'; '.join(map(str, export.get(e, 'reasons', []) or []))}" for e in result.excluded))

# ---------------------------------------------------------------------------------------- exports
st.subheader("Export")
# Every download carries its bytes (no deferred call) and does not rerun the page when clicked (on_click="ignore",
# so the other buttons' files stay valid): a click, however soon after a change, downloads a file that
# exists on the server (Streamlit keeps the previous run's files until the new run ends). The CSV and YAML are
# small and made on every run; the report and the images cost seconds (sweeps, kaleido), so they are made once
# asked for and then kept per scenario, chart and format (st.cache_data).
e1, e2, e3 = st.columns(3)
e1.download_button("Options (CSV)", export_bytes(scenario_json, "", "csv", CAL_KEY), "options.csv", "text/csv",
                   key="dl_csv", on_click="ignore")
e2.download_button("Scenario (YAML)", export.scenario_to_yaml(views.scenario).encode(), "scenario.yaml",
                   "application/x-yaml", key="dl_yaml", on_click="ignore")
make_files = e3.toggle("Make the report and image files (a few seconds)", key="dl_make")
i1, i2, i3 = st.columns(3)
chart = i1.selectbox("Chart", [k for k in available if k != "batch_time" or views.scenario.batch_images],
                     format_func=CHARTS.get, key="img_chart")
fmt = i2.selectbox("Format", list(export.IMAGE_FORMATS), key="img_fmt")
mime = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}[fmt]
if make_files:
    e3.download_button("Report (HTML, works offline)", export_bytes(scenario_json, "", "html", CAL_KEY, CAL_LABEL),
                       "report.html", "text/html", key="dl_html", on_click="ignore")
    i3.download_button("Download image", export_bytes(scenario_json, chart, fmt, CAL_KEY), f"{chart}.{fmt}", mime,
                       key="dl_img", help=f"{CHARTS.get(chart, chart)} as {fmt.upper()}", on_click="ignore")
else:
    i3.caption("Switch on 'Make the report and image files' to download the report and the charts.")

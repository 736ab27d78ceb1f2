"""Streamlit pages driven headlessly with AppTest (issue 5): every page renders; the numbers shown equal the
engine's for the same inputs; bad inputs give one clear st.error and no traceback."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from streamlit.testing.v1 import AppTest

import sys

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `pages` (the app's page package) lives at the repository root

from advisor.report import export  # noqa: E402
from tests.profile_fixtures import profile_dict  # noqa: E402
from advisor.catalog import load_catalog  # noqa: E402
from advisor.decide import Scenario, recommend  # noqa: E402
from advisor.perf import PerfRequest, estimate  # noqa: E402
from views import common  # noqa: E402
from advisor.fmt import money, number  # noqa: E402
from advisor.report import charts, tables  # noqa: E402

APP = str(ROOT / "app.py")
TIMEOUT = 120  # [s] the first engine call loads the catalog and architectures; a loaded 2-core VM is slow


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    at.switch_page("views/recommend.py").run()  # the root URL opens Compare
    assert not at.exception, at.exception
    return at


def _page(path: str) -> AppTest:
    at = _app()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _decode(v):
    """Plotly >= 6 stores numpy arrays as {'dtype', 'bdata'} (base64); lists stay lists."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return v


def _chart(at: AppTest, key_suffix: str) -> dict:
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if key_suffix in (el.proto.id or "") or spec.get("layout", {}).get("title", {}).get("text", "").startswith(key_suffix):
            return spec
    raise AssertionError(f"no chart {key_suffix!r}")


def _check_options_table(at: AppTest, result) -> None:
    """The grouped table: the best-ranked option of each (model, deployment), in rank order, in words and money for
    people; the full list (expander) has every option in rank order."""
    cat = load_catalog()
    best = next(tb.value.reset_index() for tb in at.table if tb.value.index.name == "#")
    assert not [d for d in at.dataframe if list(d.value.columns) == list(tables.DISPLAY_COLUMNS)]
    at.toggle(key="show_all_options").set_value(True).run()  # the full list is shown on demand
    assert not at.exception, at.exception
    full = next(d.value for d in at.dataframe if list(d.value.columns) == list(tables.DISPLAY_COLUMNS))
    # expected rows picked here by walking the ranking (first option of each (model, deployment) pair)
    seen, expected = set(), []
    for rank, o in enumerate(result.options, 1):
        if (o.model, o.deployment) not in seen:
            seen.add((o.model, o.deployment))
            expected.append((rank, o))
    assert list(best["#"]) == [r for r, _ in expected]
    assert list(best.columns) == list(tables.DISPLAY_COLUMNS)
    # an unknown licence fee is said beside the model in every table ("fee not set, break-even $X/month")
    assert list(best["model"]) == [tables.model_label(o, cat) + (f" ({o.license_note})" if o.license_note else "")
                                   for _, o in expected]
    assert list(best["per month"]) == [money(o.monthly_cost_usd) for _, o in expected]
    assert list(best["per 1,000 images"]) == [money(o.cost_per_image_usd * 1000) for _, o in expected]
    assert list(full["#"]) == list(range(1, len(result.options) + 1))
    assert list(full["per month"]) == [money(o.monthly_cost_usd) for o in result.options]
    assert "id" not in full.columns and "id" not in best.columns  # ids only in exports and tooltips


def _check_recommendation(at: AppTest, result) -> None:
    from advisor.fmt import md_text
    from advisor.report import answers

    best = result.option(result.recommendation.option_id)
    # the answer first: one or two sentences naming the option for people (escaped Markdown: text, never markup)
    assert at.success[0].value == md_text(answers.recommend_answer(result, load_catalog()))
    assert md_text(tables.human_label(best, load_catalog())) in at.success[0].value
    assert best.id not in at.success[0].value
    m = _metrics(at)
    assert m["Per month"] == money(best.monthly_cost_usd)
    assert m["Per 1,000 images"] == money(best.cost_per_image_usd * 1000)
    assert m["Seconds per image"] == ("-" if best.seconds_per_image is None else f"{number(best.seconds_per_image)} s")
    assert ("Too close to call" in " ".join(w.value for w in at.warning)) == result.recommendation.too_close_to_call
    shown = " ".join(md.value for md in at.markdown)
    for reason in result.recommendation.reasons:  # each in full in the "why" expander, as text
        assert md_text(reason) in shown
    for bullet in answers.short_bullets(result.recommendation.reasons):  # and as a short bullet above it
        assert f"- {md_text(bullet)}" in shown


def _prices_table(at: AppTest):
    """The 'prices behind this decision' table (the Recommend page's dataframe whose first column is 'option')."""
    return next(tb.value.reset_index() for tb in at.table if tb.value.index.name == "option")


def _shown_scenario(at: AppTest) -> Scenario:
    return Scenario.from_dict(json.loads(at.session_state["scenario_json"]))


def _example_with(**changes) -> Scenario:
    """The example scenario (the form's start) with the fields a test typed into the form."""
    data = export.scenario_dict(export.load_scenario_file(export.EXAMPLE_SCENARIO))
    if "width" in changes:
        data.pop("megapixels", None)
    data.update(changes)
    return Scenario.from_dict({k: v for k, v in data.items() if v is not None})


def _show_chart(at: AppTest, name: str) -> AppTest:
    at.segmented_control(key="chart_view").set_value(name).run()
    assert not at.exception, at.exception
    return at


# ------------------------------------------------------------------------------------------------ Recommend
def test_recommend_default_is_the_example_scenario():
    at = _app()
    assert not at.error, [e.value for e in at.error]
    example = export.load_scenario_file(export.EXAMPLE_SCENARIO)
    assert _shown_scenario(at) == example
    result = recommend(example)
    _check_recommendation(at, result)
    _check_options_table(at, result)


def test_recommend_form_inputs_match_engine():
    at = _app()
    at.number_input(key="volume").set_value(20_000)
    at.text_input(key="resolution").set_value("1024x768")
    at.selectbox(key="gpu_owned").select("none")
    at.number_input(key="electricity").set_value(0.30)
    at.number_input(key="amortization").set_value(24)
    at.number_input(key="powered_on_hours_per_day").set_value(8.0)
    at.radio(key="use").set_value("commercial")
    at.multiselect(key="needs").set_value(["quality"])
    at.number_input(key="batch_images").set_value(5_000)
    at.number_input(key="deadline_hours").set_value(12.0)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    scenario = _example_with(volume_images_per_month=20_000, width=1024, height=768, gpu_owned=None,
                             electricity_usd_per_kwh=0.30, amortization_months=24, commercial=True, needs=["quality"],
                             batch_images=5_000, deadline_hours=12.0, powered_on_hours_per_day=8.0)
    assert _shown_scenario(at) == scenario
    result = recommend(scenario)
    _check_recommendation(at, result)
    _check_options_table(at, result)
    views = export.compute_views(scenario, load_catalog())
    labels = export.option_labels(views, load_catalog())
    by_label = {labels[o.id]: o for o in result.options}

    # charts carry engine numbers: the break-even markers sit at the engine's crossing volumes, at the
    # monthly cost the engine gives option a at that volume (the page draws this chart with Vega-Lite)
    _show_chart(at, "cost_vs_volume")
    shown = json.loads(next(iter(at.get("vega_lite_chart"))).proto.spec)
    spec = charts.cost_vs_volume_spec(views, labels)
    assert shown["title"] == spec["title"] and len(shown["layer"]) == len(spec["layer"])
    marks = next((lay["data"]["values"] for lay in spec["layer"] if lay["mark"].get("shape") == "diamond"), [])
    expected = [b for b in result.break_even if (b.images_per_month or 0) > 0 and b.a in views.leading
                and b.b in views.leading]
    # no crossing among the leading options: the chart must not invent break-even markers
    assert sorted(m["volume"] for m in marks) == sorted(b.images_per_month for b in expected)
    for m, b in zip(sorted(marks, key=lambda m: m["volume"]), sorted(expected, key=lambda b: b.images_per_month)):
        assert m["cost"] == views.volume_results[b.images_per_month].option(b.a).monthly_cost_usd
    lines = next(lay["data"]["values"] for lay in spec["layer"] if lay["mark"]["type"] == "line")
    for pt in lines:  # every point of every curve is the engine's monthly cost at that volume
        assert pt["cost"] == views.volume_results[pt["volume"]].option(pt["id"]).monthly_cost_usd
    # the cost chart: per-1,000-image parts are the engine's cost_breakdown_per_image_usd x 1,000 (a change of
    # unit: 1,000 images per priced batch), the label its cost per image x 1,000
    parts = _chart(_show_chart(at, "cost_breakdown"), "Cost per 1,000 images by part")
    bars = [t for t in parts["data"] if t["type"] == "bar"]
    assert bars and {t["name"] for t in bars} <= set(export.BREAKDOWN_KEYS)
    for t in bars:
        for label, x in zip(_decode(t["y"]), _decode(t["x"])):
            assert x == by_label[label].cost_breakdown_per_image_usd[t["name"]] * 1000
    text = next(t for t in parts["data"] if t["type"] == "scatter")
    for label, x in zip(_decode(text["y"]), _decode(text["x"])):
        assert x == by_label[label].cost_per_image_usd * 1000
    # the batch-time chart has one bar per option that has a batch time: the engine's Option.batch_hours
    batch = _chart(_show_chart(at, "batch_time"), "Time to finish the batch")
    shown = dict(zip(_decode(batch["data"][0]["y"]), _decode(batch["data"][0]["x"])))
    assert shown
    for label, h in shown.items():
        assert h == by_label[label].batch_hours
    # sensitivity table: the engine's recommendation at each electricity price
    _show_chart(at, "sensitivity")
    sens = next(d.value for d in at.dataframe if list(d.value.columns) == ["input", "value", "recommended"])
    elec = sens[sens["input"] == "electricity price [USD/kWh]"]
    assert len(elec) == len(views.sensitivity["electricity_usd_per_kwh"])
    for (price, _), shown_rec in zip(views.sensitivity["electricity_usd_per_kwh"], elec["recommended"]):
        s2 = Scenario.from_dict({**scenario.model_dump(mode="json", exclude_none=True), "electricity_usd_per_kwh": price})
        r2 = recommend(s2)
        assert shown_rec == tables.human_label(r2.option(r2.recommendation.option_id), load_catalog())


def test_recommend_powered_on_hours():
    """Empty: the owned GPU counts only the energy above idle; a number makes it a dedicated box (idle counted)."""
    at = _app()
    assert at.number_input(key="powered_on_hours_per_day").value is None  # the example scenario leaves it empty
    assert "powered_on_hours_per_day" not in json.loads(at.session_state["scenario_json"])
    base = _example_with(volume_images_per_month=500, megapixels=1.0, gpu_owned="rtx-4090", needs=[])
    owned_id = next(o.id for o in recommend(base).options if o.hardware == "owned")
    at.number_input(key="powered_on_hours_per_day").set_value(6.0)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert json.loads(at.session_state["scenario_json"])["powered_on_hours_per_day"] == 6.0
    six = _example_with(volume_images_per_month=500, megapixels=1.0, gpu_owned="rtx-4090", needs=[],
                        powered_on_hours_per_day=6.0)
    assert _shown_scenario(at) == six
    result = recommend(six)
    _check_recommendation(at, result)
    owned = result.option(owned_id)
    assert "switched on 6 h/day for this work as you set" in owned.reasons[0]
    # the field reaches the engine: with the idle hours paid, the owned GPU costs more than with the field empty
    assert owned.monthly_cost_usd > recommend(base).option(owned_id).monthly_cost_usd


@pytest.mark.parametrize("field,value,message", [
    ("resolution", "abc", "resolution: got 'abc'"),
    ("resolution", "1000x1000", "width: got 1000"),           # not a multiple of 16: the engine's InputError
    ("volume", 0, "volume_images_per_month: got 0"),          # engine: must be > 0
    ("batch_images", 100, "deadline_hours: got None"),        # a batch needs a deadline
])
def test_recommend_bad_input_shows_error(field, value, message):
    at = _app()
    widget = at.text_input(key=field) if field == "resolution" else at.number_input(key=field)
    widget.set_value(value)
    at.button[0].click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in errors[0], errors
    # the rest of the page still works: the form is there, and fixing the input brings the result back
    widget = at.text_input(key=field) if field == "resolution" else at.number_input(key=field)
    widget.set_value("1024x1024" if field == "resolution" else (500 if field == "volume" else None))
    at.button[0].click().run()
    assert not at.error and at.success, [e.value for e in at.error]


def _upload_scenario(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="scenario_upload").set_value((name, data, "application/x-yaml"))
    return at.run()


def test_recommend_uploaded_scenario_fills_the_form():
    """One state: the uploaded scenario's values are read back from the form's widgets, the results are that
    scenario's, and the exported scenario YAML reloads to the same scenario; fields without a widget are kept."""
    overrides = {"defaults": {"electricity_usd_per_kwh": {"value": 0.21, "source": "my tariff", "as_of": "2026-11-01"}}}
    scenario = Scenario.from_dict({"volume_images_per_month": 3000, "width": 1280, "height": 768,
                                   "gpu_owned": "rtx-3090", "electricity_usd_per_kwh": 0.42, "amortization_months": 30,
                                   "powered_on_hours_per_day": 10.0, "commercial": True, "needs": ["quality"],
                                   "batch_images": 800, "deadline_hours": 6.0, "input_megapixels": 0.5,
                                   "overrides": overrides})
    at = _upload_scenario(_app(), "mine.yaml", export.scenario_to_yaml(scenario).encode())
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Loaded mine.yaml into the form" in at.info[0].value
    # the widgets show the uploaded values
    assert at.number_input(key="volume").value == 3000
    assert at.text_input(key="resolution").value == "1280x768"
    assert at.selectbox(key="gpu_owned").value == "rtx-3090"
    assert at.number_input(key="electricity").value == 0.42
    assert at.number_input(key="amortization").value == 30
    assert at.number_input(key="powered_on_hours_per_day").value == 10.0
    assert at.radio(key="use").value == "commercial"
    assert at.multiselect(key="needs").value == ["quality"]
    assert at.number_input(key="batch_images").value == 800
    assert at.number_input(key="deadline_hours").value == 6.0
    assert at.number_input(key="input_megapixels").value == 0.5
    # the results and the exported scenario are the uploaded scenario's (fields without a widget kept and shown)
    assert _shown_scenario(at) == scenario
    assert any("overrides" in c.value for c in at.caption)
    _check_recommendation(at, recommend(scenario))
    exported = at.get("download_button")
    yaml_text = export.scenario_to_yaml(_shown_scenario(at))
    assert export.load_scenario_text(yaml_text) == scenario
    assert any(b.proto.label == "Scenario (YAML)" for b in exported)
    # editing the form after the upload changes the results (the form stays the one state)
    at.number_input(key="volume").set_value(4000)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert _shown_scenario(at) == Scenario.from_dict({**scenario.model_dump(mode="json", exclude_none=True),
                                                      "volume_images_per_month": 4000})


@pytest.mark.parametrize("data,message", [
    (b"volume_images_per_month: 100\ngpu_owned: rtx-9999\n", "gpu: got 'rtx-9999'"),      # unknown slug
    (b"volume_images_per_month: [1, 2\n", "malformed YAML"),                              # broken YAML
    (b"volume_images_per_month: 100\nwattage: 3\n", "wattage"),                          # unknown field
    (b"\xff\xfe\x00bad", "UTF-8"),                                                       # not text
    (b"# pad\n" * 50_000, "at most 262,144 bytes"),                                     # 300 kB > 256 KiB limit
])
def test_recommend_bad_upload_shows_error(data, message):
    at = _upload_scenario(_app(), "bad.yaml", data)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in errors[0], errors
    # the form keeps its values and the page still answers for them
    assert _shown_scenario(at) == export.load_scenario_file(export.EXAMPLE_SCENARIO) and at.success


def _api_priced_per_image():
    cat = load_catalog()
    return next(a for a in cat.apis.values() if a.pricing == "per-image" and a.commercial_use
                and cat.pipelines[a.pipeline].license.commercial_use != "forbidden")


def test_recommend_warns_about_a_stale_price_of_the_recommendation():
    """An API price 2024-01-02 old (an override, as a scenario carries one) and cheap enough to be recommended: the
    page shows a warning next to the recommendation with the price's as-of date and its source, and so does the HTML
    report; the prices table lists it as stale."""
    api = _api_priced_per_image()
    over = {"apis": {api.slug: {"per_image_usd": {"value": 0.000001, "source": "an old test quote",
                                                  "as_of": "2024-01-02"}}}}
    scenario = Scenario.from_dict({"volume_images_per_month": 1000, "megapixels": 1.0, "overrides": over})
    result = recommend(scenario)
    assert result.recommendation.option_id == f"api:{api.slug}"  # $0.001 per 1,000 images: the cheapest
    at = _upload_scenario(_app(), "old.yaml", export.scenario_to_yaml(scenario).encode())
    assert not at.exception and not at.error, [e.value for e in at.error]
    warnings = [w.value for w in at.warning
                if w.value.startswith("Check this price") and "an old test quote" in w.value]
    assert len(warnings) == 1  # (the runner-up's prices may bring their own warnings)
    # today - 2024-01-02 is more than 180 days whatever day the test runs after 2024-07-01
    assert "as of 2024-01-02" in warnings[0] and "stale" in warnings[0] and "an old test quote" in warnings[0]
    prices = _prices_table(at)
    row = prices[prices["source"] == "an old test quote"].iloc[0]
    assert row["as of"] == "2024-01-02" and row["check"].startswith("stale")
    assert row["option"].startswith("recommended: ")
    views = export.compute_views(scenario, export.load_catalog_for(scenario))
    cat = export.load_catalog_for(scenario)
    page = export.report_html(views, {}, cat)
    assert "Check this price before deciding" in page and "as of 2024-01-02" in page and "an old test quote" in page


def test_recommend_shows_the_as_of_date_of_every_price_behind_the_decision():
    """Fresh prices: no warning, but each price behind the recommendation and the runner-up is listed with its date."""
    from advisor.decide.provenance import decision_prices

    at = _app()
    example = export.load_scenario_file(export.EXAMPLE_SCENARIO)
    prices = decision_prices(recommend(example), load_catalog())
    shown = _prices_table(at)
    expected = [(p.source, p.as_of.isoformat()) for items in prices.values() for p in items]
    assert expected and list(zip(shown["source"], shown["as of"])) == expected
    assert sum(w.value.startswith("Check this price") for w in at.warning) == len(
        {p.field for items in prices.values() for p in items if p.needs_check})


def test_recommend_full_options_list_filters_by_model_deployment_and_card():
    at = _app()
    at.toggle(key="show_all_options").set_value(True).run()
    assert not at.exception, at.exception
    result = recommend(_shown_scenario(at))
    cat = load_catalog()

    def full():
        return next(d.value for d in at.dataframe if list(d.value.columns) == list(tables.DISPLAY_COLUMNS))

    assert len(full()) == len(result.options)
    model = tables.model_label(next(o for o in result.options if o.deployment == "self-host"), cat)
    at.multiselect(key="filter_model").set_value([model]).run()
    expected = [i for i, o in enumerate(result.options, 1) if tables.model_label(o, cat) == model]
    assert list(full()["#"]) == expected and set(full()["model"]) == {model}
    at.multiselect(key="filter_deployment").set_value([tables.DEPLOYMENT_LABELS["self-host"]]).run()
    expected = [i for i, o in enumerate(result.options, 1)
                if tables.model_label(o, cat) == model and o.deployment == "self-host"]
    assert list(full()["#"]) == expected
    cards = sorted({tables.card_label(result.options[i - 1].gpu, cat) for i in expected})
    assert expected and cards  # a model with own-hardware options: at least one card
    at.multiselect(key="filter_card").set_value(cards[:1]).run()
    assert set(full()["card"]) == {cards[0]}
    assert list(full()["#"]) == [i for i in expected if tables.card_label(result.options[i - 1].gpu, cat) == cards[0]]


# ------------------------------------------------------------------------------------------------ Simulator
def test_simulator_shows_engine_numbers():
    at = _page("views/simulator.py")
    at.selectbox(key="sim_pipeline").select("flux-2-klein-4b")
    at.selectbox(key="sim_gpu").select("rtx-4090")
    at.selectbox(key="sim_precision").select("fp8")
    at.number_input(key="sim_width").set_value(768)
    at.number_input(key="sim_height").set_value(1024)
    at.number_input(key="sim_steps").set_value(6)
    at.selectbox(key="sim_offload").select("none")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    est = estimate(PerfRequest(pipeline="flux-2-klein-4b", gpu="rtx-4090", precision="fp8", width=768, height=1024,
                               steps=6, offload="none"))
    assert at.session_state["sim_estimate"] == est
    m = _metrics(at)
    assert m["Seconds per image"] == number(est.seconds_per_image)
    assert m["Peak VRAM [GiB]"] == f"{est.peak_vram_gib:.1f}"
    assert m["Energy per image [J]"] == number(est.energy_per_image_joules, 4)
    assert m["Board power [W]"] == f"{est.board_power_watts:,.0f}"
    stages = _chart(at, "Seconds per image by stage")
    shown = {t["name"]: _decode(t["x"])[0] for t in stages["data"] if t["type"] == "bar"}
    assert shown == est.stages_seconds
    band = next(t for t in stages["data"] if t["type"] == "scatter")
    assert band["error_x"]["value"] == est.uncertainty * 100  # plotly draws the ± band from the engine's fraction


def test_simulator_bad_width_shows_engine_error():
    at = _page("views/simulator.py")
    at.number_input(key="sim_width").set_value(1000)  # not a multiple of 16
    at.button[0].click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "width: got 1000" in errors[0]
    assert "second" in at.number_input(key="claim_seconds").label.lower()  # the claim box still renders


def test_simulator_claim_box_matches_engine():
    from advisor.fit import claims

    at = _page("views/simulator.py")
    at.selectbox(key="sim_pipeline").select("flux-2-klein-4b")
    at.selectbox(key="sim_gpu").select("rtx-4090")
    at.button[0].click().run()
    at.number_input(key="claim_seconds").set_value(0.05)
    at.button(key="claim_check").click().run()
    assert not at.exception
    expected = claims.check_claim("flux-2-klein-4b", "rtx-4090", 0.05, steps=None, precision="bf16")
    assert at.session_state["claim_verdict"] == expected
    shown = " ".join(x.value for x in [*at.success, *at.warning, *at.error])
    assert f"**{expected.verdict}**: {expected.reason}" in shown
    # no number: a clear error, not a traceback
    at.number_input(key="claim_seconds").set_value(None)
    at.button(key="claim_check").click().run()
    assert not at.exception and any("claimed seconds: got None" in e.value for e in at.error)


# ------------------------------------------------------------------------------------------------ Catalog
def test_catalog_lists_every_sourced_number():
    at = _page("views/catalog.py")
    rows = export.catalog_rows(load_catalog())
    assert _metrics(at)["Numbers"] == str(len(rows))
    assert _metrics(at)["Stale"] == str(sum(r["stale"] for r in rows))
    df = at.dataframe[0].value
    assert len(df) == len(rows)
    assert list(df["source"]) == [r["source"] for r in rows]
    at.toggle(key="cat_only_stale").set_value(True).run()
    df = at.dataframe[0].value
    assert len(df) == sum(r["stale"] for r in rows) and set(df["stale"]) <= {"⚠ stale"}


def test_catalog_rows_find_nested_numbers():
    cat = load_catalog()
    rows = export.catalog_rows(cat)
    slug, gpu = next(iter(cat.gpus.items()))
    row = next(r for r in rows if r["entry"] == slug and r["field"] == "vram_gib")
    assert row["value"] == gpu.vram_gib.value and row["source"] == gpu.vram_gib.source
    key = next(iter(gpu.tensor_tflops))
    assert any(r["entry"] == slug and r["field"] == f"tensor_tflops.{key}" for r in rows)


# ------------------------------------------------------------------------------------------------ Profiles
_profile_dict = profile_dict  # tests/profile_fixtures.py


def _upload_profile(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="profile_upload").set_value((name, data, "application/x-yaml"))
    return at.run()


def test_profiles_upload_valid_profile_is_shown_and_kept():
    at = _upload_profile(_page("views/profiles.py"), "p.yaml", yaml.safe_dump(_profile_dict()).encode())
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "p.yaml: valid profile" in at.success[0].value
    assert _metrics(at)["Seconds per image (median)"] == "1.25"
    assert "p.yaml" in at.session_state[common.UPLOADED_PROFILES_KEY]
    # calibrated in memory with the upload; the tiny random-weights, transformer-only run is flagged as not the
    # same workload as the full-pipeline prediction
    assert type(at.session_state[common.CALIBRATION_KEY]).__name__ == "Calibration"
    assert at.session_state[common.CALIBRATION_PROFILES_KEY] == ["p.yaml"]
    assert any("random weights 'tiny'" in w.value and "not the same workload" in w.value for w in at.warning)


def test_profiles_upload_calibrates_for_the_session():
    """A real measured profile: device and pipeline shown, predictions before/after calibrating with it equal the
    engine's, the measured value is the profile's; the Simulator page then uses that calibration."""
    from advisor.fit.calibrate import calibrate_with
    from advisor.catalog.measured import profile_from_yaml_text

    path = ROOT / "profiles/measured/h100-sxm/flux-2-klein-4b-1024x1024-4steps-bf16-full-b1.yaml"
    text = path.read_text(encoding="utf-8")
    prof = profile_from_yaml_text(text, file=path.name)
    s = prof.settings
    at = _upload_profile(_page("views/profiles.py"), path.name, text.encode())
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = " ".join(md.value for md in at.markdown)
    # the device and pipeline for people (short card name with its memory, the pipeline's name), not slugs
    assert "device **H100 SXM5 80GB**" in shown and "pipeline **FLUX.2 [klein] 4B**" in shown
    cat = load_catalog()
    cal = calibrate_with([prof], cat)  # the same fit as the page's (same data, deterministic least squares)
    req = PerfRequest(pipeline=s.pipeline, gpu="h100-sxm", precision=s.precision, width=s.width, height=s.height,
                      steps=s.steps, guidance=s.guidance, batch_size=s.batch_size, offload=s.offload)
    m = _metrics(at)
    assert m["Predicted before [s/image]"] == f"{estimate(req, cat).seconds_per_image:.4g}"
    assert m["Predicted after [s/image]"] == f"{estimate(req, cat, calibration=cal).seconds_per_image:.4g}"
    assert m["Measured [s/image]"] == f"{prof.summary.seconds_per_image:.4g}"
    assert at.session_state[common.CALIBRATION_KEY] == cal
    assert not at.warning  # a full-size, whole-pipeline run: prediction and measurement are the same workload

    # the Simulator page, same session: uses the session's calibration (toggle on by default), and not when off
    at.switch_page("views/simulator.py").run()
    assert not at.exception, at.exception
    assert at.toggle(key="sim_use_session_calibration").value is True
    at.selectbox(key="sim_pipeline").select(s.pipeline)
    at.selectbox(key="sim_gpu").select("h100-sxm")
    at.selectbox(key="sim_precision").select(s.precision)
    at.number_input(key="sim_steps").set_value(s.steps)
    at.selectbox(key="sim_offload").select("none")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sim_req = PerfRequest(pipeline=s.pipeline, gpu="h100-sxm", precision=s.precision, width=1024, height=1024,
                          steps=s.steps, offload="none")
    assert at.session_state["sim_estimate"] == estimate(sim_req, cat, calibration=cal)
    at.toggle(key="sim_use_session_calibration").set_value(False).run()
    assert at.session_state["sim_estimate"] == estimate(sim_req, cat)


@pytest.mark.parametrize("data,message", [
    (b"status: [oops\n", "invalid YAML"),
    (b"- 1\n- 2\n", "expected a mapping"),
    (yaml.safe_dump({**_profile_dict(), "status": "great"}).encode(), "status"),
    (b"", "non-empty"),
    (b"x" * (2 * 1024 * 1024 + 1), "at most 2,097,152 bytes"),
])
def test_profiles_bad_upload_shows_error(data, message):
    at = _upload_profile(_page("views/profiles.py"), "bad.yaml", data)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in errors[0], errors
    assert not at.session_state[common.UPLOADED_PROFILES_KEY]


# ------------------------------------------------------------------------------------------------ Validation
def test_validation_page_shows_the_error_table():
    from advisor.fit import validate

    at = _page("views/validation.py")
    assert at.title[0].value == "Validation" and not at.error
    report = validate.validation_report(refit=False)
    df = next(d.value for d in at.dataframe if "id" in d.value.columns)  # the per-point table (after the class tables)
    assert list(df["id"]) == [r["id"] for r in report["points"]]
    assert list(df["predicted_seconds"]) == [r["predicted_seconds"] for r in report["points"]]
    assert list(df["measured_seconds"]) == [r["measured_seconds"] for r in report["points"]]
    assert _metrics(at)["MAPE"] == ("n/a" if report["mape"] is None else f"{report['mape']:.1f}%")
    spec = _chart(at, "Predicted vs measured")
    plotted = sorted(x for t in spec["data"] if t.get("mode") == "markers" for x in _decode(t["x"]))
    used = [r for r in report["points"] if r["roofline_check"] == "passed" and r.get("quality", "ok") == "ok"]
    assert plotted == sorted(r["measured_seconds"] for r in used)


def test_recommend_form_has_peoples_time_and_zero_leaves_it_out():
    """Issue 10: people's time is a form input (the example scenario's 8 h / 2 h per month / $50 fill it) and its own
    cost segment; set to zero, no option carries it."""
    at = _page("views/recommend.py")
    assert (at.number_input(key="setup_hours").value, at.number_input(key="upkeep_hours_per_month").value,
            at.number_input(key="hourly_rate_usd").value) == (8.0, 2.0, 50.0)
    sc = Scenario.from_dict(json.loads(at.session_state["scenario_json"]))
    assert (sc.setup_hours, sc.upkeep_hours_per_month, sc.hourly_rate_usd) == (8.0, 2.0, 50.0)
    for key in ("setup_hours", "upkeep_hours_per_month"):
        at.number_input(key=key).set_value(0.0)
    next(b for b in at.button if b.label == "Recommend").click().run()
    assert not at.exception and not at.error
    sc = Scenario.from_dict(json.loads(at.session_state["scenario_json"]))
    assert (sc.setup_hours, sc.upkeep_hours_per_month) == (0.0, 0.0)
    assert all(o.cost_breakdown_usd.get("people", 0.0) == 0.0 for o in recommend(sc).options)

"""Readable answers (issue 15): money and quantities for people (never scientific notation), human labels and the
grouped options table, the prices a decision rests on with their as-of dates, log-axis ticks, and a scan of the
rendered text of every app page and of the HTML report for scientific notation."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.catalog import load_catalog  # noqa: E402
from advisor.decide import Scenario, recommend  # noqa: E402
from advisor.decide.provenance import decision_prices, option_prices, price_warnings  # noqa: E402
from advisor.fmt import money, number, per_month, per_thousand_images  # noqa: E402
from advisor.report import charts, export, tables  # noqa: E402

#: a number written in scientific notation ('5.937e-05', '1E+09'), not part of a word, a hex colour or a version
SCI = re.compile(r"(?<![\w.#])\d+(?:\.\d+)?[eE][-+]?\d+(?![\w.])")


# ------------------------------------------------------------------------------------------------ formatting
@pytest.mark.parametrize("x,expected", [
    (12345.6, "$12,346"),       # >= 100: whole units with thousands separators
    (12.345, "$12.35"),         # >= 1: cents (12.345 is stored as 12.34500000000000064 in binary: rounds up)
    (0.0288, "$0.0288"),        # < 1: three significant digits, fixed notation
    (0.0000299, "$0.0000299"),  # never '2.99e-05'
    (-3.5, "-$3.50"),           # the sign before the symbol
    (0.0, "$0"),
    (None, "-"),
])
def test_money_known_answers(x, expected):
    assert money(x) == expected


def test_money_in_another_currency():
    # 100 USD at 0.9 EUR per USD = 90 EUR (>= 1: two decimals); 0.0288 USD x 0.9 = 0.02592 -> 3 digits 0.0259;
    # 1234.5 USD x 150 JPY per USD = 185,175 JPY (no decimals for the yen); unknown symbol: the code before the amount
    assert money(100, "EUR", 0.9) == "€90.00"
    assert money(0.0288, "EUR", 0.9) == "€0.0259"
    assert money(1234.5, "JPY", 150) == "¥185,175"
    assert money(12.5, "CHF", 1.0) == "CHF 12.50"
    with pytest.raises(ValueError, match="usd_to_currency"):
        money(1.0, "EUR", 0)


def test_per_thousand_and_per_month():
    # $0.0000288 per image x 1,000 images = $0.0288 per 1,000 images; $1,234.5/month -> '$1,234' ('.5' rounds to even)
    assert per_thousand_images(0.0000288) == "$0.0288 per 1,000 images"
    assert per_month(1234.5) == "$1,234/month"
    assert per_thousand_images(None) == "-" and per_month(None) == "-"


@pytest.mark.parametrize("x,digits,trim,expected", [
    (0.000123, 3, False, "0.000123"),   # fixed, never 1.23e-04
    (12.345, 3, False, "12.3"),
    (4e9, 3, False, "4,000,000,000"),   # a parameter count, never 4e+09
    (3352.5, 6, True, "3,352.5"),
    (0.03, 6, True, "0.03"),
    (0.0, 3, False, "0"),
])
def test_number_known_answers(x, digits, trim, expected):
    assert number(x, digits, trim) == expected


def test_log_ticks_are_1_2_5_on_short_ranges_and_decades_on_long_ones():
    # $0.5 .. $40 spans log10(80) = 1.9 decades <= 2.5: 1-2-5 ticks from 0.5 to 50, labelled as money
    t = charts.log_ticks([0.5, 3.0, 40.0])
    assert t["tickvals"] == [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
    assert t["ticktext"] == ["$0.5", "$1", "$2", "$5", "$10", "$20", "$50"]
    # 100 .. 3,000,000 images spans 4.5 decades: decades only, compact labels
    t = charts.log_ticks([100, 3_000_000], kind="count")
    assert t["tickvals"] == [100.0, 1000.0, 10000.0, 100000.0, 1000000.0]
    assert t["ticktext"] == ["100", "1k", "10k", "100k", "1M"]
    assert charts.log_ticks([None, 0.0]) == {}


# ------------------------------------------------------------------------------------------------ labels, grouping
def _example_result():
    return recommend(export.load_scenario_file(export.EXAMPLE_SCENARIO))


def test_human_labels_name_model_place_card_precision():
    cat = load_catalog()
    result = _example_result()
    for o in result.options:
        label = tables.human_label(o, cat)
        assert o.id not in label and ":" not in label.split(" · ")[0]
        if o.deployment == "self-host" and o.hardware == "owned":
            assert " · your GPU · " in label
            assert label.endswith(" · " + o.precision.upper())
        if o.deployment == "api":
            assert f" · API: {o.provider}" in label  # ("(variant)" after it when the model name lacks it)
    gpu = cat.gpus["rtx-4090"]
    assert gpu.name == "NVIDIA GeForce RTX 4090" and tables.card_label("rtx-4090", cat) == "RTX 4090"
    assert tables.short_name("FLUX.2 [dev] (Black Forest Labs, 32B)") == "FLUX.2 [dev]"


def test_best_per_model_and_deployment_keeps_the_first_of_each_pair_in_rank_order():
    result = _example_result()
    picked = tables.best_per_model_and_deployment(result)
    ranks = [r for r, _ in picked]
    assert ranks == sorted(ranks) and ranks[0] == 1
    pairs = [(o.model, o.deployment) for _, o in picked]
    assert len(pairs) == len(set(pairs)) == len({(o.model, o.deployment) for o in result.options})
    for rank, o in picked:  # nothing better-ranked has the same pair
        assert all((p.model, p.deployment) != (o.model, o.deployment) for p in result.options[:rank - 1])


# ------------------------------------------------------------------------------------------------ freshness
def test_price_age_and_flags_known_answer():
    """A rental price as of 2026-06-01 seen on 2026-12-02: June 30 + July 31 + August 31 + September 30 + October 31 +
    November 30 = 183 days to 2026-12-01, + 1 = 184 days > 180: stale; its source says 'inconsistent': flagged."""
    cat = load_catalog()
    offer = next(iter(cat.rentals.values()))
    over = {"rentals": {offer.slug: {"on_demand_usd_per_hour": {
        "low": 0.30, "high": 0.50, "source": "two transcriptions, 'inconsistent'", "as_of": "2026-06-01"}}}}
    scenario = Scenario.from_dict({"volume_images_per_month": 1000, "overrides": over})
    cat2 = export.load_catalog_for(scenario)
    result = recommend(scenario, cat2)
    opt = next(o for o in result.options if o.id.startswith(f"cloud-gpu:{offer.slug}:") and not o.id.endswith(":spot"))
    prices = option_prices(opt, cat2, result.scenario, today=dt.date(2026, 12, 2))
    rent = next(p for p in prices if p.field == f"rentals.{offer.slug}.on_demand_usd_per_hour")
    assert rent.age_days == 184 and rent.stale and rent.flagged
    assert (rent.low, rent.high, rent.unit) == (0.30, 0.50, "USD/h")
    assert tables.price_text(rent) == "$0.300-$0.500/h"
    assert "stale (184 days old" in rent.problem and "inconsistent" in rent.problem
    # the same price seen 2026-11-28: 180 days, not more than 180: not stale, still flagged
    fresh = option_prices(opt, cat2, result.scenario, today=dt.date(2026, 11, 28))
    rent2 = next(p for p in fresh if p.field == rent.field)
    assert rent2.age_days == 180 and not rent2.stale and rent2.flagged


def test_prices_behind_a_bought_gpu_are_its_purchase_price_and_the_default_electricity():
    cat = load_catalog()
    result = recommend(Scenario.from_dict({"volume_images_per_month": 200_000}), cat)
    buy = next(o for o in result.options if o.hardware == "purchase")
    gpu = cat.gpus[buy.gpu]
    fields = [p.field for p in option_prices(buy, cat, result.scenario)]
    # the engine's order of precedence for the card: new street price, else used price, else launch price
    price_field = next(f for f in ("street_price_usd", "used_price_usd", "launch_price_usd")
                       if getattr(gpu, f) is not None)
    assert fields[0] == f"gpus.{gpu.slug}.{price_field}"
    # the rest of the working machine is a price behind a bought card too
    assert fields[1] == f"defaults.rest_of_system_usd.{gpu.system_class}"
    assert "defaults.electricity_usd_per_kwh" in fields
    # with the electricity price set in the scenario, the catalog default is not behind the cost
    result2 = recommend(Scenario.from_dict({"volume_images_per_month": 200_000, "electricity_usd_per_kwh": 0.2}), cat)
    buy2 = result2.option(buy.id)
    assert "defaults.electricity_usd_per_kwh" not in [p.field for p in option_prices(buy2, cat, result2.scenario)]


def test_decision_prices_cover_the_recommendation_and_the_runner_up():
    cat = load_catalog()
    result = _example_result()
    prices = decision_prices(result, cat)
    rec = result.recommendation
    assert list(prices) == [i for i in (rec.option_id, rec.runner_up_id) if i]
    warned = price_warnings(prices)
    assert [p.field for p in warned] == list(dict.fromkeys(p.field for ps in prices.values() for p in ps
                                                          if p.stale or p.flagged))


# ------------------------------------------------------------------------------------------------ no e-notation
def _plotly_texts(spec: dict) -> list[str]:
    out: list[str] = []

    def walk(obj, key=""):
        if isinstance(obj, dict):
            if "bdata" in obj:
                return
            for k, v in obj.items():
                if k in ("text", "ticktext", "name", "customdata", "title", "annotations", "data", "layout") \
                        or k.endswith("axis") or re.match(r"[xy]axis\d*$", k):
                    walk(v, k)
        elif isinstance(obj, list):
            for v in obj:
                walk(v, key)
        elif isinstance(obj, str) and key in ("text", "ticktext", "name", "customdata", "title"):
            out.append(obj)

    walk(spec)
    return out


#: dataframe columns that quote the catalog's sources verbatim (a source's own derivation such as
#: '46 x 128 x 2 x 2.475e9 = 29.15e12' is cited as written, not a number the product computes)
QUOTED_COLUMNS = ("source", "note", "notes", "evidence")


def _df_texts(el) -> list[str]:
    """What a dataframe shows: column names, text cells, and numeric cells through the column's printf format
    (Streamlit's own default format never uses exponents for the magnitudes tested here); columns quoting sources
    (QUOTED_COLUMNS) are left out."""
    df = el.value
    try:
        config = json.loads(el.proto.columns or "{}")
    except ValueError:
        config = {}
    out = [str(c) for c in df.columns]
    for col in df.columns:
        if str(col).lower() in QUOTED_COLUMNS:
            continue
        fmt = ((config.get(str(col)) or {}).get("type_config") or {}).get("format")
        for v in df[col]:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, float) and v == v and fmt and fmt.startswith("%"):
                out.append(fmt % v)
            elif isinstance(v, float) and v == v and v != 0 and (abs(v) < 1e-6 or abs(v) >= 1e21):
                out.append(repr(v))  # JavaScript writes these with an exponent
    return out


def _rendered_texts(at) -> list[str]:
    """Text a person reads on the page: markdown, captions, alerts, titles, metric labels and values, expander and
    tab labels, dataframes, chart titles, labels and tick texts."""
    out: list[str] = []

    def walk(node):
        kind = getattr(node, "type", "")
        if kind == "dataframe":
            out.extend(_df_texts(node))
        elif kind == "plotly_chart":
            out.extend(_plotly_texts(json.loads(node.proto.spec)))
        elif kind == "metric":
            out.extend([node.label, node.value])
        elif kind in ("markdown", "caption", "title", "header", "subheader", "text", "success", "warning", "info",
                      "error", "latex", "code"):
            out.append(str(node.value))
        label = getattr(node, "label", None)
        if isinstance(label, str):
            out.append(label)
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return out


def _pages() -> list[str]:
    return re.findall(r'\("(views/[^"]+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8"))


def test_no_scientific_notation_on_any_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("views/recommend.py").run()  # the root URL opens Compare
    assert not at.exception, at.exception
    # a scenario whose costs per image are tiny (an owned GPU at a small volume) and with a batch, so every chart
    # of the Recommend page draws
    at.number_input(key="batch_images").set_value(200)
    at.number_input(key="deadline_hours").set_value(10.0)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    seen: dict[str, list[str]] = {}
    for chart in ("cost_vs_volume", "cost_breakdown", "batch_time", "sensitivity"):
        at.segmented_control(key="chart_view").set_value(chart).run()
        assert not at.exception, at.exception
        seen[f"recommend/{chart}"] = _rendered_texts(at)
    for page in _pages():
        if page.endswith("recommend.py"):
            continue
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        seen[page] = _rendered_texts(at)
    assert all(seen.values())
    bad = {where: hits for where, texts in seen.items() if (hits := [t for t in texts if SCI.search(t)])}
    assert not bad, bad


def test_no_scientific_notation_in_the_html_report():
    # an owned GPU at 500 images/month, its purchase counted as sunk, costs a few hundred-thousandths of a dollar per
    # image: the case that showed '5.937e-05' before
    scenario = Scenario.from_dict({"volume_images_per_month": 500, "gpu_owned": "rtx-4090", "batch_images": 200,
                                   "deadline_hours": 10, "owned_card_view": "sunk"})
    cat = export.load_catalog_for(scenario)
    views = export.compute_views(scenario, cat)
    assert min(o.cost_per_image_usd for o in views.result.options) < 1e-4
    page = export.report_html(views, export.build_figures(views, cat), cat)
    visible = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", visible)
    assert "Prices behind this decision" in visible and "per 1,000 images" in visible
    assert not SCI.findall(visible), SCI.findall(visible)[:10]
    # chart texts in the report are for people too (titles, legend names, tick and bar labels)
    for fig in export.build_figures(views, cat).values():
        texts = _plotly_texts(json.loads(fig.to_json()))
        assert texts and not [t for t in texts if SCI.search(t)]


def test_the_scan_finds_scientific_notation():
    assert SCI.findall("cost 5.937e-05 per image, 1E+09 images") == ["5.937e-05", "1E+09"]
    assert not SCI.findall("colour #1e77b4, FLUX.2 [dev], 1,000 images, $0.0000299, id rtx-4090:fp8")


def test_vram_chart_says_why_a_peak_above_capacity_fits():
    # a peak of 24.3 GiB on a 24 GiB card that fits: the bar is amber and the title says the peak includes cache
    fig = charts.vram_bar({"peak_vram_gib": 24.3, "fits": True}, 24.0, "RTX 4090")
    assert fig.data[0].marker.color == "#f2b134"
    assert "fits" in fig.layout.title.text and "reclaimable allocator cache" in fig.layout.title.text
    # with the figure that decides fit, both are drawn and labelled; the deciding one first
    fig = charts.vram_bar({"peak_vram_gib": 24.3, "required_vram_gib": 22.1, "fits": True}, 24.0, "RTX 4090")
    assert [tuple(b.y) for b in fig.data] == [("required (decides fits)",), ("peak (nvidia-smi)",)]
    assert [tuple(b.x) for b in fig.data] == [(22.1,), (24.3,)]
    # does not fit: red, and the title says so
    fig = charts.vram_bar({"peak_vram_gib": 30.0, "fits": False}, 24.0, "RTX 4090")
    assert fig.data[0].marker.color == "#e45756" and "does not fit" in fig.layout.title.text


def test_report_amounts_in_the_scenario_currency():
    """currency: EUR -> the report's headline and tables in euros at the catalog's rate."""
    cat = load_catalog()
    assert "EUR" in cat.currencies  # profiles/tariffs.yaml carries the dated USD->EUR rate
    scenario = Scenario.from_dict({"volume_images_per_month": 500, "currency": "EUR"})
    c = export.load_catalog_for(scenario)
    views = export.compute_views(scenario, c, sensitivity=False)
    rate = c.currencies["EUR"].per_usd.value
    best = views.result.option(views.result.recommendation.option_id)
    page = export.report_html(views, {}, c)
    assert f"{money(best.monthly_cost_usd, 'EUR', rate)}/month" in page
    assert money(best.cost_per_image_usd * 1000, "EUR", rate) in page

"""The market a studio compares (issue 13): API offers with status, working-machine prices, regional tariffs and
currency, `advisor catalog stale|apis|tariffs`, and the app's region picker. Hand-computed values in comments."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.catalog import load_catalog
from advisor.cli import app
from advisor.decide import Scenario, recommend
from advisor.errors import InputError
from advisor.perf import PerfEstimate, PerfRequest

ROOT = Path(__file__).resolve().parent.parent
REL = 1e-9
runner = CliRunner()


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def fixed_estimate(req: PerfRequest, catalog) -> PerfEstimate:
    """Every pipeline fits every GPU at 1 s/image, 300 W (costs then depend on catalog prices only)."""
    return PerfEstimate(request=req, seconds_per_image=1.0, stages_seconds={"denoise": 1.0}, seconds_per_step=0.25,
                        cold_start_seconds=30.0, peak_vram_gib=10.0, fits=True, offload="none",
                        energy_per_image_joules=300.0, board_power_watts=300.0, system_power_watts=400.0,
                        uncertainty=0.1, bound="compute", notes=())


# --- the API catalog --------------------------------------------------------------------------------------------


def test_at_least_25_active_offers_from_8_providers_each_sourced(cat):
    active = [a for a in cat.apis.values() if a.status == "active"]
    assert len(active) >= 25
    assert len({a.provider for a in active}) >= 8
    for a in cat.apis.values():
        assert a.status in ("active", "deprecated", "retired")
        assert a.status_source and a.status_as_of is not None, a.slug
        price = a.subscription_usd_per_month if a.pricing == "subscription" else next(
            s for s in (a.first_mp_usd, a.per_mp_usd, a.per_image_usd) if s is not None)
        assert len(price.source) >= 3 and price.as_of <= dt.date.today(), a.slug


def test_serious_providers_are_present(cat):
    providers = " | ".join(a.provider for a in cat.apis.values() if a.status == "active")
    for name in ("OpenAI", "Google", "Ideogram", "Recraft", "Midjourney", "BytePlus", "Black Forest Labs", "fal.ai"):
        assert name in providers, name
    # Seedream (ByteDance) is sold by its sellers
    assert any(a.model_slug.startswith("seedream") and a.status == "active" for a in cat.apis.values())


@pytest.mark.parametrize("slug, date", [
    ("openai-gpt-image-1-medium", dt.date(2026, 10, 23)),
    ("openai-gpt-image-1-mini-low", dt.date(2026, 12, 1)),
    ("openai-gpt-image-1-5-high", dt.date(2026, 12, 1)),
    ("openai-dall-e-3-standard", dt.date(2026, 5, 12)),
    ("google-imagen-4", dt.date(2026, 8, 17)),
    ("google-imagen-4-ultra", dt.date(2026, 8, 17)),
])
def test_retired_offers_carry_their_shutdown_date(cat, slug, date):
    a = cat.api(slug)
    assert a.status == "retired" and a.shutdown_date == date


def test_flux2_api_only_models_are_not_the_dev_weights(cat):
    for slug in ("bfl-flux-2-pro", "bfl-flux-2-flex", "bfl-flux-2-max", "fal-flux-2-pro"):
        a = cat.api(slug)
        assert a.pipeline is None and a.model_slug.startswith("flux-2-") and a.model_slug != "flux-2-dev"
    assert cat.api("fal-flux-2-dev").pipeline == "flux-2-dev"


@pytest.fixture(scope="module")
def low_volume():
    sc = Scenario(volume_images_per_month=100, megapixels=1.0, commercial=True)
    return recommend(sc, catalog=load_catalog(), estimator=fixed_estimate)


def test_retired_offers_are_never_ranked(low_volume, cat):
    ranked = {o.id for o in low_volume.options}
    excluded = {e.id: e for e in low_volume.excluded}
    for a in cat.apis.values():
        if a.status == "retired":
            assert f"api:{a.slug}" not in ranked
            assert "retired" in excluded[f"api:{a.slug}"].reasons[0] and str(a.shutdown_date) in \
                excluded[f"api:{a.slug}"].reasons[0]


def test_midjourney_is_a_subscription_with_no_api(low_volume):
    e = next(e for e in low_volume.excluded if e.id == "api:midjourney-v7-standard")
    # Standard plan: $30/month, 15 fast GPU hours (docs.dodopayments.com billing deconstruction)
    assert "no API" in e.reasons[0] and "$30.00/month" in e.reasons[0] and "15 fast GPU hours" in e.reasons[0]


def test_api_only_model_option_has_no_pipeline_and_names_its_model():
    sc = Scenario(volume_images_per_month=100, commercial=True, keep_rates={"gpt-image-2": 1.0})
    o = recommend(sc, estimator=fixed_estimate).option("api:openai-gpt-image-2-medium")
    assert o.pipeline is None and o.model == "gpt-image-2"
    # 0.053 USD/image x 100 images x 1/0.98 attempts (failure rate 0.02) = 5.408163 USD/month
    assert o.cost_breakdown_usd["api"] == pytest.approx(0.053 * 100 / 0.98, rel=REL)
    assert any("not verified in the catalog" in r for r in o.reasons)  # commercial_use null: said so


def test_deprecated_offer_says_its_shutdown_date():
    over = {"apis": {"recraft-v4-1": {"status": "deprecated", "shutdown_date": "2027-03-01",
                                      "status_source": "test notice", "status_as_of": "2026-12-01"}}}
    r = recommend(Scenario(volume_images_per_month=100, commercial=True, overrides=over), estimator=fixed_estimate)
    o = r.option("api:recraft-v4-1")
    assert any(x.startswith("Deprecated:") and "2027-03-01" in x and "test notice" in x for x in o.reasons)
    # a deprecated offer whose date has passed is not ranked
    over["apis"]["recraft-v4-1"]["shutdown_date"] = "2026-01-01"
    r = recommend(Scenario(volume_images_per_month=100, commercial=True, overrides=over), estimator=fixed_estimate)
    assert "api:recraft-v4-1" not in {o.id for o in r.options}


def test_deprecated_without_date_is_refused():
    from advisor.errors import AdvisorError

    over = {"apis": {"recraft-v4-1": {"status": "deprecated"}}}
    with pytest.raises(AdvisorError, match="deprecated offer needs its shutdown_date"):
        recommend(Scenario(volume_images_per_month=100, overrides=over), estimator=fixed_estimate)


# --- what a machine costs ------------------------------------------------------------------------------------------

CONSUMER = ("rtx-3060-12gb", "rtx-3080", "rtx-3090", "rtx-3090-ti", "rtx-4060-ti-16gb", "rtx-4070", "rtx-4070-ti",
            "rtx-4070-ti-super", "rtx-4080", "rtx-4080-super", "rtx-4090", "rtx-5060-ti-16gb", "rtx-5070", "rtx-5070-ti",
            "rtx-5080", "rtx-5090", "rx-7900-xtx", "rx-7900-xt")
#: consumer cards with no street (new or used) price in our corpora on 2026-12-02: none (the discontinued RTX 4070
#: and 4070 Ti have used ranges only, from a dated price tracker)
NO_STREET_PRICE_FOUND: set[str] = set()


def test_consumer_cards_street_price_ranges_dated(cat):
    missing = set()
    for slug in CONSUMER:
        g = cat.gpu(slug)
        ranges = [r for r in (g.street_price_usd, g.used_price_usd) if r is not None]
        if not ranges:
            missing.add(slug)
        for r in ranges:
            assert r.low <= r.high and r.as_of <= dt.date.today() and len(r.source) >= 3
        assert g.system_class in cat.defaults.rest_of_system_usd, slug
    assert missing == NO_STREET_PRICE_FOUND
    # every consumer card of the catalog is in this list (a new one must come with a dated price)
    assert {s for s, g in cat.gpus.items() if g.segment == "consumer"} == set(CONSUMER)


def test_buy_is_street_price_plus_rest_of_system_hand(low_volume, cat):
    o = low_volume.option("self-host:buy:rtx-4090:flux-2-klein-4b:bf16")
    # no new 4090 is sold in 2026: card = midpoint of the 1,850-2,470 used best deals (GPU Poet, March/April 2026)
    # = 2,160; rest of an AM5 system 1,500 (local-llm.net build: 3,200 - 1,700) = 3,660 USD;
    # resale: the used card keeps falling at the 1 %/month used-price decline an owned card is charged and its
    # seller receives it less eBay's 13.25 % fee (profiles/defaults.yaml selling_fee_fraction),
    # 2,160 x 0.99^36 x 0.8675 = 1,304.94, and the new rest of the machine keeps 60 %: 1,500 x 0.6 = 900 -> 2,204.94;
    # (3,660 - 2,204.94) / 36 months = 40.42 USD/month of depreciation, plus the capital it ties up:
    # (3,660 + 2,204.94) / 2 x 7.5 %/year / 12 = 18.33 USD/month (the catalog's cost of capital)
    resale = 2160 * 0.99 ** 36 * (1 - 0.1325) + 1500 * 0.6
    assert o.purchase_usd == pytest.approx(3660.0, rel=REL)
    assert o.capital_usd_per_month == pytest.approx((3660 + resale) / 2 * 0.075 / 12, rel=REL)
    assert o.cost_breakdown_usd["hardware"] == pytest.approx((3660 - resale) / 36
                                                             + (3660 + resale) / 2 * 0.075 / 12, rel=REL)
    assert "used card's $2,160" in o.reasons[0] and "rest of a 'desktop-am5' system" in o.reasons[0]
    assert "$1,500" in o.reasons[0] and "used price" in o.reasons[0]
    assert "2026-05-01" in o.reasons[0]  # the date of the price the decision uses is shown with it
    # a card with only a used price is priced used: RTX 3090 midpoint of 1,097-1,207 (GPU Poet, August/September
    # 2026) = 1,152 + AM4 box 500 = 1,652
    u = low_volume.option("self-host:buy:rtx-3090:flux-2-klein-4b:bf16")
    assert u.purchase_usd == pytest.approx(1652.0, rel=REL) and "used price" in u.reasons[0]
    # a card with a new street price is priced new: RTX 5090 midpoint of 4,262-5,258 (Amazon, August/September 2026)
    # = 4,760 + AM5 box 1,500 = 6,260
    n = low_volume.option("self-host:buy:rtx-5090:flux-2-klein-4b:bf16")
    assert n.purchase_usd == pytest.approx(6260.0, rel=REL) and "street price" in n.reasons[0]
    for opt in low_volume.options:
        if opt.hardware == "purchase":  # every bought machine states its resale basis: new or used card
            used = opt.label.split(" on ", 1)[1].startswith("a used ")
            assert ("the used card's $" if used else "resale fraction of") in opt.reasons[0], opt.id


def test_a_bought_card_shows_its_price_date_and_a_stale_flag_after_90_days(low_volume, cat):
    from advisor.decide.provenance import option_prices

    o = low_volume.option("self-host:buy:rtx-4090:flux-2-klein-4b:bf16")
    card = next(p for p in option_prices(o, cat, today=dt.date(2026, 12, 7)) if p.field.startswith("gpus.rtx-4090"))
    # the used price of 2026-05-01 is 220 days old on 2026-12-07 (215 to Dec 2 + 5): past the 90 days of a card price
    assert card.field == "gpus.rtx-4090.used_price_usd" and card.as_of == dt.date(2026, 5, 1)
    assert card.age_days == 220 and card.stale and "older than 90 days" in card.problem
    n = low_volume.option("self-host:buy:rtx-5090:flux-2-klein-4b:bf16")
    fresh = next(p for p in option_prices(n, cat, today=dt.date(2026, 12, 7)) if p.field.startswith("gpus.rtx-5090"))
    assert fresh.field == "gpus.rtx-5090.street_price_usd" and fresh.as_of == dt.date(2026, 10, 1) and not fresh.stale


def test_server_card_without_rest_of_system_is_not_bought(low_volume):
    e = next(e for e in low_volume.excluded if e.id.startswith("self-host:buy:l40s:"))
    assert "cannot be costed as a box that runs" in e.reasons[0]


# --- where the studio is ------------------------------------------------------------------------------------------


def test_tariffs_are_sourced_and_converted(cat):
    assert {"us-average", "california", "texas", "germany", "uk", "japan", "china"} <= set(cat.tariffs)
    for t in cat.tariffs.values():
        assert t.usd_per_kwh.source and t.price_per_kwh.as_of <= dt.date.today()
        if t.currency != "USD":
            # usd = local price / units per USD, e.g. Germany 0.3835 EUR / 0.8573 = 0.4473 USD/kWh
            assert t.usd_per_kwh.value == pytest.approx(
                t.price_per_kwh.value / cat.currencies[t.currency].per_usd.value, rel=1e-3)


def test_region_sets_the_tariff_unless_a_price_is_given():
    own = dict(volume_images_per_month=50_000, gpu_owned="rtx-4090", keep_rates={"flux-2-klein-4b": 1.0})
    tx = recommend(Scenario(**own, region="texas"), estimator=fixed_estimate)
    ca = recommend(Scenario(**own, region="california"), estimator=fixed_estimate)
    assert tx.assumptions["electricity_usd_per_kwh"] == 0.0864 and ca.assumptions["electricity_usd_per_kwh"] == 0.2946
    assert "Texas" in tx.assumptions["electricity_source"]
    o_tx = tx.option("self-host:owned:rtx-4090:flux-2-klein-4b:bf16")
    o_ca = ca.option("self-host:owned:rtx-4090:flux-2-klein-4b:bf16")
    # the owned card's electricity scales with the tariff: 0.2946 / 0.0864 = 3.4097
    assert o_ca.cost_breakdown_usd["electricity"] / o_tx.cost_breakdown_usd["electricity"] == pytest.approx(
        0.2946 / 0.0864, rel=REL)
    given = recommend(Scenario(**own, region="texas", electricity_usd_per_kwh=0.5), estimator=fixed_estimate)
    assert given.assumptions["electricity_usd_per_kwh"] == 0.5
    with pytest.raises(InputError, match="region: got 'atlantis'"):
        recommend(Scenario(**own, region="atlantis"), estimator=fixed_estimate)


def test_currency_line_at_the_dated_rate():
    r = recommend(Scenario(volume_images_per_month=100, commercial=True, currency="EUR"), estimator=fixed_estimate)
    top = r.option(r.recommendation.option_id)
    line = next(x for x in r.recommendation.reasons if x.startswith("In EUR:"))
    # amount x 0.8573 EUR per USD (ECB reference rate via utroruse.com)
    assert f"€{top.monthly_cost_usd * 0.8573:,.2f}/month" in line and "0.8573 EUR per USD" in line


# --- CLI -----------------------------------------------------------------------------------------------------------


def test_catalog_stale_lists_old_prices_with_source():
    r = runner.invoke(app, ["catalog", "stale", "--format", "json", "--today", "2026-12-02"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["prices"]
    uk = next(x for x in rows if x["section"] == "tariffs" and x["entry"] == "uk" and x["field"] == "price_per_kwh")
    # Ofgem cap dated 2023-10-01: 2026-12-02 - 2023-10-01 = 1,158 days
    assert uk["age_days"] == 1158 and "Ofgem" in uk["source"]
    assert all(x["age_days"] > x["stale_after_days"] and x["source"] for x in rows)
    # a fresh price is not listed (RunPod network volume, read 2026-12-02)
    assert not any(x["entry"] == "runpod-rtx-4090-pod" and "storage" in x["field"] for x in rows)
    # a card's street/used price goes stale after 90 days, every other price after 180: the used RTX 4090 price of
    # 2026-05-01 is 215 days old (listed); the RTX 5090's of 2026-10-01 is 62 days old (not listed)
    by = {(x["entry"], x["field"]): x for x in rows}
    assert by[("rtx-4090", "used_price_usd")]["stale_after_days"] == 90
    assert by[("rtx-4090", "used_price_usd")]["age_days"] == 215
    assert ("rtx-5090", "used_price_usd") not in by
    assert {x["stale_after_days"] for x in rows if x["section"] != "gpus"} == {180}


def test_catalog_apis_shows_status():
    r = runner.invoke(app, ["catalog", "apis", "--slug", "openai-gpt-image-1-5-low"])
    assert r.exit_code == 0, r.output
    assert "status" in r.stdout and "retired (shutdown 2026-12-01)" in r.stdout
    j = runner.invoke(app, ["catalog", "apis", "--format", "json", "--slug", "google-imagen-4"])
    e = json.loads(j.stdout)["entries"][0]
    assert e["status"] == "retired" and e["shutdown_date"] == "2026-08-17"


def test_low_volume_cli_recommends_an_api_and_prices_a_rental():
    # the case with the real simulator: no GPU owned, 100 images a month at 1 MP, commercial
    r = runner.invoke(app, ["recommend", "--volume", "100", "--commercial", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    top = next(o for o in d["options"] if o["id"] == d["recommendation"]["option_id"])
    assert top["deployment"] == "api"
    line = next(x for x in d["recommendation"]["reasons"] if x.startswith("A rented GPU would really cost"))
    # a pod explains its per-session costs; a scale-to-zero serverless endpoint its cold starts
    assert ("per session" in line and "Fixed costs of this rental" in line) or "cold start" in line


# --- app: the region picker fills the tariff and changes the answer --------------------------------------------------


def test_app_region_picker_changes_tariff_and_answer():
    from streamlit.testing.v1 import AppTest

    from advisor.fmt import money

    sys.path.insert(0, str(ROOT))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("views/recommend.py").run()
    assert not at.exception, at.exception
    for key in ("setup_hours", "upkeep_hours_per_month"):  # the example's people's time: out of this comparison
        at.number_input(key=key).set_value(0.0)
    # 200,000 images a month: enough that the tariff moves the answer once the owned 4090's holding cost (its ~$2,160
    # resale value) is counted; at 50,000 a spot rental wins in both regions and the region cannot change it
    at.number_input(key="volume").set_value(200_000)
    at.selectbox(key="gpu_owned").select("rtx-4090")
    next(b for b in at.button if b.label == "Recommend").click().run()  # widgets in a form apply on submit

    def shown_and_engine(region: str, tariff: float) -> str:
        at.selectbox(key="region").select(region).run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert at.number_input(key="electricity").value == tariff  # the picker filled the tariff field
        sc = Scenario.from_dict(json.loads(at.session_state["scenario_json"]))
        assert sc.region == region and sc.electricity_usd_per_kwh == tariff
        r = recommend(sc)
        shown = {m.label: m.value for m in at.metric}["Per month"]
        assert shown == money(r.option(r.recommendation.option_id).monthly_cost_usd, "USD", 1.0)
        return shown

    texas = shown_and_engine("texas", 0.0864)  # EIA commercial, January 2026
    california = shown_and_engine("california", 0.2946)  # EIA commercial, energypricestoday transcription
    assert texas != california  # the answer changed with the region
    # still editable: a typed price wins over the picked region
    at.number_input(key="electricity").set_value(0.0864)
    next(b for b in at.button if b.label == "Recommend").click().run()
    assert {m.label: m.value for m in at.metric}["Per month"] == texas

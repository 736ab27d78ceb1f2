"""The models studios self-host beyond the first six, as the shipped catalog loads them.

Each new pipeline has an active API offer a studio can buy, or is listed below with the reason none is in
profiles/apis.yaml; the new offers' prices pass the common-sense checks a person would make (SDXL cheaper than
FLUX.1 [dev], nothing under a tenth of a cent, a very cheap price backed by a second source, a step-priced offer at
the steps the simulator runs); each licence states what it means for a studio (revenue threshold, what counts,
registration, outputs); and a commercial edit workload gets FLUX.1 Kontext [dev] priced through its APIs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.catalog import load_catalog
from advisor.cost import tco

APIS_YAML = Path(__file__).resolve().parents[1] / "profiles" / "apis.yaml"

NEW_PIPELINES = ("sdxl", "sd-3.5-large", "sd-3.5-large-turbo", "sd-3.5-medium", "qwen-image", "qwen-image-edit",
                 "flux-1-kontext-dev", "flux-2-klein-base-4b", "flux-2-klein-base-9b", "z-image")

#: new pipelines without a priced hosted offer, why, and the endpoint the apis.yaml header names for it
NO_PRICED_API = {
    "flux-2-klein-base-4b": ("fal serves it, but no price was on the copies read; BFL's API serves only the "
                             "distilled klein", "fal-ai/flux-2/klein/{4b,9b}/base"),
    "flux-2-klein-base-9b": ("fal serves it, but no price was on the copies read; BFL's API serves only the "
                             "distilled klein", "fal-ai/flux-2/klein/{4b,9b}/base"),
}


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def _active_offers(cat, pipeline):
    return [a for a in cat.apis.values() if a.pipeline == pipeline and a.status == "active"]


def _usd_per_1mp_image(api) -> float:
    """List price of one 1 MP text-to-image output (no input image) under the offer's own pricing kind."""
    def val(s):
        return s.value if s is not None else None
    return tco.api_usd_per_image(api.pricing, 1.0, first_mp_usd=val(api.first_mp_usd),
                                 additional_mp_usd=val(api.additional_mp_usd), per_mp_usd=val(api.per_mp_usd),
                                 per_image_usd=val(api.per_image_usd), rounding=api.rounding)


def test_every_new_pipeline_has_an_active_api_offer_or_a_stated_reason(cat):
    assert set(NEW_PIPELINES) <= set(cat.pipelines)
    header = APIS_YAML.read_text(encoding="utf-8")
    for slug in NEW_PIPELINES:
        offers = _active_offers(cat, slug)
        if slug in NO_PRICED_API:
            reason, endpoint = NO_PRICED_API[slug]
            # a listed reason goes stale the day an offer is added: then the entry must leave this table
            assert offers == [], f"{slug} now has offers {[a.slug for a in offers]}: drop it from NO_PRICED_API"
            assert reason and endpoint in header, f"apis.yaml does not say why {slug} has no offer"
        else:
            assert offers, f"{slug}: no active API offer and no stated reason"
            # an offer of open weights serves that pipeline's own model (quality figures are keyed by it)
            assert all(a.model_slug == slug for a in offers), [a.slug for a in offers]


def test_new_offers_pass_common_sense(cat):
    prices = {slug: sorted(((_usd_per_1mp_image(a), a) for a in _active_offers(cat, slug)), key=lambda t: t[0])
              for slug in NEW_PIPELINES + ("flux-1-dev",)}
    for slug in NEW_PIPELINES:
        for usd, api in prices[slug]:
            # open-weight image APIs cost cents: under $0.001 or over $0.10 for 1 MP is a typo or a mis-read unit
            assert 0.001 <= usd <= 0.10, (api.slug, usd)
            # a price well under the market (here under half a cent) must name a second source for the same level
            if usd < 0.005:
                note = api.per_image_usd.note if api.per_image_usd else api.per_mp_usd.note
                assert note and "second source" in note, api.slug
    # SDXL (2.6B UNet) is a smaller, older model than FLUX.1 [dev] (12B): its dearest offer stays under FLUX's cheapest
    assert prices["sdxl"][-1][0] < prices["flux-1-dev"][0][0]


def test_step_priced_sdxl_offer_is_the_price_at_the_studio_steps(cat):
    api = cat.api("dezgo-sdxl")
    # dev.dezgo.com/pricing/sdxl lists the price per step count (10 $0.0032, 20 $0.0054, 30 $0.0075, 40 $0.0096,
    # 80 $0.0181); the self-hosted SDXL runs the studio setting (ComfyUI's KSampler default, 20 steps), so the offer
    # is the page's 20-step figure and both are compared at the same steps
    assert cat.pipelines["sdxl"].studio_settings.steps == 20
    assert api.per_image_usd.value == 0.0054
    # the page's scale is linear in steps: 20 -> 40 steps adds 20 x (0.0096 - 0.0054) / 20 per 20 steps, and the
    # 30-step figure lies on that line to the page's rounding
    assert (0.0054 + 0.0096) / 2 == pytest.approx(0.0075, abs=1e-4)
    assert api.max_mp == 1  # the page's limit: width x height <= 1,048,576 pixels


def test_licences_as_a_studio_reads_them(cat):
    lic = {slug: cat.pipelines[slug].license for slug in NEW_PIPELINES}
    for slug in ("qwen-image", "qwen-image-edit", "z-image", "flux-2-klein-base-4b"):
        assert lic[slug].name == "Apache-2.0" and lic[slug].commercial_use == "allowed", slug
    assert "RAIL++" in lic["sdxl"].name and lic["sdxl"].commercial_use == "allowed"
    assert "claims no rights in the Output" in lic["sdxl"].fee_note  # outputs are the studio's
    for slug in ("sd-3.5-large", "sd-3.5-large-turbo", "sd-3.5-medium"):
        lc = lic[slug]
        # free under the threshold (fee 0), counted on all revenue of the studio and its affiliates, with registration
        assert lc.commercial_use == "paid-license" and lc.fee_usd_per_month.value == 0, slug
        assert "USD $1,000,000" in lc.fee_usd_per_month.source and "Affiliate" in lc.fee_usd_per_month.source
        assert "regardless of whether" in lc.fee_usd_per_month.note
        assert "registering" in lc.fee_note and "You own any outputs" in lc.fee_note
    for slug in ("flux-1-kontext-dev", "flux-2-klein-base-9b"):
        # non-commercial weights: running them for paid work needs a licence BFL prices only by quote
        assert lic[slug].commercial_use == "paid-license" and lic[slug].fee_usd_per_month is None, slug
        assert "including for commercial purposes" in lic[slug].fee_note, slug
    assert "revenue-generating activity" in lic["flux-1-kontext-dev"].fee_note
    assert "LICENSE-FLUX1-dev" in lic["flux-1-kontext-dev"].source
    assert "black-forest-labs/flux2" in lic["flux-2-klein-base-9b"].source


def test_a_commercial_edit_workload_prices_kontext_through_its_apis(cat):
    """Before its offers were added, Kontext [dev] had no priced option for commercial work (self-hosting needs a
    licence with no public fee). Now each offer is an API row at its list price x attempts."""
    from advisor import decide as D
    from advisor.decide.compare import compare

    sc = D.Scenario(volume_images_per_month=2000, gpu_owned="rtx-4090", input_megapixels=1.0)
    res = compare(["flux-1-kontext-dev", "qwen-image-edit"], sc, catalog=cat)
    kontext = next(m for m in res.models if m.model == "flux-1-kontext-dev")
    apis = [r for r in kontext.rows if r.kind == "api"]
    assert len(apis) == len(_active_offers(cat, "flux-1-kontext-dev")) == 4
    for r in apis:
        # every offer is $0.025 for a 1 MP edit (input not billed): the row's variable cost per image divided by
        # that list price is the attempts per kept image, the same for all four and at least 1
        assert r.variable_usd_per_image / 0.025 == pytest.approx(apis[0].variable_usd_per_image / 0.025)
        assert r.variable_usd_per_image >= 0.025 and r.license_fee_known


def test_api_rows_say_when_commercial_use_is_not_verified(cat):
    """An API offer whose commercial terms the catalog has not checked (commercial_use: null) is not labelled as
    allowing commercial use; one the catalog checked (commercial_use: true) is."""
    from advisor.cost.scenario import Scenario
    from advisor.decide import recommend

    res = recommend(Scenario(volume_images_per_month=2_000, input_megapixels=1.0), cat)
    by_id = {o.id: o for o in res.options}
    unverified = [s for s, a in cat.apis.items() if a.pipeline == "flux-1-kontext-dev" and a.commercial_use is None]
    verified = [s for s, a in cat.apis.items() if a.pipeline == "flux-1-kontext-dev" and a.commercial_use]
    assert unverified and verified
    for s in unverified:
        assert by_id[f"api:{s}"].license.endswith("commercial use of outputs not verified in the catalog"), s
    for s in verified:
        assert by_id[f"api:{s}"].license.endswith("commercial use of outputs allowed"), s

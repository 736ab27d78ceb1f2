"""Image-edit quality: the LMArena image-edit scale in profiles/quality.yaml, its figures of the exact variants the
catalog prices, and an editing question ranked and floored on edit scores (never on text-to-image scores).

Real-catalog tests read profiles/quality.yaml as loaded; the engine tests use the hand catalog of tests/test_decide
(fake estimator), where 'big' takes reference images (multi-reference) and 'pro' is an API-only model whose offer
prices input megapixels, so both stay in an editing scenario while 'small' is excluded.
"""

from __future__ import annotations

import json

import pytest

from advisor import decide as D
from advisor.catalog import build_catalog, load_catalog
from advisor.decide.quality import DEFAULT_EDIT_SCALE, figure_for
from tests.test_decide import RAW, fake_estimate

EDIT = "lmarena-image-edit"
T2I = "lmarena-t2i"
#: the copy of arena.ai/leaderboard/image-edit every figure on the scale cites (its meta says last_updated Apr 22, 2026)
COPY = "https://github.com/old-code-man/webjj/blob/56241f7/claw/api_data/image-edit.json"


# --- the catalog's image-edit figures -------------------------------------------------------------------------------


def test_edit_scale_is_declared_with_source_and_one_snapshot():
    book = load_catalog().quality
    s = book.scales[EDIT]
    assert s.kind == "elo" and s.higher_is_better
    assert "https://arena.ai/leaderboard/image-edit" in s.source and COPY in s.source
    assert s.ranking_snapshot == "2026-04-22" and book.snapshot(EDIT) == "2026-04-22"
    rows = [f for f in book.figures if f.scale == EDIT]
    assert len(rows) >= 15
    for f in rows:  # every row: the copy, the snapshot date, its vote count and its published +- (95%)
        assert f.source == COPY and f.as_of == "2026-04-22" and f.solidity == "leaderboard-snapshot"
        assert f.sample_size is not None and f.sample_size > 0 and f.plus_minus is not None and f.note


def test_kontext_dev_and_qwen_image_edit_as_loaded():
    book = load_catalog().quality
    k = book.figure("flux-1-kontext-dev", EDIT)
    # the leaderboard row 'flux-1-kontext-dev': 1152 +- 3 over 3,651,875 votes
    assert (k.value, k.plus_minus, k.sample_size) == (1152, 3, 3_651_875)
    assert k.interval() == (1149, 1155)
    q = book.figure("qwen-image-edit", EDIT)
    assert (q.value, q.plus_minus, q.sample_size) == (1239, 3, 1_904_155)
    # the later 2511 release has its own row and slug: never the catalog pipeline's (original release) figure
    later = book.figure("qwen-image-edit-2511", EDIT)
    assert later.value == 1234 and later.model != q.model
    # a self-hosted weight format without its own row is scored by the model as released (the file's rule)
    assert book.figure("flux-1-kontext-dev", EDIT, "nf4") is k


def test_edit_figures_score_only_the_exact_variant_priced():
    cat = load_catalog()
    book = cat.quality
    # gpt-image-2 is sold in tiers; the board lists only 'medium'
    assert book.figure("gpt-image-2", EDIT, "medium").value == 1510
    assert book.figure("gpt-image-2", EDIT, "low") is None and book.figure("gpt-image-2", EDIT, "high") is None
    # Nano Banana 2 is on the board only with web search: the plain 1K offer stays unscored
    offer = cat.apis["google-gemini-3-1-flash-image-1k"]
    assert book.figure(offer.model_slug, EDIT, offer.variant) is None
    # Seedream 4.0: three rows (hosts/settings); the offers name no setting and get the fal-served row
    assert book.figure("seedream-4.0", EDIT, None).value == 1213
    assert book.figure("seedream-4.0", EDIT, "2k").value == 1274


def test_a_text_to_image_score_is_never_an_edit_score():
    book = load_catalog().quality
    # Qwen-Image (text-to-image) has an lmarena-t2i figure and no row on the edit board: unscored there
    assert book.figure("qwen-image", T2I) is not None and book.figure("qwen-image", EDIT) is None
    # FLUX.2 [dev] is on both boards with different values: each scale returns its own
    assert book.figure("flux-2-dev", T2I).value == 1149 and book.figure("flux-2-dev", EDIT).value == 1226


# --- an editing question ranks and floors on the edit scale ---------------------------------------------------------


def _edit_catalog(figures):
    raw = json.loads(json.dumps(RAW))
    scale = {"kind": "elo", "higher_is_better": True, "range_note": "x", "source": "test fixture", "measures": "x"}
    raw["quality_book"] = {
        "quality": {"scales": [{**scale, "slug": T2I, "name": "T2I"}, {**scale, "slug": EDIT, "name": "Edit"}],
                    "figures": [{"model": m, "scale": s, "value": v, "source": "test fixture", "as_of": "2026-04-22",
                                 "solidity": "leaderboard-snapshot"} for m, s, v in figures]},
        "keep_rates": {"entries": []}, "votes": [], "root": "test-catalog"}
    return build_catalog(raw, "test-catalog")


def _run(cat, **kw):
    return D.recommend(D.Scenario(**{"volume_images_per_month": 500, "commercial": False, **kw}), catalog=cat,
                       estimator=fake_estimate)


def test_input_images_rank_on_the_edit_scale_by_default():
    cat = _edit_catalog([("big", T2I, 1300), ("pro", T2I, 1000), ("big", EDIT, 1100), ("pro", EDIT, 1250)])
    r = _run(cat, input_megapixels=1.0)
    assert r.assumptions["quality_scale"] == DEFAULT_EDIT_SCALE == EDIT
    assert r.frontier["scale"] == EDIT
    by_model = {o.model: o.quality_elo for o in r.options}
    assert by_model == {"big": 1100, "pro": 1250}  # the edit figures, not big's 1300 / pro's 1000 text-to-image
    # a text-to-image question keeps the text-to-image scale; a scale the user names wins
    assert _run(cat).assumptions["quality_scale"] == T2I
    assert _run(cat, input_megapixels=1.0, quality_scale=T2I).assumptions["quality_scale"] == T2I


def test_a_model_with_only_a_text_to_image_score_is_unscored_on_an_edit_question():
    cat = _edit_catalog([("big", T2I, 1300), ("pro", EDIT, 1250)])
    r = _run(cat, input_megapixels=1.0)
    assert all(o.quality_elo is None for o in r.options if o.model == "big")
    assert all(s["quality"] != 1300 for s in r.frontier["steps"])


def test_edit_floor_known_answer_real_catalog():
    """Under an edit-scale floor of 1150 the recommendation, and every option kept, scores at least 1150 on the edit
    board (figures as loaded); an option without its own edit row is excluded, and the pick is the cheapest kept
    option with a complete cost."""
    cat = load_catalog()
    floor = 1150.0
    r = D.recommend(D.Scenario(volume_images_per_month=2000, input_megapixels=1.0,
                               min_quality=f"{EDIT}:{floor:g}"), catalog=cat)
    assert r.assumptions["quality_scale"] == EDIT
    pick = r.option(r.recommendation.option_id)
    f = figure_for(cat, pick, EDIT)
    assert f is not None and f.scale == EDIT and f.value >= floor and pick.quality_elo == f.value
    for o in r.options:
        g = figure_for(cat, o, EDIT)
        assert g is not None and g.value >= floor, o.id
    # an unscored tier is excluded, never imputed: gpt-image-2 low has no row on the edit board
    ex = {e.id: e for e in r.excluded}
    low = next(i for i in ex if i.startswith("api:openai-gpt-image-2-low"))
    assert "has no figure of its own" in ex[low].reasons[0]
    # the pick is the cheapest option whose licence cost is known among those over the floor (hand check: min cost)
    known = [o for o in r.options if o.license_fee_known]
    assert pick.monthly_cost_usd == pytest.approx(min(o.monthly_cost_usd for o in known))


def test_recommend_page_floor_is_on_the_edit_board_with_reference_images():
    """With reference images the page's quality floor is an image-edit floor: a text-to-image score says nothing
    about how a model edits."""
    import json
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from advisor import decide as D

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180).run()
    at.switch_page("views/recommend.py").run()
    at.number_input(key="volume").set_value(2000)
    at.number_input(key="input_megapixels").set_value(1.0)
    at.select_slider(key="min_quality_floor").set_value(1150)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = D.Scenario.from_dict(json.loads(at.session_state["scenario_json"]))
    assert shown.min_quality == "lmarena-image-edit:1150" and shown.input_megapixels == 1.0

"""Quality with provenance (issue 10): the quality book, Wilson intervals, the floor, the Pareto frontier, keep rates
in costs, and the Bradley-Terry fit of a studio's votes. Hand-made catalogs with a fake estimator (tests/test_decide)."""

from __future__ import annotations

import json
import math

import pytest

from advisor import decide as D
from advisor.catalog import build_catalog, load_catalog
from advisor.catalog.quality import build_quality, parse_min_quality, wilson_interval
from advisor.decide.quality import pareto_frontier
from advisor.errors import CatalogError, InputError
from advisor.fit.votes import fit_bradley_terry, fit_votes, parse_votes, write_votes_profile
from tests.test_decide import RAW, fake_estimate

SCALE = {"slug": "arena", "name": "Test Arena", "kind": "elo", "higher_is_better": True, "range_note": "x",
         "source": "test fixture", "measures": "x"}


def fig(model, value, as_of="2026-01-01", scale="arena", **kw):
    return {"model": model, "scale": scale, "value": value, "sample_size": kw.pop("n", None), "source": "test fixture",
            "as_of": as_of, "solidity": "leaderboard-snapshot", **kw}


def book_raw(figures, keep=(), pairwise=()):
    return {"quality": {"scales": [SCALE, {**SCALE, "slug": "bench", "name": "Bench"}], "figures": list(figures),
                        "pairwise": list(pairwise)},
            "keep_rates": {"entries": list(keep)}, "votes": [], "root": "test-catalog"}


def catalog_with(figures, keep=()):
    raw = json.loads(json.dumps(RAW))
    raw["quality_book"] = book_raw(figures, keep)
    return build_catalog(raw, "test-catalog")


def run(cat, **kw):
    return D.recommend(D.Scenario(**{"volume_images_per_month": 500, "commercial": False, **kw}), catalog=cat,
                       estimator=fake_estimate)


# --- the catalog's quality data -----------------------------------------------------------------------------------


def test_real_catalog_coverage():
    """Done-when: at least 3 of the 6 pipelines and 10 API offers carry a sourced quality figure."""
    cat = load_catalog()
    book = cat.quality
    scored_pipes = [p for p in cat.pipelines if book.figures_for(p)]
    scored_apis = [a for a in cat.apis.values() if book.figures_for(a.model_slug)]
    assert len(scored_pipes) >= 3, scored_pipes
    assert len(scored_apis) >= 10, [a.slug for a in scored_apis]
    for f in book.figures:  # every figure keeps its scale, source and date
        assert f.scale in book.scales and len(f.source) >= 3 and f.as_of


def test_real_catalog_known_figures():
    book = load_catalog().quality
    # LMArena snapshot of 2026-04-22 (profiles/quality.yaml): FLUX.2 [dev] 1149 +- 5 over 54,558 votes
    apr = [f for f in book.figures_for("flux-2-dev") if f.scale == "lmarena-t2i" and f.as_of == "2026-04-22"]
    assert len(apr) == 1 and apr[0].value == 1149 and apr[0].sample_size == 54558
    assert apr[0].interval() == (1144, 1154)
    # the keep rate the issue quotes: acceptable hands in 100 portraits, FLUX.2 [dev] 92%, Z-Image Turbo 86%
    assert book.keep_rate("flux-2-dev", "portrait").value == 0.92
    assert book.keep_rate("z-image-turbo", "portrait").value == 0.86
    assert book.keep_rate("z-image-turbo", "general") is None  # unscored stays unscored


def test_wilson_known_answers():
    # p = 0.92, n = 100, z = 1.959964: z^2 = 3.841459; denom = 1.03841459;
    # centre = (0.92 + 0.01920729) / 1.03841459 = 0.904469; half = 1.959964 x sqrt(0.000736 + 0.0000960365)
    #   / 1.03841459 = 1.959964 x 0.0288450 / 1.03841459 = 0.054443 -> (0.8500, 0.9589) (the draft's table)
    lo, hi = wilson_interval(0.92, 100)
    assert lo == pytest.approx(0.8500, abs=5e-5) and hi == pytest.approx(0.9589, abs=5e-5)
    # p = 0.54, n = 30 (the blog's blind A/B): (0.3675, 0.7034)
    lo, hi = wilson_interval(0.54, 30)
    assert lo == pytest.approx(0.3675, abs=5e-5) and hi == pytest.approx(0.7034, abs=5e-5)
    with pytest.raises(ValueError):
        wilson_interval(1.2, 10)


def test_figure_picks_latest_snapshot_and_never_mixes_scales():
    book = build_quality(book_raw([fig("m", 1000, "2026-01-01"), fig("m", 1010, "2026-07-01"),
                                   fig("m", 0.9, "2026-12-01", scale="bench")]))
    assert book.figure("m", "arena").value == 1010
    assert book.figure("m", "bench").value == 0.9
    assert book.figure("other", "arena") is None


def test_one_snapshot_per_scale_never_mixes_dates():
    # two snapshots of one arena: 2026-04 has a, b and d, 2026-07 only b and c. Rankings use the fuller April one,
    # so b is ranked on its April value against a's April value; c, scored only in July, is unscored (not imputed)
    figs = [fig("a", 1100, "2026-04-22"), fig("b", 1050, "2026-04-22"), fig("d", 1000, "2026-04-22"),
            fig("b", 1070, "2026-07-02"), fig("c", 1200, "2026-07-02")]
    book = build_quality(book_raw(figs))
    assert book.snapshot("arena") == "2026-04-22"
    assert book.figure("b", "arena").value == 1050 and book.figure("c", "arena") is None
    assert book.scored_models("arena") == {"a", "b", "d"}
    # an explicit ranking_snapshot wins over the count
    raw = book_raw(figs)
    raw["quality"]["scales"][0] = {**SCALE, "ranking_snapshot": "2026-07-02"}
    book = build_quality(raw)
    assert book.figure("b", "arena").value == 1070 and book.figure("a", "arena") is None


TIERS = {"model": "tm", "tiers": ["low", "medium", "high"], "source": "test fixture", "as_of": "2026-01-01"}


def test_a_tier_without_its_own_figure_is_unscored():
    raw = book_raw([fig("tm", 1500, variant="medium"), fig("tm", 1400)])  # 1400: tier not published
    raw["quality"]["tiered_models"] = [TIERS]
    book = build_quality(raw)
    assert book.figure("tm", "arena", "medium").value == 1500
    assert book.figure("tm", "arena", "low") is None  # the medium figure never scores the low tier
    assert book.figure("tm", "arena", "high") is None  # nor does a figure whose tier is not published
    assert book.figure("tm", "arena") is None


def test_a_figure_of_another_weight_format_does_not_count():
    book = build_quality(book_raw([fig("m", 970, variant="fp8")]))  # e.g. the arena's 'flux-1-dev-fp8' row
    assert book.figure("m", "arena", "fp8").value == 970
    assert book.figure("m", "arena", "bf16") is None and book.figure("m", "arena") is None
    book = build_quality(book_raw([fig("m", 970, variant="fp8"), fig("m", 1000)]))
    assert book.figure("m", "arena", "fp8").value == 970 and book.figure("m", "arena", "bf16").value == 1000


def test_floor_scores_each_priced_tier_on_its_own():
    raw = json.loads(json.dumps(RAW))
    raw["apis"] += [{"slug": f"tm-{t}", "provider": "P3", "model": "tm", "variant": t, "pricing": "per-image",
                     "per_image_usd": {"value": price, "source": "test fixture", "as_of": "2026-01-01"}}
                    for t, price in (("low", 0.001), ("medium", 0.05))]
    raw["quality_book"] = book_raw([fig("tm", 1500, variant="medium"), fig("small", 1000)])
    raw["quality_book"]["quality"]["tiered_models"] = [TIERS]
    cat = build_catalog(raw, "test-catalog")
    r = run(cat, min_quality="arena:1100")
    # the cheap low tier would win on cost, but 1500 was measured on medium: low is unscored and excluded
    assert r.recommendation.option_id == "api:tm-medium"
    assert r.option("api:tm-medium").quality_elo == 1500
    ex = {e.id: e for e in r.excluded}
    assert "tm (low) has no figure of its own on Test Arena" in ex["api:tm-low"].reasons[0]


def test_real_catalog_gpt_image_2_tiers_and_one_lmarena_snapshot():
    book = load_catalog().quality
    assert book.snapshot("lmarena-t2i") == "2026-04-22"
    assert book.figure("gpt-image-2", "lmarena-t2i", "medium").value == 1507  # 'gpt-image-2 (medium)'
    assert book.figure("gpt-image-2", "lmarena-t2i", "low") is None
    assert book.figure("gpt-image-2", "lmarena-t2i", "high") is None
    # FLUX.2 [dev] is ranked on its April value, never on July's 1148 next to other models' April values
    assert book.figure("flux-2-dev", "lmarena-t2i").value == 1149


def test_unknown_scale_in_file_is_a_catalog_error():
    with pytest.raises(CatalogError, match="unknown scale 'nope'"):
        build_quality(book_raw([fig("m", 1, scale="nope")]))


@pytest.mark.parametrize("text", ["arena", "arena:abc", "nope:1100", "arena:1:2", "arena:nan"])
def test_parse_min_quality_errors(text):
    book = build_quality(book_raw([fig("m", 1000)]))
    with pytest.raises(InputError, match=r"min_quality: got .*allowed: SCALE:VALUE with SCALE one of arena, bench"):
        parse_min_quality(text, book)


# --- floor, frontier, ranking -------------------------------------------------------------------------------------


def test_pareto_frontier_hand():
    # (cost, quality): A (1, 10) B (2, 20) C (2, 15) dominated by B; D (3, 20) dominated by B (same q, dearer);
    # E (0.5, 5) cheapest -> frontier: A, B, E
    pts = [(1, 10), (2, 20), (2, 15), (3, 20), (0.5, 5)]
    assert pareto_frontier(pts) == [True, True, False, False, True]
    assert pareto_frontier([(1, 1), (1, 1)]) == [True, True]  # equal points do not dominate each other


def test_quality_floor_is_a_hard_constraint():
    cat = catalog_with([fig("small", 1000), fig("pro", 1200)])
    r = run(cat, min_quality="arena:1100")
    assert {o.model for o in r.options} == {"pro"}
    ex = {e.id: e for e in r.excluded}
    assert "small scores 1000 on Test Arena" in ex["api:small-api"].reasons[0]
    assert "under your floor of 1100" in ex["api:small-api"].reasons[0]
    assert r.assumptions["quality_scale"] == "arena"


def test_quality_floor_on_a_scale_no_option_has():
    cat = catalog_with([fig("small", 1000)])
    with pytest.raises(InputError, match=r"min_quality: got 'bench:0.5'; allowed: a scale at least one option"):
        run(cat, min_quality="bench:0.5")


def test_unscored_models_are_excluded_by_a_floor_not_imputed():
    cat = catalog_with([fig("pro", 1200)])
    r = run(cat, min_quality="arena:0")
    ex = {e.id: e for e in r.excluded}
    assert "small has no figure of its own on Test Arena" in ex["api:small-api"].reasons[0]


def test_need_quality_ranks_along_the_frontier():
    cat = catalog_with([fig("small", 1000), fig("pro", 1200)])
    r = run(cat, needs=["quality"], quality_scale="arena")
    # pro (1200) is on the frontier (highest quality); small's cheapest option (1000, cheapest) too: pro first
    assert r.options[0].model == "pro"
    assert any(x.startswith("Rule: ranked along the cost-per-image vs quality Pareto frontier on Test Arena")
               for x in r.recommendation.reasons)


# --- what quality costs: the frontier that opens the answer ---------------------------------------------------------


def test_frontier_hand():
    """Cheapest, then the cheapest at each higher score. Owned RTX 4090 (fake estimator), personal use."""
    cat = catalog_with([fig("small", 1000), fig("big", 1100), fig("pro", 1200), fig("nc", 900)])
    r = run(cat, gpu_owned="rtx-4090")
    steps = r.frontier["steps"]
    # pro-api: $0.03 first MP x 500 images x 1.25 attempts (failure rate 0.2 -> 1 / 0.8) = $18.75/month, the
    # only 1200; it closes the list
    assert steps[-1]["option_id"] == "api:pro-api" and steps[-1]["monthly_cost_usd"] == pytest.approx(18.75)
    assert steps[0]["monthly_cost_usd"] == min(o.monthly_cost_usd for o in r.options)
    qs = [s["quality"] for s in steps]
    assert qs == sorted(set(qs)) and qs == [1000, 1100, 1200]  # nc (900) costs the same as small (1000): left off
    assert [s["model"] for s in steps] == ["small", "big", "pro"]
    # no option off the list is both as cheap as and at least as good as a step: each is dominated by a step
    on = {s["option_id"] for s in steps}
    for o in r.options:
        if o.id not in on and o.quality_elo is not None:
            assert any(s["monthly_cost_usd"] <= o.monthly_cost_usd and s["quality"] >= o.quality_elo for s in steps)
    assert r.frontier["text"].count("->") == 2 and "(1200)" in r.frontier["text"]
    assert r.to_json_dict()["frontier"] == r.frontier


def test_frontier_says_when_the_pick_scores_below_the_owned_cards_models():
    cat = catalog_with([fig("small", 1000), fig("big", 1100), fig("nc", 900)])
    r = run(cat, gpu_owned="rtx-4090")
    pick = r.option(r.recommendation.option_id)
    owned_models = {o.model for o in r.options if o.hardware == "owned"}
    best = {m: max((o.quality_elo for o in r.options if o.model == m and o.quality_elo is not None), default=None)
            for m in owned_models}
    above = sorted(m for m, q in best.items() if q is not None and (pick.quality_elo is None or q > pick.quality_elo))
    assert above  # the fake catalog's pick (the cheapest) is not its best model
    assert sorted(d["model"] for d in r.frontier["named_better"]) == above
    assert r.frontier["warning"].startswith("Quality: the pick") and "models your RTX-4090 runs" in \
        r.frontier["warning"]
    # no owned card and no named models: nothing to compare the pick with
    assert run(cat).frontier["warning"] is None


def test_cli_recommend_opens_with_the_frontier():
    from typer.testing import CliRunner

    from advisor.cli import app

    res = CliRunner().invoke(app, ["recommend", "--volume", "500", "--gpu", "rtx-4090", "--no-risk"],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert first.startswith("What quality costs (LMArena") and "->" in first
    assert "Quality: the pick" in res.output.split("Recommendation:")[0]
    js = CliRunner().invoke(app, ["recommend", "--volume", "500", "--gpu", "rtx-4090", "--no-risk", "--format",
                                  "json"])
    front = json.loads(js.stdout)["frontier"]
    assert front["scale"] == "lmarena-t2i" and front["snapshot"] == "2026-04-22"
    assert [s["quality"] for s in front["steps"][1:]] == sorted({s["quality"] for s in front["steps"][1:]})


# --- keep rates in costs ------------------------------------------------------------------------------------------


KEEP = {"model": "small", "kind_of_work": "portrait", "metric": "keep_rate", "criterion": "hands ok", "value": 0.8,
        "n": 100, "source": "test fixture", "as_of": "2026-01-01", "solidity": "single-reviewer"}


def test_keep_rate_raises_cost_per_kept_image_hand():
    cat = catalog_with([fig("small", 1000)], keep=[KEEP])
    base = run(cat).option("api:small-api")
    port = run(cat, kind_of_work="portrait").option("api:small-api")
    # 0.005 USD/MP x 1 MP x 500 images x 1.25 attempts = 3.125 USD/month; keep 0.8 -> x 1/0.8 = 3.90625
    assert base.monthly_cost_usd == pytest.approx(3.125, rel=1e-12)
    assert port.monthly_cost_usd == pytest.approx(3.90625, rel=1e-12)
    assert port.keep_rate == 0.8 and "hands ok" in port.keep_rate_source
    # the scenario's own keep rate wins over the catalog's: 0.5 -> 3.125 / 0.5 = 6.25
    mine = run(cat, kind_of_work="portrait", keep_rates={"small": 0.5}).option("api:small-api")
    assert mine.monthly_cost_usd == pytest.approx(6.25, rel=1e-12)


def test_keep_rate_raises_gpu_time_hand():
    cat = catalog_with([], keep=[KEEP])
    o = run(cat, kind_of_work="portrait", gpu_owned="rtx-4090").option("self-host:owned:rtx-4090:small:bf16")
    # fake estimator: small (6B) on the 4090 bf16 = 6 x 0.5 / 1 = 3 s; 1.25 attempts / 0.8 keep = 1.5625 -> 4.6875 s
    assert o.gpu_seconds_per_kept_image == pytest.approx(4.6875, rel=1e-12)
    # busy hours: 500 x 4.6875 s / 3600 = 0.65104 h
    assert o.gpu_hours_per_month == pytest.approx(500 * 4.6875 / 3600, rel=1e-12)


def test_keep_rate_scenario_errors():
    with pytest.raises(InputError, match=r"keep_rates.small: got 0.0; allowed: a mapping of model slug"):
        D.Scenario(volume_images_per_month=5, keep_rates={"small": 0})


# --- a studio's own votes: Bradley-Terry ------------------------------------------------------------------------------


def test_bradley_terry_known_answer():
    # A beats B 3 times, B beats A once. Two-item BT MLE: P(A>B) = 3/4 = 1/(1+exp(-(tA-tB))) -> tA-tB = ln 3;
    # centred: tA = ln3/2 = 0.549306, tB = -0.549306.
    pairs = [("a", "b")] * 3 + [("b", "a")]
    t = fit_bradley_terry(pairs)
    assert t["a"] == pytest.approx(math.log(3) / 2, abs=1e-6)
    assert t["b"] == pytest.approx(-math.log(3) / 2, abs=1e-6)
    # on the Elo-like scale: 400 log10(3) = 190.849 points apart around 1000
    prof = fit_votes("model_a,model_b,winner\n" + "a,b,a\n" * 3 + "a,b,b\nb,a,tie\n", name="Test votes",
                     today=__import__("datetime").date(2026, 12, 2))
    vals = {f["model"]: f["value"] for f in prof["figures"]}
    assert vals["a"] - vals["b"] == pytest.approx(400 * math.log10(3), abs=1e-2)
    assert vals["a"] + vals["b"] == pytest.approx(2000, abs=1e-2)
    assert prof["scales"][0]["slug"] == "studio-votes-test-votes-2026-12-02"
    assert "1 ties left out" in prof["scales"][0]["range_note"]


def test_bradley_terry_three_models_symmetric_cycle():
    # a>b, b>c, c>a once each: every model wins once and loses once -> all strengths equal (0)
    t = fit_bradley_terry([("a", "b"), ("b", "c"), ("c", "a")])
    assert all(abs(v) < 1e-9 for v in t.values())


@pytest.mark.parametrize("text, match", [
    ("a,b,c\n1,2,3\n", "votes CSV: got \"columns"),
    ("model_a,model_b,winner\na,b,z\n", r"votes CSV line 2: got \"winner 'z'\""),
    ("model_a,model_b,winner\na,a,a\n", "votes CSV line 2"),
    ("model_a,model_b,winner\n", "no decisive votes"),
])
def test_votes_csv_errors(text, match):
    with pytest.raises(InputError, match=match):
        parse_votes(text)


def test_votes_never_losing_model_is_refused():
    with pytest.raises(InputError, match="not strongly connected"):
        fit_bradley_terry([("a", "b"), ("a", "b")])


def test_votes_profile_is_read_by_the_catalog(tmp_path):
    import shutil

    root = tmp_path / "profiles"
    shutil.copytree(load_catalog().root, root)
    prof = fit_votes("model_a,model_b,winner\nz-image-turbo,flux-2-dev,z-image-turbo\n"
                     "z-image-turbo,flux-2-dev,flux-2-dev\nz-image-turbo,flux-2-dev,z-image-turbo\n", name="mine")
    write_votes_profile(prof, root / "quality_votes" / "mine.yaml")
    cat = load_catalog(root)
    slug = prof["scales"][0]["slug"]
    assert cat.quality.figure("z-image-turbo", slug).solidity == "studio"
    # 2 wins of 3: t_z - t_f = ln 2 -> 400 log10(2) = 120.41 points
    gap = cat.quality.figure("z-image-turbo", slug).value - cat.quality.figure("flux-2-dev", slug).value
    assert gap == pytest.approx(400 * math.log10(2), abs=1e-2)

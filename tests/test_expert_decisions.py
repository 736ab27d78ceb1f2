"""An expert decision suite: studio scenarios run through the real catalog and engine, each with the decision a
GPU-economics reviewer would sign and why (the docstring), asserting properties (which kind wins, the order, what is
excluded and why), never pinned totals.

People's time uses the studio defaults the CLI uses when no scenario file is given
(:func:`advisor.cost.scenario.with_studio_people_defaults`: 8 h set-up, 2 h/month upkeep, $50/h, and the stated
per-kind defaults of profiles/defaults.yaml). A scenario where the engine's answer is not the expert's is written as
the expert's answer and marked ``xfail(strict=True)`` with the engine's numbers in the reason.

Kinds: own (owned card), buy (a bought machine), rent (cloud GPU: pod or serverless), api.
"""

from __future__ import annotations

import math

import pytest

from advisor.catalog import load_catalog
from advisor.cost.scenario import Scenario, with_studio_people_defaults
from advisor.decide.compare import compare
from advisor.decide.engine import recommend

MODELS = ["z-image-turbo", "flux-2-dev"]  # the studio's question: Z-Image Turbo or FLUX.2 [dev]
OWNED = ["rtx-3060-12gb", "rtx-4070-ti-super", "rtx-4090"]
SELF_RUN = ("own", "buy", "rent")


# --- shared engine runs (the engine is deterministic; each scenario is run once per module) -------------------------

class Engine:
    """Memoised ``recommend`` / ``compare`` on the real catalog. ``people=True`` adds the CLI's studio defaults."""

    def __init__(self) -> None:
        self._cache: dict[str, object] = {}
        self.catalog = load_catalog()

    @staticmethod
    def scenario(people: bool = True, **kw) -> Scenario:
        return Scenario(**(with_studio_people_defaults(kw) if people else kw))

    def rec(self, people: bool = True, **kw):
        key = "rec" + repr((people, sorted(kw.items())))
        if key not in self._cache:
            self._cache[key] = recommend(self.scenario(people, **kw))
        return self._cache[key]

    def cmp(self, **kw):
        key = "cmp" + repr(sorted(kw.items()))
        if key not in self._cache:
            self._cache[key] = compare(MODELS, self.scenario(True, **kw))
        return self._cache[key]

    def results(self):
        """Every engine Result computed so far (compare results give their engine run)."""
        return [r.engine if k.startswith("cmp") else r for k, r in self._cache.items()]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def kind(o) -> str:
    """own | buy | rent | api of an engine Option."""
    return {"owned": "own", "purchase": "buy", "rental": "rent"}.get(o.hardware, "api" if o.deployment == "api"
                                                                     else "rent")


def pick(res):
    return res.option(res.recommendation.option_id)


def cheapest(res, pred):
    return min((o for o in res.options if pred(o)), key=lambda o: o.monthly_cost_usd, default=None)


def find(res, **attrs):
    """The one option with these attribute values (e.g. hardware, gpu, model, precision, offer, spot)."""
    hits = [o for o in res.options if all(getattr(o, k, None) == v for k, v in attrs.items())]
    assert len(hits) == 1, (attrs, [o.id for o in hits])
    return hits[0]


def serverless(engine: Engine, o) -> bool:
    return o.deployment == "cloud-gpu" and bool(engine.catalog.rentals[o.offer].serverless)


def compare_pick(res):
    """(kind, model) of a compare answer, from its rows."""
    row = next(r for r in res.rows() if r.option_id == res.recommendation["option_id"])
    return row.kind, row.model


# --- 1. the volume bands ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("volume", [100, 500, 2_000, 10_000])
def test_up_to_10k_a_month_without_a_gpu_pays_an_api(engine, volume):
    """100 to 10,000 images a month, no GPU: use an API. At $0.003-0.005 per image the bill is $3-$55 a month,
    while every self-run route (own, buy, rent) pays 2 h/month of software upkeep ($100) before its first image.
    The cheapest self-run route must cost well over the pick (2x: far outside any estimate band)."""
    res = engine.rec(volume_images_per_month=volume)
    top = pick(res)
    assert kind(top) == "api", top.id
    best_self = cheapest(res, lambda o: kind(o) in SELF_RUN)
    assert best_self.monthly_cost_usd > 2 * top.monthly_cost_usd, (best_self.id, best_self.monthly_cost_usd)


def test_100k_a_month_buys_one_card(engine):
    """100,000 images a month, no GPU: buy one consumer card. The cheapest API is about $0.0027/image = ~$280 a
    month; a ~$1,000 desktop makes 100k small-model images in ~120 GPU-hours (one card, well under 730 h) for its
    amortisation, electricity and ~$136 of people's time. The API must cost clearly more (30 %: beyond the ±24 %
    simulator band, which moves only electricity)."""
    res = engine.rec(volume_images_per_month=100_000)
    top = pick(res)
    assert kind(top) == "buy" and top.gpus_needed == 1, top.id
    assert not top.not_practical
    assert cheapest(res, lambda o: kind(o) == "api").monthly_cost_usd > 1.3 * top.monthly_cost_usd


def test_self_hosting_gains_on_the_api_as_volume_grows(engine):
    """Across the bands the cheapest self-run route gains on the cheapest API: its cost is mostly fixed (people,
    amortisation) while the API's is per image, so the ratio self/API falls with volume and crosses 1 between
    10,000 and 100,000 images a month (the article's 'self-host pays from tens of thousands a month')."""
    ratios = []
    for volume in (100, 500, 2_000, 10_000, 100_000):
        res = engine.rec(volume_images_per_month=volume)
        ratios.append(cheapest(res, lambda o: kind(o) in SELF_RUN).monthly_cost_usd
                      / cheapest(res, lambda o: kind(o) == "api").monthly_cost_usd)
    assert all(a > b for a, b in zip(ratios, ratios[1:])), ratios
    assert ratios[3] > 1 > ratios[4], ratios


# --- 2. owned RTX 3060 / 4070 Ti SUPER / 4090, Z-Image Turbo vs FLUX.2 [dev] -------------------------------------

@pytest.mark.parametrize("gpu", OWNED)
def test_an_owned_card_at_500_a_month_still_pays_the_api(engine, gpu):
    """Owned card, 500 images a month, Z-Image Turbo vs FLUX.2 [dev]: the Z-Image Turbo API ($5 a month). Running
    the owned card means keeping a stack up to date (2 h/month = $100) for 500 images; the API's only people's time
    is a 2 h integration. The own row is still shown (the studio asked about its card) and costs more."""
    res = engine.cmp(volume_images_per_month=500, gpu_owned=gpu)
    assert compare_pick(res) == ("api", "z-image-turbo")
    own = next(r for r in res.rows() if r.model == "z-image-turbo" and r.kind == "own")
    top = next(r for r in res.rows() if r.option_id == res.recommendation["option_id"])
    assert own.monthly_cost_usd > top.monthly_cost_usd


def test_owned_card_speeds_follow_the_cards(engine):
    """Fastest setting on each owned card (128 GB host RAM, so the RAM limit does not choose the setting): a 4090
    beats a 4070 Ti SUPER, which beats a 3060, for both models. FLUX.2 [dev] at the studio's 28 steps is
    recognisable against the article (4090 FP8 28 s and 4070 Ti SUPER 52 s at 20 steps, i.e. ~39 s and ~73 s at 28):
    within 0.5x-2x (offload strategy and text encoding differ between runs)."""
    fastest = {}
    for gpu in OWNED:
        res = engine.rec(volume_images_per_month=2_000, gpu_owned=gpu, host_ram_gb=128)
        for m in MODELS:
            secs = [o.seconds_per_image for o in res.options if o.hardware == "owned" and o.model == m]
            fastest[gpu, m] = min(secs)
    for m in MODELS:
        assert fastest["rtx-4090", m] < fastest["rtx-4070-ti-super", m] < fastest["rtx-3060-12gb", m], m
    for gpu, article_s in (("rtx-4090", 28 * 28 / 20), ("rtx-4070-ti-super", 52 * 28 / 20)):
        assert 0.5 * article_s <= fastest[gpu, "flux-2-dev"] <= 2 * article_s, (gpu, fastest[gpu, "flux-2-dev"])


def test_owned_4070_ti_super_at_100k_runs_z_image_turbo_on_it(engine):
    """Owned 4070 Ti SUPER, 100,000 images a month: run Z-Image Turbo on the card you have. It makes an image in
    ~8 s (~230 GPU-hours a month, a third of the month); the API would cost ~$500 a month and buying another machine
    adds hardware to the same people's time."""
    res = engine.cmp(volume_images_per_month=100_000, gpu_owned="rtx-4070-ti-super")
    assert compare_pick(res) == ("own", "z-image-turbo")


def test_an_owned_4090_overtakes_the_z_image_turbo_api_between_10k_and_100k(engine):
    """Owned 4090, Z-Image Turbo: at 10,000 images a month the API (~$54) still beats the card (holding ~$35 +
    people ~$136 + electricity); the card's cost barely grows with volume while the API's grows $5 per 1,000, so
    they cross in the tens of thousands (the review: 'API vs own card about 25-40k'), and the stated crossing agrees
    with the two rows at 10k."""
    res = engine.cmp(volume_images_per_month=10_000, gpu_owned="rtx-4090")
    zit = next(m for m in res.models if m.model == "z-image-turbo")
    own = next(r for r in zit.rows if r.kind == "own")
    api = min((r for r in zit.rows if r.kind == "api"), key=lambda r: r.monthly_cost_usd)
    assert compare_pick(res) == ("api", "z-image-turbo") and own.monthly_cost_usd > api.monthly_cost_usd
    assert 10_000 < zit.self_host_overtakes_api_images_per_month < 100_000
    assert zit.self_host_overtakes_api_images_per_month < own.capacity_images_per_month


def test_owned_4090_at_100k_is_kept(engine):
    """Owned 4090, 100,000 images a month: keep the 4090 and run Z-Image Turbo on it (~4 s/image, ~115 GPU-hours).
    Selling it to buy a box with a slower card (3x the seconds per image, 3x the busy hours) saves less than the
    estimate's own uncertainty, and nothing once the 4090's resale is counted net of selling fees like a bought
    box's. No one would sign 'sell the 4090 and buy a slower card' here."""
    res = engine.cmp(volume_images_per_month=100_000, gpu_owned="rtx-4090")
    assert compare_pick(res)[0] == "own"


#: the monthly volume's coefficient of variation the engine itself assumes (Scenario.volume_relative_sd default)
VOLUME_RELATIVE_SD = 0.25
Z_90 = 1.2816  # standard normal 90th percentile


def test_a_self_hosted_plan_keeps_headroom_for_a_busy_month(engine):
    """A card planned at ~100 % of the month's hours has no room for retries, updates or a busy month, and its queue
    never drains. With the engine's own volume spread (relative SD 0.25), the 90th-percentile month needs 1.32x the
    mean, so one card should be planned at no more than 730 h / 1.32 = 553 busy hours; beyond that the plan needs
    another card (and its cost)."""
    res = engine.cmp(volume_images_per_month=100_000, gpu_owned="rtx-4090").engine
    limit_h = 730.5 / (1 + Z_90 * VOLUME_RELATIVE_SD)
    over = [(o.id, round(o.gpu_hours_per_month / o.gpus_needed)) for o in res.options
            if o.deployment == "self-host" and o.gpu_hours_per_month / o.gpus_needed > limit_h]
    assert not over, (len(over), over[:3])


@pytest.mark.parametrize("volume", [500, 5_000, 100_000])
def test_flux2_dev_on_an_owned_3060_is_never_the_answer(engine, volume):
    """Owned RTX 3060 12 GB: FLUX.2 [dev] (32B + 24B text encoder) does not run there in any way people work with:
    minutes per image with offload and documented failures. It is never the pick, and the 3060's FLUX.2 [dev]
    route is either excluded (host RAM) or flagged not practical."""
    res = engine.cmp(volume_images_per_month=volume, gpu_owned="rtx-3060-12gb")
    assert compare_pick(res) != ("own", "flux-2-dev")
    own_flux = [r for r in res.rows() if r.model == "flux-2-dev" and r.kind == "own"]
    for r in own_flux:
        assert res.engine.option(r.option_id).not_practical, r.option_id


# --- 3. keep or sell the owned card -------------------------------------------------------------------------------

def test_keep_or_sell_a_4090_at_500_a_month(engine):
    """Owned 4090 (resells for ~$2,000), 500 images a month: sell it and use the API. Keeping it costs its used
    price's decline plus the interest on the money (~$35/month): more than the whole API bill. The engine must
    count that holding cost as the card's hardware cost, date its used price, show the sunk view beside it
    (holding - sunk = the holding cost) and say that selling costs less."""
    res = engine.rec(volume_images_per_month=500, gpu_owned="rtx-4090")
    assert kind(pick(res)) == "api"
    own = cheapest(res, lambda o: o.hardware == "owned")
    assert own.owned_card_view == "holding" and own.holding_usd_per_month > 0 and own.used_price_as_of
    assert own.cost_breakdown_usd["hardware"] == pytest.approx(own.holding_usd_per_month)
    assert own.monthly_cost_other_view_usd == pytest.approx(own.monthly_cost_usd - own.holding_usd_per_month)
    keep = next(r for r in res.recommendation.reasons if r.startswith("Keep or sell"))
    assert "costs less" in keep and "keeping it costs less" not in keep


def test_without_peoples_time_the_view_of_the_card_decides(engine):
    """Owned 4090, 500 images a month, people's time left out: the rule must be visible in the answer. Sunk view
    (the card costs nothing): run it, 500 images cost cents of electricity. Holding view: keeping a card whose
    holding costs ~$35 a month loses to any route that needs no card (an API at ~$2.55, a rented 4090 for ~1 h of
    work at under $1)."""
    sunk = engine.rec(people=False, volume_images_per_month=500, gpu_owned="rtx-4090", owned_card_view="sunk")
    hold = engine.rec(people=False, volume_images_per_month=500, gpu_owned="rtx-4090")
    assert kind(pick(sunk)) == "own"
    assert kind(pick(hold)) in ("api", "rent")
    assert pick(hold).monthly_cost_usd < cheapest(hold, lambda o: o.hardware == "owned").holding_usd_per_month


def test_an_owned_4070_ti_super_is_not_free(engine):
    """Owned 4070 Ti SUPER: a card that sells for several hundred dollars is not free to keep. Without a dated used
    price the engine should fall back to a stated estimate (e.g. the street price x the catalog's resale fraction),
    not to $0: otherwise keep-or-sell cannot be answered and the 'people's time at zero' answer flips to the card."""
    res = engine.cmp(volume_images_per_month=500, gpu_owned="rtx-4070-ti-super")
    own = cheapest(res.engine, lambda o: o.hardware == "owned")
    assert own.holding_usd_per_month and own.cost_breakdown_usd["hardware"] > 0


def test_buying_a_card_ties_up_capital_like_keeping_one(engine):
    """Money in a bought machine costs the same interest as money in an owned card. Raising the cost of capital
    must raise both the owned card's cost and a bought machine's cost, or the comparison favours buying."""
    base = engine.rec(volume_images_per_month=100_000, gpu_owned="rtx-4090")
    dear = engine.rec(volume_images_per_month=100_000, gpu_owned="rtx-4090", cost_of_capital_per_year=0.2)
    sel = dict(hardware="purchase", gpu="rtx-3080", model="z-image-turbo", precision="bf16")
    own = dict(hardware="owned", gpu="rtx-4090", model="z-image-turbo", precision="bf16")
    assert find(dear, **own).monthly_cost_usd > find(base, **own).monthly_cost_usd
    assert find(dear, **sel).monthly_cost_usd > find(base, **sel).monthly_cost_usd


# --- 4. people's time, the same for own, rent and API ------------------------------------------------------------

def test_peoples_time_is_counted_the_same_way_for_every_route(engine):
    """A rented GPU needs the same software upkeep as an owned one (images, ComfyUI/diffusers updates, scripts);
    only owned or bought machines need hardware upkeep; only pods started by hand need an operator; an API needs
    an integration but no stack. Every route has a set-up."""
    res = engine.rec(volume_images_per_month=5_000, gpu_owned="rtx-4070-ti-super")
    own = cheapest(res, lambda o: kind(o) == "own")
    buy = cheapest(res, lambda o: kind(o) == "buy")
    pod = cheapest(res, lambda o: kind(o) == "rent" and o.started_by_hand)
    sls = cheapest(res, lambda o: kind(o) == "rent" and serverless(engine, o))
    api = cheapest(res, lambda o: kind(o) == "api")
    parts = {k: o.people_breakdown_usd for k, o in dict(own=own, buy=buy, pod=pod, sls=sls, api=api).items()}
    upkeep = {parts[k]["software_upkeep"] for k in ("own", "buy", "pod", "sls")}
    assert len(upkeep) == 1 and upkeep.pop() > 0, parts
    assert parts["api"]["software_upkeep"] == 0
    assert all(parts[k]["setup"] > 0 for k in parts), parts
    assert parts["own"]["hardware_upkeep"] > 0 and parts["buy"]["hardware_upkeep"] > 0
    assert parts["pod"]["hardware_upkeep"] == parts["sls"]["hardware_upkeep"] == parts["api"]["hardware_upkeep"] == 0
    assert parts["pod"]["operator"] > 0 and parts["sls"]["operator"] == 0


def test_owned_4070_ti_super_at_5000_is_not_a_cheap_rental(engine):
    """The review's case: owned 4070 Ti SUPER, 5,000 images a month, Z-Image Turbo vs FLUX.2 [dev]. It used to
    answer 'rent a spot 4090 at $12.89' because a rental paid no upkeep. Counted the same way, every self-run
    route pays ~$100+ a month of people's time, and the Z-Image Turbo API (~$28) is the answer."""
    res = engine.cmp(volume_images_per_month=5_000, gpu_owned="rtx-4070-ti-super")
    assert compare_pick(res) == ("api", "z-image-turbo")
    rent = next(r for r in res.rows() if r.kind == "rent" and r.model == "z-image-turbo")
    assert rent.cost_breakdown_usd["people"] >= 100  # 2 h/month upkeep at $50/h, the studio default


# --- 5. serverless vs pod, spot vs on-demand ---------------------------------------------------------------------

def _runpod_4090(engine, res, serverless_mode: str | None):
    """Z-Image Turbo bf16 on RunPod's 4090: the pod (None) or the serverless endpoint in the given mode."""
    offer = "runpod-rtx-4090-pod" if serverless_mode is None else "runpod-rtx-4090-serverless"
    hits = [o for o in res.options if o.offer == offer and o.model == "z-image-turbo" and o.precision == "bf16"
            and (serverless_mode is None or getattr(o, "serverless_mode", "") == serverless_mode)]
    assert len(hits) == 1, [o.id for o in hits]
    return hits[0]


def test_at_low_volume_serverless_beats_a_pod(engine):
    """500 images a month: a scale-to-zero endpoint bills seconds of work plus its cold starts and needs no one to
    start and stop it; a pod started by hand every working day pays operator minutes for ~25 images a day.
    Serverless wins; keeping a worker warm all month (730 h) costs more than either."""
    res = engine.rec(volume_images_per_month=500)
    s2z, pod = _runpod_4090(engine, res, "scale-to-zero"), _runpod_4090(engine, res, None)
    warm = _runpod_4090(engine, res, "always-warm")
    assert s2z.monthly_cost_usd < pod.monthly_cost_usd < warm.monthly_cost_usd
    assert warm.gpu_hours_per_month >= 730


def test_at_high_volume_a_pod_beats_serverless(engine):
    """100,000 images a month: a pod at ~$0.47/h running the ~115 h of work beats per-second flex workers at
    $1.12/h that also pay a cold start (boot + 20 GB of weights) whenever requests are more than the idle timeout
    apart. The pod must cost less than the scale-to-zero endpoint on the same card."""
    res = engine.rec(volume_images_per_month=100_000)
    pod, s2z = _runpod_4090(engine, res, None), _runpod_4090(engine, res, "scale-to-zero")
    assert pod.monthly_cost_usd < s2z.monthly_cost_usd


def test_every_rental_bills_at_least_its_work(engine):
    """Whatever the billing mode, a rented GPU is paid for at least the hours it generates: volume x seconds per
    image / 3600. A warm-in-working-hours endpoint that cannot make the month's images with one worker needs more
    workers (or longer hours), and bills them."""
    res = engine.rec(volume_images_per_month=100_000)
    short = [(o.id, round(o.gpu_hours_per_month), round(100_000 * o.seconds_per_image / 3600))
             for o in res.options if kind(o) == "rent"
             and o.gpu_hours_per_month < 100_000 * o.seconds_per_image / 3600 * (1 - 1e-6)]
    assert not short, short[:5]


def test_spot_saves_only_when_reclaims_cost_no_one_time(engine):
    """Vast.ai 4090, Z-Image Turbo, 100,000 images a month: the spot rate bills less GPU money than on-demand.
    With each reclaim handled by hand (the stated 10 minutes), ~12 reclaims a month cost more than the saving and
    on-demand wins; with an automatic requeue (0 minutes), spot wins. Same offer, same setting, counted the same."""
    base = engine.rec(volume_images_per_month=100_000)
    auto = engine.rec(volume_images_per_month=100_000, reclaim_minutes_per_event=0)
    sel = dict(offer="vast-rtx-4090", model="z-image-turbo", precision="bf16")
    for res in (base, auto):
        spot, od = find(res, spot=True, **sel), find(res, spot=False, **sel)
        assert spot.cost_breakdown_usd["rental"] < od.cost_breakdown_usd["rental"]
    spot, od = find(base, spot=True, **sel), find(base, spot=False, **sel)
    assert spot.people_breakdown_usd["reclaims"] > 0 and spot.reclaims_per_month > 0
    assert od.monthly_cost_usd < spot.monthly_cost_usd
    assert find(auto, spot=True, **sel).monthly_cost_usd < find(auto, spot=False, **sel).monthly_cost_usd


# --- 6. a team with a turnaround target ---------------------------------------------------------------------------

def test_team_of_five_with_a_10_minute_p95_uses_an_api(engine):
    """5 people, 5,000 images a month, p95 within 10 minutes: an API, clearly (not 'too close to call'). Requests
    come ~2 minutes apart; scale-to-zero workers stop 5 s after a request, so nearly every request waits a cold
    start (exp(-rate x 5 s) ~ 96 %), and that wait and its bill are counted; a warm GPU costs $100+ a month of
    rental and upkeep for ~6 requests an hour."""
    res = engine.rec(volume_images_per_month=5_000, team_size=5, p95_target_minutes=10)
    top = pick(res)
    assert kind(top) == "api" and not res.recommendation.too_close_to_call
    s2z = [o for o in res.options if serverless(engine, o) and getattr(o, "serverless_mode", "") == "scale-to-zero"]
    assert s2z
    for o in s2z:
        t = o.turnaround
        assert t["cold_starts_simulated"] > 0.5 * t["requests_simulated"], o.id
        assert t["p95_turnaround_minutes"] * 60 >= t["cold_start_seconds"], o.id
    best_gpu = cheapest(res, lambda o: kind(o) in SELF_RUN)
    assert best_gpu.monthly_cost_usd > 3 * top.monthly_cost_usd


def test_a_one_minute_p95_rules_out_scale_to_zero(engine):
    """The same team wanting answers within a minute (p95): a scale-to-zero worker's cold start (60 s boot + ~40 s
    to load 20 GB of weights) alone exceeds it, so those endpoints are excluded with the cold start as the reason,
    whatever the price; warm GPUs (a pod on call, an active worker) and the API (~10 s) meet it."""
    res = engine.rec(volume_images_per_month=5_000, team_size=5, p95_target_minutes=1)
    ex = [e for e in res.excluded if e.id.startswith("cloud-gpu:runpod-rtx-4090-serverless:z-image-turbo")
          and not e.id.endswith(("active-window", "always-warm"))]
    assert ex and all("cold start" in " ".join(e.reasons) for e in ex)
    assert kind(pick(res)) == "api"
    warm = [_runpod_4090(engine, res, None), _runpod_4090(engine, res, "active-window")]
    assert all(o.turnaround["p95_turnaround_minutes"] <= 1 for o in warm)


def test_a_24_hour_deadline_rules_out_the_slow_owned_card(engine):
    """Owned 3060, a batch of 10,000 images due in 24 h: at ~26 s per image the 3060 needs ~73 h, so it is excluded
    with the deadline as the reason; every owned, bought or pod option still offered finishes the batch within the
    24 h (serverless endpoints scale out per request, so one worker's batch time does not apply to them)."""
    res = engine.rec(volume_images_per_month=10_000, gpu_owned="rtx-3060-12gb", deadline_hours=24,
                     batch_images=10_000)
    ex = [e for e in res.excluded if e.id.startswith("self-host:owned") and e.pipeline == "z-image-turbo"]
    assert ex and all("deadline" in " ".join(e.reasons) for e in ex)
    timed = [o for o in res.options if kind(o) in SELF_RUN and not serverless(engine, o)]
    assert timed and all(o.batch_hours is not None and o.batch_hours <= 24 for o in timed)


# --- 7. editing, Chinese text, licences ---------------------------------------------------------------------------

def test_reference_images_cost_compute_on_every_route(engine):
    """Editing with 2 MP of reference images per request (FLUX.2 [dev], owned 4090): the references are extra image
    tokens in the transformer's sequence (2 MP = 2x the output's tokens, tripling it), so self-hosted and rented
    seconds per image rise by well over half, as the API bill (billed per input MP) does. Text-only models
    (FLUX.1 [schnell]) cannot take the images and are excluded with that reason; at 2 MP the 4090's FLUX.2 [dev]
    route takes minutes per image and is flagged not practical."""
    plain = engine.rec(volume_images_per_month=2_000, gpu_owned="rtx-4090")
    edit = engine.rec(volume_images_per_month=2_000, gpu_owned="rtx-4090", input_megapixels=2)
    for sel in (dict(hardware="owned", model="flux-2-dev", precision="nf4"),
                dict(offer="runpod-rtx-4090-pod", model="flux-2-dev", precision="bf16")):
        assert find(edit, **sel).seconds_per_image > 1.5 * find(plain, **sel).seconds_per_image, sel
    api = dict(offer="fal-flux-2-dev")
    assert find(edit, **api).monthly_cost_usd > 1.5 * find(plain, **api).monthly_cost_usd
    assert find(edit, hardware="owned", model="flux-2-dev", precision="nf4").not_practical
    schnell = [e for e in edit.excluded if e.pipeline == "flux-1-schnell" and e.deployment == "api"]
    assert schnell and all("input image" in " ".join(e.reasons) for e in schnell)
    assert pick(edit).model != "flux-1-schnell"


def test_chinese_text_picks_a_model_that_renders_it(engine):
    """Chinese text in the image: Z-Image Turbo (or Qwen-Image), whose model cards claim bilingual text rendering
    and which lead the Chinese text benchmarks. FLUX.2 [dev] renders Chinese text correctly ~30 % of the time and is
    excluded, with a reason naming the need."""
    res = engine.rec(volume_images_per_month=2_000, gpu_owned="rtx-4090", needs=["chinese-text"])
    assert pick(res).model in {"z-image-turbo", "z-image", "qwen-image", "qwen-image-edit"}
    assert not [o for o in res.options if o.model in ("flux-2-dev", "flux-1-schnell")]
    flux = [e for e in res.excluded if e.pipeline == "flux-2-dev"]
    assert flux and all("chinese-text" in " ".join(e.reasons) for e in flux)


ZH_TEXT_SCALES = ("oneig-zh-text", "longtext-bench-zh")  # profiles/quality.yaml: Chinese text rendered in the image


def test_chinese_text_needs_evidence_on_every_route(engine):
    """A hard need is met by evidence, the same rule for weights and for API-only models: a pipeline capability, or
    a figure on a Chinese text-rendering scale. FLUX.2 [pro] shares FLUX.2 [dev]'s text encoder; it cannot pass a
    need that FLUX.2 [dev] fails for lack of evidence."""
    res = engine.rec(volume_images_per_month=2_000, gpu_owned="rtx-4090", needs=["chinese-text"])
    book = engine.catalog.quality
    for o in res.options:
        pipe = engine.catalog.pipelines.get(o.pipeline) if o.pipeline else None
        caps = {c.capability for c in pipe.capabilities} if pipe else set()
        scales = {f.scale for f in book.figures_for(o.model)}
        assert "chinese-text" in caps or scales & set(ZH_TEXT_SCALES), o.id


def test_an_unpriced_licence_never_ranks_above_a_priced_option(engine):
    """100,000 images a month: FLUX.2 [dev] weights need a commercial licence whose fee is not published (a
    third-party page says $999/month). Every route with an unknown fee ranks after every priced route and says
    'fee not set', even where it is cheaper without the fee; once the studio gives the fee it is priced and ranked."""
    res = engine.rec(volume_images_per_month=100_000)
    known = [i for i, o in enumerate(res.options) if o.license_fee_known]
    unknown = [i for i, o in enumerate(res.options) if not o.license_fee_known]
    assert unknown and max(known) < min(unknown)
    assert all(res.options[i].license_note.startswith("fee not set") for i in unknown)
    cheapest_unknown = min(res.options[i].monthly_cost_usd for i in unknown)
    assert any(res.options[i].monthly_cost_usd > cheapest_unknown for i in known)  # ranked by the rule, not cost
    paid = engine.rec(volume_images_per_month=100_000, license_fee_usd_per_month={"flux-2-dev": 999})
    flux = [o for o in paid.options if o.model == "flux-2-dev" and kind(o) in SELF_RUN]
    assert flux and all(o.license_fee_known and o.cost_breakdown_usd["license"] == 999 for o in flux)


def test_flux2_dev_quality_at_100k_still_pays_its_api(engine):
    """A studio that needs FLUX.2 [dev]-level quality (LMArena >= 1140) at 100,000 images a month, owned 4090,
    licence quoted at $999/month: fal's FLUX.2 [dev] (~$0.012/image, ~$1,230 a month). Self-running it pays the
    licence plus ~1,600-2,300 GPU-hours of 4090-class time (60-80 s per image at 28 steps) and upkeep: dearer."""
    res = engine.rec(volume_images_per_month=100_000, gpu_owned="rtx-4090", min_quality="lmarena-t2i:1140",
                     license_fee_usd_per_month={"flux-2-dev": 999})
    top = pick(res)
    assert (kind(top), top.model) == ("api", "flux-2-dev")
    own_flux = [o for o in res.options if o.model == "flux-2-dev" and kind(o) in SELF_RUN]
    assert own_flux and min(o.monthly_cost_usd for o in own_flux) > top.monthly_cost_usd


# --- 8. the machine around the card -------------------------------------------------------------------------------

def test_flux2_dev_offload_on_a_32gb_desktop_is_excluded(engine):
    """FLUX.2 [dev] on a 12 GB card must keep most weights in system RAM (offload): ~37 GiB even at NF4, ~111 GiB
    at bf16. The 3060's 32 GB desktop cannot hold them: the routes are excluded, naming the host RAM. With 128 GB
    the route exists (and is then judged on its speed)."""
    res = engine.cmp(volume_images_per_month=500, gpu_owned="rtx-3060-12gb").engine
    assert not [o for o in res.options if o.hardware == "owned" and o.model == "flux-2-dev"]
    ex = [e for e in res.excluded if e.pipeline == "flux-2-dev" and e.gpu == "rtx-3060-12gb"
          and e.id.startswith("self-host:owned")]
    assert ex and all("host RAM" in " ".join(e.reasons) and "32 GB" in " ".join(e.reasons) for e in ex)
    big = engine.rec(volume_images_per_month=2_000, gpu_owned="rtx-3060-12gb", host_ram_gb=128)
    assert [o for o in big.options if o.hardware == "owned" and o.model == "flux-2-dev"]


@pytest.mark.parametrize("gpu, article_seconds_20_steps", [
    pytest.param("rtx-4090", 28),
    pytest.param("rtx-4070-ti-super", 52),
])
def test_the_articles_64gb_desktop_runs_flux2_dev_at_fp8(engine, gpu, article_seconds_20_steps):
    """The article's machines: a 4090 or a 4070 Ti SUPER in a 64 GB desktop runs FLUX.2 [dev] with FP8 weights
    (transformer 32 GB + text encoder 24 GB at FP8 = 56 GB = 52 GiB of host RAM, + 6 GiB working set and OS, under
    64 GB) at 28 s (4090) and 52 s (4070 Ti SUPER) for 20 steps. The engine should offer an FP8-weights setting
    there, practical, within 2x of the article's time scaled to the studio's 28 steps."""
    res = engine.rec(volume_images_per_month=2_000, gpu_owned=gpu, host_ram_gb=64)
    own = [o for o in res.options if o.hardware == "owned" and o.model == "flux-2-dev"]
    fp8 = [o for o in own if o.setting.startswith("FP8 weights") and not o.not_practical]
    assert fp8 and min(o.seconds_per_image for o in fp8) <= 2 * article_seconds_20_steps * 28 / 20


# --- 9. what quality costs, and what people cannot work with ----------------------------------------------------

def test_the_answer_says_what_quality_costs(engine):
    """Owned 4090, 500 a month: the cheapest answer is the Z-Image Turbo API, and it must say that FLUX.2 [dev],
    the other model the studio named, scores higher and from what price. The cost-quality frontier climbs: each
    scored step costs at least as much as the one before and scores higher."""
    res = engine.cmp(volume_images_per_month=500, gpu_owned="rtx-4090")
    assert compare_pick(res) == ("api", "z-image-turbo")
    assert any("FLUX.2 [dev]" in r and "below" in r for r in res.recommendation["reasons"])
    steps = [s for s in engine.rec(volume_images_per_month=500).frontier["steps"] if s["quality"] is not None]
    assert len(steps) >= 2
    for a, b in zip(steps, steps[1:]):
        assert b["quality"] > a["quality"] and b["monthly_cost_usd"] >= a["monthly_cost_usd"]


def test_not_practical_routes_are_never_recommended(engine):
    """An option people could not work with (over the practical time per image, or a documented failure rate on the
    card) is never the pick and ranks after every practical option, in every scenario above. FLUX.2 [dev] on a 3060
    with enough RAM to load it is such an option: flagged, with minutes per image in the reason."""
    big = engine.rec(volume_images_per_month=2_000, gpu_owned="rtx-3060-12gb", host_ram_gb=128)
    flux = [o for o in big.options if o.hardware == "owned" and o.model == "flux-2-dev"]
    assert flux and all(o.not_practical for o in flux)
    for volume in (500, 5_000, 100_000):  # cached when the tests above ran; run here when this test runs alone
        engine.rec(volume_images_per_month=volume)
        for gpu in OWNED:
            engine.cmp(volume_images_per_month=volume, gpu_owned=gpu)
    results = engine.results()
    for res in results:
        if res.recommendation.option_id is None:
            continue
        assert not pick(res).not_practical, pick(res).id
        flags = [bool(o.not_practical) for o in res.options if o.license_fee_known]
        assert flags == sorted(flags), res.scenario["volume_images_per_month"]
        assert not math.isnan(sum(o.monthly_cost_usd for o in res.options))

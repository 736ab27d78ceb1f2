"""Machines sold whole (Apple Silicon, DGX Spark) count each watt once; an owned card gets the fastest setting its
machine's RAM holds; a GPU family calibrated from specs only or on one or two runs says so, with its band, in the rows.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from advisor import perf
from advisor.catalog import load_catalog
from advisor.cost import tco
from advisor.decide import market, optimize
from advisor.decide.compare import compare, csv_rows
from advisor.decide.option import Scenario
from advisor.perf import PerfRequest
from advisor.perf import _engine as E
from advisor.perf import timing as T

WHOLE_MACHINES = ("apple-m3-max-128gb", "apple-m4-max-128gb", "apple-m3-ultra-96gb", "apple-m3-ultra-512gb",
                  "dgx-spark-gb10")


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.mark.parametrize("slug", WHOLE_MACHINES)
def test_a_machine_sold_whole_states_its_non_soc_watts_and_whole_idle(cat, slug):
    gpu = cat.gpus[slug]
    assert gpu.system_class == "complete-system" and gpu.unified_memory
    assert gpu.rest_of_system_watts is not None and gpu.rest_of_system_idle_watts is not None
    # the idle figure is the whole machine at the wall: nothing is added to it
    assert gpu.rest_of_system_idle_watts.value == 0
    # the non-SoC watts while generating are the power-supply loss on the package: package / 0.90 - package (+-1 W
    # rounding); the M3 Max laptop's package is capped by its adapter, the same rule applies to the capped figure
    pkg = gpu.board_power_watts.value
    assert gpu.rest_of_system_watts.value == pytest.approx(pkg / 0.90 - pkg, abs=1.0)
    # far below the 100 W desktop (CPU, board, fans, PSU) that a card in a tower gets
    assert gpu.rest_of_system_watts.value < cat.defaults.rest_of_system_watts.value


def test_apple_energy_per_image_counts_package_plus_non_soc_once_hand(cat):
    gpu = cat.gpus["apple-m3-ultra-96gb"]
    est = perf.estimate(PerfRequest(pipeline="flux-1-dev", gpu=gpu.slug), cat)
    # system power = package + the machine's own non-SoC watts (25 W), not + the 100 W desktop
    assert est.system_power_watts - est.board_power_watts == pytest.approx(25.0)
    assert est.board_power_watts <= 224.0  # never above the package power under a full GPU load
    # energy per image by hand: (package W + non-SoC W) x seconds
    hand_j = (est.board_power_watts + 25.0) * est.seconds_per_image
    assert tco.system_energy_per_image_joules(est.energy_per_image_joules, 25.0, est.seconds_per_image) == \
        pytest.approx(hand_j, rel=1e-9)
    # the old double count: 480 W whole machine + 100 W desktop on top
    assert hand_j < (480 + 100) * est.seconds_per_image * 0.5


def test_owned_mac_electricity_is_what_generating_adds_hand(cat):
    """Owned machine on anyway: electricity = ((package - machine idle) + (non-SoC - 0)) W x seconds x images x
    attempts / 3.6e6 x price; the package watts and seconds are the estimate the engine priced."""
    gpu = cat.gpus["apple-m3-ultra-96gb"]
    seen = []

    def recording(req, catalog):
        est = perf.estimate(req, catalog)
        seen.append(est)
        return est

    sc = Scenario(volume_images_per_month=1000, gpu_owned=gpu.slug, commercial=False)
    res = compare(["flux-1-dev", "z-image-turbo"], sc, cat, estimator=recording).engine
    own = next(o for o in res.options if o.id.startswith(f"self-host:owned:{gpu.slug}:flux-1-dev"))
    est = next(e for e in seen if e.request.gpu == gpu.slug and e.seconds_per_image == own.seconds_per_image
               and e.setting == own.setting)
    added_w = (est.board_power_watts - 8.0) + (25.0 - 0.0)  # gpus.yaml: machine idle 8 W, non-SoC 25 W / 0 W idle
    attempts = 1.0 / (1.0 - cat.defaults.failure_rate.value)
    price = float(res.assumptions["electricity_usd_per_kwh"])
    hand_usd = added_w * est.seconds_per_image * 1000 * attempts / 3.6e6 * price
    assert own.cost_breakdown_usd["electricity"] == pytest.approx(hand_usd, rel=1e-9)
    assert added_w <= 224.0 + 25.0 - 8.0  # never above the package + non-SoC watts


def test_desktop_card_keeps_the_desktop_rest_of_system(cat):
    est = perf.estimate(PerfRequest(pipeline="flux-1-dev", gpu="rtx-5090"), cat)
    assert est.system_power_watts - est.board_power_watts == pytest.approx(cat.defaults.rest_of_system_watts.value)


def test_owned_card_gets_the_fastest_setting_its_machine_holds(cat):
    """RTX PRO 6000 owned, no host RAM stated: the build RAM assumed for its class decides; FLUX.2 [dev] with model
    offload (111 GiB of host RAM) does not fit it, FP8 weights with BF16 matmuls do and beat NF4."""
    gpu = cat.gpus["rtx-pro-6000-blackwell"]
    sc = Scenario(volume_images_per_month=20000, gpu_owned=gpu.slug, steps_preset="library")
    res = compare(["flux-2-dev", "qwen-image"], sc, cat)
    row = next(r for m in res.models if m.model == "flux-2-dev" for r in m.rows if r.kind == "own")
    assert row.setting.startswith("FP8 weights, BF16 matmuls"), row.setting
    machine = market.host_fit(cat, gpu, SimpleNamespace(host_ram_gib=0.0, disk_gb=0.0, offload="none"),
                              owned=True).machine_ram_gb
    opt = next(o for o in res.engine.options if o.id == row.option_id)
    assert opt.host_ram_gib <= machine + 1e-9  # the chosen setting fits the assumed machine
    nf4 = perf.estimate(PerfRequest(pipeline="flux-2-dev", gpu=gpu.slug, precision="nf4", steps_preset="library"), cat)
    nf4_best = optimize.fastest(nf4, cat, perf.estimate, host_ram_gib=machine)
    assert row.seconds_per_image < nf4_best.seconds_per_image


@pytest.mark.parametrize("slug", ["rx-7900-xtx", "mi300x"])
def test_specs_only_or_few_point_family_says_its_band_in_the_rows(cat, slug):
    gpu = cat.gpus.get(slug)
    if gpu is None:
        pytest.skip(f"{slug} not in the catalog")
    cal = T.load_calibration()
    tier = T.family_tier(cal, gpu.architecture)
    if tier not in ("specs-only", "few-points"):
        pytest.skip(f"{gpu.architecture} is now {tier}")
    band = E.uncertainty_for(cal, "z-image-turbo", gpu)
    assert band > cal.uncertainty.get("cross_gpu", 0.25)  # wider than a fitted family's
    res = compare(["z-image-turbo", "flux-1-dev"], Scenario(volume_images_per_month=2000, gpu_owned=slug), cat)
    own = [r for m in res.models for r in m.rows if r.kind == "own"]
    if not own:
        pytest.skip(f"no owned row for {slug}")
    r = own[0]
    assert r.speed_band == pytest.approx(band)
    words = "from specs only" if tier == "specs-only" else "few measured runs"
    assert words in r.speed_basis and gpu.architecture in r.speed_basis and f"±{band:.0%}" in r.speed_basis
    assert next(x for x in csv_rows(res) if x["option_id"] == r.option_id)["speed_band"] == pytest.approx(band)
    # risk draws each option's simulator error from this same band (advisor.decide.risk: Option.simulator_uncertainty)
    opt = next(o for o in res.engine.options if o.id == r.option_id)
    assert opt.simulator_uncertainty == pytest.approx(band) and opt.speed_basis == r.speed_basis
    assert r.speed_basis in opt.reasons


def test_fitted_family_rows_carry_no_specs_only_line(cat):
    res = compare(["z-image-turbo", "flux-1-dev"], Scenario(volume_images_per_month=2000, gpu_owned="rtx-4090"), cat)
    own = next(r for m in res.models for r in m.rows if r.kind == "own")
    assert own.speed_basis == "" and own.speed_band is not None and own.speed_band > 0
    api = next(r for m in res.models for r in m.rows if r.kind == "api")
    assert api.speed_band is None and api.speed_basis == ""

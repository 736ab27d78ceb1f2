"""Catalog: the shipped profiles load and are internally consistent; bad files fail with file/entry/field messages;
the stale flag; the ``advisor catalog`` command (JSON output, exit code 2 on bad arguments)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor.catalog import PROFILES_DIR, Sourced, SourcedRange, iter_sourced, load_catalog, to_json_dict
from advisor.cli import app
from advisor.errors import CatalogError, UnknownSlugError

TODAY = dt.date(2026, 11, 26)
GEFORCE = ("rtx-3060-12gb", "rtx-3080", "rtx-3090", "rtx-3090-ti", "rtx-4060-ti-16gb", "rtx-4070", "rtx-4070-ti",
           "rtx-4070-ti-super", "rtx-4080", "rtx-4080-super", "rtx-4090", "rtx-5060-ti-16gb", "rtx-5070",
           "rtx-5070-ti", "rtx-5080", "rtx-5090")
DATACENTER = ("t4", "a10", "l4", "l40s", "a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h100-nvl", "gh200", "h200",
              "b200")
WORKSTATION = ("rtx-a6000", "rtx-4000-ada", "rtx-5000-ada", "rtx-6000-ada", "rtx-pro-4000-blackwell",
               "rtx-pro-5000-blackwell", "rtx-pro-6000-blackwell")
AMD = ("rx-7900-xtx", "rx-7900-xt", "radeon-ai-pro-r9700", "mi300x", "mi325x")
UNIFIED = ("dgx-spark-gb10", "apple-m3-max-128gb", "apple-m4-max-128gb", "apple-m3-ultra-96gb", "apple-m3-ultra-512gb")
#: the 14 cards of the catalog before 2026-12-07 (for the count before/after)
GPUS_BEFORE = 14


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture
def profiles_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped catalog files that a test may break."""
    dst = tmp_path / "profiles"
    dst.mkdir()
    for name in ("gpus.yaml", "pipelines.yaml", "apis.yaml", "rentals.yaml", "defaults.yaml"):
        shutil.copy(PROFILES_DIR / name, dst / name)
    return dst


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _by_slug(entries: list[dict], slug: str) -> dict:
    """The one entry of a catalog list with this slug (never a position: entries are added and reordered)."""
    (entry,) = [e for e in entries if e.get("slug") == slug]
    return entry


# --- the shipped catalog ------------------------------------------------------------------------------------------

def test_shipped_catalog_loads_with_required_slugs(cat):
    assert set(GEFORCE + DATACENTER + WORKSTATION + AMD + UNIFIED) == set(cat.gpus)
    assert len(cat.gpus) == 45 > GPUS_BEFORE  # 16 GeForce + 12 data centre + 7 workstation + 5 AMD + 5 unified
    assert {"z-image-turbo", "flux-2-dev", "flux-2-klein-4b", "flux-2-klein-9b", "flux-1-dev", "flux-1-schnell"} <= set(cat.pipelines)
    assert {"bfl-flux-2-pro", "fal-flux-2-dev", "fal-z-image-turbo", "alibaba-z-image-turbo"} <= set(cat.apis)
    assert {r.gpu for r in cat.rentals.values()} >= {"rtx-4090", "l40s", "a100-80gb", "h100-sxm", "h100-pcie", "h200", "rtx-5090"}


def test_every_number_is_sourced_dated_and_explained(cat):
    """No number from the future; every derived number says how it was derived (note)."""
    sections = [cat.gpus, cat.pipelines, cat.apis, cat.rentals, {"defaults": cat.defaults}]
    count = 0
    for section in sections:
        for slug, entry in section.items():
            for path, num in iter_sourced(entry):
                count += 1
                assert num.as_of <= dt.date.today(), f"{slug}.{path} dated in the future"
                if isinstance(num, Sourced) and num.derived:
                    assert num.note, f"{slug}.{path} is derived but has no note with the arithmetic"
    assert count > 250  # 14 GPUs x ~15 numbers alone; guards against iter_sourced silently finding nothing


def test_vram_is_gib_from_nvidia_smi_mib(cat):
    # RTX 4090: nvidia-smi reports 24564 MiB -> 24564 / 1024 = 23.988 GiB (stored rounded to 0.01)
    assert cat.gpu("rtx-4090").vram_gib.value == pytest.approx(24564 / 1024, abs=0.01)
    # H100 80GB HBM3: 81559 MiB -> 79.65 GiB, i.e. less than the nominal 80
    assert cat.gpu("h100-sxm").vram_gib.value == pytest.approx(81559 / 1024, abs=0.01)


def test_fp32_accumulate_halved_on_geforce_only(cat):
    # Whitepapers: 4090 330.3 vs 165.2; 3090 142 vs 71; datacenter parts run FP32-acc at the FP16-acc rate.
    # rel=0.01 because the table rounds each figure to 0.1 TFLOPS independently (e.g. 330.3 / 2 = 165.15 -> 165.2).
    for slug in GEFORCE:
        t = cat.gpu(slug).tensor_tflops
        assert t["fp16_fp32acc"].value == pytest.approx(t["fp16_fp16acc"].value / 2, rel=0.01), slug
    for slug in DATACENTER + WORKSTATION:
        t = cat.gpu(slug).tensor_tflops
        if slug == "t4":  # Turing has no BF16 tensor cores: its BF16 rate is the FP32 CUDA-core rate
            assert t["bf16_fp32acc"].value == t["fp32"].value and t["fp16_fp32acc"].value == t["fp16_fp16acc"].value
            continue
        assert t["bf16_fp32acc"].value == pytest.approx(t["fp16_fp16acc"].value, rel=0.001), slug


def test_rentals_and_apis_reference_known_slugs(cat):
    assert [r.slug for r in cat.rentals_for("h100-pcie")] == ["lambda-h100-pcie"]
    assert cat.rentals["lambda-h100-pcie"].on_demand_usd_per_hour.low == 3.29
    # FLUX.2 [pro] is an API-only model, not the flux-2-dev weights (issue 13): no pipeline, its own model slug
    assert cat.api("bfl-flux-2-pro").variant == "pro" and cat.api("bfl-flux-2-pro").pipeline is None
    assert cat.api("bfl-flux-2-pro").model == "flux-2-pro"


# --- error messages -----------------------------------------------------------------------------------------------

def test_unknown_key_names_file_entry_and_field(profiles_copy):
    _edit(profiles_copy / "gpus.yaml", lambda d: _by_slug(d, "rtx-4090").update(vram_gb=24))
    with pytest.raises(CatalogError) as ei:
        load_catalog(profiles_copy)
    msg = str(ei.value)
    assert "gpus.yaml" in msg and "[rtx-4090]" in msg and "field 'vram_gb'" in msg and "unknown key" in msg


def test_malformed_yaml_names_file_and_line(profiles_copy):
    (profiles_copy / "apis.yaml").write_text("- slug: x\n  provider: [unclosed\n  pipeline: y\n")
    with pytest.raises(CatalogError) as ei:
        load_catalog(profiles_copy)
    msg = str(ei.value)
    # the flow sequence opened on line 2 is never closed; PyYAML reports the problem at line 4 (end of input)
    assert "apis.yaml" in msg and "malformed YAML at line" in msg


def test_missing_source_rejected(profiles_copy):
    _edit(profiles_copy / "rentals.yaml", lambda d: _by_slug(d, "runpod-rtx-4090-pod")["on_demand_usd_per_hour"]
          .pop("source"))
    with pytest.raises(CatalogError) as ei:
        load_catalog(profiles_copy)
    msg = str(ei.value)
    assert "rentals.yaml" in msg and "[runpod-rtx-4090-pod]" in msg
    assert "field 'on_demand_usd_per_hour.source'" in msg and "required field is missing" in msg


def test_duplicate_slug_rejected(profiles_copy):
    _edit(profiles_copy / "pipelines.yaml", lambda d: d.append(dict(d[0])))
    with pytest.raises(CatalogError, match=r"pipelines\.yaml \[z-image-turbo\] field 'slug': duplicate slug"):
        load_catalog(profiles_copy)


def test_unknown_slug_suggests_close_matches(cat):
    with pytest.raises(UnknownSlugError) as ei:
        cat.gpu("rtx-4900")
    assert "rtx-4090" in ei.value.suggestions
    assert "did you mean" in str(ei.value)


# --- stale flag ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "as_of, stale",
    [
        # 2026-05-30 -> 2026-11-26 is exactly 180 days (Jun 1 -> Nov 26 = 178, plus May 30/31): not stale ("older than")
        (dt.date(2026, 5, 30), False),
        (dt.date(2026, 5, 29), True),  # 181 days
        (dt.date(2026, 5, 1), True),   # 209 days: May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 30 + Oct 31 + 25 - 0 = 209
    ],
)
def test_stale_flag_boundary(as_of, stale):
    num = Sourced(value=1.0, source="test", as_of=as_of)
    rng = SourcedRange(low=1.0, high=2.0, source="test", as_of=as_of)
    assert num.is_stale(TODAY) is stale and rng.is_stale(TODAY) is stale
    assert to_json_dict(num, TODAY)["stale"] is stale


# --- CLI ----------------------------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_json_output_has_sources_and_stale_flags():
    res = runner.invoke(app, ["catalog", "gpus", "--format", "json", "--today", "2026-11-26"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    by_slug = {e["slug"]: e for e in doc["entries"]}
    assert len(by_slug) == 45
    vram = by_slug["rtx-4090"]["vram_gib"]
    assert vram["source"] and vram["as_of"] == "2026-11-26" and vram["stale"] is False
    # the used RTX 3060 price is dated 2026-06-22, 157 days before today: past the 90 days of a card price -> stale
    assert by_slug["rtx-3060-12gb"]["used_price_usd"]["stale"] is True
    # the RTX 5090's prices are dated 2026-10-01, 56 days before today -> fresh
    assert by_slug["rtx-5090"]["used_price_usd"]["stale"] is False


def test_cli_table_marks_stale_rows():
    # rtx-3060-12gb: its used price (as_of 2026-06-22, 157 days old, card prices: 90) is the only stale number
    res = runner.invoke(app, ["catalog", "gpus", "--slug", "rtx-3060-12gb", "--today", "2026-11-26"])
    assert res.exit_code == 0, res.output
    assert "used_price_usd" in res.stdout and res.stdout.count("STALE") == 1
    # the JSON form carries the same flags
    doc = json.loads(runner.invoke(app, ["catalog", "gpus", "--slug", "rtx-3060-12gb", "--format", "json",
                                         "--today", "2026-11-26"]).stdout)
    flags = [v["stale"] for v in doc["entries"][0].values() if isinstance(v, dict) and "stale" in v]
    assert sum(flags) == 1  # the used price only (launch MSRPs are dated when read: a historic fact)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["catalog", "gpus", "--format", "xml"], "--format"),
        (["catalog", "gpu"], "section"),
        (["catalog", "gpus", "--slug", "rtx-4900"], "did you mean rtx-4090"),
        (["catalog", "gpus", "--today", "yesterday"], "--today"),
    ],
)
def test_cli_bad_arguments_exit_2(args, expected):
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert expected in res.output


def test_derived_weight_sizes_follow_the_architecture_parameter_counts(cat):
    """Parameter counts have one source (profiles/architectures); the catalog's weights-on-disk figures that say they
    are derived (parameters x 2 bytes in bf16) must equal that arithmetic on those counts, to the decimals printed."""
    checked = 0
    for slug, pipe in cat.pipelines.items():
        bf16 = pipe.weights_on_disk_gb.get("bf16")
        if bf16 is None or not bf16.derived:
            continue
        params = sum(pipe.parameters_by_module().values())
        decimals = len(repr(bf16.value).split(".")[1]) if "." in repr(bf16.value) else 0
        # 2 bytes per bf16 parameter, equal to the last printed decimal (half a unit of it)
        assert bf16.value == pytest.approx(params * 2 / 1e9, abs=0.5 * 10 ** -decimals), slug
        checked += 1
    assert checked >= 3
    # by hand for Z-Image Turbo: 6,154,908,736 + 4,022,468,096 + 83,819,683 = 10,261,196,515 parameters
    assert sum(cat.pipelines["z-image-turbo"].parameters_by_module().values()) == 10_261_196_515


def test_every_api_model_has_a_name_for_people():
    """Issue 15: an API option is labelled with the model's name (FLUX.2 [pro], not flux-2-pro): every offer's model
    is a pipeline (named in pipelines.yaml) or has an entry in profiles/models.yaml."""
    from advisor.catalog import load_catalog

    cat = load_catalog()
    unnamed = sorted({a.model_slug for a in cat.apis.values()
                      if a.model_slug not in cat.pipelines and a.model_slug not in cat.models})
    assert unnamed == []
    assert cat.model_name("flux-2-pro") == "FLUX.2 [pro]"
    assert cat.model_name("z-image-turbo") == cat.pipelines["z-image-turbo"].name


# --- every card a studio names: required specs, backends, unified memory, derived numbers -------------------------

def test_every_gpu_has_the_specs_the_simulator_needs(cat):
    from advisor.catalog import BACKEND_OF_ARCHITECTURE, REQUIRED_TENSOR_KEYS

    for slug, g in cat.gpus.items():
        assert g.vram_gib.value > 0 and g.memory_bandwidth_gb_per_s.value > 0, slug
        assert all(k in g.tensor_tflops for k in REQUIRED_TENSOR_KEYS), slug
        assert g.board_power_watts.value > g.idle_power_watts.value > 0, slug
        assert g.pcie_gb_per_s > 0, slug  # PCIe, or the host link of a part not on PCIe
        assert g.backend == BACKEND_OF_ARCHITECTURE[g.architecture], slug
        assert g.segment is not None and g.system_class is not None, slug
    assert {g.backend for g in cat.gpus.values()} == {"cuda", "rocm", "mps"}
    assert {cat.gpu(s).backend for s in AMD} == {"rocm"}


def test_unified_memory_cards_report_vram_equal_to_their_memory(cat):
    # the machine's memory as sold: Mac Studio M3 Ultra base 96 GB, the 512 GB option, M3/M4 Max 128 GB, DGX Spark 128 GB
    memory_gb = {"apple-m3-ultra-96gb": 96, "apple-m3-ultra-512gb": 512, "apple-m3-max-128gb": 128,
                 "apple-m4-max-128gb": 128, "dgx-spark-gb10": 128}
    for slug, gb in memory_gb.items():
        g = cat.gpu(slug)
        assert g.unified_memory and g.vram_gib.value == gb and g.host_ram_gib == gb, slug
        # nothing is copied to a GPU: the "host link" is the memory itself
        assert g.pcie_gb_per_s == g.memory_bandwidth_gb_per_s.value, slug
    assert all(cat.gpu(s).backend == "mps" for s in memory_gb if s.startswith("apple"))
    assert cat.gpu("dgx-spark-gb10").backend == "cuda"
    assert cat.gpu("rtx-4090").host_ram_gib is None and not cat.gpu("rtx-4090").unified_memory


def test_derived_numbers_computed_by_hand(cat):
    t = cat.gpu("rtx-5080").tensor_tflops
    # RTX 5080: 84 SMs x 1024 FP16 FLOP/clk/SM x 2.617 GHz = 225,099 GFLOP/s = 225.1 TFLOPS, stored to 0.1
    assert t["fp16_fp16acc"].value == pytest.approx(84 * 1024 * 2.617 / 1000, abs=0.05) and t["fp16_fp16acc"].derived
    # NVIDIA's own 1801 AI TOPS are sparse FP4: 1801 / 2 / 4 = 225.1, the same rate (to 0.1%: clocks are rounded)
    assert t["fp16_fp16acc"].value == pytest.approx(1801 / 2 / 4, rel=1e-3)
    # GeForce halves FP32 accumulate: 225.1 / 2 = 112.55, stored rounded to 0.1 (112.5 or 112.6: +-0.05, plus float slack)
    assert t["bf16_fp32acc"].value == pytest.approx(225.1 / 2, abs=0.051)
    # GDDR7 30 Gbps x 256-bit / 8 = 960 GB/s
    assert cat.gpu("rtx-5080").memory_bandwidth_gb_per_s.value == 30 * 256 / 8
    # B200: HGX B200 (8 GPUs) BF16 36 PFLOPS with sparsity -> 36,000 / 8 / 2 = 2,250 TFLOPS dense per GPU
    assert cat.gpu("b200").tensor_tflops["bf16_fp32acc"].value == 36_000 / 8 / 2
    # L4: BF16 242 TFLOPS with sparsity -> 121 dense; VRAM 24 GiB x 46068/49152 (ECC, as the L40S) = 22.49 GiB
    assert cat.gpu("l4").tensor_tflops["bf16_fp32acc"].value == 121
    assert cat.gpu("l4").vram_gib.value == pytest.approx(24 * 46068 / 49152, abs=0.005)
    # RTX 6000 Ada: 1457.0 TFLOPS (sparse FP8) / 4 = 364.25 dense FP16, full rate with FP32 accumulate (no halving)
    assert cat.gpu("rtx-6000-ada").tensor_tflops["bf16_fp32acc"].value == pytest.approx(1457.0 / 4, abs=0.1)


def test_backend_must_match_the_architecture(profiles_copy):
    _edit(profiles_copy / "gpus.yaml", lambda d: _by_slug(d, "rtx-4090").update(backend="rocm"))  # an Ada card
    with pytest.raises(CatalogError) as ei:
        load_catalog(profiles_copy)
    msg = str(ei.value)
    assert "[rtx-4090]" in msg and "backend 'rocm' does not run architecture 'ada'" in msg and "\n" not in msg
    res = runner.invoke(app, ["catalog", "gpus", "--profiles", str(profiles_copy)])
    assert res.exit_code == 2 and "backend 'rocm'" in res.output


def test_unknown_backend_is_one_line(profiles_copy):
    _edit(profiles_copy / "gpus.yaml", lambda d: _by_slug(d, "rtx-4090").update(backend="vulkan"))
    res = runner.invoke(app, ["catalog", "gpus", "--profiles", str(profiles_copy)])
    assert res.exit_code == 2 and "field 'backend'" in res.output and "vulkan" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("age_days, stale", [(90, False), (91, True)])
def test_card_prices_go_stale_after_90_days_others_after_180(cat, age_days, stale):
    from advisor.catalog import CARD_PRICE_STALE_AFTER_DAYS, STALE_AFTER_DAYS

    assert (CARD_PRICE_STALE_AFTER_DAYS, STALE_AFTER_DAYS) == (90, 180)
    g = cat.gpu("rtx-5090")
    today = g.used_price_usd.as_of + dt.timedelta(days=age_days)
    assert g.used_price_usd.is_stale(today) is stale and g.street_price_usd.is_stale(today) is stale
    assert to_json_dict(g, today)["used_price_usd"]["stale"] is stale
    # the same age on a rental price (180 days) is fresh
    rent = next(r.on_demand_usd_per_hour for r in cat.rentals.values())
    assert rent.is_stale(rent.as_of + dt.timedelta(days=age_days)) is False

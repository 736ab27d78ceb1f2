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
GEFORCE = ("rtx-3060-12gb", "rtx-3090", "rtx-4060-ti-16gb", "rtx-4070", "rtx-4070-ti", "rtx-4070-ti-super",
           "rtx-4080", "rtx-4090", "rtx-5090")
DATACENTER = ("a100-80gb", "l40s", "h100-sxm", "h100-pcie", "h200")


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


# --- the shipped catalog ------------------------------------------------------------------------------------------

def test_shipped_catalog_loads_with_required_slugs(cat):
    assert set(GEFORCE + DATACENTER) == set(cat.gpus)
    assert {"z-image-turbo", "flux-2-dev", "flux-2-klein-4b", "flux-2-klein-9b", "flux-1-dev", "flux-1-schnell"} == set(cat.pipelines)
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
    for slug in DATACENTER:
        t = cat.gpu(slug).tensor_tflops
        assert t["bf16_fp32acc"].value == pytest.approx(t["fp16_fp16acc"].value, rel=0.001), slug


def test_rentals_and_apis_reference_known_slugs(cat):
    assert [r.slug for r in cat.rentals_for("h100-pcie")] == ["lambda-h100-pcie"]
    assert cat.rentals["lambda-h100-pcie"].on_demand_usd_per_hour.low == 3.29
    # FLUX.2 [pro] is an API-only model, not the flux-2-dev weights (issue 13): no pipeline, its own model slug
    assert cat.api("bfl-flux-2-pro").variant == "pro" and cat.api("bfl-flux-2-pro").pipeline is None
    assert cat.api("bfl-flux-2-pro").model == "flux-2-pro"


# --- error messages -----------------------------------------------------------------------------------------------

def test_unknown_key_names_file_entry_and_field(profiles_copy):
    _edit(profiles_copy / "gpus.yaml", lambda d: d[7].update(vram_gb=24))  # d[7] is rtx-4090
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
    _edit(profiles_copy / "rentals.yaml", lambda d: d[0]["on_demand_usd_per_hour"].pop("source"))
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
    assert len(by_slug) == 14
    vram = by_slug["rtx-4090"]["vram_gib"]
    assert vram["source"] and vram["as_of"] == "2026-11-26" and vram["stale"] is False
    # the used RTX 3060 price is dated 2026-05-01, 209 days before today -> stale
    assert by_slug["rtx-3060-12gb"]["used_price_usd"]["stale"] is True


def test_cli_table_marks_stale_rows():
    # rtx-3060-12gb: its used price (as_of 2026-05-01, 209 days old) is the only stale number -> exactly one STALE cell
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

"""MeasuredProfile model, loader and atomic profile writes (no torch needed)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from advisor.errors import CatalogError
from advisor.catalog.measured import (MeasuredProfile, RunTiming, Spread, gpu_slug_for_name, load_measured_profiles,
                              summarize_runs)
from measure.profile_io import profile_filename, profile_path, write_profile


def _profile(**over) -> MeasuredProfile:
    data = dict(
        status="complete",
        device=dict(kind="cuda", index=0, name="NVIDIA H100 80GB HBM3", gpu_slug="h100-sxm"),
        software=dict(python="3.12.3", torch="2.11.0"),
        settings=dict(pipeline="z-image-turbo", pipeline_class="ZImagePipeline", random_weights="full",
                      precision="bf16", width=1024, height=1024, steps=9, guidance=0.0, batch_size=1,
                      components_run=["text_encoder", "transformer", "vae"], warmup=1, runs=2),
        runs=[dict(run_index=0, step_seconds=[0.2, 0.1], total_seconds=1.5),
              dict(run_index=1, step_seconds=[0.3, 0.1], total_seconds=1.7)],
        started_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    data.update(over)
    return MeasuredProfile.model_validate(data)


def test_spread_known_answers():
    # values 1..10: median = (5+6)/2 = 5.5; p90 at position 0.9*9 = 8.1 -> 9 + 0.1*(10-9) = 9.1; mean 5.5
    s = Spread.from_values([float(v) for v in range(10, 0, -1)])
    assert (s.n, s.min, s.median, s.max) == (10, 1.0, 5.5, 10.0)
    assert s.p90 == pytest.approx(9.1, abs=1e-12)  # float interpolation only
    assert s.mean == pytest.approx(5.5, abs=1e-12)
    assert Spread.from_values([]) is None


def test_summarize_runs_pools_steps_and_divides_by_batch():
    runs = [RunTiming(run_index=0, step_seconds=[0.4, 0.1], total_seconds=2.0),
            RunTiming(run_index=1, step_seconds=[0.5, 0.3], total_seconds=4.0)]
    sm = summarize_runs(runs, batch_size=2)
    # totals 2.0 and 4.0: median 3.0 / batch 2 = 1.5 s per image
    assert sm.seconds_per_image == pytest.approx(1.5, abs=1e-12)
    # pooled steps [0.1, 0.3, 0.4, 0.5]: median (0.3+0.4)/2 = 0.35; excluding step 0: [0.1, 0.3] -> 0.2
    assert sm.step_seconds.median == pytest.approx(0.35, abs=1e-12)
    assert sm.step_seconds_excluding_first.median == pytest.approx(0.2, abs=1e-12)


@pytest.mark.parametrize("name,slug", [
    ("NVIDIA H100 80GB HBM3", "h100-sxm"),
    ("NVIDIA H100 PCIe", "h100-pcie"),
    ("NVIDIA H200", "h200"),
    ("NVIDIA GH200 480GB", None),  # not in the catalog (and must not match H200)
    ("NVIDIA H100 NVL", None),
    ("NVIDIA GeForce RTX 4070 Ti SUPER", "rtx-4070-ti-super"),
    ("NVIDIA GeForce RTX 4090", "rtx-4090"),
    ("NVIDIA A100-SXM4-80GB", "a100-80gb"),
    ("Some Unknown Accelerator", None),
    (None, None),
])
def test_gpu_slug_for_name(name, slug):
    assert gpu_slug_for_name(name) == slug


def test_known_gpu_slugs_exist_in_catalog():
    """Every slug the name rules return for the GPUs in profiles/gpus.yaml must be a catalog slug."""
    path = Path(__file__).resolve().parent.parent / "profiles" / "gpus.yaml"
    if not path.is_file():
        pytest.skip("profiles/gpus.yaml not written yet")
    data = yaml.safe_load(path.read_text())
    catalog = {g["slug"] for g in data if isinstance(g, dict) and "slug" in g}  # a list of GPU entries
    from advisor.catalog.measured import _GPU_NAME_RULES

    assert {slug for _, slug in _GPU_NAME_RULES if slug} <= catalog


def test_write_and_load_roundtrip(tmp_path):
    p = _profile()
    path = write_profile(p, tmp_path)
    assert path == tmp_path / "h100-sxm" / "z-image-turbo-1024x1024-9steps-bf16-full-b1.yaml"
    loaded = load_measured_profiles(tmp_path)
    assert len(loaded) == 1 and loaded[0] == p


def test_filename_encodes_settings():
    p = _profile(settings=dict(pipeline="flux-2-dev", pipeline_class="Flux2Pipeline", random_weights="scaled:0.25",
                               precision="bf16", width=512, height=768, steps=10, guidance=4.0, batch_size=2,
                               components="transformer", components_run=["transformer"], warmup=1, runs=2,
                               offload="model", cfg=False))
    assert profile_filename(p.settings) == \
        "flux-2-dev-512x768-10steps-bf16-scaled0p25-b2-transformer-only-offload-model.yaml"
    cpu = _profile(device=dict(kind="cpu", name="AMD EPYC 7R13", cpu_model="AMD EPYC 7R13"))
    assert profile_path("r", cpu).parent == Path("r") / "cpu-amd-epyc-7r13"


def test_loader_error_names_file_and_field(tmp_path):
    bad = _profile().model_dump(mode="json")
    bad["settings"]["precision"] = "int3"
    f = tmp_path / "h100-sxm" / "bad.yaml"
    f.parent.mkdir()
    f.write_text(yaml.safe_dump(bad))
    with pytest.raises(CatalogError) as exc:
        load_measured_profiles(tmp_path)
    msg = str(exc.value)
    assert str(f) in msg and "settings.precision" in msg and "[z-image-turbo]" in msg


def test_loader_rejects_unknown_field_and_bad_yaml(tmp_path):
    data = _profile().model_dump(mode="json")
    data["power"]["wats"] = 3
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogError, match=r"a\.yaml.*field 'power\.wats'.*Extra inputs are not permitted"):
        load_measured_profiles(tmp_path)
    (tmp_path / "a.yaml").write_text("status: [unclosed")
    with pytest.raises(CatalogError, match="invalid YAML"):
        load_measured_profiles(tmp_path)


def test_random_weights_field_validated():
    with pytest.raises(Exception, match="tiny, full or scaled"):
        _profile(settings=dict(pipeline="x", pipeline_class="X", random_weights="scaled:2", precision="bf16",
                               width=64, height=64, steps=1, guidance=0, batch_size=1, components_run=[],
                               warmup=0, runs=1))


def test_missing_root_gives_empty_list(tmp_path):
    assert load_measured_profiles(tmp_path / "nope") == []


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    """os.replace failing mid-write must leave neither the target nor a temp file behind."""
    import advisor.io

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(advisor.io.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_profile(_profile(), tmp_path)
    monkeypatch.undo()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    # an existing good profile survives a failed overwrite
    good = write_profile(_profile(), tmp_path)
    before = good.read_bytes()
    monkeypatch.setattr(advisor.io.os, "replace", boom)
    with pytest.raises(OSError):
        write_profile(_profile(status="partial"), tmp_path)
    monkeypatch.undo()
    assert good.read_bytes() == before
    assert sorted(os.listdir(good.parent)) == [good.name]


def test_invalid_profile_is_not_written(tmp_path):
    data = _profile().model_dump(mode="json")
    data["runs"][0]["total_seconds"] = -1.0
    with pytest.raises(CatalogError, match=r"runs\.0\.total_seconds"):
        write_profile(data, tmp_path)
    assert list(tmp_path.rglob("*.yaml")) == []

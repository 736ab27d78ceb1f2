"""AMD (ROCm) public validation points (profiles/validation/public-amd.yaml): every point loads on an AMD catalog GPU
with its provenance, its stored roofline flag agrees with the recomputed one, the stored seconds follow from the
figures the source prints, and a fit with these points gives each AMD family with fitted points the 'fitted' tier.

One fit for the whole module (module-scoped fixture): a fit takes one to two minutes on the dev machine.
"""

from __future__ import annotations


import pytest
import yaml

from advisor.catalog import load_catalog
from advisor.fit import calibrate as C
from advisor.perf import timing as T

AMD_PATH = C.PUBLIC_PATH.parent / "public-amd.yaml"
AMD_FAMILIES = ("rdna3", "rdna4", "cdna3")


def _entries() -> list[dict]:
    return yaml.safe_load(AMD_PATH.read_text())


@pytest.fixture(scope="module")
def points() -> list[C.ValidationPoint]:
    """public.yaml + the measured profiles + the AMD file: the AMD points judged against the rest of the validation
    set, independently of other public-*.yaml files (each has its own test)."""
    base = C.load_points(public_path=C.PUBLIC_PATH)
    return base + [p for p in C.load_points(public_path=AMD_PATH) if p.kind == "public"]


@pytest.fixture(scope="module")
def amd_points(points) -> list[C.ValidationPoint]:
    ids = {e["id"] for e in _entries()}
    return [p for p in points if p.id in ids]


@pytest.fixture(scope="module")
def fitted(points) -> T.Calibration:
    """A refit on every point, AMD included (the only fit of this module)."""
    return C.fit(points)




def test_every_amd_point_loads_on_an_amd_catalog_gpu(amd_points):
    entries = _entries()
    assert len(amd_points) == len(entries) >= 6
    catalog = load_catalog()
    for p in amd_points:
        assert p.family in AMD_FAMILIES, p.id
        assert p.gpu.backend == "rocm", p.id
        assert catalog.gpu(p.gpu.slug) is not None, p.id  # catalog cards only, no inline gpu_spec






# Figures as the sources print them and the conversion each entry states (what was timed, per what):
# it/s -> seconds per step = 1 / (it/s); MLPerf Offline samples/s of 8 GPUs -> one GPU's batch of 32 = 32 / (x / 8).
SOURCE_FIGURES = {
    "sdxl-7900xtx-fp16-comfyui-split-attention-2024": 1 / 2.80,
    "sdxl-7900xtx-fp16-comfyui-sdpa-2025": 1 / 3.7,
    "flux1-dev-7900xt-comfyui-sdpa-2025": 1.47,
    "sdxl-7900xtx-fp16-iree-unet-sharkai": 292 / 1000,
    "sdxl-r9700-fp16-comfyui-rocmblog": 1 / 4.52,
    "flux1-dev-mi300x-bf16-sglang-rocm": 0.224,
    "sdxl-mi325x-fp8-mlperf-v5.1-offline": 32 / (18.59 / 8),
}


def test_stored_seconds_follow_from_the_printed_figures(amd_points):
    got = {p.id: p for p in amd_points}
    assert set(SOURCE_FIGURES) == set(got)
    for pid, seconds in SOURCE_FIGURES.items():
        # stored values are rounded to 3-4 significant digits: within 0.2 %
        assert got[pid].measured_seconds == pytest.approx(seconds, rel=2e-3), pid
    mlperf = got["sdxl-mi325x-fp8-mlperf-v5.1-offline"]
    assert mlperf.batch == 32 and mlperf.timed == "end_to_end"
    # MLPerf SDXL runs CFG: two UNet evaluations per step
    assert mlperf.evals == 2 and mlperf.steps == 20


def test_compiled_and_fp8_stacks_are_held_out(amd_points):
    for p in amd_points:
        if p.stack.startswith("iree") or p.precision == "fp8":
            assert not p.use_for_fit, p.id


def test_fitted_amd_families_are_labelled_fitted(fitted, amd_points):
    for fam in AMD_FAMILIES:
        n_eligible = sum(1 for p in amd_points if p.family == fam and C.eligible(p))
        assert fitted.families[fam].points == n_eligible, fam
        expected = ("fitted" if n_eligible >= T.MIN_FAMILY_POINTS else "few-points" if n_eligible
                    else "specs-only")
        assert T.family_tier(fitted, fam) == expected, fam
    # the file gives every AMD family at least one fitted point
    assert all(fitted.families[f].points >= 1 for f in AMD_FAMILIES)


def test_held_out_points_are_not_fitted(fitted, amd_points):
    listed = set(fitted.fit_points)
    for p in amd_points:
        key = f"{p.pipeline}@{p.gpu.slug}:{p.id}"
        assert (key in listed) == C.eligible(p), p.id

"""Per GPU class / per stack error tables, new calibration families ("from specs only"), public matmul ceilings, and
validation points that carry their stack's optimizations (ComfyUI FP8 paths, GGUF, torch.compile)."""

from __future__ import annotations

import statistics

import pytest
import yaml

from advisor.catalog import PROFILES_DIR
from advisor.errors import CatalogError
from advisor.fit import calibrate as C
from advisor.fit import validate as V
from advisor.perf import PerfRequest, estimate
from advisor.perf import optimizations as O
from advisor.perf import timing as T



@pytest.mark.parametrize("slug, expected", [
    ("rtx-4090", "consumer-ada"), ("rtx-3090", "consumer-ampere"), ("rtx-5090", "consumer-blackwell"),
    ("rtx-6000-ada", "workstation"), ("rtx-pro-6000-blackwell", "workstation"), ("h100-sxm", "data-centre"),
    ("l40s", "data-centre"), ("rx-7900-xtx", "amd"), ("mi300x", "amd"), ("apple-m3-max-128gb", "apple"),
])
def test_gpu_class_of_catalog_cards(catalog, slug, expected):
    assert V.gpu_class(catalog.gpu(slug)) == expected


def test_gpu_class_of_the_cpu_device():
    from advisor.perf import _engine as E

    assert V.gpu_class(E.cpu_device(T.load_calibration())) == "cpu"


def test_stack_names_are_normalised():
    assert V.stack_of("diffusers + ParaAttention") == "diffusers"
    assert V.stack_of("comfyui (SwarmUI)") == "comfyui"
    assert V.stack_of("ComfyUI") == "comfyui"
    assert V.stack_of("") == "diffusers"


def test_grouped_errors_by_hand():
    rows = [{"g": "a", "e": 10.0}, {"g": "a", "e": 20.0}, {"g": "a", "e": 30.0}, {"g": "b", "e": 50.0},
            {"g": "b", "e": None}]
    out = V.grouped_errors(rows, "g", "e")
    # a: mean (10 + 20 + 30) / 3 = 20 <= 20 (goal met, 3 points); b: one scored point -> too few for the goal
    assert out["a"]["n"] == 3 and out["a"]["mape"] == pytest.approx(20.0) and out["a"]["max"] == 30.0
    assert out["a"]["meets_goal"] is True
    assert out["b"] == {"n": 1, "mape": 50.0, "p90": 50.0, "max": 50.0, "meets_goal": None}


@pytest.fixture(scope="module")
def fast_report():
    return V.validation_report(refit=False)


def test_class_and_stack_tables_are_computed_from_the_rows(fast_report):
    used = [r for r in fast_report["points"] if r["roofline_check"] == "passed" and r["quality"] == "ok"]
    for key, col in (("by_gpu_class", "gpu_class"), ("by_stack", "stack_group")):
        for name, g in fast_report[key].items():
            errs = [r["abs_pct_error"] for r in used if r[col] == name]
            assert g["n"] == len(errs) and g["mape"] == pytest.approx(sum(errs) / len(errs)), (key, name)
    # the market the issue asks for: consumer Ampere/Ada/Blackwell, workstation, data centre, Apple
    assert {"consumer-ampere", "consumer-ada", "consumer-blackwell", "workstation", "data-centre",
            "apple"} <= set(fast_report["by_gpu_class"])
    assert {"diffusers", "comfyui"} <= set(fast_report["by_stack"])  # the two stacks the public points come from


def test_public_set_covers_sources_classes_and_pipelines():
    pts = [p for p in C.load_points() if p.kind == "public"]
    repos = {p.source.split()[1] if p.source.startswith("github ") else p.source.split()[0] for p in pts}
    assert len(pts) >= 60
    assert len(repos) >= 10, sorted(repos)
    assert len({V.gpu_class(p.gpu) for p in pts}) >= 6
    for p in pts:  # every point states settings, what was timed, source and date
        assert p.timed in C.TIMED and p.source and p.as_of and p.width and p.steps


def test_text_table_shows_the_groups(fast_report):
    text = V.format_table(fast_report)
    assert "per GPU class" in text and "per stack" in text and "per calibration family" in text


def test_families_without_points_are_from_specs_only(catalog):
    stored = T.load_calibration()
    # a ROCm family with no measured point (as RDNA 3, RDNA 4 and CDNA 3 were before profiles/validation/public-amd.yaml)
    fams = {f: (e.model_copy(update={"points": 0}) if f in ("rdna3", "rdna4", "cdna3") else e)
            for f, e in stored.families.items()}
    cal = stored.model_copy(update={"families": fams, "fit_points": [p for p in stored.fit_points
                                                                     if "rx-7900" not in p]})
    for fam in ("rdna3", "rdna4", "cdna3"):
        assert T.family_tier(cal, fam) == "specs-only"
    est = estimate(PerfRequest("flux-1-schnell", "rx-7900-xtx", offload="none"), catalog, calibration=cal)
    specs_only = cal.uncertainty.get("specs_only", 1.5 * cal.uncertainty.get("cold", 0.35))
    assert est.uncertainty == pytest.approx(specs_only)
    assert est.uncertainty > cal.uncertainty["cross_gpu"]  # wider than a family with points
    assert any(n.startswith("from specs only") for n in est.notes)


def test_rocm_families_fitted_on_one_or_two_points_keep_the_wide_band(catalog):
    cal = T.load_calibration()
    # profiles/validation/public-amd.yaml: 2 fitted RDNA 3 points, 1 RDNA 4, 1 CDNA 3 (fewer than MIN_FAMILY_POINTS)
    assert {f: cal.families[f].points for f in ("rdna3", "rdna4", "cdna3")} == {"rdna3": 2, "rdna4": 1, "cdna3": 1}
    for fam in ("rdna3", "rdna4", "cdna3"):
        assert T.family_tier(cal, fam) == "few-points"
    est = estimate(PerfRequest("flux-1-schnell", "mi300x", offload="none"), catalog)
    assert est.uncertainty == pytest.approx(cal.uncertainty["specs_only"]) and est.uncertainty > cal.uncertainty["cross_gpu"]
    assert any(n.startswith("few measured runs: the cdna3 family is fitted on 1 point") for n in est.notes)


def test_a_calibration_without_the_new_families_still_answers_for_them():
    data = T.default_calibration().model_dump(mode="json")
    data["families"] = {k: v for k, v in data["families"].items() if k in ("ampere", "ada", "hopper", "blackwell", "cpu")}
    cal = T.Calibration.model_validate(data)
    assert cal.families["apple"].points == 0 and T.family_tier(cal, "apple") == "specs-only"
    assert T.family_tier(cal, "blackwell-dc") == "shared-level"


def test_public_matmul_ceilings_set_the_rates(catalog):
    r5090 = T.device_rates(catalog.gpu("rtx-5090"), "bf16")
    assert r5090.matmul_flops_per_s == pytest.approx(239.1e12)  # profiles/ceilings/rtx-5090.yaml (torch median)
    assert T.device_rates(catalog.gpu("rtx-5090"), "fp8").matmul_flops_per_s == pytest.approx(773.52e12)
    # no ceilings file: datasheet x the consumer segment's fraction, the median over GeForce cards of the measured
    # PyTorch BF16 matmul over the datasheet BF16 (FP32-accumulate) rate (advisor.perf.timing documents it so).
    # Measured: profiles/ceilings/<slug>.yaml where the catalog has one; RTX 4060 Ti 16GB 42.65 and RTX 4070 SUPER
    # 75.2 TFLOP/s from the same public table (github zzc0721/torch-performance-test-data database.md, read
    # 2026-12-07). The RTX 4070 SUPER is not in the catalog: its datasheet rate is 56 SMs x 4 tensor cores x 2.475 GHz
    # boost x 128 FLOP per clock per tensor core (GeForce Ada, dense BF16 with FP32 accumulate: the RTX 4090's
    # 512 x 2.52 GHz x 128 = 165.2 TFLOP/s of the catalog) = 70.96 TFLOP/s.
    def measured(slug: str) -> float:
        return yaml.safe_load((PROFILES_DIR / "ceilings" / f"{slug}.yaml").read_text())["bf16_matmul_median_tflops"]

    def datasheet(slug: str) -> float:
        return catalog.gpu(slug).tensor_tflops["bf16_fp32acc"].value

    ratios = [measured(s) / datasheet(s) for s in ("rtx-3090", "rtx-4090", "rtx-5090")]
    assert 512 * 2.52 * 128 / 1e3 == pytest.approx(datasheet("rtx-4090"), abs=0.05)  # the per-core rate holds
    ratios += [42.65 / datasheet("rtx-4060-ti-16gb"), 75.2 / (56 * 4 * 2.475 * 128 / 1e3)]
    consumer_fraction = statistics.median(ratios)
    g = catalog.gpu("rtx-4080")
    # rel 1e-3: the code keeps the median to three decimals (at most 0.0005 / 1.06 = 4.7e-4) and took the RTX 4070
    # SUPER at 71.0 for 70.96 TFLOP/s (5.6e-4): 1.059 here against 1.0597 computed
    assert T.device_rates(g, "bf16").matmul_flops_per_s == pytest.approx(
        g.tensor_tflops["bf16_fp32acc"].value * 1e12 * consumer_fraction, rel=1e-3)
    # no published copy figure: datasheet bandwidth (x the family's copy fraction, 1.0 for Blackwell)
    assert r5090.memory_bytes_per_s == pytest.approx(1792e9 * T.load_calibration().families["blackwell"]
                                                     .copy_ceiling_fraction)


def test_comfyui_fp8_matmul_pays_its_clamp_and_cast_by_hand(catalog):
    """comfyui-fp8-matmul and fp8-compute differ only in the activation bytes per linear input element (ComfyUI's
    clamp + cast 7 vs torchao's eager abs + amax + scale + clamp + cast 17): the step times differ by
    (7 - 17) x input elements / (achievable bandwidth x e_weights) [s]."""
    from advisor.catalog.architecture import load_architecture
    from advisor.perf import flops as F

    cal = T.load_calibration()
    gpu = catalog.gpu("rtx-4090")
    spec = load_architecture("flux-1-dev")
    kw = dict(offload="none", steps=20)
    a = estimate(PerfRequest("flux-1-dev", "rtx-4090", optimizations=("comfyui-fp8-matmul",), **kw), catalog)
    b = estimate(PerfRequest("flux-1-dev", "rtx-4090", optimizations=("fp8-compute",), **kw), catalog)
    n_in = O.linear_input_elements(spec, 1024, 1024, F.text_tokens(spec, 64), 1)
    bw_w = T.device_rates(gpu, "bf16", cal).memory_bytes_per_s * cal.families["ada"].weights
    # rel 1e-12: the two step times (~0.5 s) are the same double-precision sums except for this one term, so they
    # differ from it only by rounding (~1e-16 per operation, measured 1.3e-16 relative on the 0.10 s difference)
    assert a.seconds_per_step - b.seconds_per_step == pytest.approx((7.0 - 17.0) * n_in / bw_w, rel=1e-12)


def test_points_are_predicted_with_their_optimizations(catalog):
    """A public point run with FP8 storage is predicted like `advisor simulate --optimization fp8-storage`."""
    p = next(q for q in C.load_points(catalog) if q.id == "flux1-dev-5090-fp8-swarmui-secourses")
    assert p.optimizations == ("fp8-storage",) and p.timed == "transformer_step"
    cal = T.load_calibration()
    est = estimate(PerfRequest("flux-1-dev", "rtx-5090", steps=20, offload="none", optimizations=("fp8-storage",)),
                   catalog, calibration=cal)
    assert C.predict_point(p, cal) == pytest.approx(est.seconds_per_step, rel=1e-9)


def test_denoise_vae_is_denoise_plus_vae(catalog):
    p = next(q for q in C.load_points(catalog) if q.id == "flux1-dev-5090-bf16-swarmui-secourses")
    st = C.predict_stages(p, T.load_calibration())
    assert p.timed == "denoise_vae" and st["denoise_vae"] == pytest.approx(st["denoise"] + st["vae_decode"])


def test_bad_public_points_get_one_line(tmp_path, catalog):
    base = ("- id: x\n  pipeline: flux-1-dev\n  gpu: rtx-4090\n  precision: bf16\n  width: 1024\n  height: 1024\n"
            "  steps: 20\n  measured_seconds: 1.0\n  timed: transformer_step\n  source: s\n  as_of: 2026-12-07\n")
    f = tmp_path / "public.yaml"
    f.write_text(base + "  optimizations: [no-such-thing]\n")
    with pytest.raises(CatalogError, match=r"\[x\] field 'optimizations'") as exc:
        C.load_points(catalog, public_path=f)
    assert "\n" not in str(exc.value)
    f.write_text(base + "  optimizations: [nunchaku-w4a4, fp8-storage]\n")  # two weight formats at once
    with pytest.raises(CatalogError, match="one weight format at a time"):
        C.load_points(catalog, public_path=f)
    f.write_text(base + "  quality: great\n")
    with pytest.raises(CatalogError, match=r"\[x\] field 'quality': one of ok, inconsistent"):
        C.load_points(catalog, public_path=f)

"""Validation table: computed from data, stored roofline flags agree, and the accuracy goal (CI gate)."""

from __future__ import annotations

import pytest
import yaml

from advisor import calibrate as C
from advisor import validate as V


@pytest.fixture(scope="module")
def report():
    return V.validation_report(refit=True)


def test_error_table_is_computed_from_the_data(report):
    rows = {r["id"]: r for r in report["points"]}
    r = rows["flux1-dev-h100-bf16-benchmarkflux"]
    # absolute percentage error = |pred - meas| / meas x 100 from the row's own numbers
    assert r["abs_pct_error"] == pytest.approx(abs(r["predicted_seconds"] - 7.11) / 7.11 * 100)
    used = [x["abs_pct_error"] for x in report["points"] if x["roofline_check"] == "passed" and x["quality"] == "ok"]
    assert report["mape"] == pytest.approx(sum(used) / len(used))
    assert report["n_used"] == len(used)


def test_stored_roofline_flags_agree_with_recomputed_ones(report):
    for r in report["points"]:
        if r["stored_roofline_check"] is not None:
            assert r["roofline_check"] == r["stored_roofline_check"], r["id"]


def test_suspicious_klein_5060ti_point_fails_the_roofline_check_and_is_not_fitted(report):
    r = next(x for x in report["points"] if x["id"] == "flux2-klein-4b-5060ti-diffuser")
    assert r["roofline_check"] == "failed" and r["fraction_of_peak"] < C.MIN_PLAUSIBLE_FRACTION
    assert not r["use_for_fit"]


def test_public_points_carry_source_and_date():
    data = yaml.safe_load(C.PUBLIC_PATH.read_text())
    for e in data:
        for k in ("pipeline", "precision", "width", "height", "steps", "measured_seconds", "timed", "source", "as_of",
                  "roofline_check", "use_for_fit"):
            assert k in e, (e["id"], k)
        assert ("gpu" in e) != ("gpu_spec" in e), e["id"]


def test_fit_cases_all_classified(report):
    assert report["fit_classification_accuracy"] is not None
    assert len(report["fit_cases"]) >= 10
    # documented: FLUX.2 dev bf16 with model offload on H100 ~62 GB (57.7 GiB); the model must be within 15%
    row = next(r for r in report["fit_cases"] if r["id"] == "flux2-dev-bf16-h100-model-offload")
    assert row["peak_vram_gib"] == pytest.approx(57.7, rel=0.15)


def test_fit_classification_goal(report):
    # research/simulator.md decision target: >= 97% of documented fit/no-fit cases right
    assert report["fit_classification_accuracy"] >= 0.97


def test_cpu_goal(report):
    # goal: CPU MAPE <= 15% (leave-one-config-out)
    assert report["cpu_mape"] is not None and report["cpu_mape"] <= 15.0


def test_p90_goal(report):
    # goal: P90 absolute percentage error <= 25%
    assert report["p90_abs_pct_error"] <= 25.0


def test_leave_one_gpu_out_goal(report):
    # goal: leave-one-GPU-out MAPE <= 15%. Currently NOT met with honest data (28%, 2026-11-26): reported to the
    # lead; stays failing until the lead agrees to an xfail with the measured number or new data fixes it.
    assert report["leave_one_gpu_out_mape"] <= 15.0

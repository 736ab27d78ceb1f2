"""Data-centre and workstation public validation points (profiles/validation/public-pro.yaml): every point loads on a
catalog card with its provenance, its stored roofline flag agrees with the recomputed one, the stored seconds follow
from the figure the source prints (quoted in the entry's source string), and only plain eager runs are fitted.

No fit here: the points only have to load and be consistent; their effect on the leave-one-GPU-out error is measured
by the validation report.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from advisor.catalog import load_catalog
from advisor.fit import calibrate as C
from advisor.perf import timing as T

PRO_PATH = C.PUBLIC_PATH.parent / "public-pro.yaml"


def _entries() -> list[dict]:
    return yaml.safe_load(PRO_PATH.read_text())


@pytest.fixture(scope="module")
def pro_points() -> list[C.ValidationPoint]:
    return [p for p in C.load_points(public_path=PRO_PATH) if p.kind == "public"]




def test_every_point_loads_on_a_catalog_card_named_in_its_id(pro_points):
    entries = _entries()
    assert len(pro_points) == len(entries) >= 10
    catalog = load_catalog()
    for e, p in zip(entries, pro_points):
        assert "gpu_spec" not in e, p.id  # catalog cards only: their datasheet numbers are sourced in gpus.yaml
        assert catalog.gpu(p.gpu.slug) is not None, p.id
        assert p.gpu.segment in ("datacenter", "workstation"), p.id
        # ids carry the card, so they stay unique next to public-consumer.yaml and the other files
        assert p.id.startswith(p.gpu.slug + "-"), p.id






def test_only_plain_eager_runs_are_fitted(pro_points):
    for p in pro_points:
        if p.use_for_fit:
            assert p.stack == "diffusers" and not p.optimizations, p.id
        if p.stack == "tensorrt":
            # MLPerf submissions: NVIDIA's TensorRT engines, predicted with the tensorrt stack entry, held out
            assert "tensorrt" in p.optimizations and not p.use_for_fit, p.id




# The figure each source prints, as printed, and its conversion to measured_seconds (the seconds for the point's
# batch): ms tables / 1000; MLPerf Offline samples/s of the whole system -> per GPU -> batch / rate; MLPerf
# SingleStream latency in ns / 1e9.
SOURCE_FIGURES = {
    "a100-40gb-sdxl-fp16-sdpa-b4-hf-blog": ("11413.0 ms", lambda x: x / 1000),
    "a100-40gb-sdxl-fp16-compile-b4-hf-blog": ("10296.7 ms", lambda x: x / 1000),
    "l40s-flux1-dev-bf16-512-50steps-pruna": ("8.71 seconds", lambda x: x),
    "l40s-sdxl-fp8-tensorrt-mlperf-v4.0-offline": ("Samples per second: 5.01972", lambda x: 8 / (x / 8)),
    "gh200-sdxl-fp8-tensorrt-mlperf-v4.1-offline": ("Samples per second: 2.30033", lambda x: 8 / (x / 1)),
    "b200-sdxl-fp8-tensorrt-mlperf-v5.1-offline": ("31.78 samples/s", lambda x: 8 / (x / 8)),
    "h100-nvl-sdxl-fp8-tensorrt-mlperf-v4.1-offline": ("Samples per second: 6.13275", lambda x: 8 / (x / 4)),
    "l40s-sdxl-fp8-tensorrt-mlperf-v4.0-offline-dell": ("Samples per second: 2.68759", lambda x: 8 / (x / 4)),
    "l4-sdxl-fp8-tensorrt-mlperf-v4.0-singlestream": ("(ns) : 5292758087", lambda x: x / 1e9),
    "t4-sdxl-fp16-25steps-pixart-readme": ("26.5s", lambda x: x),
    "a100-80gb-sdxl-fp16-25steps-pixart-readme": ("3.8s", lambda x: x),
}


def test_stored_seconds_follow_from_the_printed_figures(pro_points):
    got = {p.id: p for p in pro_points}
    assert set(SOURCE_FIGURES) == set(got)
    for pid, (printed, convert) in SOURCE_FIGURES.items():
        assert printed in got[pid].source, pid  # the quoted figure is the one the conversion starts from
        value = float(re.search(r"\d[\d.]*", printed.split(":")[-1]).group())
        # stored values keep 4 decimals (5 significant digits at least): equal within 5e-5 relative
        assert got[pid].measured_seconds == pytest.approx(convert(value), rel=5e-5), pid


def test_mlperf_offline_points_barely_depend_on_the_assumed_batch(pro_points):
    """The Offline points assume NVIDIA's per-GPU engine batch (8, not in the indexed result files): the predicted
    seconds per image at batch 8 and at batch 32 differ by under 5 %, so the assumption does not decide the error
    (the per-image work is the same; only launch floors and fixed per-call costs are shared by the batch)."""
    cal = T.load_calibration()
    offline = [p for p in pro_points if "mlperf" in p.id and "offline" in p.id]
    assert len(offline) == 5
    for p in offline:
        assert p.batch == 8, p.id
        per_image = {b: C.predict_point(dataclasses.replace(p, batch=b), cal) / b for b in (8, 32)}
        assert per_image[32] == pytest.approx(per_image[8], rel=0.05), (p.id, per_image)

"""GeForce public validation points (profiles/validation/public-consumer.yaml): every point loads on a consumer
catalog card with its provenance, its stored roofline flag agrees with the recomputed one, and the stored seconds
follow from the figure the source prints (quoted in the entry's source string).

No fit here: the points only have to load and be consistent; their effect on the leave-one-GPU-out error is measured
by the validation report.
"""

from __future__ import annotations

import re

import pytest
import yaml

from advisor.catalog import load_catalog
from advisor.fit import calibrate as C
from advisor.fit.validate.points import gpu_class

CONSUMER_PATH = C.PUBLIC_PATH.parent / "public-consumer.yaml"


def _entries() -> list[dict]:
    return yaml.safe_load(CONSUMER_PATH.read_text())


@pytest.fixture(scope="module")
def consumer_points() -> list[C.ValidationPoint]:
    return [p for p in C.load_points(public_path=CONSUMER_PATH) if p.kind == "public"]




def test_every_point_loads_on_a_consumer_catalog_card(consumer_points):
    entries = _entries()
    assert len(consumer_points) == len(entries) >= 2
    catalog = load_catalog()
    for p in consumer_points:
        assert gpu_class(p.gpu).startswith("consumer-"), p.id  # consumer-ampere / -ada / -blackwell
        assert catalog.gpu(p.gpu.slug) is not None, p.id  # catalog cards only, no inline gpu_spec
        assert p.id.startswith("rtx"), p.id  # ids carry the card, so they stay unique next to public-pro.yaml








# The figure each source prints, as printed ('X s/it' = seconds per sampler step of the whole batch), and the
# conversion to measured_seconds that the entry's note states.
SOURCE_FIGURES = {
    "rtx3060-sdxl-fp16-832x1216-b4-comfyui-stablefast63": ("2.78s/it", lambda x: x),
    "rtx4060ti16-sdxl-fp16-832x1216-b4-comfyui-stablefast63": ("1.86s/it", lambda x: x),
    # the README table's 'Warm generation' column, followed by the peak-VRAM column: one whole txt2img call
    "rtx5060ti16-sdxl-fp16-1024-50steps-diffuser-r": ("20 s | 12.7 GB", lambda x: x),
    "rtx5060ti16-flux2-klein-4b-fp8-1024-4steps-diffuser-r": ("13 s | 12.5 GB", lambda x: x),
}


def test_stored_seconds_follow_from_the_printed_figures(consumer_points):
    got = {p.id: p for p in consumer_points}
    assert set(SOURCE_FIGURES) == set(got)
    for pid, (printed, convert) in SOURCE_FIGURES.items():
        assert printed in got[pid].source, pid  # the quoted figure is the one the conversion starts from
        value = float(re.match(r"[\d.]+", printed).group())
        # stored values keep the printed digits: equal to float precision
        assert got[pid].measured_seconds == pytest.approx(convert(value), rel=1e-9), pid


def test_comfyui_sdxl_steps_include_both_cfg_passes_of_the_batch(consumer_points):
    for p in consumer_points:
        if p.pipeline == "sdxl" and p.timed == "transformer_step":
            # CFG 8 (ComfyUI's KSampler default): two UNet evaluations per step, each over the whole batch of 4
            assert p.evals == 2 and p.batch == 4, p.id

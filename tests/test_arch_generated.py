"""profiles/architectures/*.yaml == regenerated from the real diffusers/transformers classes (meta device, CPU).

Runs in the normal suite: building the six pipelines on the meta device takes ~6 s and no memory.
"""

from __future__ import annotations

import pytest

from advisor.catalog.architecture import architecture_path, load_architecture

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from measure.architecture_extract import PIPELINE_CLASS, SLUGS  # noqa: E402
from measure.generate_architectures import render  # noqa: E402

# Parameter counts from /work/shared/research/diffusers-offline.md (models built at full size on the meta device)
# and public model cards: FLUX.1-dev transformer 11.90B, T5-v1.1-XXL encoder 4.76B, CLIP-L text 123M,
# FLUX.1 VAE 83,819,683 (83,821,011 incl. the quant convs the FLUX.1 config disables).
EXPECTED = {
    "z-image-turbo": {"transformer": 6_154_908_736, "text_encoder": 4_022_468_096, "vae": 83_819_683},
    "flux-2-dev": {"transformer": 32_223_281_152, "text_encoder": 24_011_361_280, "vae": 84_046_115},
    "flux-2-klein-4b": {"transformer": 3_875_544_576, "text_encoder": 4_022_468_096, "vae": 84_046_115},
    "flux-2-klein-9b": {"transformer": 9_078_581_248, "text_encoder": 8_190_735_360, "vae": 84_046_115},
    "flux-1-dev": {"transformer": 11_901_408_320, "text_encoder": 123_060_480, "text_encoder_2": 4_762_310_656,
                   "vae": 83_819_683},
    # schnell has no guidance embedder: 2 linears 256->3072 and 3072->3072 with biases fewer
    # = (256*3072 + 3072) + (3072*3072 + 3072) = 789,504 + 9,440,256 = 10,229,760 fewer.
    "flux-1-schnell": {"transformer": 11_901_408_320 - 10_229_760, "text_encoder": 123_060_480,
                       "text_encoder_2": 4_762_310_656, "vae": 83_819_683},
}


@pytest.mark.parametrize("slug", SLUGS)
def test_stored_yaml_equals_regenerated(slug):
    stored = architecture_path(slug).read_text(encoding="utf-8")
    assert stored == render(slug), f"{slug}: run `python -m measure.generate_architectures`"


@pytest.mark.parametrize("slug", SLUGS)
def test_parameter_counts_match_references(slug):
    assert load_architecture(slug).module_param_counts() == EXPECTED[slug]


def test_flux2_dev_unused_vision_tower_recorded():
    te = load_architecture("flux-2-dev").text_encoders[0]
    # Pixtral vision tower 0.403B + projector 0.036B (diffusers-offline.md) = 438,958,080 exactly
    assert te.param_count_unused == 438_958_080
    assert te.class_name == "Mistral3ForConditionalGeneration"


def test_extract_slugs_match_measure_pipelines():
    # the meta-device specs are built from measure.configs (the one copy of the real sizes and of the pipeline
    # classes), so both name the same six pipelines, and the catalog holds the same six (steps, guidance)
    from advisor.catalog import load_catalog
    from measure.configs import PIPELINES

    assert set(SLUGS) == set(PIPELINES) == set(PIPELINE_CLASS) == set(load_catalog().pipelines)

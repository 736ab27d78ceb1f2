"""profiles/architectures/*.yaml == regenerated from the real diffusers/transformers classes (meta device, CPU).

Runs in the normal suite: building the pipelines on the meta device takes ~15 s and no memory.
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
# Same architectures as above (the configs say so): Z-Image base = Turbo, klein base = klein, Kontext = FLUX.1 [dev].
EXPECTED["z-image"] = EXPECTED["z-image-turbo"]
EXPECTED["flux-2-klein-base-4b"] = EXPECTED["flux-2-klein-4b"]
EXPECTED["flux-2-klein-base-9b"] = EXPECTED["flux-2-klein-9b"]
EXPECTED["flux-1-kontext-dev"] = EXPECTED["flux-1-dev"]
# CLIPTextModelWithProjection = the text tower + a bias-free 768 x 768 projection: 123,060,480 + 589,824.
CLIP_L_PROJ = 123_060_480 + 768 * 768

# Published sizes, rounded by their publishers, so compared within half a unit of the last digit they give:
# (value, relative tolerance). SDXL UNet 2,567,463,684 and VAE 83,653,863 are the exact counts quoted for
# stabilityai/stable-diffusion-xl-base-1.0; OpenCLIP ViT-bigG/14 text tower with projection 694,659,840.
PUBLISHED = {
    "sd-3.5-large": {"transformer": (8.1e9, 0.05 / 8.1)},  # Stability: "8.1 billion parameters"
    # "2.5B" counts the 384 x 384 x 1536 = 226,492,416-element positional table, a buffer, too
    "sd-3.5-medium": {"transformer+buffers": (2.5e9, 0.05 / 2.5)},
    "qwen-image": {"transformer": (20e9, 0.5 / 20), "text_encoder": (8.29e9, 0.005 / 8.29)},  # "20B"; Qwen2.5-VL-7B 8.29B
    "sdxl": {"unet": (2_567_463_684, 0), "text_encoder_2": (694_659_840, 0), "vae": (83_653_863, 0)},
}


@pytest.mark.parametrize("slug", SLUGS)
def test_stored_yaml_equals_regenerated(slug):
    stored = architecture_path(slug).read_text(encoding="utf-8")
    assert stored == render(slug), f"{slug}: run `python -m measure.generate_architectures`"


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_parameter_counts_match_references(slug):
    assert load_architecture(slug).module_param_counts() == EXPECTED[slug]


@pytest.mark.parametrize("slug", sorted(PUBLISHED))
def test_parameter_counts_match_published_sizes(slug):
    spec = load_architecture(slug)
    counts = spec.module_param_counts()
    counts["transformer+buffers"] = spec.transformer.param_count + spec.transformer.buffer_count
    for module, (value, rel) in PUBLISHED[slug].items():
        assert counts[module] == pytest.approx(value, rel=rel, abs=0), (slug, module, counts[module])


def test_sd3_and_sdxl_clip_encoders_have_projections():
    for slug in ("sd-3.5-large", "sd-3.5-medium", "sd-3.5-large-turbo"):
        counts = load_architecture(slug).module_param_counts()
        assert counts["text_encoder"] == CLIP_L_PROJ
        assert counts["text_encoder_2"] == 694_659_840
        assert counts["text_encoder_3"] == EXPECTED["flux-1-dev"]["text_encoder_2"]  # the same T5-v1.1-XXL encoder
        assert counts["vae"] == EXPECTED["flux-1-dev"]["vae"]  # 16-channel VAE without quant convs, as FLUX.1
    assert load_architecture("sdxl").module_param_counts()["text_encoder"] == EXPECTED["flux-1-dev"]["text_encoder"]


def test_sd3_text_stream_is_clip_plus_t5():
    spec = load_architecture("sd-3.5-large")
    assert spec.tokens.max_sequence_length == 77 + 256  # 77 CLIP + 256 T5 tokens (pipeline default)
    assert [c.max_sequence_length for c in spec.text_encoders] == [77, 77, 256]


def test_every_slug_has_a_catalog_pipeline_and_a_spec():
    from advisor.catalog import load_catalog

    assert set(EXPECTED) | set(PUBLISHED) <= set(SLUGS)
    assert set(SLUGS) == set(load_catalog().pipelines)


def test_flux2_dev_unused_vision_tower_recorded():
    te = load_architecture("flux-2-dev").text_encoders[0]
    # Pixtral vision tower 0.403B + projector 0.036B (diffusers-offline.md) = 438,958,080 exactly
    assert te.param_count_unused == 438_958_080
    assert te.class_name == "Mistral3ForConditionalGeneration"


def test_extract_slugs_match_measure_pipelines():
    # the meta-device specs are built from measure.configs (the one copy of the real sizes and of the pipeline
    # classes); measure.configs_more holds the real sizes of the rest (some of them measurable at tiny size too)
    from advisor.catalog import load_catalog
    from measure.configs import PIPELINES
    from measure.configs_more import ARCH_ONLY, MEASURABLE

    assert set(SLUGS) == set(PIPELINE_CLASS) == set(load_catalog().pipelines) == set(PIPELINES) | set(ARCH_ONLY)
    assert set(PIPELINES) & set(ARCH_ONLY) == set(MEASURABLE)

"""The pipelines added beyond the first six, on the measure side: the undistilled Z-Image / klein base run end to end
(tiny, CPU) with real CFG; the described-only ones and a diffusers class the installed version lacks are refused in
one line (exit 2)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

import torch  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from advisor.catalog.measured import load_measured_profiles  # noqa: E402
from advisor.cli import app  # noqa: E402

TINY = ["--random-weights", "tiny", "--width", "64", "--height", "64", "--steps", "2", "--precision", "fp32",
        "--max-sequence-length", "32", "--idle-seconds", "0", "--runs", "1", "--warmup", "0"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _run(args):
    return CliRunner().invoke(app, ["measure", *args])


# ZImagePipeline batches the conditional and unconditional halves into one forward of batch 2; Flux2KleinPipeline
# calls the transformer twice. Either way two evaluations per step, as the catalog's transformer_evals_per_step says.
@pytest.mark.parametrize("pipeline,calls", [("z-image", 1), ("flux-2-klein-base-4b", 2)])
def test_undistilled_pipelines_measure_with_real_cfg(pipeline, calls, tmp_path):
    from advisor.catalog import load_catalog

    res = _run(["--pipeline", pipeline, *TINY, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.settings.guidance == load_catalog().pipeline(pipeline).default_guidance == 4.0
    assert prof.settings.cfg is True
    assert prof.settings.transformer_calls_per_step == calls
    assert load_catalog().pipeline(pipeline).transformer_evals_per_step == 2


@pytest.mark.parametrize("pipeline", ["sd-3.5-large", "sd-3.5-medium"])
@pytest.mark.parametrize("components", ["all", "transformer"])
def test_sd35_measures_offline(pipeline, components, tmp_path):
    """SD 3.5 runs end to end with the offline CLIP / T5 tokenizers: three text encoders (CLIP-L and CLIP-G over 77
    tokens, T5 over --max-sequence-length), the MMDiT with real CFG (cond + uncond batched: one call per step), and the
    profile's architecture says so."""
    res = _run(["--pipeline", pipeline, *TINY, "--components", components, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    (prof,) = load_measured_profiles(tmp_path)
    s = prof.settings
    assert (s.pipeline_class, s.cfg, s.transformer_calls_per_step) == ("StableDiffusion3Pipeline", True, 1)
    arch = prof.architecture
    if components == "all":
        assert [(c.name, c.max_sequence_length) for c in arch.text_encoders] == [
            ("text_encoder", 77), ("text_encoder_2", 77), ("text_encoder_3", 32)]
        assert arch.tokens.max_sequence_length == 77 + 32  # the denoiser's text stream
        assert prof.runs[0].text_encoder_seconds > 0  # the three encoders are hooked (text_encoder_3 included)
    else:
        assert arch.text_encoders == [] and prof.settings.components_run == ["transformer"]
    assert any(a.sequence == "image" for a in arch.transformer.attentions) == (pipeline == "sd-3.5-medium")


def test_scaled_sizes_are_refused_for_sd35(tmp_path):
    res = _run(["--pipeline", "sd-3.5-large", *[a if a != "tiny" else "scaled:0.1" for a in TINY], "--out",
                str(tmp_path)])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == ["error: --random-weights: got 'scaled'; allowed: tiny or full for "
                                               "sd-3.5-large (scaled sizes are defined for the FLUX and Z-Image "
                                               "pipelines only)"]


@pytest.mark.parametrize("components", ["all", "transformer"])
def test_qwen_image_measures_offline_with_true_cfg(components, tmp_path):
    """Qwen-Image's CFG is ``true_cfg_scale`` with a negative prompt and two separate forwards a step; the profile
    records it as CFG (so the calibration counts two evaluations), and its Qwen2.5-VL encodes the prompt unpadded."""
    res = _run(["--pipeline", "qwen-image", *TINY, "--components", components, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    (prof,) = load_measured_profiles(tmp_path)
    s = prof.settings
    assert (s.pipeline_class, s.guidance, s.cfg, s.transformer_calls_per_step) == ("QwenImagePipeline", 4.0, True, 2)
    assert prof.runs[0].transformer_calls == 2 * 2  # 2 steps x (cond + uncond)
    assert prof.architecture.tokens.text_policy == "prompt_only"
    if components == "all":
        (te,) = prof.architecture.text_encoders
        assert te.sequence_policy == "prompt_only" and te.param_count_unused > 0  # the (tiny) vision tower


@pytest.mark.parametrize("components", ["all", "transformer"])
def test_sdxl_unet_measures_offline(components, tmp_path):
    """SDXL: the UNet is timed as the denoiser (CFG batched: one call per step), two CLIP encoders over 77 tokens (no
    max_sequence_length argument), and the profile's architecture is the traced UNet."""
    res = _run(["--pipeline", "sdxl", *TINY, "--components", components, "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    (prof,) = load_measured_profiles(tmp_path)
    s = prof.settings
    assert (s.pipeline_class, s.guidance, s.cfg, s.transformer_calls_per_step) == ("StableDiffusionXLPipeline", 5.0,
                                                                                    True, 1)
    assert prof.runs[0].transformer_calls == 2 and len(prof.runs[0].step_seconds) == 2
    arch = prof.architecture
    assert arch.transformer.module == "unet" and any(a.kv_sequence == "text" for a in arch.transformer.attentions)
    assert [c.name for c in arch.text_encoders] == (["text_encoder", "text_encoder_2"] if components == "all" else [])


@pytest.mark.parametrize("pipeline", ["qwen-image-edit", "flux-1-kontext-dev"])
def test_described_only_pipelines_are_refused_in_one_line(pipeline, tmp_path):
    res = _run(["--pipeline", pipeline, *TINY, "--out", str(tmp_path)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --pipeline: got '{pipeline}'"), res.output
    assert lines[0].endswith("it edits input images, which measure does not supply)")


def test_missing_diffusers_pipeline_class_is_one_line_exit_2(monkeypatch, tmp_path):
    monkeypatch.setattr(diffusers, "ZImagePipeline", None)  # as if the installed diffusers predated it
    res = _run(["--pipeline", "z-image", *TINY, "--out", str(tmp_path)])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith("error: diffusers class: got 'ZImagePipeline'; allowed: a class of the installed "
                               f"diffusers {diffusers.__version__}")


def test_generate_architectures_missing_class_is_one_line_exit_2(monkeypatch, capsys):
    from measure.generate_architectures import main

    monkeypatch.setattr(diffusers, "SD3Transformer2DModel", None)
    assert main(["--check", "sd-3.5-large"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: diffusers class: got 'SD3Transformer2DModel'; allowed: a class of the installed "
                   f"diffusers {diffusers.__version__} (upgrade diffusers to a release that has it)"]

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


@pytest.mark.parametrize("pipeline", ["sdxl", "sd-3.5-large", "qwen-image", "flux-1-kontext-dev"])
def test_described_only_pipelines_are_refused_in_one_line(pipeline, tmp_path):
    res = _run(["--pipeline", pipeline, *TINY, "--out", str(tmp_path)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --pipeline: got '{pipeline}'"), res.output
    assert "not built yet" in lines[0]


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

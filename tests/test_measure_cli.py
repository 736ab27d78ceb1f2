"""End-to-end ``advisor measure`` on CPU with tiny random pipelines (64x64, 2 steps), failures, interrupts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

import torch  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import measure.runner  # noqa: E402
from advisor.cli import app  # noqa: E402
from advisor.catalog.measured import load_measured_profiles  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--random-weights", "tiny", "--width", "64", "--height", "64", "--steps", "2", "--precision", "fp32",
        "--max-sequence-length", "32", "--idle-seconds", "0"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models: one thread avoids oversubscription on the 2-core box (and is faster)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _run(args, **kw):
    return CliRunner().invoke(app, ["measure", *args], **kw)


@pytest.mark.parametrize("pipeline", ["z-image-turbo", "flux-2-dev", "flux-2-klein-4b", "flux-2-klein-9b",
                                      "flux-1-dev", "flux-1-schnell"])
def test_every_pipeline_end_to_end(tmp_path, pipeline):
    r = _run(["--pipeline", pipeline, *TINY, "--warmup", "0", "--runs", "1", "--out", str(tmp_path),
              "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    (prof,) = load_measured_profiles(tmp_path)
    assert Path(out["path"]).is_file() and prof.settings.pipeline == pipeline
    assert prof.status == "complete" and prof.failures == []
    run = prof.runs[0]
    assert len(run.step_seconds) == 2  # one per denoising step
    assert run.text_encoder_seconds > 0 and run.vae_decode_seconds > 0 and run.denoise_seconds > 0
    # the stages happen inside the call: their sum cannot exceed the total (same clock)
    assert run.text_encoder_seconds + run.denoise_seconds + run.vae_decode_seconds <= run.total_seconds
    assert run.transformer_calls == 2  # tiny defaults: no separate CFG forward
    assert prof.architecture is not None and prof.architecture.slug == pipeline
    assert prof.power.reason.startswith("CPU device: no GPU board power") and prof.power.idle_watts is None
    assert prof.memory.cpu_peak_rss_gib > 0 and prof.memory.weights_gib > 0
    assert prof.device.kind == "cpu" and prof.software.diffusers


def test_table_output_warmup_and_spread(tmp_path):
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--warmup", "1", "--runs", "2", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "wrote " in r.stdout and "denoise" in r.stdout
    (prof,) = load_measured_profiles(tmp_path)
    assert len(prof.warmup_seconds) == 1 and len(prof.runs) == 2
    assert prof.summary.total_seconds.n == 2 and prof.summary.step_seconds.n == 4  # 2 runs x 2 steps
    assert prof.summary.seconds_per_image == prof.summary.total_seconds.median


def test_transformer_only_skips_text_encoder_and_vae(tmp_path):
    r = _run(["--pipeline", "flux-2-dev", *TINY, "--components", "transformer", "--warmup", "0", "--runs", "1",
              "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.settings.components_run == ["transformer"]
    assert prof.settings.components_skipped == ["text_encoder", "vae (built, not run)"]
    run = prof.runs[0]
    assert run.text_encoder_seconds is None and run.vae_decode_seconds is None and len(run.step_seconds) == 2
    assert [c.role for c in prof.architecture.components] == ["transformer"]
    assert prof.settings.prompt == ""


def test_cfg_is_detected_for_z_image_with_guidance(tmp_path):
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--guidance", "4", "--warmup", "0", "--runs", "1",
              "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.settings.cfg is True
    assert r.stdout.splitlines()[-1].endswith("/z-image-turbo-64x64-2steps-fp32-tiny-b1-cfg4-seq32.yaml")


def test_injected_oom_is_recorded_and_other_runs_continue(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = measure.runner.call_pipeline

    def flaky(pipe, kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second timed run
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(pipe, kwargs)

    monkeypatch.setattr(measure.runner, "call_pipeline", flaky)
    r = _run(["--pipeline", "flux-2-klein-4b", *TINY, "--warmup", "0", "--runs", "3", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output  # some runs succeeded: profile written, partial
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.status == "partial" and prof.status_reason == "1 run(s) failed"
    assert [x.run_index for x in prof.runs] == [0, 2]
    (f,) = prof.failures
    assert (f.run_index, f.phase, f.type) == (1, "run", "OutOfMemoryError")
    assert f.message == "CUDA out of memory. Tried to allocate 20.00 GiB"


def test_every_run_failing_gives_failed_profile_and_exit_1(tmp_path, monkeypatch):
    def broken(pipe, kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(measure.runner, "call_pipeline", broken)
    r = _run(["--pipeline", "flux-1-schnell", *TINY, "--warmup", "1", "--runs", "2", "--out", str(tmp_path)])
    assert r.exit_code == 1
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.status == "failed" and prof.runs == []
    assert [(f.phase, f.run_index, f.message) for f in prof.failures] == \
        [("warmup", 0, "boom"), ("run", 0, "boom"), ("run", 1, "boom")]


def test_keyboard_interrupt_writes_partial_profile(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = measure.runner.call_pipeline

    def interrupted(pipe, kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # warm-up, run 0, then Ctrl-C during run 1
            raise KeyboardInterrupt
        return real(pipe, kwargs)

    monkeypatch.setattr(measure.runner, "call_pipeline", interrupted)
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--warmup", "1", "--runs", "3", "--out", str(tmp_path)])
    assert r.exit_code == 130
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.status == "partial" and len(prof.runs) == 1 and prof.failures == []
    assert prof.status_reason.startswith("interrupted")


def test_time_budget_stops_between_steps_keeping_finished_runs(tmp_path, monkeypatch):
    """A fake budget clock that advances 1 s per reading: the loop start reads 0, then each of the 2 denoising
    steps of a run reads once (the step callback) and each run start reads once or twice (the between-runs check).
    Readings: start 0 | run 1: check 1, step 2, step 3 | run 2: check 4, 5 (prediction), step 6 > 5.5 -> stop.
    So with a 5.5 s budget run 1 finishes and run 2 is stopped between its steps and discarded."""
    ticks = iter(range(10_000))
    monkeypatch.setattr(measure.runner, "_clock", lambda: float(next(ticks)))
    r = _run(["--pipeline", "flux-2-klein-9b", *TINY, "--warmup", "0", "--runs", "50", "--time-budget", "5.5",
              "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.status == "partial" and len(prof.runs) == 1
    assert prof.status_reason.startswith("time budget of 5.5 s reached during run 2 (stopped between steps")


def test_time_budget_spent_before_any_run_gives_failed_profile(tmp_path):
    r = _run(["--pipeline", "flux-2-klein-9b", *TINY, "--warmup", "0", "--runs", "50", "--time-budget", "0.000001",
              "--out", str(tmp_path)])
    assert r.exit_code == 1, r.output
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.status == "failed" and prof.runs == []
    assert prof.status_reason.startswith("time budget of 1e-06 s reached")


def test_real_weights_folder_loads_offline(tmp_path):
    from measure.pipelines import build_pipeline

    built = build_pipeline("z-image-turbo", random_weights="tiny")
    built.pipe.save_pretrained(tmp_path / "w")
    r = _run(["--pipeline", "z-image-turbo", "--weights", str(tmp_path / "w"), "--width", "64", "--height", "64",
              "--steps", "2", "--precision", "fp32", "--idle-seconds", "0", "--warmup", "0", "--runs", "1",
              "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    (prof,) = load_measured_profiles(tmp_path / "p")
    assert prof.settings.weights == str(tmp_path / "w") and prof.settings.random_weights is None
    assert {c.name: c.param_count for c in prof.components} == \
        {i["name"]: i["param_count"] for i in built.component_infos}


@pytest.mark.parametrize("args,message", [
    (["--pipeline", "z-image-turbo", "--height", "1000"],
     "error: --height: got 1000; allowed: a positive multiple of 16"),
    (["--pipeline", "z-image-turb"], "error: --pipeline: got 'z-image-turb'; allowed: did you mean z-image-turbo, z-image, sd-3.5-large-turbo?"),
    (["--pipeline", "flux-1-dev", "--random-weights", "scaled:1.5"],
     "error: --random-weights: got 'scaled:1.5'; allowed: tiny, full or scaled:<fraction in (0, 1]>"),
    (["--pipeline", "flux-1-dev", "--random-weights", "scaled:0"], "error: --random-weights: got 'scaled:0'"),
    (["--pipeline", "flux-1-dev", "--precision", "int8"], "error: --precision: got 'int8'; allowed: fp32, bf16, fp16"),
    (["--pipeline", "flux-1-dev", "--device", "tpu"], "error: --device: got 'tpu'; allowed: cpu, cuda, cuda:<index>, rocm, rocm:<index> or mps"),
    (["--pipeline", "flux-1-dev", "--offload", "model"], "error: --offload: got 'model'; allowed: none on --device cpu"),
    (["--pipeline", "flux-1-dev", "--weights", "/nonexistent"], "error: --weights: got '/nonexistent'"),
])
def test_bad_settings_are_one_line_exit_2(tmp_path, args, message):
    r = _run([*args, "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert r.output.startswith(message), r.output
    assert r.output.count("\n") == 1 and "Traceback" not in r.output
    assert not list(tmp_path.rglob("*.yaml"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_gpu_is_one_line_exit_2(tmp_path):
    r = _run(["--pipeline", "z-image-turbo", "--device", "cuda", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert r.output == "error: --device: got 'cuda'; allowed: cpu (no CUDA GPU is visible: " \
                       "torch.cuda.is_available() is False)\n"


def test_help_does_not_import_torch_and_python_m_measure_works():
    code = ("import sys; from typer.testing import CliRunner; from advisor.cli import app; "
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0 and 'measure' in r.output; "
            "r = CliRunner().invoke(app, ['measure', '--help']); assert r.exit_code == 0, r.output; "
            "bad = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    r = subprocess.run([sys.executable, "-m", "measure", "--pipeline", "nope"], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: --pipeline: got 'nope'")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_tiny_run_records_memory_and_power(tmp_path):
    r = _run(["--pipeline", "z-image-turbo", "--random-weights", "tiny", "--device", "cuda", "--width", "256",
              "--height", "256", "--steps", "4", "--precision", "bf16", "--idle-seconds", "0.5", "--warmup", "1",
              "--runs", "2", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.device.kind == "cuda" and prof.memory.torch_max_allocated_gib > 0
    assert len(prof.runs[0].step_seconds) == 4
    assert prof.power.method is not None or prof.power.reason


def test_cuda_code_path_with_fake_gpu_and_fake_nvml(tmp_path, monkeypatch):
    """The runner's CUDA branch (events, syncs, memory stats, NVML power/energy) on the CPU with fakes.

    The pipeline itself is built and run on the CPU; only the torch.cuda calls the runner makes are faked.
    """
    from test_measure_power import fake_nvml
    from test_measure_timing import FakeEvent

    import measure.pipelines
    from measure.runner import MeasureOptions, run_measurement

    c = torch.cuda
    props = type("P", (), {"total_memory": 80 * 2**30})()
    for name, value in dict(set_device=lambda i: None, get_device_name=lambda i=0: "NVIDIA H100 80GB HBM3",
                            get_device_properties=lambda i: props, synchronize=lambda *a: None, Event=FakeEvent,
                            max_memory_allocated=lambda *a: 3 * 2**30, max_memory_reserved=lambda *a: 4 * 2**30,
                            reset_peak_memory_stats=lambda *a: None, empty_cache=lambda: None).items():
        monkeypatch.setattr(c, name, value)
    real_build = measure.pipelines.build_pipeline

    def build_on_cpu(slug, **kw):
        kw["device"] = "cpu"
        return real_build(slug, **kw)

    monkeypatch.setattr(measure.pipelines, "build_pipeline", build_on_cpu)
    nv = fake_nvml()
    opts = MeasureOptions(pipeline="flux-1-schnell", random_weights="tiny", device="cuda", precision="fp32",
                          width=64, height=64, steps=2, guidance=0.0, warmup=1, runs=2, max_sequence_length=32,
                          out=tmp_path, idle_seconds=0.05, sampler_hz=500, progress=False)
    res = run_measurement(opts, nvml=nv)
    p = res.profile
    assert res.exit_code == 0 and p.status == "complete"
    assert res.path.parent.name == "h100-sxm"
    assert (p.device.gpu_slug, p.device.driver, p.device.power_limit_watts) == ("h100-sxm", "580.65.06", 700.0)
    assert (p.memory.torch_max_allocated_gib, p.memory.torch_max_reserved_gib, p.memory.nvml_used_gib) == (3, 4, 5)
    pw = p.power
    assert pw.method == "nvml:power_instant" and pw.reason is None
    assert pw.idle_watts == 250.0 and pw.run_median_watts == 250.0  # the fake reads a constant 250 W
    # fake energy counter: +500 mJ per reading; one reading before and one after each run -> 0.5 J per image
    assert pw.energy_method == "nvml_total_energy" and pw.energy_per_image_joules == 0.5
    assert [r.energy_joules for r in p.runs] == [0.5, 0.5]
    assert nv.state["shutdown"] == 1
    (loaded,) = load_measured_profiles(tmp_path)
    assert loaded == p


# ------------------------------------------------------------------------------ never lose or reduce a profile
def _main_profile(tmp_path, runs: int, extra_runs: int = 0) -> Path:
    """Measure a tiny z-image-turbo campaign of ``runs`` runs into tmp_path; optionally pad its runs list with
    copies (a profile on disk that holds ``runs + extra_runs`` completed runs). Returns its path."""
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--warmup", "0", "--runs", str(runs), "--out", str(tmp_path),
              "--format", "json"])
    assert r.exit_code == 0, r.output
    path = Path(json.loads(r.stdout)["path"])
    if extra_runs:
        import yaml

        data = yaml.safe_load(path.read_text())
        data["runs"] += [dict(data["runs"][0], run_index=i) for i in range(runs, runs + extra_runs)]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _beside(tmp_path) -> list[Path]:
    return sorted(tmp_path.rglob("*.fewer-runs-*.yaml"))


def test_interrupt_never_replaces_a_profile_with_more_runs(tmp_path, monkeypatch):
    main = _main_profile(tmp_path, runs=3)
    before = main.read_bytes()
    calls = {"n": 0}
    real = measure.runner.call_pipeline

    def interrupted(pipe, kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # run 1 done, Ctrl-C during run 2
            raise KeyboardInterrupt
        return real(pipe, kwargs)

    monkeypatch.setattr(measure.runner, "call_pipeline", interrupted)
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--warmup", "0", "--runs", "3", "--out", str(tmp_path)])
    assert r.exit_code == 130
    assert main.read_bytes() == before  # the 3-run profile is untouched
    (beside,) = _beside(tmp_path)
    assert beside.parent == main.parent and beside.name.startswith(main.stem + ".fewer-runs-")
    assert "already holds 3 completed run(s), more than this campaign's 1" in r.output
    from advisor.catalog.measured import profile_from_yaml_text

    kept = profile_from_yaml_text(beside.read_text())
    assert kept.status == "partial" and len(kept.runs) == 1
    # the profile kept beside is not mixed into calibration
    (loaded,) = load_measured_profiles(tmp_path)
    assert len(loaded.runs) == 3


def test_interrupt_during_build_keeps_the_existing_profile(tmp_path, monkeypatch):
    import measure.pipelines

    main = _main_profile(tmp_path, runs=1)
    before = main.read_bytes()

    def killed(*a, **k):
        raise KeyboardInterrupt("signal 15")

    monkeypatch.setattr(measure.pipelines, "build_pipeline", killed)
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--warmup", "0", "--runs", "1", "--out", str(tmp_path)])
    assert r.exit_code == 130
    assert main.read_bytes() == before
    (beside,) = _beside(tmp_path)
    assert "status: failed" in beside.read_text()


def test_each_run_is_written_as_it_completes_and_more_runs_move_back_to_the_main_path(tmp_path, monkeypatch):
    """The main path holds 2 runs. A new 3-run campaign: after run 1 its state goes beside (1 < 2); after run 2 it
    moves to the main path (2 >= 2) and the file beside is removed; the end leaves a complete 3-run profile."""
    main = _main_profile(tmp_path, runs=2)
    seen = []
    real = measure.runner.call_pipeline

    def watching(pipe, kwargs):
        import yaml

        files = {p.name: yaml.safe_load(p.read_text()) for p in main.parent.glob("*.yaml")}
        seen.append({name: (d["status"], len(d["runs"]), d.get("status_reason")) for name, d in files.items()})
        return real(pipe, kwargs)

    monkeypatch.setattr(measure.runner, "call_pipeline", watching)
    r = _run(["--pipeline", "z-image-turbo", *TINY, "--warmup", "0", "--runs", "3", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    # before run 1: only the old 2-run profile
    assert seen[0] == {main.name: ("complete", 2, None)}
    # before run 2: the old profile untouched, this campaign's run 1 beside it
    (beside_name,) = [n for n in seen[1] if n != main.name]
    assert seen[1][main.name] == ("complete", 2, None)
    assert seen[1][beside_name] == ("partial", 1, "in progress: 1 of 3 timed runs done")
    # before run 3: 2 runs written to the main path, nothing beside
    assert seen[2] == {main.name: ("partial", 2, "in progress: 2 of 3 timed runs done")}
    (prof,) = load_measured_profiles(tmp_path)
    assert prof.status == "complete" and len(prof.runs) == 3 and _beside(tmp_path) == []


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_real_signal_never_reduces_a_profile(tmp_path, sig):
    """``python -m measure`` in a subprocess, signalled after its first timed run: exit 130; the profile on disk
    that held more runs (1 measured + 600 copies) is unchanged and the new partial profile is kept beside it."""
    import signal as _signal

    main = _main_profile(tmp_path, runs=1, extra_runs=600)
    before = main.read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "measure", "--pipeline", "z-image-turbo", *TINY, "--warmup", "0",
                             "--runs", "500", "--out", str(tmp_path)], cwd=ROOT, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if line.startswith("run 2/500"):
                break
        proc.send_signal(getattr(_signal, sig))
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert main.read_bytes() == before
    (beside,) = _beside(tmp_path)
    from advisor.catalog.measured import profile_from_yaml_text

    kept = profile_from_yaml_text(beside.read_text())
    assert kept.status == "partial" and len(kept.runs) >= 2 and kept.status_reason.startswith("interrupted")

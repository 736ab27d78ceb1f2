"""StageTimer on a tiny CPU pipeline, in both clock modes (perf_counter, and CUDA events faked on the CPU)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("diffusers")

import torch  # noqa: E402

from measure.pipelines import build_pipeline, call_kwargs  # noqa: E402
from measure.timing import StageTimer  # noqa: E402


class FakeEvent:
    """torch.cuda.Event stand-in: record() stamps perf_counter; elapsed_time() in milliseconds like CUDA's."""

    def __init__(self, enable_timing=False):
        assert enable_timing
        self.t = None

    def record(self, stream=None):
        self.t = time.perf_counter()

    def elapsed_time(self, other):
        return (other.t - self.t) * 1000.0


@pytest.fixture(scope="module")
def built():
    torch.set_num_threads(1)
    return build_pipeline("flux-2-klein-4b", random_weights="tiny")


def _call(built, timer, steps=3):
    kw = call_kwargs(built, prompt="a fox", width=64, height=64, steps=steps, guidance=1.0, batch_size=1,
                     max_sequence_length=16, seed=0)
    kw["callback_on_step_end"] = timer.callback
    timer.start_run()
    built.pipe(**kw)
    return timer.end_run()


@pytest.mark.parametrize("cuda", [False, True])
def test_stage_times_are_consistent(built, monkeypatch, cuda):
    syncs = []
    if cuda:
        monkeypatch.setattr(torch.cuda, "Event", FakeEvent)
        monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: syncs.append(1))
    steps_seen = []
    timer = StageTimer(built.pipe, cuda=cuda, expected_steps=3, on_step=steps_seen.append)
    times, host = _call(built, timer)
    timer.remove()
    assert steps_seen == [0, 1, 2]
    assert len(times["step_seconds"]) == 3 and times["transformer_calls"] == 3
    # steps tile the denoise window exactly: step 0 starts at the first denoiser call, step i ends at callback i
    assert sum(times["step_seconds"]) == pytest.approx(times["denoise_seconds"], rel=1e-9, abs=1e-12)
    # each step contains its denoiser forward
    assert times["transformer_seconds"] <= times["denoise_seconds"]
    assert times["text_encoder_seconds"] + times["denoise_seconds"] + times["vae_decode_seconds"] \
        <= times["total_seconds"]
    assert host.start <= host.denoise_start <= host.denoise_end <= host.end
    if cuda:
        # syncs only at stage boundaries: run start, first denoiser call, last step, run end (not every step)
        assert len(syncs) == 4


def test_hooks_removed_and_no_marks_outside_runs(built):
    timer = StageTimer(built.pipe, cuda=False, expected_steps=2)
    n_hooks = len(timer._handles)
    assert n_hooks == 6  # pre+post on text_encoder, transformer, vae.decoder
    kw = call_kwargs(built, prompt="a fox", width=64, height=64, steps=2, guidance=1.0, batch_size=1,
                     max_sequence_length=16, seed=0)
    built.pipe(**kw)  # no start_run: hooks must be inert
    assert timer._run is None
    timer.remove()
    assert timer._handles == []
    assert not built.pipe.transformer._forward_pre_hooks and not built.pipe.transformer._forward_hooks

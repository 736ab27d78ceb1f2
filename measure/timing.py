"""Per-stage and per-step timing of one pipeline call.

Forward pre/post hooks on the text encoder(s), the denoiser (``transformer``) and ``vae.decoder``, plus the
pipeline's ``callback_on_step_end`` (called after the scheduler step of each step; see
shared/research/diffusers-offline.md §4). On CUDA every mark is a ``torch.cuda.Event`` (no synchronisation
per step); the device is synchronised only at stage boundaries (start, first denoiser call, last step, end) so
that the host clock also knows when the denoising window ran (for the power samples). On CPU every mark is
``time.perf_counter()``.

Step i [seconds] = mark(callback i) - mark(callback i-1); step 0 starts at the first denoiser call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class RunMarks:
    """Host-clock windows of one run [perf_counter seconds] (for power attribution)."""

    start: float = 0.0
    denoise_start: float | None = None
    denoise_end: float | None = None
    end: float = 0.0


@dataclass
class _Run:
    start: Any = None
    spans: dict[str, list[list[Any]]] = field(default_factory=lambda: {"text_encoder": [], "transformer": [], "vae": []})
    steps: list[Any] = field(default_factory=list)
    first_transformer: Any = None
    host: RunMarks = field(default_factory=RunMarks)


class StageTimer:
    """Hooks a pipeline; ``start_run()`` / ``end_run()`` bracket one call; ``callback`` goes to the pipeline.

    ``on_step(i)`` (optional) is called from the step callback (progress bars).
    """

    def __init__(self, pipe, *, cuda: bool, expected_steps: int, on_step: Callable[[int], None] | None = None,
                 sync: Callable[[], None] | None = None):
        self.pipe = pipe
        self.cuda = cuda
        # MPS: no timing events, so each mark waits for the queued GPU work (torch.mps.synchronize) and reads the
        # host clock; that serialises host and GPU at stage boundaries only (a few marks per step)
        self.sync = sync
        self.expected_steps = expected_steps
        self.on_step = on_step
        self._handles: list[Any] = []
        self._run: _Run | None = None
        for attr in ("text_encoder", "text_encoder_2", "text_encoder_3"):
            mod = getattr(pipe, attr, None)
            if mod is not None:
                self._hook(mod, "text_encoder")
        # the denoiser: a transformer, or SDXL's UNet (timed as the "transformer" stage)
        self._hook(getattr(pipe, "transformer", None) or pipe.unet, "transformer")
        vae = getattr(pipe, "vae", None)
        if vae is not None and getattr(vae, "decoder", None) is not None:
            self._hook(vae.decoder, "vae")

    # -------------------------------------------------------------------------------------- marks
    def _mark(self):
        if self.cuda:
            import torch

            ev = torch.cuda.Event(enable_timing=True)
            ev.record()
            return ev
        if self.sync is not None:
            self.sync()
        return time.perf_counter()

    def _sync(self) -> float:
        if self.cuda:
            import torch

            torch.cuda.synchronize()
        elif self.sync is not None:
            self.sync()
        return time.perf_counter()

    def _elapsed(self, a, b) -> float:
        """Seconds from mark a to mark b."""
        if self.cuda:
            return a.elapsed_time(b) / 1000.0
        return b - a

    # -------------------------------------------------------------------------------------- hooks
    def _hook(self, module, stage: str) -> None:
        def pre(_mod, _args):
            run = self._run
            if run is None:
                return
            if stage == "transformer" and run.first_transformer is None:
                run.host.denoise_start = self._sync()
                run.first_transformer = self._mark()
            run.spans[stage].append([self._mark(), None])

        def post(_mod, _args, _out):
            run = self._run
            if run is None or not run.spans[stage]:
                return
            run.spans[stage][-1][1] = self._mark()

        self._handles.append(module.register_forward_pre_hook(pre))
        self._handles.append(module.register_forward_hook(post))

    def callback(self, pipe, i: int, t, callback_kwargs: dict) -> dict:
        """``callback_on_step_end``: marks the end of step ``i`` (after the scheduler step)."""
        run = self._run
        if run is not None:
            run.steps.append(self._mark())
            if i + 1 >= self.expected_steps:
                run.host.denoise_end = self._sync()
        if self.on_step is not None:
            self.on_step(i)
        return {}

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    # ---------------------------------------------------------------------------------------- runs
    def start_run(self) -> None:
        run = _Run()
        run.host.start = self._sync()
        run.start = self._mark()
        self._run = run

    def abort_run(self) -> None:
        self._run = None

    def end_run(self) -> tuple[dict[str, Any], RunMarks]:
        """Stage times of the run just finished (keys as in advisor.catalog.measured.RunTiming) and its host windows."""
        run = self._run
        assert run is not None, "end_run without start_run"
        end = self._mark()
        run.host.end = self._sync()
        self._run = None

        def total(stage: str) -> float | None:
            spans = [s for s in run.spans[stage] if s[1] is not None]
            if not spans:
                return None
            return sum(self._elapsed(a, b) for a, b in spans)

        steps: list[float] = []
        prev = run.first_transformer
        for mark in run.steps:
            if prev is not None:
                steps.append(max(0.0, self._elapsed(prev, mark)))
            prev = mark
        denoise = (self._elapsed(run.first_transformer, run.steps[-1])
                   if run.first_transformer is not None and run.steps else None)
        out = dict(
            text_encoder_seconds=total("text_encoder"),
            step_seconds=steps,
            transformer_seconds=total("transformer"),
            transformer_calls=len(run.spans["transformer"]),
            denoise_seconds=denoise,
            vae_decode_seconds=total("vae"),
            total_seconds=self._elapsed(run.start, end),
        )
        if run.host.denoise_start is not None and run.host.denoise_end is None:
            run.host.denoise_end = run.host.end
        return out, run.host

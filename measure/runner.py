"""Run a measurement campaign: build, idle power, warm-up runs, N timed runs, summarise, write the profile.

- Each run's failure (CUDA OOM, any exception) is recorded in ``failures`` and the remaining runs continue.
- The output folder is checked before anything is built; the profile is written after every finished timed run
  (``status: partial``, "in progress") and at the end, never replacing a profile on disk that held more completed
  runs (the new one goes beside it: ``<name>.fewer-runs-<UTC time>.yaml``, and the command says so).
- Ctrl-C (KeyboardInterrupt) -- and SIGTERM, e.g. from ``timeout`` -- stop the campaign and write what was
  measured with ``status: partial``; a signal during the final write is held until the file is written.
- ``time_budget_seconds`` is checked between runs (a run that would end past the budget is not started) and
  between denoising steps (the call in progress stops and is discarded); finished runs are kept.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import resource
import signal
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from advisor.catalog.measured import (DeviceInfo, Failure, MeasuredProfile, MeasureSettings, MemoryInfo, PowerInfo,
                              RunTiming, SoftwareInfo, gpu_slug_for_name, summarize_runs)
from measure.configs import PIPELINES

#: ~40 bytes: with the byte-level offline tokenizers this is ~40 tokens, about what a typical 25-word prompt
#: gives with the real tokenizers (only Z-Image's denoiser sees unpadded prompt tokens; the rest pad).
DEFAULT_PROMPT = "a red fox in fresh snow at dawn, detailed"
GIB = 2**30


@dataclass
class MeasureOptions:
    pipeline: str
    weights: str | None = None
    random_weights: str | None = "tiny"
    device: str = "cpu"
    precision: str = "fp32"
    width: int = 1024
    height: int = 1024
    steps: int = 9
    guidance: float = 0.0
    batch_size: int = 1
    offload: str = "none"
    compile: bool = False
    attention: str | None = None
    warmup: int = 1
    runs: int = 3
    max_sequence_length: int | None = None
    components: str = "all"
    out: Path = Path("profiles/measured")
    seed: int = 0
    prompt: str = DEFAULT_PROMPT
    idle_seconds: float = 2.0
    sampler_hz: float = 20.0
    time_budget_seconds: float | None = None
    progress: bool | None = None  # None: rich bar when stderr is a terminal, else one line per run
    notes: list[str] = field(default_factory=list)


@dataclass
class MeasureResult:
    profile: MeasuredProfile
    path: Path
    exit_code: int
    #: sentences for the user (e.g. the profile was written beside one that held more runs)
    notes: list[str] = field(default_factory=list)


def call_pipeline(pipe, kwargs: dict[str, Any]):
    """One pipeline call (a seam for tests that inject failures)."""
    return pipe(**kwargs)


def denoiser(pipe):
    """The pipeline's denoiser module: ``transformer``, or ``unet`` (SDXL)."""
    return getattr(pipe, "transformer", None) or pipe.unet


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def software_info() -> SoftwareInfo:
    import importlib.metadata as md

    def v(name: str) -> str | None:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return None

    import torch

    return SoftwareInfo(torch=torch.__version__, diffusers=v("diffusers"), transformers=v("transformers"),
                        accelerate=v("accelerate"), python=platform.python_version())


def device_info(device, sampler, torch_mod=None, apple_name=None) -> DeviceInfo:
    """The device of a run (``device``: a ``--device`` string or a :class:`measure.backends.Backend`), with its
    backend and versions: CUDA (torch.version.cuda), ROCm (torch.version.hip, AMD SMI driver), MPS (macOS release,
    chip and unified memory from sysctl). ``torch_mod`` / ``apple_name`` are seams for tests."""
    from measure.backends import Backend, apple_device_name, resolve_backend

    torch = torch_mod
    if torch is None:
        import torch
    backend = device if isinstance(device, Backend) else resolve_backend(device, torch, check=False)
    cpu = _cpu_model()
    common = dict(cpu_cores=_cpu_cores(), torch_threads=torch.get_num_threads())
    if backend.name == "cpu":
        return DeviceInfo(kind="cpu", name=cpu, cpu_model=cpu, **common)
    facts = sampler.device_facts() if sampler is not None else {}
    if backend.name == "mps":
        name, mem = (apple_name or apple_device_name)()
        name = name or "Apple Silicon GPU (MPS)"
        return DeviceInfo(kind="mps", name=name, gpu_slug=gpu_slug_for_name(name),
                          gpu_memory_total_gib=round(mem / GIB, 3) if mem else None, macos=backend.version,
                          cpu_model=name.split(" (")[0], **common)
    idx = backend.index or 0
    name = torch.cuda.get_device_name(idx)
    total = torch.cuda.get_device_properties(idx).total_memory
    return DeviceInfo(kind=backend.name, index=idx, name=name, gpu_slug=gpu_slug_for_name(name),
                      gpu_memory_total_gib=round(total / GIB, 3), power_limit_watts=facts.get("power_limit_watts"),
                      driver=facts.get("driver"), cuda=torch.version.cuda if backend.name == "cuda" else None,
                      hip=backend.version if backend.name == "rocm" else None, cpu_model=cpu, **common)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM into KeyboardInterrupt (main thread only) so ``timeout`` still yields a partial profile."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class _Progress:
    """Rich progress bar with ETA over all steps of all runs (terminal), else one line per run on stderr."""

    def __init__(self, total_steps: int, enabled: bool | None):
        self.rich = sys.stderr.isatty() if enabled is None else enabled
        self._p = None
        self._task = None
        if self.rich:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                               TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=False)
            self._task = self._p.add_task("measure", total=total_steps)

    def __enter__(self):
        if self._p is not None:
            self._p.start()
        return self

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.stop()

    def describe(self, text: str) -> None:
        if self._p is not None:
            self._p.update(self._task, description=text)

    def step(self, _i: int) -> None:
        if self._p is not None:
            self._p.advance(self._task)

    def line(self, text: str) -> None:
        if self._p is not None:
            self._p.console.print(text)
        else:
            print(text, file=sys.stderr, flush=True)


def _cleanup(backend) -> None:
    """Free what a failed call left: garbage, then the backend's cached allocator blocks (CUDA, ROCm, MPS)."""
    gc.collect()
    if backend.is_gpu:
        backend.empty_cache()


def _failure(index: int, phase: str, exc: BaseException) -> Failure:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Failure(run_index=index, phase=phase, type=type(exc).__name__, message=msg[:500])


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


class _BudgetReached(Exception):
    """Raised from the step callback when ``--time-budget`` is spent: the call stops between two steps."""


#: the clock of the time budget [s] (a seam for tests; the stage timings use their own marks)
_clock = time.perf_counter


@contextlib.contextmanager
def _deferred_signals():
    """While the profile is summarised and written: SIGINT/SIGTERM are remembered (yielded list), not raised, so
    an interrupt can never leave the campaign unwritten (main thread only; elsewhere signals cannot arrive)."""
    got: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return

    def handler(signum, frame):
        got.append(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield got
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def run_measurement(opts: MeasureOptions, *, nvml: Any = None, amdsmi: Any = None,
                    powermetrics: Any = None) -> MeasureResult:
    """Run the campaign described by ``opts`` and write its profile (see module docstring).

    The output folder is checked before anything is built; the profile is written after every timed run (status
    ``partial``, "in progress") and once more at the end, through :class:`measure.profile_io.GuardedWriter` (never
    replacing a profile on disk that held more completed runs).
    """
    from advisor.io import check_output_dir

    check_output_dir("--out", opts.out)  # before any work: an unusable --out must not cost a measurement

    import torch

    from measure.backends import make_sampler, resolve_backend
    from measure.pipelines import build_pipeline, call_kwargs
    from measure.power import RaplReader
    from measure.profile_io import GuardedWriter
    from measure.timing import StageTimer

    started = _now()
    writer = GuardedWriter(opts.out, started.strftime("%Y%m%dT%H%M%SZ"))
    backend = resolve_backend(opts.device, check=False)  # cuda | rocm (torch's CUDA API) | mps | cpu (checked by
    # the command before any work)
    cuda = backend.uses_torch_cuda
    pdef = PIPELINES[opts.pipeline]
    if cuda:
        torch.cuda.set_device(backend.index or 0)  # set_device needs an index
    sampler = make_sampler(backend, opts.sampler_hz, nvml=nvml, amdsmi=amdsmi, powermetrics=powermetrics)
    rapl = RaplReader()
    dev = device_info(backend, sampler)
    software = software_info()
    failures: list[Failure] = []
    notes = list(opts.notes)
    # mutable while measuring; the (frozen) PowerInfo / MemoryInfo models are made from them when writing
    power = SimpleNamespace(**PowerInfo().model_dump())
    memory = SimpleNamespace(**MemoryInfo().model_dump())
    runs: list[RunTiming] = []
    warmup_seconds: list[float] = []
    status, status_reason, exit_code = "complete", None, 0
    components_info: list[dict] = []
    built = None
    settings_kw = dict(pipeline=opts.pipeline, pipeline_class=pdef.pipeline_class,
                       random_weights=None if opts.weights else opts.random_weights, weights=opts.weights,
                       precision=opts.precision, width=opts.width, height=opts.height, steps=opts.steps,
                       guidance=opts.guidance, batch_size=opts.batch_size, offload=opts.offload, compile=opts.compile,
                       attention=opts.attention, max_sequence_length=opts.max_sequence_length,
                       components=opts.components, warmup=opts.warmup, runs=opts.runs, seed=opts.seed,
                       prompt=opts.prompt if opts.components == "all" else "")
    components_run: list[str] = []
    components_skipped: list[str] = []
    cfg_active, calls_per_step = False, None
    build_seconds = None
    windows = []
    run_energy: list[float | None] = []
    rapl_energy: list[float] = []
    interrupted = False
    arch, arch_note = None, None
    budget = opts.time_budget_seconds
    mps_alloc: int | None = None

    def make_profile(status_: str, reason: str | None, power_: Any) -> MeasuredProfile:
        settings = MeasureSettings(**settings_kw, components_run=components_run, components_skipped=components_skipped,
                                   transformer_calls_per_step=calls_per_step, cfg=cfg_active)
        return MeasuredProfile(
            status=status_, status_reason=reason, device=dev, software=software, settings=settings,
            architecture=arch, components=components_info, build_seconds=build_seconds,
            warmup_seconds=warmup_seconds, runs=list(runs), summary=summarize_runs(runs, opts.batch_size),
            memory=MemoryInfo(**vars(memory)), power=PowerInfo(**vars(power_)), failures=list(failures), started_at=started, finished_at=_now(),
            notes=notes + ([arch_note] if arch_note else []))

    def write_progress() -> None:
        """The campaign so far (status partial, in progress): a kill now still leaves every finished run."""
        prof = make_profile("partial", f"in progress: {len(runs)} of {opts.runs} timed runs done",
                            SimpleNamespace(reason="in progress: power is summarised when the campaign ends"))
        try:
            writer.write(prof)
        except OSError as exc:  # e.g. disk full: keep measuring; the final write tries again
            note = f"an in-progress write failed ({exc.strerror or exc})"
            if note not in notes:
                notes.append(note)

    with _sigterm_as_interrupt():
        try:
            built = build_pipeline(opts.pipeline, weights=opts.weights, random_weights=opts.random_weights,
                                   device=backend.torch_device, precision=opts.precision,
                                   components=opts.components,
                                   offload=opts.offload, seed=opts.seed)
        except KeyboardInterrupt:
            interrupted = True
            status, status_reason, exit_code = "failed", "interrupted while building the pipeline", 130
        except Exception as exc:  # noqa: BLE001 - OOM or any build error is recorded in the profile
            from advisor.errors import AdvisorError

            if isinstance(exc, AdvisorError):
                raise
            failures.append(_failure(0, "build", exc))
            status, status_reason, exit_code = "failed", f"build failed: {type(exc).__name__}", 1
            _cleanup(backend)

        if built is not None:
            timer = None
            try:
                build_seconds = built.build_seconds
                components_info = built.component_infos
                components_run, components_skipped = built.components_run, built.components_skipped
                notes.extend(built.notes)
                memory.weights_gib = round(built.weights_bytes / GIB, 4)
                arch, arch_note = _architecture(built, opts.max_sequence_length)
                pipe = built.pipe
                if opts.attention:
                    try:
                        denoiser(pipe).set_attention_backend(opts.attention)
                    except Exception as exc:  # noqa: BLE001
                        from advisor.errors import InputError

                        raise InputError("--attention", opts.attention,
                                         f"a diffusers attention backend ({exc})") from None
                if opts.compile:
                    denoiser(pipe).forward = torch.compile(denoiser(pipe).forward)
                plan = [("warmup", i) for i in range(opts.warmup)] + [("run", i) for i in range(opts.runs)]
                t_loop = _clock()

                def over_budget() -> bool:
                    return budget is not None and _clock() - t_loop > budget

                with _Progress(len(plan) * opts.steps, opts.progress) as prog:
                    def on_step(i: int) -> None:
                        prog.step(i)
                        if over_budget():
                            raise _BudgetReached

                    timer = StageTimer(pipe, cuda=cuda, expected_steps=opts.steps, on_step=on_step,
                                       sync=backend.synchronizer() if backend.name == "mps" else None)
                    if sampler is not None:
                        sampler.start()
                        power.idle_watts = sampler.measure_idle(opts.idle_seconds) if opts.idle_seconds > 0 else None
                    t_loop = _clock()
                    last_duration = 0.0
                    for phase, i in plan:
                        if budget is not None and (over_budget() or
                                                   (runs and _clock() - t_loop + last_duration > budget)):
                            status_reason = f"time budget of {budget:g} s reached"
                            break
                        prog.describe(f"{phase} {i + 1}/{opts.warmup if phase == 'warmup' else opts.runs}")
                        kw = call_kwargs(built, prompt=opts.prompt, width=opts.width, height=opts.height,
                                         steps=opts.steps, guidance=opts.guidance, batch_size=opts.batch_size,
                                         max_sequence_length=opts.max_sequence_length, seed=opts.seed + i)
                        kw["callback_on_step_end"] = timer.callback
                        kw["callback_on_step_end_tensor_inputs"] = ["latents"]
                        try:
                            e0 = sampler.energy_joules() if sampler is not None else None
                            r0 = rapl.read() if rapl.available else None
                            timer.start_run()
                            call_pipeline(pipe, kw)
                            times, host = timer.end_run()
                            e1 = sampler.energy_joules() if sampler is not None else None
                            r1 = rapl.read() if rapl.available else None
                        except KeyboardInterrupt:
                            timer.abort_run()
                            raise
                        except _BudgetReached:
                            timer.abort_run()
                            status_reason = (f"time budget of {budget:g} s reached during {phase} {i + 1} "
                                             f"(stopped between steps; that call was discarded)")
                            prog.line(status_reason)
                            _cleanup(backend)
                            break
                        except Exception as exc:  # noqa: BLE001 - OOM or anything: record, continue
                            timer.abort_run()
                            failures.append(_failure(i, phase, exc))
                            prog.line(f"{phase} {i + 1}: FAILED {type(exc).__name__}: {failures[-1].message[:120]}")
                            _cleanup(backend)
                            continue
                        last_duration = times["total_seconds"]
                        if times["transformer_calls"] and opts.steps:
                            calls_per_step = max(1, round(times["transformer_calls"] / opts.steps))
                        # pipelines without the property (Qwen-Image's true CFG) show CFG as two forwards a step
                        cfg_active = (bool(getattr(pipe, "do_classifier_free_guidance", False))
                                      or (calls_per_step or 0) >= 2)
                        if phase == "warmup":
                            warmup_seconds.append(round(times["total_seconds"], 6))
                            if i == opts.warmup - 1 and cuda:
                                torch.cuda.reset_peak_memory_stats()
                                if sampler is not None:
                                    sampler.mem_used_max = None
                            prog.line(f"warmup {i + 1}/{opts.warmup}: {times['total_seconds']:.3f} s")
                            continue
                        energy = (e1 - e0) if e0 is not None and e1 is not None else None
                        run_energy.append(energy)
                        if r0 is not None and r1 is not None:
                            rapl_energy.append(rapl.joules_between(r0, r1))
                        windows.append(host)
                        runs.append(RunTiming(run_index=i, energy_joules=energy, **times))
                        if backend.name == "mps":  # no peak counter on MPS: the driver's allocation after each run
                            mps_alloc = max(mps_alloc or 0, torch.mps.driver_allocated_memory())
                        prog.line(f"run {i + 1}/{opts.runs}: {times['total_seconds']:.3f} s "
                                  f"(denoise {times['denoise_seconds'] or 0:.3f} s)")
                        if len(runs) < opts.runs:
                            write_progress()
            except KeyboardInterrupt:
                interrupted = True
                status_reason = "interrupted (KeyboardInterrupt/SIGTERM); wrote what was measured"
                exit_code = 130
            finally:
                if timer is not None:
                    timer.remove()
                if sampler is not None:
                    sampler.stop()

    # ----------------------------------------------------------------------------------- summaries and the write
    with _deferred_signals() as got:
        if built is not None:
            if len(runs) == opts.runs and not interrupted and status_reason is None:
                status = "complete"
            elif runs:
                status = "partial"
            else:
                status = "failed"
                exit_code = exit_code or 1
            if failures and status_reason is None:
                status_reason = f"{len(failures)} run(s) failed"
        if cuda:
            memory.torch_max_allocated_gib = round(torch.cuda.max_memory_allocated() / GIB, 4)
            memory.torch_max_reserved_gib = round(torch.cuda.max_memory_reserved() / GIB, 4)
            if sampler is not None and sampler.mem_used_max is not None:
                used = round(sampler.mem_used_max / GIB, 4)
                if backend.name == "rocm":
                    memory.amdsmi_used_gib = used
                else:
                    memory.nvml_used_gib = used
        if mps_alloc is not None:
            memory.mps_driver_allocated_gib = round(mps_alloc / GIB, 4)
        memory.cpu_peak_rss_gib = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB, 4)
        power = _power_summary(power, sampler, rapl, windows, run_energy, rapl_energy, opts.batch_size,
                               backend.is_gpu)
        if sampler is not None:
            sampler.shutdown()
        profile = make_profile(status, status_reason, power)
        try:
            path = writer.write(profile)
        except OSError as exc:
            path = _write_fallback(profile, exc)
    if got:
        exit_code = 130
    return MeasureResult(profile=profile, path=path, exit_code=exit_code, notes=list(writer.notes))


def _write_fallback(profile: MeasuredProfile, exc: OSError) -> Path:
    """The output folder failed at the last write (disk full, removed): save the profile in the temp folder and
    say where in one line (exit 2), so the measurement is not lost."""
    import tempfile

    from advisor.errors import InputError
    from measure.profile_io import profile_filename, write_profile

    fallback = Path(tempfile.gettempdir()) / "advisor-measure" / profile_filename(profile.settings)
    try:
        write_profile(profile, fallback.parent, fallback)
        saved = f"the profile was saved to {fallback} instead"
    except OSError:
        saved = "the profile could not be saved anywhere"
    raise InputError("--out", str(exc.filename or ""), f"a writable folder ({exc.strerror or exc}); {saved}") from None


def _architecture(built, max_sequence_length: int | None):
    """ArchitectureSpec of what actually ran (components skipped by ``--components`` left out), or None.

    Uses ``measure.architecture_extract.extract_spec`` (walks the live modules; no compute).
    """
    if built is None:
        return None, None
    try:
        from measure.architecture_extract import extract_spec
    except ImportError as exc:
        return None, f"architecture not extracted: {exc}"
    from measure.architecture_more import adjust_spec, text_sequence_lengths

    unet = getattr(built.pipe, "unet", None)
    comps = {"unet": unet} if unet is not None else {"transformer": built.pipe.transformer}
    if built.components == "all":
        for name in ("text_encoder", "text_encoder_2", "text_encoder_3", "vae"):
            mod = getattr(built.pipe, name, None)
            if mod is not None:
                comps[name] = mod
    msl = max_sequence_length or built.pdef.default_max_sequence_length
    try:
        spec = extract_spec(comps, built.pdef.pipeline_class, slug=built.pdef.slug, max_sequence_length=msl,
                            text_max_sequence_length=text_sequence_lengths(built.pdef.pipeline_class, msl),
                            source="measured: modules as built by measure.pipelines")
        return adjust_spec(spec), None
    except Exception as exc:  # noqa: BLE001 - the profile is still useful without it
        return None, f"architecture not extracted: {type(exc).__name__}: {exc}"


def _power_summary(power: SimpleNamespace, sampler, rapl, windows, run_energy, rapl_energy, batch: int,
                   gpu: bool) -> SimpleNamespace:
    """Board power over the denoise windows and whole runs [W]; energy per image [J] (median over runs)."""
    if rapl.available and rapl_energy:
        power.cpu_energy_per_image_joules = round(statistics.median(rapl_energy) / batch, 3)
    if not gpu:
        power.reason = "CPU device: no GPU board power" + ("" if rapl.available else f"; {rapl.reason}")
        if rapl.available:
            power.method = "rapl"
        return power
    if sampler is None or not sampler.available:
        power.reason = sampler.reason if sampler is not None else "no power sampler for this backend"
        return power
    power.method = sampler.method
    power.sampler_hz = round(sampler.achieved_hz or sampler.hz, 2)
    power.samples = len(sampler.samples)
    run_vals, den_vals = [], []
    for w in windows:
        run_vals += sampler.window(w.start, w.end)
        if w.denoise_start is not None and w.denoise_end is not None:
            den_vals += sampler.window(w.denoise_start, w.denoise_end)
    r = lambda x: round(x, 2) if x is not None else None  # noqa: E731
    power.run_mean_watts, power.run_median_watts = r(_mean(run_vals)), r(_median(run_vals))
    power.denoise_mean_watts, power.denoise_median_watts = r(_mean(den_vals)), r(_median(den_vals))
    power.max_watts = r(max(run_vals)) if run_vals else None
    if run_energy and all(e is not None and e > 0 for e in run_energy):
        power.energy_per_image_joules = round(statistics.median(run_energy) / batch, 3)
        power.energy_method = ("amdsmi_energy_counter" if (sampler.method or "").startswith("amdsmi")
                               else "nvml_total_energy")
    else:
        integ = [sampler.integrate(w.start, w.end) for w in windows]
        integ = [x for x in integ if x is not None]
        if integ:
            power.energy_per_image_joules = round(statistics.median(integ) / batch, 3)
            power.energy_method = "integrated_samples"
    if power.idle_watts is not None:
        power.idle_watts = round(power.idle_watts, 2)
    if not run_vals:
        power.reason = "no power samples fell inside the runs (runs shorter than the sampling period)"
    return power

"""The ``advisor measure`` command function (Typer signature; torch/diffusers imported only when it runs).

Registered on the main app by ``advisor/cli/measure_cmd.py``; ``python -m measure`` runs it standalone
(no other command modules imported -- useful on a bare GPU box).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from advisor.errors import AdvisorError, InputError, UnknownSlugError

PRECISIONS = ("fp32", "bf16", "fp16")
OFFLOADS = ("none", "model", "group", "sequential")


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(field, value, ", ".join(allowed))
    return value


def validate_options(*, pipeline: str, weights: Optional[str], random_weights: Optional[str], device: str,
                     precision: str, width: int, height: int, steps: Optional[int], batch_size: int, offload: str,
                     warmup: int, runs: int, max_sequence_length: Optional[int], components: str, fmt: str) -> None:
    """Checks that need no torch; each failure is one InputError line."""
    from measure.configs import PIPELINE_CLASS, PIPELINES, parse_random_weights

    if pipeline in PIPELINE_CLASS and pipeline not in PIPELINES:
        raise InputError("--pipeline", pipeline, f"one of {', '.join(PIPELINES)} ({pipeline} is in the catalog and "
                         "simulated from its architecture; it edits input images, which measure does not supply)")
    if pipeline not in PIPELINES:
        raise UnknownSlugError("--pipeline", pipeline, PIPELINES)
    if weights and random_weights:
        raise InputError("--weights/--random-weights", f"{weights} / {random_weights}", "only one of them")
    if random_weights:
        parse_random_weights(random_weights)
    if weights and not (Path(weights) / "model_index.json").is_file():
        raise InputError("--weights", weights, "a local diffusers pipeline folder containing model_index.json")
    from measure.backends import parse_device

    parse_device(device)  # an unknown backend: one line naming the forms allowed
    _choice("--precision", precision, PRECISIONS)
    _choice("--offload", offload, OFFLOADS)
    _choice("--components", components, ("all", "transformer"))
    _choice("--format", fmt, ("table", "json"))
    for name, v in (("--height", height), ("--width", width)):
        if v <= 0 or v % 16:
            raise InputError(name, v, "a positive multiple of 16 (VAE 8x down, then 2x2 patches)")
    if steps is not None and steps < 1:
        raise InputError("--steps", steps, "an integer >= 1")
    if batch_size < 1:
        raise InputError("--batch-size", batch_size, "an integer >= 1")
    if warmup < 0:
        raise InputError("--warmup", warmup, "an integer >= 0")
    if runs < 1:
        raise InputError("--runs", runs, "an integer >= 1")
    if max_sequence_length is not None and not 1 <= max_sequence_length <= 512:
        raise InputError("--max-sequence-length", max_sequence_length, "1..512")
    if offload != "none" and device == "cpu":
        raise InputError("--offload", offload, "none on --device cpu (offloading needs a CUDA device)")
    if offload != "none" and device == "mps":
        raise InputError("--offload", offload, "none on --device mps (unified memory: there is no host memory to "
                                               "offload to)")


def check_device(device: str) -> None:
    """The backend ``device`` names must run on this torch build (:func:`measure.backends.resolve_backend`): a visible
    CUDA / ROCm GPU with that index, or a usable MPS backend."""
    if device == "cpu":
        return
    from measure.backends import resolve_backend

    resolve_backend(device)


def measure(
    pipeline: str = typer.Option(..., "--pipeline", help="pipeline slug: FLUX.1/.2, Z-Image, SD 3.5 (e.g. "
                                 "z-image-turbo, flux-2-klein-4b, sd-3.5-large, qwen-image, sdxl); editing pipelines not yet"),
    weights: Optional[str] = typer.Option(None, "--weights", help="local diffusers pipeline folder (no downloads)"),
    random_weights: Optional[str] = typer.Option(None, "--random-weights", help="tiny | scaled:<fraction> | full "
                                                 "(default tiny when --weights is not given)"),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda[:<index>] (NVIDIA, or AMD on a ROCm build of "
                               "torch) | rocm[:<index>] | mps (Apple Silicon)"),
    precision: str = typer.Option("bf16", "--precision", help="fp32 | bf16 | fp16"),
    width: int = typer.Option(1024, "--width", help="pixels, multiple of 16"),
    height: int = typer.Option(1024, "--height", help="pixels, multiple of 16"),
    steps: Optional[int] = typer.Option(None, "--steps", help="denoising steps (default: the pipeline's)"),
    guidance: Optional[float] = typer.Option(None, "--guidance", help="guidance scale (default: the pipeline's)"),
    batch_size: int = typer.Option(1, "--batch-size", help="images per call"),
    offload: str = typer.Option("none", "--offload", help="none | model | group | sequential"),
    compile: bool = typer.Option(False, "--compile", help="torch.compile the denoiser forward"),
    attention: Optional[str] = typer.Option(None, "--attention", help="diffusers attention backend, e.g. flash, native"),
    warmup: int = typer.Option(1, "--warmup", help="untimed warm-up runs"),
    runs: int = typer.Option(3, "--runs", help="timed runs"),
    max_sequence_length: Optional[int] = typer.Option(None, "--max-sequence-length",
                                                      help="text tokens (default: the pipeline's)"),
    components: str = typer.Option("all", "--components", help="all | transformer (random prompt embeddings, "
                                   "no text encoder, no VAE decode)"),
    out: str = typer.Option("profiles/measured", "--out", help="root folder of measured profiles"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
    seed: int = typer.Option(0, "--seed"),
    idle_seconds: float = typer.Option(2.0, "--idle-seconds", help="idle power sampling before the runs [s]"),
    time_budget: Optional[float] = typer.Option(None, "--time-budget",
                                                help="stop after this many seconds [s], between runs or between "
                                                     "denoising steps; finished runs are kept"),
) -> None:
    """Run a real diffusers pipeline, time its stages, sample power, write a profile YAML."""
    try:
        validate_options(pipeline=pipeline, weights=weights, random_weights=random_weights, device=device,
                         precision=precision, width=width, height=height, steps=steps, batch_size=batch_size,
                         offload=offload, warmup=warmup, runs=runs, max_sequence_length=max_sequence_length,
                         components=components, fmt=fmt)
        if time_budget is not None and not (0 < time_budget < float("inf")):
            raise InputError("--time-budget", time_budget, "a finite number of seconds > 0")
        if not (0 <= idle_seconds < float("inf")):
            raise InputError("--idle-seconds", idle_seconds, "a finite number of seconds >= 0")
        if guidance is not None and not (0 <= guidance < float("inf")):
            raise InputError("--guidance", guidance, "a finite number >= 0")
        from advisor.io import check_output_dir

        check_output_dir("--out", out)  # before any work: an unusable --out must not cost a measurement
        check_device(device)
        from measure.configs import PIPELINES
        from measure.runner import MeasureOptions, run_measurement

        pdef = PIPELINES[pipeline]
        opts = MeasureOptions(
            pipeline=pipeline, weights=weights, random_weights=None if weights else (random_weights or "tiny"),
            device=device, precision=precision, width=width, height=height,
            steps=steps if steps is not None else pdef.default_steps,
            guidance=guidance if guidance is not None else pdef.default_guidance, batch_size=batch_size,
            offload=offload, compile=compile, attention=attention, warmup=warmup, runs=runs,
            max_sequence_length=max_sequence_length, components=components, out=Path(out), seed=seed,
            idle_seconds=idle_seconds, time_budget_seconds=time_budget)
        result = run_measurement(opts)
    except AdvisorError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if fmt == "json":
        typer.echo(json.dumps({"path": str(result.path), "notes": result.notes,
                               "profile": result.profile.model_dump(mode="json")}, indent=1))
    else:
        print_table(result.profile, result.path)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def print_table(profile, path) -> None:
    from rich.console import Console
    from rich.table import Table

    s, sm = profile.settings, profile.summary
    t = Table(title=f"{s.pipeline} {s.width}x{s.height} {s.steps} steps {s.precision} on {profile.device.name} "
                    f"[{profile.status}]")
    for col in ("stage", "median", "min", "max", "p90"):
        t.add_column(col, justify="right" if col != "stage" else "left")

    def row(name, spread, unit="s"):
        if spread is None:
            return
        t.add_row(name, *(f"{getattr(spread, k):.4f} {unit}" for k in ("median", "min", "max", "p90")))

    row("text encoder", sm.text_encoder_seconds)
    row("step", sm.step_seconds)
    row("denoise", sm.denoise_seconds)
    row("vae decode", sm.vae_decode_seconds)
    row("total", sm.total_seconds)
    console = Console(width=120)
    console.print(t)
    p, m = profile.power, profile.memory
    if p.denoise_median_watts is not None:
        typer.echo(f"power: idle {p.idle_watts} W, denoise median {p.denoise_median_watts} W, "
                      f"energy/image {p.energy_per_image_joules} J ({p.energy_method})")
    else:
        typer.echo(f"power: n/a ({p.reason})")
    if m.torch_max_allocated_gib is not None:
        typer.echo(f"memory: torch peak {m.torch_max_allocated_gib} GiB allocated, {m.torch_max_reserved_gib} GiB "
                      f"reserved, NVML {m.nvml_used_gib} GiB")
    typer.echo(f"cpu peak RSS {m.cpu_peak_rss_gib} GiB; failures: {len(profile.failures)}")
    for f in profile.failures:
        typer.echo(f"  failure: {f.phase} {f.run_index}: {f.type}: {f.message}")
    typer.echo(f"wrote {path}")


def standalone_app() -> typer.Typer:
    """A one-command Typer app for ``python -m measure`` (imports no other advisor command)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(measure)
    return app


def main(argv: list[str] | None = None) -> None:
    app = standalone_app()
    try:
        rv = app(args=argv, standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        raise


def run_as_subcommand(args: list[str]) -> None:
    """Run ``advisor measure ARGS`` (called lazily by :mod:`advisor.cli.measure_cmd`).

    An :class:`~advisor.errors.AdvisorError` propagates (the advisor CLI prints it as one line, exit 2); a usage
    error (unknown flag, bad type) becomes one line and exit code 2.
    """
    import click

    app = standalone_app()
    try:
        rv = app(args=args, prog_name="advisor measure", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        message = " ".join(str(exc.format_message()).split())
        typer.echo(f"error: {message} (see 'advisor measure --help')", err=True)
        raise typer.Exit(2) from None
    if isinstance(rv, int) and not isinstance(rv, bool) and rv:
        raise typer.Exit(rv)

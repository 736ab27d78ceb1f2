"""``advisor simulate``: simulated seconds per image, stage times, VRAM, power for one pipeline on one GPU."""

from __future__ import annotations

from enum import Enum

import typer

from advisor.cli import app


class Fmt(str, Enum):
    table = "table"
    json = "json"


def estimate_to_json(est) -> dict:
    """The JSON contract of ``advisor simulate`` (units in the names)."""
    r = est.request
    return {
        "pipeline": r.pipeline, "gpu": r.gpu, "precision": r.precision, "width": r.width, "height": r.height,
        "steps": getattr(est, "steps", 0) or r.steps, "guidance": r.guidance, "batch_size": r.batch_size,
        # the setting as one label, where the steps come from (studio preset with its source, or library call)
        "setting": getattr(est, "setting", ""), "steps_preset": getattr(r, "steps_preset", "studio"),
        "steps_source": getattr(est, "steps_source", ""),
        "input_megapixels": getattr(r, "input_megapixels", 0.0),
        "reference_tokens": getattr(est, "reference_tokens", 0),
        "seconds_per_image": est.seconds_per_image,
        "stages_seconds": dict(est.stages_seconds),
        "seconds_per_step": est.seconds_per_step,
        "peak_vram_gib": est.peak_vram_gib,
        # what must fit (decides "fits") and what it must fit in (the card's VRAM, or the GPU's share of unified
        # memory); peak_vram_gib adds PyTorch's reclaimable allocator cache, as nvidia-smi shows it on a roomy card
        "required_vram_gib": getattr(est, "required_vram_gib", None),
        "vram_limit_gib": getattr(est, "vram_limit_gib", None),
        "fits": est.fits,
        "offload": est.offload,
        "energy_per_image_joules": est.energy_per_image_joules,
        "board_power_watts": est.board_power_watts,
        "system_power_watts": est.system_power_watts,
        "uncertainty": est.uncertainty,
        "bound": est.bound,
        "cold_start_seconds": est.cold_start_seconds,
        # compile warm-up inside cold_start_seconds, paid per process start (rental session, serverless cold start)
        "compile_seconds": getattr(est, "compile_seconds", 0.0),
        # the machine around the card: host RAM (offloaded weights + working set + OS) and the checkpoint on disk
        "host_ram_gib": getattr(est, "host_ram_gib", 0.0),
        "disk_gb": getattr(est, "disk_gb", 0.0),
        "notes": list(est.notes),
        # issue 12: the named optimizations and every factor they applied, with its source
        "optimizations": list(getattr(r, "optimizations", ())),
        "optimizations_applied": [{"optimization": a.optimization, "field": a.field, "value": a.value,
                                   "source": a.source} for a in getattr(est, "optimizations_applied", ())],
    }


@app.command("simulate")
def simulate(
    pipeline: str = typer.Option(..., "--pipeline", help="pipeline slug (advisor catalog pipelines)"),
    gpu: str = typer.Option(..., "--gpu", help="GPU slug, or 'cpu' for this machine's CPU"),
    precision: str = typer.Option("bf16", "--precision", help="fp32|bf16|fp16|fp8|int8|nf4|gguf-q4"),
    width: int = typer.Option(1024, "--width"),
    height: int = typer.Option(1024, "--height"),
    steps: int = typer.Option(None, "--steps", help="default: the --steps-preset's"),
    guidance: float = typer.Option(None, "--guidance", help="default: the --steps-preset's"),
    steps_preset: str = typer.Option("studio", "--steps-preset", help="studio (steps studios run, sourced) | "
                                     "library (the library's own call)"),
    input_megapixels: float = typer.Option(0.0, "--input-megapixels",
                                           help="input/reference images per request [MP] (editing, multi-reference)"),
    offload: str = typer.Option("auto", "--offload", help="auto|none|model|group|sequential"),
    batch_size: int = typer.Option(1, "--batch-size"),
    fmt: Fmt = typer.Option(Fmt.table, "--format"),
    optimization: list[str] = typer.Option(None, "--optimization", help="named optimization, repeatable "
                                           "(advisor catalog optimizations), e.g. fp8-compute, torch-compile"),
) -> None:
    """Simulate one pipeline on one GPU: seconds per image, per stage, peak VRAM, power, uncertainty."""
    from advisor.perf import PerfRequest, estimate

    if gpu == "cpu" and offload in ("model", "group", "sequential"):
        from advisor.errors import InputError

        raise InputError("--offload", offload, "auto or none with --gpu cpu (offloading moves weights between GPU "
                                               "memory and host memory; the CPU has no GPU memory)")
    est = estimate(PerfRequest(pipeline, gpu, precision=precision, width=width, height=height, steps=steps,
                               guidance=guidance, batch_size=batch_size, offload=offload,
                               optimizations=tuple(optimization or ()), steps_preset=steps_preset,
                               input_megapixels=input_megapixels))
    data = estimate_to_json(est)
    if precision == "fp8" and not optimization:  # issue 12: say which FP8 this is
        data["notes"].append("precision=fp8 models FP8 weights AND FP8 matmuls everywhere; diffusers' layerwise "
                             "casting (FP8 storage, BF16 compute) is --optimization fp8-storage, torchao FP8 "
                             "matmuls with activation quantisation is --optimization fp8-compute")
    if fmt == Fmt.json:
        from advisor.jsonsafe import dumps

        typer.echo(dumps(data, indent=2))  # strict JSON: no Infinity/NaN
        return
    u = est.uncertainty * 100
    typer.echo(f"{pipeline} on {gpu} ({precision}, {width}x{height}, offload={est.offload}, bound={est.bound})")
    typer.echo(f"  setting             {data['setting']}")
    typer.echo(f"  steps               {data['steps']} ({data['steps_source']})")
    typer.echo(f"  seconds per image   {est.seconds_per_image:10.3f} s  (+-{u:.0f}%)")
    for k, v in est.stages_seconds.items():
        typer.echo(f"    {k:18s}{v:10.3f} s")
    typer.echo(f"  seconds per step    {est.seconds_per_step:10.3f} s")
    typer.echo(vram_line(est))
    typer.echo(f"  board power         {est.board_power_watts:10.0f} W   (system {est.system_power_watts:.0f} W)")
    typer.echo(f"  energy per image    {est.energy_per_image_joules:10.0f} J")
    typer.echo(f"  cold start          {est.cold_start_seconds:10.1f} s"
               + (f"  (incl. {data['compile_seconds']:.0f} s compile per process start)"
                  if data["compile_seconds"] else ""))
    from advisor.perf.host import ram_size_for

    size = ram_size_for(data["host_ram_gib"])
    if data.get("vram_limit_gib") is not None and gpu != "cpu" and _unified(gpu):
        typer.echo(f"  memory needed       {data['host_ram_gib']:10.1f} GiB  (of the unified memory, host RAM and "
                   f"GPU memory in one: GPU {data['required_vram_gib']:.1f} GiB + working set + OS)")
    else:
        typer.echo(f"  host RAM needed     {data['host_ram_gib']:10.1f} GiB  "
                   f"({f'a {size} GB machine' if size else 'more than a desktop takes'}: offloaded weights + "
                   f"working set + OS)")
    typer.echo(f"  disk for weights    {data['disk_gb']:10.1f} GB")
    if data["reference_tokens"]:
        typer.echo(f"  input images        {input_megapixels:g} MP = {data['reference_tokens']} tokens per forward")
    for n in data["notes"]:
        typer.echo(f"  note: {n}")
    for a in getattr(est, "optimizations_applied", ()):
        shown = a.source if a.value is None else f"{a.value:g}  ({a.source})"
        typer.echo(f"  applied: {a.optimization} {a.field} = {shown}")


def _unified(gpu: str) -> bool:
    from advisor.catalog import load_catalog

    return bool(getattr(load_catalog().gpu(gpu), "unified_memory", False))


def vram_line(est) -> str:
    """The VRAM line of ``advisor simulate``: the memory the run needs (what decides "fits") against the memory it
    must fit in, and separately the peak nvidia-smi would show with PyTorch's reclaimable allocator cache."""
    need = getattr(est, "required_vram_gib", None)
    limit = getattr(est, "vram_limit_gib", None)
    if need is None or limit is None:  # an estimate made without the fit figures
        return f"  peak VRAM           {est.peak_vram_gib:10.2f} GiB  ({'fits' if est.fits else 'DOES NOT FIT'})"
    verdict = f"fits in {limit:.1f} GiB" if est.fits else f"DOES NOT FIT in {limit:.1f} GiB"
    cache = est.peak_vram_gib - need
    return (f"  VRAM needed         {need:10.2f} GiB  ({verdict}; "
            + (f"{est.peak_vram_gib:.2f} GiB with {cache:.2f} GiB of PyTorch's reclaimable allocator cache, "
               "what nvidia-smi shows on a roomy card)" if cache > 0.005 else "no allocator cache on top)"))

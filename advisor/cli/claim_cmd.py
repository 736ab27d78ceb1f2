"""``advisor check-claim``: is a published seconds-per-image claim physically possible on that GPU?"""

from __future__ import annotations

from enum import Enum

import typer

from advisor.cli import app


class Fmt(str, Enum):
    table = "table"
    json = "json"


@app.command("check-claim")
def check_claim_cmd(
    pipeline: str = typer.Option(..., "--pipeline"),
    gpu: str = typer.Option(..., "--gpu"),
    seconds: float = typer.Option(..., "--seconds", help="claimed seconds per image"),
    steps: int = typer.Option(None, "--steps", help="default: the --steps-preset's (as advisor simulate)"),
    steps_preset: str = typer.Option("studio", "--steps-preset", help="studio (steps studios run, sourced) | "
                                     "library (the library's own call)"),
    precision: str = typer.Option("bf16", "--precision"),
    width: int = typer.Option(1024, "--width"),
    height: int = typer.Option(1024, "--height"),
    optimization: list[str] = typer.Option(None, "--optimization", help="named optimization the claim used, "
                                           "repeatable (advisor catalog optimizations), e.g. sage-attention, "
                                           "fp8-compute: the floor uses the fastest rates those kernels can use"),
    input_megapixels: float = typer.Option(0.0, "--input-megapixels",
                                           help="input/reference images per request [MP] (editing, multi-reference)"),
    fmt: Fmt = typer.Option(Fmt.table, "--format"),
) -> None:
    """Roofline floor, fraction of peak the claim needs, weights fit, verdict (impossible|implausible|plausible)."""
    from advisor.fit.claims import check_claim

    c = check_claim(pipeline, gpu, seconds, steps, precision, width, height, steps_preset=steps_preset,
                    optimizations=tuple(optimization or ()), input_megapixels=input_megapixels)
    if fmt == Fmt.json:
        from advisor.jsonsafe import dumps

        typer.echo(dumps(c.to_json_dict(), indent=2))  # strict JSON: no Infinity/NaN
        return
    typer.echo(f"{c.verdict.upper()}: {c.reason}")
    typer.echo(f"  floor {c.floor_seconds:.3f} s at 100% of peak; claim needs {c.fraction_of_peak * 100:.0f}% of peak; "
               f"weights {'fit' if c.weights_fit else 'do not fit'} without offload")
    typer.echo(f"  steps assumed {c.steps} ({c.steps_source})"
               + (f"; optimizations {', '.join(c.optimizations)}" if c.optimizations else ""))

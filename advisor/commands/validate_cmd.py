"""``advisor validate`` (error table, plot, predictions file) and ``advisor calibrate`` (fit calibration.yaml)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from advisor.cli import app


class Fmt(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command("validate")
def validate_cmd(
    fmt: Fmt = typer.Option(Fmt.table, "--format"),
    plot: Path = typer.Option(None, "--plot", help="write predicted-vs-measured plot (.png/.svg; .html fallback)"),
    write_predictions: Path = typer.Option(None, "--write-predictions",
                                           help="write the planned H100 campaign predictions to this YAML and exit"),
    fast: bool = typer.Option(False, "--fast", help="skip the leave-one-out refits"),
    against_predictions: Path = typer.Option(
        None, "--against-predictions",
        help="compare a committed predictions YAML with the matching measured profiles (out-of-sample report)"),
    output: Path = typer.Option(None, "--output", help="also write the text to this file (atomic)"),
) -> None:
    """Predicted vs measured for every validation point: MAPE, P90, leave-one-GPU-out, CPU, fit classification."""
    from advisor import validate as V
    from advisor.io import atomic_write_text

    if against_predictions is not None:
        rep = V.out_of_sample(against_predictions)
        if fmt == Fmt.json:
            text = json.dumps(rep, indent=2, default=str)
        else:
            text = V.format_out_of_sample(rep, markdown=fmt == Fmt.markdown)
        if output is not None:
            atomic_write_text(output, text if text.endswith("\n") else text + "\n")
        typer.echo(text)
        return

    if write_predictions is not None:
        out = V.write_predictions(write_predictions)
        typer.echo(f"wrote {out}")
        return
    report = V.validation_report(refit=not fast)
    if plot is not None:
        written = V.write_plot(report, plot)
        msg = f"plot: {written}" + ("" if written.suffix == plot.suffix else " (static export unavailable: HTML instead)")
        typer.echo(msg, err=True)
    if fmt == Fmt.json:
        text = json.dumps(V.json_summary(report), indent=2, default=str)
    else:
        text = V.format_table(report)
    if output is not None:
        atomic_write_text(output, text + "\n")
    typer.echo(text)


@app.command("calibrate")
def calibrate_cmd(
    cpu: bool = typer.Option(False, "--cpu", help="also measure this machine's matmul peak (torch or numpy)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="fit and print, do not write profiles/calibration.yaml"),
) -> None:
    """Fit profiles/calibration.yaml (efficiencies per architecture family and op class) to measured data."""
    from advisor.calibrate import calibrate
    from advisor.perf.timing import calibration_to_yaml_text

    cal = calibrate(write=not dry_run, cpu=cpu)
    typer.echo(calibration_to_yaml_text(cal) if dry_run else "wrote profiles/calibration.yaml")

"""``advisor validate`` (error table, plot, predictions file) and ``advisor calibrate`` (fit calibration.yaml)."""

from __future__ import annotations

from enum import Enum
import importlib
from pathlib import Path
from typing import Optional

import typer

from advisor.cli import app
from advisor.errors import InputError
from advisor.io import check_output_file


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
    write_report: bool = typer.Option(False, "--write-report",
                                      help="recompute the full report (refits; minutes) and store it in "
                                      "profiles/validation/report.yaml, keyed by the hash of its inputs"),
    against_predictions: Path = typer.Option(
        None, "--against-predictions",
        help="compare a committed predictions YAML with the matching measured profiles (out-of-sample report)"),
    output: Path = typer.Option(None, "--output", help="also write the text to this file (atomic)"),
    force: bool = typer.Option(False, "--force", help="replace existing --output/--plot/--write-predictions files"),
) -> None:
    """Predicted vs measured for every validation point: MAPE, P90, leave-one-GPU-out, CPU, fit classification."""
    from advisor.fit import validate as V
    from advisor.io import atomic_write_text

    for flag, path in (("--output", output), ("--plot", plot), ("--write-predictions", write_predictions)):
        if path is not None:  # the output rule, before any work (advisor.io.check_output_file)
            check_output_file(flag, path, force=force)

    if against_predictions is not None:
        rep = V.out_of_sample(against_predictions)
        if fmt == Fmt.json:
            from advisor.jsonsafe import dumps

            text = dumps(rep, indent=2, default=str)  # strict JSON: no Infinity/NaN
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
    if write_report:
        out = V.write_report()
        typer.echo(f"wrote {out}", err=True)
        report = V.stored_report(out)["report"]
    elif fast:
        report = V.validation_report(refit=False)
    else:
        report, stored = V.current_report()  # the stored report while its inputs are unchanged, else recomputed
        if not stored:
            typer.echo("profiles/validation/report.yaml is stale or missing: recomputed (store it with "
                       "`advisor validate --write-report`)", err=True)
    if plot is not None:
        written = V.write_plot(report, plot)
        msg = f"plot: {written}" + ("" if written.suffix == plot.suffix else " (static export unavailable: HTML instead)")
        typer.echo(msg, err=True)
    if fmt == Fmt.json:
        from advisor.jsonsafe import dumps

        from advisor.fit.optimizations import optimization_report  # issue 12

        text = dumps({**V.json_summary(report), "optimizations": optimization_report()}, indent=2, default=str)
    else:
        from advisor.fit.optimizations import format_report, optimization_report  # issue 12

        text = V.format_table(report) + "\n" + format_report(optimization_report())
    if output is not None:
        atomic_write_text(output, text + "\n")
    typer.echo(text)


@app.command("calibrate")
def calibrate_cmd(
    cpu: bool = typer.Option(False, "--cpu", help="also measure this machine's matmul peak (torch or numpy)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the fitted calibration YAML here (e.g. "
                                       "profiles/calibration.yaml); without it the calibration is printed only"),
    force: bool = typer.Option(False, "--force", help="replace an existing --out file (e.g. profiles/calibration.yaml)"),
    write_report: bool = typer.Option(False, "--write-report", help="with --out profiles/calibration.yaml: also store "
                                      "the validation report this fit computes (profiles/validation/report.yaml), "
                                      "instead of recomputing it with `advisor validate --write-report`"),
) -> None:
    """Fit the calibration (efficiencies per architecture family and op class, power, VRAM) to measured data."""
    from advisor.fit.refit import calibrate
    from advisor.perf.timing import calibration_to_yaml_text

    if out is not None:
        check_output_file("--out", out, force=force)
    cpu_peak = importlib.import_module("measure.cpu_peak").measure_cpu_peak() if cpu else None
    if write_report and out is None:
        raise InputError("--write-report", "set", "together with --out (the report belongs to the calibration written)")
    from advisor.fit.validate import REPORT_PATH

    cal = calibrate(out=out, cpu_peak=cpu_peak, report_path=REPORT_PATH if write_report else None)
    typer.echo(f"wrote {out}" if out is not None else calibration_to_yaml_text(cal))

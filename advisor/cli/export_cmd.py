"""``advisor export``: charts (PNG, SVG, PDF), an offline HTML report, the options CSV and the scenario YAML.

The output rule (:func:`advisor.report.export.check_export_targets`): OUT a folder; an earlier export's files are
replaced only with ``--force``; a folder, device or anything but a regular file under one of the export's names is
refused in one line, never deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from advisor.cli import app



@app.command("export")
def export_command(
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="scenario YAML (default: the embedded example)"),
    out: str = typer.Option(..., "--out", help="folder to write into (created if missing); all files or none, "
                                               "nothing is written elsewhere"),
    formats: str = typer.Option("png,svg,pdf,html,csv,yaml", "--formats",
                                help="comma-separated: png,svg,pdf,html,csv,yaml"),
    force: bool = typer.Option(False, "--force", help="replace the files of an earlier export in OUT (never a "
                                                      "folder or anything else in their place)"),
) -> None:
    """Write the scenario's charts, report, options table and scenario file into OUT."""
    from advisor.report import export

    fmts = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in fmts if f not in export.FORMATS]
    if bad or not fmts:
        from advisor.errors import InputError

        raise InputError("--formats", formats, ",".join(export.FORMATS))
    # the raw text ("" is refused, not read as the current folder) and every file name, before any work
    export.check_export_targets(out, fmts, "--out", force)
    path = scenario or export.EXAMPLE_SCENARIO
    scen = export.load_scenario_file(path)
    written = export.write_exports(scen, Path(out), fmts, field="--out", force=force)
    for p in written:
        typer.echo(str(p))

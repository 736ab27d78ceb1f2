"""``advisor measure``: run a real diffusers pipeline, time its stages, sample power, write a profile YAML.

The command lives in :mod:`measure.command` (the only package that imports torch, diffusers and NVML). It is
imported here only when ``advisor measure`` runs (through ``importlib``, so that no other command and no part of
``advisor`` imports ``measure``; the layer contract in ``pyproject.toml`` checks this). Its arguments are passed
through unchanged; ``advisor measure --help`` shows the measure command's own help.
"""

from __future__ import annotations

import importlib

import typer

from advisor.cli import app

MEASURE_HELP = ("Measure a real diffusers pipeline on this machine (per-stage time, peak memory, NVML power) and "
                "write a profile YAML. Run 'advisor measure --help' for its options.")


@app.command("measure", help=MEASURE_HELP, add_help_option=False,
             context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def measure(ctx: typer.Context) -> None:
    command = importlib.import_module("measure.command")
    command.run_as_subcommand(list(ctx.args))

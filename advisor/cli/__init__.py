"""The ``advisor`` command line (Typer).

Command modules live in ``advisor/cli/`` and register themselves on ``app``.
Heavy imports (torch, diffusers, plotly, streamlit) happen only inside the commands that need them.
"""

from __future__ import annotations

import importlib
import sys

import typer
from typer.core import TyperGroup

from advisor.errors import AdvisorError


class _AdvisorGroup(TyperGroup):
    """The command group: an AdvisorError escaping a command becomes one line on stderr and exit code 2.

    Done here (not only in ``main``) so that every way of running ``app`` -- the console script, ``python -m
    advisor``, ``CliRunner().invoke(app, ...)`` -- gives the same one-line error, never a traceback.
    """

    def invoke(self, ctx):  # type: ignore[override]
        try:
            _refuse_repeated_options(self, ctx)
            return super().invoke(ctx)
        except AdvisorError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None


def _refuse_repeated_options(group, ctx) -> None:
    """Refuse an option given twice or together with its opposite (``--format json --format csv``,
    ``--commercial --personal``): click would silently keep the last one. Repeatable options are not checked."""
    from advisor.errors import InputError

    protected = getattr(ctx, "_protected_args", None)
    if protected is None:
        protected = getattr(ctx, "protected_args", None) or []
    args = [*protected, *ctx.args]
    if not args:
        return
    cmd = group.get_command(ctx, args[0])
    if cmd is None:
        return
    names: dict[str, str] = {}
    for p in getattr(cmd, "params", []):
        if getattr(p, "param_type_name", "") != "option" or getattr(p, "multiple", False) or getattr(p, "count", False):
            continue
        for o in (*p.opts, *getattr(p, "secondary_opts", [])):
            names[o] = p.name
    seen: dict[str, list[str]] = {}
    for a in args[1:]:
        if a == "--":
            break
        key = a.split("=", 1)[0] if a.startswith("--") else a
        if key in names:
            seen.setdefault(names[key], []).append(key)
    for given in seen.values():
        if len(given) > 1:
            flags = "/".join(dict.fromkeys(given))
            raise InputError(flags, " ".join(given), "each option once (repeated or conflicting flags are refused, "
                                                     "not silently last-wins)")


app = typer.Typer(
    cls=_AdvisorGroup,
    help="Image-generation cost and hardware advisor: simulate, measure, compare costs, recommend.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES = (
    "catalog_cmd",
    "recommend_cmd",
    "simulate_cmd",
    "validate_cmd",
    "claim_cmd",
    "measure_cmd",
    "export_cmd",
    "compare_cmd",
    "prices_cmd",
    "turnaround_cmd",
)

_loaded = False


def load_commands() -> None:
    """Import every command module once so that its commands register on ``app``."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"advisor.cli.{name}")
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != f"advisor.cli.{name}":
                raise


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print one error line on stderr and return an Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point: run the app, turning AdvisorError into one line and exit code 2."""
    load_commands()
    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and not isinstance(rc, bool) and rc:  # typer.Exit(code) is returned, not raised, here
            sys.exit(rc)
    except AdvisorError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        # typer >= 0.2x vendors click (typer._click), whose exceptions are not click's: duck-type them
        if isinstance(exc, click.exceptions.ClickException) or (
            callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)
        ):
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `advisor`: the help text, as click shows it
                exc.show()
            else:  # one line like an AdvisorError: "error: Invalid value for '--format': ... (see 'advisor x --help')"
                ctx = getattr(exc, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if getattr(ctx, "command_path", None) else ""
                message = " ".join(str(exc.format_message()).split())
                typer.echo(f"error: {message}{hint}", err=True)
            sys.exit(2)
        raise


# Register every command when the module is imported (tests use `app` with CliRunner directly).
load_commands()

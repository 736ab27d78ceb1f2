"""``advisor recommend``: rank self-hosting, buying, renting and APIs for a monthly image volume."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from advisor.cli import app, fail

FORMATS = ("table", "json", "csv")
#: Scenario field -> the CLI flag that sets it (used to name the flag in error messages).
FLAG_FOR = {
    "volume_images_per_month": "--volume", "gpu": "--gpu", "gpu_owned": "--gpu", "megapixels": "--megapixels",
    "electricity_usd_per_kwh": "--electricity-usd-per-kwh", "amortization_months": "--amortization-months",
    "deadline_hours": "--deadline-hours", "batch_images": "--batch-images", "input_megapixels": "--input-megapixels",
    "needs": "--need", "powered_on_hours_per_day": "--hours-on-per-day",
}
from advisor.cost.scenario import EXAMPLE_SCENARIO  # noqa: E402


def build_scenario_data(
    scenario_file: Optional[Path],
    **flags,
) -> dict:
    """Scenario fields: the YAML file's (if any), then every CLI flag that was given on top."""
    from advisor.decide import read_scenario_yaml

    data: dict = dict(read_scenario_yaml(scenario_file)) if scenario_file is not None else {}
    for key, value in flags.items():
        if value is None or (key == "needs" and not value):
            continue
        data[key] = value
    return data


@app.command("recommend")
def recommend_command(
    volume: Optional[float] = typer.Option(None, "--volume", help="images per month [images/month]"),
    gpu: Optional[str] = typer.Option(None, "--gpu", help="slug of a GPU you own (its purchase is not counted)"),
    megapixels: Optional[float] = typer.Option(None, "--megapixels", help="output size [MP, 1 MP = 1024x1024]; default 1.0"),
    electricity_usd_per_kwh: Optional[float] = typer.Option(None, "--electricity-usd-per-kwh",
                                                            help="electricity price [USD/kWh]; default: catalog"),
    amortization_months: Optional[float] = typer.Option(None, "--amortization-months",
                                                        help="amortization of bought hardware [months]; default: catalog"),
    commercial: Optional[bool] = typer.Option(None, "--commercial/--personal",
                                              help="commercial use (licences must allow it); default personal"),
    need: Optional[List[str]] = typer.Option(None, "--need", help="chinese-text | multi-reference | quality (repeatable)"),
    deadline_hours: Optional[float] = typer.Option(None, "--deadline-hours", help="a batch must finish within [h]"),
    batch_images: Optional[int] = typer.Option(None, "--batch-images", help="images in the deadline batch"),
    input_megapixels: Optional[float] = typer.Option(None, "--input-megapixels",
                                                     help="reference input per request [MP]"),
    hours_on_per_day: Optional[float] = typer.Option(
        None, "--hours-on-per-day",
        help="hours/day the generating machine is on for this work [h/day, 0-24]; default: a bought box uses the "
             "catalog default (24), an owned GPU is assumed on anyway and only the energy above idle is counted"),
    scenario: Optional[Path] = typer.Option(None, "--scenario",
                                            help="scenario YAML (same fields, plus catalog 'overrides:'); flags win"),
    output_format: str = typer.Option("table", "--format", help="table | json | csv"),
    limit: int = typer.Option(10, "--limit", help="rows of the ranked table (table format; the best option of each "
                                                   "deployment kind is always shown above it)"),
) -> None:
    """Rank every way to make VOLUME images a month by monthly cost and recommend one."""
    from advisor.errors import AdvisorError, InputError

    try:
        if output_format not in FORMATS:
            raise InputError("--format", output_format, " | ".join(FORMATS))
        if limit < 1:
            raise InputError("--limit", limit, "an integer >= 1")
        data = build_scenario_data(
            scenario, volume_images_per_month=volume, gpu_owned=gpu, megapixels=megapixels,
            electricity_usd_per_kwh=electricity_usd_per_kwh, amortization_months=amortization_months,
            commercial=commercial, needs=list(need) if need else None, deadline_hours=deadline_hours,
            batch_images=batch_images, input_megapixels=input_megapixels,
            powered_on_hours_per_day=hours_on_per_day,
        )
        if "volume_images_per_month" not in data:
            raise InputError("--volume", None, "a number of images per month > 0 (or a --scenario file with "
                                               "volume_images_per_month)")
        from advisor import report
        from advisor.decide import Scenario, recommend

        result = recommend(Scenario.from_dict(data))
        if output_format == "json":
            typer.echo(report.to_json(result))
        elif output_format == "csv":
            typer.echo(report.to_csv(result), nl=False)
        else:
            report.render_table(result, limit=limit)
    except AdvisorError as exc:
        field = getattr(exc, "field", None)
        flag = FLAG_FOR.get(field or "")
        given = {"--volume": volume, "--gpu": gpu, "--megapixels": megapixels,
                 "--electricity-usd-per-kwh": electricity_usd_per_kwh, "--amortization-months": amortization_months,
                 "--deadline-hours": deadline_hours, "--batch-images": batch_images,
                 "--input-megapixels": input_megapixels, "--need": need or None,
                 "--hours-on-per-day": hours_on_per_day}.get(flag or "")
        if isinstance(exc, InputError) and flag and given is not None:
            raise fail(f"{flag}: got {exc.value!r}; allowed: {exc.allowed}") from None
        raise fail(str(exc)) from None

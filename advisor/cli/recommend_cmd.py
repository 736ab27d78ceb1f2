"""``advisor recommend``: rank self-hosting, buying, renting and APIs for a monthly image volume."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from advisor.cli import app, fail
from advisor.cli.economics_opts import HOLDING_HELP, OWNED_CARD_VIEW_HELP, PEOPLE_TIME_HELP, economics_flag_data

FORMATS = ("table", "json", "csv")
#: Scenario field -> the CLI flag that sets it (used to name the flag in error messages).
FLAG_FOR = {
    "volume_images_per_month": "--volume", "gpu": "--gpu", "gpu_owned": "--gpu", "megapixels": "--megapixels",
    "electricity_usd_per_kwh": "--electricity-usd-per-kwh", "amortization_months": "--amortization-months",
    "deadline_hours": "--deadline-hours", "batch_images": "--batch-images", "input_megapixels": "--input-megapixels",
    "needs": "--need", "powered_on_hours_per_day": "--hours-on-per-day",
    "steps_preset": "--steps-preset", "host_ram_gb": "--host-ram-gb",
}
from advisor.cost.scenario import EXAMPLE_SCENARIO  # noqa: E402,F401  (tests and docs read it here)


def parse_assignments(items: list[str] | None, flag: str, allowed: str) -> dict[str, float]:
    """``['slug=12.5', ...]`` -> ``{'slug': 12.5}``; one-line InputError naming the flag when malformed, repeated,
    unknown to the catalog or implausible (:func:`advisor.cli._flags.parse_keyed`)."""
    from advisor.cli._flags import parse_keyed

    return parse_keyed(items, flag, allowed)


def build_scenario_data(
    scenario_file: Optional[Path],
    **flags,
) -> dict:
    """Scenario fields: the YAML file's (if any), then every CLI flag that was given on top."""
    from advisor.cost.scenario import read_scenario_yaml  # the reader alone: a bad file is refused before the engine loads

    data: dict = dict(read_scenario_yaml(scenario_file)) if scenario_file is not None else {}
    if flags.get("megapixels") is not None:  # the flag wins over the file's size in either form
        data.pop("width", None), data.pop("height", None)
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
                                              help="commercial use (paid licences are added); default commercial"),
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
    min_quality: Optional[str] = typer.Option(None, "--min-quality",
                                              help="quality floor SCALE:VALUE, e.g. lmarena-t2i:1100 (hard constraint)"),
    quality_scale: Optional[str] = typer.Option(None, "--quality-scale", help="scale to rank/chart quality on"),
    licence_fee: Optional[List[str]] = typer.Option(None, "--licence-fee",
                                                    help="PIPELINE=USD per month commercial licence fee (repeatable)"),
    keep_rate: Optional[List[str]] = typer.Option(None, "--keep-rate", help="MODEL=SHARE of generations kept"),
    kind_of_work: Optional[str] = typer.Option(None, "--kind-of-work",
                                               help="general | portrait | text-in-image-english | text-in-image-chinese"),
    setup_hours: Optional[float] = typer.Option(None, "--setup-hours", help="people: one-off set-up [h]; default 8 "
                                               "(assumption, as compare; a --scenario file's own value or 0)"),
    upkeep_hours: Optional[float] = typer.Option(None, "--upkeep-hours-per-month",
                                                 help="people: upkeep of self-hosting [h/month]; default 2 "
                                                      "(assumption; a --scenario file's own value or 0)"),
    hourly_rate: Optional[float] = typer.Option(None, "--hourly-rate", help="people: cost of one hour [USD/h]; default 50 "
                                                                                   "(assumption)"),
    people_time: Optional[List[str]] = typer.Option(None, "--people-time", help=PEOPLE_TIME_HELP),
    owned_card_view: Optional[str] = typer.Option(None, "--owned-card-view", help=OWNED_CARD_VIEW_HELP),
    holding: Optional[List[str]] = typer.Option(None, "--holding", help=HOLDING_HELP),
    region: Optional[str] = typer.Option(None, "--region", help="tariff region slug (advisor catalog tariffs); sets the "
                                         "electricity price unless --electricity-usd-per-kwh is given"),
    currency: Optional[str] = typer.Option(None, "--currency", help="USD | EUR | GBP: amounts also shown converted "
                                           "at the catalog's dated rate"),
    # issue 11: turnaround (a p95 target is a hard constraint) and risk (cost spread, what would flip the answer)
    team: Optional[int] = typer.Option(None, "--team", help="turnaround: people sending requests"),
    requests_per_person_per_hour: Optional[float] = typer.Option(
        None, "--requests-per-person-per-hour", help="turnaround: [1/h per person]; default: volume over working hours"),
    burst: Optional[List[str]] = typer.Option(None, "--burst", help="turnaround: HOUR:REQUESTS per person (repeatable)"),
    images_per_request: Optional[int] = typer.Option(None, "--images-per-request", help="turnaround: default 1"),
    working_hours: Optional[float] = typer.Option(None, "--working-hours", help="turnaround: [h/day], default 8"),
    working_days: Optional[int] = typer.Option(None, "--working-days", help="turnaround: days simulated, default 5"),
    p95_minutes: Optional[float] = typer.Option(None, "--p95-minutes",
                                                help="turnaround target: 95 % of requests done within [min] (hard)"),
    api_concurrency: Optional[int] = typer.Option(None, "--api-concurrency", help="turnaround: API calls in flight"),
    api_latency: Optional[float] = typer.Option(None, "--api-latency", help="turnaround: [s per API call] fallback"),
    risk: bool = typer.Option(True, "--risk/--no-risk", help="add P10/P50/P90 costs, tornado and flip thresholds "
                                                             "(table and json; a few seconds)"),
    output_format: str = typer.Option("table", "--format", help="table | json | csv"),
    allow_quality_tradeoffs: bool = typer.Option(False, "--allow-quality-tradeoffs", help="let self-host and rental "
                                                 "options use step caching, W4A4 and NVFP4 (they change the image)"),
    steps_preset: Optional[str] = typer.Option(None, "--steps-preset", help="studio (default: the steps studios "
                                               "run, sourced per pipeline) | library (the library's own call)"),
    host_ram_gb: Optional[float] = typer.Option(None, "--host-ram-gb", help="host RAM of the machine your --gpu "
                                                "is in [GB]; default stated in profiles/defaults.yaml"),
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
            powered_on_hours_per_day=hours_on_per_day, min_quality=min_quality, quality_scale=quality_scale,
            kind_of_work=kind_of_work, setup_hours=setup_hours, upkeep_hours_per_month=upkeep_hours,
            hourly_rate_usd=hourly_rate, region=region, currency=currency,
        )
        from advisor.cli.turnaround_cmd import turnaround_flag_data  # issue 11

        data.update({k: v for k, v in turnaround_flag_data(
            team, requests_per_person_per_hour, burst, images_per_request, working_hours, working_days, p95_minutes,
            api_concurrency, api_latency).items() if v is not None})
        fees = parse_assignments(licence_fee, "--licence-fee", "PIPELINE=USD per month, e.g. flux-2-dev=999")
        keeps = parse_assignments(keep_rate, "--keep-rate", "MODEL=SHARE from 0.01 to 1, e.g. z-image-turbo=0.8")
        from advisor.cli._flags import check_scale_flag  # an empty scale is refused, not ignored

        check_scale_flag("--quality-scale", quality_scale), check_scale_flag("--min-quality", min_quality)
        if fees:
            data["license_fee_usd_per_month"] = {**data.get("license_fee_usd_per_month", {}), **fees}
        if keeps:
            data["keep_rates"] = {**data.get("keep_rates", {}), **keeps}
        if allow_quality_tradeoffs:  # issue 12
            data["allow_quality_tradeoffs"] = True
        if steps_preset is not None:
            data["steps_preset"] = steps_preset
        if host_ram_gb is not None:
            data["host_ram_gb"] = host_ram_gb
        data.update(economics_flag_data(people_time, owned_card_view, holding))  # people's time, owned card
        if scenario is None:  # the studio's stated people's-time defaults, as `advisor compare`
            from advisor.cost.scenario import with_studio_people_defaults

            data = with_studio_people_defaults(data)
        if "volume_images_per_month" not in data:
            raise InputError("--volume", None, "a number of images per month > 0 (or a --scenario file with "
                                               "volume_images_per_month)")
        from advisor import report
        from advisor.decide import Scenario, recommend

        sc = Scenario.from_dict(data)
        result = recommend(sc)
        if risk and output_format != "csv" and result.options:  # issue 11: cost spread and flip thresholds
            from advisor.decide.risk import assess, attach_risk

            attach_risk(result, assess(sc, result))
        if output_format == "json":
            typer.echo(report.to_json(result))
        elif output_format == "csv":
            typer.echo(report.to_csv(result), nl=False)
        else:
            from advisor.decide.frontier import frontier_lines

            for line in frontier_lines(result.frontier or {}):  # the answer opens with what quality costs
                typer.echo(line)
            report.render_table(result, limit=limit)
    except AdvisorError as exc:
        field = getattr(exc, "field", None)
        from advisor.cli.turnaround_cmd import TURNAROUND_FLAGS

        flag = FLAG_FOR.get(field or "") or TURNAROUND_FLAGS.get(field or "")
        given = {"--volume": volume, "--gpu": gpu, "--megapixels": megapixels,
                 "--electricity-usd-per-kwh": electricity_usd_per_kwh, "--amortization-months": amortization_months,
                 "--deadline-hours": deadline_hours, "--batch-images": batch_images,
                 "--input-megapixels": input_megapixels, "--need": need or None,
                 "--hours-on-per-day": hours_on_per_day, "--team": team,
                 "--requests-per-person-per-hour": requests_per_person_per_hour, "--burst": burst or None,
                 "--images-per-request": images_per_request, "--working-hours": working_hours,
                 "--working-days": working_days, "--p95-minutes": p95_minutes, "--api-concurrency": api_concurrency,
                 "--api-latency": api_latency, "--steps-preset": steps_preset,
                 "--host-ram-gb": host_ram_gb}.get(flag or "")
        if isinstance(exc, InputError) and flag and given is not None:
            raise fail(f"{flag}: got {exc.value!r}; allowed: {exc.allowed}") from None
        raise fail(str(exc)) from None

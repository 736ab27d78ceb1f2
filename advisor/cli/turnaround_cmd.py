"""``advisor turnaround``: how long a team waits per option (p50/p95/max) and how many GPUs meet a p95 target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from advisor.cli import app, fail
from advisor.cli.economics_opts import HOLDING_HELP, OWNED_CARD_VIEW_HELP, PEOPLE_TIME_HELP

FORMATS = ("table", "json")
#: scenario field -> CLI flag (error messages name the flag)
TURNAROUND_FLAGS = {
    "team_size": "--team", "requests_per_person_per_hour": "--requests-per-person-per-hour", "bursts": "--burst",
    "images_per_request": "--images-per-request", "working_hours_per_day": "--working-hours",
    "working_days": "--working-days", "p95_target_minutes": "--p95-minutes",
    "api_concurrency_limit": "--api-concurrency", "api_latency_seconds_per_image": "--api-latency",
}


def parse_bursts(values: Optional[List[str]]) -> list[dict] | None:
    """``["0:8", "4.5:2"]`` -> ``[{"at_hour": 0.0, "requests": 8}, {"at_hour": 4.5, "requests": 2}]``."""
    from advisor.errors import InputError

    if not values:
        return None
    out = []
    for text in values:
        hour, sep, n = text.partition(":")
        try:
            if not sep:
                raise ValueError
            out.append({"at_hour": float(hour), "requests": int(n)})
        except ValueError:
            raise InputError("--burst", text, "HOUR:REQUESTS, e.g. 0:8 (each person sends 8 requests at the start "
                                              "of the working day)") from None
    return out


def turnaround_flag_data(team, requests_per_person_per_hour, burst, images_per_request, working_hours, working_days,
                         p95_minutes, api_concurrency, api_latency) -> dict:
    """Scenario fields from the turnaround flags (None = not given)."""
    return {"team_size": team, "requests_per_person_per_hour": requests_per_person_per_hour,
            "bursts": parse_bursts(burst), "images_per_request": images_per_request,
            "working_hours_per_day": working_hours, "working_days": working_days, "p95_target_minutes": p95_minutes,
            "api_concurrency_limit": api_concurrency, "api_latency_seconds_per_image": api_latency}


def _minutes(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def render(report, limit: int = 15) -> list[str]:
    """The table as text lines (every number from the report)."""
    from advisor.fmt import usd
    from advisor.report import short_label

    by_id = {o.id: o for o in report.result.options}

    a = report.assumptions.get("turnaround", {})
    lines = []
    target = report.target_minutes
    if a.get("bursts"):
        arrivals = ", ".join(f"{b['requests']} at hour {b['at_hour']:g}" for b in a["bursts"]) + " per person per day"
    else:
        arrivals = (f"{a.get('requests_per_person_per_hour', 0):.3g} requests per person per working hour "
                    f"({a.get('arrival_rate_source')})")
    lines.append(f"Team of {a.get('team_size')}: {arrivals}; {a.get('images_per_request')} image(s) per request; "
                 f"{a.get('working_hours_per_day'):g} h working days, {a.get('working_days_simulated')} simulated "
                 f"(seed {a.get('seed')}).")
    if str(a.get("waits_method", "")).startswith("closed form"):
        lines.append(f"Waits in {a['waits_method']}; 'max' is the 99.9th percentile.")
    lines.append(f"p95 target: {'none (GPUs needed not computed)' if target is None else f'{target:g} min'}; "
                 f"recommended: {report.recommendation or 'none'}")
    head = f"{'#':>4}  {'option':<58} {'kind':<9} {'GPUs':>4} {'p50':>7} {'p95':>7} {'max':>7} {'util':>5} {'cost/month':>11}"
    lines.append(head)
    lines.append(f"{'':>4}  {'':<58} {'':<9} {'':>4} {'[min]':>7} {'[min]':>7} {'[min]':>7} {'':>5} {'[USD]':>11}")
    for i, r in report_rows(report, limit):
        gpus = "-" if r.gpus_needed is None else str(r.gpus_needed)
        lines.append(f"{i:>4}  {short_label(by_id[r.option_id])[:58]:<58} {r.deployment:<9} {gpus:>4} {_minutes(r.p50_turnaround_minutes):>7} "
                     f"{_minutes(r.p95_turnaround_minutes):>7} {_minutes(r.max_turnaround_minutes):>7} "
                     f"{r.utilisation:>5.0%} {usd(r.monthly_cost_usd):>11}")
    if report.excluded_by_target:
        lines.append(f"{len(report.excluded_by_target)} option(s) cannot meet the target, e.g. "
                     f"{report.excluded_by_target[0]['option_id']}: {report.excluded_by_target[0]['reasons'][0]}")
    return lines


def report_rows(report, limit: int = 15):
    """(rank, row) of the first ``limit`` rows plus the best row of each deployment kind."""
    out = list(enumerate(report.rows[:limit], start=1))
    shown = {r.deployment for _, r in out}
    for i, r in enumerate(report.rows, start=1):
        if r.deployment not in shown:
            out.append((i, r))
            shown.add(r.deployment)
    return out


@app.command("turnaround")
def turnaround_command(
    volume: Optional[float] = typer.Option(None, "--volume", help="images per month [images/month]"),
    team: Optional[int] = typer.Option(None, "--team", help="people sending requests"),
    requests_per_person_per_hour: Optional[float] = typer.Option(
        None, "--requests-per-person-per-hour", help="[1/h per person]; default: the volume spread over the working hours"),
    burst: Optional[List[str]] = typer.Option(None, "--burst", help="HOUR:REQUESTS per person each working day "
                                                                    "(repeatable), instead of a rate"),
    images_per_request: Optional[int] = typer.Option(None, "--images-per-request", help="default 1"),
    working_hours: Optional[float] = typer.Option(None, "--working-hours", help="[h/day], default 8"),
    working_days: Optional[int] = typer.Option(None, "--working-days", help="days simulated, default 5"),
    p95_minutes: Optional[float] = typer.Option(None, "--p95-minutes", help="95 % of requests done within [min]"),
    api_concurrency: Optional[int] = typer.Option(None, "--api-concurrency", help="API calls in flight, default 4"),
    api_latency: Optional[float] = typer.Option(None, "--api-latency",
                                                help="[s per API call] when the catalog has none; default 10"),
    gpu: Optional[str] = typer.Option(None, "--gpu", help="slug of a GPU you own"),
    megapixels: Optional[float] = typer.Option(None, "--megapixels", help="output size [MP]"),
    commercial: Optional[bool] = typer.Option(None, "--commercial/--personal", help="default commercial"),
    people_time: Optional[List[str]] = typer.Option(None, "--people-time", help=PEOPLE_TIME_HELP),
    owned_card_view: Optional[str] = typer.Option(None, "--owned-card-view", help=OWNED_CARD_VIEW_HELP),
    holding: Optional[List[str]] = typer.Option(None, "--holding", help=HOLDING_HELP),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="scenario YAML; flags win"),
    output_format: str = typer.Option("table", "--format", help="table | json"),
    limit: int = typer.Option(15, "--limit", help="rows of the table (best of each kind always shown)"),
) -> None:
    """p50/p95/max turnaround per option for a team, and the GPUs each option needs to meet a p95 target."""
    from advisor.errors import AdvisorError, InputError

    try:
        if output_format not in FORMATS:
            raise InputError("--format", output_format, " | ".join(FORMATS))
        if limit < 1:
            raise InputError("--limit", limit, "an integer >= 1")
        from advisor.decide import read_scenario_yaml

        data = dict(read_scenario_yaml(scenario)) if scenario is not None else {}
        flags = {"volume_images_per_month": volume, "gpu_owned": gpu, "megapixels": megapixels,
                 "commercial": commercial, **turnaround_flag_data(
                     team, requests_per_person_per_hour, burst, images_per_request, working_hours, working_days,
                     p95_minutes, api_concurrency, api_latency)}
        if megapixels is not None:  # the flag wins over the file's size in either form
            data.pop("width", None), data.pop("height", None)
        data.update({k: v for k, v in flags.items() if v is not None})
        from advisor.cli.economics_opts import economics_flag_data

        data.update(economics_flag_data(people_time, owned_card_view, holding))  # people's time, owned card
        if scenario is None:  # the studio's stated people's-time defaults, as `recommend` and `compare`
            from advisor.cost.scenario import with_studio_people_defaults

            data = with_studio_people_defaults(data)
        if "volume_images_per_month" not in data:
            raise InputError("--volume", None, "a number of images per month > 0 (or a --scenario file with it)")
        if data.get("team_size") is None:
            raise InputError("--team", None, "an integer >= 1 (people sending requests)")
        from advisor.decide import Scenario
        from advisor.decide.turnaround import turnaround_report

        report = turnaround_report(Scenario.from_dict(data))
        if output_format == "json":
            typer.echo(json.dumps(report.to_json_dict(), indent=2, default=str))
        else:
            for line in render(report, limit):
                typer.echo(line)
    except AdvisorError as exc:
        flag = TURNAROUND_FLAGS.get(getattr(exc, "field", None) or "")
        given = {"--team": team, "--requests-per-person-per-hour": requests_per_person_per_hour,
                 "--burst": burst or None, "--images-per-request": images_per_request,
                 "--working-hours": working_hours, "--working-days": working_days, "--p95-minutes": p95_minutes,
                 "--api-concurrency": api_concurrency, "--api-latency": api_latency}
        if isinstance(exc, InputError) and flag and (given.get(flag) is not None or scenario is None):
            raise fail(f"{flag}: got {exc.value!r}; allowed: {exc.allowed}") from None
        raise fail(str(exc)) from None


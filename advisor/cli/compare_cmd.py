"""``advisor compare``: model against model (own card, buy, rent, API) with cost, seconds, quality and licence;
``advisor fit-votes``: a studio's blind pairwise votes -> its own quality scale (Bradley-Terry)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from advisor.cli import app
from advisor.cli.economics_opts import HOLDING_HELP, OWNED_CARD_VIEW_HELP, PEOPLE_TIME_HELP
from advisor.cli.recommend_cmd import parse_assignments  # noqa: F401  (PIPELINE=USD / MODEL=SHARE flags)
from advisor.cost.scenario import (STUDIO_HOURLY_RATE_USD, STUDIO_SETUP_HOURS, STUDIO_UPKEEP_HOURS_PER_MONTH,
                                   with_studio_people_defaults)

FORMATS = ("table", "json", "csv")


def _fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def render_compare(res) -> str:
    """The one-screen text answer: per model, one line per deployment."""
    from advisor.decide.compare import short_label
    from advisor.fmt import usd

    sc = res.scenario
    lines = [f"{' vs '.join(m.name for m in res.models)}: {sc['volume_images_per_month']:,.0f} images/month, "
             f"owned GPU {sc.get('gpu_owned') or 'none'}, {res.use} use; quality on {res.quality_scale}; people's "
             f"time {sc.get('setup_hours', 0):g} h set-up + {sc.get('upkeep_hours_per_month', 0):g} h/month at "
             f"{usd(sc.get('hourly_rate_usd', 0))}/h"]
    head = (f"  {'deployment':<58} {'s/image':>8} {'$/month':>10} {'$/image':>9} {'people':>8} {'licence':>9} "
            f"{'quality':>8}  licence terms")
    for m in res.models:
        lines.append("")
        q = m.headline_quality
        qtext = f"{q['value']:g} on {res.quality_scale} ({q['source']}, {q['as_of']})" if q else \
            f"unscored on {res.quality_scale}"
        lines.append(f"{m.name} [{m.model}] - licence: {m.license}; quality {qtext}")
        lines.append(head)
        for r in m.rows:
            b = r.cost_breakdown_usd
            lic = usd(b.get("license", 0.0)) + ("" if r.license_fee_known else "+?")
            label = short_label(r)
            if len(label) > 58:  # the whole setting on its own line, never cut (advisor.perf.settings)
                lines.append(f"  {label}")
                label = ""
            lines.append(f"  {label:<58} {_fmt_s(r.seconds_per_image):>8} "
                         f"{usd(r.monthly_cost_usd):>10} {usd(r.cost_per_image_usd):>9} {usd(b.get('people', 0.0)):>8} "
                         f"{lic:>9} {('-' if r.quality_value is None else f'{r.quality_value:g}'):>8}  {r.license}")
            if r.speed_basis:  # a GPU family from specs only or one or two runs: its seconds' band, in the row
                lines.append(f"    {r.speed_basis}")
        n = m.self_host_overtakes_api_images_per_month
        lines.append(f"  self-hosting overtakes its own API at: "
                     f"{'never (cheaper or dearer at every volume)' if n is None else f'{n:,.0f} images/month'}")
        if m.break_even_license_fee_usd_per_month is not None:
            lines.append(f"  break-even licence fee: self-hosting beats its API while the licence costs less than "
                         f"{usd(m.break_even_license_fee_usd_per_month)} a month at this volume")
        for note in m.notes:
            lines.append(f"  note: {note[:200]}")
    if res.pairwise:
        lines.append("")
        lines.append("Head-to-head (published; shares with 95% Wilson intervals):")
        for p in res.pairwise:
            lo, hi = p["a_wins_wilson"]
            lines.append(f"  {p['label_a']} wins {p['a_wins']:.0%} [{lo:.0%}-{hi:.0%}], ties "
                         f"{'-' if p['ties'] is None else format(p['ties'], '.0%')}, {p['label_b']} wins "
                         f"{p['b_wins']:.0%} over n = {p['n']} {p['n_unit'][:40]} ({p['solidity']}, {p['as_of']})")
    if res.pairwise_not_shown:
        lines.append("Not shown (another variant or checkpoint on one side, not the compared model): "
                     + "; ".join(f"{p['id']} ({p['why']})" for p in res.pairwise_not_shown))
    lines.append("")
    lines += [f"answer: {r}" for r in res.recommendation["reasons"]]
    return "\n".join(lines)


@app.command("compare")
def compare_command(
    pipeline: Optional[List[str]] = typer.Option(None, "--pipeline", help="a model to compare (repeat, >= 2)"),
    volume: Optional[float] = typer.Option(None, "--volume", help="images kept per month [images/month]"),
    gpu: Optional[str] = typer.Option(None, "--gpu", help="slug of a GPU you own"),
    commercial: Optional[bool] = typer.Option(None, "--commercial/--personal", help="use assumed; default commercial"),
    licence_fee: Optional[List[str]] = typer.Option(
        None, "--licence-fee", help="PIPELINE=USD per month: your commercial licence fee (repeatable); unset paid "
                                    "licences are shown with their break-even fee"),
    keep_rate: Optional[List[str]] = typer.Option(None, "--keep-rate", help="MODEL=SHARE of generations kept (0-1]"),
    kind_of_work: Optional[str] = typer.Option(None, "--kind-of-work",
                                               help="general | portrait | text-in-image-english | text-in-image-chinese"),
    setup_hours: Optional[float] = typer.Option(None, "--setup-hours",
                                                help=f"one-off set-up [h]; default {STUDIO_SETUP_HOURS:g}"),
    upkeep_hours: Optional[float] = typer.Option(None, "--upkeep-hours-per-month",
                                                 help=f"upkeep [h/month]; default {STUDIO_UPKEEP_HOURS_PER_MONTH:g}"),
    hourly_rate: Optional[float] = typer.Option(None, "--hourly-rate", help=f"[USD/h]; default {STUDIO_HOURLY_RATE_USD:g}"),
    people_time: Optional[List[str]] = typer.Option(None, "--people-time", help=PEOPLE_TIME_HELP),
    owned_card_view: Optional[str] = typer.Option(None, "--owned-card-view", help=OWNED_CARD_VIEW_HELP),
    holding: Optional[List[str]] = typer.Option(None, "--holding", help=HOLDING_HELP),
    min_quality: Optional[str] = typer.Option(None, "--min-quality", help="quality floor SCALE:VALUE"),
    quality_scale: Optional[str] = typer.Option(None, "--quality-scale", help="scale shown/ranked (default lmarena-t2i; "
                                                "lmarena-image-edit with --input-megapixels)"),
    megapixels: Optional[float] = typer.Option(None, "--megapixels", help="output size [MP]; default 1.0"),
    input_megapixels: Optional[float] = typer.Option(None, "--input-megapixels", help="input/reference images per "
                                                     "request [MP]: costed on APIs and in the simulator alike"),
    steps_preset: Optional[str] = typer.Option(None, "--steps-preset", help="studio (default: the steps studios "
                                               "run, sourced per pipeline) | library (the library's own call)"),
    host_ram_gb: Optional[float] = typer.Option(None, "--host-ram-gb", help="host RAM of the machine your --gpu "
                                                "is in [GB]; default stated in profiles/defaults.yaml"),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="scenario YAML; flags win"),
    output_format: str = typer.Option("table", "--format", help="table | json | csv"),
) -> None:
    """Compare models side by side: own card, buy, rent and every API of each, with quality and licence."""
    from advisor.cli.recommend_cmd import build_scenario_data
    from advisor.cli.economics_opts import economics_flag_data
    from advisor.errors import InputError

    if output_format not in FORMATS:
        raise InputError("--format", output_format, " | ".join(FORMATS))
    fees = parse_assignments(licence_fee, "--licence-fee", "PIPELINE=USD per month, e.g. flux-2-dev=999")
    keeps = parse_assignments(keep_rate, "--keep-rate", "MODEL=SHARE from 0.01 to 1, e.g. z-image-turbo=0.8")
    from advisor.cli._flags import check_scale_flag  # an empty scale is refused, not ignored

    check_scale_flag("--quality-scale", quality_scale), check_scale_flag("--min-quality", min_quality)
    data = build_scenario_data(
        scenario, volume_images_per_month=volume, gpu_owned=gpu, commercial=commercial, kind_of_work=kind_of_work,
        setup_hours=setup_hours, upkeep_hours_per_month=upkeep_hours, hourly_rate_usd=hourly_rate,
        min_quality=min_quality, quality_scale=quality_scale, megapixels=megapixels,
        input_megapixels=input_megapixels)
    for key, value in (("steps_preset", steps_preset), ("host_ram_gb", host_ram_gb)):
        if value is not None:  # the setting and the machine around the card (advisor.perf.settings / host)
            data[key] = value
    if scenario is None:  # the studio's stated people's-time defaults (advisor.cost.scenario STUDIO_*)
        data = with_studio_people_defaults(data)
    if fees:
        data["license_fee_usd_per_month"] = {**data.get("license_fee_usd_per_month", {}), **fees}
    if keeps:
        data["keep_rates"] = {**data.get("keep_rates", {}), **keeps}
    data.update(economics_flag_data(people_time, owned_card_view, holding))  # people's time, owned card
    if "volume_images_per_month" not in data:
        raise InputError("--volume", None, "a number of images per month > 0")
    models = list(pipeline or [])
    if len(set(models)) < 2:
        raise InputError("--pipeline", models, "at least two different pipelines (repeat --pipeline A --pipeline B)")
    import json

    from advisor.decide import Scenario
    from advisor.decide.compare import CSV_COLUMNS, compare, csv_rows

    res = compare(models, Scenario.from_dict(data))
    if output_format == "json":
        typer.echo(json.dumps(res.to_json_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    elif output_format == "csv":
        from advisor.report.tables import csv_text  # cells neutralised against spreadsheet formulas

        typer.echo(csv_text(csv_rows(res), CSV_COLUMNS), nl=False)
    else:
        typer.echo(render_compare(res))


@app.command("fit-votes")
def fit_votes_command(
    votes: Path = typer.Argument(..., help="CSV of blind votes: model_a,model_b,winner"),
    name: str = typer.Option("studio", "--name", help="a name for this set of votes (goes into the scale slug)"),
    out: Optional[Path] = typer.Option(None, "--out", help="where to write the profile; default "
                                                           "profiles/quality_votes/<scale>.yaml (numbered, never "
                                                           "replacing an earlier fit)"),
    force: bool = typer.Option(False, "--force", help="replace an existing --out file"),
    model: Optional[List[str]] = typer.Option(None, "--model", help="a model slug outside the catalog that the votes "
                                                                    "may name (repeatable)"),
) -> None:
    """Fit Bradley-Terry ratings to a studio's blind pairwise votes and store them as a dated quality profile."""
    from advisor.cli._flags import run_fit_votes  # bounded read, model checks, output rule, numbered names

    run_fit_votes(votes, name, out, force, model)

"""Helpers every deployment kind shares: fitting precisions, pipelines that may be hosted, deadlines, per-image
parts and reason snippets (used by :mod:`advisor.decide.own` and :mod:`advisor.decide.rental`)."""

from __future__ import annotations

import math
from typing import Iterator

from advisor.catalog import GPU, Pipeline
from advisor.cost import tco
from advisor.decide import optimize, quality, rules
from advisor.decide.option import Context, Excluded
from advisor.errors import InputError
from advisor.fmt import usd as _usd
from advisor.perf import PerfEstimate, PerfRequest

#: how :func:`advisor.perf.timing.family_notes` opens the caveat of a GPU family calibrated from specs only or on one
#: or two measured points (the estimate then carries the wider band of :func:`advisor.perf._engine.uncertainty_for`)
WIDE_BAND_NOTES = ("from specs only", "few measured runs")


def speed_basis(est: PerfEstimate) -> str:
    """The sentence an option shows when its seconds per image come from specs only or from one or two measured runs
    of its GPU family: the estimate's own note (``PerfEstimate.notes``, from ``family_notes``) with its relative band
    (``PerfEstimate.uncertainty``, e.g. ±53%); '' for a family fitted on enough points or without a band."""
    note = next((n for n in getattr(est, "notes", ()) if n.startswith(WIDE_BAND_NOTES)), None)
    u = getattr(est, "uncertainty", None)
    if note is None or u is None or not math.isfinite(u) or u <= 0:
        return ""
    kind, _, why = note.split("; wider uncertainty band")[0].partition(": ")
    kind = kind if kind.startswith("from") else f"from {kind}"
    why = why.replace(" (", ": ").replace(")", "")  # one level of brackets in the sentence
    return (f"Speed {kind} ({why}): {est.seconds_per_image:.2f} s/image ±{u:.0%} (the simulator's band for such a "
            f"family), so every cost that scales with the speed is as uncertain.")


def _kwh(x: float) -> str:
    """Energy for sentences: 47.4 kWh / 0.0644 kWh (three significant figures below 100)."""
    return f"{x:,.0f} kWh" if abs(x) >= 100 else f"{x:.3g} kWh"


def _n(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:g}"


def _request(ctx: Context, pipeline: str, gpu: str, precision: str) -> PerfRequest:
    return PerfRequest(pipeline=pipeline, gpu=gpu, precision=precision, width=ctx.width, height=ctx.height,
                       steps_preset=getattr(ctx.scenario, "steps_preset", "studio"),
                       input_megapixels=float(getattr(ctx.scenario, "input_megapixels", 0.0) or 0.0))


def _fitting_estimates(ctx: Context, pipe: Pipeline, gpu: GPU,
                       host_ram_gib: float | None = None) -> tuple[list[PerfEstimate], PerfEstimate | None]:
    """Estimates of every tried precision that fits (auto offload), and the best non-fitting one for the reason;
    ``host_ram_gib``: the machine's RAM [GiB] when known (optimize.fastest prefers a setting within it)."""
    fitting, smallest = [], None
    for precision in rules.precisions_for(gpu, pipe):
        try:
            est = ctx.estimator(_request(ctx, pipe.slug, gpu.slug, precision), ctx.catalog)
        except InputError as exc:
            if exc.field not in ("precision", "gpu"):  # anything else is an error to report, not a GPU to drop
                raise
            continue  # precision not supported by the simulator for this pair
        if est.fits:  # issue 12: the fastest allowed optimization set that still fits (advisor/decide/optimize.py)
            best = optimize.fastest(est, ctx.catalog, ctx.estimator,
                                    bool(getattr(ctx.scenario, "allow_quality_tradeoffs", False)),
                                    host_ram_gib=host_ram_gib)
            if best is not None:  # None: FP8 matmuls (a quality trade-off) without allow_quality_tradeoffs
                fitting.append(best)
        elif smallest is None or est.peak_vram_gib < smallest.peak_vram_gib:
            smallest = est
    return fitting, smallest


def _uncertainty(ctx: Context, est: PerfEstimate) -> float:
    u = est.uncertainty
    return u if (u is not None and math.isfinite(u) and u > 0) else ctx.too_close_fraction


def _quality_reason(ctx: Context, pipe: Pipeline) -> str | None:
    if "quality" not in ctx.scenario.needs or ctx.catalog.quality.figures:
        return None  # the quality book (profiles/quality.yaml) speaks instead: advisor.decide.quality.annotate
    q = rules.quality_score(pipe)
    if q is None:
        return f"You asked for quality: {pipe.name} has no sourced quality score, so it ranks after scored pipelines."
    return f"You asked for quality: {pipe.name} has a quality Elo of {q:.0f} ({pipe.quality_elo.source})."


def _pipeline_exclusion(ctx: Context, pipe: Pipeline) -> list[str]:
    out = [rules.license_rule(pipe, ctx.scenario.commercial), rules.capability_rule(pipe, ctx.scenario.needs),
           rules.input_image_rule(pipe, getattr(ctx.scenario, "input_megapixels", 0.0)),
           rules.edit_only_rule(pipe, getattr(ctx.scenario, "input_megapixels", 0.0))]
    return [r for r in out if r]


def _hostable_pipelines(ctx: Context, deployment: str, excluded: list[Excluded]) -> Iterator[tuple[Pipeline, float]]:
    """Pipelines with weights to run (API-only models skipped) that pass the licence and capability rules, each
    with its licence fee [USD/month]; the others are appended to ``excluded`` as ``<deployment>:*:<pipeline>``."""
    for pipe in ctx.catalog.pipelines.values():
        if not pipe.has_weights:
            continue  # no weights to host (a model known only through APIs)
        hard = _pipeline_exclusion(ctx, pipe)
        if hard:
            excluded.append(Excluded(f"{deployment}:*:{pipe.slug}", pipe.slug, deployment, None, None, hard))
            continue
        yield pipe, quality.license_fee(ctx.scenario, pipe)[0]


def _exclude_not_fitting(excluded: list[Excluded], option_id: str, pipe: Pipeline, deployment: str, gpu: GPU,
                         smallest: PerfEstimate | None) -> None:
    """Record that no precision of ``pipe`` fits ``gpu``, with the VRAM reason of the smallest try (if any ran)."""
    if smallest is None:
        return
    # the figures that decide the fit: required memory against the card's VRAM or the GPU's share of unified memory
    reason = rules.fit_rule(False, getattr(smallest, "required_vram_gib", None) or smallest.peak_vram_gib,
                            getattr(smallest, "vram_limit_gib", None) or gpu.vram_gib.value, gpu.name, smallest.notes)
    excluded.append(Excluded(option_id, pipe.slug, deployment, gpu.slug, None, [reason]))


def _per_image(ctx: Context, breakdown: dict[str, float]) -> dict[str, float]:
    """Each monthly cost part [USD/month] divided by the volume [images/month] -> [USD/image]."""
    return {k: v / ctx.volume for k, v in breakdown.items()}


def _batch_hours(ctx: Context, est: PerfEstimate, units: int = 1) -> float:
    """Hours to finish the deadline batch on ``units`` GPUs, including one cold start. [h]"""
    b = ctx.scenario.batch_images or 0
    return (b * est.seconds_per_image * ctx.attempts / units + est.cold_start_seconds) / tco.SECONDS_PER_HOUR


def _deadline_units(ctx: Context, est: PerfEstimate) -> int:
    """GPUs needed in parallel to meet the deadline (1 without a deadline)."""
    if ctx.scenario.deadline_hours is None:
        return 1
    work_h = _batch_hours(ctx, est) - est.cold_start_seconds / tco.SECONDS_PER_HOUR
    room_h = ctx.scenario.deadline_hours - est.cold_start_seconds / tco.SECONDS_PER_HOUR
    if room_h <= 0:
        return 10**9
    return max(1, math.ceil(work_h / room_h - 1e-12))


def _license_reason(pipe, license_usd: float) -> str:
    """The reason sentence for a paid commercial licence (self-host and rental alike)."""
    return (f"Commercial use of {pipe.name} needs its paid licence: {_usd(license_usd)}/month "
            f"({pipe.license.fee_note}).")

"""Serverless rental offers as they run: scale-to-zero, active window and always warm, each a separate option.

For one serverless offer (``RentalOffer.serverless``) x pipeline x fitting precision, :func:`serverless_options`
builds three options (formulas in :mod:`advisor.cost.serverless`):

* ``...:<precision>`` **scale-to-zero** (flex workers): the fewest workers that keep up with the team's Poisson
  arrivals, each billed from start to stop (its busy periods, each started cold (boot + weight load + compile)
  when the worker had stopped, and the idle timeout it waits), at the flex price
  (:func:`advisor.cost.serverless.scale_to_zero_billed_seconds`). With a team the turnaround simulates the cold
  starts (:meth:`advisor.decide.turnaround_rule.TurnaroundPlanner.serverless_wait`).
* ``...:<precision>:active-window``: warm (active) workers through the working hours, started once a day, at the
  active price; requests wait no cold start.
* ``...:<precision>:always-warm``: active workers day and night, at the active price.

Prices: a serverless offer's ``on_demand_usd_per_hour`` range holds the active price as ``low`` and the flex
price as ``high`` (RunPod's serverless GPU table lists both per GPU: docs.runpod.io/serverless/pricing; the
catalog notes say so per offer). Weights come from the cheaper of a network volume and a download per cold start,
as for pods (:func:`advisor.decide.market.session_plan`). Nobody starts or stops serverless workers by hand.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.catalog import GPU, Pipeline, RentalOffer
from advisor.cost import serverless as S
from advisor.decide import market, optimize, rules
from advisor.decide.common import (_deadline_units, _license_reason, _per_image, _quality_reason, _uncertainty,
                                   speed_basis)
from advisor.decide.option import Context, Excluded, Option
from advisor.decide.turnaround_rule import DEFAULT_IMAGES_PER_REQUEST, DEFAULT_WORKING_HOURS_PER_DAY
from advisor.fmt import usd
from advisor.perf import PerfEstimate


def arrival_rate_per_second(ctx: Context, working_days_per_month: float) -> float:
    """The team's request rate during working hours [1/s]: the turnaround planner's when the scenario has a team,
    else the monthly requests spread over the working hours (volume / images per request / (hours x days))."""
    if ctx.turnaround is not None:
        return ctx.turnaround.arrival_rate_per_second()
    sc = ctx.scenario
    hours = sc.working_hours_per_day or DEFAULT_WORKING_HOURS_PER_DAY
    n_img = sc.images_per_request or DEFAULT_IMAGES_PER_REQUEST
    return ctx.volume / n_img / (hours * working_days_per_month * S.SECONDS_PER_HOUR)


def serverless_options(ctx: Context, pipe: Pipeline, offer: RentalOffer, gpu: GPU, est: PerfEstimate,
                       license_usd: float) -> list[Option | Excluded]:
    """The three ways to run ``offer`` for ``pipe`` at ``est``'s precision (module doc), or why they are excluded."""
    sc = ctx.scenario
    oid = f"cloud-gpu:{offer.slug}:{pipe.slug}:{est.request.precision}"

    def excluded(reason: str, suffix: str = "") -> Excluded:
        return Excluded(oid + suffix, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision, [reason])

    inputs = market.rental_inputs(sc, ctx.catalog)
    if isinstance(inputs, str):
        return [excluded(inputs)]
    if offer.idle_timeout_seconds is None:
        return [excluded(f"{offer.provider} has no idle timeout in the catalog, so its cold starts cannot be "
                         "costed.")]
    if _deadline_units(ctx, est) >= 10**9:
        return [excluded(f"Loading the model alone ({est.cold_start_seconds:.0f} s) exceeds your "
                         f"{sc.deadline_hours:g} h deadline.")]
    days = inputs.working_days_per_month[0]
    hours_per_day = sc.working_hours_per_day or DEFAULT_WORKING_HOURS_PER_DAY
    n_img = sc.images_per_request or DEFAULT_IMAGES_PER_REQUEST
    idle_timeout = offer.idle_timeout_seconds.value
    rate = arrival_rate_per_second(ctx, days)
    requests = ctx.volume / n_img
    flex, active = offer.on_demand_usd_per_hour.high, offer.on_demand_usd_per_hour.low
    out: list[Option | Excluded] = []

    # --- scale-to-zero: compiled or eager, whichever bills less (compile time is paid at every cold start) ---
    bills = [_flex_bill(ctx, inputs, offer, pipe, e, requests, n_img, rate, days, flex)
             for e in _with_and_without_compile(ctx, est)]
    bill = min(bills, key=lambda b: b["rental"])
    e = bill["est"]
    service, cold_s, plan, rental = bill["service"], bill["cold_seconds"], bill["plan"], bill["rental"]
    cold_n, k = bill["cold_starts"], bill["workers"]
    wait = ctx.turnaround.serverless_wait(service / n_img, _uncertainty(ctx, e), cold_s, idle_timeout) \
        if ctx.turnaround is not None else None
    if wait is not None and wait.fails:
        out.append(excluded(wait.sentence(f"{gpu.name} serverless worker(s)", ctx.turnaround)))
    else:
        billed_h = bill["billed_seconds"] / S.SECONDS_PER_HOUR
        u = rate / k
        reasons = [
            f"Serverless, scale to zero on {offer.provider}: {requests:,.0f} requests/month arrive at "
            f"{rate * 3600:.3g}/h in working hours, kept up with by {k} worker(s) ({rate * service:.2f} busy "
            f"on average; {u * 3600:.3g} requests/h each); a worker stops {idle_timeout:g} s after its last request "
            f"({offer.idle_timeout_seconds.source}), so it is stopped when the next request comes with probability "
            f"exp(-{u:.3g}/s x {idle_timeout:g} s) = {bill['p_cold']:.0%} (the first of each working day always); "
            f"requests that come while it starts or runs queue behind it: {cold_n:,.0f} cold starts/month x "
            f"{bill['cold_text']} + {requests:,.0f} x {service:.1f} s generation + the idle time waited = "
            f"{billed_h:,.1f} billed h at the flex price {usd(flex)}/h "
            f"({offer.on_demand_usd_per_hour.source}) + {plan.texts['storage']} = {usd(rental)}/month.",
            *_common_reasons(ctx, pipe, e, license_usd)]
        if len(bills) > 1 and e is not est:
            reasons.insert(1, f"Runs without torch.compile: its {est.compile_seconds:.0f} s compile at every cold "
                              f"start would cost {usd(max(b['rental'] for b in bills))}/month instead.")
        if wait is not None:
            reasons.append(wait.sentence(f"{gpu.name} serverless worker(s) (max workers)", ctx.turnaround))
        fixed = license_usd + plan.storage_usd_per_month
        out.append(_option(ctx, pipe, offer, gpu, e, oid, "scale to zero", rental, license_usd, billed_h,
                           reasons, fixed, max(rental + license_usd - fixed, 0.0) / ctx.volume, wait,
                           max(k, wait.units) if wait is not None else k, cold_n * cold_s / S.SECONDS_PER_HOUR * flex))

    # the warm modes start once a day (or never), so they keep the fastest setting
    plans = {s: market.session_plan(inputs, offer, pipe, est.request.precision, ctx.volume, ctx.attempts,
                                    est.seconds_per_image, 1, s, False)
             for s in market.storage_choices(inputs, offer)}
    plan = min(plans.values(), key=lambda p: p.storage_usd_per_month)
    service = n_img * ctx.attempts * est.seconds_per_image
    cold_s, cold_text = _cold(plan, float(getattr(est, "compile_seconds", 0.0) or 0.0))
    common = _common_reasons(ctx, pipe, est, license_usd)
    if (deadline_units := _deadline_units(ctx, est)) > 1:
        common.append(f"Your deadline ({sc.batch_images:,} images in {sc.deadline_hours:g} h) needs "
                      f"{deadline_units} workers in parallel (a serverless endpoint scales out; billed per use).")

    # --- warm workers: the count that meets the target (warm GPUs, no cold start) ---
    warm = ctx.turnaround.gpu_wait(service / n_img, _uncertainty(ctx, est)) if ctx.turnaround is not None else None
    if warm is not None and warm.fails:
        out.append(excluded(warm.sentence(f"warm {gpu.name} worker(s)", ctx.turnaround), ":active-window"))
        return out
    # enough warm workers for the turnaround target and for the month's work within the hours they are on
    work_h = requests * service / S.SECONDS_PER_HOUR
    needed = warm.units if warm is not None else 1
    window_workers = max(needed, math.ceil(work_h / (hours_per_day * days) - 1e-9)) if days > 0 else needed
    day_night_workers = max(needed, math.ceil(work_h / S.HOURS_PER_MONTH - 1e-9))
    for suffix, mode, workers, hours in (
            (":active-window", "warm in working hours", window_workers,
             S.active_window_hours_per_month(window_workers, hours_per_day, days, cold_s)),
            (":always-warm", "always warm", day_night_workers, S.always_warm_hours_per_month(day_night_workers))):
        rental = S.warm_usd_per_month(hours, active) + plan.storage_usd_per_month
        what = (f"{workers} active worker(s) kept on {hours_per_day:g} h x {days:g} working days a month, each "
                f"started once a day ({cold_text})" if suffix == ":active-window" else
                f"{workers} active worker(s) on day and night ({S.HOURS_PER_MONTH:g} h/month)")
        reasons = [f"Serverless, {mode} on {offer.provider}: {what} = {hours:,.1f} h at the active price "
                   f"{usd(active)}/h ({offer.on_demand_usd_per_hour.source}) + {plan.texts['storage']} = "
                   f"{usd(rental)}/month; no request waits a cold start.", *common]
        if workers > needed:
            reasons.insert(1, f"The month's work ({requests:,.0f} requests x {service:.1f} s = {work_h:,.0f} GPU-hours) "
                              f"needs {workers} warm workers in those hours.")
        if warm is not None:
            reasons.append(warm.sentence(f"warm {gpu.name} worker(s)", ctx.turnaround))
        startup = workers * days * cold_s / S.SECONDS_PER_HOUR * active if suffix == ":active-window" else 0.0
        out.append(_option(ctx, pipe, offer, gpu, est, oid + suffix, mode, rental, license_usd, hours, reasons,
                           rental + license_usd, 0.0, warm, workers, startup))
    return out


def _cold(plan: market.SessionPlan, compile_s: float) -> tuple[float, str]:
    """A worker's cold start [s] and its parts in words."""
    cold_s = S.cold_start_seconds(plan.boot_seconds, plan.load_seconds, compile_s)
    return cold_s, (f"{cold_s:.0f} s cold start ({plan.texts['boot']}" + (
        f" + {plan.texts['load']}" if plan.texts["load"] else "") + (
        f" + {compile_s:.0f} s torch.compile" if compile_s else "") + ")")


def _with_and_without_compile(ctx: Context, est: PerfEstimate) -> list[PerfEstimate]:
    """``est``, and the same setting without torch.compile when ``est`` compiles (and that still fits)."""
    opts = tuple(getattr(est.request, "optimizations", ()) or ())
    if "torch-compile" not in opts:
        return [est]
    import dataclasses

    eager = ctx.estimator(dataclasses.replace(est.request, optimizations=tuple(o for o in opts
                                                                              if o != "torch-compile")), ctx.catalog)
    return [est, eager] if eager.fits else [est]


def _flex_bill(ctx: Context, inputs: Any, offer: RentalOffer, pipe: Pipeline, est: PerfEstimate, requests: float,
               n_img: int, rate: float, days: float, flex: float) -> dict[str, Any]:
    """The scale-to-zero bill of ``est`` [USD/month] on the cheaper storage, with its parts (billed seconds,
    cold starts, workers, a worker's P(stopped))."""
    service = n_img * ctx.attempts * est.seconds_per_image
    compile_s = float(getattr(est, "compile_seconds", 0.0) or 0.0)
    best = None
    for storage in market.storage_choices(inputs, offer):
        plan = market.session_plan(inputs, offer, pipe, est.request.precision, ctx.volume, ctx.attempts,
                                   est.seconds_per_image, 1, storage, False)
        cold_s, cold_text = _cold(plan, compile_s)
        on_s, cold_n, k = S.scale_to_zero_billed_seconds(requests, rate, service, cold_s,
                                                         offer.idle_timeout_seconds.value, days)
        billed = S.billed_run_seconds(on_s, cold_n, offer.minimum_billing_seconds, offer.billing_increment_seconds)
        rental = S.scale_to_zero_usd_per_month(billed, flex) + plan.storage_usd_per_month
        if best is None or rental < best["rental"]:
            best = {"est": est, "plan": plan, "service": service, "cold_seconds": cold_s, "cold_text": cold_text,
                    "rental": rental, "billed_seconds": billed, "cold_starts": cold_n, "workers": max(k, 1),
                    "p_cold": S.cold_start_probability(rate / max(k, 1), offer.idle_timeout_seconds.value)}
    return best


def _common_reasons(ctx: Context, pipe: Pipeline, est: PerfEstimate, license_usd: float) -> list[str]:
    out = [_license_reason(pipe, license_usd)] if license_usd else []
    for r in (rules.precision_note(est.request.precision, pipe.default_precision), _quality_reason(ctx, pipe),
              optimize.reason_for(est, ctx.catalog, ctx.estimator), speed_basis(est)):
        if r:
            out.append(r)
    return out


def _option(ctx: Context, pipe: Pipeline, offer: RentalOffer, gpu: GPU, est: PerfEstimate, oid: str, mode: str,
            rental: float, license_usd: float, hours: float, reasons: list[str], fixed: float, variable: float,
            wait: Any, units: int, startup_usd: float = 0.0) -> Option:
    total = rental + license_usd
    breakdown = {"hardware": 0.0, "electricity": 0.0, "license": license_usd, "api": 0.0, "rental": rental}
    return Option(
        id=oid, pipeline=pipe.slug, deployment="cloud-gpu", gpu=gpu.slug, precision=est.request.precision, fits=True,
        seconds_per_image=est.seconds_per_image, monthly_cost_usd=total, cost_per_image_usd=total / ctx.volume,
        cost_breakdown_usd=breakdown, cost_breakdown_per_image_usd=_per_image(ctx, breakdown),
        gpu_hours_per_month=hours, reasons=reasons,
        label=f"{pipe.name} on a rented {gpu.name} ({offer.provider}, {mode}, {est.setting or est.request.precision})",
        setting=getattr(est, "setting", ""), compile_seconds=float(getattr(est, "compile_seconds", 0.0) or 0.0),
        host_ram_gib=getattr(est, "host_ram_gib", 0.0), disk_gb=getattr(est, "disk_gb", 0.0),
        hardware="rental", offload=est.offload, provider=offer.provider, gpus_needed=units,
        fixed_usd_per_month=fixed, variable_usd_per_image=variable,
        turnaround=wait.summary() if wait is not None else None,
        simulator_uncertainty=_uncertainty(ctx, est), uncertainty_usd_per_month=_uncertainty(ctx, est) * rental,
        speed_basis=speed_basis(est), quality_elo=rules.quality_score(pipe), offer=offer.slug, spot=False,
        sessions_per_month=0.0, started_by_hand=False, startup_usd_per_month=startup_usd, serverless_mode=mode.replace(" ", "-").replace(
            "warm-in-working-hours", "active-window"))

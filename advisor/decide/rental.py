"""Cloud rentals (deployment ``cloud-gpu``): each rental offer x pipeline x fitting precision, billed per working
session (boot + weight load + generation, storage per month), on-demand and spot."""

from __future__ import annotations

from advisor.catalog import GPU, Pipeline, RentalOffer
from advisor.cost import tco
from advisor.decide import market, optimize, quality, rules, turnaround_rule
from advisor.decide.common import (_batch_hours, _deadline_units, _exclude_not_fitting, _fitting_estimates,
                                   _hostable_pipelines, _license_reason, _per_image, _quality_reason, _uncertainty,
                                   speed_basis)
from advisor.decide.option import Context, Excluded, Option
from advisor.fmt import usd as _usd
from advisor.perf import PerfEstimate


def rental_options(ctx: Context) -> tuple[list[Option], list[Excluded]]:
    """Step 3: each rental offer x pipeline x fitting precision, priced at the on-demand midpoint."""
    options: list[Option] = []
    excluded: list[Excluded] = []
    base = ctx
    for pipe, license_usd in _hostable_pipelines(base, "cloud-gpu", excluded):
        ctx = quality.for_model(base, pipe.slug)  # attempts per kept image of this model (keep rate)
        for offer in ctx.catalog.rentals.values():
            gpu = ctx.catalog.gpu(offer.gpu)
            fitting, smallest = _fitting_estimates(ctx, pipe, gpu)
            if not fitting:
                _exclude_not_fitting(excluded, f"cloud-gpu:{offer.slug}:{pipe.slug}", pipe, "cloud-gpu", gpu, smallest)
                continue
            # serverless offers go through their own function (cold starts and idle timeouts are billed there)
            price_offer = serverless_options if getattr(offer, "serverless", False) else pod_options
            for est in fitting:
                for item in price_offer(ctx, pipe, offer, gpu, est, license_usd):
                    (options if isinstance(item, Option) else excluded).append(item)
    return options, excluded


def pod_options(ctx: Context, pipe: Pipeline, offer: RentalOffer, gpu: GPU, est: PerfEstimate,
                license_usd: float) -> list[Option | Excluded]:
    """One rental offer for one pipeline at one fitting precision: on-demand and (when offered) spot, billed per
    working session (boot + weight load + generation, rounded to the offer's increment and minimum) plus storage
    [USD/month]; or the reason it is excluded (deadline, p95 target, rental inputs)."""
    out: list[Option | Excluded] = []
    sc = ctx.scenario
    rng = offer.on_demand_usd_per_hour
    oid = f"cloud-gpu:{offer.slug}:{pipe.slug}:{est.request.precision}"
    units = _deadline_units(ctx, est)
    if units >= 10**9:
        out.append(Excluded(oid, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision,
                            [f"Loading the model alone ({est.cold_start_seconds:.0f} s) exceeds "
                             f"your {sc.deadline_hours:g} h deadline."]))
        return out
    serverless = bool(getattr(offer, "serverless", False))
    wait = turnaround_rule.gpu_wait(ctx.turnaround, est.seconds_per_image * ctx.attempts,
                                    _uncertainty(ctx, est))
    if wait is not None and wait.fails:  # issue 11: the p95 target is hard
        out.append(Excluded(oid, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision,
                            [wait.sentence(f"rented {gpu.name}(s)", ctx.turnaround)]))
        return out
    deadline_units, units = units, max(units, wait.units if wait is not None else 1)
    # pods that must answer within the target stay on call through the working hours (issue 11)
    on_call_hours = ctx.turnaround.pod_hours_per_month(units) \
        if wait is not None and wait.target_minutes is not None and not serverless else 0.0
    plan_inputs = market.rental_inputs(sc, ctx.catalog)
    if isinstance(plan_inputs, str):
        out.append(Excluded(oid, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision,
                            [plan_inputs]))
        return out
    variants = [(False, rng, "on-demand")]
    if offer.spot_usd_per_hour is not None and not serverless:
        variants.append((True, offer.spot_usd_per_hour, "spot/interruptible"))
    for spot, price, price_kind in variants:
        # Billed per working session: boot + weight load + generation (+ idle timeout, + spot redo),
        # rounded to the offer's increment and minimum, plus the storage that keeps the weights (issue 13).
        plans = {s: market.session_plan(plan_inputs, offer, pipe, est.request.precision, ctx.volume,
                                        ctx.attempts, est.seconds_per_image, units, s, spot,
                                        compile_seconds=est.compile_seconds)
                 for s in market.storage_choices(plan_inputs, offer)}
        storage = min(plans, key=lambda s: plans[s].monthly_usd(price.mid, offer))
        plan = plans[storage]
        other = next((s for s in plans if s != storage), None)
        session_hours = plan.hours_per_month
        hours = max(session_hours, on_call_hours)
        on_call = on_call_hours > 0 and on_call_hours > session_hours  # pods kept on through the day

        def bill(usd_h: float, plan=plan) -> float:
            if on_call:
                return tco.rental_usd_per_month(on_call_hours, usd_h, offer.minimum_billing_seconds,
                                                offer.billing_increment_seconds,
                                                sessions_per_month=units) + plan.storage_usd_per_month
            return plan.monthly_usd(usd_h, offer)

        rental = bill(price.mid)
        alt = None
        if other is not None:
            alt = ("Downloading the weights every session" if other == "download" else
                   "Keeping the weights on a persistent volume", plans[other].monthly_usd(price.mid, offer))
        if on_call:  # the session arithmetic as billed per session, then what the on-call hours replace it with
            reasons = market.rental_reason(offer, gpu.name, plan, price, price_kind, price.mid,
                                           plan.monthly_usd(price.mid, offer),
                                           (plan.monthly_usd(price.low, offer), plan.monthly_usd(price.high, offer)),
                                           alt, plan_inputs)
            reasons.insert(1, f"Your p95 target keeps {units} pod(s) on call through the working hours: "
                              f"{on_call_hours:,.0f} h/month at {_usd(price.mid)}/h = {_usd(rental)}/month "
                              f"(range {_usd(bill(price.low))}-{_usd(bill(price.high))}), which replaces the "
                              f"per-session bill above.")
        else:
            reasons = market.rental_reason(offer, gpu.name, plan, price, price_kind, price.mid, rental,
                                           (bill(price.low), bill(price.high)), alt, plan_inputs)
        if spot:
            reasons.insert(1, f"Spot/interruptible: the provider may reclaim the GPU "
                              f"({offer.interruption_note or 'no notice period published'}); reclaims are "
                              f"costed as redone work: {plan.texts['spot']}.")
        if deadline_units > 1:
            reasons.append(f"Your deadline ({sc.batch_images:,} images in {sc.deadline_hours:g} h) needs "
                           f"{deadline_units} instances in parallel.")
        elif sc.deadline_hours is not None:
            reasons.append(f"A batch of {sc.batch_images:,} images takes about "
                           f"{_batch_hours(ctx, est):.2f} h on one instance, within your "
                           f"{sc.deadline_hours:g} h deadline.")
        if license_usd:
            reasons.append(_license_reason(pipe, license_usd))
        for r in (rules.precision_note(est.request.precision, pipe.default_precision),
                  _quality_reason(ctx, pipe), optimize.reason_for(est, ctx.catalog, ctx.estimator), speed_basis(est)):
            if r:
                reasons.append(r)
        if wait is not None:
            reasons.append(wait.sentence(f"rented {gpu.name}(s)", ctx.turnaround) + (
                f" {units} pod(s) on call through the working hours bill at least {on_call_hours:,.0f} "
                f"h/month." if on_call_hours else
                " Serverless: a request that finds no warm worker also waits for its boot and weight "
                f"load (about {est.cold_start_seconds:.0f} s), which the simulated wait does not include."
                if serverless else ""))
        total = rental + license_usd
        # linear decomposition for break-even: storage, licence and the per-session boot + load are
        # fixed; the rest of the bill grows with the images (line through this volume's bill)
        fixed = license_usd + (rental if on_call else
                               plan.storage_usd_per_month + plan.sessions * plan.fixed_session_usd(price.mid))
        variable = 0.0 if on_call else max(total - fixed, 0.0) / ctx.volume
        sid = f"{oid}:spot" if spot else oid
        out.append(Option(
            id=sid, pipeline=pipe.slug, deployment="cloud-gpu", gpu=gpu.slug,
            precision=est.request.precision, fits=True, seconds_per_image=est.seconds_per_image,
            monthly_cost_usd=total, cost_per_image_usd=total / ctx.volume,
            cost_breakdown_usd=(breakdown := {"hardware": 0.0, "electricity": 0.0, "license": license_usd,
                                              "api": 0.0, "rental": rental}),
            cost_breakdown_per_image_usd=_per_image(ctx, breakdown),
            gpu_hours_per_month=hours, reasons=reasons,
            label=(f"{pipe.name} on a rented {gpu.name} ({offer.provider}"
                   f"{', spot' if spot else ''}, {est.setting or est.request.precision})"),
            setting=est.setting, compile_seconds=est.compile_seconds, host_ram_gib=est.host_ram_gib,
            disk_gb=est.disk_gb,
            hardware="rental", offload=est.offload, provider=offer.provider, gpus_needed=units,
            batch_hours=_batch_hours(ctx, est, units) if sc.batch_images else None,
            fixed_usd_per_month=fixed, variable_usd_per_image=variable,
            turnaround=wait.summary() if wait is not None else None,
            simulator_uncertainty=_uncertainty(ctx, est), speed_basis=speed_basis(est),
            uncertainty_usd_per_month=_uncertainty(ctx, est) * rental,
            quality_elo=rules.quality_score(pipe), offer=offer.slug, spot=spot,
            sessions_per_month=plan.sessions, started_by_hand=not serverless,
            reclaims_per_month=plan.interruptions * plan.sessions if spot else 0.0,
            startup_usd_per_month=0.0 if on_call else plan.sessions * plan.units * (
                plan.boot_seconds + plan.load_seconds) / 3600.0 * price.mid,
        ))
    return out


def serverless_options(ctx: Context, pipe: Pipeline, offer: RentalOffer, gpu: GPU, est: PerfEstimate,
                       license_usd: float) -> list[Option | Excluded]:
    """A serverless offer (``offer.serverless``): the same signature as :func:`pod_options`, the one place where
    serverless billing (cold starts, idle timeout, warm workers) is decided: :mod:`advisor.decide.serverless`
    (scale-to-zero, active window, always warm)."""
    from advisor.decide import serverless

    return serverless.serverless_options(ctx, pipe, offer, gpu, est, license_usd)

"""Owned and bought cards (deployment ``self-host``): the owned GPU at every precision that fits, and buying each
priced catalog GPU as a working machine (card + rest of system), with electricity, licence and payback inputs."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from types import SimpleNamespace

from advisor.catalog import GPU, Pipeline
from advisor.cost import tco
from advisor.decide import market, optimize, quality, rules, turnaround_rule
from advisor.decide.common import (_batch_hours, _deadline_units, _exclude_not_fitting, _fitting_estimates,
                                   _hostable_pipelines, _kwh, _license_reason, _n, _per_image, _quality_reason,
                                   _uncertainty, speed_basis)
from advisor.decide.option import DAYS_PER_MONTH, Context, Excluded, Option
from advisor.fmt import usd as _usd
from advisor.perf import PerfEstimate

#: the rule, stated wherever the owned card's cost is shown
OWNED_CARD_RULE = ("the price once paid is sunk and never counted; keeping the card instead of selling it costs its "
                   "resale value's monthly fall plus the return the money would earn (holding view, the default, for "
                   "'keep the card' vs 'sell it and use an API or a rental'); --owned-card-view sunk counts the card "
                   "as free (right when you would keep it whatever this answer says)")


#: month-to-month volume spread when the scenario gives none: the same default as the risk analysis
#: (advisor.decide.risk.DEFAULT_VOLUME_RELATIVE_SD; that module imports the engine, so it cannot be imported here)
DEFAULT_VOLUME_RELATIVE_SD = 0.25
PLANNING_Z = 1.2816  # standard normal 90th percentile: a card is sized so the P90 month fits


@dataclass(frozen=True)
class Holding:
    """The owned card's holding cost and its inputs ([USD], fractions, [USD/month])."""

    resale_usd: float
    resale_text: str
    decline_per_month: float
    decline_text: str
    capital_per_year: float
    capital_text: str
    usd_per_month: float
    price_as_of: str | None  # ISO date of the catalog price the resale value comes from (None: the scenario's)
    derived: bool = False  # the resale value is estimated from the new price (no used price in the catalog)

    def sentence(self, view: str) -> str:
        counted = ("counted as its hardware cost (holding view; --owned-card-view sunk counts it as $0)"
                   if view == "holding" else "not counted (sunk view: you keep the card whatever this answer says)")
        return (f"Keeping the card instead of selling it: resale value {_usd(self.resale_usd)} ({self.resale_text}) x "
                f"({self.decline_per_month:.2%}/month used-price decline ({self.decline_text}) + "
                f"{self.capital_per_year:.2%}/year / 12 cost of capital ({self.capital_text})) = "
                f"{_usd(self.usd_per_month)}/month, {counted}. Rule: {OWNED_CARD_RULE}.")


def _rate(ctx: Context, name: str) -> tuple[float, str]:
    """A holding/capital rate (fraction) and where it comes from: the scenario's, else profiles/defaults.yaml."""
    given = getattr(ctx.scenario, name, None)
    if given is not None:
        return float(given), "your figure"
    s = getattr(ctx.catalog.defaults, name, None)
    return ((s.value, f"stated default, profiles/defaults.yaml {name}, {s.as_of}") if s is not None
            else (0.0, "no catalog default: 0"))


def planning_hours(ctx: Context) -> tuple[float, str]:
    """Busy hours a month one card is planned for [h/month] (:func:`advisor.cost.tco.planning_hours_per_card`)
    and the sentence that derives it: the P90 month of the scenario's volume spread must fit."""
    given = getattr(ctx.scenario, "volume_relative_sd", None)
    sd = float(given) if given is not None else DEFAULT_VOLUME_RELATIVE_SD
    src = "your volume_relative_sd" if given is not None else "the default volume spread (set volume_relative_sd)"
    hours = tco.planning_hours_per_card(tco.HOURS_PER_MONTH, sd, PLANNING_Z)
    return hours, (f"{hours:.0f} h a card is planned for ({tco.HOURS_PER_MONTH:.1f} h / (1 + {PLANNING_Z:g} x "
                   f"{sd:g} relative SD of the monthly volume, {src}): the 90th-percentile month, "
                   f"{1 + PLANNING_Z * sd:.2f}x the mean, still fits, with room for retries and updates")


def holding_for(ctx: Context, gpu: GPU) -> Holding | str:
    """The owned card's holding cost (:func:`advisor.cost.tco.holding_usd_per_month`) with where each input came
    from: resale value = the scenario's ``owned_card_resale_usd``, else the midpoint of the catalog used price, else
    an estimate from the new price (:func:`_estimated_resale`); decline and cost of capital = the scenario's, else
    ``profiles/defaults.yaml``. A sentence (str) when the card has no price at all to go by."""
    sc, d = ctx.scenario, ctx.catalog.defaults
    if getattr(sc, "owned_card_resale_usd", None) is not None:
        resale, resale_text, as_of = float(sc.owned_card_resale_usd), "your figure", None
    elif gpu.used_price_usd is not None:
        r = gpu.used_price_usd
        resale, as_of = r.mid, r.as_of.isoformat()
        resale_text = f"midpoint of the {_usd(r.low)}-{_usd(r.high)} used price of {as_of}, {r.source}"
    else:
        estimate = _estimated_resale(ctx, gpu)
        if isinstance(estimate, str):
            return estimate
        resale, resale_text, as_of = estimate

    if getattr(sc, "owned_card_resale_usd", None) is None:  # a market price: the seller receives it less the fee
        fee, fee_text = _rate(ctx, "selling_fee_fraction")
        if fee:
            gross, resale = resale, tco.net_resale_usd(resale, fee)
            resale_text = f"{_usd(gross)} ({resale_text}) less the {fee:.2%} selling fee ({fee_text})"
    decline, decline_text = _rate(ctx, "used_price_decline_per_month")
    capital, capital_text = _rate(ctx, "cost_of_capital_per_year")
    return Holding(resale, resale_text, decline, decline_text, capital, capital_text,
                   tco.holding_usd_per_month(resale, decline, capital), as_of,
                   derived=getattr(sc, "owned_card_resale_usd", None) is None and gpu.used_price_usd is None)


def _estimated_resale(ctx: Context, gpu: GPU) -> tuple[float, str, str] | str:
    """Resale value [USD] of an owned card the catalog has no used price for, the arithmetic that derives it, and
    the date of the price it starts from: its new price (street midpoint, else launch price) x the median used/new
    ratio of the catalog cards with both prices (:func:`advisor.cost.tco.estimated_resale_usd`). A sentence (str)
    when the card has no price at all: then, and only then, it is counted as free."""
    ask = "give what it would sell for with --holding owned_card_resale_usd=USD"
    if gpu.street_price_usd is not None:
        r = gpu.street_price_usd
        new_usd, as_of = r.mid, r.as_of.isoformat()
        span = _usd(r.mid) if r.low == r.high else f"{_usd(r.mid)} (midpoint of {_usd(r.low)}-{_usd(r.high)})"
        new_text = f"new street price {span} of {as_of}, {r.source}"
    elif gpu.launch_price_usd is not None:
        s = gpu.launch_price_usd
        new_usd, as_of = s.value, s.as_of.isoformat()
        new_text = f"launch price {_usd(s.value)} ({s.source}, {as_of}; no street price in the catalog)"
    else:
        return (f"The catalog has no used, new or launch price for the {gpu.name}, so keeping it instead of selling "
                f"it is not costed (counted as free); {ask}.")
    ratios = market.used_to_new_ratios(ctx.catalog)
    if not ratios:
        return (f"The catalog has no used price for the {gpu.name} and no card with both a used and a new price to "
                f"derive a resale fraction from, so keeping it is not costed (counted as free); {ask}.")
    values = [v for _, v in ratios]
    resale = tco.estimated_resale_usd(new_usd, values)
    listed = ", ".join(f"{slug} {v:.3f}" for slug, v in ratios)
    return resale, (f"derived: true, an estimate, as the catalog has no used price for this card: {new_text} x "
                    f"{statistics.median(values):.3f}, the median used/new price ratio of the {len(ratios)} catalog "
                    f"cards with both prices ({listed}) = {_usd(resale)}; {ask} if you know better"), as_of


def _self_host_option(ctx: Context, pipe: Pipeline, gpu: GPU, est: PerfEstimate, owned: bool,
                      license_usd: float) -> Option | Excluded:
    sc = ctx.scenario
    busy_h = tco.busy_hours_per_month(est.seconds_per_image, ctx.volume, ctx.attempts)
    # cards are sized so the busy month fits, not the mean month at 100 % (its queue would never drain)
    plan_h, plan_text = planning_hours(ctx)
    capacity_units = max(1, math.ceil(busy_h / plan_h - 1e-12))
    deadline_units = _deadline_units(ctx, est)
    units = max(capacity_units, deadline_units)
    kind = "owned" if owned else "buy"
    oid = f"self-host:{kind}:{gpu.slug}:{pipe.slug}:{est.request.precision}"
    wait = turnaround_rule.gpu_wait(ctx.turnaround, est.seconds_per_image * ctx.attempts, _uncertainty(ctx, est))
    if wait is not None and (wait.fails or (owned and wait.units > 1)):  # issue 11: the p95 target is hard
        return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision,
                        [wait.sentence(f"{gpu.name} card(s)", ctx.turnaround)
                         + (" You own one; buying more is costed as its own option." if not wait.fails else "")])
    units = max(units, wait.units if wait is not None else 1)
    if owned and units > 1:
        why = (f"{_n(ctx.volume)} images/month x {est.seconds_per_image:.2f} s needs {busy_h:,.0f} GPU-hours, more "
               f"than one card is planned for: {plan_text}") if capacity_units > 1 else \
            rules.deadline_rule(_batch_hours(ctx, est), sc.deadline_hours, sc.batch_images, f"the {gpu.name} you own")
        return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision, [why.rstrip(".") + "."])
    if units >= 10**9:
        return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision,
                        [f"Loading the model alone ({est.cold_start_seconds:.0f} s) exceeds your "
                         f"{sc.deadline_hours:g} h deadline."])

    # a machine sold whole (Mac, DGX Spark) states its own non-SoC watts and its whole idle power (advisor.perf.power)
    whole = gpu.rest_of_system_watts is not None
    rest_w = max(est.system_power_watts - est.board_power_watts, 0.0) or \
        (gpu.rest_of_system_watts.value if whole else ctx.rest_of_system_watts)
    gpu_idle_w = gpu.idle_power_watts.value
    rest_idle_w = (gpu.rest_of_system_idle_watts.value if gpu.rest_of_system_idle_watts is not None
                   else ctx.rest_of_system_idle_watts)
    board_name, idle_name = ("SoC package", "machine") if whole else ("GPU board", "GPU")
    rest_name = "rest of the machine" if whole else "rest of system"
    retry = tco.retry_fraction(ctx.failure_rate)
    busy_text = (f"{_n(ctx.volume)} images x {ctx.attempts:.2f} attempts x {est.seconds_per_image:.2f} s = "
                 f"{busy_h:.2f} h busy")
    # An owned GPU is assumed to sit in a machine that is on anyway for other work: only the energy above idle
    # that generating adds is caused by this work. A bought GPU (or an owned one whose powered-on hours the
    # scenario sets) is a dedicated box: its idle hours are paid for this work too.
    shared_machine = owned and not ctx.hours_on_given
    if shared_machine:
        add_w = tco.added_power_watts(est.board_power_watts, gpu_idle_w, rest_w, rest_idle_w)
        energy_j = tco.added_energy_per_image_joules(add_w, est.seconds_per_image)
        idle_w = idle_h = on_h = 0.0
        electricity = tco.electricity_usd_per_month(energy_j, ctx.volume, ctx.usd_per_kwh, retry)
        energy_text = (
            f"{busy_text} x {add_w:.0f} W above idle ({board_name} {est.board_power_watts:.0f} W - "
            f"{gpu_idle_w:.0f} W{' machine' if whole else ''} idle + {rest_name} {rest_w:.0f} W - {rest_idle_w:.0f} W "
            f"idle) = "
            f"{_kwh(energy_j * ctx.volume * ctx.attempts / tco.JOULES_PER_KWH)} at {_usd(ctx.usd_per_kwh)}/kWh = "
            f"{_usd(electricity)}/month")
    else:
        energy_j = tco.system_energy_per_image_joules(est.energy_per_image_joules, rest_w, est.seconds_per_image)
        idle_w = (gpu_idle_w + rest_idle_w) * units
        on_h = ctx.powered_on_hours_per_month
        idle_h = tco.idle_hours_per_month(on_h, busy_h / units)
        electricity = tco.electricity_usd_per_month(energy_j, ctx.volume, ctx.usd_per_kwh, retry, idle_w, idle_h)
        hours_src = ("as you set" if ctx.hours_on_given else
                     "the catalog default for a dedicated box; set powered_on_hours_per_day (CLI --hours-on-per-day) "
                     "to change it")
        per_card = f" per card ({units} cards)" if units > 1 else ""
        energy_text = (
            f"{busy_text} at {est.board_power_watts + rest_w:.0f} W ({board_name} {est.board_power_watts:.0f} W + "
            f"{rest_name} {rest_w:.0f} W) = {_kwh(energy_j * ctx.volume * ctx.attempts / tco.JOULES_PER_KWH)}, plus "
            f"{idle_h:.0f} h idle{per_card} ({ctx.powered_on_hours_per_day:g} h/day on, {hours_src}, x "
            f"{DAYS_PER_MONTH:.2f} d minus busy hours) at {idle_w:.0f} W ({gpu_idle_w:.0f} W {idle_name} idle + "
            f"{rest_idle_w:.0f} W {rest_name} idle{' x ' + str(units) if units > 1 else ''}) = "
            f"{_kwh(idle_w * idle_h / 1000)}, at {_usd(ctx.usd_per_kwh)}/kWh = {_usd(electricity)}/month")
    reasons: list[str] = []
    hardware = 0.0
    purchase_usd = None
    # the machine around the card: host RAM for offloaded weights, disk for the checkpoint (advisor.decide.market)
    host = market.host_fit(ctx.catalog, gpu, est, owned=owned, owned_ram_gb=getattr(sc, "host_ram_gb", None))
    if host.exclusion:
        return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision, [host.exclusion])
    holding_usd = view = used_as_of = capital_usd = None
    resale_derived = False
    if owned:
        hardware = tco.owned_gpu_sunk_cost_usd_per_month()
        hold = holding_for(ctx, gpu)
        view = getattr(sc, "owned_card_view", "holding")
        if isinstance(hold, Holding):
            holding_usd, used_as_of = hold.usd_per_month, hold.price_as_of
            resale_derived = hold.derived
            if view == "holding":
                hardware = holding_usd
        if shared_machine:
            reasons.append(
                f"At {_n(ctx.volume)} images/month the {gpu.name} you own adds only the electricity of generating: "
                f"{energy_text}. Not counted: the purchase (a sunk cost) and the idle draw, since the machine is "
                f"assumed to be on anyway for other work (set powered_on_hours_per_day, CLI --hours-on-per-day, if it "
                f"is kept on only for this).")
        else:
            reasons.append(
                f"At {_n(ctx.volume)} images/month the {gpu.name} you own, switched on "
                f"{ctx.powered_on_hours_per_day:g} h/day for this work as you set, costs its electricity including "
                f"idle: {energy_text}. Not counted: the purchase (a sunk cost).")
        reasons.append(hold.sentence(view) if isinstance(hold, Holding) else hold)
    else:
        basis = market.system_price(ctx.catalog, gpu)  # card + rest of a working machine (issue 13)
        if basis is None or isinstance(basis, str):
            return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision,
                            [basis or f"The catalog has no price for the {gpu.name}, so buying it cannot be costed."])
        price, basis_text = basis.total_usd + host.upgrade_usd, basis.text + (
            f" + {_usd(host.upgrade_usd)} for {host.upgrade_ram_gb:g} GB more RAM" if host.upgrade_usd else "")
        # a discontinued card is bought used: its part keeps falling at the used-price decline (advisor.decide.market)
        resale_usd, used_resale_text = market.purchase_resale_usd(
            gpu, price, ctx.resale_fraction, ctx.amortization_months, _rate(ctx, "used_price_decline_per_month")[0],
            _rate(ctx, "selling_fee_fraction")[0])
        amortization = units * tco.hardware_amortization_usd_per_month(price, resale_usd, ctx.amortization_months)
        # the money in a bought machine forgoes the same return as the resale value of an owned card
        rate, rate_text = _rate(ctx, "cost_of_capital_per_year")
        capital_usd = units * tco.capital_cost_usd_per_month(price, resale_usd, rate)
        hardware = amortization + capital_usd
        purchase_usd = units * price
        resale_src = ("your scenario" if ctx.catalog.defaults.resale_fraction.value != ctx.resale_fraction else
                      f"{ctx.catalog.defaults.resale_fraction.source}, {ctx.catalog.defaults.resale_fraction.as_of}")
        each = " each" if units > 1 else ""
        reasons.append(
            f"Buying {units} x a working machine with the {gpu.name} at {_usd(price)}{each} ({basis_text}) costs "
            f"{_usd(hardware)}/month of hardware: depreciation {_usd(amortization)}/month (straight line over "
            f"{ctx.amortization_months:g} months to "
            f"{used_resale_text or f'a resale fraction of {ctx.resale_fraction:.0%}'}, an input: "
            f"{resale_src}) + cost of capital {_usd(capital_usd)}/month (the average money tied up, "
            f"({_usd(price)} + {_usd(resale_usd)} resale) / 2{' x ' + str(units) if units > 1 else ''}, x "
            f"{rate:.2%}/year / 12, {rate_text}: the same return an owned card's resale value is charged), plus "
            f"{_usd(electricity)}/month electricity for a dedicated box: {energy_text}.")
        if capacity_units > 1:
            reasons.append(f"{_n(ctx.volume)} images/month need {busy_h:,.0f} GPU-hours: {capacity_units} cards, "
                           f"{busy_h / capacity_units:,.0f} h busy each, within the {plan_text}.")
    if capacity_units == 1 and busy_h >= 0.5 * plan_h:
        reasons.append(f"{busy_h:,.0f} GPU-hours a month fit one card: {plan_text}.")
    if deadline_units > 1 and not owned:
        reasons.append(f"Your deadline ({sc.batch_images:,} images in {sc.deadline_hours:g} h) needs {deadline_units} "
                       f"cards in parallel.")
    elif sc.deadline_hours is not None:
        reasons.append(f"A batch of {sc.batch_images:,} images takes about {_batch_hours(ctx, est, units):.2f} h, "
                       f"within your {sc.deadline_hours:g} h deadline.")
    if license_usd:
        reasons.append(_license_reason(pipe, license_usd))
    basis = speed_basis(est)  # a family from specs only or one or two runs: the seconds' band, said in the row
    if basis:
        reasons.append(basis)
    if host.text and (est.offload not in ("none", "auto") or host.upgrade_usd):
        reasons.append(host.text)
    if est.offload not in ("none", "auto"):
        need = getattr(est, "required_vram_gib", None) or est.peak_vram_gib  # the figure that decides the fit
        reasons.append(f"{pipe.name} fits the {gpu.name}'s {gpu.vram_gib.value:.0f} GiB only with {est.offload} "
                       f"offload at {est.request.precision} (needs {need:.1f} GiB), which the estimate "
                       f"of {est.seconds_per_image:.1f} s/image includes.")
    for r in (rules.precision_note(est.request.precision, pipe.default_precision), _quality_reason(ctx, pipe),
              optimize.reason_for(est, ctx.catalog, ctx.estimator)):
        if r:
            reasons.append(r)
    if wait is not None:
        reasons.append(wait.sentence(f"{gpu.name} card(s)", ctx.turnaround))

    total = hardware + electricity + license_usd
    u = _uncertainty(ctx, est)
    # Linear decomposition for break-even: idle power all month is fixed; each image swaps idle for busy power.
    # Valid in the regime of the scenario volume: while busy < powered-on hours; beyond, idle energy is 0.
    idle_regime = busy_h / units < on_h
    # A shared (owned, on anyway) machine has no idle term: the line is exact at every volume.
    fixed = hardware + license_usd + (tco.electricity_usd_per_month(0, 0, ctx.usd_per_kwh, 0, idle_w, on_h)
                                      if idle_regime else 0.0)
    swapped_idle_j = idle_w / units * est.seconds_per_image if idle_regime else 0.0
    per_image = ctx.attempts * max(energy_j - swapped_idle_j, 0.0) / tco.JOULES_PER_KWH * ctx.usd_per_kwh
    return Option(
        id=oid, pipeline=pipe.slug, deployment="self-host", gpu=gpu.slug, precision=est.request.precision, fits=True,
        seconds_per_image=est.seconds_per_image, monthly_cost_usd=total, cost_per_image_usd=total / ctx.volume,
        cost_breakdown_usd=(breakdown := {"hardware": hardware, "electricity": electricity, "license": license_usd,
                                          "api": 0.0, "rental": 0.0}),
        cost_breakdown_per_image_usd=_per_image(ctx, breakdown),
        gpu_hours_per_month=busy_h, reasons=reasons,
        label=f"{pipe.name} on {'your ' + gpu.name if owned else market.bought_card_words(gpu)} "
              f"({est.setting or est.request.precision})",
        setting=est.setting, compile_seconds=est.compile_seconds, host_ram_gib=est.host_ram_gib, disk_gb=est.disk_gb,
        hardware="owned" if owned else "purchase", offload=est.offload, gpus_needed=units,
        holding_usd_per_month=holding_usd, owned_card_view=view, used_price_as_of=used_as_of,
        resale_derived=resale_derived, capital_usd_per_month=capital_usd,
        batch_hours=_batch_hours(ctx, est, units) if sc.batch_images else None,
        fixed_usd_per_month=fixed, variable_usd_per_image=per_image,
        turnaround=wait.summary() if wait is not None else None, simulator_uncertainty=u, speed_basis=basis,
        fixed_kwh_per_month=(tco.electricity_usd_per_month(0, 0, 1.0, 0, idle_w, on_h) if idle_regime else 0.0),
        variable_kwh_per_image=ctx.attempts * max(energy_j - swapped_idle_j, 0.0) / tco.JOULES_PER_KWH,
        uncertainty_usd_per_month=u * electricity, quality_elo=rules.quality_score(pipe), purchase_usd=purchase_usd,
    )


def _machine_ram_gib(ctx: Context, gpu: GPU, owned: bool) -> float | None:
    """Host RAM [GiB, = the "GB" memory is sold in] of the machine a setting must fit (optimize.fastest): the owned
    machine's as :func:`advisor.decide.market.host_fit` assumes it (the scenario's ``host_ram_gb``, else its unified
    memory, else its system class's build, else the catalog's ``owned_host_ram_gb``; read from host_fit so the rule
    is written once); a bought unified-memory machine's memory; a bought build's most RAM (more is excluded, less is
    bought and priced); None when the catalog states none."""
    if owned:
        probe = SimpleNamespace(host_ram_gib=0.0, disk_gb=0.0, offload="none")  # needs nothing: reads the RAM only
        return market.host_fit(ctx.catalog, gpu, probe, owned=True,
                               owned_ram_gb=getattr(ctx.scenario, "host_ram_gb", None)).machine_ram_gb
    build = ctx.catalog.defaults.system_builds.get(gpu.system_class or "")
    if build is None:
        return gpu.host_ram_gib
    return build.max_ram_gb.value


def self_host_options(ctx: Context) -> tuple[list[Option], list[Excluded]]:
    """Step 2: the owned GPU (every precision that fits) and buying each catalog GPU."""
    options: list[Option] = []
    excluded: list[Excluded] = []
    owned = ctx.scenario.gpu_owned
    for pipe, license_usd in _hostable_pipelines(ctx, "self-host", excluded):
        for gpu in ctx.catalog.gpus.values():
            if gpu.architecture == "cpu":
                continue
            is_owned = gpu.slug == owned
            if not is_owned and market.card_price(gpu) is None:
                continue
            # the machine's RAM: a setting that fits it beats a faster one that market.host_fit would exclude
            fitting, smallest = _fitting_estimates(ctx, pipe, gpu, _machine_ram_gib(ctx, gpu, is_owned))
            if not fitting:
                kind = "owned" if is_owned else "buy"
                _exclude_not_fitting(excluded, f"self-host:{kind}:{gpu.slug}:{pipe.slug}", pipe, "self-host", gpu,
                                     smallest)
                continue
            for est in fitting:
                for own_flag in ((True, False) if is_owned else (False,)):
                    item = _self_host_option(quality.for_model(ctx, pipe.slug), pipe, gpu, est, own_flag, license_usd)
                    (options if isinstance(item, Option) else excluded).append(item)
    return options, excluded

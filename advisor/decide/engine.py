"""The decision orchestrator: from a :class:`Scenario` to a ranked :class:`Result` (pvlib ModelChain style).

Steps of :func:`recommend`:

1. :func:`prepare` - resolve the catalog (with overrides), prices, retries and image size;
2. :func:`self_host_options` - the owned GPU (purchase is sunk) and buying each catalog GPU;
3. :func:`rental_options` - each cloud rental offer;
4. :func:`api_options` - each API offer;
5. :func:`rank` and :func:`decide` - order by monthly cost (quality first when asked), pick the top,
   flag "too close to call";
6. :func:`break_even_table` - pairwise crossing volumes of the leading options.

Hard constraints (VRAM fit, licence, capabilities, deadline) put an option in ``excluded`` with a
reason; they never enter the ranking. Performance comes only from :func:`advisor.perf.estimate`.
Costs come only from :mod:`advisor.cost.tco`; rules from :mod:`advisor.decide.rules`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator


from advisor.cost import tco
from advisor.decide import market, quality, rules, turnaround_rule
from advisor.decide import optimize  # issue 12
from advisor.catalog import GPU, Catalog, Pipeline, Sourced, load_catalog, load_catalog_with_overrides
from advisor.errors import InputError, UnknownSlugError
from advisor.perf import PerfEstimate, PerfRequest, estimate
from advisor.cost.scenario import (Scenario)
from advisor.fmt import usd as _usd  # the one money formatter (CLI, reasons, app)

Estimator = Callable[[PerfRequest, Catalog], PerfEstimate]

DAYS_PER_MONTH = tco.DAYS_PER_MONTH  # 30.4375 d
LEADING_FOR_BREAK_EVEN = 3  # top options always included in the pairwise break-even table

# --- result -----------------------------------------------------------------------------------


@dataclass
class Option:
    """One priced way to make the images. Costs in USD per month unless the name says otherwise."""

    id: str
    pipeline: str | None  # None: an API-only model (no open weights in the catalog); ``model`` names it
    deployment: str  # self-host | cloud-gpu | api
    gpu: str | None
    precision: str | None
    fits: bool
    seconds_per_image: float | None  # [s]; None for APIs (no sourced latency)
    monthly_cost_usd: float  # [USD/month]
    cost_per_image_usd: float  # [USD/image] = monthly / volume
    cost_breakdown_usd: dict[str, float]  # hardware, electricity, license, api, rental [USD/month]
    gpu_hours_per_month: float  # [h/month]; 0 for APIs
    reasons: list[str]
    #: the same parts per kept image [USD/image] = cost_breakdown_usd / volume; they sum to cost_per_image_usd
    cost_breakdown_per_image_usd: dict[str, float] = field(default_factory=dict)
    label: str = ""
    hardware: str | None = None  # owned | purchase | rental | None
    offload: str | None = None
    provider: str | None = None
    gpus_needed: int = 0
    fixed_usd_per_month: float = 0.0  # linear decomposition used for break-even [USD/month]
    variable_usd_per_image: float = 0.0  # [USD/image]
    uncertainty_usd_per_month: float = 0.0  # perf-driven cost band (+-) [USD/month]
    quality_elo: float | None = None
    payback_months: float | None = None  # buying only: vs the cheapest option that buys nothing [months]
    #: time to finish the scenario's batch (``batch_images``) on ``gpus_needed`` GPUs, one cold start included [h];
    #: None without a batch, and for APIs (no sourced throughput)
    batch_hours: float | None = None
    #: the model that makes the images (quality figures are keyed by it): the pipeline slug when self-hosted or
    #: rented, the offer's model for an API ("" = same as ``pipeline``)
    model: str = ""
    #: issue 11: the team's wait on this option (p50/p95/max [min], GPUs needed; advisor.decide.turnaround_rule);
    #: None without a p95 target
    turnaround: dict[str, Any] | None = None
    #: issue 11: energy behind the electricity cost (self-host; for advisor.decide.risk): drawn whatever the volume
    #: [kWh/month] and per kept image [kWh/image]; electricity in the linear decomposition = price x these
    fixed_kwh_per_month: float = 0.0
    variable_kwh_per_image: float = 0.0
    #: issue 11: the simulator's relative uncertainty behind seconds_per_image (validation band) [-]; 0 for APIs
    simulator_uncertainty: float = 0.0
    # --- issue 10: quality, keep rate, licence, people's time, purchase ---
    quality_scale: str | None = None  # the scale ``quality_elo`` is on (None: unscored on the ranking scale)
    quality_source: str | None = None  # source and as_of of that figure
    keep_rate: float = 1.0  # share of generations kept (catalog per model and kind of work, or the scenario's)
    keep_rate_source: str = ""
    #: seconds of GPU time per image kept = seconds_per_image x attempts / keep_rate [s]; None for APIs
    gpu_seconds_per_kept_image: float | None = None
    license: str = ""  # the licence this deployment runs under, in words (weights licence, or API terms)
    #: False when commercial use needs a paid licence whose fee is neither sourced nor given (costs then exclude it)
    license_fee_known: bool = True
    license_paid: bool = False  # commercial use of these weights needs a paid licence (self-host and rental)
    #: self-host/rental of a paid-licence model: the fee at which this option costs the same as the cheapest API of
    #: the same model [USD/month]; None when no API serves the model or the option loses even with a free licence
    break_even_license_fee_usd_per_month: float | None = None
    purchase_usd: float | None = None  # buying only: the price paid for the cards [USD]
    #: the catalog offer behind the option: a ``rentals`` slug (cloud-gpu) or an ``apis`` slug (api); None when
    #: self-hosted. Callers read this, never the id's parts.
    offer: str | None = None
    spot: bool = False  # cloud-gpu only: priced at the offer's spot/interruptible rate
    payback_against: str | None = None  # buying only: the option id payback is measured against

    def __post_init__(self) -> None:
        if not self.model:
            self.model = self.pipeline


@dataclass
class Excluded:
    """An option ruled out by a hard constraint."""

    id: str
    pipeline: str | None  # None: an API-only model
    deployment: str
    gpu: str | None
    precision: str | None
    reasons: list[str]


@dataclass
class Recommendation:
    option_id: str | None
    reasons: list[str]
    too_close_to_call: bool
    runner_up_id: str | None = None


@dataclass
class BreakEven:
    a: str
    b: str
    images_per_month: float | None  # None: never cross at a positive volume
    pair: str = ""  # what the pair is, e.g. "z-image-turbo: own vs its API", "recommendation vs runner-up"


@dataclass
class Result:
    scenario: dict[str, Any]
    options: list[Option]
    excluded: list[Excluded]
    recommendation: Recommendation
    break_even: list[BreakEven]
    assumptions: dict[str, Any] = field(default_factory=dict)
    #: issue 11: cost distributions and flip thresholds (advisor.decide.risk.attach_risk); None until attached
    risk: dict[str, Any] | None = None

    def option(self, option_id: str) -> Option:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (names as in docs/TEAM.md)."""
        return {
            "scenario": self.scenario,
            "recommendation": asdict(self.recommendation),
            "options": [asdict(o) for o in self.options],
            "excluded": [asdict(e) for e in self.excluded],
            "break_even": [asdict(b) for b in self.break_even],
            "assumptions": self.assumptions,
            "use": self.use,
            **({"risk": self.risk} if self.risk is not None else {}),
        }

    @property
    def use(self) -> str:
        """'commercial' or 'personal': the use every cost in this result assumed."""
        return "commercial" if self.scenario.get("commercial", True) else "personal"


# --- step 1: prepare --------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Resolved inputs shared by every option (numbers with units in names)."""

    scenario: Scenario
    catalog: Catalog
    volume: float  # [images/month]
    megapixels: float  # [MP]
    width: int
    height: int
    usd_per_kwh: float
    amortization_months: float
    failure_rate: float
    attempts: float  # expected generations per kept image
    rental_utilization: float
    powered_on_hours_per_day: float  # dedicated box: scenario value, else catalog default [h/day]
    powered_on_hours_per_month: float  # [h/month]
    hours_on_given: bool  # the scenario set powered_on_hours_per_day (an owned GPU then counts idle too)
    rest_of_system_watts: float
    rest_of_system_idle_watts: float
    resale_fraction: float
    too_close_fraction: float
    estimator: Estimator
    quality_scale: str = "lmarena-t2i"  # the scale rankings, charts and the floor use
    min_quality: tuple[str, float] | None = None  # (scale, value) hard floor
    turnaround: Any = None  # issue 11: turnaround_rule.TurnaroundPlanner when the scenario has a team_size


def prepare(scenario: Scenario, catalog: Catalog | None, estimator: Estimator) -> Context:
    """Step 1: catalog with overrides, defaults filled from the catalog, the owned GPU checked."""
    if catalog is None:
        catalog = load_catalog_with_overrides(scenario.overrides) if scenario.overrides else load_catalog()
    d = catalog.defaults
    if scenario.gpu_owned is not None and scenario.gpu_owned not in catalog.gpus:
        raise UnknownSlugError("gpu", scenario.gpu_owned, catalog.gpus)
    width, height = scenario.size_pixels
    hours_per_day = scenario.powered_on_hours_per_day if scenario.powered_on_hours_per_day is not None \
        else d.powered_on_hours_per_day.value
    return Context(
        scenario=scenario,
        catalog=catalog,
        volume=scenario.volume_images_per_month,
        megapixels=scenario.output_megapixels,
        width=width,
        height=height,
        usd_per_kwh=market.electricity_for(scenario, catalog)[0],  # scenario, else its region's tariff, else default
        amortization_months=scenario.amortization_months or d.amortization_months.value,
        failure_rate=d.failure_rate.value,
        attempts=tco.expected_attempts_per_image(d.failure_rate.value),
        rental_utilization=d.rental_utilization.value,
        powered_on_hours_per_day=hours_per_day,
        powered_on_hours_per_month=tco.powered_on_hours_per_month(hours_per_day),
        hours_on_given=scenario.powered_on_hours_per_day is not None,
        rest_of_system_watts=d.rest_of_system_watts.value,
        rest_of_system_idle_watts=d.rest_of_system_idle_watts.value,
        resale_fraction=d.resale_fraction.value,
        too_close_fraction=d.too_close_fraction.value,
        estimator=estimator,
        turnaround=turnaround_rule.planner_for(scenario, require_target=False),
        **quality.quality_context(scenario, catalog),
    )


# --- helpers ----------------------------------------------------------------------------------


def _kwh(x: float) -> str:
    """Energy for sentences: 47.4 kWh / 0.0644 kWh (three significant figures below 100)."""
    return f"{x:,.0f} kWh" if abs(x) >= 100 else f"{x:.3g} kWh"


def _n(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:g}"


def _request(ctx: Context, pipeline: str, gpu: str, precision: str) -> PerfRequest:
    return PerfRequest(pipeline=pipeline, gpu=gpu, precision=precision, width=ctx.width, height=ctx.height)


def _fitting_estimates(ctx: Context, pipe: Pipeline, gpu: GPU) -> tuple[list[PerfEstimate], PerfEstimate | None]:
    """Estimates of every tried precision that fits (auto offload), and the best non-fitting one for the reason."""
    fitting, smallest = [], None
    for precision in rules.precisions_for(gpu, pipe):
        try:
            est = ctx.estimator(_request(ctx, pipe.slug, gpu.slug, precision), ctx.catalog)
        except InputError as exc:
            if exc.field not in ("precision", "gpu"):  # anything else is an error to report, not a GPU to drop
                raise
            continue  # precision not supported by the simulator for this pair
        if est.fits:  # issue 12: the fastest allowed optimization set that still fits (advisor/decide/optimize.py)
            fitting.append(optimize.fastest(est, ctx.catalog, ctx.estimator,
                                            bool(getattr(ctx.scenario, "allow_quality_tradeoffs", False))))
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
    out = [rules.license_rule(pipe, ctx.scenario.commercial), rules.capability_rule(pipe, ctx.scenario.needs)]
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
    reason = rules.fit_rule(False, smallest.peak_vram_gib, gpu.vram_gib.value, gpu.name, smallest.notes)
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


# --- step 2: self-host ------------------------------------------------------------------------


def _self_host_option(ctx: Context, pipe: Pipeline, gpu: GPU, est: PerfEstimate, owned: bool,
                      license_usd: float) -> Option | Excluded:
    sc = ctx.scenario
    busy_h = tco.busy_hours_per_month(est.seconds_per_image, ctx.volume, ctx.attempts)
    capacity_units = max(1, math.ceil(busy_h / tco.HOURS_PER_MONTH - 1e-12))
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
               f"than one card running 24/7 ({tco.HOURS_PER_MONTH:.0f} h)") if capacity_units > 1 else \
            rules.deadline_rule(_batch_hours(ctx, est), sc.deadline_hours, sc.batch_images, f"the {gpu.name} you own")
        return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision, [why.rstrip(".") + "."])
    if units >= 10**9:
        return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision,
                        [f"Loading the model alone ({est.cold_start_seconds:.0f} s) exceeds your "
                         f"{sc.deadline_hours:g} h deadline."])

    rest_w = max(est.system_power_watts - est.board_power_watts, 0.0) or ctx.rest_of_system_watts
    gpu_idle_w, rest_idle_w = gpu.idle_power_watts.value, ctx.rest_of_system_idle_watts
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
            f"{busy_text} x {add_w:.0f} W above idle (GPU board {est.board_power_watts:.0f} W - "
            f"{gpu_idle_w:.0f} W idle + rest of system {rest_w:.0f} W - {rest_idle_w:.0f} W idle) = "
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
            f"{busy_text} at {est.board_power_watts + rest_w:.0f} W (GPU board {est.board_power_watts:.0f} W + rest of "
            f"system {rest_w:.0f} W) = {_kwh(energy_j * ctx.volume * ctx.attempts / tco.JOULES_PER_KWH)}, plus "
            f"{idle_h:.0f} h idle{per_card} ({ctx.powered_on_hours_per_day:g} h/day on, {hours_src}, x "
            f"{DAYS_PER_MONTH:.2f} d minus busy hours) at {idle_w:.0f} W ({gpu_idle_w:.0f} W GPU idle + "
            f"{rest_idle_w:.0f} W rest of system idle{' x ' + str(units) if units > 1 else ''}) = "
            f"{_kwh(idle_w * idle_h / 1000)}, at {_usd(ctx.usd_per_kwh)}/kWh = {_usd(electricity)}/month")
    reasons: list[str] = []
    hardware = 0.0
    purchase_usd = None
    if owned:
        hardware = tco.owned_gpu_sunk_cost_usd_per_month()
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
    else:
        basis = market.system_price(ctx.catalog, gpu)  # card + rest of a working machine (issue 13)
        if basis is None or isinstance(basis, str):
            return Excluded(oid, pipe.slug, "self-host", gpu.slug, est.request.precision,
                            [basis or f"The catalog has no price for the {gpu.name}, so buying it cannot be costed."])
        price, basis_text = basis.total_usd, basis.text
        hardware = units * tco.hardware_amortization_usd_per_month(price, price * ctx.resale_fraction,
                                                                   ctx.amortization_months)
        purchase_usd = units * price
        resale_src = ("your scenario" if ctx.catalog.defaults.resale_fraction.value != ctx.resale_fraction else
                      f"{ctx.catalog.defaults.resale_fraction.source}, {ctx.catalog.defaults.resale_fraction.as_of}")
        reasons.append(
            f"Buying {units} x a working machine with the {gpu.name} at {_usd(price)} ({basis_text}) over "
            f"{ctx.amortization_months:g} months to a resale fraction of {ctx.resale_fraction:.0%} (an input: "
            f"{resale_src}) costs {_usd(hardware)}/month, plus {_usd(electricity)}/month "
            f"electricity for a dedicated box: {energy_text}.")
        if capacity_units > 1:
            reasons.append(f"{_n(ctx.volume)} images/month need {busy_h:,.0f} GPU-hours: {capacity_units} cards "
                           f"running 24/7.")
    if deadline_units > 1 and not owned:
        reasons.append(f"Your deadline ({sc.batch_images:,} images in {sc.deadline_hours:g} h) needs {deadline_units} "
                       f"cards in parallel.")
    elif sc.deadline_hours is not None:
        reasons.append(f"A batch of {sc.batch_images:,} images takes about {_batch_hours(ctx, est, units):.2f} h, "
                       f"within your {sc.deadline_hours:g} h deadline.")
    if license_usd:
        reasons.append(_license_reason(pipe, license_usd))
    if est.offload not in ("none", "auto"):
        reasons.append(f"{pipe.name} fits the {gpu.name}'s {gpu.vram_gib.value:.0f} GiB only with {est.offload} "
                       f"offload at {est.request.precision} (peak {est.peak_vram_gib:.1f} GiB), which the estimate "
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
        label=f"{pipe.name} on {'your' if owned else 'a new'} {gpu.name} ({est.request.precision})",
        hardware="owned" if owned else "purchase", offload=est.offload, gpus_needed=units,
        batch_hours=_batch_hours(ctx, est, units) if sc.batch_images else None,
        fixed_usd_per_month=fixed, variable_usd_per_image=per_image,
        turnaround=wait.summary() if wait is not None else None, simulator_uncertainty=u,
        fixed_kwh_per_month=(tco.electricity_usd_per_month(0, 0, 1.0, 0, idle_w, on_h) if idle_regime else 0.0),
        variable_kwh_per_image=ctx.attempts * max(energy_j - swapped_idle_j, 0.0) / tco.JOULES_PER_KWH,
        uncertainty_usd_per_month=u * electricity, quality_elo=rules.quality_score(pipe), purchase_usd=purchase_usd,
    )


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
            fitting, smallest = _fitting_estimates(ctx, pipe, gpu)
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


# --- step 3: rentals --------------------------------------------------------------------------


def rental_options(ctx: Context) -> tuple[list[Option], list[Excluded]]:
    """Step 3: each rental offer x pipeline x fitting precision, priced at the on-demand midpoint."""
    options: list[Option] = []
    excluded: list[Excluded] = []
    sc = ctx.scenario
    base = ctx
    for pipe, license_usd in _hostable_pipelines(base, "cloud-gpu", excluded):
        ctx = quality.for_model(base, pipe.slug)  # attempts per kept image of this model (keep rate)
        for offer in ctx.catalog.rentals.values():
            gpu = ctx.catalog.gpu(offer.gpu)
            fitting, smallest = _fitting_estimates(ctx, pipe, gpu)
            if not fitting:
                _exclude_not_fitting(excluded, f"cloud-gpu:{offer.slug}:{pipe.slug}", pipe, "cloud-gpu", gpu, smallest)
                continue
            rng = offer.on_demand_usd_per_hour
            for est in fitting:
                oid = f"cloud-gpu:{offer.slug}:{pipe.slug}:{est.request.precision}"
                units = _deadline_units(ctx, est)
                if units >= 10**9:
                    excluded.append(Excluded(oid, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision,
                                             [f"Loading the model alone ({est.cold_start_seconds:.0f} s) exceeds "
                                              f"your {sc.deadline_hours:g} h deadline."]))
                    continue
                serverless = bool(getattr(offer, "serverless", False))
                wait = turnaround_rule.gpu_wait(ctx.turnaround, est.seconds_per_image * ctx.attempts,
                                                _uncertainty(ctx, est))
                if wait is not None and wait.fails:  # issue 11: the p95 target is hard
                    excluded.append(Excluded(oid, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision,
                                             [wait.sentence(f"rented {gpu.name}(s)", ctx.turnaround)]))
                    continue
                deadline_units, units = units, max(units, wait.units if wait is not None else 1)
                # pods that must answer within the target stay on call through the working hours (issue 11)
                on_call_hours = ctx.turnaround.pod_hours_per_month(units) \
                    if wait is not None and wait.target_minutes is not None and not serverless else 0.0
                plan_inputs = market.rental_inputs(sc, ctx.catalog)
                if isinstance(plan_inputs, str):
                    excluded.append(Excluded(oid, pipe.slug, "cloud-gpu", gpu.slug, est.request.precision,
                                             [plan_inputs]))
                    continue
                variants = [(False, rng, "on-demand")]
                if offer.spot_usd_per_hour is not None and not serverless:
                    variants.append((True, offer.spot_usd_per_hour, "spot/interruptible"))
                for spot, price, price_kind in variants:
                    # Billed per working session: boot + weight load + generation (+ idle timeout, + spot redo),
                    # rounded to the offer's increment and minimum, plus the storage that keeps the weights (issue 13).
                    plans = {s: market.session_plan(plan_inputs, offer, pipe, est.request.precision, ctx.volume,
                                                    ctx.attempts, est.seconds_per_image, units, s, spot)
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
                              _quality_reason(ctx, pipe), optimize.reason_for(est, ctx.catalog, ctx.estimator)):
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
                    options.append(Option(
                        id=sid, pipeline=pipe.slug, deployment="cloud-gpu", gpu=gpu.slug,
                        precision=est.request.precision, fits=True, seconds_per_image=est.seconds_per_image,
                        monthly_cost_usd=total, cost_per_image_usd=total / ctx.volume,
                        cost_breakdown_usd=(breakdown := {"hardware": 0.0, "electricity": 0.0, "license": license_usd,
                                                          "api": 0.0, "rental": rental}),
                        cost_breakdown_per_image_usd=_per_image(ctx, breakdown),
                        gpu_hours_per_month=hours, reasons=reasons,
                        label=(f"{pipe.name} on a rented {gpu.name} ({offer.provider}"
                               f"{', spot' if spot else ''}, {est.request.precision})"),
                        hardware="rental", offload=est.offload, provider=offer.provider, gpus_needed=units,
                        batch_hours=_batch_hours(ctx, est, units) if sc.batch_images else None,
                        fixed_usd_per_month=fixed, variable_usd_per_image=variable,
                        turnaround=wait.summary() if wait is not None else None,
                        simulator_uncertainty=_uncertainty(ctx, est),
                        uncertainty_usd_per_month=_uncertainty(ctx, est) * rental,
                        quality_elo=rules.quality_score(pipe), offer=offer.slug, spot=spot,
                    ))
    return options, excluded


# --- step 4: APIs -----------------------------------------------------------------------------


def api_options(ctx: Context) -> tuple[list[Option], list[Excluded]]:
    """Step 4: each API offer at its list price (piecewise per megapixel, provider rounding)."""
    options: list[Option] = []
    excluded: list[Excluded] = []
    sc = ctx.scenario
    base = ctx
    for api in base.catalog.apis.values():
        ctx = quality.for_model(base, api.model_slug)  # attempts per kept image of this model (keep rate)
        pipe = ctx.catalog.pipelines.get(api.pipeline) if api.pipeline else None  # None: API-only model
        oid = f"api:{api.slug}"
        # retired (or past its shutdown date): kept in the catalog for history, never ranked (issue 13)
        gone = market.api_status_exclusion(api, dt.date.today())
        if gone is None and api.pricing == "subscription":
            gone = market.subscription_exclusion(api)  # Midjourney: plans, no API, no per-image figure
        if gone is not None:
            excluded.append(Excluded(oid, api.pipeline, "api", None, None, [gone]))
            continue
        hard = [r for r in (rules.api_license_rule(api, sc.commercial) if api.commercial_use is not None else None,
                            rules.capability_rule(pipe, sc.needs) if pipe is not None else None) if r]
        if api.max_mp is not None and ctx.megapixels > api.max_mp + 1e-9:
            hard.append(f"{api.provider} serves at most {api.max_mp:g} MP for {api.slug}; you asked for "
                        f"{ctx.megapixels:g} MP.")
        wait = turnaround_rule.api_wait(ctx.turnaround, api) if not hard else None
        if wait is not None and not wait.meets:  # issue 11: the p95 target is hard
            hard.append(wait.sentence(ctx.turnaround))
        if hard:
            excluded.append(Excluded(oid, api.pipeline, "api", None, None, hard))
            continue
        model_name = pipe.name if pipe is not None else ctx.catalog.model_name(api.model_slug)

        def val(s: Sourced | None) -> float | None:
            return s.value if s is not None else None

        usd_image = tco.api_usd_per_image(
            api.pricing, ctx.megapixels, first_mp_usd=val(api.first_mp_usd), additional_mp_usd=val(api.additional_mp_usd),
            per_mp_usd=val(api.per_mp_usd), per_image_usd=val(api.per_image_usd), input_mp_usd=val(api.input_mp_usd),
            input_megapixels=sc.input_megapixels, rounding=api.rounding)
        monthly = tco.api_usd_per_month(usd_image, ctx.volume, ctx.attempts)
        price_src = next(s for s in (api.first_mp_usd, api.per_mp_usd, api.per_image_usd) if s is not None)
        billed_mp = tco.billed_megapixels(ctx.megapixels, api.rounding)
        reasons = [f"{api.provider} {model_name}{' [' + api.variant + ']' if api.variant else ''} at "
                   f"{_usd(usd_image)}/image for {billed_mp:g} billed MP ({api.pricing}, rounding {api.rounding}; "
                   f"{price_src.source}, {price_src.as_of}) x {_n(ctx.volume)} images x {ctx.attempts:.2f} attempts "
                   f"= {_usd(monthly)}/month; list prices, no hardware."]
        for r in (market.api_status_reason(api), market.commercial_caveat(api, sc.commercial)):
            if r:
                reasons.append(r)
        if sc.input_megapixels and api.input_mp_usd is not None:
            reasons.append(f"Includes {sc.input_megapixels:g} MP of reference input per request at "
                           f"{_usd(api.input_mp_usd.value)}/MP.")
        if sc.deadline_hours is not None:
            reasons.append("The catalog has no throughput or rate limit for this API; the deadline is assumed met "
                           "with parallel requests.")
        q = _quality_reason(ctx, pipe) if pipe is not None else None
        if q:
            reasons.append(q)
        if wait is not None:
            reasons.append(wait.sentence(ctx.turnaround))
        options.append(Option(
            id=oid, pipeline=api.pipeline, deployment="api", turnaround=wait.summary() if wait is not None else None, gpu=None, precision=None, fits=True,
            seconds_per_image=None, monthly_cost_usd=monthly, cost_per_image_usd=monthly / ctx.volume,
            cost_breakdown_usd=(breakdown := {"hardware": 0.0, "electricity": 0.0, "license": 0.0, "api": monthly,
                                              "rental": 0.0}),
            cost_breakdown_per_image_usd=_per_image(ctx, breakdown),
            gpu_hours_per_month=0.0, reasons=reasons, label=f"{model_name} via {api.provider}{'' if 'API' in api.provider else ' API'}",
            hardware=None, provider=api.provider, fixed_usd_per_month=0.0, model=api.model_slug,
            variable_usd_per_image=usd_image * ctx.attempts, uncertainty_usd_per_month=0.0,
            quality_elo=rules.quality_score(pipe) if pipe is not None else None, offer=api.slug,
        ))
    return options, excluded


# --- step 5: rank and decide ------------------------------------------------------------------


def rank(options: list[Option], needs: list[str]) -> list[Option]:
    """Step 5a: order options by :func:`advisor.decide.rules.rank_key`."""
    return sorted(options, key=lambda o: rules.rank_key(o.monthly_cost_usd, o.quality_elo, needs, o.id))


def _choice_key(o: Option) -> tuple:
    """Options that are the same decision (same pipeline on the same hardware, only precision differs)."""
    if o.deployment == "api":
        return ("api", o.id)  # every API offer is its own decision (API-only models have no pipeline)
    return (o.pipeline, o.deployment, o.hardware, o.gpu, o.provider if o.deployment != "self-host" else None)


def _add_payback(ctx: Context, ranked: list[Option]) -> None:
    """Payback of each purchase against the cheapest way to make the same images of the SAME model without
    buying (the owned card, a rental or an API of that model): ``price / (alternative - running)`` [months],
    running = monthly cost without the hardware share (electricity, licence, people)."""
    for o in ranked:
        if o.hardware != "purchase":
            continue
        alternative = next((x for x in ranked if x.hardware != "purchase" and x.model == o.model), None)
        if alternative is None:
            continue
        running = o.monthly_cost_usd - o.cost_breakdown_usd["hardware"]
        purchase = o.purchase_usd if o.purchase_usd is not None else (
            o.cost_breakdown_usd["hardware"] * ctx.amortization_months / (1 - ctx.resale_fraction)
            if ctx.resale_fraction < 1 else 0.0)
        o.payback_months = tco.payback_months(purchase, running, alternative.monthly_cost_usd)
        o.payback_against = alternative.id


def decide(ctx: Context, ranked: list[Option]) -> Recommendation:
    """Step 5b: the top option, with "too close to call" when the runner-up is within the combined band."""
    if not ranked:
        return Recommendation(None, ["Every option is excluded by a hard constraint; see 'excluded'."], False)
    top = ranked[0]
    reasons = list(top.reasons)
    runner = next((o for o in ranked[1:] if _choice_key(o) != _choice_key(top)), None)
    close = False
    if runner is not None:
        gap = runner.monthly_cost_usd - top.monthly_cost_usd
        band = top.uncertainty_usd_per_month + runner.uncertainty_usd_per_month
        close = abs(gap) < band
        if close:
            reasons.append(f"Too close to call: the runner-up ({runner.label}) costs only {_usd(gap)}/month more, "
                           f"within the combined estimate uncertainty of ±{_usd(band)}/month.")
        else:
            reasons.append(f"The runner-up ({runner.label}) costs {_usd(runner.monthly_cost_usd)}/month, "
                           f"{_usd(gap)}/month more.")
    return Recommendation(top.id, reasons, close, runner.id if runner else None)


# --- step 6: break-even -----------------------------------------------------------------------


def _license_reason(pipe, license_usd: float) -> str:
    """The reason sentence for a paid commercial licence (self-host and rental alike)."""
    return (f"Commercial use of {pipe.name} needs its paid licence: {_usd(license_usd)}/month "
            f"({pipe.license.fee_note}).")


def leading_options(ranked: list[Option]) -> list[Option]:
    """The top options plus the best of each kind (owned, purchase, rental, API)."""
    lead = list(ranked[:LEADING_FOR_BREAK_EVEN])
    seen = {o.id for o in lead}
    for kind in ("owned", "purchase", "rental", None):
        best = next((o for o in ranked if o.hardware == kind), None)
        if best is not None and best.id not in seen:
            lead.append(best)
            seen.add(best.id)
    return lead


def break_even_table(ranked: list[Option]) -> list[BreakEven]:
    """Step 6: pairwise crossing volumes of the leading options (from fixed + per-image decomposition)."""
    lead = leading_options(ranked)
    out = []
    for i, a in enumerate(lead):
        for b in lead[i + 1:]:
            n = tco.break_even_images_per_month(a.fixed_usd_per_month, a.variable_usd_per_image,
                                                b.fixed_usd_per_month, b.variable_usd_per_image)
            out.append(BreakEven(a.id, b.id, n))
    return out


# --- orchestrator -----------------------------------------------------------------------------


def recommend(scenario: Scenario, catalog: Catalog | None = None, estimator: Estimator = estimate) -> Result:
    """Rank every way to make ``scenario``'s images by monthly cost and recommend one.

    Parameters
    ----------
    scenario : Scenario
        Volume, size, owned GPU, prices and needs.
    catalog : Catalog, optional
        Default: ``profiles/`` with ``scenario.overrides`` applied.
    estimator : callable, optional
        ``(PerfRequest, Catalog) -> PerfEstimate``; default :func:`advisor.perf.estimate`.
    """
    ctx = prepare(scenario, catalog, estimator)
    options, excluded = [], []
    for step in (self_host_options, rental_options, api_options):
        o, e = step(ctx)
        options += o
        excluded += e
    quality.add_people(ctx, options)
    quality.annotate(ctx, options)
    options, floored = quality.apply_floor(ctx, options, Excluded)
    excluded += floored
    ranked = quality.rank(ctx, options) if "quality" in scenario.needs else rank(options, scenario.needs)
    _add_payback(ctx, ranked)
    recommendation = quality.decide_known(ctx, ranked, decide)
    _add_market_reasons(ctx, ranked, recommendation)
    if "quality" not in scenario.needs and (zero := quality.people_zero_reason(ranked, recommendation)):
        recommendation.reasons.append(zero)
    return Result(
        scenario=scenario.model_dump(mode="json"),
        options=ranked,
        excluded=excluded,
        recommendation=recommendation,
        break_even=quality.break_even_pairs(ranked, recommendation, BreakEven),
        assumptions={**assumptions(ctx), **quality.assumptions(ctx)},
    )


def _add_market_reasons(ctx: Context, ranked: list[Option], rec: Recommendation) -> None:
    """Issue 13: when the pick is not a rental, say what the cheapest rental would really cost and why (its
    session bill); and the pick's cost in the scenario's currency at the catalog's dated rate."""
    top = next((o for o in ranked if o.id == rec.option_id), None)
    if top is None:
        return
    if top.hardware != "rental":
        rental = next((o for o in ranked if o.hardware == "rental"), None)
        if rental is not None:
            rec.reasons.append(f"A rented GPU would really cost {_usd(rental.monthly_cost_usd)}/month at best "
                               f"({rental.label}), not just its generating time: " + " ".join(
                                   r for i, r in enumerate(rental.reasons)
                                   if i == 0 or r.startswith(("Fixed costs", "Spot/interruptible"))))
    line = market.currency_line(ctx.catalog, getattr(ctx.scenario, "currency", "USD"), top.monthly_cost_usd,
                                top.label or top.id)
    if line:
        rec.reasons.append(line)


def _rental_assumptions(ctx: Context) -> dict[str, Any]:
    """The session-billing inputs (value and where from), or why rentals cannot be costed."""
    inputs = market.rental_inputs(ctx.scenario, ctx.catalog)
    if isinstance(inputs, str):
        return {"rental_inputs": inputs}
    out: dict[str, Any] = {"rental_storage": inputs.storage}
    for name in ("sessions_per_working_day", "working_days_per_month", "boot_seconds", "volume_read_gb_per_s",
                 "download_gb_per_s", "spot_interruptions_per_hour"):
        value, where = getattr(inputs, name)
        out[f"rental_{name}"] = value
        num = getattr(ctx.catalog.defaults, "pod_boot_seconds" if name == "boot_seconds" else name, None)
        out[f"rental_{name}_source"] = where if (where == "your scenario" or num is None) else \
            f"{num.source} ({num.as_of})"
    return out


def assumptions(ctx: Context) -> dict[str, Any]:
    """The resolved inputs, with the catalog source of each default."""
    d = ctx.catalog.defaults
    sc = ctx.scenario

    def src(s: Sourced, given: Any = None) -> str:
        return "scenario" if given is not None else f"{s.source} ({s.as_of})"

    return {
        "megapixels": ctx.megapixels,
        "width": ctx.width,
        "height": ctx.height,
        "electricity_usd_per_kwh": ctx.usd_per_kwh,
        "electricity_source": market.electricity_for(sc, ctx.catalog)[1],
        "region": getattr(sc, "region", None),
        "currency": getattr(sc, "currency", "USD"),
        "amortization_months": ctx.amortization_months,
        "amortization_source": src(d.amortization_months, sc.amortization_months),
        "resale_fraction": ctx.resale_fraction,
        "failure_rate": ctx.failure_rate,
        "attempts_per_image": ctx.attempts,
        "rental_billing": ("per working session: boot + weight load (persistent volume or download) + generation "
                           "(+ serverless idle timeout, + spot redone work), rounded to each offer's increment and "
                           "minimum, plus the volume's storage per GB-month (issue 13)"),
        **_rental_assumptions(ctx),
        "rental_price": "midpoint of each offer's on-demand (or spot) low..high range (range shown in reasons)",
        "powered_on_hours_per_day": ctx.powered_on_hours_per_day,
        "powered_on_hours_source": src(d.powered_on_hours_per_day, sc.powered_on_hours_per_day),
        "powered_on_hours_per_month": ctx.powered_on_hours_per_month,
        "owned_gpu_energy": ("dedicated box: busy energy + idle draw over the powered-on hours (set in the scenario)"
                             if ctx.hours_on_given else
                             "on anyway for other work: only the energy above idle that generating adds "
                             "((board - GPU idle) + (rest of system - its idle)) x busy time"),
        "purchase_price": ("card (new street price midpoint, else used, else launch price) + the rest of a working "
                           "machine for the card's system class (defaults rest_of_system_usd)"),
        "owned_gpu": "purchase is a sunk cost and not counted",
        **({"turnaround": ctx.turnaround.assumptions()} if ctx.turnaround is not None else {}),
    }

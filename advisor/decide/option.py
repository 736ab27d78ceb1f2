"""The decision's data: :class:`Option` (one priced way to make the images), :class:`Excluded`,
:class:`Recommendation`, :class:`BreakEven`, :class:`Result` and the resolved :class:`Context` every step shares.

Kept apart from the steps (:mod:`advisor.decide.own`, :mod:`advisor.decide.rental`, :mod:`advisor.decide.api`)
and the orchestrator (:mod:`advisor.decide.engine`, which re-exports every name here) so that each step imports
the types without importing the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from advisor.catalog import Catalog
from advisor.cost import tco
from advisor.cost.scenario import Scenario
from advisor.perf import PerfEstimate, PerfRequest

Estimator = Callable[[PerfRequest, Catalog], PerfEstimate]

DAYS_PER_MONTH = tco.DAYS_PER_MONTH  # 30.4375 d

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
    #: why that band is wide: the GPU family's speed is from specs only or from one or two measured runs
    #: (advisor.decide.common.speed_basis); '' for families fitted on enough points and for APIs
    speed_basis: str = ""
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
    #: THE label of the setting the seconds were simulated at (advisor.perf.settings.setting_label), e.g. "bf16
    #: weights, BF16 matmuls, torch.compile, SageAttention, 28 steps, group offload"; "" for APIs
    setting: str = ""
    #: self-host / rental: compile warm-up paid per process start (rental session, serverless cold start) [s]
    compile_seconds: float = 0.0
    #: self-host / rental: host RAM the process needs (offloaded weights + working set + OS) [GiB] and disk [GB]
    host_ram_gib: float = 0.0
    disk_gb: float = 0.0
    #: people's time by part [USD/month] (setup, software_upkeep, hardware_upkeep, operator, reclaims); they sum to
    #: ``cost_breakdown_usd['people']`` (advisor.cost.people)
    people_breakdown_usd: dict[str, float] = field(default_factory=dict)
    people_hours_per_month: float = 0.0  # [h/month]
    #: rentals: sessions a month and whether a person starts and stops them (pods yes, serverless no) [1/month]
    sessions_per_month: float = 0.0
    started_by_hand: bool = False
    reclaims_per_month: float = 0.0  # spot rentals: expected reclaims [1/month]
    #: serverless rentals: how the workers run (scale-to-zero | active-window | always-warm; advisor.decide.serverless)
    serverless_mode: str = ""
    #: rentals: the part of the bill spent starting workers (boot + weight load + compile; serverless cold starts)
    #: [USD/month], sampled by the risk analysis (advisor.decide.risk)
    startup_usd_per_month: float = 0.0
    #: "fee not set, break-even $X/month" when the commercial licence fee is unknown ("" otherwise); such an option
    #: ranks after every priced option
    license_note: str = ""
    #: the owned card only: what keeping it instead of selling it costs [USD/month] (resale value x (used-price decline
    #: + cost of capital / 12)); in ``cost_breakdown_usd['hardware']`` when ``owned_card_view`` is "holding", 0 there in
    #: the "sunk" view; None when the card has no resale value to go by
    holding_usd_per_month: float | None = None
    owned_card_view: str | None = None  # holding | sunk (owned card only)
    #: the owned card's monthly cost in the other view [USD/month] (holding <-> sunk), set after people's time
    monthly_cost_other_view_usd: float | None = None
    used_price_as_of: str | None = None  # date of the used price the holding cost uses (ISO), None if yours/none
    #: the owned card only: True when its resale value is estimated (new price x the catalog's median used/new
    #: ratio, the arithmetic in the reasons) because the catalog has no used price for it
    resale_derived: bool = False
    #: buying only: the cost of capital on the money the machines tie up [USD/month] ((purchase + resale) / 2 x
    #: cost of capital / 12, advisor.cost.tco.capital_cost_usd_per_month); part of ``cost_breakdown_usd['hardware']``
    capital_usd_per_month: float | None = None
    #: why people could not work with this option (too slow per image, or a documented failure rate on its card;
    #: advisor.decide.crossings.practicality); "" when practical. Such an option ranks after every practical one.
    not_practical: str = ""

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
    #: what quality costs: the cost-quality frontier on the ranking scale (advisor.decide.frontier.frontier_summary)
    frontier: dict[str, Any] | None = None

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
            **({"frontier": self.frontier} if self.frontier is not None else {}),
        }

    @property
    def use(self) -> str:
        """'commercial' or 'personal': the use every cost in this result assumed."""
        return "commercial" if self.scenario.get("commercial", True) else "personal"


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
    people: Any = None  # advisor.cost.people.PeopleTime: the scenario's people's time with its gaps filled
    people_sources: dict[str, str] = field(default_factory=dict)  # where each people's-time figure came from

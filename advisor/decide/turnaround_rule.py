"""The turnaround constraint of the decision engine (issue 11): how long a team waits, how many GPUs keep it short.

Used by :mod:`advisor.decide.engine` (one :class:`TurnaroundPlanner` per ``recommend`` call when the scenario has a
``p95_target_minutes``) and by :mod:`advisor.decide.turnaround` (the ``advisor turnaround`` question). The queueing
itself is :mod:`advisor.workload.queueing` (SimPy); this module only turns a scenario into its inputs and its
answers into sentences.

Model choices (stated once; the reasons repeat them where they matter):

* **Arrivals.** ``bursts`` when given; else ``requests_per_person_per_hour`` when given; else the monthly volume
  spread evenly over the working hours: rate per person = volume / (images per request x team x working hours per
  day x working days per month), with 5 working days a week: 30.4375 d x 5 / 7 = 21.74 working days a month.
* **GPU service time** of one image: the simulator's seconds per image x the expected attempts per kept image
  (failed generations are retried), lognormal with the simulator's validation uncertainty as its coefficient of
  variation (the per-option band ``PerfEstimate.uncertainty``; a wider spread lengthens the queue tail, see the
  Pollaczek-Khinchine formula in :mod:`advisor.workload.queueing`).
* **API**: each image is one call; at most ``api_concurrency_limit`` calls in flight (scenario; default
  :data:`DEFAULT_API_CONCURRENCY_LIMIT`, a choice: the catalog has no published limits); call latency from the
  catalog's ``latency_seconds_per_image`` (sourced) else the scenario's ``api_latency_seconds_per_image`` else
  :data:`DEFAULT_API_LATENCY_SECONDS_PER_IMAGE` (a choice), deterministic.
* **Rented pods** that must answer within the target are on call during the working hours:
  ``gpus x working hours per day x working days per month`` billed hours at least. Serverless offers are costed
  by :mod:`advisor.decide.serverless` (scale to zero, active window, always warm).
* Simulated: ``working_days`` days (default 5, a working week, so work left at night carries over), seed 0; the
  smallest k in 1..:data:`K_MAX` whose p95 meets the target (common random numbers across k), found by bisection.
* **Budget.** The work of a simulation (its expected jobs) is known before it starts; above
  :data:`SIM_JOBS_BUDGET` the waits come from closed-form queueing instead (Erlang C with the Allen-Cunneen
  correction, :mod:`advisor.workload.closed_form`), so time and memory stay bounded whatever the volume or team.
* **Serverless scale-to-zero** workers: a request that finds no warm worker waits the cold start (boot + weight
  load + compile), in the simulation (:mod:`advisor.workload.scale_to_zero`) and in the closed form.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from advisor.cost import tco
from advisor.errors import InputError
from advisor.workload import queueing as Q
from advisor.workload.closed_form import closed_form_turnaround
from advisor.workload.scale_to_zero import ServerlessServers

#: working days in a mean month: 30.4375 d x 5 / 7 [d/month]
WORKING_DAYS_PER_MONTH = tco.DAYS_PER_MONTH * 5.0 / 7.0
DEFAULT_IMAGES_PER_REQUEST = 1
DEFAULT_WORKING_HOURS_PER_DAY = 8.0  # [h/day] choice: an office day
DEFAULT_WORKING_DAYS = 5  # [days simulated] choice: one working week
#: choice: calls in flight per API when the scenario gives none (the catalog has no published concurrency limits)
DEFAULT_API_CONCURRENCY_LIMIT = 4
#: [s] choice: API call latency when neither the catalog nor the scenario gives one
DEFAULT_API_LATENCY_SECONDS_PER_IMAGE = 10.0
K_MAX = 64  # most GPUs tried
SEED = 0
#: most jobs (GPU requests, API image calls) one simulation may hold; above it the closed form answers. Choice:
#: the FIFO recursion runs about a million jobs a second here
SIM_JOBS_BUDGET = 50_000
#: most jobs all the simulations of one scenario may hold together (a scenario runs a few simulations for each of
#: hundreds of options); once spent, the remaining waits come from the closed form. Choice: a few seconds
TOTAL_JOBS_BUDGET = 6_000_000
#: a scale-to-zero job (O(k) per request) costs about this many FIFO jobs of the budget
SERVERLESS_JOB_WEIGHT = 3
#: scale-to-zero endpoints are costed with at least this many max workers (RunPod's default max workers, 3:
#: docs.runpod.io glossary "Max Workers ... Default: 3", 2025-04); they cost nothing while stopped
SERVERLESS_MIN_MAX_WORKERS = 3
_CACHE_SIZE = 4096
_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()


def expected_jobs(workload: Q.Workload, servers: Any) -> float:
    """Jobs one simulation of ``workload`` on ``servers`` holds (image calls on an API, requests otherwise). [-]"""
    per = workload.images_per_request if isinstance(servers, Q.APIServers) else 1
    return Q.expected_requests(workload) * per


@dataclass
class JobBudget:
    """Jobs the simulations of one scenario may still hold (:data:`TOTAL_JOBS_BUDGET`)."""

    left: float = TOTAL_JOBS_BUDGET

    def simulate(self, workload: Q.Workload, servers: Any) -> bool:
        """True (and the jobs spent) when this simulation fits both budgets; False: use the closed form."""
        jobs = expected_jobs(workload, servers)
        cost = jobs * (SERVERLESS_JOB_WEIGHT if isinstance(servers, ServerlessServers) else 1)
        if jobs > SIM_JOBS_BUDGET or cost > self.left:
            return False
        self.left -= cost
        return True


def run_turnaround(workload: Q.Workload, servers: Any, budget: JobBudget | None = None) -> Q.TurnaroundResult:
    """The waits of ``workload`` on ``servers``: simulated (seed :data:`SEED`) within the budgets (a fresh
    :class:`JobBudget` when none is given), else in closed form (``seed`` -1 in the result)."""
    if not (budget or JobBudget()).simulate(workload, servers):
        return closed_form_turnaround(workload, servers)
    return Q.simulate_turnaround(workload, servers, seed=SEED)


def _cached_gpus_needed(workload: Q.Workload, seconds: float, sd: float, target: float | None,
                        k_max: int, cold: tuple[float, float] | None = None, budget: JobBudget | None = None
                        ) -> tuple[int | None, dict[int, Q.TurnaroundResult]]:
    """The smallest k meeting the target (or k = 1 only without a target), memoised (same inputs, same seed ->
    same result). ``cold``: (cold start [s], idle timeout [s]) of scale-to-zero workers, None for warm GPUs.
    Whether it may simulate is part of the key, so a result never depends on what earlier scenarios spent."""
    budget = budget or JobBudget()
    make = _servers(seconds, sd, cold)
    may_simulate = budget.left >= expected_jobs(workload, make(1)) * (SERVERLESS_JOB_WEIGHT if cold else 1)
    key = (workload, seconds, sd, target, k_max, cold, may_simulate)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    if target is None:
        k0 = SERVERLESS_MIN_MAX_WORKERS if cold is not None else 1
        out = (None, {k0: run_turnaround(workload, make(k0), budget)})
    else:
        out = smallest_servers(workload, make, target, k_max, budget)
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _servers(seconds: float, sd: float, cold: tuple[float, float] | None):
    """k -> the servers to simulate: k warm GPUs, or k scale-to-zero workers."""
    if cold is None:
        return lambda k: Q.GPUServers(k, seconds, sd)
    return lambda k: ServerlessServers(k, seconds, sd, cold[0], cold[1])


def smallest_gpus(workload: Q.Workload, seconds: float, sd: float, target: float,
                  k_max: int = K_MAX) -> tuple[int | None, dict[int, Q.TurnaroundResult]]:
    """Smallest k in 1..k_max of warm GPUs with p95 turnaround <= ``target`` [min] (:func:`smallest_servers`)."""
    return smallest_servers(workload, _servers(seconds, sd, None), target, k_max)


def smallest_servers(workload: Q.Workload, make: Any, target: float, k_max: int = K_MAX,
                     budget: JobBudget | None = None) -> tuple[int | None, dict[int, Q.TurnaroundResult]]:
    """Smallest k in 1..k_max with p95 turnaround <= ``target`` [min], by bisection over k.

    Same answer as :func:`advisor.workload.queueing.gpus_needed` (which tries k = 1, 2, ...) with at most
    2 + log2(k_max) runs instead of up to k_max: on common random numbers the p95 is non-increasing in k
    (the monotonicity ``gpus_needed`` documents: Kiefer & Wolfowitz 1955; the closed form decreases in k too),
    so k = 1 meeting the target answers 1, k_max missing it answers None, and otherwise the boundary lies between
    a failing and a meeting k. Returns ``(k, {k tried: result})``.
    """
    tried: dict[int, Q.TurnaroundResult] = {}

    budget = budget or JobBudget()

    def p95(k: int) -> float:
        if k not in tried:
            tried[k] = run_turnaround(workload, make(k), budget)
        return tried[k].p95_turnaround_minutes

    if p95(1) <= target:
        return 1, tried
    if p95(k_max) > target:
        return None, tried
    bad, good = 1, k_max  # p95(bad) > target >= p95(good)
    while good - bad > 1:
        mid = (bad + good) // 2
        if p95(mid) <= target:
            good = mid
        else:
            bad = mid
    return good, dict(sorted(tried.items()))


def method(result: Q.TurnaroundResult) -> str:
    """How a wait was computed, for sentences and JSON."""
    return ("simulated" if result.seed >= 0 else
            f"closed form: more than {SIM_JOBS_BUDGET:,} jobs per simulation (Erlang C, Allen-Cunneen)")


def _minutes(x: float) -> str:
    """A wait for sentences: '34 min', '2.5 min', '42 s', '1.3 s'."""
    if x >= 10:
        return f"{x:.0f} min"
    if x >= 1:
        return f"{x:.1f} min"
    return f"{x * 60:.0f} s" if x * 60 >= 10 else f"{x * 60:.1f} s"


@dataclass(frozen=True)
class GPUWait:
    """Turnaround of one option's pipeline on k GPUs: the smallest k meeting the target and p95 per k tried."""

    gpus: int | None  # smallest k meeting the target; None: none up to K_MAX (or no target: not asked)
    seconds_per_image: float  # mean service time per image, attempts included [s]
    relative_sd: float  # CV of the image time [-]
    p95_minutes_by_gpus: dict[int, float]  # [min]
    result: Q.TurnaroundResult  # at ``gpus`` (or at the last k tried)
    target_minutes: float | None
    cold_start_seconds: float | None = None  # scale-to-zero workers: the start a cold request waits [s]
    idle_timeout_seconds: float | None = None  # scale-to-zero workers: idle time before a worker stops [s]

    @property
    def fails(self) -> bool:
        """True when there is a target and no GPU count up to K_MAX meets it."""
        return self.target_minutes is not None and self.gpus is None

    @property
    def units(self) -> int:
        """GPUs to cost: the count meeting the target (1 without a target)."""
        return self.gpus if self.gpus is not None else 1

    def summary(self) -> dict[str, Any]:
        """JSON-able figures (units in the names)."""
        r = self.result
        return {"kind": "gpu", "gpus_needed": self.gpus, "gpus_simulated": r.servers.k,
                "p50_turnaround_minutes": r.p50_turnaround_minutes, "p95_turnaround_minutes": r.p95_turnaround_minutes,
                "max_turnaround_minutes": r.max_turnaround_minutes, "mean_wait_minutes": r.mean_wait_minutes,
                "utilisation": r.utilisation, "utilisation_working_hours": r.utilisation_working_hours,
                "seconds_per_image": self.seconds_per_image, "relative_sd": self.relative_sd,
                "p95_turnaround_minutes_by_gpus": {str(k): v for k, v in self.p95_minutes_by_gpus.items()},
                "p95_target_minutes": self.target_minutes, "requests_simulated": r.requests_simulated,
                "method": method(r), "cold_start_seconds": self.cold_start_seconds,
                "idle_timeout_seconds": self.idle_timeout_seconds, "cold_starts_simulated": r.cold_starts}

    def sentence(self, what: str, planner: "TurnaroundPlanner") -> str:
        """The wait, in words, for an option on ``what`` (e.g. 'RTX 4090 cards')."""
        r = self.result
        cold = ""
        if self.cold_start_seconds is not None:
            share = r.cold_starts / r.requests_simulated if r.requests_simulated else 0.0
            cold = (f"; {share:.0%} of requests found no warm worker and waited its {self.cold_start_seconds:.0f} s "
                    f"cold start (workers stop after {self.idle_timeout_seconds:g} s idle)")
        maxname = "max" if r.seed >= 0 else "p99.9"
        base = (f"Turnaround ({planner.describe()}; {self.seconds_per_image:.2f} s per image ±{self.relative_sd:.0%}"
                f"{cold}; {method(r)}): p50 {_minutes(r.p50_turnaround_minutes)}, p95 "
                f"{_minutes(r.p95_turnaround_minutes)}, {maxname} {_minutes(r.max_turnaround_minutes)} per request "
                f"on {r.servers.k} {what}")
        if self.target_minutes is None:
            return base + " (no p95 target set)."
        if self.gpus is None:
            return (base + f"; no count up to {K_MAX} keeps the p95 within your {self.target_minutes:g} min target "
                    f"(one request alone takes {planner.images_per_request * self.seconds_per_image / 60:.1f} min).")
        one = self.p95_minutes_by_gpus.get(1)
        more = f" (1 gives p95 {_minutes(one)})" if self.gpus > 1 and one is not None else ""
        return base + f", within your {self.target_minutes:g} min p95 target with {self.gpus}{more}."


@dataclass(frozen=True)
class APIWait:
    """Turnaround of an API with a concurrency limit."""

    concurrency_limit: int
    latency_seconds_per_image: float
    latency_source: str
    concurrency_source: str
    result: Q.TurnaroundResult
    target_minutes: float | None

    @property
    def meets(self) -> bool:
        return self.target_minutes is None or self.result.p95_turnaround_minutes <= self.target_minutes

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {"kind": "api", "concurrency_limit": self.concurrency_limit,
                "latency_seconds_per_image": self.latency_seconds_per_image, "latency_source": self.latency_source,
                "concurrency_source": self.concurrency_source,
                "p50_turnaround_minutes": r.p50_turnaround_minutes, "p95_turnaround_minutes": r.p95_turnaround_minutes,
                "max_turnaround_minutes": r.max_turnaround_minutes, "mean_wait_minutes": r.mean_wait_minutes,
                "utilisation": r.utilisation, "p95_target_minutes": self.target_minutes, "meets_target": self.meets,
                "requests_simulated": r.requests_simulated}

    def sentence(self, planner: "TurnaroundPlanner") -> str:
        r = self.result
        text = (f"Turnaround ({planner.describe()}): {self.concurrency_limit} calls in flight "
                f"({self.concurrency_source}) x {self.latency_seconds_per_image:g} s per image ({self.latency_source}) "
                f"gives p50 {_minutes(r.p50_turnaround_minutes)}, p95 {_minutes(r.p95_turnaround_minutes)}, max "
                f"{_minutes(r.max_turnaround_minutes)} per request")
        if self.target_minutes is None:
            return text + "."
        verdict = "within" if self.meets else "more than"
        return text + f", {verdict} your {self.target_minutes:g} min p95 target."


@dataclass
class TurnaroundPlanner:
    """The scenario's workload and target, and the memoised waits of every option asked for."""

    workload: Q.Workload
    target_minutes: float | None
    images_per_request: int
    rate_source: str  # how the arrival rate was set (sentence fragment)
    api_concurrency_limit: int | None = None
    api_latency_seconds_per_image: float | None = None
    k_max: int = K_MAX
    _api_cache: dict = field(default_factory=dict, repr=False)
    budget: JobBudget = field(default_factory=JobBudget, repr=False)

    def describe(self) -> str:
        w = self.workload
        if w.bursts is not None:
            arr = "; ".join(f"{b.requests} request{'s' if b.requests > 1 else ''} each at hour {b.at_hour:g}"
                            for b in w.bursts)
            who = f"{w.team_size} people, {arr}"
        else:
            who = (f"{w.team_size} people x {w.requests_per_person_per_hour:.3g} requests/h ({self.rate_source})")
        return (f"{who}, {w.images_per_request} image{'s' if w.images_per_request > 1 else ''} per request, "
                f"{w.working_hours_per_day:g} h days, {w.days} days simulated")

    def gpu_wait(self, seconds_per_image: float, relative_sd: float) -> GPUWait:
        """Wait on k GPUs of one kind (``seconds_per_image`` [s] mean incl. retries, CV ``relative_sd``)."""
        k, results = _cached_gpus_needed(self.workload, float(seconds_per_image), float(relative_sd),
                                         self.target_minutes, self.k_max, None, self.budget)
        at = results[k] if k is not None else results[max(results)]
        return GPUWait(gpus=k, seconds_per_image=float(seconds_per_image), relative_sd=float(relative_sd),
                       p95_minutes_by_gpus={kk: r.p95_turnaround_minutes for kk, r in results.items()}, result=at,
                       target_minutes=self.target_minutes)

    def serverless_wait(self, seconds_per_image: float, relative_sd: float, cold_start_seconds: float,
                        idle_timeout_seconds: float) -> GPUWait:
        """Wait on scale-to-zero serverless workers: a request that finds no warm worker waits
        ``cold_start_seconds`` [s]; workers stop after ``idle_timeout_seconds`` [s] idle. The count is the
        endpoint's max workers, at least :data:`SERVERLESS_MIN_MAX_WORKERS` (stopped workers cost nothing)."""
        cold = (float(cold_start_seconds), float(idle_timeout_seconds))
        k, results = _cached_gpus_needed(self.workload, float(seconds_per_image), float(relative_sd),
                                         self.target_minutes, self.k_max, cold, self.budget)
        if k is not None and k < SERVERLESS_MIN_MAX_WORKERS:
            k = SERVERLESS_MIN_MAX_WORKERS
            if k not in results:
                results = {**results, k: run_turnaround(self.workload, _servers(float(seconds_per_image),
                                                                                float(relative_sd), cold)(k),
                                                        self.budget)}
        at = results[k] if k is not None else results[max(results)]
        return GPUWait(gpus=k, seconds_per_image=float(seconds_per_image), relative_sd=float(relative_sd),
                       p95_minutes_by_gpus={kk: r.p95_turnaround_minutes for kk, r in results.items()}, result=at,
                       target_minutes=self.target_minutes, cold_start_seconds=cold[0], idle_timeout_seconds=cold[1])

    def p95_curve(self, seconds_per_image: float, relative_sd: float, k_values: range,
                  cold: tuple[float, float] | None = None) -> dict[int, float]:
        """p95 turnaround [min] at each k of ``k_values`` (same seed: common random numbers); ``cold`` as in
        :meth:`serverless_wait` for scale-to-zero workers."""
        out = {}
        make = _servers(float(seconds_per_image), float(relative_sd), cold)
        for k in k_values:
            may = self.budget.left >= expected_jobs(self.workload, make(k)) * (SERVERLESS_JOB_WEIGHT if cold else 1)
            key = (self.workload, float(seconds_per_image), float(relative_sd), ("curve", k, cold, may))
            hit = _CACHE.get(key)
            if hit is None:
                hit = (None, {k: run_turnaround(self.workload, make(k), self.budget)})
                _CACHE[key] = hit
            out[k] = hit[1][k].p95_turnaround_minutes
        return out

    def arrival_rate_per_second(self) -> float:
        """The team's mean request rate during working hours [1/s] (bursts: their requests spread over the day)."""
        w = self.workload
        if w.bursts is not None:
            return Q.expected_requests(w) / (w.days * Q.working_window_seconds(w))
        return Q.team_rate_per_second(w)

    def api_wait(self, api: Any) -> APIWait:
        """Wait on an API offer (catalog ``APIOffer``): its latency (catalog, else scenario, else default)."""
        lat = getattr(api, "latency_seconds_per_image", None)
        if lat is not None and getattr(lat, "value", None):
            latency, lat_src = float(lat.value), f"{lat.source}, {lat.as_of}"
        elif self.api_latency_seconds_per_image is not None:
            latency, lat_src = self.api_latency_seconds_per_image, "your api_latency_seconds_per_image"
        else:
            latency, lat_src = DEFAULT_API_LATENCY_SECONDS_PER_IMAGE, "assumed: no published latency; set --api-latency"
        if self.api_concurrency_limit is not None:
            conc, conc_src = self.api_concurrency_limit, "your api_concurrency_limit"
        else:
            conc, conc_src = DEFAULT_API_CONCURRENCY_LIMIT, "assumed: no published limit; set --api-concurrency"
        key = (conc, latency)
        res = self._api_cache.get(key)
        if res is None:
            res = run_turnaround(self.workload, Q.APIServers(conc, latency), self.budget)
            self._api_cache[key] = res
        return APIWait(conc, latency, lat_src, conc_src, res, self.target_minutes)

    def assumptions(self) -> dict[str, Any]:
        w = self.workload
        return {"team_size": w.team_size, "requests_per_person_per_hour": w.requests_per_person_per_hour,
                "bursts": [{"at_hour": b.at_hour, "requests": b.requests} for b in w.bursts] if w.bursts else None,
                "arrival_rate_source": self.rate_source, "images_per_request": w.images_per_request,
                "working_hours_per_day": w.working_hours_per_day, "working_days_simulated": w.days,
                "working_days_per_month": WORKING_DAYS_PER_MONTH, "p95_target_minutes": self.target_minutes,
                "seed": SEED, "waits_method": (
                    "simulated" if Q.expected_requests(w) <= SIM_JOBS_BUDGET else
                    f"closed form (Erlang C, Allen-Cunneen): {Q.expected_requests(w):,.0f} requests in "
                    f"{w.days} days exceed the simulation budget of {SIM_JOBS_BUDGET:,} jobs"),
                "gpu_service_time": "simulator seconds per image x attempts, lognormal with the "
                                                  "validation uncertainty as its coefficient of variation"}

    def pod_hours_per_month(self, gpus: int) -> float:
        """Billed hours of ``gpus`` rented pods kept on call through the working hours. [h/month]"""
        return gpus * self.workload.working_hours_per_day * WORKING_DAYS_PER_MONTH


#: scenario fields that describe a team's requests: refused without ``team_size`` (p95_target_minutes is refused
#: by the scenario itself)
TEAM_FIELDS = ("requests_per_person_per_hour", "bursts", "working_days", "api_concurrency_limit",
               "api_latency_seconds_per_image")


def planner_for(scenario: Any, require_target: bool = True) -> TurnaroundPlanner | None:
    """The scenario's :class:`TurnaroundPlanner`; None without ``team_size`` (or, with ``require_target``, without
    ``p95_target_minutes``)."""
    if scenario.team_size is None:
        for name in TEAM_FIELDS:  # a team's arrival pattern means nothing without the team
            if getattr(scenario, name, None) is not None:
                raise InputError("team_size", None, f"an integer >= 1, required with {name}")
    if scenario.team_size is None or (require_target and scenario.p95_target_minutes is None):
        return None
    n_img = scenario.images_per_request or DEFAULT_IMAGES_PER_REQUEST
    if scenario.bursts is None and scenario.requests_per_person_per_hour is None and \
            scenario.volume_images_per_month < n_img:
        raise InputError("images_per_request", n_img,
                         f"at most the monthly volume ({scenario.volume_images_per_month:,.0f} images): "
                         f"{n_img:,} images per request is fewer than one request a month")
    hours = scenario.working_hours_per_day or DEFAULT_WORKING_HOURS_PER_DAY
    days = scenario.working_days or DEFAULT_WORKING_DAYS
    rate, bursts, src = scenario.requests_per_person_per_hour, scenario.bursts, "as you set"
    if bursts is not None:
        src = "bursts as you set"
    elif rate is None:
        rate = scenario.volume_images_per_month / (n_img * scenario.team_size * hours * WORKING_DAYS_PER_MONTH)
        src = (f"{scenario.volume_images_per_month:,.0f} images/month over {hours:g} h x "
               f"{WORKING_DAYS_PER_MONTH:.2f} working days")
    workload = Q.Workload(team_size=scenario.team_size, requests_per_person_per_hour=rate, bursts=bursts,
                          images_per_request=n_img, working_hours_per_day=hours, days=days)
    return TurnaroundPlanner(workload=workload, target_minutes=scenario.p95_target_minutes, images_per_request=n_img,
                             rate_source=src, api_concurrency_limit=scenario.api_concurrency_limit,
                             api_latency_seconds_per_image=scenario.api_latency_seconds_per_image)


def gpu_wait(planner: TurnaroundPlanner | None, seconds_per_image: float, relative_sd: float) -> GPUWait | None:
    """``planner.gpu_wait`` or None without a planner (the engine's one-line hook)."""
    return None if planner is None else planner.gpu_wait(seconds_per_image, relative_sd)


def api_wait(planner: TurnaroundPlanner | None, api: Any) -> APIWait | None:
    """``planner.api_wait`` or None without a planner (the engine's one-line hook)."""
    return None if planner is None else planner.api_wait(api)

"""Monte Carlo uncertainty of monthly cost per option (vectorised numpy), tornado chart, flip thresholds.

Question answered: "given what I do not know exactly (prices, electricity, volume, the simulator's error), how
spread out is each option's monthly cost [USD] (P10/P50/P90), and how likely is option A cheaper than B?"

Cost model (linear in the uncertain inputs), for option i in sample j:

    cost_ij = fixed_ij + fixed_kwh_i x usd_per_kwh_j + volume_j x (usd_per_image_ij
                                     + gpu_seconds_per_image_i x error_ij x (usd_per_gpu_second_ij
                                                                             + kwh_per_gpu_second_i x usd_per_kwh_j))
    volume_j = images_per_month x V_j

[USD/month]; the same formula, on scalars, is :func:`monthly_cost_usd`. Named shared factors
(``SharedInputs.factors``, e.g. people's hourly rate, start-up time, API prices, steps, keep rates; 1 = the base
value) scale the parts an option names: ``factor_terms`` (a fixed part x the product of its factors, e.g. hours x
rate), ``gpu_factors`` (its GPU seconds per image) and ``per_image_factors`` (its per-image price); the cost at given
inputs without a draw is :func:`cost_at_usd`.

Distributions (choices):

* A **range** ``(low, high)`` is **uniform** on [low, high]: quoted price ranges ("$1-$3 per image", "0.10-0.30
  $/kWh") state bounds and no most-likely value, and the uniform is the maximum-entropy law given only bounds
  (Jaynes 1957). When a most-likely value is known, ``Range(low, high, mode=m)`` makes it **triangular**
  (low, m, high), drawn by the inverse CDF (Kotz & van Dorp, *Beyond Beta*, 2004, ch. 1). A plain number is a
  constant (no draw).
* **Simulator error** ``error_ij`` and **volume variation** ``V_j`` are **lognormal with mean 1** and the given
  coefficient of variation (multiplicative, positive, right-skewed): sigma^2 = ln(1 + cv^2), mu = -sigma^2 / 2.
  Simulator errors are independent between options (one estimate per option).
* **Shared inputs** -- electricity price ``usd_per_kwh`` and volume ``V`` -- are drawn ONCE per sample and used
  by every option (they are the same world for all options). Every option is evaluated on the same samples
  (common random numbers), so :meth:`MonteCarloResult.probability_cheaper` compares options within each
  sample: an option that is $1 dearer than another in every world is cheaper with probability exactly 0.

Reproducibility: ``numpy.random.SeedSequence(seed)`` spawns one independent stream per input kind (volume,
electricity, fixed, per-image price, GPU-second price, simulator error), so the shared draws do not depend on the
option list; per-option draws are made only for options whose input is uncertain, in option order. Same models,
same seed -> identical samples.

Percentiles use numpy's default linear interpolation (Hyndman & Fan type 7).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from advisor.errors import InputError

_STREAMS = ("volume", "usd_per_kwh", "fixed", "usd_per_image", "usd_per_gpu_second", "simulator_error", "factors")


# --- validation ---------------------------------------------------------------------------------


def _finite(field_name: str, value: Any, minimum: float | None = 0.0) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(value)
    if not ok or (minimum is not None and value < minimum):
        raise InputError(field_name, value, "a finite number" + (f" >= {minimum:g}" if minimum is not None else ""))
    return float(value)


# --- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """An uncertain non-negative input: uniform on [low, high], or triangular (low, mode, high) if mode is set."""

    low: float
    high: float
    mode: float | None = None

    def __post_init__(self) -> None:
        _finite("range.low", self.low)
        _finite("range.high", self.high)
        if self.high < self.low:
            raise InputError("range", (self.low, self.high), "low <= high")
        if self.mode is not None:
            _finite("range.mode", self.mode)
            if not self.low <= self.mode <= self.high:
                raise InputError("range.mode", self.mode, f"a value in [low, high] = [{self.low}, {self.high}]")

    @property
    def uncertain(self) -> bool:
        return self.high > self.low


def as_range(field_name: str, value: Any) -> Range:
    """A number (constant), a ``(low, high)`` pair (uniform) or a :class:`Range`, as a Range."""
    if isinstance(value, Range):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        low = _finite(f"{field_name}.low", value[0])
        high = _finite(f"{field_name}.high", value[1])
        if high < low:
            raise InputError(field_name, tuple(value), "(low, high) with 0 <= low <= high")
        return Range(low, high)
    if isinstance(value, (list, tuple)):
        raise InputError(field_name, value, "a number, a (low, high) pair or a Range")
    number = _finite(field_name, value)
    return Range(number, number)


@dataclass(frozen=True)
class CostModel:
    """One option's monthly cost as a linear function of uncertain inputs (see the module formula).

    Range fields accept a number, a ``(low, high)`` pair or a :class:`Range` and are stored as Range.
    """

    option_id: str
    fixed_usd_per_month: Range | float | tuple[float, float] = 0.0  # [USD/month]
    usd_per_image: Range | float | tuple[float, float] = 0.0  # API price or other per-image fee [USD/image]
    gpu_seconds_per_image: float = 0.0  # simulator estimate [s/image]
    simulator_relative_error: float = 0.0  # CV of the lognormal multiplicative error of that estimate [-]
    usd_per_gpu_second: Range | float | tuple[float, float] = 0.0  # rental price [USD/s]
    kwh_per_gpu_second: float = 0.0  # wall energy per GPU-second [kWh/s]
    #: energy drawn whatever the volume (idle draw of a dedicated box) [kWh/month], priced at the shared usd_per_kwh
    fixed_kwh_per_month: float = 0.0
    #: parts of the monthly cost [USD/month at the base inputs] each scaled by the product of named shared factors
    #: (SharedInputs.factors), e.g. people's upkeep = hours x rate: (upkeep_usd, ("upkeep_hours", "hourly_rate"));
    #: these parts are NOT in fixed_usd_per_month
    factor_terms: tuple[tuple[float, tuple[str, ...]], ...] = ()
    #: named shared factors that scale gpu_seconds_per_image (e.g. steps, attempts per kept image)
    gpu_factors: tuple[str, ...] = ()
    #: named shared factors that scale usd_per_image (e.g. an API price change, attempts per kept image)
    per_image_factors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.option_id, str) or not self.option_id:
            raise InputError("option_id", self.option_id, "a non-empty string")
        for usd, names in self.factor_terms:
            _finite(f"{self.option_id}.factor_terms", usd, minimum=None)
            if not names or not all(isinstance(n, str) for n in names):
                raise InputError(f"{self.option_id}.factor_terms", names, "a non-empty tuple of factor names")
        for name in ("fixed_usd_per_month", "usd_per_image", "usd_per_gpu_second"):
            object.__setattr__(self, name, as_range(f"{self.option_id}.{name}", getattr(self, name)))
        for name in ("gpu_seconds_per_image", "simulator_relative_error", "kwh_per_gpu_second", "fixed_kwh_per_month"):
            object.__setattr__(self, name, _finite(f"{self.option_id}.{name}", getattr(self, name)))


@dataclass(frozen=True)
class SharedInputs:
    """Inputs common to every option, drawn once per sample: volume and its variation, electricity price."""

    images_per_month: float  # expected volume [images/month]
    volume_relative_sd: float = 0.0  # CV of the lognormal month-to-month volume factor (mean 1) [-]
    usd_per_kwh: Range | float | tuple[float, float] = 0.0  # electricity price [USD/kWh]
    #: named multiplicative factors drawn once per sample and shared by every option that names them (1 = the
    #: engine's base value), e.g. {"hourly_rate": (0.6, 2.0)}; ranges as everywhere (uniform, or triangular)
    factors: Mapping[str, Range | float | tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _finite("images_per_month", self.images_per_month)
        _finite("volume_relative_sd", self.volume_relative_sd)
        object.__setattr__(self, "usd_per_kwh", as_range("usd_per_kwh", self.usd_per_kwh))
        object.__setattr__(self, "factors", {str(k): as_range(f"factors.{k}", v)
                                             for k, v in sorted(dict(self.factors).items())})


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCostPercentiles:
    """P10 / P50 / P90 of one option's monthly cost [USD/month]."""

    option_id: str
    p10_usd: float
    p50_usd: float
    p90_usd: float


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Monthly cost samples [USD/month] of every option on common samples, shape (options, n_samples)."""

    option_ids: tuple[str, ...]
    costs_usd: np.ndarray
    percentiles: tuple[OptionCostPercentiles, ...]
    n_samples: int
    seed: int
    _index: dict[str, int] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._index.update({option: i for i, option in enumerate(self.option_ids)})

    def samples_usd(self, option_id: str) -> np.ndarray:
        """Monthly cost samples of one option [USD/month] (a read-only view)."""
        if option_id not in self._index:
            raise InputError("option_id", option_id, f"one of {', '.join(self.option_ids)}")
        view = self.costs_usd[self._index[option_id]]
        view.flags.writeable = False
        return view

    def probability_cheaper(self, a: str, b: str) -> float:
        """P(cost of ``a`` < cost of ``b``) on the same samples; ties count one half. [-]"""
        return probability_cheaper_from_samples(self.samples_usd(a), self.samples_usd(b))


# --- pure formulas ------------------------------------------------------------------------------


def monthly_cost_usd(fixed_usd_per_month, images_per_month, usd_per_image, gpu_seconds_per_image,
                     usd_per_gpu_second, kwh_per_gpu_second, usd_per_kwh):
    """Monthly cost of one option: fixed + images x (per-image fee + GPU-s x (rental + energy price)). [USD/month]

    Works on floats and, by numpy broadcasting, on sample arrays. Energy: kWh per GPU-second x USD/kWh.
    """
    usd_per_gpu_second_total = usd_per_gpu_second + kwh_per_gpu_second * usd_per_kwh
    return fixed_usd_per_month + images_per_month * (usd_per_image + gpu_seconds_per_image * usd_per_gpu_second_total)


def probability_cheaper_from_samples(cost_a_usd: np.ndarray, cost_b_usd: np.ndarray) -> float:
    """P(a < b) + P(a = b) / 2 over paired samples (common random numbers). [-]"""
    a = np.asarray(cost_a_usd)
    b = np.asarray(cost_b_usd)
    return float((np.count_nonzero(a < b) + 0.5 * np.count_nonzero(a == b)) / a.size)


def percentiles_linear(samples: np.ndarray, percents: Sequence[float]) -> np.ndarray:
    """Percentiles of each row of ``samples`` with linear interpolation, shape (len(percents), rows).

    Same definition as ``numpy.percentile(..., method="linear")`` (Hyndman & Fan 1996, type 7: position
    q (n - 1) in the sorted row, interpolated between its neighbours), computed from one ``np.sort`` of the rows
    because numpy's vectorised sort is ~3x faster than the partition ``np.percentile`` uses for 3 quantiles.
    """
    ordered = np.sort(samples, axis=-1)
    n = ordered.shape[-1]
    out = []
    for q in percents:
        position = (q / 100.0) * (n - 1)
        below = math.floor(position)
        above = min(below + 1, n - 1)
        frac = position - below
        out.append(ordered[..., below] + (ordered[..., above] - ordered[..., below]) * frac)
    return np.array(out)


def lognormal_mean_one_sigma(relative_sd: float) -> float:
    """sigma of ln X for a lognormal X with mean 1 and coefficient of variation ``relative_sd``: sqrt(ln(1+cv^2))."""
    return math.sqrt(math.log1p(relative_sd * relative_sd))


def triangular_inverse_cdf(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Triangular(low, mode, high) quantile at probabilities ``u`` (arrays broadcast).

    F(mode) = (mode - low) / (high - low); x = low + sqrt(u (high - low)(mode - low)) for u < F(mode), else
    high - sqrt((1 - u)(high - low)(high - mode)). Kotz & van Dorp, Beyond Beta (2004), ch. 1.
    """
    width = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        f_mode = np.where(width > 0, (mode - low) / np.where(width > 0, width, 1.0), 0.5)
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1.0 - u) * width * (high - mode))
    return np.where(u < f_mode, left, right)


# --- sampling -----------------------------------------------------------------------------------


def _draw_ranges(ranges: Sequence[Range], n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Samples of per-option ranges, shape (options, n_samples), or (options, 1) when all are constant."""
    lows = np.array([r.low for r in ranges], dtype=float)
    uncertain = np.flatnonzero([r.uncertain for r in ranges])
    if uncertain.size == 0:
        return lows[:, None]
    u = rng.random((uncertain.size, n_samples))
    low = lows[uncertain][:, None]
    high = np.array([ranges[i].high for i in uncertain])[:, None]
    tri = np.array([ranges[i].mode is not None for i in uncertain])
    if tri.any():
        mode = np.array([ranges[i].mode if ranges[i].mode is not None else 0.0 for i in uncertain])[:, None]
        rows = np.flatnonzero(tri)
        u[rows] = triangular_inverse_cdf(u[rows], low[rows], mode[rows], high[rows])
        uni = np.flatnonzero(~tri)
        u[uni] = low[uni] + (high[uni] - low[uni]) * u[uni]
    else:
        u *= high - low
        u += low
    if uncertain.size == len(ranges):
        return u
    out = np.empty((len(ranges), n_samples))
    out[:] = lows[:, None]
    out[uncertain] = u
    return out


def _draw_lognormal_mean_one(relative_sds: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Mean-1 lognormal factors per row, shape (rows, n_samples), or (rows, 1) of ones when every CV is 0."""
    rows = np.flatnonzero(relative_sds > 0)
    if rows.size == 0:
        return np.ones((relative_sds.size, 1))
    sigma = np.sqrt(np.log1p(relative_sds[rows] ** 2))[:, None]
    z = rng.standard_normal((rows.size, n_samples))
    z *= sigma
    z -= sigma * sigma / 2.0  # mu = -sigma^2 / 2 gives E[X] = 1
    np.exp(z, out=z)
    if rows.size == relative_sds.size:
        return z
    out = np.ones((relative_sds.size, n_samples))
    out[rows] = z
    return out


def _product(drawn: Mapping[str, np.ndarray], names: Sequence[str], n: int) -> np.ndarray:
    """Element-wise product of the named factor samples (ones when ``names`` is empty). [-]"""
    out = np.ones(n)
    for name in names:
        out = out * drawn[name]
    return out


def cost_at_usd(model: CostModel, images_per_month: float, usd_per_kwh: float, factors: Mapping[str, float],
                price_end: float = 0.5, simulator_factor: float = 1.0) -> float:
    """One option's monthly cost [USD/month] at given inputs (no draw): each price range at ``price_end`` (0 = its
    low, 1 = its high, 0.5 = its middle), the named factors at ``factors`` (1 when not given), the simulator error
    at ``simulator_factor``. The same formula as :func:`simulate_monthly_costs` (the tornado uses it)."""
    def at(r: Range) -> float:
        return r.low + (r.high - r.low) * price_end

    def prod(names: Sequence[str]) -> float:
        return math.prod(float(factors.get(k, 1.0)) for k in names)

    cost = monthly_cost_usd(at(model.fixed_usd_per_month), images_per_month,
                            at(model.usd_per_image) * prod(model.per_image_factors),
                            model.gpu_seconds_per_image * simulator_factor * prod(model.gpu_factors),
                            at(model.usd_per_gpu_second), model.kwh_per_gpu_second, usd_per_kwh)
    cost += model.fixed_kwh_per_month * usd_per_kwh
    return float(cost + sum(usd * prod(names) for usd, names in model.factor_terms))


# --- orchestrator -------------------------------------------------------------------------------


def simulate_monthly_costs(models: Sequence[CostModel], shared: SharedInputs, n_samples: int = 10_000,
                           seed: int = 0) -> MonteCarloResult:
    """Draw ``n_samples`` worlds, cost every option in each (module formula), fill a :class:`MonteCarloResult`."""
    if not isinstance(models, (list, tuple)) or not models or not all(isinstance(m, CostModel) for m in models):
        raise InputError("models", type(models).__name__, "a non-empty list of CostModel")
    ids = tuple(m.option_id for m in models)
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError("option_id", duplicates[0], "unique option ids")
    if not isinstance(shared, SharedInputs):
        raise InputError("shared", type(shared).__name__, "a SharedInputs")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise InputError("n_samples", n_samples, "an integer >= 1")
    n = int(n_samples)
    streams = dict(zip(_STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS)))))

    # shared: one draw per sample, row vectors broadcast over options
    volume = shared.images_per_month * _draw_lognormal_mean_one(
        np.array([shared.volume_relative_sd]), n, streams["volume"])[0]
    usd_per_kwh = _draw_ranges([shared.usd_per_kwh], n, streams["usd_per_kwh"])[0]

    fixed = _draw_ranges([m.fixed_usd_per_month for m in models], n, streams["fixed"])
    per_image = _draw_ranges([m.usd_per_image for m in models], n, streams["usd_per_image"])
    rental = _draw_ranges([m.usd_per_gpu_second for m in models], n, streams["usd_per_gpu_second"])
    error = _draw_lognormal_mean_one(np.array([m.simulator_relative_error for m in models]), n,
                                     streams["simulator_error"])
    gpu_seconds = np.array([m.gpu_seconds_per_image for m in models])[:, None] * error
    kwh = np.array([m.kwh_per_gpu_second for m in models])[:, None]
    names = list(shared.factors)
    for m in models:  # every factor an option names must be drawn
        for name in [x for _, ns in m.factor_terms for x in ns] + list(m.gpu_factors) + list(m.per_image_factors):
            if name not in shared.factors:
                raise InputError(f"{m.option_id}.factor", name, f"one of SharedInputs.factors: {', '.join(names)}")
    drawn = dict(zip(names, _draw_ranges([shared.factors[k] for k in names], n, streams["factors"]))) \
        if names else {}
    if any(m.gpu_factors for m in models):
        gpu_seconds = gpu_seconds * np.vstack([_product(drawn, m.gpu_factors, n) for m in models])
    if any(m.per_image_factors for m in models):
        per_image = per_image * np.vstack([_product(drawn, m.per_image_factors, n) for m in models])

    costs = monthly_cost_usd(fixed, volume[None, :], per_image, gpu_seconds, rental, kwh, usd_per_kwh[None, :])
    fixed_kwh = np.array([m.fixed_kwh_per_month for m in models])
    if fixed_kwh.any():  # idle energy of dedicated boxes: + fixed kWh x the shared electricity price
        costs = costs + fixed_kwh[:, None] * usd_per_kwh[None, :]
    costs = np.array(np.broadcast_to(costs, (len(models), n)), dtype=float)  # a writable copy
    for i, m in enumerate(models):
        for usd, factor_names in m.factor_terms:
            costs[i] += usd * _product(drawn, factor_names, n)
    p10, p50, p90 = percentiles_linear(costs, (10.0, 50.0, 90.0))
    percentiles = tuple(OptionCostPercentiles(i, float(a), float(b), float(c))
                        for i, a, b, c in zip(ids, p10, p50, p90, strict=True))
    return MonteCarloResult(option_ids=ids, costs_usd=costs, percentiles=percentiles, n_samples=n, seed=seed)


# --- one-at-a-time sensitivity and flip thresholds ------------------------------------------------


@dataclass(frozen=True)
class TornadoBar:
    """Costs of the tracked options [USD/month] with one input at the low and at the high end of its range."""

    input_name: str
    low_value: float
    high_value: float
    cost_at_low_usd: dict[str, float]
    cost_at_high_usd: dict[str, float]
    swing_usd: float  # max over tracked options of |cost at high - cost at low| [USD/month]
    cheapest_at_low: str
    cheapest_at_high: str

    @property
    def flips(self) -> bool:
        """True when the cheapest tracked option differs between the two ends of the range."""
        return self.cheapest_at_low != self.cheapest_at_high


def _costs_of(cost_fn: Callable[[dict[str, float]], Mapping[str, float]], inputs: dict[str, float],
              options: Sequence[str]) -> dict[str, float]:
    costs = cost_fn(dict(inputs))
    missing = [o for o in options if o not in costs]
    if missing:
        raise InputError("cost_fn", f"result without {missing[0]!r}", "a mapping with a cost for every tracked option")
    return {o: float(costs[o]) for o in options}


def tornado(cost_fn: Callable[[dict[str, float]], Mapping[str, float]], base_inputs: Mapping[str, float],
            ranges: Mapping[str, tuple[float, float]], top_n: int = 3,
            options: Sequence[str] | None = None) -> list[TornadoBar]:
    """One-at-a-time sensitivity: for each input, costs of the top options at the low and high of its range.

    ``cost_fn(inputs) -> {option_id: cost [USD/month]}``. Tracked options are ``options`` or else the ``top_n``
    cheapest at ``base_inputs``. Every other input stays at its base value. Bars are sorted by swing, largest
    first (ties by input name), as in a tornado chart (Howard, "Decision analysis: practice and promise",
    Management Science 34(6), 1988).
    """
    base = {k: _finite(f"base_inputs.{k}", v, minimum=None) for k, v in base_inputs.items()}
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise InputError("top_n", top_n, "an integer >= 1")
    if options is None:
        at_base = cost_fn(dict(base))
        options = sorted(at_base, key=lambda o: (float(at_base[o]), o))[:top_n]
    options = list(options)
    bars = []
    for name, bounds in ranges.items():
        if name not in base:
            raise InputError("ranges", name, f"an input of base_inputs: {', '.join(sorted(base))}")
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise InputError(f"ranges.{name}", bounds, "a (low, high) pair")
        low = _finite(f"ranges.{name}.low", bounds[0], minimum=None)
        high = _finite(f"ranges.{name}.high", bounds[1], minimum=None)
        if high < low:
            raise InputError(f"ranges.{name}", tuple(bounds), "(low, high) with low <= high")
        at_low = _costs_of(cost_fn, {**base, name: low}, options)
        at_high = _costs_of(cost_fn, {**base, name: high}, options)
        swing = max(abs(at_high[o] - at_low[o]) for o in options)
        bars.append(TornadoBar(name, low, high, at_low, at_high, swing,
                               min(options, key=lambda o: (at_low[o], o)), min(options, key=lambda o: (at_high[o], o))))
    bars.sort(key=lambda bar: (-bar.swing_usd, bar.input_name))
    return bars


def flip_threshold(f: Callable[[float], float], lo: float, hi: float, xtol: float | None = None,
                   max_iter: int = 200) -> float | None:
    """Input value in [lo, hi] where ``f`` crosses 0 (e.g. cost A - cost B), by bisection; None if no sign change.

    Bisection (Burden & Faires, Numerical Analysis, sec. 2.1) needs only continuity and a sign change; it stops
    when the bracket is narrower than ``xtol`` (default 1e-12 x max(1, |lo|, |hi|)). Returns ``lo`` or ``hi``
    when f is exactly 0 there. With several crossings in [lo, hi] it returns one of them.
    """
    lo = _finite("lo", lo, minimum=None)
    hi = _finite("hi", hi, minimum=None)
    if not lo < hi:
        raise InputError("hi", hi, f"a number > lo = {lo}")
    tol = 1e-12 * max(1.0, abs(lo), abs(hi)) if xtol is None else _finite("xtol", xtol)

    def value(x: float) -> float:
        y = f(x)
        if not (isinstance(y, (int, float, np.number)) and math.isfinite(y)):
            raise InputError(f"f({x})", y, "a finite number")
        return float(y)

    f_lo, f_hi = value(lo), value(hi)
    if f_lo == 0.0:
        return lo
    if f_hi == 0.0:
        return hi
    if (f_lo > 0) == (f_hi > 0):
        return None
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        if hi - lo <= tol or mid in (lo, hi):
            return mid
        f_mid = value(mid)
        if f_mid == 0.0:
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)

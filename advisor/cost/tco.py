"""Cost formulas (total cost of ownership): small pure functions, units in names and in brackets.

Hardware amortization, electricity, licences, retries, cloud rental billing, API per-megapixel
pricing, break-even volume and payback. No catalog, no I/O: :mod:`advisor.decide` feeds the numbers.

Method follows NVIDIA's inference TCO recipe (server price / depreciation period + licences +
energy, then cost per unit of output; developer.nvidia.com/blog/benchmarking-llm-inference-costs-
for-smarter-scaling-and-deployment) with salvage value (inferecon.com/assumptions).
"""

from __future__ import annotations

import math
import statistics

JOULES_PER_KWH = 3.6e6  # 1 kWh = 1000 W x 3600 s
SECONDS_PER_HOUR = 3600.0
HOURS_PER_MONTH = 365.25 * 24 / 12  # 730.5 h: mean month of the Julian year
# API providers bill "1 MP" for a 1024 x 1024 output (BFL: "$0.03 at 1 MP text-to-image", docs.bfl.ai
# pricing); we use the same convention everywhere: 1 MP = 2**20 pixels.
PIXELS_PER_MEGAPIXEL = 1024 * 1024
_MP_EPS = 1e-9  # ceil() tolerance so that 2.0000000001 MP from float arithmetic bills as 2 MP


def _check_nonneg(name: str, value: float) -> None:
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


# --- hardware ---------------------------------------------------------------------------------


def hardware_amortization_usd_per_month(purchase_usd: float, resale_usd: float, months: float) -> float:
    """Straight-line depreciation of bought hardware down to its resale value.

    Parameters
    ----------
    purchase_usd : float
        Purchase price. [USD]
    resale_usd : float
        Expected resale (salvage) value at the end of the period. [USD]
    months : float
        Amortization period. [month]

    Returns
    -------
    float
        ``(purchase_usd - resale_usd) / months``. [USD/month]
    """
    _check_nonneg("purchase_usd", purchase_usd)
    _check_nonneg("resale_usd", resale_usd)
    if not (months > 0 and math.isfinite(months)):
        raise ValueError(f"months must be > 0, got {months!r}")
    if resale_usd > purchase_usd:
        raise ValueError(f"resale_usd ({resale_usd}) must not exceed purchase_usd ({purchase_usd})")
    return (purchase_usd - resale_usd) / months


def net_resale_usd(price_usd: float, selling_fee_fraction: float) -> float:
    """What the seller of a used card receives [USD]: its price x (1 - the marketplace's selling fee fraction)."""
    _check_nonneg("price_usd", price_usd)
    if not (0.0 <= selling_fee_fraction <= 1.0):
        raise ValueError(f"selling_fee_fraction must be a fraction in [0, 1], got {selling_fee_fraction!r}")
    return price_usd * (1.0 - selling_fee_fraction)


def holding_usd_per_month(resale_usd: float, used_price_decline_per_month: float,
                          cost_of_capital_per_year: float) -> float:
    """What keeping an owned card instead of selling it costs this month [USD/month].

    ``resale_usd x (used_price_decline_per_month + cost_of_capital_per_year / 12)``: the resale value lost as the
    used price falls, plus the return the money would earn if the card were sold (opportunity cost of capital,
    simple monthly share of the annual rate). The price once paid is sunk and never enters. Rates are fractions
    (0.01 = 1 %) in [0, 1].
    """
    _check_nonneg("resale_usd", resale_usd)
    for name, v in (("used_price_decline_per_month", used_price_decline_per_month),
                    ("cost_of_capital_per_year", cost_of_capital_per_year)):
        if not (0.0 <= v <= 1.0):
            raise ValueError(f"{name} must be a fraction in [0, 1], got {v!r}")
    return resale_usd * (used_price_decline_per_month + cost_of_capital_per_year / 12.0)


def capital_cost_usd_per_month(purchase_usd: float, resale_usd: float, cost_of_capital_per_year: float) -> float:
    """Cost of the money tied up in bought hardware over its amortization period [USD/month].

    ``(purchase_usd + resale_usd) / 2 x cost_of_capital_per_year / 12``: with straight-line depreciation from the
    purchase price to the resale value (:func:`hardware_amortization_usd_per_month`) the book value falls linearly,
    so the average capital tied up over the period is the mean of its two ends (the "average investment" convention
    of capital budgeting, e.g. Brealey, Myers & Allen, *Principles of Corporate Finance*, book rate of return), and
    it forgoes the same return as the resale value of an owned card (:func:`holding_usd_per_month`: simple monthly
    share of the annual rate). Rate is a fraction (0.075 = 7.5 %/year) in [0, 1].
    """
    _check_nonneg("purchase_usd", purchase_usd)
    _check_nonneg("resale_usd", resale_usd)
    if resale_usd > purchase_usd:
        raise ValueError(f"resale_usd ({resale_usd}) must not exceed purchase_usd ({purchase_usd})")
    if not (0.0 <= cost_of_capital_per_year <= 1.0):
        raise ValueError(f"cost_of_capital_per_year must be a fraction in [0, 1], got {cost_of_capital_per_year!r}")
    return (purchase_usd + resale_usd) / 2.0 * cost_of_capital_per_year / 12.0


def estimated_resale_usd(new_price_usd: float, used_to_new_ratios: list[float]) -> float:
    """Resale value of a card without a used price [USD]: its new price x the median used/new price ratio of the
    cards that have both (the median, not the mean, so one odd listing does not move it). Ratios must be > 0."""
    _check_nonneg("new_price_usd", new_price_usd)
    if not used_to_new_ratios:
        raise ValueError("used_to_new_ratios must not be empty")
    for r in used_to_new_ratios:
        if not (r > 0 and math.isfinite(r)):
            raise ValueError(f"each used/new ratio must be a finite number > 0, got {r!r}")
    return new_price_usd * statistics.median(used_to_new_ratios)


def planning_hours_per_card(hours_per_month: float, volume_relative_sd: float, z: float) -> float:
    """Busy hours a month one card is planned for [h/month]: ``hours_per_month / (1 + z x volume_relative_sd)``.

    The month's volume varies (coefficient of variation ``volume_relative_sd``); a card planned at its mean must
    still fit the month at the ``z`` quantile (z = 1.2816: the 90th percentile of a normal spread), so the mean
    month may fill only ``1 / (1 + z x sd)`` of the card's hours (normal approximation of the monthly volume).
    """
    if not (hours_per_month > 0 and math.isfinite(hours_per_month)):
        raise ValueError(f"hours_per_month must be > 0, got {hours_per_month!r}")
    _check_nonneg("volume_relative_sd", volume_relative_sd)
    _check_nonneg("z", z)
    return hours_per_month / (1.0 + z * volume_relative_sd)


def owned_gpu_sunk_cost_usd_per_month(purchase_usd: float | None = None) -> float:
    """Hardware cost of a GPU the user already owns: a sunk cost, so 0.

    The purchase price (if known) is deliberately not counted: it is spent whatever is decided now. This is the
    sunk-cost view; :func:`holding_usd_per_month` is the cost of keeping the card instead of selling it. [USD/month]
    """
    return 0.0


# --- energy -----------------------------------------------------------------------------------


def system_power_watts(board_power_watts: float, rest_of_system_watts: float) -> float:
    """Wall power of the whole machine while generating: GPU board + CPU, fans, PSU losses. [W]"""
    _check_nonneg("board_power_watts", board_power_watts)
    _check_nonneg("rest_of_system_watts", rest_of_system_watts)
    return board_power_watts + rest_of_system_watts


def system_energy_per_image_joules(
    board_energy_per_image_joules: float, rest_of_system_watts: float, seconds_per_image: float
) -> float:
    """Energy of the whole machine per image: board energy + rest-of-system power x time. [J]"""
    _check_nonneg("board_energy_per_image_joules", board_energy_per_image_joules)
    _check_nonneg("rest_of_system_watts", rest_of_system_watts)
    _check_nonneg("seconds_per_image", seconds_per_image)
    return board_energy_per_image_joules + rest_of_system_watts * seconds_per_image


def busy_hours_per_month(seconds_per_image: float, images_per_month: float, attempts_per_image: float = 1.0) -> float:
    """Hours spent generating: images x attempts x seconds / 3600. [h/month]"""
    _check_nonneg("seconds_per_image", seconds_per_image)
    _check_nonneg("images_per_month", images_per_month)
    return seconds_per_image * images_per_month * attempts_per_image / SECONDS_PER_HOUR


def idle_hours_per_month(powered_on_hours_per_month: float, busy_hours: float) -> float:
    """Hours powered on but not generating: ``max(0, powered_on - busy)``. [h/month]"""
    _check_nonneg("powered_on_hours_per_month", powered_on_hours_per_month)
    _check_nonneg("busy_hours", busy_hours)
    return max(0.0, powered_on_hours_per_month - busy_hours)


DAYS_PER_MONTH = 365.25 / 12  # 30.4375 d: mean month of the Julian year


def powered_on_hours_per_month(hours_per_day: float) -> float:
    """Hours a machine is switched on per month: ``hours_per_day x 30.4375 d``. [h/month]"""
    if not (0.0 <= hours_per_day <= 24.0):
        raise ValueError(f"hours_per_day must be in [0, 24], got {hours_per_day!r}")
    return hours_per_day * DAYS_PER_MONTH


def above_idle_watts(active_watts: float, idle_watts: float) -> float:
    """Power a part draws above its idle draw while working: ``max(0, active - idle)``. [W]"""
    _check_nonneg("active_watts", active_watts)
    _check_nonneg("idle_watts", idle_watts)
    return max(0.0, active_watts - idle_watts)


def added_power_watts(board_power_watts: float, gpu_idle_watts: float,
                      rest_of_system_watts: float, rest_of_system_idle_watts: float) -> float:
    """Wall power that generating adds to a machine that is switched on anyway. [W]

    ``(P_board - P_gpu_idle) + (P_rest - P_rest_idle)``: GPU board above its idle draw plus the rest of
    the system (CPU, fans, PSU losses) above its idle draw. Marginal-cost view: the idle draw is paid
    whether or not images are generated, so it is not caused by the work.
    """
    return (above_idle_watts(board_power_watts, gpu_idle_watts)
            + above_idle_watts(rest_of_system_watts, rest_of_system_idle_watts))


def added_energy_per_image_joules(added_watts: float, seconds_per_image: float) -> float:
    """Energy one image adds to a machine that is on anyway: ``added_power x seconds``. [J]"""
    _check_nonneg("added_watts", added_watts)
    _check_nonneg("seconds_per_image", seconds_per_image)
    return added_watts * seconds_per_image


def electricity_usd_per_month(
    energy_per_image_joules: float,
    images_per_month: float,
    usd_per_kwh: float,
    retry_fraction: float = 0.0,
    idle_watts: float = 0.0,
    idle_hours: float = 0.0,
) -> float:
    """Electricity bill of generating plus idling.

    .. math:: (E \\cdot n \\cdot (1 + r) + P_{idle} \\cdot h_{idle} \\cdot 3600) / 3.6\\times10^6 \\cdot price

    Parameters
    ----------
    energy_per_image_joules : float
        Energy per generated image (use the system energy, board + rest of system). [J]
    images_per_month : float
        Delivered images. [1/month]
    usd_per_kwh : float
        Electricity price. [USD/kWh]
    retry_fraction : float
        Extra generations per delivered image (see :func:`retry_fraction`). [-]
    idle_watts : float
        Power while on but idle (GPU idle + rest of system idle). [W]
    idle_hours : float
        Hours on but idle (see :func:`idle_hours_per_month`). [h/month]

    Returns
    -------
    float
        [USD/month]
    """
    for name, v in (("energy_per_image_joules", energy_per_image_joules), ("images_per_month", images_per_month),
                    ("usd_per_kwh", usd_per_kwh), ("retry_fraction", retry_fraction),
                    ("idle_watts", idle_watts), ("idle_hours", idle_hours)):
        _check_nonneg(name, v)
    busy_joules = energy_per_image_joules * images_per_month * (1.0 + retry_fraction)
    idle_joules = idle_watts * idle_hours * SECONDS_PER_HOUR  # W x h x 3600 s/h = J
    return (busy_joules + idle_joules) / JOULES_PER_KWH * usd_per_kwh


# --- licence and retries ----------------------------------------------------------------------


def license_usd_per_month(fee_usd_per_month: float | None, commercial: bool) -> float:
    """Model licence fee: charged only for commercial use; ``None`` fee means none is due. [USD/month]"""
    if not commercial or fee_usd_per_month is None:
        return 0.0
    _check_nonneg("fee_usd_per_month", fee_usd_per_month)
    return fee_usd_per_month


def expected_attempts_per_image(failure_rate: float) -> float:
    """Expected generations per kept image when each fails independently with probability p.

    Geometric distribution: ``1 / (1 - p)``. [-]
    """
    if not (0.0 <= failure_rate < 1.0):
        raise ValueError(f"failure_rate must be in [0, 1), got {failure_rate!r}")
    return 1.0 / (1.0 - failure_rate)


def retry_fraction(failure_rate: float) -> float:
    """Extra generations per kept image: ``1 / (1 - p) - 1 = p / (1 - p)``. [-]"""
    return expected_attempts_per_image(failure_rate) - 1.0


# --- cloud rental -----------------------------------------------------------------------------


def rental_gpu_hours_per_month(
    images_per_month: float, seconds_per_image: float, utilization: float, attempts_per_image: float = 1.0
) -> float:
    """Rented GPU-hours: ``images x attempts x seconds_per_image / 3600 / utilization``. [h/month]

    ``utilization`` is the fraction of billed time spent generating (start-up, model load, idle). [-]
    """
    if not (0.0 < utilization <= 1.0):
        raise ValueError(f"utilization must be in (0, 1], got {utilization!r}")
    return busy_hours_per_month(seconds_per_image, images_per_month, attempts_per_image) / utilization


def cold_start_hours_per_month(cold_start_seconds: float, sessions_per_month: float) -> float:
    """Billed start-up time of scale-to-zero (serverless) workers: one cold start per session. [h/month]"""
    _check_nonneg("cold_start_seconds", cold_start_seconds)
    _check_nonneg("sessions_per_month", sessions_per_month)
    return cold_start_seconds * sessions_per_month / SECONDS_PER_HOUR


def billed_seconds(run_seconds: float, minimum_billing_seconds: float = 0.0, billing_increment_seconds: float = 1.0) -> float:
    """Seconds a provider bills for one session: round up to the increment, at least the minimum. [s]

    A session of 0 s is not started and bills 0.
    """
    _check_nonneg("run_seconds", run_seconds)
    _check_nonneg("minimum_billing_seconds", minimum_billing_seconds)
    if not billing_increment_seconds > 0:
        raise ValueError(f"billing_increment_seconds must be > 0, got {billing_increment_seconds!r}")
    if run_seconds == 0:
        return 0.0
    increments = math.ceil(run_seconds / billing_increment_seconds - _MP_EPS)
    return max(minimum_billing_seconds, increments * billing_increment_seconds)


def rental_usd_per_month(
    gpu_hours_per_month: float,
    usd_per_hour: float,
    minimum_billing_seconds: float = 0.0,
    billing_increment_seconds: float = 1.0,
    sessions_per_month: int = 1,
) -> float:
    """Rental bill: GPU-hours split evenly over sessions, each billed with minimum and increment. [USD/month]"""
    _check_nonneg("gpu_hours_per_month", gpu_hours_per_month)
    _check_nonneg("usd_per_hour", usd_per_hour)
    if sessions_per_month < 1:
        raise ValueError(f"sessions_per_month must be >= 1, got {sessions_per_month!r}")
    per_session_seconds = gpu_hours_per_month * SECONDS_PER_HOUR / sessions_per_month
    billed = billed_seconds(per_session_seconds, minimum_billing_seconds, billing_increment_seconds)
    return sessions_per_month * billed / SECONDS_PER_HOUR * usd_per_hour


# --- API --------------------------------------------------------------------------------------


def billed_megapixels(megapixels: float, rounding: str = "none") -> float:
    """Megapixels as the provider counts them: exact (``none``) or rounded up (``ceil-mp``). [MP]"""
    _check_nonneg("megapixels", megapixels)
    if rounding == "none":
        return megapixels
    if rounding == "ceil-mp":
        return float(math.ceil(megapixels - _MP_EPS)) if megapixels > 0 else 0.0
    raise ValueError(f"rounding must be one of none, ceil-mp; got {rounding!r}")


def api_usd_per_image(
    pricing: str,
    megapixels: float,
    *,
    first_mp_usd: float | None = None,
    additional_mp_usd: float | None = None,
    per_mp_usd: float | None = None,
    per_image_usd: float | None = None,
    input_mp_usd: float | None = None,
    input_megapixels: float = 0.0,
    rounding: str = "none",
) -> float:
    """List price of one API image, piecewise in megapixels.

    - ``first-mp-plus-additional``: ``first + additional x max(0, MP - 1)`` (BFL/fal FLUX.2 [pro]: 3 c + 1.5 c per extra MP)
    - ``per-megapixel``: ``per_mp x MP`` (fal FLUX.2 [dev] 1.2 c/MP)
    - ``per-image``: flat ``per_image``
    plus ``input_mp x input MP`` for reference images. MP are rounded per ``rounding`` (output and
    input separately) before pricing. [USD/image]
    """
    mp = billed_megapixels(megapixels, rounding)
    if pricing == "first-mp-plus-additional":
        if first_mp_usd is None or additional_mp_usd is None:
            raise ValueError("first-mp-plus-additional pricing needs first_mp_usd and additional_mp_usd")
        out = first_mp_usd + additional_mp_usd * max(0.0, mp - 1.0)
    elif pricing == "per-megapixel":
        if per_mp_usd is None:
            raise ValueError("per-megapixel pricing needs per_mp_usd")
        out = per_mp_usd * mp
    elif pricing == "per-image":
        if per_image_usd is None:
            raise ValueError("per-image pricing needs per_image_usd")
        out = per_image_usd
    else:
        raise ValueError(f"pricing must be one of first-mp-plus-additional, per-megapixel, per-image; got {pricing!r}")
    if input_mp_usd and input_megapixels > 0:
        out += input_mp_usd * billed_megapixels(input_megapixels, rounding)
    return out


def api_usd_per_month(usd_per_image: float, images_per_month: float, attempts_per_image: float = 1.0) -> float:
    """API bill: every attempt is billed, kept or not. [USD/month]"""
    _check_nonneg("usd_per_image", usd_per_image)
    _check_nonneg("images_per_month", images_per_month)
    return usd_per_image * images_per_month * attempts_per_image


# --- comparison -------------------------------------------------------------------------------


def linear_cost_usd_per_month(fixed_usd_per_month: float, usd_per_image: float, images_per_month: float) -> float:
    """A cost line: ``fixed + per_image x images``. [USD/month]"""
    return fixed_usd_per_month + usd_per_image * images_per_month


def break_even_images_per_month(
    fixed_a_usd_per_month: float, usd_per_image_a: float, fixed_b_usd_per_month: float, usd_per_image_b: float
) -> float | None:
    """Volume where two cost lines ``fixed + per_image x n`` cross.

    ``n* = (fixed_b - fixed_a) / (per_image_a - per_image_b)``. [images/month]
    Returns ``None`` when the lines are parallel (equal per-image cost) or cross only at a
    volume <= 0 (one is cheaper at every positive volume).
    """
    slope_diff = usd_per_image_a - usd_per_image_b
    if abs(slope_diff) <= 1e-15 * max(abs(usd_per_image_a), abs(usd_per_image_b), 1e-300):
        return None
    volume = (fixed_b_usd_per_month - fixed_a_usd_per_month) / slope_diff
    if volume <= 0 or not math.isfinite(volume):
        return None  # equal fixed costs cross only at 0: one line is cheaper at every positive volume
    return volume


def payback_months(purchase_usd: float, running_usd_per_month: float, alternative_usd_per_month: float) -> float | None:
    """Months until buying hardware pays for itself against an alternative.

    ``purchase / (alternative - running)``, where ``running`` excludes the purchase (electricity,
    licence). ``None`` when buying never saves money per month. [month]
    """
    _check_nonneg("purchase_usd", purchase_usd)
    saving = alternative_usd_per_month - running_usd_per_month
    if saving <= 0:
        return None
    return purchase_usd / saving


# --- issue 10: people's time, keep rate, licence-fee break-even ------------------------------------------------------

def people_usd_per_month(setup_hours: float, upkeep_hours_per_month: float, hourly_rate_usd: float,
                         amortization_months: float) -> float:
    """People's time of running a deployment: one-off set-up amortised like hardware plus monthly upkeep.

    ``setup_hours x rate / amortization_months + upkeep_hours_per_month x rate`` [USD/month]
    (straight-line amortisation, as :func:`hardware_amortization_usd_per_month`).
    """
    for name, v in (("setup_hours", setup_hours), ("upkeep_hours_per_month", upkeep_hours_per_month),
                    ("hourly_rate_usd", hourly_rate_usd)):
        _check_nonneg(name, v)
    if not (amortization_months > 0 and math.isfinite(amortization_months)):
        raise ValueError(f"amortization_months must be > 0, got {amortization_months!r}")
    return setup_hours * hourly_rate_usd / amortization_months + upkeep_hours_per_month * hourly_rate_usd


def attempts_per_kept_image(attempts_per_image: float, keep_rate: float) -> float:
    """Generations per image a designer keeps: ``attempts / keep_rate`` [generations/image].

    ``attempts`` covers technical failures (retries); ``keep_rate`` is the share of finished images kept.
    """
    if not (0 < keep_rate <= 1):
        raise ValueError(f"keep_rate must be in (0, 1], got {keep_rate!r}")
    _check_nonneg("attempts_per_image", attempts_per_image)
    return attempts_per_image / keep_rate


def break_even_license_fee_usd_per_month(alternative_usd_per_month: float,
                                         cost_without_license_usd_per_month: float) -> float | None:
    """Highest licence fee at which a licensed deployment still costs no more than an alternative.

    ``alternative - cost_without_license`` [USD/month]; ``None`` when the deployment costs more than the
    alternative even with a free licence.
    """
    fee = alternative_usd_per_month - cost_without_license_usd_per_month
    return fee if fee >= 0 else None


# --- rentals billed per working session (issue 13) ----------------------------------------------
# A pod is started when someone needs images and stopped afterwards. Each session bills its boot, the load of the
# weights (from a persistent volume or a fresh download) and the generation, rounded to the provider's increment and
# minimum; a volume that keeps the weights between sessions bills per GB-month whether or not a pod runs
# (docs.runpod.io/pods/storage: network volume $0.07/GB/month).


def weight_load_seconds(weights_gb: float, read_gb_per_s: float) -> float:
    """Time to read a pipeline's weights: ``weights_gb / read_gb_per_s``. [s]

    ``weights_gb`` [GB, 1e9 bytes] on disk; ``read_gb_per_s`` [GB/s] the volume read rate or the download rate.
    """
    _check_nonneg("weights_gb", weights_gb)
    if not (read_gb_per_s > 0 and math.isfinite(read_gb_per_s)):
        raise ValueError(f"read_gb_per_s must be > 0, got {read_gb_per_s!r}")
    return weights_gb / read_gb_per_s


def sessions_per_month(images_per_month: float, sessions_per_working_day: float, working_days_per_month: float) -> float:
    """Working sessions a month: ``min(sessions_per_working_day x working_days, images_per_month)``. [1/month]

    A session makes at least one image, so a low volume never starts more sessions than it has images.
    """
    _check_nonneg("images_per_month", images_per_month)
    _check_nonneg("sessions_per_working_day", sessions_per_working_day)
    _check_nonneg("working_days_per_month", working_days_per_month)
    return min(sessions_per_working_day * working_days_per_month, images_per_month)


def generation_seconds_per_session(images_per_month: float, sessions: float, seconds_per_image: float,
                                   attempts_per_image: float = 1.0) -> float:
    """Generating time in one session: ``images / sessions x attempts x seconds_per_image``. [s]"""
    _check_nonneg("images_per_month", images_per_month)
    _check_nonneg("seconds_per_image", seconds_per_image)
    if not sessions > 0:
        raise ValueError(f"sessions must be > 0, got {sessions!r}")
    return images_per_month / sessions * attempts_per_image * seconds_per_image


def session_seconds(boot_seconds: float, load_seconds: float, generation_seconds: float,
                    idle_timeout_seconds: float = 0.0) -> float:
    """Run time of one session: boot (or serverless cold start) + weight load + generation + idle timeout. [s]

    The idle timeout is what a scale-to-zero worker bills after its last request before it stops
    (docs.runpod.io/serverless/pricing: billed "until it fully stops"; default idle timeout 5 s).
    """
    for name, v in (("boot_seconds", boot_seconds), ("load_seconds", load_seconds),
                    ("generation_seconds", generation_seconds), ("idle_timeout_seconds", idle_timeout_seconds)):
        _check_nonneg(name, v)
    return boot_seconds + load_seconds + generation_seconds + idle_timeout_seconds


def session_usd(run_seconds: float, usd_per_hour: float, minimum_billing_seconds: float = 0.0,
                billing_increment_seconds: float = 1.0) -> float:
    """Bill of one session: :func:`billed_seconds` / 3600 x hourly price. [USD]"""
    _check_nonneg("usd_per_hour", usd_per_hour)
    return billed_seconds(run_seconds, minimum_billing_seconds, billing_increment_seconds) / SECONDS_PER_HOUR * usd_per_hour


def storage_usd_per_month(weights_gb: float, usd_per_gb_month: float) -> float:
    """Persistent volume that keeps the weights between sessions: ``GB x USD/(GB month)``. [USD/month]"""
    _check_nonneg("weights_gb", weights_gb)
    _check_nonneg("usd_per_gb_month", usd_per_gb_month)
    return weights_gb * usd_per_gb_month


def spot_interruptions_per_session(session_run_seconds: float, interruptions_per_hour: float) -> float:
    """Expected reclaims of a spot/interruptible GPU in one session: ``rate x seconds / 3600`` (Poisson mean). [-]"""
    _check_nonneg("session_run_seconds", session_run_seconds)
    _check_nonneg("interruptions_per_hour", interruptions_per_hour)
    return interruptions_per_hour * session_run_seconds / SECONDS_PER_HOUR


def spot_redo_seconds(interruptions: float, seconds_per_image: float, restart_seconds: float) -> float:
    """Work redone after reclaims: each loses on average half an image in flight and pays a new boot + load. [s]

    ``interruptions x (seconds_per_image / 2 + restart_seconds)``. Finished images are kept, so only the image in
    flight is lost (uniform reclaim time within it: mean loss half an image). First order in the reclaim rate:
    reclaims during the redone work are neglected (valid while interruptions per session << 1).
    """
    _check_nonneg("interruptions", interruptions)
    _check_nonneg("seconds_per_image", seconds_per_image)
    _check_nonneg("restart_seconds", restart_seconds)
    return interruptions * (seconds_per_image / 2.0 + restart_seconds)


def sessions_usd_per_month(sessions: float, usd_per_session: float, storage_usd_month: float = 0.0) -> float:
    """Rental bill: ``sessions x billed session + storage``. [USD/month]"""
    _check_nonneg("sessions", sessions)
    _check_nonneg("usd_per_session", usd_per_session)
    _check_nonneg("storage_usd_month", storage_usd_month)
    return sessions * usd_per_session + storage_usd_month


# --- buying a working machine and showing money -------------------------------------------------


def system_price_usd(card_usd: float, rest_of_system_usd: float) -> float:
    """Price of a box that runs: GPU card + rest of system (CPU, board, RAM, PSU, case, storage). [USD]"""
    _check_nonneg("card_usd", card_usd)
    _check_nonneg("rest_of_system_usd", rest_of_system_usd)
    return card_usd + rest_of_system_usd


def convert_from_usd(amount_usd: float, units_per_usd: float) -> float:
    """An amount in another currency at a dated rate: ``amount_usd x units_per_usd``. [currency units]"""
    if not (units_per_usd > 0 and math.isfinite(units_per_usd)):
        raise ValueError(f"units_per_usd must be > 0, got {units_per_usd!r}")
    return amount_usd * units_per_usd

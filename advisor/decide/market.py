"""The market a studio compares (issue 13): rentals costed as billed, offer status, working-machine prices,
regional tariffs and currency, for :mod:`advisor.decide.engine`.

Only arithmetic from :mod:`advisor.cost.tco` and numbers from the catalog (each quoted with source and date)
or the scenario. Every default that is an assumption says so in the catalog source text, and the sentences
built here quote it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from advisor.catalog import GPU, APIOffer, Catalog, Pipeline, RentalOffer, Sourced, SourcedRange
from advisor.cost import tco
from advisor.errors import InputError, UnknownSlugError
from advisor.fmt import usd as _usd

#: bytes per parameter when a pipeline has no weights size on disk in the catalog (bf16 = 2 bytes)
BF16_BYTES_PER_PARAMETER = 2.0
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def _src(s: Sourced | SourcedRange) -> str:
    return f"{s.source}, {s.as_of}"


def _short(s: Sourced) -> str:
    """Where a catalog default comes from, in a few words (the full source is in the result's assumptions)."""
    kind = "assumption" if "assumption" in s.source.lower() else ("derived" if s.derived else "sourced")
    return f"{kind}, profiles/defaults.yaml"


# --- where the studio is ---------------------------------------------------------------------------------------


def electricity_for(scenario: Any, catalog: Catalog) -> tuple[float, str]:
    """Electricity price [USD/kWh] and where it comes from: the scenario's number, else its region's tariff,
    else the catalog default."""
    d = catalog.defaults.electricity_usd_per_kwh
    region = getattr(scenario, "region", None)
    tariff = None
    if region is not None:
        if region not in catalog.tariffs:
            raise UnknownSlugError("region", region, catalog.tariffs)
        tariff = catalog.tariffs[region]
    if scenario.electricity_usd_per_kwh is not None:
        if tariff is not None and abs(scenario.electricity_usd_per_kwh - tariff.usd_per_kwh.value) < 1e-12:
            pass  # the region's tariff, filled in by the app's region picker: say where it comes from (below)
        else:
            where = "scenario" + (f" (region {tariff.name} would be {_usd(tariff.usd_per_kwh.value)}/kWh)"
                                  if tariff else "")
            return scenario.electricity_usd_per_kwh, where
    if tariff is not None:
        u = tariff.usd_per_kwh
        local = "" if tariff.currency == "USD" else \
            f" = {tariff.price_per_kwh.value:g} {tariff.currency}/kWh ({_src(tariff.price_per_kwh)}) converted"
        return u.value, f"region {tariff.name}, {tariff.kind} tariff{local} ({_src(u)})"
    return d.value, f"{d.source} ({d.as_of})"


def currency_line(catalog: Catalog, code: str, monthly_usd: float, label: str) -> str | None:
    """'In EUR: €X/month at 0.8573 EUR per USD (source, date).' for a non-USD currency; None for USD."""
    if code == "USD":
        return None
    cur = catalog.currencies.get(code)
    if cur is None:
        raise InputError("currency", code, f"one of USD, {', '.join(c for c in catalog.currencies if c != 'USD')} "
                                           "(rates in profiles/tariffs.yaml)")
    amount = tco.convert_from_usd(monthly_usd, cur.per_usd.value)
    sym = CURRENCY_SYMBOLS.get(code, code + " ")
    return (f"In {code}: {label} costs {sym}{amount:,.2f}/month ({_usd(monthly_usd)} x {cur.per_usd.value:g} {code} "
            f"per USD, {_src(cur.per_usd)}).")


# --- buying a working machine ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemPrice:
    """Price of a box that runs with this card [USD] and the sentence that says how it is made up; the RAM [GB]
    and disk [GB] of that box (None when the catalog states no build for the class)."""

    card_usd: float
    rest_usd: float
    total_usd: float
    text: str
    ram_gb: float | None = None
    disk_gb: float | None = None


def card_condition(gpu: GPU) -> tuple[str, str | None, float | None]:
    """How a bought card is priced (:func:`card_price`): ('new', as_of, usd) from the new street price, ('used',
    as_of, usd) from the used price when the catalog has no new one (a discontinued card is bought used), ('launch',
    as_of, usd) from the launch price, ('none', None, None) without a price."""
    if gpu.street_price_usd is not None:
        return "new", gpu.street_price_usd.as_of.isoformat(), gpu.street_price_usd.mid
    if gpu.used_price_usd is not None:
        return "used", gpu.used_price_usd.as_of.isoformat(), gpu.used_price_usd.mid
    if gpu.launch_price_usd is not None:
        return "launch", gpu.launch_price_usd.as_of.isoformat(), gpu.launch_price_usd.value
    return "none", None, None


def bought_card_words(gpu: GPU) -> str:
    """How an answer names a bought card: 'a new <name>', or 'a used <name> ($517, used price of 2026-05-01)' when
    the card is priced from its used price (:func:`card_condition`)."""
    cond, as_of, usd = card_condition(gpu)
    if cond == "used":
        return f"a used {gpu.name} ({_usd(usd)}, used price of {as_of})"
    return f"a new {gpu.name}"


def purchase_resale_usd(gpu: GPU, machine_usd: float, resale_fraction: float, months: float,
                        used_decline_per_month: float, selling_fee_fraction: float = 0.0) -> tuple[float, str | None]:
    """Resale value of a bought machine at the end of its amortization period [USD] and, for a used card, the
    sentence that derives it (None for a new one).

    New card: ``machine_usd x resale_fraction`` (resale_fraction: profiles/defaults.yaml, used vs new prices).
    Used card (:func:`card_condition` 'used'): the card part is already at its used price, so it keeps losing value
    at the used-price decline an owned card's holding cost charges (profiles/defaults.yaml
    ``used_price_decline_per_month``), compounded: ``card x (1 - decline)^months``; the rest of the machine is bought
    new and keeps ``resale_fraction``. Applying resale_fraction (new -> used) to a used price would count the drop from
    new to used twice. The card part is what the seller receives: less ``selling_fee_fraction`` (resale_fraction
    already allows for selling costs)."""
    cond, _, card_usd = card_condition(gpu)
    if cond != "used":
        return machine_usd * resale_fraction, None
    card_usd = min(card_usd, machine_usd)
    kept = (1.0 - used_decline_per_month) ** months * (1.0 - selling_fee_fraction)
    resale = card_usd * kept + (machine_usd - card_usd) * resale_fraction
    fee = f" x (1 - {selling_fee_fraction:.2%} selling fee)" if selling_fee_fraction else ""
    return resale, (f"resale {_usd(resale)}: the used card's {_usd(card_usd)} x (1 - {used_decline_per_month:.1%}"
                    f"/month)^{months:g} months{fee} = {_usd(card_usd * kept)} (the used-price decline an owned card "
                    f"is charged) + the rest of the machine {_usd(machine_usd - card_usd)} x {resale_fraction:.0%}")


def card_price(gpu: GPU) -> tuple[float, str] | None:
    """Card price [USD]: street (new) midpoint, else used midpoint, else launch price; None when the catalog has none."""
    if gpu.street_price_usd is not None:
        r = gpu.street_price_usd
        return r.mid, f"midpoint of the {_usd(r.low)}-{_usd(r.high)} new street price ({_src(r)})"
    if gpu.used_price_usd is not None:
        r = gpu.used_price_usd
        return r.mid, f"midpoint of the {_usd(r.low)}-{_usd(r.high)} used price ({_src(r)}); no new street price"
    if gpu.launch_price_usd is not None:
        s = gpu.launch_price_usd
        return s.value, f"launch price ({_src(s)}); no street price in the catalog"
    return None


def used_to_new_ratios(catalog: Catalog) -> list[tuple[str, float]]:
    """(slug, used-price midpoint / new street-price midpoint) for every catalog card that has both prices."""
    return [(g.slug, g.used_price_usd.mid / g.street_price_usd.mid) for g in catalog.gpus.values()
            if g.used_price_usd is not None and g.street_price_usd is not None and g.street_price_usd.mid > 0]


def system_price(catalog: Catalog, gpu: GPU) -> SystemPrice | str | None:
    """Card + rest of system (CPU, board, RAM, PSU, case, storage) for ``gpu``'s system class.

    None when the card has no price; a sentence (str) when the class has no sourced rest-of-system cost (buying it
    cannot be costed as a working machine). A card without a system class is priced alone, and says so.
    """
    card = card_price(gpu)
    if card is None:
        return None
    card_usd, card_text = card
    cls = gpu.system_class
    if cls is None:
        return SystemPrice(card_usd, 0.0, card_usd, f"{card_text}; the catalog gives no system class for this card, "
                                                    f"so only the card is priced")
    rest = catalog.defaults.rest_of_system_usd.get(cls)
    if rest is None:
        return (f"The catalog has no sourced cost for the rest of a '{cls}' machine (CPU, board, RAM, PSU, case, "
                f"storage) to put the {gpu.name} in, so buying it cannot be costed as a box that runs.")
    total = tco.system_price_usd(card_usd, rest.mid)
    rest_text = _usd(rest.low) if rest.low == rest.high else f"{_usd(rest.low)}-{_usd(rest.high)} (midpoint)"
    build = catalog.defaults.system_builds.get(cls)
    ram_disk = (f" with {build.ram_gb.value:g} GB RAM and {build.disk_gb.value:g} GB disk" if build is not None else "")
    return SystemPrice(card_usd, rest.mid, total,
                       f"card {_usd(card_usd)} ({card_text}) + rest of a '{cls}' system{ram_disk} {rest_text} "
                       f"({_src(rest)}) = {_usd(total)}",
                       build.ram_gb.value if build is not None else None,
                       build.disk_gb.value if build is not None else None)


# --- the machine around the card: host RAM and disk ----------------------------------------------------------------


@dataclass(frozen=True)
class HostFit:
    """Whether the machine has the host RAM and disk a setting needs (advisor.perf.host), and what missing RAM
    costs [GB, USD]. ``exclusion`` is the one-sentence reason when it cannot run there."""

    needed_ram_gb: float
    machine_ram_gb: float | None
    upgrade_ram_gb: float = 0.0
    upgrade_usd: float = 0.0
    exclusion: str | None = None
    text: str = ""


def _needs_text(est: Any) -> str:
    from advisor.perf import host as H

    weights = max(est.host_ram_gib - H.PROCESS_WORKING_SET_GIB - H.OS_RESERVE_GIB, 0.0)
    what = (f"{weights:.1f} GiB of weights kept in host memory by {est.offload} offload + "
            if weights and est.offload != "none" else
            f"{weights:.1f} GiB the GPU uses of the unified memory + " if weights else "no offloaded weights + ")
    return (f"{what}{H.PROCESS_WORKING_SET_GIB:g} GiB working set + {H.OS_RESERVE_GIB:g} GiB for the OS = "
            f"{est.host_ram_gib:.1f} GiB of host RAM (advisor.perf.host)")


def host_fit(catalog: Catalog, gpu: GPU, est: Any, owned: bool = False,
             owned_ram_gb: float | None = None) -> HostFit:
    """Host RAM and disk check of one estimate (``est.host_ram_gib``, ``est.disk_gb``) on the machine it runs on.

    Owned card: the scenario's ``owned_ram_gb`` [GB], else the RAM of the catalog's build for the card's system class,
    else the catalog's ``owned_host_ram_gb``; too little RAM excludes it
    (the sentence says what it needs and what the upgrade would cost). Bought card: the system build of its class
    (``defaults.system_builds``); too little RAM is bought on top, (next standard size - build RAM) x the sourced
    price per GB of its memory kind, unless the platform cannot take that much (excluded); too little disk excludes.
    Memory is sold in binary sizes (a "64 GB" kit holds 64 GiB, JEDEC), so the RAM sizes [GB as sold] are compared
    with the need in GiB.
    """
    from advisor.perf import host as H

    need_gb = est.host_ram_gib  # [GiB] = the "GB" memory is sold in
    needs = _needs_text(est)
    d = catalog.defaults
    if owned:
        build = d.system_builds.get(gpu.system_class or "")
        if owned_ram_gb is not None:
            ram, where = float(owned_ram_gb), "as you stated"
        elif build is None and getattr(gpu, "host_ram_gib", None):  # a unified-memory machine: its own memory
            ram, where = float(gpu.host_ram_gib), "its unified memory"
        elif build is not None:  # the machine the catalog prices for this card's class, as its stated default
            ram, where = build.ram_gb.value, (f"assumed: the '{gpu.system_class}' build's RAM, {_src(build.ram_gb)}; "
                                              f"state yours with --host-ram-gb")
        elif d.owned_host_ram_gb is not None:
            ram, where = d.owned_host_ram_gb.value, f"{d.owned_host_ram_gb.source}, {d.owned_host_ram_gb.as_of}"
        else:
            return HostFit(need_gb, None, text=f"Needs {needs}; the catalog states no RAM for an owned machine.")
        if need_gb <= ram + 1e-9:
            return HostFit(need_gb, ram, text=f"Needs {needs}; your machine has {ram:g} GB ({where}).")
        size = H.ram_size_for(need_gb)
        return HostFit(need_gb, ram, exclusion=(
            f"Needs {needs}, more than the {ram:g} GB of your machine ({where}): it would swap or fail to load; "
            + (f"{size} GB of RAM would run it (state it with --host-ram-gb)." if size else
               "more than a desktop board takes.")))
    build = d.system_builds.get(gpu.system_class or "")
    unified = getattr(gpu, "host_ram_gib", None)  # a complete system (unified memory): its own memory is the host's
    if build is None and unified:
        ram = float(getattr(unified, "value", unified))
        if need_gb <= ram + 1e-9:
            return HostFit(need_gb, ram, text=f"Needs {needs}; the {gpu.name} has {ram:g} GiB of memory.")
        return HostFit(need_gb, ram, exclusion=f"Needs {needs}, more than the {ram:g} GiB of the {gpu.name}.")
    if build is None:
        return HostFit(need_gb, None, text=f"Needs {needs}; the catalog states no RAM for a "
                                           f"'{gpu.system_class}' machine, so it is not checked.")
    ram = build.ram_gb.value
    if est.disk_gb > build.disk_gb.value:
        return HostFit(need_gb, ram, exclusion=(
            f"Its weights need {est.disk_gb:.0f} GB of disk, more than the {build.disk_gb.value:g} GB of the "
            f"'{gpu.system_class}' build ({_src(build.disk_gb)})."))
    if need_gb <= ram + 1e-9:
        return HostFit(need_gb, ram, text=f"Needs {needs}; the '{gpu.system_class}' build has {ram:g} GB "
                                          f"({_src(build.ram_gb)}).")
    size = H.ram_size_for(need_gb)
    price = d.ram_usd_per_gb.get(build.ram_kind)
    if size is None or size > build.max_ram_gb.value:
        return HostFit(need_gb, ram, exclusion=(
            f"Needs {needs}, more than a '{gpu.system_class}' machine takes ({build.max_ram_gb.value:g} GB, "
            f"{_src(build.max_ram_gb)})."))
    if price is None:
        return HostFit(need_gb, ram, exclusion=(
            f"Needs {needs}, more than the {ram:g} GB of the '{gpu.system_class}' build, and the catalog has no "
            f"sourced {build.ram_kind} price to cost the upgrade."))
    extra = size - ram
    usd = extra * price.value
    return HostFit(need_gb, ram, extra, usd, text=(
        f"Needs {needs}; the '{gpu.system_class}' build has {ram:g} GB ({_src(build.ram_gb)}), so the machine is "
        f"priced with {size} GB: +{extra:g} GB of {build.ram_kind.upper()} x {_usd(price.value)}/GB "
        f"({_src(price)}) = {_usd(usd)}."))


# --- API offers ----------------------------------------------------------------------------------------------------


def api_status_exclusion(api: APIOffer, today: dt.date) -> str | None:
    """Why an offer cannot be ranked: retired, or deprecated with its shutdown date passed; None otherwise."""
    src = f" ({api.status_source}, {api.status_as_of})" if api.status_source else ""
    if api.status == "retired":
        when = f" on {api.shutdown_date}" if api.shutdown_date else ""
        return f"{api.provider} retired {api.model_slug} ({api.slug}){when}{src}; kept in the catalog for history only."
    if api.status == "deprecated" and api.shutdown_date is not None and api.shutdown_date <= today:
        return (f"{api.provider} set {api.model_slug} ({api.slug}) to shut down on {api.shutdown_date}{src}, which "
                f"has passed.")
    return None


def api_status_reason(api: APIOffer) -> str | None:
    """The sentence a deprecated (still usable) offer carries: its shutdown date and source."""
    if api.status != "deprecated":
        return None
    src = f" ({api.status_source}, {api.status_as_of})" if api.status_source else ""
    return (f"Deprecated: {api.provider} shuts {api.model_slug} down on {api.shutdown_date}{src}; plan a migration "
            f"before then.")


def subscription_exclusion(api: APIOffer) -> str:
    """Why a subscription plan (Midjourney) is listed but not ranked per image."""
    s = api.subscription_usd_per_month
    hours = api.fast_gpu_hours_per_month
    h = f", {hours.value:g} fast GPU hours/month ({_src(hours)})" if hours is not None else ""
    return (f"{api.provider} sells {api.model_slug} as a subscription ({api.variant or 'plan'}: "
            f"{_usd(s.value)}/month, {_src(s)}{h}) with no API; images per fast GPU hour are not published, so it "
            f"cannot be costed per image or automated.")


def commercial_caveat(api: APIOffer, commercial: bool) -> str | None:
    """Commercial use asked for but the provider's terms were not verified (commercial_use null)."""
    if not commercial or api.commercial_use is not None:
        return None
    terms = f" ({api.commercial_terms})" if api.commercial_terms else ""
    return (f"Commercial use of {api.provider}'s output is not verified in the catalog{terms}; read the provider's "
            f"terms before relying on it.")


# --- rentals costed as they are billed ------------------------------------------------------------------------------


def weights_gb(pipe: Pipeline, precision: str) -> tuple[float, str]:
    """Weights to load [GB] for ``precision``: the catalog's on-disk size for it, else the bf16 checkpoint (what
    diffusers downloads before quantizing on load), else parameters x 2 bytes (derived)."""
    w = pipe.weights_on_disk_gb
    if precision in w:
        s = w[precision]
        return s.value, f"{s.value:g} GB of {precision} weights ({_src(s)})"
    if "bf16" in w:
        s = w["bf16"]
        extra = f"; no {precision} checkpoint size in the catalog, the bf16 one is loaded" if precision != "bf16" else ""
        return s.value, f"{s.value:g} GB of bf16 weights ({_src(s)}{extra})"
    params = sum(pipe.parameters_by_module().values())
    gb = params * BF16_BYTES_PER_PARAMETER / 1e9
    return gb, (f"{gb:.3g} GB of weights (derived: {params / 1e9:.3g} B parameters (profiles/architectures) x "
                f"{BF16_BYTES_PER_PARAMETER:g} bytes; no size on disk in the catalog)")


@dataclass(frozen=True)
class RentalInputs:
    """Session-billing inputs resolved from the scenario, else the catalog defaults (value, where from)."""

    sessions_per_working_day: tuple[float, str]
    working_days_per_month: tuple[float, str]
    boot_seconds: tuple[float, str]
    volume_read_gb_per_s: tuple[float, str]
    download_gb_per_s: tuple[float, str]
    spot_interruptions_per_hour: tuple[float, str]
    storage: str  # auto | volume | download


_RENTAL_FIELDS = ("sessions_per_working_day", "working_days_per_month", "pod_boot_seconds", "volume_read_gb_per_s",
                  "download_gb_per_s", "spot_interruptions_per_hour")


def rental_inputs(scenario: Any, catalog: Catalog) -> RentalInputs | str:
    """The session-billing inputs, or a sentence naming the catalog default that is missing."""
    d = catalog.defaults
    out = {}
    for name in _RENTAL_FIELDS:
        given = getattr(scenario, name, None)
        if given is not None:
            out[name] = (float(given), "your scenario")
            continue
        s = getattr(d, name, None)
        if s is None:
            return (f"The catalog has no {name} default (profiles/defaults.yaml) and the scenario gives none, so a "
                    f"rental cannot be costed as it is billed.")
        out[name] = (s.value, _short(s))
    return RentalInputs(out["sessions_per_working_day"], out["working_days_per_month"], out["pod_boot_seconds"],
                        out["volume_read_gb_per_s"], out["download_gb_per_s"], out["spot_interruptions_per_hour"],
                        getattr(scenario, "rental_storage", "auto"))


@dataclass(frozen=True)
class SessionPlan:
    """One way to run a rental offer for the month (numbers [s], [GB], [USD])."""

    storage: str  # volume | download
    sessions: float  # [1/month]
    units: int  # instances in parallel per session
    boot_seconds: float
    load_seconds: float
    generation_seconds: float  # per instance per session
    idle_seconds: float  # serverless idle timeout
    redo_seconds: float  # spot: expected redone work per session
    interruptions: float  # spot: expected reclaims per session
    run_seconds: float  # billed run per instance per session (before rounding)
    weights_gb: float
    storage_usd_per_month: float
    texts: dict[str, str]
    #: compile warm-up of the setting, paid at every process start (here: every session) [s]; inside load_seconds
    compile_seconds: float = 0.0

    def session_usd(self, usd_per_hour: float, offer: RentalOffer) -> float:
        """One session's bill, all instances [USD]."""
        return self.units * tco.session_usd(self.run_seconds, usd_per_hour, offer.minimum_billing_seconds,
                                            offer.billing_increment_seconds)

    def monthly_usd(self, usd_per_hour: float, offer: RentalOffer) -> float:
        """Sessions x billed session + storage [USD/month]."""
        return tco.sessions_usd_per_month(self.sessions, self.session_usd(usd_per_hour, offer),
                                          self.storage_usd_per_month)

    def fixed_session_usd(self, usd_per_hour: float) -> float:
        """The part of a session paid whatever the images: boot + load (+ idle timeout), all instances [USD]."""
        return self.units * (self.boot_seconds + self.load_seconds + self.idle_seconds) / tco.SECONDS_PER_HOUR \
            * usd_per_hour

    @property
    def hours_per_month(self) -> float:
        """Billed GPU-hours [h/month] (before rounding)."""
        return self.sessions * self.units * self.run_seconds / tco.SECONDS_PER_HOUR


def session_plan(inputs: RentalInputs, offer: RentalOffer, pipe: Pipeline, precision: str, volume: float,
                 attempts: float, seconds_per_image: float, units: int, storage: str, spot: bool,
                 compile_seconds: float = 0.0) -> SessionPlan:
    """Cost one rental as billed for ``storage`` (volume | download): per session boot + weight load (+ the
    setting's compile warm-up, ``PerfEstimate.compile_seconds``: each session is a new process) + generation
    (+ serverless idle timeout, + spot redo), ``units`` instances, and the monthly storage of the weights."""
    spd, spd_src = inputs.sessions_per_working_day
    wd, wd_src = inputs.working_days_per_month
    sessions = tco.sessions_per_month(volume, spd, wd)
    gb, gb_text = weights_gb(pipe, precision)
    if offer.boot_seconds is not None and inputs.boot_seconds[1] != "your scenario":
        boot, boot_text = offer.boot_seconds.value, f"{offer.boot_seconds.value:g} s boot ({_src(offer.boot_seconds)})"
    else:
        boot, boot_text = inputs.boot_seconds[0], f"{inputs.boot_seconds[0]:g} s boot ({inputs.boot_seconds[1]})"
    if storage == "volume":
        rate = offer.volume_read_gb_per_s.value if offer.volume_read_gb_per_s is not None else inputs.volume_read_gb_per_s[0]
        rate_src = _src(offer.volume_read_gb_per_s) if offer.volume_read_gb_per_s is not None else inputs.volume_read_gb_per_s[1]
        how = f"from a persistent volume at {rate:g} GB/s ({rate_src})"
    else:
        rate, rate_src = inputs.download_gb_per_s
        how = f"downloaded at {rate:g} GB/s ({rate_src})"
    load = tco.weight_load_seconds(gb, rate)
    if offer.serverless and offer.cold_start_seconds is not None:
        boot, load = offer.cold_start_seconds.value, 0.0
        boot_text = f"{boot:g} s cold start incl. model load ({_src(offer.cold_start_seconds)})"
    idle = offer.idle_timeout_seconds.value if (offer.serverless and offer.idle_timeout_seconds is not None) else 0.0
    # the compile warm-up runs after the weights are loaded, in every new process (session or cold start)
    load_text_compile = f" + {compile_seconds:.0f} s to compile (torch.compile warm-up)" if compile_seconds else ""
    load += compile_seconds
    gen = tco.generation_seconds_per_session(volume, sessions, seconds_per_image, attempts) / units
    run = tco.session_seconds(boot, load, gen, idle)
    interruptions = redo = 0.0
    if spot:
        interruptions = tco.spot_interruptions_per_session(run, inputs.spot_interruptions_per_hour[0])
        redo = tco.spot_redo_seconds(interruptions, seconds_per_image, boot + load)
        run += redo
    storage_usd = 0.0
    if storage == "volume":
        price = offer.persistent_storage_usd_per_gb_month
        storage_usd = tco.storage_usd_per_month(gb, price.value)
    texts = {
        "sessions": (f"{sessions:.4g} sessions/month ({spd:g} per working day ({spd_src}) x {wd:g} working days "
                     f"({wd_src}), at most one per image)"),
        "boot": boot_text,
        "load": (f"{load - compile_seconds:.0f} s to load {gb_text} {how}{load_text_compile}" if load > compile_seconds
                 else load_text_compile.lstrip(" +")),
        "gen": (f"{volume / sessions:.3g} images x {attempts:.2f} attempts x {seconds_per_image:.2f} s"
                f"{f' / {units} instances' if units > 1 else ''} = {gen:.1f} s of generation"),
        "idle": (f"{idle:g} s idle timeout ({_src(offer.idle_timeout_seconds)})" if idle else ""),
        "spot": (f"{interruptions:.3g} expected reclaims x ({seconds_per_image / 2:.2f} s half an image + "
                 f"{boot + load:.0f} s restart) = {redo:.1f} s redone ({inputs.spot_interruptions_per_hour[0]:g} "
                 f"reclaims per GPU-hour: {inputs.spot_interruptions_per_hour[1]})" if spot else ""),
        "storage": (f"{gb:.4g} GB x {_usd(offer.persistent_storage_usd_per_gb_month.value)}/GB-month "
                    f"({_src(offer.persistent_storage_usd_per_gb_month)}) = {_usd(storage_usd)}/month to keep the "
                    f"weights" if storage == "volume" else "no storage (weights fetched every session)"),
    }
    return SessionPlan(storage, sessions, units, boot, load, gen, idle, redo, interruptions, run, gb, storage_usd,
                       texts, compile_seconds)


def storage_choices(inputs: RentalInputs, offer: RentalOffer) -> list[str]:
    """Storage options to compare for ``offer``: a volume only where it has a sourced storage price."""
    has_volume = offer.persistent_storage_usd_per_gb_month is not None
    if inputs.storage == "volume":
        return ["volume"] if has_volume else ["download"]
    if inputs.storage == "download":
        return ["download"]
    return ["volume", "download"] if has_volume else ["download"]


def rental_reason(offer: RentalOffer, gpu_name: str, plan: SessionPlan, price: SourcedRange | Sourced,
                  price_kind: str, usd_h: float, monthly: float, low_high: tuple[float, float],
                  alternative: tuple[str, float] | None, inputs: RentalInputs) -> list[str]:
    """The sentences of a rental option: the session bill and its parts, then the fixed costs."""
    t = plan.texts
    parts = " + ".join(x for x in (t["boot"], t["load"], t["gen"], t["idle"], t["spot"]) if x)
    billed = tco.billed_seconds(plan.run_seconds, offer.minimum_billing_seconds, offer.billing_increment_seconds)
    per_session = plan.session_usd(usd_h, offer)
    if isinstance(price, SourcedRange):
        price_text = (f"{_usd(usd_h)}/h, the midpoint of the {price_kind} range {_usd(price.low)}-{_usd(price.high)}/h "
                      f"({_src(price)})")
    else:
        price_text = f"{_usd(usd_h)}/h {price_kind} ({_src(price)})"
    billing = f"billed per {offer.billing_increment_seconds:g} s with a {offer.minimum_billing_seconds:g} s minimum" + (
        f" ({offer.billing_source})" if offer.billing_source else "")
    n = f"{plan.units} x " if plan.units > 1 else ""
    out = [
        f"Renting {n}{gpu_name} on {offer.provider} as it is billed: {t['sessions']}, each {parts} = "
        f"{plan.run_seconds:.0f} s, {billing}: {billed:.0f} s at {price_text} = {_usd(per_session)} per session; "
        f"x {plan.sessions:.4g} sessions + {t['storage']} = {_usd(monthly)}/month (range "
        f"{_usd(low_high[0])}-{_usd(low_high[1])}).",
        f"Fixed costs of this rental: {_usd(plan.fixed_session_usd(usd_h))} per session for boot and weight load"
        f"{' + compile' if plan.compile_seconds else ''} "
        f"({plan.boot_seconds + plan.load_seconds + plan.idle_seconds:.0f} s billed whatever the images), "
        f"{_usd(plan.sessions * plan.fixed_session_usd(usd_h))}/month over {plan.sessions:.4g} sessions, plus "
        f"{_usd(plan.storage_usd_per_month)}/month storage.",
    ]
    if alternative is not None:
        out.append(f"{alternative[0]} instead would cost {_usd(alternative[1])}/month.")
    if offer.egress_note:
        out.append(f"Data transfer: {offer.egress_note}")
    return out

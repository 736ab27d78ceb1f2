"""Sweeps: the engine asked again at other volumes, electricity prices and hardware prices, for the charts.

Everything here *arranges* numbers that come from the engine (:func:`advisor.decide.recommend`) or the catalog; the
only values it makes up are the *inputs* of extra engine calls (other volumes, electricity prices, hardware-price
multipliers). Results are cached per scenario (an LRU keyed by the scenario and the catalog) so that re-rendering a
page does not re-run the engine.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from advisor.catalog import Catalog, load_catalog


def scenario_dict(scenario: Any) -> dict[str, Any]:
    """The scenario as plain JSON-able data (what ``advisor recommend --scenario`` reads back)."""
    if hasattr(scenario, "model_dump"):
        return scenario.model_dump(mode="json", exclude_none=True)
    return json.loads(json.dumps(scenario, default=str))


#: Volumes [images/month] at which the cost-vs-volume chart asks the engine (plus the scenario's own
#: volume and every break-even volume, so the break-even markers sit on the engine's curves).
VOLUME_SWEEP = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000)

#: Electricity prices [USD/kWh] for the sensitivity view (plus the scenario's own price).
ELECTRICITY_SWEEP = (0.05, 0.15, 0.30, 0.45)

#: Multipliers of the scenario volume for the sensitivity view.
VOLUME_FACTORS = (0.1, 1.0, 10.0)

#: Multipliers of every GPU's catalog purchase price for the sensitivity view.
HARDWARE_PRICE_FACTORS = (0.5, 1.0, 1.5)

#: How many options (best first) the volume and sensitivity charts follow.
LEADING = 5

BREAKDOWN_KEYS = ("hardware", "electricity", "license", "api", "rental", "people")  # people: issue 10

def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read ``name`` from a pydantic model / dataclass attribute or a mapping key."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)

@dataclass
class Views:
    """The engine results behind the Recommend page and the report.

    ``result`` is the scenario's own :class:`advisor.decide.Result`; ``volume_results`` maps a volume
    [images/month] to the engine's result at that volume; ``sensitivity`` maps a parameter name to a
    list of (input value, Result). ``leading`` holds the option ids the charts follow (best first).
    """

    scenario: Any
    result: Any
    leading: list[str]
    volume_results: dict[float, Any] = field(default_factory=dict)
    sensitivity: dict[str, list[tuple[float, Any]]] = field(default_factory=dict)
    hardware_gpus: list[str] = field(default_factory=list)

def _with(scenario: Any, **changes: Any) -> Any:
    """A copy of the scenario with fields changed, validated again by the engine's model."""
    from advisor.decide import Scenario

    data = scenario_dict(scenario)
    data.update(changes)
    return Scenario.from_dict(data)

def _price_overrides(catalog: Catalog, gpus: Iterable[str], factor: float, base: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides that scale each GPU's catalog purchase prices by ``factor`` (input, not output)."""
    today = dt.date.today().isoformat()
    src = f"sensitivity view: catalog price x {factor:g}"
    over = json.loads(json.dumps(base or {}, default=str))  # default=str: YAML dates in overrides -> ISO text
    gpu_over = over.setdefault("gpus", {})
    for slug in gpus:
        g = catalog.gpus[slug]
        patch = gpu_over.setdefault(slug, {})
        if g.launch_price_usd is not None:
            patch["launch_price_usd"] = {"value": g.launch_price_usd.value * factor, "source": src, "as_of": today,
                                         "derived": True}
        for name in ("street_price_usd", "used_price_usd"):
            rng = getattr(g, name)
            if rng is not None:
                patch[name] = {"low": rng.low * factor, "high": rng.high * factor, "source": src, "as_of": today}
    return over

def leading_option_ids(result: Any, n: int = LEADING) -> list[str]:
    """The recommended option first, then the best option of each other kind of hardware (your GPU, a
    GPU to buy, a rented GPU, an API), in the engine's order; filled up with the next best options."""
    opts = list(get(result, "options", []))
    ids = [get(o, "id") for o in opts]
    rec = get(get(result, "recommendation"), "option_id")
    out = [rec] if rec in ids else []
    kinds = {get(o, "hardware") for o in opts if get(o, "id") in out}
    for o in opts:
        kind = get(o, "hardware")
        if kind not in kinds and len(out) < n:
            out.append(get(o, "id"))
            kinds.add(kind)
    for i in ids:
        if len(out) >= n:
            break
        if i not in out:
            out.append(i)
    return out

def _leading_catalog(catalog: Catalog, result: Any, leading: list[str], owned: str | None) -> Catalog:
    """The catalog cut down to what the leading options use (their pipelines, GPUs, rental offers, APIs).

    Each option's numbers depend only on its own catalog entries and the scenario, so the engine gives
    the same numbers for these options on this smaller catalog, many times faster (used for the volume
    curves; rankings and recommendations always come from the full catalog).
    """
    by_id = {get(o, "id"): o for o in get(result, "options", [])}
    pipes, gpus, rentals, apis = set(), set(), set(), set()
    for oid in leading:
        o = by_id[oid]
        pipes.add(get(o, "pipeline"))
        if get(o, "gpu"):
            gpus.add(get(o, "gpu"))
        if get(o, "deployment") == "cloud-gpu":
            rentals.add(get(o, "offer"))
        elif get(o, "deployment") == "api":
            apis.add(get(o, "offer"))
    if owned:
        gpus.add(owned)
    return catalog.model_copy(update={
        "pipelines": {k: v for k, v in catalog.pipelines.items() if k in pipes},
        "gpus": {k: v for k, v in catalog.gpus.items() if k in gpus},
        "rentals": {k: v for k, v in catalog.rentals.items() if k in rentals},
        "apis": {k: v for k, v in catalog.apis.items() if k in apis},
    })

#: Engine results kept across calls of :func:`compute_views` (most sweep points do not change when one
#: input changes: e.g. the electricity sweep after a new electricity price, the volume curve after a new
#: volume). Bounded LRU; a full result is about 0.5 MB.
RESULT_CACHE_SIZE = 128

_RESULTS: "collections.OrderedDict[tuple, tuple]" = collections.OrderedDict()

_RESULTS_LOCK = threading.Lock()

_SMALL_CATALOGS: "collections.OrderedDict[tuple, tuple]" = collections.OrderedDict()

def _recommend(scenario: Any, catalog: Catalog, perf_catalog: Catalog | None = None, calibration: Any = None) -> Any:
    """:func:`advisor.decide.recommend` of ``scenario`` on ``catalog``, memoised per (scenario, catalog).

    ``perf_catalog`` (if given) is the catalog the simulator runs on (:func:`_same_perf`). The key is the
    scenario's JSON (every input, overrides included) and the identity of the catalog objects, the same
    rule as the simulator's own cache (:func:`advisor.perf.estimate`): catalogs are not mutated, and a
    reloaded catalog is a new object. The entry holds the catalogs, so their ids are not reused while
    it lives. The result is the engine's, unchanged.
    """
    from advisor.decide import recommend

    key = (json.dumps(scenario_dict(scenario), sort_keys=True), id(catalog), id(perf_catalog), id(calibration))
    with _RESULTS_LOCK:
        hit = _RESULTS.get(key)
        if hit is not None:
            _RESULTS.move_to_end(key)
            return hit[0]
    if perf_catalog is None and calibration is None:
        result = recommend(scenario, catalog)
    else:
        result = recommend(scenario, catalog, estimator=_same_perf(perf_catalog, calibration))
    with _RESULTS_LOCK:
        _RESULTS[key] = (result, catalog, perf_catalog, calibration)
        while len(_RESULTS) > RESULT_CACHE_SIZE:
            _RESULTS.popitem(last=False)
    return result

def _leading_catalog_cached(catalog: Catalog, result: Any, leading: list[str], owned: str | None) -> Catalog:
    """:func:`_leading_catalog`, the same object again for the same cut of the same catalog (so the
    volume curves of the next input change can reuse the engine results of this one)."""
    small = _leading_catalog(catalog, result, leading, owned)
    key = (id(catalog), tuple(sorted(small.pipelines)), tuple(sorted(small.gpus)), tuple(sorted(small.rentals)),
           tuple(sorted(small.apis)))
    with _RESULTS_LOCK:
        hit = _SMALL_CATALOGS.get(key)
        if hit is not None:
            _SMALL_CATALOGS.move_to_end(key)
            return hit[0]
        _SMALL_CATALOGS[key] = (small, catalog)
        while len(_SMALL_CATALOGS) > 32:
            _SMALL_CATALOGS.popitem(last=False)
    return small

#: Views kept per scenario (:func:`compute_views`): a page re-render, a chart switch or an export of the same
#: scenario gets the same object back without asking the engine again. Bounded LRU.
VIEWS_CACHE_SIZE = 16

_VIEWS: "collections.OrderedDict[tuple, tuple]" = collections.OrderedDict()


def compute_views(scenario: Any, catalog: Catalog | None = None, *, sweeps: bool = True,
                  sensitivity: bool = True, calibration: Any = None) -> Views:
    """Call the engine for the scenario and (``sweeps=True``) for the volume and (``sensitivity=True`` too) the
    sensitivity sweeps; the sensitivity sweeps ask the engine on the full catalog several times, so a page that does
    not show them yet can leave them out (``Views.sensitivity`` is then empty).

    Cached per scenario: the key is the scenario's JSON (every input, overrides included), the identity of the
    catalog (not mutated; a reloaded catalog is a new object) and ``sweeps``; callers must not mutate the Views.
    Engine results are memoised across calls too (:func:`_recommend`), so sweep points whose inputs did not
    change since an earlier call are not recomputed.

    ``calibration`` (an :class:`advisor.fit.calibrate.Calibration`, e.g. refitted on the user's uploaded profile)
    is the simulator's calibration for every engine call; None: the committed ``profiles/calibration.yaml``."""
    catalog = catalog or load_catalog()
    key = (json.dumps(scenario_dict(scenario), sort_keys=True), id(catalog), id(calibration), sweeps, sensitivity)
    fuller = key[:4] + (True,)  # views with the sensitivity sweeps serve a request without them too
    with _RESULTS_LOCK:
        for k in (key, fuller):
            hit = _VIEWS.get(k)
            if hit is not None:
                _VIEWS.move_to_end(k)
                return hit[0]
    views = _compute_views(scenario, catalog, sweeps, sensitivity, calibration)
    with _RESULTS_LOCK:
        _VIEWS[key] = (views, catalog, calibration)
        while len(_VIEWS) > VIEWS_CACHE_SIZE:
            _VIEWS.popitem(last=False)
    return views


def _compute_views(scenario: Any, catalog: Catalog, sweeps: bool, sensitivity: bool = True,
                   calibration: Any = None) -> Views:
    """:func:`compute_views` without the cache."""
    cal = calibration
    result = _recommend(scenario, catalog, None, cal)
    views = Views(scenario=scenario, result=result, leading=leading_option_ids(result))
    if not sweeps or not views.leading:
        return views

    # monthly cost vs volume of the leading options: the engine on the catalog cut down to those options
    small = _leading_catalog_cached(catalog, result, views.leading, get(scenario, "gpu_owned"))
    base_volume = float(get(scenario, "volume_images_per_month"))
    volumes = set(VOLUME_SWEEP) | {base_volume}
    for be in get(result, "break_even", []) or []:
        v = get(be, "images_per_month")
        if v is not None and v > 0 and get(be, "a") in views.leading and get(be, "b") in views.leading:
            volumes.add(float(v))
    for v in sorted(volumes):
        views.volume_results[v] = result if v == base_volume else _recommend(
            _with(scenario, volume_images_per_month=_vol(v)), small, catalog, cal)

    if not sensitivity:
        return views

    # sensitivity: full catalog (the recommendation at each value must see every option)
    base_price = float(get(get(result, "assumptions") or {}, "electricity_usd_per_kwh"))  # as the engine resolved it
    prices = sorted(set(ELECTRICITY_SWEEP) | {base_price})
    views.sensitivity["electricity_usd_per_kwh"] = [
        (p, result if p == base_price else _recommend(_with(scenario, electricity_usd_per_kwh=p), catalog, None, cal))
        for p in prices
    ]
    views.sensitivity["volume_images_per_month"] = [
        (f * base_volume, result if f == 1.0 else _recommend(_with(scenario, volume_images_per_month=_vol(f * base_volume)),
                                                             catalog, None, cal))
        for f in VOLUME_FACTORS
    ]
    # hardware purchase price (multiplier of the catalog prices of every GPU an option would buy)
    gpus = sorted({get(o, "gpu") for o in get(result, "options", []) if get(o, "deployment") == "self-host" and get(o, "gpu") in catalog.gpus})
    views.hardware_gpus = gpus
    base_over = get(scenario, "overrides") or {}
    hw = []
    for f in HARDWARE_PRICE_FACTORS:
        if f == 1.0 or not gpus:
            hw.append((f, result))
        else:
            scaled = _with(scenario, overrides=_price_overrides(catalog, gpus, f, base_over))
            # only prices change, so the simulator runs on the scenario's own catalog (and reuses its cache)
            hw.append((f, _recommend(scaled, load_catalog_for(scaled), catalog, cal)))
    views.sensitivity["hardware_price_factor"] = hw
    return views

def batch_hours(views: Views, catalog: Catalog | None = None) -> dict[str, float]:
    """Hours to finish the scenario's batch per option [h]: the engine's ``Option.batch_hours``.

    Options without one (APIs: no sourced throughput; every option when the scenario has no batch) are
    left out. ``catalog`` is unused and kept for callers of the earlier signature.
    """
    out: dict[str, float] = {}
    for o in get(views.result, "options", []) or []:
        h = get(o, "batch_hours")
        if h is not None:
            out[get(o, "id")] = h
    return out

def load_scenario_text(text: str, file: str = "<scenario>") -> Any:
    """Parse a scenario YAML document with the engine's loader (:func:`advisor.decide.load_scenario_text`)."""
    from advisor.decide import load_scenario_text as _load

    return _load(text, file)

def load_scenario_file(path: str | Path) -> Any:
    """The scenario in ``path``, read exactly as ``advisor recommend --scenario`` reads it."""
    from advisor.decide import load_scenario

    return load_scenario(path)


def _same_perf(catalog: Catalog | None, calibration: Any = None):
    """An engine estimator that runs the simulator on ``catalog`` (None: the catalog being priced) with
    ``calibration`` (None: the committed one)."""
    from advisor.perf import estimate

    def estimator(req: Any, priced_catalog: Catalog) -> Any:
        return estimate(req, catalog if catalog is not None else priced_catalog, calibration=calibration)

    return estimator

def _vol(v: float) -> int | float:
    return int(round(v)) if float(v).is_integer() or v >= 1 else v

def load_catalog_for(scenario: Any) -> Catalog:
    """The catalog with the scenario's overrides applied (the same catalog ``recommend`` would build).

    Catalogs with overrides are cached per overrides (JSON text) so repeated sweeps reuse both the
    catalog and the simulator's per-catalog cache; the YAML files are read once per process.
    """
    overrides = get(scenario, "overrides") or None
    if not overrides:
        return load_catalog()
    return _catalog_with_overrides(json.dumps(overrides, sort_keys=True, default=str))

@functools.lru_cache(maxsize=1)
def _raw_catalog() -> dict[str, Any]:
    from advisor.catalog import read_raw

    return read_raw()

@functools.lru_cache(maxsize=32)
def _catalog_with_overrides(overrides_json: str) -> Catalog:
    from advisor.catalog import PROFILES_DIR, build_catalog

    return build_catalog(_raw_catalog(), str(PROFILES_DIR), json.loads(overrides_json))

"""Typed, validated, sourced catalog: GPUs, pipelines, APIs, cloud rentals and system defaults.

The only reader of ``profiles/*.yaml``. Every number is a :class:`Sourced` value (or
:class:`SourcedRange`) carrying its ``source`` and ``as_of`` date. Unknown keys are rejected and
errors name the file, the entry and the field (:class:`advisor.errors.CatalogError`).

Public API: ``load_catalog(root=None) -> Catalog`` (cached per root), ``Catalog.gpu(slug)``,
``Catalog.pipeline(slug)``, ``Catalog.api(slug)``, ``Catalog.rentals_for(gpu_slug)``,
``Catalog.with_overrides(dict)``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from advisor.catalog.physical import PhysicalError, check_entry
from advisor.errors import AdvisorError, CatalogError, InputError, UnknownSlugError
from advisor.catalog.quality import QualityBook, build_quality, read_quality_raw  # noqa: E402  (issue 10)
from advisor.catalog.optimizations import OptimizationBook, build_optimizations, read_optimizations_raw  # noqa: E402  (issue 12)

#: the repository root (the checkout that holds ``profiles/``)
REPO_ROOT = Path(__file__).resolve().parents[2]
#: the one folder the catalog reads (every other module takes paths from here)
PROFILES_DIR = REPO_ROOT / "profiles"
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9.]+)*$")


from advisor.catalog.base import Strict, walk  # noqa: E402  (the one strict base model; re-exported)


from advisor.catalog.sourced import (  # noqa: E402,F401  (180 days; a card's street/used price 90)
    CARD_PRICE_STALE_AFTER_DAYS, STALE_AFTER_DAYS, Sourced, SourcedRange,
)
from advisor.catalog.hardware import (  # noqa: E402,F401  (re-exported: the catalog's public names)
    BACKEND_OF_ARCHITECTURE, GPU, REQUIRED_TENSOR_KEYS, Architecture, Backend, RentalOffer, TensorKey,
)


CommercialUse = Literal["allowed", "paid-license", "forbidden"]
Capability = Literal["chinese-text", "multi-reference", "text-rendering", "image-editing"]


class License(Strict):
    name: str
    commercial_use: CommercialUse
    fee_usd_per_month: Sourced | None = None  # when commercial_use == paid-license and priced publicly
    fee_note: str  # how it is priced, or that it is by quote
    source: str = Field(min_length=3)
    as_of: dt.date


class CapabilityEvidence(Strict):
    capability: Capability
    evidence: str
    source: str = Field(min_length=3)
    as_of: dt.date


class StudioSettings(Strict):
    """The steps (and guidance) studios run a pipeline at, with where that comes from (model-card trade-off,
    ComfyUI template): the simulator's default call; ``Pipeline.default_steps`` (the library's call) is the
    alternative preset (advisor.perf.settings)."""

    steps: int = Field(gt=0, le=1000)  # scheduler steps (num_inference_steps)
    guidance: float | None = Field(default=None, ge=0)  # None: the pipeline's default_guidance
    source: str = Field(min_length=3)
    as_of: dt.date
    note: str | None = None


class Pipeline(Strict):
    slug: str
    name: str
    family: str
    default_steps: int = Field(gt=0)  # scheduler steps (num_inference_steps)
    transformer_evals_per_step: float = Field(gt=0)  # 1, or 2 with real CFG
    transformer_evals_note: str | None = None  # e.g. Z-Image Turbo: 9 scheduler steps = 8 evaluations
    default_guidance: float = Field(ge=0)
    guidance_kind: Literal["none", "embedded", "cfg"]
    guidance_distilled: bool
    license: License
    capabilities: list[CapabilityEvidence] = []
    quality_elo: Sourced | None = None
    default_precision: Literal["bf16", "fp16", "fp8", "int8", "nf4", "fp32"] = "bf16"
    #: size of the full pipeline's weights on disk per precision (transformer + text encoders + VAE) [GB, 1e9 bytes]
    weights_on_disk_gb: dict[Literal["bf16", "fp8"], Sourced] = {}
    #: the steps and guidance studios run (None: the library call, ``default_steps``, is all the catalog knows)
    studio_settings: StudioSettings | None = None
    #: an editing pipeline: every call edits an input image (FLUX.1 Kontext, Qwen-Image-Edit), so it is no answer to
    #: a text-to-image workload (advisor.decide.rules.edit_only_rule)
    requires_input_image: bool = False

    def parameters_by_module(self) -> dict[str, int]:
        """Parameters per pipeline module (transformer, text_encoder[_2], vae) [count]: from the pipeline's
        architecture (``profiles/architectures/<slug>.yaml``, generated from the real diffusers / transformers
        classes on the meta device), the one source of parameter counts."""
        from advisor.catalog.architecture import load_architecture

        return load_architecture(self.slug).module_param_counts()

    @property
    def has_weights(self) -> bool:
        """Whether there are weights to self-host: an architecture (``profiles/architectures``) or a size on disk."""
        from advisor.catalog.architecture import available_architectures

        return bool(self.weights_on_disk_gb) or self.slug in available_architectures()



PricingKind = Literal["first-mp-plus-additional", "per-megapixel", "per-image", "subscription"]
OfferStatus = Literal["active", "deprecated", "retired"]
Rounding = Literal["none", "ceil-mp"]


class APIOffer(Strict):
    slug: str
    provider: str
    #: pipeline slug when the offer serves open weights that are in the catalog; None for API-only models
    pipeline: str | None = None
    #: the model served (quality figures are keyed by model); None = the pipeline's own model (same slug)
    model: str | None = None
    variant: str | None = None  # e.g. 'pro', 'flex', 'max' for FLUX.2 API-only models
    pricing: PricingKind
    first_mp_usd: Sourced | None = None
    additional_mp_usd: Sourced | None = None
    per_mp_usd: Sourced | None = None
    per_image_usd: Sourced | None = None
    input_mp_usd: Sourced | None = None  # per input (reference) megapixel
    rounding: Rounding = "none"
    max_mp: float | None = None
    commercial_use: bool | None = True  # None = the provider's terms were not verified
    commercial_terms: str | None = None
    status: OfferStatus = "active"  # retired offers stay for history and are never ranked
    status_source: str | None = None
    status_as_of: dt.date | None = None
    shutdown_date: dt.date | None = None  # deprecated: the announced date; retired: the date it stopped
    rate_limit_note: str | None = None
    latency_seconds_per_image: Sourced | None = None  # published typical latency [s]
    subscription_usd_per_month: Sourced | None = None  # pricing 'subscription' (e.g. Midjourney plans) [USD/month]
    fast_gpu_hours_per_month: Sourced | None = None  # subscription: fast GPU time included [h/month]
    notes: str | None = None

    @property
    def model_slug(self) -> str:
        """The model this offer serves (``model``, else the pipeline slug)."""
        return self.model or self.pipeline

    @model_validator(mode="after")
    def _fields_for_kind(self) -> "APIOffer":
        need = {
            "first-mp-plus-additional": ("first_mp_usd", "additional_mp_usd"),
            "per-megapixel": ("per_mp_usd",),
            "per-image": ("per_image_usd",),
            "subscription": ("subscription_usd_per_month",),
        }[self.pricing]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"pricing '{self.pricing}' needs {', '.join(missing)}")
        if self.pipeline is None and self.model is None:
            raise ValueError("an offer needs a pipeline (open weights) or a model (API-only)")
        if self.status == "deprecated" and self.shutdown_date is None:
            raise ValueError("a deprecated offer needs its shutdown_date")
        return self


class PeopleFigure(Sourced):
    """One people's-time assumption (unit in its key's name) with the ``low``..``high`` range risk sampling draws
    from; ``low <= value <= high``, all >= 0."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> "PeopleFigure":
        if not (0 <= self.low <= self.value <= self.high):
            raise ValueError(f"needs 0 <= low <= value <= high, got {self.low}, {self.value}, {self.high}")
        return self


class SystemBuild(Strict):
    """The machine a GPU of one system class goes into: its RAM and disk, and how far its RAM can grow
    (advisor.decide.market.host_fit)."""

    ram_gb: Sourced  # system RAM of the build [GB as sold: binary, a "64 GB" kit holds 64 GiB]
    disk_gb: Sourced  # storage of the build [GB]
    max_ram_gb: Sourced  # the most RAM its platform takes [GB as sold]
    ram_kind: Literal["ddr4", "ddr5"]  # which memory an upgrade buys (Defaults.ram_usd_per_gb)


class Defaults(Strict):
    rest_of_system_watts: Sourced  # CPU, board, fans, PSU losses while generating [W]
    rest_of_system_idle_watts: Sourced
    electricity_usd_per_kwh: Sourced
    amortization_months: Sourced
    resale_fraction: Sourced  # resale value as a fraction of purchase price at end of amortization
    failure_rate: Sourced  # fraction of generations retried
    rental_utilization: Sourced  # fraction of billed rental time spent generating
    powered_on_hours_per_day: Sourced  # for owned hardware idle energy
    too_close_fraction: Sourced  # fallback relative band when no validation uncertainty is known
    # rentals billed per working session (None in an old catalog: the engine then says what it cannot cost)
    sessions_per_working_day: Sourced | None = None  # pod start-ups per working day [1/day]
    working_days_per_month: Sourced | None = None  # [d/month]
    pod_boot_seconds: Sourced | None = None  # default boot time when an offer has none [s]
    volume_read_gb_per_s: Sourced | None = None  # default persistent-volume read rate [GB/s]
    download_gb_per_s: Sourced | None = None  # default download rate of weights into a fresh pod [GB/s]
    spot_interruptions_per_hour: Sourced | None = None  # default reclaim rate of spot/interruptible GPUs [1/h]
    #: cost of the rest of a working machine (CPU, board, RAM, PSU, case, storage) per GPU.system_class [USD]
    rest_of_system_usd: dict[str, SourcedRange] = {}
    #: RAM and disk of the build behind each rest_of_system_usd entry (per GPU.system_class)
    system_builds: dict[str, SystemBuild] = {}
    #: what more memory costs, per kind (ddr4, ddr5) [USD/GB]
    ram_usd_per_gb: dict[str, Sourced] = {}
    #: host RAM assumed for a GPU the studio already owns when the scenario does not say [GB]
    owned_host_ram_gb: Sourced | None = None
    #: people's time per deployment kind (advisor.cost.people): scenario field name -> value with a low..high range
    people_time: dict[str, "PeopleFigure"] = {}
    #: holding an owned card (advisor.cost.tco.holding_usd_per_month): the used price's decline [fraction/month]
    #: and the cost of capital tied up in its resale value [fraction/year]
    used_price_decline_per_month: Sourced | None = None
    cost_of_capital_per_year: Sourced | None = None
    #: what selling a used card costs as a fraction of its price (marketplace fee): an owned card's resale value and
    #: a used bought card's end-of-life resale are what the seller receives
    selling_fee_fraction: Sourced | None = None


class Tariff(Strict):
    """Electricity price of a region, in its currency and converted to USD at a dated rate."""

    slug: str
    name: str
    currency: str
    kind: Literal["commercial", "business", "residential"]
    price_per_kwh: Sourced  # [local currency/kWh]
    usd_per_kwh: Sourced  # [USD/kWh] (derived with the rate in currencies when not USD)
    notes: str | None = None


class Currency(Strict):
    """Units of ``code`` per 1 USD at a dated rate (e.g. EUR 0.8573)."""

    code: Literal["USD", "EUR", "GBP", "JPY", "CNY", "INR"]
    per_usd: Sourced
    notes: str | None = None


PriceSection = Literal["gpus", "rentals", "apis", "defaults"]


class PriceOverride(Strict):
    """A studio's own quote for one catalog price (``advisor prices import``); shown as "your price"."""

    section: PriceSection
    entry: str  # slug (``defaults`` for the defaults section)
    field: str  # a sourced price field of that entry (see PRICE_FIELDS)
    value: float | None = None  # for a single-value field
    low: float | None = None  # for a range field (street price, rental $/h)
    high: float | None = None
    source: str = Field(min_length=3)
    as_of: dt.date
    note: str | None = None

    @model_validator(mode="after")
    def _plausible(self) -> "PriceOverride":
        """Plausible bounds and clean text (advisor.catalog.price_bounds), also for a stored override read back."""
        from advisor.catalog import price_bounds as pb

        for key in ("value", "low", "high"):
            if getattr(self, key) is not None:
                pb.check_value(key, self.field, getattr(self, key), self.note)
        pb.check_text("source", self.source, pb.MAX_SOURCE_CHARS)
        if self.note is not None:
            pb.check_text("note", self.note, pb.MAX_NOTE_CHARS)
        return self


#: price fields a studio may override, per section: field -> "value" (Sourced) or "range" (SourcedRange)
PRICE_FIELDS: dict[str, dict[str, str]] = {
    "gpus": {"street_price_usd": "range", "used_price_usd": "range", "launch_price_usd": "value"},
    "rentals": {"on_demand_usd_per_hour": "range", "spot_usd_per_hour": "range",
                "persistent_storage_usd_per_gb_month": "value"},
    "apis": {"per_image_usd": "value", "per_mp_usd": "value", "first_mp_usd": "value", "additional_mp_usd": "value",
             "input_mp_usd": "value", "subscription_usd_per_month": "value"},
    "defaults": {"electricity_usd_per_kwh": "value"},
}


class ModelInfo(Strict):
    """An image model as people name it (``profiles/models.yaml``): API-only models; pipelines name themselves."""

    slug: str
    name: str
    maker: str
    open_weights: bool
    source: str = Field(min_length=3)
    #: what the model is shown to do, with a public source: the same evidence a pipeline lists, so a need such as
    #: chinese-text is judged by one rule on every route (advisor.decide.rules.capability_rule)
    capabilities: list[CapabilityEvidence] = []


class Catalog(Strict):
    gpus: dict[str, GPU]
    pipelines: dict[str, Pipeline]
    apis: dict[str, APIOffer]
    rentals: dict[str, RentalOffer]
    defaults: Defaults
    root: str
    tariffs: dict[str, Tariff] = {}  # electricity by region (profiles/tariffs.yaml)
    currencies: dict[str, Currency] = {}  # units per USD (profiles/tariffs.yaml)
    #: quality scales, figures, head-to-head results and keep rates (profiles/quality.yaml, keep_rates.yaml)
    quality: QualityBook = QualityBook()
    #: named inference optimizations and compute capabilities (profiles/optimizations.yaml, issue 12)
    optimizations: OptimizationBook = OptimizationBook()
    #: names of the models served only through APIs (profiles/models.yaml)
    models: dict[str, ModelInfo] = {}

    def model_name(self, slug: str) -> str:
        """The name people know a model by: the pipeline's name, else ``models.yaml``'s, else the slug."""
        if slug in self.pipelines:
            return self.pipelines[slug].name
        if slug in self.models:
            return self.models[slug].name
        return slug

    def gpu(self, slug: str) -> GPU:
        if slug not in self.gpus:
            raise UnknownSlugError("gpu", slug, self.gpus)
        return self.gpus[slug]

    def pipeline(self, slug: str) -> Pipeline:
        if slug not in self.pipelines:
            raise UnknownSlugError("pipeline", slug, self.pipelines)
        return self.pipelines[slug]

    def api(self, slug: str) -> APIOffer:
        if slug not in self.apis:
            raise UnknownSlugError("api", slug, self.apis)
        return self.apis[slug]

    def rentals_for(self, gpu_slug: str) -> list[RentalOffer]:
        return [r for r in self.rentals.values() if r.gpu == gpu_slug]


_FILES = {
    "gpus": ("gpus.yaml", GPU),
    "pipelines": ("pipelines.yaml", Pipeline),
    "apis": ("apis.yaml", APIOffer),
    "rentals": ("rentals.yaml", RentalOffer),
    "models": ("models.yaml", ModelInfo),
}
#: catalog files that may be absent (a catalog without them is still complete)
_OPTIONAL_FILES = frozenset({"models"})


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    msg = err["msg"]
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (not allowed)"
    elif err.get("type") == "missing":
        msg = "required field is missing"
    return field, f"{msg} (got {err.get('input')!r})" if err.get("type") not in ("missing", "extra_forbidden") else msg


def _read_yaml(path: Path, expect: type = list) -> Any:
    """One catalog file through the hardened reader (:mod:`advisor.catalog.yaml_reader`): size, depth, alias
    expansion, duplicate keys and binary content refused; an empty file or the wrong top-level type too."""
    from advisor.catalog.yaml_reader import read_yaml_file

    return read_yaml_file(path, expect=expect)


def parse_entries(path: Path, data: Any, model: type[Strict]) -> dict[str, Any]:
    """Validate a YAML list of entries (each a mapping with a unique ``slug``) into ``{slug: model}``."""
    if not isinstance(data, list):
        raise CatalogError(str(path), None, None, "expected a list of entries at the top level")
    out: dict[str, Any] = {}
    for i, raw in enumerate(data):
        entry = raw.get("slug", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        if not isinstance(raw, dict):
            raise CatalogError(str(path), entry, None, "entry must be a mapping")
        try:
            obj = model.model_validate(raw)
        except ValidationError as exc:
            field, msg = _first_error(exc)
            raise CatalogError(str(path), str(entry), field, msg) from None
        check_entry(obj, str(path), str(entry))  # physical validation (advisor.catalog.physical)
        if not SLUG_RE.match(obj.slug):
            raise CatalogError(str(path), obj.slug, "slug", "must be lower-case words joined by hyphens")
        if obj.slug in out:
            raise CatalogError(str(path), obj.slug, "slug", "duplicate slug")
        out[obj.slug] = obj
    return out


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for k, v in over.items():
            merged[k] = _deep_merge(base.get(k), v) if k in base else v
        return merged
    return over


def _override_error(exc: CatalogError, section: str, over: Any) -> AdvisorError:
    """A catalog error in an entry the scenario overrides: the scenario's one-line InputError naming the
    override (``overrides.<section>.<slug>.<field>``), the value and what is allowed; else ``exc`` unchanged."""
    if not over or (section != "defaults" and exc.entry not in over):
        return exc
    if section == "defaults" and exc.field and exc.field.split(".")[0] not in over:
        return exc
    where = "overrides.defaults" if section == "defaults" else f"overrides.{section}.{exc.entry}"
    if isinstance(exc, PhysicalError):
        return InputError(f"{where}.{exc.field}", exc.value, exc.allowed)
    return InputError(f"{where}.{exc.field}" if exc.field else where, "(see allowed)", exc.problem)


def build_catalog(raw: dict[str, Any], root: str, overrides: dict[str, Any] | None = None) -> Catalog:
    """Validate raw YAML data ``{'gpus': [...], 'pipelines': [...], ..., 'defaults': {...}}`` into a Catalog.

    ``overrides`` maps section -> slug -> partial entry (or ``defaults`` -> partial mapping); an
    override of a number must carry its own ``source`` and ``as_of`` like any catalog number.
    """
    overrides = overrides or {}
    sections: dict[str, Any] = {}
    for key, (fname, model) in _FILES.items():
        entries = raw.get(key, []) if key in _OPTIONAL_FILES else raw[key]
        over = overrides.get(key) or {}
        if not isinstance(over, dict):
            raise CatalogError("scenario overrides", key, None, "expected a mapping of slug -> fields")
        by_slug = {e.get("slug"): e for e in entries if isinstance(e, dict)}
        for slug, patch in over.items():
            if slug not in by_slug:
                raise UnknownSlugError(f"overrides.{key}", slug, by_slug)
            by_slug[slug] = _deep_merge(by_slug[slug], patch)
        entries = [by_slug.get(e.get("slug"), e) if isinstance(e, dict) else e for e in entries]
        try:
            sections[key] = parse_entries(Path(root) / fname if over == {} else Path(f"{root}/{fname} (+ scenario overrides)"), entries, model)
        except CatalogError as exc:
            raise _override_error(exc, key, over) from None
    defaults_raw = _deep_merge(raw["defaults"], overrides.get("defaults") or {})
    try:
        defaults = Defaults.model_validate(defaults_raw)
        check_entry(defaults, f"{root}/defaults.yaml", "defaults")
    except ValidationError as exc:
        field, msg = _first_error(exc)
        err = CatalogError(f"{root}/defaults.yaml", "defaults", field, msg)
        raise _override_error(err, "defaults", overrides.get("defaults")) from None
    except CatalogError as exc:
        raise _override_error(exc, "defaults", overrides.get("defaults")) from None
    tariffs, currencies = _parse_tariffs(raw.get("tariffs"), root)
    cat = Catalog(defaults=defaults, root=str(root), tariffs=tariffs, currencies=currencies,
                  quality=build_quality(raw.get("quality_book")),
                  optimizations=build_optimizations(raw.get("optimizations_book"), root), **sections)
    for r in cat.rentals.values():
        if r.gpu not in cat.gpus:
            raise CatalogError(f"{root}/rentals.yaml", r.slug, "gpu", f"unknown GPU slug {r.gpu!r}")
    for a in cat.apis.values():
        if a.pipeline is not None and a.pipeline not in cat.pipelines:
            raise CatalogError(f"{root}/apis.yaml", a.slug, "pipeline", f"unknown pipeline slug {a.pipeline!r}")
    return cat


def read_raw(root: Path | str | None = None) -> dict[str, Any]:
    """Read the raw YAML data of every catalog file under ``root`` (default: the package's profiles/)."""
    root = Path(root) if root is not None else PROFILES_DIR
    raw = {key: _read_yaml(root / fname) for key, (fname, _) in _FILES.items()
           if key not in _OPTIONAL_FILES or (root / fname).exists()}
    raw["defaults"] = _read_yaml(root / "defaults.yaml", dict)
    raw["quality_book"] = read_quality_raw(root)
    raw["optimizations_book"] = read_optimizations_raw(root)  # issue 12
    if (root / "tariffs.yaml").exists():
        raw["tariffs"] = _read_yaml(root / "tariffs.yaml", dict)
    return raw


def _parse_tariffs(data: Any, root: str) -> tuple[dict[str, "Tariff"], dict[str, "Currency"]]:
    """``tariffs.yaml`` = ``{regions: [Tariff...], currencies: [Currency...]}``; absent file -> empty."""
    if data is None:
        return {}, {}
    path = f"{root}/tariffs.yaml"
    if not isinstance(data, dict):
        raise CatalogError(path, None, None, "expected a mapping with 'regions' and 'currencies'")
    extra = set(data) - {"regions", "currencies"}
    if extra:
        raise CatalogError(path, None, sorted(extra)[0], "unknown key (not allowed)")
    regions = parse_entries(Path(path), data.get("regions") or [], Tariff)
    currencies: dict[str, Currency] = {}
    for i, raw in enumerate(data.get("currencies") or []):
        try:
            cur = Currency.model_validate(raw)
        except ValidationError as exc:
            field, msg = _first_error(exc)
            raise CatalogError(path, f"currencies[{i}]", field, msg) from None
        currencies[cur.code] = cur
    return regions, currencies


#: where ``advisor prices import`` keeps a studio's own prices (applied by :func:`load_catalog`)
PRICE_OVERRIDES_FILE = Path("overrides") / "prices.yaml"


def price_overrides_to_dict(prices: list["PriceOverride"]) -> dict[str, Any]:
    """Catalog overrides (``section -> slug -> {field: sourced}``) from a studio's prices; every source is
    prefixed ``your price:`` so that reasons quoting it say whose number it is."""
    out: dict[str, Any] = {}
    for p in prices:
        num: dict[str, Any] = {"source": f"your price: {p.source}", "as_of": p.as_of.isoformat()}
        if p.note:
            num["note"] = p.note
        if PRICE_FIELDS[p.section][p.field] == "range":
            num.update(low=p.low, high=p.high)
        else:
            num["value"] = p.value
        if p.section == "defaults":
            out.setdefault("defaults", {})[p.field] = num
        else:
            out.setdefault(p.section, {}).setdefault(p.entry, {})[p.field] = num
    return out


def read_price_overrides(path: Path | str) -> list["PriceOverride"]:
    """The studio's prices kept in ``path`` (a YAML list of :class:`PriceOverride`); [] when absent."""
    path = Path(path)
    if not path.exists():
        return []
    data = _read_yaml(path, list)
    out = []
    for i, raw in enumerate(data):
        try:
            out.append(PriceOverride.model_validate(raw))
        except ValidationError as exc:
            field, msg = _first_error(exc)
            bound = (exc.errors()[0].get("ctx") or {}).get("error")
            if isinstance(bound, InputError):  # a plausible-bound check (price_bounds): its own one line
                field, msg = None, str(bound)
            raise CatalogError(str(path), f"#{i + 1}", field, f"{msg}; fix or delete this entry (or import a "
                               f"corrected quote)") from None
    return out


def _price_overrides(root: Path | str) -> dict[str, Any]:
    return price_overrides_to_dict(read_price_overrides(Path(root) / PRICE_OVERRIDES_FILE))


@functools.lru_cache(maxsize=8)
def _load_cached(root: str) -> Catalog:
    return build_catalog(read_raw(root), root, _price_overrides(root) or None)


def load_catalog(root: Path | str | None = None) -> Catalog:
    """Load and validate the catalog under ``root`` (default ``profiles/``); cached per root."""
    root = Path(root) if root is not None else PROFILES_DIR
    return _load_cached(str(root))


def load_catalog_with_overrides(overrides: dict[str, Any] | None, root: Path | str | None = None) -> Catalog:
    """Load the catalog and apply scenario overrides (not cached)."""
    if not overrides:
        return load_catalog(root)
    root = Path(root) if root is not None else PROFILES_DIR
    return build_catalog(read_raw(root), str(root), _deep_merge(_price_overrides(root), overrides))


# --- helpers for listing and exporting sourced numbers -------------------------------------------------------------

def iter_sourced(obj: Any, prefix: str = ""):
    """Yield ``(dotted_field_path, Sourced | SourcedRange)`` for every sourced number inside ``obj``.

    Walks pydantic models, dicts and lists depth-first in field order; ``prefix`` is prepended to each path.
    """
    yield from walk(obj, lambda o: isinstance(o, (Sourced, SourcedRange)), prefix)


def to_json_dict(obj: Any, today: dt.date | None = None, days: int = STALE_AFTER_DAYS) -> Any:
    """JSON-ready form of a catalog object; every mapping with an ``as_of`` date gains ``stale`` (bool).

    ``stale`` is True when ``as_of`` is more than ``days`` days before ``today`` (default: the real today); a card's
    street or used price range uses its own shorter threshold (:data:`CARD_PRICE_STALE_AFTER_DAYS`) when shorter.
    """
    today = today or dt.date.today()
    if isinstance(obj, BaseModel):
        out = {name: to_json_dict(getattr(obj, name), today, days) for name in type(obj).model_fields}
        as_of = getattr(obj, "as_of", None)
        if isinstance(as_of, dt.date):
            limit = min(days, obj.stale_after_days) if isinstance(obj, SourcedRange) else days
            out["stale"] = (today - as_of).days > limit
        return out
    if isinstance(obj, dict):
        return {str(k): to_json_dict(v, today, days) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_dict(v, today, days) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj

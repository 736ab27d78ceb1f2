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
import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from advisor.errors import CatalogError, UnknownSlugError

#: the repository root (the checkout that holds ``profiles/``)
REPO_ROOT = Path(__file__).resolve().parents[2]
#: the one folder the catalog reads (every other module takes paths from here)
PROFILES_DIR = REPO_ROOT / "profiles"
STALE_AFTER_DAYS = 180
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9.]+)*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    """One number with its provenance."""

    value: float
    source: str = Field(min_length=3)
    as_of: dt.date
    derived: bool = False  # computed by arithmetic from other sourced figures (say how in ``note``)
    note: str | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    def is_stale(self, today: dt.date | None = None, days: int = STALE_AFTER_DAYS) -> bool:
        """True when ``as_of`` is older than ``days`` days before ``today``."""
        today = today or dt.date.today()
        return (today - self.as_of).days > days


class SourcedRange(Strict):
    """A range of values (e.g. street prices, rental offers) with its provenance."""

    low: float
    high: float
    source: str = Field(min_length=3)
    as_of: dt.date
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "SourcedRange":
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite")
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    @property
    def mid(self) -> float:
        return 0.5 * (self.low + self.high)

    def is_stale(self, today: dt.date | None = None, days: int = STALE_AFTER_DAYS) -> bool:
        today = today or dt.date.today()
        return (today - self.as_of).days > days


Architecture = Literal["ampere", "ada", "hopper", "blackwell", "cpu"]
# Keys of GPU.tensor_tflops (dense rates; 'acc' = accumulate precision)
TensorKey = Literal[
    "bf16_fp32acc",
    "fp16_fp32acc",
    "fp16_fp16acc",
    "fp8_fp32acc",
    "fp8_fp16acc",
    "int8_tops",
    "fp4",
    "fp32",  # non-tensor FP32 (CUDA cores)
    "tf32",
]


class GPU(Strict):
    slug: str
    name: str
    architecture: Architecture
    vram_gib: Sourced  # usable VRAM [GiB]
    memory_bandwidth_gb_per_s: Sourced  # [GB/s, 1e9]
    tensor_tflops: dict[TensorKey, Sourced]  # dense [TFLOP/s, 1e12]
    pcie_gen: Sourced
    pcie_lanes: Sourced
    board_power_watts: Sourced
    idle_power_watts: Sourced
    launch_price_usd: Sourced | None = None
    street_price_usd: SourcedRange | None = None
    used_price_usd: SourcedRange | None = None
    notes: str | None = None

    @property
    def pcie_gb_per_s(self) -> float:
        """Theoretical one-direction PCIe bandwidth [GB/s]: per-lane rate x lanes (PCI-SIG: gen3 0.985, gen4 1.969, gen5 3.938 GB/s per lane)."""
        per_lane = {3: 0.985, 4: 1.969, 5: 3.938}[int(self.pcie_gen.value)]
        return per_lane * self.pcie_lanes.value


ComponentRole = Literal["transformer", "text_encoder", "text_encoder_2", "vae"]
CommercialUse = Literal["allowed", "paid-license", "forbidden"]
Capability = Literal["chinese-text", "multi-reference", "text-rendering", "image-editing"]


class Component(Strict):
    class_name: str
    parameters: Sourced  # count of parameters


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


class Pipeline(Strict):
    slug: str
    name: str
    family: str
    diffusers_pipeline_class: str
    components: dict[ComponentRole, Component]
    default_steps: int = Field(gt=0)  # scheduler steps (num_inference_steps)
    transformer_evals_per_step: float = Field(gt=0)  # 1, or 2 with real CFG
    transformer_evals_note: str | None = None  # e.g. Z-Image Turbo: 9 scheduler steps = 8 evaluations
    default_guidance: float = Field(ge=0)
    guidance_kind: Literal["none", "embedded", "cfg"]
    guidance_distilled: bool
    max_sequence_length: int = Field(gt=0)
    text_padded: bool  # FLUX.2 feeds all padded text tokens; Z-Image strips padding
    license: License
    capabilities: list[CapabilityEvidence] = []
    quality_elo: Sourced | None = None
    default_precision: Literal["bf16", "fp16", "fp8", "int8", "nf4", "fp32"] = "bf16"


PricingKind = Literal["first-mp-plus-additional", "per-megapixel", "per-image"]
Rounding = Literal["none", "ceil-mp"]


class APIOffer(Strict):
    slug: str
    provider: str
    pipeline: str  # pipeline slug (the model served)
    variant: str | None = None  # e.g. 'pro', 'flex', 'max' for FLUX.2 API-only models
    pricing: PricingKind
    first_mp_usd: Sourced | None = None
    additional_mp_usd: Sourced | None = None
    per_mp_usd: Sourced | None = None
    per_image_usd: Sourced | None = None
    input_mp_usd: Sourced | None = None  # per input (reference) megapixel
    rounding: Rounding = "none"
    max_mp: float | None = None
    commercial_use: bool = True
    notes: str | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> "APIOffer":
        need = {
            "first-mp-plus-additional": ("first_mp_usd", "additional_mp_usd"),
            "per-megapixel": ("per_mp_usd",),
            "per-image": ("per_image_usd",),
        }[self.pricing]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"pricing '{self.pricing}' needs {', '.join(missing)}")
        return self


class RentalOffer(Strict):
    slug: str
    gpu: str  # GPU slug
    provider: str
    on_demand_usd_per_hour: SourcedRange
    spot_usd_per_hour: SourcedRange | None = None
    serverless: bool = False  # bills only while a worker runs (scale to zero), incl. cold start and idle timeout
    billing_increment_seconds: float = Field(default=1.0, gt=0)
    minimum_billing_seconds: float = Field(default=60.0, ge=0)
    notes: str | None = None


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


class Catalog(Strict):
    gpus: dict[str, GPU]
    pipelines: dict[str, Pipeline]
    apis: dict[str, APIOffer]
    rentals: dict[str, RentalOffer]
    defaults: Defaults
    root: str

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
}


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    msg = err["msg"]
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (not allowed)"
    elif err.get("type") == "missing":
        msg = "required field is missing"
    return field, f"{msg} (got {err.get('input')!r})" if err.get("type") not in ("missing", "extra_forbidden") else msg


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(str(path), None, None, "file not found") from None
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # safe loader, C speed
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CatalogError(str(path), None, None, f"malformed YAML{where}: {getattr(exc, 'problem', exc)}") from None


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


def build_catalog(raw: dict[str, Any], root: str, overrides: dict[str, Any] | None = None) -> Catalog:
    """Validate raw YAML data ``{'gpus': [...], 'pipelines': [...], ..., 'defaults': {...}}`` into a Catalog.

    ``overrides`` maps section -> slug -> partial entry (or ``defaults`` -> partial mapping); an
    override of a number must carry its own ``source`` and ``as_of`` like any catalog number.
    """
    overrides = overrides or {}
    sections: dict[str, Any] = {}
    for key, (fname, model) in _FILES.items():
        entries = raw[key]
        over = overrides.get(key) or {}
        if not isinstance(over, dict):
            raise CatalogError("scenario overrides", key, None, "expected a mapping of slug -> fields")
        by_slug = {e.get("slug"): e for e in entries if isinstance(e, dict)}
        for slug, patch in over.items():
            if slug not in by_slug:
                raise UnknownSlugError(f"overrides.{key}", slug, by_slug)
            by_slug[slug] = _deep_merge(by_slug[slug], patch)
        entries = [by_slug.get(e.get("slug"), e) if isinstance(e, dict) else e for e in entries]
        sections[key] = parse_entries(Path(root) / fname if over == {} else Path(f"{root}/{fname} (+ scenario overrides)"), entries, model)
    defaults_raw = _deep_merge(raw["defaults"], overrides.get("defaults") or {})
    try:
        defaults = Defaults.model_validate(defaults_raw)
    except ValidationError as exc:
        field, msg = _first_error(exc)
        raise CatalogError(f"{root}/defaults.yaml", "defaults", field, msg) from None
    cat = Catalog(defaults=defaults, root=str(root), **sections)
    for r in cat.rentals.values():
        if r.gpu not in cat.gpus:
            raise CatalogError(f"{root}/rentals.yaml", r.slug, "gpu", f"unknown GPU slug {r.gpu!r}")
    for a in cat.apis.values():
        if a.pipeline not in cat.pipelines:
            raise CatalogError(f"{root}/apis.yaml", a.slug, "pipeline", f"unknown pipeline slug {a.pipeline!r}")
    return cat


def read_raw(root: Path | str | None = None) -> dict[str, Any]:
    """Read the raw YAML data of every catalog file under ``root`` (default: the package's profiles/)."""
    root = Path(root) if root is not None else PROFILES_DIR
    raw = {key: _read_yaml(root / fname) for key, (fname, _) in _FILES.items()}
    raw["defaults"] = _read_yaml(root / "defaults.yaml")
    return raw


@functools.lru_cache(maxsize=8)
def _load_cached(root: str) -> Catalog:
    return build_catalog(read_raw(root), root)


def load_catalog(root: Path | str | None = None) -> Catalog:
    """Load and validate the catalog under ``root`` (default ``profiles/``); cached per root."""
    root = Path(root) if root is not None else PROFILES_DIR
    return _load_cached(str(root))


def load_catalog_with_overrides(overrides: dict[str, Any] | None, root: Path | str | None = None) -> Catalog:
    """Load the catalog and apply scenario overrides (not cached)."""
    if not overrides:
        return load_catalog(root)
    root = Path(root) if root is not None else PROFILES_DIR
    return build_catalog(read_raw(root), str(root), overrides)


# --- helpers for listing and exporting sourced numbers -------------------------------------------------------------

def iter_sourced(obj: Any, prefix: str = ""):
    """Yield ``(dotted_field_path, Sourced | SourcedRange)`` for every sourced number inside ``obj``.

    Walks pydantic models, dicts and lists depth-first in field order; ``prefix`` is prepended to each path.
    """
    if isinstance(obj, (Sourced, SourcedRange)):
        yield prefix, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from iter_sourced(getattr(obj, name), f"{prefix}.{name}" if prefix else name)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from iter_sourced(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from iter_sourced(v, f"{prefix}[{i}]")


def to_json_dict(obj: Any, today: dt.date | None = None, days: int = STALE_AFTER_DAYS) -> Any:
    """JSON-ready form of a catalog object; every mapping with an ``as_of`` date gains ``stale`` (bool).

    ``stale`` is True when ``as_of`` is more than ``days`` days before ``today`` (default: the real today).
    """
    today = today or dt.date.today()
    if isinstance(obj, BaseModel):
        out = {name: to_json_dict(getattr(obj, name), today, days) for name in type(obj).model_fields}
        as_of = getattr(obj, "as_of", None)
        if isinstance(as_of, dt.date):
            out["stale"] = (today - as_of).days > days
        return out
    if isinstance(obj, dict):
        return {str(k): to_json_dict(v, today, days) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_dict(v, today, days) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj

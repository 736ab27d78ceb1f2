"""Named inference optimizations (``profiles/optimizations.yaml``, issue 12): typed models and the loader.

Facts only: what an optimization changes in the simulator's inputs (bytes per weight, matmul rate key, kernel
efficiency factors, evaluations skipped, compile time), where it runs (minimum compute capability, architecture
families), its quality effect with the source, and its sources. The formulas that apply them live in
:mod:`advisor.perf.optimizations`.

Public API: :class:`Optimization`, :class:`ComputeCapabilities`, :class:`OptimizationBook`,
``read_optimizations_raw(root)``, ``build_optimizations(raw, root)``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from advisor.catalog.base import Strict
from advisor.errors import CatalogError

FILE_NAME = "optimizations.yaml"
Kind = Literal["weights", "compute", "compiler", "attention", "step-cache", "serving-stack"]
Family = Literal["ampere", "ada", "hopper", "blackwell"]
#: storage formats the simulator knows the bytes of (advisor.perf.flops.PRECISION_BYTES keys)
WEIGHT_FORMATS = ("fp8", "int8", "nf4", "gguf-q8", "gguf-q4")
MATMUL_KEYS = ("bf16_fp32acc", "fp16_fp32acc", "fp8_fp32acc", "fp8_fp16acc", "int8_tops", "fp4")


class Figure(Strict):
    """One sourced number (same shape as :class:`advisor.catalog.Sourced`, kept here to avoid an import cycle)."""

    value: float
    source: str = Field(min_length=3)
    as_of: dt.date
    derived: bool = False
    note: str | None = None


class Optimization(Strict):
    """One named optimization (fields documented at the top of ``profiles/optimizations.yaml``)."""

    slug: str
    name: str
    kind: Kind
    weight_format: str | None = None
    matmul_tensor_key: str | None = None
    matmul_rate_multiplier: Figure | None = None
    linear_efficiency_factor: Figure | None = None
    attention_efficiency_factor: Figure | None = None
    elementwise_traffic_factor: Figure | None = None
    launch_overhead_factor: Figure | None = None
    dequant_bytes_per_weight: Figure | None = None
    activation_quant_bytes_per_element: Figure | None = None
    evals_skipped_fraction: Figure | None = None
    skipped_eval_runs_first_block: bool = False
    threshold: float | None = None
    compile_seconds: Figure | None = None
    per_image_overhead_seconds: Figure | None = None
    min_compute_capability: float = Field(ge=0, le=20)
    architectures: list[Family] | None = None
    #: PyTorch backends it runs on (a non-CUDA backend has no compute capability: listing it is the whole check)
    backends: list[Literal["cuda", "rocm", "mps"]] = ["cuda"]
    includes: list[str] = []
    include_where_supported: bool = False
    changes_quality: bool
    quality_note: str | None = None
    fitted_by: Literal["evals_skipped_fraction"] | None = None
    note: str | None = None
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> "Optimization":
        if self.weight_format is not None and self.weight_format not in WEIGHT_FORMATS:
            raise ValueError(f"weight_format {self.weight_format!r} not one of {', '.join(WEIGHT_FORMATS)}")
        if self.matmul_tensor_key is not None and self.matmul_tensor_key not in MATMUL_KEYS:
            raise ValueError(f"matmul_tensor_key {self.matmul_tensor_key!r} not one of {', '.join(MATMUL_KEYS)}")
        f = self.evals_skipped_fraction
        if f is not None and not 0.0 <= f.value < 1.0:
            raise ValueError("evals_skipped_fraction must be in [0, 1)")
        for name in ("linear_efficiency_factor", "attention_efficiency_factor", "elementwise_traffic_factor",
                     "launch_overhead_factor", "matmul_rate_multiplier"):
            v = getattr(self, name)
            if v is not None and v.value <= 0:
                raise ValueError(f"{name} must be > 0")
        if self.kind != "serving-stack" and self.includes:
            raise ValueError("only a serving-stack may include other optimizations")
        if self.fitted_by is not None and getattr(self, self.fitted_by) is None:
            raise ValueError(f"fitted_by names {self.fitted_by}, which is not set")
        return self


class ComputeCapabilities(Strict):
    """CUDA compute capability per GPU slug, and the lowest of each family for GPUs not listed."""

    source: str = Field(min_length=3)
    as_of: dt.date
    by_gpu: dict[str, float]
    by_architecture: dict[str, float]

    def of(self, gpu_slug: str, architecture: str) -> float | None:
        """Compute capability of a GPU [major.minor as a float]; None for the CPU / an unknown family."""
        if gpu_slug in self.by_gpu:
            return self.by_gpu[gpu_slug]
        return self.by_architecture.get(architecture)


class OptimizationBook(Strict):
    """Contents of ``profiles/optimizations.yaml`` (empty when the file is absent)."""

    compute_capability: ComputeCapabilities | None = None
    optimizations: dict[str, Optimization] = {}

    def get(self, slug: str) -> Optimization:
        from advisor.errors import UnknownSlugError

        if slug not in self.optimizations:
            raise UnknownSlugError("optimization", slug, self.optimizations)
        return self.optimizations[slug]


def read_optimizations_raw(root: Path | str) -> Any:
    """The raw YAML of ``<root>/optimizations.yaml`` through the hardened reader; None when absent."""
    from advisor.catalog.yaml_reader import read_yaml_file

    path = Path(root) / FILE_NAME
    return read_yaml_file(path, expect=dict) if path.is_file() else None


def build_optimizations(raw: Any, root: Path | str) -> OptimizationBook:
    """Validate the raw YAML into an :class:`OptimizationBook`; errors name the file, entry and field."""
    if raw is None:
        return OptimizationBook()
    path = f"{root}/{FILE_NAME}"
    if not isinstance(raw, dict):
        raise CatalogError(path, None, None, "expected a mapping with compute_capability and optimizations")
    unknown = set(raw) - {"compute_capability", "optimizations"}
    if unknown:
        raise CatalogError(path, None, sorted(unknown)[0], "unknown key (not allowed)")
    try:
        cc = ComputeCapabilities.model_validate(raw.get("compute_capability")) if raw.get("compute_capability") else None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CatalogError(path, "compute_capability", ".".join(str(x) for x in err["loc"]) or None, err["msg"]) from None
    entries = raw.get("optimizations") or []
    if not isinstance(entries, list):
        raise CatalogError(path, None, "optimizations", "expected a list of entries")
    out: dict[str, Optimization] = {}
    for i, e in enumerate(entries):
        slug = e.get("slug", f"#{i}") if isinstance(e, dict) else f"#{i}"
        try:
            o = Optimization.model_validate(e)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or None
            msg = "unknown key (not allowed)" if err.get("type") == "extra_forbidden" else err["msg"]
            raise CatalogError(path, str(slug), field, msg) from None
        if o.slug in out:
            raise CatalogError(path, o.slug, "slug", "duplicate slug")
        out[o.slug] = o
    for o in out.values():
        for inc in o.includes:
            if inc not in out:
                raise CatalogError(path, o.slug, "includes", f"unknown optimization {inc!r}")
    return OptimizationBook(compute_capability=cc, optimizations=out)

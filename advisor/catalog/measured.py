"""Measured profiles: what one ``advisor measure`` campaign recorded on one device (no torch here).

A :class:`MeasuredProfile` is written by ``measure/`` to
``profiles/measured/<device-slug>/<pipeline>-<settings>.yaml`` and read by the calibration step
(``advisor.fit.calibrate``) through :func:`load_measured_profiles`.

It holds the device and software it ran on, the exact settings, the architecture of what actually
ran (so the simulator can predict the same, possibly scaled, configuration), the raw per-run stage
times [seconds], their spread, peak memory [GiB], board power [watts] / energy [joules] and the
failures.

Public API:
    MeasuredProfile (and its parts), Spread.from_values, gpu_slug_for_name(name),
    MEASURED_DIR, load_measured_profiles(root), profile_from_yaml_text(text, file)
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from advisor.catalog.architecture import ArchitectureSpec
from advisor.catalog.base import Strict
from advisor.errors import CatalogError

SCHEMA_VERSION = 1

#: Default folder of measured profiles (relative to the repository root).
MEASURED_DIR = Path(__file__).resolve().parents[2] / "profiles" / "measured"  # = catalog.PROFILES_DIR / ...

#: ``tiny`` | ``scaled:<fraction in (0, 1]>`` | ``full``
RANDOM_WEIGHTS_RE = re.compile(r"^(tiny|full|scaled:(0?\.\d+|1(\.0*)?|0))$")




# --------------------------------------------------------------------------------------------- device
#: (regex on the NVML / torch device name, catalog GPU slug in profiles/gpus.yaml). First match wins.
#: Names not in the catalog (H100 NVL, GH200, A100 40GB, B200, ...) deliberately give None.
_GPU_NAME_RULES: tuple[tuple[str, str | None], ...] = (
    (r"GH200|H100 NVL|A100.*40GB|A100-PCIE-40GB", None),
    (r"H100.*PCIe", "h100-pcie"),
    (r"H100.*(HBM3|SXM)", "h100-sxm"),
    (r"H200", "h200"),
    (r"A100.*80GB", "a100-80gb"),
    (r"L40S", "l40s"),
    (r"RTX 5090", "rtx-5090"),
    (r"RTX 4090", "rtx-4090"),
    (r"RTX 4080", "rtx-4080"),
    (r"RTX 4070 Ti SUPER", "rtx-4070-ti-super"),
    (r"RTX 4070 Ti", "rtx-4070-ti"),
    (r"RTX 4070", "rtx-4070"),
    (r"RTX 4060 Ti", "rtx-4060-ti-16gb"),
    (r"RTX 3090", "rtx-3090"),
    (r"RTX 3060", "rtx-3060-12gb"),
    # AMD names as torch.cuda.get_device_name reports them on ROCm
    (r"MI325X", "mi325x"),
    (r"MI300X", "mi300x"),
    (r"RX 7900 XTX", "rx-7900-xtx"),
    (r"RX 7900 XT\b", "rx-7900-xt"),
    (r"R9700", "radeon-ai-pro-r9700"),
    # Apple: measure names an MPS device "<chip> (<unified memory> GB)" (sysctl machdep.cpu.brand_string, hw.memsize)
    (r"Apple M3 Max\b.*\b128 GB", "apple-m3-max-128gb"),
    (r"Apple M4 Max\b.*\b128 GB", "apple-m4-max-128gb"),
    (r"Apple M3 Ultra\b.*\b96 GB", "apple-m3-ultra-96gb"),
    (r"Apple M3 Ultra\b.*\b512 GB", "apple-m3-ultra-512gb"),
)


def gpu_slug_for_name(name: str | None) -> str | None:
    """Catalog GPU slug for a device name as NVML/torch report it ('NVIDIA H100 80GB HBM3' -> 'h100-sxm').

    None when the name is not a catalog GPU. (RTX 4060 Ti and 3060 map to the 16 GB / 12 GB catalog entries;
    the 8 GB variants are not told apart by name.)
    """
    if not name:
        return None
    for pattern, slug in _GPU_NAME_RULES:
        if re.search(pattern, name, flags=re.IGNORECASE):
            return slug
    return None


class DeviceInfo(Strict):
    """The device the pipeline ran on."""

    kind: Literal["cpu", "cuda", "rocm", "mps"] = Field(description="the backend: cpu, cuda (NVIDIA), rocm (AMD, "
                                                          "through torch's CUDA API) or mps (Apple Silicon)")
    index: int | None = Field(None, description="CUDA / ROCm device index")
    name: str = Field(description="GPU name (NVML/torch) or CPU model")
    gpu_slug: str | None = Field(None, description="catalog GPU slug when the name is known, else null")
    gpu_memory_total_gib: float | None = None
    power_limit_watts: float | None = None
    driver: str | None = None
    cuda: str | None = None
    hip: str | None = Field(None, description="HIP runtime of a ROCm torch build (torch.version.hip)")
    macos: str | None = Field(None, description="macOS release of an MPS run (platform.mac_ver)")
    cpu_model: str | None = None
    cpu_cores: int | None = Field(None, description="logical CPUs available to the process")
    torch_threads: int | None = None


class SoftwareInfo(Strict):
    torch: str | None = None
    diffusers: str | None = None
    transformers: str | None = None
    accelerate: str | None = None
    python: str


# ------------------------------------------------------------------------------------------- settings
class MeasureSettings(Strict):
    """Exactly what was run."""

    pipeline: str = Field(description="pipeline slug, e.g. z-image-turbo")
    pipeline_class: str
    random_weights: str | None = Field(None, description="tiny | scaled:<fraction> | full; null when real weights")
    weights: str | None = Field(None, description="weights folder when real weights were loaded")
    precision: Literal["fp32", "bf16", "fp16"]
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    steps: int = Field(gt=0)
    guidance: float
    batch_size: int = Field(gt=0)
    offload: Literal["none", "model", "group", "sequential"] = "none"
    compile: bool = False
    attention: str | None = Field(None, description="attention backend name; null = diffusers default (SDPA)")
    max_sequence_length: int | None = None
    components: Literal["all", "transformer"] = "all"
    components_run: list[str] = Field(description="pipeline modules that ran, e.g. [text_encoder, transformer, vae]")
    components_skipped: list[str] = Field(default_factory=list)
    transformer_calls_per_step: int | None = Field(None, description="2 with classifier-free guidance as separate calls")
    cfg: bool = Field(False, description="classifier-free guidance active (doubles denoiser work)")
    warmup: int = Field(ge=0)
    runs: int = Field(ge=0)
    seed: int = 0
    prompt: str = ""

    @field_validator("random_weights")
    @classmethod
    def _check_random(cls, v: str | None) -> str | None:
        if v is not None and not RANDOM_WEIGHTS_RE.match(v):
            raise ValueError("must be tiny, full or scaled:<fraction in (0, 1]>")
        return v


# -------------------------------------------------------------------------------------------- results
class RunTiming(Strict):
    """Raw stage times of one timed run [seconds]."""

    run_index: int = Field(ge=0)
    text_encoder_seconds: float | None = Field(None, ge=0, description="all text-encoder forwards of the run")
    step_seconds: list[float] = Field(default_factory=list, description="per denoising step, incl. scheduler step")
    transformer_seconds: float | None = Field(None, ge=0, description="sum of denoiser forwards")
    transformer_calls: int = Field(0, ge=0)
    denoise_seconds: float | None = Field(None, ge=0)
    vae_decode_seconds: float | None = Field(None, ge=0)
    total_seconds: float = Field(ge=0, description="whole pipeline call, wall clock")
    energy_joules: float | None = Field(None, ge=0, description="board energy of the run (NVML counter or integrated)")


class Spread(Strict):
    """min / median / p90 / max of a sample [same unit as the field it describes]."""

    n: int = Field(ge=1)
    min: float
    median: float
    p90: float
    max: float
    mean: float

    @classmethod
    def from_values(cls, values: list[float]) -> "Spread | None":
        """Spread of ``values`` (None when empty). p90 by linear interpolation between order statistics."""
        vals = sorted(float(v) for v in values if v is not None and math.isfinite(v))
        if not vals:
            return None
        return cls(n=len(vals), min=vals[0], median=_quantile(vals, 0.5), p90=_quantile(vals, 0.9), max=vals[-1],
                   mean=sum(vals) / len(vals))


def _quantile(sorted_vals: list[float], q: float) -> float:
    """Quantile with linear interpolation (numpy's default 'linear' method): position q*(n-1)."""
    pos = q * (len(sorted_vals) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


class TimingSummary(Strict):
    """Spread over the timed runs; ``step_seconds`` pools every step of every run."""

    text_encoder_seconds: Spread | None = None
    step_seconds: Spread | None = None
    step_seconds_excluding_first: Spread | None = Field(None, description="steps 1.. (step 0 may include setup)")
    transformer_seconds: Spread | None = None
    denoise_seconds: Spread | None = None
    vae_decode_seconds: Spread | None = None
    total_seconds: Spread | None = None
    seconds_per_image: float | None = Field(None, ge=0, description="median total_seconds / batch_size")


class MemoryInfo(Strict):
    """Peak memory over the timed runs [GiB = 2**30 bytes]."""

    torch_max_allocated_gib: float | None = None
    torch_max_reserved_gib: float | None = None
    nvml_used_gib: float | None = Field(None, description="peak device memory used by all processes (NVML samples)")
    amdsmi_used_gib: float | None = Field(None, description="peak VRAM used by all processes (AMD SMI samples)")
    mps_driver_allocated_gib: float | None = Field(None, description="MPS: largest torch.mps.driver_allocated_memory "
                                                   "after a run (no peak counter on MPS)")
    weights_gib: float | None = Field(None, description="parameter bytes of the built pipeline")
    cpu_peak_rss_gib: float | None = Field(None, description="process peak RSS (includes model build)")


class PowerInfo(Strict):
    """Board power [watts] and energy [joules]; all null with ``reason`` when unavailable."""

    method: str | None = Field(None, description="e.g. nvml:power_instant, nvml:power_usage, rapl")
    reason: str | None = Field(None, description="why power is missing (no driver, not supported, ...)")
    sampler_hz: float | None = None
    samples: int = 0
    idle_watts: float | None = None
    denoise_mean_watts: float | None = None
    denoise_median_watts: float | None = None
    run_mean_watts: float | None = None
    run_median_watts: float | None = None
    max_watts: float | None = None
    energy_per_image_joules: float | None = None
    energy_method: str | None = Field(None, description="nvml_total_energy | amdsmi_energy_counter | "
                                      "integrated_samples | rapl")
    cpu_energy_per_image_joules: float | None = Field(None, description="RAPL package energy, when readable")


class Failure(Strict):
    run_index: int = Field(ge=0)
    phase: Literal["build", "warmup", "run"]
    type: str
    message: str


class ComponentInfo(Strict):
    """A component of the pipeline that was built (fallback when no ArchitectureSpec is available)."""

    name: str
    class_name: str
    param_count: int = Field(ge=0)
    dtype: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("config", mode="before")
    @classmethod
    def _bounded_config(cls, v: Any) -> Any:
        """A free-form config copied from diffusers: plain data, bounded in size and depth (before it is walked)."""
        from advisor.catalog.yaml_reader import bounded_plain

        return bounded_plain(v)


class MeasuredProfile(Strict):
    """One measurement campaign: one pipeline, one setting, one device."""

    schema_version: Literal[1] = SCHEMA_VERSION
    status: Literal["complete", "partial", "failed"]
    status_reason: str | None = None
    device: DeviceInfo
    software: SoftwareInfo
    settings: MeasureSettings
    architecture: ArchitectureSpec | None = Field(None, description="architecture of what actually ran")
    components: list[ComponentInfo] = Field(default_factory=list)
    build_seconds: float | None = Field(None, ge=0, description="building / loading the pipeline")
    warmup_seconds: list[float] = Field(default_factory=list)
    runs: list[RunTiming] = Field(default_factory=list)
    summary: TimingSummary = Field(default_factory=TimingSummary)
    memory: MemoryInfo = Field(default_factory=MemoryInfo)
    power: PowerInfo = Field(default_factory=PowerInfo)
    failures: list[Failure] = Field(default_factory=list)
    started_at: datetime
    finished_at: datetime | None = None
    notes: list[str] = Field(default_factory=list)


def summarize_runs(runs: list[RunTiming], batch_size: int) -> TimingSummary:
    """Spreads of the per-run stage times; seconds_per_image = median(total_seconds) / batch_size."""
    steps = [s for r in runs for s in r.step_seconds]
    later = [s for r in runs for s in r.step_seconds[1:]]
    total = Spread.from_values([r.total_seconds for r in runs])
    return TimingSummary(
        text_encoder_seconds=Spread.from_values([r.text_encoder_seconds for r in runs if r.text_encoder_seconds is not None]),
        step_seconds=Spread.from_values(steps),
        step_seconds_excluding_first=Spread.from_values(later),
        transformer_seconds=Spread.from_values([r.transformer_seconds for r in runs if r.transformer_seconds is not None]),
        denoise_seconds=Spread.from_values([r.denoise_seconds for r in runs if r.denoise_seconds is not None]),
        vae_decode_seconds=Spread.from_values([r.vae_decode_seconds for r in runs if r.vae_decode_seconds is not None]),
        total_seconds=total,
        seconds_per_image=(total.median / batch_size) if total else None,
    )


# --------------------------------------------------------------------------------------------- loader
def _error_location(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    return loc, err["msg"]


def profile_from_yaml_text(text: str, file: str = "<string>") -> MeasuredProfile:
    """Parse and validate one measured-profile YAML document; errors name the file and field."""
    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_text

    try:
        data = read_yaml_text(text, file, expect=dict)  # the hardened reader (size, depth, aliases, duplicates)
    except YAMLFileError as exc:
        if exc.kind == "syntax":
            raise CatalogError(file, None, None, f"invalid YAML: {exc.problem}") from None
        raise
    return profile_from_data(data, file)


def profile_from_data(data: Any, file: str = "<data>") -> MeasuredProfile:
    """Validate a mapping into a :class:`MeasuredProfile` (CatalogError naming file, entry and field)."""
    if not isinstance(data, dict):
        raise CatalogError(file, None, None, "expected a mapping at top level")
    try:
        return MeasuredProfile.model_validate(data)
    except ValidationError as exc:
        loc, msg = _error_location(exc)
        settings = data.get("settings") if isinstance(data.get("settings"), dict) else {}
        entry = settings.get("pipeline") if settings else None
        raise CatalogError(file, str(entry) if entry else None, loc or None, msg) from None


def load_measured_profiles(root: str | Path = "profiles/measured") -> list[MeasuredProfile]:
    """Load and validate every ``*.yaml`` under ``root`` (recursively, sorted by path).

    A missing folder gives an empty list; a malformed file raises CatalogError naming file and field.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.rglob("*.yaml")):
        if path.name.startswith(".") or ".fewer-runs-" in path.name:
            continue  # temp files; profiles kept beside one with more runs (measure.profile_io.GuardedWriter)
        from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_file

        try:
            data = read_yaml_file(path, expect=dict)
        except YAMLFileError as exc:
            if exc.kind == "syntax":  # same words as profile_from_yaml_text
                raise CatalogError(str(path), None, None, f"invalid YAML: {exc.problem}") from None
            raise
        out.append(profile_from_data(data, file=str(path)))
    return out

"""Stage times from FLOPs and bytes: a per-op-class roofline with calibrated efficiencies.

For one stage cost (:class:`advisor.perf.flops.StageCost`) on one device at one precision:

    t_linear      = max(linear_flops / (R_mm x e_linear), weight_bytes / (BW x e_weights))
    t_attention   = attention_flops / (R_attn x e_attention)
    t_conv        = conv_flops / (R_conv x e_conv)
    t_elementwise = activation_bytes x unfused / (BW x e_elementwise)
    t_roofline    = t_linear + t_attention + t_conv + t_elementwise                              [s]
    t_stage       = max(t_roofline, n_layers x per_layer_latency_seconds)                         [s]

(roofline: Williams, Waterman, Patterson 2009, CACM 52(4); op classes run one after another, so they add). The
text encoder is one op class of its own: t = max(flops / (R_mm x e_text_encoder), weight_bytes / (BW x e_weights))
+ t_elementwise. The denoiser adds a fixed per-step overhead (scheduler step, kernel launches, host syncs) [s].

Launch floor: eager PyTorch dispatches every kernel from Python on the host (Python + ATen dispatcher +
cudaLaunchKernel, ~10-15 us per op). A transformer layer of a HF text encoder launches ~40-55 kernels (Qwen3
decoder layer: 3 RMSNorms + q/k norms of ~7 kernels each, 7 GEMMs, rotary ~10, SDPA, residual adds, SiLU-mul;
a T5 block ~40), so the host needs ~0.5-0.8 ms per layer whatever the FLOPs. Launches are asynchronous: while the
GPU kernels take longer than their dispatch the queue stays full and the host time is hidden; when they are
shorter the GPU starves and the stage takes the host time. So the stage time is max(GPU roofline time, host
dispatch time), not their sum (the sum would count the overlapped host time twice); a per-stage max is a lower
bound of the per-kernel max. ``n_layers`` = the repeated transformer blocks of the stage (one attention group
count per block in the ArchitectureSpec); the VAE decoder is not given a floor (its few dozen conv layers take
0.02-0.4 s of GPU time against < 5 ms of dispatch). ``per_layer_latency_seconds`` is fitted per family
(calibration.yaml) with a shared GPU level; the prior is 45 kernels x 15 us = 0.68 ms per layer on GPUs (an
estimate from the kernel count above and a typical eager per-op host cost of 10-20 us incl. Python module calls)
and 45 x 4 us = 0.18 ms on the CPU (dispatcher only, no launch; there the floor binds only for tiny configurations).

Peaks R are *achievable* dense tensor rates (:func:`device_rates`): a card's measured matmul ceiling where one is
published (``profiles/ceilings/<slug>.yaml``), else its datasheet rate x its market segment's measured fraction
(:data:`SEGMENT_MATMUL_CEILING_FRACTION`: GeForce cards run above the spec boost clock, data-centre and workstation
cards are power-capped below it). GeForce FP32-accumulate rates are the halved ones, which is what PyTorch's default
BF16/FP16 GEMMs use (cuBLAS computes them with FP32 accumulation; ``allow_bf16_reduced_precision_reduction`` only
lets split-K reductions round to 16 bits). ComfyUI's ``--fast`` FP8 matmuls (``torch._scaled_mm``, FP8 with FP32
accumulation: halved on GeForce Ada, not on GeForce Blackwell per the measured RTX 5090 FP8 ceiling) are a named
optimization (profiles/optimizations.yaml ``comfyui-fp8-matmul``). Not modelled: FP16 GEMMs with FP16 accumulation
at the full GeForce rate (PyTorch >= 2.7 ``torch.backends.cuda.matmul.allow_fp16_accumulation``, which ComfyUI's
``--fast fp16_accumulation`` sets; PyTorch docs "Numerical accuracy"): no public point measures it. The efficiencies ``e`` per architecture family
(turing, ampere, ada, hopper, blackwell, blackwell-dc, rdna3, rdna4, cdna3, apple, cpu) and op class (linear,
attention, conv, elementwise, text_encoder and the VAE's convolutions ``vae``) live in ``profiles/calibration.yaml``
and are fitted by ``advisor.fit.calibrate`` (least squares on log error against measured points); a family without
points takes its prior x the level fitted on the others (:func:`family_tier`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

from advisor.catalog import GPU, PROFILES_DIR
from advisor.catalog.base import Strict
from advisor.errors import CatalogError, InputError
from advisor.perf.flops import StageCost

OP_CLASSES = ("linear", "attention", "conv", "elementwise", "text_encoder", "vae")
#: calibration families = the catalog's ``GPU.architecture`` values (advisor.catalog.hardware.Architecture)
FAMILIES = ("turing", "ampere", "ada", "hopper", "blackwell", "blackwell-dc", "rdna3", "rdna4", "cdna3", "apple", "cpu")
Family = Literal["turing", "ampere", "ada", "hopper", "blackwell", "blackwell-dc", "rdna3", "rdna4", "cdna3", "apple",
                 "cpu"]
#: families whose software stack is not CUDA (ROCm, MPS/MLX): without measured points of their own they are
#: labelled "from specs only" and get the wider ``specs_only`` uncertainty band (:func:`family_tier`)
NON_CUDA_FAMILIES = ("rdna3", "rdna4", "cdna3", "apple")

CALIBRATION_PATH = PROFILES_DIR / "calibration.yaml"

#: Which catalog tensor rate each request precision's linears run at. Weight-only quantised formats (nf4, gguf-q4)
#: dequantise to bf16 and run bf16 GEMMs; PyTorch's default fp32 matmul does not use TF32 (allow_tf32 is False).
#: fp8 on a GPU without an fp8 rate (Ampere) upcasts to bf16.
MATMUL_KEYS = {
    "fp32": ("fp32",),
    "bf16": ("bf16_fp32acc", "fp16_fp32acc"),
    "fp16": ("fp16_fp32acc", "bf16_fp32acc"),
    "fp8": ("fp8_fp32acc", "bf16_fp32acc"),
    "int8": ("int8_tops", "bf16_fp32acc"),
    "nf4": ("bf16_fp32acc",),
    "gguf-q4": ("bf16_fp32acc",),
}
#: Attention, convs and the text encoder run in the activation precision (bf16 unless fp32/fp16 was asked for).
ACTIVATION_PRECISION = {"fp32": "fp32", "fp16": "fp16"}




class FamilyEfficiency(Strict):
    """Fractions of the dense peak (compute classes) or of datasheet bandwidth (memory classes) [1]."""

    linear: float = Field(gt=0, le=1.2)
    attention: float = Field(gt=0, le=1.2)
    conv: float = Field(gt=0, le=1.2)
    elementwise: float = Field(gt=0, le=1.2)
    text_encoder: float = Field(gt=0, le=1.2)
    vae: float | None = Field(
        None, gt=0, le=1.2, description="the VAE's convolutions (GroupNorm-bound high-resolution decoder), separate "
        "from a denoiser's convolutions (a UNet's implicit GEMMs at latent resolution); None = the conv efficiency "
        "(calibrations fitted before the class existed)")
    weights: float = Field(0.8, gt=0, le=1.0, description="weight streaming, fraction of the achievable copy rate")
    matmul_ceiling_fraction: float = Field(
        1.0, gt=0, le=1.0, description="achievable dense matmul / datasheet peak for GPUs of this family without a "
        "measured ceilings file (from the family's measured ceilings; 1.0 = folded into the efficiencies)")
    copy_ceiling_fraction: float = Field(
        1.0, gt=0, le=1.0, description="achievable device copy (read+write) / datasheet bandwidth, as above")
    step_overhead_seconds: float = Field(ge=0)
    per_layer_latency_seconds: float = Field(
        0.0, ge=0, le=0.01, description="host dispatch time per transformer layer in eager PyTorch (launch floor: "
        "stage time >= layers x this) [s]; 0 = no floor (calibrations fitted before the floor existed)")
    points: int = Field(0, ge=0, description="measured points of this family the fit used")
    note: str = ""


class Ceilings(Strict):
    """A GPU's measured ceilings (``profiles/ceilings/<gpu-slug>.yaml``, written by ``measure/ceilings.py``)."""

    model_config = ConfigDict(extra="ignore")
    gpu_slug: str
    bf16_matmul_median_tflops: float = Field(gt=0)
    fp8_matmul_median_tflops: float | None = Field(None, gt=0)
    copy_median_gb_per_s: float | None = Field(
        None, gt=0, description="bytes read + bytes written per second; None = not measured (a public matmul "
        "benchmark only): the datasheet bandwidth x the family's copy_ceiling_fraction is used")
    torch: str | None = None
    measured_at: str | None = None
    source: str | None = Field(None, description="who measured it, where it is published (public ceilings)")


CEILINGS_DIR = CALIBRATION_PATH.parent / "ceilings"


@functools.lru_cache(maxsize=64)
def _ceilings_cached(path: str, mtime: float) -> Ceilings:
    from advisor.catalog.yaml_reader import read_yaml_file

    file = Path(path)
    data = read_yaml_file(file, expect=dict)  # the hardened reader: one-line errors naming the file
    try:
        return Ceilings.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(path, file.stem, None, f"invalid ceilings file: {str(exc).splitlines()[0]}") from None


def load_ceilings(gpu_slug: str, directory: Path | str | None = None) -> Ceilings | None:
    """Measured ceilings of a catalog GPU, or None when ``profiles/ceilings/<slug>.yaml`` does not exist."""
    p = Path(directory or CEILINGS_DIR) / f"{gpu_slug}.yaml"
    if not p.is_file():
        return None
    return _ceilings_cached(str(p), p.stat().st_mtime)


class CpuDevice(Strict):
    """This machine's CPU as a device: measured matmul peaks and power assumptions."""

    name: str
    cores: int
    fp32_tflops: float = Field(gt=0)
    bf16_tflops: float = Field(gt=0)
    memory_bandwidth_gb_per_s: float = Field(gt=0)
    board_power_watts: float = Field(gt=0)
    idle_power_watts: float = Field(ge=0)
    measured_with: str
    as_of: dt.date


class PowerParams(Strict):
    """Board power model: P = idle + (board - idle) x u^alpha (see advisor.perf.power)."""

    alpha: float = Field(gt=0, le=3)
    compute_utilisation: float = Field(gt=0, le=1, description="u while compute-bound kernels run")
    memory_utilisation: float = Field(gt=0, le=1, description="u while memory-bound kernels run")
    transfer_utilisation: float = Field(ge=0, le=1, description="u while waiting on PCIe copies")
    fitted_on: str = ""


class Calibration(Strict):
    """Contents of ``profiles/calibration.yaml``."""

    schema_version: Literal[1] = 1
    fitted_at: dt.date
    versions: dict[str, str] = Field(description="diffusers / torch the fitted measurements ran on")
    method: str
    families: dict[Family, FamilyEfficiency]
    cpu: CpuDevice
    power: PowerParams
    uncertainty: dict[str, float] = Field(default_factory=dict, description="relative error band per tier")
    fit_points: list[str] = Field(default_factory=list)
    excluded_points: list[str] = Field(default_factory=list)
    ceilings: dict[str, str] = Field(default_factory=dict, description="GPU slug -> measured ceilings used (file, date)")
    vram: dict[str, float] = Field(default_factory=dict, description="VRAM constants fitted on measured peaks "
                                   "(advisor.perf.memory must agree) and their errors [GiB, %]")
    energy: dict[str, float] = Field(default_factory=dict, description="power/energy fit errors vs NVML [%]")
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_family(self) -> "Calibration":
        """A calibration written before a family existed still answers for it: its priors, 0 points (so it is
        labelled 'from specs only' or 'shared level', :func:`family_tier`)."""
        for f in FAMILIES:
            if f not in self.families:
                self.families[f] = FamilyEfficiency(**PRIOR_FAMILIES[f], points=0,
                                                    note="prior (family added after this calibration was fitted)")
        return self


#: Priors used when no calibration file exists (and as ridge targets in the fit). Sources: public matmul ceilings
#: (public-data.md s3: H100 783-789 of 989 = 0.79; A100 264.5/312 = 0.85; 4090 160-173/165 ~ 1.0; L40S 269/362 = 0.74),
#: FlashAttention-2 reaching 50-73% of A100 peak and ~35-40% of H100 peak (Dao 2023, "FlashAttention-2", fig. 5/7;
#: FA3 paper Shah et al. 2024, fig. 1), and the CPU sweep in research/diffusers-offline.md s5 (75-90% of matmul peak).
#: Hopper: efficiencies are fractions of the *achievable* peak since the H100 SXM ceilings were measured
#: (profiles/ceilings/h100-sxm.yaml, 2026-11-26: bf16 matmul 8192^3 790.0 of 989.4 TFLOP/s = 0.7985; device copy
#: 3010.6 of 3350 GB/s = 0.8987), so the old datasheet-relative priors are divided by those fractions
#: (linear 0.65/0.7985 = 0.81, attention 0.38/0.7985 = 0.48, conv 0.35/0.7985 = 0.44, text encoder 0.5/0.7985 = 0.63,
#: elementwise 0.5/0.8987 = 0.56, weights 0.8/0.8987 = 0.89). Other families keep datasheet-relative priors (ceiling fractions 1.0).
HOPPER_MATMUL_CEILING_FRACTION = 790.02 / 989.4
HOPPER_COPY_CEILING_FRACTION = 3010.6 / 3350.0
APPLE_MATMUL_CEILING_FRACTION = (11.25 / 14.32 + 2.92 / (10 * 128 * 2 * 1.678e-3)) / 2
#: Launch-floor priors (module docstring): ~45 kernels per transformer layer x ~15 us host dispatch each on a GPU in
#: eager mode, x ~4 us on the CPU (ATen dispatch without a launch) [s per layer].
PRIOR_LAYER_LATENCY_GPU_SECONDS = 45 * 15e-6
PRIOR_LAYER_LATENCY_CPU_SECONDS = 45 * 4e-6
PRIOR_FAMILIES: dict[str, dict[str, float]] = {
    "ampere": dict(linear=0.75, attention=0.55, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                   per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "ada": dict(linear=0.8, attention=0.55, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "hopper": dict(linear=0.81, attention=0.48, conv=0.44, vae=0.44, elementwise=0.56, text_encoder=0.63, step_overhead_seconds=0.01,
                   weights=0.89, matmul_ceiling_fraction=HOPPER_MATMUL_CEILING_FRACTION,
                   copy_ceiling_fraction=HOPPER_COPY_CEILING_FRACTION,
                   per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "blackwell": dict(linear=0.8, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                      per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    # Families without diffusion measurements: the generic GPU prior (as ada/blackwell) x the shared GPU level the fit
    # finds. A measured matmul ceiling, where one is published, enters per card (profiles/ceilings/<slug>.yaml) or,
    # for the family, as matmul_ceiling_fraction: B200 torch bf16 matmul 1696.03 of 2250 dense = 0.754
    # (github zzc0721/torch-performance-test-data database.md, 'NVIDIA B200 180GB', PyTorch 2.8.0, read 2026-12-07).
    "turing": dict(linear=0.75, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                   per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "blackwell-dc": dict(linear=0.8, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6,
                         step_overhead_seconds=0.01, matmul_ceiling_fraction=1696.03 / 2250.0,
                         per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    # RDNA3: the RX 7900 XT's published torch.matmul bf16 83.18 of 103.2 TFLOPS (profiles/ceilings/rx-7900-xt.yaml)
    # stands for the family's other cards (the RX 7900 XTX is the same Navi 31 die with more CUs enabled)
    "rdna3": dict(linear=0.8, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                  matmul_ceiling_fraction=83.18 / 103.2,
                  per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "rdna4": dict(linear=0.8, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                  per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "cdna3": dict(linear=0.8, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                  per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    # Apple GPUs have no matrix units before M5: the datasheet-style peak is the ALU rate (cores x 128 x 2 x clock),
    # which PyTorch MPS GEMMs do not reach: M3 Max 40-core bf16 11.25 of 14.32 = 0.786, M4 10-core 2.92 of 4.30
    # (10 x 128 x 2 x 1.678 GHz) = 0.680 (github zzc0721/torch-performance-test-data database.md, read 2026-12-07);
    # the family fraction is their mean, for chips without a ceilings file of their own.
    "apple": dict(linear=0.8, attention=0.5, conv=0.45, vae=0.45, elementwise=0.5, text_encoder=0.6, step_overhead_seconds=0.01,
                  matmul_ceiling_fraction=APPLE_MATMUL_CEILING_FRACTION,
                  per_layer_latency_seconds=PRIOR_LAYER_LATENCY_GPU_SECONDS),
    "cpu": dict(linear=0.8, attention=0.5, conv=0.5, vae=0.5, elementwise=0.5, text_encoder=0.7, step_overhead_seconds=0.002,
                per_layer_latency_seconds=PRIOR_LAYER_LATENCY_CPU_SECONDS),
}
PRIOR_CPU = dict(name="dev VM (AMD EPYC, 2 cores, AVX-512 BF16, MKL)", cores=2, fp32_tflops=0.191, bf16_tflops=0.423,
                 memory_bandwidth_gb_per_s=20.0, board_power_watts=30.0, idle_power_watts=10.0,
                 measured_with="torch.mm 2048^2, 2 threads (research/diffusers-offline.md s5)", as_of="2026-11-26")
PRIOR_POWER = dict(alpha=1.0, compute_utilisation=0.85, memory_utilisation=0.6, transfer_utilisation=0.15,
                   fitted_on="prior (no NVML profiles yet)")


def default_calibration() -> Calibration:
    """Priors only (no fit)."""
    return Calibration(
        fitted_at=dt.date(2026, 11, 26), versions={}, method="priors (no fit)",
        families={k: FamilyEfficiency(**v) for k, v in PRIOR_FAMILIES.items()},
        cpu=CpuDevice(**PRIOR_CPU), power=PowerParams(**PRIOR_POWER),
        uncertainty={"calibrated": 0.15, "cross_gpu": 0.25, "cold": 0.35, "specs_only": 0.5},
    )


#: A family fitted on fewer points than this is labelled ``few-points`` and keeps the wide band of a family without
#: points: one or two runs fix its level but cannot show how it varies across models, resolutions and cards.
MIN_FAMILY_POINTS = 3


def family_tier(cal: "Calibration", family: str) -> str:
    """How a family's efficiencies were obtained: ``fitted`` (at least :data:`MIN_FAMILY_POINTS` measured points of
    its own), ``few-points`` (fitted on one or two points: wide band), ``shared-level`` (a CUDA family without points:
    prior x the level fitted on the other CUDA families, same kernels and software stack) or ``specs-only`` (a ROCm /
    MPS family without points, or one missing from the calibration: datasheet peaks and the generic prior only; its
    software stack was never measured)."""
    fam = cal.families.get(family)
    if fam is not None and fam.points >= MIN_FAMILY_POINTS:
        return "fitted"
    if fam is not None and fam.points > 0:
        return "few-points"
    if fam is None or family in NON_CUDA_FAMILIES:
        return "specs-only"
    return "shared-level"


def family_notes(cal: "Calibration", gpu: GPU) -> list[str]:
    """The caveat an estimate on ``gpu`` carries about how its family was calibrated (:func:`family_tier`)."""
    if gpu.architecture == "cpu":
        return []
    tier = family_tier(cal, gpu.architecture)
    if tier == "specs-only":
        return [f"from specs only: no measured runs of the {gpu.architecture} family (datasheet peaks x generic "
                f"efficiencies); wider uncertainty band"]
    if tier == "few-points":
        n = cal.families[gpu.architecture].points
        return [f"few measured runs: the {gpu.architecture} family is fitted on {n} point{'s' if n > 1 else ''}; "
                f"wider uncertainty band"]
    return []


def calibration_from_yaml_text(text: str, file: str = "<string>") -> Calibration:
    from advisor.catalog.yaml_reader import read_yaml_text

    data = read_yaml_text(text, file, expect=dict)  # the hardened reader: one-line errors naming the file
    try:
        return Calibration.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CatalogError(file, "calibration", ".".join(str(x) for x in err["loc"]) or None, err["msg"]) from None


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Calibration:
    from advisor.catalog.yaml_reader import read_yaml_file

    data = read_yaml_file(path, expect=dict)
    try:
        return Calibration.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CatalogError(path, "calibration", ".".join(str(x) for x in err["loc"]) or None, err["msg"]) from None


def load_calibration(path: Path | str | None = None) -> Calibration:
    """``profiles/calibration.yaml`` (or ``path``); the priors when the file does not exist."""
    p = Path(path) if path is not None else CALIBRATION_PATH
    if not p.is_file():
        return default_calibration()
    return _load_cached(str(p), p.stat().st_mtime)


def calibration_to_yaml_text(cal: Calibration) -> str:
    header = ("# Fitted by `advisor calibrate` (advisor/fit/calibrate.py). Do not edit by hand: efficiencies are fractions of the\n"
              "# catalog's dense peak per architecture family and op class; see advisor/perf/timing.py.\n")
    return header + yaml.safe_dump(cal.model_dump(mode="json"), sort_keys=False, width=120)


# ------------------------------------------------------------------------------------------------- device rates
@dataclass(frozen=True)
class DeviceRates:
    """Peak rates of one device for one request precision."""

    slug: str
    family: str
    matmul_flops_per_s: float  # linears [FLOP/s]
    attention_flops_per_s: float  # SDPA in the activation precision [FLOP/s]
    conv_flops_per_s: float  # [FLOP/s]
    memory_bytes_per_s: float  # datasheet DRAM bandwidth [B/s]
    pcie_bytes_per_s: float  # theoretical one-direction host->device [B/s]


def _rate(gpu: GPU, keys: tuple[str, ...]) -> float:
    for k in keys:
        if k in gpu.tensor_tflops:
            return gpu.tensor_tflops[k].value * 1e12
    raise InputError("gpu", gpu.slug, f"a GPU with one of tensor_tflops {', '.join(keys)}")


#: Achievable dense BF16 matmul / datasheet rate by market segment, for a card without a measured ceilings file.
#: Datasheet tensor rates are quoted at the spec boost clock. GeForce cards run above it under load, data-centre and
#: workstation cards are power-capped below it, so one family (Ada: RTX 4090 and L40S) holds both. Medians of the
#: PyTorch torch.matmul BF16 results in github zzc0721/torch-performance-test-data database.md (read 2026-12-07) over
#: the catalog's datasheet BF16 (FP32-accumulate) rates:
#:   consumer: RTX 3090 76.58/71.0 = 1.079, RTX 4090 166.6/165.2 = 1.008, RTX 5090 239.1/209.5 = 1.141,
#:             RTX 4070 SUPER 75.2/71.0 = 1.059, RTX 4060 Ti 16GB 42.65/44.1 = 0.967 -> median 1.059;
#:   data centre / workstation: A100 SXM 264.53/312 = 0.848, H100 SXM 786.45/989.4 = 0.795, H200 790.29/989 = 0.799,
#:             L40S 269.15/362.05 = 0.743, RTX A6000 123.34/154.8 = 0.797, B200 1696.03/2250 = 0.754,
#:             RTX PRO 6000 Blackwell 417.98/503.8 = 0.830 -> median 0.797.
SEGMENT_MATMUL_CEILING_FRACTION = {"consumer": 1.059, "workstation": 0.797, "datacenter": 0.797}
#: The fastest a GeForce card was measured above its datasheet tensor rate (RTX 5090 239.1 / 209.5, list above):
#: the physical floor of a consumer card without a ceilings file divides by it, so that a card boosting above its
#: spec clock is never called faster than physics.
CONSUMER_MAX_BOOST_OVER_SHEET = 239.1 / 209.5


def boost_over_sheet(gpu: GPU) -> float:
    """How far above its datasheet tensor rates ``gpu`` may run [>= 1]: its measured bf16 ceiling / datasheet bf16
    where a ceilings file exists (GeForce cards boost above the spec clock), else
    :data:`CONSUMER_MAX_BOOST_OVER_SHEET` for a consumer card, else 1 (power-capped workstation, data-centre and
    other parts). The roofline floor and claim checks scale the datasheet rates by it."""
    if gpu.architecture == "cpu":
        return 1.0
    ceil = load_ceilings(gpu.slug)
    if ceil is not None:
        return max(1.0, ceil.bf16_matmul_median_tflops * 1e12 / _rate(gpu, ("bf16_fp32acc", "fp16_fp32acc", "fp32")))
    return CONSUMER_MAX_BOOST_OVER_SHEET if segment_of(gpu) == "consumer" else 1.0
#: data-centre parts by slug prefix, for GPUs that do not state their segment (inline validation GPUs, older entries)
_DATACENTER_PREFIXES = ("a100", "a10", "a30", "a40", "l4", "l20", "l40", "t4", "h100", "h200", "h800", "h20", "b200",
                        "b300", "gb200", "gh200", "v100")


def segment_of(gpu: GPU) -> str | None:
    """The GPU's market segment: its catalog ``segment`` when set, else 'datacenter' for a server part (system class
    'server' or a data-centre slug), 'workstation' for RTX A / Ada Generation / RTX PRO names, 'consumer' for GeForce
    (name or an ``rtx-`` slug); None for the CPU and parts it cannot tell."""
    seg = getattr(gpu, "segment", None)
    if seg is not None or gpu.architecture == "cpu":
        return seg
    name = gpu.name.lower()
    if getattr(gpu, "system_class", None) == "server" or gpu.slug.startswith(_DATACENTER_PREFIXES):
        return "datacenter"
    if any(w in name for w in ("rtx a", "ada generation", "rtx pro", "quadro")):
        return "workstation"
    if "geforce" in name or gpu.slug.startswith("rtx-"):
        return "consumer"
    return None


def device_rates(gpu: GPU, precision: str, cal: "Calibration | None" = None, achievable: bool = True) -> DeviceRates:
    """*Achievable* peaks for ``precision`` on ``gpu`` (a catalog GPU or the synthetic CPU device).

    - a GPU with a measured ceilings file (``profiles/ceilings/<slug>.yaml``): matmul = the measured median bf16
      (fp8: fp8 ``_scaled_mm``) rate; the other tensor rates scaled by measured bf16 / datasheet bf16; memory = the
      measured device-copy rate (read + write bytes per second);
    - any other GPU: datasheet matmul x its segment's :data:`SEGMENT_MATMUL_CEILING_FRACTION` (else the family's
      ``matmul_ceiling_fraction``), datasheet bandwidth x the family's ``copy_ceiling_fraction`` (calibration.yaml;
      1.0 where the family has no measured ceiling, i.e. folded into the efficiencies);
    - the CPU: its measured peaks as they are.

    ``achievable=False`` gives the fastest the card can physically run (for the roofline floor and claim checks):
    datasheet tensor rates x :func:`boost_over_sheet`, datasheet bandwidth.
    """
    if precision not in MATMUL_KEYS:
        raise InputError("precision", precision, "|".join(MATMUL_KEYS))
    act = ACTIVATION_PRECISION.get(precision, "bf16")
    mm = _rate(gpu, MATMUL_KEYS[precision] + ("bf16_fp32acc", "fp32"))
    att = _rate(gpu, MATMUL_KEYS[act] + ("fp32",))
    bw = gpu.memory_bandwidth_gb_per_s.value * 1e9
    if gpu.architecture != "cpu" and achievable:
        ceil = load_ceilings(gpu.slug)
        bf16_sheet = _rate(gpu, ("bf16_fp32acc", "fp16_fp32acc", "fp32"))
        if ceil is not None:
            f_mm = ceil.bf16_matmul_median_tflops * 1e12 / bf16_sheet
            fp8_key = MATMUL_KEYS[precision][0].startswith("fp8") and "fp8_fp32acc" in gpu.tensor_tflops
            mm = ceil.fp8_matmul_median_tflops * 1e12 if fp8_key and ceil.fp8_matmul_median_tflops else mm * f_mm
            att *= f_mm
            if ceil.copy_median_gb_per_s is not None:
                bw = ceil.copy_median_gb_per_s * 1e9
            else:
                fam = (cal or load_calibration()).families.get(gpu.architecture)
                bw *= fam.copy_ceiling_fraction if fam else 1.0
        else:
            cal = cal or load_calibration()
            fam = cal.families.get(gpu.architecture)
            # the segment fractions are NVIDIA measurements; other vendors keep their family's fraction
            seg = (SEGMENT_MATMUL_CEILING_FRACTION.get(segment_of(gpu))
                   if getattr(gpu, "backend", "cuda") == "cuda" else None)
            f_mm = seg if seg is not None else (fam.matmul_ceiling_fraction if fam else 1.0)
            mm, att = mm * f_mm, att * f_mm
            bw *= fam.copy_ceiling_fraction if fam else 1.0
    elif gpu.architecture != "cpu":
        boost = boost_over_sheet(gpu)
        mm, att = mm * boost, att * boost
    pcie = gpu.pcie_gb_per_s * 1e9 if gpu.architecture != "cpu" else float("inf")
    return DeviceRates(gpu.slug, gpu.architecture, mm, att, att, bw, pcie)


# ------------------------------------------------------------------------------------------------------ timing
@dataclass(frozen=True)
class StageTime:
    """Time of one stage split by op class [s] and whether compute or memory dominated."""

    seconds: float
    by_class: dict[str, float]
    compute_seconds: float  # time in compute-bound classes [s]
    memory_seconds: float  # time in memory-bound classes [s]
    launch_bound_seconds: float = 0.0  # launch floor minus roofline time when the floor binds (GPU starved) [s]

    @property
    def bound(self) -> str:
        return "compute" if self.compute_seconds >= self.memory_seconds else "memory"


def stage_time(cost: StageCost, rates: DeviceRates, eff: FamilyEfficiency, text_encoder: bool = False,
               extra_elementwise_bytes: float = 0.0, layers: int = 0, extra_stream_bytes: float = 0.0,
               vae: bool = False) -> StageTime:
    """Time of one stage cost on a device [s] (formulas in the module docstring).

    ``layers``: transformer layers the stage runs one after another (launch floor = layers x
    ``eff.per_layer_latency_seconds``); 0 = no floor. ``extra_stream_bytes``: traffic of large contiguous casts
    (a stored FP8 weight upcast to BF16 before its GEMM: one read + one write of a whole weight tensor) [bytes],
    charged at the weight-streaming rate (BW x e_weights) like the weights themselves, not at the unfused
    elementwise rate, which is fitted on many small activation-sized kernels. ``vae``: the stage is a VAE, whose
    convolutions run at ``eff.vae`` (when the calibration has it) instead of ``eff.conv``.
    """
    bw_w = rates.memory_bytes_per_s * eff.weights
    bw_e = rates.memory_bytes_per_s * eff.elementwise
    elem = (cost.activation_bytes + extra_elementwise_bytes) / bw_e + extra_stream_bytes / bw_w
    by: dict[str, float] = {}
    comp = mem = 0.0
    if text_encoder:
        tc = cost.total_flops / (rates.matmul_flops_per_s * eff.text_encoder)
        tw = cost.weight_bytes / bw_w
        by["text_encoder"] = max(tc, tw)
        comp, mem = (tc, 0.0) if tc >= tw else (0.0, tw)
    else:
        tc = cost.linear_flops / (rates.matmul_flops_per_s * eff.linear)
        tw = cost.weight_bytes / bw_w
        by["linear"] = max(tc, tw)
        if tc >= tw:
            comp += tc
        else:
            mem += tw
        by["attention"] = cost.attention_flops / (rates.attention_flops_per_s * eff.attention)
        e_conv = eff.vae if (vae and eff.vae is not None) else eff.conv
        by["conv"] = cost.conv_flops / (rates.conv_flops_per_s * e_conv)
        comp += by["attention"] + by["conv"]
    by["elementwise"] = elem
    mem += elem
    roof = sum(by.values())
    floor = layers * eff.per_layer_latency_seconds
    return StageTime(max(roof, floor), by, comp, mem, max(0.0, floor - roof))


def roofline_floor_seconds(cost: StageCost, rates: DeviceRates) -> float:
    """Physical lower bound at 100% of peak: max(all FLOPs / matmul peak, weight bytes / bandwidth) [s].

    Uses the fastest compute rate the precision allows for every FLOP and assumes activations stay on chip,
    so no real run can beat it.
    """
    fastest = max(rates.matmul_flops_per_s, rates.attention_flops_per_s)
    return max(cost.total_flops / fastest, cost.weight_bytes / rates.memory_bytes_per_s)

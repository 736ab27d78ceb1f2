"""The hardware models of the catalog: a GPU (``profiles/gpus.yaml``) and a cloud rental offer of one
(``profiles/rentals.yaml``).

A GPU's ``architecture`` is also its calibration family (``profiles/calibration.yaml`` keys efficiencies by it);
``backend`` says which PyTorch device runs it (``cuda`` for NVIDIA, ``rocm`` for AMD, whose PyTorch build keeps
the CUDA API, ``mps`` for Apple Silicon). A *unified-memory* part (Apple Silicon, NVIDIA GB10 in the DGX Spark) has
one memory for the CPU and the GPU: ``vram_gib`` is that whole memory, which is also the host RAM
(:attr:`GPU.host_ram_gib`); how much of it the GPU may use at once is the operating system's choice (macOS wires at
most about 75% by default on large machines), which the memory model, not the catalog, accounts for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.catalog.base import Strict
from advisor.catalog.sourced import CARD_PRICE_STALE_AFTER_DAYS, Sourced, SourcedRange

#: calibration family of a GPU: NVIDIA turing/ampere/ada/hopper, ``blackwell`` (SM120/SM121: GeForce RTX 50,
#: RTX PRO Blackwell, GB10), ``blackwell-dc`` (SM100: B200), AMD ``rdna3``/``rdna4``/``cdna3``, ``apple``, ``cpu``
Architecture = Literal["turing", "ampere", "ada", "hopper", "blackwell", "blackwell-dc", "rdna3", "rdna4", "cdna3",
                       "apple", "cpu"]
#: the PyTorch device that runs the card
Backend = Literal["cuda", "rocm", "mps"]
#: which backend each architecture family runs on (a GPU's ``backend`` must agree)
BACKEND_OF_ARCHITECTURE: dict[str, str] = {
    "turing": "cuda", "ampere": "cuda", "ada": "cuda", "hopper": "cuda", "blackwell": "cuda", "blackwell-dc": "cuda",
    "rdna3": "rocm", "rdna4": "rocm", "cdna3": "rocm", "apple": "mps", "cpu": "cuda",
}
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
#: the rates every GPU must list: the simulator's BF16/FP16 matmul rate and the FP32 rate of non-tensor work
REQUIRED_TENSOR_KEYS: tuple[str, ...] = ("bf16_fp32acc", "fp16_fp32acc", "fp32")
#: GPU kinds: consumer (GeForce/Radeon), workstation (RTX A/Ada/PRO, Radeon AI PRO), data centre, desktop
#: systems sold whole (Apple Mac, NVIDIA DGX Spark)
Segment = Literal["consumer", "workstation", "datacenter", "system"]


class GPU(Strict):
    slug: str
    name: str
    architecture: Architecture
    vram_gib: Sourced  # usable VRAM [GiB]; unified-memory parts: the whole memory
    memory_bandwidth_gb_per_s: Sourced  # [GB/s, 1e9]
    tensor_tflops: dict[TensorKey, Sourced]  # dense [TFLOP/s, 1e12]
    pcie_gen: Sourced | None = None  # host link of a PCIe card (3, 4 or 5)
    pcie_lanes: Sourced | None = None
    #: one-direction host<->GPU bandwidth of a part not on PCIe [GB/s]: NVLink-C2C (GH200), or the unified memory
    #: itself (Apple Silicon, GB10: "offloaded" weights never leave the one memory); overrides the PCIe figure
    host_link_gb_per_s: Sourced | None = None
    board_power_watts: Sourced
    idle_power_watts: Sourced
    #: a machine sold whole (Apple Silicon, DGX Spark): its power outside what board_power_watts counts, while
    #: generating and idle [W]; None: the desktop around a card (Defaults.rest_of_system_watts / _idle_watts)
    rest_of_system_watts: Sourced | None = None
    rest_of_system_idle_watts: Sourced | None = None
    launch_price_usd: Sourced | None = None
    street_price_usd: SourcedRange | None = None
    used_price_usd: SourcedRange | None = None
    #: the kind of machine the card goes into (keys Defaults.rest_of_system_usd: CPU, board, RAM, PSU, case, storage)
    system_class: str | None = None
    #: which PyTorch device runs it (cuda | rocm | mps); must agree with the architecture family
    backend: Backend = "cuda"
    #: one memory shared by CPU and GPU (Apple Silicon, GB10): vram_gib is then also the host RAM
    unified_memory: bool = False
    segment: Segment | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "GPU":
        expected = BACKEND_OF_ARCHITECTURE[self.architecture]
        if self.architecture != "cpu" and self.backend != expected:
            raise ValueError(f"backend '{self.backend}' does not run architecture '{self.architecture}' "
                             f"(allowed: '{expected}')")
        if self.architecture != "cpu":
            missing = [k for k in REQUIRED_TENSOR_KEYS if k not in self.tensor_tflops]
            if missing:
                raise ValueError(f"tensor_tflops needs {', '.join(missing)} (the simulator's matmul and FP32 rates)")
        if self.host_link_gb_per_s is None and (self.pcie_gen is None or self.pcie_lanes is None):
            raise ValueError("a GPU needs pcie_gen and pcie_lanes, or host_link_gb_per_s for a part not on PCIe")
        if self.unified_memory and self.host_link_gb_per_s is None:
            raise ValueError("a unified-memory part needs host_link_gb_per_s (its memory bandwidth: nothing is copied)")
        # a card's street and used prices move monthly: stale after 90 days instead of 180
        for rng in (self.street_price_usd, self.used_price_usd):
            if rng is not None:
                rng._stale_after_days = CARD_PRICE_STALE_AFTER_DAYS
        return self

    @property
    def host_ram_gib(self) -> float | None:
        """Host RAM [GiB] the card brings with it: the whole unified memory for a unified-memory part, else None
        (a discrete card's host RAM belongs to the machine around it)."""
        return self.vram_gib.value if self.unified_memory else None

    @property
    def pcie_gb_per_s(self) -> float:
        """Theoretical one-direction host<->GPU bandwidth [GB/s]: ``host_link_gb_per_s`` when set, else the PCIe
        per-lane rate x lanes (PCI-SIG: gen3 0.985, gen4 1.969, gen5 3.938 GB/s per lane)."""
        if self.host_link_gb_per_s is not None:
            return self.host_link_gb_per_s.value
        per_lane = {3: 0.985, 4: 1.969, 5: 3.938}[int(self.pcie_gen.value)]
        return per_lane * self.pcie_lanes.value


class RentalOffer(Strict):
    slug: str
    gpu: str  # GPU slug
    provider: str
    on_demand_usd_per_hour: SourcedRange
    spot_usd_per_hour: SourcedRange | None = None
    serverless: bool = False  # bills only while a worker runs (scale to zero), incl. cold start and idle timeout
    billing_increment_seconds: float = Field(default=1.0, gt=0)
    minimum_billing_seconds: float = Field(default=60.0, ge=0)
    billing_source: str | None = None  # where the increment and minimum come from
    boot_seconds: Sourced | None = None  # pod/instance start until usable [s]; None -> Defaults.pod_boot_seconds
    persistent_storage_usd_per_gb_month: Sourced | None = None  # volume that keeps the weights [USD/(GB month)]
    volume_read_gb_per_s: Sourced | None = None  # read rate of that volume [GB/s]; None -> Defaults
    cold_start_seconds: Sourced | None = None  # serverless: worker start + model load [s]; None -> boot + load
    idle_timeout_seconds: Sourced | None = None  # serverless: billed idle time before a worker stops [s]
    egress_note: str | None = None
    interruption_note: str | None = None  # spot/interruptible: what the provider says about reclaiming
    notes: str | None = None

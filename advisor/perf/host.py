"""The machine around the card: host (CPU) memory and disk a generating process needs.

Host RAM [GiB] = weights kept in host memory + the process's working set + the operating system:

- weights in host memory: with any offload (model, group, sequential) every module's weights live in host RAM and
  are copied to the GPU when they run (diffusers ``enable_model_cpu_offload`` / ``enable_group_offload`` /
  ``enable_sequential_cpu_offload`` keep the CPU copy; group offload with ``use_stream=True`` pins it, which is still
  host RAM); without offload the weights are loaded straight to the GPU and only the working set stays;
- working set: :data:`PROCESS_WORKING_SET_GIB`, measured;
- operating system: :data:`OS_RESERVE_GIB`, an assumption.

On a unified-memory machine (Apple Silicon, NVIDIA GB10) host RAM and GPU memory are one memory: the figure is then
the whole memory the run needs, the GPU's allocations (``required_gib`` of :mod:`advisor.perf.memory`, all weights
included: offloading frees nothing there) + working set + OS, with no offloaded copy counted on top.

Disk [GB, 1e9 bytes] = the checkpoint that is loaded: the catalog's size on disk for the precision, else the bf16
checkpoint (diffusers quantises on load), else parameters x bytes of the precision (the same rule as
:func:`advisor.decide.market.weights_gb`).

Check against the project's own measurement: the FLUX.2 [dev] bf16 model-offload run on the H100 SXM
(profiles/measured/h100-sxm/flux-2-dev-1024x1024-4steps-bf16-full-b1-offload-model.yaml) peaked at 51.68 GiB host
RSS when it was interrupted while building the pipeline, i.e. part-way through loading 104.9 GiB of bf16 weights;
the model's 104.9 + 2 + 4 = 110.9 GiB for the finished load is above it, as it must be.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.catalog.architecture import ArchitectureSpec

GIB = 2**30
#: Host memory of the generating process without offloaded weights [GiB]: the largest peak RSS of the project's
#: no-offload H100 SXM profiles (profiles/measured/h100-sxm ``cpu_peak_rss_gib`` 1.77-1.94 GiB: Python, torch,
#: CUDA host allocations, tokenizers), rounded up to 2.
PROCESS_WORKING_SET_GIB = 2.0
#: Host memory left to the operating system and a desktop session [GiB]: assumption (Ubuntu Desktop's stated
#: minimum of 4 GB RAM, ubuntu.com/download/desktop system requirements, 2025-04).
OS_RESERVE_GIB = 4.0
#: Standard desktop memory sizes [GB as sold = GiB: memory capacities are binary, a "64 GB" kit holds 64 GiB]
#: (2 or 4 DIMMs of 8/16/24/32/48 GB); a platform's maximum is stated per build (profiles/defaults.yaml).
STANDARD_RAM_SIZES_GB = (16, 32, 48, 64, 96, 128, 192)


@dataclass(frozen=True)
class HostNeeds:
    """Host memory [GiB] and disk [GB] one generating process needs, and what they are made of."""

    host_ram_gib: float
    offloaded_weights_gib: float
    working_set_gib: float
    os_gib: float
    disk_gb: float
    disk_text: str


def host_ram_gib(weights_gib: float, offload: str, unified_gpu_gib: float | None = None) -> tuple[float, float]:
    """(host RAM needed, weights kept in host RAM) [GiB] for ``weights_gib`` of weights under ``offload``
    (module docstring). ``unified_gpu_gib``: on a unified-memory machine, the GPU's own allocations [GiB], which
    come out of the same memory (then no weights count as offloaded)."""
    if unified_gpu_gib is not None:
        return unified_gpu_gib + PROCESS_WORKING_SET_GIB + OS_RESERVE_GIB, 0.0
    offloaded = weights_gib if offload in ("model", "group", "sequential") else 0.0
    return offloaded + PROCESS_WORKING_SET_GIB + OS_RESERVE_GIB, offloaded


def disk_gb(pipe, spec: ArchitectureSpec, precision: str) -> tuple[float, str]:
    """Checkpoint size on disk [GB] and where it comes from (module docstring)."""
    from advisor.perf import memory as M

    w = pipe.weights_on_disk_gb
    if precision in w:
        return w[precision].value, f"{precision} checkpoint {w[precision].value:g} GB (catalog)"
    if "bf16" in w:
        extra = "" if precision == "bf16" else f", quantised to {precision} on load"
        return w["bf16"].value, f"bf16 checkpoint {w['bf16'].value:g} GB (catalog{extra})"
    gb = M.total_weight_gib(spec, precision) * GIB / 1e9
    return gb, f"{gb:.3g} GB ({precision} weights from profiles/architectures parameters)"


def host_needs(pipe, spec: ArchitectureSpec, weights_gib: float, offload: str, precision: str,
               unified_gpu_gib: float | None = None) -> HostNeeds:
    """Host RAM and disk of one process running ``pipe`` with ``weights_gib`` of weights under ``offload``;
    ``unified_gpu_gib``: the GPU's allocations [GiB] on a unified-memory machine (:func:`host_ram_gib`)."""
    ram, offloaded = host_ram_gib(weights_gib, offload, unified_gpu_gib)
    disk, text = disk_gb(pipe, spec, precision)
    return HostNeeds(ram, offloaded, PROCESS_WORKING_SET_GIB, OS_RESERVE_GIB, disk, text)


def ram_size_for(needed_gib: float) -> int | None:
    """The smallest standard desktop memory size [GB as sold = GiB] that holds ``needed_gib`` [GiB]; None above the
    largest."""
    return next((s for s in STANDARD_RAM_SIZES_GB if s >= needed_gib - 1e-9), None)

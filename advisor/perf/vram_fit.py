"""Whether a run fits a device, and the offload strategy that makes it fit: the one fit check of the simulator
(:func:`advisor.perf._engine.simulate` and :func:`advisor.perf.optimizations.simulate_optimized` both call
:func:`choose_offload`).

The memory a run may use (:func:`gpu_memory_limit`) is the card's VRAM, or on a unified-memory machine (Apple
Silicon, NVIDIA GB10: one memory for CPU and GPU) the GPU's usable share of it. There, offloading weights to "host
memory" moves them within the same memory and frees nothing, so every offload strategy needs what running without
offload needs: weights + activations (:mod:`advisor.perf.memory`) must fit the GPU's share, and the process and the
operating system (:mod:`advisor.perf.host`) live in the rest.

Public: APPLE_GPU_SHARE_LARGE, APPLE_GPU_SHARE_SMALL, APPLE_SMALL_MACHINE_GIB, MemoryLimit,
gpu_memory_limit(gpu) -> MemoryLimit, OffloadChoice, choose_offload(gpu, requested, breakdown_for) -> OffloadChoice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from advisor.perf import host as H
from advisor.perf.memory import OFFLOAD_STRATEGIES, VramBreakdown

#: Share of unified memory macOS lets the GPU use by default, Metal's ``MTLDevice.recommendedMaxWorkingSetSize``
#: [1]: about 75% on machines with more than 36 GB, about two thirds (65-70%) on 36 GB or less ("~65-70% of total
#: RAM on machines with 36GB or less, ~75% of total RAM on higher-memory machines",
#: https://www.thinkdifferent.blog/blog/the-macbook-pro-setting-that-doubles-your-ai-performance/, read 2026-12-07;
#: "For a 128 GB Mac, this value comes out to about 96 GB ... a 64 GB Mac has ~48 GB",
#: https://stencel.io/posts/apple-silicon-limitations-with-usage-on-local-llm%20.html, read 2026-12-07; measured
#: 107.52 GiB of 128 GiB on macOS 26, https://github.com/antirez/ds4/pull/893, 2026-08-29: 0.75 is the conservative
#: end). PyTorch's MPS allocator takes
#: this figure as its reference (PYTORCH_MPS_HIGH_WATERMARK_RATIO 1.0 = recommendedMaxWorkingSetSize, default 1.7:
#: docs.pytorch.org/docs/stable/mps_environment_variables.html); allocations past it are allowed but page the rest of
#: the system out to disk (https://github.com/ggml-org/llama.cpp/pull/2069, 2023-07-02), so a run is counted as
#: fitting only within it.
APPLE_GPU_SHARE_LARGE = 0.75
APPLE_GPU_SHARE_SMALL = 2.0 / 3.0
#: Unified memory [GiB] up to which the smaller share applies (machines of 36 GB or less).
APPLE_SMALL_MACHINE_GIB = 36.0


@dataclass(frozen=True)
class MemoryLimit:
    """What a run's ``required_gib`` must fit in on a device [GiB], and how that figure comes about.

    ``unified``: one memory for CPU and GPU (Apple Silicon, GB10), so offloading weights to host memory frees
    nothing; ``total_gib``: the device's memory as the catalog states it (for unified memory: the whole machine's)."""

    gib: float
    total_gib: float
    unified: bool
    text: str


def gpu_memory_limit(gpu) -> MemoryLimit:
    """The memory a run may use on ``gpu`` (an :class:`advisor.catalog.GPU`) [GiB].

    - discrete card (and the CPU device): its ``vram_gib``;
    - Apple Silicon (backend ``mps``, unified memory): the GPU's working-set share of the unified memory
      (:data:`APPLE_GPU_SHARE_LARGE` above :data:`APPLE_SMALL_MACHINE_GIB`, else :data:`APPLE_GPU_SHARE_SMALL`);
    - another unified-memory part (NVIDIA GB10, CUDA on Linux, no such cap): the memory less the process working set
      and the OS reserve of :mod:`advisor.perf.host`, which live in the same memory.
    """
    total = float(gpu.vram_gib.value)
    if not getattr(gpu, "unified_memory", False):
        return MemoryLimit(total, total, False, f"{total:.1f} GiB")
    if getattr(gpu, "backend", "cuda") == "mps":
        share = APPLE_GPU_SHARE_LARGE if total > APPLE_SMALL_MACHINE_GIB else APPLE_GPU_SHARE_SMALL
        gib = total * share
        return MemoryLimit(gib, total, True, f"{gib:.1f} GiB (the GPU's {share:.0%} share of the {total:g} GiB "
                                             f"unified memory, Metal recommendedMaxWorkingSetSize)")
    gib = total - H.PROCESS_WORKING_SET_GIB - H.OS_RESERVE_GIB
    return MemoryLimit(gib, total, True, f"{gib:.1f} GiB (the {total:g} GiB unified memory less "
                                         f"{H.PROCESS_WORKING_SET_GIB + H.OS_RESERVE_GIB:g} GiB for the process and OS)")


@dataclass(frozen=True)
class OffloadChoice:
    """The offload strategy a run uses on a device, its VRAM breakdown, whether it fits and the notes that say why."""

    offload: str
    breakdown: VramBreakdown
    fits: bool
    limit: MemoryLimit
    notes: tuple[str, ...]


def choose_offload(gpu, requested: str, breakdown_for) -> OffloadChoice:
    """The offload strategy of a run on ``gpu`` and its breakdown; ``breakdown_for(strategy)`` gives the
    :class:`VramBreakdown` of the run under a strategy, ``requested`` is ``auto`` or a strategy.

    ``auto`` takes the first of :data:`OFFLOAD_STRATEGIES` whose ``required_gib`` fits :func:`gpu_memory_limit`
    (else ``sequential``); the CPU device runs without offload. On unified memory offloading moves weights to host
    memory that is the same memory, so every strategy needs what ``none`` needs (a lower bound: the offload hooks'
    copies would add to it) and ``auto`` is ``none``. The first note, when it does not fit, is the one-line reason.
    """
    limit = gpu_memory_limit(gpu)
    name = getattr(gpu, "name", str(gpu))
    if limit.unified:
        chosen = "none" if requested == "auto" else requested
        vb = replace(breakdown_for("none"), offload=chosen)
        fits = vb.required_gib <= limit.gib
        notes = []
        if not fits:
            notes.append(f"does not fit on {name}: needs {vb.required_gib:.1f} GiB > {limit.text}; offloading "
                         f"cannot help there: host RAM and GPU memory are the same {limit.total_gib:g} GiB, so "
                         f"weights, activations and the OS must all fit in it")
        elif chosen != "none":
            notes.append(f"offload={chosen} frees no memory on {name} (unified memory): it needs the same "
                         f"{vb.required_gib:.1f} GiB as without offload")
        return OffloadChoice(chosen, vb, fits, limit, tuple(notes))
    vram = limit.gib
    if getattr(gpu, "architecture", "") == "cpu":
        chosen = "none"
    elif requested == "auto":
        chosen = next((s for s in OFFLOAD_STRATEGIES if breakdown_for(s).required_gib <= vram), "sequential")
    else:
        chosen = requested
    vb = breakdown_for(chosen)
    fits = vb.required_gib <= vram
    notes = []
    if not fits:
        notes.append(f"does not fit on {name}: needs {vb.required_gib:.1f} GiB > {vram:.1f} GiB with offload={chosen}")
    if requested == "auto" and chosen != "none":
        notes.append(f"offload={chosen}: without offload it needs {breakdown_for('none').required_gib:.1f} GiB > "
                     f"{vram:.1f} GiB")
    return OffloadChoice(chosen, vb, fits, limit, tuple(notes))

"""Which accelerator backend a ``--device`` means, and the calls that differ between them (CUDA, ROCm, MPS, CPU).

- NVIDIA CUDA and AMD ROCm both run through torch's CUDA API (``torch.cuda``, device strings ``cuda[:N]``); a ROCm
  build of torch says so in ``torch.version.hip`` (PyTorch docs, "HIP (ROCm) semantics": "torch.version.hip ...
  the CUDA API is reused"). ``--device rocm[:N]`` is accepted as a name for the same device and refused on a CUDA
  build (and ``cuda`` on a ROCm build means the ROCm GPU, as in torch).
- Apple Silicon runs through ``torch.backends.mps`` (device ``mps``; ``torch.mps.synchronize``,
  ``torch.mps.empty_cache``, ``torch.mps.driver_allocated_memory``; no peak-memory counter, no events).
- Versions recorded in the profile: CUDA runtime (``torch.version.cuda``), HIP runtime (``torch.version.hip``),
  macOS (``platform.mac_ver()``).

An unknown backend (``--device tpu``), or one this torch cannot run (``mps`` off macOS, ``rocm`` on a CUDA build,
no visible GPU) is an :class:`advisor.errors.InputError`: one line, exit 2.

Public API:
    DEVICE_RE, ALLOWED_DEVICES, parse_device(device) -> (kind, index)
    Backend (frozen dataclass), resolve_backend(device, torch_mod=None, mac_ver=None) -> Backend
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from typing import Any, Callable

from advisor.errors import InputError

DEVICE_RE = re.compile(r"cpu|mps|(cuda|rocm)(:\d+)?")
ALLOWED_DEVICES = "cpu, cuda, cuda:<index>, rocm, rocm:<index> or mps"


def parse_device(device: str) -> tuple[str, int | None]:
    """``'cuda:1'`` -> ('cuda', 1); ``'mps'`` -> ('mps', None); anything else -> InputError naming the allowed forms."""
    if not isinstance(device, str) or not DEVICE_RE.fullmatch(device):
        raise InputError("--device", device, ALLOWED_DEVICES)
    if ":" in device:
        kind, idx = device.split(":")
        return kind, int(idx)
    return device, (0 if device in ("cuda", "rocm") else None)


@dataclass(frozen=True)
class Backend:
    """The backend of one measurement: ``name`` cuda | rocm | mps | cpu; ``torch_device`` the string torch takes."""

    name: str
    torch_device: str
    index: int | None = None
    version: str | None = None  # torch.version.cuda / torch.version.hip, or the macOS release (platform.mac_ver)

    @property
    def uses_torch_cuda(self) -> bool:
        """CUDA and ROCm both run through ``torch.cuda`` (events, synchronize, peak-memory counters)."""
        return self.name in ("cuda", "rocm")

    @property
    def is_gpu(self) -> bool:
        return self.name != "cpu"

    def synchronize(self, torch_mod: Any = None) -> None:
        """Wait for the device's queued work (no-op on the CPU)."""
        torch = torch_mod or _torch()
        if self.uses_torch_cuda:
            torch.cuda.synchronize()
        elif self.name == "mps":
            torch.mps.synchronize()

    def empty_cache(self, torch_mod: Any = None) -> None:
        torch = torch_mod or _torch()
        if self.uses_torch_cuda:
            torch.cuda.empty_cache()
        elif self.name == "mps":
            torch.mps.empty_cache()

    def synchronizer(self) -> Callable[[], None] | None:
        """A no-argument synchronize for timers (None on the CPU, where work is synchronous)."""
        return None if self.name == "cpu" else self.synchronize


def _torch():
    import torch

    return torch


def resolve_backend(device: str, torch_mod: Any = None, mac_ver: Callable[[], tuple] | None = None,
                    check: bool = True) -> Backend:
    """The :class:`Backend` ``device`` names on this torch build; InputError (one line) when it cannot run here.

    ``check=False`` skips the availability checks (visible GPU, index in range, MPS usable) and only reads the build
    (ROCm or CUDA): for the runner, once the command has checked the device."""
    kind, index = parse_device(device)
    if kind == "cpu":
        return Backend("cpu", "cpu")
    torch = torch_mod or _torch()
    if kind == "mps":
        mps = getattr(getattr(torch, "backends", None), "mps", None)
        if check and (mps is None or not mps.is_available()):
            raise InputError("--device", device, "cpu or cuda (this torch has no usable MPS backend: "
                                                 "torch.backends.mps.is_available() is False)")
        return Backend("mps", "mps", None, (mac_ver or platform.mac_ver)()[0] or None)
    hip = getattr(torch.version, "hip", None)
    if kind == "rocm" and not hip:
        cuda = getattr(torch.version, "cuda", None)
        build = f"built for CUDA {cuda}" if cuda else "a CPU-only build"
        raise InputError("--device", device, f"cpu or cuda[:<index>] (this torch is {build}, not ROCm: "
                                             "torch.version.hip is None)")
    if check and not torch.cuda.is_available():
        raise InputError("--device", device, "cpu (no CUDA GPU is visible: torch.cuda.is_available() is False)")
    if check and index >= (count := torch.cuda.device_count()):
        raise InputError("--device", device, f"{kind}:0..{kind}:{count - 1}")
    if hip:
        return Backend("rocm", f"cuda:{index}", index, str(hip))
    return Backend("cuda", f"cuda:{index}", index, torch.version.cuda)


def _sysctl(key: str, run: Callable[..., Any] | None = None) -> str | None:
    """``sysctl -n <key>`` (macOS), or None where it fails."""
    import subprocess

    try:
        res = (run or subprocess.run)(["sysctl", "-n", key], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    out = (getattr(res, "stdout", "") or "").strip()
    return out if getattr(res, "returncode", 1) == 0 and out else None


def apple_device_name(run: Callable[..., Any] | None = None) -> tuple[str | None, int | None]:
    """(``'<chip> (<unified memory> GB)'``, unified memory [bytes]) of this Mac: ``machdep.cpu.brand_string`` (e.g.
    'Apple M3 Max') and ``hw.memsize``. Apple's "GB" of unified memory are GiB (128 GB = 2**37 bytes); the name is
    what :func:`advisor.catalog.measured.gpu_slug_for_name` matches. (None, None) off macOS."""
    chip = _sysctl("machdep.cpu.brand_string", run)
    mem = _sysctl("hw.memsize", run)
    mem_bytes = int(mem) if mem and mem.isdigit() else None
    if chip is None:
        return None, mem_bytes
    return (f"{chip} ({round(mem_bytes / 2**30)} GB)" if mem_bytes else chip), mem_bytes


def make_sampler(backend: Backend, hz: float, *, nvml: Any = None, amdsmi: Any = None, powermetrics: Any = None):
    """The board-power sampler of ``backend``: NVML (cuda), AMD SMI (rocm), powermetrics (mps), None (cpu).
    ``nvml`` / ``amdsmi`` are the library modules (fakes in tests); ``powermetrics`` a ready sampler (tests)."""
    if backend.name == "cuda":
        from measure.power import NvmlSampler

        return NvmlSampler(index=backend.index or 0, hz=hz, nvml=nvml)
    if backend.name == "rocm":
        from measure.power_more import AmdSmiSampler

        return AmdSmiSampler(index=backend.index or 0, hz=hz, amdsmi=amdsmi)
    if backend.name == "mps":
        if powermetrics is not None:
            return powermetrics
        from measure.power_more import PowermetricsSampler

        return PowermetricsSampler(hz=min(hz, 10.0))  # powermetrics' own overhead grows at short intervals
    return None

"""Board power sampling: NVML (NVIDIA, ``import pynvml`` from nvidia-ml-py), AMD SMI (ROCm, ``import amdsmi``),
``powermetrics`` (Apple Silicon, root only); CPU energy via RAPL. The AMD and Apple samplers live in
:mod:`measure.power_more`; all share :class:`PowerSampler` (sampling thread, windows, trapezoidal energy).

Recipe: shared/research/ecosystem.md §5.
- Power: field ``NVML_FI_DEV_POWER_INSTANT`` (186) where supported, else ``nvmlDeviceGetPowerUsage`` (a 1 s
  average on GA100 and newer) [milliwatts -> watts].
- Energy: ``nvmlDeviceGetTotalEnergyConsumption`` difference around a run (Volta and newer) [millijoules ->
  joules]; else the trapezoidal integral of the power samples.
- Every NVML call may raise ``NVMLError`` (NotSupported, ...); without a driver ``nvmlInit`` raises
  ``NVMLError_LibraryNotFound``. Then power fields stay null and ``reason`` says why.
- RAPL: ``/sys/class/powercap/intel-rapl:N/energy_uj`` [microjoules] only where readable (root on bare metal).
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

FIELD_POWER_INSTANT = 186


def load_nvml():
    """The ``pynvml`` module, or None when nvidia-ml-py is not installed (tests monkeypatch this)."""
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        return None
    return pynvml


def _field_value(fv) -> float | None:
    """Numeric value of an NVML field value struct (by valueType: 0 double, 1 uint, 2 ulong, 3 ull, 4 sll, 5 sint)."""
    attr = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}.get(int(fv.valueType))
    return float(getattr(fv.value, attr)) if attr else None


class PowerSampler:
    """Samples board power [W] and used memory [bytes] of one device in a thread at ``hz``.

    Subclasses set ``handle`` / ``method`` / ``reason`` and implement ``read_watts``; ``energy_joules``,
    ``memory_used_bytes`` and ``device_facts`` default to "not available".
    """

    def __init__(self, hz: float = 20.0):
        self.hz = hz
        self.handle: Any = None
        self.reason: str | None = None
        self.method: str | None = None
        self.samples: list[tuple[float, float]] = []  # (perf_counter seconds, watts)
        self.mem_used_max: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.handle is not None and self.method is not None

    def read_watts(self) -> float | None:  # pragma: no cover - overridden
        return None

    def energy_joules(self) -> float | None:
        return None

    def memory_used_bytes(self) -> int | None:
        return None

    def device_facts(self) -> dict[str, Any]:
        return {}

    def _close(self) -> None:
        """Release the library handle (subclasses)."""

    # ------------------------------------------------------------------------------------- sampling
    def _loop(self) -> None:
        period = 1.0 / self.hz
        next_t = time.perf_counter()
        while not self._stop.is_set():
            w = self.read_watts()
            t = time.perf_counter()
            mem = self.memory_used_bytes()
            with self._lock:
                if w is not None:
                    self.samples.append((t, w))
                if mem is not None:
                    self.mem_used_max = mem if self.mem_used_max is None else max(self.mem_used_max, mem)
            next_t += period
            delay = next_t - time.perf_counter()
            if delay < 0:
                next_t = time.perf_counter()
                delay = 0
            self._stop.wait(delay)

    def start(self) -> None:
        if self.handle is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"{type(self).__name__}-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None

    def shutdown(self) -> None:
        self.stop()
        if self.handle is not None:
            self._close()
            self.handle = None

    def window(self, t0: float, t1: float) -> list[float]:
        with self._lock:
            return [w for t, w in self.samples if t0 <= t <= t1]

    def integrate(self, t0: float, t1: float) -> float | None:
        """Trapezoidal integral of the samples in [t0, t1] [J]; None with fewer than 2 samples."""
        with self._lock:
            pts = [(t, w) for t, w in self.samples if t0 <= t <= t1]
        if len(pts) < 2:
            return None
        return sum((b[0] - a[0]) * (a[1] + b[1]) / 2.0 for a, b in zip(pts, pts[1:]))

    def measure_idle(self, seconds: float = 2.0) -> float | None:
        """Median board power over ``seconds`` of idling [W] (sampler must be running)."""
        if not self.available:
            return None
        t0 = time.perf_counter()
        time.sleep(seconds)
        vals = self.window(t0, time.perf_counter())
        return statistics.median(vals) if vals else None

    @property
    def achieved_hz(self) -> float | None:
        with self._lock:
            if len(self.samples) < 2:
                return None
            span = self.samples[-1][0] - self.samples[0][0]
            return (len(self.samples) - 1) / span if span > 0 else None


class NvmlSampler(PowerSampler):
    """NVIDIA: board power [W] and used memory [bytes] of one GPU through NVML, sampled in a thread at ``hz``."""

    def __init__(self, index: int = 0, hz: float = 20.0, nvml: Any = None):
        super().__init__(hz)
        self.index = index
        self.nvml = nvml if nvml is not None else load_nvml()
        self._init()

    # ---------------------------------------------------------------------------------------- setup
    def _init(self) -> None:
        nv = self.nvml
        if nv is None:
            self.reason = "nvidia-ml-py (pynvml) not installed"
            return
        try:
            nv.nvmlInit()
            self.handle = nv.nvmlDeviceGetHandleByIndex(self.index)
        except nv.NVMLError as exc:
            self.reason = f"NVML unavailable: {type(exc).__name__}: {exc}"
            self.handle = None
            return
        if self._instant_power() is not None:
            self.method = "nvml:power_instant"
        elif self._power_usage() is not None:
            self.method = "nvml:power_usage(1s-average on GA100+)"
        else:
            self.reason = "NVML power readings not supported on this GPU"

    def _try(self, fn, *args):
        try:
            return fn(*args)
        except self.nvml.NVMLError:
            return None

    def _instant_power(self) -> float | None:
        fn = getattr(self.nvml, "nvmlDeviceGetFieldValues", None)
        if fn is None:
            return None
        vals = self._try(fn, self.handle, [FIELD_POWER_INSTANT])
        if not vals or int(getattr(vals[0], "nvmlReturn", 1)) != 0:
            return None
        v = _field_value(vals[0])
        return v / 1000.0 if v is not None and v > 0 else None

    def _power_usage(self) -> float | None:
        mw = self._try(self.nvml.nvmlDeviceGetPowerUsage, self.handle)
        return mw / 1000.0 if mw is not None else None

    def read_watts(self) -> float | None:
        if not self.available:
            return None
        if self.method == "nvml:power_instant":
            return self._instant_power()
        return self._power_usage()

    def energy_joules(self) -> float | None:
        """Total energy counter since driver load [J] (None where not supported)."""
        if self.handle is None:
            return None
        mj = self._try(self.nvml.nvmlDeviceGetTotalEnergyConsumption, self.handle)
        return mj / 1000.0 if mj is not None else None

    def memory_used_bytes(self) -> int | None:
        if self.handle is None:
            return None
        info = self._try(self.nvml.nvmlDeviceGetMemoryInfo, self.handle)
        return int(info.used) if info is not None else None

    def device_facts(self) -> dict[str, Any]:
        """Name, driver, power limit [W], memory total [bytes] where NVML can tell."""
        if self.handle is None:
            return {}
        nv = self.nvml
        name = self._try(nv.nvmlDeviceGetName, self.handle)
        if isinstance(name, bytes):
            name = name.decode()
        driver = self._try(nv.nvmlSystemGetDriverVersion)
        if isinstance(driver, bytes):
            driver = driver.decode()
        limit = self._try(nv.nvmlDeviceGetEnforcedPowerLimit, self.handle)
        mem = self._try(nv.nvmlDeviceGetMemoryInfo, self.handle)
        return dict(name=name, driver=driver, power_limit_watts=(limit / 1000.0 if limit else None),
                    memory_total_bytes=(int(mem.total) if mem is not None else None))

    def _close(self) -> None:
        self._try(self.nvml.nvmlShutdown)


class RaplReader:
    """CPU package energy from ``/sys/class/powercap/intel-rapl:N/energy_uj`` (only where readable)."""

    def __init__(self, root: str = "/sys/class/powercap"):
        self.domains: list[tuple[Path, int]] = []
        base = Path(root)
        if not base.is_dir():
            self.reason = f"{root} not present"
            return
        for d in sorted(base.glob("intel-rapl:*")):
            if d.name.count(":") != 1:
                continue  # sub-domains (core, uncore, dram) are inside the package
            f = d / "energy_uj"
            try:
                int(f.read_text())
                rng = int((d / "max_energy_range_uj").read_text())
            except (OSError, ValueError):
                continue
            self.domains.append((f, rng))
        self.reason = None if self.domains else "RAPL energy_uj not readable (needs root on bare metal)"

    @property
    def available(self) -> bool:
        return bool(self.domains)

    def read(self) -> list[int]:
        return [int(f.read_text()) for f, _ in self.domains]

    def joules_between(self, a: list[int], b: list[int]) -> float:
        """Energy between two readings [J], handling counter wrap-around at max_energy_range_uj."""
        total = 0
        for (x, y, (_, rng)) in zip(a, b, self.domains):
            total += (y - x) if y >= x else (y + rng - x)
        return total / 1e6

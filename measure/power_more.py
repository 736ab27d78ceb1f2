"""Board power beyond NVIDIA: AMD GPUs through AMD SMI (ROCm), Apple Silicon through ``powermetrics``.

- AMD SMI (the ``amdsmi`` Python package shipped with ROCm; AMD SMI Python API reference): ``amdsmi_init``,
  ``amdsmi_get_processor_handles``; power from ``amdsmi_get_power_info(h)`` — ``current_socket_power`` (instant,
  MI300-class and newer) else ``average_socket_power`` [W]; energy from ``amdsmi_get_energy_count(h)`` —
  ``energy_accumulator`` x ``counter_resolution`` [uJ] (older releases name the counter ``power``); VRAM from
  ``amdsmi_get_gpu_vram_usage(h)`` — ``vram_used`` [MB]; facts from ``amdsmi_get_gpu_asic_info`` (``market_name``),
  ``amdsmi_get_gpu_driver_info`` (``driver_version``), ``amdsmi_get_power_cap_info`` (``power_cap`` [uW]). Every
  call may raise (``AmdSmiException``; "N/A" strings where a field is not supported): then that reading is None and
  ``reason`` says why.
- Apple: ``powermetrics --samplers gpu_power`` prints ``GPU Power: <n> mW`` once per interval (macOS 12+); it needs
  root, so it is run as ``sudo -n`` (never prompts). Without it power is recorded as not measured, with the reason.

Public API:
    load_amdsmi(), AmdSmiSampler(index=0, hz=20.0, amdsmi=None)
    parse_gpu_power_mw(line) -> float | None, PowermetricsSampler(hz=5.0, run=None, popen=None, which=None)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from typing import Any, Callable

from measure.power import PowerSampler

MB = 1024 * 1024


def load_amdsmi():
    """The ``amdsmi`` module, or None when it is not installed (tests pass a fake)."""
    try:
        import amdsmi  # ROCm's AMD SMI Python bindings
    except (ImportError, OSError):  # OSError: the package is there but libamd_smi.so is not
        return None
    return amdsmi


def _number(v: Any) -> float | None:
    """A positive reading, or None for missing / "N/A" / non-positive values."""
    if isinstance(v, dict):  # some releases wrap values as {"value": x, "unit": "W"}
        v = v.get("value")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if v > 0 else None


class AmdSmiSampler(PowerSampler):
    """AMD (ROCm): socket power [W], energy counter [J] and VRAM used [bytes] of GPU ``index`` through AMD SMI."""

    def __init__(self, index: int = 0, hz: float = 20.0, amdsmi: Any = None):
        super().__init__(hz)
        self.index = index
        self.smi = amdsmi if amdsmi is not None else load_amdsmi()
        self._power_key: str | None = None
        self._init()

    def _try(self, fn_name: str, *args):
        fn = getattr(self.smi, fn_name, None)
        if fn is None:
            return None
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001 - AmdSmiException and its subclasses; a reading is then unavailable
            return None

    def _init(self) -> None:
        if self.smi is None:
            self.reason = "amdsmi not installed (the AMD SMI Python package of ROCm)"
            return
        try:
            self.smi.amdsmi_init()
            self.handle = self.smi.amdsmi_get_processor_handles()[self.index]
        except Exception as exc:  # noqa: BLE001 - no driver / no such GPU: power stays null with the reason
            self.reason = f"AMD SMI unavailable: {type(exc).__name__}: {exc}"
            self.handle = None
            return
        info = self._try("amdsmi_get_power_info", self.handle) or {}
        for key in ("current_socket_power", "average_socket_power"):
            if _number(info.get(key)) is not None:
                self._power_key = key
                self.method = f"amdsmi:{key}"
                return
        self.reason = "AMD SMI power readings not supported on this GPU"

    def read_watts(self) -> float | None:
        if not self.available:
            return None
        info = self._try("amdsmi_get_power_info", self.handle) or {}
        return _number(info.get(self._power_key))

    def energy_joules(self) -> float | None:
        """Energy counter [J] (accumulator x resolution [uJ]); None where not supported."""
        if self.handle is None:
            return None
        e = self._try("amdsmi_get_energy_count", self.handle)
        if not isinstance(e, dict):
            return None
        acc = e.get("energy_accumulator", e.get("power"))
        res = _number(e.get("counter_resolution"))
        if isinstance(acc, bool) or not isinstance(acc, (int, float)) or res is None:
            return None
        return acc * res / 1e6

    def memory_used_bytes(self) -> int | None:
        if self.handle is None:
            return None
        v = self._try("amdsmi_get_gpu_vram_usage", self.handle)
        used = _number(v.get("vram_used")) if isinstance(v, dict) else None
        return int(used * MB) if used is not None else None

    def device_facts(self) -> dict[str, Any]:
        """Name, driver, power cap [W] where AMD SMI can tell."""
        if self.handle is None:
            return {}
        asic = self._try("amdsmi_get_gpu_asic_info", self.handle) or {}
        drv = self._try("amdsmi_get_gpu_driver_info", self.handle) or {}
        cap = self._try("amdsmi_get_power_cap_info", self.handle) or {}
        cap_uw = _number(cap.get("power_cap")) if isinstance(cap, dict) else None
        return dict(name=asic.get("market_name") if isinstance(asic, dict) else None,
                    driver=drv.get("driver_version") if isinstance(drv, dict) else None,
                    power_limit_watts=(cap_uw / 1e6 if cap_uw else None))

    def _close(self) -> None:
        self._try("amdsmi_shut_down")


_GPU_POWER_RE = re.compile(r"^\s*GPU Power:\s*([0-9.]+)\s*mW\s*$")


def parse_gpu_power_mw(line: str) -> float | None:
    """``'GPU Power: 1234 mW'`` -> 1.234 [W]; any other line -> None."""
    m = _GPU_POWER_RE.match(line)
    return float(m.group(1)) / 1000.0 if m else None


class PowermetricsSampler(PowerSampler):
    """Apple Silicon: GPU power [W] from ``sudo -n powermetrics --samplers gpu_power`` (root only).

    Availability is decided by one sample at construction (``-n 1``); streaming samples are then read from one
    long-running process while :meth:`start`-ed. ``run`` / ``popen`` / ``which`` are injectable for tests.
    """

    def __init__(self, hz: float = 5.0, run: Callable[..., Any] | None = None, popen: Callable[..., Any] | None = None,
                 which: Callable[[str], str | None] | None = None):
        super().__init__(hz)
        self._run = run or subprocess.run
        self._popen = popen or subprocess.Popen
        self._proc: Any = None
        exe = (which or shutil.which)("powermetrics")
        if exe is None:
            self.reason = "not measured: powermetrics not found (macOS only)"
            return
        interval_ms = max(1, int(round(1000.0 / hz)))
        self._cmd = ["sudo", "-n", exe, "--samplers", "gpu_power", "-i", str(interval_ms)]
        try:
            res = self._run(self._cmd + ["-n", "1"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError) as exc:
            self.reason = f"not measured: powermetrics failed ({type(exc).__name__}: {exc})"
            return
        lines = (getattr(res, "stdout", "") or "").splitlines()
        if getattr(res, "returncode", 1) != 0 or not any(parse_gpu_power_mw(x) is not None for x in lines):
            err = (getattr(res, "stderr", "") or "").strip().splitlines()
            self.reason = ("not measured: powermetrics needs root (sudo -n powermetrics failed"
                           + (f": {err[0]}" if err else "") + ")")
            return
        self.handle = exe
        self.method = "powermetrics:gpu_power"

    def read_watts(self) -> float | None:  # samples arrive from the stream (see _loop)
        return None

    def _loop(self) -> None:
        out = self._proc.stdout
        while not self._stop.is_set():
            line = out.readline()
            if not line:
                break
            w = parse_gpu_power_mw(line)
            if w is not None:
                with self._lock:
                    self.samples.append((time.perf_counter(), w))

    def start(self) -> None:
        if self.handle is None or self._thread is not None:
            return
        self._proc = self._popen(self._cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="powermetrics-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._proc is not None:
            self._stop.set()
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - a process that will not stop is killed
                self._proc.kill()
            self._proc = None
        super().stop()

"""NVML sampler against a fake ``pynvml`` module: instant field, NotSupported fallbacks, missing library; RAPL."""

from __future__ import annotations

import time
import types

import pytest

from measure import power
from measure.power import NvmlSampler, RaplReader


class _Err(Exception):
    pass


def fake_nvml(*, instant_mw=250_000, usage_mw=300_000, energy_mj=1_000_000, init_error=None,
              field_supported=True, energy_supported=True, usage_supported=True):
    """A stand-in for nvidia-ml-py's ``pynvml``; each NotSupported case raises its NVMLError subclass."""
    m = types.SimpleNamespace()
    m.NVMLError = _Err
    m.NVMLError_NotSupported = type("NVMLError_NotSupported", (_Err,), {})
    m.NVMLError_LibraryNotFound = type("NVMLError_LibraryNotFound", (_Err,), {})
    state = {"energy": energy_mj, "shutdown": 0}

    def init():
        if init_error is not None:
            raise getattr(m, init_error)("NVML Shared Library Not Found")

    def fields(h, ids):
        if not field_supported:
            raise m.NVMLError_NotSupported("Not Supported")
        assert ids == [186]
        return [types.SimpleNamespace(valueType=1, nvmlReturn=0, value=types.SimpleNamespace(uiVal=instant_mw))]

    def usage(h):
        if not usage_supported:
            raise m.NVMLError_NotSupported("Not Supported")
        return usage_mw

    def energy(h):
        if not energy_supported:
            raise m.NVMLError_NotSupported("Not Supported")
        state["energy"] += 500  # +0.5 J per reading
        return state["energy"]

    m.nvmlInit = init
    m.nvmlShutdown = lambda: state.__setitem__("shutdown", state["shutdown"] + 1)
    m.nvmlDeviceGetHandleByIndex = lambda i: ("handle", i)
    m.nvmlDeviceGetFieldValues = fields
    m.nvmlDeviceGetPowerUsage = usage
    m.nvmlDeviceGetTotalEnergyConsumption = energy
    m.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(total=80 * 2**30, used=5 * 2**30, free=75 * 2**30)
    m.nvmlDeviceGetName = lambda h: "NVIDIA H100 80GB HBM3"
    m.nvmlSystemGetDriverVersion = lambda: "580.65.06"
    m.nvmlDeviceGetEnforcedPowerLimit = lambda h: 700_000
    m.state = state
    return m


def test_instant_power_field_preferred_and_sampled():
    nv = fake_nvml()
    s = NvmlSampler(hz=200, nvml=nv)
    assert s.available and s.method == "nvml:power_instant"
    assert s.read_watts() == pytest.approx(250.0)  # 250,000 mW
    s.start()
    time.sleep(0.1)
    s.stop()
    assert len(s.samples) >= 3  # 200 Hz for 0.1 s; >= 3 even on a loaded 2-core box
    assert {w for _, w in s.samples} == {250.0}
    assert s.mem_used_max == 5 * 2**30
    # constant 250 W over the window -> integral = 250 * (t_last - t_first)
    t0, t1 = s.samples[0][0], s.samples[-1][0]
    assert s.integrate(t0, t1) == pytest.approx(250.0 * (t1 - t0), rel=1e-9)
    facts = s.device_facts()
    assert facts["power_limit_watts"] == 700.0 and facts["driver"] == "580.65.06"
    s.shutdown()
    assert nv.state["shutdown"] == 1


def test_field_not_supported_falls_back_to_power_usage():
    s = NvmlSampler(nvml=fake_nvml(field_supported=False))
    assert s.method.startswith("nvml:power_usage")
    assert s.read_watts() == pytest.approx(300.0)


def test_energy_counter_and_not_supported():
    s = NvmlSampler(nvml=fake_nvml())
    a, b = s.energy_joules(), s.energy_joules()
    assert b - a == pytest.approx(0.5)  # +500 mJ per reading in the fake
    assert NvmlSampler(nvml=fake_nvml(energy_supported=False)).energy_joules() is None


def test_no_power_reading_supported_gives_reason():
    s = NvmlSampler(nvml=fake_nvml(field_supported=False, usage_supported=False))
    assert not s.available
    assert s.reason == "NVML power readings not supported on this GPU"
    assert s.measure_idle(0.01) is None


def test_library_not_found_gives_reason():
    s = NvmlSampler(nvml=fake_nvml(init_error="NVMLError_LibraryNotFound"))
    assert not s.available
    assert s.reason == "NVML unavailable: NVMLError_LibraryNotFound: NVML Shared Library Not Found"
    s.start()  # no-op without a handle
    s.shutdown()
    assert s.samples == []


def test_package_missing(monkeypatch):
    monkeypatch.setattr(power, "load_nvml", lambda: None)
    s = NvmlSampler()
    assert not s.available and s.reason == "nvidia-ml-py (pynvml) not installed"


def test_rapl_reader(tmp_path):
    assert not RaplReader(str(tmp_path / "missing")).available
    pkg = tmp_path / "intel-rapl:0"
    pkg.mkdir()
    (pkg / "energy_uj").write_text("900\n")
    (pkg / "max_energy_range_uj").write_text("1000\n")
    sub = tmp_path / "intel-rapl:0:0"  # sub-domain: inside the package, must not be double counted
    sub.mkdir()
    (sub / "energy_uj").write_text("5\n")
    (sub / "max_energy_range_uj").write_text("1000\n")
    r = RaplReader(str(tmp_path))
    assert r.available and len(r.domains) == 1
    # wrap-around: 900 -> 100 with range 1000 = 200 uJ = 2e-4 J
    assert r.joules_between([900], [100]) == pytest.approx(2e-4)

"""``advisor measure`` beyond NVIDIA, with fakes (no AMD or Apple hardware here): backend resolution from the torch
build (ROCm through torch's CUDA API, MPS), AMD SMI and powermetrics power, the device facts and versions in the
profile, the runner's ROCm and MPS paths end to end on the CPU, and calibration accepting the profiles."""

from __future__ import annotations

import types

import pytest

from advisor.errors import InputError
from measure.backends import ALLOWED_DEVICES, apple_device_name, parse_device, resolve_backend
from measure.power_more import AmdSmiSampler, PowermetricsSampler, parse_gpu_power_mw


def fake_torch(*, cuda=None, hip=None, gpus=0, mps=False):
    """The few torch attributes backend resolution reads."""
    return types.SimpleNamespace(
        version=types.SimpleNamespace(cuda=cuda, hip=hip),
        cuda=types.SimpleNamespace(is_available=lambda: gpus > 0, device_count=lambda: gpus),
        backends=types.SimpleNamespace(mps=types.SimpleNamespace(is_available=lambda: mps)))


# ---------------------------------------------------------------------------------------------- backends
def test_cuda_build_resolves_cuda_and_refuses_rocm():
    t = fake_torch(cuda="12.8", gpus=2)
    b = resolve_backend("cuda:1", t)
    assert (b.name, b.torch_device, b.index, b.version, b.uses_torch_cuda) == ("cuda", "cuda:1", 1, "12.8", True)
    with pytest.raises(InputError) as e:
        resolve_backend("rocm", t)
    assert str(e.value) == ("--device: got 'rocm'; allowed: cpu or cuda[:<index>] (this torch is built for CUDA "
                            "12.8, not ROCm: torch.version.hip is None)")
    with pytest.raises(InputError, match=r"allowed: cuda:0\.\.cuda:1$"):
        resolve_backend("cuda:2", t)


@pytest.mark.parametrize("device", ["cuda", "rocm", "rocm:0"])
def test_rocm_build_runs_through_torch_cuda(device):
    b = resolve_backend(device, fake_torch(hip="6.2.41133", gpus=1))
    assert (b.name, b.torch_device, b.version, b.uses_torch_cuda) == ("rocm", "cuda:0", "6.2.41133", True)


def test_mps_resolves_with_the_macos_release_or_is_refused():
    b = resolve_backend("mps", fake_torch(mps=True), mac_ver=lambda: ("15.1", ("", "", ""), "arm64"))
    assert (b.name, b.torch_device, b.version, b.uses_torch_cuda, b.is_gpu) == ("mps", "mps", "15.1", False, True)
    with pytest.raises(InputError, match=r"^--device: got 'mps'; allowed: cpu or cuda \(this torch has no usable MPS"):
        resolve_backend("mps", fake_torch(mps=False))


@pytest.mark.parametrize("device", ["tpu", "cuda:x", "xpu:0", "", "mps:0"])
def test_unknown_backend_is_one_line(device):
    with pytest.raises(InputError) as e:
        parse_device(device)
    assert str(e.value) == f"--device: got {device!r}; allowed: {ALLOWED_DEVICES}"
    assert "\n" not in str(e.value)


def test_unknown_backend_on_the_cli_exit_2(tmp_path):
    from typer.testing import CliRunner

    from advisor.cli import app

    r = CliRunner().invoke(app, ["measure", "--pipeline", "z-image", "--device", "tpu", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [f"error: --device: got 'tpu'; allowed: {ALLOWED_DEVICES}"]


# -------------------------------------------------------------------------------------------------- AMD SMI
class _SmiError(Exception):
    pass


def fake_amdsmi(*, power=None, energy_step=2_000_000, init_error=False, vram_used_mb=6144):
    """A stand-in for ROCm's ``amdsmi``: 750 W socket power, an energy accumulator at 15.3 uJ per count."""
    state = {"acc": 10_000_000, "shutdown": 0}
    m = types.SimpleNamespace(AmdSmiException=_SmiError)

    def init():
        if init_error:
            raise _SmiError("AMDSMI_STATUS_INIT_ERROR")

    def energy(h):
        state["acc"] += energy_step
        return {"energy_accumulator": state["acc"], "counter_resolution": 15.3, "timestamp": 0}

    m.amdsmi_init = init
    m.amdsmi_shut_down = lambda: state.__setitem__("shutdown", state["shutdown"] + 1)
    m.amdsmi_get_processor_handles = lambda: ["h0"]
    m.amdsmi_get_power_info = lambda h: power if power is not None else {
        "current_socket_power": 750, "average_socket_power": 700, "power_limit": 750}
    m.amdsmi_get_energy_count = energy
    m.amdsmi_get_gpu_vram_usage = lambda h: {"vram_total": 196_592, "vram_used": vram_used_mb}
    m.amdsmi_get_gpu_asic_info = lambda h: {"market_name": "AMD Instinct MI300X"}
    m.amdsmi_get_gpu_driver_info = lambda h: {"driver_name": "amdgpu", "driver_version": "6.10.5"}
    m.amdsmi_get_power_cap_info = lambda h: {"power_cap": 750_000_000}  # uW
    m.state = state
    return m


def test_amdsmi_sampler_reads_power_energy_memory_and_facts():
    s = AmdSmiSampler(amdsmi=fake_amdsmi())
    assert s.available and s.method == "amdsmi:current_socket_power" and s.reason is None
    assert s.read_watts() == 750.0
    e0, e1 = s.energy_joules(), s.energy_joules()
    # two readings 2,000,000 counts apart at 15.3 uJ per count = 30.6 J
    assert e1 - e0 == pytest.approx(2_000_000 * 15.3 / 1e6, rel=1e-12)
    assert s.memory_used_bytes() == 6144 * 2**20
    assert s.device_facts() == {"name": "AMD Instinct MI300X", "driver": "6.10.5", "power_limit_watts": 750.0}
    s.shutdown()
    assert s.smi.state["shutdown"] == 1


def test_amdsmi_average_power_fallback_and_unsupported():
    s = AmdSmiSampler(amdsmi=fake_amdsmi(power={"current_socket_power": "N/A", "average_socket_power": 310}))
    assert s.method == "amdsmi:average_socket_power" and s.read_watts() == 310.0
    s = AmdSmiSampler(amdsmi=fake_amdsmi(power={"current_socket_power": "N/A", "average_socket_power": "N/A"}))
    assert not s.available and s.reason == "AMD SMI power readings not supported on this GPU"


def test_amdsmi_missing_or_failing():
    import measure.power_more as pm

    s = AmdSmiSampler(amdsmi=fake_amdsmi(init_error=True))
    assert not s.available and s.reason == "AMD SMI unavailable: _SmiError: AMDSMI_STATUS_INIT_ERROR"
    orig = pm.load_amdsmi
    try:
        pm.load_amdsmi = lambda: None
        s = AmdSmiSampler()
        assert not s.available and s.reason.startswith("amdsmi not installed")
    finally:
        pm.load_amdsmi = orig


# ---------------------------------------------------------------------------------------------- powermetrics
def test_parse_gpu_power_line():
    assert parse_gpu_power_mw("GPU Power: 1234 mW\n") == 1.234
    assert parse_gpu_power_mw("CPU Power: 1234 mW") is None
    assert parse_gpu_power_mw("GPU HW active residency:  12.34%") is None


def _run_result(rc, out="", err=""):
    return lambda *a, **k: types.SimpleNamespace(returncode=rc, stdout=out, stderr=err)


def test_powermetrics_not_found_or_not_root_is_not_measured():
    s = PowermetricsSampler(which=lambda name: None)
    assert not s.available and s.reason == "not measured: powermetrics not found (macOS only)"
    s = PowermetricsSampler(which=lambda name: "/usr/bin/powermetrics",
                            run=_run_result(1, err="sudo: a password is required\n"))
    assert not s.available
    assert s.reason == "not measured: powermetrics needs root (sudo -n powermetrics failed: sudo: a password is required)"


def test_powermetrics_streams_gpu_power():
    lines = iter(["*** Sampled system activity ***\n", "GPU Power: 20500 mW\n", "GPU Power: 21500 mW\n", ""])

    class Proc:
        stdout = types.SimpleNamespace(readline=lambda: next(lines))

        def terminate(self):
            pass

        def wait(self, timeout=None):
            return 0

    calls = []
    s = PowermetricsSampler(hz=5, which=lambda name: "/usr/bin/powermetrics",
                            run=_run_result(0, out="GPU Power: 18000 mW\n"),
                            popen=lambda cmd, **kw: calls.append(cmd) or Proc())
    assert s.available and s.method == "powermetrics:gpu_power"
    s.start()
    s._thread.join(timeout=5)
    s.stop()
    assert calls == [["sudo", "-n", "/usr/bin/powermetrics", "--samplers", "gpu_power", "-i", "200"]]
    assert [w for _, w in s.samples] == [20.5, 21.5]


# ---------------------------------------------------------------------------------------------- device facts
def test_apple_device_name_from_sysctl():
    out = {"machdep.cpu.brand_string": "Apple M3 Max", "hw.memsize": str(128 * 2**30)}
    run = lambda cmd, **kw: types.SimpleNamespace(returncode=0, stdout=out[cmd[2]] + "\n")  # noqa: E731
    assert apple_device_name(run) == ("Apple M3 Max (128 GB)", 128 * 2**30)
    assert apple_device_name(lambda cmd, **kw: types.SimpleNamespace(returncode=1, stdout="")) == (None, None)


def test_device_info_records_backend_and_versions():
    from measure.backends import Backend
    from measure.runner import device_info

    props = types.SimpleNamespace(total_memory=192 * 2**30)
    t = types.SimpleNamespace(version=types.SimpleNamespace(cuda=None, hip="6.2.41133"), get_num_threads=lambda: 8,
                              cuda=types.SimpleNamespace(get_device_name=lambda i: "AMD Instinct MI300X",
                                                         get_device_properties=lambda i: props))
    d = device_info(Backend("rocm", "cuda:0", 0, "6.2.41133"), AmdSmiSampler(amdsmi=fake_amdsmi()), torch_mod=t)
    assert (d.kind, d.gpu_slug, d.hip, d.cuda, d.driver, d.power_limit_watts, d.gpu_memory_total_gib) == (
        "rocm", "mi300x", "6.2.41133", None, "6.10.5", 750.0, 192.0)
    d = device_info(Backend("mps", "mps", None, "15.1"), None, torch_mod=t,
                    apple_name=lambda: ("Apple M3 Max (128 GB)", 128 * 2**30))
    assert (d.kind, d.gpu_slug, d.macos, d.gpu_memory_total_gib, d.cpu_model) == (
        "mps", "apple-m3-max-128gb", "15.1", 128.0, "Apple M3 Max")


# ----------------------------------------------------------------------------- the runner, end to end with fakes
torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")


def _cpu_build(monkeypatch):
    import measure.pipelines

    real_build = measure.pipelines.build_pipeline

    def build_on_cpu(slug, **kw):
        kw["device"] = "cpu"
        return real_build(slug, **kw)

    monkeypatch.setattr(measure.pipelines, "build_pipeline", build_on_cpu)


def _opts(tmp_path, device):
    from measure.runner import MeasureOptions

    return MeasureOptions(pipeline="flux-1-schnell", random_weights="tiny", device=device, precision="fp32",
                          width=64, height=64, steps=2, guidance=0.0, warmup=1, runs=2, max_sequence_length=32,
                          out=tmp_path, idle_seconds=0.05, sampler_hz=500, progress=False)


def test_rocm_runner_path_with_fake_gpu_and_fake_amdsmi(tmp_path, monkeypatch):
    from test_measure_timing import FakeEvent

    from advisor.catalog.measured import load_measured_profiles
    from measure.runner import run_measurement

    props = types.SimpleNamespace(total_memory=192 * 2**30)
    for name, value in dict(set_device=lambda i: None, get_device_name=lambda i=0: "AMD Instinct MI300X",
                            get_device_properties=lambda i: props, synchronize=lambda *a: None, Event=FakeEvent,
                            max_memory_allocated=lambda *a: 3 * 2**30, max_memory_reserved=lambda *a: 4 * 2**30,
                            reset_peak_memory_stats=lambda *a: None, empty_cache=lambda: None).items():
        monkeypatch.setattr(torch.cuda, name, value)
    monkeypatch.setattr(torch.version, "hip", "6.2.41133")
    monkeypatch.setattr(torch.version, "cuda", None)
    _cpu_build(monkeypatch)
    smi = fake_amdsmi()
    res = run_measurement(_opts(tmp_path, "cuda"), amdsmi=smi)
    p = res.profile
    assert res.exit_code == 0 and p.status == "complete"
    assert res.path.parent.name == "mi300x"
    assert (p.device.kind, p.device.hip, p.device.cuda, p.device.driver) == ("rocm", "6.2.41133", None, "6.10.5")
    assert (p.memory.torch_max_allocated_gib, p.memory.amdsmi_used_gib, p.memory.nvml_used_gib) == (3, 6, None)
    pw = p.power
    assert pw.method == "amdsmi:current_socket_power" and pw.reason is None and pw.run_median_watts == 750.0
    # one energy reading before and one after each run: 2,000,000 counts x 15.3 uJ = 30.6 J per image
    assert pw.energy_method == "amdsmi_energy_counter" and pw.energy_per_image_joules == pytest.approx(30.6)
    assert smi.state["shutdown"] == 1
    (loaded,) = load_measured_profiles(tmp_path)
    assert loaded == p


def test_mps_runner_path_records_power_as_not_measured(tmp_path, monkeypatch):
    import measure.backends

    from measure.runner import run_measurement

    synced = []
    monkeypatch.setattr(torch.mps, "synchronize", lambda: synced.append(1))
    monkeypatch.setattr(torch.mps, "empty_cache", lambda: None)
    monkeypatch.setattr(torch.mps, "driver_allocated_memory", lambda: 5 * 2**30)
    monkeypatch.setattr(measure.backends.platform, "mac_ver", lambda: ("15.1", ("", "", ""), "arm64"))
    monkeypatch.setattr(measure.backends, "apple_device_name", lambda run=None: ("Apple M4 Max (128 GB)", 128 * 2**30))
    _cpu_build(monkeypatch)
    no_root = PowermetricsSampler(which=lambda name: "/usr/bin/powermetrics", run=_run_result(1, err="sudo: no\n"))
    res = run_measurement(_opts(tmp_path, "mps"), powermetrics=no_root)
    p = res.profile
    assert res.exit_code == 0 and p.status == "complete"
    assert res.path.parent.name == "apple-m4-max-128gb"
    assert (p.device.kind, p.device.macos, p.device.gpu_memory_total_gib) == ("mps", "15.1", 128.0)
    assert p.memory.mps_driver_allocated_gib == 5.0 and p.memory.torch_max_allocated_gib is None
    assert p.power.method is None and p.power.run_median_watts is None
    assert p.power.reason == "not measured: powermetrics needs root (sudo -n powermetrics failed: sudo: no)"
    assert synced  # stage marks waited for the MPS queue


# ------------------------------------------------------------------------------------- profile format, calibration
def _rocm_profile_text() -> str:
    import yaml

    from profile_fixtures import studio_4090_profile_text

    data = yaml.safe_load(studio_4090_profile_text(slowdown=1.2))
    data["device"] = {"kind": "rocm", "index": 0, "name": "AMD Instinct MI300X", "gpu_slug": "mi300x",
                      "gpu_memory_total_gib": 192.0, "hip": "6.2.41133", "driver": "6.10.5"}
    return yaml.safe_dump(data, sort_keys=False)


def test_calibration_accepts_rocm_profiles():
    from advisor.catalog import load_catalog
    from advisor.catalog.measured import profile_from_yaml_text
    from advisor.fit import calibrate as C
    from advisor.perf import timing as T

    prof = profile_from_yaml_text(_rocm_profile_text(), "mi300x.yaml")
    assert prof.device.kind == "rocm"
    cat = load_catalog()
    points = C._profile_points([prof], cat, T.load_calibration())
    assert points and {p.gpu.slug for p in points} == {"mi300x"}
    assert {p.timed for p in points} >= {"transformer_step"}  # the per-step point of a GPU profile
    assert C._gpu_profiles([prof], cat) == [prof]  # power / VRAM fits see it too


def test_unknown_device_kind_in_a_profile_is_one_line():
    from advisor.catalog.measured import profile_from_yaml_text
    from advisor.errors import CatalogError

    bad = _rocm_profile_text().replace("kind: rocm", "kind: tpu")
    with pytest.raises(CatalogError) as e:
        profile_from_yaml_text(bad, "bad.yaml")
    assert "\n" not in str(e.value) and "bad.yaml" in str(e.value) and "device.kind" in str(e.value)

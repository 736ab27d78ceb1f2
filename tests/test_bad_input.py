"""The bad-input matrix (issue 16): hostile and broken input against the CLI, scenario files, the catalog, measured
profiles, ``advisor measure``, ``advisor export`` and the app's uploads.

Every case asserts: exit code 2 (CLI) or one ``st.error`` (app) or one :class:`AdvisorError` (library), one line,
no traceback, and no file changed (the folder the case ran in is hashed before and after). The billion-laughs
documents are also refused well inside a generous hang guard (the time itself is printed by
``benchmarks/bad_input_bomb.py``, not asserted here). A hypothesis fuzz test drives the scenario reader.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor.catalog import PROFILES_DIR, load_catalog
from tests.profile_fixtures import profile_dict  # noqa: E402
from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_text
from advisor.cli import app
from advisor.errors import AdvisorError, CatalogError, InputError

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
HANG_GUARD_SECONDS = 30.0  # a hang guard, not a speed target: refusing a bomb takes milliseconds (see benchmarks/)


# ------------------------------------------------------------------------------------------------- helpers
def tree(path: Path) -> dict[str, str]:
    """{relative path: sha1} of every file under ``path`` (what "no file changed" compares)."""
    out = {}
    for p in sorted(Path(path).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


def one_line(text: str) -> str:
    """The only non-empty line of ``text``; fails on several lines or a traceback."""
    assert "Traceback" not in text, text
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


def bomb_lines(indent: str = "", levels: int = 9, width: int = 9) -> str:
    """A billion-laughs block: level 0 is ``width`` strings, level i is ``width`` aliases of level i-1, so the last
    anchor expands to width**levels = 9**9 = 387,420,489 strings (from ~350 bytes of text)."""
    lines = [f'{indent}l0: &l0 [' + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def deep(n: int) -> str:
    return "x: " + "[" * n + "]" * n + "\n"


def cli(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI in ``cwd``; returns (exit code, output). Checks that nothing under ``cwd`` changed."""
    before = tree(cwd)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        res = runner.invoke(app, args)
    finally:
        os.chdir(old)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert tree(cwd) == before, "a file changed"
    return res.exit_code, res.output


# ------------------------------------------------------------------------------------------------- CLI flags
FLAG_CASES = [
    (["recommend", "--volume", "-5"], "--volume: got -5.0"),
    (["recommend", "--volume", "nan"], "--volume: got nan"),
    (["recommend", "--volume", "inf"], "--volume: got inf"),
    (["recommend", "--volume", "1e20"], "--volume: got 1e+20"),
    (["recommend", "--volume", "5", "--megapixels", "0"], "--megapixels: got 0.0"),
    (["recommend", "--volume", "5", "--electricity-usd-per-kwh", "-1"], "--electricity-usd-per-kwh: got -1.0"),
    (["recommend", "--volume", "5", "--amortization-months", "0"], "--amortization-months: got 0.0"),
    (["recommend", "--volume", "5", "--gpu", "rtx-9999"], "did you mean"),
    (["recommend", "--volume", "5", "--need", "telepathy"], "--need: got"),
    (["recommend", "--volume", "5", "--deadline-hours", "5"], "batch_images"),
    (["recommend", "--volume", "5", "--hours-on-per-day", "25"], "--hours-on-per-day: got 25.0"),
    (["recommend", "--volume", "5", "--input-megapixels", "-1"], "--input-megapixels: got -1.0"),
    (["recommend", "--volume", "5", "--format", "xml"], "--format: got 'xml'"),
    (["recommend", "--volume", "5", "--limit", "0"], "--limit: got 0"),
    (["recommend", "--volume", "5", "--format", "json", "--format", "csv"], "--format: got '--format --format'"),
    (["recommend", "--volume", "5", "--commercial", "--personal"], "--commercial/--personal"),
    (["recommend", "--volume=5", "--volume", "6"], "--volume: got '--volume --volume'"),
    (["simulate", "--pipeline", "z-image-turbo", "--gpu", "cpu", "--offload", "model"], "--offload: got 'model'"),
    (["simulate", "--pipeline", "nope", "--gpu", "rtx-4090"], "pipeline: got 'nope'"),
    (["simulate", "--pipeline", "z-image-turbo", "--gpu", "rtx-4090", "--width", "100"], "width: got 100"),
    (["simulate", "--pipeline", "z-image-turbo", "--gpu", "rtx-4090", "--steps", "0"], "steps: got 0"),
    (["catalog", "gpus", "--format", "json", "--format", "table"], "--format: got '--format --format'"),
]


@pytest.mark.parametrize("args,message", FLAG_CASES, ids=[" ".join(a)[:60] for a, _ in FLAG_CASES])
def test_cli_flags(tmp_path, args, message):
    code, out = cli(args, tmp_path)
    assert code == 2, out
    line = one_line(out)
    assert line.startswith("error: ") and message in line, line


@pytest.mark.parametrize("args,message", [
    (["recommend", "--volume", "abc"], "Invalid value for '--volume'"),
    (["recommend", "--volume", "5", "--wattage", "3"], "No such option: --wattage"),
])
def test_cli_usage_errors_from_the_console_entry_point(tmp_path, args, message):
    """Usage errors (click's own) through ``python -m advisor`` (the console script's main): one line, exit 2."""
    import subprocess

    before = tree(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "advisor", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and message in one_line(proc.stderr)
    assert tree(tmp_path) == before


# ------------------------------------------------------------------------------------------------- scenario files
SCENARIO_CASES = {
    "bomb_in_overrides": (b"volume_images_per_month: 100\noverrides:\n" + bomb_lines("  ").encode(),
                          "expands to more than 20,000 nodes"),
    "bomb_top_level": (b"volume_images_per_month: 100\n" + bomb_lines().encode(), "expands to more than 20,000"),
    "recursive_alias": (b"volume_images_per_month: 100\noverrides: &o {gpus: *o}\n", "recursive alias"),
    "deep_nesting": (deep(100_000).encode(), "maximum nesting depth"),  # libyaml's own bound (1,000) comes first
    "deep_200": (deep(200).encode(), "nested more than 16 levels"),
    "duplicate_key": (b"volume_images_per_month: 100\nvolume_images_per_month: 5\n", "duplicate key"),
    "nul_bytes": (b"volume_images_per_month: 100\n\x00\x00", "NUL bytes"),
    "not_utf8": (b"volume_images_per_month: 100 \xff\xfe\n", "not UTF-8"),
    "too_large": (b"# pad\n" * 50_000, "larger than 262,144 bytes"),
    "top_level_list": (b"- 1\n- 2\n", "a YAML list"),
    "unknown_field": (b"volume_images_per_month: 100\nwattage: 3\n", "wattage"),
    "bool_as_number": (b"volume_images_per_month: true\n", "volume_images_per_month: got True"),
    "impossible_date": (b"volume_images_per_month: 100\noverrides:\n  defaults:\n    electricity_usd_per_kwh:"
                        b" {value: 0.3, source: my bill, as_of: 2026-02-30}\n", "a value cannot be read"),
    "two_documents": (b"volume_images_per_month: 100\n---\nvolume_images_per_month: 5\n", "another document"),
    "megapixels_and_size": (b"volume_images_per_month: 100\nmegapixels: 1\nwidth: 512\nheight: 512\n",
                            "either megapixels or width and height"),
    "override_unknown_section": (b"volume_images_per_month: 100\noverrides: {laughs: {a: 1}}\n",
                                 "overrides: got 'laughs'"),
    "override_unknown_field": (b"volume_images_per_month: 100\noverrides: {gpus: {rtx-4090: {vram: 1}}}\n",
                               "overrides.gpus.rtx-4090: got 'vram'"),
    "override_unknown_slug": (b"volume_images_per_month: 100\noverrides: {gpus: {rtx-9999: {name: x}}}\n",
                              "overrides.gpus: got 'rtx-9999'"),
    "override_not_mapping": (b"volume_images_per_month: 100\noverrides: [1, 2]\n", "overrides: got '[1, 2]'"),
    "override_negative_price": (b"volume_images_per_month: 100\noverrides:\n  gpus:\n    rtx-4090:\n"
                                b"      street_price_usd: {low: -1800, high: 2000, source: a quote, as_of: 2026-11-01}\n",
                                "overrides.gpus.rtx-4090.street_price_usd.low: got -1800; allowed: a number >= 0"),
    "override_negative_tariff": (b"volume_images_per_month: 100\noverrides:\n  defaults:\n    electricity_usd_per_kwh:"
                                 b" {value: -0.3, source: my bill, as_of: 2026-11-01}\n",
                                 "overrides.defaults.electricity_usd_per_kwh.value: got -0.3"),
    "override_bool_number": (b"volume_images_per_month: 100\noverrides:\n  defaults:\n    amortization_months:"
                             b" {value: true, source: my plan, as_of: 2026-11-01}\n", "true/false is not a number"),
    "override_future_date": (b"volume_images_per_month: 100\noverrides:\n  defaults:\n    electricity_usd_per_kwh:"
                             b" {value: 0.3, source: my bill, as_of: 2099-01-01}\n", "a date not in the future"),
    "override_negative_rental": (b"volume_images_per_month: 100\noverrides:\n  rentals:\n    runpod-rtx-4090-pod:\n"
                                 b"      on_demand_usd_per_hour: {low: -0.5, high: -0.1, source: a quote, as_of: 2026-11-01}\n",
                                 "on_demand_usd_per_hour.low: got -0.5"),
}


@pytest.mark.parametrize("name", list(SCENARIO_CASES))
def test_scenario_file(tmp_path, name):
    data, message = SCENARIO_CASES[name]
    f = tmp_path / "s.yaml"
    f.write_bytes(data)
    t0 = time.perf_counter()
    code, out = cli(["recommend", "--scenario", str(f), "--format", "json"], tmp_path)
    assert time.perf_counter() - t0 < HANG_GUARD_SECONDS
    assert code == 2, out
    line = one_line(out)
    assert line.startswith("error: ") and message in line, line


@pytest.mark.parametrize("path,message", [
    ("/dev/zero", "is a device, not a regular YAML file"),  # refused from its stat, before it is opened
    (".", "is a folder"),
    ("missing.yaml", "No such file or directory"),
])
def test_scenario_path(tmp_path, path, message):
    code, out = cli(["recommend", "--scenario", path], tmp_path)
    assert code == 2, out
    assert message in one_line(out)


# ------------------------------------------------------------------------------------------------- export
EXPORT_CASES = [
    ("", "--out: got ''"),
    ("/dev/null", "existing file or device"),
    ("a-file", "existing file or device"),
    ("a-file/sub", "is a file, not a folder"),
    ("x" * 300, "File name too long"),
]


@pytest.mark.parametrize("out,message", EXPORT_CASES, ids=["empty", "device", "file", "under-file", "too-long"])
def test_export_out(tmp_path, out, message):
    (tmp_path / "a-file").write_text("keep me\n")
    code, text = cli(["export", "--out", out, "--formats", "csv,yaml"], tmp_path)
    assert code == 2, text
    assert message in one_line(text)


def test_export_bad_formats(tmp_path):
    code, text = cli(["export", "--out", "o", "--formats", "png,gif"], tmp_path)
    assert code == 2 and "--formats: got 'png,gif'" in one_line(text)


def test_export_failure_part_way_leaves_nothing(tmp_path, monkeypatch):
    """The last format fails while rendering: no file of the set appears and an existing folder keeps its files."""
    from advisor.report import export

    out = tmp_path / "out"
    out.mkdir()
    (out / "options.csv").write_text("old\n")
    before = tree(tmp_path)

    def boom(figs, fmt):
        raise InputError("--formats", fmt, "a format kaleido can render (simulated failure)")

    monkeypatch.setattr(export, "figures_bytes", boom)
    from advisor.decide import Scenario

    with pytest.raises(InputError):
        export.write_exports(Scenario(volume_images_per_month=100), out, ["csv", "yaml", "png"])
    assert tree(tmp_path) == before
    # and a rename failing half-way through the move-in is undone as well
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(a, b):
        calls["n"] += 1
        if calls["n"] == 4:  # options.csv aside, options.csv in, scenario.yaml in... then fail
            raise OSError(28, "No space left on device")
        return real_replace(a, b)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(InputError, match="No space left on device"):
        export.write_exports(Scenario(volume_images_per_month=100), out, ["csv", "yaml"])
    monkeypatch.setattr(os, "replace", real_replace)
    assert tree(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_export_new_folder_is_complete_with_umask_modes(tmp_path):
    from advisor.decide import Scenario
    from advisor.report import export

    written = export.write_exports(Scenario(volume_images_per_month=100), tmp_path / "a" / "b", ["csv", "yaml"])
    assert sorted(p.name for p in written) == ["options.csv", "pareto.csv", "scenario.yaml"]
    umask = _umask_from_proc()
    assert all((p.stat().st_mode & 0o777) == 0o666 & ~umask for p in written)  # 0644 under the usual umask 022
    assert (tmp_path / "a" / "b").stat().st_mode & 0o002 == 0  # not world-writable


# ------------------------------------------------------------------------------------------------- catalog files
@pytest.fixture
def profiles_copy(tmp_path):
    dst = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, dst, ignore=shutil.ignore_patterns("measured", "validation"))
    return dst


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _gpu(d, slug="rtx-4090"):
    return next(e for e in d if e["slug"] == slug)


def _first_api_price(d):
    e = next(e for e in d if e.get("per_image_usd") or e.get("per_mp_usd"))
    return e.get("per_image_usd") or e.get("per_mp_usd")


CATALOG_CASES = {
    "negative_vram": ("gpus.yaml", lambda d: _gpu(d)["vram_gib"].update(value=-24),
                      "[rtx-4090] field 'vram_gib.value': got -24"),
    "negative_tflops": ("gpus.yaml", lambda d: _gpu(d)["tensor_tflops"]["bf16_fp32acc"].update(value=-165),
                        "field 'tensor_tflops.bf16_fp32acc.value': got -165"),
    "zero_bandwidth": ("gpus.yaml", lambda d: _gpu(d)["memory_bandwidth_gb_per_s"].update(value=0),
                       "field 'memory_bandwidth_gb_per_s.value': got 0"),
    "zero_board_power": ("gpus.yaml", lambda d: _gpu(d)["board_power_watts"].update(value=0),
                         "field 'board_power_watts.value': got 0"),
    "board_power_below_idle": ("gpus.yaml", lambda d: _gpu(d)["board_power_watts"].update(value=10),
                               "a board power above the idle power"),
    "pcie_gen_7": ("gpus.yaml", lambda d: _gpu(d)["pcie_gen"].update(value=7), "one of 3, 4, 5"),
    "future_as_of": ("gpus.yaml", lambda d: _gpu(d)["vram_gib"].update(as_of="2099-01-01"),
                     "a date not in the future"),
    "unknown_architecture": ("gpus.yaml", lambda d: _gpu(d).update(architecture="volta"), "field 'architecture'"),
    "bool_vram": ("gpus.yaml", lambda d: _gpu(d)["vram_gib"].update(value=True), "true/false is not a number"),
    "negative_street_price": ("gpus.yaml", lambda d: _gpu(d, "rtx-5090")["street_price_usd"].update(low=-1),
                              "field 'street_price_usd.low': got -1"),
    "negative_rental": ("rentals.yaml", lambda d: d[0]["on_demand_usd_per_hour"].update(low=-0.3, high=-0.1),
                        "field 'on_demand_usd_per_hour.low': got -0.3"),
    "negative_api_price": ("apis.yaml", lambda d: _first_api_price(d).update(value=-0.01), "got -0.01"),
    "negative_electricity": ("defaults.yaml", lambda d: d["electricity_usd_per_kwh"].update(value=-0.1),
                             "[defaults] field 'electricity_usd_per_kwh.value': got -0.1"),
    "failure_rate_one": ("defaults.yaml", lambda d: d["failure_rate"].update(value=1.0), "a fraction in [0, 1)"),
    "zero_weights_on_disk": ("pipelines.yaml", lambda d: d[0]["weights_on_disk_gb"]["bf16"].update(value=0),
                             "field 'weights_on_disk_gb.bf16.value': got 0"),  # allowed: > 0 [GB]
}


@pytest.mark.parametrize("name", list(CATALOG_CASES))
def test_catalog_number(profiles_copy, name):
    fname, fn, message = CATALOG_CASES[name]
    _edit(profiles_copy / fname, fn)
    before = tree(profiles_copy)
    with pytest.raises(CatalogError) as ei:
        load_catalog(profiles_copy)
    line = one_line(str(ei.value))
    assert fname in line and message in line, line
    assert tree(profiles_copy) == before


RAW_CATALOG_CASES = {
    "empty_file": ("gpus.yaml", b"", "empty file"),
    "binary_file": ("gpus.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL bytes"),
    "impossible_date": ("gpus.yaml", b"- slug: x\n  as_of: 2026-02-30\n", "a value cannot be read"),
    "duplicate_key": ("apis.yaml", b"- slug: x\n  provider: a\n  provider: b\n", "duplicate key 'provider'"),
    "bomb": ("defaults.yaml", bomb_lines().encode(), "expands to more than 200,000 nodes"),
    "deep": ("rentals.yaml", deep(300).encode(), "nested more than 64 levels"),
    "wrong_top_level": ("defaults.yaml", b"- 1\n", "expected a mapping at the top level"),
}


@pytest.mark.parametrize("name", list(RAW_CATALOG_CASES))
def test_catalog_file(profiles_copy, name):
    fname, data, message = RAW_CATALOG_CASES[name]
    (profiles_copy / fname).write_bytes(data)
    before = tree(profiles_copy)
    with pytest.raises(CatalogError) as ei:
        load_catalog(profiles_copy)
    line = one_line(str(ei.value))
    assert fname in line and message in line, line
    assert tree(profiles_copy) == before


def test_calibration_and_architecture_files(tmp_path):
    from advisor.catalog.architecture import spec_from_yaml_text
    from advisor.perf.timing import load_calibration

    f = tmp_path / "calibration.yaml"
    f.write_text("families: {}\nfamilies: {}\n")
    with pytest.raises(CatalogError, match="duplicate key 'families'") as ei:
        load_calibration(f)
    one_line(str(ei.value))
    f.write_bytes(b"")
    with pytest.raises(CatalogError, match="empty file"):
        load_calibration(f)
    with pytest.raises(CatalogError, match="expands to more than") as ei:
        spec_from_yaml_text("slug: x\ncomponents:\n" + bomb_lines("  "), "arch.yaml")
    assert one_line(str(ei.value)).startswith("arch.yaml: ")


def test_unknown_gpu_error_is_not_swallowed():
    """An estimator error that is not 'this precision is unsupported' reaches the user; the GPU does not vanish."""
    from advisor.decide import Scenario, recommend
    from advisor.perf import estimate

    def estimator(req, catalog=None):
        if req.gpu == "rtx-4090":
            raise InputError("vram_gib", -1, "a number > 0")
        return estimate(req, catalog)

    with pytest.raises(InputError, match="vram_gib"):
        recommend(Scenario(volume_images_per_month=100, gpu_owned="rtx-4090"), estimator=estimator)


# ------------------------------------------------------------------------------------------------- measured profiles
_profile_dict = profile_dict  # tests/profile_fixtures.py


def profile_bomb_text() -> str:
    """A ~13 kB profile whose one component config holds the billion laughs (as in the issue)."""
    head = yaml.safe_dump(_profile_dict(), sort_keys=False)
    pad = "notes:\n" + "".join(f"- padding line {i:04d} to make a realistic size\n" for i in range(250))
    return (head + pad + "components:\n- name: transformer\n  class_name: X\n  param_count: 1\n  config:\n"
            + bomb_lines("    "))


def _config_too_big() -> str:
    d = _profile_dict()
    d["components"] = [{"name": "t", "class_name": "X", "param_count": 1,
                        "config": {f"k{i}": list(range(10)) for i in range(600)}}]  # 600 * 11 + 1 = 6,601 > 5,000
    return yaml.safe_dump(d)


PROFILE_CASES = {
    "bomb_in_component_config": (profile_bomb_text(), "expands to more than 200,000 nodes"),
    "config_too_big": (_config_too_big(), "more than 5,000 values"),
    "duplicate_status": ("status: complete\nstatus: failed\n", "duplicate key 'status'"),
    "deep": (deep(500), "nested more than 64 levels"),
}


@pytest.mark.parametrize("name", list(PROFILE_CASES))
def test_profile_text(tmp_path, name):
    from advisor.catalog.measured import load_measured_profiles

    text, message = PROFILE_CASES[name]
    f = tmp_path / "dev" / "p.yaml"
    f.parent.mkdir()
    f.write_text(text)
    before = tree(tmp_path)
    t0 = time.perf_counter()
    with pytest.raises(CatalogError) as ei:
        load_measured_profiles(tmp_path)
    assert time.perf_counter() - t0 < HANG_GUARD_SECONDS
    line = one_line(str(ei.value))
    assert "p.yaml" in line and message in line, line
    assert tree(tmp_path) == before


# ------------------------------------------------------------------------------------------------- measure flags
MEASURE_CASES = [
    (["--out", "a-file"], "--out: got 'a-file'"),
    (["--out", "a-file/sub"], "is a file, not a folder"),
    (["--out", ""], "--out: got ''"),
    (["--time-budget", "0"], "--time-budget: got 0.0"),
    (["--time-budget", "nan"], "--time-budget: got nan"),
    (["--idle-seconds", "-1"], "--idle-seconds: got -1.0"),
    (["--guidance", "inf"], "--guidance: got inf"),
]


@pytest.mark.parametrize("extra,message", MEASURE_CASES, ids=[" ".join(a) for a, _ in MEASURE_CASES])
def test_measure_flags_checked_before_measuring(tmp_path, extra, message):
    (tmp_path / "a-file").write_text("keep me\n")
    t0 = time.perf_counter()
    code, out = cli(["measure", "--pipeline", "z-image-turbo", "--width", "64", "--height", "64", *extra], tmp_path)
    assert code == 2, out
    assert message in one_line(out)
    assert time.perf_counter() - t0 < HANG_GUARD_SECONDS  # refused before any pipeline is built


# ------------------------------------------------------------------------------------------------- threaded writes
def _umask_from_proc() -> int:
    """The process umask, read without changing it (Linux /proc/self/status 'Umask:')."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    pytest.skip("no Umask line in /proc/self/status")


def test_threaded_writes_leave_umask_and_modes(tmp_path):
    """16 threads x 50 atomic writes into new nested folders: umask untouched, files 0666 and folders 0777 less the
    umask (which the kernel applies and the writer never reads or changes)."""
    from advisor.io import atomic_write_text

    umask = _umask_from_proc()
    seen: set[int] = set()
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                atomic_write_text(tmp_path / f"t{t}" / f"d{i}" / "f.txt", f"{t}-{i}\n")
                seen.add(_umask_from_proc())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert seen == {umask} and _umask_from_proc() == umask
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    dirs = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert len(files) == 16 * 50 and len(dirs) == 16 + 16 * 50
    assert {p.stat().st_mode & 0o777 for p in files} == {0o666 & ~umask}
    assert {p.stat().st_mode & 0o777 for p in dirs} == {0o777 & ~umask}


# ------------------------------------------------------------------------------------------------- app uploads
sys.path.insert(0, str(ROOT))  # `pages` lives at the repository root


@pytest.fixture
def recommend_page():  # a fresh page per case: a scenario that parses is applied to the form and kept
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("views/recommend.py").run()  # the root URL opens Compare
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def profiles_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("views/profiles.py").run()
    assert not at.exception, at.exception
    return at


APP_SCENARIO_CASES = ["bomb_in_overrides", "deep_nesting", "duplicate_key", "override_negative_price",
                      "override_unknown_section", "override_bool_number"]


@pytest.mark.parametrize("name", APP_SCENARIO_CASES)
def test_app_scenario_upload(recommend_page, name):
    data, message = SCENARIO_CASES[name]
    at = recommend_page
    at.file_uploader(key="scenario_upload").set_value((f"{name}.yaml", data, "application/x-yaml"))
    t0 = time.perf_counter()
    at.run()
    assert time.perf_counter() - t0 < HANG_GUARD_SECONDS
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert message in one_line(errors[0]), errors


APP_PROFILE_CASES = ["bomb_in_component_config", "config_too_big", "duplicate_status", "deep"]


@pytest.mark.parametrize("name", APP_PROFILE_CASES)
def test_app_profile_upload(profiles_page, name):
    from views import common

    text, message = PROFILE_CASES[name]
    at = profiles_page
    at.file_uploader(key="profile_upload").set_value((f"{name}.yaml", text.encode(), "application/x-yaml"))
    at.run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in one_line(errors[0]), errors
    assert not at.session_state[common.UPLOADED_PROFILES_KEY]


# ------------------------------------------------------------------------------------------------- the reader itself
def test_reader_keeps_anchors_merges_and_dates():
    """What the hardening must not break: anchors within bounds, merge keys, dates, an empty document."""
    import datetime as dt

    data = read_yaml_text("a: &x {b: 1}\nc: *x\nm:\n  <<: *x\n  d: 2\nw: 2026-11-01\n", "ok.yaml")
    assert data == {"a": {"b": 1}, "c": {"b": 1}, "m": {"b": 1, "d": 2}, "w": dt.date(2026, 11, 1)}
    assert read_yaml_text("", "empty.yaml") is None
    with pytest.raises(YAMLFileError, match="empty file"):
        read_yaml_text("", "empty.yaml", expect=dict)


def test_reader_node_bound_is_exact():
    """[1, 2, 3] is 4 nodes (the sequence and three scalars); x: [1, 2, 3] is 6 (mapping, key, sequence, 3)."""
    assert read_yaml_text("x: [1, 2, 3]\n", "f", max_nodes=6) == {"x": [1, 2, 3]}
    with pytest.raises(YAMLFileError, match="more than 5 nodes"):
        read_yaml_text("x: [1, 2, 3]\n", "f", max_nodes=5)
    # an alias counts its whole node: a: &a [1, 2] (1 + 1 + 3) then b: *a (1 + 3) = 9 nodes
    assert read_yaml_text("a: &a [1, 2]\nb: *a\n", "f", max_nodes=9)
    with pytest.raises(YAMLFileError, match="more than 8 nodes"):
        read_yaml_text("a: &a [1, 2]\nb: *a\n", "f", max_nodes=8)


# ------------------------------------------------------------------------------------------------- fuzz
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FIELDS = ["volume_images_per_month", "megapixels", "width", "height", "gpu_owned", "electricity_usd_per_kwh",
           "amortization_months", "commercial", "needs", "deadline_hours", "batch_images", "input_megapixels",
           "powered_on_hours_per_day", "overrides", "bogus"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                     st.text(max_size=20), st.dates())
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=20)


def _load(text: str) -> None:
    from advisor.decide import load_scenario_text

    try:
        load_scenario_text(text, "fuzz.yaml")
    except AdvisorError as exc:
        one_line(str(exc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
@example("?")  # a lone null key: {None: None} (found by this test in CI)
@example("1: 2\nvolume_images_per_month: 5")  # a number as a field name
def test_fuzz_scenario_reader_text(text):
    """Any text: a Scenario or one AdvisorError line; never another exception."""
    _load(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_FIELDS), _values, max_size=8))
def test_fuzz_scenario_reader_structured(doc):
    """YAML documents shaped like scenarios with random values (incl. NaN, huge ints, dates, nested overrides)."""
    _load(yaml.safe_dump(doc, allow_unicode=True))

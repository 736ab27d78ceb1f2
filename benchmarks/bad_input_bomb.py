"""Time to refuse the "billion laughs" documents of issue 16 (a scenario and a measured profile), CLI and app.

Prints, for each path, the median and max wall time over REPEATS tries [seconds] and the refusal line:

- reader: ``read_yaml_text`` on the scenario bomb (in process);
- CLI in process: ``advisor recommend --scenario bomb.yaml`` through typer's CliRunner;
- CLI subprocess: ``python -m advisor recommend --scenario bomb.yaml`` (includes interpreter start and imports);
- app: the Recommend page's scenario upload and the Profiles page's profile upload via streamlit AppTest
  (one ``at.run()`` after setting the upload; the page itself was rendered before timing).

Before issue 16 the scenario bomb hung ``recommend`` (no answer after 240 s, memory +40 MB/s) and the profile bomb was
reported "valid".

CSV bombs (issue 21), each through the CLI in process and as ``python -m advisor`` with its peak memory (ru_maxrss of
the child): ``prices import /dev/zero`` (before: grew to 23.5 GB in 50 s, machine-wide OOM kill), ``prices import``
of a sparse 10 GB file, ``fit-votes /dev/zero``, and ``fit-votes`` of 20,000 made-up models (before: 6.3 GB in
18 s; now refused at model 201, or at the first model that is neither in the catalog nor declared).

Run: ``.venv/bin/python benchmarks/bad_input_bomb.py`` (``--csv-only`` for the CSV bombs alone).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_bad_input import SCENARIO_CASES, profile_bomb_text  # noqa: E402

REPEATS = 5


def timed(fn, repeats: int = REPEATS) -> tuple[float, float, str]:
    times, out = [], ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times), out


def csv_bombs(tmp: Path) -> list[tuple[str, float, float, str]]:
    """(name, median s in process, max s, refusal line) plus a subprocess row with peak RSS per CSV bomb."""
    import resource

    from typer.testing import CliRunner

    from advisor.cli import app

    sparse = tmp / "sparse.csv"
    with open(sparse, "wb") as fh:
        fh.truncate(10 * 1024**3)
    many = tmp / "many.csv"
    with open(many, "w") as fh:
        fh.write("model_a,model_b,winner\n")
        for i in range(20_000):
            a, b = f"m{i}", f"m{(i + 1) % 20_000}"
            fh.write(f"{a},{b},{a}\n{b},{a},{b}\n")
    models = [a for i in range(20_000) for a in ("--model", f"m{i}")]
    cases = {
        "prices import /dev/zero": ["prices", "import", "/dev/zero", "--out", str(tmp / "o.yaml")],
        "prices import sparse 10 GB": ["prices", "import", str(sparse), "--out", str(tmp / "o.yaml")],
        "fit-votes /dev/zero": ["fit-votes", "/dev/zero", "--out", str(tmp / "v.yaml")],
        "fit-votes 20,000 models": ["fit-votes", str(many), "--out", str(tmp / "v.yaml"), *models],
    }
    rows = []
    for name, args in cases.items():
        def once(args=args):
            r = CliRunner().invoke(app, args)
            return f"exit {r.exit_code}: {r.output.strip()}"

        rows.append((f"{name} (CliRunner)", *timed(once, 3)))
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far [MB]
        rows.append((f"{name} (python -m, peak {peak_mb:.0f} MB)", wall, wall,
                     f"exit {p.returncode}: {p.stderr.strip()}"))
    sparse.unlink()
    return rows


def turnaround_bombs() -> list[tuple[str, float, float, str]]:
    """Turnaround bombs (issue 21) as ``python -m advisor`` with peak memory: before, ``--volume 8000000 --team 5
    --p95-minutes 10`` gave no answer after 900 s with memory growing and ``--volume 100000 --team 100000
    --p95-minutes 1`` took 143 s; now a job budget known before the work starts sends them to closed-form queueing."""
    import resource

    rows = []
    for args in (["--volume", "8000000", "--team", "5", "--p95-minutes", "10"],
                 ["--volume", "100000", "--team", "100000", "--p95-minutes", "1"]):
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "advisor", "turnaround", *args], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far [MB]
        lines = p.stdout.splitlines()
        first = lines[1] if len(lines) > 1 else p.stderr.strip()  # the line after the team's description
        rows.append((f"turnaround {' '.join(args)} (peak {peak_mb:.0f} MB)", wall, wall, f"exit {p.returncode}: {first}"))
    return rows


def main() -> None:
    from typer.testing import CliRunner

    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_text
    from advisor.cli import app

    scenario = SCENARIO_CASES["bomb_in_overrides"][0]
    profile = profile_bomb_text().encode()
    print(f"scenario bomb: {len(scenario)} bytes; profile bomb: {len(profile)} bytes; both expand to 9**9 = "
          f"{9**9:,} strings")
    tmp = Path(tempfile.mkdtemp())
    f = tmp / "bomb.yaml"
    f.write_bytes(scenario)
    csv_rows = csv_bombs(tmp) + turnaround_bombs()
    for name, med, worst, out in csv_rows:
        print(f"{name:52s} median {med:8.4f} s  max {worst:8.4f} s  -> {out[:150]}")
    if "--csv-only" in sys.argv:
        return

    def reader():
        try:
            read_yaml_text(scenario.decode(), "bomb.yaml")
        except YAMLFileError as exc:
            return str(exc)
        return "ACCEPTED"

    def cli_in_process():
        r = CliRunner().invoke(app, ["recommend", "--scenario", str(f)])
        return f"exit {r.exit_code}: {r.output.strip()}"

    def cli_subprocess():
        p = subprocess.run([sys.executable, "-m", "advisor", "recommend", "--scenario", str(f)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        return f"exit {p.returncode}: {p.stderr.strip()}"

    rows = [("reader (in process)", *timed(reader)), ("CLI, CliRunner", *timed(cli_in_process)),
            ("CLI, python -m advisor", *timed(cli_subprocess, 3))]

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("views/recommend.py").run()  # the root URL opens Compare

    def app_scenario():
        at.file_uploader(key="scenario_upload").set_value(("bomb.yaml", scenario, "application/x-yaml"))
        at.run()
        return " | ".join(e.value for e in at.error)

    rows.append(("app, scenario upload", *timed(app_scenario)))
    ap = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    ap.switch_page("views/profiles.py").run()

    def app_profile():
        ap.file_uploader(key="profile_upload").set_value(("bomb-profile.yaml", profile, "application/x-yaml"))
        ap.run()
        return " | ".join(e.value for e in ap.error)

    rows.append(("app, profile upload", *timed(app_profile)))
    for name, med, worst, out in rows:
        print(f"{name:26s} median {med:8.4f} s  max {worst:8.4f} s  -> {out[:150]}")


if __name__ == "__main__":
    main()

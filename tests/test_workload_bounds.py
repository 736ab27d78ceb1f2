"""Turnaround bounded in time and memory: a budget known before any simulation starts, closed-form queueing above
it, bisection over the GPU count, and turnaround inputs that cannot describe a team refused in one line."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.decide import Scenario
from advisor.decide import turnaround_rule as TR
from advisor.errors import InputError
from advisor.workload import queueing as Q

ROOT = Path(__file__).resolve().parent.parent
#: CPU seconds and address space a bounded turnaround may use. The whole CLI (imports, ~2,000 options of the
#: engine, the waits) takes 3-6 s of CPU here; 60 s of CPU is a generous ceiling that the old unbounded runs (no
#: answer after 900 s) could never meet. 4 GiB of address space: the runs peak near 100 MB resident.
CPU_SECONDS = 60
ADDRESS_SPACE_BYTES = 4 * 2**30


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, preexec_fn=_limits,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})


@pytest.mark.parametrize("args", [
    ["--volume", "8000000", "--team", "5", "--p95-minutes", "10"],  # 1.8 million requests in the simulated week
    ["--volume", "100000", "--team", "100000", "--p95-minutes", "1"],  # hundreds of options needing many GPUs
])
def test_turnaround_bombs_answer_within_cpu_and_memory_limits(args):
    proc = _cli("turnaround", *args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "p95 target" in proc.stdout and "Traceback" not in proc.stderr


def test_huge_volume_uses_the_closed_form_and_says_so():
    proc = _cli("turnaround", "--volume", "8000000", "--team", "5", "--p95-minutes", "10")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Waits in closed form (Erlang C, Allen-Cunneen)" in proc.stdout
    assert "'max' is the 99.9th percentile" in proc.stdout


runner = CliRunner()


def test_fewer_than_one_request_a_month_is_refused_naming_the_flag():
    res = runner.invoke(app, ["turnaround", "--volume", "5000", "--team", "5", "--images-per-request", "10000",
                              "--p95-minutes", "10"])
    assert res.exit_code == 2
    line = res.output.strip()
    assert "\n" not in line and line.startswith("error: --images-per-request: got 10000")
    assert "fewer than one request a month" in line


@pytest.mark.parametrize("flag, value", [("--working-days", "3"), ("--requests-per-person-per-hour", "2"),
                                         ("--burst", "0:3"), ("--api-concurrency", "2"), ("--api-latency", "5")])
def test_team_flags_without_team_are_refused(flag, value):
    res = runner.invoke(app, ["recommend", "--volume", "5000", "--no-risk", flag, value])
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "\n" not in line and "team_size: got None" in line and "required with" in line


def test_turnaround_without_team_is_refused():
    res = runner.invoke(app, ["turnaround", "--volume", "5000", "--p95-minutes", "10"])
    assert res.exit_code == 2, res.output
    assert res.output.strip() == "error: --team: got None; allowed: an integer >= 1 (people sending requests)", \
        res.output  # the whole output: one line, no traceback


def test_bisection_runs_at_most_2_plus_log2_kmax_simulations():
    # 64 GPUs: 1, 64, then 6 halvings of [1, 64]: at most 8 runs, not up to 64 as a scan
    w = Q.Workload(team_size=50, requests_per_person_per_hour=20.0, days=2)
    k, tried = TR.smallest_gpus(w, 60.0, 0.2, target=5.0, k_max=64)
    assert k is not None and len(tried) <= 8
    # and it is the smallest: k - 1 misses the target (simulated on the same seed)
    assert Q.simulate_turnaround(w, Q.GPUServers(k - 1, 60.0, 0.2), seed=TR.SEED).p95_turnaround_minutes > 5.0
    assert tried[k].p95_turnaround_minutes <= 5.0


def test_budget_is_decided_before_the_work_starts():
    big = Q.Workload(team_size=5, requests_per_person_per_hour=3000.0, days=5)  # 600,000 requests
    assert TR.expected_jobs(big, Q.GPUServers(1, 1.0)) == pytest.approx(600_000)
    budget = TR.JobBudget()
    assert not budget.simulate(big, Q.GPUServers(1, 1.0)) and budget.left == TR.TOTAL_JOBS_BUDGET
    r = TR.run_turnaround(big, Q.GPUServers(40, 1.0, 0.2))
    assert r.seed == -1  # closed form
    small = Q.Workload(team_size=5, requests_per_person_per_hour=10.0, days=5)  # 2,000 requests
    assert budget.simulate(small, Q.GPUServers(1, 1.0))
    assert budget.left == pytest.approx(TR.TOTAL_JOBS_BUDGET - 2_000)
    # once the scenario's total is spent the rest comes from the closed form
    spent = TR.JobBudget(left=1_000)
    assert not spent.simulate(small, Q.GPUServers(1, 1.0))


def test_planner_without_team_fields_is_none_and_with_team_field_refuses():
    assert TR.planner_for(Scenario(volume_images_per_month=100)) is None
    with pytest.raises(InputError, match="team_size: got None; allowed: an integer >= 1, required with working_days"):
        TR.planner_for(Scenario(volume_images_per_month=100, working_days=3), require_target=False)

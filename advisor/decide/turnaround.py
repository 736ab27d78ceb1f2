"""``advisor turnaround``: how long the team waits on each option, and how many GPUs keep the p95 under a target.

Orchestrator: :func:`turnaround_report` runs the decision engine (:func:`advisor.decide.engine.recommend`) on the
scenario -- with a ``p95_target_minutes`` the engine already treats the target as a hard constraint and costs every
GPU option with the GPUs it needs (:mod:`advisor.decide.turnaround_rule`) -- and fills a :class:`TurnaroundReport`:
one row per option (p50 / p95 / max turnaround [min], utilisation, GPUs needed, monthly cost at that count), the
options the target rules out, and p95-vs-GPU-count curves of the leading options for the chart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.catalog import Catalog
from advisor.decide import turnaround_rule as TR
from advisor.decide.engine import Estimator, Result, recommend
from advisor.errors import InputError
from advisor.perf import estimate

#: most distinct p95-vs-k curves drawn (one per distinct service time among the leading options)
CURVES = 6


@dataclass
class TurnaroundRow:
    """One option's wait and cost. Minutes [min], cost [USD/month]."""

    option_id: str
    label: str
    deployment: str
    gpus_needed: int | None  # None: API, or no target given
    p50_turnaround_minutes: float
    p95_turnaround_minutes: float
    max_turnaround_minutes: float
    utilisation: float
    monthly_cost_usd: float
    meets_target: bool | None  # None without a target


@dataclass
class P95Curve:
    """p95 turnaround [min] at each GPU count (GPU options) or one flat value (API) of a leading option."""

    option_id: str
    label: str
    deployment: str
    p95_minutes_by_gpus: dict[int, float]


@dataclass
class TurnaroundReport:
    scenario: dict[str, Any]
    assumptions: dict[str, Any]
    target_minutes: float | None
    rows: list[TurnaroundRow]
    excluded_by_target: list[dict[str, Any]]
    curves: list[P95Curve]
    recommendation: str | None
    result: Result = field(repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "assumptions": self.assumptions,
                "p95_target_minutes": self.target_minutes, "recommendation": self.recommendation,
                "rows": [asdict(r) for r in self.rows], "excluded_by_target": self.excluded_by_target,
                "curves": [{**asdict(c), "p95_minutes_by_gpus": {str(k): v for k, v in c.p95_minutes_by_gpus.items()}}
                           for c in self.curves]}


def _row(o: Any, wait: dict[str, Any], target: float | None) -> TurnaroundRow:
    gpus = wait.get("gpus_needed") if wait.get("kind") == "gpu" else None
    meets = None if target is None else wait["p95_turnaround_minutes"] <= target + 1e-12
    return TurnaroundRow(option_id=o.id, label=o.label or o.id, deployment=o.deployment,
                         gpus_needed=gpus if target is not None else None,
                         p50_turnaround_minutes=wait["p50_turnaround_minutes"],
                         p95_turnaround_minutes=wait["p95_turnaround_minutes"],
                         max_turnaround_minutes=wait["max_turnaround_minutes"], utilisation=wait["utilisation"],
                         monthly_cost_usd=o.monthly_cost_usd, meets_target=meets)


def turnaround_report(scenario: Any, catalog: Catalog | None = None, estimator: Estimator = estimate,
                      curve_gpus: int | None = None) -> TurnaroundReport:
    """Waits per option for ``scenario`` (needs ``team_size``); see the module doc.

    ``curve_gpus``: largest GPU count on the p95 curves (default: 2 more than the most GPUs a drawn option needs,
    at least 4).
    """
    if scenario.team_size is None:
        raise InputError("team_size", None, "an integer >= 1 (people sending requests; CLI --team)")
    result = recommend(scenario, catalog, estimator)
    planner = TR.planner_for(scenario, require_target=False)
    target = scenario.p95_target_minutes
    by_id = {o.id: o for o in result.options}
    rows = [_row(o, o.turnaround, target) for o in result.options if o.turnaround is not None]
    excluded = [{"option_id": e.id, "reasons": list(e.reasons)} for e in result.excluded
                if any(r.startswith("Turnaround") for r in e.reasons)]
    curves = _curves(result, planner, rows, curve_gpus)
    rec = result.recommendation.option_id
    return TurnaroundReport(scenario=result.scenario, assumptions=result.assumptions,
                            target_minutes=target, rows=rows, excluded_by_target=excluded, curves=curves,
                            recommendation=rec if rec in by_id else None, result=result)


def _curves(result: Result, planner: TR.TurnaroundPlanner, rows: list[TurnaroundRow],
            curve_gpus: int | None) -> list[P95Curve]:
    """p95 vs GPU count for the best option of each distinct service time (and the best API), best first."""
    by_id = {o.id: o for o in result.options}
    picked, seen = [], set()
    for row in rows:
        o = by_id[row.option_id]
        wait = o.turnaround or {}
        key = ("api", row.option_id) if wait.get("kind") == "api" else (wait.get("seconds_per_image"),
                                                                        wait.get("relative_sd"),
                                                                        wait.get("cold_start_seconds"))
        if wait.get("kind") == "api" and any(k[0] == "api" for k in seen):
            continue
        if key in seen:
            continue
        seen.add(key)
        picked.append((o, wait))
        if len(picked) >= CURVES:
            break
    needed = [w.get("gpus_needed") or 1 for _, w in picked if w.get("kind") == "gpu"]
    k_top = curve_gpus or max(4, max(needed, default=1) + 2)
    out = []
    for o, wait in picked:
        if wait.get("kind") == "api":
            curve = {k: wait["p95_turnaround_minutes"] for k in range(1, k_top + 1)}
        else:
            cold = ((wait["cold_start_seconds"], wait["idle_timeout_seconds"])
                    if wait.get("cold_start_seconds") is not None else None)
            curve = planner.p95_curve(wait["seconds_per_image"], wait["relative_sd"], range(1, k_top + 1), cold)
        out.append(P95Curve(o.id, o.label or o.id, o.deployment, curve))
    return out

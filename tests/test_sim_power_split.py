"""Known answers for the one power split (advisor.perf._engine.power_split) and the one board-power formula
(advisor.perf.power), which the simulator, the power fit and the campaign predictions all use."""

from __future__ import annotations

import pytest

from advisor.perf import _engine as E
from advisor.perf import power as P
from advisor.perf.timing import PowerParams, StageTime


def _plan() -> E.StagePlan:
    te = StageTime(1.5, {}, compute_seconds=1.0, memory_seconds=0.5, launch_bound_seconds=0.1)
    ev = StageTime(2.0, {}, compute_seconds=1.5, memory_seconds=0.5, launch_bound_seconds=0.2)
    vae = StageTime(0.5, {}, compute_seconds=0.3, memory_seconds=0.2)
    return E.StagePlan(te, ev, vae, step_seconds=2.1)


def test_power_split_by_hand():
    # 4 steps: overhead = (step 2.1 - forward 2.0 + launch-floor excess 0.2) x 4 = 1.2 s
    # compute = TE 1.0 + 4 x 1.5 + VAE 0.3 = 7.3 s
    # memory = (TE 0.5 + 4 x 0.5 + VAE 0.2) + (1.2 + TE excess 0.1 + VAE excess 0) = 2.7 + 1.3 = 4.0 s
    s = E.power_split(_plan(), 4, transfer_seconds=0.5)
    assert (s.compute_seconds, s.memory_seconds, s.transfer_seconds) == pytest.approx((7.3, 4.0, 0.5), rel=1e-12)
    assert s.compute_fraction == pytest.approx(7.3 / 11.3, rel=1e-12)
    # the denoiser alone: compute 4 x 1.5 = 6.0 s; memory 4 x 0.5 + 1.2 = 3.2 s
    t = E.power_split(_plan(), 4, transformer_only=True)
    assert (t.compute_seconds, t.memory_seconds) == pytest.approx((6.0, 3.2), rel=1e-12)


def test_board_power_formula_by_hand():
    params = PowerParams(alpha=1.0, compute_utilisation=0.8, memory_utilisation=0.4, transfer_utilisation=0.1)
    # 100 W idle, 400 W limit, u = 0.5: 100 + 300 x 0.5 = 250 W; u^alpha above 1 is clamped to the limit
    assert P.power_at_utilisation(100.0, 400.0, 0.5, 1.0) == pytest.approx(250.0)
    assert P.power_at_utilisation(100.0, 400.0, 1.5, 1.0) == 400.0
    # compute fraction 0.75: u = 0.75 x 0.8 + 0.25 x 0.4 = 0.7 -> 100 + 300 x 0.7 = 310 W
    assert P.power_at_compute_fraction(100.0, 400.0, 0.75, params) == pytest.approx(310.0)

"""check-claim verdicts on the real catalog (floors computed from the architecture specs)."""

from __future__ import annotations

import pytest

from advisor.fit.claims import check_claim
from advisor.errors import InputError


def test_physically_impossible_blog_claim():
    # "FLUX.1 dev in 1 second on an RTX 4090" (28 steps, 1024^2): 28 x ~75 TFLOP = 2.1 PFLOP at 165 TFLOP/s is
    # >= 12 s even at 100% of peak, so 1 s is impossible.
    c = check_claim("flux-1-dev", "rtx-4090", 1.0)
    assert c.verdict == "impossible"
    assert c.floor_seconds > 10
    assert c.fraction_of_peak > 10
    assert "below the roofline floor" in c.reason


def test_measured_h100_time_is_plausible():
    # BenchmarkFlux H100 7.11 s needs about a third of peak
    c = check_claim("flux-1-dev", "h100-sxm", 7.11)
    assert c.verdict == "plausible"
    assert 0.2 < c.fraction_of_peak < 0.85
    assert c.weights_fit


def test_claim_needing_more_than_85_percent_of_peak_is_implausible():
    floor = check_claim("z-image-turbo", "h100-sxm", 100.0).floor_seconds
    c = check_claim("z-image-turbo", "h100-sxm", floor / 0.9)  # needs 90% of peak
    assert c.verdict == "implausible" and "of peak" in c.reason


def test_weights_that_do_not_fit_leave_no_time_for_offload():
    # FLUX.2 dev bf16 (~107 GiB) on a 24 GiB card: the claim leaves only half the minimal PCIe time of the ~84 GiB
    # that does not fit on top of the compute floor
    ref = check_claim("flux-2-dev", "rtx-4090", 1e4)
    c = check_claim("flux-2-dev", "rtx-4090", ref.floor_seconds + 0.5 * ref.offload_floor_seconds)
    assert not c.weights_fit
    assert c.verdict == "implausible" and "PCIe" in c.reason


def test_bad_seconds_rejected():
    with pytest.raises(InputError, match="seconds: got -1"):
        check_claim("flux-1-dev", "h100-sxm", -1)

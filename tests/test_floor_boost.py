"""The physical floor allows a GeForce card to run above its datasheet rate (it boosts above the spec clock), so that
no real run is called faster than physics; power-capped parts stay at their datasheet."""

import pytest

from advisor.catalog import load_catalog
from advisor.perf import timing as T


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_card_with_a_ceiling_file_runs_at_most_its_measured_rate(cat):
    # profiles/ceilings/rtx-4090.yaml: torch.matmul bf16 166.6 TFLOP/s; datasheet 165.2 (Ada whitepaper v2.1)
    gpu = cat.gpu("rtx-4090")
    assert T.boost_over_sheet(gpu) == pytest.approx(166.6 / 165.2)
    sheet = gpu.tensor_tflops["bf16_fp32acc"].value * 1e12
    assert T.device_rates(gpu, "bf16", achievable=False).matmul_flops_per_s == pytest.approx(sheet * 166.6 / 165.2)


def test_consumer_card_without_ceiling_takes_the_largest_measured_geforce_boost(cat):
    gpu = cat.gpu("rtx-5080")
    assert T.load_ceilings("rtx-5080") is None and T.segment_of(gpu) == "consumer"
    assert T.boost_over_sheet(gpu) == pytest.approx(239.1 / 209.5)  # RTX 5090 measured / datasheet


def test_power_capped_parts_stay_at_their_datasheet(cat):
    # H100 SXM measured 790.0 of 989.4 TFLOP/s: below its datasheet, so its floor is the datasheet's
    h100 = cat.gpu("h100-sxm")
    assert T.boost_over_sheet(h100) == 1.0
    sheet = h100.tensor_tflops["bf16_fp32acc"].value * 1e12
    assert T.device_rates(h100, "bf16", achievable=False).matmul_flops_per_s == pytest.approx(sheet)
    assert T.boost_over_sheet(cat.gpu("rtx-pro-6000-blackwell")) == 1.0

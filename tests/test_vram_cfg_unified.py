"""VRAM under classifier-free guidance (each stage at its own batch), the honest VRAM line of ``simulate``, and
unified memory (Apple Silicon: the GPU's working-set share, offloading frees nothing).

Known answers are computed here by hand from the architecture's parameter counts and the model's constants
(advisor.perf.memory docstrings): required = weights + activations x (1 + fragmentation_headroom_fraction)
+ cuda_context_gib; total (the peak nvidia-smi shows) = weights + activations x (1 + allocator_overhead_fraction)
+ cuda_context_gib.
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from advisor.catalog import load_catalog
from advisor.catalog.architecture import load_architecture
from advisor.cli import app
from advisor.errors import InputError
from advisor.perf import PerfRequest, estimate
from advisor.perf import host as H
from advisor.perf import memory as M
from advisor.perf import timing as T
from advisor.perf import vram_fit as VF

runner = CliRunner()
GIB = 2**30
K = M.PRIOR_VRAM


def _weights_gib_by_hand(slug: str) -> float:
    """Every component at bf16: parameters x 2 B + buffers x 4 B (no sub-16-bit precision, so no split between
    linear and other weights)."""
    spec = load_architecture(slug)
    return sum(c.param_count * 2 + M.resident_buffer_count(c) * 4 for c in spec.components) / GIB


# The SDXL VAE decoder's largest tensor at 1024^2: its last up block's 256-channel input at full resolution,
# 256 x 1024 x 1024 elements x 2 B (bf16) = 0.5 GiB; times vae_decode_live_buffers (4.9) = 2.45 GiB.
SDXL_VAE_GIB = K.vae_decode_live_buffers * 256 * 1024 * 1024 * 2 / GIB


def test_sdxl_vae_workspace_by_hand_and_it_does_not_double_under_cfg():
    spec = load_architecture("sdxl")
    assert M.vae_decode_workspace_gib(spec, 1024, 1024, 1, constants=K) == pytest.approx(SDXL_VAE_GIB, rel=1e-12)
    cfg = M.peak_vram_breakdown(spec, 1024, 1024, 64, 1, "bf16", "none", {"vae": "bf16"}, constants=K,
                                evals_per_step=2)
    plain = M.peak_vram_breakdown(spec, 1024, 1024, 64, 1, "bf16", "none", {"vae": "bf16"}, constants=K)
    # the VAE decode is SDXL's peak stage; CFG (2 denoiser evaluations) leaves its workspace at one image
    assert cfg.stage == "vae_decode" and cfg.activations_gib == pytest.approx(SDXL_VAE_GIB, rel=1e-12)
    assert cfg.required_gib == pytest.approx(plain.required_gib, rel=1e-12)
    # two images do double it
    two = M.peak_vram_breakdown(spec, 1024, 1024, 64, 2, "bf16", "none", {"vae": "bf16"}, constants=K)
    assert two.activations_gib == pytest.approx(2 * SDXL_VAE_GIB, rel=1e-12)


def test_sdxl_batch_1_with_cfg_needs_less_than_batch_2_known_answer():
    cal = T.load_calibration()
    k = M.constants_of(cal)
    vae = k.vae_decode_live_buffers * 256 * 1024 * 1024 * 2 / GIB
    hand = _weights_gib_by_hand("sdxl") + vae * (1 + k.fragmentation_headroom_fraction) + k.cuda_context_gib
    one = estimate(PerfRequest("sdxl", "h100-sxm", offload="none", guidance=5.0), calibration=cal)
    two = estimate(PerfRequest("sdxl", "h100-sxm", offload="none", guidance=5.0, batch_size=2), calibration=cal)
    # 6.46 GiB weights + 2.45 x 1.25 + 1.15 = 10.67 GiB with the priors (13.74 when CFG doubled the VAE too)
    assert one.required_vram_gib == pytest.approx(hand, rel=1e-9)
    assert one.required_vram_gib < two.required_vram_gib
    assert two.required_vram_gib - one.required_vram_gib == pytest.approx(
        vae * (1 + k.fragmentation_headroom_fraction), rel=1e-9)  # the second image's VAE decode


def test_sd35_large_known_answer():
    cal = T.load_calibration()
    k = M.constants_of(cal)
    vae = k.vae_decode_live_buffers * 256 * 1024 * 1024 * 2 / GIB  # the same 16-channel-latent VAE decoder width
    hand = _weights_gib_by_hand("sd-3.5-large") + vae * (1 + k.fragmentation_headroom_fraction) + k.cuda_context_gib
    est = estimate(PerfRequest("sd-3.5-large", "h100-sxm", offload="none", guidance=3.5), calibration=cal)
    assert est.required_vram_gib == pytest.approx(hand, rel=1e-9)  # 30.1 GiB with the priors, not 33.2


def test_cfg_doubles_the_denoiser_batch_only_where_diffusers_concatenates():
    sd3, qwen = load_architecture("sd-3.5-large"), load_architecture("qwen-image")
    assert M.denoiser_batch(sd3, 1, 2) == 2  # torch.cat([latents] * 2)
    assert M.denoiser_batch(qwen, 1, 2) == 1  # a second forward under cache_context("uncond")
    assert M.denoiser_batch(qwen, 3, 1) == 3
    # model offload: the denoiser stage is the peak; its activations follow the denoiser batch
    b = M.peak_vram_breakdown(sd3, 1024, 1024, 64, 1, offload="model", constants=K, evals_per_step=2)
    n_t = M.text_tokens(sd3, 64)
    assert b.stage == "transformer"
    assert b.activations_gib == pytest.approx(M.transformer_activation_gib(sd3, 1024, 1024, n_t, 2, constants=K))


def test_bad_evals_per_step_is_one_line():
    with pytest.raises(InputError) as ei:
        M.peak_vram_breakdown(load_architecture("sdxl"), 1024, 1024, evals_per_step=0)
    assert str(ei.value) == "evals_per_step: got 0; allowed: an integer >= 1 (denoiser forwards per step)"


def test_rtx_5080_sdxl_fits_and_the_line_says_so_consistently():
    r = runner.invoke(app, ["simulate", "--pipeline", "sdxl", "--gpu", "rtx-5080"])
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if "VRAM needed" in ln)
    m = re.search(r"VRAM needed\s+([\d.]+) GiB\s+\(fits in ([\d.]+) GiB; ([\d.]+) GiB with ([\d.]+) GiB of "
                  r"PyTorch's reclaimable allocator cache", line)
    assert m, line
    need, limit, peak, cache = map(float, m.groups())
    assert need <= limit == pytest.approx(load_catalog().gpu("rtx-5080").vram_gib.value, abs=0.05)
    assert peak == pytest.approx(need + cache, abs=0.011)  # two-decimal rounding of three figures
    d = json.loads(runner.invoke(app, ["simulate", "--pipeline", "sdxl", "--gpu", "rtx-5080", "--format",
                                       "json"]).output)
    assert d["fits"] is True and d["offload"] == "none"
    assert d["required_vram_gib"] <= d["vram_limit_gib"] and d["peak_vram_gib"] > d["required_vram_gib"]


def test_a_card_too_small_says_does_not_fit_against_the_same_figure():
    r = runner.invoke(app, ["simulate", "--pipeline", "sdxl", "--gpu", "rtx-3060-12gb", "--batch-size", "2",
                            "--offload", "none", "--format", "json"])
    d = json.loads(r.output)
    assert d["fits"] is (d["required_vram_gib"] <= d["vram_limit_gib"]) and d["fits"] is False
    assert any(n.startswith(f"does not fit on NVIDIA GeForce RTX 3060 12GB: needs {d['required_vram_gib']:.1f} GiB "
                            f"> 12.0 GiB with offload=none") for n in d["notes"])


def test_apple_gpu_share_of_unified_memory_by_hand():
    cat = load_catalog()
    mac = cat.gpu("apple-m3-ultra-96gb")
    assert mac.unified_memory and mac.backend == "mps"
    lim = VF.gpu_memory_limit(mac)
    assert lim.unified and lim.gib == pytest.approx(96 * 0.75)  # 72 GiB: more than 36 GB -> 75 %
    small = mac.model_copy(update={"vram_gib": mac.vram_gib.model_copy(update={"value": 24.0})})
    assert VF.gpu_memory_limit(small).gib == pytest.approx(24 * 2 / 3)  # 16 GiB: 36 GB or less -> two thirds
    spark = cat.gpu("dgx-spark-gb10")  # unified but CUDA: the memory less the process and the OS
    assert VF.gpu_memory_limit(spark).gib == pytest.approx(128 - H.PROCESS_WORKING_SET_GIB - H.OS_RESERVE_GIB)
    assert not VF.gpu_memory_limit(cat.gpu("rtx-5080")).unified


@pytest.mark.parametrize("offload", ["auto", "model", "group", "sequential"])
def test_apple_96gb_cannot_run_flux2_dev_bf16_via_offload(offload):
    cal = T.load_calibration()
    est = estimate(PerfRequest("flux-2-dev", "apple-m3-ultra-96gb", offload=offload), calibration=cal)
    plain = estimate(PerfRequest("flux-2-dev", "apple-m3-ultra-96gb", offload="none"), calibration=cal)
    assert est.fits is False and est.vram_limit_gib == pytest.approx(72.0)
    assert est.offload == ("none" if offload == "auto" else offload)
    # offloading frees nothing: the same requirement as without offload, all 104.9 GiB of weights included
    assert est.required_vram_gib == pytest.approx(plain.required_vram_gib, rel=1e-12)
    assert est.required_vram_gib > 104.9
    note = est.notes[0]
    assert note.startswith(f"does not fit on Apple M3 Ultra (60-core GPU, 96 GB, Mac Studio): needs "
                           f"{est.required_vram_gib:.1f} GiB > 72.0 GiB")
    assert "offloading cannot help there: host RAM and GPU memory are the same 96 GiB" in note
    # the memory the machine needs: the GPU's allocations + working set + OS, no offloaded copy on top
    assert est.host_ram_gib == pytest.approx(est.required_vram_gib + H.PROCESS_WORKING_SET_GIB + H.OS_RESERVE_GIB)


def test_apple_small_model_fits_and_offload_is_said_to_free_nothing():
    est = estimate(PerfRequest("z-image-turbo", "apple-m3-ultra-96gb", offload="model"))
    assert est.fits and est.required_vram_gib < 72.0
    assert any("offload=model frees no memory" in n for n in est.notes)


def test_recommend_and_compare_agree_flux2_dev_bf16_is_not_an_apple_96gb_option():
    from advisor.cost.scenario import Scenario
    from advisor.decide import recommend
    from advisor.decide.compare import compare

    sc = Scenario.from_dict({"volume_images_per_month": 500, "gpu_owned": "apple-m3-ultra-96gb"})
    res = recommend(sc)
    on_mac = [o for o in res.options if o.gpu == "apple-m3-ultra-96gb" and o.pipeline == "flux-2-dev"]
    assert on_mac and all(o.precision != "bf16" for o in on_mac)  # NF4 fits (about 35 GiB); bf16 does not
    flux = next(m for m in compare(["flux-2-dev", "z-image-turbo"], sc).models if m.model == "flux-2-dev")
    own = [r for r in flux.rows if r.kind == "own"]
    assert own and all("apple-m3-ultra-96gb" in r.option_id and not r.option_id.endswith(":bf16") for r in own)
    assert {r.option_id for r in own} <= {o.id for o in on_mac}  # the same option the recommendation costs

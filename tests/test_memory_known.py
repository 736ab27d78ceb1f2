"""Known answers for advisor.perf.memory (pure; no torch)."""

from __future__ import annotations

import pytest

from advisor.catalog.architecture import ComponentSpec, LinearGroup, load_architecture
from advisor.errors import InputError
from advisor.perf.memory import (GIB, OFFLOAD_STRATEGIES, component_weight_bytes, module_weight_gib,
                                 resident_buffer_count,
                                 peak_vram_breakdown, peak_vram_gib, total_weight_gib, vae_decode_workspace_gib)


def test_z_image_turbo_bf16_weights_by_hand():
    # (6,154,908,736 + 4,022,468,096 + 83,819,683) params * 2 B = 20,522,393,030 B = 19.113 GiB (20.5 GB).
    # The "~19.3 GB" quoted for the full bf16 pipeline is this figure in GiB-ish units (within 1%).
    spec = load_architecture("z-image-turbo")
    assert total_weight_gib(spec) == pytest.approx(20_522_393_030 / GIB, rel=1e-9)
    assert total_weight_gib(spec) == pytest.approx(19.3, rel=0.015)


def test_flux2_dev_module_weights_by_hand():
    # transformer 32,223,281,152 * 2 B = 64.45 GB = 60.02 GiB; Mistral3 24,011,361,280 * 2 B = 48.02 GB = 44.72 GiB;
    # VAE 84,046,115 * 2 B + 257 BatchNorm buffer elements * 4 B = 0.1566 GiB.
    w = module_weight_gib(load_architecture("flux-2-dev"))
    assert w["transformer"] == pytest.approx(32_223_281_152 * 2 / GIB, rel=1e-12)
    assert w["text_encoder"] == pytest.approx(24_011_361_280 * 2 / GIB, rel=1e-12)
    assert w["vae"] == pytest.approx((84_046_115 * 2 + 257 * 4) / GIB, rel=1e-12)


def test_quantised_bytes_by_hand():
    # one 1000x1000 linear with bias: weights quantised, bias stays 16-bit.
    # nf4: 1e6 * 0.5625 + 1000 * 2 = 564,500 B;  fp8: 1e6 * 1 + 1000 * 2 = 1,002,000 B; fp32: 1,001,000 * 4.
    comp = ComponentSpec(name="t", role="transformer", module="t", class_name="X", config={}, param_count=1_001_000,
                         linears=[LinearGroup(name="l", stream="image", in_features=1000, out_features=1000, count=1)])
    assert component_weight_bytes(comp, "nf4") == 564_500
    assert component_weight_bytes(comp, "fp8") == 1_002_000
    assert component_weight_bytes(comp, "fp32") == 4_004_000


def test_flux1_dev_fp8_transformer_matches_fp8_checkpoint_size():
    # The fp8 FLUX.1-dev transformer checkpoints (e.g. Kijai/flux-fp8 flux1-dev-fp8) are ~11.9 GB: 11.9B linear
    # weights at 1 B + a few M biases/norms at 2 B. Tolerance 1% (file size is quoted to 3 digits).
    w = module_weight_gib(load_architecture("flux-1-dev"), "fp8")["transformer"] * GIB
    assert w == pytest.approx(11.9e9, rel=0.01)


def test_flux2_dev_needs_more_than_80gb_without_offload():
    # 104.9 GiB of bf16 weights: does not fit an 80 GB H100 (diffusers FLUX.2 docs/blog).
    assert peak_vram_gib(load_architecture("flux-2-dev"), 1024, 1024, offload="none") > 80e9 / GIB


def test_flux2_dev_model_offload_near_hf_blog_62gb():
    # HF blog: ~62 GB with enable_model_cpu_offload on an H100. With model offload only the running module is
    # resident; the largest is the transformer (60.02 GiB), not Mistral (44.72 GiB). 60.02 + ~0.8 activations +
    # 0.5 CUDA context = 61.3 GiB (65.8 GB): the blog's "62 GB" reads as GiB from torch/nvidia-smi. Band 60-64 GiB.
    b = peak_vram_breakdown(load_architecture("flux-2-dev"), 1024, 1024, offload="model")
    assert b.stage == "transformer"
    assert 60.0 < b.total_gib < 64.0


def test_offload_strategies_are_ordered():
    spec = load_architecture("flux-1-dev")
    peaks = [peak_vram_gib(spec, 1024, 1024, offload=o) for o in OFFLOAD_STRATEGIES]
    assert peaks == sorted(peaks, reverse=True)  # none >= model >= group >= sequential


def test_vae_workspace_by_hand():
    # FLUX VAE at 1024^2: largest conv tensor = 256 ch x 1024 x 1024 (upsampler conv at full res) x 2 B = 0.5 GiB;
    # x vae_decode_live_buffers (prior 4.9 = the 2026-11-26 fit on H100 peaks) = 2.45 GiB (512^2: 0.125 x 4.9 = 0.6125). Quadruples from 512^2 to 1024^2.
    spec = load_architecture("flux-1-dev")
    assert vae_decode_workspace_gib(spec, 1024, 1024) == pytest.approx(2.45, rel=1e-12)
    assert vae_decode_workspace_gib(spec, 512, 512) == pytest.approx(0.6125, rel=1e-12)


def test_bad_offload_is_an_input_error():
    with pytest.raises(InputError, match=r"^offload: got 'cpu'; allowed: one of none, model, group, sequential$"):
        peak_vram_gib(load_architecture("flux-1-dev"), 1024, 1024, offload="cpu")


def test_per_component_precision_override():
    spec = load_architecture("flux-2-dev")
    mixed = module_weight_gib(spec, "bf16", precisions={"text_encoder": "nf4"})
    assert mixed["transformer"] == module_weight_gib(spec, "bf16")["transformer"]
    # nf4 linears are 0.5625/2 = 28% of bf16; the embedding table (131072 x 5120) and the vision tower stay bf16:
    # (22.9B linear * 0.5625 + 1.1B other * 2) / (24.0B * 2) = 31%.
    ratio = mixed["text_encoder"] / module_weight_gib(spec, "bf16")["text_encoder"]
    assert 0.28 < ratio < 0.35


def test_flux2_klein_4b_tied_lm_head_is_not_a_buffer():
    # Qwen3-4B ties lm_head to embed_tokens (151,936 x 2,560 = 388,956,160 elements). The tied head shares the
    # embedding's storage, so the text encoder is params * 2 B only:
    # 4,022,468,096 * 2 B = 8,044,936,192 B = 7.4925 GiB (not + 388,956,160 * 4 B = 1.449 GiB).
    spec = load_architecture("flux-2-klein-4b")
    te = spec.text_encoders[0]
    assert te.buffer_count == 0  # the extractor counts the tied head once (named_parameters(remove_duplicate=False))
    assert module_weight_gib(spec)["text_encoder"] == pytest.approx(4_022_468_096 * 2 / GIB, rel=1e-12)
    # architectures embedded in profiles measured with the earlier extractor still list the head as a buffer
    old = te.model_copy(update={"buffer_count": 388_956_160})
    assert resident_buffer_count(old) == 0
    # whole pipeline vs the weights_gib 14.8677 measured on the H100 and H200 (sum of the built pipeline's
    # parameter bytes; 1e-3 relative covers the 4-digit rounding of the recorded value)
    assert total_weight_gib(spec) == pytest.approx(14.8677, rel=1e-3)


def test_constants_are_a_value_passed_in():
    from advisor.perf.memory import PRIOR_VRAM, VramConstants, stage_breakdown

    spec = load_architecture("flux-1-dev")
    # same largest conv tensor (0.5 GiB at 1024^2) x 2.0 live buffers = 1.0 GiB; the priors are untouched
    assert vae_decode_workspace_gib(spec, 1024, 1024, constants=VramConstants(vae_decode_live_buffers=2.0)) == \
        pytest.approx(1.0, rel=1e-12)
    assert vae_decode_workspace_gib(spec, 1024, 1024) == pytest.approx(2.45, rel=1e-12)
    assert PRIOR_VRAM.vae_decode_live_buffers == 4.9
    # weights 10 GiB, activations 2 GiB, priors: total = 10 + 2 + 2 x 1.0 (allocator cache) + 1.15 (context)
    # = 15.15 GiB; required = 10 + 2 x (1 + 0.25) + 1.15 = 13.65 GiB
    b = stage_breakdown(10.0, 2.0, "transformer", "none")
    assert (b.total_gib, b.required_gib, b.overhead_gib) == pytest.approx((15.15, 13.65, 3.15), rel=1e-12)


# --- the machine around the card: host RAM and disk (advisor.perf.host, advisor.decide.market.host_fit) -------------


def test_host_ram_with_offload_is_all_weights_plus_working_set_and_os_by_hand():
    from advisor.perf import PerfRequest, estimate

    spec = load_architecture("flux-2-dev")
    # every module's weights stay in host RAM under offload: 56,318,688,547 params x 2 B + 257 VAE buffer elements
    # x 4 B = 112,637,378,122 B = 104.90 GiB; + 2 GiB working set + 4 GiB OS = 110.90 GiB (a 128 GB machine)
    params = sum(spec.module_param_counts().values())
    assert params == 56_318_688_547
    by_hand = (params * 2 + 257 * 4) / GIB + 2.0 + 4.0
    est = estimate(PerfRequest("flux-2-dev", "rtx-4090"))
    assert est.offload == "group"
    assert est.host_ram_gib == pytest.approx(by_hand, rel=1e-12)
    assert est.disk_gb == 112.6  # the catalog's bf16 checkpoint (profiles/pipelines.yaml weights_on_disk_gb)


def test_the_articles_64_gb_for_flux2_dev_is_the_fp8_checkpoint_offloaded():
    """'64 GB+ RAM for FLUX.2 [dev]': FP8 weights everywhere (transformer and Mistral text encoder) offloaded need
    59.6 GiB of host RAM, i.e. a 64 GB machine (memory sold in binary sizes); bf16 needs a 128 GB one."""
    from advisor.perf import PerfRequest, estimate
    from advisor.perf.host import ram_size_for

    fp8 = estimate(PerfRequest("flux-2-dev", "rtx-4090", precision="fp8", steps=20))
    bf16 = estimate(PerfRequest("flux-2-dev", "rtx-4090"))
    assert fp8.offload == "group"
    # the VAE stays bf16 at every precision (advisor.perf._engine._precisions)
    assert fp8.host_ram_gib == pytest.approx(total_weight_gib(load_architecture("flux-2-dev"), "fp8", {"vae": "bf16"})
                                             + 6.0, rel=1e-12)
    assert (ram_size_for(fp8.host_ram_gib), ram_size_for(bf16.host_ram_gib)) == (64, 128)
    # the project's interrupted H100 model-offload load had reached 51.68 GiB RSS part-way: below the finished load
    assert 51.68 < bf16.host_ram_gib


def test_no_offload_needs_only_the_working_set_and_the_os():
    from advisor.perf import PerfRequest, estimate

    est = estimate(PerfRequest("z-image-turbo", "h100-sxm"))
    assert est.offload == "none" and est.host_ram_gib == 6.0  # 2 GiB measured working set + 4 GiB OS


def test_owned_machine_without_the_ram_is_excluded_with_the_reason():
    from advisor.catalog import load_catalog
    from advisor.decide import market
    from advisor.perf import PerfRequest, estimate

    cat = load_catalog()
    est = estimate(PerfRequest("flux-2-dev", "rtx-4070"))
    fit = market.host_fit(cat, cat.gpu("rtx-4070"), est, owned=True, owned_ram_gb=32)
    assert fit.exclusion is not None
    assert f"{est.host_ram_gib:.1f} GiB of host RAM" in fit.exclusion and "32 GB of your machine" in fit.exclusion
    assert "128 GB of RAM would run it" in fit.exclusion
    assert market.host_fit(cat, cat.gpu("rtx-4070"), est, owned=True, owned_ram_gb=128).exclusion is None
    default = market.host_fit(cat, cat.gpu("rtx-4070"), est, owned=True)  # stated default: its class's build (AM4)
    assert default.machine_ram_gb == cat.defaults.system_builds["desktop-am4"].ram_gb.value == 32


def test_bought_machine_is_priced_with_the_ram_upgrade_by_hand():
    from dataclasses import replace

    from advisor.catalog import load_catalog
    from advisor.decide import market
    from advisor.perf import PerfRequest, estimate

    cat = load_catalog()
    est = estimate(PerfRequest("flux-2-dev", "rtx-4070"))  # bf16, group offload: 110.9 GiB
    build = cat.defaults.system_builds["desktop-am4"]
    fit = market.host_fit(cat, cat.gpu("rtx-4070"), est)
    # 32 GB build -> 128 GB: +96 GB of DDR4 at the catalog's $/GB
    assert build.ram_gb.value == 32 and fit.upgrade_ram_gb == 96
    assert fit.upgrade_usd == pytest.approx(96 * cat.defaults.ram_usd_per_gb["ddr4"].value, rel=1e-12)
    too_big = replace(est, host_ram_gib=build.max_ram_gb.value + 1)
    assert "more than a 'desktop-am4' machine takes" in market.host_fit(cat, cat.gpu("rtx-4070"), too_big).exclusion
    no_disk = replace(est, disk_gb=build.disk_gb.value + 1)
    assert "GB of disk" in market.host_fit(cat, cat.gpu("rtx-4070"), no_disk).exclusion
    small = estimate(PerfRequest("z-image-turbo", "rtx-4090"))
    assert market.host_fit(cat, cat.gpu("rtx-4090"), small).upgrade_usd == 0

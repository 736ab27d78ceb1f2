"""Simulator entry point: interface, caching, fit logic, offload choice, power bounds (toy catalog)."""

from __future__ import annotations

import copy

import pytest

from advisor.catalog import build_catalog
from advisor.errors import InputError
from advisor.perf import PerfEstimate, PerfRequest, estimate

SRC = {"source": "toy catalog for tests", "as_of": "2026-11-26"}


def _n(v):
    return {"value": v, **SRC}


TOY_GPU = {
    "slug": "toy-gpu",
    "name": "Toy GPU",
    "architecture": "ada",
    "vram_gib": _n(24.0),
    "memory_bandwidth_gb_per_s": _n(1000.0),
    "tensor_tflops": {"bf16_fp32acc": _n(100.0), "fp16_fp32acc": _n(100.0), "fp8_fp32acc": _n(200.0), "fp32": _n(50.0)},
    "pcie_gen": _n(4),
    "pcie_lanes": _n(16),
    "board_power_watts": _n(250.0),
    "idle_power_watts": _n(50.0),
}
SMALL_GPU = {**copy.deepcopy(TOY_GPU), "slug": "small-gpu", "name": "Small GPU", "vram_gib": _n(8.0)}
TINY_GPU = {**copy.deepcopy(TOY_GPU), "slug": "tiny-gpu", "name": "Tiny GPU", "vram_gib": _n(1.0)}

LICENSE = {"name": "Apache-2.0", "commercial_use": "allowed", "fee_note": "free", **SRC}


def _pipe(slug, p_tr, p_te, p_vae, steps=10, evals=1.0, padded=True):
    return {
        "slug": slug,
        "name": slug,
        "family": "toy",
        "default_steps": steps,
        "transformer_evals_per_step": evals,
        "default_guidance": 0.0,
        "guidance_kind": "none",
        "guidance_distilled": True,
        "license": LICENSE,
    }


DEFAULTS = {
    k: _n(v)
    for k, v in dict(
        rest_of_system_watts=100.0, rest_of_system_idle_watts=40.0, electricity_usd_per_kwh=0.2, amortization_months=36,
        resale_fraction=0.3, failure_rate=0.02, rental_utilization=0.7, powered_on_hours_per_day=8,
        too_close_fraction=0.15,
    ).items()
}


def toy_catalog():
    """A small catalog: one 1B-param toy pipeline, a 6B one that needs offload on 8 GiB, three GPUs."""
    raw = {
        "gpus": [TOY_GPU, SMALL_GPU, TINY_GPU],
        "pipelines": [_pipe("toy-1b", 1e9, 1e8, 1e7), _pipe("toy-6b", 6e9, 4e9, 1e8)],
        "apis": [],
        "rentals": [],
        "defaults": DEFAULTS,
    }
    return build_catalog(raw, "toy")


CAT = toy_catalog()


def toy_spec(slug: str, p_tr: float, p_te: float, d: int = 1024):
    """Architecture of a toy pipeline: the transformer is n square d x d linears over image tokens (n = p_tr / d^2),
    the text encoder n_te square linears over 64 padded text tokens, the VAE decoder one 3x3 conv 16 -> 128."""
    from advisor.catalog.architecture import ArchitectureSpec

    n_tr, n_te = max(1, round(p_tr / d**2)), max(1, round(p_te / d**2))
    lin = lambda stream, n: [{"name": "blocks.*.lin", "stream": stream, "in_features": d, "out_features": d,
                              "count": n, "bias": False}]
    return ArchitectureSpec.model_validate({
        "slug": slug, "pipeline_class": "ToyPipeline",
        "tokens": {"vae_scale_factor": 8, "patch_size": 2, "latent_channels": 16, "text_policy": "padded",
                   "max_sequence_length": 64},
        "components": [
            {"name": "transformer", "role": "transformer", "module": "transformer", "class_name": "ToyTransformer",
             "config": {}, "param_count": n_tr * d * d, "hidden_size": d, "num_blocks": n_tr,
             "largest_block_params": d * d, "blocks_param_count": n_tr * d * d, "largest_leaf_params": d * d,
             "linears": lin("image", n_tr)},
            {"name": "text_encoder", "role": "text_encoder", "module": "text_encoder", "class_name": "ToyTE",
             "config": {}, "param_count": n_te * d * d, "hidden_size": d, "sequence_policy": "padded",
             "max_sequence_length": 64, "num_blocks": n_te, "largest_block_params": d * d,
             "blocks_param_count": n_te * d * d, "largest_leaf_params": d * d, "linears": lin("text", n_te)},
            {"name": "vae_decoder", "role": "vae_decoder", "module": "vae", "class_name": "ToyVAE", "config": {},
             "param_count": 16 * 128 * 9 + 128, "convs": [{"name": "conv_in", "in_channels": 16, "out_channels": 128,
                                                           "kernel": [3, 3], "out_scale": 1.0, "count": 1}]},
        ],
    })


@pytest.fixture(autouse=True)
def toy_architectures(tmp_path, monkeypatch):
    """Point advisor.catalog.architecture at a folder holding the toy pipelines' architectures."""
    import advisor.catalog.architecture as arch

    for slug, p_tr, p_te in (("toy-1b", 1e9, 1e8), ("toy-6b", 6e9, 4e9)):
        (tmp_path / f"{slug}.yaml").write_text(arch.spec_to_yaml_text(toy_spec(slug, p_tr, p_te)))
    monkeypatch.setattr(arch, "ARCHITECTURES_DIR", tmp_path)


def test_estimate_returns_the_interface_fields():
    est = estimate(PerfRequest("toy-1b", "toy-gpu", width=256, height=256), CAT)
    assert isinstance(est, PerfEstimate)
    assert set(est.stages_seconds) == {"text_encoder", "denoise", "vae_decode", "offload_transfer"}
    # the per-image time is the sum of the stages (batch 1)
    assert est.seconds_per_image == pytest.approx(sum(est.stages_seconds.values()))
    assert est.offload == "none" and est.fits
    assert est.bound in ("compute", "memory", "transfer")


def test_estimate_is_cached_on_the_frozen_request():
    req = PerfRequest("toy-1b", "toy-gpu")
    assert estimate(req, CAT) is estimate(PerfRequest("toy-1b", "toy-gpu"), CAT)


def test_more_steps_cost_more_time_and_double_resolution_costs_more_than_4x_tokens_time():
    a = estimate(PerfRequest("toy-1b", "toy-gpu", steps=10), CAT)
    b = estimate(PerfRequest("toy-1b", "toy-gpu", steps=20), CAT)
    # denoise is linear in steps: 20 steps take exactly twice the 10-step denoise time
    assert b.stages_seconds["denoise"] == pytest.approx(2 * a.stages_seconds["denoise"])


def test_offload_auto_picks_no_offload_when_it_fits_and_model_offload_when_it_does_not():
    # toy-6b bf16: 12 GB transformer + 8 GB text encoder = 18.6 GiB of weights: fits 24 GiB without offload
    assert estimate(PerfRequest("toy-6b", "toy-gpu"), CAT).offload == "none"
    # on 8 GiB the whole set does not fit; the 12 GB (11.2 GiB) transformer alone does not fit either,
    # so model offload is out and block-level group offload is the fastest strategy that fits
    est = estimate(PerfRequest("toy-6b", "small-gpu"), CAT)
    assert est.offload == "group" and est.fits
    assert est.stages_seconds["offload_transfer"] > 0


def test_forcing_no_offload_on_a_too_small_card_reports_does_not_fit():
    est = estimate(PerfRequest("toy-6b", "small-gpu", offload="none"), CAT)
    assert not est.fits
    assert any("does not fit" in n for n in est.notes)


def test_board_power_between_idle_and_board_limit():
    for gpu in ("toy-gpu", "small-gpu"):
        for pipe in ("toy-1b", "toy-6b"):
            est = estimate(PerfRequest(pipe, gpu), CAT)
            assert 50.0 <= est.board_power_watts <= 250.0
            # energy = mean board power x time [J]
            assert est.energy_per_image_joules == pytest.approx(est.board_power_watts * est.seconds_per_image)
            # system = board + rest_of_system_watts (100 W in the toy defaults)
            assert est.system_power_watts == pytest.approx(est.board_power_watts + 100.0)


@pytest.mark.parametrize(
    "field,value,match",
    [("precision", "fp7", "precision: got 'fp7'"), ("offload", "disk", "offload: got 'disk'"),
     ("width", 1000, "width: got 1000"), ("steps", 0, "steps: got 0"), ("batch_size", 0, "batch_size: got 0")],
)
def test_bad_request_fields_raise_input_error_naming_the_field(field, value, match):
    with pytest.raises(InputError, match=match):
        estimate(PerfRequest("toy-1b", "toy-gpu", **{field: value}), CAT)


def test_unknown_gpu_suggests_close_slugs():
    with pytest.raises(InputError, match="did you mean toy-gpu"):
        estimate(PerfRequest("toy-1b", "toy-gpx"), CAT)


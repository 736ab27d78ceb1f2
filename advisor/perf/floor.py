"""The physical floor of a setting: the roofline at 100% of the datasheet peaks under named optimizations.

``advisor check-claim`` (:func:`advisor.fit.claims.check_claim`) compares a published time with this floor. A named
kernel or format changes only which datasheet rate a FLOP class may run at and how many bytes a weight takes; the
efficiencies the simulator calibrates (e.g. SageAttention's 2x attention efficiency) never enter a floor.
"""

from __future__ import annotations

from advisor.errors import InputError
from advisor.perf.settings import weight_precisions

#: Tensor rates (profiles/gpus.yaml ``tensor_tflops`` keys) an attention kernel's two matmuls may run at.
#: SageAttention2 quantises Q and K to INT8 for QK^T and runs PV in FP8 on Ada / Hopper / Blackwell, or in FP16
#: with an FP16 accumulator on Ampere (github thu-ml/SageAttention README: sageattn_qk_int8_pv_fp8_cuda,
#: sageattn_qk_int8_pv_fp16_cuda; arXiv 2411.10958). FlashAttention-3 as catalogued is exact BF16 attention, the
#: activation rate every floor already uses.
ATTENTION_KERNEL_KEYS = {"sage-attention": ("int8_tops", "fp8_fp16acc", "fp8_fp32acc", "fp16_fp16acc")}


def floor_plan(names, gpu, catalog, precision: str):
    """The :class:`advisor.perf.optimizations.OptimizationPlan` of ``names`` on ``gpu`` for a physical floor.

    The catalog's combination rules apply (a bad or unsupported name is one :class:`InputError`); a step cache is
    refused: it skips a prompt-dependent share of the denoiser's evaluations, so no floor can bound a claim that
    used one."""
    from advisor.perf import optimizations as O

    book = O.book_of(catalog)
    opts = O.resolve(tuple(names), gpu, book, precision)
    cache = next((o.slug for o in opts if o.kind == "step-cache"), None)
    if cache is not None:
        raise InputError("optimization", cache, "weight formats, matmul formats, attention kernels, torch-compile "
                                                "and serving stacks (a step cache skips a prompt-dependent share of "
                                                "the denoiser's evaluations, so no floor bounds it: give the "
                                                "evaluations the claim ran with --steps)")
    return O.plan_for(opts)


def floor_stages_for(spec, gpu, precision: str, width: int, height: int, evals: int, plan,
                     reference_tokens: int = 0) -> dict[str, float]:
    """Physical floor per stage of one call under an optimization plan, at 100% of the datasheet peaks [s]:
    ``text_encoder``, ``forward`` (one denoiser evaluation, ``evals`` samples), ``vae_decode``.

    Roofline (Williams et al. 2009): max(compute, weight bytes / datasheet bandwidth), compute = linear FLOPs /
    linear rate + attention FLOPs / attention rate + conv FLOPs / base rate. All matmuls share the tensor cores, so
    the times of the FLOP classes add. Base rate = the fastest datasheet rate of the request precision (the one
    :func:`advisor.perf._engine.floor_stages` uses for every FLOP); the linear rate is the plan's matmul format
    (``matmul_tensor_key`` x ``matmul_rate_multiplier``, e.g. FP8, INT4) where faster, the attention rate the
    fastest of the attention kernel's formats (:data:`ATTENTION_KERNEL_KEYS`) where faster, applied to every
    stage; weight bytes are the plan's weight format (FP8, NF4, GGUF) for the denoiser and, for a storage-only FP8
    cast, the text encoders (:func:`weight_precisions`). Each rate is at least the base rate and each byte count at
    most the request precision's, so this floor is never above the plain one: still a true lower bound."""
    from advisor.perf import _engine as E
    from advisor.perf import timing as T

    rates = T.device_rates(gpu, precision, achievable=False)
    base = max(rates.matmul_flops_per_s, rates.attention_flops_per_s)
    sheet = gpu.tensor_tflops
    linear = base
    boost = T.boost_over_sheet(gpu)  # datasheet rates x how far the card runs above them
    if plan.matmul_tensor_key in sheet:
        linear = max(base, sheet[plan.matmul_tensor_key].value * 1e12 * plan.matmul_rate_multiplier * boost)
    attention = max([base] + [sheet[k].value * 1e12 * boost for n in plan.names
                              for k in ATTENTION_KERNEL_KEYS.get(n, ()) if k in sheet])
    wprec = plan.weight_format or precision
    w_base = E.workload(spec, width, height, 1, evals, 1, precision, reference_tokens=reference_tokens)
    w_opt = (E.workload(spec, width, height, 1, evals, 1, wprec, reference_tokens=reference_tokens)
             if wprec != precision else w_base)
    encoders = weight_precisions(spec, precision, plan.weight_format, plan.matmul_tensor_key)
    storage_cast = any(p != precision for c, p in encoders.items() if c != "vae")
    bw = rates.memory_bytes_per_s

    def floor(cost) -> float:
        compute = cost.linear_flops / linear + cost.attention_flops / attention + cost.conv_flops / base
        return max(compute, cost.weight_bytes / bw)

    return {"text_encoder": floor((w_opt if storage_cast else w_base).te), "forward": floor(w_opt.eval_cost),
            "vae_decode": floor(w_base.vae)}

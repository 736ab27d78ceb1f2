"""Decision rules as data and small named functions (no long if-chains in :mod:`advisor.decide`).

Hard rules return an exclusion reason (a sentence) or ``None``; soft rules return sort keys or notes.
"""

from __future__ import annotations

from advisor.catalog import GPU, APIOffer, ModelInfo, Pipeline
from advisor.cost.scenario import ALLOWED_NEEDS, SOFT_NEEDS  # noqa: F401  (re-exported)

#: Needs a user may state. A capability need maps to the catalog capability a pipeline must list;
#: ``quality`` is a soft preference (ranking), not a hard constraint.
CAPABILITY_NEEDS: dict[str, str] = {"chinese-text": "chinese-text", "multi-reference": "multi-reference"}

#: Precisions tried for self-hosting, from highest fidelity down. fp8 is tried only on cards whose
#: catalog lists an fp8 tensor rate (Ada, Hopper, Blackwell); nf4 is 4-bit weights (bitsandbytes).
PRECISIONS_TO_TRY: tuple[str, ...] = ("bf16", "fp8", "nf4")
PRECISION_NEEDS_TENSOR_KEY: dict[str, tuple[str, ...]] = {"fp8": ("fp8_fp32acc", "fp8_fp16acc")}
QUANTIZED_PRECISIONS = frozenset({"fp8", "int8", "nf4", "gguf-q4"})


def precisions_for(gpu: GPU | None, pipeline: Pipeline) -> list[str]:
    """Precisions worth simulating for ``pipeline`` on ``gpu``: the pipeline default first, then
    :data:`PRECISIONS_TO_TRY` that the card supports natively."""
    out = [pipeline.default_precision] if pipeline.default_precision in PRECISIONS_TO_TRY else []
    for p in PRECISIONS_TO_TRY:
        keys = PRECISION_NEEDS_TENSOR_KEY.get(p)
        if keys and (gpu is None or not any(k in gpu.tensor_tflops for k in keys)):
            continue
        if p not in out:
            out.append(p)
    return out


# --- hard rules -------------------------------------------------------------------------------


def license_rule(pipeline: Pipeline, commercial: bool) -> str | None:
    """Exclusion reason when the weights' licence does not allow this use of self-hosted weights."""
    lic = pipeline.license
    if not commercial or lic.commercial_use == "allowed":
        return None
    if lic.commercial_use == "forbidden":
        return (f"{pipeline.name}'s licence ({lic.name}) forbids commercial use of the weights and offers no paid "
                f"licence; you asked for commercial use.")
    # paid-license: kept and costed with the fee (the scenario's input, else the catalog's; issue 10). With no fee
    # the option stays, flagged, and the answer gives the break-even fee (advisor.decide.quality.annotate).
    return None


def license_fee_usd_per_month(pipeline: Pipeline, commercial: bool) -> float:
    """Monthly licence fee for self-hosting ``pipeline`` (0 for personal use or permissive licences). [USD/month]"""
    lic = pipeline.license
    if commercial and lic.commercial_use == "paid-license" and lic.fee_usd_per_month is not None:
        return lic.fee_usd_per_month.value
    return 0.0


def api_license_rule(api: APIOffer, commercial: bool) -> str | None:
    """Exclusion reason when an API's terms do not allow commercial use of its outputs."""
    if commercial and not api.commercial_use:
        return f"{api.provider}'s terms for {api.slug} do not allow commercial use; you asked for commercial use."
    return None


def capability_rule(pipeline: Pipeline | ModelInfo, needs: list[str]) -> str | None:
    """Exclusion reason when ``pipeline`` lacks a capability in ``needs`` (no sourced evidence in the catalog).

    The same rule for every route: a pipeline (weights, and APIs serving them) lists its evidence in
    profiles/pipelines.yaml; an API-only model lists it in profiles/models.yaml (``ModelInfo.capabilities``)."""
    have = {c.capability for c in pipeline.capabilities}
    missing = [n for n in needs if n in CAPABILITY_NEEDS and CAPABILITY_NEEDS[n] not in have]
    if not missing:
        return None
    return f"{pipeline.name} has no sourced evidence of {', '.join(missing)} in the catalog; you listed it as a need."


def input_image_rule(pipeline: Pipeline, input_megapixels: float) -> str | None:
    """Exclusion reason when the scenario sends input (reference / edit) images and ``pipeline`` takes none (no
    image-editing or multi-reference capability in the catalog: advisor.perf.settings.takes_input_images)."""
    from advisor.perf.settings import takes_input_images

    if not input_megapixels or takes_input_images(pipeline):
        return None
    return (f"{pipeline.name} takes no input images (no image-editing or multi-reference evidence in the catalog); "
            f"you send {input_megapixels:g} MP of input images per request.")


def edit_only_rule(pipeline: Pipeline, input_megapixels: float) -> str | None:
    """Exclusion reason when ``pipeline`` edits an input image on every call (``requires_input_image``) and the
    scenario sends none: an editing model is no answer to a text-to-image workload."""
    if not getattr(pipeline, "requires_input_image", False) or input_megapixels:
        return None
    return (f"{pipeline.name} edits an input image on every call; this workload sends none (input megapixels 0): "
            f"pass the input image size to compare editing options.")


def fit_rule(fits: bool, peak_vram_gib: float, vram_gib: float, gpu_name: str, notes: tuple[str, ...]) -> str | None:
    """Exclusion reason when no precision/offload strategy fits in VRAM."""
    if fits:
        return None
    extra = f" ({'; '.join(notes)})" if notes else ""
    return (f"Does not fit on the {gpu_name} ({vram_gib:.0f} GiB) at any tried precision and offload strategy: "
            f"needs about {peak_vram_gib:.1f} GiB{extra}.")


def deadline_rule(batch_hours: float, deadline_hours: float | None, batch_images: int | None, what: str) -> str | None:
    """Exclusion reason when a batch cannot finish within the deadline on ``what``."""
    if deadline_hours is None or batch_images is None or batch_hours <= deadline_hours:
        return None
    return (f"A batch of {batch_images:,} images takes about {batch_hours:.2f} h on {what}, more than your "
            f"{deadline_hours:g} h deadline.")


# --- soft rules -------------------------------------------------------------------------------


def quality_score(pipeline: Pipeline) -> float | None:
    """Sourced quality score (arena Elo) of ``pipeline``, or ``None`` when the catalog has none."""
    return pipeline.quality_elo.value if pipeline.quality_elo is not None else None


def rank_key(monthly_cost_usd: float, quality_elo: float | None, needs: list[str], option_id: str) -> tuple:
    """Sort key: cheapest first; with the ``quality`` need, higher sourced Elo first (unscored last), then cost."""
    if "quality" in needs:
        return (0 if quality_elo is not None else 1, -(quality_elo or 0.0), monthly_cost_usd, option_id)
    return (monthly_cost_usd, option_id)


def precision_note(precision: str, default_precision: str) -> str | None:
    """A caveat sentence for quantized precisions."""
    if precision in QUANTIZED_PRECISIONS and precision != default_precision:
        return (f"{precision} weights make it fit or run faster but may change image quality slightly compared with "
                f"{default_precision}.")
    return None

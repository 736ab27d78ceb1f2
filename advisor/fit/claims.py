"""check-claim: is a published "pipeline X makes an image in S seconds on GPU G" physically possible?

1. Floor: the roofline at 100% of the dense peak for every FLOP (the precision's fastest tensor rate) and 100% of
   DRAM bandwidth for the weight bytes, per stage (text encoder, all denoiser evaluations, VAE decode) [s]
   (Williams et al. 2009, "Roofline"). No implementation can beat it. Named optimizations put a FLOP class at the
   fastest datasheet rate their kernels use and the weights at their format's bytes
   (:func:`advisor.perf.floor.floor_stages_for`); steps default to ``advisor simulate``'s (studio preset).
2. fraction_of_peak = floor / claimed seconds: the share of peak the claim needs, on average, over the whole call.
3. weights_fit: whether the pipeline fits in the GPU's VRAM without offload (advisor/perf/memory.py).

Verdict:
- ``impossible``: claimed < floor (needs more than 100% of peak);
- ``implausible``: needs > IMPLAUSIBLE_FRACTION of peak (real diffusers pipelines reach 40-70%), or the weights do
  not fit without offload and the claim leaves no time for the offload transfer;
- ``plausible`` otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from advisor.catalog import Catalog, load_catalog
from advisor.errors import InputError
from advisor.perf import PerfRequest, validate_request
from advisor.perf import _engine as E
from advisor.perf import memory as M
from advisor.perf import timing as T

IMPLAUSIBLE_FRACTION = 0.85


@dataclass(frozen=True)
class ClaimCheck:
    pipeline: str
    gpu: str
    claimed_seconds: float
    floor_seconds: float  # [s]
    floor_stages_seconds: dict[str, float]  # [s]
    fraction_of_peak: float  # [1]
    weights_fit: bool
    offload_floor_seconds: float  # minimal PCIe time when the weights do not fit [s]
    verdict: str  # impossible | implausible | plausible
    reason: str
    steps: int = 0  # scheduler steps the floor assumed [steps]
    steps_source: str = ""  # where they come from: as requested, the studio setting (with its source), library call
    optimizations: tuple[str, ...] = ()  # named optimizations whose rates and weight formats the floor used

    def to_json_dict(self) -> dict:
        return asdict(self)


def check_claim(pipeline: str, gpu: str, seconds: float, steps: int | None = None, precision: str = "bf16",
                width: int = 1024, height: int = 1024, catalog: Catalog | None = None,
                steps_preset: str = "studio", optimizations: tuple[str, ...] = (),
                input_megapixels: float = 0.0) -> ClaimCheck:
    """Check one claim (see module docstring). Steps default to ``steps_preset``'s, as ``advisor simulate``'s do
    (studio: the steps studios run, sourced per pipeline); ``optimizations`` (catalog slugs) let the floor use the
    fastest datasheet rates and the smallest weight bytes those kernels and formats use
    (:func:`advisor.perf.floor.floor_stages_for`); ``input_megapixels`` adds an editing pipeline's input-image tokens
    to every denoiser forward, as simulate does."""
    from advisor.perf import floor as F
    from advisor.perf import settings as S

    if not (isinstance(seconds, (int, float)) and seconds > 0):
        raise InputError("seconds", seconds, "a positive number of seconds")
    req = PerfRequest(pipeline, gpu, precision=precision, width=width, height=height, steps=steps,
                      optimizations=tuple(optimizations), steps_preset=steps_preset,
                      input_megapixels=input_megapixels)
    validate_request(req)
    catalog = catalog or load_catalog()
    cal = T.load_calibration()
    pipe = catalog.pipeline(pipeline)
    dev = E.cpu_device(cal) if gpu == "cpu" else catalog.gpu(gpu)
    spec = E.load_architecture(pipe.slug)
    n_steps, steps_source = S.resolve_steps(pipe, steps, steps_preset)
    evals = E.resolve_evals(pipe, S.resolve_guidance(pipe, None, steps_preset))
    plan = F.floor_plan(req.optimizations, dev, catalog, precision)
    wprec = plan.weight_format or precision
    n_ref = S.reference_tokens_for(pipe, spec, input_megapixels)
    w = E.workload(spec, width, height, n_steps, evals, 1, wprec, reference_tokens=n_ref)
    fl = F.floor_stages_for(spec, dev, precision, width, height, evals, plan, n_ref)  # physical floor: datasheet peaks
    stages = {"text_encoder": fl["text_encoder"], "denoise": fl["forward"] * n_steps, "vae_decode": fl["vae_decode"]}
    floor = sum(stages.values())
    frac = floor / seconds
    vram = E.vram_for(w, width, height, wprec, "none", M.constants_of(cal)).required_gib
    fits = dev.architecture == "cpu" or vram <= dev.vram_gib.value
    off_floor = 0.0
    if not fits:
        # at least the part that does not fit crosses PCIe once per image, at 100% of the link
        over_gib = vram - dev.vram_gib.value
        off_floor = over_gib * 2**30 / (dev.pcie_gb_per_s * 1e9)
    if frac > 1.0:
        verdict = "impossible"
        reason = (f"{seconds:g} s is below the roofline floor of {floor:.3g} s: it would need {frac * 100:.0f}% of "
                  f"{dev.name}'s dense peak")
    elif not fits and seconds < floor + off_floor:
        verdict = "implausible"
        reason = (f"weights need {vram:.1f} GiB > {dev.vram_gib.value:.1f} GiB without offload, and {seconds:g} s "
                  f"leaves no time for the >= {off_floor:.2g} s PCIe transfer")
    elif frac > IMPLAUSIBLE_FRACTION:
        verdict = "implausible"
        reason = f"needs {frac * 100:.0f}% of peak on average (> {IMPLAUSIBLE_FRACTION * 100:.0f}%; diffusers reaches 40-70%)"
    else:
        verdict = "plausible"
        reason = f"needs {frac * 100:.0f}% of peak" + ("" if fits else " (with offload: time allows the transfer)")
    reason += f"; at {n_steps} steps ({steps_source.split(' (')[0]})"  # the full source: ClaimCheck.steps_source
    return ClaimCheck(pipeline, gpu, float(seconds), floor, stages, frac, fits, off_floor, verdict, reason, n_steps,
                      steps_source, plan.names)

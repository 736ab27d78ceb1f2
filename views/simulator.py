"""Simulator page: one (pipeline, GPU, precision, resolution, steps, offload) -> advisor.perf.estimate.

Shows the stage breakdown, peak VRAM against the card's capacity, power and energy, the uncertainty
band, and a box that checks a published speed claim with advisor.fit.claims. When a profile was uploaded on the
Profiles page in this session, the estimate uses the calibration fitted with it (a toggle turns it off).
"""

import streamlit as st

from advisor.fmt import md_text, number
from advisor.report import charts
from advisor.perf import OFFLOADS, PRECISIONS, PerfRequest
from views import common

st.title("Simulator")
st.caption("What one image costs in time, memory and energy on one device, from the roofline simulator "
           "(`advisor simulate`). Every number below comes from `advisor.perf.estimate`.")

cat = common.catalog()
if cat is None:
    st.stop()

calibration, cal_label = common.answer_calibration(cat)
use_cal = False
if calibration is not None:
    use_cal = st.toggle("Use the calibration fitted with your uploaded profile(s) (as every other page does)",
                        value=True, key="sim_use_session_calibration",
                        help="Fitted on the profile page in this browser session; off: profiles/calibration.yaml.")

pipelines = sorted(cat.pipelines)
gpus = sorted(cat.gpus) + ["cpu"]

with st.form("sim"):
    c1, c2, c3 = st.columns(3)
    pipeline = c1.selectbox("Pipeline", pipelines, key="sim_pipeline", format_func=lambda s: common.pipeline_label(cat, s),
                            index=pipelines.index("z-image-turbo") if "z-image-turbo" in pipelines else 0)
    gpu = c2.selectbox("GPU", gpus, key="sim_gpu", format_func=lambda s: common.gpu_label(cat, s),
                       index=gpus.index("rtx-4090") if "rtx-4090" in gpus else 0)
    precision = c3.selectbox("Precision", PRECISIONS, key="sim_precision", index=PRECISIONS.index("bf16"))
    c4, c5, c6, c7 = st.columns(4)
    width = c4.number_input("Width [px]", min_value=16, max_value=16384, value=1024, step=16, key="sim_width")
    height = c5.number_input("Height [px]", min_value=16, max_value=16384, value=1024, step=16, key="sim_height")
    steps = c6.number_input("Steps (empty = pipeline default)", min_value=1, max_value=10000, value=None, step=1,
                            key="sim_steps", placeholder="default")
    offload = c7.selectbox("Offload", OFFLOADS, key="sim_offload")
    o1, o2 = st.columns([3, 1])
    book = cat.optimizations.optimizations
    opts = o1.multiselect("Optimizations (the setting Compare and Recommend name: e.g. torch.compile, SageAttention)",
                          sorted(book), key="sim_optimizations", format_func=lambda s: book[s].name)
    preset = o2.selectbox("Steps and guidance", ["studio", "library"], key="sim_steps_preset",
                          format_func=lambda s: {"studio": "what studios run (sourced)",
                                                 "library": "the diffusers default"}[s])
    st.form_submit_button("Simulate", type="primary")

req = PerfRequest(pipeline=pipeline, gpu=gpu, precision=precision, width=int(width), height=int(height),
                  steps=int(steps) if steps is not None else None, offload=offload, optimizations=tuple(opts),
                  steps_preset=preset)


def _estimate(r: PerfRequest):
    from advisor.perf import estimate

    return estimate(r, cat, calibration=calibration if use_cal else None)


est = common.guarded(_estimate, req)
if est is not None:
    st.session_state["sim_estimate"] = est
    device = cat.gpus[gpu] if gpu in cat.gpus else None
    from advisor.perf import device_for

    dev = device_for(gpu, cat)
    from advisor.decide.crossings import PRACTICAL_SECONDS_PER_IMAGE

    st.success(md_text(f"{common.pipeline_label(cat, pipeline)} on {common.gpu_label(cat, gpu)}: "
                       f"{number(est.seconds_per_image)} s per image with {est.setting or precision}"
                       + (f" ({est.steps_source})" if est.steps_source else "") + "."), icon=":material/speed:")
    st.caption(md_text(cal_label if use_cal else common.answer_calibration(None)[1] if calibration is None else
                       "Catalog calibration (profiles/calibration.yaml): your profile's calibration is switched off."))
    if est.fits and est.seconds_per_image > PRACTICAL_SECONDS_PER_IMAGE:
        st.warning(f"Fits, but not practical: {number(est.seconds_per_image)} s per image is over the practical "
                   f"limit of {PRACTICAL_SECONDS_PER_IMAGE:g} s (the decision pages rank such options last).",
                   icon=":material/hourglass_bottom:")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Seconds per image", number(est.seconds_per_image), help=f"± {est.uncertainty:.0%} (validation band)")
    m2.metric("Seconds per step", number(est.seconds_per_step))
    # the figure that decides "fits" against what it must fit in (the GPU's share of unified memory on a Mac)
    need_gib = est.required_vram_gib if est.required_vram_gib is not None else est.peak_vram_gib
    limit_gib = est.vram_limit_gib if est.vram_limit_gib is not None else dev.vram_gib.value
    m3.metric("Peak VRAM [GiB]", f"{est.peak_vram_gib:.1f}",
              help=f"what nvidia-smi shows on a roomy card, incl. PyTorch's reclaimable allocator cache; the run "
                   f"needs {need_gib:.1f} GiB, which decides whether it fits in {limit_gib:.1f} GiB")
    m4.metric("Fits", "yes" if est.fits else "no",
              help=f"needs {need_gib:.1f} GiB of {limit_gib:.1f} GiB; offload used: {est.offload}")
    m5, m6, m7, m8 = st.columns(4)
    m5.metric("Energy per image [J]", number(est.energy_per_image_joules, 4))
    m6.metric("Board power [W]", f"{est.board_power_watts:,.0f}")
    m7.metric("System power [W]", f"{est.system_power_watts:,.0f}")
    m8.metric("Cold start [s]", number(est.cold_start_seconds),
              help=f"includes {number(est.compile_seconds)} s of compilation" if est.compile_seconds else None)
    st.caption(f"Machine around the card: {est.host_ram_gib:.0f} GiB of host RAM ("
               + ("unified memory: the GPU's share + working set + OS" if getattr(dev, "unified_memory", False) else
                  "offloaded weights + working set + OS")
               + f") and {est.disk_gb:.0f} GB of disk for the weights.")
    st.markdown(f"Uncertainty band: **± {est.uncertainty:.0%}** &nbsp;·&nbsp; bound: **{est.bound}** &nbsp;·&nbsp; "
                f"offload used: **{est.offload}**")
    if not est.fits:
        st.warning("Does not fit on this device with these settings.", icon=":material/memory:")
    elif est.peak_vram_gib > limit_gib:
        st.info(f"Fits although the peak ({est.peak_vram_gib:.1f} GiB, what nvidia-smi would show) is above the "
                f"{limit_gib:g} GiB capacity: the peak includes PyTorch's reclaimable allocator cache, which "
                "PyTorch frees and retries before running out of memory; whether it fits is decided on the memory "
                "the run requires (advisor.perf.memory).", icon=":material/memory:")
    for note in est.notes:
        st.info(note, icon=":material/info:")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.stage_breakdown(est), key="sim_stages")
    left.plotly_chart(charts.vram_bar(est, limit_gib, dev.name), key="sim_vram")
    right.plotly_chart(charts.power_bars(est), key="sim_power")

st.divider()
st.subheader("Check a claim")
st.caption("Someone says this pipeline makes an image in S seconds on this GPU (settings from the form above)? "
           "`advisor.fit.claims` compares S with the roofline floor: 100% of the card's peak for every operation.")
cc1, cc2 = st.columns([1, 3])
claimed = cc1.number_input("Claimed seconds per image", min_value=0.0, value=None, step=0.1, format="%.3f",
                           key="claim_seconds", placeholder="e.g. 2.5")
if cc1.button("Check claim", key="claim_check"):
    from advisor.fit import claims

    def _check():
        if claimed is None or claimed <= 0:
            from advisor.errors import InputError

            raise InputError("claimed seconds", claimed, "a positive number of seconds per image")
        return claims.check_claim(pipeline, gpu, float(claimed), steps=req.steps, precision=precision,
                                  width=req.width, height=req.height, catalog=cat)

    verdict = common.guarded(_check)
    if verdict is not None:
        st.session_state["claim_verdict"] = verdict
        show = {"plausible": cc2.success, "implausible": cc2.warning, "impossible": cc2.error}.get(verdict.verdict, cc2.info)
        show(f"**{verdict.verdict}**: {verdict.reason}")
        cc2.markdown(f"Roofline floor **{number(verdict.floor_seconds)} s** · the claim needs **{verdict.fraction_of_peak:.0%}** "
                     f"of peak · weights fit without offload: **{'yes' if verdict.weights_fit else 'no'}**")

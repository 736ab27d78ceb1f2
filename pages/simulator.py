"""Simulator page: one (pipeline, GPU, precision, resolution, steps, offload) -> advisor.perf.estimate.

Shows the stage breakdown, peak VRAM against the card's capacity, power and energy, the uncertainty
band, and a box that checks a published speed claim with advisor.claims.
"""

import streamlit as st

from advisor import charts
from advisor.perf import OFFLOADS, PRECISIONS, PerfRequest
from pages import common

st.title("Simulator")
st.caption("What one image costs in time, memory and energy on one device, from the roofline simulator "
           "(`advisor simulate`). Every number below comes from `advisor.perf.estimate`.")

cat = common.catalog()
if cat is None:
    st.stop()

pipelines = sorted(cat.pipelines)
gpus = sorted(cat.gpus) + ["cpu"]

with st.form("sim"):
    c1, c2, c3 = st.columns(3)
    pipeline = c1.selectbox("Pipeline", pipelines, key="sim_pipeline", format_func=lambda s: common.pipeline_label(cat, s))
    gpu = c2.selectbox("GPU", gpus, key="sim_gpu", format_func=lambda s: common.gpu_label(cat, s),
                       index=gpus.index("rtx-4090") if "rtx-4090" in gpus else 0)
    precision = c3.selectbox("Precision", PRECISIONS, key="sim_precision", index=PRECISIONS.index("bf16"))
    c4, c5, c6, c7 = st.columns(4)
    width = c4.number_input("Width [px]", min_value=16, max_value=16384, value=1024, step=16, key="sim_width")
    height = c5.number_input("Height [px]", min_value=16, max_value=16384, value=1024, step=16, key="sim_height")
    steps = c6.number_input("Steps (empty = pipeline default)", min_value=1, max_value=10000, value=None, step=1,
                            key="sim_steps", placeholder="default")
    offload = c7.selectbox("Offload", OFFLOADS, key="sim_offload")
    st.form_submit_button("Simulate", type="primary")

req = PerfRequest(pipeline=pipeline, gpu=gpu, precision=precision, width=int(width), height=int(height),
                  steps=int(steps) if steps is not None else None, offload=offload)


def _estimate(r: PerfRequest):
    from advisor.perf import estimate

    return estimate(r, cat)


est = common.guarded(_estimate, req)
if est is not None:
    st.session_state["sim_estimate"] = est
    device = cat.gpus[gpu] if gpu in cat.gpus else None
    from advisor.perf import device_for

    dev = device_for(gpu, cat)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Seconds per image", f"{est.seconds_per_image:.3g}", help=f"± {est.uncertainty:.0%} (validation band)")
    m2.metric("Seconds per step", f"{est.seconds_per_step:.3g}")
    m3.metric("Peak VRAM [GiB]", f"{est.peak_vram_gib:.1f}", help=f"capacity {dev.vram_gib.value:g} GiB")
    m4.metric("Fits", "yes" if est.fits else "no", help=f"offload used: {est.offload}")
    m5, m6, m7, m8 = st.columns(4)
    m5.metric("Energy per image [J]", f"{est.energy_per_image_joules:.4g}")
    m6.metric("Board power [W]", f"{est.board_power_watts:.0f}")
    m7.metric("System power [W]", f"{est.system_power_watts:.0f}")
    m8.metric("Cold start [s]", f"{est.cold_start_seconds:.3g}")
    st.markdown(f"Uncertainty band: **± {est.uncertainty:.0%}** &nbsp;·&nbsp; bound: **{est.bound}** &nbsp;·&nbsp; "
                f"offload used: **{est.offload}**")
    if not est.fits:
        st.warning("Does not fit on this device with these settings.", icon=":material/memory:")
    for note in est.notes:
        st.info(note, icon=":material/info:")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.stage_breakdown(est), key="sim_stages")
    left.plotly_chart(charts.vram_bar(est, dev.vram_gib.value, dev.name), key="sim_vram")
    right.plotly_chart(charts.power_bars(est), key="sim_power")

st.divider()
st.subheader("Check a claim")
st.caption("Paste a published speed claim (e.g. \"FLUX.2 dev makes a 1024x1024 image in 8 s on an RTX 4090\"): "
           "the simulator says whether it is plausible.")
claim_text = st.text_area("Claim", key="claim_text", placeholder="Z-Image Turbo: 1024x1024 in 2.5 s on an RTX 4090")
if st.button("Check claim", key="claim_check"):
    try:
        from advisor import claims
    except ImportError:
        claims = None
    if claims is None or not hasattr(claims, "check_claim"):
        st.info("The claim checker (advisor.claims) is not available in this build.")
    elif not claim_text.strip():
        st.error("claim: got ''; allowed: a sentence naming a pipeline, a GPU and a time in seconds")
    else:
        verdict = common.guarded(claims.check_claim, claim_text, catalog=cat)
        if verdict is not None:
            st.session_state["claim_verdict"] = verdict
            st.write(verdict)

"""Profiles page: upload a measured profile YAML (from ``advisor measure``), check it, show it, and use it
for calibration while the page is open (kept in ``st.session_state``, never written to disk)."""

import pandas as pd
import streamlit as st

from advisor.errors import InputError
from advisor.catalog.measured import profile_from_yaml_text
from views import common

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # 2 MiB: a measured profile is a few kB; anything near this is not one

st.title("Measured profiles")
st.caption("Upload a profile written by `advisor measure` (YAML, at most 2 MB). It is validated, shown here and "
           "used for calibration in this browser session only; nothing is saved on the server.")


def _parse(name: str, data: bytes):
    """Size check, UTF-8, yaml.safe_load + MeasuredProfile validation (advisor.catalog.measured)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError("upload", f"{name} ({len(data):,} bytes)", f"a YAML file of at most {MAX_UPLOAD_BYTES:,} bytes")
    if not data.strip():
        raise InputError("upload", name, "a non-empty measured-profile YAML file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("upload", name, "UTF-8 text (a YAML file from `advisor measure`)") from None
    return profile_from_yaml_text(text, file=name)


uploaded = st.file_uploader("Measured profile (YAML)", type=["yaml", "yml"], accept_multiple_files=False,
                            key="profile_upload")
profiles = common.uploaded_profiles()
if uploaded is not None:
    prof = common.guarded(_parse, uploaded.name, uploaded.getvalue(), context=f"{uploaded.name}: ")
    if prof is not None:
        profiles[uploaded.name] = prof
        st.success(f"{uploaded.name}: valid profile ({prof.status}), kept for this session.",
                   icon=":material/check_circle:")

if not profiles:
    st.info("No profile uploaded yet.")
    st.stop()

name = st.selectbox("Profile", list(profiles), key="profile_pick")
prof = profiles[name]
s = prof.settings
d = prof.device
c1, c2, c3, c4 = st.columns(4)
c1.metric("Seconds per image (median)", "-" if prof.summary.seconds_per_image is None else f"{prof.summary.seconds_per_image:.4g}")
_cat = common.catalog()
c2.metric("Device", common.gpu_label(_cat, d.gpu_slug) if (_cat is not None and d.gpu_slug) else d.name)
c3.metric("Peak memory [GiB]", "-" if prof.memory.torch_max_allocated_gib is None else f"{prof.memory.torch_max_allocated_gib:.2f}")
c4.metric("Energy per image [J]", "-" if prof.power.energy_per_image_joules is None else f"{prof.power.energy_per_image_joules:.4g}")
st.markdown(f"**{s.pipeline}** · {s.precision} · {s.width}x{s.height} · {s.steps} steps · batch {s.batch_size} · "
            f"offload {s.offload} · weights: {s.random_weights or s.weights or 'real'} · status **{prof.status}**")
if prof.power.reason:
    st.caption(f"Power not measured: {prof.power.reason}")

stage_rows = []
for field in ("text_encoder_seconds", "step_seconds", "step_seconds_excluding_first", "transformer_seconds",
              "denoise_seconds", "vae_decode_seconds", "total_seconds"):
    sp = getattr(prof.summary, field)
    if sp is not None:
        stage_rows.append({"stage": field, "n": sp.n, "min": sp.min, "median": sp.median, "p90": sp.p90, "max": sp.max})
st.dataframe(pd.DataFrame(stage_rows), key="profile_stages", hide_index=True)
if prof.failures:
    st.warning(f"{len(prof.failures)} failures recorded: " + "; ".join(f"{f.phase}: {f.type}" for f in prof.failures))

with st.expander("Whole profile"):
    st.json(prof.model_dump(mode="json"), expanded=False)

st.subheader("Calibration")
st.caption("The simulator refitted in memory on the committed measurements plus every profile uploaded in this "
           "session (`advisor.fit.calibrate.calibrate_with`); nothing is written. While this browser tab is open "
           "every page (Compare, Recommend, Turnaround, Simulator and the exports) uses this calibration and says so.")

cat = common.catalog()
if cat is None:
    st.stop()


def _calibrate(extra: list):
    from advisor.fit.calibrate import calibrate_with

    return calibrate_with(extra, cat)  # cached by advisor.fit.calibrate on the identity of the profile objects


with st.spinner("Calibrating with the uploaded profile(s)…"):
    cal = common.guarded(_calibrate, list(profiles.values()), context="calibration: ")
if cal is not None:
    common.set_session_calibration(cal, list(profiles))

from advisor.perf import PerfRequest  # noqa: E402

device = d.gpu_slug or ("cpu" if d.kind == "cpu" else None)
st.markdown(f"Profile **{name}**: device **{common.gpu_label(cat, device) if device else d.name}**, pipeline "
            f"**{common.pipeline_label(cat, s.pipeline)}**.")
if device is None:
    st.info(f"The device '{d.name}' is not in the catalog, so the simulator cannot predict this profile's settings.")
    st.stop()
req = PerfRequest(pipeline=s.pipeline, gpu=device, precision=s.precision, width=s.width, height=s.height,
                  steps=s.steps, guidance=s.guidance, batch_size=s.batch_size, offload=s.offload, compile=s.compile)


def _predict(calibration):
    from advisor.perf import estimate

    return estimate(req, cat, calibration=calibration)


before = common.guarded(_predict, None, context="prediction: ")
after = common.guarded(_predict, cal, context="prediction: ") if cal is not None else None
p1, p2, p3 = st.columns(3)
p1.metric("Predicted before [s/image]", "-" if before is None else f"{before.seconds_per_image:.4g}",
          help="advisor.perf.estimate with the committed profiles/calibration.yaml")
p2.metric("Predicted after [s/image]", "-" if after is None else f"{after.seconds_per_image:.4g}",
          help="advisor.perf.estimate with the calibration refitted on this session's uploads")
p3.metric("Measured [s/image]", "-" if prof.summary.seconds_per_image is None else f"{prof.summary.seconds_per_image:.4g}",
          help="the profile's median seconds per image")
if s.random_weights not in (None, "full") or s.components != "all":
    what = [f"random weights '{s.random_weights}' (a scaled model)"] if s.random_weights not in (None, "full") else []
    what += ["only the transformer"] if s.components != "all" else []
    st.warning(f"This profile ran {' and '.join(what)}, while the prediction is for the catalog's full "
               f"{s.pipeline} pipeline at these settings: the measured value is not the same workload.",
               icon=":material/compare_arrows:")
if before is not None and after is not None and before.seconds_per_image == after.seconds_per_image:
    st.caption("The prediction did not move: the fit had no usable new point for this configuration (failed, "
               "offloaded, compiled or scaled runs without their architecture are not fitted).")

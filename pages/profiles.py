"""Profiles page: upload a measured profile YAML (from ``advisor measure``), check it, show it, and use it
for calibration while the page is open (kept in ``st.session_state``, never written to disk)."""

import pandas as pd
import streamlit as st

from advisor.errors import InputError
from advisor.measured import profile_from_yaml_text
from pages import common

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # 2 MiB: a measured profile is a few kB; anything near this is not one

st.title("Measured profiles")
st.caption("Upload a profile written by `advisor measure` (YAML, at most 2 MB). It is validated, shown here and "
           "used for calibration in this browser session only; nothing is saved on the server.")


def _parse(name: str, data: bytes):
    """Size check, UTF-8, yaml.safe_load + MeasuredProfile validation (advisor.measured)."""
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
c2.metric("Device", d.gpu_slug or d.name)
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


def _calibrate_with_uploads():
    """Fit with the repository's profiles plus the uploaded ones, when advisor.calibrate accepts extra profiles."""
    import inspect

    try:
        from advisor import calibrate
    except ImportError:
        return None, "advisor.calibrate is not available in this build"
    fn = getattr(calibrate, "calibrate", None) or getattr(calibrate, "fit", None)
    if fn is None:
        return None, "advisor.calibrate has no calibrate() function"
    params = inspect.signature(fn).parameters
    for kw in ("extra_profiles", "profiles", "measured"):
        if kw in params:
            extra = {"write": False} if "write" in params else {}  # never write calibration.yaml from the app
            if "write" not in params and fn.__name__ == "calibrate":
                return None, "advisor.calibrate.calibrate() would write calibration.yaml"
            return fn(**{kw: list(profiles.values())}, **extra), None
    return None, "advisor.calibrate does not accept extra profiles"


out = common.guarded(_calibrate_with_uploads)
if out is not None:
    fitted, why = out
    if fitted is None:
        st.info(f"Shown only: {why}, so the uploaded profile is not used for calibration.")
    else:
        st.session_state["calibration"] = fitted
        st.success("Calibrated with the uploaded profile(s) for this session.")
        st.write(fitted)

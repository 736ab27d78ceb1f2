"""Validation page: the simulator's predicted vs measured seconds and the error table (advisor.fit.validate)."""

import pandas as pd
import streamlit as st

from advisor.report import charts
from views import common

st.title("Validation")
st.caption("How far the simulator's predictions are from measured times: public third-party measurements "
           "(`profiles/validation/`) and this project's measured profiles (`profiles/measured/`). "
           "Same numbers as `advisor validate`.")


@st.cache_data(show_spinner="Reading the stored validation report…", max_entries=2)
def stored(inputs: str) -> tuple[dict | None, str | None, bool]:
    """(stored report, written_at, current?) for today's inputs hash (cached per hash: a changed input reloads)."""
    from advisor.fit import validate

    doc = validate.stored_report()
    if doc is None:
        return None, None, False
    return doc["report"], doc["written_at"], doc["inputs_sha256"] == inputs


@st.cache_data(show_spinner="Predicting every validation point (no refits)…", max_entries=2)
def in_sample(inputs: str) -> dict:
    """The report without the leave-one-out refits (seconds), for today's inputs."""
    from advisor.fit import validate

    return validate.validation_report(refit=False)


def recompute() -> dict:
    """The full report with every refit, with a progress bar (minutes); kept for this session, never written."""
    from advisor.fit import validate

    bar = st.progress(0.0, text="Refitting…")
    rep = validate.validation_report(refit=True, progress=lambda f, text: bar.progress(min(1.0, f), text=text))
    bar.empty()
    return rep


if common.catalog() is None:
    st.stop()
from advisor.fit import validate as _validate  # noqa: E402

inputs = common.guarded(_validate.inputs_sha256)
if inputs is None:
    st.stop()
stored_report, written_at, current = common.guarded(stored, inputs) or (None, None, False)
if st.button("Recompute now (leave-one-out refits: a few minutes of CPU)", key="val_recompute"):
    fresh = common.guarded(recompute)
    if fresh is not None:
        st.session_state["val_report"] = (inputs, fresh)
session = st.session_state.get("val_report")
if session is not None and session[0] == inputs:
    report = session[1]
    st.success("Recomputed in this session from today's inputs (leave-one-out refits included).",
               icon=":material/check_circle:")
elif stored_report is not None and current:
    report = stored_report
    st.caption(f"Stored report `profiles/validation/report.yaml` (written {written_at}), current: its inputs hash "
               f"matches today's data and code (`{inputs[:12]}…`).")
else:
    report = common.guarded(in_sample, inputs)
    st.warning("The stored report is " + ("stale (data or code changed since it was written)" if stored_report
                                           else "missing") + ": showing the in-sample table without the leave-one-out "
               "refits. Recompute here, or store it with `advisor validate --write-report`.",
               icon=":material/history:")
if report is None:
    st.stop()
refit = report.get("leave_one_gpu_out_mape") is not None


def pct(v):
    return "n/a" if v is None else f"{v:.1f}%"


goals = report.get("goals", {})
m1, m2, m3, m4, m5, m6 = st.columns(6)
m1.metric("Points (used)", f"{report['n_points']} ({report['n_used']})")
m2.metric("MAPE", pct(report["mape"]))
m3.metric("P90 error", pct(report["p90_abs_pct_error"]),
          help=f"goal ≤ {goals['p90_abs_pct_error']:g}%" if "p90_abs_pct_error" in goals else None)
m4.metric("GPU MAPE", pct(report["gpu_mape"]))
m5.metric("Leave-one-GPU-out MAPE", pct(report["leave_one_gpu_out_mape"]),
          help=(f"goal ≤ {goals['leave_one_gpu_out_mape']:g}%; " if "leave_one_gpu_out_mape" in goals else "")
          + ("press Recompute to compute" if not refit else ""))
m6.metric("CPU MAPE", pct(report["cpu_mape"]), help=report.get("cpu_mape_method"))
acc = report.get("fit_classification_accuracy")
st.markdown(f"Fit / no-fit classification of documented cases: **{'n/a' if acc is None else f'{acc:.0%}'}** "
            f"({len(report.get('fit_cases', []))} cases) · calibration fitted {report['calibration']['fitted_at']}")

GOAL_WORDS = {True: "met", False: "missed", None: "too few points (< 3)"}


def group_rows(key: str, with_logo: bool = False) -> list[dict]:
    """Rows of one per-group error table of the report (per GPU class, per stack, per pipeline)."""
    logo = report.get("leave_one_gpu_out_by_gpu_class") or {}
    out = []
    for name, g in (report.get(key) or {}).items():
        row = {"group": name, "points": g["n"], "MAPE": pct(g["mape"]), "P90": pct(g["p90"]), "max": pct(g["max"])}
        if with_logo:
            row["leave-one-GPU-out MAPE"] = pct((logo.get(name) or {}).get("mape"))
        row["goal (≤ 20% with 3+ points)"] = GOAL_WORDS[g.get("meets_goal")]
        out.append(row)
    return out


if report.get("by_gpu_class"):
    st.subheader("Error per GPU class and per stack")
    g1, g2 = st.columns(2)
    g1.markdown("**Per GPU class**")
    g1.dataframe(pd.DataFrame(group_rows("by_gpu_class", True)), key="val_by_class", hide_index=True, width="stretch")
    g2.markdown("**Per serving stack**")
    g2.dataframe(pd.DataFrame(group_rows("by_stack")), key="val_by_stack", hide_index=True, width="stretch")
    with st.expander("Per pipeline"):
        st.dataframe(pd.DataFrame(group_rows("by_pipeline")), key="val_by_pipeline", hide_index=True,
                     width="stretch")
fams = report.get("families") or {}
if fams:
    tier_words = {"fitted": "fitted on its own points", "shared-level": "prior x shared GPU level",
                  "few-points": "fitted on one or two points (wider uncertainty band)",
                  "specs-only": "from specs only (no measured runs; wider uncertainty band)"}
    st.markdown("**Calibration families** (how each family's efficiencies were obtained)")
    st.dataframe(pd.DataFrame([{"family": name, "fitted points": f["fitted_points"], "scored points": f["n_scored"],
                                "MAPE": pct(f["mape"]),
                                "leave-one-family-out MAPE": pct(f.get("leave_one_family_out_mape")),
                                "how": tier_words.get(f["tier"], f["tier"])} for name, f in fams.items()]),
                 key="val_families", hide_index=True, width="stretch")

rows = report["points"]
used = [r for r in rows if r["roofline_check"] == "passed" and r.get("quality", "ok") == "ok"]
st.plotly_chart(charts.predicted_vs_measured([{**r, "label": r["id"]} for r in used]), key="val_scatter")
st.caption(f"{len(used)} points that pass the roofline sanity check are plotted; the table lists all {len(rows)}.")

cols = ["id", "kind", "pipeline", "gpu", "gpu_class", "stack_group", "precision", "width", "height", "steps", "timed",
        "measured_seconds",
        "predicted_seconds", "abs_pct_error", "logo_abs_pct_error", "roofline_check", "quality", "use_for_fit", "source"]
df = pd.DataFrame(rows)
st.dataframe(df[[c for c in cols if c in df.columns]], key="val_table", hide_index=True, width="stretch",
             column_config={
                 "measured_seconds": st.column_config.NumberColumn("measured [s]", format="%.3g"),
                 "predicted_seconds": st.column_config.NumberColumn("predicted [s]", format="%.3g"),
                 "abs_pct_error": st.column_config.NumberColumn("error [%]", format="%.1f"),
                 "logo_abs_pct_error": st.column_config.NumberColumn("leave-one-GPU-out error [%]", format="%.1f"),
             })
if report.get("fit_cases"):
    with st.expander("Documented fit / no-fit cases"):
        st.dataframe(pd.DataFrame(report["fit_cases"]), key="val_fit_cases", hide_index=True)
if common.uploaded_profiles():
    st.info("Profiles uploaded on the Profiles page are not part of this table: the validation set is read from "
            "`profiles/` only (save the file there and rerun to include it).")

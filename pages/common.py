"""Helpers shared by the Streamlit pages (this file is not a page: ``app.py`` does not register it).

Only glue: the cached catalog, turning :class:`advisor.errors.AdvisorError` into ``st.error``, and the
measured profiles the user uploaded on the Profiles page with the calibration fitted on them (kept in
``st.session_state``, so they last while the browser tab is open). No arithmetic.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import streamlit as st

from advisor.catalog import Catalog, load_catalog
from advisor.errors import AdvisorError
from advisor.report import usd  # noqa: F401  (the one money formatter; pages call common.usd)

T = TypeVar("T")

#: session_state key of the uploaded measured profiles: {file name: MeasuredProfile}
UPLOADED_PROFILES_KEY = "uploaded_profiles"


@st.cache_resource(show_spinner=False)
def _catalog() -> Catalog:
    return load_catalog()


def catalog() -> Catalog | None:
    """The catalog (``profiles/``), or None after showing ``st.error`` when it does not load."""
    return guarded(_catalog)


def guarded(fn: Callable[..., T], *args: Any, context: str = "", **kwargs: Any) -> T | None:
    """Call ``fn``; on an :class:`AdvisorError` show one ``st.error`` line and return None.

    Only the advisor's own errors are caught: anything else is a bug and should surface.
    """
    try:
        return fn(*args, **kwargs)
    except AdvisorError as exc:
        st.error(f"{context}{exc}", icon=":material/error:")
        return None


def uploaded_profiles() -> dict[str, Any]:
    """Measured profiles uploaded in this browser session: {file name: MeasuredProfile}."""
    return st.session_state.setdefault(UPLOADED_PROFILES_KEY, {})


#: session_state keys of the calibration fitted with the uploaded profiles (Profiles page) and their file names
CALIBRATION_KEY = "calibration"
CALIBRATION_PROFILES_KEY = "calibration_profiles"


def set_session_calibration(calibration: Any, profile_names: list[str]) -> None:
    """Keep the in-memory calibration (``advisor.fit.calibrate.calibrate_with``) for this browser session."""
    st.session_state[CALIBRATION_KEY] = calibration
    st.session_state[CALIBRATION_PROFILES_KEY] = list(profile_names)


def session_calibration() -> tuple[Any, list[str]]:
    """(calibration, uploaded profile names) fitted on the Profiles page in this session, or (None, [])."""
    return st.session_state.get(CALIBRATION_KEY), list(st.session_state.get(CALIBRATION_PROFILES_KEY, []))


def gpu_label(cat: Catalog, slug: str | None) -> str:
    """'NVIDIA GeForce RTX 4090 (rtx-4090)' for a slug; 'none' for None; the slug itself if unknown."""
    if slug is None or slug == "none":
        return "none"
    if slug == "cpu":
        return "this machine's CPU (cpu)"
    gpu = cat.gpus.get(slug)
    return f"{gpu.name} ({slug})" if gpu else slug


def pipeline_label(cat: Catalog, slug: str) -> str:
    p = cat.pipelines.get(slug)
    return f"{p.name} ({slug})" if p else slug


def secs(x: float | None) -> str:
    """Seconds for display with 3 significant digits."""
    return "-" if x is None else f"{x:.3g} s"

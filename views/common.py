"""Helpers shared by the Streamlit pages (this file is not a page: ``app.py`` does not register it).

Only glue: the cached catalog, turning :class:`advisor.errors.AdvisorError` into ``st.error``, and the
measured profiles the user uploaded on the Profiles page with the calibration fitted on them (kept in
``st.session_state``, so they last while the browser tab is open). No arithmetic.
"""

from __future__ import annotations

import collections
import re
from typing import Any, Callable, TypeVar

import streamlit as st

from advisor.catalog import Catalog, load_catalog
from advisor.errors import AdvisorError, InputError
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


def answer_calibration(cat: Catalog | None = None) -> tuple[Any, str]:
    """(calibration, label) every answer of this browser session uses: the calibration refitted on the profiles
    uploaded on the "Your GPU profile" page (e.g. "Calibrated on your NVIDIA GeForce RTX 4090 profile of 2026-12-01
    (p.yaml)"), else (None, "Catalog calibration ...") for the committed ``profiles/calibration.yaml``."""
    calibration, names = session_calibration()
    if calibration is None:
        from advisor.perf.timing import load_calibration

        fitted = getattr(load_calibration(), "fitted_at", None)
        return None, ("Catalog calibration (profiles/calibration.yaml" + (f", fitted {fitted}" if fitted else "")
                      + "); upload your own GPU's measured profile on \"Your GPU profile\" to calibrate on it.")
    profiles = uploaded_profiles()
    parts = []
    for name in names:
        prof = profiles.get(name)
        if prof is None:
            continue
        d = prof.device
        device = (cat.gpus[d.gpu_slug].name if cat is not None and d.gpu_slug in cat.gpus else d.name)
        parts.append(f"your {device} profile of {prof.started_at.date().isoformat()} ({name})")
    return calibration, "Calibrated on " + (", ".join(parts) if parts else "your uploaded profile(s)") + "."


def answer_estimator(calibration: Any):
    """The engine's estimator for ``calibration`` (None: the default simulator)."""
    from advisor.perf import estimate

    if calibration is None:
        return estimate

    def estimator(req: Any, catalog: Catalog) -> Any:
        return estimate(req, catalog, calibration=calibration)

    return estimator


#: calibrations by cache key (:func:`calibration_key`), so cached page functions take a hashable key and find the
#: calibration object; bounded (an entry holds its object, so an id is not reused while its key lives)
_CALIBRATIONS: "collections.OrderedDict[str, Any]" = collections.OrderedDict()
CALIBRATIONS_KEPT = 32


def calibration_key(calibration: Any) -> str:
    """A cache key that changes with the session's calibration (its object identity); "catalog" for None."""
    if calibration is None:
        return "catalog"
    key = f"session-{id(calibration)}"
    _CALIBRATIONS[key] = calibration
    _CALIBRATIONS.move_to_end(key)
    while len(_CALIBRATIONS) > CALIBRATIONS_KEPT:
        _CALIBRATIONS.popitem(last=False)
    return key


def calibration_from_key(key: str) -> Any:
    """The calibration behind :func:`calibration_key`'s key (None for "catalog" or a key no longer kept)."""
    return _CALIBRATIONS.get(key)


def gpu_label(cat: Catalog, slug: str | None) -> str:
    """A card for people, short enough for a narrow select box: "RTX 4090 · 24 GiB"; 'none' for None; the slug
    itself if unknown."""
    if slug is None or slug == "none":
        return "none"
    if slug == "cpu":
        return "this machine's CPU"
    gpu = cat.gpus.get(slug)
    if gpu is None:
        return slug
    from advisor.report.tables import card_label

    name = card_label(slug, cat)
    return name if "GB" in name else f"{name} · {gpu.vram_gib.value:.0f} GiB"  # the name may carry its memory


def pipeline_label(cat: Catalog, slug: str) -> str:
    """A pipeline for people: its name without the maker's note ('FLUX.2 [dev]'), the slug if unknown."""
    p = cat.pipelines.get(slug)
    return p.name.split(" (")[0] if p else slug


def secs(x: float | None) -> str:
    """Seconds for display with 3 significant digits."""
    return "-" if x is None else f"{x:.3g} s"


RES_WH = re.compile(r"^\s*(\d+)\s*[x×X*,]\s*(\d+)\s*$")
RES_MP = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:mp|megapixels?)?\s*$", re.IGNORECASE)


def parse_resolution(text: str) -> dict:
    """'1024x1024' -> {'width': 1024, 'height': 1024}; '1.0' or '1 MP' -> {'megapixels': 1.0}."""
    m = RES_WH.match(text or "")
    if m:
        return {"width": int(m.group(1)), "height": int(m.group(2))}
    m = RES_MP.match(text or "")
    if m:
        return {"megapixels": float(m.group(1))}
    raise InputError("resolution", text, "width x height in pixels (e.g. 1024x1024) or megapixels (e.g. 1.0)")

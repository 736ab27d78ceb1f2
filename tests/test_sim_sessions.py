"""Two browser sessions calibrating at once each get their own calibration (no shared mutable state).

The app keeps an uploaded profile's calibration in ``st.session_state`` (pages/common.py); the fit itself
(advisor.fit.calibrate.calibrate_with: timing, power and VRAM constants) returns a new value and changes nothing
global, so sessions that upload different profiles at the same time cannot see each other's constants.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles/measured/h100-sxm/flux-2-klein-4b-1024x1024-4steps-bf16-full-b1.yaml"
SLOWDOWN = 2.0


def _slow_profile_text() -> str:
    from profile_fixtures import scaled_profile_text

    return scaled_profile_text(SLOWDOWN)


@pytest.fixture(scope="module")
def uploads():
    """Two uploads: the committed klein 4B H100 profile, and the same run with every time x2."""
    from advisor.catalog.measured import profile_from_yaml_text

    fast_text = PROFILE.read_text(encoding="utf-8")
    slow_text = _slow_profile_text()
    fast, slow = profile_from_yaml_text(fast_text, "fast.yaml"), profile_from_yaml_text(slow_text, "slow.yaml")
    assert slow.summary.total_seconds.median == pytest.approx(SLOWDOWN * fast.summary.total_seconds.median)
    return {"fast.yaml": (fast_text, fast), "slow.yaml": (slow_text, slow)}


@pytest.fixture(scope="module")
def alone(uploads):
    """Each upload's calibration fitted on its own, from freshly parsed objects (no cache shared with the tests)."""
    from advisor.catalog import load_catalog
    from advisor.catalog.measured import profile_from_yaml_text
    from advisor.fit.calibrate import calibrate_with

    cat = load_catalog()
    return {name: calibrate_with([profile_from_yaml_text(text, name)], cat) for name, (text, _) in uploads.items()}


def test_concurrent_calibrations_are_independent(uploads, alone):
    """Two threads fit at the same time (as two Streamlit sessions would): each result equals the one fitted alone,
    and the two differ (the slow upload pulls the Hopper efficiencies down)."""
    from advisor.catalog import load_catalog
    from advisor.fit.calibrate import calibrate_with
    from advisor.perf import PerfRequest, estimate

    cat = load_catalog()
    req = PerfRequest("flux-2-klein-4b", "h100-sxm", steps=4, offload="none")
    results: dict[str, tuple] = {}
    barrier = threading.Barrier(2)

    def session(name: str) -> None:
        prof = uploads[name][1]
        barrier.wait()
        cal = calibrate_with([prof], cat)
        results[name] = (cal, estimate(req, cat, calibration=cal))

    threads = [threading.Thread(target=session, args=(n,)) for n in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (cal_fast, est_fast), (cal_slow, est_slow) = results["fast.yaml"], results["slow.yaml"]
    assert cal_fast != cal_slow
    assert est_slow.seconds_per_image > est_fast.seconds_per_image  # the slow upload makes the H100 slower
    # each equals a fit of its own upload alone (other objects, so no cache hit): nothing leaked between threads
    for name, (cal, est) in results.items():
        assert alone[name] == cal and alone[name] is not cal, name
        assert estimate(req, cat, calibration=alone[name]) == est, name


def test_two_app_sessions_keep_their_own_calibration(uploads, alone):
    """Two AppTest sessions of the Profiles page upload different profiles, interleaved (AppTest runs scripts only
    from the main thread): each session's state holds the calibration of its own upload, its 'Predicted after'
    metric uses it, and rerunning the first session after the second calibrated leaves the first unchanged."""
    from streamlit.testing.v1 import AppTest

    from advisor.catalog import load_catalog
    from advisor.perf import PerfRequest, estimate
    from views import common

    sessions = {name: AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run() for name in uploads}
    for at in sessions.values():
        at.switch_page("views/profiles.py").run()
    for name, at in sessions.items():
        at.file_uploader(key="profile_upload").set_value((name, uploads[name][0].encode(), "application/x-yaml"))
        at.run()
    sessions["fast.yaml"].run()  # a rerun of the first session after the second one calibrated
    cat = load_catalog()
    s = uploads["fast.yaml"][1].settings
    req = PerfRequest(pipeline=s.pipeline, gpu="h100-sxm", precision=s.precision, width=s.width, height=s.height,
                      steps=s.steps, guidance=s.guidance, batch_size=s.batch_size, offload=s.offload)
    cals = {}
    for name, at in sessions.items():
        assert not at.exception and not at.error, (name, at.exception, [e.value for e in at.error])
        cal = at.session_state[common.CALIBRATION_KEY]
        assert at.session_state[common.CALIBRATION_PROFILES_KEY] == [name]
        own = alone[name]
        assert cal == own, name
        shown = {m.label: m.value for m in at.metric}["Predicted after [s/image]"]
        assert shown == f"{estimate(req, cat, calibration=own).seconds_per_image:.4g}", name
        cals[name] = cal
    assert cals["fast.yaml"] != cals["slow.yaml"]

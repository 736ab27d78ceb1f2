"""The Validation page renders the stored report instantly, says when it is stale, and recomputes on demand."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from advisor.fit import calibrate as C
from advisor.fit import validate as V

ROOT = Path(__file__).resolve().parent.parent


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("views/validation.py").run()
    assert not at.exception, at.exception
    return at


def _points_table(at: AppTest):
    """The per-point table (the page shows the per-class, per-stack and family tables above it)."""
    return next(d.value for d in at.dataframe if "id" in d.value.columns)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_shows_the_stored_report_when_current():
    doc = V.stored_report()
    assert doc is not None and doc["inputs_sha256"] == V.inputs_sha256()  # stored report current (CI keeps it so)
    at = _page()
    rep = doc["report"]
    assert any("Stored report" in c.value and "current" in c.value for c in at.caption)
    assert _metrics(at)["Leave-one-GPU-out MAPE"] == f"{rep['leave_one_gpu_out_mape']:.1f}%"
    assert list(_points_table(at)["id"]) == [r["id"] for r in rep["points"]]


def test_stale_report_falls_back_and_recomputes_with_progress(monkeypatch):
    """Inputs changed (hash differs): the in-sample table without refits and a warning; 'Recompute' runs the refits
    (here on 8 measured points, to keep the test short) with a progress bar and shows that report."""
    monkeypatch.setattr(V, "inputs_sha256", lambda *a, **k: "0" * 64)
    points = [p for p in C.load_points() if p.kind == "measured" and p.gpu.slug in ("h200", "h100-sxm")]
    small = [p for p in points if p.gpu.slug == "h200"][:4] + [p for p in points if p.gpu.slug == "h100-sxm"][:4]
    real = V.validation_report
    calls = []

    def report(points=None, cal=None, refit=True, catalog=None, progress=None):
        calls.append((refit, progress is not None))
        return real(points=small if refit else points, cal=cal, refit=refit, catalog=catalog, progress=progress)

    monkeypatch.setattr(V, "validation_report", report)
    at = _page()
    assert any("stale" in w.value for w in at.warning), [w.value for w in at.warning]
    assert _metrics(at)["Leave-one-GPU-out MAPE"] == "n/a"
    at.button(key="val_recompute").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert (True, True) in calls  # the refit ran with a progress callback
    expected = real(points=small, refit=True)
    assert _metrics(at)["Leave-one-GPU-out MAPE"] == f"{expected['leave_one_gpu_out_mape']:.1f}%"
    assert any("Recomputed in this session" in s.value for s in at.success)
    assert list(_points_table(at)["id"]) == [p.id for p in small]

"""Every public validation file (profiles/validation/public*.yaml, :func:`advisor.fit.calibrate.public_paths`) obeys
the same rules: each entry states its settings, what was timed, its source and date and its flags; its stored
roofline flag agrees with the recomputed one (a passing point lies between the plausible fraction and 100 % of the
datasheet peak); ids are unique across the files. File-specific rules (which cards, how the source's figure becomes
the stored seconds, what is held out) are in tests/test_validate_<file>.py. Sources a reader cannot open (notes of
the research folder) are refused for every YAML by tests/test_sources.py."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from advisor.catalog import load_catalog
from advisor.fit import calibrate as C

PATHS = C.public_paths()
REQUIRED = ("id", "pipeline", "precision", "width", "height", "steps", "guidance", "measured_seconds", "timed",
            "stack", "source", "as_of", "roofline_check", "use_for_fit")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_every_entry_carries_settings_provenance_and_flags(path):
    today = dt.date.today()
    for e in yaml.safe_load(path.read_text()) or []:
        for k in REQUIRED:
            assert k in e, (e.get("id"), k)
        assert ("gpu" in e) != ("gpu_spec" in e), e["id"]
        assert isinstance(e["use_for_fit"], bool), e["id"]
        assert e["roofline_check"] in ("passed", "failed"), e["id"]
        as_of = e["as_of"] if isinstance(e["as_of"], dt.date) else dt.date.fromisoformat(str(e["as_of"]))
        assert as_of <= today, e["id"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_stored_roofline_flags_agree_with_recomputed_ones(path):
    points = C._public_points(path, load_catalog())
    assert points
    for p in points:
        ok, floor, frac = C.roofline_check(p)
        assert p.stored_roofline_check == ("passed" if ok else "failed"), (p.id, floor, frac)
        if ok:  # the floor is at 100 % of the peak: a passing point lies in the plausible band
            assert C.MIN_PLAUSIBLE_FRACTION <= frac <= 1.0, p.id


def test_ids_are_unique_across_every_public_file():
    ids = [e["id"] for path in PATHS for e in (yaml.safe_load(path.read_text()) or [])]
    assert not {i for i in ids if ids.count(i) > 1}

"""Fuzzing of the readers of hostile input: the price CSV, the votes CSV and raw YAML bytes. Any input gives a
result or one :class:`AdvisorError` line (no other exception, no multi-line message)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from advisor.catalog import load_catalog
from advisor.catalog.prices import parse_price_csv
from advisor.errors import AdvisorError
from tests.test_bad_input import one_line
from tests.test_bad_input_io import HEADER, prof  # noqa: F401  (the module-scoped catalog copy fixture)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELLS = st.one_of(st.sampled_from(["gpus", "apis", "rentals", "defaults", "rtx-4090", "launch_price_usd",
                                    "street_price_usd", "per_mp_usd", "fal-flux-1-schnell", "1599", "0", "-1",
                                    "1e308", "nan", "2026-11-01", "2099-01-01", "Shop quote", "free", "=1+1", ""]),
                   st.text(max_size=12))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_CELLS, min_size=0, max_size=11), max_size=4))
def test_fuzz_price_csv(prof, rows):
    """Rows of plausible and random cells: a list of prices, or one AdvisorError line; never another exception."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    try:
        prices = parse_price_csv(HEADER + buf.getvalue(), "fuzz.csv", load_catalog(prof))
    except AdvisorError as exc:
        one_line(str(exc))
        assert len(str(exc)) < 1000
    else:
        assert all(p.as_of <= dt.date.today() for p in prices)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_votes_csv(text):
    from advisor.fit.votes import fit_votes

    try:
        fit_votes("model_a,model_b,winner\n" + text, known={"a", "b", "c"})
    except AdvisorError as exc:
        one_line(str(exc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_yaml_reader_bytes(data):
    """Any bytes: plain data or one YAMLFileError line."""
    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_bytes

    try:
        read_yaml_bytes(data, "fuzz.yaml")
    except YAMLFileError as exc:
        one_line(str(exc))



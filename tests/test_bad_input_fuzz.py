"""Fuzzing of the readers of hostile input: the price CSV, the votes CSV and raw YAML bytes. Any input gives a
result or one :class:`AdvisorError` line (no other exception, no multi-line message)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

import pytest

from advisor.catalog import load_catalog
from advisor.catalog.prices import parse_price_csv
from advisor.errors import AdvisorError
from tests.test_bad_input import one_line
from tests.test_bad_input_io import HEADER, prof  # noqa: F401  (the module-scoped catalog copy fixture)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

COLUMNS = HEADER.strip().split(",")  # the import CSV's nine columns, in order
#: far-future and malformed dates next to plausible ones (the session clock is December 2026)
_DATES = st.one_of(st.sampled_from(["2026-11-01", "2025-01-31", "2099-01-01", "9999-12-31", "2026-02-30", "",
                                    "01/11/2026", "2026-11-01T00:00"]),
                   st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2200, 1, 1)).map(dt.date.isoformat))
_NUMBERS = st.one_of(st.sampled_from(["1599", "0.5", "0.003", "0", "-1", "1e308", "1e-300", "nan", "inf", "-inf",
                                      "", " 12 ", "=1+1", "1,599", "9" * 400, "1\x00", "0x10"]),
                     st.floats(min_value=0, max_value=200_000, allow_nan=False).map(repr),
                     st.text(max_size=8))
_TEXT = st.one_of(st.sampled_from(["Shop quote 7", "Vendor invoice 2026-11", "", "ab", "x" * 301, "n" * 501,
                                   "Sh\x00p", "a\rb", "tab\there", "=HYPERLINK(1)", "free tier", "a" * 100_000]),
                  st.text(max_size=20))


def _valid_triples(catalog) -> list[tuple[str, str, str]]:
    """Every (section, entry, field) the import can accept for this catalog: the section's price fields
    (:data:`PRICE_FIELDS`), for an API offer only the fields its pricing kind reads."""
    from advisor.catalog import PRICE_FIELDS
    from advisor.catalog.price_bounds import API_FIELDS_FOR_PRICING

    out = [("defaults", "defaults", f) for f in PRICE_FIELDS["defaults"]]
    out += [("gpus", slug, f) for slug in sorted(catalog.gpus) for f in PRICE_FIELDS["gpus"]]
    out += [("rentals", slug, f) for slug in sorted(catalog.rentals) for f in PRICE_FIELDS["rentals"]]
    out += [("apis", slug, f) for slug, api in sorted(catalog.apis.items())
            for f in API_FIELDS_FOR_PRICING[api.pricing]]
    return out


def _row(triple: tuple[str, str, str], cells: dict[str, str]) -> dict[str, str]:
    return {"section": triple[0], "entry": triple[1], "field": triple[2], **cells}


def test_fuzz_price_csv(prof):
    """Rows with exactly the import CSV's columns, each naming a real (section, entry, field) of the catalog, with
    fuzzed value/low/high/source/as_of/note: a list of prices equal to what the rows say, or one AdvisorError line;
    never another exception. The accepted and the refused branch are each reached (counted, not assumed)."""
    catalog = load_catalog(prof)
    triples = _valid_triples(catalog)
    today = dt.date.today()
    outcomes: dict[str, int] = {"accepted": 0, "refused": 0}
    cells = st.fixed_dictionaries({"value": _NUMBERS, "low": _NUMBERS, "high": _NUMBERS, "source": _TEXT,
                                   "as_of": _DATES, "note": _TEXT})
    # a plausible row (a small number, a real source, a past date) beside the fuzzed one, so that hypothesis also
    # explores the rows that pass the text checks and reach the numeric and catalog checks
    plausible = st.fixed_dictionaries({
        "value": st.floats(min_value=0.001, max_value=5.0).map(lambda x: f"{x:.4g}"), "low": st.just(""),
        "high": st.just(""), "source": st.just("Shop quote 7"),
        "as_of": st.dates(min_value=dt.date(2024, 1, 1), max_value=today).map(dt.date.isoformat),
        "note": st.sampled_from(["", "free tier", "quote by mail"])})

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.sampled_from(triples), st.one_of(cells, plausible)), min_size=1, max_size=3))
    def check(drawn):
        rows = [_row(t, c) for t, c in drawn]
        buf = io.StringIO()
        csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n").writerows(rows)
        try:
            prices = parse_price_csv(HEADER + buf.getvalue(), "fuzz.csv", catalog)
        except AdvisorError as exc:
            one_line(str(exc))
            assert len(str(exc)) < 1000
            outcomes["refused"] += 1
            hypothesis.event("refused: " + re.sub(r"fuzz\.csv( row \d+)? ?", "", str(exc).split(":", 1)[0]))
            return
        outcomes["accepted"] += 1
        hypothesis.event("accepted")
        first = {}
        for r in rows:  # the same (section, entry, field) twice is kept once (the first row)
            first.setdefault((r["section"], r["entry"], r["field"]), r)
        assert [(p.section, p.entry, p.field) for p in prices] == list(first)
        for p in prices:
            r = first[(p.section, p.entry, p.field)]
            assert p.source == r["source"].strip() and len(p.source) >= 3
            assert p.as_of == dt.date.fromisoformat(r["as_of"].strip()) <= today
            assert (p.note or "") == r["note"].strip()
            numbers = [x for x in (p.value, p.low, p.high) if x is not None]
            # $100,000 is the widest plausible bound of any price field (a card; advisor.catalog.price_bounds)
            assert numbers and all(math.isfinite(x) and 0 <= x < 100_000 for x in numbers)
            assert all(x > 0 for x in numbers) or (p.note or "").lower().startswith("free")
            given_value = r["value"].strip()
            if p.value is not None:
                assert p.value == float(given_value)
            elif not (r["low"].strip() or r["high"].strip()):  # a range field given as one figure
                assert p.low == p.high == float(given_value)
            else:
                assert (p.low, p.high) == (float(r["low"]), float(r["high"]))

    check()
    assert outcomes["accepted"] >= 1 and outcomes["refused"] >= 1, outcomes


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



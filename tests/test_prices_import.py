"""`advisor prices import FILE.csv` and the app's price upload (issue 13): validated like the catalog (source and
date required), a bad row is one line naming the row, kept as an override file, shown as "your price"."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor.catalog import PROFILES_DIR, load_catalog, read_price_overrides
from advisor.catalog.prices import parse_price_csv
from advisor.cli import app
from advisor.decide import Scenario, recommend
from advisor.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
HEADER = "section,entry,field,value,low,high,source,as_of,note\n"
GOOD = HEADER + ("gpus,rtx-4090,street_price_usd,,1500,1600,Micro Center quote 123,2026-11-30,\n"
                 "rentals,runpod-rtx-4090-pod,on_demand_usd_per_hour,0.59,,,RunPod invoice November,2026-11-28,\n")


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """A private copy of the whole catalog folder (the import writes overrides/prices.yaml into it)."""
    dst = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, dst, ignore=shutil.ignore_patterns("overrides"))
    return dst


def _write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_price_without_source_is_one_line_naming_the_row(tmp_path, profiles):
    csv = _write(tmp_path, GOOD + "apis,fal-flux-1-schnell,per_mp_usd,0.002,,,,2026-11-30,\n")
    r = runner.invoke(app, ["prices", "import", str(csv), "--profiles", str(profiles)])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: prices.csv row 4 source: got ''")
    assert "required" in lines[0]
    assert not (profiles / "overrides" / "prices.yaml").exists()  # nothing written


@pytest.mark.parametrize("row, message", [
    ("gpus,rtx-4090,street_price_usd,,1500,1600,Shop,2026-13-01,", "row 2 as_of: got '2026-13-01'"),
    ("gpus,rtx-9999,street_price_usd,,1500,1600,Shop,2026-11-01,", "row 2 entry: got 'rtx-9999'"),
    ("gpus,rtx-4090,vram_gib,24,,,Shop,2026-11-01,", "row 2 field: got 'vram_gib'"),
    ("gpus,rtx-4090,street_price_usd,,1600,1500,Shop,2026-11-01,", "row 2 low: got 1600.0; allowed: at most high"),
    ("apis,fal-flux-1-schnell,per_mp_usd,cheap,,,Shop,2026-11-01,", "row 2 value: got 'cheap'"),
    ("apis,fal-flux-1-schnell,per_mp_usd,-1,,,Shop,2026-11-01,", "row 2 value: got '-1'"),
    ("hats,x,price,1,,,Shop,2026-11-01,", "row 2 section: got 'hats'"),
])
def test_bad_rows_name_row_and_column(row, message):
    with pytest.raises(InputError) as ei:
        parse_price_csv(HEADER + row + "\n", "q.csv", load_catalog())
    assert message in str(ei.value) and "\n" not in str(ei.value)


def test_missing_source_column_is_refused():
    with pytest.raises(InputError, match="q.csv header"):
        parse_price_csv("section,entry,field,value,as_of\ngpus,rtx-4090,launch_price_usd,1,2026-11-01\n", "q.csv",
                        load_catalog())


def test_import_keeps_an_override_file_and_reasons_say_your_price(tmp_path, profiles):
    csv = _write(tmp_path, GOOD)
    r = runner.invoke(app, ["prices", "import", str(csv), "--profiles", str(profiles)])
    assert r.exit_code == 0, r.output
    kept = profiles / "overrides" / "prices.yaml"
    assert "imported 2 price(s)" in r.output and str(kept) in r.output
    prices = read_price_overrides(kept)
    assert [(p.entry, p.field) for p in prices] == [("rtx-4090", "street_price_usd"),
                                                     ("runpod-rtx-4090-pod", "on_demand_usd_per_hour")]
    cat = load_catalog(profiles)
    g = cat.gpu("rtx-4090").street_price_usd
    assert (g.low, g.high) == (1500, 1600) and g.source == "your price: Micro Center quote 123"
    # a range field given one value is the range value..value
    rent = cat.rentals["runpod-rtx-4090-pod"].on_demand_usd_per_hour
    assert (rent.low, rent.high) == (0.59, 0.59)
    res = recommend(Scenario(volume_images_per_month=100, commercial=True), catalog=cat)
    buy = res.option("self-host:buy:rtx-4090:flux-2-klein-4b:bf16")
    # card midpoint (1500 + 1600) / 2 = 1550 + rest of an AM5 system 1500 = 3050 USD
    assert buy.purchase_usd == pytest.approx(3050.0, rel=1e-12)
    assert "your price: Micro Center quote 123" in buy.reasons[0]
    rental = next(o for o in res.options if o.id.startswith("cloud-gpu:runpod-rtx-4090-pod:"))
    assert "your price: RunPod invoice November" in rental.reasons[0]
    # importing again replaces the same (section, entry, field) and keeps the others
    csv2 = _write(tmp_path, HEADER + "gpus,rtx-4090,street_price_usd,1450,,,Second quote,2026-12-01,\n", "b.csv")
    assert runner.invoke(app, ["prices", "import", str(csv2), "--profiles", str(profiles)]).exit_code == 0
    data = yaml.safe_load(kept.read_text())
    assert len(data) == 2 and data[1]["source"] == "Second quote" and data[1]["low"] == 1450


def test_import_to_a_given_path(tmp_path, profiles):
    out = tmp_path / "mine" / "quotes.yaml"
    r = runner.invoke(app, ["prices", "import", str(_write(tmp_path, GOOD)), "--out", str(out),
                            "--profiles", str(profiles)])
    assert r.exit_code == 0, r.output
    assert len(read_price_overrides(out)) == 2 and not (profiles / "overrides" / "prices.yaml").exists()


def test_app_price_upload_bad_row_and_good_file():
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(ROOT))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("views/recommend.py").run()
    bad = (GOOD + "apis,fal-flux-1-schnell,per_mp_usd,0.002,,,,2026-11-30,\n").encode()
    at.file_uploader(key="price_upload").set_value(("quotes.csv", bad, "text/csv"))
    at.run()
    assert any("quotes.csv row 4 source" in e.value for e in at.error), [e.value for e in at.error]
    at.file_uploader(key="price_upload").set_value(("quotes.csv", GOOD.encode(), "text/csv"))
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert any("Using your prices from quotes.csv" in c.value for c in at.caption)

"""Exports (issue 5): PNG/PDF magic bytes and size, SVG parses, HTML opens offline, CSV equals the options,
the scenario YAML reloads with the scenario loader, and `advisor export` writes only into --out."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from advisor.report import export
from advisor.decide import Scenario, load_scenario, recommend

ROOT = Path(__file__).resolve().parent.parent
needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                    reason="/usr/bin/chromium is missing (kaleido needs a Chromium)")

SCENARIO = {"volume_images_per_month": 4000, "width": 1024, "height": 768, "gpu_owned": "rtx-4090",
            "commercial": True, "batch_images": 2000, "deadline_hours": 6.0}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every format for one scenario, written once (one kaleido browser for all images)."""
    base = tmp_path_factory.mktemp("exp")
    out = base / "out"
    scenario = Scenario.from_dict(SCENARIO)
    formats = ["csv", "yaml", "html"] + (["png", "svg", "pdf"] if Path("/usr/bin/chromium").exists() else [])
    written = export.write_exports(scenario, out, formats)
    return base, out, scenario, written


def test_only_the_out_folder_is_written(exported):
    base, out, _, written = exported
    assert [p.name for p in base.iterdir()] == ["out"]
    assert all(p.parent == out for p in written)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left by atomic writes


@needs_chromium
def test_png_and_pdf_magic_bytes_and_size(exported):
    _, out, _, _ = exported
    for name in ("cost_vs_volume", "cost_breakdown", "batch_time", "sensitivity"):
        png = (out / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png) > 20_000  # a 2000x1120 chart with lines and text; a blank PNG of that size is ~10 kB
        pdf = (out / f"{name}.pdf").read_bytes()
        assert pdf[:5] == b"%PDF-" and b"%%EOF" in pdf[-1024:]
        assert len(pdf) > 5_000


@needs_chromium
def test_svg_parses_as_xml(exported):
    _, out, _, _ = exported
    root = ET.parse(out / "cost_vs_volume.svg").getroot()
    assert root.tag.endswith("svg")
    texts = "".join(root.itertext())
    assert "monthly cost" in texts  # the axis title is real text in the SVG


def test_html_opens_offline(exported):
    _, out, scenario, _ = exported
    html = (out / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r"<script[^>]*\bsrc\s*=\s*['\"]?([^'\" >]+)", html, flags=re.IGNORECASE)
    assert not [s for s in srcs if s.lower().startswith(("http:", "https:", "//"))]
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js (about 4.8 MB) is inlined
    assert html.count("plotly.js v") <= 2  # inlined once, not once per chart
    result = recommend(scenario)
    assert result.recommendation.option_id in html


def test_csv_matches_the_options(exported):
    _, out, scenario, _ = exported
    result = recommend(scenario)
    with open(out / "options.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [o.id for o in result.options]
    # str(float) round-trips exactly in Python, so the CSV holds the engine's floats unchanged
    assert [float(r["monthly_cost_usd"]) for r in rows] == [o.monthly_cost_usd for o in result.options]
    assert [float(r["cost_per_image_usd"]) for r in rows] == [o.cost_per_image_usd for o in result.options]
    for r, o in zip(rows, result.options):
        assert r["seconds_per_image"] == ("" if o.seconds_per_image is None else str(o.seconds_per_image))
        assert float(r["electricity_usd"]) == o.cost_breakdown_usd["electricity"]


def test_export_csv_is_the_cli_csv(exported):
    """One options table: ``advisor export``'s options.csv is byte-for-byte ``advisor recommend --format csv``."""
    from typer.testing import CliRunner

    from advisor.cli import app

    _, out, scenario, _ = exported
    scen = out / "scenario.yaml"
    r = CliRunner().invoke(app, ["recommend", "--scenario", str(scen), "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout == (out / "options.csv").read_text(encoding="utf-8")


def test_yaml_reloads_with_the_scenario_loader(exported):
    _, out, scenario, _ = exported
    again = load_scenario(out / "scenario.yaml")
    assert again == scenario
    assert recommend(again).to_json_dict()["options"] == recommend(scenario).to_json_dict()["options"]


def test_bad_formats_are_refused(tmp_path):
    from advisor.errors import InputError

    with pytest.raises(InputError, match="formats: got 'gif'"):
        export.write_exports(Scenario.from_dict(SCENARIO), tmp_path / "o", ["csv", "gif"])
    assert not (tmp_path / "o").exists()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "advisor", "export", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_export_default_example_csv_yaml(tmp_path):
    out = tmp_path / "cli"
    proc = _cli("--out", str(out), "--formats", "csv,yaml")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["options.csv", "pareto.csv", "scenario.yaml"]  # pareto.csv: issue 10
    assert load_scenario(out / "scenario.yaml") == load_scenario(export.EXAMPLE_SCENARIO)


@pytest.mark.parametrize("args,message", [
    (["--formats", "png,gif"], "error: --formats: got 'png,gif'"),
    (["--scenario", "no/such/file.yaml"], "error: --scenario: got 'no/such/file.yaml'"),
])
def test_cli_export_bad_input_one_line_exit_2(tmp_path, args, message):
    proc = _cli("--out", str(tmp_path / "o"), *args)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(message) and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()

"""``advisor recommend`` through Typer's CliRunner on the real catalog and simulator."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["recommend", *args])


@pytest.fixture(scope="module")
def result_500_4090():
    r = invoke("--volume", "500", "--gpu", "rtx-4090", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_ranks_owned_4090_rentals_and_apis(result_500_4090):
    d = result_500_4090
    ids = [o["id"] for o in d["options"]]
    # Z-Image Turbo (6B) fits the 24 GiB card
    assert any(i.startswith("self-host:owned:rtx-4090:z-image-turbo:") for i in ids)
    # FLUX.2 dev (32B transformer) needs quantization and/or offload on 24 GiB: whatever the simulator says,
    # it is either ranked (with the strategy it used) or excluded with a VRAM reason.
    flux_owned = [o for o in d["options"] if o["id"].startswith("self-host:owned:rtx-4090:flux-2-dev:")]
    if flux_owned:
        assert all(o["precision"] != "bf16" or o["offload"] != "none" for o in flux_owned)
    else:
        ex = [e for e in d["excluded"] if e["id"].startswith("self-host:owned:rtx-4090:flux-2-dev")]
        assert ex and "Does not fit" in ex[0]["reasons"][0]
    deployments = {o["deployment"] for o in d["options"]}
    assert deployments == {"self-host", "cloud-gpu", "api"}
    costs = [o["monthly_cost_usd"] for o in d["options"]]
    assert costs == sorted(costs)
    assert d["recommendation"]["option_id"] == ids[0]


def test_owned_reason_mentions_inputs(result_500_4090):
    owned = next(o for o in result_500_4090["options"] if o["id"].startswith("self-host:owned:rtx-4090:"))
    assert "At 500 images/month" in owned["reasons"][0]
    assert "sunk cost" in owned["reasons"][0]
    assert owned["cost_breakdown_usd"]["hardware"] == 0.0


def test_json_keys(result_500_4090):
    d = result_500_4090
    assert {"options", "excluded", "recommendation", "break_even"} <= set(d)
    assert {"option_id", "reasons", "too_close_to_call"} <= set(d["recommendation"])
    assert set(d["options"][0]["cost_breakdown_usd"]) == {"hardware", "electricity", "license", "api", "rental"}


def test_table_and_csv():
    r = invoke("--volume", "500", "--gpu", "rtx-4090")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Recommendation: ")
    c = invoke("--volume", "500", "--gpu", "rtx-4090", "--format", "csv")
    assert c.exit_code == 0, c.output
    lines = c.stdout.splitlines()
    assert lines[0].startswith("rank,id,label,pipeline,deployment")
    assert lines[1].startswith("1,")


def test_scenario_file_and_flag_override(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("volume_images_per_month: 100000\ngpu_owned: rtx-4090\ncommercial: true\n", encoding="utf-8")
    r = invoke("--scenario", str(f), "--volume", "250", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["scenario"]["volume_images_per_month"] == 250  # the flag wins over the file
    assert d["scenario"]["commercial"] is True  # the file's value is kept


def test_embedded_example_scenario():
    from advisor.commands.recommend_cmd import EXAMPLE_SCENARIO

    r = invoke("--scenario", str(EXAMPLE_SCENARIO), "--format", "json")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--volume", "0"], "error: --volume: got 0.0; allowed: a finite number > 0 and <= 1e+09 [images/month]"),
        (["--volume", "-5"], "error: --volume: got -5.0; allowed: a finite number > 0"),
        (["--volume", "nan"], "error: --volume: got nan; allowed: a finite number > 0"),
        (["--volume", "1e12"], "error: --volume: got 1000000000000.0; allowed: a finite number > 0 and <= 1e+09"),
        (["--volume", "5", "--gpu", "rtx-4909"], "error: --gpu: got 'rtx-4909'; allowed: did you mean rtx-4090"),
        (["--volume", "5", "--megapixels", "40"], "error: --megapixels: got 40.0; allowed: a number in (0, 16]"),
        (["--volume", "5", "--need", "speed"], "error: needs.0: got 'speed'; allowed: a list of chinese-text"),
        (["--volume", "5", "--format", "xml"], "error: --format: got 'xml'; allowed: table | json | csv"),
        (["--volume", "5", "--deadline-hours", "2"], "error: batch_images: got None; allowed: an integer"),
        ([], "error: --volume: got None; allowed: a number of images per month > 0"),
    ],
)
def test_errors_one_line_exit_2(args, message):
    r = invoke(*args)
    assert r.exit_code == 2
    assert r.output.startswith(message), r.output
    assert len(r.output.strip().splitlines()) == 1
    assert "Traceback" not in r.output


def test_malformed_yaml(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("volume_images_per_month: [1, 2\n", encoding="utf-8")
    r = invoke("--scenario", str(f))
    assert r.exit_code == 2
    assert r.output.startswith(f'error: {f}: got "malformed YAML at line 2, column 1 (expected')
    assert len(r.output.strip().splitlines()) == 1


def test_unknown_key_in_yaml(tmp_path):
    f = tmp_path / "extra.yaml"
    f.write_text("volume_images_per_month: 10\ncolour: red\n", encoding="utf-8")
    r = invoke("--scenario", str(f))
    assert r.exit_code == 2
    assert r.output.startswith("error: colour: got 'red'; allowed: known scenario fields: volume_images_per_month")


def test_unknown_override_slug(tmp_path):
    f = tmp_path / "over.yaml"
    f.write_text("volume_images_per_month: 10\noverrides:\n  gpus:\n    rtx-9999: {}\n", encoding="utf-8")
    r = invoke("--scenario", str(f))
    assert r.exit_code == 2
    assert r.output.startswith("error: overrides.gpus: got 'rtx-9999'; allowed: did you mean")


def test_missing_scenario_file(tmp_path):
    r = invoke("--scenario", str(tmp_path / "nope.yaml"))
    assert r.exit_code == 2
    assert r.output.startswith("error: --scenario: got ")
    assert "a readable UTF-8 YAML file" in r.output

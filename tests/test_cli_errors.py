"""Bad input on every CLI command: one line on stderr naming the field, the value and what is allowed, exit code 2,
nothing on stdout, never a traceback.

A few cases run the real console script (``advisor`` next to this interpreter, i.e. the installed ``main()``), the
rest go through ``CliRunner`` on the Typer ``app``: both paths must give the same one-line error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.catalog import load_catalog
from advisor.cli import app
from measure.configs import PIPELINES as MEASURE_PIPELINES  # no torch: the plain table of measurable pipelines

ROOT = Path(__file__).resolve().parent.parent
ADVISOR = Path(sys.executable).parent / "advisor"  # the console script `pip install -e .` put next to python

# the catalog's pipelines, and the subset `advisor measure` can build offline (both listed sorted in the error)
# the lists are sorted; past UnknownSlugError.MAX_LISTED slugs the message says how many there are in all
PIPELINES = ", ".join(sorted(load_catalog().pipelines)[:3])
MEASURABLE = ", ".join(sorted(MEASURE_PIPELINES)[:3])


def _assert_one_line_error(stderr: str, expected_start: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert stderr.endswith("\n") and stderr.count("\n") == 1, f"not exactly one line: {stderr!r}"
    assert stderr.startswith(expected_start), stderr


# --- the real console script: main() maps AdvisorError and click usage errors to one line -----------------------

SCRIPT_CASES = [
    # AdvisorError raised inside the command (simulate lets it escape; the command group maps it)
    (["simulate", "--pipeline", "nope", "--gpu", "h100-sxm"], f"error: pipeline: got 'nope'; allowed: one of {PIPELINES}"),
    # the command's own range check
    (["recommend", "--volume", "-5"], "error: --volume: got -5.0; allowed: a finite number > 0 and <= 1e+09 [images/month]"),
    # a click usage error (enum option) becomes one line too, with a pointer to the command's help
    # (the list of formats may grow: only its start is matched, and the help pointer at the end)
    (["validate", "--format", "xml"], "error: Invalid value for '--format': Value error, 'xml' is not one of 'table', "
                                      "'json'"),
    (["catalog", "gpus", "--today", "2024-13-01"], "error: --today: got '2024-13-01'; allowed: a date YYYY-MM-DD"),
]


@pytest.mark.parametrize("args,expected", SCRIPT_CASES, ids=[c[0][0] for c in SCRIPT_CASES])
def test_console_script_bad_input_is_one_line_exit_2(args, expected, tmp_path):
    assert ADVISOR.exists(), f"{ADVISOR} missing: install the package into this interpreter (pip install -e .)"
    r = subprocess.run([str(ADVISOR), *args], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    _assert_one_line_error(r.stderr, expected)
    if args[0] == "validate":
        assert r.stderr.endswith(". (see 'advisor validate --help')\n"), r.stderr
    elif args[0] == "simulate":  # a long list is cut after MAX_LISTED slugs with the count of all of them
        n = len(load_catalog().pipelines)
        assert r.stderr.endswith(f", ... ({n} in all; `advisor catalog` lists them)\n"), r.stderr
    else:
        assert r.stderr == expected + "\n"


def test_console_script_unknown_command_and_option_are_one_line(tmp_path):
    r = subprocess.run([str(ADVISOR), "simulat"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (r.returncode, r.stdout) == (2, "")
    _assert_one_line_error(r.stderr, "error: No such command 'simulat'.")  # click may add "Did you mean ...?"
    assert r.stderr.endswith(" (see 'advisor --help')\n"), r.stderr
    r = subprocess.run([str(ADVISOR), "simulate", "--pipeline", "flux-1-dev"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "error: Missing option '--gpu'. (see 'advisor simulate --help')\n"


def test_help_through_main_imports_no_heavy_module():
    """`advisor --help` through the console-script main(): no torch/diffusers/transformers/streamlit/plotly."""
    code = ("import sys; sys.argv = ['advisor', '--help']\n"
            "from advisor.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "heavy = ('torch', 'diffusers', 'transformers', 'streamlit', 'plotly', 'kaleido')\n"
            "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Usage: advisor" in r.stdout
    assert r.stderr.strip() == "[]"


# --- CliRunner on the app: every command, field, value and what is allowed ------------------------------------------

GPUS_PREFIX = "allowed: one of a10, a100-40gb, "  # the GPU list grows with the catalog; its start is stable (sorted)

RUNNER_CASES = [
    (["catalog", "gpus", "--slug", "nope"], "error: gpu: got 'nope'; " + GPUS_PREFIX),
    (["recommend", "--volume", "1000", "--gpu", "nope"], "error: --gpu: got 'nope'; " + GPUS_PREFIX),
    (["recommend", "--volume", "1000", "--format", "xml"], "error: --format: got 'xml'; allowed: table | json | csv"),
    (["recommend", "--volume", "1000", "--need", "flying"],
     "error: --need: got 'flying'; allowed: each one of chinese-text, multi-reference, quality"),
    (["recommend", "--volume", "1000", "--megapixels", "0"],
     "error: --megapixels: got 0.0; allowed: a number in (0, 16] [MP, 1 MP = 1024 x 1024 pixels]"),
    (["recommend", "--scenario", "no-such-file.yaml"],
     "error: --scenario: got 'no-such-file.yaml'; allowed: a readable UTF-8 YAML file (No such file or directory)"),
    (["simulate", "--pipeline", "flux-1-dev", "--gpu", "nope"], "error: gpu: got 'nope'; " + GPUS_PREFIX),
    (["simulate", "--pipeline", "flux-1-dev", "--gpu", "cpu", "--precision", "fp3"],
     "error: precision: got 'fp3'; allowed: fp32|bf16|fp16|fp8|int8|nf4|gguf-q4"),
    (["simulate", "--pipeline", "flux-1-dev", "--gpu", "cpu", "--width", "0"],
     "error: width: got 0; allowed: an integer multiple of 16 between 64 and 8192 [pixels]"),
    (["simulate", "--pipeline", "flux-1-dev", "--gpu", "cpu", "--offload", "bogus"],
     "error: offload: got 'bogus'; allowed: auto|none|model|group|sequential"),
    (["simulate", "--pipeline", "flux-1-dev", "--gpu", "cpu", "--steps", "0"],
     "error: steps: got 0; allowed: an integer between 1 and 1000"),
    (["check-claim", "--pipeline", "flux-1-dev", "--gpu", "h100-sxm", "--seconds", "-1"],
     "error: seconds: got -1.0; allowed: a positive number of seconds"),
    (["check-claim", "--pipeline", "nope", "--gpu", "h100-sxm", "--seconds", "1"],
     f"error: pipeline: got 'nope'; allowed: one of {PIPELINES}"),
    (["measure", "--pipeline", "nope"], f"error: --pipeline: got 'nope'; allowed: one of {MEASURABLE}"),
    (["measure", "--pipeline", "flux-1-dev", "--device", "tpu"],
     "error: --device: got 'tpu'; allowed: cpu, cuda, cuda:<index>, rocm, rocm:<index> or mps"),
    (["measure", "--pipeline", "flux-1-dev", "--precision", "fp8"],
     "error: --precision: got 'fp8'; allowed: fp32, bf16, fp16"),
    (["measure", "--pipeline", "flux-1-dev", "--width", "100"],
     "error: --width: got 100; allowed: a positive multiple of 16 (VAE 8x down, then 2x2 patches)"),
    (["export", "--out", "{tmp}/out", "--formats", "gif"],
     "error: --formats: got 'gif'; allowed: png,svg,pdf,html,csv,yaml"),
    (["export", "--out", "{tmp}/out", "--scenario", "no-such-file.yaml"],
     "error: --scenario: got 'no-such-file.yaml'; allowed: a readable UTF-8 YAML file (No such file or directory)"),
]


@pytest.mark.parametrize("args,expected", RUNNER_CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in RUNNER_CASES])
def test_runner_bad_input_is_one_line_exit_2(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths (no-such-file.yaml, profiles/measured) resolve inside tmp_path
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, (r.exit_code, r.stderr, r.exception)
    assert isinstance(r.exception, SystemExit)  # a clean exit, not an escaped exception
    assert r.stdout == ""
    _assert_one_line_error(r.stderr, expected)
    if args[0] == "export":  # bad input writes nothing, not even the output folder
        assert not (tmp_path / "out").exists()

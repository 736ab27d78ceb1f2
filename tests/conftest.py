"""Shared pytest set-up.

* Tests marked ``gpu`` skip cleanly (one reason line) when torch is missing or ``torch.cuda.is_available()`` is
  False. torch is imported only when such a test was collected, so a run without GPU tests does not pay for it.
* The markers themselves are registered in pyproject.toml ([tool.pytest.ini_options] markers).
* hypothesis runs derandomized (profile ``ci``, loaded always; ``HYPOTHESIS_PROFILE=explore`` for random draws).
"""

from __future__ import annotations

import os

import pytest

try:  # hypothesis is a test dependency; a core-only environment still collects the rest
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # pragma: no cover
    _hypothesis_settings = None
if _hypothesis_settings is not None:
    # Derandomized by default: every run (CI included) draws the same examples, so a red property test reproduces
    # and a green one does not flip by chance. HYPOTHESIS_PROFILE=explore draws fresh examples when fuzzing by hand.
    _hypothesis_settings.register_profile("ci", derandomize=True)
    _hypothesis_settings.register_profile("explore", derandomize=False)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _cuda_skip_reason() -> str | None:
    """None when a CUDA GPU is usable, else why the ``gpu`` tests are skipped."""
    try:
        import torch
    except ImportError as exc:  # core-only install (no `measure` extra)
        return f"needs an NVIDIA GPU: torch is not installed ({exc})"
    try:
        if torch.cuda.is_available():
            return None
    except Exception as exc:  # a broken driver must skip, not error  # noqa: BLE001
        return f"needs an NVIDIA GPU: torch.cuda.is_available() raised {type(exc).__name__}: {exc}"
    return "needs an NVIDIA GPU: torch.cuda.is_available() is False"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items:
        return
    reason = _cuda_skip_reason()
    if reason is None:
        return
    for item in gpu_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def validation_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The full validation report (leave-one-out refits included), built once per test session.

    The stored ``profiles/validation/report.yaml`` when its inputs hash is today's (instant); otherwise recomputed
    once (minutes) and written only into a temporary directory, then read back the way the stored one is read.
    Nothing is written outside the repository's tracked files and the pytest temp dir (no user cache).
    """
    from advisor.fit import validate as V

    doc = V.stored_report()
    if doc is not None and doc["inputs_sha256"] == V.inputs_sha256():
        return doc["report"]
    path = V.write_report(tmp_path_factory.mktemp("validation") / "report.yaml")
    return V.stored_report(path)["report"]


@pytest.fixture(scope="session")
def catalog():
    """The repository's catalog (profiles/), loaded once per session; tests that change it build their own."""
    from advisor.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def cal():
    """The stored calibration (profiles/calibration.yaml), loaded once per session."""
    from advisor.perf import timing as T

    return T.load_calibration()

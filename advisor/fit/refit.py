"""Refit the whole calibration: timing efficiencies, power, VRAM constants and the validation error bands.

The orchestrator of :mod:`advisor.fit`: it uses :mod:`advisor.fit.calibrate` (the fits) and
:mod:`advisor.fit.validate` (the error table that sets the uncertainty bands), so that neither of them imports the
other's orchestration (no import cycle). Writes only the file it is given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from advisor.catalog import Catalog, load_catalog
from advisor.catalog.measured import load_measured_profiles
from advisor.fit import validate as V
from advisor.fit.calibrate import (MEASURED_ROOT, ValidationPoint, _ceilings_used, _versions, fit, fit_power_params,
                                   fit_vram, load_points)
from advisor.io import atomic_write_text
from advisor.perf import timing as T


def calibrate(out: Path | None = None, cpu_peak: dict[str, Any] | None = None, path: Path | None = None,
              catalog: Catalog | None = None, report_path: Path | None = None) -> T.Calibration:
    """Fit on every measured point (timing), the NVML profiles (power) and the measured peaks (VRAM record),
    compute the validation error bands; write the calibration to ``out`` when given and, with ``report_path``
    (which needs ``out``), the validation report this fit computed anyway (:func:`advisor.fit.validate.write_report`;
    keyed by the inputs' hash taken after ``out`` is written, so it is the report of the new calibration).

    ``path``: the calibration to start from (default ``profiles/calibration.yaml``); ``cpu_peak``: this machine's
    matmul peaks measured by ``measure.cpu_peak.measure_cpu_peak`` (``advisor calibrate --cpu``), or None.
    """
    catalog = catalog or load_catalog()
    base = T.load_calibration(path)
    if cpu_peak is not None:
        peak = cpu_peak
        base = base.model_copy(update={"cpu": base.cpu.model_copy(update={
            "fp32_tflops": peak["fp32_tflops"], "bf16_tflops": peak["bf16_tflops"],
            "measured_with": peak["measured_with"], "as_of": dt.date.today()})})
    points = load_points(catalog, cal=base)
    cal = fit(points, base)
    profiles = load_measured_profiles(MEASURED_ROOT)
    params, energy = fit_power_params(profiles, catalog, cal)
    cal = cal.model_copy(update={"power": params, "energy": energy, "vram": fit_vram(profiles, catalog),
                                 "ceilings": _ceilings_used(catalog)})
    report = V.validation_report(points, cal, refit=True)
    cal = cal.model_copy(update={
        "fitted_at": dt.date.today(),
        "versions": _versions_of_points(points) or _versions(),
        "method": ("least squares on log error, ridge to priors (advisor/fit/calibrate.py); hopper rates = measured "
                   "H100 SXM ceilings (profiles/ceilings); power fitted on NVML energy; VRAM constants on peaks"),
        "uncertainty": {
            "calibrated": round(max(0.05, report["p90_abs_pct_error"] / 100), 3),
            "cross_gpu": round(max(0.10, (report["leave_one_gpu_out_p90"] or 25.0) / 100), 3),
            "cold": 0.35,
            # a ROCm / MPS family without points: the error of predicting a whole family from the others (leave-one-
            # family-out P90), and at least 1.5 x the cold tier, because its software stack was never measured either:
            # two PyTorch-MPS runs on identical Apple M4 machines measured bf16 matmul 2.92 vs 1.87 TFLOP/s
            # (github zzc0721/torch-performance-test-data database.md), a 1.56x spread from the stack alone
            "specs_only": round(max(1.5 * 0.35, (report.get("leave_one_family_out_p90") or 0.0) / 100), 3),
        },
        "notes": [
            "versions: CPU profiles ran torch 2.13.0+cpu on the dev VM; GPU profiles torch 2.11.0+cu130 on an H100 SXM "
            "(driver 580.159.04, CUDA 13.0); diffusers 0.42.1 for both",
            "Z-Image Turbo: 9 scheduler steps = 9 transformer evaluations in diffusers 0.42.1 ZImagePipeline "
            "(measured len(step_seconds) = 9 per run on H100)",
            "families without points of their own take prior x the shared GPU level; ROCm (rdna3, rdna4, cdna3) and "
            "MPS (apple) families without points are 'from specs only' (advisor.perf.timing.family_tier) with the "
            "specs_only band; public matmul ceilings per card in profiles/ceilings/ (sources in each file)",
        ],
    })
    if out is not None:
        atomic_write_text(out, T.calibration_to_yaml_text(cal))
        if report_path is not None:
            report["calibration"] = {"fitted_at": cal.fitted_at.isoformat(), "versions": cal.versions}
            V.write_report(report_path, report=report)
    return cal


def _versions_of_points(points: list[ValidationPoint]) -> dict[str, str]:
    """diffusers/torch versions of the measured profiles (public points do not state theirs)."""
    from advisor.catalog.measured import load_measured_profiles

    seen: dict[str, set[str]] = {}
    for prof in load_measured_profiles(MEASURED_ROOT):
        for k in ("diffusers", "torch"):
            v = getattr(prof.software, k)
            if v:
                seen.setdefault(k, set()).add(v)
    return {k: ",".join(sorted(v)) for k, v in seen.items()}

"""Validation of the simulator: predicted vs measured for every validation point, and the error table.

Metrics (percent; absolute percentage error |pred - meas| / meas):
- ``mape`` / ``p90_abs_pct_error``: every point that passes the roofline sanity check, predicted with the
  calibration fitted on all fit points (in-sample for fitted points, held out for the rest);
- ``by_gpu_class`` / ``by_stack``: the same errors grouped by GPU class (consumer Ampere / Ada / Blackwell,
  workstation, data centre, AMD, Apple, CPU: :func:`gpu_class`) and by software stack (diffusers, ComfyUI, ...);
- ``leave_one_gpu_out_mape`` (+ p90, + per class): for each GPU, refit without that GPU's points and predict them;
- ``cpu_mape``: CPU points, refit without the point's scaled configuration (all resolutions/precisions) and predict;
- ``same_gpu_pipeline_mape``: leave-one-point-out among points sharing pipeline, GPU, software stack and kind
  (public / measured): tier T1 in research/simulator.md ("this model on this GPU and stack");
- ``fit_classification_accuracy``: documented fit / no-fit cases in ``profiles/validation/fit_cases.yaml``.

The full report (with the refits, minutes of CPU) is stored in ``profiles/validation/report.yaml`` keyed by a hash of
its inputs (data files and the simulator/fit code, :data:`REPORT_INPUTS`), so the CLI, the app and the tests read it
instantly while it is current and recompute it when it is stale.

Modules: :mod:`.points` (GPU classes, rows, documented fit cases), :mod:`.metrics` (the error table),
:mod:`.report` (stored report, text table, plot), :mod:`.campaign` (planned-run predictions and the out-of-sample
comparison with a measured campaign).

Public API: validation_report(points=None, cal=None, refit=True, progress=None) -> dict, inputs_sha256(),
write_report(path), stored_report(path), current_report(path), fit_cases(), planned_runs(), predictions(gpu),
write_plot(report, path), write_predictions(path), format_table(report), out_of_sample(...), gpu_class(gpu).
"""

from __future__ import annotations

from advisor.fit.validate.campaign import (CEILINGS_DIR, PLANNED_RUNS_PATH, PREDICTIONS_PATH, format_out_of_sample,
                                           out_of_sample, planned_runs, predictions, write_predictions)
from advisor.fit.validate.metrics import (BASELINE_PATH, GOALS, baseline, grouped_errors, validation_report,
                                          vram_errors)
from advisor.fit.validate.points import (FIT_CASES_PATH, GPU_CLASSES, fit_cases, fit_classification, gpu_class,
                                         stack_of)
from advisor.fit.validate.report import (REPORT_INPUTS, REPORT_PATH, catalog_digest, current_report, format_table,
                                         inputs_sha256, json_summary, report_input_files, report_to_yaml_text,
                                         stored_report, write_plot, write_report)

__all__ = [
    "BASELINE_PATH", "CEILINGS_DIR", "FIT_CASES_PATH", "GOALS", "GPU_CLASSES", "PLANNED_RUNS_PATH", "PREDICTIONS_PATH",
    "REPORT_INPUTS", "REPORT_PATH", "baseline", "catalog_digest", "current_report", "fit_cases", "fit_classification",
    "format_out_of_sample", "format_table", "gpu_class", "grouped_errors", "inputs_sha256", "json_summary",
    "out_of_sample", "planned_runs", "predictions", "report_input_files", "report_to_yaml_text", "stack_of",
    "stored_report", "validation_report", "vram_errors", "write_plot", "write_predictions", "write_report",
]

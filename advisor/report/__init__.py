"""Report: the one options table (CLI, app, exports), charts (plotly), exports and sweeps. No cost arithmetic."""

from advisor.report.tables import (CSV_COLUMNS, DEFAULT_TABLE_ROWS, DEPLOYMENTS, best_per_deployment, option_rows,
                                   render_table, short_label, summary_lines, to_csv, to_json, usd)

__all__ = ["CSV_COLUMNS", "DEFAULT_TABLE_ROWS", "DEPLOYMENTS", "best_per_deployment", "option_rows", "render_table",
           "short_label", "summary_lines", "to_csv", "to_json", "usd"]

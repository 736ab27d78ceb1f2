"""Decision: options from the scenario (perf + cost + rules), hard constraints, ranking, reasons, the result.

Public entry point: :func:`recommend` (a :class:`~advisor.cost.scenario.Scenario` -> :class:`Result`).
"""

from advisor.cost.scenario import Scenario, load_scenario, load_scenario_text, parse_scenario_yaml, read_scenario_yaml
from advisor.decide.engine import (BreakEven, Context, Excluded, Option, Recommendation, Result, break_even_table,
                                   prepare, rank, recommend)

__all__ = ["BreakEven", "Context", "Excluded", "Option", "Recommendation", "Result", "Scenario", "break_even_table",
           "load_scenario", "load_scenario_text", "parse_scenario_yaml", "prepare", "rank", "read_scenario_yaml",
           "recommend"]

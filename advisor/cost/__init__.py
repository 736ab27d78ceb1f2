"""Cost: the scenario (validated input) and the TCO formulas (pure functions, units in names)."""

"""Fitting the simulator to measurements: calibration, validation (error table), claim checks.

Reads the catalog and measured profiles, uses :mod:`advisor.perf`, writes only under ``profiles/`` when asked.
"""

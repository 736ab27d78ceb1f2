"""Team workload questions: queueing turnaround (SimPy) and Monte Carlo cost uncertainty (numpy).

Imports only the standard library, numpy, simpy and :mod:`advisor.errors`.
"""

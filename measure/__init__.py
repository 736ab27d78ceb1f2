"""Measurement harness: runs real diffusers pipelines, times stages, samples power, writes profiles.

Imports torch/diffusers lazily (inside functions) so that ``import measure`` stays cheap.
"""

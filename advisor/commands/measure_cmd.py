"""``advisor measure``: run a real diffusers pipeline, time its stages, sample power, write a profile YAML.

The command function lives in :mod:`measure.command` (no torch at import); torch/diffusers are imported only
when the command runs.
"""

from __future__ import annotations

from advisor.cli import app
from measure.command import measure

app.command("measure")(measure)

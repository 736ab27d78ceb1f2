"""The validation notebook runs top to bottom with the package (nbclient, kernel 'python3' from the venv)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NB = Path(__file__).resolve().parent.parent / "notebooks" / "validation.ipynb"


@pytest.mark.slow
def test_validation_notebook_executes_and_has_no_stored_outputs():
    from nbclient import NotebookClient

    nb = nbformat.read(NB, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs must be stripped"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NB.parent.parent)}}).execute()
    summary = next(c for c in nb.cells if c.cell_type == "code" and "summary =" in c.source)
    text = "".join(o.get("data", {}).get("text/plain", "") for o in summary.outputs)
    assert "leave_one_gpu_out_mape" in text

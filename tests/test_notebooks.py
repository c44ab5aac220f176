"""Execute every notebook in ``notebooks/`` top to bottom with a Jupyter kernel.

Each notebook runs in a fresh ``python3`` kernel with ``notebooks/`` as the working
directory and ``QUOTALAB_QUICK=1`` in its environment, so notebooks can shrink their
runs. The kernelspec's command is a bare ``python``, which jupyter_client replaces
with the interpreter running pytest, so the kernel uses the same installed packages.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_SECONDS = 300

# Notebooks that must draw at least one figure when executed.
FIGURE_NOTEBOOKS = {"01_quickstart.ipynb"}


def execute_notebook(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        # The message contains the failing cell's source and its traceback.
        pytest.fail(f"{path.name}: a cell raised an error\n{error}", pytrace=False)
    return notebook


def count_png_outputs(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_notebook_folder_not_empty():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


def test_figure_notebooks_exist():
    names = {path.name for path in NOTEBOOKS}
    missing = FIGURE_NOTEBOOKS - names
    assert not missing, f"notebooks missing from {NOTEBOOK_DIR}: {sorted(missing)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_saved_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    stale = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count)
    ]
    assert not stale, (
        f"{path.name}: code cells {stale} were saved with outputs; clear all "
        "outputs before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(path, monkeypatch):
    # The kernel inherits this process's environment when it starts.
    monkeypatch.setenv("QUOTALAB_QUICK", "1")
    notebook = execute_notebook(path)

    if path.name in FIGURE_NOTEBOOKS:
        figures = count_png_outputs(notebook)
        assert figures >= 1, f"{path.name}: no image/png output after execution"

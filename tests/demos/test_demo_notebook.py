"""demos/tour.ipynb runs top to bottom in a fresh kernel of this virtualenv, so it never goes
stale: every cell succeeds, the graphs display inline as SVG, the plots as PNG, and the numbers
it prints agree with each other."""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK = Path(__file__).resolve().parents[2] / "demos" / "tour.ipynb"


def _outputs(cell: Any, kind: str) -> list[Any]:
    return [o for o in cell.get("outputs", []) if kind in o.get("data", {})]


def _text(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def test_the_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    nbclient = pytest.importorskip("nbclient")  # here, not at collection: its import takes 2 s
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # appended to this in-memory copy only: which interpreter ran the cells
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    workdir = tmp_path_factory.mktemp("notebook")
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    return nb


def test_the_kernel_is_this_virtualenvs_python(executed: Any) -> None:
    ran_with = _text(executed.cells[-1]).strip()
    assert os.path.realpath(ran_with) == os.path.realpath(sys.executable)


def test_graphs_display_inline_as_svg_and_plots_as_png(executed: Any) -> None:
    code = [c for c in executed.cells if c.cell_type == "code"]
    svgs = [o["data"]["image/svg+xml"] for c in code for o in _outputs(c, "image/svg+xml")]
    pngs = [o["data"]["image/png"] for c in code for o in _outputs(c, "image/png")]
    assert len(svgs) >= 4  # draw_dot, draw_paths (twice), draw_network
    for svg in svgs:
        assert ET.fromstring(svg).tag.endswith("svg")
    assert len(pngs) >= 2  # learning slowly, the decision boundary
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert errors == []


def test_the_printed_numbers_agree(executed: Any) -> None:
    printed = "\n".join(_text(c) for c in executed.cells if c.cell_type == "code")
    by_hand = float(re.search(r"chain rule by hand: (\S+)", printed)[1])
    engine = float(re.search(r"backward\(\):\s+(\S+)", printed)[1])
    assert by_hand == pytest.approx(engine, rel=1e-12)
    diffs = re.findall(r"max \|[^|]+\| = (\S+),?", printed)
    assert len(diffs) == 4  # BP4 and δ for each of the two layers
    for diff in diffs:
        assert float(diff.rstrip(",")) <= 1e-12
    paths_sum, grad = re.search(r"3 paths; their sum (\S+); w.grad (\S+)", printed).groups()
    assert float(paths_sum) == pytest.approx(float(grad), rel=1e-12)
    assert "24,300,000 paths" in printed  # 30^5
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", printed)[1])
    assert accuracy >= 90.0


def test_no_cell_shows_a_third_party_warning(executed: Any) -> None:
    # the bundled fontconfig's "unknown element reset-dirs" came as a red block under the first
    # picture (viz/_quiet.py)
    stderr = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", [])
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert "Fontconfig" not in stderr

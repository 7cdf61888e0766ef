"""examples/quickstart.ipynb runs top to bottom in a real Jupyter kernel against a live server,
and its cells show what they promise."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"
KERNEL_CHECK = "import sys\nprint('KERNEL', sys.executable)"


def outputs_text(cell) -> str:  # type: ignore[no-untyped-def]
    """Everything a cell showed, as text: streams, plain and HTML results, errors."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in {"execute_result", "display_data"}:
            for mime in ("text/plain", "text/html", "image/svg+xml"):
                if mime in output.data:
                    parts.append(str(output.data[mime]))
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "\n".join(parts)


def cell_with(nb, text: str):  # type: ignore[no-untyped-def]
    matches = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    assert len(matches) == 1, f"expected one code cell containing {text!r}"
    return matches[0]


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["embedded"], indirect=True)
def test_quickstart_runs_top_to_bottom(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(KERNEL_CHECK))
    env = {
        **os.environ,
        "HUBGRAPH_URL": server.url,
        # The kernel must be this virtual environment's Python, which has hubgraph installed.
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=180,
        startup_timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=env, cwd=str(tmp_path))
    executed = tmp_path / "quickstart.executed.ipynb"
    nbformat.write(nb, executed)

    errors = [c for c in nb.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert not errors, outputs_text(errors[0])
    assert f"KERNEL {sys.executable}" in outputs_text(nb.cells[-1])

    connect = outputs_text(cell_with(nb, "hub = Client("))
    assert server.url in connect

    listing = outputs_text(cell_with(nb, "queries = hub.queries()"))
    for name in ("countries-attaching-conditions", "stances", "quotes", "refusals"):
        assert name in listing

    conditions = outputs_text(
        cell_with(nb, 'hub.canned_dataframe("countries-attaching-conditions")')
    )
    for expected in ("Montenegro", "Kosovo", "precondition", "reciprocal expectation"):
        assert expected in conditions

    filtered = outputs_text(cell_with(nb, 'kind="precondition"'))
    assert "Montenegro" in filtered and "Kosovo" not in filtered

    joined = outputs_text(cell_with(nb, 'stances["qid"]'))
    for expected in ("Q1246", "Q236", "Q222", "Q225", "Q221", "willing", "refuses"):
        assert expected in joined

    quotes = outputs_text(cell_with(nb, "wd:Q1246 ."))
    assert "“We want to help the UK” — Albin Kurti" in quotes
    assert "line 22" in quotes

    entity = outputs_text(cell_with(nb, 'hub.entity("Q1246")'))
    assert "https://www.wikidata.org/wiki/Q1246" in entity and "willing" in entity

    chart = cell_with(nb, "plt.subplots")
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in chart.outputs), (
        "the chart cell showed no PNG image"
    )
    assert (tmp_path / "positions.png").stat().st_size > 1000

    stance_map = cell_with(nb, "SVG(hub.stance_map_svg())")
    svg = next(
        o.data["image/svg+xml"]
        for o in stance_map.outputs
        if o.output_type in {"execute_result", "display_data"} and "image/svg+xml" in o.data
    )
    for country in ("Kosovo", "Montenegro", "Albania", "Bosnia and Herzegovina", "North Macedonia"):
        assert f'data-label="{country}"' in svg

    history = outputs_text(cell_with(nb, "hub.stance_history("))
    assert "Vjosa Osmani" in history and "Albin Kurti" in history and "acting" in history
    assert history.index("Vjosa Osmani") < history.index("Albin Kurti")
    disputes = outputs_text(cell_with(nb, "hub.disputes()"))
    assert "denies" in disputes and "The Times" in disputes
    as_of = cell_with(nb, 'hub.stance_map_svg(as_of="2025-10-31")')
    assert any("image/svg+xml" in getattr(o, "data", {}) for o in as_of.outputs)
    timeline = cell_with(nb, "hub.timeline_svg(")
    assert any(
        "hg-mark" in o.data.get("image/svg+xml", "") for o in timeline.outputs if hasattr(o, "data")
    )
    over_time = cell_with(nb, "hub.observations()")
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in over_time.outputs)
    assert (tmp_path / "positions-over-time.png").stat().st_size > 1000

    failure = outputs_text(cell_with(nb, "except HubgraphClientError"))
    assert failure.startswith("400 malformed-query")

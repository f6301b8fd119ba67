"""notebooks/dprk-russia.ipynb runs against a real Neo4j, answers the main questions correctly, shows
them as tables, draws its timeline and network, reads an RDF export into rdflib, and prints no
warning on the way."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from neo4j import Driver

from milcoop.graph.mapping import to_property_graph
from milcoop.loaders.curated import CompiledFacts
from milcoop.settings import Settings
from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "dprk-russia.ipynb"
DOCS = ROOT / "docs" / "cypher.md"


def _tagged(nb: Any, tag: str) -> Any:
    cells = [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return cells[0]


def _stdout(cell: Any) -> str:
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


#: Appended to the notebook by the test: the answers the notebook holds, for the assertions below.
_REPORT = """
import json as _json
print(_json.dumps({
    "flows": flows, "treaties": treaties, "deployments": deployments, "breaches": breaches,
    "supplies": supplies,
    "tables": {name: {"rows": len(table), "columns": [str(c) for c in table.reset_index().columns]}
               for name, table in [("flow_events", flow_events), ("flow_claims", flow_claims),
                                   ("supply_edges", supply_edges), ("treaty_provisions", treaty_provisions),
                                   ("deployment_claims", deployment_claims), ("breach_claims", breach_claims),
                                   ("transfers_by_source", transfers_by_source)]},
    "transfers_by_source": transfers_by_source.to_dict("records"),
    "triples": len(graph),
}))
"""


def _kinds(cell: Any) -> set[str]:
    """The MIME types a cell displayed."""
    return {kind for o in cell.outputs if o.output_type in {"display_data", "execute_result"} for kind in o.data}


def test_the_notebook_asks_exactly_the_documented_cypher() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    docs = DOCS.read_text(encoding="utf-8")
    for tag in ("flows", "treaties", "deployments", "breaches", "supplies"):
        match = re.search(r'= """\n(.*?)\n"""', _tagged(nb, tag).source, re.S)
        assert match is not None, tag
        assert match.group(1) in docs, f"the {tag} query differs from docs/cypher.md"


def test_the_notebook_needs_only_the_driver_and_the_milcoop_command() -> None:
    """It runs in a user's own Jupyter after `pip install milcoop`: no project internals."""
    nb = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    imported = set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", code, re.M))
    allowed = {"datetime", "json", "math", "os", "sys", "subprocess", "tempfile", "pathlib", "neo4j"}
    # The notebook extra (pyproject.toml) and milcoop's own dependencies.
    allowed |= {"pandas", "matplotlib.pyplot", "matplotlib.dates", "rdflib"}
    assert imported <= allowed, imported


@pytest.mark.neo4j
def test_the_notebook_answers_the_main_questions(
    neo4j_driver: Driver,
    neo4j_settings: Settings,
    bundled: CompiledFacts,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # An empty graph, so that the notebook's first-load path runs too.
    neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j_uri)
    monkeypatch.setenv("NEO4J_USERNAME", neo4j_settings.neo4j_username)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password)
    monkeypatch.setenv("NEO4J_DATABASE", neo4j_settings.neo4j_database)
    monkeypatch.setenv("MILCOOP_DATA_DIR", str(tmp_path))

    nb = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT))  # type: ignore[no-untyped-call]
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()

    # The kernel is this virtualenv's Python (python3 from the venv's ipykernel).
    connected = _stdout(_tagged(nb, "connect"))
    assert f"connected to {neo4j_settings.neo4j_uri}" in connected
    kernel_python = Path(connected.rsplit(" from ", 1)[1].strip())
    assert kernel_python.parent == Path(sys.executable).parent, (kernel_python, sys.executable)

    nodes, rels = to_property_graph(bundled.graph)
    assert f"neo4j: nodes {len(nodes)} created, 0 updated, 0 deleted; relationships {len(rels)} created" in _stdout(
        _tagged(nb, "load")
    )

    report = json.loads(_stdout(nb.cells[-1]))
    nb.cells.pop()

    # No warning anywhere: nothing on standard error (Neo4j's notifications arrive there through
    # the driver's logger, Python's warnings too), and no cell printed one.
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        streams = [o for o in cell.outputs if o.output_type == "stream"]
        assert not [o.text for o in streams if o.name == "stderr"], cell.source[:80]
        assert "warn" not in "".join(o.text for o in streams).lower(), cell.source[:80]

    # Tables are DataFrames, shown as HTML tables; figures are drawn as PNG images.
    for tag in ("flows", "supplies", "treaties", "deployments", "breaches", "rdf"):
        assert "text/html" in _kinds(_tagged(nb, tag)), tag
    for tag in ("timeline", "network"):
        assert "image/png" in _kinds(_tagged(nb, tag)), tag
    tables = report["tables"]
    assert tables["flow_events"]["rows"] == len(report["flows"])
    assert tables["flow_claims"]["rows"] == sum(len(f["claims"]) for f in report["flows"])
    assert {"event", "kind", "start", "start precision", "undated", "sources"} <= set(tables["flow_events"]["columns"])
    assert {"source", "status", "grading", "quantity", "quote"} <= set(tables["flow_claims"]["columns"])
    assert all(tables[name]["rows"] > 0 for name in tables), tables

    # The who-supplies-whom projection: DPRK to Russia is the heaviest edge.
    assert report["supplies"][0]["source"] == "PRK" and report["supplies"][0]["target"] == "RUS"
    assert report["supplies"][0]["weight"] >= 10

    # The RDF export in rdflib: transfers from the DPRK to Russia, by the source that reports them.
    assert report["triples"] > 100
    by_source = {row["source"]: row["transfers"] for row in report["transfers_by_source"]}
    # The flows query's transfers (since 2023, or undated) are all the DPRK's transfers to Russia
    # in the bundled data, and the analysts' source notes assert every one of them.
    transfers = {f["event"] for f in report["flows"] if f["kind"] == "MaterielTransfer"}
    assert max(by_source.values()) == len(transfers), (by_source, transfers)
    assert all(count > 0 for count in by_source.values()) and len(by_source) >= 2, by_source

    flows = {row["event"]: row for row in report["flows"]}
    containers = flows["prk-rus-munitions-containers"]
    assert (containers["start"], containers["startPrecision"], containers["end"], containers["undated"]) == (
        "2023-09-01",
        "month",
        None,
        False,
    )
    assert {c["source"] for c in containers["claims"]} == {"source-notes", "voice-news-article"}
    assert {"value": 20000, "unit": "containers", "qualifier": "more-than"} in [c["quantity"] for c in containers["claims"]]
    ammunition = flows["prk-rus-ammunition-2024"]
    assert {(c["source"], c["quantity"]["qualifier"]) for c in ammunition["claims"]} == {
        ("source-notes", "as-many-as"),
        ("voice-news-article", "nearly"),
    }
    # Undated flows are kept, flagged and listed after the dated ones.
    assert flows["prk-rus-ballistic-missiles"]["undated"] is True
    order = [row["undated"] for row in report["flows"]]
    assert order == sorted(order)
    # Flows the other way, or before the window, are not there.
    assert "rus-prk-refined-petroleum-2024" not in flows

    treaties = report["treaties"]
    assert [t["treaty"] for t in treaties] == ["rus-prk-csp-2024"]
    article_4 = next(p for p in treaties[0]["provisions"] if p["article"] == 4)
    assert article_4["kind"] == "mutual-defence"

    deployments = {row["deployment"]: row for row in report["deployments"]}
    assert set(deployments) == {"prk-rus-troops-2024", "prk-rus-troops-2025"}
    assert all(row["host"] == "RUS" and row["locations"] == ["kursk-oblast"] for row in deployments.values())

    breaches = report["breaches"]
    assert [(b["measure"], b["transfer"], b["supplier"], b["recipient"]) for b in breaches] == [
        ("dprk-refined-petroleum-cap", "rus-prk-refined-petroleum-2024", "RUS", "PRK")
    ]
    assert breaches[0]["resolutions"] == [2375, 2397]
    assert [c["source"] for c in breaches[0]["claims"]] == ["source-notes"]
    assert "500,000 barrels/year cap of UNSC resolution 2397" in breaches[0]["claims"][0]["quote"]

"""`POST /sources`: off by default; with a token: validated, atomic, seen without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, LiveServer


def compiled_article() -> str:
    """The first article's sheet compiled to TriG: a valid source as a client would POST it."""
    from hubgraph.config import Settings
    from hubgraph.loader import read_and_check
    from hubgraph.sheets.rdf import trig

    settings = Settings(data_dir=ROOT / "data", ontology_dir=ROOT / "ontology")
    (source,) = read_and_check(
        [ROOT / "data" / "sources" / "gbnews-2025-10-kosovo-return-hub.yaml"],
        settings.ontology_dir / "shapes.ttl",
        register=settings.data_dir / "register.yaml",
        sources_dir=settings.sources_dir,
    )
    return trig(source.dataset).decode()


ARTICLE = compiled_article()
SECOND = ARTICLE.replace("gbnews-2025-10-kosovo-return-hub", "gbnews-second-copy")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("writable")
    live = LiveServer(folder / "store", {"HUBGRAPH_WRITE_TOKEN": "s3cret"})
    yield live
    live.stop()


def count(url: str) -> int:
    body = httpx.get(f"{url}/sparql", params={"query": COUNT}, timeout=30).json()
    return int(body["results"]["bindings"][0]["n"]["value"])


def post(
    url: str, body: str, token: str | None = "s3cret", kind: str = "application/trig"
) -> httpx.Response:
    headers = {"Content-Type": kind}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{url}/sources", content=body.encode(), headers=headers, timeout=60)


def test_no_write_endpoint_without_a_token(http: httpx.Client) -> None:
    response = http.post("/sources", content=SECOND, headers={"Content-Type": "application/trig"})
    assert response.status_code in {404, 405}
    assert response.json()["error"] in {"not-found", "method-not-allowed"}


def test_token_is_required(writable: LiveServer) -> None:
    for token in (None, "wrong"):
        response = post(writable.url, SECOND, token)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"


def test_unsupported_type(writable: LiveServer) -> None:
    response = post(writable.url, SECOND, kind="application/pdf")
    assert response.status_code == 415


def test_invalid_source_changes_nothing(writable: LiveServer) -> None:
    before = count(writable.url)
    broken = SECOND.replace("\t\thg:holder country:montenegro ;\n", "", 1)
    response = post(writable.url, broken)
    assert response.status_code == 400
    assert response.json()["error"] == "validation-failed"
    assert "stance/gbnews-second-copy/montenegro-open-if-investment" in response.json()["message"]
    assert count(writable.url) == before


def test_a_new_source_is_queryable_without_a_restart(writable: LiveServer) -> None:
    before = count(writable.url)
    response = post(writable.url, SECOND)
    assert response.status_code == 201, response.text
    graphs = response.json()["graphs"]
    assert list(graphs) == ["https://w3id.org/hubgraph/source/gbnews-second-copy"]
    assert (
        count(writable.url)
        == before + graphs["https://w3id.org/hubgraph/source/gbnews-second-copy"]
    )
    again = post(writable.url, SECOND)  # loading again replaces: same count
    assert again.status_code == 201
    assert (
        count(writable.url)
        == before + graphs["https://w3id.org/hubgraph/source/gbnews-second-copy"]
    )


ONTOLOGY_GRAPH = "https://w3id.org/hubgraph/graph/ontology"
SHAPES_GRAPH = "https://w3id.org/hubgraph/graph/shapes"


def graph_count(url: str, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    body = httpx.get(f"{url}/sparql", params={"query": query}, timeout=30).json()
    return int(body["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    "graph",
    [
        ONTOLOGY_GRAPH,
        SHAPES_GRAPH,
        "https://example.org/elsewhere",
        "https://w3id.org/hubgraph/source/",
    ],
)
def test_a_token_holder_cannot_replace_the_ontology_shapes_or_other_graphs(
    writable: LiveServer, graph: str
) -> None:
    before = {g: graph_count(writable.url, g) for g in (ONTOLOGY_GRAPH, SHAPES_GRAPH)}
    total = count(writable.url)
    # A valid source, with its graph renamed to the one under attack, plus a harmless one.
    body = SECOND.replace("src:gbnews-second-copy {", f"<{graph}> {{", 1)
    assert f"<{graph}>" in body
    response = post(writable.url, body)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "graph-not-allowed"
    assert graph in response.json()["message"]
    assert {g: graph_count(writable.url, g) for g in (ONTOLOGY_GRAPH, SHAPES_GRAPH)} == before
    assert count(writable.url) == total


def test_turtle_cannot_name_its_way_out_of_the_source_namespace(writable: LiveServer) -> None:
    # (with a declared property: an undeclared one is refused whatever the graph)
    response = post(writable.url, '<https://e.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "c" .',
                    kind="text/turtle")  # fmt: skip
    assert response.status_code == 201, response.text
    assert list(response.json()["graphs"]) == ["https://w3id.org/hubgraph/source/upload"]

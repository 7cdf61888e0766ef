"""A store's own text of a canned query (``queries/<kind>/NAME.rq``): read beside the main
file, refused when it stands in for nothing or takes other parameters, and picked by the
service after the kind of store it runs on."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.config import Settings
from hubgraph.errors import ConfigError
from hubgraph.executor import InlineExecutor
from hubgraph.queries import QueryRegistry
from hubgraph.remote import RemoteStore
from hubgraph.service import QueryService
from hubgraph.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
MAIN = """#+ title: Things
#+ description: Every thing.
#+ param: kind iri optional default=http://e/a -- the kind
SELECT ?text WHERE { BIND("main" AS ?text) }
"""
OWN = """#+ title: Ignored
#+ param: kind iri optional default=http://e/a -- described otherwise, which is fine
SELECT ?text WHERE { BIND("virtuoso" AS ?text) }
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_a_store_text_stands_in_for_the_main_one(tmp_path: Path) -> None:
    registry = QueryRegistry(write(tmp_path, {"things.rq": MAIN, "virtuoso/things.rq": OWN}))
    assert list(registry.queries) == ["things"]  # the folder adds no query of its own
    query = registry.get("things")
    assert query.title == "Things" and query.description == "Every thing."
    assert query.for_store("oxigraph").text == MAIN
    assert query.for_store("remote").text == MAIN
    virtuoso = query.for_store("virtuoso")
    assert virtuoso.text == OWN
    assert (virtuoso.title, virtuoso.parameters) == (query.title, query.parameters)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"virtuoso/other.rq": OWN}, "no .*other.rq for it to stand in for"),
        ({"virtuoso/things.rq": "SELECT * WHERE { ?s ?p ?o }"}, "other parameters"),
        ({"virtuoso/things.rq": OWN.replace("default=http://e/a", "required")}, "other param"),
        ({"virtuoso/things.rq": OWN.replace("iri optional", "string optional")}, "other param"),
        ({"virtuso/things.rq": OWN}, "named after a store kind"),
    ],
    ids=["no-main-query", "no-parameters", "required", "other-type", "misspelt-folder"],
)
def test_refused_store_texts(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        QueryRegistry(write(tmp_path, {"things.rq": MAIN, **files}))


def test_a_folder_without_queries_is_left_alone(tmp_path: Path) -> None:
    registry = QueryRegistry(write(tmp_path, {"things.rq": MAIN, "notes/README.md": "x"}))
    assert list(registry.queries) == ["things"]


def test_the_repository_queries() -> None:
    """changes has Virtuoso's text; the folder adds no query to list."""
    registry = QueryRegistry(ROOT / "queries")
    assert sorted(registry.queries) == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    changes = registry.get("changes")
    assert set(changes.texts) == {"virtuoso"}
    assert changes.for_store("virtuoso").text != changes.text


class VirtuosoLike(OxigraphStore):
    """An embedded store that says it is Virtuoso."""

    kind = "virtuoso"


@pytest.mark.parametrize(("store_class", "expected"), [(OxigraphStore, "main"),
                                                        (VirtuosoLike, "virtuoso")])  # fmt: skip
def test_the_service_runs_the_text_of_its_store(
    tmp_path: Path, store_class: type[OxigraphStore], expected: str
) -> None:
    registry = QueryRegistry(write(tmp_path, {"things.rq": MAIN, "virtuoso/things.rq": OWN}))
    store = store_class(None)
    service = QueryService(Settings(service_allowlist=()), store, InlineExecutor(store), registry)
    page = service.canned("things", {})
    assert [row[0] for row in page.rows] == [ox.Literal(expected)]
    assert page.query.title == "Things"


def test_a_remote_store_is_asked_its_kind_again_while_it_does_not_answer() -> None:
    store = RemoteStore("http://127.0.0.1:9/sparql", timeout=1.0)  # nothing listens on port 9
    try:
        assert store.kind == "remote"
        assert not store.kind_known  # asked again next time
    finally:
        store.close()

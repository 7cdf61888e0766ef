"""Loading: validation before writing, atomic failure, idempotent replacement."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph import store as store_module
from hubgraph.config import Settings
from hubgraph.errors import LoadError, SourceSyntaxError, ValidationError
from hubgraph.loader import read_and_check
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore
from hubgraph.vocabulary import ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE

ARTICLE = "gbnews-2025-10-kosovo-return-hub"


def article_text(settings: Settings) -> str:
    return (settings.data_dir / f"{ARTICLE}.trig").read_text(encoding="utf-8")


def snapshot(store: OxigraphStore) -> list[str]:
    """The store's quads exactly, blank node labels included."""
    return sorted(str(q) for q in store.quads())


def canonical(store: OxigraphStore) -> list[str]:
    """The store's quads up to blank node labels, which each load mints anew."""
    dataset = ox.Dataset(store.quads())
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(str(q) for q in dataset)


@pytest.fixture
def disk_store(settings: Settings) -> OxigraphStore:
    store = OxigraphStore(settings.store)
    load_data(store, settings)
    return store


def write_variant(tmp_path: Path, text: str, name: str = "broken.trig") -> Path:
    path = tmp_path / "broken" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_all_of_data_in_one_call(disk_store: OxigraphStore) -> None:
    assert disk_store.graphs() == [ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE + ARTICLE]
    assert disk_store.count(SOURCE + ARTICLE) > 300
    assert disk_store.count() == sum(disk_store.count(g) for g in disk_store.graphs())


def test_loading_twice_gives_the_same_quads(disk_store: OxigraphStore, settings: Settings) -> None:
    before = canonical(disk_store)
    load_data(disk_store, settings)
    assert canonical(disk_store) == before
    assert len(before) == disk_store.count()


def test_syntax_error_names_file_and_line_and_changes_nothing(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    lines = article_text(settings).splitlines()
    at = lines.index("    stance:kosovo-uk-return-hubs")
    lines.insert(at, "    <http://example.org/a> <http://example.org/b> .")
    path = write_variant(tmp_path, "\n".join(lines))
    before = snapshot(disk_store)
    with pytest.raises(SourceSyntaxError) as caught:
        load_data(disk_store, settings, [path])
    assert str(path) in caught.value.message
    assert caught.value.line == at + 1
    assert f":{at + 1}:" in caught.value.message
    assert snapshot(disk_store) == before


def test_stance_without_holder_is_rejected_naming_node_and_shape(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    text = article_text(settings).replace("        hg:holder country:montenegro ;\n", "", 1)
    assert "hg:holder country:montenegro" not in text
    before = snapshot(disk_store)
    with pytest.raises(ValidationError) as caught:
        load_data(disk_store, settings, [write_variant(tmp_path, text)])
    message = caught.value.message
    assert "stance/montenegro-uk-return-hubs" in message
    assert "holder" in message and "shape" in message
    assert snapshot(disk_store) == before


def test_malformed_wikidata_iri_is_rejected(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    text = article_text(settings).replace(
        "owl:sameAs wd:Q236", "owl:sameAs <http://www.wikidata.org/entity/X236>", 1
    )
    before = snapshot(disk_store)
    with pytest.raises(ValidationError) as caught:
        load_data(disk_store, settings, [write_variant(tmp_path, text)])
    assert "country/montenegro" in caught.value.message
    assert "X236" in caught.value.message
    assert snapshot(disk_store) == before


def test_one_bad_file_among_several_loads_none(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    good = article_text(settings).replace(ARTICLE, "gbnews-copy")
    bad = (
        article_text(settings)
        .replace(ARTICLE, "gbnews-other")
        .replace("hg:towards policy:uk-return-hubs ;", "", 1)
    )
    paths = [write_variant(tmp_path, good, "a.trig"), write_variant(tmp_path, bad, "b.trig")]
    before = snapshot(disk_store)
    with pytest.raises(ValidationError):
        load_data(disk_store, settings, paths)
    assert snapshot(disk_store) == before
    assert SOURCE + "gbnews-copy" not in disk_store.graphs()
    assert SOURCE + "gbnews-other" not in disk_store.graphs()


def test_triples_outside_a_named_graph_are_refused(settings: Settings, tmp_path: Path) -> None:
    path = write_variant(tmp_path, "<http://example.org/a> <http://example.org/b> 'c' .\n")
    with pytest.raises(LoadError, match="outside any named graph"):
        read_and_check([path], settings.ontology_dir / "shapes.ttl")


def test_missing_file_and_unknown_type(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        read_and_check([tmp_path / "nope.trig"], settings.ontology_dir / "shapes.ttl")
    odd = tmp_path / "x.csv"
    odd.write_text("a,b\n")
    with pytest.raises(LoadError, match="unknown RDF file type"):
        read_and_check([odd], settings.ontology_dir / "shapes.ttl")


def test_large_sources_take_the_bulk_path_and_still_replace(
    disk_store: OxigraphStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = canonical(disk_store)
    monkeypatch.setattr(store_module, "TRANSACTION_LIMIT", 10)
    load_data(disk_store, settings)
    assert canonical(disk_store) == before
    assert disk_store.interrupted_load() == []


def test_a_load_moves_the_generation_marker(disk_store: OxigraphStore, settings: Settings) -> None:
    reader = OxigraphStore(settings.store, read_only=True)
    first = reader.generation
    load_data(disk_store, settings)
    reader.reopen_if_changed()
    assert reader.generation != first


def test_readers_see_a_new_source_after_reopening(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    reader = OxigraphStore(settings.store, read_only=True)
    extra = article_text(settings).replace(ARTICLE, "gbnews-second")
    load_data(disk_store, settings, [settings.data_dir, write_variant(tmp_path, extra, "s.trig")])
    ask = "ASK { GRAPH <https://w3id.org/hubgraph/source/gbnews-second> { ?s ?p ?o } }"
    reader.reopen_if_changed()
    assert bool(reader.query(ask)) is True
    assert isinstance(reader.query(ask), ox.QueryBoolean)


def test_an_interrupted_load_leaves_every_graph_at_its_published_version(
    disk_store: OxigraphStore, settings: Settings
) -> None:
    """The old recovery dropped every graph the journal named — the ontology and the shapes
    too — although they were intact. Now the working copy goes back to the published version."""
    from hubgraph.runtime import prepare_store

    before = {g: disk_store.count(g) for g in disk_store.graphs()}
    graph = SOURCE + ARTICLE
    disk_store._store.clear_graph(ox.NamedNode(graph))  # as a crash mid-write would leave it
    journal = Path(settings.store + ".loading")
    journal.write_text(json.dumps({"graphs": [ONTOLOGY_GRAPH, SHAPES_GRAPH, graph]}))
    disk_store.close()
    prepare_store(settings)
    reopened = OxigraphStore(settings.store, read_only=True)
    assert {g: reopened.count(g) for g in reopened.graphs()} == before
    writer = OxigraphStore(settings.store)
    assert {g: writer.count(g) for g in writer.graphs()} == before
    assert not journal.exists()


def test_a_failed_check_during_a_bulk_load_restores_what_it_replaced(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "TRANSACTION_LIMIT", 10)
    bad = (
        article_text(settings)
        .replace(ARTICLE, "gbnews-new")
        .replace("        hg:holder country:montenegro ;\n", "", 1)
    )
    before = snapshot(disk_store)
    with pytest.raises(ValidationError, match="holder"):
        load_data(disk_store, settings, [write_variant(tmp_path, bad, "new.trig")])
    assert snapshot(disk_store) == before
    assert disk_store.interrupted_load() == []


def test_a_bulk_load_of_new_graphs_that_passes_is_all_there(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "TRANSACTION_LIMIT", 10)
    good = article_text(settings).replace(ARTICLE, "gbnews-new")
    report = load_data(disk_store, settings, [write_variant(tmp_path, good, "new.trig")])
    assert disk_store.count(SOURCE + "gbnews-new") == report.graphs[SOURCE + "gbnews-new"]
    assert disk_store.count(SOURCE + "gbnews-new") == disk_store.count(SOURCE + ARTICLE)


def test_a_failed_check_during_a_bulk_load_of_only_new_graphs_leaves_nothing(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubgraph.loader import load_sources

    monkeypatch.setattr(store_module, "TRANSACTION_LIMIT", 10)
    bad = (
        article_text(settings)
        .replace(ARTICLE, "gbnews-new")
        .replace("owl:sameAs wd:Q236", "owl:sameAs <http://www.wikidata.org/entity/X236>", 1)
    )
    before = snapshot(disk_store)
    with pytest.raises(ValidationError, match="X236"):
        load_sources(
            disk_store,
            [write_variant(tmp_path, bad, "new.trig")],
            shapes=settings.ontology_dir / "shapes.ttl",
        )
    assert snapshot(disk_store) == before


def test_old_versions_are_pruned_and_readers_open_the_current_one(
    disk_store: OxigraphStore, settings: Settings
) -> None:
    from hubgraph.store import KEPT_VERSIONS, published_version, versions_dir

    for _ in range(KEPT_VERSIONS + 2):
        load_data(disk_store, settings)
    kept = sorted(p.name for p in versions_dir(Path(settings.store)).iterdir() if p.is_dir())
    assert len(kept) == KEPT_VERSIONS
    current = published_version(Path(settings.store))
    assert current is not None and current.name == kept[-1]
    reader = OxigraphStore(settings.store, read_only=True)
    assert canonical(reader) == canonical(disk_store)


def test_a_disk_error_mid_load_rolls_back_at_once(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from hubgraph.errors import StorageFailed

    monkeypatch.setattr(store_module, "TRANSACTION_LIMIT", 10)
    before, same = snapshot(disk_store), canonical(disk_store)

    def disk_full(step: str) -> None:
        if step == "extended":  # half the new quads written, the old graph already cleared
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "crash_point", disk_full)
    extra = article_text(settings).replace(ARTICLE, "gbnews-second")
    with pytest.raises(StorageFailed, match="the disk is full"):
        load_data(
            disk_store, settings, [settings.data_dir, write_variant(tmp_path, extra, "s.trig")]
        )
    assert snapshot(disk_store) == before
    assert disk_store.interrupted_load() == []
    assert snapshot(OxigraphStore(settings.store, read_only=True)) == before
    monkeypatch.setattr(store_module, "crash_point", lambda step: None)
    load_data(disk_store, settings)  # and the store takes the next load
    assert canonical(disk_store) == same

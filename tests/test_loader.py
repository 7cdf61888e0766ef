"""Loading: checks before writing, atomic failure, idempotent replacement.

The RDF variants are the first article's sheet compiled to TriG (`hubgraph compile`), edited
the way a hand-written TriG source could go wrong; each check's message is asserted exactly.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph import beside as beside_module
from hubgraph import loader as loader_module
from hubgraph import store as store_module
from hubgraph.config import Settings
from hubgraph.errors import LoadError, SourceSyntaxError
from hubgraph.graph.register import REGISTER_GRAPH
from hubgraph.loader import read_and_check
from hubgraph.runtime import load_data
from hubgraph.sheets.editorial import EDITORIAL_GRAPH
from hubgraph.sheets.rdf import trig
from hubgraph.sheets.yamlread import SheetError
from hubgraph.store import OxigraphStore
from hubgraph.vocabulary import ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE

ARTICLE = "gbnews-2025-10-kosovo-return-hub"
ID = "https://w3id.org/hubgraph/id/"


def article_text(settings: Settings) -> str:
    """The first article's sheet, compiled to TriG."""
    sheet = settings.data_dir / "sources" / f"{ARTICLE}.yaml"
    (source,) = read_and_check(
        [sheet], settings.ontology_dir / "shapes.ttl",
        register=settings.data_dir / "register.yaml", sources_dir=settings.sources_dir,
        data_dir=settings.data_dir,
    )  # fmt: skip
    return trig(source.dataset).decode()


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


@pytest.fixture(params=["checked-first", "checked-beside-the-write", "parsed-beside-the-write"])
def check_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Large loads check their sources in a child process while the store is written
    (hubgraph.beside), and leave the parse of large RDF files to it when the store may take
    them unparsed (tests/test_loader_beside.py; into a store that already holds other graphs
    they are parsed first after all); these tests run every way, with the same outcome."""
    if request.param != "checked-first":
        monkeypatch.setattr(loader_module, "CHECK_BESIDE_FROM", 0)
    if request.param == "parsed-beside-the-write":
        monkeypatch.setattr(loader_module, "PARSE_BESIDE_FROM", 0)
        monkeypatch.setattr(loader_module, "FILE_BESIDE_FROM", 0)
    return str(request.param)


def write_variant(tmp_path: Path, text: str, name: str = f"{ARTICLE}.trig") -> Path:
    path = tmp_path / "broken" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(caught: pytest.ExceptionInfo[SheetError]) -> list[str]:
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_store_is_empty_until_something_is_loaded(settings: Settings) -> None:
    """What serve asks before loading data/ into a new store (a count would read every quad)."""
    store = OxigraphStore(settings.store)
    assert store.is_empty()
    load_data(store, settings)
    assert not store.is_empty()


def test_load_all_of_data_in_one_call(disk_store: OxigraphStore) -> None:
    graphs = disk_store.graphs()
    for graph in (ONTOLOGY_GRAPH, SHAPES_GRAPH, REGISTER_GRAPH, EDITORIAL_GRAPH, SOURCE + ARTICLE):
        assert graph in graphs
    assert disk_store.count(SOURCE + ARTICLE) > 300
    assert disk_store.count() == sum(disk_store.count(g) for g in disk_store.graphs())


def test_loading_twice_gives_the_same_quads(
    disk_store: OxigraphStore, settings: Settings, check_mode: str
) -> None:
    before = canonical(disk_store)
    load_data(disk_store, settings)
    assert canonical(disk_store) == before
    assert len(before) == disk_store.count()


def test_a_compiled_sheet_loads_as_trig_too(settings: Settings, tmp_path: Path) -> None:
    text = article_text(settings).replace(ARTICLE, "gbnews-copy")
    (source,) = read_and_check(
        [write_variant(tmp_path, text, "gbnews-copy.trig")], settings.ontology_dir / "shapes.ttl",
        register=settings.data_dir / "register.yaml",
    )  # fmt: skip
    assert source.graphs == (SOURCE + "gbnews-copy",)


def test_syntax_error_names_file_and_line_and_changes_nothing(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    lines = article_text(settings).splitlines()
    at = next(
        i for i, line in enumerate(lines) if "montenegro-open-if-investment> a hg:Stance" in line
    )
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
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, check_mode: str
) -> None:
    text = article_text(settings).replace("\t\thg:holder country:montenegro ;\n", "", 1)
    assert "hg:holder country:montenegro" not in text
    before = snapshot(disk_store)
    path = write_variant(tmp_path, text)
    with pytest.raises(SheetError) as caught:
        load_data(disk_store, settings, [path])
    stance = f"{ID}stance/{ARTICLE}/montenegro-open-if-investment"
    line = line_of(path, f"<{stance}>")
    assert problems(caught) == [
        f"{path}:{line}: {stance} https://w3id.org/hubgraph/ontology#holder: A stance needs "
        "exactly one hg:holder, an hg:Actor IRI. (shape https://w3id.org/hubgraph/shapes#StanceShape)"
    ]
    assert snapshot(disk_store) == before


def test_undeclared_property_is_refused_with_its_line(settings: Settings, tmp_path: Path) -> None:
    text = article_text(settings).replace(
        "hg:voicedBy person:edi-rama", "hg:voiceBy person:edi-rama"
    )
    path = write_variant(tmp_path, text)
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    line = line_of(path, "hg:voiceBy")
    stance = f"{ID}stance/{ARTICLE}/albania-refuses"
    assert problems(caught) == [
        f"{path}:{line}: <https://w3id.org/hubgraph/ontology#voiceBy> (property, on <{stance}>) "
        "is not declared in ontology/hubgraph.ttl; use a declared term or declare it there with "
        "an English label and comment"
    ]


def test_undeclared_class_is_refused(settings: Settings, tmp_path: Path) -> None:
    text = article_text(settings).replace("a hg:ReportedClaim", "a hg:ReportedClam", 1)
    path = write_variant(tmp_path, text)
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert (
        f"{path}:{line_of(path, 'hg:ReportedClam')}: <https://w3id.org/hubgraph/ontology#ReportedClam> "
        "(class) is not declared in ontology/hubgraph.ttl; use a declared term or declare it "
        "there with an English label and comment"
    ) in problems(caught)


def test_a_date_that_is_no_xsd_date_is_refused(settings: Settings, tmp_path: Path) -> None:
    text = article_text(settings).replace(
        'dcterms:issued "2025-10"^^xsd:gYearMonth', 'dcterms:issued "May 2025"', 1
    )
    path = write_variant(tmp_path, text)
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert problems(caught) == [
        f"{path}:{line_of(path, 'dcterms:issued')}: <{SOURCE}{ARTICLE}> <http://purl.org/dc/terms/issued> "
        '"May 2025" is not an XSD date; write "YYYY-MM-DD"^^xsd:date, "YYYY-MM"^^xsd:gYearMonth '
        'or "YYYY"^^xsd:gYear'
    ]


def test_a_graph_not_named_after_its_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = write_variant(tmp_path, article_text(settings), "other-name.trig")
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert problems(caught) == [
        f"{path}:{line_of(path, f'src:{ARTICLE} {{')}: graph <{SOURCE}{ARTICLE}> does not match "
        f"the file name; a file other-name.trig holds exactly the graph <{SOURCE}other-name> "
        "(rename the file or the graph)"
    ]


def test_restating_another_sources_stance_is_refused(settings: Settings, tmp_path: Path) -> None:
    stance = f"{ID}stance/{ARTICLE}/albania-refuses"
    text = f"""
@prefix hg: <https://w3id.org/hubgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{SOURCE}second-source> {{
    <{stance}> rdfs:label "Albania refuses"@en .
}}
"""
    path = write_variant(tmp_path, text, "second-source.trig")
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert problems(caught) == [
        f"{path}:5: <{stance}> belongs to source '{ARTICLE}'; a source states only its own "
        "stances, claims, quotes and statements (give this one an IRI of its own)"
    ]


def test_two_sources_describing_one_stance_are_refused(settings: Settings, tmp_path: Path) -> None:
    stance = f"{ID}stance/kosovo-uk-return-hubs"
    body = f'<{stance}> <http://www.w3.org/2000/01/rdf-schema#label> "Kosovo"@en .'
    first = write_variant(tmp_path, f"<{SOURCE}one> {{ {body} }}", "one.trig")
    second = write_variant(tmp_path, f"<{SOURCE}two> {{ {body} }}", "two.trig")
    with pytest.raises(SheetError) as caught:
        read_and_check([first, second], settings.ontology_dir / "shapes.ttl")
    assert problems(caught) == [
        f"{second}: <{stance}> is also described by {first}; a stance or claim belongs to one "
        "source (give this one an IRI of its own)"
    ]


def test_evidence_in_another_source_is_refused(settings: Settings, tmp_path: Path) -> None:
    quote = f"{ID}quote/{ARTICLE}/kurti-obligation"
    stance = f"{ID}stance/second-source/kosovo"
    text = f"""
@prefix hg: <https://w3id.org/hubgraph/ontology#> .
<{SOURCE}second-source> {{
    <{stance}> hg:derivedFrom <{quote}> .
}}
"""
    path = write_variant(tmp_path, text, "second-source.trig")
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert problems(caught) == [
        f"{path}:4: the evidence <{quote}> of <{stance}> points into another source "
        f"('{ARTICLE}'); evidence must be a quote or statement of this source"
    ]


def test_a_register_entity_restated_in_a_source_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    text = article_text(settings).replace(
        f"src:{ARTICLE} {{",
        f'src:{ARTICLE} {{\n\tcountry:montenegro rdfs:label "Montenegro"@en .',
        1,
    )
    path = write_variant(tmp_path, text)
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert problems(caught) == [
        f"{path}:{line_of(path, 'country:montenegro rdfs:label')}: <{ID}country/montenegro> is an "
        "entity of the register: a source graph does not restate it (remove its triples here; "
        "edit data/register.yaml instead)"
    ]


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        (
            "Q999999",
            "Q999999 is not in the register (data/register.yaml); QIDs come from the register only",
        ),
        (
            "Q236",
            f"Q236 is Montenegro (country/montenegro) in the register, not <{ID}person/new-person>",
        ),
    ],
)
def test_a_qid_not_in_the_register_or_of_another_entity_is_refused(
    settings: Settings, tmp_path: Path, qid: str, expected: str
) -> None:
    text = f"""
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<{SOURCE}second-source> {{
    <{ID}person/new-person> owl:sameAs <http://www.wikidata.org/entity/{qid}> .
}}
"""
    path = write_variant(tmp_path, text, "second-source.trig")
    with pytest.raises(SheetError) as caught:
        read_and_check(
            [path],
            settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert f"{path}:4: {expected}" in problems(caught)


def test_one_bad_file_among_several_loads_none(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path
) -> None:
    good = article_text(settings).replace(ARTICLE, "gbnews-copy")
    bad = (
        article_text(settings)
        .replace(ARTICLE, "gbnews-other")
        .replace("\t\thg:towards policy:uk-return-hubs ;\n", "", 1)
    )
    paths = [
        write_variant(tmp_path, good, "gbnews-copy.trig"),
        write_variant(tmp_path, bad, "gbnews-other.trig"),
    ]
    before = snapshot(disk_store)
    with pytest.raises(SheetError, match="towards"):
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
    with pytest.raises(LoadError, match="unknown file type"):
        read_and_check([odd], settings.ontology_dir / "shapes.ttl")


def test_large_sources_take_the_bulk_path_and_still_replace(
    disk_store: OxigraphStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = canonical(disk_store)
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
    load_data(
        disk_store,
        settings,
        [settings.data_dir, write_variant(tmp_path, extra, "gbnews-second.trig")],
    )
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


def article_without_a_holder(settings: Settings) -> str:
    """The article as a new source, one of its stances without its holder (a SHACL fault)."""
    return (
        article_text(settings)
        .replace(ARTICLE, "gbnews-new")
        .replace("\t\thg:holder country:montenegro ;\n", "", 1)
    )


def test_a_failed_check_during_a_bulk_load_restores_what_it_replaced(
    disk_store: OxigraphStore,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    check_mode: str,
) -> None:
    bad = article_without_a_holder(settings)
    before = snapshot(disk_store)
    with pytest.raises(SheetError, match="holder"):
        load_data(disk_store, settings, [write_variant(tmp_path, bad, "gbnews-new.trig")])
    assert snapshot(disk_store) == before
    assert disk_store.interrupted_load() == []


def test_a_bulk_load_of_new_graphs_that_passes_is_all_there(
    disk_store: OxigraphStore,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    check_mode: str,
) -> None:
    good = article_text(settings).replace(ARTICLE, "gbnews-new")
    report = load_data(disk_store, settings, [write_variant(tmp_path, good, "gbnews-new.trig")])
    assert disk_store.count(SOURCE + "gbnews-new") == report.graphs[SOURCE + "gbnews-new"]
    assert disk_store.count(SOURCE + "gbnews-new") == disk_store.count(SOURCE + ARTICLE)


def test_a_failed_check_during_a_bulk_load_of_only_new_graphs_leaves_nothing(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubgraph.loader import load_sources

    bad = article_without_a_holder(settings)
    before = snapshot(disk_store)
    with pytest.raises(SheetError, match="holder"):
        load_sources(
            disk_store,
            [write_variant(tmp_path, bad, "gbnews-new.trig")],
            shapes=settings.ontology_dir / "shapes.ttl",
            register=settings.data_dir / "register.yaml",
        )
    assert snapshot(disk_store) == before


def test_checks_that_fail_in_their_child_process_are_run_again_in_process(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that cannot send its findings (here: pickling fails in it) is no verdict: the
    checks run again in the loading process and report the same problems."""
    monkeypatch.setattr(loader_module, "CHECK_BESIDE_FROM", 0)

    def broken(_: object) -> bytes:
        raise RuntimeError("no findings from the child")

    monkeypatch.setattr(beside_module.pickle, "dumps", broken)
    bad = article_without_a_holder(settings)
    before = snapshot(disk_store)
    with pytest.raises(SheetError, match="exactly one hg:holder"):
        load_data(disk_store, settings, [write_variant(tmp_path, bad, "gbnews-new.trig")])
    assert snapshot(disk_store) == before
    assert snapshot(OxigraphStore(settings.store, read_only=True)) == before
    assert disk_store.interrupted_load() == []


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

    before, same = snapshot(disk_store), canonical(disk_store)

    def disk_full(step: str) -> None:
        if step == "extended":  # half the new quads written, the old graph already cleared
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "crash_point", disk_full)
    extra = article_text(settings).replace(ARTICLE, "gbnews-second")
    with pytest.raises(StorageFailed, match="the disk is full"):
        load_data(
            disk_store,
            settings,
            [settings.data_dir, write_variant(tmp_path, extra, "gbnews-second.trig")],
        )
    assert snapshot(disk_store) == before
    assert disk_store.interrupted_load() == []
    assert snapshot(OxigraphStore(settings.store, read_only=True)) == before
    monkeypatch.setattr(store_module, "crash_point", lambda step: None)
    load_data(disk_store, settings)  # and the store takes the next load
    assert canonical(disk_store) == same


def test_a_stance_already_in_the_store_under_another_source_is_refused(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, check_mode: str
) -> None:
    stance = f"{ID}stance/kosovo-uk-return-hubs"
    body = f'<{stance}> <http://www.w3.org/2000/01/rdf-schema#label> "Kosovo"@en .'
    first = write_variant(tmp_path, f"<{SOURCE}one> {{ {body} }}", "one.trig")
    load_data(disk_store, settings, [first])
    second = write_variant(tmp_path, f"<{SOURCE}two> {{ {body} }}", "two.trig")
    before = snapshot(disk_store)
    with pytest.raises(SheetError) as caught:
        load_data(disk_store, settings, [second])
    assert problems(caught) == [
        f"{second}: <{stance}> is already described by <{SOURCE}one> in the store; a stance or "
        "claim belongs to one source (give this one an IRI of its own)"
    ]
    assert snapshot(disk_store) == before
    load_data(disk_store, settings, [first])  # replacing the source that owns it is fine


def test_a_load_checked_beside_the_write_leaves_the_sources_subjects_to_the_child(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child finds the subjects, the stance IRIs and the graph sizes; the parent, busy
    writing, reports the same sizes as a load checked first."""
    good = write_variant(tmp_path, article_text(settings).replace(ARTICLE, "gbnews-new"), "gbnews-new.trig")  # fmt: skip
    first = load_data(disk_store, settings, [good])
    parent = os.getpid()
    subjects = loader_module.Source.subjects.func  # type: ignore[attr-defined]

    def in_the_child_only(source: loader_module.Source) -> object:
        assert os.getpid() != parent, "the parent queried a source's subjects"
        return subjects(source)

    monkeypatch.setattr(loader_module, "CHECK_BESIDE_FROM", 0)
    monkeypatch.setattr(
        loader_module.Source, "subjects", functools.cached_property(in_the_child_only)
    )
    loader_module.Source.subjects.__set_name__(loader_module.Source, "subjects")
    assert load_data(disk_store, settings, [good]).graphs == first.graphs


# -- small sources validated together ------------------------------------------------------
def copies(settings: Settings, tmp_path: Path, count: int) -> list[Path]:
    """``count`` copies of the article as sources of their own (``gbnews-copy-N``)."""
    text = article_text(settings)
    return [
        write_variant(tmp_path, text.replace(ARTICLE, f"gbnews-copy-{n}"), f"gbnews-copy-{n}.trig")
        for n in range(count)
    ]


def problems_alone_and_together(
    settings: Settings, paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str], int]:
    """The problems of ``paths`` validated one by one and validated together (which must be
    the same), and how many times the shapes ran together."""
    runs: list[int] = []
    validate = loader_module.validate_store

    def counted(data: ox.Store, checks: list[loader_module.Check]) -> list[object]:
        runs.append(len(data))
        return validate(data, checks)  # type: ignore[return-value]

    def found() -> list[str]:
        reader = loader_module.Reader(
            settings.ontology_dir / "shapes.ttl", settings.data_dir / "register.yaml",
            settings.sources_dir, settings.data_dir,
        )  # fmt: skip
        reader.read(paths)
        return [str(p) for p in reader.problems]

    with monkeypatch.context() as alone:
        alone.setattr(loader_module.Reader, "_validate_together", lambda *_: set())
        one_by_one = found()
    monkeypatch.setattr(loader_module, "validate_store", counted)
    together = found()
    return one_by_one, together, len(runs)


def test_small_sources_validated_together_report_what_each_reports_alone(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = copies(settings, tmp_path, 8)
    for n, edit in ((2, "\t\thg:holder country:montenegro ;\n"), (5, "\t\thg:towards policy:uk-return-hubs ;\n")):  # fmt: skip
        paths[n].write_text(paths[n].read_text().replace(edit, "", 1))
    alone, together, runs = problems_alone_and_together(settings, paths, monkeypatch)
    assert together == alone
    assert [p.split(":")[0] for p in alone] == [str(paths[2]), str(paths[5])]
    # Once for all eight, then again alone for each of the two with findings.
    assert runs == 3


def test_one_bad_source_among_many_loads_none_and_names_it(
    disk_store: OxigraphStore, settings: Settings, tmp_path: Path, check_mode: str
) -> None:
    paths = copies(settings, tmp_path, 30)
    bad = paths[17]
    bad.write_text(bad.read_text().replace("\t\thg:holder country:montenegro ;\n", "", 1))
    before = snapshot(disk_store)
    with pytest.raises(SheetError) as caught:
        load_data(disk_store, settings, paths)
    stance = f"{ID}stance/gbnews-copy-17/montenegro-open-if-investment"
    assert problems(caught) == [
        f"{bad}:{line_of(bad, f'<{stance}>')}: {stance} "
        "https://w3id.org/hubgraph/ontology#holder: A stance needs exactly one hg:holder, an "
        "hg:Actor IRI. (shape https://w3id.org/hubgraph/shapes#StanceShape)"
    ]
    assert snapshot(disk_store) == before


ATLANTIS = f"{ID}country/atlantis"
HG_NS = "https://w3id.org/hubgraph/ontology#"


def atlantis_source(tmp_path: Path, name: str, body: str) -> Path:
    return write_variant(tmp_path, f"<{SOURCE}{name}> {{\n{body}\n}}\n", f"{name}.trig")


def test_a_value_described_by_another_source_is_checked_as_alone(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source's holder is an actor only by another source's triples: alone it fails, and
    validated with others it must fail the same way."""
    paths = copies(settings, tmp_path, 4)
    paths[1].write_text(
        paths[1].read_text().replace("hg:holder country:montenegro", f"hg:holder <{ATLANTIS}>", 1)
    )
    typing = atlantis_source(
        tmp_path, "gbnews-atlantis",
        f'<{ATLANTIS}> a <{HG_NS}Country>, <{HG_NS}Actor> ; '
        '<http://www.w3.org/2000/01/rdf-schema#label> "Atlantis"@en .',
    )  # fmt: skip
    alone, together, _ = problems_alone_and_together(
        settings, [*paths[:2], typing, *paths[2:]], monkeypatch
    )
    assert together == alone
    assert any(str(paths[1]) in p and "hg:holder" in p for p in alone)


def test_a_subclass_statement_is_validated_alone(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source that makes a class of its own a subclass of hg:Actor would make another
    source's holder an actor if they were validated in one dataset."""
    paths = copies(settings, tmp_path, 4)
    text = (
        paths[1].read_text().replace("hg:holder country:montenegro", f"hg:holder <{ATLANTIS}>", 1)
    )
    label = '<http://www.w3.org/2000/01/rdf-schema#label> "Atlantis"@en'
    island = f"<{ATLANTIS}> a <{HG_NS}Island> ; {label} ."
    paths[1].write_text(text + f"\n<{SOURCE}gbnews-copy-1> {{ {island} }}\n")
    subclass = atlantis_source(
        tmp_path, "gbnews-islands",
        f"<{HG_NS}Island> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{HG_NS}Actor> .",
    )  # fmt: skip
    alone, together, _ = problems_alone_and_together(settings, [*paths, subclass], monkeypatch)
    assert together == alone
    assert any(str(paths[1]) in p and "hg:holder" in p for p in alone)


def test_sources_describing_one_subject_are_validated_alone(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source's stance without its holder, another stating it: together it would have
    the one it needs (sh:minCount)."""
    paths = copies(settings, tmp_path, 3)
    paths[0].write_text(paths[0].read_text().replace("\t\thg:holder country:montenegro ;\n", "", 1))
    stance = f"{ID}stance/gbnews-copy-0/montenegro-open-if-investment"
    extra = atlantis_source(
        tmp_path, "gbnews-copy-9", f"<{stance}> <{HG_NS}holder> <{ID}country/kosovo> ."
    )
    alone, together, _ = problems_alone_and_together(settings, [*paths, extra], monkeypatch)
    assert together == alone
    assert any("also described by" in p for p in alone)
    assert any(str(paths[0]) in p and "hg:holder" in p for p in alone)

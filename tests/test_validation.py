"""The SHACL compiler agrees with pyshacl, the reference implementation, on real and broken data."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate as pyshacl_validate

from hubgraph.config import Settings
from hubgraph.errors import ConfigError
from hubgraph.loader import read_and_check, read_source
from hubgraph.sheets.rdf import trig
from hubgraph.validation import compile_shapes, load_shapes, validate_store

ARTICLE = "gbnews-2025-10-kosovo-return-hub.trig"
BREAKAGES = {
    "stance without holder": ("\t\thg:holder country:montenegro ;\n", ""),
    "malformed wikidata iri": (
        "owl:sameAs wd:Q236",
        "owl:sameAs <http://www.wikidata.org/entity/X236>",
    ),
    "quote without speaker": ("hg:speaker person:edi-rama", 'hg:note "speaker removed"'),
    "wikidata literal": ("owl:sameAs wd:Q222", 'owl:sameAs "Q222"'),
}


def reference_conforms(path: Path, shapes: Path) -> bool:
    data = rdflib.Dataset()
    data.parse(path, format="trig")
    merged = rdflib.Graph()
    for quad in data.quads((None, None, None, None)):
        merged.add(quad[:3])
    conforms, _, _ = pyshacl_validate(merged, shacl_graph=str(shapes), inference="none")
    return bool(conforms)


def ours(path: Path, shapes: Path) -> list[str]:
    return [str(v) for v in validate_store(read_source(path).dataset, load_shapes(shapes))]


@pytest.fixture
def shapes(settings: Settings) -> Path:
    return settings.ontology_dir / "shapes.ttl"


@pytest.fixture
def article(settings: Settings, shapes: Path, tmp_path: Path) -> Path:
    """The first article's sheet compiled to TriG, with the register beside it (its
    entities' types are stated there), as one file."""
    register, source = read_and_check(
        [
            settings.data_dir / "register.yaml",
            settings.data_dir / "sources" / ARTICLE.replace(".trig", ".yaml"),
        ],
        shapes,
        sources_dir=settings.sources_dir,
        data_dir=settings.data_dir,
    )
    both = ox.Store()
    both.extend([*register.dataset, *source.dataset])
    path = tmp_path / "article" / ARTICLE
    path.parent.mkdir()
    path.write_bytes(trig(both))
    return path


def test_the_article_conforms_for_both(article: Path, shapes: Path) -> None:
    path = article
    assert reference_conforms(path, shapes)
    assert ours(path, shapes) == []


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_broken_variants_fail_for_both(
    name: str, article: Path, shapes: Path, tmp_path: Path
) -> None:
    old, new = BREAKAGES[name]
    text = article.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / ARTICLE
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert not reference_conforms(path, shapes)
    assert ours(path, shapes), name


def test_unsupported_constraints_are_refused_not_skipped() -> None:
    shapes = """
    @prefix sh: <http://www.w3.org/ns/shacl#> .
    <http://example.org/S> sh:targetClass <http://example.org/C> ;
        sh:property [ sh:path <http://example.org/p> ; sh:or ( [ sh:datatype <http://example.org/d> ] ) ] .
    """
    with pytest.raises(ConfigError, match="sh:or"):
        compile_shapes(ox.parse(shapes.encode(), ox.RdfFormat.TURTLE))


def test_each_constraint_kind_reports_its_violation() -> None:
    shapes = """
    @prefix sh: <http://www.w3.org/ns/shacl#> .
    @prefix ex: <http://example.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    ex:S sh:targetClass ex:C ;
        sh:property [ sh:path ex:one ; sh:minCount 1 ; sh:maxCount 1 ] ,
                    [ sh:path ex:typed ; sh:datatype xsd:integer ] ,
                    [ sh:path ex:link ; sh:nodeKind sh:IRI ; sh:class ex:D ] ,
                    [ sh:path ex:code ; sh:pattern "^Q[0-9]+$" ] ,
                    [ sh:path ex:pick ; sh:in ( ex:a ex:b ) ] .
    """
    data = """
    @prefix ex: <http://example.org/> .
    ex:good a ex:C ; ex:one 1 ; ex:typed 2 ; ex:link ex:d ; ex:code "Q1" ; ex:pick ex:a .
    ex:d a ex:D .
    ex:bad a ex:C ; ex:one 1, 2 ; ex:typed "x" ; ex:link "lit" ; ex:code "X1" ; ex:pick ex:c .
    ex:empty a ex:C .
    """
    checks = compile_shapes(ox.parse(shapes.encode(), ox.RdfFormat.TURTLE))
    store = ox.Store()
    store.load(data.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://example.org/g"))
    found = validate_store(store, checks)
    by_focus: dict[str, set[str]] = {}
    for v in found:
        by_focus.setdefault(v.focus_node.rsplit("/", 1)[-1], set()).add(
            v.message.split(" (value")[0]
        )
    assert "good" not in by_focus
    assert by_focus["empty"] == {"expected at least 1 value(s) of http://example.org/one"}
    # maxCount, datatype, nodeKind-or-class (a value is reported once, for the first
    # constraint it fails), pattern, in
    assert len(by_focus["bad"]) == 5
    assert any(
        "must be a IRI" in m or "must be a http://example.org/D" in m for m in by_focus["bad"]
    )

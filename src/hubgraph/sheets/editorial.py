"""``data/editorial.yaml``: facts no source of the graph states (each with its reference),
and the coders' cross-source judgments (a misattribution contradicted by the sources that
name the right speaker). Compiled to the editorial graph, never into a source's graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from hubgraph.graph import dates
from hubgraph.graph.register import KINDS, LookupError_, Register
from hubgraph.sheets.catalog import Catalog
from hubgraph.sheets.format import _is_local
from hubgraph.sheets.yamlread import Node, Problems, date_precision, read_yaml
from hubgraph.vocabulary import HG, ID

EDITORIAL_GRAPH = "https://w3id.org/hubgraph/graph/editorial"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
FACT_KEYS = ("id", "text", "about", "date", "explains", "reference", "note")
JUDGMENT_KEYS = ("id", "text", "item", "contradicted_by", "reference", "note")


def editorial_path(data_dir: Path) -> Path:
    return data_dir / "editorial.yaml"


def compile_editorial(path: Path, register: Register, catalog: Catalog) -> list[ox.Quad]:
    """The editorial graph's quads; raises SheetError with every problem of the file."""
    problems = Problems(str(path))
    root = Node(read_yaml(path), "", problems, 1)
    root.check_keys(("editorial", "facts", "judgments"), required=("editorial",))
    if root.has("editorial") and root.data.get("editorial") != 1:
        root.error("editorial", "this hubgraph reads editorial format 1")
    g = ox.NamedNode(EDITORIAL_GRAPH)
    quads: list[ox.Quad] = []
    seen: set[str] = set()

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        quads.append(ox.Quad(s, ox.NamedNode(p), o, g))

    def item(node: Node) -> ox.NamedNode | None:
        local = node.text("id") or ""
        if not _is_local(local):
            node.error("id", f"{local!r} is not a local id (lower-case words joined by '-')")
            return None
        if local in seen:
            node.error("id", f"{local!r} is used twice")
            return None
        seen.add(local)
        return ox.NamedNode(f"{ID}editorial/{local}")

    def refs(node: Node, key: str) -> list[ox.NamedNode]:
        out = []
        for text, line in node.texts(key):
            iri, why = catalog.lookup(text)
            if iri is None:
                problems.add(line, node.field(key), why or "unknown item")
            else:
                out.append(ox.NamedNode(iri))
        return out

    for node in root.nodes("facts"):
        node.check_keys(FACT_KEYS, required=("id", "text", "reference"))
        s = item(node)
        about = []
        for text, line in node.texts("about"):
            try:
                about.append(register.find(text, frozenset(KINDS)))
            except LookupError_ as exc:
                problems.add(line, node.field("about"), exc.message)
        date = node.date("date")
        explains = refs(node, "explains")
        if s is None:
            continue
        add(s, RDF_TYPE, ox.NamedNode(HG + "EditorialFact"))
        if paraphrase := node.text("text"):
            add(s, RDFS_LABEL, ox.Literal(paraphrase, language="en"))
            add(s, HG + "paraphrase", ox.Literal(paraphrase))
        for entity in about:
            add(s, HG + "about", ox.NamedNode(entity.iri))
        if date:
            add(s, HG + "date", ox.Literal(date, datatype=ox.NamedNode(dates.datatype(date))))
            add(s, HG + "datePrecision", ox.Literal(date_precision(date)))
        for target in explains:
            add(s, HG + "explains", target)
        for key, prop in (("reference", "reference"), ("note", "note")):
            if value := node.text(key):
                add(s, HG + prop, ox.Literal(value))
    for node in root.nodes("judgments"):
        node.check_keys(
            JUDGMENT_KEYS, required=("id", "text", "item", "contradicted_by", "reference")
        )
        s = item(node)
        judged = refs(node, "item")
        by = refs(node, "contradicted_by")
        if s is None:
            continue
        add(s, RDF_TYPE, ox.NamedNode(HG + "EditorialJudgment"))
        if paraphrase := node.text("text"):
            add(s, RDFS_LABEL, ox.Literal(paraphrase, language="en"))
            add(s, HG + "paraphrase", ox.Literal(paraphrase))
        for target in judged:
            add(s, HG + "judges", target)
            for other in by:
                add(other, HG + "contradicts", target)
        for key, prop in (("reference", "reference"), ("note", "note")):
            if value := node.text(key):
                add(s, HG + prop, ox.Literal(value))
    problems.raise_if_any()
    return quads

"""Loading sources into the store: parse, validate, then write atomically.

A source file is read whole and validated against the SHACL shapes before the store is
touched; several files load together or not at all. Each named graph of a file replaces the
graph of the same name in the store, so loading a source twice leaves the same quads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from hubgraph.errors import GraphNotAllowed, LoadError, SourceSyntaxError, ValidationError
from hubgraph.store import GraphStore
from hubgraph.validation import Check, load_shapes, validate_store
from hubgraph.vocabulary import ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE

FORMATS_BY_SUFFIX = {
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


@dataclass(frozen=True)
class Source:
    """A parsed source: its quads in an in-memory dataset, by named graph."""

    path: Path
    dataset: ox.Store
    graphs: tuple[str, ...]

    @property
    def quad_count(self) -> int:
        return len(self.dataset)

    def graph_sizes(self) -> dict[str, int]:
        rows = self.dataset.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        return {row["g"].value: int(row["n"].value) for row in rows}  # type: ignore[union-attr]


def source_files(paths: Iterable[Path]) -> list[Path]:
    """The RDF files named by ``paths``; a directory stands for the RDF files inside it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in FORMATS_BY_SUFFIX))
        elif path.exists():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such file or directory")
    return files


def read_source(path: Path, default_graph: str | None = None) -> Source:
    """Parse ``path``. Triples of a triple format go into ``default_graph`` (by default the
    source graph named after the file); a quad format must keep every fact in a named graph."""
    fmt = FORMATS_BY_SUFFIX.get(path.suffix)
    if fmt is None:
        known = ", ".join(FORMATS_BY_SUFFIX)
        raise LoadError(f"{path}: unknown RDF file type {path.suffix!r} (known: {known})")
    dataset = ox.Store()
    to_graph = None if fmt.supports_datasets else ox.NamedNode(default_graph or SOURCE + path.stem)
    try:
        dataset.load(
            path=str(path), format=fmt, base_iri=path.resolve().as_uri(), to_graph=to_graph
        )
    except SyntaxError as exc:
        raise SourceSyntaxError(str(path), exc.msg, exc.lineno, exc.offset) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path}: cannot read it ({exc})") from None
    outside = sum(1 for _ in dataset.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    if outside:
        raise LoadError(
            f"{path}: {outside} triple(s) are outside any named graph; put every fact in the "
            "named graph of its source document"
        )
    graphs = tuple(sorted(g.value for g in dataset.named_graphs() if isinstance(g, ox.NamedNode)))
    if not graphs:
        raise LoadError(f"{path}: holds no triples")
    return Source(path, dataset, graphs)


def check_source(source: Source, checks: list[Check]) -> None:
    violations = validate_store(source.dataset, checks)
    if violations:
        raise ValidationError(str(source.path), violations)


def read_and_check(paths: Sequence[Path], shapes: Path) -> list[Source]:
    """Parse and validate every file; raise on the first bad one, before anything is written."""
    checks = load_shapes(shapes)
    sources = [read_source(p) for p in source_files(paths)]
    for source in sources:
        check_source(source, checks)
    graphs_seen: dict[str, Path] = {}
    for source in sources:
        for graph in source.graphs:
            if graph in graphs_seen:
                raise LoadError(
                    f"{source.path}: graph <{graph}> is also in {graphs_seen[graph]}; "
                    "a source document is one named graph in one file"
                )
            graphs_seen[graph] = source.path
    return sources


def ontology_sources(ontology_dir: Path) -> list[Source]:
    sources = []
    for name, graph in (("hubgraph.ttl", ONTOLOGY_GRAPH), ("shapes.ttl", SHAPES_GRAPH)):
        path = ontology_dir / name
        if path.exists():
            sources.append(read_source(path, default_graph=graph))
    return sources


@dataclass(frozen=True)
class LoadReport:
    graphs: dict[str, int]
    """Quads written, by named graph."""

    @property
    def quad_count(self) -> int:
        return sum(self.graphs.values())


def load_sources(
    store: GraphStore,
    paths: Sequence[Path],
    *,
    shapes: Path,
    ontology_dir: Path | None = None,
    only_under: str | None = None,
) -> LoadReport:
    """Validate ``paths`` (files or directories) and write them, with the ontology when
    ``ontology_dir`` is given, in one transaction: a bad file anywhere writes nothing.
    ``only_under`` refuses any graph whose name does not start with it (loads over HTTP may
    add or replace source graphs, never the ontology or the shapes)."""
    sources = read_and_check(paths, shapes)
    if only_under is not None:
        for source in sources:
            outside = [
                g for g in source.graphs if not (g.startswith(only_under) and g != only_under)
            ]
            if outside:
                raise GraphNotAllowed(
                    f"{source.path.name}: graph <{outside[0]}> is not a source graph; a load "
                    f"may only write graphs under <{only_under}>, so nothing was loaded"
                )
    if ontology_dir is not None:
        sources = ontology_sources(ontology_dir) + sources
    store.replace_graphs([s.dataset for s in sources])
    return LoadReport({g: n for s in sources for g, n in s.graph_sizes().items()})

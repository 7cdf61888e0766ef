"""Loading sources into the store: read, check, validate, then write atomically.

A source is a coding sheet (``data/sources/*.yaml``), the entity register
(``data/register.yaml``), the editorial file (``data/editorial.yaml``) or an RDF file (TriG and
the like). Each is compiled or parsed whole into an in-memory dataset, checked (declared terms,
XSD dates, its graph named after its file, no restated register entity or other source's stance,
evidence within the source) and validated against the SHACL shapes — with the register beside
it, since the entities it points at are described there — before the store is touched. Several
files load together or not at all, and every problem of every file is reported at once. Each
named graph replaces the graph of the same name in the store, so loading twice leaves the same
quads.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from hubgraph.beside import ChecksBeside, can_fork
from hubgraph.checks import LineFinder, check_dataset, declared_terms, overlapping_subjects
from hubgraph.errors import (
    GraphNotAllowed,
    HubgraphError,
    LoadError,
    QueryFailed,
    SourceSyntaxError,
)
from hubgraph.graph.register import REGISTER_GRAPH, Register
from hubgraph.graph.register_cache import read_register_cached
from hubgraph.sheets.catalog import Catalog
from hubgraph.sheets.compile import compile_sheet
from hubgraph.sheets.editorial import EDITORIAL_GRAPH, compile_editorial
from hubgraph.sheets.format import read_sheet
from hubgraph.sheets.yamlread import Problem, SheetError
from hubgraph.store import GraphStore, OxigraphStore, RdfFile
from hubgraph.validation import Check, load_shapes, validate_store
from hubgraph.vocabulary import ID, ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE

FORMATS_BY_SUFFIX = {
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
SHEET_SUFFIXES = (".yaml", ".yml")
REGISTER_FILE = "register.yaml"
EDITORIAL_FILE = "editorial.yaml"


@dataclass(frozen=True)
class Source:
    """A parsed or compiled source: its quads in an in-memory dataset, by named graph."""

    path: Path
    dataset: ox.Store
    graphs: tuple[str, ...]
    kind: str = "rdf"
    """rdf, sheet, register or editorial."""
    places: dict[str, tuple[int | None, str]] = field(default_factory=dict)
    """For a sheet: IRI → (line, field) it was compiled from."""
    data: bytes | None = None
    """For a large RDF file (see :class:`Pending`): the bytes parsed, which the store on disk
    bulk-loads as they are rather than from the dataset (1e6 quads: a second less)."""

    @property
    def quad_count(self) -> int:
        return len(self.dataset)

    @cached_property
    def size(self) -> int:
        """:attr:`quad_count` as first counted: the engine counts an in-memory dataset by
        walking it (0.16 s at 1e6), and two checks ask. (Validation adds the register to a
        large source's dataset and takes it out again.)"""
        return self.quad_count

    @cached_property
    def subjects(self) -> frozenset[ox.NamedNode | ox.BlankNode]:
        """Every subject, found once by the engine: three checks need them, and walking every
        quad in Python for each took longer than parsing the file."""
        rows = self.dataset.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o }", use_default_graph_as_union=True
        )
        return frozenset(row["s"] for row in rows)  # type: ignore[union-attr,index,misc]

    @cached_property
    def named_subjects(self) -> set[str]:
        return {s.value for s in self.subjects if isinstance(s, ox.NamedNode)}

    def graph_sizes(self) -> dict[str, int]:
        rows = self.dataset.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        return {row["g"].value: int(row["n"].value) for row in rows}  # type: ignore[union-attr]


def source_files(paths: Iterable[Path]) -> list[Path]:
    """The source files named by ``paths``; a directory stands for the RDF files and sheets
    inside it and inside its ``sources/`` folder."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder in (path, path / "sources"):
                if folder.is_dir():
                    files.extend(
                        sorted(
                            p
                            for p in folder.iterdir()
                            if p.is_file()
                            and (p.suffix in FORMATS_BY_SUFFIX or p.suffix in SHEET_SUFFIXES)
                        )
                    )
        elif path.exists():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such file or directory")
    return files


def _rdf_file(path: Path, default_graph: str | None = None) -> RdfFile:
    """How ``path`` is parsed: its format, its base IRI and, for a triple format, the graph
    its triples go into (by default the source graph named after the file). No bytes yet."""
    fmt = FORMATS_BY_SUFFIX.get(path.suffix)
    if fmt is None:
        known = ", ".join([*FORMATS_BY_SUFFIX, *SHEET_SUFFIXES])
        raise LoadError(f"{path}: unknown file type {path.suffix!r} (known: {known})")
    to_graph = None if fmt.supports_datasets else ox.NamedNode(default_graph or SOURCE + path.stem)
    return RdfFile(str(path), b"", fmt, path.resolve().as_uri(), to_graph)


def read_source(path: Path, default_graph: str | None = None, data: bytes | None = None) -> Source:
    """Parse the RDF file ``path`` (or ``data``, its bytes as read before). Triples of a
    triple format go into ``default_graph`` (by default the source graph named after the
    file); a quad format must keep every fact in a named graph."""
    how = _rdf_file(path, default_graph)
    dataset = ox.Store()
    try:
        if data is None:
            dataset.load(
                path=str(path), format=how.format, base_iri=how.base_iri, to_graph=how.to_graph
            )
        else:
            dataset.load(
                input=data, format=how.format, base_iri=how.base_iri, to_graph=how.to_graph
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
    return Source(path, dataset, graphs, data=data)


def _dataset(quads: Iterable[ox.Quad]) -> ox.Store:
    # An in-memory dataset that only this load sees: no transaction needed, and a bulk insert
    # is several times faster than extend()'s.
    store = ox.Store()
    store.bulk_extend(quads)
    return store


def _source_of(
    path: Path,
    quads: list[ox.Quad],
    kind: str,
    places: dict[str, tuple[int | None, str]] | None = None,
) -> Source:
    dataset = _dataset(quads)
    graphs = tuple(sorted(g.value for g in dataset.named_graphs() if isinstance(g, ox.NamedNode)))
    return Source(path, dataset, graphs, kind, places or {})


@dataclass(frozen=True)
class Pending:
    """An RDF file read but not parsed yet: a load into a new store leaves its parse to the
    checks in their child process, while the store bulk-loads the very same bytes."""

    index: int
    """Its place among the sources parsed before it, so that it is checked in file order."""
    path: Path
    data: bytes

    def parsed(self) -> Source:
        return read_source(self.path, data=self.data)

    def file(self) -> RdfFile:
        return replace(_rdf_file(self.path), data=self.data)


def _file_of(source: Source) -> RdfFile | None:
    """A parsed source's file for the store to bulk-load (its graphs known), if it kept it."""
    if source.data is None:
        return None
    return replace(_rdf_file(source.path), data=source.data, graphs=source.graphs)


@dataclass
class Reader:
    """Reads a batch of source files against one register, collecting every problem."""

    shapes: Path
    register_file: Path | None = None
    sources_dir: Path | None = None
    data_dir: Path | None = None
    check_file_names: bool = True
    only_under: str | None = None
    register_cache: Path | None = None
    """Where the register as last read is kept (see :mod:`hubgraph.graph.register_cache`)."""
    problems: list[Problem] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    """The RDF files that :meth:`parse` was asked to leave unparsed, in file order."""
    _beside: ox.Store | None = field(default=None, init=False, repr=False)
    """The register alone, for small sources to be validated beside (see :meth:`_validate`)."""

    def read(self, paths: Sequence[Path]) -> list[Source]:
        sources, register = self.parse(paths)
        self.check(sources, register)
        return sources

    def parse(
        self, paths: Sequence[Path], defer: frozenset[Path] = frozenset()
    ) -> tuple[list[Source], Register | None]:
        """Every file read or compiled (their problems collected), before any check; the RDF
        files in ``defer`` only read, into :attr:`pending` (see :meth:`with_pending`)."""
        self.pending = []
        files = source_files(paths)
        named_register = [f for f in files if f.name == REGISTER_FILE]
        register_file = named_register[0] if named_register else self.register_file
        register: Register | None = None
        sources: list[Source] = []
        if register_file is not None and register_file.exists():
            try:
                register = read_register_cached(register_file, self.register_cache)
            except SheetError as exc:
                self.problems.extend(exc.problems)
            if register is not None and named_register:
                sources.append(_source_of(register_file, register.quads(), "register"))
        sheets = [
            f
            for f in files
            if f.suffix in SHEET_SUFFIXES and f.name not in {REGISTER_FILE, EDITORIAL_FILE}
        ]
        catalog = Catalog()
        if self.data_dir is not None and (self.data_dir / "sources").is_dir():
            catalog.add_sheets(sorted((self.data_dir / "sources").glob("*.yaml")))
        catalog.add_sheets(sheets)
        for path in files:
            if path.name == REGISTER_FILE:
                continue
            if path in defer:
                try:
                    self.pending.append(Pending(len(sources), path, path.read_bytes()))
                    continue
                except OSError:
                    pass  # parsed here, to say what a parse of it says
            if path.suffix in SHEET_SUFFIXES and register is None:
                if not self.problems:
                    self.problems.append(
                        Problem(
                            str(path),
                            None,
                            "",
                            "no entity register to resolve names against (data/register.yaml)",
                        )
                    )
                continue
            try:
                if path.name == EDITORIAL_FILE:
                    assert register is not None
                    sources.append(
                        _source_of(path, compile_editorial(path, register, catalog), "editorial")
                    )
                elif path.suffix in SHEET_SUFFIXES:
                    assert register is not None
                    compiled = compile_sheet(read_sheet(path), register, catalog, self.sources_dir)
                    sources.append(_source_of(path, compiled.quads, "sheet", compiled.places))
                else:
                    sources.append(read_source(path))
            except SheetError as exc:
                self.problems.extend(exc.problems)
            except LoadError:
                # A file before this one that was left unparsed may fail first, as it would
                # if it had been parsed in its turn.
                self.with_pending(sources)
                raise
        self._refuse_graphs_outside(sources)
        return sources, register

    def with_pending(self, sources: list[Source]) -> list[Source]:
        """``sources`` with the :attr:`pending` files parsed into their places; the first
        that fails raises, as :meth:`parse` raises for the first file it cannot parse."""
        merged = list(sources)
        for k, pending in enumerate(self.pending):
            merged.insert(pending.index + k, pending.parsed())
        return merged

    def _refuse_graphs_outside(self, sources: list[Source]) -> None:
        """Loads over HTTP may add or replace source graphs only: refused before any check."""
        if self.only_under is None:
            return
        for source in sources:
            outside = [
                g
                for g in source.graphs
                if not (g.startswith(self.only_under) and g != self.only_under)
            ]
            if outside:
                raise GraphNotAllowed(
                    f"{source.path.name}: graph <{outside[0]}> is not a source graph; a load "
                    f"may only write graphs under <{self.only_under}>, so nothing was loaded"
                )

    def check(self, sources: list[Source], register: Register | None) -> None:
        ontology = self.shapes.parent / "hubgraph.ttl"
        declared = declared_terms(ontology)
        register_subjects = set()
        register_quads: list[ox.Quad] = []
        if register is not None:
            register_quads = register.quads()
            register_subjects = {
                q.subject.value for q in register_quads if isinstance(q.subject, ox.NamedNode)
            }
        checks = load_shapes(self.shapes)
        self._beside = None  # built from this batch's register when a small source needs it
        clean = self._validate_together(sources, checks, register_quads)
        for source in sources:
            if source.kind == "register":
                found = check_dataset(
                    source.dataset,
                    source.path,
                    declared=declared,
                    register=None,
                    register_subjects=set(),
                    check_file_name=False,
                    subjects=source.named_subjects,
                )
            else:
                found = check_dataset(
                    source.dataset,
                    source.path,
                    declared=declared,
                    register=register,
                    register_subjects=register_subjects,
                    lines=LineFinder(source.path) if source.kind == "rdf" else None,
                    check_file_name=self.check_file_names and source.kind in {"rdf", "sheet"},
                    subjects=source.named_subjects,
                )
            self.problems.extend(found)
            if id(source) not in clean:
                self._validate(source, checks, register_quads)
        self.problems.extend(
            overlapping_subjects(
                (s.path, s.named_subjects)
                for s in sources
                # the editorial graph's judgments say that one source's item contradicts another's
                if s.kind != "editorial"
            )
        )
        graphs_seen: dict[str, Path] = {}
        for source in sources:
            for graph in source.graphs:
                if graph in graphs_seen:
                    self.problems.append(
                        Problem(
                            str(source.path),
                            None,
                            "",
                            f"graph <{graph}> is also in {graphs_seen[graph]}; a source "
                            "document is one named graph in one file (never a sheet and a "
                            "TriG file both)",
                        )
                    )
                graphs_seen[graph] = source.path

    def _validate_together(
        self, sources: list[Source], checks: list[Check], register_quads: list[ox.Quad]
    ) -> set[int]:
        """The ids of the small sources that validating them together, in one dataset with
        the register, finds clean: each is then clean alone too, and is not validated again.

        A thousand small sources validated one by one ran the shapes' queries a thousand
        times each (0.33 ms a query, some 50 s in all). Together, each source's findings are
        exactly its findings alone as long as no query of one can see another's triples:
        the queries read the focus node's own triples, the types of its values and, for
        sh:targetObjectsOf, the triples pointing at it. So a source joins only if none of its
        subjects is a subject or an object (a value) of a source already in, and none of its
        objects is a subject of one; a source that states rdfs:subClassOf (it would change
        every class's instances) or holds triple terms is left out. A source with findings
        is validated again alone, for its messages in the order one-at-a-time validation
        gives them."""
        if not checks or not register_quads:
            return set()
        subjects: set[ox.NamedNode | ox.BlankNode] = set()
        objects: set[ox.NamedNode | ox.BlankNode] = set()
        batch: list[Source] = []
        for source in sources:
            if not _small_enough(source, register_quads) or _sees_beyond_itself(source):
                continue
            own = source.subjects
            values = _resource_objects(source.dataset)
            if own.isdisjoint(subjects) and own.isdisjoint(objects) and values.isdisjoint(subjects):
                batch.append(source)
                subjects |= own
                objects |= values
        if len(batch) < 2:
            return set()
        # One bulk insert of everything: adding the sources one by one cost more than all
        # their queries together.
        together = _dataset(itertools.chain(register_quads, *(source.dataset for source in batch)))
        at_fault = {_focus(v.focus_node) for v in validate_store(together, checks)}
        return {id(source) for source in batch if source.subjects.isdisjoint(at_fault)}

    def _validate(self, source: Source, checks: list[Check], register_quads: list[ox.Quad]) -> None:
        if not checks:
            return
        own = source.subjects
        beside = source.kind != "register" and bool(register_quads)
        if beside and REGISTER_GRAPH not in source.graphs and source.size < len(register_quads):
            # A source smaller than the register goes beside it, in a dataset that holds the
            # register for the whole batch, and is taken out again: copying the register into
            # each of a thousand small sources cost a third of validating them.
            if self._beside is None:
                self._beside = _dataset(register_quads)
            self._beside.bulk_extend(source.dataset)
            try:
                found = validate_store(self._beside, checks)
            finally:
                for graph in source.graphs:
                    self._beside.remove_graph(ox.NamedNode(graph))
                self._beside.clear_graph(ox.DefaultGraph())
        elif beside and REGISTER_GRAPH not in source.graphs:
            # The register beside the source (its entities' types are stated there), added to
            # the source's own dataset and taken out again: copying a large source into a new
            # dataset for this cost more than validating it.
            source.dataset.bulk_extend(register_quads)
            try:
                found = validate_store(source.dataset, checks)
            finally:
                source.dataset.remove_graph(ox.NamedNode(REGISTER_GRAPH))
        elif beside:
            found = validate_store(_dataset([*source.dataset, *register_quads]), checks)
        else:
            found = validate_store(source.dataset, checks)
        violations = [v for v in found if _focus(v.focus_node) in own]
        if not violations:
            return
        if source.kind == "rdf":
            lines = LineFinder(source.path)
            for v in violations:
                line = lines.line(v.focus_node) if not v.focus_node.startswith("_:") else None
                self.problems.append(Problem(str(source.path), line, "", str(v)))
            return
        for v in violations:
            line, where = source.places.get(v.focus_node, (None, ""))
            on = f"{v.path}: " if v.path else ""
            self.problems.append(
                Problem(str(source.path), line, where, f"{on}{v.message} (shape {v.shape})")
            )


def _small_enough(source: Source, register_quads: list[ox.Quad]) -> bool:
    """A source validated beside the register, not in a dataset of its own (see
    :meth:`Reader._validate`)."""
    return (
        source.kind != "register"
        and REGISTER_GRAPH not in source.graphs
        and source.size < len(register_quads)
    )


def _sees_beyond_itself(source: Source) -> bool:
    """Whether a source's triples could change what the shapes find in another's: a
    subclass statement, or a triple term (whose inner triple the engine also matches)."""
    return bool(
        source.dataset.query(
            "ASK { { ?a <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?b } UNION "
            "{ ?s ?p ?o FILTER(isTRIPLE(?o)) } }",
            use_default_graph_as_union=True,
        )
    )


def _resource_objects(dataset: ox.Store) -> set[ox.NamedNode | ox.BlankNode]:
    rows = dataset.query(
        "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER(!isLiteral(?o)) }",
        use_default_graph_as_union=True,
    )
    return {row["o"] for row in rows}  # type: ignore[index,misc,union-attr]


def _focus(text: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(text[2:]) if text.startswith("_:") else ox.NamedNode(text)


def read_and_check(
    paths: Sequence[Path],
    shapes: Path,
    *,
    register: Path | None = None,
    sources_dir: Path | None = None,
    data_dir: Path | None = None,
    check_file_names: bool = True,
    only_under: str | None = None,
) -> list[Source]:
    """Read and check every file; raise (with every problem) before anything is written.
    ``only_under`` refuses any graph whose name does not start with it."""
    reader = Reader(shapes, register, sources_dir, data_dir, check_file_names, only_under)
    sources = reader.read(paths)
    if reader.problems:
        raise SheetError(reader.problems)
    return sources


STANCE_OR_CLAIM = (ID + "stance/", ID + "claim/")
CHUNK = 200


def _refuse_claimed_elsewhere(store: GraphStore, sources: list[Source]) -> None:
    """A stance or claim IRI that a graph already in the store (and not replaced by this load)
    describes belongs to that source: restating it is refused."""
    problems = _claimed_elsewhere(
        store, [s.path for s in sources], _graphs_of(sources), [_claimable(s) for s in sources]
    )
    if problems:
        raise SheetError(problems)


def _claimable(source: Source) -> list[str]:
    """The stance and claim IRIs ``source`` describes, which no other graph may describe."""
    if source.kind == "editorial":
        return []
    return sorted(s for s in source.named_subjects if s.startswith(STANCE_OR_CLAIM))


def _graphs_of(sources: Iterable[Source]) -> set[str]:
    return {g for s in sources for g in s.graphs}


def _claimed_elsewhere(
    store: GraphStore, paths: list[Path], replaced: set[str], claimable: list[list[str]]
) -> list[Problem]:
    """The problems of the IRIs in ``claimable`` (one list a source, at ``paths``) that a
    graph in the store other than the ``replaced`` ones describes. The same before the write
    as after it: the graphs it writes are the replaced ones."""
    problems: list[Problem] = []
    for path, subjects in zip(paths, claimable, strict=True):
        for i in range(0, len(subjects), CHUNK):
            values = " ".join(f"<{s}>" for s in subjects[i : i + CHUNK])
            pattern = f"VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }}"
            sparql = f"SELECT DISTINCT ?s ?g WHERE {{ {pattern} }}"
            rows = store.query(sparql)
            found = sorted((row["s"].value, row["g"].value) for row in rows)  # type: ignore[union-attr,index]
            for subject, graph in found:
                if graph not in replaced:
                    message = (
                        f"<{subject}> is already described by <{graph}> in the store; a stance "
                        "or claim belongs to one source (give this one an IRI of its own)"
                    )
                    problems.append(Problem(str(path), None, "", message))
    return problems


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
    register: Path | None = None,
    sources_dir: Path | None = None,
    data_dir: Path | None = None,
    check_file_names: bool = True,
) -> LoadReport:
    """Check ``paths`` (files or directories) and write them, with the ontology when
    ``ontology_dir`` is given, in one transaction: a bad file anywhere writes nothing.
    ``register`` is the register file that names are resolved against when ``paths`` hold
    none. ``only_under`` refuses any graph whose name does not start with it (loads over HTTP
    may add or replace source graphs, never the ontology, the shapes or the register)."""
    reader = Reader(
        shapes, register, sources_dir, data_dir, check_file_names, only_under, _cache_of(store)
    )
    sources, register_entities = reader.parse(paths, _deferrable(store, paths, only_under))
    ontology: list[Source] | None = None
    if reader.pending:
        ontology = ontology_sources(ontology_dir) if ontology_dir else []
        if (
            reader.problems
            or not PARSE_IN_CHILD
            or not _only_these_graphs(store, [*ontology, *sources])
        ):
            # Graphs of the files' own may be in the store: they must be known to be cleared.
            sources, ontology = reader.with_pending(sources), None
            reader.pending = []
    if reader.pending or _checks_beside_the_write(store, sources, reader, only_under):
        return _load_checking_beside(
            store, sources, reader, register_entities, ontology_dir, ontology
        )
    reader.check(sources, register_entities)
    if reader.problems:
        raise SheetError(reader.problems)
    _refuse_claimed_elsewhere(store, sources)
    if ontology_dir is not None:
        sources = ontology_sources(ontology_dir) + sources
    store.replace_graphs([s.dataset for s in sources])
    return _report(sources)


def _cache_of(store: GraphStore) -> Path | None:
    """The register cache of an embedded store on disk, beside its other files."""
    if isinstance(store, OxigraphStore) and store.path is not None and not store.read_only:
        return store.path.with_name(store.path.name + ".register-cache")
    return None


def _report(sources: list[Source]) -> LoadReport:
    return _report_of(s.graph_sizes() for s in sources)


def _report_of(sizes: Iterable[dict[str, int]]) -> LoadReport:
    """The report of a load whose sources hold these quads by named graph."""
    return LoadReport({g: n for part in sizes for g, n in part.items()})


CHECK_BESIDE_FROM = 50_000
"""Quads from which a load into the embedded store on disk checks its sources in a child
process while it writes them (below, the fork costs more than it saves)."""
PARSE_BESIDE_FROM = 3_000_000
"""Bytes of RDF files from which a load into a new store on disk leaves their parse to that
child too, and bulk-loads the files as they are (about 50,000 quads of TriG)."""
FILE_BESIDE_FROM = 1_000_000
"""Bytes of one RDF file from which it is among those files: each bulk load costs some 13 ms
of its own, so a thousand small files bulk-loaded one by one took four times as long as
parsing them here and writing them in one bulk load (bench/loads.py's many small sources);
from about 1 MB a file is cheaper to write from its bytes."""


PARSE_IN_CHILD = True
"""Whether a load into a new store leaves the parse of its large RDF files to the checks'
child (:class:`Pending`); otherwise, as for a store that holds other graphs, they are parsed
here first, and the store bulk-loads their bytes all the same."""


def _beside_possible(store: GraphStore, only_under: str | None) -> bool:
    return (
        isinstance(store, OxigraphStore)
        and store.path is not None
        and not store.read_only
        # Loads over HTTP run in the serving process, which does not fork.
        and only_under is None
        and can_fork()
    )


def _checks_beside_the_write(
    store: GraphStore, sources: list[Source], reader: Reader, only_under: str | None
) -> bool:
    return (
        _beside_possible(store, only_under)
        and not reader.problems
        and _hold_at_least(sources, CHECK_BESIDE_FROM)
    )


def _deferrable(
    store: GraphStore, paths: Sequence[Path], only_under: str | None
) -> frozenset[Path]:
    """The RDF files whose parse may be left to the checks' child (:class:`Pending`): the
    large ones, when the files are large together. Whether the store allows it is known once
    the other sources are read (see :func:`_only_these_graphs`); if not, they are parsed
    then."""
    if not _beside_possible(store, only_under):
        return frozenset()
    try:
        sizes = {f: f.stat().st_size for f in source_files(paths) if f.suffix in FORMATS_BY_SUFFIX}
    except OSError:
        return frozenset()
    if sum(sizes.values()) < PARSE_BESIDE_FROM:
        return frozenset()
    return frozenset(f for f, size in sizes.items() if size >= FILE_BESIDE_FROM)


def _only_these_graphs(store: GraphStore, sources: list[Source]) -> bool:
    """Whether the store's working copy holds no graph but those of ``sources``: an unparsed
    file's graphs are then new, or among those the load clears first (and the checks refuse
    a graph in two files)."""
    assert isinstance(store, OxigraphStore)
    return set(store.graphs()) <= _graphs_of(sources)


def _hold_at_least(sources: list[Source], quads: int) -> bool:
    """Whether ``sources`` hold ``quads`` quads or more, without counting them all: the
    engine counts an in-memory dataset by walking it (a third of a second at 1e6 quads)."""
    left = quads
    for source in sources:
        left -= sum(1 for _ in itertools.islice(source.dataset, left))
        if left <= 0:
            return True
    return False


@dataclass(frozen=True)
class Verdict:
    """What the checks in the child send back: their findings and, when there are none, what
    the parent would otherwise have to query its parsed datasets for after the write (a
    second or more at 1e6 quads, on the parent's core, which the write keeps busy)."""

    problems: list[Problem]
    paths: list[Path] = field(default_factory=list)
    """Every source's file, the unparsed ones (:class:`Pending`) included."""
    graphs: list[tuple[str, ...]] = field(default_factory=list)
    """Each source's named graphs."""
    claimable: list[list[str]] = field(default_factory=list)
    """Each source's stance and claim IRIs (see :func:`_claimable`)."""
    sizes: list[dict[str, int]] = field(default_factory=list)
    """Each source's quads by named graph."""


def _load_checking_beside(
    store: GraphStore,
    sources: list[Source],
    reader: Reader,
    register: Register | None,
    ontology_dir: Path | None,
    ontology: list[Source] | None = None,
) -> LoadReport:
    """:func:`load_sources` with the checks in a child process while the store is written:
    at 1e6 quads the write and the checks each take seconds, and pyoxigraph holds the
    interpreter lock while it writes. The store publishes the new graphs only once the checks
    have passed (``verify``) and otherwise rolls them back, so a bad file still writes
    nothing that readers see, and the problems reported, and which of them wins over a write
    error, are those of the checks in-process. The child also finds the sources' subjects,
    stance and claim IRIs and graph sizes, so that the parent only writes; whether another
    graph in the store describes one of those stances is asked once they are known, after the
    write and before the publication, of the version published before the write.

    The files left unparsed (``reader.pending``) are parsed in the child, before its checks,
    while the store bulk-loads their bytes: the parent never parses them into memory. A file
    that does not parse fails both; the child then sends no verdict, and the parent parses
    it to raise what a parse in-process raises."""
    beside = ChecksBeside(lambda: _verdict(reader, sources, register))
    try:
        if ontology is None:
            ontology = ontology_sources(ontology_dir) if ontology_dir else []
        written = ontology + sources
        verified = False
        sizes: list[dict[str, int]] | None = None

        def verify(after_failed_write: bool = False) -> None:
            nonlocal verified, sizes
            verified = True
            verdict = beside.outcome()
            if verdict is None:  # the child failed: the checks here say what it met
                verdict = _verdict(reader, sources, register)
            if verdict.problems:
                raise SheetError(verdict.problems)
            replaced = {g for graphs in verdict.graphs for g in graphs}
            try:
                claimed = _claimed_before_the_write(
                    store, verdict.paths, replaced, verdict.claimable
                )
            except QueryFailed:
                if not after_failed_write:
                    raise
                return  # the write's own error says more than a store that cannot answer
            if claimed:
                raise SheetError(claimed)
            sizes = verdict.sizes

        files = [p.file() for p in reader.pending]
        files += [f for f in map(_file_of, written) if f is not None]
        datasets = [s.dataset for s in written if s.data is None]
        try:
            if files:
                assert isinstance(store, OxigraphStore)
                store.replace_graphs(datasets, verify=verify, files=files)
            else:
                store.replace_graphs(datasets, verify=verify)
        except (HubgraphError, OSError, SyntaxError):
            if not verified:
                # A bad file is reported before a failed write, as without the child.
                verify(after_failed_write=True)
            raise
        assert sizes is not None
        return _report_of([*(s.graph_sizes() for s in ontology), *sizes])
    finally:
        beside.cancel()


def _claimed_before_the_write(
    store: GraphStore, paths: list[Path], replaced: set[str], claimable: list[list[str]]
) -> list[Problem]:
    """:func:`_claimed_elsewhere` asked of the store as it was before the write: its published
    version, which readers still see until the load publishes. Asked of the working copy
    just written, the same question also walks every quad of every stance written (2.2 s at
    1e6 quads, against next to nothing in a new store)."""
    if not isinstance(store, OxigraphStore) or store.path is None:
        return _claimed_elsewhere(store, paths, replaced, claimable)
    published = OxigraphStore(store.path, read_only=True)
    try:
        return _claimed_elsewhere(published, paths, replaced, claimable)
    finally:
        published.close()


def _verdict(reader: Reader, sources: list[Source], register: Register | None) -> Verdict:
    """The checks of every source, the unparsed ones parsed first (which raises, as a parse
    in-process does, for a file that does not parse)."""
    sources = reader.with_pending(sources)
    reader.check(sources, register)
    if reader.problems:
        return Verdict(reader.problems)
    return Verdict(
        [],
        [s.path for s in sources],
        [s.graphs for s in sources],
        [_claimable(s) for s in sources],
        [s.graph_sizes() for s in sources],
    )


__all__ = [
    "EDITORIAL_GRAPH",
    "REGISTER_GRAPH",
    "LoadReport",
    "Source",
    "load_sources",
    "read_and_check",
    "read_source",
    "source_files",
]

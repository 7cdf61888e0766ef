"""Checks a source must pass beyond the SHACL shapes, for TriG files and compiled sheets
alike: terms the ontology declares, XSD dates, its graph named after its file, no restated
register entity, stance or claim of another source, evidence within the source.

Each finding names the file and, for TriG, the first line where the offending term is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from hubgraph.graph.register import Register
from hubgraph.sheets.yamlread import Problem, valid_date
from hubgraph.vocabulary import HG, ID, SOURCE, WIKIDATA_ENTITY

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATE_TYPES = {XSD + "date", XSD + "gYearMonth", XSD + "gYear"}
DATE_PROPERTIES = {
    HG + "date",
    "http://purl.org/dc/terms/issued",
    HG + "start",
    HG + "end",
    HG + "statusUntil",
    HG + "codedOn",
}
OWNED = ("stance", "claim", "quote", "sentence", "condition")
"""IRI kinds that belong to one source: ``…/id/<kind>/<source-id>/<local>``."""
ALWAYS_DECLARED = {RDF_TYPE}
_PREFIX = re.compile(r"@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def declared_terms(ontology: Path) -> set[str]:
    """Every IRI the ontology declares (gives a type to), hg: terms and the external ones."""
    if not ontology.exists():
        return set()
    with ontology.open("rb") as f:
        triples = list(ox.parse(f, ox.RdfFormat.TURTLE, base_iri=ontology.resolve().as_uri()))
    return {
        t.subject.value
        for t in triples
        if t.predicate.value == RDF_TYPE and isinstance(t.subject, ox.NamedNode)
    } | ALWAYS_DECLARED


class LineFinder:
    """The first line of a TriG/Turtle file that writes a term (as <iri> or prefix:local)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # Read on the first look-up only: a source with nothing to report never needs its lines,
    # and reading and scanning a large file for prefixes took a second at a million quads.
    @cached_property
    def lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []

    @cached_property
    def prefixes(self) -> dict[str, str]:
        return {p or "": ns for line in self.lines for p, ns in _PREFIX.findall(line)}

    def line(self, iri: str) -> int | None:
        needles = [f"<{iri}>"]
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                needles.append(f"{prefix}:{iri[len(ns) :]}")
        for number, text in enumerate(self.lines, 1):
            if text.lstrip().startswith("@prefix"):
                continue
            for needle in needles:
                at = text.find(needle)
                if at >= 0 and (needle.startswith("<") or not _continues(text, at + len(needle))):
                    return number
        return None


def _continues(text: str, end: int) -> bool:
    return end < len(text) and (text[end].isalnum() or text[end] in "_-/")


EDITORIAL_GRAPH = "https://w3id.org/hubgraph/graph/editorial"


def owner_of(iri: str) -> str | None:
    """The source id an owned IRI (a stance, claim, quote, … of a sheet) belongs to."""
    if not iri.startswith(ID):
        return None
    parts = iri[len(ID) :].split("/")
    if len(parts) == 3 and parts[0] in OWNED:
        return parts[1]
    return None


def check_dataset(
    dataset: ox.Store,
    path: Path,
    *,
    declared: set[str],
    register: Register | None,
    register_subjects: set[str],
    lines: LineFinder | None = None,
    check_file_name: bool = True,
    subjects: set[str] | None = None,
) -> list[Problem]:
    """The findings on one source's dataset (empty: it may load). ``subjects``, when given,
    are its IRI subjects, found already."""
    found: list[Problem] = []
    file = str(path)

    def report(iri: str | None, message: str, line: int | None = None) -> None:
        if line is None and lines is not None and iri is not None:
            line = lines.line(iri)
        found.append(Problem(file, line, "", message))

    graphs = sorted(g.value for g in dataset.named_graphs() if isinstance(g, ox.NamedNode))
    source_graphs = [g for g in graphs if g.startswith(SOURCE)]
    if check_file_name and len(graphs) == 1:
        # A source file is one graph named after it. (A file of many graphs is a bulk
        # dataset, such as the benchmark's, and is not a source file.)
        expected = SOURCE + path.stem
        for g in graphs:
            if g != expected:
                report(
                    g,
                    f"graph <{g}> does not match the file name; a file {path.name} holds "
                    f"exactly the graph <{expected}> (rename the file or the graph)",
                )
    walk = _scan(dataset, declared, register, subjects)
    if walk is None:
        walk = _walk(dataset, declared, register)
    undeclared, bad_dates, subjects, in_source, derived = (
        walk.undeclared, walk.bad_dates, walk.subjects, walk.in_source, walk.derived
    )  # fmt: skip
    for iri, message in walk.same_as:
        report(iri, message)
    for term, use in sorted(undeclared.items()):
        report(
            term,
            f"<{term}> ({use}) is not declared in ontology/hubgraph.ttl; use a declared term "
            "or declare it there with an English label and comment",
        )
    for s_text, p, o in bad_dates:
        report(
            p,
            f'{s_text} <{p}> {o} is not an XSD date; write "YYYY-MM-DD"^^xsd:date, '
            '"YYYY-MM"^^xsd:gYearMonth or "YYYY"^^xsd:gYear',
        )
    for subject in sorted(subjects & register_subjects):
        report(
            subject,
            f"<{subject}> is an entity of the register: a source graph does not restate it "
            "(remove its triples here; edit data/register.yaml instead)",
        )
    own_ids = {g.removeprefix(SOURCE) for g in source_graphs}
    # Only a source graph is held to stating its own items only: the editorial graph's
    # judgments link items of several sources.
    for subject in sorted(subjects) if source_graphs else []:
        owner = owner_of(subject)
        # The editorial graph's judgments link items of several sources (X hg:contradicts Y).
        if owner is not None and owner not in own_ids and EDITORIAL_GRAPH not in graphs:
            report(
                subject,
                f"<{subject}> belongs to source {owner!r}; a source states only its own "
                "stances, claims, quotes and statements (give this one an IRI of its own)",
            )
    evidence = _evidence_problems(derived, in_source, subjects, own_ids)
    if evidence and not walk.exact:
        # Reported in the order of the quads, as the walk finds them.
        exact = _walk(dataset, declared, register)
        evidence = _evidence_problems(exact.derived, exact.in_source, exact.subjects, own_ids)
    for iri, message in evidence:
        report(iri, message)
    return found


@dataclass
class _Walked:
    """What the checks need from a dataset's quads, in the order the quads came in."""

    undeclared: dict[str, str] = field(default_factory=dict)
    bad_dates: list[tuple[str, str, ox.Literal]] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)
    in_source: dict[str, str] = field(default_factory=dict)
    derived: list[tuple[str, str]] = field(default_factory=list)
    same_as: list[tuple[str, str]] = field(default_factory=list)
    """(IRI, message) of each sameAs at fault."""
    exact: bool = True
    """False when found by :func:`_scan`: the same findings, not in the order of the quads."""


def _evidence_problems(
    derived: list[tuple[str, str]], in_source: dict[str, str], subjects: set[str], own: set[str]
) -> list[tuple[str, str]]:
    found = []
    for subject, evidence in derived:
        where = in_source.get(evidence)
        owner = owner_of(evidence)
        other = (where.removeprefix(SOURCE) if where else None) or owner
        if other is not None and other not in own:
            found.append((
                evidence,
                f"the evidence <{evidence}> of <{subject}> points into another source "
                f"({other!r}); evidence must be a quote or statement of this source",
            ))  # fmt: skip
        elif where is None and evidence not in subjects:
            found.append((
                evidence,
                f"the evidence <{evidence}> of <{subject}> is not described in this source; "
                "evidence must be a quote or statement of this source",
            ))  # fmt: skip
    return found


def _same_as_problem(s: object, o: ox.NamedNode, register: Register) -> str | None:
    qid = o.value.removeprefix(WIKIDATA_ENTITY)
    entity = register.by_qid(qid)
    if entity is None:
        return (
            f"{qid} is not in the register (data/register.yaml); QIDs come from the register only"
        )
    if isinstance(s, ox.NamedNode) and s.value != entity.iri:
        return f"{qid} is {entity} in the register, not <{s.value}>"
    return None


def _walk(dataset: ox.Store, declared: set[str], register: Register | None) -> _Walked:
    """Every quad, in Python: the exact findings, in the order of the quads."""
    w = _Walked()
    for quad in dataset:
        s, p, o = quad.subject, quad.predicate.value, quad.object
        if isinstance(s, ox.NamedNode):
            w.subjects.add(s.value)
        if declared and p not in declared and p not in w.undeclared:
            w.undeclared[p] = f"property, on <{s.value if isinstance(s, ox.NamedNode) else s}>"
        if p == RDF_TYPE and declared and isinstance(o, ox.NamedNode) and o.value not in declared:
            w.undeclared.setdefault(o.value, "class")
        if (
            p in DATE_PROPERTIES
            and isinstance(o, ox.Literal)
            and (o.datatype.value not in DATE_TYPES or not valid_date(o.value))
        ):
            w.bad_dates.append((str(s), p, o))
        if p == HG + "inSource" and isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            w.in_source[s.value] = o.value
        if p == HG + "derivedFrom" and isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            w.derived.append((s.value, o.value))
        if p == "http://www.w3.org/2002/07/owl#sameAs" and isinstance(o, ox.NamedNode) and register:
            message = _same_as_problem(s, o, register)
            if message is not None:
                w.same_as.append((o.value, message))
    return w


def _query(dataset: ox.Store, sparql: str) -> ox.QuerySolutions:
    return dataset.query(sparql, use_default_graph_as_union=True)  # type: ignore[return-value]


def _scan(
    dataset: ox.Store, declared: set[str], register: Register | None, subjects: set[str] | None
) -> _Walked | None:
    """What :func:`_walk` finds, from a few engine scans and the few quads the checks look
    at, instead of every quad in Python (a million quads took seconds); ``None`` when
    anything is at fault, for :func:`_walk` to report it exactly as it always has."""
    w = _Walked(exact=False)
    if declared:
        for row in _query(dataset, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
            if row["p"].value not in declared:  # type: ignore[union-attr,index]
                return None
        classes = _query(dataset, f"SELECT DISTINCT ?c WHERE {{ ?s <{RDF_TYPE}> ?c }}")
        for row in classes:
            c = row["c"]  # type: ignore[index]
            if isinstance(c, ox.NamedNode) and c.value not in declared:
                return None
    if subjects is None:
        rows = _query(dataset, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")
        subjects = {row["s"].value for row in rows}  # type: ignore[union-attr,index]
    w.subjects = subjects
    for p in DATE_PROPERTIES:
        for quad in dataset.quads_for_pattern(None, ox.NamedNode(p), None):
            o = quad.object
            if isinstance(o, ox.Literal) and (
                o.datatype.value not in DATE_TYPES or not valid_date(o.value)
            ):
                return None
    for quad in dataset.quads_for_pattern(None, ox.NamedNode(HG + "inSource"), None):
        s, o = quad.subject, quad.object
        if not (isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode)):
            continue
        if w.in_source.setdefault(s.value, o.value) != o.value:
            return None  # which one counts depends on the order of the quads
    for quad in dataset.quads_for_pattern(None, ox.NamedNode(HG + "derivedFrom"), None):
        s, o = quad.subject, quad.object
        if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
            w.derived.append((s.value, o.value))
    if register:
        same_as = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
        for quad in dataset.quads_for_pattern(None, same_as, None):
            o = quad.object
            if isinstance(o, ox.NamedNode) and _same_as_problem(quad.subject, o, register):
                return None
    return w


def overlapping_subjects(sources: Iterable[tuple[Path, set[str]]]) -> list[Problem]:
    """A stance, claim, quote or statement IRI described by two sources."""
    first: dict[str, Path] = {}
    found = []
    for path, subjects in sources:
        # Only a subject some source before described can be at fault: asking each subject
        # whether it is an owned kind cost 0.15 s of CPU at 1e6 quads (127,000 subjects).
        for subject in sorted(subjects & first.keys()):
            if first[subject] != path and (owner_of(subject) is not None or _owned_kind(subject)):
                found.append(
                    Problem(
                        str(path),
                        None,
                        "",
                        f"<{subject}> is also described by {first[subject]}; a stance or claim "
                        "belongs to one source (give this one an IRI of its own)",
                    )
                )
        for subject in subjects:
            first.setdefault(subject, path)
    return found


def _owned_kind(iri: str) -> bool:
    return iri.startswith(ID) and iri[len(ID) :].split("/", 1)[0] in OWNED

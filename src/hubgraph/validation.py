"""SHACL validation, compiled to SPARQL that Oxigraph runs.

Shapes are read once and each constraint becomes one SELECT query over the source being loaded,
so that validating a million triples costs a few engine scans instead of a Python walk over
every node (pyshacl, our reference in the tests, takes minutes there). The compiler covers the
SHACL Core components that ``ontology/shapes.ttl`` uses and refuses any other, so a shape is
never silently skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from hubgraph.errors import ConfigError, Violation

SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDF_TYPE_PATH = (
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    "/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
)
TARGETS = {"targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode"}
NODE_KINDS = {
    "IRI": "!isIRI(?v)",
    "Literal": "!isLiteral(?v)",
    "BlankNode": "!isBlank(?v)",
    "BlankNodeOrIRI": "isLiteral(?v)",
    "IRIOrLiteral": "isBlank(?v)",
    "BlankNodeOrLiteral": "isIRI(?v)",
}
IGNORED = {
    "path", "message", "name", "description", "order", "group", "severity", "property",
    "deactivated", "defaultValue", "flags",
}  # fmt: skip


@dataclass(frozen=True)
class Check:
    shape: str
    path: str | None
    message: str | None
    """The shape's own sh:message; without one, each row says why in ?why."""
    sparql: str
    """SELECT ?focus ?why, and ?v where a value is at fault — one row per violation."""

    @property
    def without_subclasses(self) -> str:
        """The query for data that states no rdfs:subClassOf, where a class's instances are
        just its rdf:type subjects — several times faster than the property path."""
        return self.sparql.replace(RDF_TYPE_PATH, RDF_TYPE)


def _sh(local: str) -> ox.NamedNode:
    return ox.NamedNode(SH + local)


def _objects(g: ox.Store, s: Any, p: str) -> list[Any]:
    return [q.object for q in g.quads_for_pattern(s, _sh(p), None)]


def _one(g: ox.Store, s: Any, p: str) -> Any | None:
    values = _objects(g, s, p)
    return values[0] if values else None


def _rdf_list(g: ox.Store, head: Any) -> list[Any]:
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    items: list[Any] = []
    while head != ox.NamedNode(rdf + "nil"):
        first = [q.object for q in g.quads_for_pattern(head, ox.NamedNode(rdf + "first"), None)]
        rest = [q.object for q in g.quads_for_pattern(head, ox.NamedNode(rdf + "rest"), None)]
        if not first or not rest:
            raise ConfigError("malformed RDF list in the shapes")
        items.append(first[0])
        head = rest[0]
    return items


def _label(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _target_pattern(g: ox.Store, shape: Any) -> str:
    parts = []
    for c in _objects(g, shape, "targetClass"):
        parts.append(f"{{ ?focus {RDF_TYPE_PATH} {c} }}")
    for p in _objects(g, shape, "targetSubjectsOf"):
        parts.append(f"{{ SELECT DISTINCT ?focus WHERE {{ ?focus {p} ?any }} }}")
    for p in _objects(g, shape, "targetObjectsOf"):
        parts.append(f"{{ SELECT DISTINCT ?focus WHERE {{ ?any {p} ?focus }} }}")
    for n in _objects(g, shape, "targetNode"):
        parts.append(f"{{ VALUES ?focus {{ {n} }} }}")
    return " UNION ".join(parts)


def _constraint_queries(g: ox.Store, node: Any, target: str, path: Any | None) -> list[str]:
    """At most three queries for the constraints on ``node``: one for the value counts, one
    for the values themselves, one for sh:hasValue. Each selects ?focus (and ?v where a value
    is at fault) and ?why, the default message of the constraint that failed."""
    if path is not None and not isinstance(path, ox.NamedNode):
        raise ConfigError(f"only predicate paths are supported, not {path}")
    shown = _label(path) if path is not None else "the node"
    counts: dict[str, int] = {}
    conditions: list[tuple[str, str]] = []  # (message, SPARQL condition on ?v)
    queries: list[str] = []
    for quad in g.quads_for_pattern(node, None, None):
        name = quad.predicate.value.removeprefix(SH)
        obj: Any = quad.object
        if not quad.predicate.value.startswith(SH) or name in IGNORED or name in TARGETS:
            continue
        if name in {"minCount", "maxCount"}:
            if path is None:
                raise ConfigError(f"sh:{name} needs a sh:path")
            counts[name] = int(obj.value)
        elif name == "class":
            conditions.append(
                (f"value of {shown} must be a {_label(obj)}",
                 f"NOT EXISTS {{ ?v {RDF_TYPE_PATH} {obj} }}")
            )  # fmt: skip
        elif name == "datatype":
            conditions.append(
                (f"value of {shown} must be a literal of type {_label(obj)}",
                 f"(!isLiteral(?v) || datatype(?v) != {obj})")
            )  # fmt: skip
        elif name == "nodeKind":
            kind = _label(obj).removeprefix(SH)
            conditions.append((f"value of {shown} must be a {kind}", f"({NODE_KINDS[kind]})"))
        elif name == "pattern":
            flags = _one(g, node, "flags")
            regex_args = f"{ox.Literal(obj.value)}" + (
                f", {ox.Literal(flags.value)}" if flags is not None else ""
            )
            conditions.append(
                (f"value of {shown} must match {obj.value}",
                 f"(isBlank(?v) || !REGEX(STR(?v), {regex_args}))")
            )  # fmt: skip
        elif name == "in":
            allowed = " ".join(str(t) for t in _rdf_list(g, obj))
            conditions.append(
                (f"value of {shown} must be one of {allowed}",
                 f"NOT EXISTS {{ VALUES ?allowed {{ {allowed} }} FILTER(sameTerm(?v, ?allowed)) }}")
            )  # fmt: skip
        elif name in {"minLength", "maxLength"}:
            op = "<" if name == "minLength" else ">"
            conditions.append(
                (f"value of {shown} must have {name} {obj.value}",
                 f"(isBlank(?v) || STRLEN(STR(?v)) {op} {int(obj.value)})")
            )  # fmt: skip
        elif name == "hasValue":
            why = ox.Literal(f"{shown} must include {obj}")
            queries.append(
                f"SELECT ?focus ({why} AS ?why) WHERE {{ {target} "
                + (
                    f"FILTER NOT EXISTS {{ ?focus {path} {obj} }} }}"
                    if path is not None
                    else f"FILTER(!sameTerm(?focus, {obj})) }}"
                )
            )
        else:
            raise ConfigError(
                f"the shapes use sh:{name}, which hubgraph's SHACL compiler does not support"
            )
    if counts:
        low, high = counts.get("minCount", 0), counts.get("maxCount")
        failing = [f"COUNT(DISTINCT ?v) < {low}"] if low else []
        failing += [f"COUNT(DISTINCT ?v) > {high}"] if high is not None else []
        too_few = ox.Literal(f"expected at least {low} value(s) of {shown}")
        too_many = ox.Literal(f"expected at most {high} value(s) of {shown}")
        queries.append(
            f"SELECT ?focus (IF(COUNT(DISTINCT ?v) < {low}, {too_few}, {too_many}) AS ?why) "
            f"WHERE {{ {target} OPTIONAL {{ ?focus {path} ?v }} }} GROUP BY ?focus "
            f"HAVING ({' || '.join(failing)})"
        )
    if conditions:
        values = f"?focus {path} ?v ." if path is not None else "BIND(?focus AS ?v)"
        # One row per faulty value, saying which constraint it fails first.
        reason = '""'
        for message, condition in reversed(conditions):
            reason = f"IF({condition}, {ox.Literal(message)}, {reason})"
        queries.append(
            f"SELECT ?focus ?v ?why WHERE {{ {target} {values} BIND({reason} AS ?why) "
            f'FILTER(?why != "") }}'
        )
    return queries


def compile_shapes(shapes: Iterable[ox.Quad]) -> list[Check]:
    g = ox.Store()
    g.extend(ox.Quad(q.subject, q.predicate, q.object) for q in shapes)
    checks: list[Check] = []
    node_shapes = {
        q.subject
        for q in g.quads_for_pattern(None, None, None)
        if q.predicate.value.startswith(SH) and q.predicate.value.removeprefix(SH) in TARGETS
    }
    for shape in sorted(node_shapes, key=str):
        if _one(g, shape, "deactivated") == ox.Literal(True):
            continue
        target = _target_pattern(g, shape)
        message = _one(g, shape, "message")
        for sparql in _constraint_queries(g, shape, target, None):
            checks.append(Check(_label(shape), None, _msg(message), sparql))
        for prop in _objects(g, shape, "property"):
            path = _one(g, prop, "path")
            shape_name = _label(prop) if isinstance(prop, ox.NamedNode) else _label(shape)
            message = _one(g, prop, "message")
            for sparql in _constraint_queries(g, prop, target, path):
                checks.append(
                    Check(shape_name, _label(path) if path else None, _msg(message), sparql)
                )
    return checks


def _msg(message: Any | None) -> str | None:
    return message.value if message is not None else None


def load_shapes(path: Path) -> list[Check]:
    if not path.exists():
        return []
    with path.open("rb") as f:
        return compile_shapes(ox.parse(f, ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))


def validate_store(data: ox.Store, checks: list[Check]) -> list[Violation]:
    violations = []
    subclasses = bool(
        data.query(
            "ASK { ?a <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?b }",
            use_default_graph_as_union=True,
        )
    )

    def run(check: Check) -> list[Violation]:
        # The union: a source's named graphs are validated together, as one graph. Results
        # are read in the thread that ran the query, as pyoxigraph requires.
        sparql = check.sparql if subclasses else check.without_subclasses
        results = data.query(sparql, use_default_graph_as_union=True)
        has_value = ox.Variable("v") in results.variables  # type: ignore[union-attr]
        found = []
        for row in results:  # type: ignore[union-attr]
            value = row["v"] if has_value else None
            detail = f" (value {value})" if value is not None else ""
            message = check.message or row["why"].value  # type: ignore[union-attr]
            found.append(Violation(_label(row["focus"]), check.shape, check.path, message + detail))
        return found

    # The engine releases the GIL while it evaluates, so checks run side by side on all cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for found in pool.map(run, checks):
            violations.extend(found)
    return violations

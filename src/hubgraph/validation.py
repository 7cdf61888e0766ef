"""SHACL validation, compiled to SPARQL that Oxigraph runs.

Shapes are read once and each constraint becomes one SELECT query over the source being loaded,
so that validating a million triples costs a few engine scans instead of a Python walk over
every node (pyshacl, our reference in the tests, takes minutes there). The compiler covers the
SHACL Core components that ``ontology/shapes.ttl`` uses and refuses any other, so a shape is
never silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from hubgraph.errors import ConfigError, Violation

SH = "http://www.w3.org/ns/shacl#"
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
    message: str
    sparql: str
    """SELECT ?focus ?v — one row per violation (?v may be unbound)."""


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


def _constraint_queries(
    g: ox.Store, node: Any, target: str, path: Any | None
) -> Iterable[tuple[str, str]]:
    """(default message, SPARQL) for each constraint on ``node``."""
    if path is not None and not isinstance(path, ox.NamedNode):
        raise ConfigError(f"only predicate paths are supported, not {path}")
    shown = _label(path) if path is not None else "the node"
    values = f"?focus {path} ?v ." if path is not None else "BIND(?focus AS ?v)"
    for quad in g.quads_for_pattern(node, None, None):
        name = quad.predicate.value.removeprefix(SH)
        obj: Any = quad.object
        if not quad.predicate.value.startswith(SH) or name in IGNORED or name in TARGETS:
            continue
        select = f"SELECT ?focus ?v WHERE {{ {target} {values}"
        if name in {"minCount", "maxCount"}:
            if path is None:
                raise ConfigError(f"sh:{name} needs a sh:path")
            n = int(obj.value)
            op = "<" if name == "minCount" else ">"
            word = "at least" if name == "minCount" else "at most"
            yield (
                f"expected {word} {n} value(s) of {shown}",
                f"SELECT ?focus (COUNT(DISTINCT ?v) AS ?count) WHERE {{ {target} "
                f"OPTIONAL {{ ?focus {path} ?v }} }} GROUP BY ?focus "
                f"HAVING (COUNT(DISTINCT ?v) {op} {n})",
            )
        elif name == "class":
            yield (
                f"value of {shown} must be a {_label(obj)}",
                f"{select} FILTER NOT EXISTS {{ ?v {RDF_TYPE_PATH} {obj} }} }}",
            )
        elif name == "datatype":
            yield (
                f"value of {shown} must be a literal of type {_label(obj)}",
                f"{select} FILTER(!isLiteral(?v) || datatype(?v) != {obj}) }}",
            )
        elif name == "nodeKind":
            kind = _label(obj).removeprefix(SH)
            yield (f"value of {shown} must be a {kind}", f"{select} FILTER({NODE_KINDS[kind]}) }}")
        elif name == "pattern":
            flags = _one(g, node, "flags")
            regex_args = f"{ox.Literal(obj.value)}" + (
                f", {ox.Literal(flags.value)}" if flags is not None else ""
            )
            yield (
                f"value of {shown} must match {obj.value}",
                f"{select} FILTER(isBlank(?v) || !REGEX(STR(?v), {regex_args})) }}",
            )
        elif name == "in":
            allowed = " ".join(str(t) for t in _rdf_list(g, obj))
            yield (
                f"value of {shown} must be one of {allowed}",
                f"{select} FILTER NOT EXISTS {{ VALUES ?allowed {{ {allowed} }} "
                f"FILTER(sameTerm(?v, ?allowed)) }} }}",
            )
        elif name == "hasValue":
            yield (
                f"{shown} must include {obj}",
                f"SELECT ?focus WHERE {{ {target} FILTER NOT EXISTS {{ ?focus {path} {obj} }} }}"
                if path is not None
                else f"SELECT ?focus WHERE {{ {target} FILTER(!sameTerm(?focus, {obj})) }}",
            )
        elif name in {"minLength", "maxLength"}:
            op = "<" if name == "minLength" else ">"
            yield (
                f"value of {shown} must have {name} {obj.value}",
                f"{select} FILTER(isBlank(?v) || STRLEN(STR(?v)) {op} {int(obj.value)}) }}",
            )
        else:
            raise ConfigError(
                f"the shapes use sh:{name}, which hubgraph's SHACL compiler does not support"
            )


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
        target = _target_pattern(g, shape)
        if _one(g, shape, "deactivated") == ox.Literal(True):
            continue
        for default, sparql in _constraint_queries(g, shape, target, None):
            message = _one(g, shape, "message")
            checks.append(Check(_label(shape), None, _msg(message, default), sparql))
        for prop in _objects(g, shape, "property"):
            if not isinstance(prop, ox.NamedNode | ox.BlankNode):
                continue
            path = _one(g, prop, "path")
            message = _one(g, prop, "message")
            shape_name = _label(prop) if isinstance(prop, ox.NamedNode) else _label(shape)
            for default, sparql in _constraint_queries(g, prop, target, path):
                checks.append(
                    Check(
                        shape_name, _label(path) if path else None, _msg(message, default), sparql
                    )
                )
    return checks


def _msg(message: Any | None, default: str) -> str:
    return message.value if message is not None else default


def load_shapes(path: Path) -> list[Check]:
    if not path.exists():
        return []
    with path.open("rb") as f:
        return compile_shapes(ox.parse(f, ox.RdfFormat.TURTLE, base_iri=path.as_uri()))


def validate(quads: Iterable[ox.Quad], checks: list[Check]) -> list[Violation]:
    """Every violation of ``checks`` by the graph made of ``quads`` (their graphs merged)."""
    data = ox.Store()
    data.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    return validate_store(data, checks)


def validate_store(data: ox.Store, checks: list[Check]) -> list[Violation]:
    violations = []
    for check in checks:
        # The union: a source's named graphs are validated together, as one graph.
        results = data.query(check.sparql, use_default_graph_as_union=True)
        has_value = ox.Variable("v") in results.variables  # type: ignore[union-attr]
        for row in results:  # type: ignore[union-attr]
            focus = row["focus"]
            value = row["v"] if has_value else None
            detail = f" (value {value})" if value is not None else ""
            violations.append(
                Violation(_label(focus), check.shape, check.path, check.message + detail)
            )
    return violations

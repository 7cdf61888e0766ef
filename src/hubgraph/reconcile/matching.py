"""Answering reconciliation queries against one snapshot of the register."""

from __future__ import annotations

from hubgraph.reconcile.batch import Query
from hubgraph.reconcile.features import features_of
from hubgraph.reconcile.names import normalise
from hubgraph.reconcile.register import Entity, Register
from hubgraph.reconcile.scoring import decide_matches, is_candidate, score


def describe(register: Register, entity: Entity) -> str:
    """A line that tells namesakes apart: offices held (with their status), an office's
    country, and the QID."""
    parts: list[str] = []
    for mandate in register.mandates_of(entity):
        if mandate.holder == entity.iri:
            status = f" ({mandate.status})" if mandate.status else ""
            parts.append(register.name_of(mandate.office) + status)
    parts += [register.name_of(c) for c in entity.office_of]
    if entity.qid:
        parts.append(entity.qid)
    return " · ".join(dict.fromkeys(parts))


def type_list(entity: Entity) -> list[dict[str, str]]:
    return [{"id": t.id, "name": t.name} for t in entity.types]


def reconcile_one(register: Register, query: Query) -> dict[str, list[dict[str, object]]]:
    normalised = normalise(query.text)
    has_text = bool(query.text.strip())
    found = []
    for entity in register.of_type(query.types):
        features = features_of(register, entity, query, normalised)
        if is_candidate(features, has_text):
            found.append((entity, features))
    found.sort(key=lambda pair: (-score(pair[1]), pair[0].name.casefold(), pair[0].id))
    matches = decide_matches([f for _, f in found])
    results = [
        {
            "id": entity.id,
            "name": entity.name,
            "description": describe(register, entity),
            "score": score(features),
            "match": match,
            "type": type_list(entity),
            "features": features.as_json(),
        }
        for (entity, features), match in zip(found, matches, strict=True)
    ]
    return {"result": results[: query.limit]}


def reconcile_batch(
    register: Register, queries: list[Query]
) -> dict[str, dict[str, list[dict[str, object]]]]:
    return {q.key: reconcile_one(register, q) for q in queries}

"""Answering reconciliation queries against one snapshot of the register."""

from __future__ import annotations

from hubgraph.reconcile.batch import Query
from hubgraph.reconcile.features import features_of, query_form
from hubgraph.reconcile.register import Entity, Register
from hubgraph.reconcile.scoring import MIN_SIMILARITY, decide_matches, is_candidate, score


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
    given = query_form(query)
    has_text = bool(given.text)
    if has_text:
        # Only entities that may be similar enough, or that the query names by QID or id.
        near = register.sharing_pairs(given.name, MIN_SIMILARITY)
        named = register.find(given.text)
        near += [named] if named else []
        near += register.by_qid.get(given.qid or "", [])
        wanted = set(query.types)
        unique = {e.iri: e for e in near if not wanted or not wanted.isdisjoint(e.types)}
        pool = list(unique.values())
    else:
        pool = register.of_type(query.types)
    if query.all_types:
        pool = [e for e in pool if set(query.types) <= set(e.types)]
    found = []
    for entity in pool:
        features = features_of(register, entity, query, given, MIN_SIMILARITY if has_text else 0)
        if features is not None and is_candidate(features, has_text):
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
        # ``match`` looked at every candidate; only the first ``limit`` are described.
        for (entity, features), match in zip(found[: query.limit], matches, strict=False)
    ]
    return {"result": results}


def reconcile_batch(
    register: Register, queries: list[Query]
) -> dict[str, dict[str, list[dict[str, object]]]]:
    return {q.key: reconcile_one(register, q) for q in queries}

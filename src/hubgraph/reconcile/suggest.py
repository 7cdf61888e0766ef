"""Suggest: OpenRefine's typeahead for entities, types and properties (by prefix)."""

from __future__ import annotations

from typing import Any

from hubgraph.reconcile.matching import describe, type_list
from hubgraph.reconcile.names import normalise, starts_a_word
from hubgraph.reconcile.properties import PROPERTIES
from hubgraph.reconcile.register import TYPES, EntityType, Register

PAGE = 10


def suggest_entities(
    register: Register, prefix: str, types: tuple[EntityType, ...] = (), cursor: int = 0
) -> dict[str, list[Any]]:
    wanted = normalise(prefix)
    hits: list[tuple[int, str, dict[str, Any]]] = []
    for entity in register.of_type(types):
        labels, aliases = register.forms[entity.iri]
        names = [(0, n.text) for n in labels] + [(1, n.text) for n in aliases]
        # A name that starts with the prefix ranks above one with a later word that does.
        ranks = [
            rank - 2 if n.startswith(wanted) else rank
            for rank, n in names
            if starts_a_word(wanted, n)
        ]
        if entity.qid and prefix.strip().upper() == entity.qid:
            ranks.append(-3)
        if not ranks:
            continue
        item = {
            "id": entity.id,
            "name": entity.name,
            "description": describe(register, entity),
            "notable": type_list(entity),
        }
        hits.append((min(ranks), entity.name.casefold(), item))
    hits.sort(key=lambda h: (h[0], h[1]))
    return {"result": [h[2] for h in hits[cursor : cursor + PAGE]]}


def suggest_types(prefix: str, cursor: int = 0) -> dict[str, list[Any]]:
    wanted = normalise(prefix)
    found = [
        {"id": t.id, "name": t.name, "description": f"hubgraph register: {t.name.lower()}"}
        for t in TYPES
        if starts_a_word(wanted, normalise(t.name)) or t.id.startswith(wanted)
    ]
    return {"result": found[cursor : cursor + PAGE]}


def suggest_properties(prefix: str, cursor: int = 0) -> dict[str, list[Any]]:
    wanted = normalise(prefix)
    found = [
        {"id": p.id, "name": p.name, "description": p.description}
        for p in PROPERTIES
        if starts_a_word(wanted, normalise(p.name)) or p.id.startswith(wanted)
    ]
    return {"result": found[cursor : cursor + PAGE]}

"""Data extension: property values of reconciled entities, and which properties to propose
for a type."""

from __future__ import annotations

from hubgraph.reconcile.batch import ExtendProperty, ExtendRequest
from hubgraph.reconcile.properties import PROPERTY_BY_ID, properties_for
from hubgraph.reconcile.register import Entity, Register, Stance, latest_positions, stances_about

Cell = dict[str, object]


def _entity_cell(register: Register, iri: str) -> Cell:
    found = register.by_iri.get(iri)
    return {"id": found.id, "name": found.name} if found else {"str": iri}


def values_of(
    register: Register, entity: Entity, prop: ExtendProperty, stances: list[Stance]
) -> list[Cell]:
    if prop.id == "qid":
        return [{"str": q} for q in entity.qids]
    if prop.id in ("office", "holder"):
        side = "office" if prop.id == "office" else "holder"
        mandates = register.mandates_of(entity, prop.date)
        own = [
            m
            for m in mandates
            if getattr(m, "holder" if side == "office" else "office") == entity.iri
        ]
        return [_entity_cell(register, getattr(m, side)) for m in own]
    if prop.id == "country":
        return [_entity_cell(register, c) for c in sorted(register.countries_of(entity))]
    if prop.id == "position":
        latest = latest_positions(stances, entity, prop.date)
        policy = register.find(prop.policy) if prop.policy else None
        cells: list[Cell] = []
        for policy_iri, stances in sorted(latest.items()):
            if policy is not None and policy.iri != policy_iri:
                continue
            for stance in stances:
                # One cell per stance: "willing" alone when a policy was chosen, else with it.
                name = stance.position_name
                cells.append(
                    {"str": name if policy else f"{name} ({register.name_of(policy_iri)})"}
                )
        return list({c["str"]: c for c in cells}.values())
    if prop.id == "observations":
        return [{"int": len(stances_about(stances, entity))}]
    raise AssertionError(prop.id)  # batch.parse_extend admits known ids only


def extend(register: Register, request: ExtendRequest, stances: list[Stance]) -> dict[str, object]:
    meta: list[dict[str, object]] = []
    for prop in request.properties:
        known = PROPERTY_BY_ID[prop.id]
        column: dict[str, object] = {"id": prop.id, "name": known.name}
        if known.value_type is not None:
            column["type"] = {"id": known.value_type.id, "name": known.value_type.name}
        meta.append(column)
    rows: dict[str, dict[str, list[Cell]]] = {}
    for given in request.ids:
        entity = register.find(given)
        rows[given] = {
            p.id: values_of(register, entity, p, stances) if entity else []
            for p in request.properties
        }
    return {"meta": meta, "rows": rows}


def propose(type_id: str | None, limit: int) -> dict[str, object]:
    found = [{"id": p.id, "name": p.name} for p in properties_for(type_id)][:limit]
    answer: dict[str, object] = {"properties": found, "limit": limit}
    if type_id is not None:
        answer["type"] = type_id
    return answer

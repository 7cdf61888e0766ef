"""The features that explain a candidate's score: what in the query matched what in the
register. Their ids are stable; docs/reconciliation.md lists them."""

from __future__ import annotations

from dataclasses import dataclass

from hubgraph.queries import entity_id, parse_qid
from hubgraph.reconcile.batch import Condition, Query, Value
from hubgraph.reconcile.names import NameForm, form, normalise, similarity
from hubgraph.reconcile.register import Entity, Register

FEATURE_NAMES: dict[str, str] = {
    "qid": "the query is the candidate's Wikidata QID",
    "id": "the query is the candidate's hubgraph id or IRI",
    "label_exact": "the query is the candidate's label, exactly",
    "alias_exact": "the query is one of the candidate's aliases, exactly",
    "label_normalised": "the query and the label agree once diacritics, case and punctuation go",
    "alias_normalised": "the query and an alias agree once diacritics, case and punctuation go",
    "name_similarity": "how close the query is to the closest label or alias, 0 to 1",
}
"""Feature id → what it means; property conditions add ``property_<pid>``."""


@dataclass(frozen=True)
class Features:
    qid: bool
    id: bool
    label_exact: bool
    alias_exact: bool
    label_normalised: bool
    alias_normalised: bool
    name_similarity: float
    conditions: tuple[tuple[str, bool], ...]

    @property
    def exact(self) -> bool:
        """An exact match in the sense of ``match``: a normalised name, the QID or the id."""
        return self.qid or self.id or self.label_normalised or self.alias_normalised

    @property
    def conditions_hold(self) -> bool:
        return all(ok for _, ok in self.conditions)

    def as_json(self) -> list[dict[str, object]]:
        flags = [
            ("qid", self.qid), ("id", self.id), ("label_exact", self.label_exact),
            ("alias_exact", self.alias_exact), ("label_normalised", self.label_normalised),
            ("alias_normalised", self.alias_normalised),
        ]  # fmt: skip
        out: list[dict[str, object]] = [{"id": k, "value": v} for k, v in flags]
        out.append({"id": "name_similarity", "value": self.name_similarity})
        out += [{"id": f"property_{pid}", "value": ok} for pid, ok in self.conditions]
        return out


def resolve_value(register: Register, value: Value, type_id: str | None) -> set[str]:
    """The IRIs a condition's value may name: by id, IRI or QID, else by normalised name."""
    for given in (value.id, value.text):
        if given and (found := register.find(given)):
            return {found.iri}
    if not value.text:
        return set()
    pairs = register.by_normalised.get(normalise(value.text), [])
    return {e.iri for e, _ in pairs if type_id is None or any(t.id == type_id for t in e.types)}


def condition_holds(register: Register, entity: Entity, condition: Condition) -> bool:
    if condition.pid == "qid":
        wanted = {parse_qid(v.id or v.text or "") for v in condition.values}
        return bool(wanted & set(entity.qids))
    type_id = {"office": "office", "holder": "person", "country": "country"}[condition.pid]
    wanted_iris: set[str] = set()
    for value in condition.values:
        wanted_iris |= resolve_value(register, value, type_id)
    if condition.pid == "country":
        have = register.countries_of(entity)
    else:  # office or holder: any mandate the register knows, of any date
        side = "office" if condition.pid == "office" else "holder"
        have = {getattr(m, side) for m in register.mandates if entity.iri in (m.holder, m.office)}
    return bool(wanted_iris & have)


@dataclass(frozen=True)
class QueryForm:
    """What a query's text is, worked out once per query rather than once per candidate."""

    text: str
    qid: str | None
    iri: str | None
    name: NameForm


def query_form(query: Query) -> QueryForm:
    text = query.text.strip()
    iri = entity_id(text) if "/" in text or ":" in text else None
    return QueryForm(text, parse_qid(text), iri, form(text))


def features_of(
    register: Register, entity: Entity, query: Query, given: QueryForm, least: float = 0.0
) -> Features | None:
    """The candidate's features; None when it is neither an exact match nor ``least``
    similar (its property conditions are then not worth checking)."""
    labels, aliases = register.forms[entity.iri]
    normalised = given.name.text
    label_normalised = bool(normalised) and any(f.text == normalised for f in labels)
    alias_normalised = bool(normalised) and any(f.text == normalised for f in aliases)
    qid = given.qid is not None and given.qid in entity.qids
    same = given.iri is not None and given.iri == entity.iri
    best = max((similarity(given.name, n) for n in labels + aliases), default=0.0)
    if best < least and not (qid or same or label_normalised or alias_normalised):
        return None
    return Features(
        qid=qid,
        id=same,
        label_exact=given.text in entity.labels,
        alias_exact=given.text in entity.aliases,
        label_normalised=label_normalised,
        alias_normalised=alias_normalised,
        name_similarity=round(best, 3),
        conditions=tuple((c.pid, condition_holds(register, entity, c)) for c in query.conditions),
    )

"""The register as reconciliation sees it: entities with their names, QIDs and types, and the
mandates that say who held which office when — one snapshot, cached; and the stances observed
of given entities, read when a preview or an extension asks (they grow with every source).

It is read with SPARQL through the query service, so it works the same on the embedded store
and on a remote one. The queries name no graph: the union default graph holds the register
graph (``https://w3id.org/hubgraph/graph/register``) and, on data from before the register,
the article graph that held the same terms. No source graph describes a register entity
(CONTRACT.md), so the union adds nothing the register would not say.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain

import pyoxigraph as ox

from hubgraph.queries import bind_values, entity_id, parse_qid
from hubgraph.reconcile.names import NameForm, form, normalise
from hubgraph.vocabulary import HG, ID, WIKIDATA_ENTITY

Select = Callable[[str], list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]]
"""Runs one SELECT query and returns its rows as terms."""


@dataclass(frozen=True)
class EntityType:
    id: str
    name: str
    iri: str


TYPES: tuple[EntityType, ...] = (
    EntityType("country", "Country", HG + "Country"),
    EntityType("person", "Person", HG + "Person"),
    EntityType("organisation", "Organisation", HG + "Organisation"),
    EntityType("office", "Office", HG + "Office"),
    EntityType("policy", "Policy", HG + "Policy"),
)
TYPE_BY_ID = {t.id: t for t in TYPES}
TYPE_BY_IRI = {t.iri: t for t in TYPES}


def find_type(value: str) -> EntityType | None:
    """A type by its id (``person``), its IRI, or ``hg:Person``; case does not matter."""
    text = value.strip()
    if text in TYPE_BY_IRI:
        return TYPE_BY_IRI[text]
    return TYPE_BY_ID.get(text.removeprefix("hg:").lower())


@dataclass
class Entity:
    iri: str
    id: str
    """The reconciliation id: the IRI without ``https://w3id.org/hubgraph/id/``."""
    labels: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    qids: list[str] = field(default_factory=list)
    types: list[EntityType] = field(default_factory=list)
    office_of: list[str] = field(default_factory=list)
    """For an office: the IRIs of the countries it is an office of."""
    qid_status: str | None = None

    @property
    def name(self) -> str:
        return self.labels[0] if self.labels else self.id.rsplit("/", 1)[-1]

    @property
    def qid(self) -> str | None:
        return self.qids[0] if self.qids else None

    def has_type(self, wanted: Iterable[EntityType]) -> bool:
        return any(t in self.types for t in wanted)


@dataclass(frozen=True)
class Mandate:
    holder: str
    office: str
    start: str | None
    end: str | None
    date: str | None
    """When the holder is known to have held the office (data from before hg:start)."""
    status: str | None


@dataclass(frozen=True)
class Stance:
    iri: str
    holder: str
    policy: str
    position: str
    position_name: str
    date: str | None
    voice: str | None


_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def date_bounds(value: str | None) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """The first and last day a date of any precision covers: ``2025-10`` is 1–31 October
    (a day past 28 is fine for comparing)."""
    match = _DATE.match(value or "")
    if not match:
        return None
    year = int(match.group(1))
    month, day = match.group(2), match.group(3)
    if month is None:
        return (year, 1, 1), (year, 12, 31)
    if day is None:
        return (year, int(month), 1), (year, int(month), 31)
    return (year, int(month), int(day)), (year, int(month), int(day))


def short_id(iri: str) -> str:
    return iri.removeprefix(ID) if iri.startswith(ID) else iri


def _type_values() -> str:
    return " ".join(f"<{t.iri}>" for t in TYPES)


ENTITY_QUERY = f"""SELECT DISTINCT ?e ?t WHERE {{ VALUES ?t {{ {_type_values()} }} ?e a ?t
FILTER(isIRI(?e)) }}"""
NAME_QUERY = f"""SELECT DISTINCT ?e ?p ?name WHERE {{ VALUES ?t {{ {_type_values()} }}
VALUES ?p {{ rdfs:label skos:altLabel }} ?e a ?t ; ?p ?name
FILTER(isLiteral(?name) && (LANG(?name) = '' || LANGMATCHES(LANG(?name), 'en'))) }}"""
LINK_QUERY = f"""SELECT DISTINCT ?e ?p ?o WHERE {{ VALUES ?t {{ {_type_values()} }}
VALUES ?p {{ owl:sameAs hg:qidStatus hg:officeOf }} ?e a ?t ; ?p ?o }}"""
MANDATE_QUERY = """SELECT DISTINCT ?m ?holder ?office ?start ?end ?date ?status WHERE {
?m a hg:Mandate ; hg:holder ?holder ; hg:office ?office
OPTIONAL { ?m hg:start ?start } OPTIONAL { ?m hg:end ?end }
OPTIONAL { ?m hg:date ?date } OPTIONAL { ?m hg:status ?status } }"""
STANCE_QUERY = """SELECT DISTINCT ?s ?holder ?policy ?position ?positionLabel ?date ?voice WHERE {
{ ?s hg:holder ?e } UNION { ?s hg:voicedBy ?e } UNION { ?s hg:towards ?e }
?s a hg:Stance ; hg:holder ?holder ; hg:towards ?policy ; hg:position ?position
OPTIONAL { ?s hg:date ?date } OPTIONAL { ?s hg:voicedBy ?voice }
OPTIONAL { ?position skos:prefLabel ?positionLabel
  FILTER(LANG(?positionLabel) = '' || LANGMATCHES(LANG(?positionLabel), 'en')) } }"""


def _text(term: object) -> str | None:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else None


class Register:
    """One snapshot of the register, with the lookups reconciliation needs."""

    def __init__(self, entities: Iterable[Entity], mandates: Iterable[Mandate]) -> None:
        self.entities = sorted(entities, key=lambda e: (e.name.casefold(), e.id))
        self.by_iri = {e.iri: e for e in self.entities}
        self.by_qid: dict[str, list[Entity]] = {}
        self.by_normalised: dict[str, list[tuple[Entity, str]]] = {}
        self.forms: dict[str, tuple[list[NameForm], list[NameForm]]] = {}
        """Per entity IRI, its labels and its aliases ready for comparing (once per snapshot)."""
        self.fewest_pairs: list[int] = []
        """Per position in ``entities``: the letter pairs of its shortest name."""
        self.by_pair: dict[str, list[int]] = {}
        """Letter pair → positions in ``entities`` of the entities whose names hold it."""
        self.by_type: dict[str, list[Entity]] = {}
        for position, entity in enumerate(self.entities):
            for entity_type in entity.types:
                self.by_type.setdefault(entity_type.id, []).append(entity)
            labels, aliases = [form(n) for n in entity.labels], [form(n) for n in entity.aliases]
            self.forms[entity.iri] = (labels, aliases)
            for pair in frozenset().union(*(f.grams for f in labels + aliases)):
                self.by_pair.setdefault(pair, []).append(position)
            self.fewest_pairs.append(min((len(f.grams) for f in labels + aliases), default=0))
            for qid in entity.qids:
                self.by_qid.setdefault(qid, []).append(entity)
            for kind, names in (("label", entity.labels), ("alias", entity.aliases)):
                for name in names:
                    pairs = self.by_normalised.setdefault(normalise(name), [])
                    if all(e is not entity for e, _ in pairs):
                        pairs.append((entity, kind))
        self.mandates = list(mandates)

    @classmethod
    def read(cls, select: Select) -> Register:
        entities: dict[str, Entity] = {}
        for e, t in select(ENTITY_QUERY):
            iri = _text(e)
            kind = TYPE_BY_IRI.get(_text(t) or "")
            if iri is None or kind is None:
                continue
            entity = entities.setdefault(iri, Entity(iri, short_id(iri)))
            if kind not in entity.types:
                entity.types.append(kind)
        for e, p, name in sorted(select(NAME_QUERY), key=lambda row: str(row)):
            found = entities.get(_text(e) or "")
            value = _text(name)
            if found is None or value is None:
                continue
            bucket = found.labels if _text(p) == PREFIX_RDFS + "label" else found.aliases
            if value not in bucket:
                bucket.append(value)
        for e, p, o in sorted(select(LINK_QUERY), key=lambda row: str(row)):
            linked = entities.get(_text(e) or "")
            value = _text(o)
            if linked is None or value is None:
                continue
            predicate = _text(p)
            if predicate == HG + "qidStatus":
                linked.qid_status = value
            elif predicate == HG + "officeOf":
                linked.office_of.append(value)
            elif value.startswith(WIKIDATA_ENTITY) and (qid := parse_qid(value)):
                linked.qids.append(qid)
        mandates = [
            Mandate(
                holder=_text(row[1]) or "",
                office=_text(row[2]) or "",
                start=_text(row[3]),
                end=_text(row[4]),
                date=_text(row[5]),
                status=_text(row[6]),
            )
            for row in select(MANDATE_QUERY)
        ]
        return cls(entities.values(), sorted(set(mandates), key=str))

    # -- lookups ---------------------------------------------------------------------------
    def find(self, value: str) -> Entity | None:
        """The entity a reconciliation id, an IRI or a QID names."""
        text = value.strip()
        qid = parse_qid(text)
        if qid is not None:
            found = self.by_qid.get(qid, [])
            return found[0] if len(found) == 1 else None
        iri = entity_id(text)
        return self.by_iri.get(iri) if iri else None

    def sharing_pairs(self, query: NameForm, least: float) -> list[Entity]:
        """Entities that may have a name ``least`` similar to the query: one that holds all
        of the query's letter pairs (as every name holding all its words does), or enough of
        them for Dice's coefficient to reach ``least`` (2c >= least * (a + b)). A candidate
        filter, so that a batch does not compare each query with every name."""
        counts = Counter(chain.from_iterable(self.by_pair.get(p, ()) for p in query.grams))
        size, fewest = len(query.grams), self.fewest_pairs
        return [
            self.entities[p]
            for p, shared in counts.items()
            if shared >= size or 2 * shared >= least * (size + fewest[p])
        ]

    def of_type(self, wanted: Iterable[EntityType]) -> list[Entity]:
        kinds = list(wanted)
        if not kinds:
            return self.entities
        found = {e.iri: e for k in kinds for e in self.by_type.get(k.id, [])}
        if len(kinds) == 1:
            return list(found.values())
        return [e for e in self.entities if e.iri in found]  # in register order

    def mandates_of(self, entity: Entity, as_of: str | None = None) -> list[Mandate]:
        """Mandates the entity holds (a person) or that fill it (an office), as of a date
        (default: those not known to have ended)."""
        found = [m for m in self.mandates if entity.iri in (m.holder, m.office)]
        return [m for m in found if held_on(m, as_of)]

    def countries_of(self, entity: Entity) -> set[str]:
        """A country's own IRI; an office's country; a person's countries through the offices
        of their mandates (of any date)."""
        if any(t.id == "country" for t in entity.types):
            return {entity.iri}
        countries = set(entity.office_of)
        for mandate in self.mandates:
            if mandate.holder == entity.iri and (office := self.by_iri.get(mandate.office)):
                countries.update(office.office_of)
        return countries

    def name_of(self, iri: str) -> str:
        entity = self.by_iri.get(iri)
        return entity.name if entity else short_id(iri)


PREFIX_RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def _date_key(stance: Stance) -> tuple[int, int, int]:
    bounds = date_bounds(stance.date)
    return bounds[0] if bounds else (-999999, 0, 0)


def held_on(mandate: Mandate, as_of: str | None) -> bool:
    """Whether the mandate was held on ``as_of``; without a date, whether it has not ended.
    An unknown start counts as held (the register only records known mandates); a mandate
    known only by the date a source saw it is held on that date and is otherwise open."""
    if as_of is None:
        return mandate.end is None
    day = date_bounds(as_of)
    if day is None:
        return False
    start, end = date_bounds(mandate.start), date_bounds(mandate.end)
    if start is not None and start[0] > day[1]:
        return False
    return not (end is not None and end[1] < day[0])


def read_stances(select: Select, entities: Iterable[Entity]) -> list[Stance]:
    """The stances the entities hold, voice or (policies) are the object of."""
    nodes = [ox.NamedNode(e.iri) for e in entities]
    if not nodes:
        return []
    stances: dict[str, Stance] = {}
    for s, holder, policy, position, label, date, voice in select(
        bind_values(STANCE_QUERY, {"e": nodes})
    ):
        iri, position_iri = _text(s) or "", _text(position) or ""
        if iri in stances and label is None:
            continue
        stances[iri] = Stance(
            iri=iri, holder=_text(holder) or "", policy=_text(policy) or "",
            position=position_iri,
            position_name=_text(label) or re.split(r"[/#]", position_iri)[-1],
            date=_text(date), voice=_text(voice),
        )  # fmt: skip
    return sorted(stances.values(), key=lambda st: st.iri)


def stances_about(stances: Iterable[Stance], entity: Entity) -> list[Stance]:
    """Observations the entity holds, voices, or (a policy) is the object of."""
    return [s for s in stances if entity.iri in (s.holder, s.voice, s.policy)]


def latest_positions(
    stances: Iterable[Stance], entity: Entity, as_of: str | None = None
) -> dict[str, list[Stance]]:
    """Per policy, the entity's latest observed stances up to ``as_of`` (several when they
    share the latest date: they are shown together, not one picked)."""
    limit = date_bounds(as_of)
    by_policy: dict[str, list[Stance]] = {}
    for stance in stances:
        if stance.holder != entity.iri:
            continue
        bounds = date_bounds(stance.date)
        if limit is not None and (bounds is None or bounds[0] > limit[1]):
            continue
        by_policy.setdefault(stance.policy, []).append(stance)
    latest: dict[str, list[Stance]] = {}
    for policy, held in by_policy.items():
        top = max(_date_key(s) for s in held)
        latest[policy] = sorted((s for s in held if _date_key(s) == top), key=str)
    return latest

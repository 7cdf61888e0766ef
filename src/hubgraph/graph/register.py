"""The entity register (``data/register.yaml``): reading it, answering lookups, compiling it.

Every country, person, office, organisation, group and policy is described once, here; the
source graphs only point at these entities. Lookups answer by id, label, alias, QID and kind,
and resolve an office-like name ("the Prime Minister") by a date and a country. A name that
fits several entities is an error that lists them; an unknown one says which names are close.
Reconciliation and the sheets use this module's public API.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from hubgraph.errors import LoadError
from hubgraph.graph import dates
from hubgraph.graph.names import ascii_key, name_key, without_article
from hubgraph.sheets.yamlread import Node, Problems, read_yaml
from hubgraph.vocabulary import HG, ID, WIKIDATA_ENTITY

REGISTER_GRAPH = "https://w3id.org/hubgraph/graph/register"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
XSD = "http://www.w3.org/2001/XMLSchema#"

KINDS: dict[str, tuple[str, ...]] = {
    "country": ("Country", "Actor"),
    "person": ("Person", "Actor"),
    "organisation": ("Organisation", "Actor"),
    "news-organisation": ("NewsOrganisation", "Organisation", "Actor"),
    "political-party": ("PoliticalParty", "Organisation", "Actor"),
    "government-body": ("GovernmentBody", "Organisation", "Actor"),
    "group": ("ActorGroup", "Actor"),
    "office": ("Office",),
    "policy": ("Policy",),
}
"""The kinds of entity and the classes each is typed with (stated in full: no inference)."""
ID_PREFIX = {
    "country": "country/",
    "person": "person/",
    "organisation": "organisation/",
    "news-organisation": "organisation/",
    "political-party": "organisation/",
    "government-body": "organisation/",
    "group": "group/",
    "office": "office/",
    "policy": "policy/",
}
ACTOR_KINDS = frozenset(k for k, types in KINDS.items() if "Actor" in types)
ORGANISATION_KINDS = frozenset(k for k, types in KINDS.items() if "Organisation" in types)
LEADER_OFFICES = frozenset(
    {"prime-minister", "president", "head-of-state", "chairman-of-the-presidency"}
)
QID_STATUSES = ("verified", "verified-1-source", "none")
QID = re.compile(r"^Q[1-9][0-9]*$")
SLUG = re.compile(r"^[a-z]+/[a-z0-9]+(?:-[a-z0-9]+)*$")
ENTITY_KEYS = (
    "id",
    "kind",
    "label",
    "aliases",
    "qid",
    "qid_status",
    "note",
    "office_of",
    "office_type",
    "body_of",
    "head_of_state_of",
    "member_count",
    "part_of",
    "parent",
)
MANDATE_KEYS = (
    "holder",
    "office",
    "start",
    "end",
    "status",
    "status_until",
    "status_reference",
    "reference",
    "note",
)
LINKS = {
    "office_of": "officeOf",
    "body_of": "bodyOf",
    "head_of_state_of": "headOfStateOf",
    "part_of": "partOf",
    "parent": "parentOrganisation",
}
"""Keys naming another entity, and the property each becomes."""
OFFICE_PHRASES = {
    "prime minister": "prime-minister",
    "pm": "prime-minister",
    "premier": "prime-minister",
    "president": "president",
    "head of state": "head-of-state",
    "foreign secretary": "foreign-secretary",
    "deputy foreign minister": "deputy-foreign-minister",
    "chairman of the presidency": "chairman-of-the-presidency",
    "government spokesperson": "government-spokesperson",
    "deputy speaker": "deputy-speaker",
    "ambassador": "ambassador",
}
"""Office-like names, which mean whoever held that kind of office in a country on a date."""


def kinds_text(kinds: Iterable[str]) -> str:
    names = sorted(kinds)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class Entity:
    id: str
    kind: str
    label: str
    aliases: tuple[str, ...] = ()
    qid: str | None = None
    qid_status: str = "none"
    note: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    """office_of, body_of, head_of_state_of, part_of, parent: the id of the entity named."""
    office_type: str | None = None
    member_count: int | None = None
    line: int | None = None

    @property
    def iri(self) -> str:
        return ID + self.id

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)

    def __str__(self) -> str:
        return f"{self.label} ({self.id})"


@dataclass(frozen=True)
class Mandate:
    holder: str
    office: str
    start: str | None = None
    end: str | None = None
    status: str | None = None
    status_until: str | None = None
    status_reference: str | None = None
    reference: str | None = None
    note: str | None = None
    line: int | None = None

    @property
    def iri(self) -> str:
        return f"{ID}mandate/{self.holder.split('/', 1)[1]}--{self.office.split('/', 1)[1]}"

    def held_on(self, date: str | None) -> bool:
        return date is None or dates.overlaps(date, self.start, self.end)


class LookupError_(LoadError):
    """A name the register cannot resolve to one entity."""

    code = "unknown-entity"


class UnknownName(LookupError_):
    def __init__(self, name: str, suggestions: list[str], wanted: str | None = None) -> None:
        self.name, self.suggestions = name, suggestions
        what = f"no {wanted}" if wanted else "no entity"
        hint = (
            "; did you mean " + " or ".join(f"{s!r}" for s in suggestions) + "?"
            if suggestions
            else "; add it to data/register.yaml (or to the sheet's entities)"
        )
        super().__init__(f"{what} named {name!r} in the register{hint}")


class AmbiguousName(LookupError_):
    def __init__(self, name: str, candidates: list[Entity]) -> None:
        self.name, self.candidates = name, candidates
        listed = "; ".join(str(c) for c in candidates)
        super().__init__(
            f"{name!r} fits {len(candidates)} entities: {listed}; use one's id or full label"
        )


class WrongKind(LookupError_):
    def __init__(self, name: str, entity: Entity, wanted: Iterable[str]) -> None:
        self.name, self.entity = name, entity
        super().__init__(
            f"{name!r} is {entity.label}, a {entity.kind} ({entity.id}); "
            f"expected a {kinds_text(wanted)}"
        )


class Register:
    """The entities and mandates of the register, with indexes for the lookups."""

    def __init__(
        self, entities: Iterable[Entity], mandates: Iterable[Mandate], path: Path | None = None
    ) -> None:
        self.path = path
        self.entities: dict[str, Entity] = {}
        for entity in entities:
            self.entities[entity.id] = entity
        self.mandates = list(mandates)
        self._by_key: dict[str, list[Entity]] = {}
        self._by_ascii: dict[str, list[Entity]] = {}
        self._by_qid: dict[str, Entity] = {}
        for entity in self.entities.values():
            self._index(entity)

    def _index(self, entity: Entity) -> None:
        for name in {name_key(n) for n in entity.names}:
            self._by_key.setdefault(name, []).append(entity)
        for name in {ascii_key(n) for n in entity.names}:
            self._by_ascii.setdefault(name, []).append(entity)
        if entity.qid:
            self._by_qid[entity.qid] = entity

    def with_entities(self, extra: Iterable[Entity]) -> Register:
        """This register and ``extra`` (a sheet's own new entities) together."""
        return Register([*self.entities.values(), *extra], self.mandates, self.path)

    # ------------------------------------------------------------------ lookups

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities.values())

    def __len__(self) -> int:
        return len(self.entities)

    def by_id(self, entity_id: str) -> Entity | None:
        return self.entities.get(entity_id.removeprefix(ID))

    def by_qid(self, qid: str) -> Entity | None:
        return self._by_qid.get(qid.removeprefix(WIKIDATA_ENTITY))

    def by_iri(self, iri: str) -> Entity | None:
        return self.entities.get(iri.removeprefix(ID)) if iri.startswith(ID) else None

    def of_kind(self, *kinds: str) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind in kinds]

    def by_label(self, name: str) -> list[Entity]:
        """Every entity one of whose names is ``name`` (any case, apostrophe, accents)."""
        found = self._by_key.get(name_key(name))
        if not found:
            found = self._by_key.get(without_article(name_key(name)), [])
        if not found:
            found = self._by_ascii.get(ascii_key(name), [])
        return list(found)

    def find(self, name: str, kinds: Iterable[str] | None = None) -> Entity:
        """The one entity named ``name`` (a label, an alias, an id or a QID) of one of
        ``kinds``; raises UnknownName, AmbiguousName or WrongKind, whose messages say what
        to write instead."""
        wanted = frozenset(kinds) if kinds is not None else None
        text = name.strip()
        if QID.match(text):
            entity = self.by_qid(text)
            if entity is None:
                raise LookupError_(
                    f"{text} is not in the register; add the entity to data/register.yaml with "
                    "its QID from wikidata-ids.md, or name it by its label"
                )
            found = [entity]
        elif SLUG.match(text) and text in self.entities:
            found = [self.entities[text]]
        else:
            found = self.by_label(text)
        if not found:
            raise UnknownName(text, self.suggest(text, wanted), None)
        fitting = [e for e in found if wanted is None or e.kind in wanted]
        if not fitting:
            raise WrongKind(text, found[0], wanted or ())
        if len(fitting) > 1:
            raise AmbiguousName(text, sorted(fitting, key=lambda e: e.id))
        return fitting[0]

    def suggest(self, name: str, kinds: Iterable[str] | None = None, n: int = 3) -> list[str]:
        """The names closest to ``name`` (labels first), for "did you mean"."""
        wanted = frozenset(kinds) if kinds is not None else None
        pool: dict[str, str] = {}
        for entity in self.entities.values():
            if wanted is not None and entity.kind not in wanted:
                continue
            for alias in entity.names:
                pool.setdefault(ascii_key(alias), alias if alias == entity.label else entity.label)
        keys = difflib.get_close_matches(ascii_key(name), list(pool), n=n * 2, cutoff=0.6)
        out: list[str] = []
        for key in keys:
            if pool[key] not in out:
                out.append(pool[key])
        return out[:n]

    # ------------------------------------------------------------------ offices in time

    def mandates_of(self, holder: str, date: str | None = None) -> list[Mandate]:
        """The mandates ``holder`` (an id) held on ``date`` (any date when None)."""
        return [m for m in self.mandates if m.holder == holder and m.held_on(date)]

    def offices_held(self, holder: str, date: str | None = None) -> list[Entity]:
        return [self.entities[m.office] for m in self.mandates_of(holder, date)]

    def holders(self, office: str, date: str | None = None) -> list[Entity]:
        """Who held ``office`` (an id) on ``date``."""
        return [
            self.entities[m.holder] for m in self.mandates if m.office == office and m.held_on(date)
        ]

    def speaks_for(self, voice: Entity, holder: Entity, date: str | None) -> bool:
        """Whether ``voice`` may speak for ``holder`` on ``date``: it is the holder, a body of
        the holder, or a person holding an office of the holder then."""
        if voice.id == holder.id or holder.id in (
            voice.links.get("body_of"),
            voice.links.get("head_of_state_of"),
            voice.links.get("part_of"),
        ):
            return True
        return any(o.links.get("office_of") == holder.id for o in self.offices_held(voice.id, date))

    def office_like(self, name: str) -> str | None:
        """The office type an office-like name stands for ("the Prime Minister"), if any."""
        return OFFICE_PHRASES.get(without_article(name_key(name)))

    def resolve_office_like(self, name: str, country: str | None, date: str | None) -> Entity:
        """Whoever held the office ``name`` ("the Prime Minister") of ``country`` (an id) on
        ``date``."""
        office_type = self.office_like(name)
        if office_type is None:
            raise LookupError_(f"{name!r} is not an office-like name")
        if country is None:
            raise LookupError_(
                f"{name!r} names an office; it needs a country to resolve (none is given here)"
            )
        offices = [
            e
            for e in self.of_kind("office")
            if e.office_type == office_type and e.links.get("office_of") == country
        ]
        if not offices:
            raise LookupError_(f"{name!r}: the register has no {office_type} office of {country}")
        holders = [h for office in offices for h in self.holders(office.id, date)]
        if not holders:
            when = f" on {date}" if date else ""
            raise LookupError_(
                f"{name!r}: nobody held {offices[0].label}{when} according to the "
                "register's mandates"
            )
        if len(holders) > 1:
            raise AmbiguousName(name, holders)
        return holders[0]

    # ------------------------------------------------------------------ RDF

    def quads(self, graph: str = REGISTER_GRAPH) -> list[ox.Quad]:
        return list(entity_quads(self.entities.values(), self.mandates, graph, register=self))


def _lit(value: str) -> ox.Literal:
    return ox.Literal(value)


def _en(value: str) -> ox.Literal:
    return ox.Literal(value, language="en")


def _typed(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(dates.datatype(value)))


def entity_quads(
    entities: Iterable[Entity],
    mandates: Iterable[Mandate],
    graph: str,
    *,
    register: Register | None = None,
) -> Iterator[ox.Quad]:
    """The RDF of ``entities`` and ``mandates`` in ``graph`` (the register's, or a source's
    for the entities a sheet introduces)."""
    g = ox.NamedNode(graph)
    mandates = list(mandates)
    leaders = {
        m.holder
        for m in mandates
        if register is not None
        and (office := register.by_id(m.office)) is not None
        and office.office_type in LEADER_OFFICES
    }

    def q(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, g)

    for e in entities:
        s = ox.NamedNode(e.iri)
        types = KINDS[e.kind]
        if e.kind == "person" and e.id in leaders:
            types = ("Leader", *types)
        for t in types:
            yield q(s, RDF_TYPE, ox.NamedNode(HG + t))
        yield q(s, RDFS_LABEL, _en(e.label))
        for alias in e.aliases:
            yield q(s, SKOS_ALT, _en(alias))
        if e.qid:
            yield q(s, OWL_SAME_AS, ox.NamedNode(WIKIDATA_ENTITY + e.qid))
            yield q(s, HG + "qidStatus", _lit(e.qid_status))
        else:
            yield q(s, HG + "wikidataLinkMissing", ox.Literal(True))
        if e.note:
            yield q(s, HG + "note", _lit(e.note))
        for key, prop in LINKS.items():
            if key in e.links:
                yield q(s, HG + prop, ox.NamedNode(ID + e.links[key]))
        if e.office_type:
            yield q(s, HG + "officeType", _lit(e.office_type))
        if e.member_count is not None:
            yield q(s, HG + "memberCount", ox.Literal(e.member_count))
    for m in mandates:
        s = ox.NamedNode(m.iri)
        yield q(s, RDF_TYPE, ox.NamedNode(HG + "Mandate"))
        if register is not None:
            holder, office = register.by_id(m.holder), register.by_id(m.office)
            if holder is not None and office is not None:
                yield q(s, RDFS_LABEL, _en(f"{holder.label}, {office.label}"))
        yield q(s, HG + "holder", ox.NamedNode(ID + m.holder))
        yield q(s, HG + "office", ox.NamedNode(ID + m.office))
        for key, prop in (("start", "start"), ("end", "end"), ("status_until", "statusUntil")):
            value = getattr(m, key)
            if value:
                yield q(s, HG + prop, _typed(value))
        for key, prop in (
            ("status", "status"),
            ("status_reference", "statusReference"),
            ("reference", "reference"),
            ("note", "note"),
        ):
            value = getattr(m, key)
            if value:
                yield q(s, HG + prop, _lit(value))


# ---------------------------------------------------------------------- reading


def parse_entity(node: Node, *, source: str | None = None) -> Entity | None:
    """One entity entry (of the register, or of a sheet's ``entities``), checked."""
    node.check_keys(ENTITY_KEYS, required=("id", "kind", "label"))
    entity_id = node.text("id") or ""
    kind = node.text("kind") or ""
    label = node.text("label") or ""
    ok = True
    if kind and kind not in KINDS:
        node.error("kind", f"unknown kind {kind!r}; the kinds are: {', '.join(KINDS)}")
        ok = False
    if entity_id and not SLUG.match(entity_id):
        node.error("id", f"{entity_id!r} is not an id of the form kind/lower-case-words")
        ok = False
    elif entity_id and kind in ID_PREFIX and not entity_id.startswith(ID_PREFIX[kind]):
        node.error("id", f"the id of a {kind} starts with {ID_PREFIX[kind]!r}, not {entity_id!r}")
        ok = False
    aliases = tuple(a for a, _ in node.texts("aliases"))
    qid = node.text("qid")
    status = node.text("qid_status")
    if status is None:
        status = "verified" if qid else "none"
        if qid:
            node.error("qid_status", "is required with a qid (verified or verified-1-source)")
    elif status not in QID_STATUSES:
        node.error("qid_status", f"unknown status {status!r}; one of: {', '.join(QID_STATUSES)}")
    malformed = qid is not None and not QID.match(qid)
    if malformed:
        node.error("qid", f"{qid!r} is not a Wikidata QID (Q followed by digits)")
        qid = None
    if qid and status == "none":
        node.error("qid", "a qid with qid_status none; remove the qid or give its status")
    if not qid and not malformed and status in {"verified", "verified-1-source"}:
        node.error("qid_status", f"is {status!r} but there is no qid")
    links = {key: value for key in LINKS if (value := node.text(key))}
    office_type = node.text("office_type")
    if kind == "office":
        for key, value in (("office_of", links.get("office_of")), ("office_type", office_type)):
            if not value:
                node.problems.add(node.line, node.field(key), "is required for an office")
    elif office_type or "office_of" in links:
        node.error("office_type" if office_type else "office_of", "only an office has this key")
    if not (entity_id and kind and label and ok):
        return None
    return Entity(
        id=entity_id,
        kind=kind,
        label=label,
        aliases=aliases,
        qid=qid,
        qid_status=status,
        note=node.text("note"),
        links=links,
        office_type=office_type,
        member_count=node.integer("member_count"),
        line=node.line,
    )


def parse_mandate(node: Node) -> Mandate | None:
    node.check_keys(MANDATE_KEYS, required=("holder", "office", "reference"))
    holder, office = node.text("holder"), node.text("office")
    if not (holder and office):
        return None
    return Mandate(
        holder=holder,
        office=office,
        start=node.date("start"),
        end=node.date("end"),
        status=node.text("status"),
        status_until=node.date("status_until"),
        status_reference=node.text("status_reference"),
        reference=node.text("reference"),
        note=node.text("note"),
        line=node.line,
    )


def check_links(entities: dict[str, Entity], problems: Problems, known: dict[str, Entity]) -> None:
    """Every entity a link names exists, and is of a fitting kind."""
    for e in entities.values():
        for key, target in e.links.items():
            other = known.get(target)
            if other is None:
                problems.add(e.line, f"{e.id}.{key}", f"no entity {target!r} in the register")
            elif (
                key in {"office_of", "body_of", "head_of_state_of", "part_of"}
                and other.kind not in ACTOR_KINDS
            ):
                problems.add(e.line, f"{e.id}.{key}", f"{target!r} is a {other.kind}, not an actor")
            elif key == "parent" and other.kind not in ORGANISATION_KINDS:
                problems.add(
                    e.line, f"{e.id}.{key}", f"{target!r} is a {other.kind}, not an organisation"
                )


def read_register(path: Path) -> Register:
    """``data/register.yaml``, checked whole: every problem is raised at once."""
    problems = Problems(str(path))
    doc = read_yaml(path)
    root = Node(doc, "", problems, 1)
    root.check_keys(("register", "entities", "mandates"), required=("register", "entities"))
    if root.has("register") and root.data.get("register") != 1:
        root.error("register", "this hubgraph reads register format 1")
    entities: dict[str, Entity] = {}
    qids: dict[str, Entity] = {}
    for node in root.nodes("entities"):
        entity = parse_entity(node)
        if entity is None:
            continue
        if entity.id in entities:
            node.error(
                "id",
                f"{entity.id!r} is also the id of the entry on line {entities[entity.id].line}",
            )
            continue
        if entity.qid and entity.qid in qids:
            node.error("qid", f"{entity.qid} is also the QID of {qids[entity.qid]}")
        entities[entity.id] = entity
        if entity.qid:
            qids[entity.qid] = entity
    check_links(entities, problems, entities)
    mandates: list[Mandate] = []
    for node in root.nodes("mandates"):
        mandate = parse_mandate(node)
        if mandate is None:
            continue
        holder, office = entities.get(mandate.holder), entities.get(mandate.office)
        if holder is None:
            node.error("holder", f"no entity {mandate.holder!r} in the register")
        elif holder.kind != "person":
            node.error(
                "holder", f"{mandate.holder!r} is a {holder.kind}; a mandate's holder is a person"
            )
        if office is None:
            node.error("office", f"no entity {mandate.office!r} in the register")
        elif office.kind != "office":
            node.error("office", f"{mandate.office!r} is a {office.kind}, not an office")
        if (
            mandate.start
            and mandate.end
            and dates.interval(mandate.end)[1] < dates.interval(mandate.start)[0]
        ):
            node.error("end", f"ends ({mandate.end}) before it starts ({mandate.start})")
        mandates.append(mandate)
    problems.raise_if_any()
    return Register(entities.values(), mandates, path)


def register_path(data_dir: Path) -> Path:
    return data_dir / "register.yaml"

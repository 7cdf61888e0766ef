"""The properties the service knows: for property conditions in queries, suggest, data
extension and its proposals. One table, so that every part of the API names them alike."""

from __future__ import annotations

from dataclasses import dataclass

from hubgraph.reconcile.register import TYPE_BY_ID, EntityType


@dataclass(frozen=True)
class Property:
    id: str
    name: str
    description: str
    types: tuple[str, ...]
    """Ids of the types it applies to."""
    settings: tuple[str, ...] = ()
    """Names of the extension settings it reads (``date``, ``policy``)."""
    value_type: EntityType | None = None
    """The type of its values, when they are entities of the register."""
    condition: bool = True
    """Whether queries may use it as a property condition."""


ALL = tuple(TYPE_BY_ID)
PROPERTIES: tuple[Property, ...] = (
    Property("qid", "Wikidata QID", "the entity's Wikidata identifier (Q…)", ALL),
    Property(
        "office", "Office held",
        "the office a person holds, as of a date (default: mandates not known to have ended)",
        ("person",), ("date",), TYPE_BY_ID["office"],
    ),
    Property(
        "holder", "Office holder",
        "who holds the office, as of a date (default: mandates not known to have ended)",
        ("office",), ("date",), TYPE_BY_ID["person"],
    ),
    Property(
        "country", "Country",
        "an office's country; a person's countries through the offices they held",
        ("person", "office"), (), TYPE_BY_ID["country"],
    ),
    Property(
        "position", "Latest position on a policy",
        "the latest observed position (willing, refuses …) on a policy, up to a date",
        ("country", "organisation", "person"), ("policy", "date"), condition=False,
    ),
    Property(
        "observations", "Number of observations",
        "how many observed stances the entity holds, voices or (a policy) is the object of",
        ("country", "organisation", "person", "policy"), condition=False,
    ),
)  # fmt: skip
PROPERTY_BY_ID = {p.id: p for p in PROPERTIES}
CONDITIONS = tuple(p.id for p in PROPERTIES if p.condition)


def properties_for(type_id: str | None) -> list[Property]:
    return [p for p in PROPERTIES if type_id is None or type_id in p.types]

"""Reading what clients send: reconciliation query batches and data extension requests.

Anything may come in, so every value is checked for its JSON type and size before any work
is done, and a bad one is refused with a message that names the query and the field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from hubgraph.errors import BadRequest, PayloadTooLarge
from hubgraph.reconcile.properties import CONDITIONS, PROPERTY_BY_ID
from hubgraph.reconcile.register import TYPES, EntityType, find_type

MAX_BATCH = 200
"""Queries in one batch (OpenRefine sends 10 at a time by default), and ids in one extension."""
MAX_TEXT = 500
"""Characters in a name, a query key, an id or a property value."""
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
MAX_CONDITIONS = 20
"""Property conditions in one query, values in one condition, types in one query."""
QUERY_KEYS = frozenset({"query", "type", "limit", "properties", "type_strict"})
_DAY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Value:
    """A property value as a client gives it: an entity id, or a text, or both."""

    id: str | None
    text: str | None


@dataclass(frozen=True)
class Condition:
    pid: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Query:
    key: str
    text: str
    types: tuple[EntityType, ...]
    limit: int
    conditions: tuple[Condition, ...]
    all_types: bool = False
    """``type_strict: all``: a candidate must have every type given (else any one will do)."""


@dataclass(frozen=True)
class ExtendProperty:
    id: str
    date: str | None
    policy: str | None


@dataclass(frozen=True)
class ExtendRequest:
    ids: tuple[str, ...]
    properties: tuple[ExtendProperty, ...]


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a string, not {_kind(value)}")
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{where} is {len(value)} characters long; at most {MAX_TEXT} are allowed")
    return value


def parse_json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        # RecursionError: a few thousand nested brackets are valid JSON Python cannot read.
        raise BadRequest(f"{field!r} is not valid JSON: {exc}") from None


def parse_types(raw: object, where: str) -> tuple[EntityType, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or len(items) > MAX_CONDITIONS:
        raise BadRequest(f"{where} must be a type id or an array of at most {MAX_CONDITIONS}")
    found: list[EntityType] = []
    for item in items:
        name = _text(item, where)
        kind = find_type(name)
        if kind is None:
            known = ", ".join(t.id for t in TYPES)
            raise BadRequest(f"{where}: no type {name!r}; the types are {known}")
        found.append(kind)
    return tuple(dict.fromkeys(found))


def _value(raw: object, where: str) -> Value:
    if isinstance(raw, dict):
        if "id" not in raw:
            raise BadRequest(f"{where} is an object without an 'id'")
        name = raw.get("name")
        return Value(
            _text(raw["id"], f"{where}.id"), _text(name, f"{where}.name") if name else None
        )
    if isinstance(raw, bool):
        return Value(None, "true" if raw else "false")
    if isinstance(raw, int | float) and not (isinstance(raw, float) and not math.isfinite(raw)):
        return Value(None, str(raw))
    return Value(None, _text(raw, where))


def _condition(raw: object, where: str) -> Condition:
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be an object with 'pid' and 'v', not {_kind(raw)}")
    if "pid" not in raw or "v" not in raw:
        raise BadRequest(f"{where} needs both 'pid' and 'v'")
    pid = _text(raw["pid"], f"{where}.pid")
    if pid not in CONDITIONS:
        raise BadRequest(f"{where}: no property {pid!r} to match on; use {', '.join(CONDITIONS)}")
    values = raw["v"] if isinstance(raw["v"], list) else [raw["v"]]
    if not 1 <= len(values) <= MAX_CONDITIONS:
        raise BadRequest(f"{where}.v must hold 1 to {MAX_CONDITIONS} values")
    return Condition(pid, tuple(_value(v, f"{where}.v") for v in values))


def parse_query(key: str, raw: object) -> Query:
    where = f"query {key!r}"
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be an object, not {_kind(raw)}")
    unknown = sorted(set(raw) - QUERY_KEYS)
    if unknown:
        raise BadRequest(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"the fields are {', '.join(sorted(QUERY_KEYS))}"
        )
    text = _text(raw["query"], f"{where}: 'query'") if "query" in raw else ""
    limit = raw.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not math.isfinite(limit):
        raise BadRequest(f"{where}: 'limit' must be a number, not {_kind(limit)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"{where}: 'limit' must be between 1 and {MAX_LIMIT}, not {limit}")
    strict = raw.get("type_strict", "any")
    if strict not in ("any", "should", "all"):
        raise BadRequest(f"{where}: 'type_strict' must be any, should or all")
    conditions = raw.get("properties", [])
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        raise BadRequest(f"{where}: 'properties' must be an array of at most {MAX_CONDITIONS}")
    parsed = tuple(_condition(c, f"{where}: properties[{i}]") for i, c in enumerate(conditions))
    if not text.strip() and not parsed:
        raise BadRequest(f"{where} needs a non-empty 'query' or some 'properties'")
    types = parse_types(raw.get("type"), f"{where}: 'type'")
    return Query(key, text, types, int(limit), parsed, all_types=strict == "all")


def parse_batch(raw: object) -> list[Query]:
    if not isinstance(raw, dict):
        raise BadRequest(f"a query batch must be a JSON object of queries, not {_kind(raw)}")
    if len(raw) > MAX_BATCH:
        raise PayloadTooLarge(f"the batch holds {len(raw)} queries; at most {MAX_BATCH}")
    for key in raw:
        _text(key, "a query's key")
    return [parse_query(key, value) for key, value in raw.items()]


def parse_extend(raw: object) -> ExtendRequest:
    if not isinstance(raw, dict):
        raise BadRequest(f"an extension request must be a JSON object, not {_kind(raw)}")
    ids, properties = raw.get("ids"), raw.get("properties")
    if not isinstance(ids, list) or not isinstance(properties, list):
        raise BadRequest("an extension request needs 'ids' and 'properties', both arrays")
    if len(ids) > MAX_BATCH:
        raise PayloadTooLarge(f"the request names {len(ids)} ids; at most {MAX_BATCH}")
    if not 1 <= len(properties) <= MAX_CONDITIONS:
        raise BadRequest(f"'properties' must hold 1 to {MAX_CONDITIONS} properties")
    parsed: list[ExtendProperty] = []
    for i, item in enumerate(properties):
        where = f"properties[{i}]"
        if not isinstance(item, dict) or "id" not in item:
            raise BadRequest(f"{where} must be an object with an 'id'")
        pid = _text(item["id"], f"{where}.id")
        if pid not in PROPERTY_BY_ID:
            raise BadRequest(f"{where}: no property {pid!r}; use {', '.join(PROPERTY_BY_ID)}")
        settings = item.get("settings")
        settings = {} if settings is None else settings
        if not isinstance(settings, dict):
            raise BadRequest(f"{where}.settings must be an object, not {_kind(settings)}")
        date = settings.get("date") or None
        if date is not None and not _DAY.match(_text(date, f"{where}.settings.date")):
            raise BadRequest(f"{where}.settings.date must be YYYY, YYYY-MM or YYYY-MM-DD")
        policy = settings.get("policy") or None
        if policy is not None:
            _text(policy, f"{where}.settings.policy")
        parsed.append(ExtendProperty(pid, date, policy))
    return ExtendRequest(tuple(_text(i, "an id") for i in ids), tuple(parsed))

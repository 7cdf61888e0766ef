"""The JSON Schema of the coding sheet (``sheet.schema.json``, shipped with the package and
served at ``GET /sheet.schema.json``), so that an editor validates and completes a sheet as it
is typed. It is built from the same key lists the reader checks (:mod:`hubgraph.sheets.format`),
and a test keeps the shipped file equal to it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from hubgraph.graph.register import ENTITY_KEYS, KINDS, QID_STATUSES
from hubgraph.sheets import format as f

SCHEMA_ID = "https://w3id.org/hubgraph/sheet.schema.json"
DATE = {
    "type": "string",
    "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
    "description": "YYYY-MM-DD, YYYY-MM or YYYY (as precise as the source gives it)",
}
NAME = {"type": "string", "minLength": 1, "description": "a register name: label, alias, id or QID"}
NAMES = {"type": "array", "items": NAME}
LOCAL_ID = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
TEXT = {"type": "string"}
OPTIONAL_TEXT = {"type": ["string", "null"]}
REFS = {
    "type": "array",
    "items": {
        "type": "string",
        "description": "<source-id>/<local-id>, or a local id of this sheet",
    },
}


def _object(
    props: dict[str, Any], required: tuple[str, ...] = (), description: str = ""
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def sheet_schema() -> dict[str, Any]:
    entity = _object(
        {
            "id": {"type": "string", "pattern": "^[a-z]+/[a-z0-9]+(-[a-z0-9]+)*$"},
            "kind": {"enum": list(KINDS)},
            "label": TEXT,
            "aliases": {"type": "array", "items": TEXT},
            "qid_status": {"enum": list(QID_STATUSES)},
            "note": TEXT,
            "office_of": NAME,
            "office_type": TEXT,
            "body_of": NAME,
            "head_of_state_of": NAME,
            "member_count": {"type": "integer"},
            "part_of": NAME,
            "parent": NAME,
        },
        ("id", "kind", "label"),
        "a new entity this source introduces (QIDs live in the register only)",
    )
    assert set(entity["properties"]) == set(ENTITY_KEYS) - {"qid"}
    condition = _object(
        {
            "id": LOCAL_ID,
            "kind": {"enum": list(f.CONDITION_KINDS)},
            "paraphrase": TEXT,
            "obliged": NAME,
            "beneficiary": NAME,
            "concerns": NAMES,
            "evidence": {"type": "array", "items": LOCAL_ID},
            "note": TEXT,
        },
        ("kind", "paraphrase"),
    )
    source = _object(
        {
            "title": OPTIONAL_TEXT,
            "title_note": TEXT,
            "publisher": NAME,
            "url": {"type": ["string", "null"], "pattern": "^https?://"},
            "url_note": TEXT,
            "date": DATE,
            "date_basis": TEXT,
            "language": TEXT,
            "first_hand": {"type": "boolean"},
            "cites": NAMES,
            "copies": {
                "type": "array",
                "items": _object(
                    {"publisher": NAME, "url": TEXT, "date": DATE, "note": TEXT}, ("publisher",)
                ),
            },
            "text": TEXT,
            "text_note": TEXT,
            "note": TEXT,
        },
        ("publisher", "date"),
    )
    quote = _object(
        {
            "id": LOCAL_ID,
            "speaker": NAME,
            "text": TEXT,
            "language": TEXT,
            "original_language": TEXT,
            "translated_by": NAME,
            "line": {"type": "integer", "minimum": 1},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "note": TEXT,
        },
        ("id", "speaker", "text"),
    )
    statement = _object(
        {
            "id": LOCAL_ID,
            "text": TEXT,
            "verbatim": {"type": "boolean"},
            "line": {"type": "integer", "minimum": 1},
            "note": TEXT,
        },
        ("id", "text"),
    )
    observation = _object(
        {
            "id": LOCAL_ID,
            "holder": NAME,
            "policy": NAME,
            "position": {"enum": list(f.POSITIONS)},
            "voice": NAME,
            "voice_attribution": {"enum": list(f.VOICE_ATTRIBUTIONS)},
            "date": DATE,
            "date_basis": TEXT,
            "evidence": {"type": "array", "items": LOCAL_ID, "minItems": 1},
            "conditions": {"type": "array", "items": condition},
            "confidence": {"enum": list(f.CONFIDENCE)},
            "citing": NAME,
            "contradicts": REFS,
            "motive": TEXT,
            "note": TEXT,
        },
        ("id", "holder", "policy", "position", "evidence"),
    )
    claim = _object(
        {
            "id": LOCAL_ID,
            "claimant": NAME,
            "about": NAMES,
            "text": TEXT,
            "kind": {"enum": list(f.CLAIM_KINDS)},
            "date": DATE,
            "date_basis": TEXT,
            "evidence": {"type": "array", "items": LOCAL_ID, "minItems": 1},
            "denies": REFS,
            "contradicts": REFS,
            "note": TEXT,
        },
        ("id", "claimant", "text", "kind", "evidence"),
    )
    coding = _object(
        {"coder": TEXT, "coded_on": DATE, "codebook": TEXT, "reviewer": OPTIONAL_TEXT},
        ("coder", "coded_on", "codebook"),
    )
    for schema_part, keys in (
        (source, f.SOURCE_KEYS),
        (quote, f.QUOTE_KEYS),
        (statement, f.STATEMENT_KEYS),
        (observation, f.OBSERVATION_KEYS),
        (condition, f.CONDITION_KEYS),
        (claim, f.CLAIM_KEYS),
        (coding, f.CODING_KEYS),
    ):
        assert list(schema_part["properties"]) == list(keys), keys
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "hubgraph coding sheet",
        "description": "One source (publication) coded by hand; see docs/coding-sheet.md.",
        **_object(
            {
                "sheet": {"const": 1},
                "id": {"type": "string", "description": "the file's stem"},
                "coding": coding,
                "source": source,
                "quotes": {"type": "array", "items": quote},
                "statements": {"type": "array", "items": statement},
                "observations": {"type": "array", "items": observation},
                "claims": {"type": "array", "items": claim},
                "entities": {"type": "array", "items": entity},
            },
            ("sheet", "id", "coding", "source"),
        ),
    }


def schema_text() -> str:
    """The shipped schema file's text."""
    return (
        resources.files("hubgraph.sheets").joinpath("sheet.schema.json").read_text(encoding="utf-8")
    )


def render() -> str:
    return json.dumps(sheet_schema(), indent=2, ensure_ascii=False) + "\n"

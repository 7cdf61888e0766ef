"""Checks of Reconciliation Service API 0.2 responses, written from the specification's
published JSON Schemas (reconciliation-api/specs, 0.2/schemas/*.json): every required field,
and the type and pattern of every field the schemas constrain when it is present. Written
here as plain assertions, not copied from the schema files."""

from __future__ import annotations

import re
from typing import Any

ID_TEMPLATE = re.compile(r".*\{\{id\}\}.*")
FLYOUT_TEMPLATE = re.compile(r".*\$\{id\}.*")
ISO_DATE_TIME = re.compile(
    r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T(2[0-3]|[01][0-9])"
    r":([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$"
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional_str(obj: dict[str, Any], key: str, where: str) -> None:
    if key in obj:
        assert isinstance(obj[key], str), f"{where}.{key} must be a string: {obj[key]!r}"


def check_type(value: Any, where: str = "type") -> None:
    """type.json: an object with string id and name, optional description and broader."""
    assert isinstance(value, dict), f"{where} must be an object"
    for key in ("id", "name"):
        assert isinstance(value.get(key), str), f"{where}.{key} is required, a string"
    _optional_str(value, "description", where)
    if "broader" in value:
        assert isinstance(value["broader"], list), f"{where}.broader must be an array"
        for i, item in enumerate(value["broader"]):
            check_type(item, f"{where}.broader[{i}]")


def _check_type_ref(value: Any, where: str) -> None:
    """A candidate's type in results and suggest: {id, name?} or a plain string id."""
    if isinstance(value, str):
        return
    assert isinstance(value, dict), f"{where} must be an object or a string"
    assert isinstance(value.get("id"), str), f"{where}.id is required, a string"
    _optional_str(value, "name", where)


def _check_service_definition(value: Any, where: str) -> None:
    assert isinstance(value, dict), f"{where} must be an object"
    for key in ("service_url", "service_path", "flyout_service_url"):
        _optional_str(value, key, where)
    if "flyout_service_path" in value:
        assert FLYOUT_TEMPLATE.match(value["flyout_service_path"]), where


def _check_setting(setting: Any, where: str) -> None:
    assert isinstance(setting, dict), f"{where} must be an object"
    kinds = {"number": _is_number, "text": lambda v: isinstance(v, str),
             "checkbox": lambda v: isinstance(v, bool), "select": lambda v: isinstance(v, str)}  # fmt: skip
    assert setting.get("type") in kinds, f"{where}.type must be one of {sorted(kinds)}"
    for key in ("label", "name"):
        assert isinstance(setting.get(key), str), f"{where}.{key} is required, a string"
    _optional_str(setting, "help_text", where)
    if "default" in setting:
        assert kinds[setting["type"]](setting["default"]), f"{where}.default has the wrong type"
    if setting["type"] == "select":
        choices = setting.get("choices")
        assert isinstance(choices, list), f"{where}.choices is required for a select"
        for i, choice in enumerate(choices):
            assert isinstance(choice, dict), f"{where}.choices[{i}] must be an object"
            for key in ("value", "name"):
                assert isinstance(choice.get(key), str), f"{where}.choices[{i}].{key}"


def check_manifest(body: Any) -> None:
    """manifest.json."""
    assert isinstance(body, dict), "the manifest must be an object"
    for key in ("versions", "name", "identifierSpace", "schemaSpace"):
        assert key in body, f"manifest.{key} is required"
    versions = body["versions"]
    assert isinstance(versions, list) and all(isinstance(v, str) for v in versions)
    assert "0.2" in versions, "versions must contain 0.2"
    for key in ("name", "identifierSpace", "schemaSpace", "documentation", "serviceVersion",
                "logo"):  # fmt: skip
        _optional_str(body, key, "manifest")
    for key in ("view", "feature_view"):
        if key in body:
            assert isinstance(body[key], dict), f"manifest.{key} must be an object"
            url = body[key].get("url")
            assert isinstance(url, str) and ID_TEMPLATE.match(url), f"manifest.{key}.url"
    if "defaultTypes" in body:
        types = body["defaultTypes"]
        assert isinstance(types, list), "defaultTypes must be an array"
        for i, item in enumerate(types):
            check_type(item, f"defaultTypes[{i}]")
        assert len({repr(sorted(t.items())) for t in types}) == len(types), "uniqueItems"
    if "suggest" in body:
        assert isinstance(body["suggest"], dict)
        for kind in ("entity", "property", "type"):
            if kind in body["suggest"]:
                _check_service_definition(body["suggest"][kind], f"suggest.{kind}")
    if "preview" in body:
        preview = body["preview"]
        assert isinstance(preview, dict)
        for key in ("url", "width", "height"):
            assert key in preview, f"preview.{key} is required"
        assert isinstance(preview["url"], str) and ID_TEMPLATE.match(preview["url"])
        for key in ("width", "height"):
            assert isinstance(preview[key], int) and not isinstance(preview[key], bool)
    if "extend" in body:
        extend = body["extend"]
        assert isinstance(extend, dict)
        if "propose_properties" in extend:
            propose = extend["propose_properties"]
            assert isinstance(propose, dict)
            for key in ("service_url", "service_path"):
                _optional_str(propose, key, "extend.propose_properties")
        if "property_settings" in extend:
            assert isinstance(extend["property_settings"], list)
            for i, setting in enumerate(extend["property_settings"]):
                _check_setting(setting, f"extend.property_settings[{i}]")


def check_result_batch(body: Any, keys: set[str] | None = None) -> None:
    """reconciliation-result-batch.json; ``keys``: the batch's query keys, all answered."""
    assert isinstance(body, dict), "a result batch must be an object"
    if keys is not None:
        assert set(body) == keys, f"answered {sorted(body)}, asked {sorted(keys)}"
    for key, answer in body.items():
        where = f"[{key!r}]"
        assert isinstance(answer, dict), f"{where} must be an object"
        assert isinstance(answer.get("result"), list), f"{where}.result is required, an array"
        for i, candidate in enumerate(answer["result"]):
            here = f"{where}.result[{i}]"
            assert isinstance(candidate, dict), f"{here} must be an object"
            for field in ("id", "name"):
                assert isinstance(candidate.get(field), str), f"{here}.{field}: a string"
            assert _is_number(candidate.get("score")), f"{here}.score is required, a number"
            _optional_str(candidate, "description", here)
            if "match" in candidate:
                assert isinstance(candidate["match"], bool), f"{here}.match: a boolean"
            if "features" in candidate:
                assert isinstance(candidate["features"], list), f"{here}.features: an array"
                for j, feature in enumerate(candidate["features"]):
                    assert isinstance(feature, dict), f"{here}.features[{j}]"
                    _optional_str(feature, "id", f"{here}.features[{j}]")
                    if "value" in feature:
                        value = feature["value"]
                        assert isinstance(value, bool) or _is_number(value), (
                            f"{here}.features[{j}].value: a boolean or a number"
                        )
            if "type" in candidate:
                assert isinstance(candidate["type"], list), f"{here}.type: an array"
                for j, item in enumerate(candidate["type"]):
                    _check_type_ref(item, f"{here}.type[{j}]")


def check_suggest_entities(body: Any) -> None:
    """suggest-entities-response.json."""
    assert isinstance(body, dict) and isinstance(body.get("result"), list)
    for i, item in enumerate(body["result"]):
        assert isinstance(item, dict)
        for key in ("id", "name"):
            assert isinstance(item.get(key), str), f"result[{i}].{key}"
        _optional_str(item, "description", f"result[{i}]")
        if "notable" in item:
            assert isinstance(item["notable"], list)
            for j, kind in enumerate(item["notable"]):
                _check_type_ref(kind, f"result[{i}].notable[{j}]")


def check_suggest_properties(body: Any) -> None:
    """suggest-properties-response.json."""
    assert isinstance(body, dict) and isinstance(body.get("result"), list)
    for i, item in enumerate(body["result"]):
        assert isinstance(item, dict)
        for key in ("id", "name"):
            assert isinstance(item.get(key), str), f"result[{i}].{key}"
        _optional_str(item, "description", f"result[{i}]")


def check_suggest_types(body: Any) -> None:
    """suggest-types-response.json."""
    assert isinstance(body, dict) and isinstance(body.get("result"), list)
    for i, item in enumerate(body["result"]):
        check_type(item, f"result[{i}]")


def _check_cell(cell: Any, where: str) -> None:
    """One of the six value shapes, each with no other field (additionalProperties: false)."""
    assert isinstance(cell, dict), f"{where} must be an object"
    keys = set(cell)
    if not keys:
        return
    if "id" in keys or "name" in keys:
        assert keys <= {"id", "name", "description"}, f"{where}: extra fields {keys}"
        assert isinstance(cell.get("id"), str) and isinstance(cell.get("name"), str), where
        _optional_str(cell, "description", where)
        return
    assert len(keys) == 1, f"{where} must hold one of str, float, int, date: {keys}"
    (key,) = keys
    value = cell[key]
    if key == "str":
        assert isinstance(value, str), where
    elif key == "float":
        assert _is_number(value), where
    elif key == "int":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif key == "date":
        assert isinstance(value, str) and ISO_DATE_TIME.match(value), where
    else:
        raise AssertionError(f"{where}: unknown value shape {key!r}")


def check_extension(body: Any, ids: list[str], properties: list[str]) -> None:
    """data-extension-response.json, and that every id and property asked for is there."""
    assert isinstance(body, dict)
    assert "rows" in body and "meta" in body, "rows and meta are required"
    assert isinstance(body["meta"], list)
    for i, column in enumerate(body["meta"]):
        assert isinstance(column, dict)
        for key in ("id", "name"):
            assert isinstance(column.get(key), str), f"meta[{i}].{key}"
        if "type" in column:
            assert isinstance(column["type"], dict)
            assert isinstance(column["type"].get("id"), str), f"meta[{i}].type.id"
            _optional_str(column["type"], "name", f"meta[{i}].type")
        if "service" in column:
            assert isinstance(column["service"], str)
            assert re.match(r"^https?://", column["service"])
    assert [c["id"] for c in body["meta"]] == properties
    rows = body["rows"]
    assert isinstance(rows, dict) and set(rows) == set(ids)
    for entity, row in rows.items():
        assert isinstance(row, dict) and set(row) == set(properties), entity
        for pid, cells in row.items():
            assert isinstance(cells, list), f"rows[{entity}][{pid}] must be an array"
            for k, cell in enumerate(cells):
                _check_cell(cell, f"rows[{entity}][{pid}][{k}]")


def check_proposal(body: Any) -> None:
    """The propose-properties answer (the 0.2 text: ``properties`` of id and name; ``type``
    and ``limit`` echo the request)."""
    assert isinstance(body, dict) and isinstance(body.get("properties"), list)
    for i, item in enumerate(body["properties"]):
        assert isinstance(item, dict)
        for key in ("id", "name"):
            assert isinstance(item.get(key), str), f"properties[{i}].{key}"
    _optional_str(body, "type", "proposal")
    if "limit" in body:
        assert isinstance(body["limit"], int)

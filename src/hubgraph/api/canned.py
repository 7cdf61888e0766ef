"""``/queries``: the canned queries, each its own typed operation in the OpenAPI document."""

from __future__ import annotations

import datetime
import enum
import inspect
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from hubgraph.api.departures import unless_client_leaves
from hubgraph.api.links import public_base, public_url
from hubgraph.api.responses import in_thread, service_of
from hubgraph.errors import NotFound, ParameterError
from hubgraph.formats import RECORDS_CSV, SPREADSHEET_CSV, TABLE_FORMATS, Format, by_name, negotiate
from hubgraph.queries import RESERVED, CannedQuery, Parameter
from hubgraph.service import Page, QueryService
from hubgraph.terms import csv_text, records, sparql_json

PYTHON_TYPES: dict[str, Any] = {
    "iri": str, "qid": str, "entity": str, "string": str, "integer": int,
    "decimal": float, "date": datetime.date, "boolean": bool,
}  # fmt: skip
RESULT_CONTENT = {
    "application/json": {"example": {"query": "refusals", "columns": ["country"], "rows": []}},
    "text/csv": {},
    "application/sparql-results+json": {},
}


def describe_query(query: CannedQuery, service: QueryService, base: str) -> dict[str, object]:
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "url": f"{base}queries/{query.name}",
        "csv": f"{base}queries/{query.name}.csv",
        "parameters": [describe_parameter(p, service) for p in query.parameters],
    }


def describe_parameter(param: Parameter, service: QueryService) -> dict[str, object]:
    out: dict[str, object] = {
        "name": param.name,
        "type": param.type,
        "required": param.required,
        "list": param.is_list,
        "default": param.default,
        "description": param.description,
    }
    if param.scheme:
        out["scheme"] = param.scheme
        out["choices"] = [
            {"value": short, "iri": iri, "label": label}
            for short, iri, label in service.concepts(param.scheme)
        ]
    return out


def page_response(request: Request, page: Page, fmt: Format) -> Response:
    headers = {"Vary": "Accept"}
    next_url = None
    if page.truncated:
        next_url = public_url(request, offset=page.offset + page.limit)
        headers["Link"] = f'<{next_url}>; rel="next"'
    headers["X-Hubgraph-Truncated"] = "true" if page.truncated else "false"
    if page.encoded is not None and fmt.engine_name == "records":
        return Response(
            records_envelope(page, next_url), media_type=fmt.content_type, headers=headers
        )
    if page.encoded is not None:  # CSV, rendered where the query ran
        return Response(page.encoded, media_type=fmt.content_type, headers=headers)
    if fmt.engine_name in {"records-csv", SPREADSHEET_CSV.engine_name}:
        text = csv_text(page.variables, page.rows, spreadsheet=fmt is SPREADSHEET_CSV)
        return Response(text, media_type=fmt.content_type, headers=headers)
    if fmt.engine_name == "JSON":
        body = sparql_json(page.variables, page.rows)
        return Response(
            json.dumps(body, ensure_ascii=False), media_type=fmt.content_type, headers=headers
        )
    return JSONResponse(
        {
            "query": page.query.name,
            "title": page.query.title,
            "columns": page.variables,
            "rows": records(page.variables, page.rows),
            "count": len(page.rows),
            "offset": page.offset,
            "limit": page.limit,
            "truncated": page.truncated,
            "next": next_url,
        },
        headers=headers,
    )


def records_envelope(page: Page, next_url: str | None) -> bytes:
    """The JSON records body around rows the worker already encoded, byte for byte what
    JSONResponse would write for the same dict."""

    def dump(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    head = {"query": page.query.name, "title": page.query.title, "columns": page.variables}
    tail = {
        "count": page.count,
        "offset": page.offset,
        "limit": page.limit,
        "truncated": page.truncated,
        "next": next_url,
    }
    assert page.encoded is not None
    return dump(head)[:-1] + b',"rows":' + page.encoded + b"," + dump(tail)[1:]


RENDERED = {
    "records": "records",
    "records-csv": "csv",
    SPREADSHEET_CSV.engine_name: "csv-spreadsheet",
}
"""Formats the worker renders itself (the engine name of the format → Job.render)."""


def wants_spreadsheet(request: Request, fmt: Format) -> bool:
    """Whether the client asked for spreadsheet-safe CSV: ``spreadsheet=true``, or a
    ``text/csv`` range with the media type parameter ``spreadsheet=true`` in ``Accept``."""
    raw = request.query_params.get("spreadsheet")
    if raw is not None:
        if raw.lower() not in {"true", "false", "1", "0", "yes", "no", ""}:
            raise ParameterError(f"spreadsheet must be true or false, not {raw!r}", "spreadsheet")
        asked = raw.lower() in {"true", "1", "yes"}
    else:
        asked = any(
            part.split(";")[0].strip().lower() == "text/csv"
            and any(
                p.replace(" ", "").lower() in {"spreadsheet=true", 'spreadsheet="true"'}
                for p in part.split(";")[1:]
            )
            for part in request.headers.get("accept", "").split(",")
        )
    if asked and fmt.media_type != "text/csv":
        raise ParameterError(
            f"spreadsheet=true applies to CSV; ask for /queries/NAME.csv, not {fmt.name}",
            "spreadsheet",
        )
    return asked and fmt.engine_name == RECORDS_CSV.engine_name


def _int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ParameterError(f"{name} must be an integer, not {raw!r}", name) from None


async def run_canned(request: Request, name: str, suffix_format: str | None = None) -> Response:
    service = service_of(request)
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key not in RESERVED:
            params.setdefault(key, []).append(value)
    format_name = suffix_format or request.query_params.get("format")
    fmt = (
        by_name(format_name, TABLE_FORMATS)
        if format_name
        else negotiate(request.headers.get("accept"), TABLE_FORMATS)
    )
    if wants_spreadsheet(request, fmt):
        fmt = SPREADSHEET_CSV
    page = await unless_client_leaves(
        request,
        service.acanned(
            name, params, limit=_int(request, "limit"), offset=_int(request, "offset") or 0,
            render=RENDERED.get(fmt.engine_name, ""),
        ),
    )  # fmt: skip
    return page_response(request, page, fmt)


def _annotation(param: Parameter, service: QueryService) -> Any:
    if param.type == "concept":
        choices = [short for short, _, _ in service.concepts(param.scheme or "")]
        base: Any = (
            enum.Enum(f"{param.name.title()}Choice", {c: c for c in choices}, type=str)
            if choices
            else str
        )
    else:
        base = PYTHON_TYPES[param.type]
    return list[base] if param.is_list else base  # type: ignore[valid-type]


def make_endpoint(query: CannedQuery, service: QueryService) -> Callable[..., Any]:
    async def endpoint(request: Request, **_: Any) -> Response:
        # FastAPI has checked the types for the docs' sake; the values are read raw from the
        # query string so that binding and its error messages are the query service's own.
        return await run_canned(request, query.name)

    signature = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    for p in query.parameters:
        default = ... if p.required else (None if p.default is None or p.is_list else p.default)
        signature.append(
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(p, service) | None
                if not p.required
                else _annotation(p, service),
                default=Query(default, description=f"{p.description} ({p.type_label})"),
            )
        )
    signature += [
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, annotation=int | None,
                          default=Query(None, ge=1, description="rows per page")),
        inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY, annotation=int | None,
                          default=Query(None, ge=0, description="rows to skip")),
        inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
                          default=Query(None, description="records (default), csv, "
                                        "csv-spreadsheet or sparql-json")),
        inspect.Parameter("spreadsheet", inspect.Parameter.KEYWORD_ONLY, annotation=bool | None,
                          default=Query(None, description="CSV for a spreadsheet: text cells "
                                        "starting with = + - @ tab or CR get a leading '")),
    ]  # fmt: skip
    endpoint.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    endpoint.__name__ = "run_" + query.name.replace("-", "_")
    return endpoint


def canned_router(service: QueryService) -> APIRouter:
    router = APIRouter(tags=["Canned queries"])

    @router.get("/queries", summary="List the canned queries and their parameters")
    async def list_queries(request: Request) -> JSONResponse:
        base = public_base(request)
        described = await in_thread(
            lambda: [describe_query(q, service, base) for q in service.registry]
        )
        return JSONResponse(described)

    for query in service.registry:
        router.add_api_route(
            f"/queries/{query.name}",
            make_endpoint(query, service),
            methods=["GET"],
            summary=query.title,
            description=query.description
            + "\n\nJSON records by default (`pandas.DataFrame(body['rows'])`); CSV with "
            f"`/queries/{query.name}.csv` or `Accept: text/csv` (exact values; for a "
            "spreadsheet, add `spreadsheet=true` or send `Accept: text/csv;spreadsheet=true`, "
            "and text cells that start like a formula get a leading `'`); SPARQL JSON with "
            "`Accept: application/sparql-results+json`. Pages with `limit` and `offset`.",
            operation_id="run_" + query.name.replace("-", "_"),
            responses={200: {"content": RESULT_CONTENT}},
        )

    @router.get("/queries/{name}.{suffix}", include_in_schema=False)
    async def run_with_suffix(request: Request, name: str, suffix: str) -> Response:
        if suffix not in {"csv", "json"}:
            raise NotFound(f"no such format .{suffix}; use .csv or .json")
        service.registry.get(name)
        return await run_canned(request, name, "csv" if suffix == "csv" else "records")

    @router.get("/queries/{name}", include_in_schema=False)
    async def unknown_query(name: str) -> Response:
        service.registry.get(name)  # raises NotFound with the known names
        raise NotFound(name)

    return router

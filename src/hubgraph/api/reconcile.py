"""``/reconcile``: the W3C Reconciliation Service API 0.2 over the register, for OpenRefine.

Only translation lives here: where the batch comes from (``queries=`` in the query string or
a form, or a JSON body) and which media type the answer has. The work is in
:mod:`hubgraph.reconcile`. CORS comes from the app's middleware, like every route's.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hubgraph.api.links import public_base
from hubgraph.api.responses import in_thread, read_body, service_of
from hubgraph.api.sparql import _one, _pairs
from hubgraph.errors import BadRequest, UnsupportedMediaType
from hubgraph.reconcile import Reconciler
from hubgraph.reconcile.batch import parse_json

PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"
"""The card loads nothing and runs nothing, whatever the data holds."""


def _int(pairs: list[tuple[str, str]], name: str) -> int | None:
    value = _one(pairs, name)
    if value is None or value == "":
        return None
    if not value.strip().isdigit() or len(value) > 9:
        raise BadRequest(f"{name!r} must be a whole number, not {value[:50]!r}")
    return int(value)


async def _fields(request: Request) -> list[tuple[str, str]]:
    """The request's fields: its query string, and for POST its form or JSON body (a JSON
    body is a batch itself, or an object with ``queries`` or ``extend``)."""
    pairs = _pairs(request.url.query, "query string")
    if request.method != "POST":
        return pairs
    body = await read_body(request, service_of(request).settings.max_body_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded" or (not content_type and "=" in text):
        return pairs + _pairs(text, "form body")
    if content_type == "application/json":
        parsed = parse_json(text, "the JSON body")
        if _is_wrapper(parsed):
            return pairs + [
                (k, v if isinstance(v, str) else json.dumps(v)) for k, v in parsed.items()
            ]
        return [*pairs, ("queries", text)]
    raise UnsupportedMediaType(
        f"cannot read a {content_type or 'body without a content type'}: send a form "
        "(queries=… or extend=…) or application/json"
    )


def _is_wrapper(body: Any) -> bool:
    """Whether a JSON body is ``{"queries": …}`` / ``{"extend": …}`` rather than a batch that
    happens to call a query "queries" (then its value is a query: it has a query text)."""
    if not isinstance(body, dict) or not body or not set(body) <= {"queries", "extend"}:
        return False
    return not any(isinstance(v, dict) and isinstance(v.get("query"), str) for v in body.values())


def reconcile_router(reconciler: Reconciler) -> APIRouter:
    router = APIRouter(tags=["Reconciliation"])

    async def answer(request: Request) -> Response:
        pairs = await _fields(request)
        queries, extension = _one(pairs, "queries"), _one(pairs, "extend")
        if queries is not None and extension is not None:
            raise BadRequest("send 'queries' or 'extend', not both")
        if queries is not None:
            batch = parse_json(queries, "queries")
            return JSONResponse(await in_thread(reconciler.reconcile, batch))
        if extension is not None:
            request_body = parse_json(extension, "extend")
            return JSONResponse(await in_thread(reconciler.extend, request_body))
        return JSONResponse(await in_thread(reconciler.manifest, public_base(request)))

    router.add_api_route(
        "/reconcile", answer, methods=["GET", "POST"],
        summary="Reconciliation service: manifest, query batches (queries=), extension (extend=)",
        description="The W3C Reconciliation Service API 0.2, as OpenRefine speaks it. Without "
        "parameters: the manifest. `queries` (query string, form field or JSON body) is a batch "
        "of reconciliation queries; `extend` a data extension request.",
    )  # fmt: skip

    @router.get("/reconcile/suggest/{kind}", summary="Suggest entities, types or properties")
    async def suggest(request: Request, kind: str) -> Response:
        pairs = _pairs(request.url.query, "query string")
        prefix = _one(pairs, "prefix") or ""
        result = await in_thread(
            reconciler.suggest, kind, prefix, _one(pairs, "type"), _int(pairs, "cursor")
        )
        return JSONResponse(result)

    @router.get("/reconcile/preview", summary="An HTML card for one entity")
    async def preview(request: Request) -> Response:
        pairs = _pairs(request.url.query, "query string")
        value = _one(pairs, "id")
        if not value:
            raise BadRequest("give the entity as id=, e.g. id=country/kosovo")
        html = await in_thread(reconciler.preview, value)
        headers = {"Content-Security-Policy": PREVIEW_POLICY, "X-Content-Type-Options": "nosniff"}
        return HTMLResponse(html, headers=headers)

    @router.get("/reconcile/extend/propose", summary="Properties to propose for a type")
    async def propose(request: Request) -> Response:
        pairs = _pairs(request.url.query, "query string")
        result = await in_thread(reconciler.propose, _one(pairs, "type"), _int(pairs, "limit"))
        return JSONResponse(result)

    return router

"""``GET /sheet.schema.json``: the coding sheet's JSON Schema, for editors that validate and
complete a sheet while it is typed (e.g. ``# yaml-language-server: $schema=…``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hubgraph.sheets.schema import schema_text

router = APIRouter()


@router.get(
    "/sheet.schema.json",
    summary="The JSON Schema of the coding sheet",
    tags=["Graph"],
    response_class=Response,
)
async def sheet_schema() -> Response:
    return Response(schema_text(), media_type="application/schema+json")

"""``/exports/observations.csv`` and ``/exports/observations.jsonl``: the analysts' table, one
row per stance observation (see hubgraph.exports and docs/observations.md)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hubgraph.api.responses import in_thread, service_of
from hubgraph.exports import FORMATS, csv_lines, jsonl_lines, observation_table
from hubgraph.service import QueryService

router = APIRouter()
COUNTRY = Query(
    default=None, description="only these countries (QIDs such as Q1246, or ids); repeat it"
)


def _table(service: QueryService, country: list[str] | None, lines_of: object) -> str:
    columns, rows = observation_table(service, {"country": country} if country else None)
    return "".join(lines_of(columns, rows))  # type: ignore[operator]


@router.get(
    "/exports/observations.csv",
    summary="Observations as CSV (the analysts' table)",
    description="One row per stance observation: date and its precision, country and QID, "
    "voice and office, position and CAMEO code, condition kinds, reporting chain, source "
    "title, publisher, URL, quote. The data dictionary is docs/observations.md.",
    tags=["Exports"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def observations_csv(request: Request, country: list[str] | None = COUNTRY) -> Response:
    text = await in_thread(_table, service_of(request), country, csv_lines)
    return Response(
        text,
        media_type=FORMATS["observations-csv"],
        headers={"Content-Disposition": 'inline; filename="observations.csv"'},
    )


@router.get(
    "/exports/observations.jsonl",
    summary="Observations as JSON Lines",
    description="The same table as /exports/observations.csv, one JSON object per line "
    "(null where the graph has no value).",
    tags=["Exports"],
    response_class=Response,
    responses={200: {"content": {"application/jsonl": {}}}},
)
async def observations_jsonl(request: Request, country: list[str] | None = COUNTRY) -> Response:
    text = await in_thread(_table, service_of(request), country, jsonl_lines)
    return Response(
        text,
        media_type=FORMATS["observations-jsonl"],
        headers={"Content-Disposition": 'inline; filename="observations.jsonl"'},
    )

"""``/entities``: one entity, by its hubgraph id or IRI, or by its Wikidata QID."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from hubgraph.api.responses import in_thread, service_of, streaming
from hubgraph.errors import NotFound
from hubgraph.formats import GRAPH_FORMATS, RECORDS_JSON, Format, by_name, negotiate
from hubgraph.queries import parse_qid

router = APIRouter(tags=["Entities"])
ENTITY_FORMATS: tuple[Format, ...] = (RECORDS_JSON, *GRAPH_FORMATS)


async def _entity(request: Request, value: str, format_name: str | None) -> Response:
    service = service_of(request)
    fmt = (
        by_name(format_name, ENTITY_FORMATS)
        if format_name
        else negotiate(request.headers.get("accept"), ENTITY_FORMATS)
    )
    if fmt is RECORDS_JSON:
        return JSONResponse(await in_thread(service.entity, value), headers={"Vary": "Accept"})
    node = await in_thread(service.resolve_entity, value)
    if node is None:
        raise NotFound(f"no entity {value!r} in the graph")
    # ``node`` was found in the graph and str() writes it as an escaped IRI term.
    construct = (
        f"CONSTRUCT {{ {node} ?p ?o . ?s ?q {node} }} "
        f"WHERE {{ {{ {node} ?p ?o }} UNION {{ ?s ?q {node} }} }}"
    )
    streamed = await in_thread(service.sparql, construct, format_name=fmt.name)
    return streaming(streamed)


@router.get("/entities/wikidata/{qid}", summary="The entity linked to a Wikidata QID")
async def entity_by_qid(request: Request, qid: str, format: str | None = None) -> Response:
    if parse_qid(qid) is None:
        raise NotFound(f"{qid!r} is not a Wikidata QID such as Q1246")
    return await _entity(request, qid, format)


@router.get(
    "/entities/{entity_id:path}",
    summary="One entity: types, labels, offices, stances and the quotes behind them",
    description="`entity_id` is a hubgraph id such as `country/kosovo`, a full IRI, or a QID.",
)
async def entity(request: Request, entity_id: str, format: str | None = None) -> Response:
    return await _entity(request, entity_id, format)

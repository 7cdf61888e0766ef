"""``POST /sources``: load a source over HTTP. Off unless ``HUBGRAPH_WRITE_TOKEN`` is set, and
then only for requests that carry it as a bearer token."""

from __future__ import annotations

import hmac
import tempfile
import threading
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hubgraph.api.responses import in_thread, read_body, service_of
from hubgraph.errors import BadRequest, Unauthorized, UnsupportedMediaType
from hubgraph.graph.register import register_path
from hubgraph.loader import FORMATS_BY_SUFFIX, load_sources
from hubgraph.runtime import open_store
from hubgraph.vocabulary import SOURCE

SUFFIX_BY_MEDIA_TYPE = {
    "application/trig": ".trig",
    "application/n-quads": ".nq",
    "text/turtle": ".ttl",
    "application/n-triples": ".nt",
}
_write_lock = threading.Lock()


def _load(request: Request, body: bytes, suffix: str, name: str) -> dict[str, object]:
    service = service_of(request)
    settings = service.settings
    with tempfile.TemporaryDirectory() as folder, _write_lock:
        path = Path(folder) / f"{name}{suffix}"
        path.write_bytes(body)
        # The serving workers hold the store read-only; a writer opens it for this load only.
        store = service.store if settings.is_memory else open_store(settings)
        try:
            # Names resolve against the register, and the shapes see its entities; the body
            # is named by ?name=, not by a file of its own, so its graph name is not checked
            # against a file name.
            report = load_sources(
                store, [path], shapes=settings.ontology_dir / "shapes.ttl", only_under=SOURCE,
                register=register_path(settings.data_dir), sources_dir=settings.sources_dir,
                data_dir=settings.data_dir, check_file_names=False,
            )  # fmt: skip
        finally:
            if store is not service.store:
                store.close()
    return {"graphs": report.graphs, "quads": report.quad_count}


router = APIRouter(tags=["Graph"])


@router.post(
    "/sources",
    summary="Load a source (TriG, N-Quads, Turtle, N-Triples); needs the bearer token",
    description="The body is validated against the SHACL shapes and loaded atomically; each "
    "named graph replaces the graph of the same name. Only graphs under "
    "`https://w3id.org/hubgraph/source/` may be written: a body naming any other graph (the "
    "ontology's, the shapes') is refused with 403 and nothing is loaded. Turtle and N-Triples "
    "go into the graph named by `?name=` (default `upload`) under `https://w3id.org/hubgraph/source/`.",
)
async def post_source(request: Request, name: str = "upload") -> JSONResponse:
    service = service_of(request)
    token = service.settings.write_token or ""
    given = request.headers.get("authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("loading needs 'Authorization: Bearer <HUBGRAPH_WRITE_TOKEN>'")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    suffix = SUFFIX_BY_MEDIA_TYPE.get(media)
    if suffix is None or suffix not in FORMATS_BY_SUFFIX:
        raise UnsupportedMediaType(
            f"cannot load {media or 'a body without a content type'}; send one of "
            + ", ".join(SUFFIX_BY_MEDIA_TYPE)
        )
    if not name.replace("-", "").replace("_", "").isalnum():
        raise BadRequest("name may hold letters, digits, '-' and '_' only")
    body = await read_body(request, service.settings.max_body_bytes)
    return JSONResponse(await in_thread(_load, request, body, suffix, name), 201)

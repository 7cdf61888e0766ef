"""``/releases``: the citable releases ``hubgraph release`` wrote, listed and served as written.

Files are read from the releases folder at each request, so a release made while the server
runs is served at once. A file is found through its release's own manifest, never by joining
the request's path to the folder (see :func:`hubgraph.release.release_file`).
"""

from __future__ import annotations

import base64
import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from hubgraph.api.links import public_base
from hubgraph.api.responses import in_thread, service_of
from hubgraph.errors import NotFound
from hubgraph.release import media_type, release_file, releases_summary

router = APIRouter(tags=["Releases"])


@router.get(
    "/releases",
    summary="The citable releases, newest first",
    description="Each release: its version, IRI, issue time, the previous release, its files "
    "(with SHA-256 and size) and the sources added, replaced and withdrawn since the previous one.",
)
async def list_releases(request: Request) -> JSONResponse:
    folder = service_of(request).settings.releases_path
    body = await in_thread(releases_summary, folder, public_base(request))
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/releases/{version}", summary="One release: its files and changes")
async def one_release(request: Request, version: str) -> JSONResponse:
    folder = service_of(request).settings.releases_path
    for release in await in_thread(releases_summary, folder, public_base(request)):
        if release["version"] == version:
            return JSONResponse(release)
    raise NotFound(f"no release {version!r}; GET /releases lists them")


@router.get(
    "/releases/{version}/{name}",
    summary="A file of a release, byte for byte as it was written",
    description="`hubgraph-VERSION.nq` (the dump), `void.ttl`, `CHANGELOG.md`, `release.json`, "
    "`SHA256SUMS`. `Repr-Digest` carries the file's SHA-256; a release never changes.",
)
async def release_file_route(request: Request, version: str, name: str) -> FileResponse:
    folder = service_of(request).settings.releases_path
    path = await in_thread(release_file, folder, version, name)
    digest = await in_thread(lambda: hashlib.sha256(path.read_bytes()).digest())
    return FileResponse(
        path,
        media_type=media_type(name),
        headers={
            "Repr-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:",
            "ETag": f'"{digest.hex()}"',
            # A release is immutable: caches may keep it.
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )

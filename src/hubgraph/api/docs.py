"""``/docs`` (Swagger UI) and ``/redoc``, served from this server alone.

FastAPI's own pages load their scripts from a CDN, so offline they are blank. The assets here
come from the ``fastapi-offline`` package (a dependency installed by our set-up), which ships
Swagger UI's dist bundle and ReDoc's standalone script; only its files are used, not its app.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

from hubgraph.errors import NotFound

router = APIRouter(include_in_schema=False)
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
}
ASSET_PATH = "/docs-assets"
# ReDoc's menu always shows a logo from its vendor's CDN; the policy stops that request in
# the browser (the logo hides itself when it cannot load), and any other outside fetch too.
LOCAL_ONLY = {
    "Content-Security-Policy": "img-src 'self' data:; font-src 'self' data:; connect-src 'self'"
}


def _asset(name: str) -> Traversable:
    return resources.files("fastapi_offline").joinpath("static", name)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — API",
        swagger_js_url=f"{ASSET_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSET_PATH}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )
    page.headers.update(LOCAL_ONLY)
    return page


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — API",
        redoc_js_url=f"{ASSET_PATH}/redoc.standalone.js",
        redoc_favicon_url="/static/favicon.svg",
        with_google_fonts=False,
    )
    page.headers.update(LOCAL_ONLY)
    return page


@router.get(ASSET_PATH + "/{name}")
async def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no documentation asset {name!r}")
    return Response(
        _asset(name).read_bytes(),
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )

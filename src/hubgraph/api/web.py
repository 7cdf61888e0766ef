"""The researchers' page: ``/`` (query editor, canned-query gallery, stance map), its static
files, ``/stance-map.svg``, and HTML entity pages at ``/entity/{id}``.

The page is plain HTML, CSS and JavaScript from ``hubgraph/static`` — nothing is loaded from
elsewhere — and talks to the same HTTP API as every other client (``/sparql``, ``/queries``).
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hubgraph import __version__
from hubgraph.api.responses import error_body, in_thread, service_of
from hubgraph.errors import NotFound
from hubgraph.stance_map import RETURN_HUBS, stance_map_svg
from hubgraph.timeline import timeline_svg
from hubgraph.vocabulary import BASE, ID, PREFIXES, WIKIDATA_ENTITY, compact, prefix_block

router = APIRouter()
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}
EXAMPLE_QUERY = """# Stances on the UK return hubs plan, with the Wikidata QID of each country
SELECT ?countryLabel ?qid ?position ?voicedByLabel
WHERE {
  ?stance a hg:Stance ;
          hg:holder ?country ;
          hg:towards <https://w3id.org/hubgraph/id/policy/uk-return-hubs> ;
          hg:position/skos:prefLabel ?position .
  ?country a hg:Country ;
           rdfs:label ?countryLabel .
  OPTIONAL { ?country owl:sameAs ?wikidata .
             BIND(STRAFTER(STR(?wikidata), STR(wd:)) AS ?qid) }
  OPTIONAL { ?stance hg:voicedBy/rdfs:label ?voicedByLabel }
}
ORDER BY ?countryLabel
"""
COUNTRIES = Query(default=None, description="only these countries (QIDs such as Q1246, or ids)")
HIDDEN_FACTS = {"type", "Wikidata entity", "alternative label"}


def _static(name: str) -> str:
    return resources.files("hubgraph").joinpath("static", name).read_text(encoding="utf-8")


def _static_names() -> set[str]:
    folder = resources.files("hubgraph").joinpath("static")
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def _query_body(text: str) -> str:
    """A canned query's SPARQL without its ``#+`` header lines (shown on the page already)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#+")).strip()


def _script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


@router.get("/", include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    service = service_of(request)
    kind = service.store.kind
    config = {
        "version": __version__,
        "prefixes": PREFIXES,
        # The endpoint predeclares the prefixes: the first screen is for the query and its
        # results, not for a block of declarations (the page lists them on request).
        "example": EXAMPLE_QUERY,
        "prefixBlock": prefix_block(),
        # The text this store runs: a query copied from the page into the editor gives the
        # canned query's rows here too (a store may keep a text of its own, queries/<kind>/).
        "canned": {
            name: _query_body(q.for_store(kind).text)
            for name, q in service.registry.queries.items()
        },
    }
    page = _static("index.html").replace("__HUBGRAPH_CONFIG__", _script_json(config))
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


@router.get("/static/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    if name not in _static_names():
        raise NotFound(f"no static file {name!r}")
    suffix = name[name.rfind(".") :]
    return Response(
        _static(name),
        media_type=STATIC_TYPES.get(suffix, "text/plain; charset=utf-8"),
        headers={"Cache-Control": "no-cache"},
    )


@router.get(
    "/stance-map.svg",
    summary="The stance map as SVG",
    description="The country proposing the policy in the centre, every country holding a "
    "stance on it around, with its latest position as of `asOf` (YYYY-MM-DD; default: all the "
    "data), contested ones marked (`data-contested`), coloured by position, with the kinds of "
    "the conditions it attaches on the edges; each country's `<g>` carries its observations "
    "(`data-observations`) and its quotes, each under its own speaker (`data-quotes`, "
    "`<title>`).",
    tags=["Graph"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def stance_map(
    request: Request, policy: str = RETURN_HUBS, asOf: str | None = None
) -> Response:
    svg = await in_thread(stance_map_svg, service_of(request), policy, asOf or None)
    return Response(svg, media_type="image/svg+xml; charset=utf-8")


@router.get(
    "/timeline.svg",
    summary="The timeline as SVG",
    description="One row per country, time across, a mark per stance observation coloured by "
    "its position (a date known to the month or year spans its interval), the reported claims "
    "about each country as diamonds, denied or contradicted ones crossed and linked to what "
    "denies them. Each mark's `<g>` carries its quote, voice, office and source (`data-*`, "
    "`<title>`). `country` (QIDs or ids, repeatable) keeps only those countries.",
    tags=["Graph"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def timeline(request: Request, country: list[str] | None = COUNTRIES) -> Response:
    svg = await in_thread(timeline_svg, service_of(request), country or [])
    return Response(svg, media_type="image/svg+xml; charset=utf-8")


# -- entity pages ------------------------------------------------------------------------
def entity_href(iri: str) -> str | None:
    """Where the page of ``iri`` is, for IRIs of the graph's entities and ontology terms."""
    if iri.startswith(ID):
        return "/entity/" + quote(iri.removeprefix(ID), safe="/")
    if iri.startswith(BASE):
        return "/entity/" + quote(iri, safe="")
    return None


def _value_html(value: object, label: object = None, lang: object = None) -> str:
    if value is None:
        return ""
    text = str(value)
    shown = escape(str(label)) if label else None
    if text.startswith(WIKIDATA_ENTITY):
        qid = text.removeprefix(WIKIDATA_ENTITY)
        return (
            f'<a class="wikidata" href="https://www.wikidata.org/wiki/{escape(qid)}">'
            f"wd:{escape(qid)}</a>"
        )
    href = entity_href(text) if text.startswith(("http://", "https://")) else None
    if href:
        return f'<a href="{escape(href)}">{shown or escape(compact(text))}</a>'
    if text.startswith(("http://", "https://")):
        return f'<span class="iri" title="{escape(text)}">{shown or escape(compact(text))}</span>'
    # English is the page's language: an "@en" after every label would be noise.
    suffix = (
        f' <span class="lang">@{escape(str(lang))}</span>'
        if lang and not str(lang).lower().startswith("en")
        else ""
    )
    return escape(text) + suffix


Sources = dict[str, dict[str, object]]
"""What :meth:`QueryService.describe_sources` says of each source a page cites."""


def _speaker_html(fact: dict[str, object], quote: str, sources: Sources) -> str:
    """Who said ``quote``: the graph's speaker of that quote in the fact's source, else the
    speaker column the query gives, if any."""
    said = sources.get(str(fact.get("source")), {}).get("quotes", {})
    found = said.get(quote) if isinstance(said, dict) else None
    if isinstance(found, dict) and found.get("speakerLabel"):
        return _value_html(found.get("speaker"), found["speakerLabel"])
    label = next(
        (fact[k] for k in ("speakerLabel", "quoteSpeakerLabel", "voicedByLabel") if fact.get(k)),
        None,
    )
    return escape(str(label)) if label else ""


def _evidence_html(fact: dict[str, object], sources: Sources) -> str:
    parts = []
    quotes = [q for q in str(fact.get("quote") or "").split(" | ") if q]
    for q in quotes:
        speaker = _speaker_html(fact, q, sources)
        said = f"<footer>— {speaker}</footer>" if speaker else ""
        parts.append(f"<blockquote>“{escape(q)}”{said}</blockquote>")
    statements = [s for s in str(fact.get("statement") or "").split(" | ") if s]
    if statements:
        items = "".join(f"<li>{escape(s)}</li>" for s in statements)
        word = "sentence" if len(statements) == 1 else "sentences"
        if quotes:
            parts.append(
                f"<details><summary>{len(statements)} source {word}</summary>"
                f"<ul>{items}</ul></details>"
            )
        else:
            parts.append(f'<ul class="statements">{items}</ul>')
    return "".join(parts)


def _source_html(fact: dict[str, object], sources: Sources) -> str:
    """The source by its title, linked to the original article where the graph has its URL
    (the source's own record one link further), with its publisher and date."""
    iri = fact.get("source")
    if not iri:
        return ""
    known = sources.get(str(iri), {})
    publisher = known.get("publisherLabel")
    # An untitled source is named by its publisher, never by its IRI.
    title = (
        fact.get("sourceTitle")
        or known.get("title")
        or (f"{publisher} (untitled)" if publisher else "untitled source")
    )
    url = next((fact[k] for k in ("sourceUrl", "url") if fact.get(k)), None) or known.get("url")
    record = entity_href(str(iri))
    if title and url:
        shown = (
            f'<a class="source-link external" href="{escape(str(url))}" rel="noopener">'
            f"{escape(str(title))}</a>"
        )
        if record:
            shown += f' <a class="record small" href="{escape(record)}">record</a>'
    else:
        shown = _value_html(iri, title)
    issued = fact.get("sourceDate") or known.get("issued")
    details = [escape(str(publisher))] if publisher else []
    if issued:
        details.append(f"published {escape(str(issued))}")
    if details:
        shown += f'<div class="detail">{" · ".join(details)}</div>'
    return shown


def _facts_html(facts: list[dict[str, object]], sources: Sources) -> str:
    rows = []
    for fact in facts:
        if fact.get("relation") in HIDDEN_FACTS:
            continue
        rows.append(
            "<tr>"
            f'<th scope="row">{escape(str(fact.get("relation") or ""))}</th>'
            f"<td>{_value_html(fact.get('value'), fact.get('valueLabel'))}"
            + (
                f'<div class="detail">{escape(str(fact["detail"]))}</div>'
                if fact.get("detail")
                else ""
            )
            + f"</td><td>{_evidence_html(fact, sources)}</td>"
            f'<td class="source">{_source_html(fact, sources)}</td></tr>'
        )
    if not rows:
        return ""
    return (
        "<section><h2>Facts, and the evidence behind them</h2>"
        '<div class="table-wrap"><table class="facts"><thead><tr><th>Relation</th>'
        "<th>What</th><th>Quotes and sentences</th><th>Source</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></section>"
    )


def _properties_html(title: str, properties: dict[str, list[dict[str, object]]]) -> str:
    if not properties:
        return ""
    rows = []
    for prop, values in properties.items():
        cells = "".join(
            f"<li>{_value_html(v.get('value'), v.get('label'), v.get('lang'))}</li>" for v in values
        )
        rows.append(
            f'<tr><th scope="row"><code>{escape(prop)}</code></th>'
            f'<td><ul class="values">{cells}</ul></td></tr>'
        )
    return (
        f"<section><h2>{escape(title)}</h2>"
        f'<table class="properties"><tbody>{"".join(rows)}</tbody></table></section>'
    )


def entity_page(entity: dict[str, object]) -> str:
    label = str(entity.get("label") or entity.get("iri"))
    iri = str(entity.get("iri"))
    api_path = "/entities/" + (
        quote(str(entity["id"]), safe="/") if entity.get("id") else quote(iri, safe="")
    )
    types = "".join(
        f'<span class="chip">{_value_html(t, compact(str(t)))}</span>'
        for t in entity.get("types") or []  # type: ignore[attr-defined]
    )
    wikidata = (
        f'<a class="button wikidata" href="{escape(str(entity["wikidata"]))}">'
        f"Wikidata {escape(str(entity['qid']))} ↗</a>"
        if entity.get("wikidata")
        else '<span class="muted">no Wikidata link</span>'
    )
    body = (
        f'<header class="entity-head"><p class="crumbs"><a href="/">hubgraph</a> › entity</p>'
        f"<h1>{escape(label)}</h1>"
        f'<p class="types">{types}</p>'
        f'<p class="iri-line"><code>{escape(iri)}</code></p>'
        f'<p class="actions">{wikidata}'
        f'<a class="button" href="{escape(api_path)}?format=records">JSON</a>'
        f'<a class="button" href="{escape(api_path)}?format=turtle">Turtle</a></p></header>'
        + _facts_html(entity.get("facts") or [], entity.get("sources") or {})  # type: ignore[arg-type]
        + _properties_html("Properties", entity.get("properties") or {})  # type: ignore[arg-type]
        + _properties_html("Referred to by", entity.get("referencedBy") or {})  # type: ignore[arg-type]
    )
    return _page(label, body)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · hubgraph</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/app.css"></head>'
        '<body class="entity-page"><nav class="topbar"><a class="brand" href="/">hubgraph</a>'
        '<a href="/#query">Query</a><a href="/#gallery">Canned queries</a>'
        '<a href="/#map">Stance map</a><a href="/docs">API</a></nav>'
        f'<main class="entity">{body}</main></body></html>'
    )


@router.get("/entity/{entity_id:path}", include_in_schema=False)
async def entity_html(request: Request, entity_id: str) -> Response:
    service = service_of(request)
    try:
        entity = await in_thread(service.entity, entity_id)
    except (NotFound, ValueError) as exc:
        # ValueError: a value with a scheme that is no valid IRI ("urn:x y").
        message = exc.message if isinstance(exc, NotFound) else f"no entity {entity_id!r}"
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse(error_body(404, "not-found", message), 404)
        body = (
            f"<h1>Not found</h1><p>{escape(message)}.</p><p>Try a QID such as "
            '<a href="/entity/Q1246">Q1246</a> or an id such as '
            '<a href="/entity/country/kosovo">country/kosovo</a>.</p>'
        )
        return HTMLResponse(_page("Not found", body), 404)
    return HTMLResponse(entity_page(entity))

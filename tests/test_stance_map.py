"""The stance map (library) and the web routes beside it: ``/``, ``/static/…``,
``/stance-map.svg`` and the HTML entity pages at ``/entity/…``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from hubgraph.config import Settings
from hubgraph.errors import NotFound, ParameterError
from hubgraph.runtime import open_service
from hubgraph.service import QueryService
from hubgraph.stance_map import CountryStance, StanceMap, render_svg, stance_map
from hubgraph.vocabulary import PREFIXES

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def service() -> Iterator[QueryService]:
    opened = open_service(Settings(store="memory", service_allowlist=()))
    yield opened
    opened.close()


def _latest(service: QueryService, as_of: str | None = None) -> dict[str, set[str]]:
    """Each country's latest positions, as the stances query gives them (the map's source)."""
    params = {"latest": ["true"], **({"asOf": [as_of]} if as_of else {})}
    page = service.canned("stances", params, limit=10_000)
    out: dict[str, set[str]] = {}
    for row in page.rows:
        record = dict(zip(page.variables, row, strict=True))
        holder = record["holder"].value  # type: ignore[union-attr]
        if "/country/" in holder:
            label = record["holderLabel"].value  # type: ignore[union-attr]
            out.setdefault(label, set()).add(record["position"].value.rsplit("/", 1)[-1])  # type: ignore[union-attr]
    return out


@pytest.mark.parametrize("as_of", [None, "2025-05-31", "2025-10-31"])
def test_the_map_draws_each_countrys_latest_observations(
    service: QueryService, as_of: str | None
) -> None:
    data = stance_map(service, as_of=as_of)
    assert data.centre_label == "United Kingdom"
    assert data.policy_label == "UK return hubs plan"
    assert data.as_of == as_of
    latest = _latest(service, as_of)
    assert {c.label for c in data.countries} == set(latest) - {"United Kingdom"}
    for country in data.countries:
        assert {o.position for o in country.observations} == latest[country.label]
        assert country.position in latest[country.label]
        assert country.contested == (len(latest[country.label]) > 1)
        # Quotes keep their own speakers (never the voice's name put on another's words).
        assert all(q.speaker for q in country.quotes)


def test_kosovo_in_may_and_in_october(service: QueryService) -> None:
    may = {c.label: c for c in stance_map(service, as_of="2025-05-31").countries}
    october = {c.label: c for c in stance_map(service, as_of="2025-10-31").countries}
    assert (
        may["Kosovo"].position == "open-to-talks"
        and may["Kosovo"].voiced_by_label == "Vjosa Osmani"
    )
    assert october["Kosovo"].position == "willing"
    assert october["Kosovo"].voiced_by_label == "Albin Kurti"
    assert [c.kind for c in october["Kosovo"].conditions][:1] == ["reciprocal-expectation"]
    assert any(q.speaker == "Albin Kurti" for q in october["Kosovo"].quotes)


def test_the_svg_carries_each_stance(service: QueryService) -> None:
    data = stance_map(service, as_of="2025-10-31")
    root = ET.fromstring(render_svg(data))
    assert root.tag == f"{SVG}svg" and root.get("data-as-of") == "2025-10-31"
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "hg-country"]
    assert {g.get("data-label") for g in groups} == {c.label for c in data.countries}
    albania = next(g for g in groups if g.get("data-label") == "Albania")
    assert albania.get("data-position") == "refuses"
    assert albania.get("data-voiced-by") == "Edi Rama"
    quotes = json.loads(albania.get("data-quotes") or "")
    assert any("Never in Albania" in q["text"] and q["speaker"] == "Edi Rama" for q in quotes)
    title = albania.find(f"{SVG}title")
    assert title is not None and "Never in Albania" in (title.text or "")
    observations = json.loads(albania.get("data-observations") or "")
    assert observations and all(o["position"] == "refuses" for o in observations)
    kinds = {g.get("data-kind") for g in root.iter(f"{SVG}g") if g.get("class") == "hg-condition"}
    assert kinds == {"precondition", "reciprocal-expectation"}
    assert all(g.get("data-contested") in {"true", "false"} for g in groups)


def test_unknown_or_malformed_policy(service: QueryService) -> None:
    with pytest.raises(NotFound):
        stance_map(service, "https://w3id.org/hubgraph/id/policy/no-such-policy")
    with pytest.raises(ParameterError):
        stance_map(service, "not an iri")


def test_an_empty_map_and_unknown_positions_still_draw() -> None:
    empty = StanceMap("urn:p", "some plan", None, "proposer unknown", [], [])
    assert "No country in the graph holds a stance" in render_svg(empty)
    odd = CountryStance("urn:c", "Atlantis", "undecided", "undecided")
    data = StanceMap("urn:p", "some plan", None, "Nowhere", [odd], [("undecided", "undecided")])
    svg = render_svg(data)
    ET.fromstring(svg)
    assert data.colour("undecided").startswith("#") and 'data-label="Atlantis"' in svg


# -- the routes --------------------------------------------------------------------------
def test_the_page_carries_the_prefixes(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for prefix, namespace in PREFIXES.items():
        assert f"PREFIX {prefix}: <{namespace}>" in response.text
    for name in ("app.js", "app.css", "highlight.js", "favicon.svg"):
        assert http.get(f"/static/{name}").status_code == 200
    assert http.get("/static/nothing.js").status_code == 404
    assert http.get("/static/..%2Fstance_map.py").status_code == 404


def test_stance_map_route(http: httpx.Client) -> None:
    response = http.get("/stance-map.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(response.text)
    unknown = http.get("/stance-map.svg", params={"policy": "https://w3id.org/hubgraph/x"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not-found"
    bad = http.get("/stance-map.svg", params={"policy": "not an iri"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "policy"


def test_entity_pages_are_html(http: httpx.Client) -> None:
    page = http.get("/entity/Q1246", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Kosovo</h1>" in page.text
    assert 'href="https://www.wikidata.org/wiki/Q1246"' in page.text
    assert "We want to help the UK" in page.text
    assert 'href="/entity/stance/' in page.text
    by_id = http.get("/entity/country/kosovo", headers={"Accept": "text/html"})
    assert "<h1>Kosovo</h1>" in by_id.text
    term = http.get("/entity/https%3A%2F%2Fw3id.org%2Fhubgraph%2Fontology%23Country")
    assert term.status_code == 200 and "Kosovo" in term.text
    for missing in ("country/atlantis", "urn:x y"):
        html = http.get(f"/entity/{missing}", headers={"Accept": "text/html"})
        assert html.status_code == 404 and "Not found" in html.text
        api = http.get(f"/entity/{missing}", headers={"Accept": "application/json"})
        assert api.status_code == 404 and api.json()["error"] == "not-found"

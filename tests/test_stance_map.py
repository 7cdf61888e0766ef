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


def test_the_map_reads_every_stance_from_the_graph(service: QueryService) -> None:
    data = stance_map(service)
    assert data.centre_label == "United Kingdom"
    assert data.policy_label == "UK return hubs plan"
    assert {c.label: c.position for c in data.countries} == {
        "Kosovo": "willing",
        "Montenegro": "open-with-conditions",
        "North Macedonia": "approached-no-stance-known",
        "Albania": "refuses",
        "Bosnia and Herzegovina": "refuses",
    }
    kosovo = next(c for c in data.countries if c.label == "Kosovo")
    assert kosovo.voiced_by_label == "Albin Kurti"
    assert "We want to help the UK" in [q.text for q in kosovo.quotes]
    assert [c.kind for c in kosovo.conditions] == ["reciprocal-expectation"]
    montenegro = next(c for c in data.countries if c.label == "Montenegro")
    assert montenegro.quotes == []  # the article quotes no words of Spajić's ...
    assert any("only happen if" in s.text for s in montenegro.statements)  # ... but says so
    assert [c.kind for c in montenegro.conditions] == ["precondition"]
    north_macedonia = next(c for c in data.countries if c.label == "North Macedonia")
    assert north_macedonia.reported_by_label == "The Times"
    assert [p for p, _ in data.positions] == [
        "willing",
        "open-with-conditions",
        "approached-no-stance-known",
        "refuses",
    ]


def test_the_svg_carries_each_stance(service: QueryService) -> None:
    root = ET.fromstring(render_svg(stance_map(service)))
    assert root.tag == f"{SVG}svg"
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "hg-country"]
    assert len(groups) == 5
    albania = next(g for g in groups if g.get("data-label") == "Albania")
    assert albania.get("data-position") == "refuses"
    assert albania.get("data-voiced-by") == "Edi Rama"
    assert (
        json.loads(albania.get("data-quotes") or "")[0]["text"] == "I repeat ... Never in Albania"
    )
    title = albania.find(f"{SVG}title")
    assert title is not None and "“I repeat ... Never in Albania”" in (title.text or "")
    kinds = [g.get("data-kind") for g in root.iter(f"{SVG}g") if g.get("class") == "hg-condition"]
    assert sorted(kinds) == ["precondition", "reciprocal-expectation"]
    colours = {g.get("data-position"): g.find(f"{SVG}rect[@class='hg-pill']") for g in groups}
    assert len({rect.get("fill") for rect in colours.values() if rect is not None}) == 4


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
    assert 'href="/entity/stance/kosovo-uk-return-hubs"' in page.text
    by_id = http.get("/entity/country/kosovo", headers={"Accept": "text/html"})
    assert "<h1>Kosovo</h1>" in by_id.text
    term = http.get("/entity/https%3A%2F%2Fw3id.org%2Fhubgraph%2Fontology%23Country")
    assert term.status_code == 200 and "Kosovo" in term.text
    for missing in ("country/atlantis", "urn:x y"):
        html = http.get(f"/entity/{missing}", headers={"Accept": "text/html"})
        assert html.status_code == 404 and "Not found" in html.text
        api = http.get(f"/entity/{missing}", headers={"Accept": "application/json"})
        assert api.status_code == 404 and api.json()["error"] == "not-found"

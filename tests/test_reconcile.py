"""The reconciliation service as OpenRefine uses it: through real HTTP, over every backend,
each answer checked against what the 0.2 specification's JSON Schemas require
(tests/reconcile_schema.py), plus the inputs a hostile or broken client sends."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from reconcile_schema import (
    check_extension,
    check_manifest,
    check_proposal,
    check_result_batch,
    check_suggest_entities,
    check_suggest_properties,
    check_suggest_types,
)

from hubgraph.client import Client
from hubgraph.config import Settings
from hubgraph.reconcile import Reconciler
from hubgraph.reconcile.batch import MAX_BATCH, MAX_TEXT
from hubgraph.reconcile.names import normalise
from hubgraph.reconcile.service import store_version
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore
from hubgraph.vocabulary import PREFIXES

# QIDs from ../shared/wikidata-ids.md
KOSOVO, SPAJIC, KURTI = "Q1246", "Q101225458", "Q441633"
OPENREFINE = {"User-Agent": "OpenRefine/3.8 (test)", "Origin": "http://127.0.0.1:3333"}


def reconcile(http: httpx.Client, batch: dict[str, Any]) -> dict[str, Any]:
    """A batch as OpenRefine sends it: a form with one field, ``queries``."""
    response = http.post("/reconcile", data={"queries": json.dumps(batch)}, headers=OPENREFINE)
    assert response.status_code == 200, response.text
    body = response.json()
    check_result_batch(body, set(batch))
    return body


def top(http: httpx.Client, query: dict[str, Any]) -> list[dict[str, Any]]:
    return list(reconcile(http, {"q0": query})["q0"]["result"])


def features(candidate: dict[str, Any]) -> dict[str, Any]:
    return {f["id"]: f["value"] for f in candidate["features"]}


def qid_of(http: httpx.Client, entity: str) -> str | None:
    """The QID the entity's own page gives (so tests do not assume which id has which QID)."""
    return http.get(f"/entities/{entity}").json()["qid"]  # type: ignore[no-any-return]


def assert_error(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"] and body["message"]
    for word in words:
        assert word in body["message"], body["message"]


# -- the manifest ---------------------------------------------------------------------------
def test_manifest_is_a_0_2_manifest_with_every_section(http: httpx.Client) -> None:
    response = http.get("/reconcile", headers=OPENREFINE)
    assert response.status_code == 200
    body = response.json()
    check_manifest(body)
    assert body["identifierSpace"] == "https://w3id.org/hubgraph/id/"
    assert {t["id"] for t in body["defaultTypes"]} == {
        "country", "person", "organisation", "office", "policy",
    }  # fmt: skip
    for kind in ("entity", "type", "property"):
        assert body["suggest"][kind]["service_url"].endswith("/reconcile")
    assert body["extend"]["propose_properties"]["service_path"] == "/extend/propose"
    # The templates point at routes that answer.
    view = body["view"]["url"].replace("{{id}}", "country/kosovo")
    assert httpx.get(view, headers={"Accept": "text/html"}).status_code == 200
    preview = body["preview"]["url"].replace("{{id}}", "country/kosovo")
    assert httpx.get(preview).status_code == 200
    policies = next(s for s in body["extend"]["property_settings"] if s["name"] == "policy")
    assert any(c["value"].startswith("policy/") for c in policies["choices"])


def test_cors_lets_a_page_on_another_origin_call_it(http: httpx.Client) -> None:
    response = http.get("/reconcile", headers=OPENREFINE)
    assert response.headers["access-control-allow-origin"] in ("*", OPENREFINE["Origin"])
    preflight = http.options(
        "/reconcile",
        headers={
            "Origin": OPENREFINE["Origin"],
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


# -- matching -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["Spajic", "SPAJIĆ", "spajić,", "Milojko Spajic", "milojko  SPAJIĆ"]
)
def test_spellings_of_a_name_find_it_by_its_normalised_form(http: httpx.Client, name: str) -> None:
    found = top(http, {"query": name, "type": "person"})
    best = found[0]
    assert best["name"] == "Milojko Spajić"
    assert qid_of(http, best["id"]) == SPAJIC and SPAJIC in best["description"]
    feats = features(best)
    assert feats["label_normalised"] or feats["alias_normalised"]
    assert best["match"] is True
    assert [c for c in found if c["match"]] == [best]


def test_the_label_as_written_scores_above_its_normalised_form(http: httpx.Client) -> None:
    exact = top(http, {"query": "Milojko Spajić"})[0]
    loose = top(http, {"query": "MILOJKO SPAJIC!"})[0]
    assert exact["id"] == loose["id"]
    assert features(exact)["label_exact"] and not features(loose)["label_exact"]
    assert exact["score"] > loose["score"]


def partial_name(http: httpx.Client, entity: str) -> str:
    """A word of the entity's label that is none of its names (a first name alone), whatever
    aliases the register gives it ("Kurti" is one)."""
    found = http.get(f"/entities/{entity}").json()
    names = {
        normalise(str(v["value"]))
        for key in ("rdfs:label", "skos:altLabel")
        for v in found["properties"].get(key, [])
    }
    return next(w for w in found["label"].split() if normalise(w) not in names)


def test_a_partial_name_is_found_with_a_lower_score_and_no_match(http: httpx.Client) -> None:
    found = top(http, {"query": partial_name(http, "person/albin-kurti"), "type": "person"})
    assert found[0]["name"] == "Albin Kurti"
    assert found[0]["match"] is False
    full = top(http, {"query": "Albin Kurti", "type": "person"})[0]
    assert full["id"] == found[0]["id"] and full["match"] is True
    assert found[0]["score"] < full["score"]
    assert 0 < features(found[0])["name_similarity"] < 1


def test_a_query_that_is_a_qid_finds_its_entity(http: httpx.Client) -> None:
    best = top(http, {"query": KOSOVO})[0]
    assert best["name"] == "Kosovo" and best["match"] is True and features(best)["qid"] is True
    assert best["score"] == max(c["score"] for c in top(http, {"query": "Kosovo"}))
    assert top(http, {"query": "Q999999999999"}) == []
    by_id = top(http, {"query": "country/kosovo"})[0]
    assert by_id["id"] == "country/kosovo" and features(by_id)["id"] is True


def test_the_type_filter_keeps_to_its_type(http: httpx.Client) -> None:
    as_country = top(http, {"query": "Kosovo", "type": "country"})
    assert as_country[0]["id"] == "country/kosovo" and as_country[0]["match"] is True
    assert all(any(t["id"] == "country" for t in c["type"]) for c in as_country)
    as_office = top(http, {"query": "Kosovo", "type": "office"})
    assert all(any(t["id"] == "office" for t in c["type"]) for c in as_office)
    assert "country/kosovo" not in {c["id"] for c in as_office}
    assert all(c["match"] is False for c in as_office)  # "Prime Minister of Kosovo" is partial
    as_person = top(http, {"query": "Kosovo", "type": ["person", "policy"]})
    assert "country/kosovo" not in {c["id"] for c in as_person}
    both = {"query": "Kosovo", "type": ["country", "person"], "type_strict": "all"}
    assert top(http, both) == []  # nothing is a country and a person
    full_iri = top(http, {"query": "Kosovo", "type": "https://w3id.org/hubgraph/ontology#Country"})
    assert full_iri[0]["id"] == "country/kosovo"


def test_property_conditions_office_and_country(http: httpx.Client) -> None:
    plain = top(http, {"query": "Kurti", "type": "person"})[0]
    office = {"pid": "office", "v": "Prime Minister of Kosovo"}
    right = top(http, {"query": "Kurti", "type": "person", "properties": [office]})[0]
    assert right["id"] == plain["id"] and features(right)["property_office"] is True
    assert right["score"] == plain["score"]
    wrong_office = {"pid": "office", "v": "Prime Minister of Albania"}
    wrong = top(http, {"query": "Albin Kurti", "type": "person", "properties": [wrong_office]})
    assert features(wrong[0])["property_office"] is False
    assert wrong[0]["match"] is False  # an exact name with the wrong office is not certain
    country = {"pid": "country", "v": KOSOVO}
    by_country = top(http, {"query": "Albin Kurti", "type": "person", "properties": [country]})
    assert features(by_country[0])["property_country"] is True and by_country[0]["match"]
    as_entity = {"pid": "country", "v": {"id": "country/kosovo", "name": "Kosovo"}}
    assert top(http, {"query": "Kurti", "properties": [as_entity]})[0]["id"] == plain["id"]
    # Properties alone: every person who held the office.
    only = top(http, {"type": "person", "properties": [office]})
    assert [c["id"] for c in only] == [plain["id"]]
    assert qid_of(http, plain["id"]) == KURTI


def test_batches_by_json_body_and_query_string(http: httpx.Client) -> None:
    batch = {f"q{i}": {"query": name} for i, name in enumerate(["Kosovo", "Spajic", "Edi Rama"])}
    as_json = http.post("/reconcile", json=batch)
    wrapped = http.post("/reconcile", json={"queries": batch})
    in_url = http.get("/reconcile", params={"queries": json.dumps(batch)})
    for response in (as_json, wrapped, in_url):
        assert response.status_code == 200, response.text
        check_result_batch(response.json(), set(batch))
    assert as_json.json() == wrapped.json() == in_url.json() == reconcile(http, batch)
    assert [as_json.json()[k]["result"][0]["name"] for k in batch] == [
        "Kosovo", "Milojko Spajić", "Edi Rama",
    ]  # fmt: skip


def test_limit_and_an_empty_answer(http: httpx.Client) -> None:
    assert len(top(http, {"query": "Prime Minister", "limit": 2})) == 2
    assert top(http, {"query": "zzzzzzzz qqqqqq"}) == []


# -- suggest, preview, extend ---------------------------------------------------------------
def test_suggest_entities_types_and_properties(http: httpx.Client) -> None:
    entities = http.get("/reconcile/suggest/entity", params={"prefix": "spa"}).json()
    check_suggest_entities(entities)
    assert entities["result"][0]["name"] == "Milojko Spajić"
    countries = http.get("/reconcile/suggest/entity", params={"prefix": "kos", "type": "country"})
    check_suggest_entities(countries.json())
    assert [r["id"] for r in countries.json()["result"]] == ["country/kosovo"]
    every = http.get("/reconcile/suggest/entity", params={"prefix": ""}).json()["result"]
    second = http.get("/reconcile/suggest/entity", params={"prefix": "", "cursor": "10"})
    assert second.json()["result"] and second.json()["result"][0] not in every
    types = http.get("/reconcile/suggest/type", params={"prefix": "pe"}).json()
    check_suggest_types(types)
    assert [t["id"] for t in types["result"]] == ["person"]
    props = http.get("/reconcile/suggest/property", params={"prefix": "off"}).json()
    check_suggest_properties(props)
    assert "office" in [p["id"] for p in props["result"]]


def test_preview_is_a_small_escaped_card(http: httpx.Client) -> None:
    response = http.get("/reconcile/preview", params={"id": "person/albin-kurti"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    html = response.text
    assert "Albin Kurti" in html and "Prime Minister of Kosovo" in html
    assert f'href="https://www.wikidata.org/wiki/{KURTI}"' in html
    assert "<script" not in html
    country = http.get("/reconcile/preview", params={"id": KOSOVO}).text
    assert "return hubs" in country and "willing" in country  # its latest position
    missing = http.get("/reconcile/preview", params={"id": "<script>alert(1)</script>"})
    assert_error(missing, 404)
    assert missing.headers["content-type"].startswith("application/json")


def test_data_extension_and_proposed_properties(http: httpx.Client) -> None:
    ids = ["person/albin-kurti", "country/kosovo", "country/montenegro", "nothing/here"]
    properties = [
        {"id": "qid"}, {"id": "office", "settings": {"date": "2025-10-22"}},
        {"id": "position", "settings": {"policy": "policy/uk-return-hubs"}},
        {"id": "observations"}, {"id": "country"},
    ]  # fmt: skip
    extension = {"ids": ids, "properties": properties}
    response = http.post("/reconcile", data={"extend": json.dumps(extension)})
    as_json = http.post("/reconcile", json={"extend": extension})
    assert as_json.status_code == 200 and as_json.json() == response.json()
    assert response.status_code == 200, response.text
    body = response.json()
    check_extension(body, ids, [p["id"] for p in properties])
    rows = body["rows"]
    assert rows["person/albin-kurti"]["qid"] == [{"str": KURTI}]
    assert rows["person/albin-kurti"]["office"][0]["name"] == "Prime Minister of Kosovo"
    assert rows["country/kosovo"]["position"] == [{"str": "willing"}]
    assert rows["country/montenegro"]["position"][0]["str"].startswith("open")
    assert rows["country/kosovo"]["observations"][0]["int"] >= 1
    assert rows["person/albin-kurti"]["country"][0]["id"] == "country/kosovo"
    assert all(cells == [] for cells in rows["nothing/here"].values())
    for type_id in ("person", "country", "office", "policy", None):
        params = {"type": type_id} if type_id else {}
        proposal = http.get("/reconcile/extend/propose", params=params).json()
        check_proposal(proposal)
        assert any(p["id"] == "qid" for p in proposal["properties"])
    limited = http.get("/reconcile/extend/propose", params={"type": "person", "limit": 1}).json()
    assert len(limited["properties"]) == 1


def test_client_reconcile(base_url: str, http: httpx.Client) -> None:
    with Client(base_url) as hub:
        partial = partial_name(http, "person/albin-kurti")
        found = hub.reconcile(["Spajic", partial, "Nobody Atall"], type="person")
        assert [c[0]["name"] if c else None for c in found] == [
            "Milojko Spajić", "Albin Kurti", None,
        ]  # fmt: skip
        assert found[0][0]["match"] is True and found[1][0]["match"] is False
        kosovo = hub.reconcile("Kurti", properties={"country": KOSOVO})[0][0]
        assert kosovo["name"] == "Albin Kurti"
        assert len(hub.reconcile([f"name {i}" for i in range(120)])) == 120  # several batches


# -- hostile and broken input ---------------------------------------------------------------
BAD_BATCHES: list[tuple[object, str]] = [
    ([1, 2], "object"),
    ("Kosovo", "object"),
    ({"q0": "Kosovo"}, "q0"),
    ({"q0": {"query": 5}}, "string"),
    ({"q0": {"query": None}}, "string"),
    ({"q0": {"query": ["Kosovo"]}}, "string"),
    ({"q0": {}}, "query"),
    ({"q0": {"query": "   "}}, "query"),
    ({"q0": {"query": "Kosovo", "limit": "ten"}}, "limit"),
    ({"q0": {"query": "Kosovo", "limit": True}}, "limit"),
    ({"q0": {"query": "Kosovo", "limit": 0}}, "limit"),
    ({"q0": {"query": "Kosovo", "limit": 10**12}}, "limit"),
    ({"q0": {"query": "Kosovo", "type": "planet"}}, "planet"),
    ({"q0": {"query": "Kosovo", "type": [1]}}, "type"),
    ({"q0": {"query": "Kosovo", "type": {"id": "country"}}}, "type"),
    ({"q0": {"query": "Kosovo", "type_strict": "maybe"}}, "type_strict"),
    ({"q0": {"query": "Kosovo", "properties": {"office": "x"}}}, "properties"),
    ({"q0": {"query": "Kosovo", "properties": [{"pid": "office"}]}}, "pid"),
    ({"q0": {"query": "Kosovo", "properties": [{"pid": "colour", "v": "red"}]}}, "colour"),
    ({"q0": {"query": "Kosovo", "properties": [{"pid": "office", "v": {"name": "x"}}]}}, "id"),
    ({"q0": {"query": "Kosovo", "properties": [{"pid": "office", "v": []}]}}, "values"),
    ({"q0": {"query": "Kosovo", "properties": [{"pid": 3, "v": "x"}]}}, "pid"),
    ({"q0": {"query": "Kosovo", "colour": "red"}}, "colour"),
    ({"q0": {"query": "x" * (MAX_TEXT + 1)}}, "characters"),
    ({"k" * (MAX_TEXT + 1): {"query": "x"}}, "characters"),
]


@pytest.mark.parametrize(("batch", "word"), BAD_BATCHES)
def test_wrong_json_types_and_sizes_get_400_with_words(
    http: httpx.Client, batch: object, word: str
) -> None:
    response = http.post("/reconcile", data={"queries": json.dumps(batch)})
    assert_error(response, 400, word)


def test_oversized_input_is_refused_before_work(http: httpx.Client) -> None:
    huge = {f"q{i}": {"query": "Kosovo"} for i in range(MAX_BATCH + 1)}
    assert_error(http.post("/reconcile", data={"queries": json.dumps(huge)}), 413, "at most")
    body = json.dumps({"q0": {"query": "x" * 2_000_000}})
    assert_error(http.post("/reconcile", content=body, headers={"Content-Type": "application/json"}), 413)  # fmt: skip
    deep = "[" * 50_000 + "]" * 50_000
    assert_error(http.post("/reconcile", data={"queries": deep}), 400, "JSON")
    assert_error(http.post("/reconcile", data={"queries": "{nope"}), 400, "JSON")
    not_utf8 = b"queries=%FF%FE"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error(http.post("/reconcile", content=not_utf8, headers=form), 400, "UTF-8")
    raw = http.post(
        "/reconcile", content=b"\xff\xfe{}", headers={"Content-Type": "application/json"}
    )
    assert_error(raw, 400, "UTF-8")
    xml = http.post("/reconcile", content=b"<q/>", headers={"Content-Type": "application/xml"})
    assert_error(xml, 415)
    both = http.post("/reconcile", data={"queries": "{}", "extend": "{}"})
    assert_error(both, 400, "not both")


def test_odd_characters_are_just_names(http: httpx.Client) -> None:
    names = ["\x00Kosovo\x00", "Kos\u200bovo", "\u202eovosoK", "🇽🇰 Kosovo", "Kosovo\r\n", "'; DROP --",
             "\\u0000", "%00", "{{id}}", "<script>alert(1)</script>", "ＫＯＳＯＶＯ"]  # fmt: skip
    body = reconcile(http, {f"q{i}": {"query": n} for i, n in enumerate(names)})
    assert body["q0"]["result"][0]["id"] == "country/kosovo"  # NUL is punctuation here
    assert body["q10"]["result"][0]["id"] == "country/kosovo"  # full-width letters fold


def test_random_bytes_never_break_it(http: httpx.Client) -> None:
    rng = random.Random(12)
    alphabet = '{}[]":,0123456789qQ\\ntrue false null query type limit properties pid v é\x00'
    for _ in range(150):
        size = rng.randint(0, 80)
        text = "".join(rng.choice(alphabet) for _ in range(size))
        response = http.post("/reconcile", data={"queries": text})
        assert response.status_code in (200, 400, 413), (text, response.text)
        if response.status_code == 200:
            check_result_batch(response.json())
        blob = bytes(rng.randrange(256) for _ in range(size))
        answer = http.post("/reconcile", content=blob, headers={"Content-Type": "application/json"})
        assert answer.status_code in (200, 400, 413), blob
    assert http.get("/reconcile").status_code == 200


BAD_EXTENSIONS: list[tuple[object, str]] = [
    ([], "object"),
    ({"ids": "country/kosovo", "properties": [{"id": "qid"}]}, "arrays"),
    ({"ids": ["country/kosovo"]}, "arrays"),
    ({"ids": ["country/kosovo"], "properties": []}, "properties"),
    ({"ids": [7], "properties": [{"id": "qid"}]}, "string"),
    ({"ids": ["country/kosovo"], "properties": ["qid"]}, "id"),
    ({"ids": ["country/kosovo"], "properties": [{"id": "colour"}]}, "colour"),
    ({"ids": ["country/kosovo"], "properties": [{"id": "office", "settings": []}]}, "settings"),
    ({"ids": ["x"], "properties": [{"id": "office", "settings": {"date": "yesterday"}}]}, "date"),
    ({"ids": ["x"], "properties": [{"id": "position", "settings": {"policy": "Q1246"}}]}, "policy"),
    ({"ids": ["x"] * (MAX_BATCH + 1), "properties": [{"id": "qid"}]}, "at most"),
]


@pytest.mark.parametrize(("request_body", "word"), BAD_EXTENSIONS)
def test_bad_extension_requests(http: httpx.Client, request_body: object, word: str) -> None:
    response = http.post("/reconcile", data={"extend": json.dumps(request_body)})
    assert_error(response, 413 if word == "at most" else 400, word)


def test_bad_suggest_preview_and_propose_parameters(http: httpx.Client) -> None:
    assert_error(http.get("/reconcile/suggest/entity", params={"prefix": "a", "cursor": "-1"}), 400, "cursor")  # fmt: skip
    assert_error(
        http.get("/reconcile/suggest/entity", params={"cursor": "99999999"}), 400, "cursor"
    )
    assert_error(
        http.get("/reconcile/suggest/entity", params={"prefix": "k" * 5000}), 400, "prefix"
    )
    assert_error(http.get("/reconcile/suggest/entity", params={"type": "planet"}), 400, "planet")
    assert_error(http.get("/reconcile/suggest/colour", params={"prefix": "a"}), 404)
    assert_error(http.get("/reconcile/preview"), 400, "id")
    assert_error(http.get("/reconcile/preview", params={"id": "x" * 5000}), 400, "id")
    assert_error(http.get("/reconcile/extend/propose", params={"type": "planet"}), 400, "planet")
    assert_error(http.get("/reconcile/extend/propose", params={"limit": "many"}), 400, "limit")


# -- the library: namesakes, escaping, the cache ----------------------------------------------
HG = "https://w3id.org/hubgraph/ontology#"
ID = "https://w3id.org/hubgraph/id/"


def _register_store(names: dict[str, str]) -> ox.Store:
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    graph = ox.NamedNode("https://w3id.org/hubgraph/graph/register")
    for local, name in names.items():
        node = ox.NamedNode(ID + local)
        store.add(ox.Quad(node, kind, ox.NamedNode(HG + "Person"), graph))
        store.add(ox.Quad(node, label, ox.Literal(name, language="en"), graph))
    return store


@pytest.fixture
def local() -> Iterator[tuple[ox.Store, list[int], Reconciler]]:
    """A reconciler over a store of its own, with a version the test moves by hand."""
    store = _register_store({"person/a": "Ana Novak", "person/b": "Ana  Novák"})
    version = [0]

    def select(text: str) -> list[tuple[Any, ...]]:
        solutions = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        return [tuple(row) for row in solutions]

    yield store, version, Reconciler(select, lambda: version[0])


def test_namesakes_are_never_a_match(local: tuple[ox.Store, list[int], Reconciler]) -> None:
    _, _, reconciler = local
    found = reconciler.reconcile({"q": {"query": "Ana Novak"}})["q"]["result"]  # type: ignore[index]
    assert {c["id"] for c in found} == {"person/a", "person/b"}
    assert all(c["match"] is False for c in found)
    assert normalise("Ana  Novák") == normalise("Ana Novak")


def test_the_cache_follows_the_store_version(local: tuple[ox.Store, list[int], Reconciler]) -> None:
    store, version, reconciler = local
    assert reconciler.reconcile({"q": {"query": "Zora Petrović"}})["q"]["result"] == []  # type: ignore[index]
    for quad in _register_store({"person/c": "Zora Petrović"}):
        store.add(quad)
    assert reconciler.reconcile({"q": {"query": "Zora Petrović"}})["q"]["result"] == []  # type: ignore[index]
    version[0] += 1
    found = reconciler.reconcile({"q": {"query": "Zora Petrović"}})["q"]["result"]  # type: ignore[index]
    assert [c["id"] for c in found] == ["person/c"] and found[0]["match"] is True


def test_preview_escapes_what_the_data_holds(local: tuple[ox.Store, list[int], Reconciler]) -> None:
    store, version, reconciler = local
    for quad in _register_store({"person/x": '<img src=x onerror="alert(1)">&'}):
        store.add(quad)
    version[0] += 1
    html = reconciler.preview("person/x")
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in html


def test_the_embedded_store_version_moves_with_each_load(settings: Settings) -> None:
    store = OxigraphStore(settings.store)
    try:
        load_data(store, settings)
        version = store_version(SimpleNamespace(store=store))  # type: ignore[arg-type]
        before = version()
        assert version() == before  # no load, same snapshot
        load_data(store, settings)
        assert version() != before
    finally:
        store.close()


TYPE_IRIS = {
    "country": "Country", "person": "Person", "organisation": "Organisation",
    "office": "Office", "policy": "Policy",
}  # fmt: skip


def test_every_register_entity_is_found_by_its_label(http: httpx.Client) -> None:
    """Over the register as the store holds it (read here with plain SPARQL): each entity's
    label, within its type, finds it first, and is a match unless a namesake shares it."""
    values = " ".join(f"hg:{name}" for name in TYPE_IRIS.values())
    sparql = (
        f"SELECT DISTINCT ?e ?t ?label WHERE {{ VALUES ?t {{ {values} }} "
        "GRAPH ?g { ?e a ?t ; rdfs:label ?label } }"
    )
    response = http.get("/sparql", params={"query": sparql}, headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    rows = response.json()["results"]["bindings"]
    assert len(rows) >= 20
    by_type: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        kind = row["t"]["value"].rsplit("#", 1)[-1].lower()
        by_type.setdefault((kind, normalise(row["label"]["value"])), set()).add(row["e"]["value"])
    entries = sorted(
        (row["e"]["value"], row["t"]["value"].rsplit("#", 1)[-1].lower(), row["label"]["value"])
        for row in rows
    )[:MAX_BATCH]
    batch = {f"q{i}": {"query": label, "type": kind} for i, (_, kind, label) in enumerate(entries)}
    answers = reconcile(http, batch)
    for i, (iri, kind, label) in enumerate(entries):
        found = answers[f"q{i}"]["result"]
        namesakes = by_type[(kind, normalise(label))]
        assert "https://w3id.org/hubgraph/id/" + found[0]["id"] in namesakes, (label, found[0])
        assert features(found[0])["label_exact"] is True
        # Another entity of the type whose label or alias normalises alike: no match.
        alike = [
            c for c in found if features(c)["label_normalised"] or features(c)["alias_normalised"]
        ]
        assert found[0]["match"] is (len(alike) == 1), (label, alike)
        assert iri in namesakes

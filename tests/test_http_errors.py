"""Every error path of the HTTP API, each answered with the one error shape
``{"status", "error", "message"}``, the right status and no traceback; the query timeout and the
nesting limit, which keep the server answering; entities; CORS."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import rdflib
from conftest import LiveServer
from http_checks import KOSOVO, WD, assert_error, media_type
from rdflib.namespace import OWL
from sheet_facts import observations

DIRECT = {"Content-Type": "application/sparql-query"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
MAX_BODY_BYTES = 1_000_000
MAX_QUERY_LENGTH = 100_000
SLACK = 2.0
"""Seconds allowed on top of the server's timeout for killing a worker and answering."""


# -- 400 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p }",
        "ASK {",
        "SELEC * WHERE { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o",
        "SELECT ?x WHERE { ?x <a:b> 'unterminated }",
        "SELECT * WHERE { ?s undeclared:p ?o }",
        "",
        "   ",
    ],
)
def test_400_malformed_query(http: httpx.Client, query: str) -> None:
    body = assert_error(http.get("/sparql", params={"query": query}), 400)
    assert body["error"] in {"malformed-query", "bad-request"}
    direct = http.post("/sparql", content=query.encode(), headers=DIRECT)
    assert_error(direct, 400)


def test_400_bad_parameter(http: httpx.Client) -> None:
    cases = [
        ("/queries/stances", {"position": "maybe"}, "position"),
        ("/queries/stances", {"holder": "country/atlantis"}, "holder"),
        ("/queries/refusals", {"country": "X1"}, "country"),
        ("/queries/refusals", {"policy": "no iri"}, "policy"),
        ("/queries/refusals", {"colour": "red"}, "colour"),
        ("/queries/refusals", {"limit": "abc"}, "limit"),
        ("/queries/refusals.csv", {"limit": "0"}, "limit"),
        ("/queries/actor", {}, "actor"),
    ]
    for path, params, name in cases:
        body = assert_error(http.get(path, params=params), 400, "bad-parameter")
        assert name in body["message"], (path, params, body)


def test_400_missing_query_and_bad_form(http: httpx.Client) -> None:
    empty_form = http.post("/sparql", content=b"", headers=FORM)
    assert_error(empty_form, 400, "bad-request")
    assert_error(http.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")]), 400)
    assert_error(http.get("/sparql?query=ASK%20%7B%FF%7D"), 400)


@pytest.mark.parametrize("name", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["not an iri", "", "<urn:x:g>", "relative/graph"])
def test_400_bad_dataset_iri(http: httpx.Client, name: str, value: str) -> None:
    response = http.get("/sparql", params={"query": "ASK { ?s ?p ?o }", name: value})
    body = assert_error(response, 400, "bad-request")
    assert name in body["message"]
    form = http.post("/sparql", data={"query": "ASK { ?s ?p ?o }", name: value})
    assert_error(form, 400, "bad-request")


# -- 403 ----------------------------------------------------------------------------------------
def test_403_update(http: httpx.Client) -> None:
    update = "INSERT DATA { <urn:x:s> <urn:x:p> <urn:x:o> }"
    for response in (
        http.get("/sparql", params={"query": update}),
        http.post("/sparql", data={"update": update}),
        http.post(
            "/sparql",
            content=update.encode(),
            headers={"Content-Type": "application/sparql-update"},
        ),
        http.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}),
        http.get("/sparql", params={"query": "LOAD <http://127.0.0.1:9/data.ttl>"}),
    ):
        assert_error(response, 403, "update-refused")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback socket that would see any connection a SERVICE call made."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def test_403_service_not_allowed(http: httpx.Client, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    target = f"http://127.0.0.1:{port}/sparql"
    queries = [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <http://127.0.0.1:{port}/> "
        "SELECT * WHERE { service x:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { VALUES ?e { <" + target + "> } SERVICE ?e { ?s ?p ?o } }",
        f"ASK {{ ?s ?p ?o . {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
    ]
    for query in queries:
        started = time.monotonic()
        response = http.get("/sparql", params={"query": query})
        assert time.monotonic() - started < 1.0, "refused only after trying to connect"
        body = assert_error(response, 403, "service-not-allowed")
        assert "allow" in body["message"]
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody ever connected


def test_403_service_in_canned_and_post(http: httpx.Client) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    assert_error(http.post("/sparql", data={"query": query}), 403, "service-not-allowed")
    direct = http.post("/sparql", content=query.encode(), headers=DIRECT)
    assert_error(direct, 403, "service-not-allowed")


# -- 404 ----------------------------------------------------------------------------------------
def test_404_unknown_path(http: httpx.Client) -> None:
    for path in ("/nope", "/sparql/extra", "/queries/refusals/more"):
        body = assert_error(http.get(path), 404, "not-found")
        assert path in body["message"]


def test_404_unknown_entity(http: httpx.Client) -> None:
    for path in (
        "/entities/country/atlantis",
        "/entities/wikidata/Q999999999",
        "/entities/wikidata/X1",
        "/entities/urn:x:nothing",
    ):
        assert_error(http.get(path), 404, "not-found")
    turtle = http.get("/entities/country/atlantis", headers={"Accept": "text/turtle"})
    assert_error(turtle, 404, "not-found")


def test_404_unknown_query(http: httpx.Client) -> None:
    body = assert_error(http.get("/queries/nope"), 404, "not-found")
    assert "refusals" in body["message"]
    assert_error(http.get("/queries/refusals.xlsx"), 404, "not-found")


@pytest.mark.parametrize("value", ["urn:x y", "http://example.org/a>b"])
def test_invalid_iri_as_entity_is_a_client_error(http: httpx.Client, value: str) -> None:
    assert_error(http.get("/entities/" + value.replace(" ", "%20")), 404, "not-found")
    canned = http.get("/queries/stances", params={"holder": value})
    assert_error(canned, 400, "bad-parameter")


# -- 405, 406, 415 ------------------------------------------------------------------------------
def test_405(http: httpx.Client) -> None:
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = http.request(method, "/sparql")
        assert_error(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "GET, POST"
    for method, path in (("POST", "/queries"), ("POST", "/queries/refusals"), ("DELETE", "/void")):
        response = http.request(method, path)
        assert_error(response, 405, "method-not-allowed")
        assert "GET" in response.headers["allow"]


def test_406(http: httpx.Client) -> None:
    png = {"Accept": "image/png"}
    for path, params in (
        ("/sparql", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}),
        ("/sparql", {"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"}),
        ("/sparql", {}),
        ("/queries/refusals", {}),
        ("/entities/country/kosovo", {}),
        ("/void", {}),
        ("/ontology", {}),
    ):
        body = assert_error(http.get(path, params=params, headers=png), 406, "not-acceptable")
        assert "image/png" in body["message"]
    # A format that does not fit the query falls back to Accept; only when Accept cannot be met
    # either is it a 406 (see test_protocol's format tests).
    by_name = http.get("/sparql", params={"query": "ASK {}", "format": "turtle"}, headers=png)
    assert "'turtle'" in assert_error(by_name, 406, "not-acceptable")["message"]


def test_415(http: httpx.Client) -> None:
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/json"}):
        response = http.post("/sparql", content=b"ASK {}", headers=headers)
        assert_error(response, 415, "unsupported-media-type")


# -- 413 ----------------------------------------------------------------------------------------
def test_413_body_over_the_limit(http: httpx.Client) -> None:
    big = b"ASK {} #" + b"x" * MAX_BODY_BYTES
    body = assert_error(http.post("/sparql", content=big, headers=DIRECT), 413, "payload-too-large")
    assert str(MAX_BODY_BYTES) in body["message"]
    form = http.post("/sparql", data={"query": big.decode()})
    assert_error(form, 413, "payload-too-large")


def test_413_body_over_the_limit_without_content_length(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"ASK {} #"
        for _ in range(11):
            yield b"x" * 100_000

    response = http.post("/sparql", content=chunks(), headers=DIRECT)
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload-too-large")


def test_413_query_over_the_length_limit(http: httpx.Client) -> None:
    query = "ASK {} #" + "x" * MAX_QUERY_LENGTH
    assert len(query.encode()) < MAX_BODY_BYTES
    body = assert_error(
        http.post("/sparql", content=query.encode(), headers=DIRECT), 413, "payload-too-large"
    )
    assert str(MAX_QUERY_LENGTH) in body["message"]
    assert_error(http.post("/sparql", data={"query": query}), 413, "payload-too-large")
    # Just under the limit is fine.
    short = "ASK {} #" + "x" * (MAX_QUERY_LENGTH - 20)
    ok = http.post("/sparql", content=short.encode(), headers=DIRECT)
    assert ok.status_code == 200
    assert ok.json()["boolean"] is True


def _raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` over a bare socket: httpx refuses URLs over 64 KiB."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_overlong_get_is_refused_and_the_server_survives(base_url: str) -> None:
    # A query string this long (over 64 KiB) is refused by the HTTP server before the app.
    query = "ASK%20%7B%7D%20%23" + "x" * MAX_QUERY_LENGTH
    status, _ = _raw_get(base_url, f"/sparql?query={query}")
    assert status in {400, 413, 414}
    assert httpx.get(f"{base_url}/sparql", params={"query": "ASK {}"}).status_code == 200


def test_overlong_get_has_the_error_shape(base_url: str) -> None:
    query = "ASK%20%7B%7D%20%23" + "x" * MAX_QUERY_LENGTH
    status, body = _raw_get(base_url, f"/sparql?query={query}")
    assert status in {413, 414}
    assert b'"error"' in body


# -- 504, and the server keeps serving ----------------------------------------------------------
def test_504_runaway_query_is_stopped_while_others_are_served(
    base_url: str, server: LiveServer
) -> None:
    outcome: dict[str, object] = {}
    timeout = server.timeout

    def runaway() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=base_url, timeout=timeout * 5) as client:
            outcome["response"] = client.get("/sparql", params={"query": RUNAWAY})
        outcome["elapsed"] = time.monotonic() - started
        outcome["finished"] = time.monotonic()

    thread = threading.Thread(target=runaway)
    thread.start()
    try:
        time.sleep(0.5)
        with httpx.Client(base_url=base_url, timeout=timeout * 5) as client:
            started = time.monotonic()
            simple = client.get("/sparql", params={"query": f"ASK {{ <{KOSOVO}> ?p ?o }}"})
            simple_elapsed = time.monotonic() - started
            simple_finished = time.monotonic()
            canned = client.get("/queries/refusals")
            canned_finished = time.monotonic()
    finally:
        thread.join(timeout=timeout * 5)
    assert not thread.is_alive()
    assert simple.status_code == 200
    assert simple.json()["boolean"] is True
    assert simple_elapsed < 1.0
    assert canned.status_code == 200
    # Whole: one row per refusal of a country that the sheets code.
    refusals = [o for o in observations() if o.position == "refuses" and o.holder.qid]
    assert len(canned.json()["rows"]) == len(refusals)
    # Both were answered while the runaway was still running.
    assert simple_finished < outcome["finished"]  # type: ignore[operator]
    assert canned_finished < outcome["finished"]  # type: ignore[operator]
    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    body = assert_error(response, 504, "query-timeout")
    assert "stopped" in body["message"] or "within" in body["message"]
    assert timeout - 0.5 < outcome["elapsed"] < timeout + SLACK  # type: ignore[operator]


# -- nesting ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "ASK " + "{" * 5000 + "}" * 5000,
        "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "SELECT * WHERE { ?s ?p " + "[ <a:b> " * 5000 + "]" * 5000 + " }",
        "ASK " + "{" * 5000,
    ],
    ids=["braces", "parentheses", "blank-node-brackets", "unclosed"],
)
def test_deeply_nested_query_is_refused_and_the_server_survives(
    http: httpx.Client, query: str
) -> None:
    body = assert_error(http.post("/sparql", data={"query": query}), 400, "query-too-complex")
    assert "nests more than 100 levels deep" in body["message"], body
    after = http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert after.status_code == 200
    assert after.json()["boolean"] is True


def test_nesting_within_the_limit_runs(http: httpx.Client) -> None:
    query = "ASK " + "{" * 50 + " ?s ?p ?o " + "}" * 50
    response = http.get("/sparql", params={"query": query})
    assert response.status_code == 200
    assert response.json()["boolean"] is True


# -- entities -----------------------------------------------------------------------------------
def test_entity_by_wikidata_qid(http: httpx.Client) -> None:
    response = http.get("/entities/wikidata/Q1246")
    assert response.status_code == 200
    assert media_type(response) == "application/json"
    body = response.json()
    assert body["iri"] == KOSOVO
    assert body["id"] == "country/kosovo"
    assert body["qid"] == "Q1246"
    assert body["label"] == "Kosovo"


def test_entity_by_id(http: httpx.Client) -> None:
    body = http.get("/entities/country/kosovo").json()
    assert body["qid"] == "Q1246"
    assert body["wikidata"] == "https://www.wikidata.org/wiki/Q1246"
    assert "https://w3id.org/hubgraph/ontology#Country" in body["types"]
    assert {"value": WD + "Q1246"} in body["properties"]["owl:sameAs"]
    assert body["referencedBy"]
    assert body["facts"]
    # Each source the facts cite is described, with the speaker of every quote they show.
    cited = {f["source"] for f in body["facts"] if f["source"]}
    assert cited and set(body["sources"]) == cited
    for fact in body["facts"]:
        if fact["source"]:
            source = body["sources"][fact["source"]]
            # A title, or why the copy at hand shows none (title: null in its sheet).
            assert source.get("title") or source["titleNote"], source
            assert source["label"] and source["issued"], source
            for quote in filter(None, (fact["quote"] or "").split(" | ")):
                assert source["quotes"][quote]["speakerLabel"], quote
    assert http.get("/entities/Q1246").json() == body
    assert http.get(f"/entities/{KOSOVO}").json() == body


def test_entity_as_turtle(http: httpx.Client) -> None:
    response = http.get("/entities/country/kosovo", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert media_type(response) == "text/turtle"
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    kosovo = rdflib.URIRef(KOSOVO)
    assert (kosovo, OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in graph
    assert any(graph.subject_predicates(kosovo)), "statements pointing at the entity"
    by_format = http.get("/entities/wikidata/Q1246", params={"format": "ntriples"})
    assert media_type(by_format) == "application/n-triples"
    assert len(rdflib.Graph().parse(data=by_format.text, format="nt")) == len(graph)


# -- CORS ---------------------------------------------------------------------------------------
def test_cors(http: httpx.Client) -> None:
    origin = {"Origin": "http://example.org"}
    response = http.get("/sparql", params={"query": "ASK {}"}, headers=origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in {"*", "http://example.org"}
    paged = http.get("/queries/refusals", params={"limit": 1}, headers=origin)
    assert "link" in paged.headers["access-control-expose-headers"].lower()
    error = http.get("/queries/nope", headers=origin)
    assert error.status_code == 404
    assert "access-control-allow-origin" in error.headers
    preflight = http.options(
        "/sparql",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in {"*", "http://example.org"}
    assert "POST" in preflight.headers["access-control-allow-methods"]

"""``/queries``: the canned queries over HTTP — listing, parameters, paging and formats."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_checks import ID, KOSOVO, SPARQL_JSON, WD, assert_error, media_type

ROOT = Path(__file__).resolve().parents[1]
QUERY_NAMES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
LOCAL_QUERY_NAMES = [
    n for n in QUERY_NAMES if "SERVICE <" not in (ROOT / "queries" / f"{n}.rq").read_text()
]
"""The queries that need no other endpoint (federated ones run in test_wikidata.py against a
stand-in; the API suite's servers have an empty allow-list)."""
DEFAULT_PARAMS: dict[str, dict[str, str]] = {"actor": {"actor": "Q1246"}, "search": {"q": "Kosovo"}}
"""Required parameters each query needs to run at all."""
PROVENANCE = ("quote", "voicedByLabel", "source", "sourceDate")
SOURCE = "https://w3id.org/hubgraph/source/gbnews-2025-10-kosovo-return-hub"


@pytest.fixture(scope="module")
def listing(base_url: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{base_url}/queries", timeout=30)
    assert response.status_code == 200
    return {q["name"]: q for q in response.json()}


def run(http: httpx.Client, name: str, params: Any = None, **kwargs: Any) -> dict[str, Any]:
    response = http.get(f"/queries/{name}", params=params, **kwargs)
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json"
    return response.json()  # type: ignore[no-any-return]


def labels(body: dict[str, Any], column: str) -> list[str]:
    """The distinct labels of a column: several sources observe each country."""
    return sorted({row[column] for row in body["rows"]})


REFUSERS = ["Albania", "Bosnia and Herzegovina", "Montenegro", "North Macedonia"]
"""The countries some source reports refusing (with a Wikidata link)."""


# -- the list -----------------------------------------------------------------------------------
def test_list_names_every_rq_file(listing: dict[str, dict[str, Any]], base_url: str) -> None:
    assert sorted(listing) == QUERY_NAMES
    for name, query in listing.items():
        assert query["title"] and query["title"] != name
        assert len(query["description"]) > 20
        assert query["url"] == f"{base_url}/queries/{name}"
        assert query["csv"] == f"{base_url}/queries/{name}.csv"
        assert isinstance(query["parameters"], list)


def test_list_describes_parameters(listing: dict[str, dict[str, Any]]) -> None:
    for query in listing.values():
        for param in query["parameters"]:
            assert {"name", "type", "required", "default", "list", "description"} <= set(param)
            assert isinstance(param["required"], bool)
            if param["type"] == "concept":
                assert param["scheme"].startswith("https://w3id.org/hubgraph/ontology#")
                assert param["choices"]
                for choice in param["choices"]:
                    assert choice["iri"].endswith("/" + choice["value"])
                    assert choice["label"]
            else:
                assert "choices" not in param
    params = {p["name"]: p for p in listing["countries-attaching-conditions"]["parameters"]}
    assert params["policy"] == {
        **params["policy"],
        "type": "iri",
        "required": False,
        "default": ID + "policy/uk-return-hubs",
    }
    assert params["country"]["type"] == "qid"
    assert params["country"]["list"] is True
    assert {c["value"] for c in params["kind"]["choices"]} == {
        "precondition",
        "reciprocal-expectation",
    }
    stances = {p["name"]: p for p in listing["stances"]["parameters"]}
    assert {c["value"] for c in stances["position"]["choices"]} == {
        "willing",
        "open-with-conditions",
        "open-to-talks",
        "not-approached",
        "refuses",
    }
    (actor,) = listing["actor"]["parameters"]
    assert actor["required"] is True
    assert actor["type"] == "entity"


# -- running with defaults ------------------------------------------------------------------------
@pytest.mark.parametrize("name", LOCAL_QUERY_NAMES)
def test_each_query_runs_with_defaults(http: httpx.Client, name: str) -> None:
    body = run(http, name, DEFAULT_PARAMS.get(name))
    assert body["query"] == name
    assert body["columns"]
    assert body["rows"], f"{name} returned no rows on the article's data"
    assert body["count"] == len(body["rows"])
    assert body["offset"] == 0
    assert body["truncated"] is False
    assert body["next"] is None
    for row in body["rows"]:
        assert list(row) == body["columns"]


# -- parameters -----------------------------------------------------------------------------------
def test_list_parameter_takes_several_values(http: httpx.Client) -> None:
    both = run(http, "countries-attaching-conditions", [("country", "Q1246"), ("country", "Q236")])
    assert labels(both, "countryLabel") == ["Kosovo", "Montenegro"]
    one = run(http, "countries-attaching-conditions", {"country": "Q236"})
    assert labels(one, "countryLabel") == ["Montenegro"]
    none = run(http, "refusals", {"country": "Q1246"})
    assert none["rows"] == []


def test_concept_parameter_by_short_name(http: httpx.Client) -> None:
    refuses = run(http, "stances", {"position": "refuses"})
    assert labels(refuses, "holderLabel") == [*REFUSERS, "Republika Srpska"]
    assert {row["position"] for row in refuses["rows"]} == {ID + "position/refuses"}
    willing = run(http, "stances", {"position": "willing"})
    assert labels(willing, "holderLabel") == ["Kosovo"]
    reciprocal = run(http, "countries-attaching-conditions", {"kind": "reciprocal-expectation"})
    assert labels(reciprocal, "countryLabel") == ["Kosovo"]
    precondition = run(http, "countries-attaching-conditions", {"kind": "precondition"})
    assert labels(precondition, "countryLabel") == ["Montenegro"]


@pytest.mark.parametrize("value", ["refuses", "Refuses", ID + "position/refuses", "REFUSES"])
def test_concept_parameter_spellings(http: httpx.Client, value: str) -> None:
    # The short name, any case of it, and the concept's IRI all name the same concept.
    body = run(http, "stances", {"position": value})
    assert labels(body, "holderLabel") == [*REFUSERS, "Republika Srpska"]


def test_concept_parameter_by_label(http: httpx.Client) -> None:
    body = run(http, "stances", {"position": "open with conditions"})
    assert labels(body, "holderLabel") == ["Montenegro"]


def test_concept_parameter_unknown_value(http: httpx.Client) -> None:
    response = http.get("/queries/stances", params={"position": "maybe"})
    body = assert_error(response, 400, "bad-parameter")
    assert "position" in body["message"]
    assert body.get("parameter") == "position"
    assert "refuses" in body["message"]


@pytest.mark.parametrize("value", ["Q1246", "wd:Q1246", WD + "Q1246"])
def test_qid_parameter_spellings(http: httpx.Client, value: str) -> None:
    body = run(http, "countries-attaching-conditions", {"country": value})
    assert labels(body, "countryLabel") == ["Kosovo"]
    assert body["rows"][0]["qid"] == "Q1246"


def test_qid_parameter_spellings_agree(http: httpx.Client) -> None:
    rows = [
        run(http, "countries-attaching-conditions", {"country": v})["rows"]
        for v in ("Q1246", "wd:Q1246", WD + "Q1246", "https://www.wikidata.org/wiki/Q1246")
    ]
    assert all(r == rows[0] for r in rows)


@pytest.mark.parametrize("value", ["X1", "Q", "Q0", "kosovo", "wd:X1"])
def test_qid_parameter_rejects_non_qids(http: httpx.Client, value: str) -> None:
    response = http.get("/queries/countries-attaching-conditions", params={"country": value})
    body = assert_error(response, 400, "bad-parameter")
    assert "country" in body["message"]
    assert value in body["message"]


@pytest.mark.parametrize("value", ["country/kosovo", "Q1246", KOSOVO])
def test_entity_parameter_spellings(http: httpx.Client, value: str) -> None:
    body = run(http, "stances", {"holder": value})
    assert {row["holder"] for row in body["rows"]} == {KOSOVO}
    actor = run(http, "actor", {"actor": value})
    assert {row["actor"] for row in actor["rows"]} == {KOSOVO}


def test_entity_parameter_unknown(http: httpx.Client) -> None:
    for value in ("country/atlantis", "Q999999999", "not an entity"):
        response = http.get("/queries/stances", params={"holder": value})
        body = assert_error(response, 400, "bad-parameter")
        assert "holder" in body["message"]


def test_unknown_parameter(http: httpx.Client) -> None:
    response = http.get("/queries/refusals", params={"colour": "red"})
    body = assert_error(response, 400, "bad-parameter")
    assert "colour" in body["message"]
    assert body.get("parameter") == "colour"


def test_missing_required_parameter(http: httpx.Client) -> None:
    body = assert_error(http.get("/queries/actor"), 400, "bad-parameter")
    assert "actor" in body["message"]
    csv_body = assert_error(http.get("/queries/actor.csv"), 400, "bad-parameter")
    assert "actor" in csv_body["message"]


def test_repeated_scalar_parameter(http: httpx.Client) -> None:
    response = http.get("/queries/stances", params=[("holder", "Q1246"), ("holder", "Q222")])
    body = assert_error(response, 400, "bad-parameter")
    assert "holder" in body["message"]


def test_bad_iri_parameter(http: httpx.Client) -> None:
    response = http.get("/queries/refusals", params={"policy": "not an iri"})
    assert "policy" in assert_error(response, 400, "bad-parameter")["message"]


# -- paging ---------------------------------------------------------------------------------------
def test_paging_with_limit_and_next(http: httpx.Client, base_url: str) -> None:
    full = run(http, "refusals")
    assert len(full["rows"]) >= 2
    response = http.get("/queries/refusals", params={"limit": 1})
    first = response.json()
    assert first["rows"] == full["rows"][:1]
    assert first["truncated"] is True
    assert first["limit"] == 1
    assert first["next"].startswith(f"{base_url}/queries/refusals?")
    assert response.headers["link"] == f'<{first["next"]}>; rel="next"'
    assert response.headers["x-hubgraph-truncated"] == "true"
    second = http.get(first["next"]).json()
    assert second["rows"] == full["rows"][1:2]
    assert second["offset"] == 1
    # Walk to the end: every row once, and the last page says so.
    rows, page = first["rows"] + second["rows"], second
    while page["truncated"]:
        page = http.get(page["next"]).json()
        rows += page["rows"]
    assert rows == full["rows"]
    assert page["next"] is None


def test_paging_keeps_parameters_and_csv(http: httpx.Client) -> None:
    response = http.get(
        "/queries/countries-attaching-conditions.csv",
        params=[("country", "Q1246"), ("country", "Q236"), ("limit", "1")],
    )
    assert media_type(response) == "text/csv"
    next_url = response.headers["link"].split(";")[0].strip("<>")
    assert ".csv?" in next_url
    first = list(csv.DictReader(io.StringIO(response.text)))
    second = list(csv.DictReader(io.StringIO(http.get(next_url).text)))
    whole = http.get(
        "/queries/countries-attaching-conditions.csv",
        params=[("country", "Q1246"), ("country", "Q236")],
    )
    assert first + second == list(csv.DictReader(io.StringIO(whole.text)))[:2]


def test_offset_beyond_the_end(http: httpx.Client) -> None:
    body = run(http, "refusals", {"offset": 1000})
    assert body["rows"] == []
    assert body["count"] == 0
    assert body["truncated"] is False
    assert body["columns"]


@pytest.mark.parametrize(
    ("param", "value"),
    [("limit", "0"), ("limit", "abc"), ("limit", "-1"), ("offset", "-1"), ("offset", "x")],
)
def test_bad_paging_values(http: httpx.Client, param: str, value: str) -> None:
    body = assert_error(http.get("/queries/refusals", params={param: value}), 400)
    assert param in body["message"]
    suffixed = assert_error(http.get("/queries/refusals.csv", params={param: value}), 400)
    assert param in suffixed["message"]


def test_limit_above_the_maximum(http: httpx.Client) -> None:
    body = assert_error(http.get("/queries/refusals", params={"limit": 10**9}), 400)
    assert "limit" in body["message"]


# -- formats ------------------------------------------------------------------------------------
def _csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/csv"
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_by_suffix_accept_and_format(http: httpx.Client) -> None:
    records = run(http, "refusals")
    by_suffix = _csv_rows(http.get("/queries/refusals.csv"))
    by_accept = _csv_rows(http.get("/queries/refusals", headers={"Accept": "text/csv"}))
    by_format = _csv_rows(http.get("/queries/refusals", params={"format": "csv"}))
    assert by_suffix == by_accept == by_format
    assert [r["countryLabel"] for r in by_suffix] == [r["countryLabel"] for r in records["rows"]]
    assert list(by_suffix[0]) == records["columns"]


def test_json_suffix_gives_records(http: httpx.Client) -> None:
    assert http.get("/queries/refusals.json").json()["rows"] == run(http, "refusals")["rows"]
    assert_error(http.get("/queries/refusals.xml"), 404, "not-found")


def test_sparql_json_by_accept(http: httpx.Client) -> None:
    response = http.get("/queries/refusals", headers={"Accept": SPARQL_JSON})
    assert response.status_code == 200
    assert media_type(response) == SPARQL_JSON
    body = response.json()
    assert "countryLabel" in body["head"]["vars"]
    values = sorted({b["countryLabel"]["value"] for b in body["results"]["bindings"]})
    assert values == REFUSERS
    first = body["results"]["bindings"][0]
    assert first["country"]["type"] == "uri"
    assert first["countryLabel"].get("xml:lang") == "en"


def test_canned_query_406(http: httpx.Client) -> None:
    assert_error(http.get("/queries/refusals", headers={"Accept": "image/png"}), 406)
    assert_error(http.get("/queries/refusals", params={"format": "png"}), 406)


# -- provenance and unknown names ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["stances", "refusals", "countries-attaching-conditions"])
def test_provenance_columns(http: httpx.Client, name: str) -> None:
    body = run(http, name)
    assert set(PROVENANCE) <= set(body["columns"])
    assert SOURCE in {row["source"] for row in body["rows"]}
    for row in body["rows"]:
        assert row["source"].startswith("https://w3id.org/hubgraph/source/")
        assert row["sourceDate"]
    assert any(row["quote"] for row in body["rows"])
    assert any(row["voicedByLabel"] for row in body["rows"])


def test_unknown_query(http: httpx.Client) -> None:
    for path in ("/queries/no-such-query", "/queries/no-such-query.csv"):
        body = assert_error(http.get(path), 404, "not-found")
        assert "no-such-query" in body["message"]
        for name in QUERY_NAMES:
            assert name in body["message"]


def test_the_page_shows_the_text_this_store_runs(server, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """The gallery's SPARQL, which a user opens in the editor and runs over /sparql, is the text
    the canned query runs on this store: Virtuoso's own (queries/virtuoso/) where it has one."""
    page = httpx.get(f"{base_url}/", timeout=30).text
    match = re.search(r'<script id="hubgraph-config" type="application/json">(.*?)</script>', page)
    assert match is not None
    shown = json.loads(match.group(1))["canned"]
    own = {p.stem for p in (ROOT / "queries" / "virtuoso").glob("*.rq")}
    assert own, "Virtuoso keeps texts of its own"
    for name in QUERY_NAMES:
        folder = (
            ROOT / "queries" / ("virtuoso" if server.backend == "virtuoso" and name in own else "")
        )
        body = [
            ln for ln in (folder / f"{name}.rq").read_text().splitlines() if not ln.startswith("#+")
        ]
        assert shown[name] == "\n".join(body).strip(), name

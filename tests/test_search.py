"""The `search` canned query: entities and quotes by their words, across sources, over both
backends."""

from __future__ import annotations

import httpx


def search(http: httpx.Client, words: str) -> list[dict[str, object]]:
    response = http.get("/queries/search", params={"q": words})
    assert response.status_code == 200, response.text
    return response.json()["rows"]  # type: ignore[no-any-return]


def test_finds_a_quote_with_its_speaker_and_source(http: httpx.Client) -> None:
    rows = search(http, "never in albania")
    quotes = [r for r in rows if r["kind"] == "quote"]
    assert quotes, rows
    assert all("never in albania" in str(r["text"]).lower() for r in rows)
    assert {r["speakerLabel"] for r in quotes} == {"Edi Rama"}
    assert all(r["source"] and r["sourceTitle"] for r in quotes)


def test_finds_an_entity_by_an_alias_without_its_accent(http: httpx.Client) -> None:
    rows = search(http, "Spajic")
    entities = [r for r in rows if r["kind"] == "entity"]
    assert "Milojko Spajić" in {r["hitLabel"] for r in entities}
    assert rows[0]["kind"] == "entity"  # entities first


def test_words_are_a_bound_string_not_query_text(http: httpx.Client) -> None:
    assert search(http, '") } } SELECT * WHERE { ?s ?p ?o } #') == []
    assert search(http, "no such words anywhere xyzzy") == []
    missing = http.get("/queries/search")
    assert missing.status_code == 400 and "'q'" in missing.json()["message"]

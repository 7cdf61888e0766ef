"""`hubgraph new`: a draft sheet from an article's text that needs only a person's decisions.

The first article's text is the only full text at hand; the unit snippets below are written
for the tests and are no article."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hubgraph.graph.register import Register, read_register
from hubgraph.sheets.anchor import Text
from hubgraph.sheets.catalog import Catalog
from hubgraph.sheets.compile import compile_sheet
from hubgraph.sheets.draft import (
    draft_sheet,
    find_dates,
    find_mentions,
    find_quotes,
    suggest_speaker,
)
from hubgraph.sheets.format import read_sheet
from hubgraph.sheets.yamlread import DECIDE, SheetError, read_yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "sources"
ARTICLE = SOURCES / "gbnews-2025-10-kosovo-return-hub.txt"


@pytest.fixture(scope="module")
def register() -> Register:
    return read_register(ROOT / "data" / "register.yaml")


def snippet(text: str) -> Text:
    return Text(text, "snippet.txt")


def quotes_of(text: str) -> list[str]:
    return [p.text for p in find_quotes(snippet(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('He said "yes" and "no".', ["yes", "no"]),
        ("She said “curly words” here.", ["curly words"]),
        ("“Outer ‘inner’ words,” she said.", ["Outer ‘inner’ words", "inner"]),
        ("\"Outer 'inner' words,\" she said.", ["Outer 'inner' words", "inner"]),
        ("“Words across\na line break”, she said.", ["Words across\na line break"]),
        ("Kosovo's Prime Minister didn't say it.", []),
        ("“Never closed\n\nA new paragraph.", []),
    ],
)
def test_quoted_passages_are_found(text: str, expected: list[str]) -> None:
    assert quotes_of(text) == expected


def test_offsets_and_lines_point_at_the_words() -> None:
    text = 'First line.\nThen "the words" here.\n'
    (passage,) = find_quotes(snippet(text))
    assert text[passage.start : passage.end] == "the words"
    assert passage.line == 2


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('Edi Rama spoke.\n"Never," he said.', "person/edi-rama"),
        ('"Never," said Mr Kurti.', "person/albin-kurti"),
        ('"Never," Rama said.', "person/edi-rama"),
        ('Mr Kurti added: "We agree".', "person/albin-kurti"),
        ('Nobody is named: "Never".', None),
    ],
)
def test_the_nearest_speaker_is_suggested(
    register: Register, text: str, speaker: str | None
) -> None:
    t = snippet(text)
    (passage,) = find_quotes(t)
    found, _why = suggest_speaker(passage, t, find_mentions(t, register))
    assert (found.id if found else None) == speaker


def test_mentions_and_dates(register: Register) -> None:
    t = snippet("Sir Keir met Bosnia and Herzegovina's presidency on Wednesday, 22 October 2025.")
    assert [(m.written, m.entity.id) for m in find_mentions(t, register)] == [
        ("Sir Keir", "person/keir-starmer"),
        (
            "Bosnia and Herzegovina's presidency",
            "organisation/presidency-of-bosnia-and-herzegovina",
        ),
    ]
    assert [d for _, d in find_dates(t)] == ["on Wednesday", "22 October 2025"]


@pytest.fixture(scope="module")
def draft(register: Register, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not ARTICLE.exists():
        pytest.skip("the first article's text is not beside the clone")
    text = draft_sheet(
        ARTICLE, register, publisher="GB News", date="2025-10", today=dt.date(2026, 12, 1)
    )
    path = tmp_path_factory.mktemp("draft") / "gbnews-2025-10-kosovo-return-hub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_draft_of_the_first_article_needs_only_decisions(
    draft: Path, register: Register
) -> None:
    """Every problem `hubgraph validate` finds in the draft is a DECIDE left for a person:
    the quotes are verbatim, the suggested speakers and holders resolve, the dates parse."""
    with pytest.raises(SheetError) as caught:
        compile_sheet(read_sheet(draft), register, Catalog(), SOURCES)
    found = caught.value.problems
    assert found and all("still to decide: replace DECIDE" in p.message for p in found), found
    places = [
        n
        for n, row in enumerate(draft.read_text(encoding="utf-8").splitlines(), 1)
        if f": {DECIDE}" in row
    ]
    assert sorted(p.line for p in found) == places  # each DECIDE is reported, once, where it is


def test_the_draft_holds_every_quote_with_its_speaker(draft: Path) -> None:
    doc = read_yaml(draft)
    quotes = {q["text"]: q for q in doc["quotes"]}
    for words, line in [
        ("We want to help the UK", 22),
        ("We consider that is our friendly and political duty", 23),
        ("obligation", 20),
        ("I repeat ... Never in Albania", 18),
        ("no intention, nor any willingness, to enter into any agreement", 14),
    ]:
        assert quotes[words]["line"] == line
    assert quotes["I repeat ... Never in Albania"]["speaker"] == "Edi Rama"
    assert quotes["We want to help the UK"]["speaker"] == "Albin Kurti"
    assert quotes["no intention, nor any willingness, to enter into any agreement"]["speaker"] == (
        "Presidency of Bosnia and Herzegovina"
    )
    text = ARTICLE.read_text(encoding="utf-8")
    for q in doc["quotes"]:
        assert text[q["start"] : q["end"]] == q["text"]


def test_the_draft_decides_nothing_a_person_must(draft: Path) -> None:
    doc = read_yaml(draft)
    assert all(o["position"] == DECIDE and o["policy"] == DECIDE for o in doc["observations"])
    assert doc["claims"] == []
    assert doc["coding"]["coder"] == DECIDE
    text = draft.read_text(encoding="utf-8")
    assert '"The Times" -> organisation/the-times (Q50008)' in text
    assert '"on Wednesday"' in text


def test_a_draft_with_decisions_made_loads(draft: Path, register: Register, tmp_path: Path) -> None:
    text = draft.read_text(encoding="utf-8")
    text = text.replace("coder: DECIDE", "coder: tester").replace(
        "first_hand: DECIDE", "first_hand: true"
    )
    text = text.replace("url_note: DECIDE", 'url_note: "not at hand"').replace(
        "policy: DECIDE", "policy: UK return hubs plan"
    )
    for position in ("willing", "refuses", "refuses"):
        text = text.replace("position: DECIDE", f"position: {position}", 1)
    path = tmp_path / draft.name
    path.write_text(text, encoding="utf-8")
    compiled = compile_sheet(read_sheet(path), register, Catalog(), SOURCES)
    assert compiled.text_checked and len(compiled.quads) > 100

"""Coding sheets: what a sheet compiles to, and the exact message of every mistake, reported
against the sheet's file, line and field.

The register and the text here are written for the tests (a fictional country and people,
never presented as an article), so that every message can be asserted whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyoxigraph as ox
import pytest

from hubgraph.graph.register import read_register
from hubgraph.sheets.catalog import catalog_for
from hubgraph.sheets.compile import Compiled, compile_sheet
from hubgraph.sheets.format import read_sheet
from hubgraph.sheets.schema import render, schema_text, sheet_schema
from hubgraph.sheets.yamlread import SheetError, line_of, read_yaml

ROOT = Path(__file__).resolve().parents[1]
HG = "https://w3id.org/hubgraph/ontology#"
ID = "https://w3id.org/hubgraph/id/"
SRC = "https://w3id.org/hubgraph/source/"
OA = "http://www.w3.org/ns/oa#"

REGISTER = """register: 1
entities:
  - {id: country/freedonia, kind: country, label: Freedonia, qid_status: none}
  - {id: country/sylvania, kind: country, label: Sylvania, qid_status: none}
  - {id: person/rufus-firefly, kind: person, label: Rufus Firefly, aliases: [Mr Firefly, Firefly], qid_status: none}
  - {id: person/chicolini, kind: person, label: Chicolini, qid_status: none}
  - {id: office/prime-minister-of-freedonia, kind: office, label: Prime Minister of Freedonia, office_of: country/freedonia, office_type: prime-minister, qid_status: none}
  - {id: organisation/daily-test, kind: news-organisation, label: Daily Test, qid_status: none}
  - {id: organisation/weekly-test, kind: news-organisation, label: Weekly Test, aliases: [Test], qid_status: none}
  - {id: organisation/test-times, kind: news-organisation, label: Test Times, aliases: [Test], qid_status: none}
  - {id: policy/test-plan, kind: policy, label: Test plan, qid_status: none}
mandates:
  - {holder: person/rufus-firefly, office: office/prime-minister-of-freedonia, start: 2025-01-01, end: 2025-12-31, reference: "written for the tests"}
"""
TEXT = """A snippet written for the unit tests, not an article.
Rufus Firefly said Freedonia "would be open to talks on the plan".
"Nobody has asked us," he said.
"""
SHEET = """sheet: 1
id: snippet
coding: {coder: tester, coded_on: 2026-12-01, codebook: "1.0", reviewer: null}
source:
  title: "A test snippet"
  publisher: Daily Test
  url: https://example.org/snippet
  date: 2025-05-16
  language: en
  first_hand: false
  cites: [Weekly Test]
  text: snippet.txt
quotes:
  - id: open-to-talks
    speaker: Mr Firefly
    text: "would be open to talks on the plan"
    line: 2
  - id: nobody-asked
    speaker: Rufus Firefly
    text: "Nobody has asked us"
    line: 3
statements:
  - id: line-2
    text: "Rufus Firefly said Freedonia \\"would be open to talks on the plan\\"."
    verbatim: true
    line: 2
  - id: summary
    text: "Firefly says nobody has asked Freedonia"
observations:
  - id: freedonia-open
    holder: Freedonia
    policy: Test plan
    position: open-to-talks
    voice: the Prime Minister
    evidence: [open-to-talks, nobody-asked, line-2]
    conditions:
      - kind: precondition
        paraphrase: "Sylvania asks first"
        obliged: Sylvania
        beneficiary: Freedonia
claims:
  - id: weekly-claims-talks
    claimant: Weekly Test
    about: [Freedonia, Test plan]
    kind: talks
    text: "Freedonia is in talks"
    evidence: [summary]
    date: 2025-05
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "sources").mkdir()
    (tmp_path / "texts").mkdir()
    (tmp_path / "register.yaml").write_text(REGISTER, encoding="utf-8")
    (tmp_path / "texts" / "snippet.txt").write_text(TEXT, encoding="utf-8")
    return tmp_path


def write(data: Path, text: str, name: str = "snippet") -> Path:
    path = data / "sources" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def compiled(data: Path, text: str = SHEET, name: str = "snippet") -> Compiled:
    path = write(data, text, name)
    register = read_register(data / "register.yaml")
    return compile_sheet(read_sheet(path), register, catalog_for(data), data / "texts")


def problems(data: Path, text: str, name: str = "snippet") -> list[str]:
    with pytest.raises(SheetError) as caught:
        compiled(data, text, name)
    return [str(p) for p in caught.value.problems]


def edit(old: str, new: str, text: str = SHEET) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def triples(c: Compiled) -> set[tuple[str, str, str]]:
    return {(str(q.subject), q.predicate.value, str(q.object)) for q in c.quads}


def values(
    c: Compiled, subject: str, predicate: str
) -> list[ox.NamedNode | ox.Literal | ox.BlankNode]:
    return [
        q.object for q in c.quads if str(q.subject) == subject and q.predicate.value == predicate
    ]  # type: ignore[misc]


# ---------------------------------------------------------------------- what a sheet compiles to


def test_the_sheet_compiles_to_the_contracts_rdf(data: Path) -> None:
    c = compiled(data)
    source, stance = f"<{SRC}snippet>", f"<{ID}stance/snippet/freedonia-open>"
    assert all(q.graph_name == ox.NamedNode(SRC + "snippet") for q in c.quads)
    t = triples(c)
    assert (source, HG + "reportingChain", '"Daily Test, citing Weekly Test"') in t
    assert (
        source,
        "http://purl.org/dc/terms/issued",
        '"2025-05-16"^^<http://www.w3.org/2001/XMLSchema#date>',
    ) in t
    assert (source, HG + "quotesChecked", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>') in t
    assert (source, "https://schema.org/url", "<https://example.org/snippet>") in t
    # "the Prime Minister" of Freedonia on the source's date is Rufus Firefly.
    assert (stance, HG + "voicedBy", f"<{ID}person/rufus-firefly>") in t
    assert (stance, HG + "position", f"<{ID}position/open-to-talks>") in t
    assert (stance, HG + "datePrecision", '"day"') in t
    assert (
        stance,
        HG + "dateBasis",
        '"date of publication (the source does not date the statement)"',
    ) in t
    assert (stance, "http://www.w3.org/ns/prov#wasGeneratedBy", f"<{ID}coding/snippet>") in t
    condition = f"<{ID}condition/snippet/freedonia-open-1>"
    assert (condition, HG + "paraphrase", '"Sylvania asks first"') in t
    assert not values(c, condition, HG + "text")
    assert (condition, HG + "conditionKind", f"<{ID}condition-kind/precondition>") in t
    claim = f"<{ID}claim/snippet/weekly-claims-talks>"
    assert (claim, HG + "claimKind", '"talks"') in t
    assert (claim, HG + "reportedBy", f"<{ID}organisation/weekly-test>") in t
    assert (claim, HG + "datePrecision", '"month"') in t
    summary = f"<{ID}sentence/snippet/summary>"
    assert (summary, HG + "verbatim", '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>') in t
    assert (
        f"<{ID}sentence/snippet/line-2>",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        f"<{HG}SourceSentence>",
    ) in t
    assert (
        f"<{ID}quote/snippet/open-to-talks>",
        HG + "inSentence",
        f"<{ID}sentence/snippet/line-2>",
    ) in t


def test_quotes_are_anchored_as_web_annotation_selectors(data: Path) -> None:
    c = compiled(data)
    quote = f"<{ID}quote/snippet/nobody-asked>"
    selectors = values(c, quote, OA + "hasSelector")
    assert len(selectors) == 2
    by_type = {
        str(values(c, str(s), "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")[0]): str(s)
        for s in selectors
    }
    text_quote, position = (
        by_type[f"<{OA}TextQuoteSelector>"],
        by_type[f"<{OA}TextPositionSelector>"],
    )
    start = int(values(c, position, OA + "start")[0].value)
    end = int(values(c, position, OA + "end")[0].value)
    assert TEXT[start:end] == "Nobody has asked us"
    assert values(c, text_quote, OA + "exact")[0].value == "Nobody has asked us"
    assert values(c, text_quote, OA + "prefix")[0].value == TEXT[max(0, start - 32) : start]
    assert values(c, text_quote, OA + "suffix")[0].value == TEXT[end : end + 32]
    assert values(c, quote, HG + "lineNumber")[0].value == "3"


def test_a_sheet_compiles_the_same_each_time(data: Path) -> None:
    assert sorted(map(str, compiled(data).quads)) == sorted(map(str, compiled(data).quads))


def test_without_the_text_the_check_is_skipped_and_says_so(data: Path) -> None:
    sheet = edit("  text: snippet.txt\n", '  text_note: "only a summary is at hand"\n')
    c = compiled(data, sheet)
    t = triples(c)
    assert (
        f"<{SRC}snippet>",
        HG + "quotesChecked",
        '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>',
    ) in t
    assert (f"<{SRC}snippet>", HG + "textNote", '"only a summary is at hand"') in t
    assert not any(p == OA + "hasSelector" for _, p, _ in t)
    # and a quote that is not verbatim is not caught: nothing pretends it was checked
    compiled(data, edit('"Nobody has asked us"', '"Nobody asked us"', sheet))


def test_a_quote_across_a_line_break_is_found(data: Path) -> None:
    (data / "texts" / "snippet.txt").write_text(
        TEXT.replace("open to talks", "open to\ntalks"), encoding="utf-8"
    )
    sheet = edit(
        '    text: "Rufus Firefly said Freedonia \\"would be open to talks on the plan\\"."\n    verbatim: true\n',
        '    text: "Rufus Firefly said Freedonia"\n    verbatim: true\n',
    )
    sheet = edit(
        '    text: "Nobody has asked us"\n    line: 3',
        '    text: "Nobody has asked us"\n    line: 4',
        sheet,
    )
    c = compiled(data, sheet)
    position = next(
        str(s)
        for s in values(c, f"<{ID}quote/snippet/open-to-talks>", OA + "hasSelector")
        if values(c, str(s), OA + "start")
    )
    start, end = (int(values(c, position, OA + k)[0].value) for k in ("start", "end"))
    assert (data / "texts" / "snippet.txt").read_text()[
        start:end
    ] == "would be open to\ntalks on the plan"


def test_a_reference_to_another_sheets_observation(data: Path) -> None:
    write(data, SHEET.replace("id: snippet", "id: other"), "other")
    sheet = edit("    conditions:\n", "    contradicts: [other/freedonia-open]\n    conditions:\n")
    t = triples(compiled(data, sheet))
    assert (
        f"<{ID}stance/snippet/freedonia-open>",
        HG + "contradicts",
        f"<{ID}stance/other/freedonia-open>",
    ) in t


def test_a_voice_attributed_by_the_source_needs_no_office(data: Path) -> None:
    sheet = edit(
        "    voice: the Prime Minister\n", "    voice: Chicolini\n    voice_attribution: source\n"
    )
    t = triples(compiled(data, sheet))
    assert (f"<{ID}stance/snippet/freedonia-open>", HG + "voiceAttribution", '"source"') in t


def test_a_sheets_new_entity_goes_in_its_own_graph(data: Path) -> None:
    sheet = (
        SHEET + "entities:\n  - {id: person/pinky, kind: person, label: Pinky, qid_status: none}\n"
    )
    sheet = edit("    speaker: Rufus Firefly\n", "    speaker: Pinky\n", sheet)
    t = triples(compiled(data, sheet))
    assert (f"<{ID}quote/snippet/nobody-asked>", HG + "speaker", f"<{ID}person/pinky>") in t
    assert (f"<{ID}person/pinky>", "http://www.w3.org/2000/01/rdf-schema#label", '"Pinky"@en') in t


# ---------------------------------------------------------------------- mistakes and their messages

OBS_KEYS = (
    "id, holder, policy, position, voice, voice_attribution, date, date_basis, evidence, "
    "conditions, confidence, citing, contradicts, motive, note"
)


def test_an_unknown_key(data: Path) -> None:
    sheet = edit("    holder: Freedonia", "    holdr: Freedonia")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, '- id: freedonia-open')}: observations[0].holder: is required",
        f"{p}:{line(sheet, 'holdr')}: observations[0].holdr: unknown key 'holdr'; the allowed keys are: {OBS_KEYS}",
    ]


def test_a_date_that_is_not_a_date(data: Path) -> None:
    sheet = edit("  date: 2025-05-16", "  date: May 2025")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'May 2025')}: source.date: 'May 2025' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY"
    ]


def test_an_id_that_is_not_the_file_name(data: Path) -> None:
    sheet = edit("id: snippet", "id: snipet")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:2: id: 'snipet' does not match the file name; the id is the file's stem ('snippet'), "
        "so the source graph is https://w3id.org/hubgraph/source/snippet"
    ]


def test_an_unknown_name_with_the_closest_names(data: Path) -> None:
    sheet = edit("    holder: Freedonia", "    holder: Fredonia")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'Fredonia')}: observations[0].holder: no entity named 'Fredonia' in "
        "the register; did you mean 'Freedonia'?"
    ]


def test_a_name_that_fits_several_entities(data: Path) -> None:
    sheet = edit("    claimant: Weekly Test", "    claimant: Test")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'claimant: Test')}: claims[0].claimant: 'Test' fits 2 entities: Test "
        "Times (organisation/test-times); Weekly Test (organisation/weekly-test); use one's id "
        "or full label"
    ]


def test_a_name_of_the_wrong_kind(data: Path) -> None:
    sheet = edit("    holder: Freedonia", "    holder: Mr Firefly")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'holder: Mr Firefly')}: observations[0].holder: 'Mr Firefly' is Rufus "
        "Firefly, a person (person/rufus-firefly); expected a country or group"
    ]


def test_a_qid_not_in_the_register_and_a_qid_of_the_wrong_kind(tmp_path: Path) -> None:
    """Against the real register: QIDs come from it."""
    sheet = edit("  text: snippet.txt\n", '  text_note: "none"\n')
    sheet = edit("  publisher: Daily Test", "  publisher: GB News", sheet)
    sheet = edit("  cites: [Weekly Test]", "  cites: [Q999999]", sheet)
    sheet = edit("    holder: Freedonia", "    holder: Q6383803", sheet)
    sheet = sheet.split("quotes:")[0] + "quotes: []\n"
    path = tmp_path / "snippet.yaml"
    path.write_text(sheet, encoding="utf-8")
    register = read_register(ROOT / "data" / "register.yaml")
    with pytest.raises(SheetError) as caught:
        compile_sheet(read_sheet(path), register)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:{line(sheet, 'Q999999')}: source.cites[0]: Q999999 is not in the register; add "
        "the entity to data/register.yaml with its QID from wikidata-ids.md, or name it by its label",
    ]
    sheet = sheet.replace("quotes: []\n", SHEET[SHEET.index("observations:") :]).replace(
        "[Q999999]", "[The Times]"
    )
    sheet = sheet.replace("    holder: Freedonia", "    holder: Q6383803").replace(
        "[open-to-talks, nobody-asked, line-2]", "[]"
    )
    path.write_text(sheet, encoding="utf-8")
    with pytest.raises(SheetError) as caught:
        compile_sheet(read_sheet(path), register)
    assert (
        f"{path}:{line(sheet, 'Q6383803')}: observations[0].holder: 'Q6383803' is Keir Starmer, a "
        "person (person/keir-starmer); expected a country or group"
    ) in [str(p) for p in caught.value.problems]


def test_an_unknown_position_lists_the_allowed_ones(data: Path) -> None:
    sheet = edit("    position: open-to-talks", "    position: open")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'position: open')}: observations[0].position: unknown position 'open'; "
        "the allowed ones are: willing, open-with-conditions, open-to-talks, not-approached, refuses"
    ]


def test_an_unknown_condition_kind_lists_the_allowed_ones(data: Path) -> None:
    sheet = edit("      - kind: precondition", "      - kind: demand")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'kind: demand')}: observations[0].conditions[0].kind: unknown condition "
        "kind 'demand'; the allowed ones are: precondition, reciprocal-expectation"
    ]


def test_evidence_in_another_source(data: Path) -> None:
    sheet = edit("[open-to-talks, nobody-asked, line-2]", "[open-to-talks, other-source/x, line-2]")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'other-source/x')}: observations[0].evidence[1]: evidence "
        "'other-source/x' points into another source; evidence must be a quote or statement of "
        "this sheet (quote the words here, and link the other source's item with contradicts or denies)"
    ]


def test_evidence_that_is_not_in_the_sheet(data: Path) -> None:
    sheet = edit("[open-to-talks, nobody-asked, line-2]", "[open-to-talks, nobody-asks, line-2]")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'nobody-asks')}: observations[0].evidence[1]: no quote or statement "
        "'nobody-asks' in this sheet; its ids are: line-2, nobody-asked, open-to-talks, summary"
    ]


def test_a_quote_that_is_not_verbatim_shows_the_closest_passage(data: Path) -> None:
    sheet = edit('"Nobody has asked us"', '"Nobody asked us"')
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'Nobody asked us')}: quotes[1].text: the quote is not verbatim in "
        'snippet.txt; the closest passage is on line 3: ""Nobody has asked us,""'
    ]


def test_a_curly_apostrophe_is_not_the_same_as_a_straight_one(data: Path) -> None:
    (data / "texts" / "snippet.txt").write_text(
        TEXT.replace("Nobody has", "Nobody’s"), encoding="utf-8"
    )
    sheet = edit('"Nobody has asked us"', '"Nobody\'s asked us"')
    sheet = edit("nobody has asked Freedonia", "nobody asked Freedonia", sheet)
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'asked us')}: quotes[1].text: the quote is not verbatim in "
        'snippet.txt; the closest passage is on line 3: ""Nobody’s asked us,""'
    ]


def test_a_quote_on_another_line(data: Path) -> None:
    sheet = edit(
        '    text: "Nobody has asked us"\n    line: 3',
        '    text: "Nobody has asked us"\n    line: 2',
    )
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'Nobody has asked us')}: quotes[1].line: the text is on line 3 of snippet.txt, not line 2"
    ]


def test_a_voice_with_no_office_at_that_date(data: Path) -> None:
    sheet = edit("    voice: the Prime Minister", "    voice: Chicolini")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'voice: Chicolini')}: observations[0].voice: Chicolini held no office "
        "of Freedonia on 2025-05-16 according to the register; fix the voice, add the mandate to "
        "data/register.yaml, or write `voice_attribution: source` if this is the source's own attribution"
    ]


def test_an_office_like_voice_after_the_mandate_ended(data: Path) -> None:
    sheet = edit("  date: 2025-05-16", "  date: 2026-02-01")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'the Prime Minister')}: observations[0].voice: 'the Prime Minister': "
        "nobody held Prime Minister of Freedonia on 2026-02-01 according to the register's mandates"
    ]


def test_two_observations_with_the_same_key(data: Path) -> None:
    second = (
        "  - id: freedonia-open-again\n    holder: Freedonia\n    policy: Test plan\n"
        "    position: refuses\n    voice: Rufus Firefly\n    evidence: [nobody-asked]\n"
    )
    sheet = edit("claims:\n", second + "claims:\n")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'freedonia-open-again')}: observations[1]: the same source, holder, "
        f"policy, voice and date as observations[0] (line {line(sheet, '- id: freedonia-open')}); "
        "one statement is one observation: merge them"
    ]


def test_a_reference_to_an_unknown_source_or_item(data: Path) -> None:
    write(data, SHEET.replace("id: snippet", "id: other"), "other")
    sheet = edit(
        "    conditions:\n", "    contradicts: [nowhere/x, other/nothing]\n    conditions:\n"
    )
    p = data / "sources" / "snippet.yaml"
    at = line(sheet, "nowhere/x")
    assert problems(data, sheet) == [
        f"{p}:{at}: observations[0].contradicts[0]: no source 'nowhere' among the sheets in data/sources",
        f"{p}:{at}: observations[0].contradicts[1]: no item 'nothing' in source 'other'; its ids "
        "are: freedonia-open, line-2, nobody-asked, open-to-talks, summary, weekly-claims-talks",
    ]


def test_a_sheets_entity_carries_no_qid(data: Path) -> None:
    sheet = (
        SHEET
        + "entities:\n  - {id: person/pinky, kind: person, label: Pinky, qid: Q5, qid_status: verified}\n"
    )
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'person/pinky')}: entities[0].qid: QIDs live in data/register.yaml only; "
        "move this entity to the register (with its QID from wikidata-ids.md), or leave the qid out"
    ]


def test_a_decision_left_to_make(data: Path) -> None:
    sheet = edit("    position: open-to-talks", "    position: DECIDE")
    p = data / "sources" / "snippet.yaml"
    assert problems(data, sheet) == [
        f"{p}:{line(sheet, 'DECIDE')}: observations[0].position: still to decide: replace DECIDE "
        "with one of: willing, open-with-conditions, open-to-talks, not-approached, refuses "
        "(see docs/coding-sheet.md)"
    ]


def test_every_problem_is_reported_at_once(data: Path) -> None:
    sheet = edit("    holder: Freedonia", "    holder: Fredonia")
    sheet = edit("    position: open-to-talks", "    position: open", sheet)
    sheet = edit('"Nobody has asked us"', '"Nobody asked us"', sheet)
    sheet = edit("  date: 2025-05", "  date: 2025-13", sheet)
    found = problems(data, sheet)
    assert len(found) == 4
    assert [int(p.split(":")[1]) for p in found] == sorted(int(p.split(":")[1]) for p in found)


def test_not_valid_yaml(data: Path) -> None:
    sheet = edit('  title: "A test snippet"', '  title: "A test snippet')
    p = data / "sources" / "snippet.yaml"
    found = problems(data, sheet)
    assert len(found) == 1 and found[0].startswith(f"{p}:") and "not valid YAML" in found[0]


# ---------------------------------------------------------------------- the command line


def hubgraph(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUBGRAPH_DATA_DIR": str(data),
        "HUBGRAPH_SOURCES_DIR": str(data / "texts"),
        "HUBGRAPH_STORE": str(data / "store"),
    }
    return subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_validate_prints_every_problem_and_fails(data: Path) -> None:
    sheet = edit("    holder: Freedonia", "    holder: Fredonia")
    sheet = edit("    position: open-to-talks", "    position: open", sheet)
    path = write(data, sheet)
    done = hubgraph(data, "validate", str(path))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[-1] == "2 problem(s); nothing was loaded"
    assert lines[0].startswith(f"{path}:{line(sheet, 'Fredonia')}: observations[0].holder:")
    assert lines[1].startswith(f"{path}:{line(sheet, 'position: open')}: observations[0].position:")


def test_validate_and_compile_a_good_sheet(data: Path) -> None:
    path = write(data, SHEET)
    done = hubgraph(data, "validate", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"ok  {path}")
    done = hubgraph(data, "compile", str(path))
    assert done.returncode == 0, done.stderr
    parsed = {str(q) for q in ox.parse(done.stdout.encode(), ox.RdfFormat.TRIG)}
    dataset = ox.Dataset(ox.parse(done.stdout.encode(), ox.RdfFormat.TRIG))
    assert len(parsed) == len(compiled(data).quads) == len(dataset)


def test_load_reads_the_register_and_the_sheets(data: Path) -> None:
    write(data, SHEET)
    done = hubgraph(data, "load", str(data))
    assert done.returncode == 0, done.stderr
    assert "<https://w3id.org/hubgraph/graph/register>" in done.stdout
    assert "<https://w3id.org/hubgraph/source/snippet>" in done.stdout


# ---------------------------------------------------------------------- the JSON Schema


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert schema_text() == render()
    assert json.loads(schema_text()) == sheet_schema()


def test_every_sheet_of_data_fits_the_schema() -> None:
    schema = sheet_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted((ROOT / "data" / "sources").glob("*.yaml")):
        document = json.loads(json.dumps(read_yaml(path), default=str))
        jsonschema.validate(document, schema)


def test_the_schema_catches_a_misspelt_key() -> None:
    document = json.loads(
        json.dumps(
            read_yaml(ROOT / "data" / "sources" / "gbnews-2025-10-kosovo-return-hub.yaml"),
            default=str,
        )
    )
    document["observations"][0]["voiceBy"] = "Albin Kurti"
    with pytest.raises(jsonschema.ValidationError, match="voiceBy"):
        jsonschema.validate(document, sheet_schema())


def test_the_schema_command_prints_it(data: Path) -> None:
    done = hubgraph(data, "schema")
    assert done.returncode == 0 and json.loads(done.stdout) == sheet_schema()


# ---------------------------------------------------------------------- the editorial file

EDITORIAL = """editorial: 1
facts:
  - id: freedonia-fact
    text: "Freedonia's plan was announced in 2025."
    about: [Freedonia, Test plan]
    date: 2025-01
    explains: [snippet/freedonia-open]
    reference: "written for the tests"
judgments:
  - id: weekly-is-wrong
    text: "The weekly's claim is contradicted by the snippet's observation."
    item: snippet/weekly-claims-talks
    contradicted_by: [snippet/freedonia-open]
    reference: "written for the tests"
"""


def test_the_editorial_file_compiles_to_its_graph(data: Path) -> None:
    from hubgraph.sheets.editorial import EDITORIAL_GRAPH, compile_editorial

    write(data, SHEET)
    path = data / "editorial.yaml"
    path.write_text(EDITORIAL, encoding="utf-8")
    quads = compile_editorial(path, read_register(data / "register.yaml"), catalog_for(data))
    assert {q.graph_name for q in quads} == {ox.NamedNode(EDITORIAL_GRAPH)}
    t = {(str(q.subject), q.predicate.value, str(q.object)) for q in quads}
    fact = f"<{ID}editorial/freedonia-fact>"
    assert (fact, HG + "reference", '"written for the tests"') in t
    assert (fact, HG + "explains", f"<{ID}stance/snippet/freedonia-open>") in t
    assert (fact, HG + "date", '"2025-01"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>') in t
    assert (
        f"<{ID}stance/snippet/freedonia-open>",
        HG + "contradicts",
        f"<{ID}claim/snippet/weekly-claims-talks>",
    ) in t


def test_the_editorial_files_mistakes(data: Path) -> None:
    from hubgraph.sheets.editorial import compile_editorial

    write(data, SHEET)
    path = data / "editorial.yaml"
    text = EDITORIAL.replace("about: [Freedonia, Test plan]", "about: [Fredonia]").replace(
        '    reference: "written for the tests"\njudgments', "judgments"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SheetError) as caught:
        compile_editorial(path, read_register(data / "register.yaml"), catalog_for(data))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: facts[0].reference: is required",
        f"{path}:5: facts[0].about: no entity named 'Fredonia' in the register; did you mean 'Freedonia'?",
    ]


def test_an_editorial_judgment_on_source_items_loads_with_them(data: Path) -> None:
    """The judgment's `hg:contradicts` is about a source's item, in the editorial graph: that is
    no source restating another's stance."""
    from hubgraph.loader import read_and_check

    write(data, SHEET)
    (data / "editorial.yaml").write_text(EDITORIAL, encoding="utf-8")
    found = read_and_check(
        [data], ROOT / "ontology" / "shapes.ttl", sources_dir=data / "texts", data_dir=data
    )
    assert sorted(g for s in found for g in s.graphs) == [
        "https://w3id.org/hubgraph/graph/editorial",
        "https://w3id.org/hubgraph/graph/register",
        "https://w3id.org/hubgraph/source/snippet",
    ]


def test_yaml_reads_as_a_person_does(tmp_path: Path) -> None:
    """YAML 1.2's core schema, not 1.1's: `no` and `18:33` stay text, dates stay as written,
    and every key keeps its line."""
    path = tmp_path / "snippet.yaml"
    path.write_text(
        "answer: no\ntime: 18:33\nday: 2025-05-16\nmonth: 2025-05\nsheet: 1\n"
        "ok: true\nnothing: ~\nquoted: '1'\nlist:\n  - a\n  - 2\n",
        encoding="utf-8",
    )
    doc = read_yaml(path)
    assert dict(doc) == {
        "answer": "no", "time": "18:33", "day": "2025-05-16", "month": "2025-05", "sheet": 1,
        "ok": True, "nothing": None, "quoted": "1", "list": ["a", 2],
    }  # fmt: skip
    assert line_of(doc, "month") == 4 and line_of(doc["list"], 1) == 11


def test_a_key_given_twice_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "snippet.yaml"
    path.write_text("source:\n  title: A\n  title: B\n", encoding="utf-8")
    with pytest.raises(SheetError) as caught:
        read_yaml(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: title: this key is given twice here"
    ]

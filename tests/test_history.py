"""The graph over time: stance history, as-of stances, disputes, changes and corroboration.

Two kinds of check. On the synthetic fixture (tests/fixtures/history-test-data.trig, test data)
the edge cases of dates as intervals, office at a date and relays, where the answer follows from
the definitions. On the real data (data/), the story the sources tell, read from the data:
Kosovo open to talks (Osmani, May) before willing (Kurti, October); Montenegro contested in
October; North Macedonia's formal-talks claim and its denials. And on both: no canned query run
with its defaults returns two identical rows.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import data_settings

from hubgraph.config import Settings
from hubgraph.executor import InlineExecutor
from hubgraph.queries import QueryRegistry
from hubgraph.runtime import load_data
from hubgraph.service import QueryService
from hubgraph.store import OxigraphStore
from hubgraph.terms import plain_value

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "history-test-data.trig"
ID = "https://w3id.org/hubgraph/id/"
POSITION = ID + "position/"
Rows = list[dict[str, object]]


def _service(store: OxigraphStore, settings: Settings) -> QueryService:
    return QueryService(settings, store, InlineExecutor(store), QueryRegistry(settings.queries_dir))


@pytest.fixture(scope="module")
def fixture_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueryService]:
    """The fixture's graphs and the ontology, loaded as they are (no shapes: test data)."""
    dataset = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        dataset.load(
            path=str(path),
            format=ox.RdfFormat.TURTLE,
            to_graph=ox.NamedNode("https://w3id.org/hubgraph/graph/ontology"),
        )
    dataset.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    store = OxigraphStore(None)
    store.replace_graphs([dataset])
    settings = Settings(store="memory", queries_dir=ROOT / "queries", workers=1)
    service = _service(store, settings)
    yield service
    service.close()


@pytest.fixture(scope="module")
def data_service() -> Iterator[QueryService]:
    """Everything in data/, loaded as `hubgraph load` loads it."""
    settings = data_settings()
    store = OxigraphStore(None)
    load_data(store, settings)
    service = _service(store, settings)
    yield service
    service.close()


def run(service: QueryService, name: str, **params: str | Sequence[str]) -> Rows:
    raw = {k: [v] if isinstance(v, str) else list(v) for k, v in params.items()}
    page = service.canned(name, raw, limit=10_000)
    return [
        {v: plain_value(t) for v, t in zip(page.variables, row, strict=True)} for row in page.rows
    ]


def short(iri: object) -> str:
    return str(iri).rsplit("/", 1)[-1]


def by_country(rows: Rows, label: str) -> Rows:
    return [r for r in rows if label in (r.get("countryLabel"), r.get("holderLabel"))]


# -- the fixture: definitions --------------------------------------------------------------------
def test_history_is_in_date_order_with_office_at_the_date(fixture_service: QueryService) -> None:
    rows = run(fixture_service, "stance-history", country="Q1246")
    starts = [str(r["date"]) for r in rows]
    padded = [d + "-01-01"[len(d) - 4 :] if len(d) < 10 else d for d in starts]
    assert padded == sorted(padded)
    voiced = [r for r in rows if r.get("voiceLabel")]
    osmani = [r for r in voiced if r["voiceLabel"] == "Vjosa Osmani"]
    kurti = [r for r in voiced if r["voiceLabel"] == "Albin Kurti"]
    assert osmani and kurti
    assert {r["officeLabel"] for r in osmani} == {"President of Kosovo"}
    # Kurti's first mandate ended in April 2025: in October he holds the second, acting one.
    assert [(r["officeLabel"], r["officeStatus"]) for r in kurti] == [
        ("Prime Minister of Kosovo", "acting")
    ]
    assert rows.index(osmani[0]) < rows.index(kurti[0])
    # One row per observation, its quotes joined.
    assert len({r["observation"] for r in rows}) == len(rows)
    assert any(" | " in str(r.get("quote") or "") for r in kurti)


def test_history_takes_ids_and_qids(fixture_service: QueryService) -> None:
    by_qid = run(fixture_service, "stance-history", country=["Q1246", "Q221"])
    by_id = run(
        fixture_service, "stance-history", country=["country/kosovo", "country/north-macedonia"]
    )
    assert by_qid == by_id
    assert {r["countryLabel"] for r in by_qid} == {"Kosovo", "North Macedonia"}


def test_a_month_counts_from_its_last_day(fixture_service: QueryService) -> None:
    def latest(as_of: str) -> dict[str, set[str]]:
        rows = run(fixture_service, "stances", asOf=as_of, latest="true")
        out: dict[str, set[str]] = {}
        for r in rows:
            out.setdefault(str(r["holderLabel"]), set()).add(short(r["position"]))
        return out

    # GB News is dated 2025-10: not yet known on 30 October, known on the 31st.
    assert latest("2025-10-30")["Kosovo"] == {"open-to-talks"}
    assert latest("2025-10-31")["Kosovo"] == {"willing"}
    # PA's day-precise reading (21 October) is known before GB News's month is over.
    assert latest("2025-10-30")["Montenegro"] == {"refuses"}
    assert latest("2025-10-31")["Montenegro"] == {"refuses", "open-with-conditions"}
    assert "Montenegro" not in latest("2025-05-31")


def test_contested_marks_every_disagreeing_latest_observation(
    fixture_service: QueryService,
) -> None:
    rows = run(fixture_service, "stances", asOf="2025-11-30", latest="true")
    montenegro = by_country(rows, "Montenegro")
    assert len(montenegro) == 2 and all(r["contested"] is True for r in montenegro)
    assert all(r["contested"] is False for r in by_country(rows, "Kosovo"))
    # A year stands for all its days: the fixture's "2025" observation is known only from
    # 31 December, and then simultaneous with October's (both willing: not contested).
    at_year_end = by_country(
        run(fixture_service, "stances", asOf="2025-12-31", latest="true"), "Kosovo"
    )
    assert {short(r["stance"]) for r in at_year_end} == {"kosovo-willing"}
    assert len(at_year_end) == 2 and not any(r["contested"] for r in at_year_end)


def test_stances_without_latest_keeps_every_observation(fixture_service: QueryService) -> None:
    every = run(fixture_service, "stances")
    history = run(fixture_service, "stance-history")
    assert {r["stance"] for r in every} == {r["observation"] for r in history}
    # Simultaneous (overlapping) observations that disagree are contested in any mode.
    montenegro = by_country(every, "Montenegro")
    assert all(r["contested"] for r in montenegro)
    sky = [
        r for r in every if r["stance"] == ID + "stance/test-sky-may/north-macedonia-not-approached"
    ]
    assert sky and sky[0]["contested"] is False


def test_disputes_link_a_claim_to_its_denial(fixture_service: QueryService) -> None:
    rows = run(fixture_service, "disputes")
    assert len(rows) == 1
    (row,) = rows
    assert row["relation"] == "denies"
    assert row["claimantLabel"] == "The Times"
    assert row["bySpeakerLabel"] == "Hristijan Mickoski"
    assert "tent" in str(row["byText"])
    assert str(row["claimDate"]) < str(row["byDate"])


def test_changes_follow_consecutive_observations(fixture_service: QueryService) -> None:
    rows = run(fixture_service, "changes")
    pairs = {(r["countryLabel"], short(r["from"]), short(r["to"])) for r in rows}
    assert ("Kosovo", "open-to-talks", "willing") in pairs
    assert ("North Macedonia", "not-approached", "refuses") in pairs
    # Osmani's May observation (two sources) changes to October's, not to the year note that
    # overlaps it; nothing changes from "willing" to "willing".
    kosovo = [r for r in rows if r["countryLabel"] == "Kosovo"]
    assert {short(r["fromSource"]) for r in kosovo} == {"test-sky-may", "test-lbc-may"}
    assert all(r["from"] != r["to"] for r in rows)


def test_a_relay_is_not_independent(fixture_service: QueryService) -> None:
    rows = run(fixture_service, "corroboration")
    osmani = [
        r for r in rows if r["kind"] == "observation" and "Vjosa Osmani" in str(r["itemLabel"])
    ]
    assert [(r["sourceCount"], r["originCount"], r["origins"]) for r in osmani] == [
        (2, 1, "Sky News")
    ]
    shortlist = [r for r in rows if r["kind"] == "claim" and "nine" in str(r["itemLabel"])]
    assert [(r["sourceCount"], r["originCount"], r["origins"]) for r in shortlist] == [
        (2, 1, "The Times")
    ]


def test_timeline_filters_by_country_and_shows_the_voice(fixture_service: QueryService) -> None:
    rows = run(fixture_service, "timeline", country="Q236")
    assert rows
    stances = [r for r in rows if r["kind"] == "stance"]
    assert {r["voiceLabel"] for r in stances} == {"Milojko Spajić"}
    assert {r["country"] for r in rows} == {ID + "country/montenegro"}
    everything = run(fixture_service, "timeline")
    assert len(everything) > len(rows)


# -- the data: the story the sources tell ---------------------------------------------------------
def test_kosovo_was_open_to_talks_before_it_was_willing(data_service: QueryService) -> None:
    rows = run(data_service, "stance-history", country="Q1246")
    osmani = [r for r in rows if r["voiceLabel"] == "Vjosa Osmani"]
    kurti = [r for r in rows if r["voiceLabel"] == "Albin Kurti"]
    assert osmani and kurti
    assert {short(r["position"]) for r in osmani} == {"open-to-talks"}
    assert {short(r["position"]) for r in kurti} == {"willing"}
    assert max(rows.index(r) for r in osmani) < min(rows.index(r) for r in kurti)
    assert all(str(r["date"]).startswith("2025-05") for r in osmani)
    assert all(str(r["date"]).startswith("2025-10") for r in kurti)
    # Offices at the date, from the register: the President in May, the acting PM in October.
    assert {r["officeLabel"] for r in osmani} == {"President of Kosovo"}
    assert {(r["officeLabel"], r["officeStatus"]) for r in kurti} == {
        ("Prime Minister of Kosovo", "acting")
    }
    changes = run(data_service, "changes")
    assert ("open-to-talks", "willing") in {
        (short(r["from"]), short(r["to"])) for r in changes if r["countryLabel"] == "Kosovo"
    }
    # Each outlet reporting Kurti's words is an observation of its own.
    assert len({r["source"] for r in kurti}) == len(kurti) > 1


def test_montenegro_in_october_is_contested(data_service: QueryService) -> None:
    rows = by_country(run(data_service, "stances", holder="Q236"), "Montenegro")
    october = [r for r in rows if str(r["date"]).startswith("2025-10")]
    contested = [r for r in october if r["contested"]]
    publishers = {r["publisherLabel"] for r in contested}
    assert {"GB News", "PA Media"} <= publishers
    assert len({short(r["position"]) for r in contested}) > 1
    # Both readings stay: the map as of any October date keeps every latest one.
    latest = run(data_service, "stances", holder="Q236", latest="true")
    assert latest and all(str(r["date"]) >= "2025-10" for r in latest)


def test_north_macedonia_formal_talks_claim_and_its_denials(data_service: QueryService) -> None:
    disputes = run(data_service, "disputes")
    talks = [
        r
        for r in disputes
        if r["claimantLabel"] == "The Times" and "formally" in str(r["claimText"])
    ]
    assert talks, "the Times's formal-talks claim is disputed"
    deniers = {r["bySpeakerLabel"] for r in talks if r["relation"] == "denies"}
    assert "Hristijan Mickoski" in deniers and len(deniers) >= 2
    assert all(str(r["byDate"]) >= "2025-10" for r in talks)
    history = run(data_service, "stance-history", country="Q221")
    assert history[0]["positionLabel"] == "not approached"
    assert history[-1]["positionLabel"] == "refuses"
    # What the UK did (approach, shortlist) is a claim, never North Macedonia's stance.
    assert not any(
        "approach" in short(r["position"])
        for r in history
        if r["position"] != POSITION + "not-approached"
    )


def test_corroboration_counts_relays_of_the_times_once(data_service: QueryService) -> None:
    rows = run(data_service, "corroboration")
    times = [r for r in rows if r["kind"] == "claim" and r["origins"] == "The Times"]
    relayed = [r for r in times if int(str(r["sourceCount"])) > 1]
    assert relayed and all(r["originCount"] == 1 for r in relayed)


def test_the_observations_export_has_one_row_per_observation(data_service: QueryService) -> None:
    from hubgraph.exports import csv_lines, jsonl_lines, observation_table

    columns, rows = observation_table(data_service)
    history = run(data_service, "stance-history")
    assert {r["observation"] for r in rows} == {r["observation"] for r in history}
    assert len(rows) == len(history)
    for wanted in ("date", "datePrecision", "country", "qid", "voiceLabel", "officeLabel",
                   "positionLabel", "cameo", "conditionKinds", "reportingChain", "sourceTitle",
                   "publisherLabel", "url", "quote"):  # fmt: skip
        assert wanted in columns
    lines = list(csv_lines(columns, rows))
    assert len(lines) == len(rows) + 1 and lines[0].startswith("observation,date,")
    records = [json.loads(line) for line in jsonl_lines(columns, rows)]
    assert [list(r) for r in records] == [columns] * len(rows)
    assert any(r["conditionKinds"] == "reciprocal-expectation" for r in records)


# -- no duplicates, on the fixture and on the data -----------------------------------------------
REQUIRED = {"actor": {"actor": "Q1246"}, "search": {"q": "Kosovo"}}


def _assert_no_duplicates(service: QueryService) -> None:
    for query in service.registry:
        if "SERVICE <" in query.text:
            continue  # federated: needs Wikidata, so it runs in test_wikidata.py, not offline
        rows = run(service, query.name, **REQUIRED.get(query.name, {}))
        keys = [json.dumps(r, sort_keys=True, default=str) for r in rows]
        twice = {k for k in keys if keys.count(k) > 1}
        assert not twice, f"{query.name} returns identical rows: {sorted(twice)[:2]}"


def test_no_canned_query_returns_two_identical_rows_on_the_fixture(
    fixture_service: QueryService,
) -> None:
    _assert_no_duplicates(fixture_service)


def test_no_canned_query_returns_two_identical_rows_on_the_data(data_service: QueryService) -> None:
    _assert_no_duplicates(data_service)


# -- the README's section "How positions changed" shows real output ------------------------------
def _history_commands() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How positions changed") :]
    section = section[: section.index("\n## ", 1)]
    found = re.findall(
        r"```sh\n(\.venv/bin/hubgraph run [^\n]+)\n```\n```\n(.*?)```", section, re.S
    )
    return [(command, shown) for command, shown in found]


def test_the_readme_history_section_shows_what_the_commands_print() -> None:
    commands = _history_commands()
    assert len(commands) >= 3
    names = " ".join(c for c, _ in commands)
    assert "stance-history --param country=Q1246" in names
    assert "stance-history --param country=Q221" in names and "run disputes" in names
    for command, shown in commands:
        args = shlex.split(command)[1:]
        done = subprocess.run(
            [sys.executable, "-m", "hubgraph.cli", "--store", "memory", *args],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout == shown, command


# -- the CLI and the Python client answer the same -----------------------------------------------
def test_the_cli_exports_the_observations(data_service: QueryService, tmp_path: Path) -> None:
    history = run(data_service, "stance-history")
    for fmt in ("observations-csv", "observations-jsonl"):
        done = subprocess.run(
            [sys.executable, "-m", "hubgraph.cli", "--store", "memory", "export", "--format", fmt],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        if fmt == "observations-csv":
            assert lines[0].startswith("observation,date,datePrecision,")
            assert len(lines) == len(history) + 1
        else:
            assert [json.loads(line)["observation"] for line in lines] == [
                r["observation"] for r in run(data_service, "observations")
            ]


def test_the_client_has_the_history_methods() -> None:
    from hubgraph.client import Client

    with Client.in_process(data_settings()) as hub:
        history = hub.stance_history(country="Q1246")
        assert history and {r["countryLabel"] for r in history} == {"Kosovo"}
        assert hub.stance_history(country=["Q1246", "Q221"]) == hub.canned(
            "stance-history", country=["Q1246", "Q221"]
        )
        october = hub.stances(as_of="2025-10-31", latest=True, holder="Q1246")
        assert {r["positionLabel"] for r in october} == {"willing"}
        assert all(isinstance(r["contested"], bool) for r in october)
        assert hub.disputes() == hub.canned("disputes")
        assert hub.changes() and hub.corroboration()
        assert {r["country"] for r in hub.timeline(country="Q236")} == {ID + "country/montenegro"}
        frame = hub.observations()
        assert len(frame) == len(hub.canned("stance-history"))
        assert str(frame["dateStart"].dtype).startswith("datetime64")
        assert set(hub.observations(country="Q221")["countryLabel"]) == {"North Macedonia"}
        assert 'data-as-of="2025-05-31"' in hub.stance_map_svg(as_of="2025-05-31")
        assert "hg-mark" in hub.timeline_svg(country="Q1246")

"""The page at ``/``, the stance map and the entity pages, used as a person would: in a real
headless Chromium (Debian's ``chromium``) driven by Playwright, against a live server.

Screenshots go to each test's tmp folder. Any console error or uncaught page error fails the
test. Without /usr/bin/chromium the module is skipped (``apt-get install chromium``).
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import ROOT, LiveServer

from hubgraph.config import Settings
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore
from hubgraph.vocabulary import PREFIXES, SCHEMA

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium: install Debian's chromium (apt-get install chromium) to run the "
        "browser tests",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STANCES = """
SELECT ?countryLabel ?position WHERE {
  ?stance a hg:Stance ;
          hg:holder ?country ;
          hg:towards <https://w3id.org/hubgraph/id/policy/uk-return-hubs> ;
          hg:position/skos:prefLabel ?position .
  ?country a hg:Country ; rdfs:label ?countryLabel .
}
"""
TYPED_QUERY = """SELECT ?position (COUNT(DISTINCT ?country) AS ?countries)
WHERE {
  ?stance a hg:Stance ; hg:holder ?country ; hg:position/skos:prefLabel ?position .
}
GROUP BY ?position
ORDER BY ?position"""

pytestmark = [
    pytest.mark.slow,
    # The page is the same whatever store the server runs on: one backend is enough here.
    pytest.mark.parametrize("server", ["embedded"], indirect=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Console:
    """Console errors and uncaught page errors seen during a test; ``expected`` holds texts of
    errors a test provokes on purpose."""

    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(e in p for e in self.expected)]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, base_url: str, tmp_path: Path, console: Console) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.problems.append(f"console error: {message.text} ({message.location})")

    context.on("console", on_console)
    context.on("weberror", lambda error: console.problems.append(f"page error: {error.error}"))
    yield page
    page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
    context.close()
    assert not console.unexpected(), "\n".join(console.unexpected())


TEST_URLS = "https://sources.example/"
"""Where, in the linked server's store, each source without a ``schema:url`` says it is."""


def give_every_source_a_url(path: Path) -> None:
    """The data's sources, each with the URL of its original article: the one it has, or one
    under TEST_URLS (a coding sheet requires a URL; older data may have none)."""
    store = OxigraphStore(path)
    try:
        missing = store.query(
            "SELECT ?s ?g WHERE { GRAPH ?g { ?s a hg:SourceDocument } "
            "FILTER NOT EXISTS { ?s schema:url ?u } }",
            prefixes=PREFIXES,
        )
        datasets = []
        for row in list(missing):
            source, graph = row["s"], row["g"]
            dataset = ox.Store()
            triples = store.query(
                "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                union=False, named_graphs=[graph.value], prefixes=PREFIXES,
            )  # fmt: skip
            dataset.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
            url = ox.NamedNode(TEST_URLS + source.value.rsplit("/", 1)[-1])
            dataset.add(ox.Quad(source, ox.NamedNode(SCHEMA + "url"), url, graph))
            datasets.append(dataset)
        store.replace_graphs(datasets)
    finally:
        store.close()


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose every source has the URL of its original article."""
    folder = tmp_path_factory.mktemp("linked")
    settings = Settings(
        store=str(folder / "store"), data_dir=ROOT / "data", ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
    )  # fmt: skip
    store = OxigraphStore(folder / "store")
    load_data(store, settings)
    store.close()
    give_every_source_a_url(folder / "store")
    live = LiveServer(folder / "store", {"HUBGRAPH_WORKERS": "1"})
    yield live
    live.stop()


def sparql(base_url: str, query: str) -> list[dict[str, str]]:
    response = httpx.post(
        base_url + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    response.raise_for_status()
    return [
        {k: v["value"] for k, v in binding.items()}
        for binding in response.json()["results"]["bindings"]
    ]


def test_gallery_runs_a_canned_query(  # type: ignore[no-untyped-def]
    server, page: Page, base_url: str, tmp_path: Path
) -> None:
    page.goto("/")
    page.get_by_role("tab", name="Canned queries").click()
    card = page.locator('[data-query="countries-attaching-conditions"]')
    expect(card.get_by_role("heading", name="Countries attaching conditions")).to_be_visible()
    # The enumerated parameter is a drop-down of its choices.
    kind = card.locator("select[name=kind]")
    assert kind.locator("option").all_inner_texts() == [
        "any",
        "precondition",
        "reciprocal expectation",
    ]
    card.get_by_role("button", name="Run ▸").click()
    rows = card.locator("tbody tr")
    every = canned(base_url, "countries-attaching-conditions")
    expect(rows).to_have_count(len(every))
    expect(card.locator(".status")).to_contain_text(f"{len(every)} rows")
    text = card.locator("tbody").inner_text()
    for row in every:
        assert row["countryLabel"] in text and row["conditionKindLabel"] in text
    page.screenshot(path=str(tmp_path / "gallery.png"))

    kind.select_option("precondition")
    card.get_by_role("button", name="Run ▸").click()
    preconditions = canned(base_url, "countries-attaching-conditions", kind="precondition")
    assert 0 < len(preconditions) < len(every)
    expect(rows).to_have_count(len(preconditions))
    for row, shown in zip(preconditions, rows.all(), strict=True):
        expect(shown).to_contain_text(str(row["countryLabel"]))
    assert "kind=precondition" in (card.get_by_role("link", name="CSV").get_attribute("href") or "")
    card.screenshot(path=str(tmp_path / "gallery-card.png"))


def test_gallery_asks_for_required_parameters(server, page: Page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/#gallery")
    card = page.locator('[data-query="actor"]')
    card.get_by_role("button", name="Run ▸").click()  # the required actor is missing
    expect(card.get_by_role("alert")).to_contain_text("actor")
    card.locator("input[name=actor]").fill("Q1246")
    card.get_by_role("button", name="Run ▸").click()
    expect(card.locator("tbody tr").first).to_be_visible()
    assert "Kosovo" in card.locator("tbody").inner_text()


def test_editor_runs_sparql_with_ctrl_enter(  # type: ignore[no-untyped-def]
    server, page: Page, base_url: str, tmp_path: Path
) -> None:
    page.goto("/")
    editor = page.locator("#query-editor")
    # The editor starts with an example, highlighted, and no prefix block: the endpoint
    # predeclares the prefixes, and the page lists them on request (deliberately changed: the
    # block used to fill the first screen).
    assert "PREFIX" not in editor.input_value()
    expect(page.locator("#query-highlight .t-k").first).to_have_text("SELECT")
    page.get_by_text("Predeclared prefixes").click()
    expect(page.locator("#prefix-list")).to_contain_text(
        "PREFIX hg: <https://w3id.org/hubgraph/ontology#>"
    )

    editor.fill(TYPED_QUERY)
    editor.press("Control+Enter")
    rows = page.locator("#query-results tbody tr")
    expected = sparql(base_url, TYPED_QUERY)
    expect(rows).to_have_count(len(expected))
    shown = [[td.get_attribute("data-value") for td in r.locator("td").all()] for r in rows.all()]
    # English labels without an "@en" after each (deliberately changed), numbers as such.
    assert "@" not in rows.first.locator("td").first.inner_text()
    assert rows.first.locator("td").first.get_attribute("lang") == "en"
    assert shown == [[e["position"], e["countries"]] for e in expected]
    expect(page.locator("#query-status")).to_contain_text(f"{len(expected)} rows")
    page.screenshot(path=str(tmp_path / "editor.png"), full_page=True)

    # Results download as CSV and JSON.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert table[0] == ["position", "countries"] and len(table) == len(expected) + 1
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    assert '"countries"' in Path(download.value.path()).read_text()

    # The address now carries the query: opening it elsewhere loads and runs it.
    shared = page.url
    assert parse_qs(urlparse(shared).query)["query"] == [TYPED_QUERY]
    other = page.context.new_page()
    other.goto(shared)
    expect(other.locator("#query-results tbody tr")).to_have_count(len(expected))
    assert other.locator("#query-editor").input_value() == TYPED_QUERY
    other.close()


def test_editor_shows_query_errors(server, page: Page, console: Console) -> None:  # type: ignore[no-untyped-def]
    # Chromium logs the 400 answer as a failed resource: provoked here, so expected.
    console.expected.append("status of 400")
    page.goto("/")
    page.locator("#query-editor").fill("SELECT ?x WHERE { ?x ")
    page.get_by_role("button", name="Run ▸").click()
    expect(page.get_by_role("alert")).to_contain_text("400 malformed-query")
    assert len(console.problems) == 1


def test_stance_map_draws_every_country(  # type: ignore[no-untyped-def]
    server, page: Page, base_url: str, tmp_path: Path
) -> None:
    page.goto("/")
    page.get_by_role("tab", name="Stance map").click()
    countries = page.locator("#stance-map g.hg-country")
    expected = {r["countryLabel"]: r["position"] for r in sparql(base_url, STANCES)}
    expect(countries).to_have_count(len(expected))
    drawn = {
        c.get_attribute("data-label"): c.get_attribute("data-position-label")
        for c in countries.all()
    }
    assert drawn == expected
    for country in countries.all():
        # Each is visible, labelled, and shows its position in words.
        expect(country).to_be_visible()
        position = country.locator(".hg-position-text").text_content()
        assert position == country.get_attribute("data-position-label")
    # Positions have colours of their own, and the United Kingdom is in the centre.
    fills = {
        c.get_attribute("data-position"): c.locator(".hg-pill").get_attribute("fill")
        for c in countries.all()
    }
    assert len(set(fills.values())) == len(fills)
    expect(page.locator("#stance-map .hg-centre")).to_contain_text("United Kingdom")
    expect(page.locator("#stance-map .hg-condition")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "map.png"))

    page.locator('#stance-map g.hg-country[data-label="Albania"]').click()
    detail = page.locator("#stance-detail")
    expect(detail.get_by_role("heading", name="Albania")).to_be_visible()
    expect(detail).to_contain_text("“I repeat ... Never in Albania”")
    expect(detail).to_contain_text("Voiced by Edi Rama")
    page.screenshot(path=str(tmp_path / "map-albania.png"))

    page.locator('#stance-map g.hg-country[data-label="Kosovo"]').click()
    expect(detail).to_contain_text("“We want to help the UK”")
    expect(detail).to_contain_text("Voiced by Albin Kurti")
    expect(detail).to_contain_text("reciprocal expectation")
    page.screenshot(path=str(tmp_path / "map-kosovo.png"))

    # Keyboard users select with Enter.
    page.locator('#stance-map g.hg-country[data-label="Montenegro"]').focus()
    page.keyboard.press("Enter")
    expect(detail).to_contain_text("only happen if Britain invested significantly")
    expect(detail).to_contain_text("precondition")


def test_entity_pages(server, page: Page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/#map")
    page.locator('#stance-map g.hg-country[data-label="Kosovo"]').click()
    page.get_by_role("link", name="Everything about Kosovo →").click()
    page.wait_for_url("**/entity/country/kosovo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kosovo")
    wikidata = page.get_by_role("link", name="Wikidata Q1246 ↗")
    assert wikidata.get_attribute("href") == "https://www.wikidata.org/wiki/Q1246"
    expect(page.locator("table.facts")).to_contain_text("We want to help the UK")
    expect(page.locator("table.facts")).to_contain_text("holds stance")
    page.screenshot(path=str(tmp_path / "entity-kosovo.png"), full_page=True)

    # A stance of Kosovo's, voiced by Albin Kurti, opens at its own page, under its label.
    stance = (
        page.locator("table.facts a[href^='/entity/stance/']")
        .filter(has_text="Kosovo on the UK return hubs plan")
        .filter(has_text="Albin Kurti")
        .first
    )
    label = stance.inner_text()
    stance.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)
    page.locator("table.properties").get_by_role("link", name="Albin Kurti", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Albin Kurti")
    page.goto("/entity/Q236")
    expect(page.get_by_role("heading", level=1)).to_have_text("Montenegro")


def test_docs_and_redoc_render_offline(  # type: ignore[no-untyped-def]
    server, browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """/docs and /redoc draw every operation from this server's own assets: any request to
    another host is refused and fails the test."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900})
    outside: list[str] = []

    def only_local(route, request) -> None:  # type: ignore[no-untyped-def]
        if request.url.startswith(base_url) or request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", only_local)
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/sparql" in summaries
    assert any(s.startswith("/queries/countries-attaching-conditions") for s in summaries)
    page.screenshot(path=str(tmp_path / "docs.png"))
    # An operation opens and can be tried out against this server.
    page.locator("#operations-Canned_queries-list_queries_queries_get").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()

    page.goto("/redoc")
    expect(page.get_by_role("heading", name="hubgraph").first).to_be_visible()
    expect(page.locator("text=SPARQL query (GET)").first).to_be_attached()
    page.screenshot(path=str(tmp_path / "redoc.png"))
    context.close()
    assert outside == [], outside
    assert problems == [], problems


# -- the explorer as issue #11 asks it to behave ------------------------------------------------
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""Billions of combinations: runs until the server's timeout (3 s in the tests)."""
ALL_TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    return 0 <= box["y"] < page.viewport_size["height"]  # type: ignore[index]


def test_run_brings_results_into_view_and_times_them(  # type: ignore[no-untyped-def]
    server, page: Page, base_url: str, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/")
    example = page.locator("#query-editor").input_value()
    page.get_by_role("button", name="Run ▸").click()
    expect(page.locator("#query-results tbody tr").first).to_be_visible()
    assert in_viewport(page, "#query-results tbody tr")
    count = len(sparql(base_url, example))
    expect(page.locator("#query-status")).to_have_text(
        re.compile(rf"^{count} rows · \d+(\.\d+)? m?s$")
    )
    page.screenshot(path=str(tmp_path / "run.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.get_by_role("button", name="Run ▸").click()
    expect(page.locator("#query-results tbody tr").first).to_be_visible()
    assert in_viewport(page, "#query-results tbody tr")


def cancelled_workers(base_url: str) -> int:
    stopped = httpx.get(base_url + "/health", timeout=30).json()["queries"]["stopped"]
    return int(stopped.get("cancelled", 0))


def test_cancel_and_no_stale_response(  # type: ignore[no-untyped-def]
    server, page: Page, console: Console, base_url: str
) -> None:
    console.expected.append("status of 504")  # should it arrive, the test fails below anyway
    before = cancelled_workers(base_url)
    page.goto("/")
    editor = page.locator("#query-editor")
    run, cancel = page.locator("#run-query"), page.locator("#cancel-query")
    # A slow query replaced by another before it ends: only the new one ever shows, and the
    # old one's 504 (the server stops it at 3 s) never reaches the page.
    editor.fill(SLOW)
    run.click()
    expect(run).to_be_disabled()
    expect(cancel).to_be_visible()
    expect(page.locator("#query-status")).to_contain_text("Running…")
    editor.fill(TYPED_QUERY)
    editor.press("Control+Enter")
    expect(page.locator("#query-results tbody tr").first).to_be_visible()
    page.wait_for_timeout(5_000)
    assert page.get_by_role("alert").count() == 0
    expect(page.locator("#query-status")).to_contain_text("rows")
    assert "504" not in page.locator("#query-results").inner_text()
    # Cancel: the request is aborted, the page says so and is ready for the next query.
    editor.fill(SLOW)
    run.click()
    expect(cancel).to_be_visible()
    cancel.click()
    cancelled_at = time.monotonic()
    expect(page.locator("#query-status")).to_contain_text("Cancelled after")
    expect(run).to_be_enabled()
    expect(cancel).to_be_hidden()
    # And the server stopped both abandoned queries' workers as cancelled, not at the
    # deadline: the replaced run's and the cancelled one's.
    while cancelled_workers(base_url) < before + 2:
        assert time.monotonic() - cancelled_at < 2.5, "the worker ran on to its deadline"
        time.sleep(0.05)
    page.wait_for_timeout(4_000)
    assert page.get_by_role("alert").count() == 0
    assert page.locator("#query-status").inner_text().startswith("Cancelled after")


def test_large_results_are_paged_sorted_and_downloaded_whole(  # type: ignore[no-untyped-def]
    server, page: Page, base_url: str
) -> None:
    total = len(sparql(base_url, ALL_TRIPLES))
    assert total > 1000
    page.goto("/")
    page.locator("#query-editor").fill(ALL_TRIPLES)
    page.get_by_role("button", name="Run ▸").click()
    rows = page.locator("#query-results tbody tr")
    expect(rows).to_have_count(100)
    info = page.locator(".page-info")
    expect(info).to_have_text(f"rows 1–100 of {total:,}")
    page.get_by_role("button", name="Next ›").click()
    expect(info).to_have_text(f"rows 101–200 of {total:,}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(lines) == total + 1
    # Sorting orders every row, not just the page shown.
    page.locator("th button[title='Sort by p']").click()
    header = page.locator("th").filter(has=page.locator("button[title='Sort by p']"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(info).to_have_text(f"rows 1–100 of {total:,}")
    values = [td.get_attribute("data-value") for td in rows.locator("td:nth-child(2)").all()]
    assert values == sorted(values) and values[0] == min(
        r["p"] for r in sparql(base_url, ALL_TRIPLES)
    )
    page.locator("th button[title='Sort by p']").click()
    expect(header).to_have_attribute("aria-sort", "descending")


def test_same_kind_of_cell_same_kind_of_place(server, page: Page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("button", name="Run ▸").click()
    first = page.locator("#query-results tbody tr").first
    # A QID string links to Wikidata; so does a Wikidata IRI.
    qid = first.locator("td").nth(1).get_by_role("link")
    assert qid.get_attribute("href") == "https://www.wikidata.org/wiki/Q222"
    page.locator("#query-editor").fill(
        "SELECT ?c ?wd WHERE { ?c a hg:Country ; owl:sameAs ?wd } ORDER BY ?c LIMIT 1"
    )
    page.get_by_role("button", name="Run ▸").click()
    cells = page.locator("#query-results tbody tr").first.locator("td")
    expect(cells.first.get_by_role("link")).to_have_attribute(
        "href", re.compile(r"^/entity/country/")
    )
    expect(cells.nth(1).get_by_role("link")).to_have_attribute(
        "href", re.compile(r"^https://www\.wikidata\.org/wiki/Q\d+$")
    )
    # In the gallery, a label leads to the page of what it names, a QID to Wikidata.
    page.goto("/#gallery")
    card = page.locator('[data-query="refusals"]')
    card.get_by_role("button", name="Run ▸").click()
    row = card.locator("tbody tr").first
    expect(row.get_by_role("link", name="Albania")).to_have_attribute(
        "href", re.compile(r"^/entity/")
    )
    expect(row.get_by_role("link", name="Q222")).to_have_attribute(
        "href", "https://www.wikidata.org/wiki/Q222"
    )


def test_history_survives_reload_and_back(server, page: Page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    editor = page.locator("#query-editor")
    first, second = "ASK { ?s a hg:Country }", "SELECT ?c WHERE { ?c a hg:Country } LIMIT 2"
    editor.fill(first)
    editor.press("Control+Enter")
    expect(page.locator(".ask")).to_be_visible()
    editor.fill(second)
    editor.press("Control+Enter")
    expect(page.locator("#query-results tbody tr")).to_have_count(2)
    page.go_back()
    expect(editor).to_have_value(first)
    expect(page.locator(".ask")).to_contain_text("yes")
    page.reload()
    options = page.locator("#history option").all_inner_texts()
    assert any("ASK { ?s a hg:Country }" in o for o in options)
    assert any("SELECT ?c WHERE" in o for o in options)
    # Going back ran the first again, so it is the most recent; the second is next.
    assert "ASK" in options[1] and "SELECT" in options[2]
    page.locator("#history").select_option(index=2)
    expect(editor).to_have_value(second)


def test_canned_sparql_opens_in_the_editor(server, page: Page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/#gallery")
    card = page.locator('[data-query="refusals"]')
    card.get_by_text("SPARQL", exact=True).click()
    source = card.locator(".sparql-source pre")
    expect(source).to_contain_text("SELECT")
    assert "#+" not in source.inner_text()
    card.get_by_role("button", name="Open in editor").click()
    expect(page.get_by_role("tab", name="SPARQL query")).to_have_attribute("aria-selected", "true")
    text = page.locator("#query-editor").input_value()
    assert text == source.inner_text().strip() or text.strip() == source.inner_text().strip()
    assert "query=" in page.url


def test_gallery_and_map_state_in_the_url(server, page: Page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    preconditions = canned(base_url, "countries-attaching-conditions", kind="precondition")
    assert preconditions
    page.goto("/#gallery")
    card = page.locator('[data-query="countries-attaching-conditions"]')
    card.locator("select[name=kind]").select_option("precondition")
    card.get_by_role("button", name="Run ▸").click()
    expect(card.locator("tbody tr")).to_have_count(len(preconditions))
    shared = page.url
    assert "canned=countries-attaching-conditions" in shared and "p.kind=precondition" in shared
    other = page.context.new_page()
    other.goto(shared)
    again = other.locator('[data-query="countries-attaching-conditions"]')
    expect(again.locator("tbody tr")).to_have_count(len(preconditions))
    expect(again.locator("tbody")).to_contain_text(str(preconditions[0]["countryLabel"]))
    expect(again.locator("select[name=kind]")).to_have_value("precondition")

    page.goto("/#map")
    page.locator('#stance-map g.hg-country[data-label="Albania"]').click()
    assert "country=" in page.url
    other.goto(page.url)
    expect(other.locator("#stance-detail").get_by_role("heading", name="Albania")).to_be_visible()
    other.close()


def test_graph_results_download(server, page: Page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.locator("#query-editor").fill("DESCRIBE <https://w3id.org/hubgraph/id/country/kosovo>")
    page.get_by_role("button", name="Run ▸").click()
    expect(page.locator(".graph-text")).to_contain_text("kosovo")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Turtle").click()
    text = Path(download.value.path()).read_text()
    graph = rdflib.Graph().parse(data=text, format="turtle")
    kosovo = rdflib.URIRef("https://w3id.org/hubgraph/id/country/kosovo")
    assert (
        kosovo,
        rdflib.OWL.sameAs,
        rdflib.URIRef("http://www.wikidata.org/entity/Q1246"),
    ) in graph


def test_evidence_first_in_canned_tables(server, page: Page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    every = canned(base_url, "countries-attaching-conditions")
    page.goto("/#gallery")
    card = page.locator('[data-query="countries-attaching-conditions"]')
    card.get_by_role("button", name="Run ▸").click()
    expect(card.locator("tbody tr")).to_have_count(len(every))
    assert card.locator("thead th").first.inner_text().startswith("Evidence")
    # Kosovo's condition as the first article (GB News) reports it: Kurti's words.
    kosovo = card.locator("tbody tr").filter(has_text="Kosovo").filter(has_text="GB News")
    evidence = kosovo.locator("td.evidence")
    expect(evidence).to_contain_text("“We")
    expect(evidence.locator(".who")).to_contain_text("Albin Kurti")
    expect(evidence.locator(".who")).to_contain_text("published")
    expect(evidence.locator(".who .source-link")).to_have_attribute(
        "href", re.compile(r"^/entity/")
    )
    # Raw columns bring back every column as the query returns it.
    card.get_by_label("raw columns").check()
    assert card.locator("thead th").first.inner_text().strip().startswith("country")


def test_keyboard(server, page: Page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    editor = page.locator("#query-editor")
    editor.fill("")
    editor.press("Tab")  # indents
    assert editor.input_value() == "  "
    editor.press("Escape")
    editor.press("Tab")  # and now leaves
    assert page.evaluate("document.activeElement.id") != "query-editor"
    # The tab bar: one Tab stop, arrows move along it.
    page.get_by_role("tab", name="SPARQL query").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Canned queries")).to_be_focused()
    expect(page.locator("#panel-gallery")).to_be_visible()
    page.keyboard.press("End")
    expect(page.locator("#panel-timeline")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#panel-map")).to_be_visible()
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")  # wraps round
    expect(page.locator("#panel-query")).to_be_visible()
    # A #map link on the same page switches tabs.
    page.evaluate("location.hash = '#map'")
    expect(page.locator("#panel-map")).to_be_visible()
    page.evaluate("location.hash = '#gallery'")
    expect(page.locator("#panel-gallery")).to_be_visible()


PHONE_CHECK = """() => {
  const small = [], tiny = [];
  const seen = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  for (const e of document.querySelectorAll('button, select, input, [role=tab], .card-bar a, .actions a, .topbar a')) {
    if (!seen(e)) continue;
    const r = e.getBoundingClientRect();
    if (e.closest('.visually-hidden')) continue;
    const target = e.type === 'checkbox' ? e.closest('label') || e : e;
    const t = target.getBoundingClientRect();
    if (t.width < 24 || t.height < 24) small.push(`${e.tagName}.${e.className} ${e.textContent.trim().slice(0, 20)} ${t.width}x${t.height}`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const e = node.parentElement;
    if (!node.textContent.trim() || !e || !seen(e) || e.closest('svg, .visually-hidden')) continue;
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < 12) tiny.push(`${e.tagName}.${e.className} ${size}px ${node.textContent.trim().slice(0, 20)}`);
  }
  return {width: document.documentElement.scrollWidth, small, tiny};
}"""


def test_phone_layout(server, browser: Browser, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)

    def check(name: str) -> None:
        found = page.evaluate(PHONE_CHECK)
        page.screenshot(path=str(tmp_path / f"phone-{name}.png"), full_page=True)
        assert found["width"] <= 390, (name, found["width"])
        assert found["small"] == [], (name, found["small"])
        assert found["tiny"] == [], (name, found["tiny"])

    page.goto("/")
    page.get_by_role("button", name="Run ▸").click()
    expect(page.locator("#query-results tbody tr").first).to_be_visible()
    check("query")
    page.goto("/#gallery")
    card = page.locator('[data-query="countries-attaching-conditions"]')
    card.get_by_role("button", name="Run ▸").click()
    expect(card.locator("tbody tr").first).to_be_visible()
    check("gallery")
    page.goto("/#map")
    page.locator('#stance-map g.hg-country[data-label="Kosovo"]').click()
    expect(page.locator("#stance-detail")).to_contain_text("We want to help the UK")
    check("map")
    # The map is wider than a phone: the countries are buttons below it as well.
    page.locator(".country-list").get_by_role("button", name="Albania").click()
    expect(page.locator("#stance-detail").get_by_role("heading", name="Albania")).to_be_visible()
    # The map's own text stays readable (>= 12 px as drawn).
    sizes = page.evaluate(
        "() => Array.from(document.querySelectorAll('#stance-map svg text')).map(t => t.getBoundingClientRect().height)"
    )
    assert sizes and min(sizes) >= 12, min(sizes)
    page.goto("/entity/country/kosovo")
    check("entity")
    # A stance's evidence reads without scrolling sideways: every quote is within the screen.
    for quote in page.locator("table.facts blockquote").all():
        box = quote.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    context.close()


def test_search_box(server, page: Page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search entities and quotes")
    box.fill("never in Albania")
    box.press("Enter")
    card = page.locator('[data-query="search"]')
    expect(card.locator("tbody tr").first).to_be_visible()
    text = card.locator("tbody").inner_text()
    assert "Never in Albania" in text and "Edi Rama" in text
    assert "Britain receives migrant crisis" in text
    assert "canned=search" in page.url and "never" in page.url
    expect(box).to_have_value("never in Albania")
    page.screenshot(path=str(tmp_path / "search.png"))


def canned(base_url: str, name: str, **params: str) -> list[dict[str, object]]:
    """The rows of a canned query as the server's API gives them: what the page must show."""
    response = httpx.get(f"{base_url}/queries/{name}", params=params, timeout=30)
    response.raise_for_status()
    return response.json()["rows"]  # type: ignore[no-any-return]


def graph_urls(base_url: str) -> dict[str, str]:
    return {
        r["s"]: r["url"] for r in sparql(base_url, "SELECT ?s ?url WHERE { ?s schema:url ?url }")
    }


def quote_speakers(base_url: str) -> dict[str, set[str]]:
    rows = sparql(
        base_url,
        "SELECT ?text ?label WHERE { ?q a hg:Quote ; hg:text ?text ; hg:speaker/rdfs:label ?label }",
    )
    speakers: dict[str, set[str]] = {}
    for r in rows:
        speakers.setdefault(r["text"], set()).add(r["label"])
    return speakers


def test_evidence_links_the_original_article_and_names_the_speaker(  # type: ignore[no-untyped-def]
    server, browser: Browser, linked: LiveServer, tmp_path: Path
) -> None:
    urls, speakers = graph_urls(linked.url), quote_speakers(linked.url)
    assert urls and speakers
    for name, size in {"desktop": (1366, 900), "phone": (390, 844)}.items():
        context = browser.new_context(
            base_url=linked.url, viewport={"width": size[0], "height": size[1]}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        # The entity page: each quote with its speaker, each source by its title, linked to
        # the article the graph names.
        page.goto("/entity/country/kosovo")
        facts = page.locator("table.facts")
        expect(facts.locator("blockquote").first).to_be_visible()
        for quote in facts.locator("blockquote").all():
            text = quote.evaluate("q => q.firstChild.textContent").strip("“”")
            assert quote.locator("footer").inner_text().removeprefix("— ") in speakers[text]
        links = facts.locator("td.source a.source-link")
        assert links.count() > 0
        # Every stance names the source it comes from, whatever kind of evidence the source
        # gave (a quote, a verbatim sentence or a coder's paraphrase).
        for row in facts.locator("tbody tr").filter(has_text="holds stance").all():
            expect(row.locator("td.source a.source-link")).to_have_count(1)
        assert {a.get_attribute("href") for a in links.all()} <= set(urls.values())
        expect(links.first).to_have_text(re.compile(r"\w"))  # a title, not an IRI
        assert not links.first.inner_text().startswith(("http", "hgsrc:"))
        page.screenshot(path=str(tmp_path / f"{name}-entity.png"), full_page=True)
        # The gallery: quotes are their text (not their IRI), by their speaker, and the
        # source links to the article.
        page.goto("/#gallery")
        card = page.locator('[data-query="quotes"]')
        card.get_by_role("button", name="Run ▸").click()
        expect(card.locator("tbody tr").first).to_be_visible()
        for cell in card.locator("td.evidence").all():
            said = cell.locator("blockquote").inner_text().strip("“”")
            assert said in speakers, said
            assert cell.locator(".who a").first.inner_text() in speakers[said]
            source = cell.locator(".who a.source-link")
            assert source.get_attribute("href") in urls.values()
            assert source.get_attribute("target") == "_blank"
        card.screenshot(path=str(tmp_path / f"{name}-quotes.png"))
        card = page.locator('[data-query="stances"]')
        card.get_by_role("button", name="Run ▸").click()
        expect(card.locator("tbody tr").first).to_be_visible()
        sources = card.locator("td.evidence .who a.source-link")
        assert sources.count() == card.locator("tbody tr").count()
        assert {a.get_attribute("href") for a in sources.all()} <= set(urls.values())
        # Sentences are the source's words: said so, not put in the voice's mouth.
        montenegro = card.locator("tbody tr").filter(has_text="Montenegro")
        worded = montenegro.locator("td.evidence").filter(has=page.locator("blockquote.statement"))
        assert worded.count() > 0
        for cell in worded.all():
            expect(cell.locator(".who")).to_contain_text(
                re.compile(r"^— source sentences? · voiced by ")
            )
        # The map's stance detail as well.
        page.goto("/#map")
        page.locator('#stance-map g.hg-country[data-label="Kosovo"]').click()
        link = page.locator("#stance-detail .source a.source-link")
        assert link.get_attribute("href") in urls.values()
        page.screenshot(path=str(tmp_path / f"{name}-map.png"), full_page=True)
        context.close()

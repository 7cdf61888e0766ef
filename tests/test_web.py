"""The page at ``/``, the stance map and the entity pages, used as a person would: in a real
headless Chromium (Debian's ``chromium``) driven by Playwright, against a live server.

Screenshots go to each test's tmp folder. Any console error or uncaught page error fails the
test. Without /usr/bin/chromium the module is skipped (``apt-get install chromium``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

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


def test_gallery_runs_a_canned_query(server, page: Page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
    expect(rows).to_have_count(2)
    expect(card.locator(".status")).to_contain_text("2 rows")
    text = card.locator("tbody").inner_text()
    for expected in ("Kosovo", "Montenegro", "reciprocal expectation", "precondition"):
        assert expected in text
    page.screenshot(path=str(tmp_path / "gallery.png"))

    kind.select_option("precondition")
    card.get_by_role("button", name="Run ▸").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Montenegro")
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
    expect(page.locator("#prefix-list")).to_contain_text("PREFIX hg: <https://w3id.org/hubgraph/ontology#>")

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

    page.get_by_role("link", name="Kosovo's stance on the UK return hubs plan").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Kosovo's stance on the UK return hubs plan"
    )
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

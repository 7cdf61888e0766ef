"""The stance map as of a date and the timeline, used as a person would: in a real headless
Chromium (Debian's ``chromium``) driven by Playwright, against a live server, at desktop
(1366×900) and phone (390×844) sizes. Screenshots go to each test's tmp folder. What the page
shows is checked against what the canned queries answer, not against hard-coded rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium: apt-get install chromium", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # The page is the same whatever store the server runs on: one backend is enough here.
    pytest.mark.parametrize("server", ["embedded"], indirect=True),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(SIZES))
def page(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport=SIZES[request.param])  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.size_name = request.param  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not problems, problems


def _latest(base_url: str, as_of: str) -> dict[str, set[str]]:
    rows = httpx.get(
        f"{base_url}/queries/stances", params={"asOf": as_of, "latest": "true"}, timeout=60
    ).json()["rows"]
    out: dict[str, set[str]] = {}
    for r in rows:
        if "/country/" in r["holder"]:
            out.setdefault(r["holderLabel"], set()).add(r["positionLabel"])
    return out


def _no_sideways_page(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


def test_the_map_as_of_a_date(server, page: Page, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/#map")
    page.wait_for_selector("#stance-map .hg-country")
    page.fill("#as-of", "2025-05-31")
    page.locator("#as-of-form button[type=submit]").click()
    expect(page.locator("#stance-map svg")).to_have_attribute("data-as-of", "2025-05-31")
    assert "asOf=2025-05-31" in page.url
    kosovo = page.locator("#stance-map .hg-country[data-label='Kosovo']")
    latest = _latest(base_url, "2025-05-31")
    assert kosovo.get_attribute("data-position-label") in latest["Kosovo"]
    shown = set(
        page.locator("#stance-map .hg-country").evaluate_all("ns => ns.map(n => n.dataset.label)")
    )
    assert shown == set(latest) - {"United Kingdom"}
    kosovo.dispatch_event("click")
    detail = page.locator("#stance-detail")
    expect(detail).to_contain_text("Vjosa Osmani")
    expect(detail).to_contain_text("Latest observation")
    page.screenshot(path=str(tmp_path / f"map-may-{page.size_name}.png"), full_page=True)  # type: ignore[attr-defined]
    # A shared link shows the same map; "All the data" goes back to everything.
    page.goto("/?asOf=2025-10-31#map")
    expect(page.locator("#stance-map svg")).to_have_attribute("data-as-of", "2025-10-31")
    expect(page.locator("#stance-map .hg-country[data-label='Kosovo']")).to_have_attribute(
        "data-position", "willing"
    )
    page.locator("#as-of-all").click()
    expect(page.locator("#stance-map svg")).to_have_attribute("data-as-of", "")
    _no_sideways_page(page)


def test_the_timeline_shows_a_marks_quote_voice_office_and_source(  # type: ignore[no-untyped-def]
    server, page: Page, base_url: str, tmp_path: Path
) -> None:
    page.goto("/#timeline")
    page.wait_for_selector("#timeline .hg-mark")
    history = httpx.get(f"{base_url}/queries/stance-history", timeout=60).json()["rows"]
    observations = page.locator("#timeline .hg-mark[data-kind='observation']")
    assert observations.count() == len(history)
    rows = set(page.locator("#timeline .hg-row").evaluate_all("ns => ns.map(n => n.dataset.label)"))
    assert {r["countryLabel"] for r in history} <= rows
    # Kurti's October observation: its quote, voice, office then, and its source, linked.
    kurti = next(r for r in history if r["voiceLabel"] == "Albin Kurti" and r["quote"] and r["url"])
    mark = page.locator(f"#timeline .hg-mark[data-item='{kurti['observation']}']")
    mark.dispatch_event("click")
    detail = page.locator("#mark-detail")
    expect(detail).to_contain_text("Albin Kurti")
    expect(detail).to_contain_text(kurti["officeLabel"])
    expect(detail).to_contain_text(kurti["quote"].split(" | ")[0])
    link = detail.locator("a.source-link")
    expect(link).to_have_attribute("href", kurti["url"])
    page.screenshot(path=str(tmp_path / f"timeline-kurti-{page.size_name}.png"), full_page=True)  # type: ignore[attr-defined]
    # Denials are visible: the Times's formal-talks claim is crossed and linked to its denials.
    disputes = httpx.get(f"{base_url}/queries/disputes", timeout=60).json()["rows"]
    denied = next(r for r in disputes if r["relation"] == "denies")
    claim = page.locator(f"#timeline .hg-mark[data-item='{denied['claim']}']").first
    expect(claim).to_have_count(1)
    assert page.locator("#timeline .hg-link[data-relation='denies']").count() >= 1
    claim.dispatch_event("click")
    expect(detail.locator(".kind-dispute").first).to_be_visible()
    expect(detail).to_contain_text(denied["bySpeakerLabel"])
    # Keyboard: a mark is a button reached by Tab, opened by Enter.
    mark.focus()
    page.keyboard.press("Enter")
    expect(detail).to_contain_text("Albin Kurti")
    _no_sideways_page(page)
    if page.size_name == "phone":  # type: ignore[attr-defined]
        # The drawing scrolls inside its figure; its smallest text stays readable.
        box = page.locator("#timeline svg").bounding_box()
        assert box is not None and box["width"] >= 960
        size = page.locator("#timeline .hg-tick").first.evaluate(
            "n => n.getBoundingClientRect().height"
        )
        assert size >= 12
        target = mark.bounding_box()
        assert target is not None and target["width"] >= 24 and target["height"] >= 24
    page.screenshot(path=str(tmp_path / f"timeline-denial-{page.size_name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_svgs_for_notebooks(server, base_url: str) -> None:  # type: ignore[no-untyped-def]
    svg = httpx.get(f"{base_url}/timeline.svg", params={"country": "Q1246"}, timeout=60)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert 'data-label="Kosovo"' in svg.text and 'data-label="Montenegro"' not in svg.text
    dated = httpx.get(f"{base_url}/stance-map.svg", params={"asOf": "2025-05-31"}, timeout=60)
    assert dated.status_code == 200 and 'data-as-of="2025-05-31"' in dated.text
    bad = httpx.get(f"{base_url}/stance-map.svg", params={"asOf": "May 2025"}, timeout=60)
    assert bad.status_code == 400 and "asOf" in bad.json()["message"]
    csv = httpx.get(f"{base_url}/exports/observations.csv", timeout=60)
    assert csv.status_code == 200 and csv.text.startswith("observation,date,datePrecision")
    jsonl = httpx.get(
        f"{base_url}/exports/observations.jsonl", params={"country": "Q1246"}, timeout=60
    )
    assert jsonl.status_code == 200
    assert all('"countryLabel": "Kosovo"' in line for line in jsonl.text.splitlines())

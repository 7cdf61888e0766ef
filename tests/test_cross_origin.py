"""CORS stays open for reads, which is safe only if no query can reach a private host: tried
from a page on another origin, in a real Chromium, as a visitor's browser would run it.

The page (served from its own port, so its origin differs from the endpoint's) sends every
SERVICE smuggler of the bypass corpus to ``/sparql`` with ``fetch``, as any web page could; a
loopback listener plays the private host. Every smuggler must come back refused (403, readable
by the page: CORS lets it see the answer) and the listener must see no connection, while a
plain read from the same page is answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from conftest import LiveServer
from loopback import Recorder, serving
from test_guard_bypasses import SMUGGLERS

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402
from test_web import CHROMIUM_ARGS  # noqa: E402

PAGE = b"""<!doctype html><meta charset="utf-8"><title>another origin</title>
<script>
async function tryAll(endpoint, queries) {
  const out = {};
  for (const [name, query] of Object.entries(queries)) {
    const body = new URLSearchParams({query});
    try {
      const r = await fetch(endpoint, {method: "POST", body});
      out[name] = {status: r.status, body: await r.text()};
    } catch (e) {
      out[name] = {status: 0, body: String(e)};
    }
  }
  return out;
}
</script>"""


class _Origin(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def private() -> Iterator[str]:
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serving(_Origin) as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("server", ["embedded"], indirect=True)
def test_a_page_on_another_origin_reads_but_reaches_no_private_host(
    server: LiveServer, private: str, origin: str
) -> None:
    queries = {
        name: text.replace("http://127.0.0.1:9", private).replace(
            "\\u0068ttp://127.0.0.1:9", "\\u0068" + private[1:]
        )
        for name, text in SMUGGLERS.items()
    }
    queries["plain-read"] = "ASK { ?s ?p ?o }"
    Recorder.seen.clear()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(origin + "/")
            answers = page.evaluate(
                "([endpoint, queries]) => tryAll(endpoint, queries)",
                [server.url + "/sparql", queries],
            )
        finally:
            browser.close()
    assert origin != server.url
    read = answers.pop("plain-read")
    assert read["status"] == 200, read  # CORS lets the other origin read an answer …
    assert json.loads(read["body"])["boolean"] is True
    for name, answer in answers.items():  # … and every smuggler is refused, readably
        assert answer["status"] == 403, (name, answer)
        assert json.loads(answer["body"])["error"] == "service-not-allowed", name
    assert Recorder.seen == []  # no request reached the private host

"""The benchmark's synthetic data (bench/generate.py), at a tiny size: `hubgraph load` takes it with
every check on (register, SHACL), the raw loads get the same quads, it is the same for the same seed, and the real canned queries return rows on it.
No servers here: bench/run.py is the benchmark itself."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.config import Settings
from hubgraph.loader import read_and_check
from hubgraph.runtime import open_service

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402

TRIPLES = 2_000
CONDITION_KINDS = {
    "https://w3id.org/hubgraph/id/condition-kind/precondition",
    "https://w3id.org/hubgraph/id/condition-kind/reciprocal-expectation",
}


def test_generated_data_loads_with_every_check_and_the_canned_queries_answer(
    tmp_path: Path,
) -> None:
    data = generate.generate(TRIPLES, seed=7, out=tmp_path)
    settings = Settings(
        store="memory",
        data_dir=data.folder,
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        workers=1,
        service_allowlist=(),
    )
    # What `hubgraph load FOLDER` reads: the register and the articles, every check on.
    sources = read_and_check(
        [data.folder], ROOT / "ontology" / "shapes.ttl", register=data.register_yaml
    )
    register = [s for s in sources if s.kind == "register"]
    articles = [s for s in sources if s.kind != "register"]
    assert len(register) == 1 and len(articles) == 1
    assert TRIPLES <= articles[0].quad_count < 2 * TRIPLES
    assert len(articles[0].graphs) >= 3  # one graph per article

    # The raw loads get the register as hubgraph compiles it: the very same quads.
    compiled = ox.Store()
    compiled.load(path=str(data.register_trig), format=ox.RdfFormat.TRIG)
    assert set(compiled) == set(register[0].dataset)

    service = open_service(settings)
    try:
        page = service.canned("countries-attaching-conditions", {})
        assert page.rows and not page.truncated
        kinds = {str(row[page.variables.index("kind")].value) for row in page.rows}
        assert kinds == CONDITION_KINDS
        qids = [row[page.variables.index("qid")] for row in page.rows]
        assert all(q is not None and q.value.startswith("Q9") for q in qids)
        assert service.canned("stances", {}).rows
    finally:
        service.close()


def test_same_seed_same_data() -> None:
    first = generate.Generator(TRIPLES, seed=3).run()
    second = generate.Generator(TRIPLES, seed=3).run()
    other = generate.Generator(TRIPLES, seed=4).run()
    assert first == second != other
    assert first[2] >= TRIPLES


def test_the_point_lookup_cycles_through_stances_in_the_same_order_everywhere(
    tmp_path: Path,
) -> None:
    pytest.importorskip("psutil")  # bench/servers.py's, a bench dependency
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import quote, unquote

    import harness
    from servers import Server

    data = generate.generate(TRIPLES, seed=7, out=tmp_path)
    subjects = harness.point_subjects(data.articles)
    # The first is the fixed stance the report's row check asks for; the rest are the data's.
    assert subjects[0] == harness.POINT_ENTITY
    assert len(subjects) == len(set(subjects)) > 5
    trig = data.articles.read_text("utf-8")
    assert all(f"stance:{s.rsplit('/', 1)[1]}\n" in trig for s in subjects[1:])
    assert harness.point_subjects(data.articles, 3) == subjects[:3]
    texts = harness.point_texts(data.articles)
    assert texts[0] == harness.POINT_QUERY

    # In-process: every request the next stance, each with its own rows.
    raw = tmp_path / "raw"
    store = ox.Store(str(raw))
    store.load(path=str(data.articles), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    inproc = harness.InProcessEndpoint(raw, {"point": texts[0]}, cycles={"point": texts[:4]})
    bodies = [inproc.fetch("point").body for _ in range(8)]
    assert bodies[:4] == bodies[4:] and len(set(bodies)) == 4
    inproc.close()

    # Over HTTP, one request at a time and with wrk's script: the paths of the cycle in turn.
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(unquote(self.path))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        server = Server("fake", None, httpd.server_address[1], tmp_path, 0.0)  # type: ignore[arg-type]
        cycle = [f"/sparql?query={quote(t)}" for t in texts[:3]]
        endpoint = harness.HttpEndpoint(
            "fake", server, {"point": (cycle[0], "application/json")}, cycles={"point": cycle}
        )
        for _ in range(6):
            assert endpoint.fetch("point").status == 200
        endpoint.close()
        assert seen == [unquote(p) for p in cycle * 2]
        seen.clear()
        if shutil.which("wrk") is None:
            pytest.skip("wrk not installed")
        rps, errors = harness.run_wrk(endpoint, "point", 1)
        assert rps > 0 and errors == 0
        assert set(seen) == {unquote(p) for p in cycle}
    finally:
        httpd.shutdown()

"""The benchmark's synthetic data (bench/generate.py), at a tiny size: `hubgraph load` takes it with
every check on (register, SHACL), the raw loads get the same quads, it is the same for the same seed, and the real canned queries return rows on it.
No servers here: bench/run.py is the benchmark itself."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox

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

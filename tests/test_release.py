"""Citable releases: `hubgraph release VERSION` through the real CLI, the releases served by a
real server, and the same release over the Oxigraph server as a remote store.

Three releases are made of three states of a store: the project's data plus two test sources;
then one test source changed, one withdrawn and one added; then a store rebuilt from the second
release's own dump (fresh blank nodes) — which must count as no change at all. The test sources
are made here (graph IRIs under …/source/release-test-…), so the test does not depend on what
the project's data says.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import ROOT, LiveServer, OxigraphServer, VirtuosoServer, need_virtuoso

from hubgraph.config import Settings
from hubgraph.release import RELEASE, content_hash, write_release
from hubgraph.remote import RemoteStore
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore
from hubgraph.vocabulary import ID, SOURCE

pytestmark = pytest.mark.slow
ONE, TWO, THREE = (SOURCE + f"release-test-{n}" for n in ("one", "two", "three"))
SAYS = ox.NamedNode("http://example.org/says")
SUBJECT = ox.NamedNode(ID + "release-test/thing")
ADMS_WITHDRAWN = "http://purl.org/adms/status/Withdrawn"


def a_source(graph: str, *texts: str) -> ox.Store:
    """A small source graph; a blank node in it, so that relabelling is put to the test."""
    store = ox.Store()
    node = ox.NamedNode(graph)
    for text in texts:
        blank = ox.BlankNode()
        store.add(ox.Quad(SUBJECT, SAYS, blank, node))
        store.add(ox.Quad(blank, SAYS, ox.Literal(text), node))
    return store


def settings_for(store: Path | str) -> Settings:
    return Settings(
        store=str(store), data_dir=ROOT / "data", ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries", service_allowlist=(),
    )  # fmt: skip


def make_store(path: Path, *sources: ox.Store, project_data: bool = True) -> str:
    store = OxigraphStore(path)
    try:
        if project_data:
            load_data(store, settings_for(path))
        store.replace_graphs(list(sources))
    finally:
        store.close()
    return str(path)


def hubgraph(store: str, releases: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUBGRAPH_STORE": store, "HUBGRAPH_RELEASES_DIR": str(releases)}
    return subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


@dataclass
class Made:
    releases: Path
    stores: list[str]
    outputs: list[str]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("releases")
    releases = folder / "releases"
    first = make_store(folder / "s1", a_source(ONE, "first words"), a_source(TWO, "gone soon"))
    second = make_store(
        folder / "s2", a_source(ONE, "first words", "a correction"), a_source(THREE, "new")
    )
    outputs = []
    for store, version in ((first, "1.0.0"), (second, "1.1.0")):
        done = hubgraph(store, releases, "release", version)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    # The third store is rebuilt from the second release's own dump, less its VoID graph.
    dump = ox.Store()
    dump.load(path=str(releases / "1.1.0" / "hubgraph-1.1.0.nq"), format=ox.RdfFormat.N_QUADS)
    dump.remove_graph(ox.NamedNode(RELEASE + "1.1.0"))
    third = make_store(folder / "s3", dump, project_data=False)
    done = hubgraph(third, releases, "release", "1.2.0")
    assert done.returncode == 0, done.stderr
    outputs.append(done.stdout)
    return Made(releases, [first, second, third], outputs)


def manifest(made: Made, version: str) -> dict[str, object]:
    return json.loads((made.releases / version / "release.json").read_text())  # type: ignore[no-any-return]


def changes(made: Made, version: str) -> dict[str, str]:
    return {c["graph"]: c["change"] for c in manifest(made, version)["changes"]}  # type: ignore[attr-defined]


def test_a_release_holds_every_graph_checksummed(made: Made) -> None:
    folder = made.releases / "1.0.0"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["CHANGELOG.md", "SHA256SUMS", "hubgraph-1.0.0.nq", "release.json", "void.ttl"]
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0 and check.stdout.count(": OK") == 4, check.stdout
    # The dump holds every graph of the store, as the store holds it, and the release's VoID.
    dump = ox.Store()
    dump.load(path=str(folder / "hubgraph-1.0.0.nq"), format=ox.RdfFormat.N_QUADS)
    store = OxigraphStore(made.stores[0], read_only=True)
    try:
        graphs = store.graphs()
        for graph in graphs:
            quads = dump.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            assert content_hash(quads) == manifest(made, "1.0.0")["graphs"][graph]["sha256"]  # type: ignore[index]
            assert sum(
                1 for _ in dump.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            ) == store.count(graph)
    finally:
        store.close()
    assert {g.value for g in dump.named_graphs()} == {*graphs, RELEASE + "1.0.0"}
    assert all(c == "added" for c in changes(made, "1.0.0").values())
    assert "The first release." in (folder / "CHANGELOG.md").read_text()


def test_the_changelog_says_what_was_added_replaced_and_withdrawn(made: Made) -> None:
    assert changes(made, "1.1.0") == {ONE: "replaced", TWO: "withdrawn", THREE: "added"}
    log = (made.releases / "1.1.0" / "CHANGELOG.md").read_text()
    assert "Changes since 1.0.0." in log
    added = log.split("## Sources added")[1].split("##")[0]
    replaced = log.split("## Sources replaced")[1].split("##")[0]
    withdrawn = log.split("## Sources withdrawn")[1].split("##")[0]
    assert f"<{THREE}>" in added and f"<{ONE}>" in replaced
    assert f"<{TWO}> (last in release 1.0.0)" in withdrawn
    assert "withdrawn <" in " ".join(made.outputs[1].split())
    assert manifest(made, "1.1.0")["previous"] == "1.0.0"


def test_a_withdrawn_source_stays_on_record(made: Made) -> None:
    # Release 1.2.0 changed nothing, yet still says that TWO was withdrawn, and where it was last.
    m = manifest(made, "1.2.0")
    assert m["withdrawn"] == [{"source": TWO, "last_release": "1.0.0"}]
    log = (made.releases / "1.2.0" / "CHANGELOG.md").read_text()
    assert "No graph changed." in log
    assert f"<{TWO}> (last in release 1.0.0)" in log.split("## Withdrawn in earlier releases")[1]
    void = ox.Store()
    void.load(path=str(made.releases / "1.2.0" / "void.ttl"), format=ox.RdfFormat.TURTLE)
    assert void.query(
        f"ASK {{ <{TWO}> <http://www.w3.org/ns/adms#status> <{ADMS_WITHDRAWN}> ; "
        f"<http://purl.org/dc/terms/isPartOf> <{RELEASE}1.0.0> . "
        f"<{RELEASE}1.2.0> <http://www.w3.org/ns/prov#wasRevisionOf> <{RELEASE}1.1.0> }}"
    )


def test_hashes_and_iris_are_stable_across_a_rebuild(made: Made) -> None:
    # The third store was rebuilt from the second release's dump: new blank nodes, same graph.
    assert changes(made, "1.2.0") == {}
    assert manifest(made, "1.2.0")["graphs"] == manifest(made, "1.1.0")["graphs"]
    assert manifest(made, "1.2.0")["entities_no_longer_described"] == []

    # The entity and source IRIs of 1.0.0 are all in 1.2.0, but the withdrawn source's.
    def iris(version: str) -> set[str]:
        dump = ox.Store()
        dump.load(
            path=str(made.releases / version / f"hubgraph-{version}.nq"),
            format=ox.RdfFormat.N_QUADS,
        )
        return {
            t.value for q in dump for t in (q.subject, q.object, q.graph_name)
            if isinstance(t, ox.NamedNode) and t.value.startswith((ID, SOURCE))
        }  # fmt: skip

    assert iris("1.0.0") - iris("1.2.0") <= {TWO}


def test_a_release_is_never_rewritten_and_versions_are_checked(made: Made) -> None:
    before = (made.releases / "1.1.0" / "SHA256SUMS").read_bytes()
    again = hubgraph(made.stores[1], made.releases, "release", "1.1.0")
    assert again.returncode == 1 and again.stderr.startswith("Error: release 1.1.0 exists")
    assert (made.releases / "1.1.0" / "SHA256SUMS").read_bytes() == before
    for bad in ("../escape", "1.0/../../x", ".hidden", ""):
        done = hubgraph(made.stores[1], made.releases, "release", bad)
        assert done.returncode != 0 and "Error:" in done.stderr, bad
    assert not (made.releases.parent / "escape").exists()
    assert sorted(p.name for p in made.releases.iterdir()) == ["1.0.0", "1.1.0", "1.2.0"]


@pytest.fixture(scope="module")
def live(made: Made, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        made.stores[2], extra_env={"HUBGRAPH_RELEASES_DIR": str(made.releases)},
        log_dir=tmp_path_factory.mktemp("release-live"),
    )  # fmt: skip
    yield server
    server.stop()


def test_the_server_lists_releases_newest_first(live: LiveServer, made: Made) -> None:
    response = httpx.get(f"{live.url}/releases", timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert [r["version"] for r in body] == ["1.2.0", "1.1.0", "1.0.0"]
    latest = body[0]
    assert latest["iri"] == RELEASE + "1.2.0" and latest["previous"] == "1.1.0"
    assert latest["withdrawn"] == [{"source": TWO, "last_release": "1.0.0"}]
    assert latest["dump"] == f"{live.url}/releases/1.2.0/hubgraph-1.2.0.nq"
    one = httpx.get(f"{live.url}/releases/1.1.0", timeout=30).json()
    assert {c["graph"]: c["change"] for c in one["changes"]}[TWO] == "withdrawn"


def test_the_server_serves_each_file_as_it_was_written(live: LiveServer, made: Made) -> None:
    listed = httpx.get(f"{live.url}/releases", timeout=30).json()
    for release in listed:
        for file in release["files"]:
            response = httpx.get(file["url"], timeout=30)
            assert response.status_code == 200, file
            on_disk = (made.releases / release["version"] / file["name"]).read_bytes()
            assert response.content == on_disk
            digest = base64.b64encode(hashlib.sha256(on_disk).digest()).decode()
            assert response.headers["repr-digest"] == f"sha-256=:{digest}:"
            if "sha256" in file:
                assert file["sha256"] == hashlib.sha256(on_disk).hexdigest()
    dump = httpx.get(listed[0]["dump"], timeout=30)
    assert dump.headers["content-type"].startswith("application/n-quads")


def test_the_server_serves_nothing_outside_a_release(live: LiveServer, made: Made) -> None:
    # A file dropped into a release folder, and a link out of it: neither is in the manifest.
    (made.releases / "1.0.0" / "extra.txt").write_text("not part of the release")
    (made.releases / "1.0.0" / "escape.ttl").symlink_to(ROOT / "pyproject.toml")
    for path in (
        "/releases/1.0.0/extra.txt",
        "/releases/1.0.0/escape.ttl",
        "/releases/1.0.0/..%2F..%2F..%2Fpyproject.toml",
        "/releases/..%2F..%2Fpyproject.toml/x",
        "/releases/1.0.0/%2e%2e%2f1.1.0%2frelease.json",
        "/releases/%2e%2e",  # (a client resolves a plain "/.." itself)
        "/releases/%2e%2e/%2e%2e/pyproject.toml",
        "/releases/9.9.9/release.json",
        "/releases/1.0.0/" + "%2Fetc%2Fpasswd",
    ):
        response = httpx.get(live.url + path, timeout=30)
        assert response.status_code == 404, (path, response.status_code)
        assert response.headers["content-type"].startswith("application/json"), path
        assert b"[build-system]" not in response.content and b"root:" not in response.content


def test_a_release_over_the_remote_oxigraph_server_is_the_same(
    made: Made, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("remote-release")
    oxigraph = OxigraphServer(folder / "oxigraph")
    try:
        remote = RemoteStore(oxigraph.url, timeout=30)
        try:
            dump = ox.Store()
            dump.load(
                path=str(made.releases / "1.2.0" / "hubgraph-1.2.0.nq"), format=ox.RdfFormat.N_QUADS
            )
            dump.remove_graph(ox.NamedNode(RELEASE + "1.2.0"))
            remote.replace_graphs([dump])
            release = write_release(remote, folder / "releases", "remote-1")
        finally:
            remote.close()
    finally:
        oxigraph.stop()
    assert release.graphs == manifest(made, "1.2.0")["graphs"]


@pytest.mark.virtuoso
def test_a_release_over_virtuoso_is_the_same(
    made: Made, tmp_path_factory: pytest.TempPathFactory
) -> None:
    need_virtuoso()
    folder = tmp_path_factory.mktemp("virtuoso-release")
    virtuoso = VirtuosoServer(folder)
    try:
        remote = RemoteStore(virtuoso.url, update_endpoint=virtuoso.url, timeout=60)
        try:
            dump = ox.Store()
            dump.load(
                path=str(made.releases / "1.2.0" / "hubgraph-1.2.0.nq"), format=ox.RdfFormat.N_QUADS
            )
            dump.remove_graph(ox.NamedNode(RELEASE + "1.2.0"))
            remote.replace_graphs([dump])
            release = write_release(remote, folder / "releases", "virtuoso-1")
        finally:
            remote.close()
    finally:
        virtuoso.stop()
    # Virtuoso's own graphs are not released; ours come out as they went in, every triple —
    # but Virtuoso keeps a whole xsd:decimal as an xsd:integer ("3"^^xsd:decimal comes back
    # "3"^^xsd:integer), so a graph holding one hashes differently there.
    expected = manifest(made, "1.2.0")["graphs"]
    assert {g: i["triples"] for g, i in release.graphs.items()} == {
        g: i["triples"]
        for g, i in expected.items()  # type: ignore[attr-defined]
    }
    decimal = "http://www.w3.org/2001/XMLSchema#decimal"
    with_decimals = {
        q.graph_name.value for q in dump
        if isinstance(q.object, ox.Literal) and q.object.datatype.value == decimal
    }  # fmt: skip
    for graph, info in release.graphs.items():
        if graph not in with_decimals:
            assert info["sha256"] == expected[graph]["sha256"], graph  # type: ignore[index]

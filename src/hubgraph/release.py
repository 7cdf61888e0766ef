"""Citable releases: a frozen, checksummed copy of the graph that an analysis can cite and re-run.

``write_release(store, folder, version)`` writes ``folder/VERSION/``:

- ``hubgraph-VERSION.nq`` — every graph of hubgraph's (graph IRIs under
  https://w3id.org/hubgraph/), canonicalized with RDFC-1.0 and sorted, so the same graph always
  gives the same bytes; the release's VoID description is in it too, as graph
  ``https://w3id.org/hubgraph/release/VERSION``.
- ``void.ttl`` — that VoID description on its own: the dataset, each graph as a subset with its
  triple count and content hash, the sources withdrawn (ADMS status Withdrawn, with the last
  release that held them), the previous release.
- ``CHANGELOG.md`` — sources added, replaced (content hash changed) and withdrawn since the
  previous release, other graphs changed, and entity IRIs no longer described (there should be
  none: IRIs are meant to stay stable).
- ``release.json`` — the same as data, read by the next release and by ``GET /releases``.
- ``SHA256SUMS`` — ``sha256sum -c SHA256SUMS`` checks every other file.

A graph's content hash is SHA-256 over its triples canonicalized with RDFC-1.0 (blank nodes
relabelled) as sorted N-Triples: reloading an unchanged source keeps its hash. Releases are
never overwritten; the folder appears whole or not at all (written aside, then renamed).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from hubgraph.errors import BadRequest, NotFound
from hubgraph.store import GraphStore
from hubgraph.vocabulary import BASE, ID, SOURCE

RELEASE = BASE + "release/"
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$")
"""What a version may look like: 1.0.0, 2026-12-01, 0.2.0-rc.1 (a path segment, never ``..``)."""
MANIFEST = "release.json"
CHECKSUMS = "SHA256SUMS"
VOID_FILE = "void.ttl"
CHANGELOG = "CHANGELOG.md"
MEDIA_TYPES = {
    ".nq": "application/n-quads",
    ".ttl": "text/turtle; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    "": "text/plain; charset=utf-8",
}
NS = {
    "void": "http://rdfs.org/ns/void#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "adms": "http://www.w3.org/ns/adms#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": "http://spdx.org/rdf/terms#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
WITHDRAWN = "http://purl.org/adms/status/Withdrawn"


def dump_name(version: str) -> str:
    return f"hubgraph-{version}.nq"


def check_version(version: str) -> str:
    if not VERSION.match(version) or ".." in version:
        raise BadRequest(
            f"{version!r} is not a release version: use letters, digits, '.', '-', '_' and '+' "
            "(e.g. 1.0.0 or 2026-12-01), starting with a letter or digit"
        )
    return version


@dataclass(frozen=True)
class Change:
    graph: str
    kind: str
    """added | replaced | withdrawn"""
    last_release: str | None = None
    """For a withdrawn source: the last release that held it."""


@dataclass
class Release:
    """What ``release.json`` says about one release."""

    version: str
    issued: str
    previous: str | None
    graphs: dict[str, dict[str, object]]
    """graph IRI → {"sha256": content hash, "triples": n}"""
    withdrawn: dict[str, str]
    """source IRI → the last release that held it (carried from release to release)."""
    changes: list[Change] = field(default_factory=list)
    gone_entities: list[str] = field(default_factory=list)
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    """file name → {"sha256": …, "bytes": n}"""

    @property
    def iri(self) -> str:
        return RELEASE + self.version

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "iri": self.iri,
            "issued": self.issued,
            "previous": self.previous,
            "graphs": self.graphs,
            "withdrawn": [{"source": s, "last_release": v} for s, v in self.withdrawn.items()],
            "changes": [
                {"graph": c.graph, "change": c.kind}
                | ({"last_release": c.last_release} if c.last_release else {})
                for c in self.changes
            ],
            "entities_no_longer_described": self.gone_entities,
            "files": self.files,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Release:
        withdrawn = {str(w["source"]): str(w["last_release"]) for w in data["withdrawn"]}  # type: ignore[attr-defined,index]
        changes = [
            Change(str(c["graph"]), str(c["change"]), c.get("last_release"))
            for c in data.get("changes", [])  # type: ignore[attr-defined]
        ]
        return cls(
            version=str(data["version"]), issued=str(data["issued"]),
            previous=data.get("previous"),  # type: ignore[arg-type]
            graphs=dict(data["graphs"]),  # type: ignore[call-overload]
            withdrawn=withdrawn, changes=changes,
            gone_entities=list(data.get("entities_no_longer_described", [])),  # type: ignore[call-overload]
            files=dict(data.get("files", {})),  # type: ignore[call-overload]
        )  # fmt: skip


# -- reading releases -----------------------------------------------------------------------------
def list_releases(folder: Path) -> list[Release]:
    """Every complete release in ``folder``, oldest first (by issue time)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        manifest = path / MANIFEST
        if VERSION.match(path.name) and manifest.is_file():
            with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
                found.append(Release.from_json(json.loads(manifest.read_text(encoding="utf-8"))))
    return sorted(found, key=lambda r: (r.issued, r.version))


def release_file(folder: Path, version: str, name: str) -> Path:
    """The path of one file of one release, if that release lists it: names come from the
    release's own manifest, never from joining a request's path, so nothing outside can be
    named (``..``, ``%2F``, absolute paths, symlinks out)."""
    releases = {r.version: r for r in list_releases(folder)}
    release = releases.get(version)
    if release is None:
        known = ", ".join(releases) or "none yet"
        raise NotFound(f"no release {version!r} (releases: {known})")
    listed = set(release.files) | {MANIFEST, CHECKSUMS}
    if name not in listed:
        raise NotFound(
            f"release {version} has no file {name!r}; it has: {', '.join(sorted(listed))}"
        )
    root = (folder / version).resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        raise NotFound(f"release {version} has no file {name!r}")
    return path


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix, MEDIA_TYPES[""])


# -- writing one ----------------------------------------------------------------------------------
def content_hash(triples: Iterable[ox.Triple | ox.Quad]) -> str:
    """SHA-256 of the triples canonicalized with RDFC-1.0, as sorted N-Triples lines."""
    dataset = ox.Dataset()
    for t in triples:
        dataset.add(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()))
    return hashlib.sha256(canonical_nquads(dataset)).hexdigest()


def canonical_nquads(dataset: ox.Dataset) -> bytes:
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    lines = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).splitlines(keepends=True)  # type: ignore[union-attr]
    return b"".join(sorted(lines))


def read_graphs(store: GraphStore) -> dict[str, list[ox.Quad]]:
    """Every graph of hubgraph's in the store (a shared store's other graphs, such as
    Virtuoso's own, are not ours to publish), through the store's narrow interface."""
    out: dict[str, list[ox.Quad]] = {}
    for graph in store.graphs():
        if not graph.startswith(BASE) or graph.startswith(RELEASE):
            continue
        buffer = io.BytesIO()
        store.dump(buffer, "N_TRIPLES", graph)
        node = ox.NamedNode(graph)
        out[graph] = [
            ox.Quad(t.subject, t.predicate, t.object, node)
            for t in ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_TRIPLES)  # type: ignore[union-attr]
        ]
    return out


def _changes(
    graphs: dict[str, dict[str, object]], previous: Release | None
) -> tuple[list[Change], dict[str, str]]:
    before = previous.graphs if previous else {}
    withdrawn = dict(previous.withdrawn) if previous else {}
    changes: list[Change] = []
    for graph in sorted(graphs):
        if graph not in before:
            changes.append(Change(graph, "added"))
            withdrawn.pop(graph, None)  # back again
        elif before[graph]["sha256"] != graphs[graph]["sha256"]:
            changes.append(Change(graph, "replaced"))
    for graph in sorted(set(before) - set(graphs)):
        assert previous is not None
        changes.append(Change(graph, "withdrawn", previous.version))
        withdrawn[graph] = previous.version
    return changes, withdrawn


def _subjects(quads: Iterable[ox.Quad]) -> set[str]:
    return {
        q.subject.value
        for q in quads
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ID)
    }


def _previous_subjects(folder: Path, previous: Release) -> set[str]:
    path = folder / previous.version / dump_name(previous.version)
    quads = ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
    return _subjects(q for q in quads if not q.graph_name.value.startswith(RELEASE))  # type: ignore[union-attr]


def write_release(
    store: GraphStore,
    folder: Path,
    version: str,
    *,
    title: str = "hubgraph",
    now: datetime | None = None,
) -> Release:
    """Write release ``version`` of the graph in ``store`` into ``folder``."""
    check_version(version)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / version
    if target.exists():
        raise BadRequest(
            f"release {version} exists already in {folder}: a release is never rewritten"
        )
    history = list_releases(folder)
    previous = history[-1] if history else None
    quads_by_graph = read_graphs(store)
    if not quads_by_graph:
        raise BadRequest("the store holds no graph of hubgraph's: nothing to release")
    graphs: dict[str, dict[str, object]] = {
        g: {"sha256": content_hash(quads), "triples": len(quads)}
        for g, quads in sorted(quads_by_graph.items())
    }
    changes, withdrawn = _changes(graphs, previous)
    gone: list[str] = []
    if previous is not None:
        now_described = _subjects(q for qs in quads_by_graph.values() for q in qs)
        gone = sorted(_previous_subjects(folder, previous) - now_described)
    issued = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    release = Release(version, issued, previous.version if previous else None, graphs,
                      withdrawn, changes, gone)  # fmt: skip

    void = void_description(release, title)
    dataset = ox.Dataset()
    for quads in quads_by_graph.values():
        for q in quads:
            dataset.add(q)
    release_graph = ox.NamedNode(release.iri)
    for t in void:
        dataset.add(ox.Quad(t.subject, t.predicate, t.object, release_graph))
    files: dict[str, bytes] = {
        dump_name(version): canonical_nquads(dataset),
        VOID_FILE: ox.serialize(void, format=ox.RdfFormat.TURTLE, prefixes=NS),  # type: ignore[dict-item]
        CHANGELOG: changelog(release).encode(),
    }
    release.files = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for name, data in files.items()
    }
    files[MANIFEST] = (json.dumps(release.to_json(), indent=2, ensure_ascii=False) + "\n").encode()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    files[CHECKSUMS] = sums.encode()
    _write_folder(target, files)
    return release


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    # A name of its own, so that two releases being written never share a folder.
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        aside.chmod(0o755)  # mkdtemp's 0700 would keep the published release from other readers
        for name, data in files.items():
            with open(aside / name, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        os.rename(aside, target)  # whole or not at all; fails if the version appeared meanwhile
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise


# -- what it says about itself --------------------------------------------------------------------
def _n(name: str) -> ox.NamedNode:
    prefix, _, local = name.partition(":")
    return ox.NamedNode(NS[prefix] + local)


def void_description(release: Release, title: str) -> list[ox.Triple]:
    """The release as a VoID dataset: one subset per graph, its withdrawn sources kept."""
    me = ox.NamedNode(release.iri)
    total = sum(int(str(g["triples"])) for g in release.graphs.values())
    dump = ox.NamedNode(f"{release.iri}/{dump_name(release.version)}")
    out = [
        ox.Triple(me, _n("rdf:type"), _n("void:Dataset")),
        ox.Triple(me, _n("dcterms:title"), ox.Literal(f"{title}, release {release.version}")),
        ox.Triple(me, _n("owl:versionInfo"), ox.Literal(release.version)),
        ox.Triple(me, _n("dcterms:issued"), _typed(release.issued, "xsd:dateTime")),
        ox.Triple(me, _n("void:dataDump"), dump),
        ox.Triple(me, _n("void:triples"), _typed(total, "xsd:integer")),
    ]
    if release.previous:
        out.append(
            ox.Triple(me, _n("prov:wasRevisionOf"), ox.NamedNode(RELEASE + release.previous))
        )
    for graph, info in release.graphs.items():
        subset = ox.NamedNode(
            f"{release.iri}/graph/{hashlib.sha256(graph.encode()).hexdigest()[:16]}"
        )
        out += [
            ox.Triple(me, _n("void:subset"), subset),
            ox.Triple(subset, _n("rdf:type"), _n("void:Dataset")),
            ox.Triple(subset, _n("dcterms:source"), ox.NamedNode(graph)),
            ox.Triple(subset, _n("void:triples"), _typed(info["triples"], "xsd:integer")),
            ox.Triple(subset, _n("spdx:checksum"), ox.Literal(f"rdfc-1.0-sha256:{info['sha256']}")),
        ]
    for source, last in release.withdrawn.items():
        node = ox.NamedNode(source)
        out += [
            ox.Triple(node, _n("adms:status"), ox.NamedNode(WITHDRAWN)),
            ox.Triple(node, _n("dcterms:isPartOf"), ox.NamedNode(RELEASE + last)),
            ox.Triple(me, _n("prov:invalidated"), node),
        ]
    # Grouped by subject, the release first, so that the Turtle reads as one block each.
    return sorted(out, key=lambda t: (t.subject != me, str(t.subject)))


def _typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(datatype))


def changelog(release: Release) -> str:
    lines = [f"# hubgraph {release.version}", "", f"Issued {release.issued}."]
    lines.append(f"Changes since {release.previous}." if release.previous else "The first release.")
    sources = [c for c in release.changes if c.graph.startswith(SOURCE)]
    others = [c for c in release.changes if not c.graph.startswith(SOURCE)]
    for heading, kind in (("Sources added", "added"), ("Sources replaced (content changed)",
                          "replaced"), ("Sources withdrawn", "withdrawn")):  # fmt: skip
        chosen = [c for c in sources if c.kind == kind]
        if chosen:
            lines += ["", f"## {heading}", ""]
            lines += [
                f"- <{c.graph}>"
                + (f" (last in release {c.last_release})" if c.last_release else "")
                for c in chosen
            ]
    if others:
        lines += ["", "## Other graphs", ""]
        lines += [f"- <{c.graph}>: {c.kind}" for c in others]
    now_withdrawn = {c.graph for c in release.changes if c.kind == "withdrawn"}
    still = {s: v for s, v in release.withdrawn.items() if s not in now_withdrawn}
    if still:
        lines += ["", "## Withdrawn in earlier releases", ""]
        lines += [f"- <{s}> (last in release {v})" for s, v in sorted(still.items())]
    if release.gone_entities:
        lines += ["", "## Entity IRIs no longer described", ""]
        lines += [f"- <{iri}>" for iri in release.gone_entities]
    if not release.changes and release.previous:
        lines += ["", "No graph changed."]
    unchanged = len(release.graphs) - sum(1 for c in release.changes if c.kind != "withdrawn")
    lines += ["", f"{len(release.graphs)} graphs, {unchanged} unchanged."]
    return "\n".join(lines) + "\n"


def releases_summary(folder: Path, base_url: str) -> list[dict[str, object]]:
    """What ``GET /releases`` answers: each release, newest first, with its files' URLs."""
    out: list[dict[str, object]] = []
    for release in reversed(list_releases(folder)):
        url = f"{base_url}releases/{release.version}/"
        out.append(
            {
                "version": release.version,
                "iri": release.iri,
                "issued": release.issued,
                "previous": release.previous,
                "url": url,
                "dump": url + dump_name(release.version),
                "files": [
                    {"name": name, "url": url + name, **info}
                    for name, info in sorted(release.files.items())
                ]
                + [{"name": n, "url": url + n} for n in (MANIFEST, CHECKSUMS)],
                "changes": [
                    {"graph": c.graph, "change": c.kind}
                    | ({"last_release": c.last_release} if c.last_release else {})
                    for c in release.changes
                ],
                "withdrawn": [
                    {"source": s, "last_release": v} for s, v in release.withdrawn.items()
                ],
            }
        )
    return out

"""hubgraph over a real Virtuoso (Debian package ``virtuoso-opensource``), started per module.

Skipped unless ``HUBGRAPH_TEST_VIRTUOSO=1`` and ``virtuoso-t`` is on the PATH.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import ROOT, free_port

from hubgraph.config import Settings
from hubgraph.errors import QuerySyntaxError
from hubgraph.runtime import open_service
from hubgraph.service import QueryService

pytestmark = [
    pytest.mark.virtuoso,
    pytest.mark.skipif(
        os.environ.get("HUBGRAPH_TEST_VIRTUOSO") != "1" or shutil.which("virtuoso-t") is None,
        reason="set HUBGRAPH_TEST_VIRTUOSO=1 and install virtuoso-opensource to run",
    ),
]

INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 5
MaxClientConnections = 5

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


def isql(port: int, statement: str) -> None:
    subprocess.run(
        ["isql-vt", str(port), "dba", "dba", f"exec={statement}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Virtuoso on loopback; yields its SPARQL endpoint."""
    d = tmp_path_factory.mktemp("virtuoso")
    http_port, isql_port = free_port(), free_port()
    ini = d / "virtuoso.ini"
    ini.write_text(INI.format(d=d, http=http_port, isql=isql_port))
    endpoint = f"http://127.0.0.1:{http_port}/sparql"
    log = (d / "stdout.log").open("wb")
    process = subprocess.Popen(
        ["virtuoso-t", "-f", "-c", str(ini)], cwd=d, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"virtuoso-t exited: {(d / 'virtuoso.log').read_text()[-2000:]}")
            try:
                if httpx.get(endpoint, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Virtuoso did not come up within 120 s")
            time.sleep(0.5)
        # Updates through /sparql run as the SQL user "SPARQL", which may only read by default.
        isql(isql_port, 'GRANT SPARQL_UPDATE TO "SPARQL";')
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def service(virtuoso: str) -> Iterator[QueryService]:
    settings = Settings(
        store=virtuoso,
        update_endpoint=virtuoso,
        data_dir=ROOT / "data",
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        service_allowlist=(),
        workers=1,
        # Virtuoso is never empty (it keeps its own system graphs), so hubgraph's "load data/
        # into an empty store" would never fire: load explicitly.
        load_on_start=True,
    )
    service = open_service(settings, serving=True)
    try:
        yield service
    finally:
        service.close()


def column(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    i = page.variables.index(name)
    return [row[i].value for row in page.rows if row[i] is not None]


def test_conditions(service: QueryService) -> None:
    page = service.canned("countries-attaching-conditions", {})
    assert set(column(page, "countryLabel")) == {"Kosovo", "Montenegro"}
    assert set(
        zip(column(page, "countryLabel"), column(page, "conditionKindLabel"), strict=True)
    ) == {
        ("Kosovo", "reciprocal expectation"),
        ("Montenegro", "precondition"),
    }


def test_refusals(service: QueryService) -> None:
    page = service.canned("refusals", {})
    assert set(column(page, "countryLabel")) == {"Albania", "Bosnia and Herzegovina"}


def test_streamed_count(service: QueryService) -> None:
    streamed = service.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s a hg:Stance }", format_name="csv")
    rows = list(csv.reader(io.StringIO(b"".join(streamed.chunks).decode())))
    assert rows == [["n"], ["5"]]  # Virtuoso quotes the header: "n"


def test_malformed_query(service: QueryService) -> None:
    with pytest.raises(QuerySyntaxError):
        b"".join(service.sparql("SELECT ?x WHERE { ?x ").chunks)

"""A Python client for hubgraph, for notebooks and scripts.

    >>> from hubgraph.client import Client
    >>> hub = Client("http://127.0.0.1:8000")          # a running ``hubgraph serve``
    >>> hub.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s a hg:Stance }")
    [{'n': 5}]
    >>> hub.canned("countries-attaching-conditions", country=["Q1246", "Q236"])
    >>> hub.entity("Q1246")["label"]
    'Kosovo'
    >>> hub.canned_dataframe("stances")                 # needs pandas (hubgraph[pandas])
    >>> hub.reconcile(["Spajic", "Kurti"], type="person")  # candidates per name, best first

The same client works without a server, over the app itself and the embedded store::

    >>> hub = Client.in_process()                       # settings from HUBGRAPH_* variables

Values come back as Python types: xsd integers as ``int``; decimal, double and float as
``float``; booleans as ``bool``; ``xsd:date`` as :class:`datetime.date` and ``xsd:dateTime`` as
:class:`datetime.datetime`; partial dates (``gYear``, ``gYearMonth``) and every other literal as
``str``; IRIs as ``str`` (:func:`qid` recognises Wikidata's). Every failure — an error answered
by the server, a server that cannot be reached, a time-out — raises one exception type,
:class:`HubgraphClientError`, carrying the server's ``status``, ``error`` code and ``message``.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from hubgraph.queries import parse_qid
from hubgraph.terms import FLOATS, INTEGERS

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from hubgraph.config import Settings

__all__ = ["DEFAULT_URL", "Client", "HubgraphClientError", "convert_term", "qid"]

DEFAULT_URL = "http://127.0.0.1:8000"
"""Where :class:`Client` looks when neither a URL nor ``HUBGRAPH_URL`` is given."""
SPARQL_JSON = "application/sparql-results+json"
XSD = "http://www.w3.org/2001/XMLSchema#"
ID = "https://w3id.org/hubgraph/id/"
_DATE = re.compile(r"^(-?\d{4,}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
RECONCILE_BATCH = 50
"""Names sent in one reconciliation batch (the server takes up to 200)."""
PANDAS_MISSING = (
    "this needs pandas, which is not installed: pip install 'hubgraph[pandas]' (or pip install "
    "pandas)"
)


class HubgraphClientError(Exception):
    """Anything that went wrong talking to hubgraph.

    ``status`` is the HTTP status (0 when no answer came: the server could not be reached or
    the request timed out), ``error`` the server's error code (``malformed-query``,
    ``bad-parameter``, ``not-found`` …) and ``message`` its explanation. ``body`` holds the
    whole JSON error body when the server sent one."""

    def __init__(
        self, status: int, error: str, message: str, body: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {error}: {message}" if status else f"{error}: {message}")
        self.status = status
        self.error = error
        self.message = message
        self.body = dict(body or {})


def qid(value: object) -> str | None:
    """The Wikidata QID ``value`` names — ``http://www.wikidata.org/entity/Q1246``,
    ``https://www.wikidata.org/wiki/Q1246``, ``wd:Q1246`` or ``Q1246`` — else None."""
    return parse_qid(value) if isinstance(value, str) else None


def convert_term(term: Mapping[str, Any] | None) -> Any:
    """One binding of the SPARQL 1.1 Query Results JSON Format as a Python value."""
    if term is None:
        return None
    kind = term.get("type")
    value = term.get("value", "")
    if kind == "uri":
        return value
    if kind == "bnode":
        return f"_:{value}"
    if kind in {"literal", "typed-literal"}:
        datatype = term.get("datatype")
        try:
            if datatype in INTEGERS:
                return int(value)
            if datatype in FLOATS:
                return float(value)
            if datatype == XSD + "boolean":
                if value.strip() not in {"true", "false", "1", "0"}:
                    return value
                return value.strip() in {"true", "1"}
            if datatype == XSD + "date":
                match = _DATE.match(value.strip())
                return datetime.date.fromisoformat(match.group(1)) if match else value
            if datatype == XSD + "dateTime":
                return datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
        return value
    return value


def _rows(body: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    variables = list(body.get("head", {}).get("vars", []))
    rows = [
        {v: convert_term(binding.get(v)) for v in variables}
        for binding in body.get("results", {}).get("bindings", [])
    ]
    return variables, rows


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def _params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Keyword arguments as query-string pairs: lists and tuples repeat their key."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            pairs.extend((name, _query_value(v)) for v in value if v is not None)
        else:
            pairs.append((name, _query_value(value)))
    return pairs


class _AppTransport(httpx.BaseTransport):
    """A synchronous httpx transport over an ASGI app: httpx's ``ASGITransport`` is async-only,
    so it runs on a private event loop in a daemon thread of its own."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="hubgraph-client-asgi", daemon=True
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            response = await self._asgi.handle_async_request(forwarded)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        future = asyncio.run_coroutine_threadsafe(send(), self._loop)
        status, headers, body = future.result()
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()


class Client:
    """A hubgraph server (``base_url``, default ``$HUBGRAPH_URL`` or ``DEFAULT_URL``) or, with
    ``app=``, a hubgraph app in this process. Use it as a context manager, or call
    :meth:`close`, to release its connections (and, for :meth:`in_process`, the store)."""

    def __init__(
        self, base_url: str | None = None, *, app: Any = None, timeout: float = 60
    ) -> None:
        self._service: Any = None
        if app is not None:
            self.base_url = (base_url or "http://hubgraph.in-process").rstrip("/")
            transport: httpx.BaseTransport | None = _AppTransport(app)
        else:
            self.base_url = (base_url or os.environ.get("HUBGRAPH_URL") or DEFAULT_URL).rstrip("/")
            transport = None
        self.in_process_app = app
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "hubgraph-client"},
        )

    @classmethod
    def in_process(cls, settings: Settings | None = None, *, timeout: float = 60) -> Client:
        """A client over the app itself and the embedded store, with no server or socket:
        ``settings`` default to the ``HUBGRAPH_*`` environment variables (``HUBGRAPH_STORE``
        is the store directory, or ``memory`` to load ``data/`` into memory). Queries run in
        this process. The store is opened here, so no server may hold it read-write."""
        from hubgraph.api import create_app
        from hubgraph.config import Settings
        from hubgraph.runtime import open_service

        settings = settings or Settings.from_env()
        service = open_service(settings)
        try:
            client = cls(app=create_app(settings, service), timeout=timeout)
        except BaseException:
            service.close()
            raise
        client._service = service
        return client

    def __repr__(self) -> str:
        where = "in process" if self.in_process_app is not None else self.base_url
        return f"<hubgraph Client {where}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        if self._service is not None:
            self._service.close()
            self._service = None

    # -- HTTP --------------------------------------------------------------------------
    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise HubgraphClientError(
                0, "timeout", f"no answer from {self.base_url} in time ({exc})"
            ) from None
        except httpx.HTTPError as exc:
            raise HubgraphClientError(
                0, "connection-failed", f"cannot reach hubgraph at {self.base_url}: {exc}"
            ) from None
        if response.is_error:
            raise self._error(response)
        return response

    @staticmethod
    def _error(response: httpx.Response) -> HubgraphClientError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "message" in body:
            return HubgraphClientError(
                int(body.get("status") or response.status_code),
                str(body.get("error") or "error"),
                str(body["message"]),
                body,
            )
        text = response.text.strip()[:500] or response.reason_phrase
        return HubgraphClientError(response.status_code, "http-error", text)

    def _sparql_json(self, query: str) -> dict[str, Any]:
        response = self._request(
            "POST",
            "/sparql",
            data={"query": query},
            headers={"Accept": SPARQL_JSON},
        )
        body = response.json()
        if not isinstance(body, dict):
            raise HubgraphClientError(
                response.status_code, "unexpected-response", "not SPARQL JSON"
            )
        return body

    # -- SPARQL ------------------------------------------------------------------------
    def select(self, query: str) -> tuple[list[str], list[dict[str, Any]]]:
        """A SELECT query's variables, in order, and its rows."""
        body = self._sparql_json(query)
        if "boolean" in body:
            raise HubgraphClientError(
                400, "not-a-select", "this is an ASK query: use ask() for its answer"
            )
        return _rows(body)

    def sparql(self, query: str) -> list[dict[str, Any]]:
        """A SELECT query's rows, one dict each, values as Python types. Every prefix of the
        graph (``hg:``, ``wd:``, ``rdfs:`` …) may be used without declaring it."""
        return self.select(query)[1]

    def ask(self, query: str) -> bool:
        """An ASK query's answer."""
        body = self._sparql_json(query)
        if "boolean" not in body:
            raise HubgraphClientError(
                400, "not-an-ask", "this query returns rows: use sparql() for them"
            )
        return bool(body["boolean"])

    def graph(self, query: str, format: str = "turtle") -> str:
        """A CONSTRUCT or DESCRIBE query's graph as text (``turtle``, ``ntriples``,
        ``jsonld``, ``rdfxml``, ``trig``, ``nquads``)."""
        return self._request(
            "POST", "/sparql", data={"query": query}, params={"format": format}
        ).text

    # -- canned queries ----------------------------------------------------------------
    def queries(self) -> list[dict[str, Any]]:
        """The canned queries: name, title, description, url, csv and parameters (with their
        type, whether required or a list, the default, and the choices of concept params)."""
        return list(self._request("GET", "/queries").json())

    def canned_table(
        self, name: str, *, limit: int | None = None, offset: int | None = None, **params: Any
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Like :meth:`canned`, with the result's column names in order."""
        pairs = _params(params)
        pairs.append(("format", "sparql-json"))
        if limit is not None:
            pairs.append(("limit", str(limit)))
        if offset is not None:
            pairs.append(("offset", str(offset)))
        url: str | None = f"/queries/{quote(name, safe='')}"
        variables: list[str] = []
        rows: list[dict[str, Any]] = []
        query_params: list[tuple[str, str]] | None = pairs
        while url:
            response = self._request("GET", url, params=query_params)
            page_vars, page_rows = _rows(response.json())
            variables = variables or page_vars
            rows.extend(page_rows)
            # With an explicit limit the caller asked for one page; otherwise follow the
            # server's ``Link: <…>; rel="next"`` until the last page.
            url = None if limit is not None else response.links.get("next", {}).get("url")
            query_params = None
        return variables, rows

    def canned(
        self, name: str, *, limit: int | None = None, offset: int | None = None, **params: Any
    ) -> list[dict[str, Any]]:
        """Run the canned query ``name`` with its parameters as keyword arguments (a list
        parameter takes a Python list; QIDs, short ids such as ``country/kosovo`` and IRIs
        name entities). All rows are fetched, page after page, unless ``limit`` is given."""
        return self.canned_table(name, limit=limit, offset=offset, **params)[1]

    # -- the graph over time ------------------------------------------------------------
    def stance_history(self, country: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every stance observation in date order (the ``stance-history`` canned query), for
        the countries named by QID (``Q1246``) or id (``country/kosovo``), or for all."""
        return self.canned("stance-history", **_optional(country=_listed(country)))

    def stances(
        self,
        *,
        as_of: str | datetime.date | None = None,
        latest: bool | None = None,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """The ``stances`` canned query: ``as_of`` keeps what was known by that date,
        ``latest=True`` each holder's latest observations then (``contested`` says where
        they disagree); other parameters (policy, position, holder, reportedBy) as keywords."""
        return self.canned("stances", **params, **_optional(asOf=as_of, latest=latest))

    def disputes(self) -> list[dict[str, Any]]:
        """Each claim or observation with what denies or contradicts it, both with sources."""
        return self.canned("disputes")

    def changes(self, policy: str | None = None) -> list[dict[str, Any]]:
        """Each change of a country's position between consecutive observations."""
        return self.canned("changes", **_optional(policy=policy))

    def corroboration(self) -> list[dict[str, Any]]:
        """Each stance or claim with its number of sources and of independent origins."""
        return self.canned("corroboration")

    def timeline(self, country: str | Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Dated items in date order (``timeline``), optionally only about these countries."""
        return self.canned("timeline", **_optional(country=_listed(country)))

    def observations(self, country: str | Iterable[str] | None = None) -> pandas.DataFrame:
        """The analysts' table (``/exports/observations.jsonl``; columns in
        docs/observations.md) as a pandas DataFrame, one row per observation; ``dateStart``
        and ``dateEnd`` (the date as an interval of days) are pandas timestamps."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError(PANDAS_MISSING) from exc
        params = [("country", c) for c in _listed(country) or []]
        text = self._request("GET", "/exports/observations.jsonl", params=params).text
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        frame = pandas.DataFrame.from_records(records)
        for column in ("dateStart", "dateEnd"):
            if column in frame:
                frame[column] = pandas.to_datetime(frame[column])
        return frame

    def timeline_svg(self, country: str | Iterable[str] | None = None) -> str:
        """The timeline as SVG text: one row per country, a mark per observation."""
        params = [("country", c) for c in _listed(country) or []]
        return self._request("GET", "/timeline.svg", params=params).text

    # -- entities and documents --------------------------------------------------------
    def entity(self, value: str) -> dict[str, Any]:
        """One entity by QID (``Q1246``), short id (``country/kosovo``) or IRI: its label,
        QID, Wikidata URL, types, properties, the statements referring to it and, for actors,
        the facts with the quotes behind them."""
        found = qid(value)
        if found:
            return dict(self._request("GET", f"/entities/wikidata/{found}").json())
        text = value.strip()
        if text.startswith(ID):
            text = text[len(ID) :]
        return dict(self._request("GET", "/entities/" + quote(text, safe="/")).json())

    def reconcile(
        self,
        names: str | Iterable[str],
        type: str | None = None,
        *,
        limit: int = 3,
        properties: Mapping[str, str] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Match names against the register, as OpenRefine does through ``/reconcile``: for
        each name (in order), its candidates best first, each with ``id``, ``name``,
        ``score``, ``match`` (true only for a unique exact match), ``description``, ``type``
        and the ``features`` that explain the score. ``type`` is ``country``, ``person``,
        ``organisation``, ``office`` or ``policy``; ``properties`` are conditions such as
        ``{"office": "Prime Minister of Kosovo"}`` or ``{"country": "Q1246"}``.

        >>> hub.reconcile(["Spajic", "Kurti"], type="person")[0][0]["name"]
        'Milojko Spajić'
        """
        wanted = [names] if isinstance(names, str) else list(names)
        conditions = [{"pid": k, "v": v} for k, v in (properties or {}).items()]
        found: list[list[dict[str, Any]]] = []
        for start in range(0, len(wanted), RECONCILE_BATCH):
            chunk = wanted[start : start + RECONCILE_BATCH]
            batch: dict[str, dict[str, Any]] = {}
            for i, name in enumerate(chunk):
                query: dict[str, Any] = {"query": name, "limit": limit}
                if type:
                    query["type"] = type
                if conditions:
                    query["properties"] = conditions
                batch[f"q{i}"] = query
            response = self._request("POST", "/reconcile", data={"queries": json.dumps(batch)})
            answers = response.json()
            found += [list(answers[f"q{i}"]["result"]) for i in range(len(chunk))]
        return found

    def stance_map_svg(
        self, policy: str | None = None, as_of: str | datetime.date | None = None
    ) -> str:
        """The stance map as SVG text (``IPython.display.SVG(...)`` shows it in a notebook):
        the proposing country in the centre, every country around it with its latest
        position as of ``as_of`` (default: all the data), contested ones marked, coloured by
        position, with the kinds of its conditions on the edges and its quotes, each under its
        own speaker, in titles."""
        params = _optional(policy=policy, asOf=as_of)
        return self._request("GET", "/stance-map.svg", params=params or None).text

    # -- pandas ------------------------------------------------------------------------
    def dataframe(self, query: str) -> pandas.DataFrame:
        """A SELECT query's rows as a pandas DataFrame, one column per variable."""
        return _dataframe(*self.select(query))

    def canned_dataframe(
        self, name: str, *, limit: int | None = None, offset: int | None = None, **params: Any
    ) -> pandas.DataFrame:
        """A canned query's rows as a pandas DataFrame (see :meth:`canned`)."""
        return _dataframe(*self.canned_table(name, limit=limit, offset=offset, **params))


def _listed(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _optional(**params: Any) -> dict[str, Any]:
    """The parameters that are given, as query-string values (dates in ISO form, booleans as
    true/false)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out[key] = value
    return out


def _dataframe(variables: Iterable[str], rows: list[dict[str, Any]]) -> pandas.DataFrame:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(PANDAS_MISSING) from exc
    return pandas.DataFrame.from_records(rows, columns=list(variables))

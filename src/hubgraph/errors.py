"""The errors hubgraph raises. Every one carries a message meant for the person who caused it,
and an HTTP status the API answers with; the CLI prints the message as ``Error: …``.

    HubgraphError
    ├── ConfigError               500  a HUBGRAPH_* variable that cannot be read
    ├── BadRequest                400  something in the request is wrong
    │   ├── QuerySyntaxError      400  the SPARQL does not parse (line and column when known)
    │   ├── QueryTooComplex       400  nested deeper than the engine can take
    │   └── ParameterError        400  a canned-query parameter is missing, unknown or ill-typed
    ├── Forbidden                 403
    │   ├── UpdateRefused         403  an update sent to the read-only endpoint
    │   ├── ServiceNotAllowed     403  SERVICE to an endpoint not on the allow-list
    │   ├── GraphNotAllowed       403  a load over HTTP naming a graph outside the sources
    │   ├── StoreReadOnly         403  a load into a store on read-only media or directory
    │   └── Unauthorized          401  a write without the right bearer token
    ├── NotFound                  404  unknown canned query, entity or path
    ├── MethodNotAllowed          405
    ├── NotAcceptable             406  no representation the client accepts
    ├── PayloadTooLarge           413  request body or query over its limit
    ├── UnsupportedMediaType      415  a request body of a type the endpoint does not read
    ├── ServiceFailed             502  an allow-listed SERVICE endpoint failed or refused
    ├── Busy                      503  no query worker came free in time (with Retry-After)
    ├── ServiceTimeout            504  an allow-listed SERVICE endpoint did not answer in time
    ├── QueryTimeout              504  the query ran past the timeout and was stopped
    ├── QueryMemoryExceeded       507  the query's worker grew past its memory cap
    ├── RequestTimeout            408  a request's headers or body came too slowly
    ├── UriTooLong                414  a request target over its limit
    ├── HeadersTooLarge           431  too many header fields, or too many bytes of them
    ├── QueryFailed               500  the query process died or the store failed
    ├── StorageFailed             507  the disk refused a write (full, read-only, no access)
    └── LoadError                      a source that cannot be loaded; nothing was changed
        ├── SourceSyntaxError          bad RDF syntax: file, line, column
        └── ValidationError            SHACL violations: focus node, shape, path, message
"""

from __future__ import annotations

from dataclasses import dataclass


class HubgraphError(Exception):
    status: int = 500
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extra(self) -> dict[str, object]:
        """Fields the error body carries beside the message (and that cross process pipes)."""
        return {}


def rebuild(name: str, message: str, extra: dict[str, object] | None = None) -> HubgraphError:
    """The error ``name`` with ``message`` and ``extra`` again, as a worker process sent it."""
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, HubgraphError)):
        cls = QueryFailed
    if cls is QuerySyntaxError:
        return QuerySyntaxError(message, **(extra or {}))  # type: ignore[arg-type]
    if cls is ParameterError:
        return ParameterError(message, (extra or {}).get("parameter"))  # type: ignore[arg-type]
    return cls(message)


class ConfigError(HubgraphError):
    code = "bad-configuration"


class BadRequest(HubgraphError):
    status = 400
    code = "bad-request"


class QuerySyntaxError(BadRequest):
    code = "malformed-query"

    def __init__(
        self,
        message: str,
        *,
        engine_message: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.engine_message, self.line, self.column = engine_message, line, column

    def extra(self) -> dict[str, object]:
        fields = {"engine_message": self.engine_message, "line": self.line, "column": self.column}
        return {k: v for k, v in fields.items() if v is not None}


class QueryTooComplex(BadRequest):
    code = "query-too-complex"


class ParameterError(BadRequest):
    code = "bad-parameter"

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def extra(self) -> dict[str, object]:
        return {"parameter": self.parameter} if self.parameter else {}


class Forbidden(HubgraphError):
    status = 403
    code = "forbidden"


class UpdateRefused(Forbidden):
    code = "update-refused"


class ServiceNotAllowed(Forbidden):
    code = "service-not-allowed"


class GraphNotAllowed(Forbidden):
    code = "graph-not-allowed"


class StoreReadOnly(Forbidden):
    code = "read-only-store"


class Unauthorized(HubgraphError):
    status = 401
    code = "unauthorized"


class NotFound(HubgraphError):
    status = 404
    code = "not-found"


class MethodNotAllowed(HubgraphError):
    status = 405
    code = "method-not-allowed"


class NotAcceptable(HubgraphError):
    status = 406
    code = "not-acceptable"


class PayloadTooLarge(HubgraphError):
    status = 413
    code = "payload-too-large"


class UnsupportedMediaType(HubgraphError):
    status = 415
    code = "unsupported-media-type"


class Busy(HubgraphError):
    status = 503
    code = "busy"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class QueryTimeout(HubgraphError):
    status = 504
    code = "query-timeout"


class ServiceFailed(HubgraphError):
    status = 502
    code = "service-failed"


class ServiceTimeout(HubgraphError):
    status = 504
    code = "service-timeout"


class QueryFailed(HubgraphError):
    status = 500
    code = "query-failed"


class StorageFailed(HubgraphError):
    status = 507
    code = "storage-failed"


class LoadError(HubgraphError):
    status = 400
    code = "load-failed"


class SourceSyntaxError(LoadError):
    code = "source-syntax-error"

    def __init__(self, path: str, message: str, line: int | None, column: int | None) -> None:
        where = f"{path}:{line}:{column}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column = path, line, column


@dataclass(frozen=True)
class Violation:
    focus_node: str
    shape: str
    path: str | None
    message: str

    def __str__(self) -> str:
        on = f" {self.path}" if self.path else ""
        return f"{self.focus_node}{on}: {self.message} (shape {self.shape})"


class ValidationError(LoadError):
    code = "validation-failed"

    def __init__(self, path: str, violations: list[Violation]) -> None:
        shown = "\n  ".join(str(v) for v in violations[:20])
        more = f"\n  … and {len(violations) - 20} more" if len(violations) > 20 else ""
        super().__init__(
            f"{path}: {len(violations)} SHACL violation(s), nothing loaded:\n  {shown}{more}"
        )
        self.path, self.violations = path, violations


class QueryMemoryExceeded(HubgraphError):
    status = 507
    code = "query-memory-exceeded"


class RequestTimeout(HubgraphError):
    status = 408
    code = "request-timeout"


class UriTooLong(HubgraphError):
    status = 414
    code = "uri-too-long"


class HeadersTooLarge(HubgraphError):
    status = 431
    code = "headers-too-large"

"""The ``hubgraph`` command. It only translates arguments and output: the work is done by the
library (loader, query service). A user mistake prints ``Error: …`` and exits 1."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from hubgraph.config import Settings
from hubgraph.errors import HubgraphError
from hubgraph.formats import GRAPH_FORMATS
from hubgraph.loader import read_and_check
from hubgraph.runtime import load_data, open_service, open_store
from hubgraph.safe_text import printable
from hubgraph.store import disk_problem
from hubgraph.terms import csv_text, plain_value, records
from hubgraph.vocabulary import compact

TABLE_WIDTH = 40


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubgraph",
        description="A queryable knowledge graph of who committed to what, on which "
        "conditions, according to whom.",
    )
    parser.add_argument(
        "--store", help="store directory, 'memory', or a remote SPARQL endpoint URL "
        "(default: $HUBGRAPH_STORE or var/store)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("load", help="validate sources and load them (default: data/)")
    p.add_argument("paths", nargs="*", type=Path, help="TriG/Turtle/N-Quads files or folders")

    p = sub.add_parser("validate", help="check sources against the SHACL shapes, load nothing")
    p.add_argument("paths", nargs="*", type=Path)

    p = sub.add_parser("query", help="run a SPARQL query")
    p.add_argument("sparql", nargs="?", help="the query text (or use --file)")
    p.add_argument("--file", "-f", type=Path, help="read the query from a file")
    p.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")

    sub.add_parser("queries", help="list the canned queries and their parameters")

    p = sub.add_parser("run", help="run a canned query")
    p.add_argument("name")
    p.add_argument(
        "--param", "-p", action="append", default=[], metavar="K=V",
        help="a parameter; repeat for several, or for several values of a list parameter",
    )  # fmt: skip
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--limit", type=int)
    p.add_argument("--offset", type=int, default=0)

    p = sub.add_parser("export", help="write the whole graph to standard output")
    p.add_argument("--format", choices=["trig", "nquads", "jsonld"], default="trig")

    p = sub.add_parser("serve", help="serve the graph over HTTP (SPARQL endpoint, canned queries)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="query worker processes (default: CPU cores)")
    p.add_argument("--timeout", type=float, help="query timeout in seconds")
    p.add_argument("--reload-data", action="store_true", help="reload data/ before serving")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(store=args.store)
        return COMMANDS[args.command](args, settings)
    except HubgraphError as exc:
        print(f"Error: {printable(exc.message)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (``| head``): nothing left to say
        sys.stderr.close()
        return 1
    except OSError as exc:  # a full or read-only disk, a missing file: a message, not a trace
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"Error: {printable(disk_problem(exc))}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    if settings.is_memory:
        raise HubgraphError("loading into 'memory' keeps nothing; name a store directory")
    store = open_store(settings)
    try:
        report = load_data(store, settings, args.paths or None)
    finally:
        store.close()
    for graph, count in report.graphs.items():
        print(f"{count:>8} quads  <{graph}>")
    print(f"loaded {report.quad_count} quads into {settings.store}")
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    sources = read_and_check(
        args.paths or [settings.data_dir], settings.ontology_dir / "shapes.ttl"
    )
    for source in sources:
        print(f"ok  {source.path}  ({source.quad_count} quads)")
    return 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    if args.file:
        text = args.file.read_text(encoding="utf-8")
    elif args.sparql:
        text = args.sparql
    else:
        raise HubgraphError("give the query as an argument or with --file")
    service = open_service(settings)
    try:
        info = service.check(text)
        if info.returns_graph or args.format in {"csv", "tsv", "json"}:
            name = {"table": "turtle", "json": "json" if not info.returns_graph else "jsonld"}.get(
                args.format, args.format
            )
            if info.returns_graph and name in {"csv", "tsv"}:
                name = "ntriples"
            streamed = service.sparql(text, format_name=name)
            for chunk in streamed.chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            return 0
        rows = service.select(text)
        if rows.boolean is not None:
            print("true" if rows.boolean else "false")
        else:
            print_table(rows.variables, rows.rows)
    finally:
        service.close()
    return 0


def cmd_queries(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.queries import QueryRegistry

    for query in QueryRegistry(settings.queries_dir):
        print(f"{query.name}\n  {query.title}")
        for p in query.parameters:
            flags = ["required" if p.required else "optional"] + (["list"] if p.is_list else [])
            default = f", default {p.default}" if p.default else ""
            print(f"  --param {p.name}=…  {p.type} ({', '.join(flags)}{default}) {p.description}")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    params: dict[str, list[str]] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise HubgraphError(f"--param takes NAME=VALUE, not {item!r}")
        params.setdefault(key.strip(), []).append(value)
    service = open_service(settings)
    try:
        page = service.canned(args.name, params, limit=args.limit, offset=args.offset)
    finally:
        service.close()
    if args.format == "json":
        print(json.dumps(records(page.variables, page.rows), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(csv_text(page.variables, page.rows))
    else:
        print_table(page.variables, page.rows)
    if page.truncated:
        print(f"(more rows: use --offset {page.offset + page.limit})", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.formats import by_name

    fmt = by_name(args.format, GRAPH_FORMATS)
    store = open_service(settings).store
    store.dump(sys.stdout.buffer, fmt.engine_name)
    sys.stdout.flush()
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.api.server import serve

    settings = settings.with_(
        host=args.host,
        port=args.port,
        workers=args.workers,
        query_timeout=args.timeout,
        load_on_start=True if args.reload_data else None,
    )
    serve(settings)
    return 0


def print_table(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[_cell(t) for t in row] for row in rows]
    widths = [
        min(TABLE_WIDTH, max([len(v)] + [len(r[i]) for r in cells]))
        for i, v in enumerate(variables)
    ]
    line = "  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(_fit(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _cell(term: object) -> str:
    # A table is for reading: wd:Q1246, hgid:country/kosovo; and never a terminal command.
    if isinstance(term, ox.NamedNode):
        return printable(compact(term.value))
    value = plain_value(term)  # type: ignore[arg-type]
    return "" if value is None else printable(str(value)).replace("\n", " ").replace("\t", " ")


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


COMMANDS = {
    "load": cmd_load,
    "validate": cmd_validate,
    "query": cmd_query,
    "queries": cmd_queries,
    "run": cmd_run,
    "export": cmd_export,
    "serve": cmd_serve,
}

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())

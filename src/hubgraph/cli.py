"""The ``hubgraph`` command. It only translates arguments and output: the work is done by the
library (loader, query service). A user mistake prints ``Error: …`` and exits 1."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox

from hubgraph.config import Settings
from hubgraph.errors import HubgraphError
from hubgraph.formats import GRAPH_FORMATS
from hubgraph.graph.register import register_path
from hubgraph.loader import SHEET_SUFFIXES, Source, read_and_check
from hubgraph.runtime import load_data, open_service, open_store
from hubgraph.safe_text import printable, printable_json
from hubgraph.sheets.rdf import trig
from hubgraph.sheets.yamlread import SheetError
from hubgraph.store import disk_problem
from hubgraph.terms import csv_text, plain_value, records
from hubgraph.vocabulary import compact

TABLE_WIDTH = 40
"""The widest a cell gets in a table that has room to spare."""
MIN_WIDTH = 12
"""Narrower than this, a column says too little: the rows are printed one field a line."""
Command = Callable[[argparse.Namespace, Settings], int]


STORE_HELP = (
    "store directory, 'memory', or a remote SPARQL endpoint URL "
    "(default: $HUBGRAPH_STORE or var/store)"
)
SHORT_USAGE = """usage: hubgraph [--store DIR] COMMAND [options]

commands:
{commands}

Start with `hubgraph serve` (loads data/ into a new store and serves it at
http://127.0.0.1:8000/), or `hubgraph queries` to see the canned queries.
`hubgraph COMMAND --help` tells a command's options.
"""


class Parser(argparse.ArgumentParser):
    """argparse, with a short usage (the commands and where to start) when given nothing."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        given = sys.argv[1:] if args is None else list(args)
        if not given and self.prog == "hubgraph":
            print(self.short_usage(), end="", file=sys.stderr)
            self.exit(2)
        return super().parse_known_args(given, namespace)

    commands: dict[str, str]

    def short_usage(self) -> str:
        lines = [f"  {name:<9} {text}" for name, text in self.commands.items()]
        return SHORT_USAGE.format(commands="\n".join(lines))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="hubgraph",
        description="A queryable knowledge graph of who committed to what, on which "
        "conditions, according to whom.",
    )
    parser.add_argument("--store", help=STORE_HELP)
    # `--store` after the command as well (`hubgraph load --store DIR`); SUPPRESS keeps an
    # absent one from overwriting the one given before the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", default=argparse.SUPPRESS, help=STORE_HELP)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=argparse.ArgumentParser
    )
    parser.commands = {}

    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser.commands[name] = help
        return sub.add_parser(name, help=help, parents=[common])

    p = command("load", help="check sources and load them (default: data/)")
    p.add_argument(
        "paths", nargs="*", type=Path,
        help="coding sheets (.yaml), TriG/Turtle/N-Quads files or folders",
    )  # fmt: skip

    p = command("validate", help="check sheets and sources, print every problem, load nothing")
    p.add_argument("paths", nargs="*", type=Path)

    p = command("compile", help="print the RDF (TriG) a coding sheet compiles to")
    p.add_argument("sheet", type=Path)

    p = command("new", help="write a draft coding sheet from an article's plain text")
    p.add_argument("text_file", type=Path)
    p.add_argument("--url", help="the article's URL")
    p.add_argument("--publisher", help="the publisher, as the register names it")
    p.add_argument("--date", help="the date of publication: YYYY-MM-DD, YYYY-MM or YYYY")
    p.add_argument("--output", "-o", type=Path, help="write the draft here (default: stdout)")

    command("schema", help="print the JSON Schema of the coding sheet")

    p = command("query", help="run a SPARQL query")
    p.add_argument("sparql", nargs="?", help="the query text (or use --file)")
    p.add_argument("--file", "-f", type=Path, help="read the query from a file")
    p.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    add_table_options(p)

    command("queries", help="list the canned queries and their parameters")

    p = command("run", help="run a canned query")
    p.add_argument("name")
    p.add_argument(
        "--param", "-p", action="append", default=[], metavar="K=V",
        help="a parameter; repeat for several, or for several values of a list parameter",
    )  # fmt: skip
    p.add_argument(
        "--format", choices=["table", "csv", "json"], default="table",
        help="json escapes terminal control characters (the values stay exact); table and csv "
        "leave them out",
    )  # fmt: skip
    p.add_argument("--limit", type=int)
    p.add_argument("--offset", type=int, default=0)
    add_table_options(p)

    p = command(
        "export",
        help="write the whole graph, or the analysts' table of observations, to standard output",
    )
    p.add_argument(
        "--format",
        choices=["trig", "nquads", "jsonld", "observations-csv", "observations-jsonl"],
        default="trig",
        help="a graph format, or observations-csv / observations-jsonl: one row per stance "
        "observation (columns in docs/observations.md)",
    )

    p = command("release", help="write a citable release: dump, VoID, changelog, checksums")
    p.add_argument("version", help="e.g. 1.0.0 or 2026-12-01 (a release is never rewritten)")
    p.add_argument(
        "--releases-dir", type=Path,
        help="where releases go (default: $HUBGRAPH_RELEASES_DIR or releases/ beside data/)",
    )  # fmt: skip
    p.add_argument("--title", default="hubgraph", help="the dataset's title in the VoID")

    p = command("serve", help="serve the graph over HTTP (SPARQL endpoint, canned queries)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="query worker processes (default: CPU cores)")
    p.add_argument("--timeout", type=float, help="query timeout in seconds")
    p.add_argument("--reload-data", action="store_true", help="reload data/ before serving")
    return parser


def add_table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--columns", "-c", metavar="NAME,…",
        help="the table's columns, in this order (default: those meant for reading)",
    )  # fmt: skip
    p.add_argument(
        "--wide", action="store_true",
        help="every column, uncut, however wide (default: fit the terminal)",
    )  # fmt: skip


def writes_stdout(command: Command) -> Command:
    """``hubgraph export | head``: a reader that stops early is not an error. Python's
    advice: point stdout at /dev/null so that the final flush at exit cannot fail again."""

    @functools.wraps(command)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0

    return run


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


def _read(paths: list[Path], settings: Settings) -> list[Source]:
    return read_and_check(
        paths or [settings.data_dir],
        settings.ontology_dir / "shapes.ttl",
        register=register_path(settings.data_dir),
        sources_dir=settings.sources_dir,
        data_dir=settings.data_dir,
    )


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    try:
        sources = _read(args.paths, settings)
    except SheetError as exc:
        # Every problem, one a line, as file:line: field: message.
        for problem in exc.problems:
            print(printable(str(problem)), file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was loaded", file=sys.stderr)
        return 1
    for source in sources:
        print(f"ok  {source.path}  ({source.quad_count} quads)")
    return 0


def cmd_compile(args: argparse.Namespace, settings: Settings) -> int:
    if args.sheet.suffix not in SHEET_SUFFIXES:
        raise HubgraphError(f"{args.sheet}: a coding sheet is a .yaml file")
    try:
        (source,) = _read([args.sheet], settings)
    except SheetError as exc:
        for problem in exc.problems:
            print(printable(str(problem)), file=sys.stderr)
        return 1
    sys.stdout.buffer.write(trig(source.dataset))
    sys.stdout.flush()
    return 0


def cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.graph.register import read_register
    from hubgraph.sheets.draft import draft_sheet

    register = read_register(register_path(settings.data_dir))
    text = draft_sheet(
        args.text_file,
        register,
        url=args.url,
        publisher=args.publisher,
        date=args.date,
        source_id=args.output.stem if args.output else None,
    )
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(
            f"wrote {args.output}; decide what it marks DECIDE, then: "
            f"hubgraph validate {args.output}"
        )
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.sheets.schema import schema_text

    sys.stdout.write(schema_text())
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
            variables, table = choose_columns(rows.variables, rows.rows, args.columns)
            print_table(variables, table, wide=args.wide)
    finally:
        service.close()
    return 0


def cmd_queries(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.queries import QueryRegistry

    queries = list(QueryRegistry(settings.queries_dir))
    choices: dict[str, list[str]] = {}
    schemes = {p.scheme for q in queries for p in q.parameters if p.type == "concept"}
    if schemes:
        # The allowed values of enumerated parameters are the concepts of their schemes.
        service = open_service(settings)
        try:
            for scheme in schemes:
                choices[scheme or ""] = [short for short, _, _ in service.concepts(scheme or "")]
        finally:
            service.close()
    for query in queries:
        print(f"{query.name}\n  {query.title}")
        for p in query.parameters:
            flags = ["required" if p.required else "optional"] + (["list"] if p.is_list else [])
            default = f", default {p.default}" if p.default else ""
            print(f"  --param {p.name}=…  {p.type} ({', '.join(flags)}{default}) {p.description}")
            if p.type == "concept":
                print(f"      one of: {', '.join(choices.get(p.scheme or '', [])) or '(none)'}")
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
    # Read in a terminal as often as redirected: neither format may carry terminal controls.
    if args.format == "json":
        print(printable_json(records(page.variables, page.rows)))
    elif args.format == "csv":
        sys.stdout.write(csv_text(page.variables, page.rows, terminal=True))
    else:
        variables, table = choose_columns(
            page.variables, page.rows, args.columns, reading=not args.wide
        )
        print_table(variables, table, wide=args.wide)
        hidden = len(page.variables) - len(variables)
        if hidden and not args.columns:
            print(
                f"({hidden} more columns — IRIs that a label column names — are left out: "
                "--columns NAME,… chooses, --format csv or json has them all)",
                file=sys.stderr,
            )
    if page.truncated:
        print(f"(more rows: use --offset {page.offset + page.limit})", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.exports import FORMATS, write_observations
    from hubgraph.formats import by_name

    if args.format in FORMATS:
        service = open_service(settings)
        try:
            write_observations(service, args.format, sys.stdout)
        finally:
            service.close()
        sys.stdout.flush()
        return 0

    fmt = by_name(args.format, GRAPH_FORMATS)
    store = open_service(settings).store
    store.dump(sys.stdout.buffer, fmt.engine_name)
    sys.stdout.flush()
    return 0


def cmd_release(args: argparse.Namespace, settings: Settings) -> int:
    from hubgraph.release import write_release

    folder = args.releases_dir or settings.releases_path
    service = open_service(settings)
    try:
        release = write_release(service.store, folder, args.version, title=args.title)
    finally:
        service.close()
    print(f"release {release.version} ({release.iri}) in {folder / release.version}")
    for change in release.changes:
        last = f" (last in {change.last_release})" if change.last_release else ""
        print(f"  {change.kind:<9} <{change.graph}>{last}")
    if release.previous and not release.changes:
        print(f"  no graph changed since {release.previous}")
    for gone in release.gone_entities:
        print(f"  warning: <{gone}> is no longer described", file=sys.stderr)
    for name, info in sorted(release.files.items()):
        print(f"  {info['sha256']}  {name}")
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


def choose_columns(
    variables: Sequence[str],
    rows: Sequence[Sequence[object]],
    wanted: str | None,
    *,
    reading: bool = False,
) -> tuple[list[str], list[list[object]]]:
    """The columns a table shows: those named by ``--columns``, in that order; else, for a
    canned query (``reading``), all but the IRI columns whose label column is there too
    (``country`` beside ``countryLabel``), or whose every value is an IRI of ours."""
    if wanted:
        names = [n.strip().removeprefix("?") for n in wanted.split(",") if n.strip()]
        unknown = [n for n in names if n not in variables]
        if unknown:
            raise HubgraphError(
                f"no column {', '.join(map(repr, unknown))}; the columns are: "
                + ", ".join(variables)
            )
        keep = [variables.index(n) for n in names]
    elif reading:
        labelled = set(variables)

        def iri_only(i: int) -> bool:
            values = [row[i] for row in rows if row[i] is not None]
            return bool(values) and all(isinstance(v, ox.NamedNode) for v in values)

        keep = [
            i
            for i, v in enumerate(variables)
            if f"{v}Label" not in labelled and not (iri_only(i) and _has_labels(variables))
        ]
        keep = keep or list(range(len(variables)))
    else:
        keep = list(range(len(variables)))
    return [variables[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _has_labels(variables: Sequence[str]) -> bool:
    return any(v.endswith(("Label", "Title", "Text")) for v in variables)


def print_table(
    variables: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    wide: bool = False,
    width: int | None = None,
) -> None:
    """Rows as a table that fits the terminal: long cells are cut; when even cut columns do
    not fit, each row is printed as a record, one field a line, long values wrapped."""
    cells = [[_cell(t) for t in row] for row in rows]
    natural = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(variables)]
    width = width or shutil.get_terminal_size().columns
    widths = natural if wide else _fit_widths(variables, natural, width)
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    if widths is None:
        _print_records(variables, cells, width)
        print(count)
        return
    line = "  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(_fit(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(count)


def _fit_widths(variables: Sequence[str], natural: list[int], width: int) -> list[int] | None:
    """Column widths within ``width`` (the widest cut first), or None if they cannot fit."""
    widths = [min(TABLE_WIDTH, n) for n in natural]
    floor = [min(n, max(MIN_WIDTH, len(v))) for n, v in zip(natural, variables, strict=True)]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            return None
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def _print_records(variables: Sequence[str], cells: list[list[str]], width: int) -> None:
    label = max(len(v) for v in variables)
    room = max(20, width - label - 2)
    for number, row in enumerate(cells, 1):
        print(f"-[ row {number} ]".ljust(min(width, label + room), "-"))
        for name, value in zip(variables, row, strict=True):
            lines = textwrap.wrap(value, room) or [""]
            print(f"{name.ljust(label)}  {lines[0]}".rstrip())
            for more in lines[1:]:
                print(f"{'':{label}}  {more}")


def _cell(term: object) -> str:
    # A table is for reading: wd:Q1246, hgid:country/kosovo; and never a terminal command.
    if isinstance(term, ox.NamedNode):
        return printable(compact(term.value))
    value = plain_value(term)  # type: ignore[arg-type]
    return "" if value is None else printable(str(value)).replace("\n", " ").replace("\t", " ")


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


COMMANDS: dict[str, Command] = {
    "load": cmd_load,
    "validate": writes_stdout(cmd_validate),
    "compile": writes_stdout(cmd_compile),
    "new": writes_stdout(cmd_new),
    "schema": writes_stdout(cmd_schema),
    "query": writes_stdout(cmd_query),
    "queries": writes_stdout(cmd_queries),
    "run": writes_stdout(cmd_run),
    "export": writes_stdout(cmd_export),
    "release": writes_stdout(cmd_release),
    "serve": cmd_serve,
}

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())

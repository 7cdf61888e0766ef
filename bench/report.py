"""The benchmark's report: the rows of the table, their targets, and the Markdown around them."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import platform
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import generate
import psutil
import pyoxigraph as ox
from harness import POINT_ENTITY, Figures
from history import COUNTRIES, GROWTH_LIMIT, VARIANTS, HistoryResult, growth
from loads import STEPS, SmallSources, Split
from servers import ROOT, executable

COLUMNS = ("hubgraph", "oxigraph", "rdflib", "pyoxigraph")
LABELS = {
    "hubgraph": "hubgraph",
    "oxigraph": "Oxigraph server",
    "rdflib": "rdflib-endpoint",
    "pyoxigraph": "pyoxigraph in-process",
}
QUERY_TITLES = {
    "conditions": "conditions (canned)",
    "point": "point lookup",
    "large": "large SELECT",
}


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    kind: str
    """ms, rps, mb, s, qps, rows"""
    target: Callable[[Figures], tuple[str, bool | None]] | None = None
    higher_is_better: bool = False


def ratio_target(
    key: str, limit: float, ref: str = "oxigraph", higher: bool = False, what: str = "Oxigraph"
) -> Callable[[Figures], tuple[str, bool | None]]:
    def check(f: Figures) -> tuple[str, bool | None]:
        mine, theirs = f.get(key, "hubgraph"), f.get(key, ref)
        sign = "≥" if higher else "≤"
        if not mine or not theirs or mine != mine or theirs != theirs:
            return f"{sign} {limit:g}× {what}: n/a", None
        r = mine / theirs
        return f"{sign} {limit:g}× {what}: {r:.2f}×", (r >= limit if higher else r <= limit)

    return check


def absolute_target(key: str, limit: float, unit: str, scale: float):  # type: ignore[no-untyped-def]
    def check(f: Figures) -> tuple[str, bool | None]:
        mine = f.get(key, "hubgraph")
        if mine is None:
            return f"< {limit:g} {unit}: n/a", None
        return f"< {limit:g} {unit}", mine * scale < limit

    return check


def both(*checks):  # type: ignore[no-untyped-def]
    def check(f: Figures) -> tuple[str, bool | None]:
        parts = [c(f) for c in checks]
        oks = [ok for _, ok in parts if ok is not None]
        return "; ".join(t for t, _ in parts), (all(oks) if oks else None)

    return check


ROWS = (
    # The targets of issue 13.
    Row(
        "conditions.p50",
        "conditions (canned) · p50, c=1",
        "ms",
        both(
            ratio_target("conditions.p50", 1.1),
            ratio_target("conditions.p50", 1.0, ref="hubgraph-sparql", what="its /sparql"),
        ),
    ),
    Row("conditions.p99", "conditions (canned) · p99, c=1", "ms"),
    Row("conditions.p50@sparql", "conditions, same text over hubgraph /sparql · p50, c=1", "ms"),
    Row(
        "conditions.rps",
        "conditions (canned) · req/s, c=16",
        "rps",
        both(
            ratio_target("conditions.rps", 0.9, higher=True),
            ratio_target("conditions.rps", 100, ref="rdflib", higher=True, what="rdflib"),
        ),
        higher_is_better=True,
    ),
    Row("point.p50", "point lookup · p50, c=1", "ms", ratio_target("point.p50", 2.0)),
    Row("point.p99", "point lookup · p99, c=1", "ms"),
    Row(
        "point.rps",
        "point lookup · req/s, c=16",
        "rps",
        ratio_target("point.rps", 0.4, higher=True),
        higher_is_better=True,
    ),
    Row(
        "large.first",
        "large SELECT · first byte (median)",
        "ms",
        absolute_target("large.first", 100, "ms", 1000),
    ),
    Row("large.last", "large SELECT · last byte (median)", "ms", ratio_target("large.last", 1.1)),
    Row(
        "large.rss",
        "large SELECT · server peak RSS (process tree)",
        "mb",
        both(absolute_target("large.rss", 300, "MB", 1e-6), ratio_target("large.rss", 1.3)),
    ),
    Row("large.rss_process", "large SELECT · peak RSS of the largest single process", "mb"),
    Row("idle_rss", "server RSS before the large SELECT", "mb"),
    Row("large.pss", "server PSS after the large SELECT (shared pages counted once)", "mb"),
    Row("ready", "server start to first answer", "s"),
    Row(
        "load",
        "load · quads/s (hubgraph load; oxigraph load; rdflib parse; bulk_load)",
        "qps",
        ratio_target("load", 0.8, ref="pyoxigraph", higher=True, what="bulk_load"),
        higher_is_better=True,
    ),
)


def fmt_value(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if value != value:  # NaN
        return "skipped"
    if kind == "ms":
        if value >= 1:
            return f"{value:.2f} s"
        return f"{value * 1000:.2f} ms" if value < 0.01 else f"{value * 1000:.1f} ms"
    if kind == "s":
        return f"{value:.1f} s"
    if kind == "rps":
        return f"{value:.3g}/s" if value < 100 else f"{value:.0f}/s"
    if kind == "mb":
        return f"{value / 1e6:.0f} MB"
    if kind == "qps":
        return f"{value / 1000:.0f}k/s"
    return f"{value:g}"


def table(figures: Figures, rows: dict[str, dict[str, int | None]]) -> list[str]:
    # The /sparql variant of the canned query is shown in hubgraph's column of its own row.
    for stat in ("p50",):
        v = figures.get(f"conditions.{stat}", "hubgraph-sparql")
        if v is not None:
            figures.put(
                f"conditions.{stat}@sparql",
                "hubgraph",
                v,
                figures.notes.get(f"conditions.{stat}", {}).get("hubgraph-sparql", ""),
            )
            figures.put(
                f"conditions.{stat}@sparql",
                "oxigraph",
                figures.get(f"conditions.{stat}", "oxigraph") or 0.0,
            )
    head = ["figure", *(LABELS[c] for c in COLUMNS), "target (hubgraph)", ""]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in ROWS:
        if row.key not in figures.values:
            continue
        ref = figures.get(row.key, "oxigraph")
        cells = []
        for column in COLUMNS:
            value = figures.get(row.key, column)
            text = fmt_value(value, row.kind)
            if value is not None and value == value and ref and column != "oxigraph":
                text += f" ({value / ref:.2f}×)"
            note = figures.notes.get(row.key, {}).get(column, "")
            if note and value is not None:
                text += f" <sub>{note}</sub>"
            cells.append(text)
        target, ok = row.target(figures) if row.target else ("", None)
        mark = "" if ok is None and not target else ("✓" if ok else ("✗" if ok is False else "?"))
        lines.append("| " + " | ".join([row.title, *cells, target, mark]) + " |")
    counts = []
    for key, by_column in rows.items():
        values = {c: v for c, v in by_column.items() if v is not None}
        same = len(set(values.values())) <= 1
        counts.append(
            f"{QUERY_TITLES[key]}: "
            + ", ".join(f"{c} {v}" for c, v in values.items())
            + ("" if same else " ⚠ MISMATCH")
        )
    lines.append("")
    lines.append("Rows returned — " + "; ".join(counts) + ".")
    return lines


def machine() -> dict[str, str]:
    cpu = ""
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else ""
    oxigraph_version = subprocess.run(
        [executable("oxigraph"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "pyoxigraph": ox.__version__,
        "oxigraph": oxigraph_version.removeprefix("oxigraph "),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "hubgraph": hubgraph_revision(),
    }


def hubgraph_revision() -> str:
    """The commit measured, and whether src/ had changes not yet committed."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.split("\n")
    except OSError:
        return "unknown"
    changed = [line[3:] for line in dirty if line.strip()]
    return commit + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")


def floor_lines(info: dict[str, object], figures: Figures) -> list[str]:
    """The Python HTTP floor beside the Oxigraph server and hubgraph's own point lookup."""
    floor = info.get("floor")
    if not isinstance(floor, dict) or "floor" not in floor:
        return []
    (p50, rps), (oxi_p50, oxi_rps) = floor["floor"], floor["oxigraph"]
    hub_p50 = figures.get("point.p50", "hubgraph") or 0.0
    hub_rps = figures.get("point.rps", "hubgraph") or 0.0
    return [
        "",
        "The Python HTTP floor (bench/floor_app.py: hubgraph's own uvicorn set-up, HTTP protocol "
        "and per-client limit answering the point lookup's bytes, with no routing, guard, worker "
        f"or engine), measured beside the Oxigraph server: p50 at c=1 {p50 * 1000:.2f} ms "
        f"({p50 / oxi_p50:.2f}× its {oxi_p50 * 1000:.2f} ms), {rps:.0f} requests/s at c=16 "
        f"({rps / oxi_rps:.2f}× its {oxi_rps:.0f}/s). hubgraph's point lookup is "
        f"{hub_p50 / p50 if p50 else 0:.2f}× the floor's latency and "
        f"{hub_rps / rps if rps else 0:.2f}× its rate: what hubgraph adds (the guard, the hop to "
        "a worker, the engine) against what answering HTTP in Python costs here at all.",
        "",
    ]


def point_cpu_lines(info: dict[str, object]) -> list[str]:
    """What a point lookup at c=16 costs each server in CPU, and the rate ratio that bounds."""
    cpu = info.get("point_cpu")
    if not isinstance(cpu, dict) or "hubgraph" not in cpu or "oxigraph" not in cpu:
        return []
    front, workers = cpu["hubgraph"]
    hub, oxi = front + workers, sum(cpu["oxigraph"])
    if not hub or not oxi:
        return []
    return [
        f"Point lookup at c=16, server CPU per request (user + system, over each wrk run): "
        f"hubgraph {hub * 1e6:.0f} µs (HTTP front {front * 1e6:.0f}, query workers "
        f"{workers * 1e6:.0f}), Oxigraph server {oxi * 1e6:.0f} µs: {hub / oxi:.2f}× its cost. "
        f"Where the cores are the limit, that bounds hubgraph's rate at {oxi / hub:.2f}× the "
        "Oxigraph server's (≥ 0.4× needs ≤ 2.5× its CPU per request).",
        "",
    ]


def split_table(info: dict[str, object]) -> list[str]:
    """Where ``hubgraph load``'s time goes, beside a raw bulk_load of the same files."""
    split = info.get("split")
    if not isinstance(split, Split):
        return []
    raw = float(info.get("raw_load_s") or 0.0)  # type: ignore[arg-type]
    command = float(info.get("hubgraph_load_s") or 0.0)  # type: ignore[arg-type]
    lines = [
        "| `hubgraph load`, step by step | seconds | share | quads/s of the step |",
        "|---|---:|---:|---:|",
    ]
    for step, title in SPLIT_TITLES.items():
        seconds = split.seconds[step]
        rate = f"{split.quads / seconds / 1000:.0f}k/s" if step in RATED and seconds else ""
        lines.append(f"| {title} | {seconds:.2f} | {seconds / split.total:.0%} | {rate} |")
    lines.append(f"| sum of the steps | {split.total:.2f} | 100% | "
                 f"{split.quads / split.total / 1000:.0f}k/s |")  # fmt: skip
    lines.append(f"| the `hubgraph load` command (wall) | {command:.2f} | | |")
    lines.append(f"| raw `bulk_load` of the same files (wall) | {raw:.2f} | | |")
    writing = split.seconds["write"]
    floor = split.total - writing
    lines.append("")
    lines.append(
        f"Reading, checking and validating alone take {floor:.2f} s, "
        f"{(floor / raw if raw else 0):.2f}× the whole raw bulk load: the ceiling of "
        f"`hubgraph load` / `bulk_load` with these checks and a write of cost zero would be "
        f"{(raw / floor if floor else 0):.2f}×."
    )
    return lines


SPLIT_TITLES = {
    "import": "start: import hubgraph and pyoxigraph",
    "open": "open the store (lock, recover an interrupted load)",
    "shapes": "compile the SHACL shapes to SPARQL",
    "parse": "read: the register, the sheets' catalogue and each file, into memory",
    "check": "check: register links, QIDs, file names, overlaps",
    "validate": "validate each source (SHACL as SPARQL, beside the register)",
    "write": "write: claimed stances, journal, replace graphs, flush, publish",
    "other": "the rest (ontology files, bookkeeping)",
}
RATED = {"parse", "check", "validate", "write"}


def small_sources_table(small: SmallSources) -> list[str]:
    one = small.one_at_a_time
    many_per = small.many_seconds / small.many_count
    split = small.many_split
    lines = [
        "## Many small sources",
        "",
        "Article graphs of the synthetic data, one file each (as sheets or TriG files of a "
        "source each are), loaded with the register into a store that already holds the "
        "register and the ontology.",
        "",
        "| how | sources | time per source | total |",
        "|---|---:|---:|---:|",
        f"| one `hubgraph load` command per source | {len(one)} | "
        f"{statistics.median(one):.2f} s (median; mean {statistics.fmean(one):.2f} s) | "
        f"{sum(one):.1f} s |",
        f"| all in one `hubgraph load` command | {small.many_count} | {many_per * 1000:.0f} ms "
        f"| {small.many_seconds:.1f} s |",
        "",
        f"Of the one-command load ({split.files} files, {split.quads} quads, steps timed in a "
        "fresh process): "
        + ", ".join(
            f"{step} {split.seconds[step]:.2f} s ({split.seconds[step] / split.total:.0%})"
            for step in STEPS
        )
        + ".",
        "",
    ]
    return lines


def history_table(history: HistoryResult) -> list[str]:
    grid = history.per_country
    lines = [
        "## History queries at scale",
        "",
        f"Synthetic observations (bench/history.py): {COUNTRIES} countries, "
        + "; ".join(
            f"{n}/country: {q} quads, {s} source graphs, {o} observations"
            for n, (q, s, o) in sorted(history.sizes.items())
        )
        + f". Median of the runs, `limit=10000`; growth = log(t{grid[-1]} / t{grid[-2]}) / "
        f"log({grid[-1]} / {grid[-2]}), at most {GROWTH_LIMIT} counts as linear."
        if len(grid) >= 2
        else "",
        "",
        "| query | " + " | ".join(f"{n}/country" for n in grid) + " | growth | |",
        "|---|" + "---:|" * len(grid) + "---:|---|",
    ]
    for v in VARIANTS:
        if v.key in history.missing and v.key not in history.seconds:
            lines.append(
                f"| {v.title} | "
                + " | ".join("—" for _ in grid)
                + f" | | {history.missing[v.key]} |"
            )
            continue
        times = history.seconds.get(v.key, {})
        rows = history.rows.get(v.key, {})
        stopped = history.timed_out.get(v.key)
        cells = [
            f"{times[n] * 1000:.1f} ms <sub>{rows.get(n, '?')} rows</sub>"
            if n in times
            else (f"> {history.cap:.0f} s" if stopped is not None and n == stopped else "—")
            for n in grid
        ]
        g = growth(times, grid[-2], grid[-1]) if len(grid) >= 2 else None
        if g is None and stopped is not None and stopped in grid[1:]:
            # A lower bound on the growth, from the cap.
            before = grid[grid.index(stopped) - 1]
            if before in times:
                g = math.log(history.cap / times[before]) / math.log(stopped / before)
        mark = "" if g is None else ("✓" if g <= GROWTH_LIMIT else "✗")
        lines.append(
            f"| {v.title} | "
            + " | ".join(cells)
            + f" | {'' if g is None else f'{g:.2f}'} | {mark} |"
        )
    lines.append("")
    return lines


def report(
    results: list[tuple[int, Figures, dict[str, dict[str, int | None]], dict[str, object]]],
    args: argparse.Namespace,
    host: dict[str, str],
    wall: float,
    small: SmallSources | None = None,
    history: HistoryResult | None = None,
) -> str:
    out = [
        "# hubgraph benchmark",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {host['nproc']} cores (`nproc`), {host['cpu']}, {host['ram']} RAM; "
        f"load average at start {host['load']} (a shared, noisy machine: servers are "
        "interleaved in rounds and medians quoted)",
        f"- pyoxigraph {host['pyoxigraph']}, oxigraph server {host['oxigraph']}, "
        f"Python {host['python']}; hubgraph serve --workers {args.workers} --timeout 600",
        f"- hubgraph measured: {host['hubgraph']}",
        f"- command: `python bench/run.py {' '.join(sys.argv[1:])}`; total wall time "
        f"{wall / 60:.1f} min",
        "- queries: the `countries-attaching-conditions` canned query (hubgraph: "
        "`/queries/countries-attaching-conditions`, JSON records; others: the same SPARQL with "
        "its default `policy` bound, SPARQL JSON), a point lookup "
        "`SELECT ?p ?o WHERE { <stance> ?p ?o }` whose subject cycles through up to 4,096 "
        f"stances (the same order on every endpoint, `<{POINT_ENTITY}>` first, whose rows "
        "are compared), and a large SELECT "
        "(every stance with each of its quotes). All over the union of the named graphs.",
        "- c=1: sequential requests on a kept-alive connection after one warm-up request, "
        "endpoints interleaved in rounds; `n=` is the sample count. c=16: batches of 16 "
        "requests all in flight, endpoints alternating batch by batch (the canned query: too "
        "slow for a fixed-duration wrk run, which would cut off the work in flight), "
        "`wrk -t2 -c16` in two rounds of half the duration in reversed order (the point "
        "lookup), 16 threads in-process. "
        "First/last byte: a fresh connection per request; peak RSS: VmHWM summed over the "
        "server's process tree, reset before the large-result phase.",
        "- ratios in brackets are to the Oxigraph server; load throughput counts quads "
        "(data + ontology + shapes) over the wall time of each command.",
        "",
    ]
    for triples, figures, rows, info in results:
        label = generate.size_label(triples)
        out.append(f"## {label} triples ({info.get('quads')} quads loaded)")
        out.append("")
        if not info.get("rdflib"):
            out.append(
                "rdflib-endpoint not run at this size"
                + (
                    " (--skip-rdflib)."
                    if args.skip_rdflib
                    else f": above {args.rdflib_max:g} triples its start-up parse and its canned "
                    "query take too long for the time budget."
                )
            )
            out.append("")
        out += table(figures, rows)
        out.append("")
        restarts = info.get("restarts") or {}
        if restarts:
            out.append(
                "⚠ Killed from outside during the run and restarted (the phase was run again): "
                + ", ".join(f"{n} ×{k}" for n, k in restarts.items())  # type: ignore[attr-defined]
                + "."
            )
            out.append("")
        out.append(
            f"Store sizes on disk: hubgraph {info.get('hubgraph_store_mb', 0):.0f} MB, "
            f"oxigraph load {info.get('oxigraph_store_mb', 0):.0f} MB."
        )
        out.append("")
        out += floor_lines(info, figures)
        out += point_cpu_lines(info)
        split = split_table(info)
        if split:
            out += split
            out.append("")
    if small is not None:
        out += small_sources_table(small)
    if history is not None:
        out += history_table(history)
    return "\n".join(out)

"""``hubgraph load`` of an old tree and this one, side by side, in rounds.

    python bench/load_rounds.py --base /tmp/load-base/src [--rounds 3] [--phases big,many,one]
                                [--triples 1e6] [--many 1000] [--one 20] [--raw] [--serial]

``--base`` is another tree's ``src`` folder, with its ``ontology`` and ``data`` beside it
(``git archive main src ontology data | tar -x -C /tmp/load-base``; without them that tree's
loads find no shapes and validate nothing). Each load runs in a fresh process with that
folder or this tree's ``src`` first on its path, in alternating order round by round, so that
the noise of a shared machine hits both alike.

* ``big``: the synthetic data at ``--triples`` loaded into a new store, with the step split of
  bench/loads.py (parse, check, validate, write; at this size the checks run in a child beside
  the write, so "write" includes any wait for them). ``--serial`` adds the same load with the
  checks in-process, whose split says what each step costs on its own.
* ``many``: ``--many`` small sources (one article graph a file) in one command, per source.
* ``one``: ``--one`` of them, one command each, per source (median).
* ``--raw``: pyoxigraph's ``bulk_load`` of the same quads, the floor.

Medians are printed per tree, with the new/old ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from loads import LOAD_SPLIT, STEPS, split_sources  # noqa: E402
from servers import RAW_LOAD, log, timed_command  # noqa: E402

WORK = HERE / "work" / "load-rounds"
SERIAL = "import hubgraph.loader as _l; _l.CHECK_BESIDE_FROM = 1 << 62\n"
"""Prepended to the split script: the checks in-process, for the serial split."""
HUBGRAPH = "import sys; from hubgraph.entry import main; sys.exit(main())"


def run_split(
    tree: Path,
    store: Path,
    paths: list[Path],
    logs: Path,
    env: dict[str, str],
    serial: bool = False,
) -> tuple[float, dict[str, float]]:
    shutil.rmtree(store, ignore_errors=True)
    script = (SERIAL + LOAD_SPLIT) if serial else LOAD_SPLIT
    seconds, out = timed_command(
        [sys.executable, "-c", script, str(store), *map(str, paths)],
        logs,
        env={**env, "PYTHONPATH": str(tree)},
    )
    data = json.loads(out.strip().splitlines()[-1])
    return seconds, {k: float(data[k]) for k in STEPS}


def hubgraph(tree: Path, store: Path, path: Path, logs: Path, env: dict[str, str]) -> float:
    seconds, _ = timed_command(
        [sys.executable, "-c", HUBGRAPH, "--store", str(store), "load", str(path)],
        logs,
        env={**env, "PYTHONPATH": str(tree)},
    )
    return seconds


def show_split(name: str, walls: list[float], splits: list[dict[str, float]]) -> str:
    steps = " ".join(f"{k} {statistics.median(s[k] for s in splits):.3g}" for k in STEPS)
    return f"{name}: {statistics.median(walls):.3g} s  ({steps})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the old tree's src folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phases", default="big,many,one")
    parser.add_argument("--triples", type=float, default=1e6)
    parser.add_argument("--many", type=int, default=1000)
    parser.add_argument("--one", type=int, default=20)
    parser.add_argument("--raw", action="store_true", help="also pyoxigraph's bulk_load")
    parser.add_argument(
        "--serial", action="store_true", help="also the big load's checks in-process"
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    trees = {"old": args.base.resolve(), "new": (HERE.parent / "src").resolve()}
    for tree in trees.values():
        if not (tree.parent / "ontology" / "shapes.ttl").is_file():
            # hubgraph would fall back to the working directory's ontology/: none, here.
            parser.error(f"{tree.parent} has no ontology/shapes.ttl: it would validate nothing")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    logs = WORK / "logs"
    logs.mkdir()
    data = generate.generate(int(args.triples), 42)
    results: dict[str, list[float]] = {}
    splits: dict[str, list[dict[str, float]]] = {}

    def put(key: str, seconds: float, split: dict[str, float] | None = None) -> None:
        results.setdefault(key, []).append(seconds)
        if split is not None:
            splits.setdefault(key, []).append(split)

    small: list[Path] = []
    register = WORK / "sources" / "data" / "register.yaml"
    if phases & {"many", "one"}:
        register, small = split_sources(data.folder, WORK / "sources", max(args.many, args.one))
        many_dir = WORK / "many"
        many_dir.mkdir()
        for path in small[: args.many]:
            (many_dir / path.name).write_bytes(path.read_bytes())
    env = {"HUBGRAPH_DATA_DIR": str(register.parent)}
    for round_ in range(args.rounds):
        order = list(trees.items()) if round_ % 2 == 0 else list(reversed(trees.items()))
        if args.raw:
            raw = WORK / "raw"
            shutil.rmtree(raw, ignore_errors=True)
            files = [str(f) for f in data.trig_files()] + [str(generate.ontology_trig())]
            seconds, _ = timed_command([sys.executable, "-c", RAW_LOAD, str(raw), *files],
                                       logs / "raw.log")  # fmt: skip
            put("raw", seconds)
        for name, tree in order:
            if "big" in phases:
                put(
                    f"big {name}",
                    *run_split(tree, WORK / "big", [data.folder], logs / "big.log", {}),
                )
                if args.serial:
                    serial = run_split(
                        tree, WORK / "big", [data.folder], logs / "serial.log", {}, serial=True
                    )
                    put(f"serial {name}", *serial)
            if "many" in phases:
                store = WORK / "store-many"
                shutil.rmtree(store, ignore_errors=True)
                hubgraph(tree, store, register, logs / "base.log", env)
                seconds, split = run_split(tree, store, [many_dir], logs / "many.log", env)
                put(
                    f"many {name}",
                    seconds / args.many,
                    {k: v / args.many for k, v in split.items()},
                )
            if "one" in phases:
                store = WORK / "store-one"
                shutil.rmtree(store, ignore_errors=True)
                hubgraph(tree, store, register, logs / "base.log", env)
                times = [hubgraph(tree, store, p, logs / "one.log", env) for p in small[: args.one]]
                put(f"one {name}", statistics.median(times))
        log(f"round {round_ + 1} of {args.rounds} done")
    print(f"\nmedians of {args.rounds} round(s), {data.folder.name}:")
    if "raw" in results:
        print(f"raw bulk_load: {statistics.median(results['raw']):.2f} s")
    for phase in ("big", "serial", "many", "one"):
        old, new = results.get(f"{phase} old"), results.get(f"{phase} new")
        if not old or not new:
            continue
        unit = " per source" if phase in {"many", "one"} else ""
        for name, walls in (("old", old), ("new", new)):
            key = f"{phase} {name}"
            print(show_split(key, walls, splits[key]) if key in splits else
                  f"{key}: {statistics.median(walls):.3f} s{unit}")  # fmt: skip
        ratio = statistics.median(new) / statistics.median(old)
        line = f"  {phase}{unit}: new/old {ratio:.2f}"
        if phase == "big" and "raw" in results:
            raw_s = statistics.median(results["raw"])
            old_x, new_x = raw_s / statistics.median(old), raw_s / statistics.median(new)
            line += f"; raw/old {old_x:.2f}x, raw/new {new_x:.2f}x"
        print(line)


if __name__ == "__main__":
    main()

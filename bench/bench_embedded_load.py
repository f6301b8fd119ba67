"""The embedded load, validation included, against pyoxigraph's own ``bulk_load`` of the same triples.

    .venv/bin/python -m bench.bench_embedded_load                    # 2,000, 10,000 and 20,000 events
    .venv/bin/python -m bench.bench_embedded_load --events 5000 --repeats 3

For each size, bench/synthetic.py's dataset (fictional states) is built as an rdflib graph, which is
what the compiler hands a load. Then, each the median of ``--repeats`` runs into a fresh folder:

* **milcoop**: what ``milcoop load`` does after compiling: the SHACL check with the default engine
  (``loaders.shacl.shacl_problems``), then ``EmbeddedStore.replace_contents`` (the conversion to
  pyoxigraph terms, digests, partition records, history, the write and the switch);
* **milcoop, write only**: the same without the SHACL check;
* **bulk_load**: ``pyoxigraph.Store.bulk_load`` of the same triples as N-Triples bytes, prepared
  beforehand (the floor: no validation, no records, nothing converted in Python).

Issue 14's target is the first at no less than 80 % of the last's rate. Prints triples/s of each
and the ratios, with the machine's load average; writes bench/results/embedded_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from bench.synthetic import generate, triples
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.terms import ntriples_of, oxigraph_quads
from milcoop.loaders.curated import CompiledFacts
from milcoop.loaders.shacl import shacl_problems

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _median(run: Callable[[Path], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        folder = Path(tempfile.mkdtemp(prefix="milcoop-bench-"))
        try:
            started = time.perf_counter()
            run(folder)
            times.append(time.perf_counter() - started)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(times)


def measure(events: int, repeats: int) -> dict[str, Any]:
    dataset = generate(events, 7)
    graph = Graph()
    for triple in triples(dataset.nodes, dataset.relationships):
        graph.add(triple)
    document = ntriples_of(oxigraph_quads(graph)).encode("utf-8")

    def facts() -> CompiledFacts:  # a fresh one each run: no conversion is reused across runs
        return CompiledFacts(graph, {}, [], f"bench-{events}")

    def milcoop(folder: Path) -> None:
        compiled = facts()
        problems = shacl_problems(compiled)
        assert not problems, problems[:3]
        EmbeddedStore.replace_contents(folder, compiled)

    def write_only(folder: Path) -> None:
        EmbeddedStore.replace_contents(folder, facts())

    def bulk_load(folder: Path) -> None:
        store = ox.Store(str(folder / "store"))
        store.bulk_load(document, format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store

    seconds = {
        "milcoop": _median(milcoop, repeats),
        "write_only": _median(write_only, repeats),
        "bulk_load": _median(bulk_load, repeats),
    }
    count = len(graph)
    return {
        "events": events,
        "triples": count,
        "seconds": seconds,
        "triples_per_second": {name: count / s for name, s in seconds.items()},
        "share_of_bulk_load": {name: seconds["bulk_load"] / s for name, s in seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[2000, 10000, 20000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = []
    for events in args.events:
        row = measure(events, args.repeats)
        rows.append(row)
        rate, share = row["triples_per_second"], row["share_of_bulk_load"]
        print(
            f"{events:>7} events {row['triples']:>9} triples: milcoop {rate['milcoop']:>8.0f} triples/s "
            f"({share['milcoop']:.0%} of bulk_load), write only {rate['write_only']:>8.0f} "
            f"({share['write_only']:.0%}), bulk_load {rate['bulk_load']:>8.0f}",
            flush=True,
        )
    end = os.getloadavg()
    print(f"load average at end: {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "embedded_load.json").write_text(
        json.dumps({"load_average": [load, end], "runs": rows}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()

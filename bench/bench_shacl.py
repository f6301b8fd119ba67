"""The two SHACL engines on the same synthetic graphs: the Rust ``shacl`` package against pyshacl.

    .venv/bin/python -m bench.bench_shacl                         # 1,000, 4,000 and 10,000 events
    .venv/bin/python -m bench.bench_shacl --events 2000 --repeats 3

For each size, bench/synthetic.py's dataset (fictional states) as an rdflib graph, validated by
``milcoop.loaders.shacl.rust_violations`` (what a load runs by default, its N-Triples
serialisation of the graph included) and by ``pyshacl_violations`` (the reference), each the
median of ``--repeats`` runs (pyshacl once above ``--pyshacl-max`` events: it is the slow one).
Both must find the graph valid. Prints triples/s of each and the ratio, with the machine's load
average, and writes bench/results/shacl.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph

from bench.synthetic import generate, triples
from milcoop.loaders.shacl import Violation, pyshacl_violations, rust_violations

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _median_seconds(check: Callable[[Graph], list[Violation]], graph: Graph, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = check(graph)
        times.append(time.perf_counter() - started)
        assert found == [], found[:3]
    return statistics.median(times)


def measure(events: int, repeats: int, pyshacl_max: int) -> dict[str, Any]:
    dataset = generate(events, 7)
    graph = Graph()
    for triple in triples(dataset.nodes, dataset.relationships):
        graph.add(triple)
    rust = _median_seconds(rust_violations, graph, repeats)
    reference = _median_seconds(pyshacl_violations, graph, repeats if events <= pyshacl_max else 1)
    return {
        "events": events,
        "triples": len(graph),
        "rust_seconds": rust,
        "pyshacl_seconds": reference,
        "rust_triples_per_second": len(graph) / rust,
        "pyshacl_triples_per_second": len(graph) / reference,
        "speedup": reference / rust,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pyshacl-max", type=int, default=4000, help="above this, pyshacl runs once")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = []
    for events in args.events:
        row = measure(events, args.repeats, args.pyshacl_max)
        rows.append(row)
        print(
            f"{events:>7} events {row['triples']:>9} triples: rust {row['rust_seconds']:7.2f} s "
            f"({row['rust_triples_per_second']:>9.0f} triples/s), pyshacl {row['pyshacl_seconds']:7.2f} s "
            f"({row['pyshacl_triples_per_second']:>7.0f} triples/s), rust is {row['speedup']:.0f}x faster",
            flush=True,
        )
    end = os.getloadavg()
    print(f"load average at end: {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "shacl.json").write_text(
        json.dumps({"load_average": [load, end], "runs": rows}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()

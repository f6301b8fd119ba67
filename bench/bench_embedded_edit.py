"""Benchmark: what a reload costs the embedded store, unchanged and after an edit of 1 % of the events.

Run from the repository root (see bench/README.md)::

    .venv/bin/python -m bench.bench_embedded_edit --events 20000 100000 --repeats 3

On the synthetic dataset of :mod:`bench.synthetic` (fictional states), built as the rdflib graph
a compile hands a load, for each size:

1. a **first load** into an empty folder (``EmbeddedStore.replace_contents``, the whole store);
2. **unchanged**: the same triples again (a new ``CompiledFacts``, so they are converted and
   digested again), which must write nothing (without ``--force`` an unchanged ``milcoop load``
   stops before this, at a digest of the files);
3. **1 % edit**: the same triples with the name of ``--edit-share`` of the events changed, loaded
   **by digest** (the default: a copy of the previous store in which only the changed resources
   are rewritten) and **whole** (``verify``, ``milcoop load --force``: the only way before),
   alternately onto the original, so that every run changes the same number of resources.

Each figure is the median of ``--repeats`` runs, and the time includes everything the writer does
with compiled facts: the conversion to pyoxigraph terms, the digests, the plan and the write. The
conversion alone (to pyoxigraph terms and to N-Triples) is timed too: every reload pays it.
Compiling and validating the fact files, which ``milcoop load`` does first, are not in it
(bench/bench_embedded_load.py and bench/bench_shacl.py time those). Prints the machine's load
average; writes bench/results/embedded_edit.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from bench.synthetic import generate, triples
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.writer import LoadSummary
from milcoop.loaders.curated import CompiledFacts

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _graphs(events: int, share: float) -> tuple[Graph, Graph, int]:
    """The dataset, the same with the name of ``share`` of its events changed, and how many."""
    dataset = generate(events, 7)
    original = Graph()
    for triple in triples(dataset.nodes, dataset.relationships):
        original.add(triple)
    edited = Graph()
    for triple in original:
        edited.add(triple)
    named = sorted({s for s, _, _ in original.triples((None, SKOS.prefLabel, None)) if "/event/" in str(s)})
    chosen = named[:: max(1, round(1 / share))]
    for event in chosen:
        edited.set((event, SKOS.prefLabel, Literal(f"{original.value(event, SKOS.prefLabel)} (revised)")))
    return original, edited, len(chosen)


def _timed(folder: Path, graph: Graph, version: str, *, verify: bool = False) -> tuple[float, LoadSummary]:
    facts = CompiledFacts(graph, {}, [], version)  # fresh: nothing converted is reused across runs
    started = time.perf_counter()
    summary = EmbeddedStore.replace_contents(folder, facts, verify=verify)
    return time.perf_counter() - started, summary


def measure(events: int, repeats: int, share: float) -> dict[str, Any]:
    original, edited, changed = _graphs(events, share)
    folder = Path(tempfile.mkdtemp(prefix="milcoop-bench-edit-"))
    try:
        first, summary = _timed(folder, original, "original")
        print(f"  first load: {summary.triples} triples in {first:.1f} s", flush=True)
        unchanged = []
        for _ in range(repeats):
            seconds, again = _timed(folder, original, "original")
            assert again.unchanged, "an unchanged reload wrote the store"
            unchanged.append(seconds)
        runs: dict[str, list[float]] = {"by digest": [], "whole": []}
        versions = iter(range(10**6))
        for _ in range(repeats):
            for way in runs:
                seconds, done = _timed(folder, edited, f"edited-{next(versions)}", verify=way == "whole")
                assert done.method == ("by digest" if way == "by digest" else ""), done.method
                runs[way].append(seconds)
                # Back to the original, by digest, untimed: the next run changes as many resources.
                _timed(folder, original, f"original-{next(versions)}")
        converting = []
        for _ in range(repeats):  # what every reload spends before it compares a digest
            started = time.perf_counter()
            facts = CompiledFacts(edited, {}, [], "conversion only")
            facts.quads()
            facts.ntriples()
            converting.append(time.perf_counter() - started)
        result = {
            "events": events,
            "triples": summary.triples,
            "events_edited": changed,
            "first_load_s": first,
            "unchanged_s": statistics.median(unchanged),
            "edit_by_digest_s": statistics.median(runs["by digest"]),
            "edit_whole_s": statistics.median(runs["whole"]),
            "conversion_s": statistics.median(converting),
        }
        store = EmbeddedStore.open(folder)
        last = store.data_versions()[-1].seq
        result["changed_resources_last_edit"] = len(store.changes_after(last - 1))
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[20000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--edit-share", type=float, default=0.01)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    rows = []
    for events in args.events:
        print(f"{events} events", flush=True)
        row = measure(events, args.repeats, args.edit_share)
        rows.append(row)
        print(
            f"  {row['events_edited']} events renamed ({row['changed_resources_last_edit']} resources changed): "
            f"unchanged {row['unchanged_s']:.2f} s; edit by digest {row['edit_by_digest_s']:.2f} s, "
            f"whole {row['edit_whole_s']:.2f} s (ratio {row['edit_by_digest_s'] / row['edit_whole_s']:.2f}); "
            f"of each, turning the rdflib graph into pyoxigraph terms and N-Triples {row['conversion_s']:.2f} s",
            flush=True,
        )
    end = os.getloadavg()
    print(f"load average at end: {end[0]:.2f} {end[1]:.2f} {end[2]:.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "embedded_edit.json").write_text(
        json.dumps({"load_average": [load, end], "runs": rows}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()

"""Benchmark: what a reload costs the Neo4j writer, unchanged and after an edit of 1 % of the events.

Run from the repository root (see bench/README.md)::

    .venv/bin/python -m bench.bench_neo4j_edit --events 100000

On the synthetic dataset of :mod:`bench.synthetic`, with a Neo4j 5.26 dev server (heap ``--heap``,
2 GB by default) started here:

1. a first load into the empty database by the offline import
   (:func:`milcoop.graph.neo4j.writer.offline_first_load`), the baseline of this run;
2. **unchanged**: :func:`milcoop.graph.neo4j.writer.write_records` with the same records, which
   must change nothing (without ``--force`` an unchanged ``milcoop load`` stops before the writer,
   at a digest of the files; this is what the writer costs when it is asked anyway);
3. **1 % edit**: the same records with the name of ``--edit-share`` of the events changed, which
   must update exactly those nodes;

each both by digest (the default: the writer compares the digests the previous load recorded and
writes only the resources that changed) and with ``verify`` (it reads the whole graph back and
compares, ``milcoop load --force``; the only path before), in the same run. The records' digests
here are hashes of each node's labels, properties and outgoing relationships, which stand for the
hashes of each resource's triples that a real load computes while compiling (not timed here).

This times the Neo4j writer alone, on records: compiling and validating the fact files that a
real ``milcoop load`` does first are not in these figures (bench/bench_embedded_load.py and
bench/bench_shacl.py time those). Medians over ``--repeats``; results go to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from neo4j import GraphDatabase

from bench.bench_load import RESULTS_DIR, _server_peak_rss_mb
from bench.synthetic import DEFAULT_SEED, generate
from milcoop.graph.changes import Digest
from milcoop.graph.mapping import NodeRecord, RelationshipRecord
from milcoop.graph.neo4j.writer import Versioning, offline_first_load, write_records
from milcoop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def record_digests(nodes: Sequence[NodeRecord], relationships: Sequence[RelationshipRecord]) -> Versioning:
    """A digest per node over what its resource's triples map to (labels, properties, outgoing
    relationships)."""
    outgoing: dict[str, list[tuple[str, str]]] = {}
    for rel in relationships:
        outgoing.setdefault(rel.start, []).append((rel.type, rel.end))
    digests = {}
    for node in nodes:
        text = json.dumps([node.labels, sorted(node.properties.items()), sorted(outgoing.get(node.iri, ()))],
                          default=str, separators=(",", ":"))
        digests[node.iri] = Digest(node.labels[0], hashlib.sha256(text.encode()).hexdigest()[:32])
    return Versioning(digests, [], 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_neo4j_edit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--edit-share", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="1g")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    from tools.neo4j.neo4j_dev import DevNeo4j

    started_load = _load_average()
    dataset = generate(args.events, args.seed)
    events = [n for n in dataset.nodes if "CooperationEvent" in n.labels]
    step = max(1, round(1 / args.edit_share))
    chosen = {n.iri for n in events[::step]}
    edited = [
        NodeRecord(n.iri, n.labels, {**n.properties, "name": f"{n.properties.get('name', n.iri)} (revised)"})
        if n.iri in chosen
        else n
        for n in dataset.nodes
    ]
    original_digests = record_digests(dataset.nodes, dataset.relationships)
    edited_digests = record_digests(edited, dataset.relationships)
    print(f"{args.events:,} events, {len(dataset.nodes):,} nodes, {len(dataset.relationships):,} relationships; "
          f"editing {len(chosen):,} events; load average {started_load}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="milcoop-bench-edit-"))
    server = DevNeo4j(home=work / "neo4j", heap=args.heap, pagecache=args.pagecache)
    server.start()
    report: dict[str, Any] = {}
    try:
        settings = Settings.model_validate(
            {
                "data_dir": work / "data",
                "NEO4J_URI": server.uri,
                "neo4j_import_command": f"{ROOT / 'tools' / 'neo4j' / 'neo4j-dev'} import --home {work / 'neo4j'}",
                "neo4j_import_min_nodes": 0,
            }
        )
        with GraphDatabase.driver(server.uri, auth=None, notifications_min_severity="OFF") as driver:
            t0 = time.perf_counter()
            first = offline_first_load(
                driver, settings, dataset.nodes, dataset.relationships, data_version=dataset.version,
                history=original_digests,
            )
            first_seconds = time.perf_counter() - t0
            assert first is not None
        server.attach()
        print(f"  first load (offline import): {first_seconds:.1f} s; load average {_load_average()}", flush=True)
        runs: dict[str, list[float]] = {"unchanged": [], "edit": [], "unchanged_verify": [], "edit_verify": []}
        with GraphDatabase.driver(server.uri, auth=None, notifications_min_severity="OFF") as driver:

            def write(nodes: Sequence[NodeRecord], version: str, history: Versioning, verify: bool) -> Any:
                t0 = time.perf_counter()
                summary = write_records(driver, "neo4j", nodes, dataset.relationships, data_version=version,
                                        batch_size=args.batch_size, history=history, verify=verify)
                return summary, time.perf_counter() - t0

            for repeat in range(args.repeats):
                for verify in (False, True):
                    suffix = "_verify" if verify else ""
                    summary, took = write(dataset.nodes, dataset.version, original_digests, verify)
                    runs["unchanged" + suffix].append(took)
                    if (summary.nodes_created, summary.nodes_updated, summary.nodes_deleted,
                            summary.relationships_created, summary.relationships_deleted) != (0, 0, 0, 0, 0):
                        raise SystemExit(f"an unchanged reload changed the graph: {summary.describe()}")
                    summary, took = write(edited, f"{dataset.version}-edit{repeat}{suffix}", edited_digests, verify)
                    runs["edit" + suffix].append(took)
                    if summary.nodes_updated != len(chosen):
                        raise SystemExit(f"the edit updated {summary.nodes_updated} nodes, expected {len(chosen)}")
                    if verify == bool(summary.method):
                        raise SystemExit(f"the writer took the wrong path: {summary.describe()}")
                    # Back to the original for the next step (not timed).
                    write(dataset.nodes, dataset.version, original_digests, False)
                print(f"  round {repeat + 1}: by digest unchanged {runs['unchanged'][-1]:.1f} s, edit "
                      f"{runs['edit'][-1]:.1f} s; whole graph unchanged {runs['unchanged_verify'][-1]:.1f} s, edit "
                      f"{runs['edit_verify'][-1]:.1f} s; load average {_load_average()}", flush=True)
        report = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "load_average": [started_load, _load_average()],
            "settings": {k: str(v) for k, v in vars(args).items()},
            "nodes": len(dataset.nodes),
            "relationships": len(dataset.relationships),
            "edited_events": len(chosen),
            "first_load_offline_seconds": first_seconds,
            "seconds": runs,
            "medians": {key: statistics.median(values) for key, values in runs.items()},
            "server_peak_rss_mb": _server_peak_rss_mb(server.pid),
        }
    finally:
        if server.is_running() or server.attach():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    output = args.output or RESULTS_DIR / f"neo4j-edit-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    medians = report["medians"]
    print(f"\nmedians of {args.repeats}: by digest, unchanged {medians['unchanged']:.1f} s and 1 % edit "
          f"{medians['edit']:.1f} s; whole graph, unchanged {medians['unchanged_verify']:.1f} s and 1 % edit "
          f"{medians['edit_verify']:.1f} s (edit by digest / whole graph "
          f"{medians['edit'] / medians['edit_verify']:.2f}); first load {first_seconds:.1f} s; written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

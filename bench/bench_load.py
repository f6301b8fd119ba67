"""Benchmark: the batched Neo4j loader against a naive one-event-per-transaction loader.

Run from the repository root (see bench/README.md)::

    .venv/bin/python -m bench.bench_load                       # 100,000 events, own Neo4j
    .venv/bin/python -m bench.bench_load --events 20000 --naive-events 2000 --repeats 1

What it measures, on the synthetic dataset of :mod:`bench.synthetic`:

* **batched, empty database**: :func:`milcoop.graph.neo4j.writer.write_records` (the loader behind
  ``milcoop load``: one transaction, ``UNWIND`` batches) writing all N events into an empty
  graph; events/s = N / wall-clock seconds of the whole load, reference data, breaches and
  commit included;
* **batched, reload**: the same records again, which must change nothing;
* **naive**: each event with its claims, quantities and relationships in its own transaction,
  one ``MERGE`` per node and per relationship, over the first ``--naive-events`` events (the
  reference data is loaded beforehand and not timed, which flatters the naive loader);
* **batched, same subset**: the batched loader on exactly the naive loader's subset, for a
  like-for-like ratio.

Each figure is the median over ``--repeats`` runs (``--naive-repeats`` for the naive loader),
each on an emptied database, after one untimed warm-up load (Neo4j plans each distinct query
once; a cold server would bill that to the first run). It reports the peak RSS of this process
(which also holds the generated records: the RSS after generation is printed beside it) and the
server's peak RSS. Results are printed and written as JSON to bench/results/.

The server is a development Neo4j 5.26 started here on a free port (``tools.neo4j.neo4j_dev``), with
``--heap`` / ``--pagecache``: the single load transaction holds the whole dataset's state, so
the heap must fit it (about 4 GB for 100,000 events). ``--uri`` uses a running server instead;
the bench then empties that database, so it refuses unless the database is empty or
``--allow-wipe`` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from neo4j import Driver, GraphDatabase, ManagedTransaction

from bench.synthetic import DEFAULT_EVENTS, DEFAULT_SEED, SyntheticDataset, generate
from milcoop.graph.mapping import NodeRecord, RelationshipRecord
from milcoop.graph.neo4j.cypher.schema import ensure_schema
from milcoop.graph.neo4j.writer import write_records
from milcoop.graph.writer import LoadSummary
from milcoop.ontology.vocabulary import RESOURCE_LABEL, vocabulary

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# -- the naive loader ------------------------------------------------------------------------------
# What a first attempt looks like: per event, one transaction; per node and relationship, one
# MERGE. Labels and types still come from the allow-list only.

_NAIVE_NODE = "MERGE (n:Resource {{iri: $iri}}) SET n = $props, n:{labels}"
_NAIVE_REL = "MATCH (a:Resource {{iri: $start}}) MATCH (b:Resource {{iri: $end}}) MERGE (a)-[:{type}]->(b)"


def _naive_node_query(labels: Sequence[str]) -> str:
    allowed = vocabulary().all_labels
    names = [RESOURCE_LABEL, *labels]
    if not all(name in allowed for name in names):
        raise ValueError(f"labels {labels} are not in the allow-list")
    return _NAIVE_NODE.format(labels=":".join(names))


def _naive_rel_query(rel_type: str) -> str:
    if rel_type not in vocabulary().relationship_types:
        raise ValueError(f"relationship type {rel_type} is not in the allow-list")
    return _NAIVE_REL.format(type=rel_type)


def naive_load(driver: Driver, database: str, dataset: SyntheticDataset, events: int) -> float:
    """Load the first ``events`` events one transaction each; return the seconds taken."""

    def write_event(tx: ManagedTransaction, nodes: Sequence[NodeRecord], rels: Sequence[RelationshipRecord]) -> None:
        for node in nodes:
            tx.run(_naive_node_query(node.labels), iri=node.iri, props=node.properties).consume()  # type: ignore[arg-type]
        for rel in rels:
            tx.run(_naive_rel_query(rel.type), start=rel.start, end=rel.end).consume()  # type: ignore[arg-type]

    started = time.perf_counter()
    with driver.session(database=database) as session:
        for node_start, node_end, rel_start, rel_end in dataset.bundles[:events]:
            session.execute_write(
                write_event, dataset.nodes[node_start:node_end], dataset.relationships[rel_start:rel_end]
            )
    return time.perf_counter() - started


# -- helpers ------------------------------------------------------------------------------------------


def _subset(dataset: SyntheticDataset, events: int) -> tuple[list[NodeRecord], list[RelationshipRecord]]:
    """The reference data plus the first ``events`` events (no breaches)."""
    _, node_end, _, rel_end = dataset.bundles[events - 1]
    return dataset.nodes[:node_end], dataset.relationships[:rel_end]


def _reference(dataset: SyntheticDataset) -> tuple[list[NodeRecord], list[RelationshipRecord]]:
    return dataset.nodes[: dataset.reference_nodes], dataset.relationships[: dataset.reference_relationships]


def wipe(driver: Driver, database: str) -> None:
    """Empty the database in many small transactions (untimed)."""
    with driver.session(database=database) as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _server_peak_rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _rust_ext_active() -> bool:
    """Whether the driver encodes with neo4j-rust-ext (much less client CPU per batch)."""
    try:
        from neo4j._codec.packstream import v1
    except ImportError:  # pragma: no cover - driver internals moved
        return False
    return getattr(v1, "_rust_pack", None) is not None


def _median_run(
    label: str, repeats: int, prepare: Callable[[], None], run: Callable[[], float], events: int
) -> dict[str, Any]:
    seconds = []
    for i in range(repeats):
        prepare()
        took = run()
        seconds.append(took)
        print(f"  {label} run {i + 1}/{repeats}: {took:.1f} s, {events / took:,.0f} events/s", flush=True)
    median = statistics.median(seconds)
    return {"seconds": seconds, "median_seconds": median, "events": events, "events_per_second": events / median}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events in the dataset (%(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--naive-events", type=int, default=2_000, help="events the naive loader writes (%(default)s)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each batched figure (%(default)s)")
    parser.add_argument("--naive-repeats", type=int, default=3, help="runs of the naive figure (%(default)s)")
    parser.add_argument("--batch-size", type=int, default=10_000, help="rows per UNWIND batch (%(default)s)")
    parser.add_argument("--heap", default="6g", help="JVM heap of the server started here (%(default)s)")
    parser.add_argument("--pagecache", default="2g", help="page cache of the server started here (%(default)s)")
    parser.add_argument("--uri", default=os.environ.get("NEO4J_URI", ""), help="use this server (default: start one)")
    parser.add_argument("--database", default=os.environ.get("NEO4J_DATABASE", "neo4j"))
    parser.add_argument("--allow-wipe", action="store_true", help="let the bench empty a non-empty --uri database")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file (default: bench/results/)")
    args = parser.parse_args(argv)
    if args.naive_events > args.events:
        parser.error("--naive-events cannot exceed --events")
    logging.getLogger("neo4j").setLevel(logging.ERROR)

    print(f"generating {args.events:,} synthetic events (seed {args.seed}) ...", flush=True)
    started = time.perf_counter()
    dataset = generate(args.events, args.seed)
    generation_seconds = time.perf_counter() - started
    shape = dataset.shape()
    rss_after_generation = _rss_mb()
    print(
        f"  {shape['nodes']:,} nodes, {shape['relationships']:,} relationships in {generation_seconds:.1f} s "
        f"(process RSS {rss_after_generation:,.0f} MB)",
        flush=True,
    )

    server = None
    home = None
    if args.uri:
        uri = args.uri
    else:
        from tools.neo4j.neo4j_dev import DevNeo4j

        home = Path(tempfile.mkdtemp(prefix="milcoop-bench-load-"))
        server = DevNeo4j(home=home / "neo4j", heap=args.heap, pagecache=args.pagecache)
        print(f"starting Neo4j (heap {args.heap}, page cache {args.pagecache}) ...", flush=True)
        server.start()
        uri = server.uri
    database = args.database
    results: dict[str, Any] = {}
    try:
        with GraphDatabase.driver(
            uri,
            auth=(os.environ.get("NEO4J_USERNAME", "neo4j"), os.environ.get("NEO4J_PASSWORD", "bench")),
            notifications_min_severity="OFF",
        ) as driver:
            count = driver.execute_query("MATCH (n) RETURN count(n) AS c", database_=database).records[0]["c"]
            if server is None and count and not args.allow_wipe:
                print(f"{uri} database {database!r} holds {count} nodes; the bench would delete them. "
                      "Use an empty database or --allow-wipe.", file=sys.stderr)
                return 2
            wipe(driver, database)
            ensure_schema(driver, database)

            def load(nodes: Sequence[NodeRecord], rels: Sequence[RelationshipRecord], version: str) -> LoadSummary:
                return write_records(driver, database, nodes, rels, data_version=version, batch_size=args.batch_size)

            # Warm-up: plan every query once (a small dataset uses every label set and type), and
            # exercise the reload path too.
            warm = generate(min(500, args.events), args.seed + 1)
            load(warm.nodes, warm.relationships, "warm-up")
            load(warm.nodes, warm.relationships, "warm-up")
            wipe(driver, database)
            load(*_reference(warm), "warm-up")
            naive_load(driver, database, warm, min(200, warm.events))
            wipe(driver, database)

            print(f"batched loader, {args.events:,} events into an empty database (batch {args.batch_size:,}):",
                  flush=True)
            summaries: list[LoadSummary] = []

            def batched_run() -> float:
                t0 = time.perf_counter()
                summaries.append(load(dataset.nodes, dataset.relationships, dataset.version))
                return time.perf_counter() - t0

            reloads: list[LoadSummary] = []

            def reload_run() -> float:
                t0 = time.perf_counter()
                reloads.append(load(dataset.nodes, dataset.relationships, dataset.version))
                return time.perf_counter() - t0

            empty_runs: list[float] = []
            reload_runs: list[float] = []
            for i in range(args.repeats):
                wipe(driver, database)
                empty_runs.append(batched_run())
                print(f"  empty run {i + 1}/{args.repeats}: {empty_runs[-1]:.1f} s, "
                      f"{args.events / empty_runs[-1]:,.0f} events/s", flush=True)
                reload_runs.append(reload_run())
                print(f"  reload run {i + 1}/{args.repeats}: {reload_runs[-1]:.1f} s, "
                      f"{args.events / reload_runs[-1]:,.0f} events/s", flush=True)
            rss_after_batched = _rss_mb()
            first = summaries[0]
            if (first.nodes_created, first.relationships_created) != (shape["nodes"], shape["relationships"]):
                raise SystemExit(f"the batched load wrote {first.describe()}, expected {shape}")
            if any((r.nodes_created, r.nodes_updated, r.nodes_deleted, r.relationships_created,
                    r.relationships_deleted) != (0, 0, 0, 0, 0) for r in reloads):
                raise SystemExit("a reload of unchanged data changed the graph")
            results["batched_empty"] = {
                "seconds": empty_runs,
                "median_seconds": statistics.median(empty_runs),
                "events": args.events,
                "events_per_second": args.events / statistics.median(empty_runs),
                "summary": first.describe(),
            }
            results["batched_reload"] = {
                "seconds": reload_runs,
                "median_seconds": statistics.median(reload_runs),
                "events": args.events,
                "events_per_second": args.events / statistics.median(reload_runs),
                "summary": reloads[0].describe(),
            }

            subset_nodes, subset_rels = _subset(dataset, args.naive_events)
            reference_nodes, reference_rels = _reference(dataset)

            def prepare_reference() -> None:
                wipe(driver, database)
                load(reference_nodes, reference_rels, "reference")

            print(f"naive loader, first {args.naive_events:,} events, one transaction each:", flush=True)
            results["naive"] = _median_run(
                "naive",
                args.naive_repeats,
                prepare_reference,
                lambda: naive_load(driver, database, dataset, args.naive_events),
                args.naive_events,
            )
            naive_state = driver.execute_query(
                "MATCH (n:Resource) RETURN count(n) AS nodes, COUNT { MATCH (:Resource)-[]->(:Resource) } AS rels",
                database_=database,
            ).records[0]
            if (naive_state["nodes"], naive_state["rels"]) != (len(subset_nodes), len(subset_rels)):
                raise SystemExit(f"the naive loader wrote {dict(naive_state)}, expected "
                                 f"{len(subset_nodes)} nodes and {len(subset_rels)} relationships")

            print(f"batched loader, the same {args.naive_events:,} events:", flush=True)

            def subset_run() -> float:
                t0 = time.perf_counter()
                load(subset_nodes, subset_rels, "subset")
                return time.perf_counter() - t0

            results["batched_subset"] = _median_run(
                "batched subset", args.naive_repeats, lambda: wipe(driver, database), subset_run, args.naive_events
            )
            wipe(driver, database)
    finally:
        server_rss = _server_peak_rss_mb(server.pid if server is not None else None)
        if server is not None:
            server.stop()
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)

    batched = results["batched_empty"]["events_per_second"]
    naive = results["naive"]["events_per_second"]
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "neo4j_rust_ext": _rust_ext_active(),
        "settings": {
            "events": args.events,
            "seed": args.seed,
            "naive_events": args.naive_events,
            "repeats": args.repeats,
            "naive_repeats": args.naive_repeats,
            "batch_size": args.batch_size,
            "heap": None if args.uri else args.heap,
            "pagecache": None if args.uri else args.pagecache,
            "server": "given --uri" if args.uri else "tools.neo4j.neo4j_dev (Neo4j 5.26 Community)",
        },
        "dataset": shape,
        "generation_seconds": generation_seconds,
        "results": results,
        "ratio_batched_to_naive": batched / naive,
        "ratio_same_subset": results["batched_subset"]["events_per_second"] / naive,
        "peak_rss_mb": {
            "after_generation": rss_after_generation,
            "after_batched_loads": rss_after_batched,
            "loader_overhead": rss_after_batched - rss_after_generation,
            "server": server_rss,
        },
        "targets": {"batched_events_per_second": 10_000, "ratio": 20},
    }
    output = args.output or RESULTS_DIR / f"load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")

    print()
    print(f"dataset: {args.events:,} events, {shape['nodes']:,} nodes, {shape['relationships']:,} relationships "
          f"({shape['claims']:,} claims, {shape['quantities']:,} quantities, {shape['states']} states, "
          f"{shape['sources']} sources)")
    print(f"batched, empty db : {batched:>10,.0f} events/s  (median of {args.repeats}: "
          f"{results['batched_empty']['median_seconds']:.1f} s)")
    print(f"batched, reload   : {results['batched_reload']['events_per_second']:>10,.0f} events/s  "
          f"({results['batched_reload']['median_seconds']:.1f} s, nothing changed)")
    print(f"batched, subset   : {results['batched_subset']['events_per_second']:>10,.0f} events/s  "
          f"({args.naive_events:,} events)")
    print(f"naive             : {naive:>10,.0f} events/s  ({args.naive_events:,} events, median of "
          f"{args.naive_repeats})")
    print(f"ratio batched/naive: {report['ratio_batched_to_naive']:.1f}x (same subset: "
          f"{report['ratio_same_subset']:.1f}x); targets >= 10,000 events/s and >= 20x")
    print(f"peak RSS: this process {rss_after_batched:,.0f} MB ({rss_after_generation:,.0f} MB after generating "
          f"the records), server {server_rss or 0:,.0f} MB")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

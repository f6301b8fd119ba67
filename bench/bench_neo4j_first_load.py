"""Benchmark: a first load into an empty Neo4j, offline import against one transaction.

Run from the repository root (see bench/README.md)::

    .venv/bin/python -m bench.bench_neo4j_first_load --events 20000,100000
    .venv/bin/python -m bench.bench_neo4j_first_load --events 1000000 --transactional-max 0

For each size, on the synthetic dataset of :mod:`bench.synthetic`, with a fresh Neo4j 5.26 dev
server (``tools.neo4j.neo4j_dev``, heap ``--heap``, 2 GB by default) per run:

* **offline, end to end**: :func:`milcoop.graph.neo4j.writer.offline_first_load`, the path
  ``milcoop load`` takes into an empty database when ``MILCOOP_NEO4J_IMPORT_COMMAND`` is set:
  the checks, the CSV files, stopping Neo4j, ``neo4j-admin database import full`` into a staging
  home, the swap, starting Neo4j, the constraints and indexes, and the final count check;
* **neo4j-admin alone**: the importer's own seconds within that run (the baseline the issue
  names: Neo4j's offline import of the same graph);
* **one transaction**: :func:`milcoop.graph.neo4j.writer.write_records` on another fresh server
  with the same heap, for sizes up to ``--transactional-max`` (its heap need grows with the
  dataset; a failure is reported, not hidden).

Events/s = events / wall-clock seconds. Medians over ``--repeats`` runs. Neither path records
the history here (the synthetic records have no digests), so both write the same graph. Peak RSS
of this process and of each server are reported. Results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from bench.bench_load import RESULTS_DIR, _rss_mb, _server_peak_rss_mb
from bench.synthetic import DEFAULT_SEED, generate
from milcoop.graph.neo4j.cypher.schema import ensure_schema
from milcoop.graph.neo4j.writer import offline_first_load, write_records
from milcoop.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _offline_run(
    dataset: Any, work: Path, heap: str, pagecache: str, import_heap: str, import_memory: str
) -> dict[str, Any]:
    from tools.neo4j.neo4j_dev import DevNeo4j

    home = work / "offline-neo4j"
    server = DevNeo4j(home=home, heap=heap, pagecache=pagecache)
    server.start()
    try:
        command = (
            f"{ROOT / 'tools' / 'neo4j' / 'neo4j-dev'} import --home {home} "
            f"--import-heap {import_heap} --import-memory {import_memory}"
        )
        settings = Settings.model_validate(
            {
                "data_dir": work / "data",
                "NEO4J_URI": server.uri,
                "neo4j_import_command": command,
                "neo4j_import_min_nodes": 0,
                "neo4j_connect_timeout_seconds": 10.0,
            }
        )
        with GraphDatabase.driver(server.uri, auth=None, notifications_min_severity="OFF") as driver:
            started = time.perf_counter()
            summary = offline_first_load(
                driver, settings, dataset.nodes, dataset.relationships, data_version=dataset.version, history=None
            )
            seconds = time.perf_counter() - started
        if summary is None:
            raise SystemExit("the offline import was not used (database not empty, or a value refused)")
        server.attach()
        importer = json.loads((home / "last-import.json").read_text())["importer_seconds"]
        return {
            "seconds": seconds,
            "importer_seconds": importer,
            "phases": summary.phases,
            "server_peak_rss_mb": _server_peak_rss_mb(server.pid),
            "summary": summary.describe(),
        }
    finally:
        if server.is_running() or server.attach():
            server.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work / "data", ignore_errors=True)


def _transactional_run(dataset: Any, work: Path, heap: str, pagecache: str, batch_size: int) -> dict[str, Any]:
    from tools.neo4j.neo4j_dev import DevNeo4j

    home = work / "transactional-neo4j"
    server = DevNeo4j(home=home, heap=heap, pagecache=pagecache)
    server.start()
    try:
        with GraphDatabase.driver(server.uri, auth=None, notifications_min_severity="OFF") as driver:
            ensure_schema(driver, "neo4j")
            started = time.perf_counter()
            try:
                summary = write_records(
                    driver, "neo4j", dataset.nodes, dataset.relationships, data_version=dataset.version,
                    batch_size=batch_size,
                )
            except Exception as exc:  # reported: the heap a transaction needs grows with the dataset
                return {
                    "failed": f"{type(exc).__name__}: {str(exc)[:300]}",
                    "seconds": time.perf_counter() - started,
                    "server_peak_rss_mb": _server_peak_rss_mb(server.pid),
                }
            seconds = time.perf_counter() - started
        peak = _server_peak_rss_mb(server.pid)
        return {"seconds": seconds, "server_peak_rss_mb": peak, "summary": summary.describe()}
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if key in run and "failed" not in run]
    return statistics.median(values) if values else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_neo4j_first_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--events", default="20000,100000", help="comma-separated sizes (%(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--heap", default="2g", help="JVM heap of each server (%(default)s)")
    parser.add_argument("--pagecache", default="1g", help="page cache of each server (%(default)s)")
    parser.add_argument("--import-heap", default="1g", help="neo4j-admin's JVM heap (%(default)s)")
    parser.add_argument("--import-memory", default="2g", help="neo4j-admin's off-heap memory (%(default)s)")
    parser.add_argument("--transactional-max", type=int, default=100_000,
                        help="largest size the one-transaction load also runs at (%(default)s; 0: never)")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    sizes = [int(part) for part in args.events.split(",") if part.strip()]
    report: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average_start": _load_average(),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "sizes": {},
    }
    for events in sizes:
        print(f"generating {events:,} synthetic events ...", flush=True)
        t0 = time.perf_counter()
        dataset = generate(events, args.seed)
        shape = dataset.shape()
        took = time.perf_counter() - t0
        print(f"  {shape['nodes']:,} nodes, {shape['relationships']:,} relationships in {took:.1f} s;"
              f" load average {_load_average()}", flush=True)
        work = Path(tempfile.mkdtemp(prefix="milcoop-bench-first-load-"))
        entry: dict[str, Any] = {"nodes": shape["nodes"], "relationships": shape["relationships"], "offline": [],
                                 "transactional": []}
        try:
            for repeat in range(args.repeats):
                run = _offline_run(dataset, work, args.heap, args.pagecache, args.import_heap, args.import_memory)
                entry["offline"].append(run)
                print(f"  offline run {repeat + 1}: {run['seconds']:.1f} s end to end ({events / run['seconds']:,.0f}"
                      f" events/s), neo4j-admin {run['importer_seconds']:.1f} s, phases {run['phases']}; load average"
                      f" {_load_average()}", flush=True)
                if events <= args.transactional_max:
                    run = _transactional_run(dataset, work, args.heap, args.pagecache, args.batch_size)
                    entry["transactional"].append(run)
                    said = run.get("failed") or f"{events / run['seconds']:,.0f} events/s"
                    print(f"  transactional run {repeat + 1}: {run['seconds']:.1f} s, {said}; load average"
                          f" {_load_average()}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        offline_s = _median(entry["offline"], "seconds")
        admin_s = _median(entry["offline"], "importer_seconds")
        tx_s = _median(entry["transactional"], "seconds")
        entry["medians"] = {
            "offline_seconds": offline_s,
            "offline_events_per_second": events / offline_s if offline_s else None,
            "neo4j_admin_seconds": admin_s,
            "neo4j_admin_events_per_second": events / admin_s if admin_s else None,
            "transactional_seconds": tx_s,
            "transactional_events_per_second": events / tx_s if tx_s else None,
            "offline_share_of_neo4j_admin_rate": (admin_s / offline_s) if offline_s and admin_s else None,
        }
        entry["process_peak_rss_mb"] = _rss_mb()
        report["sizes"][str(events)] = entry
        del dataset
    report["load_average_end"] = _load_average()
    output = args.output or RESULTS_DIR / f"neo4j-first-load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"load average {report['load_average_start']} -> {report['load_average_end']}")
    print("events     | offline end to end | neo4j-admin alone | offline/admin rate | one transaction")
    for events, entry in report["sizes"].items():
        m = entry["medians"]
        tx = (f"{m['transactional_events_per_second']:,.0f} ev/s" if m["transactional_events_per_second"]
              else (entry["transactional"][0].get("failed", "not run")[:60] if entry["transactional"] else "not run"))
        print(f"{int(events):>10,} | {m['offline_events_per_second']:>11,.0f} ev/s"
              f" | {m['neo4j_admin_events_per_second']:>10,.0f} ev/s"
              f" | {m['offline_share_of_neo4j_admin_rate']:>17.0%} | {tx}")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""HTTP benchmark of the API on the synthetic dataset (100,000 events by default), for both stores.

For each store (embedded pyoxigraph, Neo4j) the script runs the API in its own uvicorn process
and sends it a fixed, seeded mix of requests from a fixed number of concurrent clients (httpx,
one client per thread): flows, relations, treaties and paths, plus a baseline (``/docs``: no
store at all, so the ratio shows what the store adds over HTTP and FastAPI). Each endpoint runs
``--rounds`` times; the report gives the median over rounds of p50, p95 and p99 latency and of
throughput, and each p50 as a ratio to the baseline's. Targets: flows p50 <= 20 ms and
p99 <= 100 ms on both stores. ``--workers 1,2`` runs each store with 1, then 2 API worker
processes, as ``milcoop serve --workers`` runs them, and prints the ratios.

It also prints Neo4j's ``PROFILE`` of the flows query for a busy actor, and checks that the plan
seeks the actor by index and expands from it, with no AllNodesScan and no NodeByLabelScan.

Data: bench/synthetic.py's dataset, written to the embedded store through graph/mapping.py's
``node_triples`` (``EmbeddedStore.replace_with_triples``) and to Neo4j by the loader's
``write_records``. Both are kept under ``--workdir`` and reused when they hold the same
dataset (``--reload`` forces a new load). Neo4j is the server at ``NEO4J_URI`` if set (its
database is replaced!), otherwise a dev server started from tools/neo4j for the run.

    python -m bench.bench_api                     # 100,000 events, both stores
    python -m bench.bench_api --events 10000 --stores embedded
    python -m bench.bench_api --events 2000 --stores embedded --workers 1,2   # 1 against 2 API workers
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The generator's state codes and partner skew (_state_codes, _zipf_cumulative): requests ask
# about states as often as the data mentions them, so the busiest states are asked about most.
from bench.synthetic import (
    DEFAULT_SEED,
    DEFAULT_STATES,
    SyntheticDataset,
    _state_codes,
    _zipf_cumulative,
    generate,
    triples,
)
from milcoop.graph.embedded.files import EmbeddedStore
from milcoop.graph.writer import SilentProgress

logging.getLogger("neo4j").setLevel(logging.ERROR)  # "label does not exist" and the like

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/milcoop/id/"
TARGETS = {"flows": (20.0, 100.0)}  # endpoint -> (p50 ms, p99 ms)
BASELINE = "baseline"


# -- data -------------------------------------------------------------------------------------------


class Data:
    """The synthetic dataset, generated on first use only (reused stores do not need it)."""

    def __init__(self, events: int, seed: int) -> None:
        self.events = events
        self.seed = seed
        self._dataset: SyntheticDataset | None = None

    @property
    def version(self) -> str:
        return f"synthetic-{self.events}-{self.seed}"

    @property
    def dataset(self) -> SyntheticDataset:
        if self._dataset is None:
            started = time.perf_counter()
            self._dataset = generate(self.events, self.seed)
            print(f"generated {self.events} events: {len(self._dataset.nodes)} nodes, "
                  f"{len(self._dataset.relationships)} relationships in {time.perf_counter() - started:.0f} s")
        return self._dataset


def prepare_embedded(data: Data, data_dir: Path, reload: bool) -> None:
    if not reload and EmbeddedStore.exists(data_dir) and EmbeddedStore.open(data_dir).info.data_version == data.version:
        print(f"embedded store in {data_dir}: reusing {data.version}")
        return
    dataset = data.dataset
    started = time.perf_counter()
    summary = EmbeddedStore.replace_with_triples(
        data_dir, triples(dataset.nodes, dataset.relationships), 0, data.version, SilentProgress()
    )
    print(f"embedded store: {summary.triples} triples written in {time.perf_counter() - started:.0f} s")


def prepare_event_index(data_dir: Path) -> None:
    from milcoop.graph.embedded.store import EmbeddedGraphStore

    store = EmbeddedGraphStore.open(data_dir)
    started = time.perf_counter()
    existed = store.event_index_file.is_file()
    store.event_index()
    print(f"embedded event index {'read' if existed else 'built'} in {time.perf_counter() - started:.0f} s")


def prepare_neo4j(data: Data, uri: str, reload: bool) -> None:
    from neo4j import GraphDatabase

    from milcoop.graph.neo4j.cypher.load import DATASET_NAME, READ_DATASET
    from milcoop.graph.neo4j.cypher.schema import ensure_schema
    from milcoop.graph.neo4j.writer import write_records

    with GraphDatabase.driver(uri, auth=("neo4j", os.environ.get("NEO4J_PASSWORD", "bench"))) as driver:
        records, _, _ = driver.execute_query(READ_DATASET, name=DATASET_NAME)
        if not reload and records and records[0]["version"] == data.version:
            print(f"neo4j at {uri}: reusing {data.version}")
            return
        dataset = data.dataset
        ensure_schema(driver, "neo4j")
        started = time.perf_counter()
        summary = write_records(
            driver, "neo4j", dataset.nodes, dataset.relationships, data_version=data.version, batch_size=5_000
        )
        print(f"neo4j: {summary.describe()} (write {time.perf_counter() - started:.0f} s)")


@contextmanager
def neo4j_server(workdir: Path, heap: str, pagecache: str) -> Iterator[str]:
    given = os.environ.get("NEO4J_URI", "").strip()
    if given:
        yield given
        return
    from tools.neo4j.neo4j_dev import DevNeo4j, free_port

    server = DevNeo4j(port=free_port(), home=workdir / "neo4j", heap=heap, pagecache=pagecache)
    server.start()
    print(f"started Neo4j at {server.uri} (heap {heap}, page cache {pagecache})")
    try:
        yield server.uri
    finally:
        server.stop()


# -- the request mix -----------------------------------------------------------------------------------


def request_mix(kind: str, count: int, seed: int, limit: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` requests of one endpoint (the same for every store, given the seed)."""
    rng = random.Random(f"{kind}-{seed}")
    codes = _state_codes(DEFAULT_STATES)
    weights = _zipf_cumulative(DEFAULT_STATES)

    def state() -> str:
        return rng.choices(codes, cum_weights=weights)[0]

    def pair() -> tuple[str, str]:
        a = state()
        b = a
        while b == a:
            b = state()
        return a, b

    requests: list[tuple[str, dict[str, Any]]] = []
    for _ in range(count):
        if kind == BASELINE:
            requests.append(("/docs", {}))
        elif kind == "flows":
            source, target = pair()
            params: dict[str, Any] = {"from": source, "limit": limit}
            if rng.random() < 0.7:
                params["to"] = target
            if rng.random() < 0.5:
                year = rng.randint(1995, 2025)
                params["since"] = f"{year}-01-01"
                if rng.random() < 0.5:
                    params["until"] = f"{year + rng.randint(0, 5)}-12-31"
            requests.append(("/v1/flows", params))
        elif kind == "relations":
            a, b = pair()
            requests.append(("/v1/relations", {"a": a, "b": b, "limit": limit}))
        elif kind == "treaties":
            params = {"party": state()}
            if rng.random() < 0.5:
                params["in_force_on"] = f"{rng.randint(1995, 2025)}-{rng.randint(1, 12):02d}-15"
            requests.append(("/v1/treaties", params))
        elif kind == "paths":
            a, b = pair()
            requests.append(("/v1/paths", {"from": a, "to": b, "max_hops": 4, "limit": 10}))
        else:
            raise ValueError(kind)
    return requests


# -- running the API and the clients -------------------------------------------------------------------


@contextmanager
def api_server(
    store: str, data_dir: Path, neo4j_uri: str, workers: int = 1, supervised: bool = False
) -> Iterator[str]:
    from tools.neo4j.neo4j_dev import free_port

    port = free_port()
    env = {
        **os.environ,
        "MILCOOP_DATA_DIR": str(data_dir),
        "NEO4J_URI": neo4j_uri if store == "neo4j" else "",
        "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", "bench"),
    }
    if supervised:
        # As `milcoop serve --workers N` runs them: uvicorn's supervisor and N worker processes, on a
        # socket whose connections get TCP_NODELAY (uvicorn's own `--workers` leaves Nagle's
        # algorithm on, which costs about 40 ms per keep-alive request: milcoop/cli.py).
        command = [sys.executable, "-c", "import sys; from milcoop.cli import _serve_workers; "
                   "_serve_workers(int(sys.argv[1]), '127.0.0.1', int(sys.argv[2]), log_level='warning', "
                   "access_log=False)", str(workers), str(port)]
    else:
        command = [sys.executable, "-m", "uvicorn", "milcoop.api.app:create_app", "--factory", "--host", "127.0.0.1",
                   "--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {store} API did not come up")
            time.sleep(0.5)
        # The embedded store reads (or builds) its event index in the background at start; wait
        # for it with one request so that it does not land in the measurements.
        httpx.get(f"{base}/v1/flows", params={"from": _state_codes(1)[0], "limit": 1}, timeout=600)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Round:
    latencies_ms: list[float]
    seconds: float
    errors: int

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds


def run_round(base: str, requests: Sequence[tuple[str, dict[str, Any]]], clients: int) -> Round:
    local = threading.local()
    latencies: list[float] = [0.0] * len(requests)
    errors = [0]
    lock = threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=120)
        return local.client  # type: ignore[no-any-return]

    def one(index: int) -> None:
        path, params = requests[index]
        started = time.perf_counter()
        response = client().get(path, params=params)
        response.read()
        latencies[index] = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            with lock:
                errors[0] += 1
                if errors[0] <= 3:
                    print(f"  {response.status_code} for {path} {params}: {response.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(len(requests))))
    return Round(latencies, time.perf_counter() - started, errors[0])


def measure(
    base: str, kinds: dict[str, int], rounds: int, clients: int, seed: int, limit: int
) -> dict[str, dict[str, Any]]:
    """Each endpoint: a warm-up, then ``rounds`` rounds, each with its own seeded requests (so
    caches help only as far as busy states recur, as they would in use)."""
    results: dict[str, dict[str, Any]] = {}
    for kind, count in kinds.items():
        run_round(base, request_mix(kind, max(clients * 2, count // 10), seed - 1, limit), clients)
        done = [run_round(base, request_mix(kind, count, seed + r, limit), clients) for r in range(rounds)]
        results[kind] = {
            "requests": count,
            "p50_ms": statistics.median(r.percentile(50) for r in done),
            "p95_ms": statistics.median(r.percentile(95) for r in done),
            "p99_ms": statistics.median(r.percentile(99) for r in done),
            "throughput_rps": statistics.median(r.throughput for r in done),
            "errors": sum(r.errors for r in done),
            "rounds": [
                {"p50_ms": r.percentile(50), "p95_ms": r.percentile(95), "p99_ms": r.percentile(99),
                 "throughput_rps": r.throughput}
                for r in done
            ],
        }
        row = results[kind]
        per_round = " ".join(f"{r['p50_ms']:.0f}" for r in row["rounds"])
        print(f"  {kind:10} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms"
              f"  {row['throughput_rps']:6.1f} req/s  errors {int(row['errors'])}  (p50 per round: {per_round})")
    return results


# -- PROFILE ----------------------------------------------------------------------------------------------


def profile_flows(uri: str, source_code: str, target_code: str) -> list[str]:
    """Print the PROFILE of both forms of the flows query (anchored on the source, and on the
    target when it is the less busy actor) for busy actors; return the operator names."""
    from neo4j import GraphDatabase

    from milcoop.graph.neo4j.cypher.queries import EVENTS_FROM, EVENTS_TO_FROM
    from milcoop.ontology.kinds import TO_TYPES

    parameters: dict[str, Any] = {
        "labels": ["MaterielTransfer", "SupportRequest", "TechnologyTransfer", "TroopDeployment"],
        "source": f"{ID}state/{source_code}", "target": None, "toTypes": list(TO_TYPES),
        "since": dt.date(2015, 1, 1), "until": None, "includeUndated": True, "claimFilter": False,
        "status": None, "maxReliability": None, "maxCredibility": None, "after": None, "limit": 51,
    }
    names: list[str] = []

    def walk(plan: dict[str, Any], depth: int) -> None:
        name = str(plan["operatorType"]).split("@")[0]
        names.append(name)
        details = str(plan.get("args", {}).get("Details", "")).replace("\n", " ")
        print(f"  {'  ' * depth}{name:24} rows {plan.get('rows', 0):>7}  db hits {plan.get('dbHits', 0):>8}  "
              f"{details[:100]}")
        for child in plan.get("children", []):
            walk(child, depth + 1)

    with GraphDatabase.driver(uri, auth=("neo4j", "bench")) as driver, driver.session() as session:
        for title, query, extra in (
            (f"from {source_code}, since 2015-01-01", EVENTS_FROM, {}),
            (f"from {source_code} to {target_code}, anchored on the target", EVENTS_TO_FROM,
             {"target": f"{ID}state/{target_code}"}),
        ):
            profile = session.run("PROFILE " + query, {**parameters, **extra}).consume().profile
            assert profile is not None
            print(f"PROFILE of the flows query ({title}):")
            walk(profile, 0)
    scans = [n for n in names if n in ("AllNodesScan", "NodeByLabelScan")]
    print(f"  full scans: {scans or 'none'}; index seeks: {names.count('NodeUniqueIndexSeek')}")
    return names


# -- main ---------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--stores", default="embedded,neo4j")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".milcoop" / "bench-api")
    parser.add_argument("--reload", action="store_true", help="load the stores even if they hold the dataset")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--limit", type=int, default=50, help="page size of flows and relations requests")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flows", type=int, default=400, help="requests per round")
    parser.add_argument("--relations", type=int, default=200)
    parser.add_argument("--treaties", type=int, default=200)
    parser.add_argument("--paths", type=int, default=100, help="0 leaves an endpoint out")
    parser.add_argument("--workers", default="1",
                        help="API worker processes, or a comma-separated list to compare (e.g. 1,2)")
    parser.add_argument("--prepare-only", action="store_true", help="load the stores, then stop")
    parser.add_argument("--neo4j-heap", default="4g")
    parser.add_argument("--neo4j-pagecache", default="1g")
    args = parser.parse_args(argv)
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    data = Data(args.events, args.seed)
    args.workdir.mkdir(parents=True, exist_ok=True)
    embedded_dir = args.workdir / f"embedded-{data.version}"
    kinds = {BASELINE: args.flows, "flows": args.flows, "relations": args.relations,
             "treaties": args.treaties, "paths": args.paths}
    kinds = {kind: count for kind, count in kinds.items() if count > 0}
    report: dict[str, Any] = {
        "events": args.events, "seed": args.seed, "clients": args.clients, "rounds": args.rounds, "limit": args.limit,
        "cpus": os.cpu_count(), "stores": {},
    }
    # The embedded copy is needed by both runs' apps only for the embedded store; Neo4j's API reads Neo4j.
    with neo4j_server(args.workdir, args.neo4j_heap, args.neo4j_pagecache) if "neo4j" in stores else _none() as uri:
        if "embedded" in stores:
            prepare_embedded(data, embedded_dir, args.reload)
            prepare_event_index(embedded_dir)
        if "neo4j" in stores:
            assert uri is not None
            prepare_neo4j(data, uri, args.reload)
        data._dataset = None  # free the records before the servers start
        if args.prepare_only:
            return 0
        for store in stores:
            for workers in worker_counts:
                # One name per store and worker count: "embedded", or "embedded/2w" when comparing.
                name = store if worker_counts == [1] else f"{store}/{workers}w"
                load_before = os.getloadavg()[0]
                print(f"{store} store, {workers} API worker{'s' if workers > 1 else ''}, {args.clients} concurrent "
                      f"clients, median of {args.rounds} rounds (load average {load_before:.1f} on "
                      f"{os.cpu_count()} CPUs):")
                data_dir = embedded_dir if store == "embedded" else args.workdir / "neo4j-api-data"
                # Compared worker counts all run under the same supervisor, one worker included.
                with api_server(store, data_dir, uri or "", workers, supervised=worker_counts != [1]) as base:
                    results = measure(base, kinds, args.rounds, args.clients, args.seed, args.limit)
                baseline = results[BASELINE]["p50_ms"] if BASELINE in results else 0.0
                for row in results.values():
                    row["p50_vs_baseline"] = row["p50_ms"] / baseline if baseline else float("nan")
                report["stores"][name] = results
                report.setdefault("load_average", {})[name] = [load_before, os.getloadavg()[0]]
                print(f"  load average after: {os.getloadavg()[0]:.1f}")
        if "neo4j" in stores:
            assert uri is not None
            codes = _state_codes(DEFAULT_STATES)
            names = profile_flows(uri, codes[0], codes[1])
            report["neo4j_flows_plan"] = names
    print()
    print(f"{'store':9} {'endpoint':10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7} {'p50/base':>9}  target")
    failed = False
    for store, results in report["stores"].items():
        for kind, row in results.items():
            target = TARGETS.get(kind)
            verdict = ""
            if target:
                ok = row["p50_ms"] <= target[0] and row["p99_ms"] <= target[1]
                failed |= not ok
                verdict = f"p50<={target[0]:.0f} p99<={target[1]:.0f}: {'met' if ok else 'MISSED'}"
            print(f"{store:9} {kind:10} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['p99_ms']:8.1f} "
                  f"{row['throughput_rps']:7.1f} {row['p50_vs_baseline']:9.1f}  {verdict}")
    if len(worker_counts) > 1:
        first = worker_counts[0]
        print(f"\nworkers compared with {first}: ratio of throughput, and of p50 and p99 latency")
        for store in stores:
            base_results = report["stores"][f"{store}/{first}w"]
            for workers in worker_counts[1:]:
                results = report["stores"][f"{store}/{workers}w"]
                for kind, row in results.items():
                    ref = base_results[kind]
                    ratios = {
                        "throughput": row["throughput_rps"] / ref["throughput_rps"],
                        "p50": row["p50_ms"] / ref["p50_ms"],
                        "p99": row["p99_ms"] / ref["p99_ms"],
                    }
                    report.setdefault("worker_ratios", {}).setdefault(f"{store}/{workers}w", {})[kind] = ratios
                    print(f"{store:9} {workers}w/{first}w {kind:10} throughput x{ratios['throughput']:.2f}  "
                          f"p50 x{ratios['p50']:.2f}  p99 x{ratios['p99']:.2f}")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"bench_api-{data.version}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"results: {out}")
    return 1 if failed else 0


@contextmanager
def _none() -> Iterator[str | None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())

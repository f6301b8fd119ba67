"""The site's pages against the JSON they show: a page's HTML should answer within 2x the JSON
endpoint's time at p50 (issue: "Pages people look at"), on the synthetic dataset (100,000 events
by default), embedded store.

The same seeded flows requests as bench/bench_api.py go to ``/v1/flows`` and to the page
``/flows`` with the same parameters, from a bounded number of clients: each round's requests are
sent once to warm the service's caches, then to each endpoint, in an order alternating by round.
The report gives the median over rounds of each p50 and p95, and the ratio page/JSON at p50.

    python -m bench.bench_site                    # 100,000 events
    python -m bench.bench_site --events 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.bench_api import ROOT, Data, api_server, prepare_embedded, prepare_event_index, request_mix, run_round
from bench.synthetic import DEFAULT_EVENTS, DEFAULT_SEED

#: A page's p50 may be at most this many times the JSON endpoint's.
TARGET_RATIO = 2.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--requests", type=int, default=200, help="requests per round and endpoint")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--limit", type=int, default=50, help="events per page (the API's default)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "results" / "work")
    parser.add_argument("--reload", action="store_true", help="rebuild the store even if it holds the dataset")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    data = Data(args.events, args.seed)
    data_dir = args.workdir / "embedded"
    prepare_embedded(data, data_dir, args.reload)
    prepare_event_index(data_dir)
    results: dict[str, dict[str, list[float]]] = {"json": {"p50": [], "p95": []}, "page": {"p50": [], "p95": []}}
    with api_server("embedded", data_dir, "") as base:
        warm = request_mix("flows", args.requests // 4 or 1, args.seed - 1, args.limit)
        run_round(base, warm, args.clients)
        run_round(base, [("/flows", params) for _, params in warm], args.clients)
        for number in range(args.rounds):
            requests = request_mix("flows", args.requests, args.seed + number, args.limit)
            # Both answers come from the service's caches once a request has been seen, so each
            # round's requests are sent once unmeasured first; then the two are measured warm, in
            # an order that alternates by round, and the ratio is what the page adds.
            run_round(base, requests, args.clients)
            order = (("json", "/v1/flows"), ("page", "/flows"))
            for name, path in order if number % 2 == 0 else order[::-1]:
                result = run_round(base, [(path, params) for _, params in requests], args.clients)
                if result.errors:
                    print(f"{name}: {result.errors} errors", file=sys.stderr)
                    return 1
                results[name]["p50"].append(result.percentile(50))
                results[name]["p95"].append(result.percentile(95))
    summary = {name: {key: statistics.median(values) for key, values in row.items()} for name, row in results.items()}
    ratio = summary["page"]["p50"] / summary["json"]["p50"]
    print(f"{args.events} events, {args.rounds} rounds of {args.requests} requests, {args.clients} clients")
    for name, label in (("json", "/v1/flows"), ("page", "/flows (HTML)")):
        print(f"  {label:15} p50 {summary[name]['p50']:7.1f} ms   p95 {summary[name]['p95']:7.1f} ms")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"  page/JSON at p50: {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"events": args.events, "summary": summary, "ratio": ratio}, indent=2))
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())

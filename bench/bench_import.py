"""The register import: a made-up SIPRI trade register of realistic size into both stores.

    .venv/bin/python -m bench.bench_import                     # 40,000 rows, embedded and Neo4j
    .venv/bin/python -m bench.bench_import --rows 5000 --no-neo4j

Writes the register with :mod:`bench.synthetic_sipri` (every row made up, between fictional
states), then measures, each import in a fresh child process (so that its peak RSS is its own):

* **csv baseline**: Python's ``csv`` module reading every row of the same file (median of 3): the
  floor any importer of this file stands on; rows/s of each import are reported beside it;
* **embedded, first**: ``milcoop import sipri`` into an empty embedded store, validation included,
  with its phases (read and map the rows, compile, SHACL, write);
* **embedded, again**: the same release again (nothing changes);
* **neo4j, first / again**: the same with ``--backend neo4j`` (Neo4j from tools/neo4j, started
  here on a free port, and its embedded copy).

Targets (issue 10): first import at most 30 s embedded and 60 s Neo4j, a re-import at most half
the first, peak RSS under 1 GB. Results are printed and written to bench/results/import.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def csv_baseline(path: Path) -> float:
    """Seconds for ``csv`` to read every row of ``path`` (decode included)."""
    started = time.perf_counter()
    text = path.read_bytes().decode("utf-8-sig")
    rows = sum(1 for _ in csv.reader(io.StringIO(text, newline="")))
    assert rows > 0
    return time.perf_counter() - started


def child(args: argparse.Namespace) -> None:
    """One import, timed by phase; prints one JSON line."""
    from milcoop.graph.partitions import register_partition
    from milcoop.graph.store import held_record
    from milcoop.loaders.curated import compile_documents, reference_dir
    from milcoop.loaders.load import load_compiled
    from milcoop.loaders.registers import input_digest, read_rows
    from milcoop.loaders.shacl import shacl_problems
    from milcoop.settings import Settings

    # The steps of milcoop.loaders.registers.import_register, timed one by one.
    settings = Settings.model_validate({"data_dir": args.data_dir, "NEO4J_URI": os.environ.get("NEO4J_URI", "")})
    phases: dict[str, float] = {}
    reference = [reference_dir(), args.reference]
    started = time.perf_counter()
    # First the input digest, as import_register does: an unchanged re-import stops here.
    inputs = input_digest("sipri", args.file, reference=reference)
    record = held_record(settings, args.backend, register_partition("sipri"))
    phases["compare_inputs"] = time.perf_counter() - started
    if record is not None and record.inputs == inputs:
        total = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # No row was read; the parent counts the register's rows for rows/s.
        print(json.dumps({"seconds": total, "phases": phases, "peak_rss_mb": peak_mb, "rows": 0, "unchanged": True}))
        return
    mark = time.perf_counter()
    read = read_rows("sipri", args.file, reference=reference)
    phases["read_and_map"] = time.perf_counter() - mark
    mark = time.perf_counter()
    compiled = compile_documents(
        [read.document],
        version=read.version,
        partition=register_partition("sipri"),
        files=read.files,
        release=read.release.to_dict(),
        reference=read.reference_files,
        shacl=False,
        inputs=inputs,
    )
    phases["compile"] = time.perf_counter() - mark
    mark = time.perf_counter()
    problems = shacl_problems(compiled)
    assert not problems, problems[:3]
    phases["shacl"] = time.perf_counter() - mark
    mark = time.perf_counter()
    summaries = load_compiled(compiled, args.backend, settings, allow_removals=True)
    phases["write"] = time.perf_counter() - mark
    total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": total,
                "phases": phases,
                "peak_rss_mb": peak_mb,
                "rows": read.rows,
                "triples": len(compiled.graph),
                "summaries": [s.describe() for s in summaries],
            }
        )
    )


def run_child(
    file: Path, reference: Path, data_dir: Path, backend: str, env: dict[str, str], rows: int
) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.bench_import", "--child", "--backend", backend,
        "--file", str(file), "--reference", str(reference), "--data-dir", str(data_dir),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"the {backend} import failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rows"] = result["rows"] or rows
    return result


def describe(name: str, result: dict[str, Any], baseline_rps: float) -> str:
    rps = result["rows"] / result["seconds"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in result["phases"].items())
    return (
        f"{name:<16} {result['seconds']:7.1f} s  {rps:7.0f} rows/s ({rps / baseline_rps:.4f} of csv)  "
        f"peak {result['peak_rss_mb']:6.0f} MB  [{phases}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--no-neo4j", action="store_true", help="measure the embedded store only")
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="1g")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="embedded", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from bench.synthetic_sipri import write

    results: dict[str, Any] = {"rows": args.rows}
    with tempfile.TemporaryDirectory(prefix="milcoop-bench-import-") as tmp:
        root = Path(tmp)
        file, reference = write(root / "register", args.rows)
        baseline = statistics.median(csv_baseline(file) for _ in range(3))
        baseline_rps = args.rows / baseline
        results["csv_baseline_seconds"] = baseline
        print(f"{args.rows} rows; csv baseline {baseline:.3f} s ({baseline_rps:,.0f} rows/s)", flush=True)
        env = {**os.environ, "NEO4J_URI": ""}
        for label in ("first", "again"):
            result = run_child(file, reference, root / "embedded", "embedded", env, args.rows)
            results[f"embedded_{label}"] = result
            print(describe(f"embedded, {label}", result, baseline_rps), flush=True)
        if not args.no_neo4j:
            from tools.neo4j.neo4j_dev import DevNeo4j, free_port

            server = DevNeo4j(port=free_port(), home=root / "neo4j", heap=args.heap, pagecache=args.pagecache)
            print(f"starting Neo4j (heap {args.heap}, page cache {args.pagecache}) ...", flush=True)
            server.start()
            try:
                env = {**os.environ, "NEO4J_URI": server.uri}
                for label in ("first", "again"):
                    result = run_child(file, reference, root / "neo4j-data", "neo4j", env, args.rows)
                    results[f"neo4j_{label}"] = result
                    print(describe(f"neo4j, {label}", result, baseline_rps), flush=True)
            finally:
                server.stop()
    for backend in ("embedded", "neo4j"):
        if f"{backend}_first" in results:
            ratio = results[f"{backend}_again"]["seconds"] / results[f"{backend}_first"]["seconds"]
            results[f"{backend}_again_ratio"] = ratio
            print(f"{backend}: re-import / first import = {ratio:.2f}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "import.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

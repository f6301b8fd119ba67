"""A SIPRI trade register of realistic size, in the publisher's legacy CSV layout, for benchmarks.

Every row is made up, between fictional states: ISO 3166's user-assigned codes ``XAA``-``XZZ``,
named "Synthetic state XAA" in a reference file written beside the register (pass it to the
import with ``--reference``). The shape follows the real register's: about 11 lines of metadata,
then the header; suppliers skewed towards a few large exporters; about 2,500 distinct weapon
designations; order years 1950-2025; a third of the rows with SIPRI-estimate brackets or ``?``
marks; deliveries over one to six years; some orders with nothing delivered yet; comments on
about half the rows; the three TIV columns. Deterministic in ``(rows, seed)``.

    python -m bench.synthetic_sipri --rows 40000 --out /tmp/sipri   # trade-register.csv + reference.yaml
"""

from __future__ import annotations

import argparse
import random
import string
from pathlib import Path

from milcoop.loaders.registers.sipri import HEADER

DEFAULT_ROWS = 40_000
DEFAULT_SEED = 11
DESCRIPTIONS = (
    "FGA aircraft", "transport aircraft", "trainer aircraft", "helicopter", "light helicopter", "tank",
    "APC", "IFV", "self-propelled gun", "towed gun", "self-propelled MRL", "SAM", "portable SAM", "SAM system",
    "anti-ship missile", "anti-tank missile", "BVRAAM", "SRAAM", "frigate", "corvette", "patrol craft",
    "submarine", "air search radar", "fire control radar", "turbofan", "diesel engine", "UAV", "armed UAV",
)  # fmt: skip
STATUSES = ("New", "New", "New", "Second hand", "Second hand but modernized")


def _codes(count: int) -> list[str]:
    letters = string.ascii_uppercase
    return [f"X{a}{b}" for a in letters for b in letters][:count]


def write(out: Path, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, states: int = 150) -> tuple[Path, Path]:
    """Write ``trade-register.csv`` and ``reference.yaml`` under ``out``; returns their paths."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    codes = _codes(states)
    reference = out / "reference.yaml"
    with reference.open("w", encoding="utf-8") as f:
        f.write("# FICTIONAL states for the import benchmark (ISO 3166 user-assigned codes).\nstates:\n")
        for code in codes:
            f.write(f"  - {{id: {code}, name: Synthetic state {code}}}\n")
    weights = [1 / (i + 1) ** 1.1 for i in range(states)]
    designations = [
        f"{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}-{rng.randint(1, 999)}"
        + rng.choice(("", "M", "K", "E", "A"))
        for _ in range(2_500)
    ]
    described = {d: rng.choice(DESCRIPTIONS) for d in designations}
    register = out / "trade-register.csv"
    lines = [
        "SIPRI Arms Transfers Database (SYNTHETIC: every row is made up, between fictional states)",
        "",
        "Trade Register",
        "",
        "Transfers of major weapons: Deals with deliveries or orders made for 1950 to 2025",
        "",
        "Note: The 'unknown' designation in the 'Supplier' or 'Recipient' column is used where the party is not known.",
        "Note: A '?' marks an uncertain value; numbers in brackets are SIPRI estimates.",
        "",
        "Information generated: 10 March 2026",
        "",
        ",".join(HEADER),
    ]
    for _ in range(rows):
        supplier, recipient = rng.choices(codes, weights, k=2)
        while recipient == supplier:
            recipient = rng.choice(codes)
        designation = rng.choice(designations)
        year = rng.randint(1950, 2025)
        ordered = rng.choice((1, 2, 4, 6, 8, 10, 12, 16, 20, 24, 36, 50, 100, 200, 500))
        estimate = rng.random() < 0.2
        delivered_years: list[int] = []
        if rng.random() < 0.85 and year < 2026:
            first = min(2025, year + rng.randint(0, 3))
            delivered_years = sorted({min(2025, first + k) for k in range(rng.randint(1, 6))})
        delivered = ordered if delivered_years and rng.random() < 0.8 else (ordered // 2 if delivered_years else 0)
        per_unit = round(rng.uniform(0.01, 60), 2)
        comment = rng.choice(("", "", "Synthetic row", 'Synthetic row: "deal", incl. spares', "Synthetic aid row"))
        cells = [
            f"Synthetic state {recipient}",
            f"Synthetic state {supplier}" if rng.random() > 0.01 else "unknown",
            str(year),
            "?" if rng.random() < 0.05 else "",
            f"({ordered})" if estimate else str(ordered),
            "?" if rng.random() < 0.05 else "",
            designation,
            described[designation],
            (f"({delivered})" if estimate else str(delivered)) if delivered_years else "",
            "?" if delivered_years and rng.random() < 0.05 else "",
            "; ".join(map(str, delivered_years)),
            rng.choice(STATUSES),
            comment,
            str(per_unit),
            str(round(per_unit * ordered, 2)),
            str(round(per_unit * delivered, 2)) if delivered_years else "",
        ]
        lines.append(",".join(f'"{c}"' if ("," in c or '"' in c) else c for c in (c.replace('"', '""') for c in cells)))
    with register.open("w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")
    return register, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    register, reference = write(args.out, args.rows, args.seed)
    print(f"{register} ({args.rows} rows), {reference}")


if __name__ == "__main__":
    main()

"""``neohebb sweep-compare``: two sweeps' arms point by point (medians, CI of the difference)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "compare two sweeps point by point: median episodes, CI of the difference, Mann-Whitney"
DESCRIPTION = """\
Read A/sweep.json and B/sweep.json (two `neohebb sweep` runs over the same seeds, e.g. two
learning rules or a card with and without crosstalk) and compare every decay point they share:
the reached fractions, the median episodes to criterion (runs that never reach it counted as
the budget), the bootstrap 95 % CI of median(B) - median(A) and a two-sided Mann-Whitney U
p-value. Prints one block per point; --json writes them.
"""


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="first sweep directory (holds sweep.json)")
    parser.add_argument("b", help="second sweep directory")
    parser.add_argument("--json", help="write the comparison here")


def handle(args: argparse.Namespace) -> int:
    from meshes.files import StageError, read_json_object, write_json_atomic
    from snn.sweep_stats import compare_runs

    sweeps = []
    for d in (args.a, args.b):
        path = Path(d) / "sweep.json"
        if not path.is_file():
            raise StageError(f"{path}: missing (run `neohebb sweep ... --out {d}` first)")
        sweeps.append(read_json_object(path, StageError, "sweep.json"))
    a, b = sweeps
    if a.get("episodes") != b.get("episodes"):
        raise StageError(
            f"{args.b}: episode budget {b.get('episodes')} differs from {args.a}'s "
            f"{a.get('episodes')}; compare sweeps with one budget"
        )
    rows_b = {row["x"]: row for row in b.get("decay", [])}
    shared = [row for row in a.get("decay", []) if row["x"] in rows_b]
    if not shared:
        raise StageError(f"{args.a} and {args.b}: no decay point in common")
    out = []
    for row in shared:
        result = compare_runs(
            row["episodes_to_criterion"],
            rows_b[row["x"]]["episodes_to_criterion"],
            int(a["episodes"]),
            seed=0,
        )
        out.append({"x": row["x"], **result})
        low, high = result["difference_ci95"]
        print(
            f"tau/frame {row['x']:.3g}, {result['runs'][0]} vs {result['runs'][1]} runs, "
            f"budget {a['episodes']}:\n"
            f"  A {args.a}: median {result['a']['median']:.0f} "
            f"[{result['a']['median_ci95'][0]:.0f}, {result['a']['median_ci95'][1]:.0f}], "
            f"reached {100 * result['a']['reached_fraction']:.0f} %\n"
            f"  B {args.b}: median {result['b']['median']:.0f} "
            f"[{result['b']['median_ci95'][0]:.0f}, {result['b']['median_ci95'][1]:.0f}], "
            f"reached {100 * result['b']['reached_fraction']:.0f} %\n"
            f"  B - A: {result['median_difference_b_minus_a']:+.0f} episodes "
            f"[{low:+.0f}, {high:+.0f}], Mann-Whitney p {result['mann_whitney_p']:.2g}"
        )
    if args.json:
        write_json_atomic(Path(args.json), {"a": args.a, "b": args.b, "points": out})
    return 0

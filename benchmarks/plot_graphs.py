"""How long `plot` takes to lay out large graphs, against summarising them.

    python benchmarks/plot_graphs.py [--repeats 3]

The programs are tests/test_plot.py's large graphs: a 2,000-call chain, a tree
of 999 adds over 1,000 inputs, and 1,000 layers all read again by one concat.
For each it prints the median time of the SVG picture (layout included), of
the table's summary alone, and their ratio. The layout is near linear in the
calls: a few sweeps of ordering per layer, capped bend points.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from rnnshape.graph import parse_program  # noqa: E402
from rnnshape.plot import plot  # noqa: E402
from rnnshape.shapes import infer_graph  # noqa: E402
from test_plot import large_graph_programs  # noqa: E402


def median_time(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'graph':8} {'calls':>6} {'summary s':>10} {'plot s':>8} {'plot/summary':>13}")
    for name, program in large_graph_programs().items():
        graph = parse_program(program)
        summary = infer_graph(graph)
        summarised = median_time(lambda: infer_graph(graph), args.repeats)
        drawn = median_time(lambda: plot(summary, "svg"), args.repeats)
        print(f"{name:8} {len(graph.calls):6} {summarised:10.3f} {drawn:8.3f} {drawn / summarised:13.1f}")


if __name__ == "__main__":
    main()

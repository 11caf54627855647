"""The neighbour search on real leads, against the plain search it replaced.

Grouping compares each article's lead only with its k nearest others by embedding cosine. Both
searches compare every pair (a matrix product in blocks of rows); the plain one then picks each
row's k largest with `np.argpartition` over all columns, `briefing.neighbours` only over the k
groups of columns with the largest maxima. This prints both times, their ratio, and whether the
two found the same neighbours (they must: the search is exact).

The vectors come from a `briefing` embeddings cache, one or more SQLite files (each lead's
vector, as a run with `cluster.embedding_cache` keeps them; the most common dimension is used):

    python bench/day_bench.py 50000 --cache DIR     # embeds a 50,000-article day of real news once
    python bench/neighbours_bench.py DIR/50000/embeddings.sqlite [--k 15] [--sizes 5000 20000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefing.neighbours import neighbour_pairs, plain_top_k  # noqa: E402


def load(paths: list[Path]) -> np.ndarray:
    """Every vector of the given caches with the most common dimension, one a row."""
    blobs: list[bytes] = []
    for path in paths:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            blobs += [row[0] for row in db.execute("SELECT vector FROM embeddings")]
    if not blobs:
        raise SystemExit(f"no vectors in {', '.join(map(str, paths))}")
    width = Counter(len(b) for b in blobs).most_common(1)[0][0]
    vectors = np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs if len(b) == width])
    unit: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return unit


def compare(matrix: np.ndarray, k: int) -> None:
    """Time both searches on `matrix` and check that they agree."""
    started = time.perf_counter()
    base_rows, base = neighbour_pairs(matrix, k, select=plain_top_k)
    base_s = time.perf_counter() - started
    started = time.perf_counter()
    rows, found = neighbour_pairs(matrix, k)
    new_s = time.perf_counter() - started
    n = len(matrix)
    same = np.array_equal(np.sort(base_rows * n + base), np.sort(rows * n + found))
    cosines = np.einsum("ij,ij->i", matrix[rows], matrix[found])
    base_cosines = np.einsum("ij,ij->i", matrix[base_rows], matrix[base])
    ties = "" if same else f" (differ only in ties: {np.allclose(np.sort(cosines), np.sort(base_cosines))})"
    print(
        f"{n:>6} leads, k={k}: plain {base_s:.1f} s, briefing.neighbours {new_s:.1f} s "
        f"({base_s / new_s:.1f}x faster); same neighbours: {same}{ties}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("caches", nargs="+", type=Path, help="embeddings.sqlite files of briefing runs")
    parser.add_argument("--k", type=int, default=15, help="neighbours per lead (cluster.neighbors)")
    parser.add_argument("--sizes", type=int, nargs="*", help="also compare on the first N vectors")
    args = parser.parse_args(argv)
    matrix = load(args.caches)
    for size in sorted({*(args.sizes or []), len(matrix)}):
        compare(matrix[: min(size, len(matrix))], args.k)


if __name__ == "__main__":
    main()

"""Each article's nearest others by embedding cosine, every pair compared, in bounded memory.

Grouping looks only at each lead's k nearest others. The similarities come in blocks of rows (a
matrix product); picking each row's k largest of n took two thirds of the time at 30,000 leads
(`np.argpartition` over every column). Here the columns are cut into groups of about sqrt(n): a
row's k largest values lie in the k groups with the largest maxima (a group holding one of them has
a maximum at least as large as the k-th, and at most k groups can), so only those k groups are
searched. The result is exact; `bench/neighbours_bench.py` times it against the plain search.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# Similarities computed at once: 32 MB, and up to 64 MB more of argpartition indices when a block
# is searched whole; 1,024 rows at 8,000 leads, 160 at 50,000.
BLOCK_CELLS = 8_000_000
MAX_ROWS = 1024  # rows of a block at most


def neighbour_pairs(
    matrix: np.ndarray, k: int, select: Callable[[np.ndarray, int], np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest other rows of every row of `matrix` (unit vectors), by cosine.

    Args:
        matrix: one unit vector a row.
        k: neighbours wanted for each row (all others when there are fewer).
        select: picks each row's k largest columns of a block of similarities (top_k; the
            benchmark passes the plain search to compare).

    Returns:
        (rows, neighbours): parallel index arrays into `matrix`, each row repeated once per neighbour.
    """
    n = len(matrix)
    k = min(k, n - 1)
    if k < 1:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    chunk = max(16, min(MAX_ROWS, BLOCK_CELLS // n))
    rows, neighbours = [], []
    for start in range(0, n, chunk):
        block = matrix[start : start + chunk] @ matrix.T
        height = block.shape[0]
        block[np.arange(height), np.arange(start, start + height)] = -np.inf  # not its own neighbour
        rows.append(np.repeat(np.arange(start, start + height), k))
        neighbours.append((select or top_k)(block, k).ravel())
    return np.concatenate(rows), np.concatenate(neighbours)


def top_k(block: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k largest values (in no particular order; ties broken arbitrarily)."""
    height, width = block.shape
    size = max(k, math.isqrt(width))  # columns a group
    groups = width // size
    if k * size > width // 2:  # the k groups would hold most columns (or all: groups <= k): nothing saved
        return plain_top_k(block, k)
    body = groups * size
    maxima = block[:, :body].reshape(height, groups, size).max(axis=2)
    best = np.argpartition(maxima, groups - k, axis=1)[:, groups - k :]  # the k groups with the largest maxima
    columns = (best[:, :, None] * size + np.arange(size)).reshape(height, k * size)
    if body < width:  # the last few columns, fewer than a group, are always searched
        columns = np.concatenate([columns, np.broadcast_to(np.arange(body, width), (height, width - body))], axis=1)
    values = np.take_along_axis(block, columns, axis=1)
    picked = np.argpartition(values, values.shape[1] - k, axis=1)[:, values.shape[1] - k :]
    result: np.ndarray = np.take_along_axis(columns, picked, axis=1)
    return result


def plain_top_k(block: np.ndarray, k: int) -> np.ndarray:
    """top_k by argpartition over every column."""
    width = block.shape[1]
    result: np.ndarray = np.argpartition(block, width - k, axis=1)[:, width - k :]
    return result

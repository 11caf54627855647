"""The neighbour search: each row's true k nearest others, found without sorting every column."""

from __future__ import annotations

import numpy as np
import pytest

from briefing import neighbours
from briefing.neighbours import neighbour_pairs, top_k


def unit_vectors(count: int, seed: int = 3, dims: int = 64) -> np.ndarray:
    """Random unit vectors, with some near-copies so that close neighbours exist."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, dims)).astype(np.float32)
    vectors[1::3] = vectors[0::3][: len(vectors[1::3])] + 0.1 * vectors[1::3]
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def brute_force(matrix: np.ndarray, k: int) -> dict[int, set[int]]:
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, -np.inf)
    return {row: set(np.argsort(-similarity[row])[:k].tolist()) for row in range(len(matrix))}


def as_sets(rows: np.ndarray, found: np.ndarray) -> dict[int, set[int]]:
    result: dict[int, set[int]] = {}
    for row, other in zip(rows.tolist(), found.tolist(), strict=True):
        result.setdefault(row, set()).add(other)
    return result


@pytest.mark.parametrize(("width", "k"), [(10, 3), (50, 5), (401, 15), (1000, 15), (1037, 40), (5000, 1)])
def test_top_k_is_the_k_largest_of_each_row(width: int, k: int) -> None:
    block = np.random.default_rng(width).standard_normal((7, width)).astype(np.float32)
    got = top_k(block, k)
    assert got.shape == (7, k)
    for row in range(7):
        assert set(got[row].tolist()) == set(np.argsort(-block[row])[:k].tolist())


def test_every_row_gets_its_true_k_nearest_others_never_itself() -> None:
    matrix = unit_vectors(900)
    rows, found = neighbour_pairs(matrix, 15)
    assert len(rows) == len(found) == 900 * 15
    assert not np.any(rows == found)
    assert as_sets(rows, found) == brute_force(matrix, 15)


def test_the_block_size_does_not_change_the_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = unit_vectors(300)
    whole = as_sets(*neighbour_pairs(matrix, 6))
    monkeypatch.setattr(neighbours, "BLOCK_CELLS", 300 * 16)  # 16 rows a block, the last one short
    assert as_sets(*neighbour_pairs(matrix, 6)) == whole


def test_few_rows_give_fewer_neighbours_and_one_row_none() -> None:
    matrix = unit_vectors(3)
    assert as_sets(*neighbour_pairs(matrix, 10)) == {0: {1, 2}, 1: {0, 2}, 2: {0, 1}}
    rows, found = neighbour_pairs(matrix[:1], 10)
    assert rows.tolist() == found.tolist() == []

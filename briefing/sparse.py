"""Many small sparse vectors in three numpy arrays, and their overlaps for many pairs at once.

Grouping compares each article with a few hundred others by their words and by their names and
figures. Kept as one dict or set per article, fifty thousand articles take over a gigabyte and
every comparison is a Python loop; as rows of sorted integer ids with float values (CSR), they
take a few bytes an entry and a pair costs about a microsecond.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

# Below this many pairs, each pair's shared ids are found by binary search in all rows at once;
# above it, row by row (a few numpy calls a row, but no search).
FEW_PAIRS = 4096


class SparseRows:
    """Row r holds ids[indptr[r]:indptr[r + 1]] (sorted, distinct) with their values."""

    def __init__(self, indptr: np.ndarray, ids: np.ndarray, values: np.ndarray, width: int) -> None:
        self.indptr = indptr
        self.ids = ids
        self.values = values
        self.width = width  # ids are below this
        # id -> 1 + its place in the row being compared (0: not in it); kept zeroed between uses
        # so that comparing a few pairs does not pay for a vocabulary-sized array.
        self.scratch = np.zeros(width + 1, dtype=np.int64)
        self._keys: np.ndarray | None = None
        self._lengths = np.diff(indptr)

    @classmethod
    def build(cls, rows: Iterable[Mapping[str, float]], vocabulary: dict[str, int]) -> SparseRows:
        """Rows from key -> value mappings; keys get ids in `vocabulary`, which grows as new keys come.

        The mappings are read one at a time, so they need never all be in memory.
        """
        indptr, ids, values = [0], np.zeros(0, dtype=np.int32), np.zeros(0)
        id_parts, value_parts = [], []
        for row in rows:
            pairs = sorted((vocabulary.setdefault(key, len(vocabulary)), value) for key, value in row.items())
            id_parts.append(np.array([k for k, _ in pairs], dtype=np.int32))
            value_parts.append(np.array([v for _, v in pairs], dtype=np.float64))
            indptr.append(indptr[-1] + len(pairs))
        if id_parts:
            ids, values = np.concatenate(id_parts), np.concatenate(value_parts)
        return cls(np.array(indptr, dtype=np.int64), ids, values, len(vocabulary))

    def keys(self) -> np.ndarray:
        """row * width + id of every entry: ascending, so one binary search finds an id in a row."""
        if self._keys is None:
            rows = np.repeat(np.arange(len(self), dtype=np.int64), self.lengths())
            self._keys = rows * self.width + self.ids
        return self._keys

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def lengths(self) -> np.ndarray:
        """Entries per row."""
        return self._lengths

    def row_sums(self, values: np.ndarray) -> np.ndarray:
        """Per row, the sum of `values` (one per entry) over its entries."""
        rows = np.repeat(np.arange(len(self)), self.lengths())
        return np.bincount(rows, weights=values, minlength=len(self))


def pair_sums(
    table: SparseRows, first: np.ndarray, second: np.ndarray, products: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[np.ndarray]:
    """For each pair (first[p], second[p]), sums over the ids both rows hold.

    Args:
        table: the rows.
        first, second: row numbers of the pairs.
        products: (left, right) value arrays, one value per entry of the table: each gives, per
            pair, the sum of left (the first row's entry) x right (the second row's entry) over
            the shared ids. (values, values) is the dot product.

    Returns:
        One array of per-pair sums for each (left, right).
    """
    out = [np.zeros(len(first)) for _ in products]
    if not len(first):
        return out
    if len(first) < FEW_PAIRS:
        return _few_pair_sums(table, first, second, products)
    order = np.argsort(first, kind="stable")
    firsts, seconds = first[order], second[order]
    cuts = np.flatnonzero(np.diff(firsts)) + 1
    lengths = table.lengths()
    position = table.scratch
    for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), len(firsts)], strict=True):
        start, end = int(table.indptr[firsts[lo]]), int(table.indptr[firsts[lo] + 1])
        partners = seconds[lo:hi]
        sizes = lengths[partners]
        total = int(sizes.sum())
        if start == end or total == 0:
            continue
        # Every entry of every partner row, in row order, and which pair it belongs to.
        entries = np.arange(total) + np.repeat(table.indptr[partners] - (np.cumsum(sizes) - sizes), sizes)
        owner = np.repeat(np.arange(hi - lo), sizes)
        mine = table.ids[start:end]
        position[mine] = np.arange(1, end - start + 1)
        place = position[table.ids[entries]]
        position[mine] = 0
        shared = place > 0
        entries, owner, place = entries[shared], owner[shared], start + place[shared] - 1
        for result, (left, right) in zip(out, products, strict=True):
            result[order[lo:hi]] = np.bincount(owner, weights=left[place] * right[entries], minlength=hi - lo)
    return out


def _few_pair_sums(
    table: SparseRows, first: np.ndarray, second: np.ndarray, products: Sequence[tuple[np.ndarray, np.ndarray]]
) -> list[np.ndarray]:
    """pair_sums for a few pairs: each entry of a second row is looked up in its first row by binary search."""
    sizes = table.lengths()[second]
    entries = np.arange(int(sizes.sum())) + np.repeat(table.indptr[second] - (np.cumsum(sizes) - sizes), sizes)
    owner = np.repeat(np.arange(len(first)), sizes)
    wanted = first[owner].astype(np.int64) * table.width + table.ids[entries]
    keys = table.keys()
    place = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    shared = keys[place] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
    entries, owner, place = entries[shared], owner[shared], place[shared]
    return [np.bincount(owner, weights=left[place] * right[entries], minlength=len(first)) for left, right in products]

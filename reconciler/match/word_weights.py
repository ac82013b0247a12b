"""How much of two names' information they share: cosine of their words weighted by how rare
each word is among this run's names (IDF), 0-100.

Counting shared words alike (Jaccard) lets 'software', 'for', 'edition' or 'ноутбук' agree as
much as 'photoshop' or 'latitude'; a twenty-word catalogue title then shares few of its words
with the two-word line naming it. Weighted by rarity, the rare words both hold carry the
comparison, and the weights come from the run's own names: nothing is fitted by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reconciler.match.blocking import KeyIds, texts_of

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

_COLUMN = "w:"  # where the vectors are kept among the vocabulary's columns (KeyIds)


def word_vectors(vocab_ids: dict[str, int]) -> csr_matrix:
    """Per name id ('t:' keys), its words as a row of IDF weights scaled to length one (a
    scipy CSR matrix; other ids are empty rows). A word's IDF is log((n + 1) / (df + 0.5)) over
    the n distinct names of both sides: a word in every name weighs almost nothing. Made once
    per vocabulary size and kept with the vocabulary: score_pairs asks on each of its calls.
    """
    from scipy.sparse import csr_matrix  # imported late, like blocking's: import time counts

    columns = vocab_ids.columns if isinstance(vocab_ids, KeyIds) else {}
    found = columns.get(_COLUMN)
    if found is not None and found[0] == len(vocab_ids):
        return found[1]
    texts = texts_of(vocab_ids, "t:")
    # Only the names: the column holds '' for every other kind of key (most of them).
    named = np.flatnonzero(texts != "")
    word_ids: dict[str, int] = {}
    indices: list[int] = []
    sizes = np.zeros(len(texts), dtype=np.int64)
    for i, text in zip(named.tolist(), texts[named].tolist(), strict=True):
        words = set(text.split())
        indices.extend(word_ids.setdefault(w, len(word_ids)) for w in words)
        sizes[i] = len(words)
    columns_of = np.asarray(indices, dtype=np.int64)
    df = np.bincount(columns_of, minlength=len(word_ids))
    idf = np.log((len(named) + 1.0) / (df + 0.5))
    # Each name's weights scaled to length one: the dot product of two rows is their cosine.
    weight = idf[columns_of]
    row_of = np.repeat(np.arange(len(texts)), sizes)
    weight /= np.sqrt(np.bincount(row_of, weight * weight, minlength=len(texts)))[row_of]
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    matrix = csr_matrix((weight, columns_of, indptr), shape=(len(texts), max(len(word_ids), 1)))
    if isinstance(vocab_ids, KeyIds):
        columns[_COLUMN] = (len(vocab_ids), matrix)
    return matrix


def word_cosine(left: np.ndarray, right: np.ndarray, vectors: csr_matrix) -> np.ndarray:
    """0-100 per pair of name ids (both present)."""
    shared = np.asarray(vectors[left].multiply(vectors[right]).sum(axis=1)).ravel()
    return np.asarray(np.minimum(100.0 * shared, 100.0), dtype=np.float64)

"""How much of two names' information they share: cosine of their words weighted by how rare
each word is among this run's names (IDF), 0-100; the names without the words only one
side writes by habit; and the edition words that tell two names of one side apart.

Counting shared words alike (Jaccard) lets 'software', 'for', 'edition' or 'ноутбук' agree as
much as 'photoshop' or 'latitude'; a twenty-word catalogue title then shares few of its words
with the two-word line naming it. Weighted by rarity, the rare words both hold carry the
comparison, and the weights come from the run's own names: nothing is fitted by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reconciler.match.blocking import KeyIds, texts_of

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

_COLUMN = "w:"  # where NameWords are kept among the vocabulary's columns (KeyIds)
_HABIT = 3.0  # -ln(5%): the expected count elsewhere of a word one side writes by habit
# An edition word is seen telling two names of one side apart at least this often: once may
# be a slip of spelling ('colour' and 'color'), twice is a way of naming things.
_SEEN_APART = 2


@dataclass(frozen=True)
class NameWords:
    """Per name id ('t:' keys): its words as a row of IDF weights scaled to length one (a scipy
    CSR matrix; other ids are empty rows), and its text without the words one side writes by
    habit (the text itself where none, or where nothing else is left)."""

    vectors: csr_matrix
    plain: np.ndarray
    held: csr_matrix  # 1 per word a name holds
    editions: csr_matrix  # 1 per word a name holds that tells siblings apart (edition_words)
    words: np.ndarray  # the text of each column


def name_words(
    vocab_ids: dict[str, int], book_names: np.ndarray, asset_names: np.ndarray
) -> NameWords:
    """The names' words weighed for this run (NameWords). A word's IDF is
    log((n + 1) / (df + 0.5)) over the n distinct names of both sides: a word in every name
    weighs almost nothing.

    A word one side writes by habit and the other never does weighs nothing: '(jewel case)'
    on many lines of a shop's list, 'ноутбук' in the books against IT's 'laptop'. Its absence
    on the other side says nothing about which record is meant. `book_names` and
    `asset_names` are the name ids of each side. Made once per vocabulary size and sides,
    kept with the vocabulary: score_pairs asks on each of its calls.
    """
    from scipy.sparse import csr_matrix  # imported late, like blocking's: import time counts

    columns = vocab_ids.columns if isinstance(vocab_ids, KeyIds) else {}
    book_names, asset_names = np.unique(book_names), np.unique(asset_names)
    key = f"{_COLUMN}{hash(book_names.tobytes())}:{hash(asset_names.tobytes())}"
    found = columns.get(key)
    if found is not None and found[0] == len(vocab_ids):
        return found[1]  # type: ignore[return-value]
    texts = texts_of(vocab_ids, "t:")
    # Only the names: the column holds '' for every other kind of key (most of them).
    named = np.flatnonzero(texts != "")
    # In the order written, not a set's: a set's order follows the process's string hash,
    # and with it the order the cosine's terms are summed in (100.0 one run, 99.99... the next).
    written = [text.split() for text in texts[named].tolist()]
    vocabulary = {w for words in written for w in words}
    word_ids: dict[str, int] = {}
    indices: list[int] = []
    sizes = np.zeros(len(texts), dtype=np.int64)
    joined: list[int] = []  # names whose words two joins or a repeat made fewer
    for i, words_written in zip(named.tolist(), written, strict=True):
        words = dict.fromkeys(_joined(words_written, vocabulary))
        if len(words) != len(words_written):
            joined.append(i)
        indices.extend(word_ids.setdefault(w, len(word_ids)) for w in words)
        sizes[i] = len(words)
    columns_of = np.asarray(indices, dtype=np.int64)
    df = np.bincount(columns_of, minlength=len(word_ids))
    idf = np.log((len(named) + 1.0) / (df + 0.5))
    habit = np.zeros(len(word_ids), dtype=bool)
    row_of = np.repeat(np.arange(len(texts)), sizes)  # the name each word entry belongs to
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    held = [
        np.bincount(columns_of[np.isin(row_of, side)], minlength=len(word_ids))
        for side in (book_names, asset_names)
    ]
    names_of = [max(int(np.isin(side, named).sum()), 1) for side in (book_names, asset_names)]
    for this, other in ((0, 1), (1, 0)):
        # Written by so many of this side's names that the other side, were it as likely to
        # write it, would hold it at least once 95 times in 100 (Poisson, e^-3 = 5%): a habit
        # of this side. Written by a few (an edition's 'upgrade'), it may still tell records
        # apart, so it keeps its weight.
        expected_there = held[this] * names_of[other] / names_of[this]
        habit |= (held[other] == 0) & (expected_there >= _HABIT)
    idf[habit] = 0.0
    plain = texts.copy()
    # Names compared as rewritten: a habit word left out, or two words joined.
    rewritten = np.bincount(row_of[habit[columns_of]], minlength=len(texts)) > 0
    rewritten[joined] = True
    words_of = np.asarray(list(word_ids), dtype=object)
    for i in np.flatnonzero(rewritten).tolist():
        own = columns_of[indptr[i] : indptr[i + 1]]
        kept = " ".join(words_of[own[~habit[own]]].tolist())
        plain[i] = kept or texts[i]
    # Each name's weights scaled to length one: the dot product of two rows is their cosine.
    weight = idf[columns_of]
    norm = np.sqrt(np.bincount(row_of, weight * weight, minlength=len(texts)))[row_of]
    weight = np.divide(weight, norm, out=np.zeros_like(weight), where=norm > 0)
    matrix = csr_matrix((weight, columns_of, indptr), shape=(len(texts), max(len(word_ids), 1)))
    held_matrix = csr_matrix(
        (np.ones(len(columns_of)), columns_of, indptr), shape=(len(texts), max(len(word_ids), 1))
    )
    # Only words both sides write: one the other side never does ('16gb' after a laptop's
    # name in the books) cannot say which of its records is meant, as a habit cannot.
    written_by_both = (held[0] > 0) & (held[1] > 0)
    marks = edition_words(columns_of, row_of, (book_names, asset_names), len(word_ids))
    marks &= written_by_both
    editions = csr_matrix(
        (marks[columns_of].astype(np.float64), columns_of, indptr),
        shape=(len(texts), max(len(word_ids), 1)),
    )
    editions.eliminate_zeros()
    found_now = NameWords(matrix, plain, held_matrix, editions, words_of)
    if isinstance(vocab_ids, KeyIds):
        columns[key] = (len(vocab_ids), found_now)  # type: ignore[assignment]
    return found_now


def _joined(words: list[str], vocabulary: set[str]) -> list[str]:
    """Two neighbours written together elsewhere in the run are one word: 'laser jet' where
    others write 'laserjet', 'zone alarm' and 'zonealarm'. Split, each half would agree with
    nothing, and the glued word, rare, would weigh as a difference. Only a join the run itself
    writes is made: no dictionary, nothing fitted."""
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = words[i] + words[i + 1] if i + 1 < len(words) else ""
        if pair in vocabulary:
            out.append(pair)
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def word_cosine(left: np.ndarray, right: np.ndarray, vectors: csr_matrix) -> np.ndarray:
    """0-100 per pair of name ids (both present)."""
    shared = np.asarray(vectors[left].multiply(vectors[right]).sum(axis=1)).ravel()
    return np.asarray(np.minimum(100.0 * shared, 100.0), dtype=np.float64)


def edition_words(
    columns_of: np.ndarray, row_of: np.ndarray, sides: tuple[np.ndarray, ...], n_words: int
) -> np.ndarray:
    """Per word: whether it is all that tells two names of one side apart, at least twice
    ('adobe indesign cs3 upgrade' and '... academic', 'jumpstart 1st grade' and '3rd grade',
    'photoshop cs3' and 'photoshop cs3 upgrade'). A side lists each thing once, so such a
    word names an edition: two names holding different ones are two things.

    A name's key is the sum of its words' random 62-bit codes (order-free; two different sets
    of words share a sum about once in 2**62), so a name less one word is one subtraction."""
    rng = np.random.default_rng(7)  # fixed: the same names give the same edition words
    code = rng.integers(1, 1 << 62, size=max(n_words, 1), dtype=np.int64)
    count = np.zeros(max(n_words, 1), dtype=np.int64)
    for side in sides:
        mine = np.isin(row_of, side)
        rows, words = row_of[mine], columns_of[mine]
        if not len(rows):
            continue
        names, at = np.unique(rows, return_inverse=True)
        whole = np.zeros(len(names), dtype=np.int64)
        np.add.at(whole, at, code[words])  # wraps around: a hash of the word set
        # Each name less one of its words, and each name whole: equal keys are siblings.
        keys = np.concatenate([whole[at] - code[words], whole])
        marker = np.concatenate([words, np.full(len(names), -1)])
        order = np.lexsort((marker, keys))
        keys, marker = keys[order], marker[order]
        start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        group = np.repeat(np.arange(len(start)), np.diff(np.r_[start, len(keys)]))
        # Siblings differ in the word each lacks (or one lacks none): two names holding the
        # same words in another order lack the same word and tell nothing apart.
        lowest, highest = marker[start], marker[np.r_[start[1:], len(keys)] - 1]
        apart = (lowest != highest)[group] & (marker >= 0)
        # Each word once per group of siblings, however many names it tells apart there.
        kept = np.r_[True, (group[1:] != group[:-1]) | (marker[1:] != marker[:-1])]
        found = marker[apart & kept]
        count += np.bincount(found, minlength=len(count))[: len(count)]
    return np.asarray(count >= _SEEN_APART)[:n_words] if n_words else np.zeros(0, bool)


def edition_differences(
    left: np.ndarray, right: np.ndarray, words: NameWords
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of name ids: how many edition words each holds that the other does not."""
    eds, held = words.editions, words.held
    mine = np.asarray(eds[left].sum(axis=1)).ravel()
    theirs = np.asarray(eds[right].sum(axis=1)).ravel()
    mine_there = np.asarray(eds[left].multiply(held[right]).sum(axis=1)).ravel()
    theirs_here = np.asarray(eds[right].multiply(held[left]).sum(axis=1)).ravel()
    return mine - mine_there, theirs - theirs_here


def editions_apart(left: int, right: int, words: NameWords) -> tuple[str, str]:
    """The edition words each of two names (ids) holds and the other does not, for people:
    ('upgrade', 'academic'). Read from the matrices' arrays: a scipy row per call cost
    0.1 ms, two seconds for the evidence of a 100k register."""

    def row(matrix: csr_matrix, i: int) -> np.ndarray:
        return np.asarray(matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]])

    def only(here: int, there: int) -> str:
        held = set(row(words.held, there).tolist())
        return " ".join(
            str(words.words[w]) for w in row(words.editions, here).tolist() if w not in held
        )

    return only(left, right), only(right, left)

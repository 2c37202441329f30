"""Copies shared by the training and test splits: they make the test score look better than it is.

A review posted twice, a photo saved at two sizes: if one copy lands in training and the other in the
test split, the model is graded on something it has already seen. This module finds such pairs so the
app can say how many there are and how the score looks without them, and can drop them before a new split.

* **Texts**: *exact* copies after normalising (Unicode NFKC, lower case, punctuation and whitespace
  collapsed), and *near* copies whose vectors of character 3-5-gram counts (log-scaled, unit length; no
  IDF, so a pair's score does not depend on the rest of the data) have cosine similarity >= 0.9. An added
  or dropped word keeps a sentence above 0.93; the same words reordered fall to about 0.8, and different
  reviews of the built-in sample never exceed 0.4.
* **Images**: *exact* copies by a hash of the pixels, and *near* copies (re-saved, resized, slightly
  brighter) whose 16x16 grey thumbnails, each shifted to mean 0 and scaled to length 1, have correlation
  >= 0.997. The bar is high on purpose: distinct handwritten digits of one class reach 0.994 on the
  built-in digits sample, while a copy with noise and a brightness change stays above 0.998.

Similarities are computed in blocks of test rows against all training rows, so memory stays bounded
(about :data:`BLOCK_CELLS` similarity values at a time). Above :data:`MAX_NEAR_PAIRS` pairs the near check
is skipped (exact copies are still found) and the result says so.

Contract (``evaluation.json["duplicates"]``, read by the report and compare views)::

    {"checked": bool, "method": str, "exact": int, "near": int,       # test rows with a copy in training
     "share_of_test": float, "test_n": int, "near_checked": bool,
     "test_indices": [int, ...],                                      # flagged test rows
     "accuracy_without": float | None, "accuracy_with": float | None, "n_without": int,
     "examples": [{"test_index", "train_index", "kind": "exact"|"near", "similarity",
                   "test_label", "train_label", "test_text", "train_text"}, ...]}   # texts only for text data
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.data.dataset import Dataset

TEXT_SIMILARITY = 0.9
IMAGE_SIMILARITY = 0.997
THUMB = 16
#: Similarity values held in memory at once (test rows x training rows per block).
BLOCK_CELLS = 2_000_000
#: Above this many test x training pairs only exact copies are looked for.
MAX_NEAR_PAIRS = 2_000_000_000
#: Text pairs scored directly; above this, a random projection picks candidates first.
DIRECT_PAIRS = 5_000_000
PROJECTION_DIM = 1024
CANDIDATES = 8
MAX_EXAMPLES = 12
EXAMPLE_CHARS = 240

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Lower case, NFKC, punctuation and runs of whitespace collapsed to single spaces."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", str(text)).lower()).strip()


# ---- keys and vectors ---------------------------------------------------------------------------------------------
def _text_keys(ds: Dataset) -> list[bytes | str]:
    return [normalise_text(t) for t in ds.texts]  # type: ignore[union-attr]


def _pixel_keys(ds: Dataset) -> list[bytes | str]:
    flat = np.ascontiguousarray(ds.images).reshape(len(ds), -1)  # type: ignore[union-attr]
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]


def thumbnails(images: np.ndarray, size: int = THUMB) -> np.ndarray:
    """Grey block-mean thumbnails (N x size*size, float32), centred and scaled to unit length per image.

    Centring and scaling make the comparison blind to brightness and contrast, so a re-saved or slightly
    brightened copy matches its original; a blank image becomes all zeros (and matches nothing).
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    grey = x.mean(axis=3)
    n, h, w = grey.shape
    rows = np.linspace(0, h, min(size, h) + 1).astype(int)[:-1]
    cols = np.linspace(0, w, min(size, w) + 1).astype(int)[:-1]
    block = np.add.reduceat(np.add.reduceat(grey, rows, axis=1), cols, axis=2)
    heights = np.diff(np.r_[rows, h])[:, None]
    widths = np.diff(np.r_[cols, w])[None, :]
    block = (block / (heights * widths)).reshape(n, -1)
    block -= block.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(block, axis=1, keepdims=True)
    return np.divide(block, norm, out=np.zeros_like(block), where=norm > 1e-6).astype(np.float32)


def _text_vectors(train_texts: list[str], test_texts: list[str]):
    """Unit-length rows of log-scaled character 3-5-gram counts (spanning word bounds, so order counts).

    Hashed into 2^20 columns: no vocabulary to build (several times faster on large sets), and with a
    few hundred n-grams per text, collisions move a cosine by far less than the 0.9 bar cares about.
    """
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    hasher = HashingVectorizer(
        analyzer="char", ngram_range=(3, 5), n_features=2**20, alternate_sign=False, norm=None, dtype=np.float32
    )

    def vectors(texts: list[str]):
        x = hasher.transform(texts)
        x.data = 1.0 + np.log(x.data)
        return normalize(x)

    return vectors(train_texts), vectors(test_texts) if test_texts else None


def _best_matches(a: Any, b: Any, sparse: bool, skip_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``a``: the most similar row of ``b`` and the similarity, in bounded blocks.

    With ``skip_self`` (``a`` is ``b``), row i only looks at rows before it, which is what de-duplicating a
    single dataset needs (keep the first of each group). Sparse text vectors with more than
    :data:`DIRECT_PAIRS` pairs go through :func:`_projected_matches`, which is much faster.
    """
    if sparse and a.shape[0] * b.shape[0] > DIRECT_PAIRS:
        return _projected_matches(a, b, skip_self)
    return _direct_matches(a, b, sparse, skip_self)


def _direct_matches(a: Any, b: Any, sparse: bool, skip_self: bool) -> tuple[np.ndarray, np.ndarray]:
    n_a, n_b = a.shape[0], b.shape[0]
    best = np.full(n_a, -1.0, dtype=np.float32)
    where = np.full(n_a, -1, dtype=np.int64)
    if n_a == 0 or n_b == 0:
        return where, best
    step = max(1, BLOCK_CELLS // n_b)
    bt = b.T.tocsr() if sparse else b.T
    for start in range(0, n_a, step):
        stop = min(n_a, start + step)
        sims = a[start:stop] @ bt
        sims = sims.toarray() if sparse else np.asarray(sims)
        if skip_self:
            cols = np.arange(n_b)[None, :]
            sims[cols >= np.arange(start, stop)[:, None]] = -1.0
        idx = sims.argmax(axis=1)
        where[start:stop] = idx
        best[start:stop] = sims[np.arange(stop - start), idx]
    return where, best


def _projected_matches(a: Any, b: Any, skip_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """Best matches of sparse unit rows via a random projection, checked exactly.

    Character n-gram vectors share common n-grams, so a sparse product of thousands of texts is nearly
    dense and slow. A seeded sparse random projection to :data:`PROJECTION_DIM` dimensions keeps inner
    products to within about ±0.04 (one standard deviation), so the true best match is among each row's
    :data:`CANDIDATES` highest projected scores; those few pairs are then scored exactly.
    """
    from sklearn.random_projection import SparseRandomProjection

    n_a, n_b = a.shape[0], b.shape[0]
    where = np.full(n_a, -1, dtype=np.int64)
    best = np.full(n_a, -1.0, dtype=np.float32)
    if n_a == 0 or n_b == 0:
        return where, best
    projection = SparseRandomProjection(n_components=PROJECTION_DIM, dense_output=True, random_state=0)
    projection.fit(b[:1])
    pa = np.asarray(projection.transform(a), dtype=np.float32)
    pb = pa if skip_self else np.asarray(projection.transform(b), dtype=np.float32)
    b = b.tocsr()
    a = a.tocsr()
    keep = min(CANDIDATES, n_b)
    step = max(1, BLOCK_CELLS // n_b)
    for start in range(0, n_a, step):
        stop = min(n_a, start + step)
        sims = pa[start:stop] @ pb.T
        if skip_self:
            sims[np.arange(n_b)[None, :] >= np.arange(start, stop)[:, None]] = -np.inf
        top = np.argpartition(-sims, keep - 1, axis=1)[:, :keep]
        rows = np.repeat(np.arange(start, stop), keep)
        cols = top.ravel()
        exact = np.asarray(a[rows].multiply(b[cols]).sum(axis=1)).ravel().astype(np.float32)
        if skip_self:
            exact[cols >= rows] = -1.0
        exact = exact.reshape(stop - start, keep)
        pick = exact.argmax(axis=1)
        where[start:stop] = top[np.arange(stop - start), pick]
        best[start:stop] = exact[np.arange(stop - start), pick]
    if skip_self:
        where[best < 0] = -1
    return where, best


@dataclass(frozen=True)
class CopyCheck:
    """How copies are found in one kind of data: exact keys, similarity vectors and the bar a near copy must pass."""

    #: One key per example; equal keys are exact copies ("" never matches).
    keys: Callable[[Dataset], list[bytes | str]]
    #: ``(examples, their keys) -> vectors`` (unit rows) whose inner product is the similarity; ``None``: none.
    vectors: Callable[[Dataset, list[Any]], Any]
    threshold: float
    sparse: bool
    #: How it was checked, for the report (the part before the comma is the exact check).
    method: str
    #: Quote the examples in the report (texts); pictures are shown by index only.
    quote: bool = False


def _text_vectors_of(ds: Dataset, keys: list[Any]) -> Any:
    return _text_vectors(list(keys), [])[0]


def _thumbnails_of(ds: Dataset, keys: list[Any]) -> Any:
    return thumbnails(ds.images)  # type: ignore[arg-type]


#: Each kind of data the copy check reads (tables look for exact copies in ``modeling.data.tabular``).
COPY_CHECKS: dict[str, CopyCheck] = {
    "text": CopyCheck(
        _text_keys,
        _text_vectors_of,
        TEXT_SIMILARITY,
        sparse=True,
        method="normalised exact text, and character 3-5-gram cosine >= 0.9",
        quote=True,
    ),
    "image": CopyCheck(
        _pixel_keys,
        _thumbnails_of,
        IMAGE_SIMILARITY,
        sparse=False,
        method="identical pixels, and 16x16 thumbnail correlation >= 0.997",
    ),
}


def copy_check(ds: Dataset) -> CopyCheck:
    """The :class:`CopyCheck` for the kind of ``ds``; ``ValueError`` for a kind it does not read."""
    try:
        return COPY_CHECKS[ds.kind]
    except KeyError:
        raise ValueError(f"Copies are not looked for in data of kind '{ds.kind}' here.") from None


# ---- between splits -----------------------------------------------------------------------------------------------
def find_shared(train: Dataset, test: Dataset, max_examples: int = MAX_EXAMPLES) -> dict[str, Any]:
    """Test rows that have an exact or near copy in the training rows (see the module docstring)."""
    check = copy_check(test)
    if copy_check(train) is not check:
        raise ValueError("The training and test sets hold different kinds of data.")
    n_test = len(test)
    train_keys = check.keys(train)
    first_seen: dict[Any, int] = {}
    for i, key in enumerate(train_keys):
        if key != "":
            first_seen.setdefault(key, i)
    test_keys = check.keys(test)
    exact_match = np.array([first_seen.get(k, -1) for k in test_keys], dtype=np.int64)

    near_checked = len(train) * n_test <= MAX_NEAR_PAIRS
    near_match = np.full(n_test, -1, dtype=np.int64)
    similarity = np.where(exact_match >= 0, 1.0, 0.0).astype(np.float32)
    if near_checked and n_test and len(train):
        a_train, a_test = check.vectors(train, train_keys), check.vectors(test, test_keys)
        if a_train is not None and a_test is not None:
            where, best = _best_matches(a_test, a_train, check.sparse)
            hit = (best >= check.threshold) & (exact_match < 0)
            near_match[hit] = where[hit]
            similarity = np.where(exact_match >= 0, 1.0, np.maximum(best, 0.0)).astype(np.float32)

    flagged = np.flatnonzero((exact_match >= 0) | (near_match >= 0))
    examples = []
    # Exact copies first, then near ones by similarity: the clearest evidence leads.
    order = sorted(flagged.tolist(), key=lambda i: (exact_match[i] < 0, -float(similarity[i]), i))
    for i in order[:max_examples]:
        j = int(exact_match[i] if exact_match[i] >= 0 else near_match[i])
        item = {
            "test_index": int(i),
            "train_index": j,
            "kind": "exact" if exact_match[i] >= 0 else "near",
            "similarity": round(float(similarity[i]), 4),
            "test_label": str(test.class_names[test.labels[i]]),
            "train_label": str(train.class_names[train.labels[j]]),
        }
        if check.quote:
            item["test_text"] = _cut(str(test.texts[i]))  # type: ignore[index]
            item["train_text"] = _cut(str(train.texts[j]))  # type: ignore[index]
        examples.append(item)
    exact = int((exact_match >= 0).sum())
    near = int((near_match >= 0).sum())
    method = check.method
    return {
        "checked": True,
        "method": method if near_checked else method.split(",")[0] + " (near copies not checked: too many pairs)",
        "near_checked": bool(near_checked),
        "exact": exact,
        "near": near,
        "test_n": n_test,
        "share_of_test": round((exact + near) / n_test, 6) if n_test else 0.0,
        "test_indices": [int(i) for i in flagged],
        "examples": examples,
    }


def score_without(report: dict[str, Any], y_test: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Add the test accuracy with and without the flagged rows: the inflation, as a number."""
    y = np.asarray(y_test).reshape(-1)
    pred = np.asarray(predicted).reshape(-1)
    keep = np.ones(len(y), dtype=bool)
    keep[np.asarray(report.get("test_indices", []), dtype=np.int64)] = False
    right = pred == y
    report = dict(report)
    report["accuracy_with"] = round(float(right.mean()), 6) if len(y) else None
    report["n_without"] = int(keep.sum())
    report["accuracy_without"] = round(float(right[keep].mean()), 6) if keep.any() else None
    return report


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"


# ---- within one dataset (before a new split) -----------------------------------------------------------------------
def duplicate_rows(ds: Dataset) -> dict[str, Any]:
    """Rows that repeat an earlier row exactly or nearly; dropping them leaves one of each group.

    Returns ``{"drop": [row indices], "exact": int, "near": int, "near_checked": bool,
    "conflicting": int}``; ``conflicting`` counts dropped rows whose label differs from the kept copy's.
    """
    n = len(ds)
    check = copy_check(ds)
    keys = check.keys(ds)
    first_seen: dict[Any, int] = {}
    exact_of = np.full(n, -1, dtype=np.int64)
    for i, key in enumerate(keys):
        if key == "":
            continue
        if key in first_seen:
            exact_of[i] = first_seen[key]
        else:
            first_seen[key] = i
    near_of = np.full(n, -1, dtype=np.int64)
    near_checked = n * n / 2 <= MAX_NEAR_PAIRS
    unique_rows = np.flatnonzero(exact_of < 0)
    if near_checked and len(unique_rows) > 1:
        vectors = check.vectors(ds.subset(unique_rows), [keys[i] for i in unique_rows])
        if vectors is not None:
            where, best = _best_matches(vectors, vectors, check.sparse, skip_self=True)
            hit = best >= check.threshold
            near_of[unique_rows[hit]] = unique_rows[where[hit]]
    drop = np.flatnonzero((exact_of >= 0) | (near_of >= 0))
    kept_copy = np.where(exact_of >= 0, exact_of, near_of)
    conflicting = int((ds.labels[drop] != ds.labels[kept_copy[drop]]).sum()) if len(drop) else 0
    return {
        "drop": [int(i) for i in drop],
        "exact": int((exact_of >= 0).sum()),
        "near": int((near_of >= 0).sum()),
        "near_checked": bool(near_checked),
        "conflicting": conflicting,
    }


def drop_duplicates(ds: Dataset) -> tuple[Dataset, dict[str, Any]]:
    """A copy of ``ds`` keeping one row of each exact or near duplicate group, and what was found.

    The next training splits the cleaned data afresh, so no copy can sit on both sides of the split.
    """
    found = duplicate_rows(ds)
    keep = np.setdiff1d(np.arange(len(ds)), np.asarray(found["drop"], dtype=np.int64))
    cleaned = ds.subset(keep)
    cleaned.deduplicated = True
    removed = len(found["drop"])
    if removed:
        cleaned.notes = [
            *ds.notes,
            f"{removed:,} duplicate or near-duplicate rows were removed ({found['exact']:,} exact, "
            f"{found['near']:,} near), so the test split cannot contain copies of training rows.",
        ]
    else:
        cleaned.notes = list(ds.notes)
    return cleaned, found

"""Sentence vectors, computed once per dataset: a memory cache, a disk cache and the compiled encoder.

Frozen training reads each text once; the vectors are cached in memory and under
``$MODELDECK_HOME/cache/`` as plain ``.npy`` files keyed by a hash of the texts and the length read, so a
second run (another template, another seed) on the same data does not read them again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from modeling import settings
from modeling.errors import ModelDeckError
from modeling.templates.minilm.encoder import DEFAULT_WINDOWS, EMBED_DIM, MODEL_NAME, WINDOW, build_encoder, word_pieces

log = logging.getLogger(__name__)

# ---- embeddings, computed once per dataset -------------------------------------------------------
_MEMORY_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_MEMORY_ENTRIES = 16
DISK_CACHE_FILES = 64
_CACHE_LOCK = threading.Lock()


def cache_key(texts: Sequence[str], max_windows: int) -> str:
    """A hash of the model, the length read and every text (length-prefixed, so no two lists collide)."""
    digest = hashlib.sha256(f"{MODEL_NAME}|w{WINDOW}|n{max_windows}|{len(texts)}".encode())
    for text in texts:
        raw = str(text).encode("utf-8", "surrogatepass")
        digest.update(len(raw).to_bytes(8, "little"))
        digest.update(raw)
    return digest.hexdigest()[:32]


def cache_dir() -> Path:
    """``$MODELDECK_HOME/cache`` (``./workspace/cache`` by default), next to the runs."""

    return settings.home() / "cache"


def cached_vectors(key: str, n: int) -> np.ndarray | None:
    with _CACHE_LOCK:
        hit = _MEMORY_CACHE.get(key)
        if hit is not None:
            _MEMORY_CACHE.move_to_end(key)
            return hit
    path = cache_dir() / f"minilm-{key}.npy"
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if arr.shape != (n, EMBED_DIM) or arr.dtype != np.float32 or not np.isfinite(arr).all():
        return None
    _cache_put(key, arr, disk=False)
    return arr


def _cache_put(key: str, arr: np.ndarray, disk: bool = True) -> None:
    with _CACHE_LOCK:
        _MEMORY_CACHE[key] = arr
        _MEMORY_CACHE.move_to_end(key)
        while len(_MEMORY_CACHE) > _MEMORY_ENTRIES:
            _MEMORY_CACHE.popitem(last=False)

    if not disk or not settings.embedding_disk_cache():
        return
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".minilm-{key}.{os.getpid()}.{threading.get_ident()}.npy"
        np.save(tmp, arr, allow_pickle=False)
        os.replace(tmp, folder / f"minilm-{key}.npy")
        _prune(folder)
    except OSError as exc:  # a read-only disk only costs speed
        log.warning("Could not write the embedding cache: %s", exc)


def _prune(folder: Path, keep: int = DISK_CACHE_FILES) -> None:
    """Keep the most recently written cache files (a few MB each), delete older ones."""
    files = sorted(folder.glob("minilm-*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def clear_memory_cache() -> None:
    with _CACHE_LOCK:
        _MEMORY_CACHE.clear()


@functools.lru_cache(maxsize=1)
def compiled_encoder() -> Callable[[Any], Any]:
    """The shared encoder (word-piece ids -> sentence vectors) as one compiled function of the active backend.

    A traced TensorFlow function or a jitted JAX one is about twice as fast as eager calls; each new shape of
    ids (windows, tokens) is traced once, and the tokenizer rounds lengths up to a multiple of 16.
    """
    import keras

    from modeling.templates.inference import compiled_forward
    from modeling.templates.minilm.encoder import TOKENS_INPUT

    encoder = build_encoder()
    inputs = keras.Input(shape=(None, None), dtype="int32", name=TOKENS_INPUT)
    model = keras.Model(inputs, encoder(inputs), name="sentence_vectors")
    forward = compiled_forward(model)
    return lambda ids: keras.ops.convert_to_numpy(forward(ids))


def embed(
    texts: Sequence[str] | np.ndarray,
    max_windows: int = DEFAULT_WINDOWS,
    *,
    batch_size: int = 32,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    use_cache: bool = True,
) -> np.ndarray:
    """Sentence vectors (N, 384) float32 for ``texts``, from the cache when these texts were read before.

    Texts are read shortest first so each batch pads to similar lengths (several times faster on
    reviews of mixed length). ``on_progress(done, total)`` is called after every batch; ``cancel``
    is checked between batches and raises :class:`EncodingCancelled`.
    """
    texts = [str(t) for t in np.asarray(texts, dtype=str)]
    key = cache_key(texts, max_windows)
    if use_cache:
        hit = cached_vectors(key, len(texts))
        if hit is not None:
            if on_progress:
                on_progress(len(texts), len(texts))
            return hit
    out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
    if texts:
        encode = compiled_encoder()
        tokenizer = word_pieces(max_windows)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(order), batch_size):
            if cancel is not None and cancel.is_set():
                raise EncodingCancelled("Stopped while the encoder was reading the texts.")
            idx = order[start : start + batch_size]
            out[idx] = encode(tokenizer([texts[i] for i in idx]))
            if on_progress:
                on_progress(min(len(texts), start + batch_size), len(texts))
    if use_cache:
        _cache_put(key, out)
    return out


class EncodingCancelled(ModelDeckError):
    """The user pressed Stop while the texts were being encoded (before any training)."""

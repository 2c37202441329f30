"""How long the encoder takes on this machine: a short timing run, token counts and a time estimate."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.data.language import cjk_share
from modeling.device import detect_device
from modeling.templates.minilm.embeddings import compiled_encoder
from modeling.templates.minilm.encoder import MODEL_NAME, WINDOW, word_pieces


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
    rng = np.random.default_rng(0)
    words = ["good", "bad", "movie", "plot", "actor", "boring", "great", "scene", "story", "ending"]
    texts = [" ".join(rng.choice(words, 110)) for _ in range(8)]  # about one full window each
    encode, tokenizer = compiled_encoder(), word_pieces(1)
    ids = tokenizer(texts)
    encode(ids[:2])  # trace once
    start = time.perf_counter()
    encode(ids)
    read = 8 * WINDOW / max(time.perf_counter() - start, 1e-6)
    return Throughput(read, read / TRAIN_COST_RATIO, detect_device().label)


def estimate_tokens(texts: Sequence[str], max_windows: int, sample: int = 300) -> float:
    """Mean tokens the encoder reads per text, from the tokenizer on up to ``sample`` texts."""
    texts = [str(t) for t in list(texts)[:sample]]
    if not texts:
        return 0.0
    return float(np.mean(word_pieces(max_windows).lengths(texts)))


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

    if cjk_share(texts) > 0.3:
        return (
            f"{MODEL_NAME} was trained on English; most Chinese, Japanese or Korean characters are unknown to it. "
            "The keyword n-gram template (character n-grams) is the better choice for these texts."
        )
    return None

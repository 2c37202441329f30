"""Automatic: which text template to train, chosen from facts about the data, with the reason in words.

The rule, from the measurements in benchmarks/RESULTS.md ("The text default"):

1. Texts mostly in Chinese, Japanese or Korean -> ``ngram_nb`` over characters and character pairs: the
   pretrained encoder reads English and knows few of these characters.
2. The pretrained encoder is not installed here -> ``ngram_nb``, with the reason.
3. Reading every text once with the encoder would take longer than :data:`ENCODER_TIME_LIMIT_S` on this
   machine (timed here, so a GPU raises the limit by itself) -> ``ngram_nb``, with both estimates.
4. Otherwise -> ``minilm_ngrams``: the encoder's sentence vectors and the weighted n-grams, weighed on the
   validation texts. On every English set measured it was the most accurate template or one review
   behind the encoder alone, and never below the keyword baseline: short reviews
   (+3 to +12 points over the keyword baseline) and long ones (level or up to 2 points better, since the
   validation split then gives the keywords most of the say).

The choice is made when the config is made (:func:`automatic_config`), so a saved run and its YAML name
the concrete template that was trained, and old YAML files (which always name one) keep working.
Nothing here imports Keras: the encoder's speed comes in as a number (``read_tokens_per_s``), measured by
the caller (:func:`modeling.templates.minilm.measure_throughput`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling.config import ExperimentConfig, default_config
from modeling.data.dataset import Dataset
from modeling.data.language import reads_characters
from modeling.errors import DataError
from modeling.format import plural, seconds
from modeling.templates import registry
from modeling.templates.minilm.encoder import DEFAULT_WINDOWS, MODEL_NAME, WINDOW

HYBRID = "minilm_ngrams"
KEYWORDS = "ngram_nb"
#: Longest wait for the encoder to read the texts that Automatic accepts (on this machine's measured speed).
ENCODER_TIME_LIMIT_S = 600.0
#: Word pieces per English word (all-MiniLM-L6-v2's WordPiece vocabulary, measured on reviews).
PIECES_PER_WORD = 1.35
#: Texts looked at for their length and language.
SAMPLE = 2000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutomaticChoice:
    """The template Automatic picked, the sentence that says why, and the facts it read."""

    template: str
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)


def mean_words(texts: Any, sample: int = SAMPLE) -> float:
    """Mean words per text over up to ``sample`` texts (half the characters where there are no spaces)."""
    picked = list(texts[:sample]) if texts is not None else []
    if not picked:
        return 0.0
    return float(np.mean([len(str(t).split()) if " " in str(t).strip() else len(str(t)) / 2 for t in picked]))


def encoder_seconds(rows: int, words: float, read_tokens_per_s: float, windows: int = DEFAULT_WINDOWS) -> float:
    """Seconds the encoder needs to read ``rows`` texts of ``words`` words once, at the measured speed."""
    tokens = min(words * PIECES_PER_WORD + 2.0, windows * WINDOW)
    return rows * tokens / max(read_tokens_per_s, 1e-6)


def choose_text_template(
    dataset: Dataset,
    *,
    encoder: tuple[bool, str] | None = None,
    read_tokens_per_s: float | Callable[[], float] | None = None,
    limit_s: float = ENCODER_TIME_LIMIT_S,
) -> AutomaticChoice:
    """The text template for ``dataset`` (see the module docstring for the rule), with its reason.

    ``encoder`` is ``(available, reason)`` (default: the registry's check); ``read_tokens_per_s`` is the
    encoder's reading speed here, or a function that measures it (called only when the encoder is a
    candidate, since timing it loads it).
    """
    if dataset.texts is None:  # only text data holds texts
        raise DataError("Automatic template choice is for text data; this data holds other things.")
    rows = len(dataset)
    words = mean_words(dataset.texts)
    facts: dict[str, Any] = {"rows": rows, "mean_words": round(words, 1)}
    if reads_characters(dataset.texts[:SAMPLE]):
        facts["language"] = "cjk"
        return AutomaticChoice(
            KEYWORDS,
            f"Most characters are Chinese, Japanese or Korean. {MODEL_NAME} reads English, so Automatic uses "
            "weighted keyword n-grams over characters and character pairs.",
            facts,
        )
    available, why_not = encoder if encoder is not None else registry.spec(HYBRID).availability()
    facts["encoder_available"] = available
    if not available:
        return AutomaticChoice(
            KEYWORDS,
            f"The pretrained encoder cannot be used here ({why_not.rstrip('.')}), so Automatic uses weighted keyword "
            "n-grams, the best template without it.",
            facts,
        )
    speed = read_tokens_per_s() if callable(read_tokens_per_s) else read_tokens_per_s
    if speed is not None:
        wait = encoder_seconds(rows, words, float(speed))
        facts["encoder_seconds"] = round(wait, 1)
        if wait > limit_s:
            return AutomaticChoice(
                KEYWORDS,
                f"Reading {plural(rows, 'text')} of about {words:.0f} words with {MODEL_NAME} would take about "
                f"{seconds(wait)} on this machine, more than the {seconds(limit_s)} Automatic allows, so it uses "
                f"weighted keyword n-grams (seconds to train). Pick {HYBRID} yourself to use the encoder anyway.",
                facts,
            )
    timing = f" Reading the texts once takes about {seconds(facts['encoder_seconds'])} here." if speed else ""
    if words <= 60:
        why = (
            "On short texts like these the encoder's sentence vectors add what single words miss (synonyms, "
            "negation, phrasing): it scored 3 to 12 points above the keyword baseline on short reviews here."
        )
    else:
        why = (
            "On long texts the keywords carry most of the weight and the encoder adds a little: the validation "
            "texts decide how much each counts."
        )
    return AutomaticChoice(
        HYBRID, f"{MODEL_NAME} sentence vectors together with weighted keyword n-grams. {why}{timing}", facts
    )


def template_for_texts(dataset: Dataset) -> tuple[str, str]:
    """The registry's chooser for texts: ``(template, reason)``, the same rule and timing as the Model page.

    The encoder's reading speed is measured once per process (a few seconds) only when the encoder is a
    candidate; a failure to time it leaves the rule to pick without the time estimate.
    """
    from modeling.templates.minilm.throughput import measure_throughput

    def speed() -> float | None:
        try:
            return measure_throughput().read_tokens_per_s
        except Exception:
            log.warning("Could not time the pretrained encoder; choosing without its reading time", exc_info=True)
            return None

    choice = choose_text_template(dataset, read_tokens_per_s=speed)
    return choice.template, choice.reason


def automatic_config(
    dataset: Dataset, source: str | None = None, choice: AutomaticChoice | None = None, **data_fields: Any
) -> tuple[ExperimentConfig, AutomaticChoice]:
    """A ready-to-train config with the automatically chosen template (concrete, so the YAML reproduces it).

    ``choice`` is a choice made earlier (the Model page keeps one per dataset); otherwise it is made now
    without timing the encoder. Text columns come from the dataset unless ``data_fields`` names them.
    """
    choice = choice or choose_text_template(dataset)
    data_fields.setdefault("text_column", dataset.text_column)
    data_fields.setdefault("label_column", dataset.label_column)
    source = source or dataset.source or f"session:{dataset.name}"
    config = default_config(dataset.task, source=source, template=choice.template, **data_fields)
    return config, choice

"""Every template's facts in one place: one :class:`TemplateSpec` per template.

``config`` (which templates a task allows and their recommended settings), the Model page (names,
descriptions, availability), the model search (candidates, minimum rows, time estimates) and the README
table are all read from :data:`REGISTRY`. Adding a template is one spec here plus one builder function.

This module is plain data: builders are *dotted paths* (``"package.module:function"``) resolved only when
a model is built, so importing the registry (and ``modeling.config``) never imports Keras.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

IMAGE = "image_classification"
TEXT = "text_classification"
TABLE_CLASSIFICATION = "tabular_classification"
TABLE_REGRESSION = "tabular_regression"
#: Table tasks: their templates serve both (one spec, ``tasks`` names the second).
TABLE_TASKS = (TABLE_CLASSIFICATION, TABLE_REGRESSION)


@dataclass(frozen=True)
class CostModel:
    """How long a template takes here, from the data's size: ``fixed_s + per_million * work``.

    ``work`` is millions of words read per epoch times the epochs expected to run; ``reads`` says which
    length counts: the text's own words (``"words"``, bag models) or the padded ``sequence_length``
    (``"sequence"``). Constants were measured on a 2-core CPU (IMDB 2,000 reviews, the product reviews).
    ``estimator`` names a function ``(dataset, config) -> seconds`` for templates whose cost is not
    proportional to words (the pretrained encoder times itself on this machine).
    """

    fixed_s: float = 0.0
    per_million: float = 0.0
    reads: str = "words"
    estimator: str | None = None


@dataclass(frozen=True)
class TemplateSpec:
    """One template: what it is called, what it is for, how it is built, trained and costed."""

    name: str
    task: str
    description: str
    #: ``"module:function"`` taking ``(settings, train: Dataset)`` and returning an untrained ``keras.Model``.
    builder: str
    #: Settings that make it work well untuned; applied when the template is chosen.
    defaults: dict[str, Any] = field(default_factory=dict)
    #: ``None``: compile and fit through ``modeling.training.fit``. Otherwise ``"module:function"`` with the
    #: signature ``fit(config, train, validation, progress, cancel) -> FitResult`` (its own training loop).
    fit: str | None = None
    cost: CostModel | None = None
    #: The model search leaves the template out below this many rows (it cannot learn enough from fewer).
    min_rows: int = 0
    #: ``"module:function"`` returning ``(available, reason)``: what it needs installed (``None``: nothing).
    requires: str | None = None
    #: Whether the model search may try it.
    searchable: bool = True
    #: Further tasks the same template serves (table templates do classification and regression).
    also_tasks: tuple[str, ...] = ()
    #: The training settings that change anything for this template (``None``: all of them). The Model page
    #: shows only these, so nobody tunes epochs of a model that is fitted exactly.
    settings: tuple[str, ...] | None = None
    #: Why the other settings are not shown (one sentence for the Model page).
    settings_note: str = ""

    def serves(self, task: str) -> bool:
        """True when the template can be used for ``task``."""
        return task == self.task or task in self.also_tasks

    def build(self, settings: Any, train: Any) -> Any:
        """The untrained model for ``train`` (imports the builder's module, and so Keras, on first use)."""
        return resolve(self.builder)(settings, train)

    def custom_fit(self) -> Callable[..., Any] | None:
        """The template's own training function, or ``None`` when it trains through ``train_model``."""
        return resolve(self.fit) if self.fit else None

    def availability(self) -> tuple[bool, str]:
        """``(True, "")`` when everything it needs is installed here, else ``(False, reason)``."""
        return resolve(self.requires)() if self.requires else (True, "")


#: The Model page's sentence for templates fitted exactly rather than by gradient descent.
EXACT_FIT_NOTE = (
    "This template is fitted in one step, like a logistic regression (its strength and the term weighting are "
    "chosen on the validation texts): epochs, batch size, learning rate, dropout and hidden layers do not apply."
)


def resolve(path: str) -> Callable[..., Any]:
    """``"package.module:function"`` -> the function (the module is imported now)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


_SPECS = (
    TemplateSpec(
        name="small_cnn",
        task=IMAGE,
        description="Small convolutional network: two conv + pool blocks. Best default for digits and small pictures.",
        builder="modeling.templates.image:small_cnn",
        defaults={"epochs": 15, "batch_size": 64, "dropout": 0.5, "hidden_units": 128, "learning_rate": 1e-3},
    ),
    TemplateSpec(
        name="dense",
        task=IMAGE,
        description="Dense network (the classic MLP): looks at every pixel at once. Fast, a little less accurate.",
        builder="modeling.templates.image:dense",
        defaults={"epochs": 15, "batch_size": 64, "dropout": 0.4, "hidden_units": 256, "learning_rate": 1e-3},
    ),
    TemplateSpec(
        name="ngram_nb",
        task=TEXT,
        description=(
            "Weighted keyword n-grams: words and word pairs, weighted by how strongly they separate the classes "
            "(naive-Bayes ratios), fitted exactly like logistic regression. Fast, small, no extra packages; "
            "level with the keyword baseline on short texts, ahead on long ones (IMDB 2k: 87.0% vs 86.0%)."
        ),
        builder="modeling.templates.weighted_ngrams:ngram_nb",
        fit="modeling.training.linear_fit:fit",
        cost=CostModel(fixed_s=2.0, estimator="modeling.training.linear_fit:estimate_search_seconds"),
        settings=("max_tokens", "validation_share", "seed"),
        settings_note=EXACT_FIT_NOTE,
    ),
    TemplateSpec(
        name="minilm_ngrams",
        task=TEXT,
        description=(
            "Pretrained encoder + weighted keywords: all-MiniLM-L6-v2's sentence vectors (meaning, synonyms, "
            "negation) and the weighted n-grams (exact words), each fitted exactly, weighed on the validation "
            "texts. The most accurate text template here; English; reads each text once with the encoder."
        ),
        builder="modeling.templates.hybrid:minilm_ngrams",
        fit="modeling.training.hybrid_fit:fit",
        cost=CostModel(fixed_s=10.0, estimator="modeling.training.hybrid_fit:estimate_hybrid_search_seconds"),
        requires="modeling.templates.minilm:encoder_status",
        settings=("max_tokens", "sequence_length", "validation_share", "seed"),
        settings_note=EXACT_FIT_NOTE,
    ),
    TemplateSpec(
        name="ngram_bag",
        task=TEXT,
        description=(
            "Keyword n-grams: which words and word pairs occur, weighed by one linear layer with dropout. "
            "Strongest and fastest on a few hundred to a few thousand texts."
        ),
        builder="modeling.templates.text:ngram_bag",
        # A linear model on unit-length n-gram vectors learns best with a larger step.
        defaults={"epochs": 40, "batch_size": 32, "dropout": 0.5, "learning_rate": 0.03},
        cost=CostModel(fixed_s=4.0, per_million=1.3, reads="words"),
    ),
    TemplateSpec(
        name="embedding_bag",
        task=TEXT,
        description="Word embeddings, averaged: learns what each word means for the label. Small and quick.",
        builder="modeling.templates.text:embedding_bag",
        defaults={"epochs": 30, "batch_size": 32, "dropout": 0.3, "hidden_units": 64, "learning_rate": 1e-3},
        cost=CostModel(fixed_s=3.0, per_million=1.3, reads="sequence"),
    ),
    TemplateSpec(
        name="conv1d",
        task=TEXT,
        description="1-D convolution over word embeddings: notices short phrases like 'not good'. Needs more data.",
        builder="modeling.templates.text:conv1d",
        defaults={"epochs": 20, "batch_size": 32, "dropout": 0.5, "hidden_units": 64, "learning_rate": 1e-3},
        cost=CostModel(fixed_s=4.0, per_million=6.5, reads="sequence"),
        # It learns phrase detectors from scratch: below this many texts it rarely beats the others.
        min_rows=1000,
    ),
    TemplateSpec(
        name="minilm",
        task=TEXT,
        description=(
            "Pretrained encoder (all-MiniLM-L6-v2): already knows English from millions of sentences. "
            "Best on short texts and small datasets; English only; slower (22M parameters)."
        ),
        builder="modeling.templates.minilm:build_for",
        # Frozen encoder: only a dropout + dense head trains, on cached sentence vectors, so epochs are cheap
        # (measured on IMDB 2k and the product reviews: dropout 0.3 and step 3e-3 were best; stops near epoch 15).
        defaults={"epochs": 40, "batch_size": 32, "dropout": 0.3, "learning_rate": 3e-3, "patience": 5},
        fit="modeling.training.encoder_fit:fit",
        cost=CostModel(fixed_s=8.0, estimator="modeling.training.encoder_fit:estimate_search_seconds"),
        requires="modeling.templates.minilm:encoder_status",
    ),
)

_TABLE_FIT = "modeling.training.table_fit:fit"
_TABLE_SPECS = (
    TemplateSpec(
        name="boosted_trees",
        task=TABLE_CLASSIFICATION,
        also_tasks=(TABLE_REGRESSION,),
        description=(
            "Gradient-boosted trees (scikit-learn's HistGradientBoosting): hundreds of small decision trees, each "
            "fixing the last one's errors. Handles blanks and categories as they are; wins on most tables."
        ),
        builder="modeling.templates.tabular.builders:boosted_trees",
        fit=_TABLE_FIT,
    ),
    TemplateSpec(
        name="neural_network",
        task=TABLE_CLASSIFICATION,
        also_tasks=(TABLE_REGRESSION,),
        description=(
            "Neural network (a Keras MLP): numbers normalised, categories one-hot, dense layers with dropout. "
            "Trains on the GPU; usually a little behind the trees on tables, useful in a blend."
        ),
        builder="modeling.templates.tabular.builders:neural_network",
        defaults={
            "epochs": 80,
            "batch_size": 128,
            "hidden_units": 128,
            "hidden_layers": 2,
            "dropout": 0.2,
            "learning_rate": 1e-3,
            "patience": 10,
        },
        fit=_TABLE_FIT,
        min_rows=200,
    ),
    TemplateSpec(
        name="linear",
        task=TABLE_CLASSIFICATION,
        also_tasks=(TABLE_REGRESSION,),
        description=(
            "Linear model (logistic regression for classes, ridge for numbers) on one-hot categories and scaled "
            "numbers: the baseline. Fast and easy to explain."
        ),
        builder="modeling.templates.tabular.builders:linear",
        fit=_TABLE_FIT,
    ),
    TemplateSpec(
        name="automatic",
        task=TABLE_CLASSIFICATION,
        also_tasks=(TABLE_REGRESSION,),
        description=(
            "Automatic: tries several tree settings, the linear model and the neural network within the time "
            "budget, and blends the best of them (weights chosen on the validation rows). Most accurate, slower."
        ),
        builder="modeling.templates.tabular.builders:automatic",
        fit=_TABLE_FIT,
        searchable=False,
    ),
)

#: Every template by name, in the order the Model page lists them (the first of a task is its default).
REGISTRY: dict[str, TemplateSpec] = {spec.name: spec for spec in (*_SPECS, *_TABLE_SPECS)}

TASK_LABELS: dict[str, str] = {
    IMAGE: "Image classification",
    TEXT: "Text classification (e.g. sentiment)",
    TABLE_CLASSIFICATION: "Table classification (e.g. churn yes/no)",
    TABLE_REGRESSION: "Table regression (predict a number, e.g. a price)",
}


def for_task(task: str) -> list[TemplateSpec]:
    """The task's templates in their listed order (the first is the default)."""
    return [spec for spec in REGISTRY.values() if spec.serves(task)]


def spec(name: str) -> TemplateSpec:
    """The template called ``name``; ``KeyError`` for an unknown name (config validates names first)."""
    return REGISTRY[name]


def markdown_table() -> str:
    """The README's template table, generated so it cannot drift from the code."""
    rows = ["| task | template | what it is |", "|---|---|---|"]
    for item in REGISTRY.values():
        default = " (default)" if for_task(item.task)[0] is item else ""
        tasks = "Table classification and regression" if item.also_tasks else TASK_LABELS[item.task]
        rows.append(f"| {tasks} | `{item.name}`{default} | {item.description} |")
    return "\n".join(rows)

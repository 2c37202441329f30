"""Every task's and every template's facts in one place: :data:`TASKS` and :data:`REGISTRY`.

A *task* (:class:`TaskSpec`) says what kind of data it reads (``text``, ``image``, ``table``, ``series``),
which *family* trains, saves and loads its models (``keras`` for texts and images, ``table`` for business
tables, ``forecast`` for time series: :mod:`.forecast_specs`) and what its answers are (classes, a number or
a series). Generic code asks these facts instead of testing names: the experiment skeleton picks the family's
steps, ``load_predictor`` the family's predictor, the pages the kind's views.

A *template* (:class:`TemplateSpec`) holds everything about one model: its task(s), description, builder,
own training loop, recommended settings, the Model page's setting groups and the sentence that says what it
does, the search's cost model and minimum rows, what it needs installed, what its export reads and the
generator of the training script behind a run. ``config``, the Model page, the model search, the exports,
the code generator and the README table all read them from here. Adding a template is one spec here plus
its builder; ``tests/unit/templates/test_template_contract.py`` checks that nothing was forgotten.

This module is plain data: builders and generators are *dotted paths* (``"package.module:function"``)
resolved only when used, so importing the registry (and ``modeling.config``) never imports Keras.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modeling.templates import forecast_specs

IMAGE = "image_classification"
TEXT = "text_classification"
TABLE_CLASSIFICATION = "tabular_classification"
TABLE_REGRESSION = "tabular_regression"
FORECASTING = forecast_specs.FORECASTING


@dataclass(frozen=True)
class TaskSpec:
    """One task: what it reads, which family of templates serves it, what it answers."""

    name: str
    label: str
    #: The kind of data (``Dataset.kind``): ``text``, ``image``, ``table`` or ``series``; pages pick views by it.
    kind: str
    #: The family whose steps train, save and load its models (``keras``, ``table``, ``forecast``).
    family: str
    #: ``classes`` (a label with probabilities), ``number`` (a value with ranges) or ``series`` (a forecast).
    answers: str
    #: What one example is called in sentences ("500 texts", "12 rows").
    noun: str
    #: ``"module:function"`` ``(dataset) -> (template, reason)`` choosing the template for the data when nobody
    #: named one (texts: the Automatic rule); ``None``: the task's first template.
    chooser: str | None = None

    @property
    def predicts_number(self) -> bool:
        return self.answers == "number"


TASKS: dict[str, TaskSpec] = {
    item.name: item
    for item in (
        TaskSpec(IMAGE, "Image classification", "image", "keras", "classes", "images"),
        TaskSpec(
            TEXT,
            "Text classification (e.g. sentiment)",
            "text",
            "keras",
            "classes",
            "texts",
            chooser="modeling.templates.automatic:template_for_texts",
        ),
        TaskSpec(TABLE_CLASSIFICATION, "Table classification (e.g. churn yes/no)", "table", "table", "classes", "rows"),
        TaskSpec(
            TABLE_REGRESSION, "Table regression (predict a number, e.g. a price)", "table", "table", "number", "rows"
        ),
        TaskSpec(FORECASTING, forecast_specs.LABEL, "series", "forecast", "series", forecast_specs.NOUN),
    )
}


def task(name: str) -> TaskSpec:
    """The task called ``name``; ``KeyError`` for an unknown one (config validates task names first)."""
    return TASKS[name]


@dataclass(frozen=True)
class SettingGroup:
    """Settings the Model page shows together under a title (``tasks``: only for these tasks; empty = all)."""

    title: str
    fields: tuple[str, ...]
    tasks: tuple[str, ...] = ()


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
    #: ``"module:function"`` taking ``(settings, train: Dataset)`` and returning the untrained model in its family's
    #: shape (a ``keras.Model``, a table model, forecasters).
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
    #: The settings that change anything for this template, grouped as the Model page shows them; nobody
    #: tunes epochs of a model that is fitted exactly.
    setting_groups: tuple[SettingGroup, ...] = ()
    #: Why other settings are not shown (one sentence for the Model page; empty: nothing to say).
    settings_note: str = ""
    #: What training does, in one sentence that follows "On N training rows it ..."; ``{name}`` placeholders
    #: are training settings, ``{budget}`` the time budget in words.
    what_it_does: str = ""
    #: What its exports read (a key of ``modeling.export.formats.SUPPORTED``).
    export_input: str = ""
    #: ``"module:function"`` ``(config, facts, run_id, data_file) -> str`` writing the standalone training script
    #: behind a run (see ``modeling.export.code.training_script``).
    code: str = ""
    #: Trains in mixed precision (float16 compute, float32 weights) on a GPU: measured faster at the same
    #: accuracy for the convolutional and dense image networks; only for templates built and fitted by Keras.
    mixed_precision: bool = False

    def serves(self, task: str) -> bool:
        """True when the template can be used for ``task``."""
        return task == self.task or task in self.also_tasks

    @property
    def tasks(self) -> tuple[str, ...]:
        return (self.task, *self.also_tasks)

    @property
    def family(self) -> str:
        """The family that trains, saves and loads it (the same for every task it serves)."""
        return TASKS[self.task].family

    def groups_for(self, task: str) -> list[SettingGroup]:
        """The setting groups shown for ``task``."""
        return [g for g in self.setting_groups if not g.tasks or task in g.tasks]

    def setting_names(self, task: str | None = None) -> tuple[str, ...]:
        """Every training setting this template reads (for ``task``; all tasks when ``None``)."""
        groups = self.setting_groups if task is None else self.groups_for(task)
        return tuple(name for group in groups for name in group.fields)

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


_NETWORK = ("hidden_units", "hidden_layers", "dropout")
_OPTIMISER = SettingGroup("Optimiser", ("optimizer", "learning_rate", "schedule"))
_EPOCHS = SettingGroup("Training", ("epochs", "batch_size", "validation_share", "patience", "seed"))
_IMAGE_GROUPS = (SettingGroup("Network", (*_NETWORK, "augment")), _OPTIMISER, _EPOCHS)
_TEXT_GROUPS = (
    SettingGroup("Network", (*_NETWORK, "max_tokens", "sequence_length", "embedding_dim")),
    _OPTIMISER,
    _EPOCHS,
)
_KERAS_WHAT = (
    "trains for up to {epochs} epochs in batches of {batch_size}, keeping the weights that did best on the "
    "validation examples and stopping early when they stop improving."
)
_FITTED_WHAT = "counts its words and word pairs, weighs them and fits the classifier in one step (seconds)."

_SPECS = (
    TemplateSpec(
        name="small_cnn",
        task=IMAGE,
        description="Small convolutional network: two conv + pool blocks. Best default for digits and small pictures.",
        builder="modeling.templates.image:small_cnn",
        defaults={"epochs": 15, "batch_size": 64, "dropout": 0.5, "hidden_units": 128, "learning_rate": 1e-3},
        setting_groups=_IMAGE_GROUPS,
        what_it_does=_KERAS_WHAT,
        export_input="pixels",
        code="modeling.export.code_keras:image_script",
        mixed_precision=True,
    ),
    TemplateSpec(
        name="dense",
        task=IMAGE,
        description="Dense network (the classic MLP): looks at every pixel at once. Fast, a little less accurate.",
        builder="modeling.templates.image:dense",
        defaults={"epochs": 15, "batch_size": 64, "dropout": 0.4, "hidden_units": 256, "learning_rate": 1e-3},
        setting_groups=_IMAGE_GROUPS,
        what_it_does=_KERAS_WHAT,
        export_input="pixels",
        code="modeling.export.code_keras:image_script",
        mixed_precision=True,
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
        fit="modeling.training.keywords_fit:fit",
        cost=CostModel(fixed_s=2.0, estimator="modeling.training.keywords_fit:estimate_search_seconds"),
        setting_groups=(SettingGroup("Keywords", ("max_tokens", "validation_share", "seed")),),
        settings_note=EXACT_FIT_NOTE,
        what_it_does=_FITTED_WHAT,
        export_input="weighted_text",
        code="modeling.export.code_keywords:fitted_text_script",
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
        setting_groups=(
            SettingGroup("Keywords and encoder", ("max_tokens", "sequence_length", "validation_share", "seed")),
        ),
        settings_note=EXACT_FIT_NOTE,
        what_it_does=(
            "reads each text once with the pretrained encoder, counts its words and word pairs, fits both in one "
            "step and weighs them on the validation texts."
        ),
        export_input="hybrid_text",
        code="modeling.export.code_keywords:fitted_text_script",
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
        setting_groups=_TEXT_GROUPS,
        what_it_does=_KERAS_WHAT,
        export_input="vectorized_text",
        code="modeling.export.code_keras:text_script",
    ),
    TemplateSpec(
        name="embedding_bag",
        task=TEXT,
        description="Word embeddings, averaged: learns what each word means for the label. Small and quick.",
        builder="modeling.templates.text:embedding_bag",
        defaults={"epochs": 30, "batch_size": 32, "dropout": 0.3, "hidden_units": 64, "learning_rate": 1e-3},
        cost=CostModel(fixed_s=3.0, per_million=1.3, reads="sequence"),
        setting_groups=_TEXT_GROUPS,
        what_it_does=_KERAS_WHAT,
        export_input="vectorized_text",
        code="modeling.export.code_keras:text_script",
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
        setting_groups=_TEXT_GROUPS,
        what_it_does=_KERAS_WHAT,
        export_input="vectorized_text",
        code="modeling.export.code_keras:text_script",
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
        setting_groups=(SettingGroup("Encoder", ("encoder_mode", "sequence_length")), *_TEXT_GROUPS),
        what_it_does=(
            "reads each text with the pretrained encoder and trains a small head on its sentence vectors (or the "
            "whole encoder, when fine-tuning) for up to {epochs} epochs, stopping early when the validation texts "
            "stop improving."
        ),
        export_input="encoder_text",
        code="modeling.export.code_keras:encoder_script",
    ),
)

_TABLE_FIT = "modeling.training.table.fit:fit"
_TABLE_CODE = "modeling.export.code_tables:table_script"
_TABLE_TRAINING = ("validation_share", "seed")
_REGRESSION_LOSS = SettingGroup("Regression", ("regression_loss", "log_target"), (TABLE_REGRESSION,))
_LOG_TARGET = SettingGroup("Regression", ("log_target",), (TABLE_REGRESSION,))
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
        setting_groups=(
            SettingGroup(
                "Trees", ("max_rounds", "tree_learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization")
            ),
            SettingGroup("Training", ("patience", "time_budget_s", *_TABLE_TRAINING)),
            _REGRESSION_LOSS,
        ),
        settings_note=(
            "Early-stopping patience counts in steps of rounds for trees: training stops when the validation loss "
            "has not improved for several rounds."
        ),
        what_it_does=(
            "adds up to {max_rounds} small trees one after the other, each correcting the last, and stops when the "
            "validation rows stop improving or after {budget}."
        ),
        export_input="table_trees",
        code=_TABLE_CODE,
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
        setting_groups=(
            SettingGroup("Network", _NETWORK),
            _OPTIMISER,
            SettingGroup("Training", ("epochs", "batch_size", "patience", "time_budget_s", *_TABLE_TRAINING)),
            _REGRESSION_LOSS,
        ),
        what_it_does=(
            "trains a {hidden_layers}-layer network of {hidden_units} units for up to {epochs} epochs on the encoded "
            "columns, stopping early when the validation rows stop improving or after {budget}."
        ),
        export_input="table_mlp",
        code=_TABLE_CODE,
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
        setting_groups=(
            SettingGroup("Linear model", ("regularization",)),
            SettingGroup("Training", _TABLE_TRAINING),
            _LOG_TARGET,
        ),
        what_it_does="fits one weight per encoded column in one step (seconds): the baseline to beat.",
        export_input="table_linear",
        code=_TABLE_CODE,
    ),
    TemplateSpec(
        name="automatic",
        task=TABLE_CLASSIFICATION,
        also_tasks=(TABLE_REGRESSION,),
        description=(
            "Automatic: trains several tree settings, extra trees, the linear model and the neural network in 5 "
            "folds each within the time budget and blends them with weights chosen on answers each model gave for "
            "rows it did not learn from; the fold models answer together. Most accurate, slower."
        ),
        builder="modeling.templates.tabular.builders:automatic",
        fit="modeling.training.table.automatic:fit",
        searchable=False,
        setting_groups=(
            SettingGroup("Search", ("time_budget_s", "final_models")),
            SettingGroup("Training", _TABLE_TRAINING),
            _LOG_TARGET,
        ),
        what_it_does=(
            "trains several tree settings, extra trees, the linear model and the network in 5 folds each within "
            "{budget} (stopping early when the blend stops improving) and blends them with weights chosen on their "
            "out-of-fold answers; the fold models answer together (or, if you choose, each model is retrained on "
            "all rows)."
        ),
        export_input="table_blend",
        code=_TABLE_CODE,
    ),
)

#: Every template by name, in the order the Model page lists them (the first of a task is its default).
REGISTRY: dict[str, TemplateSpec] = {
    spec.name: spec for spec in (*_SPECS, *_TABLE_SPECS, *forecast_specs.specs(TemplateSpec, SettingGroup, CostModel))
}

TASK_LABELS: dict[str, str] = {name: item.label for name, item in TASKS.items()}


def for_task(task: str) -> list[TemplateSpec]:
    """The task's templates in their listed order (the first is the default)."""
    return [spec for spec in REGISTRY.values() if spec.serves(task)]


def spec(name: str) -> TemplateSpec:
    """The template called ``name``; ``KeyError`` for an unknown name (config validates names first)."""
    return REGISTRY[name]


def default_template(task: str) -> str:
    """The template a task gets when a settings file or a person names none (the first listed for it)."""
    return for_task(task)[0].name


def tasks_of_kind(kind: str) -> list[str]:
    """The tasks that read ``kind`` of data, in their listed order."""
    return [item.name for item in TASKS.values() if item.kind == kind]


def markdown_table() -> str:
    """The README's template table, generated so it cannot drift from the code."""
    rows = ["| task | template | what it is |", "|---|---|---|"]
    for item in REGISTRY.values():
        default = " (default)" if for_task(item.task)[0] is item else ""
        tasks = " and ".join(TASK_LABELS[t] for t in item.tasks)
        rows.append(f"| {tasks} | `{item.name}`{default} | {item.description} |")
    return "\n".join(rows)

"""Typed settings for an experiment: which data, which task and template, how to train.

One place holds every default, range and description (the Ludwig idea of a
declarative config with a schema). The Model page draws its widgets from these
fields, the command line reads the same YAML, and every validation problem is
reported as a sentence that names the field, the value and the allowed range.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from modeling.errors import ConfigError
from modeling.templates import registry

#: Every task the registry lists (``registry.TASKS``): a new task is added there, not here.
Task = Literal[tuple(registry.TASKS)]  # type: ignore[valid-type]

#: Templates per task, with the one-line description shown to users; the first is the default. Derived
#: from the registry (:mod:`modeling.templates.registry`), the one place a template's facts are written.
TEMPLATES: dict[str, dict[str, str]] = {
    task: {item.name: item.description for item in registry.for_task(task)} for task in registry.TASK_LABELS
}
TASK_LABELS = registry.TASK_LABELS


def default_template(task: str) -> str:
    """The task's default template from the registry (the data may choose better: ``templates.defaults``)."""
    return registry.default_template(task)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataConfig(_Strict):
    """Where the data comes from and how it is held out for testing."""

    source: str = Field(
        "sample:reviews",
        description="A built-in sample (sample:digits, sample:mnist, sample:reviews, sample:chicago_rides, ...) or a "
        "path to a CSV/TSV/Excel/Parquet table, an image ZIP or an .npz file.",
    )
    text_column: str | None = Field(None, description="Table column holding the text (tables only).")
    label_column: str | None = Field(None, description="Table column holding the label (tables only).")
    target_column: str | None = Field(
        None,
        description="Business tables: the column to predict (setting it makes the source a table; guessed when "
        "the task is tabular and it is empty). Forecasting: the number to forecast.",
    )
    columns: dict[str, Literal["use", "ignore"]] = Field(
        default_factory=dict,
        description="Business tables: a role per column name, 'use' or 'ignore' (IDs, constant and mostly empty "
        "columns are ignored by default).",
    )
    sheet: str | None = Field(None, description="Excel workbooks: the sheet to read (the first when empty).")
    sensitive_columns: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Business tables: columns to check fairness on (gender, age band, senior citizen): error and "
        "selection rates per group on the test rows. A column left out of the model (role 'ignore') is audited too.",
    )
    test_share: float = Field(
        0.2, ge=0.05, le=0.5, description="Share of rows kept aside for the final test, never trained on."
    )
    drop_duplicates: bool = Field(
        False,
        description="Remove exact and near duplicate rows (keeping one of each) before splitting, so no copy "
        "sits in both the training and the test split.",
    )
    # Forecasting only (task: forecasting); left empty, the roles are proposed from the table and said in the notes.
    date_column: str | None = Field(None, description="Forecasting only: the column holding the dates.")
    series_columns: list[str] = Field(
        default_factory=list,
        description="Forecasting only: the columns that name a series (store, product); empty: one series, or "
        "proposed when data.date_column is empty too.",
    )
    known_ahead_columns: list[str] = Field(
        default_factory=list,
        description="Forecasting only: outside columns whose future values are known (a promotion or holiday flag, "
        "a planned price); the boosted and network models use them.",
    )
    frequency: str = Field(
        "",
        max_length=10,
        description="Forecasting only: how often the series is measured, as a pandas alias (D, W-MON, MS, ME, "
        "QS-JAN, YS-JAN); empty: inferred from the dates.",
    )
    date_order: Literal["auto", "day_first", "month_first"] = Field(
        "auto",
        description="Forecasting only: how to read dates like 03/04/2021; auto decides from the dates themselves.",
    )
    duplicate_dates: Literal["sum", "refuse"] = Field(
        "sum", description="Forecasting only: two rows of one series on one date are added up, or refused."
    )
    fill_gaps: Literal["none", "zero", "interpolate"] = Field(
        "none",
        description="Forecasting only: missing dates within a series are refused (none), read as 0, or "
        "interpolated between their neighbours.",
    )


class TrainingSettings(_Strict):
    """Every knob of a template and of training, each with a default that works untuned."""

    hidden_units: int = Field(128, ge=8, le=2048, description="Neurons in each hidden layer.")
    hidden_layers: int = Field(1, ge=1, le=4, description="Number of hidden dense layers.")
    dropout: float = Field(
        0.4, ge=0.0, le=0.9, description="Share of neurons switched off at random while training; fights over-fitting."
    )
    optimizer: Literal["adam", "adamw", "sgd", "rmsprop"] = Field(
        "adam", description="How weights are updated. Adam is a safe default; SGD uses momentum 0.9."
    )
    learning_rate: float = Field(1e-3, ge=1e-6, le=1.0, description="Step size of each weight update.")
    schedule: Literal["constant", "exponential", "cosine", "warmup_cosine"] = Field(
        "constant", description="How the learning rate changes over training."
    )
    epochs: int = Field(15, ge=1, le=500, description="Passes over the training data (early stopping may end sooner).")
    batch_size: int = Field(64, ge=1, le=4096, description="Examples per weight update.")
    validation_share: float = Field(
        0.15, ge=0.05, le=0.5, description="Share of the training rows used to watch for over-fitting."
    )
    patience: int = Field(
        4,
        ge=0,
        le=100,
        description="Stop after this many epochs without validation improvement (0 = never stop early).",
    )
    seed: int = Field(42, ge=0, le=2**31 - 1, description="Random seed: the same seed gives the same split and start.")
    augment: bool = Field(False, description="Images only: train on slightly shifted, rotated and zoomed copies.")
    # Text only
    max_tokens: int = Field(20000, ge=100, le=200_000, description="Text only: vocabulary size.")
    sequence_length: int = Field(
        200, ge=8, le=2048, description="Text only: words read per text by sequence templates; longer texts are cut."
    )
    embedding_dim: int = Field(64, ge=4, le=1024, description="Text only: size of each word vector.")
    encoder_mode: Literal["frozen", "fine_tune"] = Field(
        "frozen",
        description="Pretrained template only: 'frozen' reads each text once and trains a small head in seconds; "
        "'fine_tune' also trains the encoder (learning rate capped at 5e-05): often more accurate, "
        "but meant for a GPU (minutes to hours on a CPU).",
    )
    # Tables only
    max_rounds: int = Field(
        1000,
        ge=10,
        le=5000,
        description="Tables, trees only: most boosting rounds (trees added one after the other); early stopping "
        "on the validation rows usually ends sooner.",
    )
    tree_learning_rate: float = Field(
        0.05, ge=0.005, le=1.0, description="Tables, trees only: how much each new tree corrects the previous ones."
    )
    max_leaf_nodes: int = Field(
        15, ge=4, le=1024, description="Tables, trees only: leaves per tree; more leaves learn finer interactions."
    )
    min_samples_leaf: int = Field(
        10, ge=1, le=2000, description="Tables, trees only: fewest rows a leaf may hold; higher fights over-fitting."
    )
    l2_regularization: float = Field(
        1.0, ge=0.0, le=100.0, description="Tables, trees only: penalty on large leaf values; higher is smoother."
    )
    regularization: float = Field(
        1.0,
        ge=1e-4,
        le=1e4,
        description="Tables, linear only: strength of the penalty on the weights (higher = simpler model).",
    )
    regression_loss: Literal["squared_error", "absolute_error", "huber"] = Field(
        "squared_error",
        description="Tables, regression only: what a miss costs while training. Squared error chases the mean; "
        "absolute error and Huber care less about a few huge misses (trees read Huber as absolute error).",
    )
    log_target: Literal["auto", "yes", "no"] = Field(
        "auto",
        description="Tables, regression only: learn the logarithm of a positive target (prices, revenue) and "
        "answer in its units; 'auto' does it when the target is positive and heavy-tailed.",
    )
    time_budget_s: int = Field(
        120,
        ge=5,
        le=3600,
        description="Tables only: most seconds of training; trees stop adding rounds and the automatic template "
        "shares it between its candidates.",
    )
    final_models: Literal["fold_models", "retrained"] = Field(
        "fold_models",
        description="Tables, automatic only: what answers once the blend is chosen. 'fold_models': each model's "
        "5 fold models together (most accurate, as AutoGluon does); 'retrained': each model retrained once on all "
        "rows (about 5 times quicker to answer, a half to a third of the memory on large tables).",
    )
    # Forecasting only
    horizon: int = Field(
        0,
        ge=0,
        le=400,
        description="Forecasting only: how many steps ahead to forecast; 0 = a default for the data's frequency "
        "(14 days, 12 weeks, 12 months, 4 quarters or 2 years).",
    )
    backtest_windows: int = Field(
        3,
        ge=1,
        le=20,
        description="Forecasting only: how many of the last horizons are held out in turn to judge the models "
        "(fewer when the history is short).",
    )
    candidates: list[str] = Field(
        default_factory=list,
        max_length=6,
        description="Forecasting only, automatic_forecast: the models it compares, from seasonal_naive, auto_ets, "
        "auto_theta, auto_arima, boosted, network; empty = all but the network.",
    )


class ExperimentConfig(_Strict):
    """A complete, reproducible description of one training run."""

    data: DataConfig = Field(default_factory=DataConfig)
    task: Task = Field("text_classification", description="What to learn: " + ", ".join(registry.TASKS) + ".")  # type: ignore[assignment]
    template: str = Field(
        "",
        description="The template to train (see the template table). Left out: the data decides, as the app's "
        "Automatic does (for texts, the pretrained encoder with keywords when it is installed and fast enough "
        "here; otherwise the task's default).",
    )
    settings: TrainingSettings = Field(default_factory=TrainingSettings)

    #: True when the settings named no template and the task's default was filled in: training may then let the
    #: data choose (:func:`modeling.templates.defaults.config_for_data`), as the app's Automatic does.
    _template_left_open: bool = PrivateAttr(False)

    @property
    def template_left_open(self) -> bool:
        return self._template_left_open

    @model_validator(mode="after")
    def _template_fits_task(self) -> ExperimentConfig:
        if not self.template:  # left out: the task's default from the registry (never another task's template)
            self.__dict__["template"] = registry.default_template(self.task)
            self._template_left_open = True
        allowed = TEMPLATES[self.task]
        if self.template not in allowed:
            raise ValueError(
                f"template '{self.template}' does not exist for task '{self.task}'; choose one of: {', '.join(allowed)}"
            )
        return self

    # ---- YAML in and out -------------------------------------------------------------------
    def to_yaml(self) -> str:
        """YAML text with every field, so a downloaded file documents itself."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str | bytes) -> ExperimentConfig:
        """Parse YAML safely (no Python tags, no code) and validate it field by field.

        Anchors and aliases are refused before parsing: a settings file never needs them, and
        nested aliases (a "billion laughs" file) would otherwise expand into gigabytes.
        """
        try:
            if len(text) > MAX_SETTINGS_BYTES:
                raise ConfigError(
                    f"The settings file is {len(text):,} bytes; settings files are small (at most "
                    f"{MAX_SETTINGS_BYTES:,} bytes). Upload the .yaml file ModelDeck gave you."
                )
            if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
                raise ConfigError("The settings file uses YAML aliases (*name); write each value out instead.")
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"The settings file is not valid YAML: {_short_yaml_error(exc)}") from None
        if raw is None:
            raise ConfigError("The settings file is empty.")
        if not isinstance(raw, dict):
            raise ConfigError("The settings file must be a mapping of fields (data, task, template, settings).")
        return cls.validate_dict(raw)

    @classmethod
    def from_file(cls, path: str | Path) -> ExperimentConfig:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot read the settings file {path}: {exc.strerror}.") from None
        return cls.from_yaml(text)

    @classmethod
    def validate_dict(cls, raw: dict[str, Any]) -> ExperimentConfig:
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise config_error_from(exc) from None


#: Largest settings file accepted; the ones ModelDeck writes are under 2 KB.
MAX_SETTINGS_BYTES = 100_000
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60


def _short_yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(problem)


def _field_constraints(model: type[BaseModel], path: tuple[Any, ...]) -> str:
    """Describe the allowed values of the field at ``path`` (for example 'from 1e-06 to 1.0')."""
    current: Any = model
    field = None
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return ""
        field = current.model_fields.get(str(part))
        if field is None:
            return ""
        current = field.annotation
    if field is None:
        return ""
    low = high = None
    for meta in field.metadata:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    if low is not None and high is not None:
        return f"allowed: from {low} to {high}"
    choices = getattr(field.annotation, "__args__", None)
    if choices and all(isinstance(c, str) for c in choices):
        return "allowed: " + ", ".join(choices)
    return ""


def config_error_from(exc: ValidationError, model: type[BaseModel] = ExperimentConfig) -> ConfigError:
    """Turn pydantic's report into sentences that name field, value and allowed range."""
    problems: list[str] = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        field = ".".join(str(p) for p in loc) or "settings"
        value = err.get("input")
        kind = err.get("type", "")
        if kind == "extra_forbidden":
            problems.append(f"{field}: unknown field (remove it or check its spelling).")
            continue
        if kind == "missing":
            problems.append(f"{field}: this field is required.")
            continue
        allowed = _field_constraints(model, loc)
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        shown = _SHORT_REPR.repr(value) if not isinstance(value, dict) else "(a mapping)"
        sentence = f"{field} = {shown} is not valid: {msg}"
        if allowed:
            sentence += f" ({allowed})"
        problems.append(sentence + ".")
    return ConfigError("Some settings are invalid:\n- " + "\n- ".join(problems), problems)


def describe_fields() -> dict[str, dict[str, Any]]:
    """Default, range and help text of each training setting, for widgets and the README."""
    out: dict[str, dict[str, Any]] = {}
    for name, field in TrainingSettings.model_fields.items():
        info: dict[str, Any] = {"default": field.default, "help": field.description or ""}
        for meta in field.metadata:
            if getattr(meta, "ge", None) is not None:
                info["min"] = meta.ge
            if getattr(meta, "le", None) is not None:
                info["max"] = meta.le
        choices = getattr(field.annotation, "__args__", None)
        if choices and all(isinstance(c, str) for c in choices):
            info["choices"] = list(choices)
        out[name] = info
    return out


def template_settings(template: str, base: TrainingSettings | None = None) -> TrainingSettings:
    """``base`` (or the global defaults) with the template's own recommended values applied."""
    values = (base or TrainingSettings()).model_dump()
    if template in registry.REGISTRY:
        values.update(registry.spec(template).defaults)
    return TrainingSettings(**values)


def default_config(task: str, source: str, template: str | None = None, **data_fields: Any) -> ExperimentConfig:
    """A ready-to-train config for a task and data source, with the template's recommended settings."""
    template = template or default_template(task)
    return ExperimentConfig(
        data=DataConfig(source=source, **data_fields),
        task=task,  # type: ignore[arg-type]
        template=template,
        settings=template_settings(template),
    )

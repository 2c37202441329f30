"""Two or more runs side by side: which settings differ, and what each run achieved.

The Compare runs page and the exported comparison report read the same rows from here, so the app and
the file always agree. Everything works on saved runs (``modeling.runs.store.Run``) without loading a model:
comparing ten runs must not load ten networks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modeling.errors import ModelDeckError
from modeling.evaluation.intervals import wilson
from modeling.evaluation.schema import Evaluation
from modeling.format import amount
from modeling.reporting.task_words import task_words
from modeling.runs.store import Run

#: Run facts shown in the settings diff next to the YAML settings, because they change what is compared.
_RUN_FACTS = (("data.name", "Data set"),)


@dataclass(frozen=True)
class SettingRow:
    """One setting across runs: its dotted name, one value per run (as text), and whether they differ."""

    field: str
    values: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


def check_comparable(runs: Sequence[Run]) -> None:
    """Two or more runs of one task, each with an evaluation; else a sentence saying what to pick."""
    if len(runs) < 2:
        raise ModelDeckError("Pick at least two runs to compare.")
    tasks = {run.task for run in runs}
    if len(tasks) > 1:
        raise ModelDeckError(
            "These runs solve different tasks (" + ", ".join(sorted(t.replace("_", " ") for t in tasks)) + "); "
            "compare runs of one task only."
        )
    missing = [run.info.run_id for run in runs if not run.evaluation]
    if missing:
        raise ModelDeckError(f"Run '{missing[0]}' has no saved evaluation (it did not finish); leave it out.")
    ids = [run.info.run_id for run in runs]
    if len(set(ids)) != len(ids):
        raise ModelDeckError("The same run was picked twice; pick different runs.")


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = value


def _shown(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_rows(runs: Sequence[Run]) -> list[SettingRow]:
    """Every setting of every run (the YAML fields, dotted, in file order) plus the data set's name.

    A field one run lacks (an older settings file) shows as "(not set)" and so counts as a difference.
    """
    flat: list[dict[str, Any]] = []
    order: list[str] = []
    for run in runs:
        values: dict[str, Any] = {}
        _flatten("", run.config.model_dump(mode="json"), values)
        for key, label in _RUN_FACTS:
            if key == "data.name":
                values[label] = (run.meta.get("dataset") or {}).get("name")
        flat.append(values)
        order += [k for k in values if k not in order]
    return [SettingRow(field, tuple(_shown(v.get(field)) for v in flat)) for field in order]


def differing_settings(runs: Sequence[Run]) -> list[SettingRow]:
    """Only the settings whose values are not the same in all runs."""
    return [row for row in settings_rows(runs) if row.differs]


def model_size_mb(run: Run) -> float | None:
    path = run.path / "model.keras"
    return path.stat().st_size / 1e6 if path.exists() else None


@dataclass(frozen=True)
class RunFigures:
    """What one run achieved, in numbers a table and a chart can show; ``None`` where unknown."""

    run_id: str
    label: str
    n: int
    accuracy: float
    accuracy_low: float | None
    accuracy_high: float | None
    interval_method: str
    f1_macro: float
    lift_majority: float | None
    lift_logistic: float | None
    train_seconds: float | None
    epochs_run: int | None
    size_mb: float | None
    predict_seconds_per_1000: float | None
    #: Runs that predict a number (the registry's ``answers``): errors in the target's units, RMSE with its interval.
    predicts_number: bool = False
    rmse: float | None = None
    rmse_low: float | None = None
    rmse_high: float | None = None
    mae: float | None = None
    r2: float | None = None


def accuracy_interval(evaluation: Evaluation) -> tuple[float | None, float | None, str]:
    """(low, high, method) of the accuracy: the saved interval when the run has one, else Wilson's.

    Runs saved before intervals existed (and the starters) still get one: it needs only n and the accuracy.
    """
    saved = (evaluation.get("intervals") or {}).get("accuracy")
    if saved and saved.get("low") is not None and saved.get("high") is not None:
        return float(saved["low"]), float(saved["high"]), str(saved.get("method") or "saved with the run")
    model = evaluation.get("model") or {}
    n = int(model.get("n") or 0)
    if not n or model.get("accuracy") is None:
        return None, None, ""

    low, high = wilson(round(float(model["accuracy"]) * n), n)
    return low, high, "wilson"


def run_figures(run: Run, label: str | None = None) -> RunFigures:
    """The comparison row of one run, from its saved evaluation and facts."""
    ev = run.evaluation or {}
    model = ev.get("model") or {}
    lift = ev.get("lift") or {}
    low, high, method = accuracy_interval(ev)
    meta = run.meta
    speed = meta.get("predict_seconds_per_1000")
    errors: dict[str, Any] = {}
    number = task_words(run.task, ev).predicts_number
    if number:
        rmse_interval = (ev.get("intervals") or {}).get("rmse") or {}
        errors = {
            "rmse": model.get("rmse"),
            "rmse_low": rmse_interval.get("low"),
            "rmse_high": rmse_interval.get("high"),
            "mae": model.get("mae"),
            "r2": model.get("r2"),
        }
    return RunFigures(
        run_id=run.info.run_id,
        label=label or run.info.run_id,
        n=int(model.get("n") or 0),
        accuracy=float(model.get("accuracy") or 0.0),
        accuracy_low=low,
        accuracy_high=high,
        interval_method=method,
        f1_macro=float(model.get("f1_macro") or 0.0),
        lift_majority=lift.get("majority"),
        lift_logistic=lift.get("logistic"),
        train_seconds=meta.get("duration_s"),
        epochs_run=meta.get("epochs_run"),
        size_mb=model_size_mb(run),
        predict_seconds_per_1000=float(speed) if speed is not None else None,
        predicts_number=number,
        **errors,
    )


def short_labels(runs: Sequence[Run]) -> list[str]:
    """Names short enough for a legend: 'A · ngram_bag', 'B · conv1d', ... (letters keep them apart)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    labels = []
    for i, run in enumerate(runs):
        tag = letters[i] if i < len(letters) else str(i + 1)
        labels.append(f"{tag} · {run.config.template}")
    return labels


def same_test_set(runs: Sequence[Run]) -> bool:
    """True when all runs were tested on the same rows: same data, test share and seed (so the same split)."""
    keys = {
        (
            run.config.data.source,
            (run.meta.get("dataset") or {}).get("rows"),
            run.config.data.test_share,
            run.config.settings.seed,
        )
        for run in runs
    }
    return len(keys) == 1


def all_predict_numbers(figures: Sequence[RunFigures]) -> bool:
    """True when every run compared predicts a number: the comparison is of errors, not of accuracy."""
    return bool(figures) and all(f.predicts_number for f in figures)


def comparison_sentences(figures: Sequence[RunFigures], same_split: bool) -> list[str]:
    """Plain sentences: which run is most accurate, and whether the test set can tell the runs apart."""
    if not figures:
        return []
    if all_predict_numbers(figures):
        return _regression_sentences(figures, same_split)
    ranked = sorted(figures, key=lambda f: (-f.accuracy, -f.f1_macro))
    best, second = ranked[0], ranked[1] if len(ranked) > 1 else None
    sentences = [
        f"The most accurate run is {best.label}: right {100 * best.accuracy:.1f}% of the time on {best.n:,} test "
        f"examples (macro F1 {best.f1_macro:.3f})."
    ]
    if second is not None:
        gap = 100 * (best.accuracy - second.accuracy)
        overlap = (
            best.accuracy_low is not None
            and second.accuracy_high is not None
            and best.accuracy_low <= second.accuracy_high
        )
        if gap < 0.05:
            sentences.append(f"{second.label} is exactly as accurate.")
        elif overlap:
            sentences.append(
                f"{second.label} comes next, {gap:.1f} points behind; their 95% intervals overlap, so this test set "
                "cannot tell the two apart with confidence."
            )
        else:
            sentences.append(
                f"{second.label} comes next, {gap:.1f} points behind; the 95% intervals do not overlap, so the "
                "difference is unlikely to be luck of the split."
            )
    timed = [f for f in figures if f.train_seconds is not None]
    if len(timed) >= 2:
        fastest = min(timed, key=lambda f: f.train_seconds or 0.0)
        slowest = max(timed, key=lambda f: f.train_seconds or 0.0)
        if fastest.label != slowest.label:
            sentences.append(
                f"Training took from {fastest.train_seconds:,.1f} s ({fastest.label}) to "
                f"{slowest.train_seconds:,.1f} s ({slowest.label})."
            )
    if not same_split:
        sentences.append(
            "Careful: these runs were not tested on the same examples (different data, test share or seed), so "
            "part of any difference comes from the test sets themselves."
        )
    return sentences


def _regression_sentences(figures: Sequence[RunFigures], same_split: bool) -> list[str]:
    """Which number-predicting run misses least (RMSE), and whether the test set can tell them apart."""
    ranked = sorted(figures, key=lambda f: f.rmse if f.rmse is not None else float("inf"))
    best = ranked[0]
    sentences = [
        f"The most accurate run is {best.label}: a typical miss (RMSE) of {amount(best.rmse)} on {best.n:,} test rows"
        + (f", R² {best.r2:.3f}." if best.r2 is not None else ".")
    ]
    if len(ranked) > 1:
        second = ranked[1]
        overlap = best.rmse_high is not None and second.rmse_low is not None and second.rmse_low <= best.rmse_high
        gap = (second.rmse or 0.0) / best.rmse - 1 if best.rmse else 0.0
        verdict = (
            "their 95% intervals overlap, so this test set cannot tell the two apart with confidence"
            if overlap
            else "the 95% intervals do not overlap, so the difference is unlikely to be luck of the split"
        )
        sentences.append(f"{second.label} comes next, with {gap:.0%} larger misses; {verdict}.")
    if not same_split:
        sentences.append(
            "Careful: these runs were not tested on the same rows (different data, test share or seed), so part of "
            "any difference comes from the test sets themselves."
        )
    return sentences

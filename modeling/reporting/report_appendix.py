"""The second half of a run report: where it goes wrong, its limitations and the appendices.

Split from :mod:`modeling.reporting.run_report` so each module reads in one sitting; the run report calls
these functions in order. Each returns a section body as HTML ('' leaves the section out).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from modeling import format as fmt
from modeling.config import TEMPLATES, TrainingSettings
from modeling.evaluation.schema import Evaluation
from modeling.reporting import charts
from modeling.reporting.blocks import TRAIN_COMMAND, chart, paragraph
from modeling.reporting.html import esc, image_data_uri, table
from modeling.reporting.limitations import limitations
from modeling.reporting.task_words import task_words
from modeling.runs.store import Run
from modeling.templates import registry

log = logging.getLogger(__name__)

#: Mistakes shown in a report: enough to see a pattern, few enough to read.
TEXT_MISTAKES = 8
IMAGE_MISTAKES = 24
#: Columns of a table row quoted beside a mistake.
ROW_COLUMNS = 6
#: Longest text quoted in the mistakes table (the rest is cut with an ellipsis).
QUOTE_CHARS = 280
#: What a trainer counts (the run's ``unit``), in the words of the training paragraph.
UNIT_WORDS = {
    "epochs": "epochs (passes over the training data)",
    "rounds": "rounds (trees added one after the other)",
    "steps": "steps",
    "candidates": "candidate models",
    "models": "model fits (each model on each backtest window, then the chosen ones on all the history)",
}


# ---- mistakes ---------------------------------------------------------------------------------------------------
def mistakes_section(run: Run, ev: Evaluation, names: Sequence[str], test: Any, decision_rule: bool = False) -> str:
    model = ev["model"]
    out = [chart(charts.confusion_matrix(model, names))]
    if decision_rule:
        out.append(
            paragraph(
                "The confusion matrix and the mistakes below count the model's most probable class; the saved decision "
                "rule (see above) moves some answers, as its value chart shows.",
                "note",
            )
        )
    per_class = model.get("per_class") or {}
    if per_class:
        rows = [
            [
                name,
                fmt.percent(m.get("precision")),
                fmt.percent(m.get("recall")),
                f"{float(m.get('f1') or 0):.3f}",
                f"{int(m.get('support') or 0):,}",
            ]
            for name, m in per_class.items()
        ]
        out.append(table(["Class", "Precision", "Recall (found)", "F1", "Test examples"], rows, numeric=(1, 2, 3, 4)))
    wrong = list(ev.get("misclassified") or [])
    if not wrong:
        out.append(
            paragraph(
                "It made no mistakes on the test split."
                if model.get("accuracy") == 1
                else "No examples of mistakes were saved."
            )
        )
        return "".join(out)
    out.append("<h3>Examples of mistakes, most confident first</h3>")
    out.append(
        paragraph(
            "Confident mistakes are worth reading: they often reveal a wrong label in the data, or a kind of case "
            "the model has not learned.",
            "note",
        )
    )
    if test is None:
        out.append(paragraph("The test examples were not saved with this run, so they cannot be shown.", "note"))
        return "".join(out)
    html, shown = MISTAKE_VIEWS.get(test.kind, _text_mistakes)(test, wrong, ev)
    out.append(html)
    total_wrong = _total_wrong(model)
    out.append(paragraph(f"Showing {shown} of {total_wrong:,} mistakes on the test split.", "note"))
    return "".join(out)


def _image_mistakes(test: Any, wrong: Sequence[Mapping[str, Any]], ev: Evaluation) -> tuple[str, int]:
    """The pictures it got wrong, each with its true and predicted class."""
    cells = []
    for w in wrong[:IMAGE_MISTAKES]:
        uri = image_data_uri(test.images[int(w["index"])])
        caption = f"true {w['true']} → said {w['predicted']} ({fmt.percent(w['confidence'], 0)})"
        cells.append(f'<div class="mistake"><img alt="{esc(caption)}" src="{uri}"><div>{esc(caption)}</div></div>')
    return f'<div class="mistakes">{"".join(cells)}</div>', len(cells)


def _table_mistakes(test: Any, wrong: Sequence[Mapping[str, Any]], ev: Evaluation) -> tuple[str, int]:
    """The rows it got wrong with their values as the table wrote them, so a reader sees what kind of case it is."""
    shown = list(wrong[:TEXT_MISTAKES])
    columns, values = quoted_rows(test, [int(w["index"]) for w in shown])
    rows = [
        [*row, w["true"], w["predicted"], fmt.percent(w["confidence"], 0)] for row, w in zip(values, shown, strict=True)
    ]
    html = table([*columns, "True", "Model said", "Confidence"], rows, numeric=(len(columns) + 2,))
    if ev.get("importance"):
        html += chart(charts.importance_chart(ev["importance"]))
    return html, len(shown)


def _text_mistakes(test: Any, wrong: Sequence[Mapping[str, Any]], ev: Evaluation) -> tuple[str, int]:
    """The texts it got wrong, quoted (cut at :data:`QUOTE_CHARS`)."""
    rows = []
    for w in wrong[:TEXT_MISTAKES]:
        text = " ".join(str(test.texts[int(w["index"])]).split())
        if len(text) > QUOTE_CHARS:
            text = text[: QUOTE_CHARS - 1].rstrip() + "…"
        rows.append([f"“{text}”", w["true"], w["predicted"], fmt.percent(w["confidence"], 0)])
    return table(["Text", "True label", "Model said", "Confidence"], rows, numeric=(3,)), len(rows)


#: How each kind of data shows its mistakes: ``(test, mistakes, evaluation) -> (html, how many shown)``.
MISTAKE_VIEWS = {"image": _image_mistakes, "table": _table_mistakes, "text": _text_mistakes}


def quoted_rows(test: Any, indices: Sequence[int], limit: int = ROW_COLUMNS) -> tuple[list[str], list[list[str]]]:
    """(column names, one list of cells per row) of a table's test rows, written as the table wrote them.

    The feature frame holds prepared values (yes = 1.0); the run's preparation writes them back (``yes``,
    ``$1,200``, ``12%``); without one, cells are shown as they are, one line each.
    """
    if test is None or test.frame is None:
        return [], [[] for _ in indices]
    frame = test.frame.iloc[list(indices), :limit]
    if test.preparation is not None and hasattr(test.preparation, "as_written"):
        frame = test.preparation.as_written(frame)
    return [str(c) for c in frame.columns], [
        [fmt.one_line(v, 30) for v in row] for row in frame.itertuples(index=False)
    ]


def _total_wrong(model: Mapping[str, Any]) -> int:
    confusion = model.get("confusion") or []
    if confusion:
        return sum(v for i, row in enumerate(confusion) for j, v in enumerate(row) if i != j)
    return int(model["n"]) - round(float(model["accuracy"]) * int(model["n"]))


# ---- limitations ------------------------------------------------------------------------------------------------
def limitations_section(run: Run, ev: Evaluation, test: Any) -> str:
    items = "".join(f"<li>{esc(item)}</li>" for item in limitations(run, ev, test))
    return f"<ul>{items}</ul>"


# ---- appendix ---------------------------------------------------------------------------------------------------
def data_section(run: Run) -> str:
    dataset = run.meta.get("dataset") or {}
    split = run.meta.get("split") or {}
    words = task_words(run.task, run.evaluation)
    rows = [
        ["Data set", str(dataset.get("name", "unknown"))],
        ["Source", str(dataset.get("source") or run.config.data.source)],
    ]
    rows.append(["Examples", f"{int(dataset.get('rows') or 0):,} {words.noun}"])
    if words.predicts_number:
        target = (run.evaluation or {}).get("target") or {}
        name = str(target.get("name") or dataset.get("target_column") or run.config.data.target_column or "")
        rows.append(["Predicts", f"{name or 'a number'} (a number)"])
    else:
        shown = ", ".join(run.class_names[:20]) + (" …" if len(run.class_names) > 20 else "")
        rows.append(["Classes", f"{len(run.class_names)}: {shown}"])
    if dataset.get("text_column"):
        rows.append(["Columns used", f"text: {dataset['text_column']}, label: {dataset.get('label_column', '')}"])
    if dataset.get("image_shape"):
        shape = dataset["image_shape"]
        rows.append(["Image size", f"{shape[0]}×{shape[1]}, {'grey' if int(shape[-1]) == 1 else 'colour'}"])
    if split:
        rows.append(
            [
                "Split",
                f"{int(split.get('train', 0)):,} to train, {int(split.get('validation', 0)):,} to watch training "
                f"(validation), {int(split.get('test', 0)):,} kept aside for the test",
            ]
        )
    out = [table(None, rows)]
    counts = dataset.get("class_counts") or {}
    if counts:
        out.append(chart(charts.class_balance(counts), 360))
    warnings = (run.meta.get("profile") or {}).get("warnings") or []
    if warnings:
        out.append("<h3>Data warnings</h3><ul>" + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul>")
    return "".join(out)


def _relevant_settings(run: Run) -> list[tuple[str, str, str]]:
    """(name, value, what it does) for the settings this run's template reads for its task (the registry's).

    A template the registry no longer lists (a run from an older ModelDeck) shows every setting.
    """
    values = run.config.settings.model_dump()
    fields = TrainingSettings.model_fields
    spec = registry.REGISTRY.get(run.config.template)
    read = set(spec.setting_names(run.task)) if spec is not None else set(fields)
    rows = []
    for name in (n for n in fields if n in read):  # in the settings file's order
        value = values.get(name)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((name.replace("_", " "), shown, fields[name].description or ""))
    return rows


def training_section(run: Run) -> str:
    template = run.config.template
    what = TEMPLATES.get(run.task, {}).get(template, "")
    out = [f"<p><strong>Template: {esc(template)}</strong>{' — ' + esc(what) if what else ''}</p>"]
    out.append(table(["Setting", "Value", "What it does"], _relevant_settings(run)))
    spec = registry.REGISTRY.get(template)
    if spec is not None and spec.settings_note:
        out.append(paragraph(spec.settings_note, "note"))
    out.append(
        paragraph(
            f"Test share: {fmt.percent(run.config.data.test_share, 0)} of the rows were kept aside before training."
        )
    )
    meta = run.meta
    facts = []
    if meta.get("epochs_run") is not None:
        unit = UNIT_WORDS.get(str(meta.get("epoch_unit") or "epochs"), str(meta.get("epoch_unit")))
        facts.append(f"It trained for {meta['epochs_run']} {unit}")
    if meta.get("device"):
        facts.append(f"on {meta['device']}")
    if meta.get("duration_s") is not None:
        facts.append(f"in {fmt.seconds(meta['duration_s'])}")
    sentence = " ".join(facts) + "." if facts else ""
    if meta.get("best_epoch"):
        sentence += f" The weights of epoch {meta['best_epoch']}, the best on the validation split, were kept."
    if sentence:
        out.append(paragraph(sentence.strip()))
    if run.history:
        curves = charts.training_curves(run.history)
        # Legend under the plots: above them it would sit on the right panel's title.
        curves.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0})
        out.append(chart(curves, 420))
        out.append(
            paragraph(
                "If the validation curve (orange) gets worse while the training curve (blue) keeps improving, the "
                "model is memorising its training examples rather than learning the task.",
                "note",
            )
        )
    return "".join(out)


def reproduce_section(run: Run) -> str:
    yaml_text = run.config.to_yaml()
    source = str(run.config.data.source)
    if source.startswith("sample:"):
        data_note = f"The data is the built-in sample '{source}', which ships with ModelDeck."
    else:
        data_note = (
            f"The data came from '{source}'; put the same file at that path (or change data.source) before training."
        )
    return (
        paragraph("Save these settings as settings.yaml, next to a ModelDeck checkout:")
        + f"<pre><code>{esc(yaml_text)}</code></pre>"
        + paragraph("then train the same model again from the command line:")
        + f"<pre><code>{esc(TRAIN_COMMAND)}</code></pre>"
        + paragraph(
            f"{data_note} The same seed gives the same split and the same starting weights; figures can still move "
            "slightly between machines (parallel arithmetic is not exactly repeatable).",
            "note",
        )
    )

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
from modeling.reporting.summary import noun_for
from modeling.runs.store import Run

log = logging.getLogger(__name__)

#: Mistakes shown in a report: enough to see a pattern, few enough to read.
TEXT_MISTAKES = 8
IMAGE_MISTAKES = 24
#: Settings a table run's neural network uses (the rest of the general ones are for texts and images).
TABLE_NETWORK_SETTINGS = (
    "hidden_units",
    "hidden_layers",
    "dropout",
    "optimizer",
    "learning_rate",
    "schedule",
    "epochs",
    "batch_size",
    "patience",
)
#: Longest text quoted in the mistakes table (the rest is cut with an ellipsis).
QUOTE_CHARS = 280


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
    if test.kind == "image":
        cells = []
        for w in wrong[:IMAGE_MISTAKES]:
            uri = image_data_uri(test.images[int(w["index"])])
            caption = f"true {w['true']} → said {w['predicted']} ({fmt.percent(w['confidence'], 0)})"
            cells.append(f'<div class="mistake"><img alt="{esc(caption)}" src="{uri}"><div>{esc(caption)}</div></div>')
        out.append(f'<div class="mistakes">{"".join(cells)}</div>')
    elif test.kind == "table":  # the row's values, so a reader sees what kind of case it gets wrong
        columns = [str(c) for c in test.frame.columns][:6]
        rows = [
            [
                *(fmt.one_line(test.frame.iloc[int(w["index"])][c], 30) for c in columns),
                w["true"],
                w["predicted"],
                fmt.percent(w["confidence"], 0),
            ]
            for w in wrong[:TEXT_MISTAKES]
        ]
        out.append(table([*columns, "True", "Model said", "Confidence"], rows, numeric=(len(columns) + 2,)))
        if ev.get("importance"):
            out.append(chart(charts.importance_chart(ev["importance"])))
    else:
        rows = []
        for w in wrong[:TEXT_MISTAKES]:
            text = " ".join(str(test.texts[int(w["index"])]).split())
            if len(text) > QUOTE_CHARS:
                text = text[: QUOTE_CHARS - 1].rstrip() + "…"
            rows.append([f"“{text}”", w["true"], w["predicted"], fmt.percent(w["confidence"], 0)])
        out.append(table(["Text", "True label", "Model said", "Confidence"], rows, numeric=(3,)))
    shown = min(len(wrong), IMAGE_MISTAKES if test.kind == "image" else TEXT_MISTAKES)
    total_wrong = _total_wrong(model)
    out.append(paragraph(f"Showing {shown} of {total_wrong:,} mistakes on the test split.", "note"))
    return "".join(out)


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
    rows = [
        ["Data set", str(dataset.get("name", "unknown"))],
        ["Source", str(dataset.get("source") or run.config.data.source)],
    ]
    rows.append(["Examples", f"{int(dataset.get('rows') or 0):,} {noun_for(run.task)}"])
    rows.append(
        [
            "Classes",
            f"{len(run.class_names)}: " + ", ".join(run.class_names[:20]) + (" …" if len(run.class_names) > 20 else ""),
        ]
    )
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


def _other_kind_of_setting(run: Run, name: str, help_text: str) -> bool:
    """Table settings on a text or image run, or text/image settings on a table run (the network's are kept)."""
    table_setting = help_text.startswith("Tables")
    if not run.task.startswith("tabular"):
        return table_setting
    network = run.config.template in ("neural_network", "automatic") and name in TABLE_NETWORK_SETTINGS
    return not (table_setting or network or name in ("seed", "validation_share"))


def _relevant_settings(run: Run) -> list[tuple[str, str, str]]:
    """(name, value, what it does) for the settings that matter to this run's template and task."""

    values = run.config.settings.model_dump()
    image = run.task == "image_classification"
    rows = []
    for name, info in TrainingSettings.model_fields.items():
        help_text = info.description or ""
        if _other_kind_of_setting(run, name, help_text):
            continue
        if help_text.startswith("Text only") and image:
            continue
        if help_text.startswith("Images only") and not image:
            continue
        if help_text.startswith("Pretrained template only") and run.config.template != "minilm":
            continue
        value = values.get(name)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((name.replace("_", " "), shown, help_text))
    return rows


def training_section(run: Run) -> str:
    template = run.config.template
    what = TEMPLATES.get(run.task, {}).get(template, "")
    out = [f"<p><strong>Template: {esc(template)}</strong>{' — ' + esc(what) if what else ''}</p>"]
    out.append(table(["Setting", "Value", "What it does"], _relevant_settings(run)))
    out.append(
        paragraph(
            f"Test share: {fmt.percent(run.config.data.test_share, 0)} of the rows were kept aside before training."
        )
    )
    meta = run.meta
    facts = []
    if meta.get("epochs_run") is not None:
        facts.append(f"It trained for {meta['epochs_run']} epochs (passes over the training data)")
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

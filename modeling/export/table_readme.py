"""The README.md inside a table export ZIP: what is in it, how to run it, what goes in and what comes out."""

from __future__ import annotations

from typing import Any

from modeling import format as fmt
from modeling.evaluation.decisions import Decision, describe_rule
from modeling.export.formats import ExportFormat
from modeling.export.verify import ParityCheck
from modeling.runs.decision_rules import load_decision
from modeling.runs.store import Run
from modeling.templates import registry

_KINDS = {
    "trees": "gradient-boosted trees (scikit-learn's HistGradientBoosting)",
    "extra_trees": "extra trees (scikit-learn's ExtraTrees, a random forest)",
    "linear": "a linear model (scikit-learn)",
    "neural_network": "a neural network (Keras)",
}
_INPUTS = {
    "codes": "`codes`: one float64 column per feature, numbers as they are, each category as its number in "
    "`encoder.json`, blanks as NaN",
    "dense": '`dense`: standardised numbers with a 0/1 "was blank" column each, and one 0/1 column per frequent '
    "category (float32; ONNX files that read float64 say so)",
}


def _member_rows(table_model: dict[str, Any]) -> str:
    members = table_model["members"]
    rows = ["| file | model | reads | weight |", "|---|---|---|---|"]
    total = sum(max(float(m["weight"]), 0.0) for m in members) or 1.0
    for m in members:
        weight = max(float(m["weight"]), 0.0) / total
        rows.append(f"| `{m['file']}` | {_KINDS.get(m['kind'], m['kind'])} | `{m['input']}` | {fmt.percent(weight)} |")
    return "\n".join(rows)


def _answers(table_model: dict[str, Any], rule: Decision) -> str:
    target = fmt.md_escape(str(table_model.get("target") or "value"))
    if registry.task(table_model["task"]).predicts_number:
        interval = table_model.get("interval") or {}
        scale = (
            " They are multiplicative (narrow for small values, wide for large ones): the model learned the "
            "logarithm of the target."
            if interval.get("scale") == "log"
            else ""
        )
        return (
            f"`scored.csv` is your table with `predicted_{target}` and the ranges `low_80`/`high_80`, "
            f"`low_90`/`high_90` added: ModelDeck measured on held-out rows (split conformal) that about 8 and 9 "
            f"in 10 actual values fall inside them.{scale}"
        )
    labels = ", ".join(f"`{fmt.md_escape(name)}`" for name in table_model["class_names"])
    temperature = float(table_model.get("temperature") or 1.0)
    calibration = (
        f" Confidences are calibrated with temperature {temperature:.3f} (measured on the validation rows)."
        if temperature != 1.0
        else ""
    )
    said = fmt.md_escape(describe_rule(rule, table_model["class_names"]))
    return (
        "`scored.csv` is your table with `predicted_label`, its `confidence`, `needs_review` (a person should "
        f"look) with its `review_reason`, and one `probability_` column per class ({labels}) added.{calibration} "
        f"The label follows the decision rule saved with the run in ModelDeck (`decision.json`, applied by "
        f"`decision_rule.py`), as in the app: {said}"
    )


def table_readme(
    run: Run, item: ExportFormat, facts: dict[str, Any], table_model: dict[str, Any], check: ParityCheck
) -> str:
    """Markdown for a developer who receives the ZIP and never saw ModelDeck."""
    columns = ", ".join(f"`{fmt.md_escape(str(c))}`" for c in facts["input"]["columns"])
    blend = len(table_model["members"]) > 1
    how = (
        "`predict.py` runs every model file and blends their answers with the weights below (for classes: the "
        "weighted probabilities, renormalised; for numbers: the weighted values)."
        if blend
        else "`predict.py` runs the model file on the prepared rows."
    )
    model_rows = (
        "| `table_model.json` | the model files, what each reads, weights, classes, range widths |\n"
        f"| {', '.join(f'`{m}`' for m in facts['model_files'])} | the model{'s' if blend else ''} |\n"
    )
    labels_row = (
        ""
        if registry.task(table_model["task"]).predicts_number
        else "| `labels.json` | the class names, in output order |\n"
        "| `decision.json`, `decision_rule.py` | the decision rule saved in ModelDeck, and the code that applies it |\n"
    )
    return f"""# {fmt.md_escape(run.info.title)}: {item.title} export

Exported by ModelDeck from run `{run.info.run_id}` (template `{run.config.template}`). {item.description}

**Checked before export:** {fmt.md_escape(check.sentence())}, on the run's held-out test rows written as a CSV,
with this folder's own `predict.py` in a fresh Python process, against ModelDeck's own predictor reading the
same file (`check.json`).

## Files

| file | what |
|---|---|
{model_rows}| `preparation.json`, `encoder.json` | how each column is read and made into numbers (learned in training) |
| `prepare_table.py` | that preparation in plain pandas: raw rows in, the model's inputs out |
| `predict.py` | answers for a CSV, using only the runtime in `requirements.txt` |
{labels_row}| `export.json` | the runtime and what the model reads |
| `requirements.txt` | what `predict.py` needs (`pip install -r requirements.txt`) |
| `MODEL_CARD.md` | what the model is for, its data, figures with intervals, limitations |

## Run it

```bash
pip install -r requirements.txt
python predict.py your_table.csv -o scored.csv
```

Your table needs the columns the model was trained on: {columns}. Other columns are ignored, blank cells
are fine, and cells are read as in training (`$1,200`, `12%`, yes/no, dates). What had to be handled
(blanks, categories never seen in training, unreadable cells) is printed.

## What goes in and what comes out

`prepare_table.py` turns each raw row into the model's inputs exactly as ModelDeck did:
{_INPUTS["codes"]}; {_INPUTS["dense"]}. {how}

{_member_rows(table_model)}

{_answers(table_model, load_decision(run.path))}
"""

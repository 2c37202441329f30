"""The comparison report: two or more runs of one task side by side, as one self-contained HTML page.

It reads like the run report (:mod:`modeling.reporting.run_report`): a summary in words first — which run is most
accurate and whether the test set can tell them apart — then the figures side by side with their 95%
intervals, the training curves overlaid, the settings that differ (all of them in a fold-out), each
run's own summary, and how to train each again. The Compare runs page shows the same tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from modeling import format as fmt
from modeling.format import amount
from modeling.reporting import charts
from modeling.reporting import comparison as cmp
from modeling.reporting.blocks import TRAIN_COMMAND, chart, footer, method_name, paragraph, section, title, today
from modeling.reporting.html import esc, markdown_block, page, table
from modeling.reporting.summary import business_summary
from modeling.runs.predictions import complete_evaluation, load_predictions
from modeling.runs.store import Run


def compare_report_html(runs: Sequence[Run], now: float | None = None) -> str:
    """Two or more runs of one task side by side: figures, curves, the settings that differ, how to reproduce.

    Raises :class:`modeling.errors.ModelDeckError` (with a sentence) for fewer than two runs, mixed tasks or
    a run without evaluation.
    """

    cmp.check_comparable(runs)
    labels = cmp.short_labels(runs)
    figures = [cmp.run_figures(run, label) for run, label in zip(runs, labels, strict=True)]
    same_split = cmp.same_test_set(runs)
    sections = []

    summary = " ".join(cmp.comparison_sentences(figures, same_split))
    runs_rows = [
        [label, run.info.run_id, run.config.template, (run.meta.get("dataset") or {}).get("name", ""), run.info.created]
        for label, run in zip(labels, runs, strict=True)
    ]
    sections.append(
        (
            "summary",
            "Summary",
            f'<div class="lead">{markdown_block(esc_md(summary))}</div>'
            + table(["Run", "Id", "Template", "Data", "Trained"], runs_rows),
        )
    )

    sections.append(("figures", "Figures side by side", _compare_figures(runs, figures)))
    curves = {label: run.history for label, run in zip(labels, runs, strict=True)}
    sections.append(("curves", "Training curves", chart(charts.compare_training_curves(curves), 430)))
    sections.append(("settings", "Settings", _compare_settings(runs, labels)))
    per_run = []

    for label, run in zip(labels, runs, strict=True):
        per_run.append(f"<h3>{esc(label)} — {esc(title(run))}</h3>")
        per_run.append(markdown_block(business_summary(_completed(run), run.class_names, run.task)))
        per_run.append(
            f"<details><summary>Settings of {esc(label)} (YAML) and the command</summary>"
            f"<pre><code>{esc(run.config.to_yaml())}</code></pre><pre><code>{esc(TRAIN_COMMAND)}</code></pre></details>"
        )
    sections.append(("runs", "Each run in plain words", "".join(per_run)))

    toc = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    task = runs[0].task.replace("_", " ")
    header = (
        '<header class="cover"><div class="kicker">ModelDeck · comparison of runs</div>'
        f"<h1>{len(runs)} {esc(task)} runs compared</h1>"
        f'<p class="meta">{esc(", ".join(labels))} · report made {esc(today(now))}</p>'
        f'<nav class="toc">{toc}</nav></header>'
    )
    body = header + "".join(section(a, t, b) for a, t, b in sections) + footer(now)
    return page(f"ModelDeck — {len(runs)} runs compared", body)


def _completed(run: Run) -> dict[str, Any]:
    """The run's evaluation with intervals and calibration filled in from its saved probabilities, if any.

    Unlike the single-run report this never loads a model (comparing five runs must stay quick): a run
    without ``predictions.npz`` keeps the evaluation it was saved with.
    """
    try:
        return complete_evaluation(run.evaluation, load_predictions(run, compute_if_missing=False), run.class_names)
    except Exception:
        return dict(run.evaluation)


def esc_md(text: str) -> str:
    """Plain text made safe for :func:`markdown_block` (backslash-escape its few markers)."""
    return re.sub(r"([\\`*])", r"\\\1", text)


def compare_table(figures: Sequence[cmp.RunFigures], currency: str = "") -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the figures table: one column per run, one row per figure (shared by page and report).

    Runs that predict a number get their errors in the target's units; accuracy does not apply to them.
    """
    header = ["Figure", *[f.label for f in figures]]
    if cmp.all_predict_numbers(figures):
        return header, regression_rows(figures, currency)
    rows: list[list[str]] = [
        ["Accuracy", *[fmt.percent(f.accuracy) for f in figures]],
        [
            "95% interval",
            *[
                f"{fmt.percent(f.accuracy_low, 0)}–{fmt.percent(f.accuracy_high, 0)}"
                if f.accuracy_low is not None
                else "—"
                for f in figures
            ],
        ],
        ["F1 (macro)", *[f"{f.f1_macro:.3f}" for f in figures]],
        ["Lift vs the simple model", *[fmt.points(f.lift_logistic) for f in figures]],
        ["Lift vs always the commonest answer", *[fmt.points(f.lift_majority) for f in figures]],
        ["Test size", *[f"{f.n:,}" for f in figures]],
        ["Training time", *[fmt.seconds(f.train_seconds) for f in figures]],
        ["Epochs run", *[str(f.epochs_run) if f.epochs_run is not None else "—" for f in figures]],
        ["Model file size", *[f"{f.size_mb:.1f} MB" if f.size_mb is not None else "—" for f in figures]],
    ]
    if any(f.predict_seconds_per_1000 is not None for f in figures):
        rows.append(
            [
                "Prediction time per 1,000",
                *[
                    fmt.seconds(f.predict_seconds_per_1000) if f.predict_seconds_per_1000 is not None else "—"
                    for f in figures
                ],
            ]
        )
    return header, rows


def regression_rows(figures: Sequence[cmp.RunFigures], currency: str = "") -> list[list[str]]:
    """The errors of regression runs side by side, in the target's units (``currency`` when it has one)."""

    def band(f: cmp.RunFigures) -> str:
        if f.rmse_low is None or f.rmse_high is None:
            return "—"
        return f"{amount(f.rmse_low, currency)}–{amount(f.rmse_high, currency)}"

    return [
        ["Typical miss (RMSE)", *[amount(f.rmse, currency) for f in figures]],
        ["95% interval (RMSE)", *[band(f) for f in figures]],
        ["Average miss (MAE)", *[amount(f.mae, currency) for f in figures]],
        ["R²", *["—" if f.r2 is None else f"{float(f.r2):.3f}" for f in figures]],
        ["Test size", *[fmt.count(f.n) for f in figures]],
        ["Training time", *[fmt.seconds(f.train_seconds) for f in figures]],
        ["Rounds or epochs run", *["—" if f.epochs_run is None else fmt.count(f.epochs_run) for f in figures]],
        ["Model file size", *[f"{f.size_mb:.1f} MB" if f.size_mb is not None else "—" for f in figures]],
    ]


def error_rows(figures: Sequence[cmp.RunFigures]) -> list[dict[str, Any]]:
    """Rows for :func:`modeling.reporting.charts.compare_errors` (label, RMSE and its interval)."""
    return [{"label": f.label, "rmse": f.rmse, "low": f.rmse_low, "high": f.rmse_high} for f in figures]


def accuracy_rows(runs: Sequence[Run], figures: Sequence[cmp.RunFigures]) -> list[dict[str, Any]]:
    """Rows for :func:`modeling.reporting.charts.compare_accuracy` (label, accuracy, interval, baseline)."""
    rows = []
    for run, f in zip(runs, figures, strict=True):
        logistic = ((run.evaluation or {}).get("baselines") or {}).get("logistic") or {}
        rows.append(
            {
                "label": f.label,
                "accuracy": f.accuracy,
                "low": f.accuracy_low,
                "high": f.accuracy_high,
                "baseline": logistic.get("accuracy"),
            }
        )
    return rows


def _compare_figures(runs: Sequence[Run], figures: Sequence[cmp.RunFigures]) -> str:
    header, rows = compare_table(figures)
    out = [table(header, rows, numeric=tuple(range(1, len(header))))]
    methods = sorted({method_name(f.interval_method) for f in figures if f.interval_method})
    if methods:
        out.append(
            paragraph(
                f"Intervals: 95%, {' and '.join(methods)}. Lift is in percentage points on each run's own test split.",
                "note",
            )
        )
    if cmp.all_predict_numbers(figures):
        out.append(chart(charts.compare_errors(error_rows(figures))))
    else:
        out.append(chart(charts.compare_accuracy(accuracy_rows(runs, figures))))
    return "".join(out)


def _compare_settings(runs: Sequence[Run], labels: Sequence[str]) -> str:
    rows = cmp.settings_rows(runs)
    differing = [r for r in rows if r.differs]
    header = ["Setting", *labels]
    out = []
    if differing:
        out.append(
            paragraph(
                f"{len(differing)} setting{'s differ' if len(differing) != 1 else ' differs'} between these runs:"
            )
        )
        out.append(table(header, [[r.field, *r.values] for r in differing], row_classes=["diff"] * len(differing)))
    else:
        out.append(
            paragraph("All settings are the same; the runs differ only by chance (or by the data they were given).")
        )
    out.append(
        "<details><summary>All settings (differences highlighted)</summary>"
        + table(header, [[r.field, *r.values] for r in rows], row_classes=["diff" if r.differs else "" for r in rows])
        + "</details>"
    )
    return "".join(out)

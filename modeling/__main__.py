"""Command line: everything the app does, without the app.

    python -m modeling train CONFIG.yaml            trains, prints the run folder
    python -m modeling evaluate RUN DATA            prints the test metrics as JSON
    python -m modeling predict RUN INPUT [-o OUT] [--drift-report drift.html]
                                                    writes predictions as CSV; tables: reasons per row and
                                                    the file compared with the training data
    python -m modeling explain RUN ROW.csv --change COL,COL [--target T]
                                                    tables: the smallest changes that flip the answer
    python -m modeling predict RUN big.parquet --ray [-o FOLDER]
                                                    scores Parquet with Ray Data (here, or the cluster in
                                                    MODELDECK_RAY_ADDRESS), writes Parquet parts
    python -m modeling serve RUN [RUN ...] [--host 127.0.0.1] [--port 8000]
                                                    answers POST /predict over HTTP (docs/serving.md)
    python -m modeling report RUN [RUN ...] [--out report.html] [--pdf]
                                                    writes a shareable report (several runs: compared)
    python -m modeling export RUN --format F [-o OUT]  writes a verified export ZIP, prints its check
    python -m modeling code RUN > train.py          prints the plain Keras / scikit-learn script
    python -m modeling search CONFIG.yaml [--budget SECONDS]
                                                    texts: trains the templates that suit the data on one
                                                    split; tables: the automatic search and its blend;
                                                    prints the leaderboard, keeps the best as a run

RUN is a run id (as listed by ``python -m modeling runs``) or a run folder. ``evaluate`` and ``predict`` read
any file a run can take (a table, an ``.npz`` or ZIP of images, one PNG/JPEG: :mod:`modeling.runs.input_file`)
and go through the run's predictor (:func:`modeling.runs.loading.load_predictor`), whatever its kind of data.
``predict`` applies the decision rule saved with the run on the Evaluate page (threshold or cost matrix, and
the confidence below which a row is flagged ``needs_review``); ``--threshold`` and ``--min-confidence``
override it. Only ModelDeck's own lines are printed; ``--verbose`` shows the libraries' logs too.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import pandas as pd

from modeling import console, settings
from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.errors import ModelDeckError
from modeling.export.bundle import build_export
from modeling.export.code import run_script
from modeling.reporting.compare_report import compare_report_html
from modeling.reporting.drift_report import drift_report_html, plain_summary
from modeling.reporting.model_card import model_card_markdown
from modeling.reporting.pdf import html_to_pdf as report_pdf
from modeling.reporting.pdf import pdf_unavailable_reason
from modeling.reporting.run_report import run_report_html
from modeling.reporting.tracked import track_with_report
from modeling.runs.explain import explain_row
from modeling.runs.input_file import read_input_file
from modeling.runs.loading import load_predictor
from modeling.runs.protocol import InputColumn
from modeling.runs.safe_csv import to_safe_csv
from modeling.runs.store import Run, RunStore, default_store
from modeling.runs.tracking import log_file
from modeling.serving import cli as serving_cli
from modeling.training.experiment import run_experiment
from modeling.training.job_protocol import load_job_dataset, run_job
from modeling.training.progress import Progress


def _store(home: str | None):
    return RunStore(home) if home else default_store()


def cmd_train(args: argparse.Namespace) -> int:
    config = ExperimentConfig.from_file(args.config)
    store = _store(args.home)
    if args.events:  # a Ray job: progress lines and the run folder go back to the app through the logs
        return run_job(config, store, args.dataset)
    progress = Progress(config.settings.epochs)
    dataset = load_job_dataset(args.dataset) if args.dataset else None
    try:
        run_dir = run_experiment(config, dataset, store=store, progress=progress)
    except ModelDeckError:
        if progress.run_id:  # a failed run is tracked too, with its reason
            _track(store, store.runs_dir / progress.run_id)
        raise
    snap = progress.snapshot()
    for note in snap.get("notes") or []:
        print(f"note: {note}", file=sys.stderr)
    unit = str(snap.get("unit") or "epochs")  # what the trainer counts: epochs, rounds, steps, candidates
    done = int(snap["epoch"])
    print(
        f"trained {fmt.plural(done, unit.removesuffix('s'), unit)} on {snap['device']} in {snap['elapsed_s']:.1f} s",
        file=sys.stderr,
    )
    _track(store, run_dir)
    print(run_dir)
    return 0


def _track(store: RunStore, run_dir: Path) -> None:
    """With MODELDECK_MLFLOW_URI set, log the run (and its HTML report) in MLflow; say so on stderr."""
    if not settings.mlflow_uri():
        return
    mlflow_id = track_with_report(store, run_dir)
    if mlflow_id:
        print(f"tracked in MLflow ({settings.mlflow_uri()}) as run {mlflow_id}", file=sys.stderr)
    else:
        print("warning: the run is saved but was not tracked in MLflow (see the message above)", file=sys.stderr)


def _read_for_run(run: Run, path: str) -> pd.DataFrame:
    """The data file as one table, whatever the run reads (a ZIP of pictures is read at the run's image size)."""
    shape = run.meta.get("dataset", {}).get("image_shape")
    return read_input_file(path, int(shape[0]) if shape else None)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print the run's metrics on a labelled file as JSON (the predictor's own metrics, scikit-learn's names)."""
    run = _store(args.home).load(args.run)
    predictor = load_predictor(run)
    print(json.dumps(predictor.evaluate_frame(_read_for_run(run, args.data)), indent=1))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Write the file with the answer columns added (CSV, safe for spreadsheets); notes go to stderr."""
    if serving_cli.wants_ray(args):  # Parquet parts scored with Ray Data, here or on the cluster
        return serving_cli.predict_with_ray(args, _store(args.home))
    run = _store(args.home).load(args.run)
    predictor = _with_overrides(load_predictor(run), args)
    path = Path(args.input)
    table = _read_for_run(run, args.input)
    schema = predictor.input_schema()
    batch = predictor.score_frame(_reading(table, args.column, schema))
    for note in batch.notes:
        print(f"note: {note}", file=sys.stderr)
    if batch.drift is not None:
        print(f"drift: {plain_summary(batch.drift)}", file=sys.stderr)
    scored = table.copy()
    for column in batch.answer_columns:
        scored[column] = batch.frame[column].to_numpy()
    pictures = [c.name for c in schema if c.type == "image" and c.name in scored.columns]  # bytes or pixels
    out = Path(args.output) if args.output else path.with_name(path.stem + "_predictions.csv")
    out.write_bytes(to_safe_csv(scored.drop(columns=pictures)))
    print(out)
    if args.drift_report:  # after the predictions are safely written
        if batch.drift is None:
            raise ModelDeckError("--drift-report: this run's model has no drift check (table runs have one).")
        report_path = Path(args.drift_report)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(drift_report_html(batch.drift, run.info.title, path.name), encoding="utf-8")
        print(report_path)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Print the smallest changes of the --change columns of one row that flip its answer (or reach --target)."""
    run = _store(args.home).load(args.run)
    table = _read_for_run(run, args.row_file)
    lines, notes = explain_row(load_predictor(run), table, args.change, args.target, args.class_name, args.row)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print("\n".join(lines))
    return 0


def _reading(table: pd.DataFrame, column: str | None, schema: list[InputColumn]) -> pd.DataFrame:
    """``table`` as the model reads it: with ``--column``, that column under the name the model was trained on."""
    if not column:
        return table
    if len(schema) != 1:
        raise ModelDeckError(
            f"--column names the one column a text model reads; this model reads {len(schema)} columns "
            f"({', '.join(c.name for c in schema[:8])}), found by their names."
        )
    if column not in [str(c) for c in table.columns]:
        raise ModelDeckError(f"--column {column}: the file has no such column.")
    wanted = schema[0].name
    return table.drop(columns=[wanted], errors="ignore").rename(columns={column: wanted})


def _with_overrides(predictor, args: argparse.Namespace):
    """The run's saved decision rule, with ``--threshold`` / ``--min-confidence`` from the command line on top."""
    changes = {}
    if args.threshold is not None:
        if len(predictor.class_names) != 2:
            raise ModelDeckError(
                f"--threshold needs a two-class model; this one has {len(predictor.class_names)} classes."
            )
        changes["threshold"] = args.threshold
    if args.min_confidence is not None:
        changes["min_confidence"] = args.min_confidence
    if args.positive_class is not None:
        changes["positive_class"] = args.positive_class
    if not changes:
        return predictor
    decision = predictor.decision.model_copy(update=changes)
    return predictor.using(decision)


def _share(text: str) -> float:
    """A share from '0.3' or '30%', between 0 and 1 (argparse shows the message on failure)."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number; use for example 0.3 or 30%.") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is outside 0..1 (or 0%..100%).")
    return value


def cmd_report(args: argparse.Namespace) -> int:
    """Write the shareable HTML report of one run (or a comparison of several), and the PDF on request."""

    store = _store(args.home)
    runs = [store.load(run_id) for run_id in args.run]
    html_text = run_report_html(runs[0]) if len(runs) == 1 else compare_report_html(runs)
    default = f"{runs[0].info.run_id}-report.html" if len(runs) == 1 else "comparison-report.html"
    out = Path(args.out or default)
    if out.suffix.lower() == ".pdf":
        raise ModelDeckError("--out names the HTML file (for example report.html); add --pdf for a PDF beside it.")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html_text, encoding="utf-8")
    print(out)
    if args.pdf:
        pdf = report_pdf(html_text)
        if pdf is None:
            raise ModelDeckError(f"The HTML report is written to {out}, but no PDF: {pdf_unavailable_reason()}")
        pdf_path = out.with_suffix(".pdf")
        pdf_path.write_bytes(pdf)
        print(pdf_path)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a verified export ZIP (into the current folder or -o) and print its check."""
    run = _store(args.home).load(args.run)
    out = Path(args.output) if args.output else Path.cwd()
    folder = out if out.is_dir() or not out.suffix else out.parent
    folder.mkdir(parents=True, exist_ok=True)
    result = build_export(run, args.format, model_card_markdown(run), out_dir=folder)
    path = result.zip_path
    if out.suffix.lower() == ".zip":
        path = result.zip_path.replace(out)
    print(result.check.sentence(), file=sys.stderr)
    if settings.mlflow_uri() and log_file(run.path, path):  # a tracked run gets its export as an artefact
        print("added to the run's MLflow artefacts (exports/)", file=sys.stderr)
    print(path)
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    """Print the standalone Keras / scikit-learn script that reproduces a run."""
    print(run_script(_store(args.home).load(args.run)), end="")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Find the best model for a settings file's data (texts or a table); print the leaderboard, keep the winner."""
    from modeling.training.search import find_best, search_dataset
    from modeling.training.search_job import run_search_job

    config = ExperimentConfig.from_file(args.config)
    if args.budget <= 0:
        raise ModelDeckError(f"--budget {args.budget:g} is not valid: give the search a positive number of seconds.")
    templates = [t.strip() for t in args.templates.split(",") if t.strip()] if args.templates else None
    store = _store(args.home)
    if args.events:  # a Ray job: progress, the leaderboard and the candidates go back to the app through the logs
        return run_search_job(config, store, args.dataset, args.budget, templates)
    dataset = load_job_dataset(args.dataset) if args.dataset else search_dataset(config)
    phases: list[str] = []

    def report(event: dict) -> None:
        if event.get("phase") and event["phase"] not in phases:
            phases.append(event["phase"])
            print(f"[{event.get('elapsed_s', 0.0):5.0f} s] {event['phase']}", file=sys.stderr)

    board = find_best(dataset, args.budget, config, store, report, None, templates)
    print(board.text())
    choices = board.choices()
    if not choices:
        raise ModelDeckError(f"No model finished within {args.budget:g} s; give the search a larger --budget.")
    kept = choices[0]
    run_id = board.keep(kept, store)
    print(f"kept {kept} as run {run_id}", file=sys.stderr)
    _track(store, store.runs_dir / run_id)  # like a finished training: once, with its report
    print(store.runs_dir / run_id)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    for info in _store(args.home).list_runs():
        acc = f"{info.accuracy:.3f}" if info.accuracy is not None else "-"
        print(f"{info.run_id}\t{info.task}\t{info.template}\t{info.status}\t{acc}\t{info.path}")
    return 0


VERBOSE_HELP = "also show the libraries' own logs and warnings (TensorFlow start-up lines, deprecations)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modeling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", help="workspace folder for runs (default: $MODELDECK_HOME or ./workspace)")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    # --verbose is accepted after the command too (SUPPRESS: a subcommand without it keeps the global value).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(parents=[common], name="train", help="train from a YAML settings file and print the run folder")
    p.add_argument("config")
    p.add_argument("--dataset", help="a dataset .npz sent with a remote job (instead of data.source)")
    p.add_argument("--events", action="store_true", help="remote job: print progress events and the run back")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser(parents=[common], name="evaluate", help="print a run's metrics on a data file as JSON")
    p.add_argument("run")
    p.add_argument("data")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser(parents=[common], name="predict", help="write predictions for a table, image, image ZIP or .npz")
    p.add_argument("run")
    p.add_argument("input")
    p.add_argument("-o", "--output")
    p.add_argument("--column", help="text column to score (default: the one used in training)")
    p.add_argument(
        "--threshold",
        type=_share,
        help="two classes: answer the positive class when its probability is at least this (default: the saved one)",
    )
    p.add_argument(
        "--positive-class", help="the class --threshold is about (default: the saved one, else the second class)"
    )
    p.add_argument(
        "--min-confidence",
        type=_share,
        help="flag rows below this confidence as needs_review (default: the level saved with the run)",
    )
    p.add_argument("--drift-report", help="tables: also write the file's comparison with the training data (HTML)")
    p.add_argument("--ray", action="store_true", help="score a Parquet file or folder with Ray Data (Parquet parts)")
    p.set_defaults(func=cmd_predict)
    serving_cli.add_serve_parser(sub, common).set_defaults(func=lambda a: serving_cli.cmd_serve(a, _store(a.home)))
    p = sub.add_parser(
        parents=[common], name="explain", help="tables: the smallest changes of chosen columns that flip a row's answer"
    )
    p.add_argument("run")
    p.add_argument("row_file", metavar="ROW", help="a CSV/Excel/Parquet file holding the row (the first, or --row)")
    p.add_argument("--change", required=True, help="the columns you could change, comma-separated (not an age)")
    p.add_argument(
        "--target",
        help="classes: the chance of the class to find to reach (0.3 or 30%%); numbers: the value to reach "
        "(default: flip the answer)",
    )
    p.add_argument("--class", dest="class_name", help="the class to reach (default: the other one)")
    p.add_argument("--row", type=int, default=1, help="which row of the file, from 1 (default 1)")
    p.set_defaults(func=cmd_explain)
    p = sub.add_parser(
        parents=[common],
        name="report",
        help="write a run's shareable report (HTML, --pdf too); several runs: a comparison",
    )
    p.add_argument("run", nargs="+", help="run id or folder; two or more compare the runs side by side")
    p.add_argument("--out", help="HTML file to write (default: RUN-report.html)")
    p.add_argument("--pdf", action="store_true", help="also print it to PDF beside the HTML (needs Chromium)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser(
        parents=[common], name="export", help="write a run as a verified ZIP (keras, saved_model, onnx, litert)"
    )
    p.add_argument("run")
    p.add_argument("--format", required=True, choices=["keras", "saved_model", "onnx", "litert"])
    p.add_argument("-o", "--output", help="folder or .zip file to write (default: the current folder)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        parents=[common], name="code", help="print the plain Keras / scikit-learn script that reproduces a run"
    )
    p.add_argument("run")
    p.set_defaults(func=cmd_code)
    p = sub.add_parser(
        parents=[common],
        name="search",
        help="texts or tables: find the best model within a time budget, keep the winner",
    )
    p.add_argument("config", help="a YAML settings file; its data, test_share, validation_share and seed are used")
    p.add_argument("--budget", type=float, default=300.0, help="seconds the whole search may take (default 300)")
    p.add_argument("--dataset", help="a dataset .npz sent with a remote job (instead of data.source)")
    p.add_argument("--templates", help="texts: only these templates, comma-separated (default: all that suit)")
    p.add_argument("--events", action="store_true", help="remote job: print progress, the leaderboard and the runs")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser(parents=[common], name="runs", help="list saved runs")
    p.set_defaults(func=cmd_runs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a ``ModelDeckError`` becomes its sentence on stderr and exit code 2, never a traceback.

    In-process callers (tests, notebooks) get the libraries' output as it is; :func:`cli`, the script entry,
    shows only ModelDeck's lines.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        return args.func(args)
    except ModelDeckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line for the person; --verbose shows where it happened
        if getattr(args, "verbose", False):
            raise
        print(
            f"error: ModelDeck stopped on a problem it did not expect ({type(exc).__name__}: {str(exc)[:300]}). "
            "Run the command again with --verbose to see where, and please report it.",
            file=sys.stderr,
        )
        return 1


def cli(argv: list[str] | None = None) -> int:
    """``python -m modeling``: :func:`main` printing only ModelDeck's lines, unless ``--verbose`` is given."""
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = "--verbose" in argv
    if not verbose:
        console.quiet_environment()  # before anything can import TensorFlow
        console.quiet_python()
    with console.quiet_stderr(enabled=not verbose):
        return main(argv)


if __name__ == "__main__":
    sys.exit(cli())

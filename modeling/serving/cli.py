"""The command line's ``serve`` and ``predict --ray``, kept here so ``modeling/__main__.py`` only dispatches.

``predict RUN INPUT --ray`` (or any ``predict`` of a Parquet file or folder while ``MODELDECK_RAY_ADDRESS`` is
set) scores with Ray Data instead of in this process. Where: with ``RAY_ADDRESS`` set (inside a Ray job) this
process joins that cluster; else with ``MODELDECK_RAY_ADDRESS`` the work goes to the team's cluster as a Ray
job (:mod:`.ray_job`); else a private Ray on this machine uses every core (:mod:`.batch`). The answers are
Parquet parts in a folder (``-o``, default ``INPUT_predictions/`` beside the input).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from modeling import format as fmt
from modeling import settings
from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore

#: The decision-rule options of ``predict`` that travel to the workers (argument name -> Decision field).
RULE_OPTIONS = ("threshold", "min_confidence", "positive_class")


def add_serve_parser(sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``serve`` command's options (the caller sets its function)."""
    p = sub.add_parser(
        parents=[common],
        name="serve",
        help="answer requests for one or more runs over HTTP: POST /predict, GET /schema, /docs",
    )
    p.add_argument("run", nargs="+", help="run id or folder; several runs get one route each: /runs/RUN/predict")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    return p


def cmd_serve(args: argparse.Namespace, store: RunStore) -> int:
    """Serve the runs until stopped (Ctrl+C)."""
    from modeling.serving.server import serve

    return serve(args.run, store, host=args.host, port=args.port)


def wants_ray(args: argparse.Namespace) -> bool:
    """``--ray``, or a Parquet input while a Ray cluster is configured."""
    if getattr(args, "ray", False):
        return True
    path = Path(args.input)
    return bool(settings.ray_address()) and (path.suffix.lower() == ".parquet" or path.is_dir())


def _output(source: str, output: str | None) -> str:
    """Where the parts go: ``-o``, else ``<input>_predictions/`` beside a local input; never an existing folder's
    files mixed with new ones."""
    if output:
        dest = output
    elif "://" in source:
        raise ModelDeckError("Name the output folder with -o when the input is not a local path (for example s3://).")
    else:
        path = Path(source).resolve()
        dest = str(path.with_name(path.stem + "_predictions"))
    local = Path(dest) if "://" not in dest else None
    if local is not None and local.exists() and (local.is_file() or any(local.iterdir())):
        raise ModelDeckError(f"{dest} already exists and is not empty; choose another -o or remove it first.")
    return dest if local is None else str(local.resolve())


def predict_with_ray(args: argparse.Namespace, store: RunStore) -> int:
    """Score ``args.input`` (Parquet) with Ray Data; print progress to stderr and the output folder."""
    from modeling.serving.batch import score_parquet

    if getattr(args, "column", None):
        raise ModelDeckError("--column does not apply with --ray: name the file's column as the model was trained.")
    run = store.load(args.run)
    source = args.input if "://" in args.input else str(Path(args.input).resolve())
    if "://" not in source and not Path(source).exists():
        raise ModelDeckError(f"The data file '{args.input}' does not exist.")
    dest = _output(source, args.output)
    changes = {k: getattr(args, k) for k in RULE_OPTIONS if getattr(args, k, None) is not None}
    address = settings.ray_address()
    if address and not os.environ.get("RAY_ADDRESS"):
        from modeling.serving.ray_job import score_on_cluster

        score_on_cluster(run, source, dest, address, changes=changes, on_line=lambda line: print(line, file=sys.stderr))
        print(dest)
        return 0

    def progress(done: int, total: int, seconds: float) -> None:
        rate = f", {fmt.count(round(done / seconds))} rows/s" if seconds > 0 and done else ""
        share = f" ({done / total:.0%})" if total else ""
        print(f"scored {fmt.count(done)} of {fmt.count(total)} rows{share} in {seconds:.0f} s{rate}", file=sys.stderr)

    result = score_parquet(run.path, source, dest, changes=changes, on_progress=progress)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    peak = max(result.peak_mb.values(), default=0.0)
    print(
        f"scored {fmt.plural(result.rows, 'row')} with {fmt.plural(len(result.peak_mb), 'Ray worker')} in "
        f"{result.seconds:.0f} s (peak memory per worker {peak:,.0f} MB)",
        file=sys.stderr,
    )
    print(dest)
    return 0

"""Every run also an MLflow run, when ``MODELDECK_MLFLOW_URI`` says where; and the team's model registry.

A team points every copy of ModelDeck (the hosted app, laptops running the CLI, the app that sends trainings
to a Ray cluster) at one MLflow tracking server, or one person at a SQLite file (``sqlite:///mlflow.db``).
Each finished, stopped or failed run then becomes an MLflow run of the experiment ``ModelDeck``:

- the settings as params (``settings.learning_rate``, ``data.test_share``, ...),
- the per-epoch curves as metrics with the epoch as step, and the final test figures with their 95%
  intervals (``test_accuracy``, ``test_accuracy_low``, ``test_accuracy_high``) and the baselines' figures,
- the run folder itself as the artefact ``modeldeck_run/`` (so a teammate can open it in their ModelDeck),
  plus the HTML report and export ZIPs when the caller has them.

A finished run is also logged as an MLflow pyfunc model (artefact ``model/``, "models from code" over the run
folder: :mod:`modeling.runs.servable`), with a signature and an input example; the registry's versions point at
it, so ``mlflow models serve -m models:/NAME@production`` serves what the Predict page answers.

The ModelDeck run folder stays the source of truth; MLflow is a copy for the team. Tags carry the run id
and the owner (the one-way hash of a hosted session's workspace key), so the Saved runs page lists only a
visitor's own tracked runs in hosted mode. Unset, nothing here runs and nothing is imported.

MLflow is imported only inside the functions (2.5 s); it comes from ``requirements-team.txt``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modeling import settings
from modeling.errors import RunError
from modeling.format import first_line
from modeling.runs.store import RunStore, write_json

log = logging.getLogger(__name__)

#: Where the run folder goes inside the MLflow run's artefacts.
RUN_ARTIFACT = "modeldeck_run"
#: Where the run as an MLflow pyfunc model goes (``runs:/<id>/model``; see :mod:`modeling.runs.servable`).
SERVABLE_ARTIFACT = "model"
TAG_SERVABLE = "modeldeck.servable"
TAG_RUN_ID = "modeldeck.run_id"
TAG_OWNER = "modeldeck.owner"
#: Owners are hex hashes (see ui.state.owner_for_key); anything else never reaches a search filter.
_OWNER = re.compile(r"^[0-9a-f]{8,64}$")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_MLFLOW_ID = re.compile(r"^[0-9a-zA-Z-]{1,64}$")
_MLFLOW_STATUS = {"finished": "FINISHED", "stopped": "FINISHED", "failed": "FAILED"}
#: A downloaded run folder larger than this is refused (a model plus its test split is far smaller).
MAX_IMPORT_MB = 2000
INSTALL_HINT = "Install the team extras on the server: pip install -r requirements-team.txt"
#: One lock per run folder being tracked: two callers at once (a double click on "Use this model", the job
#: manager and a page) must give one MLflow run, not two.
_FOLDER_LOCKS: dict[str, threading.Lock] = {}
_FOLDER_LOCKS_GUARD = threading.Lock()


def unavailable_reason() -> str | None:
    """Why tracking is off (a sentence for the page), or ``None`` when runs are tracked."""
    if not settings.mlflow_uri():
        return "Tracking is off: set MODELDECK_MLFLOW_URI to an MLflow server or a SQLite file to share runs."
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return f"MODELDECK_MLFLOW_URI is set, but MLflow is not installed. {INSTALL_HINT}."
    return None


def enabled() -> bool:
    return unavailable_reason() is None


def _client() -> Any:
    reason = unavailable_reason()
    if reason:
        raise RunError(reason)
    # Like Streamlit's gatherUsageStats = false: a visitor's server does not phone home unless its admin says so.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # MLflow retries an unreachable server 7 times with growing pauses (minutes): a page would hang on it.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    from mlflow import MlflowClient

    uri = settings.mlflow_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client: Any) -> str:
    name = settings.mlflow_experiment()
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except Exception:  # another process created it a moment ago
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def flat_params(config_yaml: str) -> dict[str, str]:
    """The settings file as MLflow params: ``settings.learning_rate`` -> ``'0.001'`` (values cut at 500 chars)."""
    import yaml

    data = yaml.safe_load(config_yaml) or {}
    params: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            params[prefix] = str(value)[:500]

    walk("", data)
    return params


def final_metrics(evaluation: Mapping[str, Any] | None) -> dict[str, float]:
    """Test figures with their intervals, and the baselines' figures, as flat MLflow metrics."""
    metrics: dict[str, float] = {}
    if not evaluation:
        return metrics
    for key, value in (evaluation.get("model") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics[f"test_{key}"] = float(value)
    for key, interval in (evaluation.get("intervals") or {}).items():
        if isinstance(interval, Mapping):
            for part, suffix in (("value", ""), ("low", "_low"), ("high", "_high")):
                if isinstance(interval.get(part), int | float):
                    metrics[f"test_{key}{suffix}"] = float(interval[part])
    for name, figures in (evaluation.get("baselines") or {}).items():
        for key, value in (figures or {}).items():
            if key != "n" and isinstance(value, int | float) and not isinstance(value, bool):
                metrics[f"baseline_{name}_{key}"] = float(value)
    return {k: v for k, v in metrics.items() if v == v}  # NaN is not a figure a teammate can use


def track_run(
    run_dir: Path,
    *,
    report_html: str | None = None,
    extra_files: Iterable[Path] = (),
) -> str:
    """Log the run in ``run_dir`` as an MLflow run (once: a run already tracked there returns its id).

    Returns the MLflow run id. Raises :class:`RunError` with a sentence when tracking is off or the server
    cannot be reached; callers that train use :func:`track_quietly`, so tracking never fails a training.
    """
    run_dir = Path(run_dir)
    with _FOLDER_LOCKS_GUARD:
        lock = _FOLDER_LOCKS.setdefault(str(run_dir.resolve()), threading.Lock())
    with lock:
        meta = _read_json(run_dir / "run.json")
        if not isinstance(meta, dict):
            raise RunError(f"The run folder {run_dir.name} has no readable run.json.")
        uri = settings.mlflow_uri()
        if meta.get("mlflow_run_id") and meta.get("mlflow_uri") == uri:
            return str(meta["mlflow_run_id"])
        client = _client()
        try:
            return _log(client, run_dir, meta, uri, report_html, list(extra_files))
        except RunError:
            raise
        except Exception as exc:
            raise RunError(f"The run was saved, but MLflow at {uri} did not take it: {first_line(exc)}") from exc


def _log(
    client: Any, run_dir: Path, meta: dict[str, Any], uri: str | None, report_html: str | None, extra: list[Path]
) -> str:
    from mlflow.entities import Metric, Param, RunTag

    tags = {
        TAG_RUN_ID: str(meta.get("run_id", run_dir.name)),
        "mlflow.runName": str(meta.get("title", run_dir.name))[:250],
        "modeldeck.task": str(meta.get("task", "")),
        "modeldeck.template": str(meta.get("template", "")),
        "modeldeck.status": str(meta.get("status", "")),
        "modeldeck.dataset": str((meta.get("dataset") or {}).get("name", ""))[:250],
        "modeldeck.device": str(meta.get("device", "")),
    }
    if meta.get("owner"):
        tags[TAG_OWNER] = str(meta["owner"])
    if meta.get("remote"):
        tags["modeldeck.ray_job"] = str((meta.get("remote") or {}).get("job_id", ""))
    if isinstance(meta.get("automl"), dict):  # kept with "Use this model" after Find the best model
        automl = meta["automl"]
        chosen = automl.get("chosen_from") or []
        tags["modeldeck.search"] = (
            f"rank {automl.get('rank')} of {len(chosen)} templates" if chosen else "the blend of the table search"
        )[:250]
    if meta.get("error"):
        tags["modeldeck.error"] = str(meta["error"])[:1000]
    started_ms = int(float(meta.get("created_ts") or time.time()) * 1000)
    run = client.create_run(_experiment_id(client), start_time=started_ms, tags=tags)
    run_id = run.info.run_id
    # Recorded before the folder is uploaded, so the copy in MLflow knows its own MLflow id too.
    meta.update(mlflow_run_id=run_id, mlflow_uri=uri)
    write_json(run_dir / "run.json", meta)

    config_path = run_dir / "config.yaml"
    params = flat_params(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    now = int(time.time() * 1000)
    metrics = [
        Metric(key, float(value), now, step)
        for key, values in (_read_json(run_dir / "history.json") or {}).items()
        for step, value in enumerate(values)
        if isinstance(value, int | float) and value == value
    ]
    metrics += [
        Metric(key, value, now, 0) for key, value in final_metrics(_read_json(run_dir / "evaluation.json")).items()
    ]
    param_list = [Param(k, v) for k, v in params.items()]
    for i in range(0, len(param_list), 100):  # MLflow takes at most 100 params and 1,000 metrics a batch
        client.log_batch(run_id, params=param_list[i : i + 100])
    for i in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    client.log_batch(run_id, tags=[RunTag("modeldeck.tracked_at", time.strftime("%Y-%m-%d %H:%M:%S"))])

    client.log_artifacts(run_id, str(run_dir), RUN_ARTIFACT)
    if meta.get("status") in ("finished", "stopped"):
        _log_servable(client, run_id, run_dir)
    if report_html:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.html"
            report.write_text(report_html, encoding="utf-8")
            client.log_artifact(run_id, str(report), "report")
    for path in extra:
        if Path(path).is_file():
            client.log_artifact(run_id, str(path), "exports")
    status = _MLFLOW_STATUS.get(str(meta.get("status")), "KILLED")
    ended = started_ms + int(float(meta.get("duration_s") or 0) * 1000)
    client.set_terminated(run_id, status, end_time=max(ended, started_ms))
    return run_id


def _log_servable(client: Any, mlflow_run_id: str, run_dir: Path) -> bool:
    """Log the run as a pyfunc model (``model/``) a team can serve; a failure is logged, never raised."""
    from modeling.runs.servable import save_servable

    try:
        with tempfile.TemporaryDirectory(prefix="modeldeck-mlflow-") as tmp:
            folder = Path(tmp) / SERVABLE_ARTIFACT
            save_servable(run_dir, folder)
            client.log_artifacts(mlflow_run_id, str(folder), SERVABLE_ARTIFACT)
        client.set_tag(mlflow_run_id, TAG_SERVABLE, SERVABLE_ARTIFACT)
    except Exception as exc:
        log.warning("Run %s was tracked without a servable MLflow model: %s", Path(run_dir).name, first_line(exc))
        return False
    return True


def track_quietly(run_dir: Path | None, report_html: str | None = None) -> str | None:
    """:func:`track_run` when tracking is on; a failure is logged, never raised (the run itself is safe)."""
    if run_dir is None or not settings.mlflow_uri():
        return None
    try:
        return track_run(run_dir, report_html=report_html)
    except Exception as exc:
        log.warning("Run %s was not tracked in MLflow: %s", Path(run_dir).name, exc)
        return None


def log_file(run_dir: Path, path: Path, folder: str = "exports") -> bool:
    """Add a file made later (an export ZIP, a fresh report) to the run's MLflow run; False when not tracked."""
    meta = _read_json(Path(run_dir) / "run.json") or {}
    if not meta.get("mlflow_run_id") or meta.get("mlflow_uri") != settings.mlflow_uri():
        return False
    try:
        _client().log_artifact(str(meta["mlflow_run_id"]), str(path), folder)
    except Exception as exc:
        log.warning("Could not add %s to MLflow run %s: %s", Path(path).name, meta["mlflow_run_id"], exc)
        return False
    return True


# ---- the team's view -------------------------------------------------------------------------------------------
@dataclass
class TrackedRun:
    """One run as the tracking server knows it (enough for a list; the folder downloads on demand)."""

    mlflow_run_id: str
    run_id: str
    title: str
    task: str
    template: str
    status: str
    accuracy: float | None
    started: str
    user: str
    owner: str | None


def tracked_runs(owner: str | None, limit: int = 200) -> list[TrackedRun]:
    """Runs of the ModelDeck experiment, newest first; with an ``owner`` (hosted mode) only theirs.

    In hosted mode a visitor never sees another session's runs, even on a shared tracking server.
    """
    if owner is not None and not _OWNER.match(owner):
        return []
    client = _client()
    query = f"tags.`{TAG_OWNER}` = '{owner}'" if owner is not None else ""
    try:
        found = client.search_runs(
            [_experiment_id(client)], filter_string=query, max_results=limit, order_by=["attributes.start_time DESC"]
        )
    except Exception as exc:
        raise RunError(f"Could not read the runs on the tracking server: {first_line(exc)}") from exc
    runs = []
    for item in found:
        tags = item.data.tags
        if owner is not None and tags.get(TAG_OWNER) != owner:
            continue  # belt and braces: the filter above is the server's, this one is ours
        accuracy = item.data.metrics.get("test_accuracy")
        runs.append(
            TrackedRun(
                mlflow_run_id=item.info.run_id,
                run_id=tags.get(TAG_RUN_ID, item.info.run_id),
                title=tags.get("mlflow.runName", ""),
                task=tags.get("modeldeck.task", ""),
                template=tags.get("modeldeck.template", ""),
                status=tags.get("modeldeck.status", item.info.status.lower()),
                accuracy=float(accuracy) if accuracy is not None else None,
                started=time.strftime("%Y-%m-%d %H:%M", time.localtime(item.info.start_time / 1000)),
                user=item.info.user_id or "",
                owner=tags.get(TAG_OWNER),
            )
        )
    return runs


def import_run(mlflow_run_id: str, store: RunStore, owner: str | None) -> Path:
    """Bring a tracked run's folder into ``store`` (a teammate's run, or one trained elsewhere); return it.

    With an ``owner``, only a run tagged with that owner is found (someone else's reads as missing). The
    folder lands under its ModelDeck run id; a run already in the store is returned as it is.
    """
    missing = RunError(f"No tracked run called '{mlflow_run_id}' was found.")
    if not _MLFLOW_ID.match(str(mlflow_run_id)):
        raise missing
    client = _client()
    try:
        run = client.get_run(mlflow_run_id)
    except Exception:
        raise missing from None
    tags = run.data.tags
    if owner is not None and tags.get(TAG_OWNER) != owner:
        raise missing
    run_id = tags.get(TAG_RUN_ID, "")
    if not _RUN_ID.match(run_id):
        raise RunError("This tracked run was not logged by ModelDeck (it has no ModelDeck run folder).")
    target = store.runs_dir / run_id
    if (target / "run.json").exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        try:
            from mlflow.artifacts import download_artifacts

            local = Path(
                download_artifacts(
                    run_id=mlflow_run_id,
                    artifact_path=RUN_ARTIFACT,
                    dst_path=tmp,
                    tracking_uri=settings.mlflow_uri(),
                )
            )
        except Exception as exc:
            raise RunError(f"Could not download the run from the tracking server: {first_line(exc)}") from exc
        _check_folder(local)
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=store.runs_dir, prefix=".import-"))
        try:
            for path in local.rglob("*"):
                if path.is_file():
                    dest = staging / path.relative_to(local)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, dest)
            meta = _read_json(staging / "run.json") or {}
            meta.update(run_id=run_id, owner=owner, pid=0, imported_from=f"mlflow:{mlflow_run_id}")
            write_json(staging / "run.json", meta)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def _check_folder(folder: Path) -> None:
    """A downloaded run folder holds plain files only, a run.json, and a sane size (it is treated as untrusted)."""
    if not (folder / "run.json").is_file():
        raise RunError("The tracked run has no ModelDeck run folder (run.json is missing).")
    total = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise RunError("The tracked run's folder holds something other than plain files; it was not opened.")
        total += path.stat().st_size if path.is_file() else 0
    if total > MAX_IMPORT_MB * 1024 * 1024:
        raise RunError(f"The tracked run is over {MAX_IMPORT_MB:,} MB; it was not downloaded.")


def register_model(run_dir: Path, name: str, description: str, production: bool = False) -> tuple[str, str]:
    """Put the run's model in the MLflow registry as a new version of ``name``; return (name, version).

    The version's source is the run folder in the tracking server's artefacts (model, preprocessing and
    labels: ModelDeck's whole bundle); ``description`` (the model card) describes the version and, when the
    registered model is new, the model too. ``production`` points the alias ``production`` at this version.
    """
    name = name.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}", name):
        raise RunError(
            f"'{name[:60]}' cannot name a registered model: use 1 to 100 letters, digits, spaces, '.', '_' or '-'."
        )
    mlflow_run_id = track_run(run_dir)
    client = _client()
    try:
        if client.search_registered_models(filter_string=f"name = '{name}'"):
            pass
        else:
            client.create_registered_model(name, description=description)
        run = client.get_run(mlflow_run_id)
        servable = bool(run.data.tags.get(TAG_SERVABLE)) or _log_servable(client, mlflow_run_id, Path(run_dir))
        version = client.create_model_version(
            name,  # a pyfunc model (mlflow models serve -m models:/NAME@production), else the run folder
            source=f"{run.info.artifact_uri}/{SERVABLE_ARTIFACT if servable else RUN_ARTIFACT}",
            run_id=mlflow_run_id,
            description=description,
            tags={TAG_RUN_ID: Path(run_dir).name},
        )
        if production:
            client.set_registered_model_alias(name, "production", version.version)
    except Exception as exc:
        raise RunError(f"The registry at {settings.mlflow_uri()} did not take the model: {first_line(exc)}") from exc
    return name, str(version.version)

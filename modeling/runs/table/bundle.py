"""A table model on disk, loadable without running code: JSON, skops and ``.keras`` (safe mode) only.

A table run keeps its model in ``table_model/`` inside the run folder:

    bundle.json        task, template, class names, the column encoder, the members and their weights,
                       the conformal interval widths, and (when the data side saved one) the preparation
                       that turns a raw uploaded table into the typed feature frame, and the profile of the
                       training rows that every scored batch is compared with (absent in older bundles)
    member_0.skops     a scikit-learn member (trees, forest, linear), written with ``skops.io.dump``
    member_1.keras     a Keras member (the neural network), loaded with ``safe_mode=True``

scikit-learn members are never pickled: :func:`load_sklearn` asks skops which types the file would
create and refuses any that is not on :data:`TRUSTED_TYPES` (the handful our own estimators need)
before loading. The folder is written beside the final one and renamed into place, so a killed process
never leaves half a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.runs.bundle_folder import atomic_folder, plain, read_bundle_json
from modeling.runs.keras_file import load_bundle_model
from modeling.templates.tabular.encoding import TableEncoder
from modeling.templates.tabular.model import INPUTS, Member, TableModel

BUNDLE_DIR = "table_model"
BUNDLE_FILE = "bundle.json"
BUNDLE_VERSION = 1
#: Types skops may create beyond its own safe defaults: exactly what ModelDeck's table estimators hold.
TRUSTED_TYPES = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
    "sklearn.utils.validation.check_array",
    "functools.partial",  # wraps check_array in the trees' category preprocessor; its function is checked too
)
#: The estimator classes a bundle may hold (checked after loading, before use).
ESTIMATORS = (
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "LogisticRegression",
    "Ridge",
)


def has_table_model(run_dir: Path) -> bool:
    return (Path(run_dir) / BUNDLE_DIR / BUNDLE_FILE).is_file()


def save_table_model(
    run_dir: Path,
    model: TableModel,
    interval: dict[str, Any] | None = None,
    preparation: Any = None,
    profile: dict[str, Any] | None = None,
) -> Path:
    """Write ``table_model/`` atomically; ``interval`` holds the conformal scale and half-widths, ``profile`` the
    training data's profile that scored batches are compared with (:mod:`modeling.runs.table.drift_check`)."""
    import skops.io

    run_dir = Path(run_dir)
    with atomic_folder(run_dir, BUNDLE_DIR) as partial:
        members = []
        for i, member in enumerate(model.members):
            if member.is_network:
                name = f"member_{i}.keras"
                member.estimator.save(partial / name)
            else:
                name = f"member_{i}.skops"
                skops.io.dump(member.estimator, partial / name)
            members.append(
                {
                    "kind": member.kind,
                    "file": name,
                    "weight": float(member.weight),
                    "log_target": bool(member.log_target),
                    "y_mean": float(member.y_mean),
                    "y_std": float(member.y_std),
                    "name": member.name,
                    "settings": plain(member.settings),
                }
            )
        bundle = {
            "version": BUNDLE_VERSION,
            "task": model.task,
            "template": model.template,
            "class_names": model.class_names,
            "encoder": model.encoder.to_json(),
            "members": members,
            "interval": interval or {},
            "preparation": preparation,
            "profile": profile,
        }
        (partial / BUNDLE_FILE).write_text(json.dumps(bundle, indent=1), encoding="utf-8")
    return run_dir / BUNDLE_DIR


def read_bundle(run_dir: Path) -> dict[str, Any]:
    """``bundle.json`` of a table run; a :class:`RunError` with a sentence when it is missing or damaged."""
    path = Path(run_dir) / BUNDLE_DIR / BUNDLE_FILE
    return read_bundle_json(path, "table", BUNDLE_VERSION, str)


def load_sklearn(path: Path) -> Any:
    """A scikit-learn member through skops' trusted-types loader: unknown types are refused, nothing is pickled."""
    import skops.io

    path = Path(path)
    if path.suffix != ".skops" or path.is_symlink() or not path.is_file():
        raise RunError("Only ModelDeck's own .skops model files can be loaded.")
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:
        raise RunError(
            f"The model file {path.name} is damaged or is not a skops file ({type(exc).__name__})."
        ) from None
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise RunError(
            f"The model file {path.name} was refused: it would create objects ModelDeck does not trust "
            f"({', '.join(unknown[:3])}). Only models trained in ModelDeck can be used."
        )
    try:
        estimator = skops.io.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise RunError(f"The model file {path.name} could not be loaded safely ({type(exc).__name__}).") from None
    if type(estimator).__name__ not in ESTIMATORS or not type(estimator).__module__.startswith("sklearn."):
        raise RunError(f"The model file {path.name} holds a {type(estimator).__name__}, not a ModelDeck table model.")
    return estimator


def load_table_model(run_dir: Path) -> tuple[TableModel, dict[str, Any]]:
    """(the model, the bundle's JSON) from ``run_dir/table_model``; a :class:`RunError` with a sentence if unusable."""
    folder = Path(run_dir) / BUNDLE_DIR
    bundle = read_bundle(run_dir)
    members = []
    for item in bundle.get("members") or []:
        kind, name = str(item.get("kind")), str(item.get("file", ""))
        if kind not in INPUTS or "/" in name or "\\" in name or name.startswith("."):
            raise RunError("The saved table model names a member ModelDeck does not know.")
        path = folder / name
        estimator = load_bundle_model(path) if kind == "neural_network" else load_sklearn(path)
        members.append(
            Member(
                kind=kind,
                estimator=estimator,
                weight=float(item.get("weight", 1.0)),
                log_target=bool(item.get("log_target", False)),
                y_mean=float(item.get("y_mean", 0.0)),
                y_std=float(item.get("y_std", 1.0)),
                name=str(item.get("name", "")),
                settings=dict(item.get("settings") or {}),
            )
        )
    if not members:
        raise RunError("The saved table model has no members.")
    model = TableModel(
        str(bundle["task"]),
        [str(c) for c in bundle.get("class_names") or []],
        TableEncoder.from_json(bundle["encoder"]),
        members,
        str(bundle.get("template", "")),
    )
    return model, bundle

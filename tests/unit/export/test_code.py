"""The code behind a run: the generated script runs without ModelDeck and lands on the app's own result."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from modeling.config import DataConfig, ExperimentConfig, template_settings
from modeling.export.code import run_script
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.conftest import REPO_ROOT, make_image_dataset

#: How far the script's test accuracy may land from the app's on the same split (points), at least; on a small
#: test split the bound is two standard errors of the accuracy (see :func:`tolerance_points`).
TOLERANCE_POINTS = 5.0


def tolerance_points(accuracy: float, rows: int) -> float:
    """Two standard errors of an accuracy on ``rows`` test rows, in points (at least :data:`TOLERANCE_POINTS`).

    The script draws its training randomness differently from the app (a text model in the app reads prepared
    numbers, the script's model strings), so at the same seed the two land within the test split's sampling
    noise, not on the same number. Measured for ngram_bag on the reviews sample (101 test rows, 4 epochs):
    the script at seeds 42, 1, 2 scored 63.4%, 74.3%, 73.3%; the app 67-75% over five seeds.
    """
    return max(TOLERANCE_POINTS, 200.0 * (accuracy * (1.0 - accuracy) / max(1, rows)) ** 0.5)


def _train(store: RunStore, template: str, source: str, **changes) -> object:
    image = template in ("small_cnn", "dense")
    settings = template_settings(template).model_copy(update={"epochs": 4, **changes})
    config = ExperimentConfig(
        data=DataConfig(source=source),
        task="image_classification" if image else "text_classification",
        template=template,
        settings=settings,
    )
    return store.load(run_experiment(config, store=store).name)


def _run_script(script: str, folder, data_file: str) -> dict[str, float]:
    path = folder / "train.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, "-I", str(path), data_file], cwd=folder, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {k: float(v) for k, v in re.findall(r"test (accuracy|macro F1): ([0-9.]+)", done.stdout)}


def test_script_is_plain_python_without_modeldeck(tmp_path):
    from modeling.export.code import training_script

    store = RunStore(tmp_path, starters=REPO_ROOT / "starters")
    text = ExperimentConfig(data=DataConfig(source="sample:reviews"), task="text_classification", template="ngram_bag")
    facts = {"kind": "text", "source": "sample:reviews", "text_column": "text", "label_column": "label"}
    for script in (training_script(text, facts, "r1"), run_script(store.load("starter-digits"))):
        tree = ast.parse(script)
        imported = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not any(name.startswith("modeling") for name in imported)
        assert "SEED = 42" in script and "def build_model" in script and "EarlyStopping" in script
        assert str(REPO_ROOT) not in script  # never a server path


def test_the_scripts_fitting_constants_are_the_templates_own():
    """export may not import training, so the script's constants are copied; they must not drift."""
    from modeling.export.code_keywords import FIT_CONSTANTS
    from modeling.training import hybrid_fit, keywords_fit

    assert {
        "C_GRID": keywords_fit.C_GRID,
        "NB_SHARES": keywords_fit.NB_SHARES,
        "DEFAULT_C": keywords_fit.DEFAULT_C,
        "ABSENT_CLASS_LOGIT": keywords_fit.ABSENT_CLASS_LOGIT,
        "ENCODER_C_GRID": hybrid_fit.ENCODER_C_GRID,
        "SHARES": len(hybrid_fit.SHARES),
    } == FIT_CONSTANTS
    assert tuple(round(x, 2) for x in np.linspace(0.0, 1.0, FIT_CONSTANTS["SHARES"])) == hybrid_fit.SHARES


def test_fitted_text_scripts_are_plain_python_and_say_how_they_fit():
    from modeling.export.code import training_script

    for template, split in (("ngram_nb", "character"), ("minilm_ngrams", "whitespace")):
        config = ExperimentConfig(
            data=DataConfig(source="sample:reviews"), task="text_classification", template=template
        )
        facts = {
            "kind": "text",
            "source": "sample:reviews",
            "text_column": "text",
            "label_column": "label",
            "split": split,
        }
        script = training_script(config, facts, "r1")
        compile(script, "train.py", "exec")
        assert "LogisticRegression" in script and "def fit_keywords" in script and "EarlyStopping" not in script
        assert f'SPLIT = "{split}"' in script and "C_GRID = (1.0, 4.0, 16.0, 64.0)" in script
        assert ("def choose_share" in script) == (template == "minilm_ngrams")
        assert ('model.save("model.keras")' in script) == (template == "ngram_nb")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("ngram_bag", "sample:reviews"),
        ("embedding_bag", "sample:reviews"),
        ("conv1d", "sample:reviews"),
        ("small_cnn", None),
        ("dense", None),
        ("minilm", "sample:reviews"),
        ("ngram_nb", "sample:reviews"),
        ("ngram_nb", "sample:reviews_zh"),
        ("minilm_ngrams", "sample:reviews"),
    ],
)
def test_generated_script_lands_on_the_apps_result(template, source, tmp_path):
    if template.startswith("minilm"):
        from modeling.templates.minilm import encoder_status

        available, reason = encoder_status()
        if not available:
            pytest.skip(reason)
    store = RunStore(tmp_path / "home", starters=None)
    folder = tmp_path / "script"
    folder.mkdir()
    if template in ("small_cnn", "dense"):
        data = make_image_dataset(150, seed=3)
        np.savez(folder / "pictures.npz", images=data.images, labels=np.asarray(data.class_names)[data.labels])
        run = _train(store, template, str(folder / "pictures.npz"))
        data_file = "pictures.npz"
    else:
        run = _train(store, template, source, sequence_length=64)
        data_file = str(REPO_ROOT / "sample_data" / f"{source.split(':')[1]}.csv")
    app = run.evaluation["model"]
    got = _run_script(run_script(run), folder, data_file)
    allowed = tolerance_points(app["accuracy"], len(run.load_test()))
    assert abs(100 * (got["accuracy"] - app["accuracy"])) <= allowed, (got, app["accuracy"], allowed)

"""The code behind a table run: a pandas + scikit-learn (+ Keras) script, no ModelDeck, that lands on the app's result.

The slow test trains each table template on a slice of each table sample (a CSV file, as a user's upload),
runs the generated script on the same file in a fresh, isolated process and compares its test figures with
the run's: accuracy within a few points, RMSE within a few percent (in practice they are equal: the script
reads, splits, encodes and trains exactly as the app does).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest

from modeling.config import DataConfig, ExperimentConfig, default_config
from modeling.data.samples import load_sample, sample_table
from modeling.export.code import facts_from_dataset, run_script, training_script
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.conftest import REPO_ROOT

TEMPLATES = ["boosted_trees", "linear", "neural_network", "automatic"]
SAMPLES = {"tabular_classification": ("churn", "churn"), "tabular_regression": ("house_prices", "price")}
#: How far the script may land from the app on the same split.
ACCURACY_POINTS = 3.0
RMSE_SHARE = 0.03


def _imports(script: str) -> set[str]:
    tree = ast.parse(script)
    return {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }


@pytest.mark.parametrize("task", list(SAMPLES))
@pytest.mark.parametrize("template", TEMPLATES)
def test_the_model_page_script_is_plain_python_without_modeldeck(template, task):
    key, _ = SAMPLES[task]
    dataset = load_sample(key)
    config = default_config(task, f"sample:{key}", template)
    script = training_script(config, facts_from_dataset(dataset))
    imported = _imports(script)
    assert not any(name.startswith("modeling") for name in imported)
    assert ("keras" in imported) == (template == "neural_network")
    assert f'"sample_data/{key}.csv"' in script and "def fit_preparation" in script and "SEED = 42" in script
    assert str(REPO_ROOT) not in script  # never a server path
    if template == "automatic":
        assert "trains its first candidate" in script


def _train(store: RunStore, template: str, task: str, path) -> object:
    _, target = SAMPLES[task]
    config = default_config(task, str(path), template)
    settings = config.settings.model_copy(update={"epochs": 8, "time_budget_s": 15, "max_rounds": 150})
    config = ExperimentConfig(
        data=DataConfig(source=str(path), target_column=target),
        task=task,
        template=template,
        settings=settings,
    )
    return store.load(run_experiment(config, store=store).name)


def _figures(script: str, folder, data_file) -> dict[str, float]:
    path = folder / "train.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run(
        [sys.executable, "-I", str(path), str(data_file)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {k: float(v) for k, v in re.findall(r"test (accuracy|RMSE|macro F1|MAE): ([0-9.e+]+)", done.stdout)}


@pytest.mark.slow
@pytest.mark.parametrize("task", list(SAMPLES))
@pytest.mark.parametrize("template", TEMPLATES)
def test_generated_table_script_lands_on_the_apps_result(template, task, tmp_path):
    key, _ = SAMPLES[task]
    raw, _ = sample_table(key)
    data_file = tmp_path / f"{key}_slice.csv"
    raw.head(900).to_csv(data_file, index=False)  # a user's file, not a built-in sample
    run = _train(RunStore(tmp_path / "home", starters=None), template, task, data_file)
    script = run_script(run)
    assert not any(name.startswith("modeling") for name in _imports(script))
    got = _figures(script, tmp_path, data_file)
    app = run.evaluation["model"]
    if task == "tabular_regression":
        assert abs(got["RMSE"] - app["rmse"]) <= RMSE_SHARE * app["rmse"], (got, app["rmse"])
    else:
        assert abs(100 * (got["accuracy"] - app["accuracy"])) <= ACCURACY_POINTS, (got, app["accuracy"])


def test_a_bagged_models_fold_models_become_one_member_the_script_bags_again():
    """Automatic answers with each model's 5 fold models: the script trains that model in 5 folds, once."""
    from modeling.export.code_tables import _one_per_model

    saved = [
        *({"name": f"trees (defaults), fold {i}", "kind": "trees", "weight": 0.12, "settings": {}} for i in range(5)),
        *(
            {
                "name": f"trees (categories in order), fold {i}",
                "kind": "trees",
                "weight": 0.08,
                "settings": {"categorical_features": None},
            }
            for i in range(5)
        ),
        {"name": "linear model", "kind": "linear", "weight": 0.0, "settings": {}},
    ]
    members = _one_per_model(saved)
    assert [(m["kind"], m["folds"]) for m in members] == [("trees", 5), ("trees", 5), ("linear", 0)]
    assert [round(m["weight"], 6) for m in members] == [0.6, 0.4, 0.0]
    assert members[1]["settings"] == {"categorical_features": None}  # categories read in order, kept as null

"""The template contract: every template in the registry, for every task it serves, goes through every door.

In the spirit of scikit-learn's ``parametrize_with_checks`` and AutoGluon's ``fit_helper``: the cases are made
from ``registry.REGISTRY``, so a new template is checked the moment it is added, and one that forgets a fact
fails here, not in front of a person. For each (template, task):

1. its spec is complete: builder, own fit, cost estimator and requirements resolve; an export input the
   export layer knows; a script generator that resolves; setting groups naming real settings; its family
   known to every layer (training, runs, export);
2. a tiny fit through ``run_experiment`` (a few epochs or rounds on synthetic data) finishes;
3. ``load_predictor`` loads it and ``score_frame`` gives finite answers on the run's own test inputs;
4. every export format it offers here builds and passes its check (``build_export``; the first format of
   the first task in the quick tier, the others ``slow``);
5. its training scripts compile (before training, from the Dataset; after, from the run);
6. a Keras run trained on TensorFlow answers the same on JAX and PyTorch (each in a process of its own, where
   installed: ``requirements-backends.txt``), and a text run trained on each of them answers the same here.

A forecast's own inputs are the dates after its history (the test split is the last horizon, which the
backtest already forecast); forecasts offer no export format, so step 4 has no case for them.

Templates that need something installed beyond ModelDeck (``TemplateSpec.requires``: the pretrained encoder)
are ``slow``. Runs are fitted once per module, on first use, and shared.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modeling.config import ExperimentConfig, TrainingSettings, template_settings
from modeling.data.readers.tables import read_table
from modeling.data.series.dataset import series_dataset
from modeling.data.tabular import dataset_from_table
from modeling.export import families as export_families
from modeling.export import table_export
from modeling.export.bundle import build_export, run_offers
from modeling.export.code import facts_from_dataset, run_script, training_script
from modeling.export.formats import SUPPORTED
from modeling.runs import loading
from modeling.runs.store import RunStore
from modeling.templates import registry
from modeling.training import families as training_families
from modeling.training.experiment import run_experiment
from tests.conftest import make_image_dataset, make_text_dataset
from tests.unit.forecast.conftest import seasonal_panel
from tests.unit.templates.backend_answers import number_answers, save_inputs
from tests.unit.training.table_data import raw_houses

#: Small enough to fit in seconds, large enough that every template learns something.
TINY = {
    "epochs": 2,
    "max_rounds": 20,
    "time_budget_s": 5,
    "sequence_length": 16,
    "max_tokens": 500,
    "patience": 0,
    "hidden_units": 16,
}
CASES = [(spec.name, task) for spec in registry.REGISTRY.values() for task in spec.tasks]


#: Templates that train for minutes on a CPU whatever the data (the forecasting network backtests each window).
SLOW = {"forecast_network"}
ROOT = Path(__file__).resolve().parents[3]


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if registry.spec(name).requires or name in SLOW else []


def _case(name: str, task: str) -> pytest.param:
    return pytest.param(name, task, marks=_marks(name), id=f"{name}-{task}")


def tiny_dataset(task: str):
    """Synthetic data of the task's kind: reviews, bars in pictures, or a raw table of houses."""
    kind = registry.task(task).kind
    if kind == "text":
        return make_text_dataset(160)
    if kind == "image":
        return make_image_dataset(90)
    if kind == "series":  # four shops, four years of months, a promotion flag known ahead
        table = seasonal_panel(series=4, periods=48, freq="MS", promo_effect=0.3)
        return series_dataset(table, "date", "units", ["shop"], ["promo"], name="shops")
    raw = raw_houses(240, seed=1)
    if registry.task(task).predicts_number:
        return dataset_from_table(raw, "price", name="houses", task=task)
    raw["band"] = np.where(raw["price"] < 150_000, "low", "high")
    return dataset_from_table(raw.drop(columns=["price"]), "band", name="houses", task=task)


# ---- 1. the spec is complete ---------------------------------------------------------------------------------
def spec_problems(spec: registry.TemplateSpec) -> list[str]:
    """Every fact a template must have, or a sentence naming what is missing (empty: complete)."""
    problems = []
    for field in ("builder", "fit", "requires", "code"):
        path = getattr(spec, field)
        if field in ("builder", "code") and not path:
            problems.append(f"{spec.name}: no {field}")
            continue
        if path:
            try:
                registry.resolve(path)
            except (ImportError, AttributeError, ValueError) as exc:
                problems.append(f"{spec.name}: {field} '{path}' does not resolve ({type(exc).__name__})")
    if spec.cost and spec.cost.estimator:
        try:
            registry.resolve(spec.cost.estimator)
        except (ImportError, AttributeError) as exc:
            problems.append(f"{spec.name}: cost estimator does not resolve ({type(exc).__name__})")
    if spec.export_input not in SUPPORTED:
        problems.append(f"{spec.name}: export input '{spec.export_input}' is not one of {sorted(SUPPORTED)}")
    if not spec.setting_groups:
        problems.append(f"{spec.name}: no setting groups (the Model page would show nothing)")
    known = set(TrainingSettings.model_fields)
    for group in spec.setting_groups:
        problems += [
            f"{spec.name}: setting '{f}' in '{group.title}' does not exist" for f in group.fields if f not in known
        ]
    placeholders = {name for _, name, _, _ in string.Formatter().parse(spec.what_it_does) if name}
    problems += [f"{spec.name}: what_it_does names '{{{p}}}'" for p in placeholders - known - {"budget"}]
    for task in spec.tasks:
        if task not in registry.TASKS:
            problems.append(f"{spec.name}: serves an unknown task '{task}'")
            continue
        family = registry.task(task).family
        for layer, names in (
            ("training", training_families.FAMILIES),
            ("runs", loading.PREDICTORS),
            ("export", export_families.FAMILIES),
        ):
            if family not in names:
                problems.append(f"{spec.name}: family '{family}' has no {layer} implementation")
    if len({registry.task(t).family for t in spec.tasks if t in registry.TASKS}) > 1:
        problems.append(f"{spec.name}: serves tasks of different families")
    return problems


@pytest.mark.parametrize("name", list(registry.REGISTRY))
def test_the_spec_holds_every_fact_of_its_template(name):
    assert spec_problems(registry.spec(name)) == []


def test_a_template_that_forgets_a_fact_is_caught():
    complete = registry.spec("ngram_nb")
    forgetful = dataclasses.replace(
        complete, name="forgetful", export_input="", code="", setting_groups=(), builder="modeling.nowhere:build"
    )
    problems = " | ".join(spec_problems(forgetful))
    assert "no code" in problems and "export input ''" in problems and "no setting groups" in problems
    assert "builder 'modeling.nowhere:build' does not resolve" in problems
    renamed = dataclasses.replace(complete, name="renamed", code="modeling.export.code_keras:no_such_script")
    assert "does not resolve" in " ".join(spec_problems(renamed))


# ---- 2.-5. through every door ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """``fitted(template, task)`` -> its run (trained on first use, then shared by the module's tests)."""
    store = RunStore(tmp_path_factory.mktemp("contract-runs"), starters=None)
    runs: dict[tuple[str, str], object] = {}
    datasets: dict[str, object] = {}

    def fit(name: str, task: str):
        if (name, task) not in runs:
            datasets.setdefault(task, tiny_dataset(task))
            settings = template_settings(name).model_copy(update=TINY)
            config = ExperimentConfig(task=task, template=name, settings=settings, data={"source": "session:tiny"})
            runs[name, task] = store.load(run_experiment(config, datasets[task], store=store).name)
        return runs[name, task]

    fit.datasets = datasets  # type: ignore[attr-defined]
    return fit


def own_inputs(run, predictor) -> pd.DataFrame:
    """The run's test inputs as the table a person would send: raw table rows, or the one column it reads."""
    test = run.load_test()
    if registry.task(run.task).kind == "series":  # a forecast answers the dates after the history
        return predictor.future_rows()
    if test.frame is not None:  # a table: its typed test rows written back as raw cells
        return read_table(
            table_export.test_rows_csv(predictor.preparation, test.frame).encode("utf-8"), "test_rows.csv"
        )
    return pd.DataFrame({predictor.input_schema()[0].name: list(test.inputs)})


@pytest.mark.parametrize(("name", "task"), [_case(n, t) for n, t in CASES])
def test_a_tiny_fit_loads_answers_and_its_scripts_compile(fitted, name, task):
    run = fitted(name, task)
    assert run.info.usable, f"{name} on {task} did not finish: {run.meta.get('error')}"
    predictor = loading.load_predictor(run)
    assert predictor.task == task
    schema = predictor.input_schema()
    assert schema and all(column.name and column.type for column in schema)
    inputs = own_inputs(run, predictor)
    batch = predictor.score_frame(inputs)
    assert len(batch.frame) == len(inputs) == len(run.load_test())
    assert batch.answer_columns and set(batch.answer_columns) <= set(batch.frame.columns)
    numbers = batch.frame[batch.answer_columns].select_dtypes("number")
    assert numbers.shape[1] > 0 and np.isfinite(numbers.to_numpy(dtype=np.float64)).all()
    if registry.task(task).answers == "classes":
        probabilities = batch.frame[[f"probability_{c}" for c in predictor.class_names]].to_numpy(dtype=np.float64)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
        assert set(batch.frame["predicted_label"]) <= set(predictor.class_names)
    for script in (run_script(run), training_script(run.config, facts_from_dataset(fitted.datasets[task]))):
        compile(script, f"{name}-train.py", "exec")
        assert not re.search(r"^\s*(from|import) modeling\b", script, re.MULTILINE)


def _export_cases() -> list[pytest.param]:
    cases = []
    for spec in registry.REGISTRY.values():
        for t, task in enumerate(spec.tasks):
            for f, fmt in enumerate(SUPPORTED.get(spec.export_input, ())):
                quick = t == 0 and f == 0 and not spec.requires
                marks = [] if quick else [pytest.mark.slow]
                cases.append(pytest.param(spec.name, task, fmt, marks=marks, id=f"{spec.name}-{task}-{fmt}"))
    return cases


@pytest.mark.parametrize(("name", "task", "fmt"), _export_cases())
def test_every_export_the_template_offers_builds_and_passes_its_check(fitted, name, task, fmt, tmp_path):
    run = fitted(name, task)
    offered = {item.format.key: item for item in run_offers(run)}[fmt]
    if not offered.supported:
        pytest.skip(offered.reason)  # a package this installation leaves out (the sentence says which)
    result = build_export(run, fmt, "# card", out_dir=tmp_path)
    assert result.check.passed, result.check.reason
    assert result.check.rows == len(run.load_test()) and result.zip_path.is_file()


# ---- 6. one model, any Keras backend ----------------------------------------------------------------------------
#: Other Keras backends installed here (``requirements-backends.txt``); TensorFlow is the one tests run on.
OTHER_BACKENDS = [name for name in ("jax", "torch") if importlib.util.find_spec(name)]
#: How far answers may differ between backends: float32 arithmetic in another order (probabilities, and
#: predicted numbers relative to their size).
BACKEND_TOLERANCE = 1e-4


def _backend_job(backend: str, job: dict, folder: Path) -> dict:
    path = folder / f"job-{backend}.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.templates.backend_answers", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, f"{backend}: {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_close(got: dict, want: dict, what: str) -> None:
    assert set(got) == set(want), what
    for column, values in want.items():
        scale = np.maximum(1.0, np.abs(values))
        worst = float(np.max(np.abs(got[column] - values) / scale)) if len(values) else 0.0
        assert worst <= BACKEND_TOLERANCE, f"{what}: {column!r} differs by {worst:.2e}"


@pytest.mark.skipif(not OTHER_BACKENDS, reason="neither JAX nor PyTorch is installed (requirements-backends.txt)")
def test_a_keras_run_answers_the_same_on_every_backend_and_one_trained_on_another_loads_here(fitted, tmp_path):
    """Each Keras template's run, trained on TensorFlow, answers the same on JAX and PyTorch (each in a process
    of its own); a text run trained on each of those answers here as it did there."""
    runs, expected = [], {}
    for name, task in CASES:
        if _marks(name):
            continue
        run = fitted(name, task)
        if not any(run.path.rglob("*.keras")):
            continue  # trees, linear models and statistical forecasts have no Keras backend to differ on
        predictor = loading.load_predictor(run)
        inputs = own_inputs(run, predictor)
        expected[f"{name}-{task}"] = number_answers(predictor.score_frame(inputs))
        runs.append(
            {
                "key": f"{name}-{task}",
                "run": str(run.path),
                "inputs": str(save_inputs(inputs, tmp_path / f"{name}-{task}")),
            }
        )
    assert {"ngram_bag-text_classification", "small_cnn-image_classification"} <= set(expected)
    assert "neural_network-tabular_regression" in expected  # a table bundle's network member too
    for backend in OTHER_BACKENDS:
        home = tmp_path / f"trained-on-{backend}"
        train = {"home": str(home), "template": "ngram_bag", "task": "text_classification", "settings": TINY}
        jobs = [{**item, "out": str(tmp_path / f"{item['key']}-{backend}.npz")} for item in runs]
        report = _backend_job(backend, {"runs": jobs, "train": train}, tmp_path)
        assert report["backend"] == backend
        for item in jobs:
            with np.load(item["out"]) as got:
                _assert_close(dict(got), expected[item["key"]], f"{item['key']} on {backend}")
        trained = RunStore(home, starters=None).load(Path(report["trained"]).name)
        texts = pd.DataFrame({"text": ["good great", "bad awful", "!!!", ""]})
        here = number_answers(loading.load_predictor(trained).score_frame(texts))
        path = save_inputs(texts, tmp_path / f"texts-{backend}")
        there = tmp_path / f"there-{backend}.npz"
        _backend_job(backend, {"runs": [{"run": report["trained"], "inputs": str(path), "out": str(there)}]}, tmp_path)
        with np.load(there) as got:
            _assert_close(here, dict(got), f"ngram_bag trained on {backend}, loaded on TensorFlow")

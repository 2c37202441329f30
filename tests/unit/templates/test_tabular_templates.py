"""Table templates: the column encoder, each template trained a little, saved and reloaded in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modeling.config import ExperimentConfig, default_config
from modeling.errors import ConfigError, DataError, RunError
from modeling.runs.table.bundle import load_sklearn, load_table_model, save_table_model
from modeling.templates import registry
from modeling.templates.tabular.encoding import TableEncoder
from modeling.training.splits import split as split_table
from modeling.training.table.fit import fit, use_log_target
from tests.conftest import REPO_ROOT
from tests.unit.training.table_data import frame_dataset


def test_table_templates_are_registered_for_both_tasks():
    for task in registry.tasks_of_kind("table"):
        names = [s.name for s in registry.for_task(task)]
        assert names == ["boosted_trees", "neural_network", "linear", "automatic"]
    assert default_config("tabular_regression", "x.csv").template == "boosted_trees"
    with pytest.raises(ConfigError, match="template 'ngram_bag' does not exist"):
        ExperimentConfig.validate_dict({"task": "tabular_classification", "template": "ngram_bag"})


def test_table_settings_name_field_value_and_range():
    with pytest.raises(ConfigError) as err:
        ExperimentConfig.validate_dict(
            {"task": "tabular_regression", "template": "boosted_trees", "settings": {"max_leaf_nodes": 2}}
        )
    assert "settings.max_leaf_nodes = 2" in str(err.value) and "from 4 to 1024" in str(err.value)


def test_encoder_learns_on_training_rows_and_round_trips_as_json():
    frame = pd.DataFrame(
        {
            "n": [1.0, 2.0, np.nan, np.inf, 5.0],
            "c": pd.Series(["a", "b", None, "a", "a"], dtype="str"),
        }
    )
    enc = TableEncoder.fit(frame)
    again = TableEncoder.from_json(json.loads(json.dumps(enc.to_json())))
    new = pd.DataFrame({"c": pd.Series(["a", "zzz", None], dtype="str"), "n": ["3", "oops", None], "extra": [1, 2, 3]})
    codes = again.codes(new)
    assert codes[0].tolist() == [3.0, 0.0]  # columns in training order; 'a' comes first in natural order
    assert np.isnan(codes[1]).all() and np.isnan(codes[2]).all()  # unseen / unreadable / blank -> missing
    dense = again.dense(new)
    assert dense.dtype == np.float32 and np.isfinite(dense).all()
    assert again.unseen_counts(new) == {"c": 1}
    assert again.blank_counts(new) == {"n": 2, "c": 1}
    with pytest.raises(DataError, match="lacks 1 column the model needs: 'n'"):
        again.codes(pd.DataFrame({"c": ["a"]}))


def test_tree_codes_follow_the_natural_order_and_older_files_keep_theirs():
    """Graded values ("A2" < "A10" < "B1") get codes in that order whatever their frequency; v1 files unchanged."""
    from modeling.templates.tabular.encoding import natural_ranks

    grades = ["B1"] * 5 + ["A10"] * 4 + ["A2"] * 3 + ["Grade 10"] * 2 + ["grade 9"] + ["C"]
    enc = TableEncoder.fit(pd.DataFrame({"g": pd.Series(grades, dtype="str")}))
    assert enc.columns[0].categories[:3] == ["B1", "A10", "A2"]  # kept most frequent first (one-hot, typical row)
    codes = enc.codes(pd.DataFrame({"g": ["A2", "A10", "B1", "C", "grade 9", "Grade 10", "Z9"]}))[:, 0]
    assert codes[:6].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and np.isnan(codes[6])
    assert natural_ranks(["10 years", "2 years", "1 year"]) == [2, 1, 0]
    saved = enc.to_json()
    assert saved["version"] == 2 and saved["columns"][0]["tree_codes"] == [2, 1, 0, 5, 3, 4]
    older = json.loads(json.dumps(saved))
    del older["columns"][0]["tree_codes"]  # a version 1 file: codes are the frequency order it was trained on
    assert TableEncoder.from_json(older).codes(pd.DataFrame({"g": ["B1", "A2"]}))[:, 0].tolist() == [0.0, 2.0]
    saved["columns"][0]["tree_codes"] = [0, 0, 1, 2, 3, 4]
    with pytest.raises(DataError, match="category codes"):
        TableEncoder.from_json(saved)


def test_log_target_choice():
    heavy = np.r_[np.ones(95), np.full(5, 100.0)]
    assert use_log_target(heavy, "auto") and not use_log_target(np.linspace(1, 2, 100), "auto")
    assert not use_log_target(np.r_[-1.0, heavy], "auto")
    with pytest.raises(ConfigError, match="never negative"):
        use_log_target(np.array([-1.0, 2.0]), "yes")


def _config(task: str, template: str, **settings) -> ExperimentConfig:
    config = default_config(task, "session:synthetic", template)
    values = {"epochs": 3, "time_budget_s": 30, "max_rounds": 60, **settings}
    return config.model_copy(update={"settings": config.settings.model_copy(update=values)})


@pytest.mark.parametrize("regression", [True, False])
@pytest.mark.parametrize("template", ["boosted_trees", "linear", "neural_network"])
def test_each_template_trains_and_reloads_identically(tmp_path: Path, template: str, regression: bool):
    ds = frame_dataset(300, regression=regression)
    config = _config(ds.task, template)
    train, validation, test = split_table(ds, config)
    result = fit(config, train, validation, None, threading.Event())
    before = result.model.predict(test.frame)
    assert np.isfinite(before).all()
    if not regression:
        assert before.shape == (len(test), 2) and np.allclose(before.sum(axis=1), 1.0)
    save_table_model(tmp_path, result.model)
    files = sorted(p.name for p in (tmp_path / "table_model").iterdir())
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in files)
    loaded, _ = load_table_model(tmp_path)
    assert np.array_equal(loaded.predict(test.frame), before)


def test_fresh_process_reproduces_saved_predictions(tmp_path: Path):
    """A model saved here answers identically in a new Python process (skops + .keras + JSON only)."""
    ds = frame_dataset(300)
    config = _config(ds.task, "automatic", time_budget_s=20)
    train, validation, test = split_table(ds, config)
    result = registry.spec("automatic").custom_fit()(config, train, validation, None, threading.Event())
    save_table_model(tmp_path, result.model)
    test.save_npz(str(tmp_path / "test.npz"))
    np.save(tmp_path / "expected.npy", result.model.predict(test.frame))
    script = (
        "import sys, numpy as np\n"
        "from modeling.data.dataset import Dataset\n"
        "from modeling.runs.table.bundle import load_table_model\n"
        "folder = sys.argv[1]\n"
        "model, _ = load_table_model(folder)\n"
        "test = Dataset.load_npz(folder + '/test.npz')\n"
        "assert np.array_equal(model.predict(test.frame), np.load(folder + '/expected.npy')), 'different answers'\n"
        "print('same')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "same" in done.stdout


def test_skops_loader_refuses_untrusted_types(tmp_path: Path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "member_0.skops"
    skops.io.dump(FunctionTransformer(func=os.system), path)
    with pytest.raises(RunError, match="does not trust"):
        load_sklearn(path)
    (tmp_path / "bad.skops").write_bytes(b"not a zip")
    with pytest.raises(RunError, match="damaged"):
        load_sklearn(tmp_path / "bad.skops")


@pytest.mark.parametrize("onednn", ["0", "1"])
def test_network_handles_blanks_and_infinities(onednn: str, tmp_path: Path):
    """NaN and inf in the inputs never reach the network (oneDNN on and off, in a fresh process each)."""
    script = (
        "import threading, numpy as np\n"
        "from modeling.training.splits import split as split_table\n"
        "from modeling.training.table.fit import fit\n"
        "from modeling.config import default_config\n"
        "from tests.unit.training.table_data import frame_dataset\n"
        "ds = frame_dataset(300)\n"
        "ds.frame.loc[::7, 'noise'] = np.inf\n"
        "ds.frame.loc[::9, 'noise'] = -np.inf\n"
        "c = default_config(ds.task, 's', 'neural_network')\n"
        "c = c.model_copy(update={'settings': c.settings.model_copy(update={'epochs': 2})})\n"
        "tr, va, te = split_table(ds, c)\n"
        "r = fit(c, tr, va, None, threading.Event())\n"
        "p = r.model.predict(te.frame)\n"
        "assert np.isfinite(p).all()\n"
        "print('finite')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "finite" in done.stdout

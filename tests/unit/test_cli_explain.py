"""The command line's actions on a table run: ``explain`` (what would change one row's answer) and
``predict --drift-report`` (the scored file compared with the training data, as an HTML page)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from modeling.__main__ import main
from modeling.config import default_config
from modeling.data.tabular import dataset_from_table
from modeling.runs.protocol import ScoredBatch
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_customers


@pytest.fixture(scope="module")
def churn(tmp_path_factory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("cli")
    store = RunStore(home)
    ds = dataset_from_table(raw_customers(400), "churn", name="customers")
    config = default_config(ds.task, "session:customers", "boosted_trees")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"max_rounds": 30})})
    return home, run_experiment(config, ds, store=store).name


def _row(tmp_path: Path, **values) -> Path:
    row = raw_customers(5, seed=3).drop(columns=["churn"]).head(2)
    for name, value in values.items():
        row[name] = value
    path = tmp_path / "row.csv"
    row.to_csv(path, index=False)
    return path


def _risky_rows(home: Path, run_id: str, tmp_path: Path) -> Path:
    """Two customers the model says will leave, on a monthly contract and not brand new (a contract can keep them)."""
    from modeling.runs.loading import load_predictor

    rows = raw_customers(400, seed=11).drop(columns=["churn"])
    rows = rows[(rows["contract"] == "Month-to-month") & (rows["tenure"] >= 14)].reset_index(drop=True)
    chance = load_predictor(RunStore(home).load(run_id)).predict(rows)[:, 1]
    path = tmp_path / "risky.csv"
    rows.iloc[chance.argsort()[::-1][:2]].to_csv(path, index=False)
    return path


def test_explain_prints_the_answer_the_goal_and_the_routes(churn, tmp_path, capsys):
    home, run_id = churn
    path = _risky_rows(home, run_id, tmp_path)
    code = main(["--home", str(home), "explain", run_id, str(path), "--change", "contract,monthly_charges"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("The model answers 'Yes'") and lines[1] == "Goal: the answer 'No'."
    assert lines[2].startswith("Changing '") and "the chance of 'No' becomes" in lines[2]
    assert lines[4].split("\t") == ["changes", "columns changed", "new answer", "reaches the goal"]
    assert all(line.endswith("\tyes") for line in lines[5:])
    assert "the file has 2 rows; explaining row 1" in err


def test_explain_reaches_a_target_chance_for_another_row(churn, tmp_path, capsys):
    home, run_id = churn
    path = _row(tmp_path, tenure=14, contract="Month-to-month", monthly_charges=110.0)
    code = main(
        ["--home", str(home), "explain", run_id, str(path), "--change", "contract", "--target", "5%", "--row", "2"]
    )
    out, _ = capsys.readouterr()
    assert code == 0 and "Goal: a chance of 'No' of at least 95%." in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--change", "signup"], "is a date, which cannot be changed"),
        (["--change", "age"], "'age' is not a column the model reads"),
        (["--change", "contract", "--target", "lots"], "--target lots: not a number"),
        (["--change", "contract", "--row", "9"], "--row 9: the file has 2 rows"),
        (["--change", "contract", "--class", "Maybe"], "'Maybe' is not one of the model's classes"),
    ],
)
def test_explain_refuses_bad_input_with_a_sentence(churn, tmp_path, capsys, extra, message):
    home, run_id = churn
    code = main(["--home", str(home), "explain", run_id, str(_row(tmp_path)), *extra])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and "Traceback" not in err


def test_predict_writes_reasons_and_the_drift_report(churn, tmp_path, capsys):
    home, run_id = churn
    batch = raw_customers(400, seed=5).sample(300, random_state=5).drop(columns=["churn"])
    batch["monthly_charges"] = batch["monthly_charges"] * 4  # a price rise the model never saw
    data = tmp_path / "customers.csv"
    batch.to_csv(data, index=False)
    out_csv, report = tmp_path / "scored.csv", tmp_path / "reports" / "drift.html"
    code = main(["--home", str(home), "predict", run_id, str(data), "-o", str(out_csv), "--drift-report", str(report)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == [str(out_csv), str(report)]
    drift_line = next(line for line in err.splitlines() if line.startswith("drift: "))
    assert "'monthly_charges'" in drift_line and "\\_" not in drift_line  # plain text on a terminal
    scored = pd.read_csv(out_csv)
    assert scored["reason_1"].str.contains(r" = .* \(typical .*\) (?:raises|lowers) the chance of").all()
    html = report.read_text(encoding="utf-8")
    assert "Is customers.csv like the training data?" in html and "monthly_charges" in html and "major" in html


def test_a_drift_report_for_a_model_without_the_check_keeps_the_predictions(churn, tmp_path, capsys, monkeypatch):
    home, run_id = churn

    class NoDrift:  # a predictor of a kind without a training profile (texts, images)
        def input_schema(self):
            return []

        def score_frame(self, frame):
            return ScoredBatch(frame.assign(prediction=1), [], ["prediction"])

    monkeypatch.setattr("modeling.__main__.load_predictor", lambda run: NoDrift())
    data = tmp_path / "rows.csv"
    pd.DataFrame({"x": [1, 2]}).to_csv(data, index=False)
    code = main(["--home", str(home), "predict", run_id, str(data), "--drift-report", str(tmp_path / "d.html")])
    _, err = capsys.readouterr()
    assert code == 2 and "has no drift check" in err
    assert (tmp_path / "rows_predictions.csv").is_file() and not (tmp_path / "d.html").exists()
    code = main(["--home", str(home), "explain", run_id, str(data), "--change", "x"])
    assert code == 2 and "does not read tables" in capsys.readouterr().err

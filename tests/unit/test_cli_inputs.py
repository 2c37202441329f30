"""The command line for every task, on every input format the README lists.

``train`` runs as a person runs it (a fresh ``python -m modeling`` process, without ``TF_CPP_MIN_LOG_LEVEL``
set, so its standard error must hold only ModelDeck's lines); settings files for images and tables name no
template, so the data's choice trains. ``evaluate`` and ``predict`` then read each file format through
``main([...])`` in this process: tables as CSV, TSV, Excel and Parquet (texts and both table tasks), images as
an ``.npz``, a ZIP of class folders and (``predict``) one PNG. The same rows in another format must give the
same metrics.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from modeling.__main__ import main
from modeling.templates import registry
from tests.conftest import REPO_ROOT, make_image_dataset, make_text_dataset
from tests.unit.training.table_data import raw_houses

#: TensorFlow's C++ start-up lines and Python tracebacks: never on a command's standard error.
NOISE = re.compile(r"oneDNN|cuda|absl::|^[IWEF]\d{4} |Traceback", re.MULTILINE)
TABLE_FORMATS = ("csv", "tsv", "xlsx", "parquet")
TASKS = ("text_classification", "image_classification", "tabular_classification", "tabular_regression")


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CPP", "PYTHONWARNINGS"))}
    env.update(MODELDECK_HOME=str(home), MLFLOW_DISABLE_TELEMETRY="true")
    env.pop("MODELDECK_MLFLOW_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "modeling", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def write_table(frame: pd.DataFrame, folder: Path, stem: str, fmt: str) -> Path:
    path = folder / f"{stem}.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8).squeeze()).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Every data file: per task its training file and each format the README lists for it."""
    folder = tmp_path_factory.mktemp("cli-files")
    out: dict[str, Path] = {}
    texts = make_text_dataset(200)
    reviews = pd.DataFrame({"review": texts.texts, "sentiment": [texts.class_names[i] for i in texts.labels]})
    for fmt in TABLE_FORMATS:
        out[f"text_classification.{fmt}"] = write_table(reviews, folder, "reviews", fmt)
    images = make_image_dataset(90)
    names = np.asarray([images.class_names[i] for i in images.labels])
    np.savez(folder / "bars.npz", images=images.images[..., 0], labels=names)
    out["image_classification.npz"] = folder / "bars.npz"
    with zipfile.ZipFile(folder / "bars.zip", "w") as archive:
        for i, (pixels, name) in enumerate(zip(images.images, names, strict=True)):
            archive.writestr(f"bars/{name}/{i}.png", png_bytes(pixels))
    out["image_classification.zip"] = folder / "bars.zip"
    (folder / "one.png").write_bytes(png_bytes(np.kron(images.images[1, ..., 0], np.ones((4, 4)))))  # 112x112
    out["image_classification.png"] = folder / "one.png"
    houses = raw_houses(300, seed=3)
    banded = houses.assign(band=np.where(houses["price"] < 150_000, "low", "high")).drop(columns=["price"])
    for fmt in TABLE_FORMATS:
        out[f"tabular_regression.{fmt}"] = write_table(houses, folder, "houses", fmt)
        out[f"tabular_classification.{fmt}"] = write_table(banded, folder, "banded", fmt)
    return out


SETTINGS = {
    # Texts name a cheap template: the data's own choice (the pretrained encoder) is the slow test below.
    "text_classification": (
        {"text_column": "review", "label_column": "sentiment"},
        {"template": "ngram_nb"},
        {},
        "csv",
    ),
    "image_classification": ({}, {}, {"epochs": 3}, "npz"),
    "tabular_classification": ({"target_column": "band"}, {}, {"max_rounds": 30}, "csv"),
    "tabular_regression": ({"target_column": "price"}, {}, {"max_rounds": 30}, "csv"),
}


def settings_file(files: dict[str, Path], task: str, folder: Path) -> Path:
    data, top, settings, fmt = SETTINGS[task]
    config = {"data": {"source": str(files[f"{task}.{fmt}"]), **data}, "task": task, **top, "settings": settings}
    path = folder / f"{task}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(files, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Each task trained by ``python -m modeling train``: (the workspace, the run id)."""
    home = tmp_path_factory.mktemp("cli-home")
    out = {}
    for task in TASKS:
        done = run_cli("train", str(settings_file(files, task, home)), home=home)
        assert done.returncode == 0, done.stderr
        assert not NOISE.search(done.stderr), done.stderr
        assert re.search(r"^trained \d+ (epoch|round|step|candidate)s? on .+ in [\d.]+ s$", done.stderr, re.M), (
            done.stderr
        )
        run_dir = Path(done.stdout.strip().splitlines()[-1])
        assert run_dir.is_dir() and (run_dir / "run.json").is_file()
        out[task] = (home, run_dir.name)
    return out


def cli_json(capsys, *args: str) -> dict:
    assert main(list(args)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("task", TASKS)
def test_train_uses_the_data_and_settings_file_and_names_the_template_it_chose(trained, task):
    home, run_id = trained[task]
    meta = json.loads((home / "runs" / run_id / "run.json").read_text())
    assert meta["task"] == task and meta["status"] == "finished"
    top = SETTINGS[task][1]
    assert meta["template"] == top.get("template", registry.default_template(task))


@pytest.mark.parametrize("task", ["text_classification", "tabular_classification", "tabular_regression"])
def test_evaluate_and_predict_read_every_table_format_alike(trained, files, task, capsys, tmp_path):
    home, run_id = trained[task]
    metrics = {
        fmt: cli_json(capsys, "--home", str(home), "evaluate", run_id, str(files[f"{task}.{fmt}"]))
        for fmt in TABLE_FORMATS
    }
    first = metrics["csv"]
    for fmt, found in metrics.items():
        assert found["n"] == first["n"] > 0, fmt
        for key in ("accuracy", "rmse", "mae", "r2"):
            if key in first:
                assert found[key] == pytest.approx(first[key], rel=1e-9), (fmt, key)
    if "rmse" in first:
        assert first["r2"] > 0.3  # the price follows the size and the city
    else:
        assert 0.5 < first["accuracy"] <= 1.0
    for fmt in TABLE_FORMATS:
        source = files[f"{task}.{fmt}"]
        out = tmp_path / f"scored-{fmt}.csv"
        assert main(["--home", str(home), "predict", run_id, str(source), "-o", str(out)]) == 0
        scored = pd.read_csv(out)
        assert len(scored) == first["n"]  # every row answered, in the file's order
        answer = "predicted_price" if task == "tabular_regression" else "predicted_label"
        assert answer in scored.columns and scored[answer].notna().all()
        if task.startswith("tabular"):
            assert {"reason_1", "reason_2", "reason_3"} <= set(scored.columns)
        if task == "tabular_regression":
            assert (scored["low_90"] <= scored["predicted_price"]).all()
            assert (scored["predicted_price"] <= scored["high_90"]).all()


def test_images_are_evaluated_from_an_npz_and_a_zip_and_predicted_from_each_and_a_png(trained, files, capsys, tmp_path):
    home, run_id = trained["image_classification"]
    from_npz = cli_json(capsys, "--home", str(home), "evaluate", run_id, str(files["image_classification.npz"]))
    from_zip = cli_json(capsys, "--home", str(home), "evaluate", run_id, str(files["image_classification.zip"]))
    assert from_npz["n"] == from_zip["n"] == 90
    assert from_npz["accuracy"] == pytest.approx(from_zip["accuracy"])  # the same pixels, through PNG and back
    for kind in ("npz", "zip", "png"):
        out = tmp_path / f"scored-{kind}.csv"
        assert (
            main(["--home", str(home), "predict", run_id, str(files[f"image_classification.{kind}"]), "-o", str(out)])
            == 0
        )
        scored = pd.read_csv(out)
        assert len(scored) == (1 if kind == "png" else 90)
        assert "image" not in scored.columns  # pixels and picture bytes stay out of the CSV
        assert set(scored["predicted_label"]) <= {"left", "middle", "right"}
        probabilities = scored[["probability_left", "probability_middle", "probability_right"]].sum(axis=1)
        assert np.allclose(probabilities, 1.0, atol=1e-3)
    assert pd.read_csv(tmp_path / "scored-png.csv")["file"].tolist() == ["one.png"]


def test_predict_reads_another_text_column_when_told(trained, files, tmp_path):
    home, run_id = trained["text_classification"]
    table = pd.read_csv(files["text_classification.csv"]).rename(columns={"review": "comment"})
    table.to_csv(tmp_path / "comments.csv", index=False)
    out = tmp_path / "scored.csv"
    assert main(["--home", str(home), "predict", run_id, str(tmp_path / "comments.csv"), "-o", str(out)]) == 2
    assert (
        main(
            [
                "--home",
                str(home),
                "predict",
                run_id,
                str(tmp_path / "comments.csv"),
                "-o",
                str(out),
                "--column",
                "comment",
            ]
        )
        == 0
    )
    scored = pd.read_csv(out)
    assert (
        list(scored.columns[:2]) == ["comment", "sentiment"]
        and (scored["predicted_label"] == scored["sentiment"]).mean() > 0.8
    )


def test_a_wrong_file_for_the_run_is_a_sentence(trained, files, capsys):
    home, run_id = trained["tabular_regression"]
    assert main(["--home", str(home), "evaluate", run_id, str(files["image_classification.npz"])]) == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ") and "Traceback" not in message and "price" in message


@pytest.mark.slow
def test_a_text_settings_file_without_a_template_trains_the_datas_choice(files, tmp_path):
    config = {
        "data": {"source": str(files["text_classification.csv"]), "text_column": "review", "label_column": "sentiment"},
        "task": "text_classification",
    }
    (tmp_path / "reviews.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    done = run_cli("train", str(tmp_path / "reviews.yaml"), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not NOISE.search(done.stderr), done.stderr
    assert "chose the" in done.stderr  # the note says which template the data chose, and why

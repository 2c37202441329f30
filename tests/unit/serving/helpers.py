"""What the serving tests share: a tiny table run with a saved decision rule, pictures as base64, free ports."""

from __future__ import annotations

import base64
import io
import socket
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from modeling.config import default_config
from modeling.data.tabular import dataset_from_table
from modeling.evaluation.decisions import Decision
from modeling.runs.decision_rules import save_decision
from modeling.runs.store import Run, RunStore
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_houses

#: Raw rows as a client sends them: a number written with a thousands separator, a blank, a yes/no word.
TABLE_ROWS = [
    {"size": "1,250", "city": "Paris", "garden": "yes", "noise": 0.3},
    {"size": None, "city": "Lyon", "garden": "no", "noise": -1.2},
    {"size": "80", "city": "Nice", "garden": None, "noise": None},
]


def table_run(folder: Path) -> Run:
    """A linear model of 'is this house pricey' (seconds to train), saved with a rule that flags unsure rows."""
    raw = raw_houses(300, seed=1)
    raw["pricey"] = np.where(raw["price"] > raw["price"].median(), "yes", "no")
    data = dataset_from_table(raw.drop(columns=["price"]), "pricey", name="houses", task="tabular_classification")
    store = RunStore(folder, starters=None)
    run_dir = run_experiment(default_config(data.task, "session:houses", "linear"), data, store=store)
    save_decision(run_dir, Decision(min_confidence=0.9))
    return store.load(run_dir.name)


def png_base64(picture: Image.Image) -> str:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def drawn_one() -> Image.Image:
    """A photo-like '1': a thick black stroke on white paper."""
    picture = Image.new("RGB", (120, 120), "white")
    ImageDraw.Draw(picture).line([(60, 15), (60, 105)], fill="black", width=10)
    return picture


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Train the starter models that ship in ``starters/`` so Predict works before anyone trains.

    python scripts/train_starters.py            # both
    python scripts/train_starters.py digits     # one

Each starter is an ordinary run (same files, same code path as the app) trained on a
built-in sample with the default template and settings, then marked read-only.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modeling.config import default_config  # noqa: E402
from modeling.data.samples import load_sample  # noqa: E402
from modeling.runs.store import STARTERS_DIR, RunStore  # noqa: E402
from modeling.training.experiment import run_experiment  # noqa: E402
from modeling.training.progress import Progress  # noqa: E402

STARTERS = {
    "digits": ("image_classification", "Starter: handwritten digits (small CNN)"),
    "reviews": ("text_classification", "Starter: review sentiment (keyword n-grams)"),
}


def train_starter(name: str) -> Path:
    task, title = STARTERS[name]
    config = default_config(task, source=f"sample:{name}")
    if task == "image_classification":
        # Drawings and photos differ from the scanned samples: augmentation makes the starter forgiving.
        config.settings.augment = True
        config.settings.epochs = 30
        config.settings.patience = 6
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp, starters=None)
        progress = Progress()
        run_dir = run_experiment(config, load_sample(name), store=store, progress=progress)
        store.update_meta(run_dir, starter=True, title=title, run_id=f"starter-{name}", pid=0)
        target = STARTERS_DIR / f"starter-{name}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(run_dir, target)
    snap = progress.snapshot()
    meta = RunStore(tempfile.gettempdir()).load(str(target)).info
    print(f"{name}: test accuracy {meta.accuracy:.3f}, {snap['epoch']} epochs, {snap['elapsed_s']:.1f} s -> {target}")
    return target


if __name__ == "__main__":
    for key in sys.argv[1:] or list(STARTERS):
        train_starter(key)

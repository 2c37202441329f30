"""Train the starter models that ship in ``starters/`` so Predict works before anyone trains.

    python scripts/train_starters.py            # both
    python scripts/train_starters.py digits     # one

Each starter is an ordinary run (same files, same code path as the app) trained on a
built-in sample with the default template and settings, then marked read-only.

The sentiment starter uses the best text template this machine can train (see :func:`review_template`):
``minilm_ngrams`` where the pretrained encoder is installed, with the encoder's weights stored in 8 bits
(Keras ``quantize("int8")``) so the file is 24 MB instead of 91 MB in the repository; otherwise
``ngram_nb``, the best template without the encoder. The run records which one it is.
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
    "reviews": ("text_classification", "Starter: review sentiment"),
}
TEMPLATE_TITLES = {
    "minilm_ngrams": "pretrained encoder, 8-bit, + weighted keywords",
    "ngram_nb": "weighted keyword n-grams",
}


def review_template() -> str:
    """``minilm_ngrams`` where the encoder is installed (its weights then quantised to 8 bits), else ``ngram_nb``."""
    from modeling.templates import registry

    if not registry.spec("minilm_ngrams").availability()[0]:
        return "ngram_nb"
    # The encoder's parts are loaded once per process and shared by every later use (build_encoder, embed),
    # so quantising them here, before anything reads a text, makes training, the saved model and its
    # evaluation all use the same 8-bit weights. A fresh workspace keeps float32 vectors out of the cache.
    from modeling.templates.minilm import load_parts

    _, backbone = load_parts()
    backbone.quantize("int8")
    return "minilm_ngrams"


def train_starter(name: str) -> Path:
    task, title = STARTERS[name]
    template = review_template() if name == "reviews" else None
    if template:
        title = f"{title} ({TEMPLATE_TITLES[template]})"
    config = default_config(task, source=f"sample:{name}", template=template)
    if task == "image_classification":
        # Drawings and photos differ from the scanned samples: augmentation makes the starter forgiving.
        config.settings.augment = True
        config.settings.epochs = 30
        config.settings.patience = 6
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MODELDECK_HOME"] = tmp  # no cached sentence vectors from an earlier (float32) encoder
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

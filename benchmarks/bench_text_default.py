"""Issue 13 · the text default (Automatic) against the keyword baseline and the other templates.

    .venv/bin/python benchmarks/bench_text_default.py                       # all three sets
    .venv/bin/python benchmarks/bench_text_default.py imdb_short reviews    # some of them
    .venv/bin/python benchmarks/bench_text_default.py imdb --templates ngram_nb,minilm_ngrams

Sets (each split 80/20 stratified with seed 42, validation 15% of the rest: the app's defaults):

* ``imdb``: ``../shared/data/imdb_reviews_2000.csv``, 2,000 long movie reviews (230 words on average).
* ``imdb_short``: the same reviews cut to their first two sentences (at most 60 words, 39 on average),
  with the review's label. Built here (:func:`first_sentences`) as the closest thing to short review
  sentences this project has. It differs from real short-sentence data: an opening sentence often sets
  the scene ("I saw this at a festival.") and carries no opinion, so the label is noisy and every model
  scores far lower than on sentences written to express one opinion (SST-2-like sets).
* ``reviews``: ``sample_data/reviews.csv``, 501 short product reviews written for this project.

Every template trains through ``run_experiment`` in a throw-away workspace (the encoder's vector cache
starts empty), exactly as the app trains it with its recommended settings. "Automatic" is the template
:func:`modeling.templates.automatic.choose_text_template` picks for the data here, with its reason.
"keyword" is the TF-IDF + logistic regression baseline trained on the same training rows. Prints one
Markdown row per template; accuracies are deterministic for the seed, times depend on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["MODELDECK_HOME"] = tempfile.mkdtemp(prefix="modeldeck-text-default-")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
IMDB = ROOT.parent / "shared" / "data" / "imdb_reviews_2000.csv"
DEFAULT_TEMPLATES = ("ngram_nb", "minilm_ngrams", "ngram_bag", "minilm")


def first_sentences(text: str, sentences: int = 2, max_words: int = 60) -> str:
    """The first ``sentences`` sentences of a review (``<br />`` tags removed), at most ``max_words`` words."""
    clean = re.sub(r"<br\s*/?>", " ", str(text)).strip()
    parts = re.split(r"(?<=[.!?])\s+", clean)
    return " ".join(" ".join(parts[:sentences]).split()[:max_words])


def load(which: str):
    """The named set as a text Dataset."""
    import numpy as np
    import pandas as pd

    from modeling.data.dataset import Dataset
    from modeling.data.sources import load_source

    if which == "imdb":
        return load_source(str(IMDB), "review", "sentiment")
    if which == "imdb_short":
        frame = pd.read_csv(IMDB)
        classes = sorted(frame["sentiment"].unique())
        return Dataset(
            kind="text",
            name="IMDB first two sentences",
            labels=np.asarray([classes.index(s) for s in frame["sentiment"]]),
            class_names=list(classes),
            texts=frame["review"].map(first_sentences).to_numpy(str),
            source="benchmark:imdb_short",
            text_column="review",
            label_column="sentiment",
        )
    if which == "reviews":
        return load_source(str(ROOT / "sample_data" / "reviews.csv"), "text", "label")
    raise SystemExit(f"unknown set '{which}': use imdb, imdb_short or reviews")


def run(which: str, templates: list[str]) -> None:
    from modeling.config import default_config
    from modeling.runs.store import RunStore
    from modeling.templates.automatic import choose_text_template, mean_words
    from modeling.templates.minilm import measure_throughput
    from modeling.training.experiment import run_experiment

    data = load(which)
    choice = choose_text_template(data, read_tokens_per_s=lambda: measure_throughput().read_tokens_per_s)
    print(f"\n{which}: {len(data):,} texts, {mean_words(data.texts):.0f} words on average")
    print(f"Automatic picks {choice.template}: {choice.reason}")
    print("| set | template | test accuracy | keyword baseline | lift (points) | time |\n|---|---|---|---|---|---|")
    store = RunStore(tempfile.mkdtemp(dir=os.environ["MODELDECK_HOME"]), starters=None)
    for template in templates:
        config = default_config("text_classification", data.source or which, template=template)
        started = time.perf_counter()
        try:
            run_dir = run_experiment(config, data, store=store)
        except Exception as exc:  # a template that cannot run here is reported, not fatal
            print(f"| {which} | {template} | failed: {str(exc)[:120]} | | | |", flush=True)
            continue
        took = time.perf_counter() - started
        evaluation = store.load(run_dir.name).evaluation
        model, keyword = evaluation["model"]["accuracy"], evaluation["baselines"]["logistic"]["accuracy"]
        label = f"**{template}** (Automatic)" if template == choice.template else template
        print(
            f"| {which} | {label} | {model:.2%} | {keyword:.2%} | {100 * (model - keyword):+.1f} | {took:.0f} s |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", default=["imdb", "imdb_short", "reviews"])
    parser.add_argument("--templates", default=",".join(DEFAULT_TEMPLATES))
    args = parser.parse_args()
    for which in args.sets:
        run(which, [t for t in args.templates.split(",") if t])


if __name__ == "__main__":
    main()

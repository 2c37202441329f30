"""``minilm_ngrams``: both halves fitted exactly, their weight chosen on validation, one safe self-contained model."""

from __future__ import annotations

import numpy as np
import pytest

from modeling.config import default_config
from modeling.errors import ConfigError
from modeling.runs.store import RunStore
from modeling.templates import minilm
from modeling.training import hybrid_fit, keywords_fit
from modeling.training.experiment import run_experiment
from modeling.training.splits import split
from tests.conftest import make_text_dataset

AVAILABLE = minilm.encoder_source(check_hub=False)[0] is not None
needs_encoder = pytest.mark.skipif(not AVAILABLE, reason="pretrained encoder not installed")


def test_the_share_follows_the_half_that_is_right_on_validation():
    labels = np.array([0, 1] * 20)
    right = np.log(np.where(np.eye(2)[labels] == 1, 0.9, 0.1))
    coin = np.log(np.full((40, 2), 0.5))
    assert hybrid_fit.choose_share(right, coin, labels) == 1.0
    assert hybrid_fit.choose_share(coin, right, labels) == 0.0
    assert hybrid_fit.choose_share(right, right, labels) == 0.5  # equal: the middle
    assert hybrid_fit.choose_share(right, coin, labels[:0]) == 0.5  # no validation rows
    both = hybrid_fit.combine(right, coin, 0.3)
    np.testing.assert_allclose(np.exp(both).sum(axis=1), 1.0, rtol=1e-6)
    assert keywords_fit.loss_and_accuracy(both, labels)[1] == 1.0


def test_fine_tuning_is_refused_with_the_field_and_the_allowed_value():
    cfg = default_config("text_classification", "test", template="minilm_ngrams")
    cfg.settings.encoder_mode = "fine_tune"
    ds = make_text_dataset(20)
    with pytest.raises(ConfigError, match=r"encoder_mode = 'fine_tune'.*allowed: frozen"):
        hybrid_fit.fit(cfg, ds, ds)


@needs_encoder
def test_trains_and_the_saved_model_gives_the_evaluated_answers(tmp_path):
    from modeling.runs.keras_file import load_bundle_model
    from modeling.templates.inference import predict_probabilities
    from modeling.templates.text_prep import preparation_of

    store = RunStore(tmp_path, starters=None)
    ds = make_text_dataset(160, seed=6)
    cfg = default_config("text_classification", "test", template="minilm_ngrams")
    run = store.load(run_experiment(cfg, ds, store=store).name)
    assert run.info.status == "finished" and run.evaluation["model"]["accuracy"] > 0.9
    assert all(len(v) == 1 for v in run.history.values())

    model = load_bundle_model(run.path / "model.keras")  # safe mode, with both tokenizers attached
    assert preparation_of(model).names == ["term_counts", "token_ids"]
    share = model.get_layer("keyword_share").scale
    assert 0.0 <= share <= 1.0 and model.get_layer("encoder_share").scale == pytest.approx(1.0 - share)
    _, _, test = split(ds, cfg)
    saved = np.load(run.path / "predictions.npz", allow_pickle=False)["test_probs"]
    np.testing.assert_allclose(predict_probabilities(model, test), saved, atol=1e-4)  # fast path == saved model

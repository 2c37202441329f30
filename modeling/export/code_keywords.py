"""The script pieces of the two fitted text templates: ``ngram_nb`` and ``minilm_ngrams``.

Neither template trains by gradient descent: ``ngram_nb`` learns a vocabulary and term weights, then fits
logistic regressions and keeps the one the validation texts prefer (``modeling.training.keywords_fit``);
``minilm_ngrams`` does that and the same for the frozen encoder's sentence vectors, then weighs the two
opinions on the validation texts (``modeling.training.hybrid_fit``). Their scripts say so: the counting
with Keras's ``TextVectorization`` (the very layer the app uses, so the vocabulary is the same), the
weights with NumPy / SciPy, the regressions with scikit-learn, every constant written out with the value
the app used. ``tests/unit/export/test_code.py`` runs them and compares their test accuracy with the app's.
"""

from __future__ import annotations

from typing import Any

from modeling.config import ExperimentConfig
from modeling.export import code_parts
from modeling.export.code_models import ADAPT, sentence_vectors
from modeling.templates import weighted_ngrams

#: What each script does after the split, for its docstring.
HOW = {
    "ngram_nb": (
        "learns the vocabulary and the term weights, fits logistic regressions and keeps the one the validation\n"
        "texts prefer (as ModelDeck does: no epochs), writes it into a Keras model and prints the test figures."
    ),
    "minilm_ngrams": (
        "reads every text with the frozen pretrained encoder (Keras Hub), fits a logistic regression on its\n"
        "sentence vectors and one on weighted keyword counts, weighs the two on the validation texts (as\n"
        "ModelDeck does: no epochs) and prints the test figures."
    ),
}

#: The fitting constants of ``modeling.training.keywords_fit`` and ``hybrid_fit``, which this layer may not
#: import (export and training are siblings); ``tests/unit/export/test_code.py`` checks they are the same.
FIT_CONSTANTS: dict[str, Any] = {
    "C_GRID": (1.0, 4.0, 16.0, 64.0),
    "NB_SHARES": (0.0, 1.0),
    "DEFAULT_C": 4.0,
    "ABSENT_CLASS_LOGIT": -30.0,
    "ENCODER_C_GRID": (0.5, 2.0, 8.0, 32.0),
    "SHARES": 21,  # keyword shares 0, 0.05, ..., 1
}


def _numbers(values: tuple[float, ...]) -> str:
    """A tuple of floats as Python source: (1.0, 4.0)."""
    return repr(tuple(float(v) for v in values))


def keyword_constants(s: Any, split: str) -> str:
    """The keyword half's settings, from the template's own constants (so the script cannot drift from them)."""
    return f"""
# ---- the keyword half: weighted counts of words and word pairs ----
MAX_TOKENS = {s.max_tokens}  # vocabulary size
SPLIT = "{split}"  # "character" for Chinese or Japanese (no spaces between words)
SMALL_TEXT_SET = {weighted_ngrams.SMALL_TEXT_SET}  # from this many training texts on, a term must occur in
MIN_TEXTS_PER_TERM = {weighted_ngrams.MIN_TEXTS_PER_TERM}  # at least this many texts to be kept
NB_SMOOTHING = {float(weighted_ngrams.NB_SMOOTHING)!r}  # added to every class's term counts (Laplace)
C_GRID = {_numbers(FIT_CONSTANTS["C_GRID"])}  # regularisation strengths tried (higher trusts the training texts more)
# Term weightings tried: 0 is plain TF-IDF; 1 is TF-IDF x (1 + |naive-Bayes log-count ratio|) (Wang & Manning 2012)
NB_SHARES = {_numbers(FIT_CONSTANTS["NB_SHARES"])}
DEFAULT_C = {float(FIT_CONSTANTS["DEFAULT_C"])!r}  # used when there are no validation texts to choose with
ABSENT_CLASS_LOGIT = {float(FIT_CONSTANTS["ABSENT_CLASS_LOGIT"])!r}  # a class no training text has: probability ~0
"""


KEYWORD_FUNCTIONS = '''

def count_matrix(vectorizer, texts, batch_size=256):
    """Term counts (texts x vocabulary) as a SciPy sparse matrix, batch by batch."""
    parts = [sp.csr_matrix(vectorizer(tf.constant(texts[i : i + batch_size])).numpy().astype("float32"))
             for i in range(0, len(texts), batch_size)]
    if not parts:
        return sp.csr_matrix((0, vectorizer.vocabulary_size()), dtype="float32")
    return sp.vstack(parts).tocsr()


def counting_layer(train_texts):
    """Learn the vocabulary of words and word pairs, then drop rare terms and one-letter words.

    Returns the layer and the training counts over its columns (column 0 is "[UNK]", unknown words).
    """
    vectorizer = layers.TextVectorization(max_tokens=MAX_TOKENS, output_mode="count", ngrams=2, split=SPLIT,
                                          name="ngram_counts")
    vectorizer = adapted(vectorizer, train_texts)
    counts = count_matrix(vectorizer, train_texts)
    drop = set()
    if len(train_texts) >= SMALL_TEXT_SET:  # terms found in too few texts say little
        in_texts = np.asarray((counts > 0).sum(axis=0)).ravel()
        drop |= {i for i in np.flatnonzero(in_texts < MIN_TEXTS_PER_TERM).tolist() if i > 0}
    if SPLIT != "character":  # "a", "i", "s" (from "it's") and pairs holding one
        terms = vectorizer.get_vocabulary(include_special_tokens=False)
        drop |= {i + 1 for i, term in enumerate(terms) if any(len(word) < 2 for word in str(term).split(" "))}
    if not drop or len(drop) >= counts.shape[1] - 1:  # nothing would be left: keep every term
        return vectorizer, counts
    kept = [i for i in range(counts.shape[1]) if i not in drop]
    terms = vectorizer.get_vocabulary(include_special_tokens=False)  # column i + 1 is terms[i]
    learnt = ("vocabulary", "idf_weights", "vocabulary_size")
    pruned = layers.TextVectorization.from_config(
        {k: v for k, v in vectorizer.get_config().items() if k not in learnt}
    )
    pruned.set_vocabulary([term for i, term in enumerate(terms) if i + 1 not in drop])
    return pruned, counts[:, kept]


def term_weights(counts, labels, num_classes, nb_share):
    """One weight per term: idf x (1 + nb_share x its largest |naive-Bayes log-count ratio|, one class vs the rest)."""
    present = (counts > 0).astype("float32")
    n_texts = present.shape[0]
    idf = np.log((1.0 + n_texts) / (1.0 + np.asarray(present.sum(axis=0)).ravel())) + 1.0
    strongest = np.zeros(present.shape[1])
    for c in range(num_classes):
        inside = labels == c
        if not inside.any() or inside.all():
            continue
        p = NB_SMOOTHING + np.asarray(present[inside].sum(axis=0)).ravel()
        q = NB_SMOOTHING + np.asarray(present[~inside].sum(axis=0)).ravel()
        p[0] = q[0] = NB_SMOOTHING  # unknown words are no term
        strongest = np.maximum(strongest, np.abs(np.log((p / p.sum()) / (q / q.sum()))))
    weights = (idf * (1.0 + nb_share * strongest)).astype("float32")
    weights[0] = 0.0  # unknown words say nothing
    return weights


def weigh(counts, weights):
    """log(1 + count) x each term's weight, each text scaled to unit length (what TermWeighting computes)."""
    x = sp.csr_matrix(counts, dtype="float32", copy=True)
    x.data = np.log1p(np.maximum(x.data, 0.0))
    x = sp.csr_matrix(x.multiply(weights.reshape(1, -1)), dtype="float32")
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x, dtype="float32")


def log_softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def loss_and_accuracy(log_probs, labels):
    return float(-log_probs[np.arange(len(labels)), labels].mean()), float((log_probs.argmax(axis=1) == labels).mean())


def fit_regression(x, y, x_val, y_val, num_classes, grid):
    """Logistic regressions for each C in grid; the lowest validation log-loss wins (ties: fewer errors).

    Returns (kernel, bias, C, validation loss): the coefficients as a softmax layer (two classes: logits [0, z]).
    """
    grid = grid if len(y_val) else (DEFAULT_C,)
    best = None
    for c in grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "did not converge" within max_iter: the weights are still usable
            clf = LogisticRegression(C=c, max_iter=1000).fit(x, y)
        kernel = np.zeros((x.shape[1], num_classes), dtype="float32")
        bias = np.full(num_classes, ABSENT_CLASS_LOGIT, dtype="float32")
        classes = clf.classes_.astype(int)
        if len(classes) == 2:
            kernel[:, classes[1]] = clf.coef_[0]
            bias[classes[0]], bias[classes[1]] = 0.0, clf.intercept_[0]
        else:
            kernel[:, classes] = clf.coef_.T
            bias[classes] = clf.intercept_
        loss, accuracy = (0.0, 0.0)
        if len(y_val):
            loss, accuracy = loss_and_accuracy(log_softmax(np.asarray(x_val @ kernel) + bias), y_val)
        if best is None or (loss, -accuracy) < best[0]:
            best = ((loss, -accuracy), kernel, bias, c)
    (loss, _), kernel, bias, c = best
    return kernel, bias, c, loss


def fit_keywords(counts, y, val_counts, y_val, num_classes):
    """Both term weightings x every C; the lowest validation log-loss wins. Returns (weights, kernel, bias, note)."""
    best = None
    for share in NB_SHARES if len(y_val) else (0.0,):
        weights = term_weights(counts, y, num_classes, share)
        kernel, bias, c, loss = fit_regression(weigh(counts, weights), y, weigh(val_counts, weights), y_val,
                                               num_classes, C_GRID)
        if best is None or loss < best[0]:
            best = (loss, weights, kernel, bias, f"naive-Bayes share {share:g}, C {c:g}")
    return best[1:]
'''


TERM_WEIGHTING = '''

@keras.saving.register_keras_serializable(package="train_script")
class TermWeighting(layers.Layer):
    """Term counts in, log(1 + count) x each term's weight at unit length out (weights fitted above, not trained)."""

    def __init__(self, vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.term_weights = self.add_weight(shape=(self.vocabulary_size,), initializer="ones", trainable=False,
                                            name="term_weights")

    def call(self, counts):
        x = keras.ops.log1p(keras.ops.maximum(keras.ops.cast(counts, "float32"), 0.0)) * self.term_weights
        return x / keras.ops.maximum(keras.ops.sqrt(keras.ops.sum(x * x, axis=-1, keepdims=True)), 1e-12)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size}


def build_model(vectorizer, weights, kernel, bias):
    """String in, probabilities out: the counting layer, the term weighting and the fitted regression as a layer."""
    inputs = keras.Input(shape=(), dtype="string", name="text")
    weighting = TermWeighting(vectorizer.vocabulary_size(), name="term_weighting")
    dense = layers.Dense(kernel.shape[1], activation="softmax", name="probabilities")
    outputs = dense(weighting(vectorizer(inputs)))
    weighting.term_weights.assign(weights)
    dense.set_weights([kernel, bias])
    return keras.Model(inputs, outputs, name="ngram_nb")
'''


def blend_part() -> str:
    """The sentence-vector regression's grid and the keyword share's choice (``minilm_ngrams``)."""
    return f'''

ENCODER_C_GRID = {_numbers(FIT_CONSTANTS["ENCODER_C_GRID"])}  # strengths tried for the regression on sentence vectors
SHARES = tuple(round(x, 2) for x in np.linspace(0.0, 1.0, {FIT_CONSTANTS["SHARES"]}))  # keyword shares tried


def combine(keyword_log_probs, encoder_log_probs, share):
    """softmax(share x keyword + (1 - share) x encoder log-probabilities), as log-probabilities."""
    return log_softmax(share * keyword_log_probs + (1.0 - share) * encoder_log_probs)


def choose_share(keyword_log_probs, encoder_log_probs, labels):
    """The keyword share with the lowest validation log-loss (ties: the one nearer 0.5); 0.5 without rows."""
    if len(labels) == 0:
        return 0.5
    return min((loss_and_accuracy(combine(keyword_log_probs, encoder_log_probs, s), labels)[0], abs(s - 0.5), s)
               for s in SHARES)[2]
'''


def model_code(template: str, s: Any, split: str, windows: int) -> str:
    """Everything between the split and ``main`` for ``ngram_nb`` or ``minilm_ngrams``."""
    keywords = ADAPT + keyword_constants(s, split) + KEYWORD_FUNCTIONS
    if template == "ngram_nb":
        return keywords + TERM_WEIGHTING
    return sentence_vectors(windows) + "\n" + keywords + blend_part()


NGRAM_NB_MAIN = """    vectorizer, counts = counting_layer(inputs[train])
    weights, kernel, bias, chosen = fit_keywords(counts, labels[train], count_matrix(vectorizer, inputs[val]),
                                                 labels[val], len(classes))
    print(f"chosen on the validation texts: {chosen}")
    model = build_model(vectorizer, weights, kernel, bias)
    probabilities = np.concatenate([
        keras.ops.convert_to_numpy(model(tf.constant(inputs[test][i : i + 256]), training=False))
        for i in range(0, len(test), 256)
    ])
"""

HYBRID_MAIN = """    vectors = sentence_vectors(inputs)  # the frozen encoder reads each text once
    vectorizer, counts = counting_layer(inputs[train])
    weights, kernel, bias, chosen = fit_keywords(counts, labels[train], count_matrix(vectorizer, inputs[val]),
                                                 labels[val], len(classes))
    encoder_kernel, encoder_bias, encoder_c, _ = fit_regression(vectors[train], labels[train], vectors[val],
                                                                labels[val], len(classes), ENCODER_C_GRID)

    def keyword(rows):  # the keyword half's class log-probabilities
        return log_softmax(np.asarray(weigh(count_matrix(vectorizer, inputs[rows]), weights) @ kernel) + bias)

    def encoder(rows):  # the sentence-vector half's
        return log_softmax(vectors[rows] @ encoder_kernel + encoder_bias)

    share = choose_share(keyword(val), encoder(val), labels[val]) if len(val) else 0.5
    print(f"chosen on the validation texts: keywords {chosen}; sentence vectors C {encoder_c:g}; "
          f"keyword share {share:g}")
    probabilities = np.exp(combine(keyword(test), encoder(test), share))
"""


def main_body(template: str) -> str:
    """The middle of ``main()``: fit on the training rows, choose on the validation rows, answer the test rows."""
    return NGRAM_NB_MAIN if template == "ngram_nb" else HYBRID_MAIN


def fitted_text_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    """The script of ``ngram_nb`` or ``minilm_ngrams`` (the ``TemplateSpec.code`` signature)."""
    from modeling.templates.minilm.encoder import windows_for

    template = config.template
    hybrid = template == "minilm_ngrams"  # the blend of two regressions is no single Keras model to save
    split = str(facts.get("split") or "whitespace")
    return code_parts.script(
        [
            code_parts.header(config, facts, run_id, data_file, how=HOW[template]),
            code_parts.imports(text=True, fitted=True, encoder=hybrid),
            code_parts.constants(config, facts, data_file, text=True, fitted=True),
            code_parts.TEXT_DATA,
            code_parts.SPLIT,
            model_code(template, config.settings, split, windows_for(config.settings)),
            code_parts.main(main_body(template), save=not hybrid),
        ]
    )

"""Which export formats exist, which template each suits, and what each needs installed.

One table per concern, keyed by name. What a template's model reads is a fact of its spec
(``TemplateSpec.export_input`` in :mod:`modeling.templates.registry`), one of these input kinds:

* ``pixels``: an image model (uint8 pixels in, probabilities out): every format.
* ``vectorized_text``: a text model that reads n-gram rows or word ids: every format holds the network, and
  the export ships the text preparation as data (``vocabulary.json``) with the plain-Python ``tokenizer.py``
  that makes those numbers (runs saved by an older ModelDeck start with a ``TextVectorization`` layer, which
  Keras and SavedModel hold whole; ONNX and LiteRT then hold the model after it).
* ``encoder_text``: the pretrained MiniLM encoder (word pieces through TensorFlow Text, windows of
  128 tokens): Keras and SavedModel only, for the reason in :data:`NOT_OFFERED`.
* ``weighted_text``: the weighted keyword n-grams (``ngram_nb``): Keras (with ModelDeck's ``TermWeighting``
  layer shipped beside it) and SavedModel hold it whole; ONNX and LiteRT hold the model after its counting
  layer (term weighting and the linear layer), with the vocabulary as JSON and ``tokenizer.py`` counting.
* ``hybrid_text``: the encoder plus weighted keywords (``minilm_ngrams``): Keras and SavedModel, as for the
  encoder alone; not ONNX/LiteRT, for the same reason.

A model stored with quantised layers (the sentiment starter's 8-bit encoder) gets the Keras export only, for
the reason in :data:`QUANTIZED_NOT_OFFERED`; :func:`modeling.export.models.quantized_model_file` tells.
* ``table_trees``, ``table_linear``, ``table_mlp``, ``table_blend``: the table templates. Every table export
  ships the column preparation and encoder as JSON with a plain pandas replica (``prepare_table.py``);
  the model itself is scikit-learn's trees or linear model (ONNX only: ModelDeck's own tree converter,
  skl2onnx for the linear model), the Keras MLP (every format), or the automatic template's blend (one
  ONNX file per member plus the weights; see :mod:`modeling.export.table_export`).
* ``series``: a forecast (statistical models refitted per series, trees over lags, a blend): no format holds
  it; each says what to take instead (the forecast CSV and the code behind the run).

Nothing here imports a heavy library: availability is looked up with ``importlib.util.find_spec``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from modeling.templates import registry


@dataclass(frozen=True)
class ExportFormat:
    """One format: its name for people, the model file it writes, and the packages it needs."""

    key: str
    title: str
    model_file: str
    #: Import names needed here to write the artefact and to check it in its own runtime.
    needs: tuple[str, ...]
    #: What a developer installs to run ``predict.py`` (pip names; versions are added at export time).
    runtime_packages: tuple[str, ...]
    description: str


FORMATS: dict[str, ExportFormat] = {
    item.key: item
    for item in (
        ExportFormat(
            "keras",
            "Keras",
            "model.keras",
            ("keras", "tensorflow"),
            ("keras", "tensorflow"),
            "The model exactly as trained (.keras), preprocessing inside: load it with "
            "keras.saving.load_model(path, safe_mode=True) in a notebook.",
        ),
        ExportFormat(
            "saved_model",
            "TensorFlow SavedModel",
            "saved_model",
            ("tensorflow",),
            ("tensorflow",),
            "For TensorFlow Serving, TF.js converters or any TensorFlow program: the serving signature "
            "takes the raw input and returns the class probabilities.",
        ),
        ExportFormat(
            "onnx",
            "ONNX",
            "model.onnx",
            ("tf2onnx", "onnx", "onnxruntime"),
            ("onnxruntime", "numpy"),
            "For web services and other languages (C#, Java, JavaScript, C++) through ONNX Runtime.",
        ),
        ExportFormat(
            "litert",
            "LiteRT (TFLite)",
            "model.tflite",
            ("tensorflow", "ai_edge_litert"),
            ("ai-edge-litert", "numpy"),
            "For phones and small devices (Android, iOS, microcontrollers) through the LiteRT interpreter.",
        ),
    )
}

#: Formats each input kind can be exported to.
SUPPORTED: dict[str, tuple[str, ...]] = {
    "pixels": ("keras", "saved_model", "onnx", "litert"),
    "vectorized_text": ("keras", "saved_model", "onnx", "litert"),
    "encoder_text": ("keras", "saved_model"),
    "weighted_text": ("keras", "saved_model", "onnx", "litert"),
    "hybrid_text": ("keras", "saved_model"),
    "table_trees": ("onnx",),
    "table_linear": ("onnx",),
    "table_mlp": ("keras", "saved_model", "onnx", "litert"),
    "table_blend": ("onnx",),
    "series": (),
}
#: What a (kind, format) needs instead of the format's own ``needs`` (import names): scikit-learn members
#: need no TensorFlow converter; the linear model (and a blend, which may hold one) needs skl2onnx.
KIND_NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("table_trees", "onnx"): ("onnx", "onnxruntime"),
    ("table_linear", "onnx"): ("onnx", "onnxruntime", "skl2onnx"),
    ("table_blend", "onnx"): ("onnx", "onnxruntime", "skl2onnx", "tf2onnx"),
}
_USE_ONNX = "use the ONNX export, which holds the whole model and gives the same answers (checked on the test rows)."
_PHONES = "use the ONNX export (ONNX Runtime also runs on phones)."

_FORECAST = (
    "A forecast is statistical models refitted on each series' history (or trees over its lags, or a blend), not one "
    "{what} that answers an input; take the forecast as CSV (series, date, forecast, low/high 80/90) from Predict or "
    "`python -m modeling predict`, and the code behind the run (`python -m modeling code RUN`) to refit it anywhere."
)

#: One sentence per (input kind, format) that is not offered, saying why.
NOT_OFFERED: dict[tuple[str, str], str] = {
    ("series", "keras"): _FORECAST.format(what="Keras network"),
    ("series", "saved_model"): _FORECAST.format(what="TensorFlow graph"),
    ("series", "onnx"): _FORECAST.format(what="ONNX graph"),
    ("series", "litert"): _FORECAST.format(what="LiteRT model"),
    ("encoder_text", "onnx"): (
        "The pretrained encoder cuts texts into word pieces with TensorFlow Text operations and reads them in "
        "windows, which ONNX Runtime cannot run; use the SavedModel (TensorFlow) or Keras export."
    ),
    ("encoder_text", "litert"): (
        "The pretrained encoder's word-piece tokenizer uses TensorFlow Text operations that the LiteRT "
        "interpreter does not include, and its 22 million weights are too big for most phones; use the "
        "SavedModel (TensorFlow) or Keras export."
    ),
    ("hybrid_text", "onnx"): (
        "Half of this model's answer comes from the pretrained encoder, which cuts texts into word pieces with "
        "TensorFlow Text operations and reads them in windows that ONNX Runtime cannot run (the keyword half alone "
        "would answer differently); use the SavedModel (TensorFlow) or Keras export."
    ),
    ("hybrid_text", "litert"): (
        "Half of this model's answer comes from the pretrained encoder, whose word-piece tokenizer uses TensorFlow "
        "Text operations that the LiteRT interpreter does not include (and its 22 million weights are too big for "
        "most phones); use the SavedModel (TensorFlow) or Keras export."
    ),
    ("table_trees", "keras"): f"Gradient-boosted trees are scikit-learn's, not a Keras network; {_USE_ONNX}",
    ("table_trees", "saved_model"): f"Gradient-boosted trees are scikit-learn's, not a TensorFlow graph; {_USE_ONNX}",
    ("table_trees", "litert"): f"LiteRT has no operations for decision trees; {_PHONES}",
    ("table_linear", "keras"): f"The linear model is scikit-learn's, not a Keras network; {_USE_ONNX}",
    ("table_linear", "saved_model"): f"The linear model is scikit-learn's, not a TensorFlow graph; {_USE_ONNX}",
    ("table_linear", "litert"): (
        f"The linear model is scikit-learn's, not a Keras network, so LiteRT's converter cannot read it; {_PHONES}"
    ),
    ("table_blend", "keras"): (
        f"The automatic blend holds scikit-learn models (trees, a linear model) besides any network; {_USE_ONNX}"
    ),
    ("table_blend", "saved_model"): (
        f"The automatic blend holds scikit-learn models (trees, a linear model) besides any network; {_USE_ONNX}"
    ),
    (
        "table_blend",
        "litert",
    ): f"The automatic blend holds decision trees, for which LiteRT has no operations; {_PHONES}",
}

#: Why a model with quantised layers (the sentiment starter: its encoder stored in 8 bits) gets no other format
#: than Keras. Measured on ``starter-reviews``: its SavedModel answered up to 0.02 away from the app (all 101
#: labels the same); the same file traced in-process moves as much, and nothing moves with float32 weights.
QUANTIZED_NOT_OFFERED = (
    "This model's encoder is stored in 8 bits and rounds its intermediate numbers to 8 bits as it runs, so "
    "running it as a TensorFlow graph (which orders the arithmetic differently) moved its answers by up to 0.02, "
    "more than an export may differ. Use the Keras export (the very file the app runs, identical answers), or "
    "train your own run (kept at full precision), which exports to this format too."
)

#: pip names of import names, for messages ("pip install ai-edge-litert").
PIP_NAMES = {
    "ai_edge_litert": "ai-edge-litert",
    "onnxruntime": "onnxruntime",
    "tf2onnx": "tf2onnx",
    "onnx": "onnx",
    "skl2onnx": "skl2onnx",
}


@dataclass(frozen=True)
class Offer:
    """Whether one format is offered for one run, and if not, the one sentence that says why."""

    format: ExportFormat
    supported: bool
    reason: str = ""


def input_kind(template: str) -> str | None:
    """What ``template``'s model reads (its spec's ``export_input``; ``None``: this version cannot export it)."""
    found = registry.REGISTRY.get(template)
    return (found.export_input or None) if found is not None else None


def missing_packages(key: str, kind: str | None = None) -> list[str]:
    """pip names of what format ``key`` (for a model of input ``kind``) needs and this machine lacks."""
    needs = KIND_NEEDS.get((kind or "", key), FORMATS[key].needs)
    return [PIP_NAMES.get(name, name) for name in needs if importlib.util.find_spec(name) is None]


def offer(template: str, key: str, quantized: bool = False) -> Offer:
    """Is format ``key`` offered for a run of ``template`` here? (supported by the model and installed).

    ``quantized``: the run's model file holds quantised layers (:func:`modeling.export.models.quantized_model_file`).
    """
    item = FORMATS[key]
    kind = input_kind(template)
    if kind is None or kind not in SUPPORTED:
        return Offer(item, False, f"ModelDeck cannot export the '{template}' template yet.")
    if key not in SUPPORTED[kind]:
        return Offer(item, False, NOT_OFFERED.get((kind, key), f"{item.title} cannot hold this model."))
    if quantized and key != "keras":
        return Offer(item, False, QUANTIZED_NOT_OFFERED)
    missing = missing_packages(key, kind)
    if missing:
        return Offer(
            item,
            False,
            f"{item.title} needs {', '.join(missing)}, which this installation leaves out: "
            "pip install -r requirements-export.txt (make run installs it).",
        )
    return Offer(item, True)


def offers(template: str, quantized: bool = False) -> list[Offer]:
    """Every format, in the order the Export box lists them."""
    return [offer(template, key, quantized) for key in FORMATS]

"""Take the model away: verified exports (Keras, SavedModel, ONNX, LiteRT) and the code behind a run.

* :mod:`~modeling.export.formats`: which formats a template gets, or the sentence saying why not.
* :mod:`~modeling.export.bundle`: :func:`build_export` writes a ZIP (model file, labels, preprocessing,
  ``predict.py``, README, model card) only after :mod:`~modeling.export.verify` ran it in a fresh
  process on the test split and compared it with the Keras model.
* :mod:`~modeling.export.code`: the standalone Keras / scikit-learn script that reproduces a run.

Light to import: Keras, TensorFlow and the converters load inside the functions that use them.
"""

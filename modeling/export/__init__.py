"""Take the model away: verified exports (Keras, SavedModel, ONNX, LiteRT) and the code behind a run.

* :mod:`~modeling.export.formats`: which formats a template gets (from its spec's ``export_input``), or the
  sentence saying why not.
* :mod:`~modeling.export.bundle`: :func:`build_export`, the checks every format shares, then the run's
  family's exporter (:mod:`~modeling.export.families`): :mod:`~modeling.export.keras_export` for texts and
  images (model file, labels, preprocessing, ``predict.py``, README, model card), and
  :mod:`~modeling.export.table_export` for tables (the model file(s), ONNX through
  :mod:`~modeling.export.table_onnx` for scikit-learn members, and the column preparation as JSON with its
  pandas replica ``shipped/prepare_table.py``). Each is run in a fresh process on the test split and compared
  with the app (:mod:`~modeling.export.verify`) before a ZIP exists.
* :mod:`~modeling.export.code`: the standalone Keras / scikit-learn script that reproduces a run, written by
  the generator the template's spec names (``TemplateSpec.code``): :mod:`~modeling.export.code_keras`,
  :mod:`~modeling.export.code_keywords` (``ngram_nb``, ``minilm_ngrams``), :mod:`~modeling.export.code_tables`.

Light to import: Keras, TensorFlow and the converters load inside the functions that use them.
"""

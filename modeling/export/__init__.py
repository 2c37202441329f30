"""Take the model away: verified exports (Keras, SavedModel, ONNX, LiteRT) and the code behind a run.

* :mod:`~modeling.export.formats`: which formats a template gets, or the sentence saying why not.
* :mod:`~modeling.export.bundle`: :func:`build_export` writes a ZIP (model file, labels, preprocessing,
  ``predict.py``, README, model card) only after :mod:`~modeling.export.verify` ran it in a fresh
  process on the test split and compared it with the Keras model.
* :mod:`~modeling.export.table_export`: the same for table runs: the model file(s) (ONNX through
  :mod:`~modeling.export.table_onnx` for scikit-learn members, Keras formats for the network), the column
  preparation as JSON with its pandas replica ``shipped/prepare_table.py``, checked on the test rows as a CSV.
* :mod:`~modeling.export.code`: the standalone Keras / scikit-learn script that reproduces a run
  (:mod:`~modeling.export.code_keywords` for the fitted text templates ``ngram_nb`` and ``minilm_ngrams``;
  :mod:`~modeling.export.code_tables` for tables: pandas + scikit-learn, + Keras for the network).

Light to import: Keras, TensorFlow and the converters load inside the functions that use them.
"""

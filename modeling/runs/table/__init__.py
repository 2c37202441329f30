"""The ``table`` family's runs: the bundle on disk (:mod:`.bundle`), the predictor (:mod:`.predictor`), each
column's share of an answer (:mod:`.reasons`) and a labelled file judged with scikit-learn's metrics
(:mod:`.scoring`)."""

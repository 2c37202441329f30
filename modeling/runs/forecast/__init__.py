"""The ``forecast`` family's runs: the bundle on disk (:mod:`.bundle`: JSON, CSV, the network as ``.keras``),
the predictor (:mod:`.predictor`: the saved forecast at once, what-ifs on the known-ahead columns by a cached
refit) and the newsvendor quantities (:mod:`.stock`)."""

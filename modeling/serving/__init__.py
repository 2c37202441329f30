"""A saved run put to work outside the app: a REST endpoint, an MLflow model, batch scoring on Ray.

Every route goes through the run's :class:`~modeling.runs.protocol.Predictor` (``load_predictor``), so the
server, a teammate's ``mlflow models serve`` and a Ray Data job answer exactly what the Predict page answers:

- :mod:`.contract`: JSON rows in, checked against the run's ``input_schema()``, the answer columns of
  ``score_frame`` out (no web framework in it, so the Saved runs page and the tests use it directly);
- :mod:`.guards`: the request-size limit and the API key, as plain ASGI middleware;
- :mod:`.app`: the FastAPI application (routes, OpenAPI page, errors as sentences); :mod:`.server` loads
  the runs and runs it under uvicorn (``python -m modeling serve``);
- :mod:`.examples`: the example request (curl and Python) with its real answer, for the Serve box;
- :mod:`.batch` and :mod:`.ray_job`: ``python -m modeling predict RUN big.parquet --ray`` with Ray Data.

FastAPI, uvicorn and Ray are imported only by :mod:`.app`, :mod:`.server` and :mod:`.batch`, which nothing
light imports at module level.
"""

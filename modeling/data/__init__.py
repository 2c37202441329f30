"""Bytes and samples -> a checked Dataset: readers by format, sources, samples, profile, split, duplicates.

Import the modules you need (``modeling.data.readers``, ``modeling.data.sources``, ...): this package's
``__init__`` stays empty so that ``import modeling.data.dataset`` does not pull in pandas and every reader.
"""

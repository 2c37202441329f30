"""One reader for every file a saved run is asked to score or judge: a table, images, or one picture.

The command line's ``evaluate`` and ``predict`` (and anything else that gets a file from a person) read it
here into one DataFrame, whatever the run's family, and hand it to the predictor's
:meth:`~modeling.runs.protocol.Predictor.score_frame` or ``evaluate_frame``:

* a table (CSV, TSV, Excel, Parquet): the table itself, columns as written;
* an ``.npz`` of images and labels, or an image ZIP (a folder per class): one row per image, pixels in the
  ``image`` column and the class name in ``label`` (a ZIP is read at the run's image size);
* one PNG or JPEG: one row, its bytes in ``image`` and its name in ``file``.

The format is sniffed from the bytes (:func:`modeling.data.readers.formats.detect_format`) with the same limits
as an upload; which columns must be there is the predictor's business, and its error names them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.readers import read_image_zip, read_upload
from modeling.data.readers.formats import detect_format
from modeling.data.readers.limits import check_upload_size
from modeling.errors import DataError
from modeling.runs.keras_inputs import IMAGE_COLUMN, IMAGE_LABEL_COLUMN


def read_input_file(path: str | Path, image_size: int | None = None) -> pd.DataFrame:
    """The file at ``path`` as one DataFrame (see the module docstring); ``image_size``: a ZIP's picture side."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The data file '{path}' does not exist.")
    data = path.read_bytes()
    check_upload_size(data, path.name)
    found = detect_format(data, path.name)
    if found == "image":
        return pd.DataFrame({"file": [path.name], IMAGE_COLUMN: [data]})
    if found == "zip" and image_size:
        return image_frame(read_image_zip(data, path.name, image_size=int(image_size)))
    loaded = read_upload(data, path.name)
    return image_frame(loaded) if isinstance(loaded, Dataset) else loaded


def image_frame(dataset: Dataset) -> pd.DataFrame:
    """A labelled image Dataset (from an ``.npz`` or a ZIP) as rows: ``row``, ``image`` (pixels), ``label``."""
    if dataset.images is None:
        raise DataError("This file holds no images.")
    return pd.DataFrame(
        {
            "row": np.arange(len(dataset)),
            IMAGE_COLUMN: list(dataset.images),
            IMAGE_LABEL_COLUMN: [dataset.class_names[i] for i in dataset.labels],
        }
    )

"""Reading, checking and splitting data: everything between an upload and a training run."""

from modeling.data.dataset import Dataset, encode_labels
from modeling.data.images import center_by_mass, crop_to_ink, fit_into_box, mnist_style
from modeling.data.profile import DataProfile, profile_dataset
from modeling.data.readers import (
    LIMITS,
    UploadLimits,
    dataset_from_arrays,
    dataset_from_table,
    guess_columns,
    load_source,
    read_image_zip,
    read_npz,
    read_table,
    read_upload,
)
from modeling.data.samples import (
    SAMPLES,
    SampleInfo,
    dataset_from_mnist_arrays,
    load_sample,
    sample_status,
)
from modeling.data.split import split_indices, train_validation_split
from modeling.errors import DataError

__all__ = [
    "LIMITS",
    "SAMPLES",
    "DataError",
    "DataProfile",
    "Dataset",
    "SampleInfo",
    "UploadLimits",
    "center_by_mass",
    "crop_to_ink",
    "dataset_from_arrays",
    "dataset_from_mnist_arrays",
    "dataset_from_table",
    "encode_labels",
    "fit_into_box",
    "guess_columns",
    "load_sample",
    "load_source",
    "mnist_style",
    "profile_dataset",
    "read_image_zip",
    "read_npz",
    "read_table",
    "read_upload",
    "sample_status",
    "split_indices",
    "train_validation_split",
]

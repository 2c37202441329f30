"""How much an upload may hold, and the size checks every reader makes before parsing.

Each limit can be raised or lowered per server with ``MODELDECK_<FIELD>`` (see :mod:`modeling.settings`);
they exist so one careless (or hostile) file cannot exhaust the server's memory or time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from modeling import format as fmt
from modeling import settings
from modeling.errors import DataError

MB = 1024 * 1024


#: Fewest rows a table may have after cleaning.
MIN_ROWS = 10


#: Most classes a label column may have.
MAX_CLASSES = 100


#: Ratio of unpacked to packed size above which a ZIP member is treated as a zip bomb.
MAX_COMPRESSION_RATIO = 200


#: Longest label value a table may have: longer ones are texts, not categories (swapped columns?).
MAX_LABEL_CHARS = 100


#: Longest column name kept as it is; longer names (a whole text in the header row) are shortened.
MAX_COLUMN_NAME_CHARS = 100


@dataclass
class UploadLimits:
    """Upper bounds on what an upload may contain; each can be overridden with ``MODELDECK_<FIELD>``.

    They exist so one careless (or hostile) file cannot exhaust the server's memory or time.
    """

    max_upload_mb: int = 200
    max_rows: int = 200_000
    max_columns: int = 2_000
    max_images: int = 30_000
    max_image_pixels: int = 4096 * 4096
    max_zip_members: int = 50_000
    max_unzipped_mb: int = 1_000
    max_text_chars: int = 20_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> UploadLimits:
        """Defaults, replaced by any positive integer found in ``MODELDECK_MAX_*`` variables."""
        return cls(**settings.positive_overrides([f.name for f in fields(cls)], environ))


LIMITS = UploadLimits.from_env()


def check_upload_size(data: bytes, filename: str) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DataError(f"'{filename}' could not be read as a file.")
    if len(data) > LIMITS.max_upload_mb * MB:
        raise DataError(
            f"'{filename}' is {len(data) / MB:,.0f} MB; the limit is {fmt.count(LIMITS.max_upload_mb)} MB. "
            "Upload a smaller sample of your data."
        )
    if len(data) == 0:
        raise DataError(f"'{filename}' is empty (0 bytes). Check that you picked the right file.")

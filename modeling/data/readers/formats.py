"""What kind of file an upload is, from its bytes first and its name second."""

from __future__ import annotations

from pathlib import PurePosixPath

from modeling.data.readers.safe_zip import open_zip
from modeling.errors import DataError

TABLE_EXTENSIONS = {".csv", ".tsv", ".txt", ".tab", ".xlsx", ".xlsm", ".parquet", ".pq"}


IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


LAYOUT_EXAMPLE = "digits.zip/0/img1.png, digits.zip/0/img2.png, digits.zip/1/img3.png, ..."


def suffix(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower()


def detect_format(data: bytes, filename: str) -> str:
    """One of 'text', 'excel', 'parquet', 'zip', 'npz', 'npy', 'xls', 'image', 'gzip'.

    Magic bytes win over the extension when they clearly disagree, because browsers and people
    rename files; the extension decides between formats that share a container (xlsx, npz and
    image ZIPs are all ZIP files).
    """
    ext = suffix(filename)
    head = bytes(data[:8])
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if ext in {".xlsx", ".xlsm"}:
            return "excel"
        if ext == ".npz":
            return "npz"
        try:
            with open_zip(data, "") as zf:
                names = zf.namelist()
        except DataError:
            return "zip"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "excel"
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "image"
    if ext in {".xlsx", ".xlsm", ".parquet", ".pq", ".zip", ".npz"}:
        # The name promises a binary format but the bytes are not it.
        return {".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet"}.get(ext, ext[1:])
    if ext == ".xls":
        return "xls"
    return "text"


def refuse_format(kind: str, filename: str) -> DataError:
    """The message for a file that is not of a kind ModelDeck can read."""
    messages = {
        "npy": f"'{filename}' is a single NumPy array (.npy). Save images and labels together with "
        "numpy.savez('data.npz', images=images, labels=labels) and upload the .npz file.",
        "xls": f"'{filename}' is an old Excel file (.xls), which ModelDeck cannot read. "
        "Open it in Excel and save it as .xlsx or CSV.",
        "gzip": f"'{filename}' is compressed with gzip. Unpack it first and upload the CSV inside.",
        "image": f"'{filename}' is a single picture. To train an image classifier, upload a ZIP with one "
        f"folder per class, for example {LAYOUT_EXAMPLE}",
    }
    return DataError(
        messages.get(
            kind,
            f"'{filename}' is not a file type ModelDeck can read. Upload a CSV, TSV, Excel (.xlsx) or "
            "Parquet table, a ZIP of images in class folders, or an .npz file with images and labels.",
        )
    )

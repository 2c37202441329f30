"""ZIP archives opened defensively: member count, unpacked size, compression ratio and paths checked.

Members are read one by one through ``ZipFile.infolist()`` with a size cap, never ``extractall``: a path
like ``../../etc/passwd`` or an absolute path is refused, and nothing is written to disk.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from modeling import format as fmt
from modeling.data.readers.limits import LIMITS, MAX_COMPRESSION_RATIO, MB
from modeling.errors import DataError

_JUNK_NAMES = {"thumbs.db", "desktop.ini"}


#: What a damaged archive member can raise while it is being read.
MEMBER_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
)


def open_zip(data: bytes, message: str) -> zipfile.ZipFile:
    """Open an in-memory ZIP; any sign of damage becomes a DataError with ``message``."""
    try:
        return zipfile.ZipFile(io.BytesIO(bytes(data)))
    except (*MEMBER_ERRORS, NotImplementedError, RuntimeError):
        raise DataError(message) from None


def check_zip_members(zf: zipfile.ZipFile, filename: str, infos: list[zipfile.ZipInfo], ratio_check: bool) -> None:
    """Refuse archives that would unpack to more than the limits allow (checked on declared sizes)."""
    if len(infos) > LIMITS.max_zip_members:
        raise DataError(
            f"'{filename}' holds {fmt.count(len(infos))} files; the limit is {fmt.count(LIMITS.max_zip_members)}. "
            "Split it into smaller archives or use fewer images."
        )
    total = 0
    for info in infos:
        total += info.file_size
        if ratio_check:
            check_ratio(info, filename)
    if total > LIMITS.max_unzipped_mb * MB:
        raise DataError(
            f"'{filename}' would unpack to {total / MB:,.0f} MB; the limit is {fmt.count(LIMITS.max_unzipped_mb)} MB. "
            "Use fewer or smaller images."
        )


def check_ratio(info: zipfile.ZipInfo, filename: str) -> None:
    """Refuse a member that unpacks to over 1 MB at more than 200 times its packed size (a zip bomb)."""
    if info.file_size > MB and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise DataError(
            f"'{filename}' was refused: the file '{info.filename}' would unpack to "
            f"{info.file_size / MB:,.0f} MB from {info.compress_size / 1024:,.0f} KB, which is how zip bombs "
            "look. Upload an archive of ordinary files."
        )


def is_junk(parts: tuple[str, ...]) -> bool:
    if not parts or parts[0] == "__MACOSX":
        return True
    return any(p.startswith(".") for p in parts) or parts[-1].lower() in _JUNK_NAMES


def safe_parts(name: str, filename: str) -> tuple[str, ...]:
    """The path parts of a member, refusing absolute paths and '..' (path traversal)."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean) or ".." in clean.split("/"):
        raise DataError(
            f"'{filename}' was refused: it contains the unsafe path '{name}' (it points outside the archive). "
            "Create the ZIP again from your image folders."
        )
    return tuple(p for p in clean.split("/") if p not in ("", "."))


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, filename: str) -> bytes | None:
    """The member's bytes, at most ``limit`` (more means the declared size lied: refuse); None if damaged."""
    try:
        with zf.open(info) as fh:
            raw = fh.read(limit + 1)
    except RuntimeError:
        raise DataError(f"'{filename}' is password-protected. Create the ZIP again without a password.") from None
    except NotImplementedError:
        raise DataError(
            f"'{filename}' uses a compression method ModelDeck cannot read. Create it again as an ordinary ZIP."
        ) from None
    except MEMBER_ERRORS:
        return None
    if len(raw) > limit:
        raise DataError(
            f"'{filename}' was refused: '{info.filename}' unpacks to more than {fmt.count(LIMITS.max_upload_mb)} MB. "
            "Upload an archive of ordinary image files."
        )
    return raw

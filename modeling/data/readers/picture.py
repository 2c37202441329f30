"""One uploaded picture (a photo or a drawing to classify), decoded safely: size and pixels checked first."""

from __future__ import annotations

from modeling.data.readers.limits import LIMITS
from modeling.errors import DataError


def open_picture(data: bytes, filename: str = "picture"):
    """Decode an uploaded photo safely: size and pixel count checked before decoding."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(data) > LIMITS.max_upload_mb * 1024 * 1024:
        raise DataError(f"The picture is larger than {LIMITS.max_upload_mb} MB.")
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > LIMITS.max_image_pixels:
            raise DataError(
                f"'{filename}' is {img.width}x{img.height} pixels, more than this app accepts. Use a smaller picture."
            )
        img.load()
    except DataError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DataError(f"'{filename}' is not a readable PNG or JPEG picture.") from None
    return img

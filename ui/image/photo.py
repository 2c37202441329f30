"""The uploaded digit photo as the Predict page shows it: scaled down, with a box around what was taken as the digit.

Seeing the box answers "did it look at the right thing?" before anyone trusts the answer: a box around a
shadow or the page edge says the photo needs retaking, whatever the probabilities say.
"""

from __future__ import annotations

from typing import Any

#: Longest side of the thumbnail shown on the page.
THUMBNAIL = 480
BOX_COLOUR = (31, 119, 180)  # the app's blue


def photo_with_box(picture: Any, box: tuple[int, int, int, int] | None) -> Any:
    """An RGB thumbnail of ``picture`` with ``box`` (left, top, right, bottom in its pixels) outlined."""
    import numpy as np
    from PIL import Image, ImageDraw

    img = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture).astype("uint8"))
    img = img.convert("RGB")
    scale = min(1.0, THUMBNAIL / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    if box is not None:
        left, top, right, bottom = (round(v * scale) for v in box)
        width = max(2, round(max(img.size) / 120))
        ImageDraw.Draw(img).rectangle(
            (left, top, max(left, right - 1), max(top, bottom - 1)), outline=BOX_COLOUR, width=width
        )
    return img

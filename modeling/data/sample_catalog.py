"""The built-in samples by name, title and description: what a page shows before anyone loads one.

Kept apart from :mod:`modeling.data.samples` (which loads them, with NumPy, pandas and the readers) so
that the Start page can list the samples without importing any of that: the first paint stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SampleInfo:
    """What the Data page shows about a built-in sample."""

    key: str
    title: str
    description: str
    kind: Literal["text", "image", "table", "series"]


SAMPLES: dict[str, SampleInfo] = {
    "digits": SampleInfo(
        key="digits",
        title="Handwritten digits",
        description="1,797 small handwritten digits 0-9 (scikit-learn), redrawn as 28x28 MNIST-style images. "
        "Works offline; trains in seconds.",
        kind="image",
    ),
    "mnist": SampleInfo(
        key="mnist",
        title="MNIST digits",
        description="The classic 70,000 handwritten digits 0-9, 28x28 grey. Downloaded once (11 MB).",
        kind="image",
    ),
    "reviews": SampleInfo(
        key="reviews",
        title="Product reviews",
        description="Short customer reviews labelled positive or negative, for sentiment classification.",
        kind="text",
    ),
    "reviews_zh": SampleInfo(
        key="reviews_zh",
        title="Chinese reviews",
        description="370 short Chinese product reviews (中文商品评价), positive or negative: text without spaces "
        "between words, read character by character.",
        kind="text",
    ),
    "churn": SampleInfo(
        key="churn",
        title="Customer churn",
        description="2,500 telecom customers (IBM's Telco churn sample): contract, services, charges, and whether "
        "they left. A table: predict a yes/no outcome from 19 columns.",
        kind="table",
    ),
    "house_prices": SampleInfo(
        key="house_prices",
        title="House prices",
        description="2,000 house sales in Ames, Iowa (2006-2010): size, quality, neighbourhood and sale month. "
        "A table: predict the sale price, a number.",
        kind="table",
    ),
    "chicago_rides": SampleInfo(
        key="chicago_rides",
        title="Chicago train rides",
        description="Weekly boardings (thousands) at 20 Chicago 'L' stations over three years (2013-2016), with "
        "home games and holidays known ahead. Time series: forecast the next 12 weeks per station.",
        kind="series",
    ),
}

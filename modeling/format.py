"""Numbers and words as people read them: counts, plurals, percentages, money, durations, escaping.

Every sentence ModelDeck writes (data notes, summaries, reports, the pages) formats its numbers here, so
"1,234 rows", "86%" and "1 min 05 s" look the same everywhere and each rule is written once.

>>> plural(1, "row"), plural(1234, "row"), plural(2, "copy", "copies")
('1 row', '1,234 rows', '2 copies')
>>> percent(0.8625), percent(None)
('86.2%', '—')
>>> share(0.999), share(0.5), share(0.004)
('99.9%', '50%', '0.4%')
>>> points(12.34), points(-0.01)
('+12.3 points', '±0.0 points')
>>> money(1234.4, "€"), money(-56, "€"), money(1234, "USD"), money(7)
('€1,234', '-€56', '1,234 USD', '7')
>>> amount(207400.0), amount(207400.0, "$"), amount(12.345), amount(0.00001234), amount(None)
('207,400', '$207,400', '12.3', '0.0000123', '—')
>>> seconds(5.2), seconds(65), seconds(3720), seconds(None)
('5 s', '1 min 05 s', '1 h 02 min', '—')
>>> percent_range(0.8312, 0.9047, digits=0)
'83–91%'
>>> md_escape("*bold* [link](x)")
'\\\\*bold\\\\* \\\\[link\\\\]\\\\(x\\\\)'
>>> clip("a very long column name", 10)
'a very lo…'
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Characters Markdown (and Streamlit's ``:colour[...]`` and ``$math$``) give a meaning; escaped in user text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


# ---- counts and words --------------------------------------------------------------------------------------------
def count(n: int | float) -> str:
    """A count with thousands separators: ``1,234``."""
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``'1 row'`` / ``'3 rows'`` (``many`` for irregular plurals: ``plural(2, 'copy', 'copies')``)."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def was_were(n: int) -> str:
    return "was" if n == 1 else "were"


def is_are(n: int) -> str:
    return "is" if n == 1 else "are"


# ---- shares and points -------------------------------------------------------------------------------------------
def percent(value: float | None, digits: int = 1) -> str:
    """A share (0..1) as a percentage with ``digits`` decimals; ``'—'`` when unknown (tables, reports)."""
    return "—" if value is None else f"{100.0 * float(value):.{digits}f}%"


def share(value: float) -> str:
    """A whole percentage, unless rounding would hide the difference from 0% or 100% (sentences)."""
    text = f"{100.0 * value:.0f}"
    if (text == "100" and value < 1.0) or (text == "0" and value > 0.0):
        text = f"{100.0 * value:.1f}"
    return f"{text}%"


def points(value: float | None) -> str:
    """A difference in percentage points with its sign: ``'+12.3 points'``; ``'—'`` when unknown."""
    if value is None:
        return "—"
    v = float(value)
    return f"{v:+.1f} points" if abs(v) >= 0.05 else "±0.0 points"


def percent_range(low: float, high: float, digits: int = 1, as_percent: bool = True) -> str:
    """``'97.6–98.8%'`` (or ``'0.912–0.951'``), rounded outwards so it is never narrower than computed."""
    scale = 10**digits
    factor = 100.0 if as_percent else 1.0
    lo = math.floor(factor * low * scale + 1e-9) / scale
    hi = math.ceil(factor * high * scale - 1e-9) / scale
    if as_percent:
        hi_text = "100" if hi >= 100.0 else f"{hi:.{digits}f}"
        return f"{lo:.{digits}f}–{hi_text}%"
    return f"{lo:.{digits}f}–{min(hi, 1.0):.{digits}f}"


# ---- money and time ----------------------------------------------------------------------------------------------
def money(amount: float, currency: str = "") -> str:
    """Whole units with thousands separators; a symbol goes before the number, a word after it.

    ``currency`` is raw user text: escape the result before rendering it as Markdown.
    """
    sign = "-" if amount < -0.5 else ""
    whole = f"{abs(amount):,.0f}"
    currency = currency.strip()
    if not currency:
        return f"{sign}{whole}"
    if len(currency) <= 1 or not currency.isalpha():
        return f"{sign}{currency}{whole}"
    return f"{sign}{whole} {currency}"


def amount(value: float | None, currency: str = "") -> str:
    """A number in the user's units (a price, a count, a predicted value): ``'$12,400'``, ``'12,400'``, ``'0.0312'``.

    Whole units with thousands separators from 100 up; smaller numbers keep three significant digits, so a
    rate of 0.0312 is not shown as 0. ``'—'`` when unknown or not finite. Never scientific notation.
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    value = float(value)
    if currency:
        return money(value, currency)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def seconds(value: float | None) -> str:
    """``'1 min 05 s'`` style durations for people; ``'—'`` when unknown."""
    if value is None or not math.isfinite(value):
        return "—"
    total = max(0, round(value))
    if total < 60:
        return f"{total} s"
    minutes, sec = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ---- text --------------------------------------------------------------------------------------------------------
def clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, so one odd value cannot swamp a sentence."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: Any, limit: int = 60) -> str:
    """Whitespace (line breaks included) collapsed to single spaces, then clipped: for quoting a cell."""
    return clip(" ".join(str(text).split()), limit)


def md_escape(text: object) -> str:
    """User text made safe for Markdown: no links, images, HTML, colours or maths; one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _CONTROL.sub(" ", str(text))).replace("\n", " ")


def md_name(text: object, limit: int = 60) -> str:
    """A name (class, column, currency) for a Markdown sentence: one line, clipped to ``limit``, escaped."""
    clean = _CONTROL.sub(" ", str(text)).strip()
    if len(clean) > limit:
        clean = clean[: limit - 1].rstrip() + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", clean)


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an error's message (or its type's name), for "could not be read (...)" sentences."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message[:limit]

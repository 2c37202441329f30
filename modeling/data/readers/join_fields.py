"""Which column the extra fields of a CSV row belong to, decided only when there is exactly one answer.

Under the header ``text,label`` the line ``Fast delivery, works well,positive`` has three fields. Glued
back into the text it reads "Fast delivery, works well" / "positive"; glued into the label it reads
"Fast delivery" / " works well,positive". A reading is kept only if every other column still looks like
itself in every such row: a label column gets labels, a number column numbers (the column that takes
the extra fields may be a number only when they rebuild one like ``1,234``). When more than one
reading passes (``text,price,label`` with ``nice,1,234,pos``), or none does, there is no repair and
the reason is given in a sentence.

Labels that never occur in the well-formed rows are accepted only when they repeat, and only when no
row would read correctly with its extra fields simply dropped: ``good,positive,oops`` is a label
followed by something else, not a text with a comma.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from modeling import format as fmt

#: A number written with thousands separators, as spreadsheets export it: 1,234 or -12,345,678.90.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
#: A plain number: 12, -3.5, .5, 1e-3.
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")

#: A column with at most this many different values, each seen twice on average, holds categories (labels).
MAX_CATEGORIES = 50
#: Columns beyond which no repair is attempted, and partial readings tried in all (a wide table with many
#: extra fields per row has too many ways to spread them to try them all): past either, no repair.
MAX_COLUMNS = 50
MAX_TRIES = 200_000
#: Well-formed rows needed to learn what each column holds; with fewer, only a two-column file is repaired,
#: learning from both ends of at least MIN_ROWS_TO_LEARN rows (in fewer, a stray field can pass for labels).
MIN_GOOD_ROWS = 5
MIN_ROWS_TO_LEARN = 10

#: Header names that say which of two columns holds the labels, when their values alone do not.
LABEL_NAMES = frozenset({"label", "labels", "sentiment", "class", "target", "category", "y", "polarity", "tag"})
TEXT_NAMES = frozenset({"text", "review", "comment", "message", "body", "sentence", "content", "description", "tweet"})

#: A row that is too long: (line it starts on, line it ends on, its fields).
LongRow = tuple[int, int, Sequence[str]]


@dataclass
class ColumnProfile:
    """What the well-formed rows hold in one column: its values (up to a point) and whether they are numbers."""

    count: int = 0
    values: set[str] = field(default_factory=set)
    numeric: bool = True
    is_text: bool = False  # known to hold free text, whatever its values look like
    _kind: str | None = field(default=None, repr=False, compare=False)  # cached: asked once per value checked

    def add(self, value: str) -> None:
        value = value.strip()
        if not value:
            return
        self._kind = None
        self.count += 1
        if len(self.values) <= MAX_CATEGORIES:
            self.values.add(value)
        if self.numeric and not (PLAIN_NUMBER.match(value) or THOUSANDS.match(value)):
            self.numeric = False

    @property
    def kind(self) -> str:
        """``'category'`` (few values, repeated), ``'number'`` or ``'text'``."""
        if self._kind is None:
            if self.is_text:
                self._kind = "text"
            elif self.is_category:
                self._kind = "category"
            else:
                self._kind = "number" if self.count and self.numeric else "text"
        return self._kind

    @property
    def is_category(self) -> bool:
        """Few values, repeated (at most half as many as cells): labels, never the column extra fields belong to."""
        return not self.is_text and bool(self.count) and len(self.values) <= min(MAX_CATEGORIES, self.count / 2)

    def mark_text(self) -> None:
        """Known to hold free text (the other end of a two-column file holds the labels)."""
        self.is_text, self._kind = True, None


@dataclass(frozen=True)
class JoinPlan:
    """Every long row's fields after the repair (by the line it starts on), or why there is no repair."""

    repairs: dict[int, tuple[str, ...]] = field(default_factory=dict)
    joined_into: tuple[str, ...] = ()
    why_not: str = ""


def profile_columns(rows: Iterable[Sequence[str]], n: int) -> tuple[list[ColumnProfile], int]:
    """What each column holds in the rows with exactly ``n`` fields, and how many such rows there are."""
    columns = [ColumnProfile() for _ in range(n)]
    good = 0
    for fields in rows:
        if len(fields) == n:
            good += 1
            for column, value in zip(columns, fields, strict=True):
                column.add(value)
    return columns, good


def plan_joins(
    header: Sequence[str], delimiter: str, longer: Sequence[LongRow], columns: list[ColumnProfile], good: int
) -> JoinPlan:
    """How to fold each long row back into the header's columns, when there is exactly one way."""
    n = len(header)
    if n < 2:
        return JoinPlan(why_not="the file has a single column, so there is no label to keep apart.")
    if n > MAX_COLUMNS:
        return JoinPlan(why_not=f"with {n:,} columns there are too many places the extra fields could belong.")
    for start, end, _ in longer:
        if end > start:
            return JoinPlan(
                why_not=f"the row that starts on line {start:,} runs on to line {end:,}, so a double quote in it is "
                "probably not closed where it should be. Check the quotes on that line first."
            )
    few_good = good < MIN_GOOD_ROWS
    if few_good:
        edges = _edge_columns(longer, columns, header, good) if n == 2 else None
        if edges is None:
            return JoinPlan(
                why_not=f"fewer than {MIN_GOOD_ROWS} rows have the right number of fields, too few to tell which "
                "column the extra fields belong to."
            )
        columns = edges
    rows = [(start, _without_trailing_blanks(fields, n)) for start, _, fields in longer]
    exact = [(start, tuple(fields)) for start, fields in rows if len(fields) == n]  # "great,positive,"
    wide = [(start, fields) for start, fields in rows if len(fields) > n]
    if exact and not _reading_fits(exact, None, columns, None):
        return JoinPlan(why_not=f"line {exact[0][0]:,} has empty fields at its end, and its other values do not fit.")
    if not wide:
        return JoinPlan(repairs=dict(exact))
    readings = {c: [(start, _join(fields, c, n, delimiter)) for start, fields in wide] for c in range(n)}
    # Labels the well-formed rows never show are allowed on conditions (they repeat, and no row reads right
    # without its extra fields); with few well-formed rows the labels were learned from these very rows,
    # so those conditions always apply.
    chosen = [] if few_good else [c for c in range(n) if _reading_fits(readings[c], c, columns, None)]
    if not chosen:
        chosen = [c for c in range(n) if _reading_fits(readings[c], c, columns, wide)]
    if len(chosen) != 1:
        return JoinPlan(why_not=_ambiguity(wide[0][0], [header[c] for c in chosen]))
    column = chosen[0]
    doubtful = _first_doubtful_row(wide, readings[column], columns, delimiter)
    if doubtful is not None:
        start, glued = doubtful
        if not glued:
            return JoinPlan(
                why_not="there are too many ways to spread the extra fields over the columns to check them all."
            )
        return JoinPlan(why_not=_ambiguity(start, [header[j] for j in glued]))
    return JoinPlan(
        repairs={**dict(exact), **dict(readings[column])},
        joined_into=(header[column].strip() or f"column {column + 1}",),
    )


def _without_trailing_blanks(fields: Sequence[str], n: int) -> list[str]:
    """A trailing delimiter ("great,positive,") adds an empty field: dropping it loses nothing."""
    out = list(fields)
    while len(out) > n and not out[-1].strip():
        out.pop()
    return out


def _join(fields: Sequence[str], c: int, n: int, delimiter: str) -> tuple[str, ...]:
    """``fields`` with the extra ones glued (by the delimiter they were split at) into column ``c``."""
    extra = len(fields) - n
    return (*fields[:c], delimiter.join(fields[c : c + extra + 1]), *fields[c + extra + 1 :])


def _reading_fits(
    rows: Sequence[tuple[int, tuple[str, ...]]],
    joined: int | None,
    columns: Sequence[ColumnProfile],
    originals: Sequence[tuple[int, Sequence[str]]] | None,
) -> bool:
    """Whether every column keeps looking like itself when the rows read this way (``joined``: the glued column).

    With ``originals`` (the rows as split), labels unseen in the well-formed rows are allowed when each
    repeats and none of these rows already reads right with its extra fields dropped.
    """
    known: list[set[str]] = []
    for j, column in enumerate(columns):
        new: Counter[str] = Counter()
        for _, row in rows:
            value = row[j].strip()
            if _looks_like(value, column, column.values, glued=j == joined):
                continue
            if not column.is_category or j == joined or not value:
                return False
            new[value] += 1  # a label the well-formed rows never show
        if new and (
            originals is None
            or min(new.values()) < 2
            or len(new) > len(rows) / 2
            or len(column.values) + len(new) > MAX_CATEGORIES
        ):
            return False
        known.append(column.values | set(new))
    if originals is not None:
        return not any(_reads_right_without_extras(fields, columns, known, joined) for _, fields in originals)
    return True


def _first_doubtful_row(
    wide: Sequence[tuple[int, Sequence[str]]],
    reading: Sequence[tuple[int, tuple[str, ...]]],
    columns: Sequence[ColumnProfile],
    delimiter: str,
) -> tuple[int, list[int]] | None:
    """(line, columns that could take its extra fields) of the first row that reads well in more than one way.

    The chosen column fits all rows together, yet one row can still be two-faced: under
    ``text,price,label``, ``x,bad,1,1,234,neg`` is "x,bad,1" at 1,234 as well as "x,bad,1,1" at 234.
    Every way of spreading a row's fields over the columns is tried (the extra fields may go to several
    columns at once); a row with more than one way that fits is not guessed.
    """
    known = [set(column.values) | {row[j].strip() for _, row in reading} for j, column in enumerate(columns)]
    budget = [MAX_TRIES + 10 * len(wide)]  # a handful of tries per row, and room for a few hard ones
    for start, fields in wide:
        ways = _ways_to_read(fields, columns, known, delimiter, budget)
        if len(ways) != 1:
            glued = sorted({j for widths in ways for j, width in enumerate(widths) if width > 1})
            return start, glued
    return None


def _ways_to_read(
    fields: Sequence[str],
    columns: Sequence[ColumnProfile],
    known: Sequence[set[str]],
    delimiter: str,
    budget: list[int],
) -> list[tuple[int, ...]]:
    """Up to two ways (fields per column) to spread ``fields`` over the columns so each looks like itself.

    More than two comes back as two, and running out of ``budget`` (tries left, shared by all rows) as
    two empty ones: all that matters is "exactly one" or "not exactly one".
    """
    n, total = len(columns), len(fields)
    found: list[tuple[int, ...]] = []
    stack: list[tuple[int, tuple[int, ...]]] = [(0, ())]  # (next field, widths so far)
    while stack and len(found) < 2:
        budget[0] -= 1
        if budget[0] < 0:
            return [(), ()]
        position, widths = stack.pop()
        j = len(widths)
        last = j == n - 1
        for width in [total - position] if last else range(1, total - position - (n - j - 1) + 1):
            value = delimiter.join(fields[position : position + width]).strip()
            if not _looks_like(value, columns[j], known[j], glued=width > 1):
                continue
            if last:
                found.append((*widths, width))
            else:
                stack.append((position + width, (*widths, width)))
    return found


def _looks_like(value: str, column: ColumnProfile, known: set[str], glued: bool) -> bool:
    """Whether ``value`` (stripped; ``glued``: made of several fields) could stand in this column.

    A column of numbers takes numbers, and a glued value only if it rebuilds one like ``1,234``; that
    holds for a column of a few repeated numbers too (prices, ratings), which also counts as categories.
    """
    kind = column.kind
    if kind == "text":
        return True
    if column.numeric and column.count:
        number = THOUSANDS.match(value) if glued else not value or PLAIN_NUMBER.match(value) or THOUSANDS.match(value)
        if number:
            return True
    return kind == "category" and (value in known or (not value and not glued))


def _reads_right_without_extras(
    fields: Sequence[str], columns: Sequence[ColumnProfile], known: Sequence[set[str]], joined: int | None
) -> bool:
    """Whether dropping some fields at the ends fills every label column with a ``known`` label, from other fields.

    ``good,positive,oops`` reads right as ``good,positive`` with ``oops`` dropped: its extra field is not
    part of the text, however often ``oops`` repeats. Windows that put each label on the same field as
    the reading with the extra fields glued into column ``joined`` say nothing new and are skipped.
    """
    n, extra = len(columns), len(fields) - len(columns)
    labels = [j for j, column in enumerate(columns) if column.is_category]
    if not labels:
        return False
    glued_at = [j if joined is None or j < joined else j + extra for j in range(n)]
    for s in range(extra + 1):
        if all(s + j == glued_at[j] for j in labels):
            continue
        if all(fields[s + j].strip() in known[j] for j in labels):
            return True
    return False


def _edge_columns(
    longer: Sequence[LongRow], good: list[ColumnProfile], header: Sequence[str], good_rows: int
) -> list[ColumnProfile] | None:
    """A two-column file with few good rows: which end holds the labels, learned from every row.

    Every row's first and last field are counted (in a long row the text's pieces are in the middle).
    The labels are the end the header names so (``text,label``, ``label,review``), or without such
    names the only end whose values repeat; either way they must repeat and hold two labels at least,
    over :data:`MIN_ROWS_TO_LEARN` rows or more. ``None`` when that does not settle it.
    """
    first, last = ColumnProfile(), ColumnProfile()
    for column, target in ((good[0], first), (good[1], last)):
        target.count, target.values, target.numeric = column.count, set(column.values), column.numeric
    for _, _, fields in longer:
        first.add(fields[0])
        last.add(fields[-1])
    if len(longer) + good_rows < MIN_ROWS_TO_LEARN:
        return None
    names = [name.strip().lower() for name in header]
    named_last = names[1] in LABEL_NAMES or names[0] in TEXT_NAMES
    named_first = names[0] in LABEL_NAMES or names[1] in TEXT_NAMES
    if named_first != named_last:
        labels_last = named_last
    elif named_first:
        return None
    elif first.is_category != last.is_category:
        labels_last = last.is_category
    else:
        return None
    labels, text = (last, first) if labels_last else (first, last)
    if not labels.is_category or len(labels.values) < 2:  # one repeated value is a stray field, not labels
        return None
    text.mark_text()
    return [first, last]


def _ambiguity(line: int, candidates: Sequence[str]) -> str:
    if not candidates:
        return (
            f"on line {line:,} no column can take the extra fields: glued to any of them, another column would get "
            "a value it has nowhere else (such as an unknown label), or the line reads right without them."
        )
    names = " or ".join(f"'{fmt.clip(name, 30)}'" for name in candidates)
    return f"on line {line:,} the extra fields could belong to {names}."

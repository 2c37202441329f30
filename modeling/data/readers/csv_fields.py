"""Rows with more or fewer fields than the header: find them, say where, and join extra fields back when safe.

Why this exists: a text with an unquoted comma (``Fast delivery, works well,positive`` under the header
``text,label``) splits into one field too many. pandas then quietly made the first field the row index,
so the first half of each such text disappeared and the other rows were read with shifted columns; the
user only met a puzzling error later ("only one label value"), or trained on damaged texts. Here Python's
csv module reads the decoded text once (quotes respected), counts each row's fields and keeps the line
each row starts on, so a message names lines a person can find in a text editor or a spreadsheet.

The repair joins a row's extra fields back into one column, and is offered only when that is the one
column they can belong to: every other column must still look like itself (a label seen in the
well-formed rows, a number where the column holds numbers). ``text,price,label`` with ``nice,1,234,pos``
could be "nice,1" at 234 or "nice" at 1,234, so that row is not repaired, and the message says why.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from modeling import format as fmt
from modeling.errors import DataError

#: A number written with thousands separators, as spreadsheets export it: 1,234 or -12,345,678.90.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
#: A plain number: 12, -3.5, .5, 1e-3.
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}

#: Line numbers a message lists before it says "and N more".
SHOWN_LINES = 5
#: A column with at most this many different values, each seen twice on average, holds categories (labels).
MAX_CATEGORIES = 50
#: Well-formed rows needed to learn what each column holds; with fewer, only a two-column file is repaired.
MIN_GOOD_ROWS = 5

REPAIR_BUTTON = "Join the extra fields back into the text"
#: ``df.attrs`` key: how many rows with extra fields a read left out (so a page can offer to join them back).
SKIPPED_LINES = "skipped_lines"

#: Header names that say which of two columns holds the labels, when their values alone do not.
LABEL_NAMES = frozenset({"label", "labels", "sentiment", "class", "target", "category", "y", "polarity", "tag"})
TEXT_NAMES = frozenset({"text", "review", "comment", "message", "body", "sentence", "content", "description", "tweet"})


class FieldCountError(DataError):
    """Too many rows have more fields than the header to skip them; ``report`` says where and how to repair."""

    def __init__(self, message: str, report: FieldReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class FieldReport:
    """What :func:`check_fields` found: rows whose field count differs from the header's, and the repair.

    Line numbers count the header as line 1 and point at the line where a row starts, as a text editor
    shows them. ``repairs`` maps the start line of every longer row to its fields after the repair; it
    is empty when the repair is not safe, and ``why_not`` then says why in a sentence.
    """

    header: tuple[str, ...]
    delimiter: str
    rows: int = 0
    longer: tuple[int, ...] = ()
    shorter: tuple[int, ...] = ()
    unclosed_quote: int | None = None
    repairs: dict[int, tuple[str, ...]] = field(default_factory=dict)
    joined_into: tuple[str, ...] = ()
    why_not: str = ""
    example_line: int | None = None
    example_before: str = ""

    @property
    def repairable(self) -> bool:
        return bool(self.longer) and len(self.repairs) == len(self.longer)

    @property
    def example_after(self) -> tuple[str, ...]:
        """The example row's fields after the repair (empty when there is no repair)."""
        return self.repairs.get(self.example_line, ()) if self.example_line is not None else ()

    def fields_phrase(self) -> str:
        names = ", ".join(f"'{fmt.clip(name, 30)}'" for name in self.header[:6])
        more = ", ..." if len(self.header) > 6 else ""
        return f"{fmt.plural(len(self.header), 'field')}: {names}{more}"

    def cause(self) -> str:
        """The likely cause, in words."""
        what = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        return f"A text probably contains {what} without double quotes around it."

    def fix(self) -> str:
        """How to fix the file, and the one-click repair when it is safe."""
        quote = "Put each text in double quotes (Excel and Google Sheets do this when they save as CSV)"
        if self.repairable:
            into = " and ".join(f"'{fmt.clip(name, 30)}'" for name in self.joined_into) or "the text"
            return (
                f"{quote}, or let ModelDeck join the extra fields back into {into}: the Data page offers it in one "
                f"click ('{REPAIR_BUTTON}'); in Python, read_table(data, name, join_extra_fields=True) does the same."
            )
        return f"{quote}. ModelDeck cannot join the extra fields back by itself: {self.why_not}"

    def too_many_message(self, filename: str) -> str:
        return (
            f"'{filename}' has {fmt.plural(len(self.longer), 'line')} with more fields than its header "
            f"({self.fields_phrase()}): {line_list(self.longer)}. {self.cause()} {self.fix()}"
        )

    def skipped_note(self) -> str:
        return (
            f"{fmt.plural(len(self.longer), 'line')} with the wrong number of fields "
            f"{fmt.was_were(len(self.longer))} skipped ({line_list(self.longer)}: more fields than the header's "
            f"{len(self.header)}). {self.cause()} {self.fix()}"
        )

    def repaired_note(self) -> str:
        into = " and ".join(f"'{fmt.clip(name, 30)}'" for name in self.joined_into)
        joined = f"their extra fields were joined back into {into}" if into else "their empty extra fields were removed"
        return (
            f"{fmt.plural(len(self.longer), 'line')} had more fields than the header's {len(self.header)} "
            f"({line_list(self.longer)}); {joined}. Check a few of them in the preview."
        )

    def shorter_note(self) -> str:
        return (
            f"{fmt.plural(len(self.shorter), 'line')} {'has' if len(self.shorter) == 1 else 'have'} fewer fields "
            f"than the header's "
            f"{len(self.header)} ({line_list(self.shorter)}); the missing values were left empty."
        )

    def unclosed_quote_message(self, filename: str) -> str:
        return (
            f"'{filename}' has a double quote on line {self.unclosed_quote:,} that is never closed, so everything "
            "after it would be read as one text. Remove that quote, or close it, or save the file again from a "
            "spreadsheet as CSV (it then quotes every text that needs it)."
        )


def line_list(lines: Sequence[int]) -> str:
    """``'line 3'``, ``'lines 3 and 7'``, ``'lines 3, 7, 12, 15, 20 and 34 more'``."""
    shown = [f"{n:,}" for n in lines[:SHOWN_LINES]]
    rest = len(lines) - len(shown)
    if rest:
        return f"lines {', '.join(shown)} and {rest:,} more"
    if len(shown) == 1:
        return f"line {shown[0]}"
    return f"lines {', '.join(shown[:-1])} and {shown[-1]}"


# ---- reading rows ----------------------------------------------------------------------------------------------
class _UnclosedQuote(Exception):
    """A quoted field runs to the end of the file; ``line`` is where its row starts."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _rows(text: str, delimiter: str, *, strict: bool) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of every row, blank lines included (as ``[]``).

    ``strict`` reading stops at a quote that never closes (lenient reading would swallow the rest of the
    file into one field, as pandas does) and at text after a closing quote (``"abc"def``).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    end = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            yield start, end, fields
    except csv.Error as exc:
        if strict and "unexpected end of data" in str(exc):
            raise _UnclosedQuote(end + 1) from None
        raise


def _allow_big_fields(size: int) -> None:
    """The csv module refuses fields over 128 KB; one cell may be as big as the upload (it is cut later)."""
    if csv.field_size_limit() < size:
        csv.field_size_limit(min(size + 1, sys.maxsize))


def _blank(fields: Sequence[str]) -> bool:
    """An empty or whitespace-only line, which pandas skips (a line of bare delimiters is a row of gaps)."""
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _physical_line(text: str, number: int) -> str:
    line = next(itertools.islice(io.StringIO(text, newline=""), number - 1, None), "")
    return line.rstrip("\r\n")


# ---- what each column holds --------------------------------------------------------------------------------------
@dataclass
class _Column:
    """What the well-formed rows hold in one column: its values (up to a point) and whether they are numbers."""

    count: int = 0
    values: set[str] = field(default_factory=set)
    numeric: bool = True
    is_text: bool = False  # known to hold free text, whatever its values look like

    def add(self, value: str) -> None:
        value = value.strip()
        if not value:
            return
        self.count += 1
        if len(self.values) <= MAX_CATEGORIES:
            self.values.add(value)
        if self.numeric and not (PLAIN_NUMBER.match(value) or THOUSANDS.match(value)):
            self.numeric = False

    @property
    def kind(self) -> str:
        if self.is_text:
            return "text"
        if self.count and len(self.values) <= min(MAX_CATEGORIES, self.count / 2):
            return "category"
        if self.count and self.numeric:
            return "number"
        return "text"

    def fits(self, value: str, absorbing: bool) -> bool:
        """Whether ``value`` looks like this column; ``absorbing``: it holds joined fields (with the delimiter)."""
        value = value.strip()
        kind = self.kind
        if kind == "category":
            return value in self.values or (not value and not absorbing)
        if kind == "number":
            if absorbing:
                return bool(THOUSANDS.match(value))
            return not value or bool(PLAIN_NUMBER.match(value) or THOUSANDS.match(value))
        return True


def _fitting_repairs(
    fields: list[str], columns: Sequence[_Column], delimiter: str
) -> list[tuple[int | None, tuple[str, ...]]]:
    """Every way to fold ``fields`` into the header's columns that leaves each column looking like itself."""
    n = len(columns)
    while len(fields) > n and not fields[-1].strip():  # "great,positive," : a trailing delimiter, nothing lost
        fields = fields[:-1]
    extra = len(fields) - n
    if extra == 0:
        ok = all(column.fits(value, False) for column, value in zip(columns, fields, strict=True))
        return [(None, tuple(fields))] if ok else []
    out: list[tuple[int | None, tuple[str, ...]]] = []
    for c in range(n):
        joined = (*fields[:c], delimiter.join(fields[c : c + extra + 1]), *fields[c + extra + 1 :])
        if all(column.fits(value, j == c) for j, (column, value) in enumerate(zip(columns, joined, strict=True))):
            out.append((c, joined))
    return out


# ---- the check ----------------------------------------------------------------------------------------------------
def check_fields(text: str, delimiter: str, max_rows: int) -> FieldReport:
    """Count the fields of every row (up to ``max_rows``) against the header's, and plan the safe repair."""
    _allow_big_fields(len(text))
    try:
        return _scan(text, delimiter, max_rows, strict=True)
    except _UnclosedQuote as exc:
        return FieldReport(header=(), delimiter=delimiter, unclosed_quote=exc.line)
    except csv.Error:  # e.g. '"abc"def': read leniently, as pandas does
        try:
            return _scan(text, delimiter, max_rows, strict=False)
        except csv.Error:
            return FieldReport(header=(), delimiter=delimiter)  # pandas has the last word


def _scan(text: str, delimiter: str, max_rows: int, *, strict: bool) -> FieldReport:
    """One quick pass counting fields; a second one, only when rows are too long, learns what columns hold."""
    rows = _rows(text, delimiter, strict=strict)
    header: tuple[str, ...] = ()
    for _, _, fields in rows:
        if fields:
            header = tuple(fields)
            break
    n = len(header)
    # Trailing blank names ("text,label,") do not make short rows short: pandas fills them with nothing.
    needed = max((i + 1 for i, name in enumerate(header) if name.strip()), default=n)
    longer: list[tuple[int, int, list[str]]] = []
    shorter: list[int] = []
    count = 0
    for start, end, fields in rows:
        width = len(fields)
        if width != n and _blank(fields):
            continue
        count += 1
        if count > max_rows:
            break
        if width > n:
            longer.append((start, end, fields))
        elif width < needed:
            shorter.append(start)
    report = FieldReport(
        header=header,
        delimiter=delimiter,
        rows=min(count, max_rows),
        longer=tuple(start for start, _, _ in longer),
        shorter=tuple(shorter),
    )
    if not longer:
        return report
    columns, good = _learn_columns(text, delimiter, n, max_rows)
    return _plan_repair(report, text, longer, columns, good)


def _learn_columns(text: str, delimiter: str, n: int, max_rows: int) -> tuple[list[_Column], int]:
    """What each column holds in the rows with the right number of fields, and how many such rows there are."""
    columns = [_Column() for _ in range(n)]
    good = count = 0
    rows = _rows(text, delimiter, strict=False)
    for _, _, fields in rows:
        if fields:  # the header
            break
    for _, _, fields in rows:
        if _blank(fields):
            continue
        count += 1
        if count > max_rows:
            break
        if len(fields) == n:
            good += 1
            for column, value in zip(columns, fields, strict=True):
                column.add(value)
    return columns, good


def _plan_repair(
    report: FieldReport, text: str, longer: list[tuple[int, int, list[str]]], columns: list[_Column], good: int
) -> FieldReport:
    """The report with the repair of every longer row, or with the reason there is none."""
    start, _, _ = longer[0]
    base = {"example_line": start, "example_before": fmt.clip(_physical_line(text, start), 300)}
    n = len(report.header)
    if n < 2:
        return _with(report, base, why_not="the file has a single column, so there is no label to keep apart.")
    if good < MIN_GOOD_ROWS:
        if n != 2:
            return _with(
                report,
                base,
                why_not=f"fewer than {MIN_GOOD_ROWS} rows have the right number of fields, too few to tell which "
                "column the extra fields belong to.",
            )
        edges = _edge_columns(longer, columns, report.header)  # two columns: learn from both ends of every row
        if edges is None:
            return _with(
                report,
                base,
                why_not="too few rows have the right number of fields to tell which column holds the labels.",
            )
        columns = edges
    repairs: dict[int, tuple[str, ...]] = {}
    into: set[int] = set()
    for start, end, fields in longer:
        if end > start:
            return _with(
                report,
                base,
                why_not=f"the row that starts on line {start:,} runs on to line {end:,}, so a double quote in it "
                "is probably not closed where it should be. Check the quotes on that line first.",
            )
        fitting = _fitting_repairs(list(fields), columns, report.delimiter)
        if len(fitting) != 1:
            return _with(report, base, why_not=_ambiguity(start, fields, fitting, report.header, n))
        column, repaired = fitting[0]
        repairs[start] = repaired
        if column is not None:
            into.add(column)
    names = tuple(report.header[c].strip() or f"column {c + 1}" for c in sorted(into))
    return _with(report, base, repairs=repairs, joined_into=names)


def _with(report: FieldReport, base: dict[str, object], **changes: object) -> FieldReport:
    return replace(report, **base, **changes)  # type: ignore[arg-type]


def _edge_columns(
    longer: list[tuple[int, int, list[str]]], good: list[_Column], header: Sequence[str]
) -> list[_Column] | None:
    """A two-column file with few good rows: the labels are the end whose fields repeat, the text the other.

    Every row's first and last field are counted (in a longer row the text's pieces are in the middle).
    When both ends repeat (texts that all open with the same words), the header's names decide
    (``text,label`` or ``label,review``); ``None`` when nothing tells them apart.
    """
    first, last = _Column(), _Column()
    for column, target in ((good[0], first), (good[1], last)):
        target.count, target.values, target.numeric = column.count, set(column.values), column.numeric
    for _, _, fields in longer:
        first.add(fields[0])
        last.add(fields[-1])
    first_labels, last_labels = first.kind == "category", last.kind == "category"
    if first_labels and last_labels:
        names = [name.strip().lower() for name in header]
        last_labels = names[1] in LABEL_NAMES or names[0] in TEXT_NAMES
        first_labels = names[0] in LABEL_NAMES or names[1] in TEXT_NAMES
    if first_labels == last_labels:
        return None
    (last if first_labels else first).is_text = True
    return [first, last]


def _ambiguity(
    line: int,
    fields: Sequence[str],
    fitting: Sequence[tuple[int | None, tuple[str, ...]]],
    header: Sequence[str],
    n: int,
) -> str:
    if not fitting:
        return (
            f"on line {line:,} ({fmt.plural(len(fields), 'field')} for {n} columns) no column can take the extra "
            "fields without another column getting a value it never has elsewhere, such as an unknown label."
        )
    names = " or ".join(f"'{fmt.clip(header[c] if c is not None else '', 30)}'" for c, _ in fitting)
    return f"on line {line:,} the extra fields could belong to {names}."


# ---- rewriting -----------------------------------------------------------------------------------------------------
def rewrite(text: str, report: FieldReport, *, join: bool, max_rows: int) -> str:
    """The table again as clean CSV: longer rows repaired (``join``) or left out; every other row as it was.

    Values are written back exactly as the csv module read them (quoted where needed), so pandas reads
    the same values from the result as from the original, minus the rows with the wrong count.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=report.delimiter, lineterminator="\n")
    n = len(report.header)
    rows = _rows(text, report.delimiter, strict=False)
    for _, _, fields in rows:
        if fields:
            writer.writerow(fields)
            break
    count = 0
    for start, _, fields in rows:
        if _blank(fields):
            continue
        count += 1
        if count > max_rows:
            break
        if len(fields) > n:
            if join and start in report.repairs:
                writer.writerow(report.repairs[start])
            continue
        writer.writerow(fields)
    return out.getvalue()


def fix_field_counts(
    text: str, delimiter: str, filename: str, notes: list[str], *, join: bool, max_rows: int
) -> tuple[str, int]:
    """The text ready for pandas, and how many rows with extra fields it left out.

    Rows with extra fields are joined back (``join``), skipped with a note naming them when they are a
    few, or refused with :class:`FieldCountError` when they are more than a tenth (and over 10): its
    report lets the Data page offer the repair. Rows with fewer fields are kept (pandas leaves their
    missing values empty) and named in a note.
    """
    report = check_fields(text, delimiter, max_rows)
    if report.unclosed_quote is not None:
        raise DataError(report.unclosed_quote_message(filename))
    skipped = 0
    if report.longer:
        if join:
            if not report.repairable:
                raise DataError(f"The extra fields in '{filename}' cannot be joined back safely: {report.why_not}")
            text = rewrite(text, report, join=True, max_rows=max_rows)
            notes.append(report.repaired_note())
        elif len(report.longer) > max(10, (report.rows - len(report.longer)) // 10):
            raise FieldCountError(report.too_many_message(filename), report)
        else:
            text = rewrite(text, report, join=False, max_rows=max_rows)
            notes.append(report.skipped_note())
            skipped = len(report.longer)
    if report.shorter:
        notes.append(report.shorter_note())
    return text, skipped

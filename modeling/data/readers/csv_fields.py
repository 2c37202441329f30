"""Rows with more or fewer fields than the header: find them, say where, and join extra fields back when safe.

Why this exists: a text with an unquoted comma (``Fast delivery, works well,positive`` under the header
``text,label``) splits into one field too many. pandas then quietly made the first field the row index,
so the first half of each such text disappeared and the other rows were read with shifted columns; the
user only met a puzzling error later ("only one label value"), or trained on damaged texts. Here Python's
csv module reads the decoded text once (quotes respected), counts each row's fields and keeps the line
each row starts on, so a message names lines a person can find in a text editor or a spreadsheet.

The repair joins each such row's extra fields back into one column, and is offered only when that is
the one column they can belong to (:mod:`.join_fields` decides); otherwise the message says why. Rows
are written back through the csv module, so pandas then reads exactly the values the csv module saw.
"""

from __future__ import annotations

import csv
import io
import itertools
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from modeling import format as fmt
from modeling.data.readers.join_fields import plan_joins, profile_columns
from modeling.errors import DataError

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}

#: Line numbers a message lists before it says "and N more".
SHOWN_LINES = 5

REPAIR_BUTTON = "Join the extra fields back into the text"
#: ``df.attrs`` key: how many rows with extra fields a read left out (so a page can offer to join them back).
SKIPPED_LINES = "skipped_lines"


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
            f"({line_list(self.longer)}); {joined}. Check a few of them before training."
        )

    def shorter_note(self) -> str:
        return (
            f"{fmt.plural(len(self.shorter), 'line')} {'has' if len(self.shorter) == 1 else 'have'} fewer fields "
            f"than the header's {len(self.header)} ({line_list(self.shorter)}); the missing values were left empty."
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


def _is_row(fields: Sequence[str], n: int) -> bool:
    """False for an empty or whitespace-only line, which pandas skips (a line of bare delimiters is a row of gaps)."""
    return len(fields) == n or not (not fields or (len(fields) == 1 and not fields[0].strip()))


def _physical_line(text: str, number: int) -> str:
    line = next(itertools.islice(io.StringIO(text, newline=""), number - 1, None), "")
    return line.rstrip("\r\n")


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
        if not _is_row(fields, n):
            continue
        width = len(fields)
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
    return _plan(report, text, longer, max_rows)


def _plan(report: FieldReport, text: str, longer: list[tuple[int, int, list[str]]], max_rows: int) -> FieldReport:
    """The report with the repair of every longer row (a second pass learns what the columns hold), or why not."""
    rows = _rows(text, report.delimiter, strict=False)
    for _, _, fields in rows:
        if fields:  # the header
            break
    n = len(report.header)
    body = itertools.islice((fields for _, _, fields in rows if _is_row(fields, n)), max_rows)
    columns, good = profile_columns(body, n)
    plan = plan_joins(report.header, report.delimiter, longer, columns, good)
    start = longer[0][0]
    return replace(
        report,
        repairs=plan.repairs if len(plan.repairs) == len(longer) else {},
        joined_into=plan.joined_into,
        why_not=plan.why_not,
        example_line=start,
        example_before=fmt.clip(_physical_line(text, start), 300),
    )


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
        if not _is_row(fields, n):
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
    few, or refused with :class:`FieldCountError` when they are more than a tenth (and over 10), or all:
    its report lets the Data page offer the repair. Rows with fewer fields are kept (pandas leaves their
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
        elif len(report.longer) > max(10, (report.rows - len(report.longer)) // 10) or report.rows == len(
            report.longer
        ):
            raise FieldCountError(report.too_many_message(filename), report)
        else:
            text = rewrite(text, report, join=False, max_rows=max_rows)
            notes.append(report.skipped_note())
            skipped = len(report.longer)
    if report.shorter:
        notes.append(report.shorter_note())
    return text, skipped

"""Excel workbooks (.xlsx/.xlsm): list the sheets, read the one the person picks, explain what was adjusted.

Workbooks made by people are not clean tables: a title above the header, a header spread over two rows
with merged cells ("Revenue" over "Q1" and "Q2"), blank lines, formulas whose results were never saved
(files written by a program rather than Excel). Each case is read as well as it can be and gets a note;
nothing is dropped without a count. Cells are read with openpyxl in read-only mode, values only: no
macros, links or external data are ever evaluated.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from modeling import format as fmt
from modeling.data.readers.limits import LIMITS
from modeling.data.readers.safe_zip import check_zip_members, open_zip
from modeling.errors import DataError

#: Rows looked at to find the header (titles and blank lines above it are skipped).
HEADER_SEARCH_ROWS = 20
#: Rows scanned for formulas without saved results.
FORMULA_SCAN_ROWS = 2000


def _damaged(filename: str) -> DataError:
    return DataError(
        f"'{filename}' is not a valid Excel (.xlsx) file; it may be damaged or only renamed. "
        "Open it in Excel and save it again, or export it as CSV."
    )


def _open_workbook(data: bytes, filename: str, values: bool = True) -> Any:
    from openpyxl import load_workbook

    with open_zip(data, _damaged(filename).args[0]) as zf:
        check_zip_members(zf, filename, zf.infolist(), ratio_check=True)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=values, keep_links=False)
    except Exception as exc:  # openpyxl raises many unrelated types for damaged workbooks
        raise DataError(
            f"'{filename}' could not be read as an Excel workbook ({fmt.first_line(exc)}). "
            "Open it in Excel and save it again as .xlsx, or export the sheet as CSV."
        ) from None


def excel_sheets(data: bytes, filename: str) -> list[str]:
    """The workbook's sheet names, in order (the Data page offers them when there is more than one)."""
    workbook = _open_workbook(bytes(data), filename)
    try:
        return [str(name) for name in workbook.sheetnames]
    finally:
        workbook.close()


def read_excel_sheet(data: bytes, filename: str, sheet: str | int | None = None) -> pd.DataFrame:
    """One sheet as a DataFrame (the first when ``sheet`` is None), with notes in ``df.attrs["notes"]``."""
    data = bytes(data)
    workbook = _open_workbook(data, filename)
    try:
        names = [str(n) for n in workbook.sheetnames]
        name = _pick_sheet(names, sheet, filename)
        grid = _cells(workbook[name], filename)
    finally:
        workbook.close()
    notes: list[str] = []
    if len(names) > 1:
        listed = ", ".join(f"'{fmt.clip(n, 30)}'" for n in names[:8]) + (", ..." if len(names) > 8 else "")
        notes.append(
            f"'{fmt.clip(filename, 40)}' has {len(names)} sheets ({listed}); '{fmt.clip(name, 30)}' was read. "
            "Pick another sheet on the Data page (or with data.sheet in a settings file)."
        )
    if not any(any(v is not None for v in row) for row in grid):
        raise DataError(
            f"The sheet '{fmt.clip(name, 30)}' of '{filename}' is empty. Pick the sheet that holds the table."
        )
    df = _table_from_grid(grid, notes)
    _note_unsaved_formulas(data, filename, name, grid, notes)
    df.attrs["notes"] = notes
    return df


def _pick_sheet(names: list[str], sheet: str | int | None, filename: str) -> str:
    if sheet is None or sheet == "":
        return names[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return names[sheet]
    if str(sheet) in names:
        return str(sheet)
    listed = ", ".join(f"'{n}'" for n in names[:20])
    raise DataError(f"'{filename}' has no sheet called '{fmt.clip(str(sheet), 40)}'. Its sheets are: {listed}.")


def _cells(worksheet: Any, filename: str) -> list[tuple[Any, ...]]:
    """Every row's values, refusing sheets over the row and column limits before holding them all."""
    grid: list[tuple[Any, ...]] = []
    for row in worksheet.iter_rows(values_only=True):
        if len(row) > LIMITS.max_columns:
            width = len(row)
            raise DataError(
                f"'{filename}' has {fmt.count(width)} columns; the limit is {fmt.count(LIMITS.max_columns)}. "
                "Keep only the columns you need."
            )
        grid.append(tuple(row))
        if len(grid) > LIMITS.max_rows + HEADER_SEARCH_ROWS + 1:
            raise DataError(
                f"'{filename}' has more than {fmt.count(LIMITS.max_rows)} rows, the limit. Upload a sample of at most "
                f"{fmt.count(LIMITS.max_rows)} rows."
            )
    return grid


def _filled(row: tuple[Any, ...]) -> int:
    return sum(1 for v in row if v is not None and str(v).strip() != "")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _table_from_grid(grid: list[tuple[Any, ...]], notes: list[str]) -> pd.DataFrame:
    """Find the header (skipping a title), join a two-row header, drop blank lines (counted)."""
    width = max(len(r) for r in grid)
    rows = [tuple(r) + (None,) * (width - len(r)) for r in grid]
    head = rows[:HEADER_SEARCH_ROWS]
    widest = max(_filled(r) for r in head)
    start = next(i for i, r in enumerate(head) if _filled(r) >= max(2, widest // 2) or _filled(r) == widest)
    if start:
        title = next((str(v) for r in rows[:start] for v in r if v is not None), "")
        notes.append(
            f"The first {fmt.plural(start, 'row')} above the column names ({fmt.one_line(title, 40)!r}) "
            f"{fmt.was_were(start)} skipped."
        )
    header = list(rows[start])
    body = rows[start + 1 :]
    if body and _two_row_header(header, body):
        top, sub = _fill_right(header), body[0]
        header = [_join(t, s) for t, s in zip(top, sub, strict=True)]
        body = body[1:]
        example = next((h for h, t in zip(header, top, strict=True) if t and h != t), header[0])
        notes.append(f"The column names span two rows (merged cells), so they were joined, e.g. '{example}'.")
    kept = [r for r in body if _filled(r)]
    blank = len(body) - len(kept)
    trailing = 0
    for r in reversed(body):
        if _filled(r):
            break
        trailing += 1
    if blank - trailing:
        notes.append(
            f"{fmt.plural(blank - trailing, 'empty row')} inside the table {fmt.was_were(blank - trailing)} skipped."
        )
    names = ["" if h is None else str(h).strip() for h in header]
    return pd.DataFrame(kept, columns=names) if kept else pd.DataFrame(columns=names)


def _two_row_header(header: list[Any], body: list[tuple[Any, ...]]) -> bool:
    """A header with gaps (merged cells) over a row of names above data that is not all text."""
    sub = body[0]
    data = body[1:6]
    if not data or not any(h is None for h in header[1:]):
        return False
    filled = [i for i, v in enumerate(sub) if v is not None]
    if not filled or not all(_is_text(sub[i]) for i in filled):
        return False
    if len(filled) < _filled(tuple(header)):
        return False
    # Below the second header row, at least one of its columns holds something other than text (numbers, dates).
    return any(any(r[i] is not None and not _is_text(r[i]) for r in data) for i in filled)


def _fill_right(header: list[Any]) -> list[str]:
    out: list[str] = []
    last = ""
    for value in header:
        if value is not None and str(value).strip():
            last = str(value).strip()
        out.append(last)
    return out


def _join(top: str, sub: Any) -> str:
    sub_text = "" if sub is None else str(sub).strip()
    if not top or top == sub_text:
        return sub_text or top
    return f"{top} {sub_text}".strip()


def _note_unsaved_formulas(
    data: bytes, filename: str, sheet: str, grid: list[tuple[Any, ...]], notes: list[str]
) -> None:
    """Formulas without a saved result read as empty cells: count them and say how to fix it.

    Only cells that are empty among the values and hold a formula count, so a workbook Excel saved (with
    its results) never gets the note.
    """
    empty = {(i, j) for i, row in enumerate(grid[:FORMULA_SCAN_ROWS]) for j, v in enumerate(row) if v is None}
    if not empty:
        return
    workbook = _open_workbook(data, filename, values=False)
    try:
        unsaved = 0
        for i, row in enumerate(workbook[sheet].iter_rows(values_only=True)):
            if i >= FORMULA_SCAN_ROWS:
                break
            unsaved += sum(1 for j, v in enumerate(row) if isinstance(v, str) and v.startswith("=") and (i, j) in empty)
    finally:
        workbook.close()
    if unsaved:
        notes.append(
            f"{fmt.plural(unsaved, 'formula')} in the sheet had no saved result (the file was written by a program "
            "rather than by Excel), so those cells read as empty. Open the file in Excel or LibreOffice and save it "
            "again, or export the sheet as CSV."
        )

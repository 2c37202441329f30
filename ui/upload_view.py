"""The Data page's "Upload your own" tab: one file in, read with its limits, then set up as the kind it holds.

``read_upload`` sniffs the format: a ZIP of images or an ``.npz`` becomes the active dataset at once; a table
(CSV, TSV, Excel, Parquet) may be a business table (predict one column from the others) or texts with their
labels, so ModelDeck proposes one (``looks_like_table``) and the person can switch; the chosen kind's view
sets it up (:meth:`ui.kind_view.KindView.read_table`). An Excel file with several sheets gets a sheet picker;
a CSV whose rows have extra fields can be repaired in one click (:mod:`ui.field_repair`).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data import tabular
from modeling.data.readers import LIMITS, excel_sheets, read_table
from modeling.data.readers.formats import detect_format
from modeling.errors import DataError
from ui import field_repair, kinds, state

#: How an uploaded table can be read: kind -> what that means (the first is proposed for business tables).
READ_AS = {
    "table": "As a table: predict one column from the other columns",
    "text": "As texts: one text column and its label",
}  # kinds that claim a table themselves (time series) are added by their views
#: Session key: the sheets of the current Excel upload and the tables already read from it.
SHEETS_KEY = "upload_sheets"
TABLE_KEY = "upload_table"
SIGNATURE_KEY = "upload_signature"
#: Session key: the kind the current upload is read as (the Data page shows its set-up when no data is active).
READING_KEY = "upload_reading"


def limits_line() -> str:
    """The upload limits in words, shown before anyone hits them (they are set per server, see README)."""
    pixels = LIMITS.max_image_pixels
    side = int(pixels**0.5)
    return (
        f"Limits on this server: {LIMITS.max_upload_mb:,} MB per file; tables up to {LIMITS.max_rows:,} rows and "
        f"{LIMITS.max_columns:,} columns, {LIMITS.max_text_chars:,} characters per text (longer texts are cut); "
        f"ZIPs up to {LIMITS.max_images:,} images of at most {pixels:,} pixels each (about {side:,} x {side:,}) "
        f"and {LIMITS.max_unzipped_mb:,} MB unpacked."
    )


def upload_tab(shown_notes: set[str]) -> None:
    """What can be uploaded, the uploader, and what follows for the file (notes said here go in ``shown_notes``)."""
    st.markdown(
        "- **Tables:** a CSV, TSV, Excel (.xlsx) or Parquet file with a column to predict (churn, price, ...) and "
        "the columns to predict it from.\n"
        "- **Texts:** a CSV, TSV, Excel (.xlsx) or Parquet table with a text column and a label column.\n"
        "- **Time series:** a CSV, TSV, Excel (.xlsx) or Parquet table with a date column and a number per date "
        "(sales per store per week), to forecast the next weeks or months.\n"
        "- **Images:** a ZIP with one folder per class (`cats/1.png`, `dogs/7.jpg`), PNG or JPEG, any size.\n"
        "- **Arrays:** a NumPy `.npz` with `images` (N x H x W) and `labels` (N)."
    )
    st.caption(limits_line())
    upload = st.file_uploader(
        "Your file",
        type=["csv", "tsv", "txt", "xlsx", "parquet", "zip", "npz"],
        key="data_upload",
        # The browser refuses bigger files before sending them; the server's own cap still applies.
        max_upload_size=min(LIMITS.max_upload_mb, int(st.get_option("server.maxUploadSize"))),
    )
    if upload is None:
        st.session_state.pop(READING_KEY, None)
        return
    raw = upload.getvalue()
    signature = hashlib.sha256(raw).hexdigest() + upload.name
    if st.session_state.get(SIGNATURE_KEY) != signature:
        read_file(raw, upload.name, signature)
    table = st.session_state.get(TABLE_KEY)
    if table is None:  # refused: a file with many lines of extra fields can still be repaired in one click
        field_repair.offer_repair(raw, upload.name, signature, None)
        return
    name, df = table
    for note in df.attrs.get("notes", []):
        st.info(state.md_escape(note))
        shown_notes.add(note)
    field_repair.offer_repair(raw, upload.name, signature, df)
    df, sheet = pick_sheet(raw, upload.name, df, signature)
    kind = read_as(df, f"{signature}:{sheet or ''}")
    kinds.view_for(kind).read_table(df, name, signature, sheet)


def read_file(raw: bytes, name: str, signature: str) -> None:
    """Read a new upload: a table is kept for the set-up below; images become the active dataset at once."""
    st.session_state.pop(TABLE_KEY, None)
    from modeling.data.readers import read_upload

    try:
        if len(raw) > LIMITS.max_upload_mb * 1024 * 1024:
            raise DataError(
                f"The file is {len(raw) / 1e6:.0f} MB; the limit is {LIMITS.max_upload_mb} MB. "
                "Upload a smaller sample of your data."
            )
        with st.spinner("Reading the file…"):
            loaded = read_upload(raw, name)
        st.session_state[SIGNATURE_KEY] = signature
        if isinstance(loaded, pd.DataFrame):
            st.session_state[TABLE_KEY] = (name, loaded)
        else:
            state.set_dataset(loaded)
            st.success(f"Loaded {len(loaded):,} images from {state.md_escape(name)}.")
    except Exception as exc:
        st.session_state.pop(SIGNATURE_KEY, None)
        state.show_error(exc, "reading the file")
        field_repair.remember_error(signature, exc)


def pick_sheet(raw: bytes, name: str, df: pd.DataFrame, signature: str) -> tuple[pd.DataFrame, str | None]:
    """An Excel file with several sheets: a select box, and the chosen sheet's table (read once per sheet)."""
    if detect_format(raw, name) != "excel":
        return df, None
    cached = st.session_state.get(SHEETS_KEY)
    if cached is None or cached[0] != signature:
        try:
            sheets = excel_sheets(raw, name)
        except Exception as exc:
            state.show_error(exc, "listing the sheets")
            return df, None
        cached = (signature, sheets, {})
        st.session_state[SHEETS_KEY] = cached
    _, sheets, tables = cached
    if len(sheets) < 2:
        return df, None
    sheet = st.selectbox(
        "Sheet",
        sheets,
        key=f"sheet_{signature}",
        help="This workbook has several sheets; ModelDeck reads one table from the sheet you pick.",
    )
    if sheet == sheets[0]:
        return df, sheet
    if sheet not in tables:
        try:
            with st.spinner(f"Reading the sheet '{fmt.clip(sheet, 40)}'…"):
                tables[sheet] = read_table(raw, name, sheet=sheet)
        except Exception as exc:
            state.show_error(exc, "reading the sheet")
            return df, None
    return tables[sheet], sheet


def reading_key(signature: str, sheet: str | None) -> str:
    """The widget key of the "How should ModelDeck read this file?" choice for one file and sheet."""
    return f"upload_kind_{signature}:{sheet or ''}"


def read_instead(signature: str, sheet: str | None, kind: str) -> None:
    """Switch the reading of this file and sheet to ``kind`` (a button's callback: before the choice is drawn)."""
    st.session_state[reading_key(signature, sheet)] = kind


def reading() -> str | None:
    """The kind the current upload is read as (``None`` before any table was uploaded in this session)."""
    return st.session_state.get(READING_KEY)


def read_as(df: pd.DataFrame, signature: str) -> str:
    """The kind to read this table as: proposed (with the reason), switchable. ``signature`` names file and sheet.

    Every table can be read as a business table or as texts (:data:`READ_AS`, one of them proposed by
    ``looks_like_table``); a kind whose view claims the table (:meth:`~ui.kind_view.KindView.claim_table`: a time
    series has dates and a number) is offered too, and proposed when its view says so.
    """
    key = f"upload_detect_{signature}"
    if key not in st.session_state:
        is_table, why = tabular.looks_like_table(df)
        options, proposed = dict(READ_AS), "table" if is_table else "text"
        for kind in kinds.VIEWS:
            claim = kinds.view_for(kind).claim_table(df, signature)
            if claim is None or kind in options:
                continue
            options[kind] = claim.option
            if claim.proposed:
                proposed, why = kind, claim.why
        st.session_state[key] = (options, proposed, why)
    options, proposed, why = st.session_state[key]
    names = list(options)
    choice = st.radio(
        "How should ModelDeck read this file?",
        names,
        index=names.index(proposed),
        format_func=options.get,
        horizontal=True,
        key=f"upload_kind_{signature}",
    )
    st.session_state[READING_KEY] = choice
    st.caption(state.md_escape(why))
    return choice

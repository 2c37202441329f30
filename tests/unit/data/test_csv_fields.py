"""CSV rows with more or fewer fields than the header: named by line, never misread, repaired only when unambiguous.

Issue 13: ``text,label`` followed by ``Fast delivery, works well,positive`` used to load without a word,
with the first half of the text in the row index and other rows read with shifted columns.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling.data.readers.csv_fields import FieldCountError, check_fields, line_list, rewrite
from modeling.data.readers.tables import field_report, read_table
from modeling.errors import DataError


def _label(i: int) -> str:
    return "positive" if i % 2 == 0 else "negative"


def _table(lines: list[str], header: str = "text,label") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def _reviews(n: int, comma_every: int) -> tuple[bytes, list[str]]:
    """``n`` reviews written by hand without quotes; every ``comma_every``-th text holds commas."""
    texts = [f"Fast delivery, works well, order {i}" if i % comma_every == 0 else f"plain review {i}" for i in range(n)]
    return _table([f"{t},{_label(i)}" for i, t in enumerate(texts)]), texts


# ---- never misread --------------------------------------------------------------------------------------------
def test_the_first_field_never_slips_into_the_index_and_nothing_shifts():
    data, texts = _reviews(40, comma_every=13)  # 4 of 40 rows have extra fields, the first one among them
    df = read_table(data, "reviews.csv")
    assert list(df.columns) == ["text", "label"]
    assert isinstance(df.index, pd.RangeIndex)
    assert df["text"].tolist() == [t for i, t in enumerate(texts) if i % 13]  # every other row intact, in place
    assert df["label"].tolist() == [_label(i) for i in range(40) if i % 13]
    (note,) = df.attrs["notes"]
    assert note.startswith(
        "4 lines with the wrong number of fields were skipped (lines 2, 15, 28 and 41: more fields than the header's"
    )
    assert "A text probably contains commas without double quotes around it." in note
    assert "Put each text in double quotes (Excel and Google Sheets do this when they save as CSV)" in note
    assert "read_table(data, name, join_extra_fields=True)" in note  # the fix, for the command line too
    assert df.attrs["skipped_lines"] == 4


def test_many_rows_with_extra_fields_are_refused_with_their_lines_and_the_fix():
    data, _ = _reviews(40, comma_every=2)
    with pytest.raises(FieldCountError) as caught:
        read_table(data, "reviews.csv")
    message = str(caught.value)
    assert message.startswith(
        "'reviews.csv' has 20 lines with more fields than its header (2 fields: 'text', 'label'): "
        "lines 2, 4, 6, 8, 10 and 15 more."
    )
    assert "let ModelDeck join the extra fields back into 'text'" in message
    assert caught.value.report.repairable
    assert isinstance(caught.value, DataError)  # every page and the CLI already show DataErrors as sentences


def test_joining_restores_every_text_whole():
    data, texts = _reviews(40, comma_every=2)
    df = read_table(data, "reviews.csv", join_extra_fields=True)
    assert df["text"].tolist() == texts
    assert df["label"].tolist() == [_label(i) for i in range(40)]
    assert df.attrs["notes"] == [
        "20 lines had more fields than the header's 2 (lines 2, 4, 6, 8, 10 and 15 more); their extra fields were "
        "joined back into 'text'. Check a few of them before training."
    ]
    assert df.attrs["skipped_lines"] == 0


def test_the_report_previews_one_line_before_and_after():
    data, _ = _reviews(12, comma_every=5)
    report = field_report(data, "reviews.csv")
    assert report is not None and report.repairable
    assert report.longer == (2, 7, 12)
    assert report.example_line == 2
    assert report.example_before == "Fast delivery, works well, order 0,positive"
    assert report.example_after == ("Fast delivery, works well, order 0", "positive")
    assert report.joined_into == ("text",)


# ---- the shapes of the problem ----------------------------------------------------------------------------------
def test_extra_field_in_the_middle_column():
    lines = [f"{i},nice {i}" + (", truly" if i % 5 == 0 else "") + f",{_label(i)}" for i in range(30)]
    df = read_table(_table(lines, "id,text,label"), "middle.csv", join_extra_fields=True)
    assert df["text"].tolist()[:6] == ["nice 0, truly", "nice 1", "nice 2", "nice 3", "nice 4", "nice 5, truly"]
    assert df["id"].tolist() == list(range(30))


def test_labels_first_and_semicolons():
    lines = [f"{_label(i)};Nice {i}" + ("; really" if i % 4 == 0 else "") for i in range(30)]
    df = read_table(_table(lines, "label;review"), "semi.csv", join_extra_fields=True)
    assert df["review"].iloc[0] == "Nice 0; really" and df["label"].iloc[0] == "positive"
    report = field_report(_table(lines, "label;review"), "semi.csv")
    assert report.cause() == "A text probably contains semicolons without double quotes around it."


def test_a_trailing_delimiter_only_loses_an_empty_field():
    lines = [f"good {i},{_label(i)}" + ("," if i % 5 == 0 else "") for i in range(30)]
    df = read_table(_table(lines), "trailing.csv", join_extra_fields=True)
    assert df["text"].tolist() == [f"good {i}" for i in range(30)]
    assert "their empty extra fields were removed" in df.attrs["notes"][0]


def test_an_extra_field_after_the_label_is_not_glued_into_the_text():
    lines = [f"good {i},{_label(i)}" + (",oops" if i % 3 == 0 else "") for i in range(40)]
    report = field_report(_table(lines), "end.csv")
    assert report.longer[:3] == (2, 5, 8) and not report.repairable
    assert report.why_not.startswith("on line 2 no column can take the extra fields")
    with pytest.raises(DataError, match=r"cannot be joined back safely: on line 2 no column"):
        read_table(_table(lines), "end.csv", join_extra_fields=True)


def test_two_columns_that_could_take_the_comma_are_not_guessed():
    lines = [f"nice {i}," + ("1,234" if i % 5 == 0 else f"{3 * i}") + f",{_label(i)}" for i in range(30)]
    report = field_report(_table(lines, "text,price,label"), "price.csv")
    assert not report.repairable
    assert report.why_not == "on line 2 the extra fields could belong to 'text' or 'price'."
    note = read_table(_table(lines, "text,price,label"), "price.csv").attrs["notes"][0]
    assert "ModelDeck cannot join the extra fields back by itself: on line 2 the extra fields could belong" in note


def test_labels_seen_only_on_lines_with_commas_are_still_repaired():
    # Every positive review happens to hold a comma: 'positive' never occurs on a well-formed line.
    lines = [f"Great, loved it {i},positive" if i % 2 == 0 else f"Bad {i},negative" for i in range(30)]
    df = read_table(_table(lines), "skewed.csv", join_extra_fields=True)
    assert df["label"].value_counts().to_dict() == {"positive": 15, "negative": 15}
    assert df["text"].iloc[0] == "Great, loved it 0"


def test_rows_with_fewer_fields_are_kept_and_named():
    lines = [f"text number {i}" + ("" if i in (3, 8) else f",{_label(i)}") for i in range(30)]
    df = read_table(_table(lines), "short.csv")
    assert len(df) == 30 and df["label"].isna().sum() == 2
    assert df.attrs["notes"] == [
        "2 lines have fewer fields than the header's 2 (lines 5 and 10); the missing values were left empty."
    ]


def test_a_quote_that_never_closes_names_its_line():
    data = b'text,label\nfine,positive\nok,negative\n"Unclosed, then more,negative\nok,positive\n'
    with pytest.raises(DataError, match=r"'q\.csv' has a double quote on line 4 that is never closed"):
        read_table(data, "q.csv")
    assert field_report(data, "q.csv").unclosed_quote == 4


def test_a_stray_quote_that_swallows_lines_blocks_the_repair():
    lines = [f"review {i},{_label(i)}" for i in range(20)]
    lines[5] = '"Stray quote, oops,positive'
    lines[9] = 'closing" here, and more,negative'
    report = field_report(_table(lines), "stray.csv")
    assert report.longer and not report.repairable
    assert "runs on to line 11" in report.why_not


def test_line_numbers_count_physical_lines_with_windows_line_ends_and_quoted_newlines():
    lines = ['"a text\r\nover two lines",positive'] + [f"row {i},{_label(i)}" for i in range(20)]
    lines[10] = "comma, here,negative"
    data = ("\r\n".join(["text,label", *lines]) + "\r\n").encode()
    report = field_report(data, "crlf.csv")
    assert report.longer == (13,)  # header 1, the two-line text 2-3, then one line per row
    df = read_table(data, "crlf.csv", join_extra_fields=True)
    assert df["text"].iloc[0] == "a text\r\nover two lines" and df["text"].iloc[10] == "comma, here"


def test_clean_files_and_other_formats_need_nothing():
    data, _ = _reviews(20, comma_every=1000)  # only row 0 has commas... so quote it
    clean = data.replace(b"Fast delivery, works well, order 0", b'"Fast delivery, works well, order 0"')
    assert read_table(clean, "clean.csv", join_extra_fields=True).attrs["notes"] == []
    report = field_report(clean, "clean.csv")
    assert report.longer == () and report.shorter == () and report.rows == 20
    buf = io.BytesIO()
    pd.DataFrame({"text": ["a", "b"], "label": ["x", "y"]}).to_parquet(buf)
    assert field_report(buf.getvalue(), "t.parquet") is None
    assert field_report(b"", "empty.csv") is None


def test_line_lists_read_naturally():
    assert line_list([3]) == "line 3"
    assert line_list([3, 7]) == "lines 3 and 7"
    assert line_list([3, 7, 12]) == "lines 3, 7 and 12"
    assert line_list(list(range(2, 2000))) == "lines 2, 3, 4, 5, 6 and 1,993 more"


def test_check_fields_stops_at_the_row_limit():
    text = "text,label\n" + "".join(f"a, b {i},x\n" for i in range(50))
    report = check_fields(text, ",", max_rows=10)
    assert report.rows == 10 and len(report.longer) == 10


# ---- the repair never damages a text -------------------------------------------------------------------------------
_WORDS = st.sampled_from(["good", "bad", "fast", "slow", "nice", "ok", "pos", "neg", "1", "2", "3,000", "x"])
_TEXTS = st.tuples(st.lists(_WORDS, min_size=1, max_size=4), st.sampled_from([" ", ", ", ","])).map(
    lambda words_sep: words_sep[1].join(words_sep[0])
)
_LAYOUTS = [("text", "label"), ("label", "text"), ("id", "text", "label"), ("text", "price", "label"), ("a", "b")]


@st.composite
def _hand_written_tables(draw) -> tuple[tuple[str, ...], list[list[str]], list[str]]:
    """A true table, and its lines as a person writes them: no quotes, sometimes a trailing comma."""
    header = draw(st.sampled_from(_LAYOUTS))
    labels = draw(st.sampled_from([["pos", "neg"], ["pos", "neg", "neu"]]))
    rows = []
    for i in range(draw(st.integers(1, 40))):
        row = []
        for name in header:
            if name in ("label", "b"):
                row.append(draw(st.sampled_from(labels)))
            elif name == "id":
                row.append(str(i))
            elif name == "price":
                row.append(draw(st.sampled_from(["12", "7", "1,234", "99"])))
            else:
                row.append(draw(_TEXTS))
        rows.append(row)
    lines = [",".join(row) + ("," if draw(st.integers(0, 9)) == 0 else "") for row in rows]
    return header, rows, lines


@settings(max_examples=300, deadline=None)
@given(_hand_written_tables())
def test_a_repair_that_is_offered_gives_back_exactly_the_table_that_was_meant(table):
    """Whatever the layout, the repair is either refused or rebuilds every row exactly (16,000 more in the report)."""
    header, rows, lines = table
    report = field_report(_table(lines, ",".join(header)), "hand.csv")
    if report is None or not report.repairable:
        return
    text = _table(lines, ",".join(header)).decode()
    repaired = rewrite(text, report, join=True, max_rows=1000)
    assert list(csv.reader(io.StringIO(repaired)))[1:] == rows


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_TEXTS, st.sampled_from(["pos", "neg"])), min_size=1, max_size=40))
def test_without_the_repair_rows_are_skipped_or_refused_never_shifted(rows):
    data = _table([f"{text},{label}" for text, label in rows])
    try:
        df = read_table(data, "hand.csv")
    except FieldCountError:
        return
    kept = [(text, label) for text, label in rows if "," not in text]
    assert list(zip(df["text"].astype(str), df["label"], strict=True)) == kept

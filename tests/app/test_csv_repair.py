"""Issue 13 on the Data page: CSV rows whose texts hold unquoted commas are named, previewed, repaired in a click."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from modeling.data.readers.csv_fields import REPAIR_BUTTON
from tests.app.helpers import errors, page_text, plain, upload, use_columns

TEXTS = [
    "Fast delivery, works well",
    "Broke after a week",
    "Great value, great sound, would buy again",
    "Not worth the money",
    "Arrived late, but support was helpful",
    "Does what it says",
]


def _label(i: int) -> str:
    return "positive" if i % 2 == 0 else "negative"


def _csv(n: int, text=lambda i: f"{TEXTS[i % len(TEXTS)]} ({i})") -> bytes:
    """``text,label`` rows written by hand, without quotes: every text with a comma gets extra fields."""
    return ("text,label\n" + "\n".join(f"{text(i)},{_label(i)}" for i in range(n)) + "\n").encode()


def _infos(at: AppTest) -> str:
    return plain(" ".join(i.value for i in at.info))


def _repair_button(at: AppTest):
    return next((b for b in at.button if b.label == REPAIR_BUTTON), None)


def test_many_rows_with_commas_are_refused_named_previewed_and_repaired():
    at = upload("reviews.csv", _csv(60))  # 30 of 60 texts hold commas: too many to skip
    error = errors(at)
    assert "'reviews.csv' has 30 lines with more fields than its header (2 fields: 'text', 'label')" in error
    assert "lines 2, 4, 6, 8, 10 and 25 more" in error
    assert "Put each text in double quotes (Excel and Google Sheets do this when they save as CSV)" in error
    assert "Traceback" not in page_text(at)
    # The preview: line 2 as written, and the same line after the repair, column by column.
    assert [c.value for c in at.code] == ["Fast delivery, works well (0),positive"]
    preview = at.dataframe[0].value
    assert preview["Column"].tolist() == ["text", "label"]
    assert preview["Value"].tolist() == ["Fast delivery, works well (0)", "positive"]

    _repair_button(at).click().run()
    assert not at.exception and not at.error
    assert "30 lines had more fields than the header's 2" in _infos(at)
    assert "their extra fields were joined back into 'text'" in _infos(at)
    assert _repair_button(at) is None  # done: the offer is gone
    use_columns(at, "text", "label")
    ds = at.session_state["dataset"]
    assert len(ds) == 60 and ds.class_names == ["negative", "positive"]
    assert "Great value, great sound, would buy again (2)" in ds.texts.tolist()  # whole, commas included
    assert "Fast delivery, works well (0)" in ds.texts.tolist()


def test_a_few_rows_with_commas_are_skipped_with_their_lines_and_can_be_joined_back():
    no_commas = [t for t in TEXTS if "," not in t]
    content = _csv(40, text=lambda i: "Fast delivery, works well" if i in (5, 17) else f"{no_commas[i % 3]} {i}")
    at = upload("mostly_clean.csv", content)
    assert not at.error
    note = _infos(at)
    assert "2 lines with the wrong number of fields were skipped (lines 7 and 19: more fields than" in note
    assert any(m.value.startswith("**38 rows, 2 columns.**") for m in at.markdown)
    _repair_button(at).click().run()
    assert any(m.value.startswith("**40 rows, 2 columns.**") for m in at.markdown)
    use_columns(at, "text", "label")
    assert at.session_state["dataset"].texts.tolist().count("Fast delivery, works well") == 2


def test_no_repair_is_offered_when_it_would_guess():
    # The extra field is after the label: joining it into the text would make 'oops' a label.
    lines = [f"good {i},{_label(i)}" + (",oops" if i % 3 == 0 else "") for i in range(40)]
    at = upload("extra_at_end.csv", ("text,label\n" + "\n".join(lines)).encode())
    error = errors(at)
    assert "has 14 lines with more fields than its header" in error
    assert "ModelDeck cannot join the extra fields back by itself: on line 2" in error
    assert _repair_button(at) is None and not at.code


def test_a_quote_that_never_closes_is_named_by_line():
    content = b'text,label\nfine,positive\n"Unclosed quote, then more,negative\nok,positive\n'
    at = upload("quote.csv", content)
    assert "'quote.csv' has a double quote on line 3 that is never closed" in errors(at)
    assert _repair_button(at) is None


def test_rows_with_missing_fields_are_kept_and_named():
    lines = [f"text number {i}" + ("" if i in (3, 8) else f",{_label(i)}") for i in range(30)]
    at = upload("short.csv", ("text,label\n" + "\n".join(lines)).encode())
    assert "2 lines have fewer fields than the header's 2 (lines 5 and 10); the missing values were left empty" in (
        _infos(at)
    )
    use_columns(at, "text", "label")
    assert len(at.session_state["dataset"]) == 28  # the two without a label are dropped, with their own note

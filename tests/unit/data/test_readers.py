"""Readers: every supported format, the messy files people really upload, and hostile archives."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from modeling.data.dataset import Dataset
from modeling.data.readers import (
    LIMITS,
    UploadLimits,
    dataset_from_table,
    guess_columns,
    read_image_zip,
    read_npz,
    read_table,
    read_upload,
)
from modeling.data.sources import load_source
from modeling.errors import DataError
from tests.conftest import SHARED_DATA

SHARED = SHARED_DATA
IMDB = SHARED / "imdb_reviews_2000.csv"
MNIST_8K = SHARED / "mnist_8k.npz"
MB_BYTES = 1024 * 1024


# ---- helpers -----------------------------------------------------------------------------------------
def review_rows(n: int = 20) -> list[tuple[str, str]]:
    words = ["great", "awful", "fine", "boring", "lovely", "bad"]
    return [(f"review number {i} was {words[i % len(words)]}", "pos" if i % 2 else "neg") for i in range(n)]


def csv_bytes(rows, header=("text", "label"), sep=",", encoding="utf-8", newline="\n") -> bytes:
    lines = [sep.join(header)] + [sep.join(f'"{c}"' if sep in c else c for c in row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def png_bytes(size=(12, 10), colour=(255, 0, 0), mode="RGB", fmt="PNG") -> bytes:
    buf = io.BytesIO()
    fill = colour if mode in ("RGB", "RGBA") else colour[0]
    Image.new(mode, size, fill).save(buf, format=fmt)
    return buf.getvalue()


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


@pytest.fixture
def limits(monkeypatch):
    """Lets a test lower one limit; monkeypatch restores it."""

    def set_limit(name: str, value: int) -> None:
        monkeypatch.setattr(LIMITS, name, value)

    return set_limit


# ---- tables: formats ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sep", "filename"),
    [(",", "data.csv"), (";", "data.csv"), ("\t", "data.tsv"), ("\t", "data.txt"), ("|", "data.csv")],
)
def test_read_table_sniffs_delimiter(sep, filename):
    rows = [*review_rows(12), ("a text, with; commas\tand tabs", "pos")]
    df = read_table(csv_bytes(rows, sep=sep), filename)
    assert list(df.columns) == ["text", "label"]
    assert len(df) == 13
    assert df["text"].iloc[-1] == "a text, with; commas\tand tabs"


def test_read_table_encodings_bom_latin1_crlf():
    rows = [("crème brûlée était délicieuse", "pos"), *review_rows(12)]
    bom = b"\xef\xbb\xbf" + csv_bytes(rows, newline="\r\n")
    df = read_table(bom, "bom.csv")
    assert list(df.columns) == ["text", "label"]  # no BOM glued to the first name
    assert df["text"].iloc[0] == "crème brûlée était délicieuse"
    assert not df["label"].astype(str).str.contains("\r").any()

    latin = csv_bytes(rows, sep=";", encoding="latin-1")
    df = read_table(latin, "latin.csv")
    assert df["text"].iloc[0] == "crème brûlée était délicieuse"

    utf16 = csv_bytes(rows).decode("utf-8").encode("utf-16")
    assert read_table(utf16, "wide.csv")["text"].iloc[0] == "crème brûlée était délicieuse"


def test_read_table_excel_and_parquet():
    frame = pd.DataFrame(review_rows(15), columns=["text", "label"])
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, engine="openpyxl")
    df = read_table(buf.getvalue(), "book.xlsx")
    assert list(df.columns) == ["text", "label"] and len(df) == 15

    buf = io.BytesIO()
    frame.to_parquet(buf)
    df = read_table(buf.getvalue(), "table.parquet")
    assert df["text"].tolist() == frame["text"].tolist()


def test_excel_without_extension_is_recognised_by_content():
    buf = io.BytesIO()
    pd.DataFrame(review_rows(12), columns=["text", "label"]).to_excel(buf, index=False, engine="openpyxl")
    assert len(read_table(buf.getvalue(), "download")) == 12


def test_duplicate_and_blank_column_names_become_unique():
    data = b"text,text,label, \n" + b"".join(f"t{i},u{i},{i % 2},x\n".encode() for i in range(12))
    df = read_table(data, "dupes.csv")
    assert len(set(df.columns)) == 4
    assert df.columns[0] == "text" and df.columns[1].startswith("text.")


def test_ragged_lines_are_skipped_with_a_note():
    data = csv_bytes(review_rows(30)) + b"one,too,many\n" + csv_bytes(review_rows(5), header=("x", "y"))[4:]
    df = read_table(data, "ragged.csv")
    assert len(df) >= 30
    assert any("wrong number of fields" in note for note in df.attrs["notes"])


# ---- tables: bad files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"text,label\n", "no rows"),
        (b"text,label\r\n", "no rows"),
        (b"\x00\x01\x02binary\x00\xff\xfe" * 50, "binary"),
        (bytes(range(128, 256)) * 20, "binary"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "single picture"),
        (b"PK\x03\x04" + b"\x00" * 30, "ZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30, r"\.xls"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 30, "gzip"),
    ],
)
def test_bad_tables_raise_data_error(data, phrase):
    with pytest.raises(DataError, match=phrase):
        read_table(data, "upload.csv")


def test_damaged_excel_and_parquet_give_clear_errors():
    with pytest.raises(DataError, match="Excel"):
        read_table(b"PK\x03\x04 not really a workbook", "book.xlsx")
    with pytest.raises(DataError, match="Parquet"):
        read_table(b"PAR1 garbage garbage PAR1", "table.parquet")


def test_row_and_column_limits_are_stated(limits):
    limits("max_rows", 10)
    with pytest.raises(DataError, match=r"more than 10 rows"):
        read_table(csv_bytes(review_rows(11)), "big.csv")
    assert len(read_table(csv_bytes(review_rows(10)), "ok.csv")) == 10
    limits("max_columns", 3)
    wide = b"a,b,c,d\n" + b"1,2,3,4\n" * 3
    with pytest.raises(DataError, match="4 columns; the limit is 3"):
        read_table(wide, "wide.csv")


def test_upload_size_limit(limits):
    limits("max_upload_mb", 1)
    with pytest.raises(DataError, match="limit is 1 MB"):
        read_table(b"a,b\n" + b"x,y\n" * 300_000, "huge.csv")


def test_limits_from_environment():
    limits = UploadLimits.from_env({"MODELDECK_MAX_ROWS": "1_000", "MODELDECK_MAX_IMAGES": "oops"})
    assert limits.max_rows == 1000
    assert limits.max_images == UploadLimits().max_images


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=1000).map(lambda s: s.encode("utf-8")),
        st.lists(st.lists(st.text(alphabet=st.characters(), max_size=8), max_size=5), max_size=30).map(
            lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_read_table_on_arbitrary_bytes_returns_frame_or_data_error(data):
    try:
        df = read_table(data, "fuzz.csv")
    except DataError as exc:
        assert str(exc)
    else:
        assert isinstance(df, pd.DataFrame)
        assert len(df) > 0 and df.columns.is_unique


# ---- choosing columns --------------------------------------------------------------------------------
def test_guess_columns_prefers_long_text_and_label_names():
    df = pd.DataFrame(
        {
            "id": range(40),
            "lang": ["en", "fr", "de"] * 13 + ["en"],
            "comment": [f"this is a fairly long comment number {i}" for i in range(40)],
            "sentiment": ["positive", "negative"] * 20,
            "Unnamed: 4": [None] * 40,
        }
    )
    assert guess_columns(df) == ("comment", "sentiment")


def test_guess_columns_without_label_names_picks_fewest_values_and_ignores_empty_columns():
    df = pd.DataFrame(
        {
            "C": [np.nan] * 30,
            "body": [f"some words here {i}" for i in range(30)],
            "stars": [1, 2, 3, 4, 5] * 6,
            "flag": ["y", "n"] * 15,
            "blank": [""] * 30,
        }
    )
    assert guess_columns(df) == ("body", "flag")
    assert guess_columns(pd.DataFrame({"x": [1.0, 2.0]})) == (None, None)


@pytest.mark.skipif(not IMDB.exists(), reason=f"shared real data not available at {SHARED}")
def test_shared_imdb_file_loads_and_columns_are_guessed():
    df = read_table(IMDB.read_bytes(), IMDB.name)
    assert df.shape == (2000, 12)
    assert guess_columns(df) == ("review", "sentiment")
    ds = load_source(str(IMDB))
    assert ds.class_names == ["negative", "positive"]
    assert len(ds) == 2000 and ds.text_column == "review"


# ---- dataset_from_table ------------------------------------------------------------------------------
def test_dataset_from_table_cleans_and_notes(limits):
    limits("max_text_chars", 40)
    rows = review_rows(20)
    df = pd.DataFrame(rows, columns=["text", "label"])
    df.loc[0, "label"] = None
    df.loc[1, "text"] = "   "
    df.loc[2, "text"] = None
    df.loc[3, "text"] = "x" * 100
    df.loc[4, "text"] = "  padded text  "
    ds = dataset_from_table(df, "text", "label", name="reviews", source="upload.csv")
    assert isinstance(ds, Dataset) and ds.kind == "text"
    assert len(ds) == 17
    assert ds.class_names == ["neg", "pos"]
    assert "padded text" in ds.texts.tolist()
    assert max(len(t) for t in ds.texts) == 40
    joined = " ".join(ds.notes)
    assert "1 row without a label (empty, or a placeholder such as N/A or null) was dropped" in joined
    assert "2 rows with an empty text (or a placeholder such as N/A) were dropped" in joined
    assert "cut to that length" in joined


def test_dataset_from_table_numeric_labels_read_naturally():
    df = pd.DataFrame({"text": [f"t {i}" for i in range(15)], "y": [1.0, 0.0, np.nan] * 5})
    ds = dataset_from_table(df, "text", "y", name="n")
    assert ds.class_names == ["0", "1"]
    assert len(ds) == 10


@pytest.mark.parametrize(
    ("labels", "phrase"),
    [
        (["positive"] * 12, r"only one label value \('positive'\)"),
        ([f"id-{i}" for i in range(12)], "looks like an ID"),
        (["a", "b"] * 4, "Only 8 usable rows"),
    ],
)
def test_dataset_from_table_refuses_unusable_labels(labels, phrase):
    df = pd.DataFrame({"text": [f"text {i}" for i in range(len(labels))], "label": labels})
    with pytest.raises(DataError, match=phrase):
        dataset_from_table(df, "text", "label", name="bad")


def test_dataset_from_table_too_many_classes_and_wrong_columns():
    df = pd.DataFrame({"text": [f"text {i}" for i in range(404)], "label": [f"c{i % 101}" for i in range(404)]})
    with pytest.raises(DataError, match="at most 100 classes"):
        dataset_from_table(df, "text", "label", name="bad")
    with pytest.raises(DataError, match="'review' is not in the table"):
        dataset_from_table(df, "review", "label", name="bad")
    with pytest.raises(DataError, match="same"):
        dataset_from_table(df, "text", "text", name="bad")


# ---- image ZIPs --------------------------------------------------------------------------------------
def test_image_zip_colour_with_junk_and_mac_files():
    members = {f"cats/c{i}.png": png_bytes(colour=(200, 30, 30)) for i in range(3)}
    members |= {f"dogs/d{i}.jpg": png_bytes(size=(40, 30), colour=(20, 30, 200), fmt="JPEG") for i in range(2)}
    members |= {
        "__MACOSX/cats/._c0.png": b"junk",
        "cats/.DS_Store": b"junk",
        "dogs/Thumbs.db": b"junk",
        "dogs/notes.txt": b"not an image",
    }
    ds = read_image_zip(make_zip(members), "pets.zip", image_size=16)
    assert ds.kind == "image" and ds.images.shape == (5, 16, 16, 3) and ds.images.dtype == np.uint8
    assert ds.class_names == ["cats", "dogs"] and ds.class_counts() == {"cats": 3, "dogs": 2}
    assert any("1 file that is not an image was skipped" in n for n in ds.notes)
    assert ds.images[0, 8, 8, 0] > 150 and ds.images[0, 8, 8, 2] < 80


def test_image_zip_grey_nested_root_and_natural_class_order():
    members = {f"digits/{d}/img{i}.png": png_bytes(mode="L", colour=(d * 20,)) for d in (0, 2, 10) for i in range(2)}
    members["digits/readme.png"] = png_bytes(mode="L")
    ds = read_image_zip(make_zip(members), "digits.zip")
    assert ds.images.shape == (6, 28, 28, 1)
    assert ds.class_names == ["0", "2", "10"]
    assert any("outside any class folder" in n for n in ds.notes)


def test_image_zip_rgb_pictures_that_are_grey_stay_single_channel():
    members = {f"{c}/x{i}.png": png_bytes(colour=(90, 90, 90)) for c in "ab" for i in range(2)}
    members["a/t.png"] = png_bytes(mode="RGBA", colour=(0, 0, 0, 0))  # transparent -> white background
    ds = read_image_zip(make_zip(members), "grey.zip", image_size=8)
    assert ds.images.shape[-1] == 1
    assert ds.images[ds.labels == 0].max() == 255


@pytest.mark.parametrize("bad_name", ["../evil.png", "/etc/evil.png", "cats/../../evil.png"])
def test_image_zip_refuses_path_traversal(bad_name):
    members = {"cats/a.png": png_bytes(), "dogs/b.png": png_bytes(), bad_name: png_bytes()}
    with pytest.raises(DataError, match="unsafe path"):
        read_image_zip(make_zip(members), "evil.zip")


def test_image_zip_refuses_zip_bomb():
    members = {"cats/a.png": png_bytes(), "dogs/b.png": png_bytes(), "dogs/bomb.png": bytes(50 * 1024 * 1024)}
    data = make_zip(members)
    assert len(data) < 1024 * 1024
    with pytest.raises(DataError, match="zip bomb"):
        read_image_zip(data, "bomb.zip")


def test_image_zip_refuses_decompression_bomb(limits):
    limits("max_image_pixels", 100)
    members = {"cats/a.png": png_bytes(size=(5, 5)), "dogs/b.png": png_bytes(size=(64, 64))}
    with pytest.raises(DataError, match="far too large"):
        read_image_zip(make_zip(members), "pixels.zip")
    assert Image.MAX_IMAGE_PIXELS != 100  # the global Pillow setting is restored


def test_image_zip_member_and_count_limits(limits):
    members = {f"{c}/{i}.png": png_bytes(size=(4, 4)) for c in "ab" for i in range(3)}
    limits("max_images", 5)
    with pytest.raises(DataError, match="6 images; the limit is 5"):
        read_image_zip(make_zip(members), "many.zip")
    limits("max_zip_members", 4)
    with pytest.raises(DataError, match="6 files; the limit is 4"):
        read_image_zip(make_zip(members), "many.zip")


def test_image_zip_skips_damaged_images_but_not_all():
    good = png_bytes(size=(20, 20))
    members = {"a/1.png": good, "a/2.png": good[:40], "b/1.png": good, "b/2.jpg": b"\xff\xd8\xff not a jpeg"}
    ds = read_image_zip(make_zip(members), "some-bad.zip")
    assert len(ds) == 2
    assert any("2 images could not be read" in n for n in ds.notes)
    broken = {"a/1.png": good[:40], "b/1.png": b"nope"}
    with pytest.raises(DataError, match="None of the 2 images"):
        read_image_zip(make_zip(broken), "all-bad.zip")


@pytest.mark.parametrize(
    ("members", "phrase"),
    [
        ({"a.png": png_bytes(), "b.png": png_bytes()}, "not in class folders"),
        ({"cats/a.png": png_bytes(), "cats/b.png": png_bytes()}, "single folder 'cats'"),
        ({"x/cats/a.png": png_bytes(), "x/dogs/b.png": b""}, r"only one label value \('cats'\).*own folder"),
        ({"readme.txt": b"hello"}, "no PNG or JPEG"),
    ],
)
def test_image_zip_layout_errors_explain_expected_layout(members, phrase):
    with pytest.raises(DataError, match=phrase):
        read_image_zip(make_zip(members), "layout.zip")


def test_image_zip_not_a_zip():
    with pytest.raises(DataError, match="not a valid ZIP"):
        read_image_zip(b"definitely not a zip file", "broken.zip")


# ---- npz ---------------------------------------------------------------------------------------------
def test_npz_grey_uint8_and_string_labels():
    images = np.random.default_rng(0).integers(0, 256, (20, 9, 9), dtype=np.uint8)
    labels = np.array(["cat", "dog"] * 10)
    ds = read_npz(npz_bytes(images=images, labels=labels), "pets.npz")
    assert ds.images.shape == (20, 9, 9, 1)
    assert np.array_equal(ds.images[..., 0], images)
    assert ds.class_names == ["cat", "dog"]


def test_npz_float_colour_images_are_scaled():
    images = np.full((12, 5, 5, 3), 0.5, dtype=np.float32)
    ds = read_npz(npz_bytes(images=images, labels=np.arange(12) % 3), "f.npz")
    assert ds.images.dtype == np.uint8 and int(ds.images.max()) == 128
    assert ds.class_names == ["0", "1", "2"]
    wide = read_npz(npz_bytes(images=np.arange(12 * 4).reshape(12, 2, 2) * 100, labels=np.arange(12) % 2), "w.npz")
    assert wide.images.max() == 255 and any("rescaled" in n for n in wide.notes)


@pytest.mark.parametrize(
    ("arrays", "phrase"),
    [
        ({"x": np.zeros((4, 2, 2)), "y": np.zeros(4)}, "no array named 'images' or 'labels'"),
        ({"images": np.zeros((4, 2, 2)), "labels": np.array([0, 1, 0])}, "4 images but 3 labels"),
        ({"images": np.zeros((4, 2)), "labels": np.array([0, 1, 0, 1])}, "shape"),
        ({"images": np.zeros((4, 2, 2)), "labels": np.zeros(4)}, "only one label value"),
        ({"images": np.array([[["a"]]] * 4), "labels": np.array([0, 1, 0, 1])}, "must be numbers"),
        ({"images": np.zeros((4, 2, 2)), "labels": np.array([{}, 1, 2, 3], dtype=object)}, "Python objects"),
    ],
)
def test_npz_errors(arrays, phrase):
    with pytest.raises(DataError, match=phrase):
        read_npz(npz_bytes(**arrays), "bad.npz")


def test_npz_not_an_archive():
    with pytest.raises(DataError, match=r"not a valid \.npz"):
        read_npz(b"nonsense", "bad.npz")


@pytest.mark.skipif(not MNIST_8K.exists(), reason=f"shared real data not available at {SHARED}")
def test_shared_mnist_npz_loads():
    ds = read_npz(MNIST_8K.read_bytes(), MNIST_8K.name)
    assert ds.images.shape == (8000, 28, 28, 1)
    assert ds.class_names == [str(i) for i in range(10)]


# ---- dispatch and sources ----------------------------------------------------------------------------
def test_read_upload_dispatches_on_extension_and_content():
    assert isinstance(read_upload(csv_bytes(review_rows(12)), "t.csv"), pd.DataFrame)
    images = {f"{c}/{i}.png": png_bytes(size=(4, 4)) for c in "ab" for i in range(2)}
    assert isinstance(read_upload(make_zip(images), "imgs.zip"), Dataset)
    assert isinstance(read_upload(make_zip(images), "imgs"), Dataset)
    arrays = npz_bytes(images=np.zeros((4, 3, 3), np.uint8), labels=np.array([0, 1, 0, 1]))
    assert isinstance(read_upload(arrays, "a.npz"), Dataset)
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    with pytest.raises(DataError, match=r"single NumPy array"):
        read_upload(buf.getvalue(), "a.npy")
    with pytest.raises(DataError, match="not a file type"):
        read_upload(b'{"a": 1}', "data.json")


def test_load_source_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [(text, f"subject {i}", label) for i, (text, label) in enumerate(review_rows(20))]
    (tmp_path / "t.csv").write_bytes(csv_bytes(rows, header=("message", "subject", "category")))
    ds = load_source("t.csv")
    assert (ds.text_column, ds.label_column, ds.source) == ("message", "category", "t.csv")
    ds = load_source("t.csv", text_column="subject", label_column="category")
    assert ds.text_column == "subject" and ds.texts[0] == "subject 0"
    with pytest.raises(DataError, match="does not exist"):
        load_source("missing.csv")
    with pytest.raises(DataError, match="folder"):
        load_source(".")
    (tmp_path / "a.npz").write_bytes(npz_bytes(images=np.zeros((4, 3, 3), np.uint8), labels=np.array([0, 1, 0, 1])))
    assert load_source("a.npz").source == "a.npz"


# ---- issue 5: every hostile or broken input on the list, each with its specific message ----------------
def _rows_csv(n: int = 30, sep: str = ",", label=lambda i: "pos" if i % 2 else "neg") -> str:
    return "\n".join(f"review number {i} was fine{sep}{label(i)}" for i in range(n))


@pytest.mark.parametrize(
    ("name", "data", "note"),
    [
        (
            "latin1.csv",
            ("text,label\n" + "\n".join(f"crème brûlée {i},{'pos' if i % 2 else 'neg'}" for i in range(20))).encode(
                "latin-1"
            ),
            "is not UTF-8 text, so it was read as Windows-1252",
        ),
        ("semicolons.csv", ("text;label\n" + _rows_csv(20, ";")).encode(), "separated by semicolons"),
        ("tabs.csv", ("text\tlabel\n" + _rows_csv(20, "\t")).encode(), "separated by tabs"),
        (
            "dupes.csv",
            ("text,text,label\n" + "\n".join(f"a {i},b {i},{'pos' if i % 2 else 'neg'}" for i in range(20))).encode(),
            "Some column names appear more than once ('text')",
        ),
        ("long_header.csv", ("x" * 5000 + ",label\n" + _rows_csv(20)).encode(), "Column names longer than 100"),
    ],
)
def test_odd_but_readable_tables_load_with_a_note(name, data, note):
    df = read_table(data, name)
    assert len(df) == 20
    assert any(note in n for n in df.attrs["notes"]), df.attrs["notes"]
    assert all(len(c) <= 100 for c in df.columns) and df.columns.is_unique


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_two_columns_of_one_name_are_both_kept_and_the_note_says_what_they_are_called(kind):
    rows = [["id", "spend", "spend", "churn"], *[[i, i * 3, i * 5, "yes" if i % 3 else "no"] for i in range(30)]]
    if kind == "csv":
        data = "\n".join(",".join(map(str, row)) for row in rows).encode()
    else:
        import openpyxl

        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    df = read_table(data, f"t.{kind}")
    assert list(df.columns) == ["id", "spend", "spend.1", "churn"] and df["spend.1"].iloc[2] == 10
    notes = " ".join(df.attrs["notes"])
    assert "2 columns are called 'spend'" in notes and "the second is now 'spend.1'" in notes


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bom_and_crlf_are_silent_and_clean(prefix, newline):
    data = prefix + ("text,label" + newline + _rows_csv(20).replace("\n", newline) + newline).encode()
    df = read_table(data, "clean.csv")
    assert list(df.columns) == ["text", "label"]
    assert df.attrs["notes"] == []  # nothing to report: these are ordinary files
    assert set(df["label"]) == {"pos", "neg"}


def test_thousands_of_columns_are_refused_before_parsing_at_the_default_limit():
    assert LIMITS.max_columns == UploadLimits().max_columns  # the default, not a lowered test limit
    width = LIMITS.max_columns + 500
    data = (",".join(f"c{i}" for i in range(width)) + "\n" + ",".join("1" for _ in range(width)) + "\n").encode()
    with pytest.raises(DataError, match=rf"has {width:,} columns; the limit is {LIMITS.max_columns:,}"):
        read_table(data, "wide.csv")


def test_one_enormous_cell_is_read_and_cut_to_the_text_limit():
    big = "word " * 2_000_000  # 10 MB in one cell
    data = ("text,label\n" + f'"{big}",pos\n' + _rows_csv(20) + "\n").encode()
    df = read_table(data, "big_cell.csv")
    assert len(df) == 21
    ds = dataset_from_table(df, "text", "label", name="big")
    assert max(len(t) for t in ds.texts) == LIMITS.max_text_chars
    assert any(f"longer than {LIMITS.max_text_chars:,} characters was cut" in n for n in ds.notes)


def test_numbers_with_thousands_separators_and_na_are_read_as_numbers():
    lines = ["text,amount,label"] + [f'text {i},"{1000 + 37 * i:,}",{"pos" if i % 2 else "neg"}' for i in range(20)]
    lines.append("text twenty,N/A,pos")
    df = read_table("\n".join(lines).encode(), "money.csv")
    assert pd.api.types.is_numeric_dtype(df["amount"])
    assert df["amount"].iloc[1] == 1037 and pd.isna(df["amount"].iloc[-1])
    assert any("thousands separators (like 1,234) in 'amount'" in n for n in df.attrs["notes"])
    assert guess_columns(df) == ("text", "label")  # a column of figures is never taken for the text


def test_numbers_in_semicolon_files_keep_the_comma_as_text():
    lines = ["text;price;label"] + [f"text {i};1,500;{'pos' if i % 2 else 'neg'}" for i in range(20)]
    df = read_table("\n".join(lines).encode(), "eu.csv")
    assert df["price"].iloc[0] == "1,500"  # 1.5 in Europe, 1500 in the US: not guessed


def test_label_placeholders_and_blanks_are_dropped_with_a_note():
    lines = ["text,label"] + [f"text {i},{'pos' if i % 2 else 'neg'}" for i in range(20)]
    lines += ["missing one,N/A", "missing two,", "missing three,null", "N/A,pos"]
    ds = dataset_from_table(read_table("\n".join(lines).encode(), "gaps.csv"), "text", "label", name="gaps")
    assert len(ds) == 20 and ds.class_names == ["neg", "pos"]
    assert "3 rows without a label (empty, or a placeholder such as N/A or null) were dropped." in ds.notes
    assert "1 row with an empty text (or a placeholder such as N/A) was dropped." in ds.notes


@pytest.mark.parametrize(
    ("labels", "phrase"),
    [
        ([f"{i}" for i in range(30)], "a different value in every row"),
        ([f"{i % 20}" for i in range(30)], "20 different values for 30 examples, so most appear only once"),
        ([("pos " if i % 2 else "neg ") * 30 for i in range(30)], "Did you swap the text and label columns"),
        (["only"] * 30, r"only one label value \('only'\)"),
    ],
)
def test_label_columns_that_are_not_categories_are_refused(labels, phrase):
    df = pd.DataFrame({"text": [f"text {i}" for i in range(30)], "label": labels})
    with pytest.raises(DataError, match=phrase):
        dataset_from_table(df, "text", "label", name="bad")


def test_one_row_table_reads_but_cannot_train():
    df = read_table(b"text,label\nhello there,pos\n", "one.csv")
    assert len(df) == 1
    with pytest.raises(DataError, match="Only 1 usable row left"):
        dataset_from_table(df, "text", "label", name="one")


def _png_claiming(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims width x height: a decompression bomb in 70 bytes."""
    raw = bytearray(png_bytes(size=(1, 1)))
    header = bytearray(raw[12:29])  # chunk type + IHDR data
    header[4:12] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    raw[12:29] = header
    raw[29:33] = (zlib.crc32(bytes(header)) & 0xFFFFFFFF).to_bytes(4, "big")
    return bytes(raw)


@pytest.mark.parametrize("side", [5_000, 100_000])
def test_pixel_bomb_is_refused_at_the_default_limit_without_decoding(side):
    bomb = _png_claiming(side, side)
    assert len(bomb) < 100
    members = {"cats/a.png": png_bytes(), "dogs/b.png": png_bytes(), "dogs/bomb.png": bomb}
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"'dogs/bomb\.png' is far too large.*16,777,216 pixels"):
            read_upload(make_zip(members), "bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB_BYTES, f"{peak / MB_BYTES:.1f} MB used to refuse a pixel bomb"


def test_zip_bomb_of_many_small_members_is_refused_on_declared_sizes():
    members = {f"cats/{i}.png": bytes(MB_BYTES) for i in range(LIMITS.max_unzipped_mb + 50)}
    members["dogs/a.png"] = png_bytes()
    data = make_zip(members)
    assert len(data) < 3 * MB_BYTES  # ~1 GB of zeros in a small archive
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=rf"would unpack to [\d,]+ MB; the limit is {LIMITS.max_unzipped_mb:,} MB"):
            read_upload(data, "bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * MB_BYTES, f"{peak / MB_BYTES:.1f} MB used to refuse a zip bomb"


def test_single_member_zip_bomb_streamed_is_refused_with_bounded_memory():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cats/a.png", png_bytes())
        zf.writestr("dogs/b.png", png_bytes())
        with zf.open("dogs/huge.png", "w", force_zip64=True) as fh:
            for _ in range(16):
                fh.write(bytes(16 * MB_BYTES))  # 256 MB of zeros
    data = buf.getvalue()
    assert len(data) < MB_BYTES
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"'dogs/huge\.png' would unpack to 256 MB from .* zip bombs"):
            read_upload(data, "bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * MB_BYTES


@pytest.mark.parametrize(
    "bad_name", ["../evil.png", "/tmp/evil.png", "cats/../../evil.png", "..\\evil.png", "C:/evil.png", "C:\\evil.png"]
)
def test_hostile_archives_write_nothing_anywhere(bad_name, tmp_path, monkeypatch):
    """Members are read in memory, never extracted: no file appears in the working folder or beside it."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def no_extract(*args, **kwargs):
        raise AssertionError("an archive member was extracted to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", no_extract)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", no_extract)
    members = {"cats/a.png": png_bytes(), "dogs/b.png": png_bytes(), bad_name: png_bytes()}
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(DataError, match="unsafe path"):
        read_upload(make_zip(members), "evil.zip")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not Path("/tmp/evil.png").exists()


def test_images_that_are_not_images_are_skipped_with_a_count():
    good = png_bytes(size=(20, 20))
    members = {
        "cats/1.png": good,
        "cats/2.png": b"this is text with a .png name",
        "cats/3.jpg": good[:50],  # truncated
        "dogs/1.png": good,
        "dogs/2.gif": bytes(range(256)),
        "dogs/readme.md": b"# notes",
        "dogs/inner.zip": make_zip({"x/1.png": good}),
    }
    ds = read_upload(make_zip(members), "mixed.zip")
    assert len(ds) == 2
    assert "3 images could not be read (damaged or truncated) and were skipped." in ds.notes
    assert "2 files that are not an image were skipped." in ds.notes


@pytest.mark.parametrize(
    ("members", "phrase"),
    [
        ({f"{i}.png": png_bytes() for i in range(4)}, "not in class folders"),
        ({f"c{i}/x.png": png_bytes() for i in range(12)}, "a different value in every row"),
    ],
)
def test_archives_without_usable_class_folders(members, phrase):
    with pytest.raises(DataError, match=phrase):
        read_upload(make_zip(members), "layout.zip")


# Property-based: whatever the bytes, the readers load or raise DataError, nothing else.
_member_names = st.one_of(
    st.sampled_from(["a/1.png", "b/2.png", "a/x.jpg", "b/y.gif", "c/z.bmp", "../up.png", "/abs.png", "a/b/c/d.png"]),
    st.text(min_size=1, max_size=20).map(lambda s: s.replace("\x00", "") or "x"),
)


def _image_bytes(draw_args) -> bytes:
    """An image in that mode and format, or in RGB when Pillow cannot write that pair."""
    mode, w, h, fmt = draw_args
    buf = io.BytesIO()
    try:
        Image.new(mode, (w, h)).save(buf, format=fmt)
    except (OSError, ValueError, KeyError):
        buf = io.BytesIO()
        Image.new("RGB", (w, h)).save(buf, format=fmt)
    return buf.getvalue()


_images = st.tuples(
    st.sampled_from(["L", "RGB", "RGBA", "P", "1", "I;16", "F"]),
    st.integers(1, 40),
    st.integers(1, 40),
    st.sampled_from(["PNG", "BMP", "GIF", "TIFF"]),
)
_member_bytes = st.one_of(
    _images.map(_image_bytes),
    _images.map(_image_bytes).flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),  # truncated
    st.binary(max_size=300),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_member_names, _member_bytes, min_size=0, max_size=8), st.sampled_from(["u.zip", "u"]))
def test_read_upload_on_generated_archives_returns_dataset_or_data_error(members, filename):
    try:
        data = make_zip(members)
    except (ValueError, UnicodeEncodeError):
        return  # not a ZIP that zipfile can even write
    try:
        ds = read_upload(data, filename)
    except DataError as exc:
        assert str(exc)
    else:
        assert isinstance(ds, Dataset) and len(ds) == len(ds.labels) > 0
        assert ds.images.dtype == np.uint8 and ds.images.shape[-1] in (1, 3)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_member_bytes, st.binary(max_size=2000)), st.sampled_from(["x.png", "x.zip", "x.npz", "x.csv", "x"]))
def test_read_upload_on_generated_image_bytes_returns_something_or_data_error(data, filename):
    try:
        result = read_upload(data, filename)
    except DataError as exc:
        assert str(exc)
    else:
        assert isinstance(result, pd.DataFrame | Dataset)

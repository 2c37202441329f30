"""Step 1 · Data: pick a sample or upload a file, then see what is in it."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from modeling.data.readers import LIMITS
from modeling.data.samples import SAMPLES, sample_status
from ui import field_repair, state, table_draft, table_setup

state.require_router("pages/data.py")


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


st.title("1 · Data")
st.caption(
    "Everything starts with labelled examples: a business table with a column to predict, texts with a label, "
    "or images sorted by class."
)

shown_notes: set[str] = set()
samples_tab, upload_tab = st.tabs(["Built-in samples", "Upload your own"])

with samples_tab:
    cols = st.columns(len(SAMPLES))
    for col, (key, info) in zip(cols, SAMPLES.items(), strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{info.title}**")
            st.caption(info.description)
            if key == "mnist":
                available, reason = sample_status(key)
            else:
                available, reason = True, ""
            if not available:
                st.caption(f"⚠️ Unavailable here: {reason}")
            clicked = st.button("Use this sample", key=f"sample_{key}", disabled=not available)
            if clicked and info.kind == "table":
                table_draft.use_sample(key)  # the raw table, through the same target, roles and checks as an upload
            elif clicked:
                from modeling.data.samples import load_sample

                try:
                    with st.spinner(f"Loading {info.title}…"):
                        state.set_dataset(load_sample(key))
                except Exception as exc:
                    state.show_error(exc, "loading the sample")

with upload_tab:
    st.markdown(
        "- **Tables:** a CSV, TSV, Excel (.xlsx) or Parquet file with a column to predict (churn, price, ...) and "
        "the columns to predict it from.\n"
        "- **Texts:** a CSV, TSV, Excel (.xlsx) or Parquet table with a text column and a label column.\n"
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
    if upload is not None:
        raw = upload.getvalue()
        signature = hashlib.sha256(raw).hexdigest() + upload.name
        if st.session_state.get("upload_signature") != signature:
            st.session_state.pop("upload_table", None)
            from modeling.data.readers import read_upload

            try:
                if len(raw) > LIMITS.max_upload_mb * 1024 * 1024:
                    from modeling.errors import DataError

                    raise DataError(
                        f"The file is {len(raw) / 1e6:.0f} MB; the limit is {LIMITS.max_upload_mb} MB. "
                        "Upload a smaller sample of your data."
                    )
                with st.spinner("Reading the file…"):
                    loaded = read_upload(raw, upload.name)
                st.session_state["upload_signature"] = signature
                if isinstance(loaded, pd.DataFrame):
                    st.session_state["upload_table"] = (upload.name, loaded)
                else:
                    state.set_dataset(loaded)
                    st.success(f"Loaded {len(loaded):,} images from {state.md_escape(upload.name)}.")
            except Exception as exc:
                st.session_state.pop("upload_signature", None)
                state.show_error(exc, "reading the file")
                field_repair.remember_error(signature, exc)
        table = st.session_state.get("upload_table")
        if table is None:  # refused: a file with many lines of extra fields can still be repaired in one click
            field_repair.offer_repair(raw, upload.name, signature, None)
        if table is not None:
            from modeling.data.readers import dataset_from_table, guess_columns

            name, df = table
            for note in df.attrs.get("notes", []):
                st.info(state.md_escape(note))
                shown_notes.add(note)
            field_repair.offer_repair(raw, upload.name, signature, df)
            df, sheet = table_setup.pick_sheet(raw, upload.name, df, signature)
            rows = f"{len(df):,} row{'s' if len(df) != 1 else ''}"
            if table_setup.read_as_table(df, f"{signature}:{sheet or ''}"):  # a table: set up under "Active data"
                st.markdown(f"**{rows}, {len(df.columns)} columns.**")
                table_setup.start_upload(df, name, signature, sheet)
            else:
                st.markdown(f"**{rows}, {len(df.columns)} columns.** Which columns hold the text and the label?")
                guess_text, guess_label = guess_columns(df)
                columns = [str(c) for c in df.columns]
                c1, c2 = st.columns(2)
                text_col = c1.selectbox(
                    "Text column", columns, index=columns.index(guess_text) if guess_text in columns else 0
                )
                label_default = guess_label if guess_label in columns else columns[min(1, len(columns) - 1)]
                label_col = c2.selectbox("Label column", columns, index=columns.index(label_default))
                if st.button("Use these columns", type="primary"):
                    try:
                        state.set_dataset(dataset_from_table(df, text_col, label_col, name=name, source=name))
                    except Exception as exc:
                        state.show_error(exc, "preparing the table")

ds = state.dataset()
if table_setup.shows_table(ds):  # a business table: target, checks with fixes, columns with roles, overview
    st.divider()
    table_setup.table_section(ds)
    st.stop()
if ds is None:
    st.info("Pick a sample or upload a file to continue.")
    st.stop()

from modeling.data.profile import profile_dataset  # noqa: E402
from modeling.reporting import charts  # noqa: E402 - only needed once there is data

st.divider()
st.subheader(f"Active data: {state.md_escape(ds.name)}")
prof = profile_dataset(ds)
m1, m2, m3 = st.columns(3)
m1.metric("Examples", f"{len(ds):,}")
m2.metric("Classes", len(ds.class_names))
m3.metric("Kind", "Texts" if ds.kind == "text" else f"Images {ds.images.shape[1]}x{ds.images.shape[2]}")
for note in ds.notes:
    if note not in shown_notes:  # said once, under the upload
        st.info(state.md_escape(note))
for warning in prof.warnings:
    st.warning(state.md_escape(warning))
if not prof.warnings:
    st.success("No problems found: classes are big enough, no duplicates or empty rows.")
with st.expander("Copies and near-copies"):
    st.caption(
        "A copy that lands in both the training and the test split makes the test score look better than it is. "
        "This finds exact copies and near-copies (a changed word, a re-saved picture) and keeps one of each."
    )
    if st.button("Find and drop duplicates", key="drop_duplicates_data"):
        from modeling.data.duplicates import drop_duplicates

        with st.spinner("Comparing every example with every other…"):
            cleaned, found = drop_duplicates(ds)
        if found["drop"]:
            state.set_dataset(cleaned)
            st.session_state["dedupe_message"] = (
                f"Removed {len(found['drop']):,} rows ({found['exact']:,} exact and {found['near']:,} near copies); "
                f"{len(cleaned):,} remain."
            )
            st.rerun()
        st.success("No copies or near-copies found.")
if "dedupe_message" in st.session_state:
    st.success(st.session_state.pop("dedupe_message"))

left, right = st.columns([3, 2])
with left:
    st.markdown("**Preview**")
    if ds.kind == "text":
        preview = pd.DataFrame({"text": ds.texts[:200], "label": [ds.class_names[i] for i in ds.labels[:200]]})
        st.dataframe(preview, hide_index=True, height=320)
    else:
        rng = np.random.default_rng(0)
        pick = rng.choice(len(ds), size=min(24, len(ds)), replace=False)
        st.image(
            [ds.images[i].squeeze() for i in pick],
            caption=[state.md_escape(ds.class_names[ds.labels[i]]) for i in pick],
            width=64,
        )
with right:
    st.plotly_chart(charts.class_balance(ds.class_counts()), width="stretch")

st.page_link("pages/model.py", label="Next: choose a model →", icon=":material/tune:")

"""Step 5 · Predict: one review, one drawing or photo, or a whole CSV."""

import numpy as np
import pandas as pd
import streamlit as st

from modeling.config import TASK_LABELS
from ui import explain_view, state

state.require_router("pages/predict.py")

st.title("5 · Predict")

task = st.radio(
    "What do you want to predict?",
    list(TASK_LABELS),
    format_func=TASK_LABELS.get,
    horizontal=True,
    index=list(TASK_LABELS).index(state.dataset().task) if state.dataset() is not None else 1,
    key="predict_task",
)
run = state.pick_run("Model", task=task, key=f"predict_run_{task}")
if run is None:
    st.info("No model for this task yet: train one first.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if run.info.starter:
    st.caption(
        "⭐ Starter model: trained on the built-in sample by `scripts/train_starters.py`. Train your own for your data."
    )

try:
    predictor = state.predictor(run)
except Exception as exc:
    state.show_error(exc, "loading the model")
    st.stop()
if task in ("tabular_classification", "tabular_regression"):  # a what-if form, and whole tables
    from ui import table_predict

    table_predict.page(run, predictor)
    st.stop()

from modeling.evaluation.decisions import describe_rule  # noqa: E402
from modeling.reporting import charts  # noqa: E402
from ui.decision_view import load_rule  # noqa: E402

# The rule saved on the Evaluate page (threshold or cost matrix, and when to ask a person); read fresh each time.
rule = load_rule(run)
predictor = predictor.using(rule)
if rule.saved:
    st.caption(f"Rule saved with this run: {state.md_escape(describe_rule(rule, predictor.class_names))}")
else:
    st.caption(
        "The model answers its most probable class. Set a threshold or ask for a person below a confidence level "
        "on the Evaluate page."
    )
if predictor.temperature != 1.0:
    st.caption(f"Confidence is calibrated on the validation split (temperature {predictor.temperature:.2f}).")


def show_prediction(pred) -> None:
    probs = np.asarray([pred.probabilities[c] for c in predictor.class_names])
    label = str(pred.label)
    if pred.needs_review:
        st.warning(
            f"**Not sure — send to a person.** Its best guess is '{state.md_escape(label)}', but it is "
            f"{state.md_escape(pred.reason)}."
        )
    st.metric("Prediction", label, f"{pred.confidence:.0%} sure", delta_color="off", delta_arrow="off")
    chosen = predictor.class_names.index(label)
    st.plotly_chart(charts.probability_bars(probs, predictor.class_names, chosen=chosen), width="stretch")


if task == "text_classification":
    one, many = st.tabs(["One text", "A whole CSV"])
    with one:
        text = st.text_area("Text", placeholder="Type or paste a review…", max_chars=20_000, key="predict_text")
        if st.button("Predict", type="primary", disabled=not text.strip()):
            try:
                prediction = predictor.predict_one(text)
                show_prediction(prediction)
                st.markdown("**Why?**")
                explain_view.explain_prediction(predictor, text, prediction.label)
            except Exception as exc:
                state.show_error(exc, "predicting")
    with many:
        st.caption(
            "Upload a table with a text column; you get it back with the predicted label, the confidence, "
            "one probability per class, and `needs_review` (True where a person should look) with the reason."
        )
        table_file = st.file_uploader(
            "Table to score", type=["csv", "tsv", "txt", "xlsx", "parquet"], key="score_upload"
        )
        if table_file is not None:
            from modeling.data.readers import guess_columns, read_upload

            try:
                df = read_upload(table_file.getvalue(), table_file.name)
                if not isinstance(df, pd.DataFrame):
                    raise ValueError
            except ValueError:
                st.error("This file is not a table. Upload a CSV, TSV, Excel or Parquet file.")
                st.stop()
            except Exception as exc:
                state.show_error(exc, "reading the table")
                st.stop()
            columns = [str(c) for c in df.columns]
            trained_col = run.meta.get("dataset", {}).get("text_column")
            default = trained_col if trained_col in columns else (guess_columns(df)[0] or columns[0])
            column = st.selectbox("Text column", columns, index=columns.index(default))
            if st.button("Score the table", type="primary"):
                bar = st.progress(0.0, text="Scoring…")
                try:
                    scored = predictor.score_table(df, column, on_progress=lambda f: bar.progress(f, text="Scoring…"))
                    st.session_state["scored"] = (table_file.name, scored)
                except Exception as exc:
                    state.show_error(exc, "scoring the table")
            scored_entry = st.session_state.get("scored")
            if scored_entry is not None and scored_entry[0] == table_file.name:
                from modeling.runs.predictor import to_safe_csv

                scored = scored_entry[1]
                flagged = int(scored["needs_review"].sum()) if "needs_review" in scored else 0
                st.success(
                    f"Scored {len(scored):,} rows."
                    + (
                        f" {flagged:,} {'needs' if flagged == 1 else 'need'} a person (needs\\_review is True)."
                        if flagged
                        else ""
                    )
                )
                st.dataframe(scored.head(100), hide_index=True)
                st.download_button(
                    "Download scored CSV",
                    to_safe_csv(scored),
                    file_name="scored.csv",
                    mime="text/csv",
                    type="primary",
                )
else:
    from modeling.data.digits import locate_digit
    from modeling.errors import DataError
    from ui.digit_view import photo_with_box

    shape = predictor.image_shape
    is_digit_model = tuple(shape) == (28, 28, 1)
    draw_tab, photo_tab = st.tabs(["Draw", "Upload a photo"])
    picture, is_photo = None, False
    with draw_tab:
        from streamlit_drawable_canvas import st_canvas

        st.caption("Draw one digit, big, in the middle of the box. The bin icon clears it.")
        st.write("")  # room for the canvas toolbar, which floats above the drawing area
        result = st_canvas(
            stroke_width=18,
            stroke_color="#000000",
            background_color="#FFFFFF",
            height=280,
            width=280,
            drawing_mode="freedraw",
            return_image_data=True,
            key="digit_canvas",
        )
        if result is not None and result.image_data is not None:
            drawn = np.asarray(result.image_data)
            if drawn[..., :3].min() < 200:  # something was drawn
                picture = drawn
    with photo_tab:
        photo = st.file_uploader("Photo of a digit (PNG or JPEG)", type=["png", "jpg", "jpeg"], key="digit_photo")
        if photo is not None:
            from modeling.data.readers.picture import open_picture

            try:
                picture, is_photo = open_picture(photo.getvalue(), photo.name), True
            except Exception as exc:
                state.show_error(exc, "reading the photo")
    if picture is not None:
        try:
            found = None
            if is_digit_model:
                found = locate_digit(picture)
                seen = found.image[..., None]
            else:
                from modeling.data.images import fit_to_model

                seen = fit_to_model(picture, shape)
            left, right = st.columns([1, 2])
            with left:
                if found is not None and is_photo:
                    st.markdown("**Your photo**")
                    st.image(photo_with_box(picture, found.box), width=240)
                    st.caption("The blue box is what was taken as the digit.")
                st.markdown("**What the model sees**")
                st.image(seen.squeeze(), width=168, clamp=True)
                st.caption(f"{shape[0]}x{shape[1]} pixels" + (", MNIST style" if is_digit_model else ""))
            with right:
                show_prediction(predictor.predict_one(seen))
        except DataError as exc:
            if is_photo:
                st.image(photo_with_box(picture, None), width=240)
            st.warning(f"{state.md_escape(exc)} Nothing was predicted, so no guess is shown.")
        except Exception as exc:
            state.show_error(exc, "reading the picture")
    else:
        st.info("Draw a digit or upload a photo to see the prediction.")

"""Step 2 · Model: a template and its settings, with the model's size before any training."""

import pandas as pd
import streamlit as st

from modeling.config import (
    TASK_LABELS,
    ExperimentConfig,
    TrainingSettings,
    default_config,
    describe_fields,
    template_settings,
)
from modeling.errors import ConfigError
from modeling.templates import registry
from ui import export_view, model_extras, state, table_draft, table_model, table_overview

state.require_router("pages/model.py")

st.title("2 · Model")
ds = state.require_dataset()

cfg = state.config()
if cfg is None or cfg.task != ds.task:
    cfg = default_config(ds.task, source=ds.source or f"session:{ds.name}")
    if ds.kind == "text":
        cfg.data.text_column, cfg.data.label_column = ds.text_column, ds.label_column
    elif ds.kind == "table":  # the target, roles and sheet chosen on the Data page travel in the settings file
        cfg = table_draft.config_for(ds, cfg, fresh=True)
if ds.kind == "table":
    st.markdown(f"**Task:** {TASK_LABELS[ds.task]} — your table {table_overview.describe_table(ds)}.")
else:
    st.markdown(f"**Task:** {TASK_LABELS[ds.task]} — follows from your data ({len(ds.class_names)} classes).")

with st.expander("Load settings from a YAML file"):
    yaml_file = st.file_uploader("Settings (.yaml)", type=["yaml", "yml"], key="yaml_upload")
    if yaml_file is not None:
        try:
            loaded = ExperimentConfig.from_yaml(yaml_file.getvalue())
            if loaded.task != ds.task:
                raise ConfigError(
                    f"task = '{loaded.task}' in the file does not match the active data ({TASK_LABELS[ds.task]})."
                )
            if st.session_state.get("yaml_applied") != yaml_file.file_id:
                st.session_state["yaml_applied"] = yaml_file.file_id
                cfg = loaded
                state.set_config(cfg)
                model_extras.use_automatic(False)  # the file names its template: keep it
                for key in list(st.session_state):
                    if key.startswith("setting_"):
                        del st.session_state[key]
            st.success("Settings loaded from the file.")
        except ConfigError as exc:
            st.error(str(exc))
        except UnicodeDecodeError:
            st.error("The settings file is not text. Upload the .yaml file ModelDeck gave you.")

# Text: "Automatic" (preselected) names the template it picked and why; the config holds that template.
template = model_extras.template_picker(ds, cfg)
model_extras.unavailable_note(ds.task)

if template != cfg.template:
    # A new template brings its own recommended settings (the learning rate above all).
    cfg = cfg.model_copy(update={"template": template, "settings": template_settings(template, cfg.settings)})
    for key in list(st.session_state):
        if key.startswith("setting_") and key != "setting_test_share":
            del st.session_state[key]
    state.set_config(cfg)
    rate = "" if ds.kind == "table" else f" (learning rate {cfg.settings.learning_rate:g})"
    st.toast(f"Settings adjusted to what {template} needs{rate}.")
    st.rerun()  # the picker's default follows the config: draw it again so the next click is not lost

fields = describe_fields()
current = cfg.settings.model_dump()
if ds.kind == "table":  # the table templates' own settings, what they do, and Find the best model
    table_model.table_model_page(ds, cfg, template, current, fields)
    st.stop()


#: Labels (and number format, step) of the settings a template may show on its own.
SETTING_LABELS = {
    "max_tokens": ("Vocabulary size", None, 1000),
    "sequence_length": ("Words read per text", None, None),
    "validation_share": ("Validation share", "%.2f", 0.05),
    "seed": ("Random seed", None, None),
}


def number(name: str, label: str, col, fmt: str | None = None, step=None):
    info = fields[name]
    kwargs = {"min_value": info["min"], "max_value": info["max"], "value": current[name], "help": info["help"]}
    if fmt:
        kwargs["format"] = fmt
    if step is not None:
        kwargs["step"] = step
    return col.number_input(label, key=f"setting_{name}", **kwargs)


st.subheader("Settings")
st.caption("The defaults work without tuning. Hover over the (?) icons for what each setting does.")
values = {}
spec = registry.spec(template)


def all_settings() -> None:
    """Network, optimiser and training settings: the templates trained by gradient descent use them all."""
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Network**")
        values["hidden_units"] = number("hidden_units", "Hidden units", c1)
        values["hidden_layers"] = number("hidden_layers", "Hidden layers", c1)
        values["dropout"] = c1.slider(
            "Dropout", 0.0, 0.9, float(current["dropout"]), 0.05, help=fields["dropout"]["help"], key="setting_dropout"
        )
        if ds.kind == "image":
            values["augment"] = c1.checkbox(
                "Augment images (small shifts, turns, zoom)",
                current["augment"],
                help=fields["augment"]["help"],
                key="setting_augment",
            )
        else:
            values["max_tokens"] = number("max_tokens", "Vocabulary size", c1, step=1000)
            values["sequence_length"] = number("sequence_length", "Words read per text", c1)
            values["embedding_dim"] = number("embedding_dim", "Word vector size", c1)
    with c2:
        st.markdown("**Optimiser**")
        opt_choices = fields["optimizer"]["choices"]
        names = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD with momentum", "rmsprop": "RMSprop"}
        values["optimizer"] = c2.selectbox(
            "Optimizer",
            opt_choices,
            index=opt_choices.index(current["optimizer"]),
            format_func=names.get,
            help=fields["optimizer"]["help"],
            key="setting_optimizer",
        )
        values["learning_rate"] = number("learning_rate", "Learning rate", c2, fmt="%.5f", step=0.0001)
        sched = fields["schedule"]["choices"]
        sched_names = {
            "constant": "Constant",
            "exponential": "Exponential decay",
            "cosine": "Cosine",
            "warmup_cosine": "Warm-up, then cosine",
        }
        values["schedule"] = c2.selectbox(
            "Learning-rate schedule",
            sched,
            index=sched.index(current["schedule"]),
            format_func=sched_names.get,
            help=fields["schedule"]["help"],
            key="setting_schedule",
        )
    with c3:
        st.markdown("**Training**")
        values["epochs"] = number("epochs", "Epochs", c3)
        values["batch_size"] = number("batch_size", "Batch size", c3)
        values["validation_share"] = number("validation_share", "Validation share", c3, fmt="%.2f", step=0.05)
        values["patience"] = number("patience", "Early-stopping patience (epochs)", c3)
        values["seed"] = number("seed", "Random seed", c3)


def only_settings(names: tuple[str, ...]) -> None:
    """The few settings that change anything for a template fitted exactly (see its spec)."""
    st.caption(spec.settings_note)
    columns = st.columns(3)
    for i, name in enumerate(names):
        label, shown, step = SETTING_LABELS.get(name, (name, None, None))
        values[name] = number(name, label, columns[i % 3], fmt=shown, step=step)


if spec.settings is None:
    all_settings()
else:
    only_settings(spec.settings)
if template == model_extras.PRETRAINED:
    values.update(model_extras.encoder_settings(ds, current, fields))
test_share = st.slider(
    "Test share (kept aside before training, for the honest final score)",
    0.05,
    0.5,
    float(cfg.data.test_share),
    0.05,
    key="setting_test_share",
)

try:
    settings = TrainingSettings(**{**current, **values})
    new_cfg = ExperimentConfig(
        data=cfg.data.model_copy(update={"test_share": test_share}),
        task=ds.task,
        template=template,
        settings=settings,
    )
    state.set_config(new_cfg)
except Exception as exc:
    from pydantic import ValidationError

    from modeling.config import config_error_from

    if isinstance(exc, ValidationError):
        st.error(str(config_error_from(exc, TrainingSettings)))
    else:
        state.show_error(exc, "checking the settings")
    st.stop()

st.download_button(
    "Download these settings (YAML)", new_cfg.to_yaml(), file_name=f"modeldeck-{template}.yaml", mime="text/yaml"
)

st.subheader("Model size")


@st.cache_data(show_spinner="Building the model to measure it…", max_entries=16)
def measure(cfg_yaml: str, _ds, ds_key: str) -> dict:
    """Build the model once per settings to count parameters (vocabulary adapted on a sample)."""
    from modeling.templates import build_model, parameter_summary

    cfg = ExperimentConfig.from_yaml(cfg_yaml)
    sample = _ds.subset(slice(0, min(len(_ds), 2000)))
    return parameter_summary(build_model(cfg, sample))


try:
    size = measure(new_cfg.to_yaml(), ds, ds.fingerprint())
    s1, s2 = st.columns(2)
    s1.metric("Parameters", f"{size['parameters']:,}")
    s2.metric("Size on disk (approx.)", f"{size['megabytes']:.2f} MB")
    with st.expander("Layer by layer"):
        st.dataframe(pd.DataFrame(size["layers"]), hide_index=True)
    if ds.kind == "text":
        st.caption("Text models count the vocabulary learnt from up to 2,000 texts here; training uses all texts.")
except Exception as exc:
    state.show_error(exc, "building the model")

export_view.show_config_code(new_cfg, ds)

if ds.kind == "text":
    model_extras.find_best_model_section(ds)

st.page_link("pages/train.py", label="Next: train it →", icon=":material/model_training:")

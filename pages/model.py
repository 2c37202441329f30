"""Step 2 · Model: a template and its settings, what it is before any training, and Find the best model."""

import streamlit as st

from modeling.config import ExperimentConfig, TrainingSettings, describe_fields, template_settings
from modeling.errors import ConfigError, ModelDeckError
from modeling.templates import defaults, registry
from ui import export_view, kinds, search_view, settings_view, state, template_picker

state.require_router("pages/model.py")

st.title("2 · Model")
ds = state.require_dataset()
view = kinds.view_for(ds.kind)

cfg = state.config()
if cfg is None or cfg.task != ds.task:
    cfg = view.default_config(ds)
st.markdown(view.task_line(ds))

with st.expander("Load settings from a YAML file"):
    yaml_file = st.file_uploader("Settings (.yaml)", type=["yaml", "yml"], key="yaml_upload")
    if yaml_file is not None:
        try:
            loaded = ExperimentConfig.from_yaml(yaml_file.getvalue())
            if loaded.task != ds.task:
                raise ConfigError(
                    f"task = '{loaded.task}' in the file does not match the active data "
                    f"({registry.task(ds.task).label})."
                )
            if st.session_state.get("yaml_applied") != yaml_file.file_id:
                st.session_state["yaml_applied"] = yaml_file.file_id
                # A file that names no template gets the one the data suggests (Automatic stays on); one that
                # names its template keeps it.
                template_picker.use_automatic(loaded.template_left_open)
                cfg, _ = defaults.complete_config(loaded, ds)
                state.set_config(cfg)
                for key in list(st.session_state):
                    if key.startswith("setting_"):
                        del st.session_state[key]
            st.success("Settings loaded from the file.")
        except ConfigError as exc:
            st.error(str(exc))
        except ModelDeckError as exc:
            state.show_error(exc, "reading the settings")
        except UnicodeDecodeError:
            st.error("The settings file is not text. Upload the .yaml file ModelDeck gave you.")

# With a chooser (texts), "Automatic" (preselected) names the template it picked and why; the config holds it.
template = template_picker.template_picker(ds, cfg)
template_picker.unavailable_note(ds.task)

if template != cfg.template:
    # A new template brings its own recommended settings (the learning rate above all).
    cfg = cfg.model_copy(update={"template": template, "settings": template_settings(template, cfg.settings)})
    for key in list(st.session_state):
        if key.startswith("setting_") and key != "setting_test_share":
            del st.session_state[key]
    state.set_config(cfg)
    reads_rate = "learning_rate" in registry.spec(template).setting_names(ds.task)
    rate = f" (learning rate {cfg.settings.learning_rate:g})" if reads_rate else ""
    st.toast(f"Settings adjusted to what {template} needs{rate}.")
    st.rerun()  # the picker's default follows the config: draw it again so the next click is not lost

st.subheader("Settings")
st.caption("The defaults work without tuning. Hover over the (?) icons for what each setting does.")
current = cfg.settings.model_dump()
values = settings_view.settings_block(registry.spec(template), ds.task, current, describe_fields())
view.settings_notes(ds, {**current, **values})
test_share = view.holdout_setting(cfg.data.test_share)  # a share of rows kept aside, or what the kind holds out

try:
    new_cfg = ExperimentConfig(
        data=cfg.data.model_copy(update={**view.data_fields(ds), "test_share": test_share}),
        task=ds.task,
        template=template,
        settings=TrainingSettings(**{**current, **values}),
    )
except Exception as exc:
    from pydantic import ValidationError

    from modeling.config import config_error_from

    if isinstance(exc, ValidationError):
        st.error(str(config_error_from(exc, TrainingSettings)))
    else:
        state.show_error(exc, "checking the settings")
    st.stop()
state.set_config(new_cfg)

st.download_button(
    "Download these settings (YAML)", new_cfg.to_yaml(), file_name=f"modeldeck-{template}.yaml", mime="text/yaml"
)
view.model_summary(ds, new_cfg)
export_view.show_config_code(new_cfg, ds)

wording = view.search_wording(ds)
if wording is not None:
    search_view.find_best_section(ds, wording)

st.page_link("pages/train.py", label="Next: train it →", icon=":material/model_training:")

"""The Model page's template picker: the task's templates that can train here, and "Automatic" where the data
can choose.

A task whose spec names a *chooser* (texts: the Automatic rule in :mod:`modeling.templates.automatic`) gets
"Automatic" as its first, preselected option: it stands for the template the chooser picks for the active
data, named under the picker with the reason (the config holds that concrete template, never "automatic").
Templates that cannot be used here (a package or the encoder's weights missing) are left out of the picker
and listed greyed out with the reason. Availability is re-checked every few minutes, so installing makes a
template appear without a restart.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from modeling.templates import registry
from modeling.templates.defaults import template_for
from ui import state

#: The picker's first option for a task with a chooser (never saved as a template).
AUTOMATIC = "automatic"
AUTOMATIC_KEY = "template_automatic"


@st.cache_data(ttl=300, show_spinner=False)
def template_status(template: str) -> tuple[bool, str]:
    """(available, reason) from the template's spec, re-checked every few minutes (installing makes it appear)."""
    return registry.spec(template).availability()


def available_templates(task: str) -> dict[str, str]:
    """The task's templates that can train here, with their descriptions (the first is the default)."""
    return {item.name: item.description for item in registry.for_task(task) if template_status(item.name)[0]}


def unavailable_note(task: str) -> None:
    """A greyed-out line for each template that cannot be used here, with the reason."""
    for item in registry.for_task(task):
        ok, reason = template_status(item.name)
        if not ok:
            st.caption(f":grey[~~{item.name}~~ — unavailable here: {state.md_escape(reason)}]")


def use_automatic(on: bool) -> None:
    """Whether the picker shows Automatic (a loaded YAML file names its own template: then off)."""
    st.session_state[AUTOMATIC_KEY] = on


@st.cache_data(show_spinner="Looking at your data to pick a template…", max_entries=16)
def _suggested(_ds: Any, ds_key: str, statuses: tuple[tuple[str, bool, str], ...]) -> tuple[str, str]:
    return template_for(_ds)


def suggested_template(ds: Any) -> tuple[str, str]:
    """``(template, reason)`` the data suggests: the task's chooser (once per dataset), else the task's default.

    Re-made when a template of the task becomes available or unavailable (the choice may depend on it).
    """
    task = registry.task(ds.task)
    if not task.chooser:
        return registry.default_template(ds.task), ""
    statuses = tuple((item.name, *template_status(item.name)) for item in registry.for_task(ds.task))
    return _suggested(ds, ds.fingerprint(), statuses)


def template_picker(ds: Any, cfg: Any) -> str:
    """The template radio; with a chooser "Automatic" comes first and is preselected. Returns a concrete template.

    Under it: which template Automatic picked and why (the settings below say what a one-step template ignores).
    """
    templates = available_templates(ds.task)
    if cfg.template not in templates:
        st.warning(f"The template '{cfg.template}' cannot be used here; the default template is selected instead.")
        cfg = cfg.model_copy(update={"template": next(iter(templates))})
    options, labels = list(templates), dict(templates)
    suggested, reason, automatic_on = None, "", False
    if registry.task(ds.task).chooser:
        suggested, reason = suggested_template(ds)
        if suggested in templates:
            options = [AUTOMATIC, *options]
            automatic_on = st.session_state.get(AUTOMATIC_KEY, True)
            labels[AUTOMATIC] = f"Automatic — picks the template from your data (now: {suggested}). Recommended."
    picked = st.radio(
        "Template",
        options,
        index=0 if automatic_on else options.index(cfg.template),
        format_func=lambda t: labels[t] if t == AUTOMATIC else f"{t} — {labels[t]}",
    )
    if AUTOMATIC in options:
        use_automatic(picked == AUTOMATIC)
    if picked != AUTOMATIC or suggested is None:
        return picked
    st.info(f"**Automatic picked `{suggested}`.** {state.md_escape(reason)}", icon=":material/auto_awesome:")
    return suggested

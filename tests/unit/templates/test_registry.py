"""One spec per template: config, the Model page, the search and the docs' table all read the registry."""

from __future__ import annotations

import pytest

from modeling.config import TEMPLATES, default_config, template_settings
from modeling.templates import registry
from tests.conftest import REPO_ROOT


def test_every_task_lists_its_templates_from_the_registry_with_the_first_as_default():
    for task, templates in TEMPLATES.items():
        assert list(templates) == [s.name for s in registry.for_task(task)]
        assert default_config(task, source="x").template == registry.for_task(task)[0].name


@pytest.mark.parametrize("name", list(registry.REGISTRY))
def test_each_spec_resolves_and_its_defaults_are_valid_settings(name):
    spec = registry.spec(name)
    settings = template_settings(name)
    for key, value in spec.defaults.items():
        assert getattr(settings, key) == value
    module, _, function = spec.builder.partition(":")
    assert module.startswith("modeling.templates") and function
    ok, reason = spec.availability()
    assert isinstance(ok, bool) and (ok or reason)


def test_the_template_table_in_the_docs_is_generated_from_the_registry():
    page = (REPO_ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    assert registry.markdown_table() in page, (
        "run: python -c 'from modeling.templates.registry import markdown_table; print(markdown_table())'"
    )

"""The docs that are generated or checked against the code: the settings reference, the server settings, the README."""

from __future__ import annotations

import re

import pytest

from modeling.config import DataConfig, TrainingSettings
from modeling.reporting import reference
from modeling.templates import registry
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def test_the_settings_reference_in_the_docs_is_generated_from_the_config():
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    refresh = "run: .venv/bin/python -m modeling.reporting.reference --write docs/cli.md"
    assert reference.yaml_reference() in page, refresh


def test_the_reference_lists_every_field_task_and_template_with_its_range():
    text = reference.yaml_reference()
    for name in DataConfig.model_fields:
        assert f"`data.{name}`" in text
    for name in TrainingSettings.model_fields:
        assert f"`settings.{name}`" in text
    for task in registry.TASKS:
        assert f"| `{task}` |" in text
    assert "| `settings.learning_rate` | `0.001` | 1e-06 to 1 |" in text
    assert "`adam` \\| `adamw` \\| `sgd` \\| `rmsprop`" in text
    assert re.search(r"\| `settings\.max_rounds` \|.*\| `boosted_trees` \|$", text, re.MULTILINE)


def test_replace_block_swaps_only_the_generated_part():
    document = f"intro\n{reference.BEGIN}\nold\n{reference.END}\noutro\n"
    assert reference.replace_block(document, "new") == f"intro\n{reference.BEGIN}\nnew\n{reference.END}\noutro\n"
    with pytest.raises(ValueError, match="no generated block"):
        reference.replace_block("no markers here", "new")


def test_every_server_setting_the_code_reads_is_in_the_deploy_page():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "modeling").rglob("*.py"))
    names = set(re.findall(r"MODELDECK_[A-Z_]*[A-Z]", code)) | {
        "MODELDECK_" + n for n in re.findall(r'\{PREFIX\}([A-Z_]+)"', code)
    }
    page = (DOCS / "deploy.md").read_text(encoding="utf-8")
    missing = sorted(n for n in names if n not in page and not n.startswith("MODELDECK_MAX_"))
    assert not missing, f"add these to docs/deploy.md's table: {missing}"
    assert "`MODELDECK_MAX_*`" in page


def test_the_readme_is_short_and_its_links_lead_somewhere():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert "make run" in readme and "make test" in readme
    for target in re.findall(r"\]\(([^)#:]+)\)", readme):
        assert (REPO_ROOT / target).exists(), f"README links to {target}, which does not exist"
    for page in ("cli", "templates", "exports", "deploy", "scaling", "gpu"):
        assert f"docs/{page}.md" in readme

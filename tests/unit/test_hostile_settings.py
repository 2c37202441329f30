"""Settings files are data, never code: Python tags are refused and nonsense is rejected field by field."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from modeling.config import ExperimentConfig, default_config
from modeling.errors import ConfigError


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "task: image_classification\nsettings: !!python/object/apply:os.system ['touch {marker}']\n",
        "task: image_classification\ntemplate: !!python/object/new:pathlib.Path ['{marker}']\n",
        "data:\n  source: !!python/name:os.system\n",
        'settings:\n  epochs: !!python/object/apply:builtins.eval [\'__import__("os").system("touch {marker}")\']\n',
        "a: !!binary aGVsbG8=\n",
        "settings: !custom {{epochs: 3}}\n",
    ],
)
def test_python_and_unknown_tags_are_refused_and_nothing_runs(tmp_path, tagged):
    marker = tmp_path / "ran"
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_yaml(tagged.format(marker=marker))
    assert not marker.exists(), "a settings file ran code"
    message = str(info.value)
    assert message.startswith(("The settings file", "a: unknown field")) or "unknown field" in message, message


def test_nonsense_values_are_rejected_one_field_at_a_time():
    text = (
        "task: image_classification\n"
        "template: dense\n"
        "settings:\n"
        "  epochs: lots\n"
        "  learning_rate: -1\n"
        "  batch_size: 1000000000\n"
        "  dropout: .nan\n"
        "  optimizer: [adam]\n"
        "data:\n"
        "  test_share: 2\n"
    )
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_yaml(text)
    problems = info.value.problems
    fields = " ".join(problems)
    for name in ("settings.epochs", "settings.learning_rate", "settings.batch_size", "settings.dropout"):
        assert name in fields, problems
    assert "settings.optimizer" in fields and "data.test_share" in fields
    assert len(problems) >= 6  # one sentence per bad field, not one vague error


def test_alias_bomb_is_refused_quickly():
    """A 'billion laughs' YAML: aliases nest nine levels deep; validation must not expand them."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ",".join(f"*a{level - 1}" for _ in range(9)) + "]")
    lines.append("settings:\n  epochs: *a8")
    began = time.perf_counter()
    with pytest.raises(ConfigError):
        ExperimentConfig.from_yaml("\n".join(lines))
    assert time.perf_counter() - began < 5


def test_a_settings_file_names_data_but_reads_nothing_while_parsing(tmp_path):
    secret = Path("/etc/hostname")
    cfg = ExperimentConfig.from_yaml(f"task: text_classification\ntemplate: ngram_bag\ndata:\n  source: {secret}\n")
    assert cfg.data.source == str(secret)  # only a string: files are read when training starts, by the readers
    assert default_config("text_classification", str(secret)).data.source == str(secret)


def test_oversized_files_and_values_give_short_messages():
    with pytest.raises(ConfigError, match=r"settings files are small \(at most 100,000 bytes\)"):
        ExperimentConfig.from_yaml("settings:\n  epochs: 3\n" + "# padding\n" * 20_000)
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.from_yaml("settings:\n  optimizer: " + "x" * 50_000 + "\n")
    assert "settings.optimizer" in str(info.value) and len(str(info.value)) < 500

"""Settings: defaults, YAML round trip, and messages that name field, value and range."""

import pytest

from modeling.config import TEMPLATES, ExperimentConfig, default_config, describe_fields
from modeling.errors import ConfigError


def test_defaults_are_valid_for_every_task():
    for task in TEMPLATES:
        cfg = default_config(task, source="sample:digits")
        assert cfg.template in TEMPLATES[task]


def test_yaml_round_trip_keeps_every_field():
    cfg = default_config("text_classification", source="data.csv", text_column="review", label_column="sentiment")
    again = ExperimentConfig.from_yaml(cfg.to_yaml())
    assert again == cfg


def test_out_of_range_value_names_field_value_and_range():
    bad = default_config("image_classification", source="sample:digits").model_dump()
    bad["settings"]["learning_rate"] = 5.0
    bad["settings"]["epochs"] = 0
    with pytest.raises(ConfigError) as info:
        ExperimentConfig.validate_dict(bad)
    message = str(info.value)
    assert "settings.learning_rate = 5.0" in message
    assert "from 1e-06 to 1.0" in message
    assert "settings.epochs = 0" in message
    assert len(info.value.problems) == 2


def test_unknown_choice_lists_allowed_values():
    with pytest.raises(ConfigError, match=r"settings.optimizer.*adam, adamw, sgd, rmsprop"):
        ExperimentConfig.from_yaml("task: image_classification\ntemplate: dense\nsettings:\n  optimizer: lbfgs\n")


def test_template_must_fit_task():
    with pytest.raises(ConfigError, match="does not exist for task 'text_classification'"):
        ExperimentConfig.from_yaml("task: text_classification\ntemplate: small_cnn\n")


def test_unknown_field_is_reported():
    with pytest.raises(ConfigError, match=r"settings\.epoch: unknown field"):
        ExperimentConfig.from_yaml("settings:\n  epoch: 3\n")


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo hacked']",
        "a: !!python/name:os.system\n",
        "- just\n- a list\n",
        "",
        "key: [unclosed",
    ],
)
def test_hostile_or_broken_yaml_is_refused_without_running_code(text):
    with pytest.raises(ConfigError):
        ExperimentConfig.from_yaml(text)


def test_describe_fields_has_ranges_and_help():
    fields = describe_fields()
    assert fields["learning_rate"]["min"] == 1e-6
    assert fields["optimizer"]["choices"] == ["adam", "adamw", "sgd", "rmsprop"]
    assert all(info["help"] for info in fields.values())

"""Numbers and words (``modeling.format``) and server settings (``modeling.settings``)."""

from __future__ import annotations

import doctest

import pytest

from modeling import format as fmt
from modeling import settings


def test_the_format_examples_in_the_docstring_hold():
    result = doctest.testmod(fmt)
    assert result.attempted >= 9 and result.failed == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "0%"), (0.001, "0.1%"), (0.87, "87%"), (0.996, "99.6%"), (1.0, "100%")],
)
def test_a_share_is_never_rounded_to_look_like_none_or_all(value, expected):
    assert fmt.share(value) == expected


def test_markdown_escaping_leaves_no_link_or_html():
    escaped = fmt.md_escape("[click](http://x) <b>bold</b> $x$\nnext")
    assert "](" not in escaped.replace("\\]\\(", "") and "<b>" not in escaped and "\n" not in escaped
    assert fmt.md_name("a" * 100, limit=10).endswith("…")


def test_settings_are_read_when_asked_and_typos_fall_back_to_defaults(tmp_path):
    assert settings.home({"MODELDECK_HOME": str(tmp_path)}) == tmp_path
    assert settings.home({}).name == "workspace"
    assert settings.hosted_mode({}) and not settings.hosted_mode({"MODELDECK_MODE": " Local "})
    assert settings.max_trainings({"MODELDECK_MAX_TRAININGS": "3"}) == 3
    assert settings.max_trainings({"MODELDECK_MAX_TRAININGS": "many"}) == settings.DEFAULT_MAX_TRAININGS
    assert settings.positive_overrides(["max_rows", "max_columns"], {"MODELDECK_MAX_ROWS": "1_000"}) == {
        "max_rows": 1000
    }
    assert settings.positive_overrides(["max_rows"], {"MODELDECK_MAX_ROWS": "-5"}) == {}
    assert not settings.embedding_disk_cache({"MODELDECK_EMBEDDING_DISK_CACHE": "0"})

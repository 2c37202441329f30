"""The settings file's reference (docs/cli.md), generated from the config's own fields so it cannot drift.

Every field of :class:`~modeling.config.ExperimentConfig` (its ``data`` section, ``task``, ``template`` and
``settings``) becomes one table row: its name, default, allowed values (the pydantic range or choices) and
description, and for a training setting the templates that read it (the registry's setting groups). The
tasks and their templates come from the registry. ``tests/unit/reporting/test_reference.py`` checks that the
generated block in ``docs/cli.md`` is today's; to refresh it::

    .venv/bin/python -m modeling.reporting.reference --write docs/cli.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from modeling.config import DataConfig, ExperimentConfig, TrainingSettings
from modeling.templates import registry

BEGIN = "<!-- BEGIN generated: python -m modeling.reporting.reference --write docs/cli.md -->"
END = "<!-- END generated -->"
#: What a task predicts, by the registry's ``TaskSpec.answers``.
ANSWERS = {
    "classes": "a class for each of its {noun}",
    "number": "a number for each of its {noun}",
    "series": "the next values of each series, with 80% and 90% ranges, from its {noun}",
}


def yaml_reference() -> str:
    """The Markdown reference of every settings-file field: tasks, data, template, settings."""
    parts = ["### Tasks and their templates", ""]
    parts += ["| `task` | what it predicts | templates (the first is the default) |", "|---|---|---|"]
    for name, spec in registry.TASKS.items():
        templates = ", ".join(f"`{t.name}`" for t in registry.for_task(name))
        answer = ANSWERS.get(spec.answers, "an answer for each of its {noun}").format(noun=spec.noun)
        parts.append(f"| `{name}` | {spec.label}: {answer} | {templates} |")
    parts += ["", "### `data`", "", *_table(DataConfig, "data."), ""]
    parts += ["### `task` and `template`", ""]
    parts += _table(ExperimentConfig, "", only=("task", "template"))
    parts += ["", "### `settings`", "", *_table(TrainingSettings, "settings.", readers=True)]
    return "\n".join(parts)


def _table(model: type[BaseModel], prefix: str, only: tuple[str, ...] = (), readers: bool = False) -> list[str]:
    header = "| field | default | allowed | what it does |" + (" read by |" if readers else "")
    rows = [header, "|---|---|---|---|" + ("---|" if readers else "")]
    for name, info in model.model_fields.items():
        if only and name not in only:
            continue
        cells = [f"`{prefix}{name}`", _default(info), _allowed(name, info), _cell(info.description or "")]
        if readers:
            cells.append(_readers(name))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "(required)"
    else:
        value = info.default
    if value == "" and info.annotation is str:
        return "(the data decides)"
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`" if value != {} else "`{}`"


def _allowed(name: str, info: FieldInfo) -> str:
    low = high = None
    for meta in info.metadata:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}"
    choices = [c for c in get_args(info.annotation) if isinstance(c, str)]
    if choices:
        return " \\| ".join(f"`{c}`" for c in choices)
    if info.annotation is bool:
        return "`true` \\| `false`"
    if get_origin(info.annotation) is list:
        return "a list of names"
    if name == "template":
        return "a template of the task (above)"
    if name == "columns":
        return "column name: `use` \\| `ignore`"
    return "text"


def _number(value: Any) -> str:
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _readers(name: str) -> str:
    """The templates whose setting groups hold ``name`` ("every template" when all of them do)."""
    names = [spec.name for spec in registry.REGISTRY.values() if name in spec.setting_names()]
    if len(names) == len(registry.REGISTRY):
        return "every template"
    return ", ".join(f"`{n}`" for n in names) if names else "—"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, one line)."""
    return " ".join(text.split()).replace("|", "\\|")


def replace_block(document: str, block: str) -> str:
    """``document`` with the text between :data:`BEGIN` and :data:`END` replaced by ``block``."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"The document has no generated block (a line '{BEGIN}' ... '{END}').")
    return pattern.sub(lambda _: f"{BEGIN}\n{block}\n{END}", document)


def main(argv: list[str]) -> int:
    """Print the reference, or with ``--write PATH`` put it into that document's generated block."""
    if len(argv) == 2 and argv[0] == "--write":
        path = Path(argv[1])
        path.write_text(replace_block(path.read_text(encoding="utf-8"), yaml_reference()), encoding="utf-8")
        return 0
    print(yaml_reference())
    return 0


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    sys.exit(main(sys.argv[1:]))

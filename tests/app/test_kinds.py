"""Every kind of data the registry knows has a view that draws everything the pages ask of it, and the pages and
shared ``ui`` modules never ask which kind they are looking at (only the per-kind packages know)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from modeling.templates import registry
from ui import kinds
from ui.common_view import CommonView
from ui.kind_view import KindView

ROOT = Path(__file__).resolve().parents[2]
#: What a line that branches on the kind of data or task looks like (as /work/shared/tools/structure.py counts).
KIND_BRANCH = re.compile(
    r"\.kind\s*[!=]=|TABLE_TASKS|[\"']tabular_(classification|regression)[\"']|is_table_template|"
    r"\.is_regression|startswith\([\"']tabular"
)
#: Methods every kind must draw itself (the shared defaults cannot know how its examples look).
OWN = ("show_mistakes", "predict")
PROTOCOL = [name for name, _ in inspect.getmembers(KindView, inspect.isfunction) if not name.startswith("_")]


@pytest.mark.parametrize("kind", sorted({task.kind for task in registry.TASKS.values()}))
def test_every_kind_of_data_has_a_complete_view(kind):
    view = kinds.view_for(kind)
    missing = [name for name in PROTOCOL if not callable(getattr(view, name, None))]
    assert not missing, f"the {kind} view lacks {missing}"
    for name in OWN:
        assert getattr(type(view), name) is not getattr(CommonView, name), f"the {kind} view must draw {name}"
    assert kinds.view_for(kind) is view  # one shared instance


def test_a_task_finds_the_view_of_the_kind_it_reads():
    for name, task in registry.TASKS.items():
        assert kinds.view_for_task(name) is kinds.view_for(task.kind)


def test_pages_and_shared_ui_never_branch_on_the_kind_of_data():
    per_kind = {ROOT / "ui" / kind for kind in kinds.VIEWS}
    files = [*ROOT.joinpath("pages").glob("*.py"), ROOT / "app.py"]
    files += [p for p in ROOT.joinpath("ui").rglob("*.py") if not any(p.is_relative_to(k) for k in per_kind)]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if KIND_BRANCH.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, "ask the kind's view (ui.kinds) or the registry instead:\n" + "\n".join(found)

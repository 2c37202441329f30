"""The shape of the code, checked: layers (import-linter), lazy heavy imports, module size, private names.

import-linter's contract (``pyproject.toml``) runs in ``make test`` too; running it here as well means a
plain ``pytest`` catches a broken layer before CI does.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "modeling"
#: Longest module allowed; a longer one is doing more than one job.
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_layers_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (requirements-dev.txt)")
    done = subprocess.run([lint], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_module_is_longer_than_a_screenful_of_screens(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO_ROOT)} has {lines} lines; split it by job"


def test_no_private_name_is_imported_from_another_module():
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modeling"):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private:
                    offenders.append(f"{path.relative_to(REPO_ROOT)}: from {node.module} import {', '.join(private)}")
    assert not offenders, "\n".join(offenders)


def test_light_modules_do_not_import_tensorflow_or_scikit_learn():
    """What the pages import on every rerun stays cheap: the heavy libraries load only when a model is used."""
    code = (
        "import sys\n"
        "import modeling.config, modeling.training.jobs, modeling.training.search, modeling.runs.predictor\n"
        "import modeling.reporting.run_report, modeling.reporting.charts, modeling.data.readers, modeling.__main__\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'sklearn', 'keras_hub', 'playwright') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", f"imported at module level: {done.stdout.strip()}"

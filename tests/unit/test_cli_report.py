"""`python -m modeling report`: the shareable report from the command line, in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.fake_runs import make_run

ROOT = REPO_ROOT


def _cli(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODELDECK_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "modeling", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_report_writes_the_html_of_one_run_and_of_a_comparison(tmp_path):
    home = tmp_path / "ws"
    make_run(home, "run-a", settings={"epochs": 5})
    make_run(home, "run-b", settings={"epochs": 8})

    one = _cli("report", "run-a", "--out", str(tmp_path / "out" / "a.html"), home=home, cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == str(tmp_path / "out" / "a.html")
    text = (tmp_path / "out" / "a.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<section id="reproduce">' in text

    default = _cli("report", "run-a", home=home, cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert (tmp_path / "run-a-report.html").exists()

    both = _cli("report", "run-a", "run-b", "--out", str(tmp_path / "both.html"), home=home, cwd=tmp_path)
    assert both.returncode == 0, both.stderr
    compared = (tmp_path / "both.html").read_text(encoding="utf-8")
    assert "2 text classification runs compared" in compared and "settings.epochs" in compared


def test_report_errors_are_sentences(tmp_path):
    home = tmp_path / "ws"
    make_run(home, "text-run")
    make_run(home, "image-run", kind="image", class_names=["0", "1", "2"])

    missing = _cli("report", "no-such-run", home=home, cwd=tmp_path)
    assert missing.returncode == 2 and "No run called 'no-such-run'" in missing.stderr

    mixed = _cli("report", "text-run", "image-run", home=home, cwd=tmp_path)
    assert mixed.returncode == 2 and "different tasks" in mixed.stderr

    pdf_name = _cli("report", "text-run", "--out", "x.pdf", home=home, cwd=tmp_path)
    assert pdf_name.returncode == 2 and "add --pdf" in pdf_name.stderr
    for result in (missing, mixed, pdf_name):
        assert "Traceback" not in result.stderr

"""The Export box and "Show the code" on the Evaluate, Saved runs and Model pages, through AppTest."""

from __future__ import annotations

import pytest

from modeling.errors import RunError
from modeling.runs.store import RunStore
from tests.app.test_pages import _app, _goto, _texts
from tests.conftest import REPO_ROOT
from tests.fake_runs import copy_starter


def test_evaluate_page_exports_onnx_with_its_check(local_home):
    at = _goto(_app(), "pages/evaluate.py")
    at.selectbox(key="run_picker").set_value("starter-reviews").run()
    assert not at.exception
    assert "Take the model with you" in [h.value for h in at.subheader]
    next(b for b in at.button if b.label == "Prepare the ONNX export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "ONNX: 101 of 101 answers identical" in _texts(at)
    assert at.download_button(key="download_starter-reviews_onnx").label.startswith("Download starter-reviews-onnx.zip")
    code = at.download_button(key="code_starter-reviews")
    assert code.label == "Download train.py"


def test_saved_runs_page_shows_the_code_and_the_export_box(local_home):
    copy_starter(local_home, "20990101-000000-ngram_bag-aaaaaa", 0.03, "Reviews")
    at = _goto(_app(), "pages/runs.py")
    assert not at.exception
    assert any("def build_model" in c.value for c in at.code)
    assert "Prepare the LiteRT (TFLite) export" in [b.label for b in at.button]


def test_an_export_of_another_sessions_run_is_refused_like_a_missing_run(tmp_path):
    from ui.export_view import prepare_export

    store = RunStore(tmp_path, starters=REPO_ROOT / "starters")
    run_id = "20990101-000000-ngram_bag-aaaaaa"
    copy_starter(tmp_path, run_id, 0.03, "Reviews")
    meta = store.runs_dir / run_id / "run.json"
    meta.write_text(meta.read_text().replace('"owner": null', '"owner": "alice"'))
    with pytest.raises(RunError, match=f"No run called '{run_id}' was found"):
        prepare_export(run_id, "onnx", store=store, owner="mallory")
    assert not (store.runs_dir / run_id / "exports").exists()

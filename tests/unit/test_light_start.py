"""The router, the sidebar and the Start page load no heavy library, so the first paint waits for none.

ModelDeck's first paint was 1.4-1.5x a bare Streamlit app's because ``ui.state`` pulled in pandas,
NumPy and PyArrow through the run store and the predictor, and the Start page pulled them in
through the sample loader (benchmarks/RESULTS.md, issue 13). This runs ``app.py`` the way a first
visitor does (Start page, sidebar) in a fresh interpreter and lists what got imported, so a new
top-level import anywhere on that path fails here instead of slowing every first visit.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

#: Libraries the Start page must not wait for: pandas/NumPy/PyArrow (~0.5 s together on the 2-core test
#: machine), scikit-learn and TensorFlow (seconds), pydantic and YAML (the settings schema).
HEAVY = ("numpy", "pandas", "pyarrow", "sklearn", "scipy", "tensorflow", "keras", "pydantic", "yaml")

_PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest

before = set(sys.modules)
at = AppTest.from_file(sys.argv[1], default_timeout=60)
at.run()
print(json.dumps({
    "exceptions": [e.value for e in at.exception],
    "titles": [t.value for t in at.title],
    "sidebar": [m.value for m in at.sidebar.markdown],
    "loaded_before": sorted({m.split(".")[0] for m in before} & set(sys.argv[2:])),
    "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:])),
    "emoji_catalogue": "streamlit.emojis" in sys.modules,
}))
"""


def _first_visit() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(REPO_ROOT / "app.py"), *HEAVY],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_start_page_and_sidebar_import_no_heavy_library():
    visit = _first_visit()
    assert visit["exceptions"] == []
    assert visit["titles"] == ["🧪 ModelDeck"]  # the Start page really ran, not an empty script
    assert any("**Data:** none yet" in text for text in visit["sidebar"])  # and so did the sidebar
    assert visit["loaded_before"] == [], "the test harness itself must not preload them"
    assert visit["loaded"] == [], (
        f"the first visit imported {visit['loaded']}: import them inside the function that needs them, "
        "or import a type under typing.TYPE_CHECKING (see ui/state.py and modeling/data/sample_catalog.py)"
    )


def test_start_page_icons_are_not_emoji():
    """A non-ASCII icon (page_icon, st.info's icon) makes Streamlit load its emoji catalogue: ~0.1 s of the paint."""
    assert _first_visit()["emoji_catalogue"] is False

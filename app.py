"""ModelDeck: the router. Page config, navigation over pages/, and a sidebar with what is active.

Every page lives in ``pages/`` and is registered here explicitly (automatic
discovery is off with ``st.navigation``). Heavy libraries are imported only by
the pages that need them, so this first paint is quick.
"""

import logging

import streamlit as st

from ui import state

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

# A Material icon, not the 🧪 emoji: any non-ASCII icon makes Streamlit load its emoji catalogue (~0.1 s on
# the first script run), which the first paint would wait for. Titles and text may use emoji freely.
st.set_page_config(page_title="ModelDeck", page_icon=":material/science:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Start here", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="1 · Data", icon=":material/upload_file:"),
    st.Page("pages/model.py", title="2 · Model", icon=":material/tune:"),
    st.Page("pages/train.py", title="3 · Train", icon=":material/model_training:"),
    st.Page("pages/evaluate.py", title="4 · Evaluate", icon=":material/fact_check:"),
    st.Page("pages/predict.py", title="5 · Predict", icon=":material/online_prediction:"),
    st.Page("pages/runs.py", title="Saved runs", icon=":material/inventory_2:"),
    st.Page("pages/compare.py", title="Compare runs", icon=":material/compare_arrows:"),
]

page = st.navigation(PAGES)
state.ROUTER_READY = True
if st.session_state.get("deep_link"):
    st.switch_page(st.session_state.pop("deep_link"))  # a deep link that arrived before the router was up

with st.sidebar:
    st.markdown("### 🧪 ModelDeck")
    st.caption("Data → Model → Train → Evaluate → Predict")
    status = st.empty()


def draw_status() -> None:
    """What is active now, written into the sidebar slot (replacing what was there)."""
    with status.container():
        st.markdown(f"**Data:** {state.describe_dataset(state.dataset())}")
        cfg = state.config()
        st.markdown(f"**Model:** {cfg.template if cfg else 'not chosen yet'}")
        st.markdown(f"**Run:** {state.md_escape(state.run_id() or 'none selected')}")


# Drawn before the page so that it shows even when the page ends early with st.stop() (after which
# Streamlit refuses new elements), and again after it so it reflects choices made on this very run.
draw_status()
page.run()
draw_status()

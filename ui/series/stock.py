"""How much to stock: the quantity per series that covers a share of outcomes, or the one the costs call for.

In the style of the threshold costs of a classification run: by default the stock that covers 90% of outcomes
over the whole horizon, per series; when the person enters both what one unit too few costs (the lost margin)
and what one unit too many costs (write-off, storage), the share follows from them (the newsvendor quantile,
short / (short + over)) and the page says which share that is. The quantities come from the predictor's
``stock`` (the forecast plus the errors the backtest measured), so they are as honest as the ranges.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from modeling import format as fmt
from modeling.runs.safe_csv import to_safe_csv
from modeling.runs.store import Run
from ui import state
from ui.series import overview


def stock_block(run: Run, predictor: Any, key: str = "evaluate") -> None:
    """The decision block: a share to cover (90% by default) or the two costs, and the quantity per series."""
    run_id = run.info.run_id
    with st.container(border=True):
        st.markdown("#### How much to stock")
        st.caption(
            f"Enough {fmt.md_name(predictor.target_name)} to cover a share of what may happen over the next "
            f"{predictor.frequency.span(predictor.horizon)}, per series: the forecast plus the errors the backtest "
            "measured. Enter both costs to let them set the share."
        )
        left, middle, right = st.columns(3)
        level = left.slider(
            "Cover this share of outcomes",
            50,
            99,
            90,
            1,
            format="%d%%",
            key=f"stock_level_{key}_{run_id}",
            help="90%: in 9 periods out of 10 the stock is enough; the higher, the more is left over on average.",
        )
        short = middle.number_input(
            "Cost of one unit too few",
            min_value=0.0,
            value=0.0,
            step=1.0,
            key=f"stock_short_{key}_{run_id}",
            help="What running short costs per unit: the lost margin, an unhappy customer. 0: not entered.",
        )
        over = right.number_input(
            "Cost of one unit too many",
            min_value=0.0,
            value=0.0,
            step=1.0,
            key=f"stock_over_{key}_{run_id}",
            help="What over-stocking costs per unit: write-off, storage, capital. 0: not entered.",
        )
        try:
            if short > 0 and over > 0:
                result = predictor.stock(short_cost=float(short), over_cost=float(over))
            else:
                result = predictor.stock(level / 100)
        except Exception as exc:
            state.show_error(exc, "working out the stock")
            return
        if result.why:  # the newsvendor rule: the share the two costs call for
            st.markdown(f"**From the costs:** {state.md_escape(result.why)} (short / (short + over)).")
        st.markdown(state.md_escape(result.sentence))
        table = result.table
        st.dataframe(
            overview.rounded(table, ["forecast", "stock"]),
            hide_index=True,
            width="stretch",
            column_config={
                "forecast": st.column_config.NumberColumn(format="localized"),
                "stock": st.column_config.NumberColumn(format="localized"),
            },
        )
        st.download_button(
            "Download the quantities (CSV)",
            to_safe_csv(table),
            file_name=f"stock-{fmt.share(result.level).rstrip('%')}pct-{run_id}.csv",
            mime="text/csv",
            key=f"stock_csv_{key}_{run_id}",
        )

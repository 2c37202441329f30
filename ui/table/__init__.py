"""The views of business tables: the Data page set-up, the what-if form, the regression pages.

The pages reach them through :class:`ui.table.view.TableView` (registered in :mod:`ui.kinds`).
"""

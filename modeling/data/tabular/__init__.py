"""Business tables: from an uploaded DataFrame to a checked table Dataset, in a few calls.

A page (or notebook) does::

    df = read_table(data, filename)                      # modeling.data.readers
    is_table, why = looks_like_table(df)                 # a table, or one long text column?
    columns = infer_columns(df)                          # kind, missing share, distinct, example, role
    target = propose_target(df, columns)                 # 'churn', 'price', ... or the last column
    proposal = propose_task(df[target], info)            # classification / regression, with the reason
    warnings = check_table(df, columns, target, task)    # IDs, leakage, heavy tails, ... with one-click fixes
    dataset = dataset_from_table(df, target, roles=..., task=..., columns=columns)

``dataset.frame`` is the typed feature frame and ``dataset.preparation`` the fitted
:class:`TablePreparation` that makes the same frame from any later table (save it with the model).
One job per module: ``values`` (how cells are written), ``columns`` (kinds and roles), ``target``
(target and task), ``labels`` (reading the target), ``prepare`` (the feature frame), ``build`` (the
Dataset), ``checks`` and ``power`` (warnings, leakage), ``detect`` (table or text?).
"""

from __future__ import annotations

from modeling.data.tabular.build import apply_roles, dataset_from_table
from modeling.data.tabular.checks import Fix, TableWarning, check_table
from modeling.data.tabular.columns import KIND_LABELS, ColumnInfo, columns_table, infer_columns
from modeling.data.tabular.detect import looks_like_table
from modeling.data.tabular.labels import read_labels
from modeling.data.tabular.power import prediction_power
from modeling.data.tabular.prepare import OTHER, Feature, PreparedTable, TablePreparation
from modeling.data.tabular.target import (
    CLASSIFICATION,
    REGRESSION,
    TABLE_TASKS,
    TaskProposal,
    propose_target,
    propose_task,
)

__all__ = [
    "CLASSIFICATION",
    "KIND_LABELS",
    "OTHER",
    "REGRESSION",
    "TABLE_TASKS",
    "ColumnInfo",
    "Feature",
    "Fix",
    "PreparedTable",
    "TablePreparation",
    "TableWarning",
    "TaskProposal",
    "apply_roles",
    "check_table",
    "columns_table",
    "dataset_from_table",
    "infer_columns",
    "looks_like_table",
    "prediction_power",
    "propose_target",
    "propose_task",
    "read_labels",
]

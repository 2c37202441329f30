"""A table model's scikit-learn members as ONNX graphs that answer exactly as scikit-learn does.

* Trees (:func:`trees_to_onnx`): scikit-learn's ``HistGradientBoosting*`` and ``ExtraTrees*`` become one
  ONNX ``TreeEnsemble`` node (``ai.onnx.ml`` opset 5) in double precision, written here rather than by
  skl2onnx. skl2onnx 1.20 (the newest) cannot hold ModelDeck's trees: its HistGradientBoosting converter
  fails with onnx 1.23 ("Expected an int, got a boolean"), reads every categorical split as a number
  threshold (wrong answers for categories), and its forest converter sends every blank cell right, where
  scikit-learn learned per split which side blanks go. Here each split keeps scikit-learn's rule: a number
  split is ``x <= threshold``; a category split is "is the category one of the left ones" (``BRANCH_MEMBER``);
  a blank goes where ``missing_go_to_left`` says; a category the trees never saw counts as blank.
* Linear members (:func:`linear_to_onnx`): logistic and ridge regression through skl2onnx, whose linear
  operators hold the weights as float32 (answers within about 1e-7 of scikit-learn's).

Every graph reads one input, ``codes`` (trees, float64) or ``dense`` (linear, float64), and returns the
member's own answer: probabilities over the estimator's ``classes_``, or one value (N x 1) on the member's
scale (the logarithm when it learned one). ``predict.py`` maps classes, undoes the logarithm and blends,
exactly as :class:`modeling.templates.tabular.model.Member` does. onnx and skl2onnx are imported inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling.errors import RunError

#: Opsets of the tree graphs: TreeEnsemble with category sets is ``ai.onnx.ml`` 5 (onnx 1.16, ONNX Runtime 1.18+).
TREE_OPSETS = {"": 21, "ai.onnx.ml": 5}
_LEQ, _MEMBER = 0, 6


@dataclass
class _Trees:
    """The flat arrays of a TreeEnsemble node, filled tree by tree."""

    modes: list[int] = field(default_factory=list)
    features: list[int] = field(default_factory=list)
    splits: list[float] = field(default_factory=list)
    true_ids: list[int] = field(default_factory=list)
    true_leaf: list[int] = field(default_factory=list)
    false_ids: list[int] = field(default_factory=list)
    false_leaf: list[int] = field(default_factory=list)
    missing_true: list[int] = field(default_factory=list)
    members: list[float] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)
    leaf_targets: list[int] = field(default_factory=list)
    leaf_weights: list[float] = field(default_factory=list)

    def add_tree(
        self, children: list[tuple[int, int]], split_of: Any, leaf_values: dict[int, float], target: int
    ) -> None:
        """One tree: ``children[i]`` is (left, right) of node i, (-1, -1) for a leaf; node 0 is the root.

        ``split_of(i)`` gives (mode, column, threshold, category set, blanks go left); ``leaf_values[i]`` is
        the value leaf i adds to output ``target``.
        """
        leaf_ids = {}
        for i, (left, _) in enumerate(children):
            if left < 0:
                leaf_ids[i] = len(self.leaf_weights)
                self.leaf_targets.append(int(target))
                self.leaf_weights.append(float(leaf_values[i]))
        internal = [i for i, (left, _) in enumerate(children) if left >= 0]
        node_ids = {i: len(self.modes) + k for k, i in enumerate(internal)}
        if not internal:  # a tree that is one leaf: a split that sends everything to it
            self.roots.append(len(self.modes))
            self._append(_LEQ, 0, 0.0, leaf_ids[0], 1, leaf_ids[0], 1, 1, None)
            return
        self.roots.append(node_ids[0])
        for i in internal:
            left, right = children[i]
            mode, column, threshold, members, blanks_left = split_of(i)
            self._append(
                mode,
                column,
                threshold,
                leaf_ids[left] if left in leaf_ids else node_ids[left],
                int(left in leaf_ids),
                leaf_ids[right] if right in leaf_ids else node_ids[right],
                int(right in leaf_ids),
                int(blanks_left),
                members,
            )

    def _append(
        self,
        mode: int,
        feature: int,
        threshold: float,
        t_id: int,
        t_leaf: int,
        f_id: int,
        f_leaf: int,
        missing: int,
        members: list[float] | None,
    ) -> None:
        self.modes.append(mode)
        self.features.append(int(feature))
        self.splits.append(float(threshold))
        self.true_ids.append(int(t_id))
        self.true_leaf.append(int(t_leaf))
        self.false_ids.append(int(f_id))
        self.false_leaf.append(int(f_leaf))
        self.missing_true.append(int(missing))
        if mode == _MEMBER:
            self.members += [float(v) for v in members] + [float("nan")]

    def node(self, inputs: str, output: str, n_targets: int) -> Any:
        from onnx import helper, numpy_helper

        extra = {}
        if self.members:
            extra["membership_values"] = numpy_helper.from_array(np.asarray(self.members, dtype=np.float64))
        return helper.make_node(
            "TreeEnsemble",
            [inputs],
            [output],
            domain="ai.onnx.ml",
            n_targets=n_targets,
            aggregate_function=1,  # SUM
            post_transform=0,
            tree_roots=self.roots,
            nodes_modes=numpy_helper.from_array(np.asarray(self.modes, dtype=np.uint8)),
            nodes_featureids=self.features,
            nodes_splits=numpy_helper.from_array(np.asarray(self.splits, dtype=np.float64)),
            nodes_truenodeids=self.true_ids,
            nodes_trueleafs=self.true_leaf,
            nodes_falsenodeids=self.false_ids,
            nodes_falseleafs=self.false_leaf,
            nodes_missing_value_tracks_true=self.missing_true,
            leaf_targetids=self.leaf_targets,
            leaf_weights=numpy_helper.from_array(np.asarray(self.leaf_weights, dtype=np.float64)),
            **extra,
        )


# ---- HistGradientBoosting ---------------------------------------------------------------------------------------
def _hgb_features(estimator: Any, n_features: int) -> tuple[list[int], dict[int, np.ndarray]]:
    """(original column of each feature index the trees use, known category values per original column).

    With categorical columns scikit-learn puts them first (ordinal-encoded: the i-th known value becomes i),
    then the number columns; the trees' ``feature_idx`` counts in that order.
    """
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None:
        return list(range(n_features)), {}
    mask = np.asarray(estimator.is_categorical_, dtype=bool)
    order = [*np.flatnonzero(mask).tolist(), *np.flatnonzero(~mask).tolist()]
    encoder = preprocessor.named_transformers_["encoder"]
    known = {}
    for column, values in zip(np.flatnonzero(mask).tolist(), encoder.categories_, strict=True):
        values = np.asarray(values, dtype=np.float64)
        known[column] = values[~np.isnan(values)]
    return order, known


def _bitset_members(bitsets: np.ndarray, index: int, values: np.ndarray) -> list[float]:
    """The category values whose ordinal position is set in bitset ``index`` (8 words of 32 bits)."""
    words = np.asarray(bitsets[index], dtype=np.uint64)
    return [float(values[i]) for i in range(len(values)) if (int(words[i // 32]) >> (i % 32)) & 1]


def _add_hgb(trees: _Trees, estimator: Any, n_features: int) -> int:
    order, known = _hgb_features(estimator, n_features)
    n_targets = int(estimator.n_trees_per_iteration_)
    for iteration in estimator._predictors:
        for target, predictor in enumerate(iteration):
            nodes = predictor.nodes
            children = [(-1, -1) if node["is_leaf"] else (int(node["left"]), int(node["right"])) for node in nodes]

            def split_of(i: int, nodes: Any = nodes, predictor: Any = predictor) -> tuple:
                node = nodes[i]
                column = order[int(node["feature_idx"])]
                if node["is_categorical"]:
                    members = _bitset_members(predictor.raw_left_cat_bitsets, int(node["bitset_idx"]), known[column])
                    if not members:  # nothing goes left but blanks: a split no value passes
                        return _LEQ, column, float("-inf"), None, node["missing_go_to_left"]
                    return _MEMBER, column, 0.0, members, node["missing_go_to_left"]
                return _LEQ, column, float(node["num_threshold"]), None, node["missing_go_to_left"]

            values = {i: float(node["value"]) for i, node in enumerate(nodes) if node["is_leaf"]}
            trees.add_tree(children, split_of, values, target)
    return n_targets


# ---- scikit-learn trees (ExtraTrees) ----------------------------------------------------------------------------
def _add_forest(trees: _Trees, estimator: Any, classifier: bool) -> int:
    n_trees = len(estimator.estimators_)
    n_targets = len(estimator.classes_) if classifier else 1
    for tree_estimator in estimator.estimators_:
        tree = tree_estimator.tree_
        left, right = tree.children_left, tree.children_right
        missing_left = getattr(tree, "missing_go_to_left", np.zeros(tree.node_count, dtype=np.uint8))
        children = [(-1, -1) if left[i] < 0 else (int(left[i]), int(right[i])) for i in range(tree.node_count)]

        def split_of(i: int, tree: Any = tree, missing_left: Any = missing_left) -> tuple:
            return _LEQ, int(tree.feature[i]), float(tree.threshold[i]), None, bool(missing_left[i])

        for target in range(n_targets):
            values = {}
            for i in range(tree.node_count):
                if left[i] >= 0:
                    continue
                if classifier:
                    row = np.asarray(tree.value[i, 0], dtype=np.float64)
                    total = row.sum()
                    values[i] = float(row[target] / (total if total else 1.0) / n_trees)
                else:
                    values[i] = float(tree.value[i, 0, 0]) / n_trees
            trees.add_tree(children, split_of, values, target)
    return n_targets


# ---- the graph --------------------------------------------------------------------------------------------------
def trees_to_onnx(estimator: Any, n_features: int) -> Any:
    """An ONNX model of a fitted HistGradientBoosting or ExtraTrees estimator (input ``codes``, float64)."""
    from onnx import TensorProto, checker, helper, numpy_helper

    name = type(estimator).__name__
    classifier = name.endswith("Classifier")
    trees = _Trees()
    nodes: list[Any] = []
    initializers: list[Any] = []
    source = "codes"
    if name.startswith("HistGradientBoosting"):
        n_targets = _add_hgb(trees, estimator, n_features)
        source = _unknown_categories_as_blank(estimator, n_features, nodes, initializers)
    elif name.startswith("ExtraTrees"):
        n_targets = _add_forest(trees, estimator, classifier)
        # scikit-learn's trees compare float32 copies of the inputs with float64 thresholds.
        nodes += [
            helper.make_node("Cast", ["codes"], ["codes_f32"], to=TensorProto.FLOAT),
            helper.make_node("Cast", ["codes_f32"], ["codes_f64"], to=TensorProto.DOUBLE),
        ]
        source = "codes_f64"
    else:
        raise RunError(f"ModelDeck cannot write a {name} as ONNX trees.")
    nodes.append(trees.node(source, "raw", n_targets))
    out_width = n_targets
    if name.startswith("HistGradientBoosting"):
        baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(1, -1)
        initializers.append(numpy_helper.from_array(baseline, "baseline"))
        nodes.append(helper.make_node("Add", ["raw", "baseline"], ["score"]))
        if classifier and n_targets == 1:  # two classes: one score, the probability of the second
            initializers.append(numpy_helper.from_array(np.ones((1, 1), dtype=np.float64), "one"))
            nodes += [
                helper.make_node("Sigmoid", ["score"], ["second"]),
                helper.make_node("Sub", ["one", "second"], ["first"]),
                helper.make_node("Concat", ["first", "second"], ["output"], axis=1),
            ]
            out_width = 2
        elif classifier:
            nodes.append(helper.make_node("Softmax", ["score"], ["output"], axis=1))
        else:
            nodes.append(helper.make_node("Identity", ["score"], ["output"]))
    else:
        nodes.append(helper.make_node("Identity", ["raw"], ["output"]))
    graph = helper.make_graph(
        nodes,
        f"modeldeck_{name}",
        [helper.make_tensor_value_info("codes", TensorProto.DOUBLE, [None, n_features])],
        [helper.make_tensor_value_info("output", TensorProto.DOUBLE, [None, out_width])],
        initializer=initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(domain, version) for domain, version in TREE_OPSETS.items()],
        producer_name="ModelDeck",
    )
    model.ir_version = 10
    checker.check_model(model)
    return model


def _unknown_categories_as_blank(estimator: Any, n_features: int, nodes: list[Any], initializers: list[Any]) -> str:
    """Graph nodes that turn category values the trees never saw into blanks, as scikit-learn does."""
    from onnx import TensorProto, helper, numpy_helper

    _, known = _hgb_features(estimator, n_features)
    if not known:
        return "codes"
    initializers.append(numpy_helper.from_array(np.asarray([np.nan], dtype=np.float64), "blank"))
    columns = []
    for j in range(n_features):
        initializers.append(numpy_helper.from_array(np.asarray([j], dtype=np.int64), f"col_{j}"))
        nodes.append(helper.make_node("Gather", ["codes", f"col_{j}"], [f"x_{j}"], axis=1))
        if j not in known:
            columns.append(f"x_{j}")
            continue
        initializers.append(numpy_helper.from_array(known[j].reshape(1, -1), f"known_{j}"))
        nodes += [
            helper.make_node("Equal", [f"x_{j}", f"known_{j}"], [f"hit_{j}"]),
            helper.make_node("Cast", [f"hit_{j}"], [f"hit_num_{j}"], to=TensorProto.DOUBLE),
            helper.make_node("ReduceMax", [f"hit_num_{j}", "axis_1"], [f"seen_num_{j}"], keepdims=1),
            helper.make_node("Cast", [f"seen_num_{j}"], [f"seen_{j}"], to=TensorProto.BOOL),
            helper.make_node("Where", [f"seen_{j}", f"x_{j}", "blank"], [f"y_{j}"]),
        ]
        columns.append(f"y_{j}")
    initializers.append(numpy_helper.from_array(np.asarray([1], dtype=np.int64), "axis_1"))
    nodes.append(helper.make_node("Concat", columns, ["codes_known"], axis=1))
    return "codes_known"


# ---- linear members (skl2onnx) ----------------------------------------------------------------------------------
def linear_to_onnx(estimator: Any, n_features: int) -> Any:
    """Logistic or ridge regression through skl2onnx (input ``dense``, float64; output ``output``)."""
    from onnx import helper
    from skl2onnx import to_onnx

    example = np.zeros((1, n_features), dtype=np.float64)
    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "predict_proba") else None
    try:
        model = to_onnx(estimator, example, options=options, target_opset=17, initial_types=None)
    except Exception as exc:  # a converter failure is a sentence, not a traceback
        raise RunError(f"skl2onnx could not convert the linear model ({type(exc).__name__}).") from None
    graph = model.graph
    graph.input[0].name = "dense"
    for node in graph.node:
        node.input[:] = ["dense" if name == "X" else name for name in node.input]
    wanted = "probabilities" if options else graph.output[0].name
    keep = next(out for out in graph.output if out.name == wanted)
    graph.node.append(helper.make_node("Identity", [wanted], ["output"]))
    keep_type = keep.type
    del graph.output[:]
    out = helper.make_tensor_value_info("output", keep_type.tensor_type.elem_type, [None, None])
    graph.output.append(out)
    return model

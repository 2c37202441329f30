"""The pieces of a table run's standalone script, as source text (joined by :mod:`modeling.export.code_tables`).

The cell reading is not written again: the script embeds ``shipped/prepare_table.py`` (the same code every
table export ships and that ModelDeck checks against its own preparation), so "the same parsing" is the
same code. What the script adds is what training does once: learn the categories and earliest dates on the
whole table (as ``TablePreparation.fit``), the encoder on the training rows (as ``TableEncoder.fit``), the
seeded split, the models and the blend (as ``TableModel``).
"""

from __future__ import annotations

LABELS = '''
# ---- the target ----
def label_strings(series):
    """Class names as ModelDeck writes them: 1.0 -> '1', ' Yes ' -> 'Yes'."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("str").fillna("").to_numpy(str)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64).astype(str)
        return np.asarray([f"{v:g}" for v in values], dtype=str)
    return series.astype("str").str.strip().fillna("").to_numpy(str)


def read_target(table):
    """(rows kept, target): rows without a readable target, or with a class the run did not learn, are left out."""
    series = table[TARGET]
    missing = missing_mask(series)
    if REGRESSION:
        if TARGET_FORMAT.get("kind") == "boolean":
            values, bad = parse_booleans(series, TARGET_FORMAT)
        else:
            values, bad = parse_numbers(series, TARGET_FORMAT if TARGET_FORMAT.get("kind") == "number" else {})
        keep = ~missing & ~bad
        return keep, values[keep]
    names = label_strings(series)
    index = {name: i for i, name in enumerate(CLASSES)}
    keep = ~missing & np.isin(names, CLASSES)
    return keep, np.asarray([index[name] for name in names[keep]], dtype=np.int64)


def duplicated_rows(table):
    """Rows that repeat an earlier row exactly (every column equal)."""
    try:
        hashed = pd.util.hash_pandas_object(table, index=False)
    except TypeError:
        hashed = pd.util.hash_pandas_object(table.astype("str"), index=False)
    return np.asarray(hashed.duplicated(), dtype=bool)
'''

FITTING = '''
# ---- what training learns once: categories and dates on the whole table, the encoder on the training rows ----
def fit_preparation(table):
    """The 200 most frequent categories per column (the rest read as "(other)") and each date column's earliest
    date (what "days since" counts from), learned on every row with a target, as ModelDeck does."""
    categories, references, features, taken = {}, {}, [], {c["name"] for c in COLUMNS}
    for column in COLUMNS:
        name, fmt = column["name"], column["format"]
        kind = "category" if fmt["kind"] == "text" else fmt["kind"]
        if kind == "category":
            counts = _category_text(table[name]).value_counts()
            categories[name] = [str(v) for v in counts.index[:200]]
        elif kind == "datetime":
            dates = parse_dates(table[name], fmt)[0].dropna()
            references[name] = pd.Timestamp(dates.min() if len(dates) else "2000-01-01").isoformat()
        if kind != "datetime":
            features.append({"name": name, "source": name, "kind": kind, "part": ""})
            continue
        for part in DATE_PARTS:
            if part == "hour" and not fmt.get("has_time"):
                continue
            feature = f"{name}_{part}"
            while feature in taken:
                feature += "_"
            taken.add(feature)
            features.append({"name": feature, "source": name, "kind": "number", "part": part})
    saved = {"columns": COLUMNS, "target_column": TARGET, "categories": categories, "date_reference": references}
    return Preparation({**saved, "features": features})


def natural_ranks(values):
    """Each category's code for the trees: its rank in natural order ("A2" < "A10" < "B1"), as ModelDeck does."""
    def key(value):
        return [(0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in re.split(r"(\\d+)", value) if p]
    order = sorted(range(len(values)), key=lambda i: (key(values[i]), values[i]))
    ranks = [0] * len(values)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks


def fit_encoder(frame):
    """Learned on the training rows only: each number's median, mean and spread; categories by frequency
    (at most 250 for the trees, coded in natural order; a 0/1 column for the 100 most frequent seen at least
    3 times)."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            values = _as_numbers(column)
            finite = values[np.isfinite(values)]
            std = float(finite.std()) if len(finite) > 1 else 1.0
            columns.append({
                "name": name, "kind": "number",
                "median": float(np.median(finite)) if len(finite) else 0.0,
                "mean": float(finite.mean()) if len(finite) else 0.0,
                "std": std if std > 1e-12 and np.isfinite(std) else 1.0,
                "has_missing": bool(len(finite) < len(values)),
            })
        else:
            counts = pd.Series(_as_text(column)).value_counts(dropna=True)
            ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
            frequent = sum(1 for _, count in ordered[:100] if int(count) >= 3)
            kept = [str(k) for k, _ in ordered[:250]]
            columns.append({
                "name": name, "kind": "category", "categories": kept, "one_hot": frequent,
                "tree_codes": natural_ranks(kept),
            })
    return Encoder({"columns": columns})
'''


def trees(regression: bool) -> str:
    estimator = (
        "HistGradientBoostingRegressor(loss=TREE_LOSS, **common)"
        if regression
        else ("HistGradientBoostingClassifier(**common)")
    )
    return f'''
def fit_trees(x, y, x_val, y_val, categorical, overrides):
    """scikit-learn's HistGradientBoosting: blanks and categories native, early stopping on the validation rows."""
    has_val = len(x_val) > 0 and len(np.unique(y_val)) > {0 if regression else 1}
    common = dict(categorical_features=categorical if categorical.any() else None, early_stopping=has_val,
                  n_iter_no_change=TREE_PATIENCE, scoring="loss")
    common.update({{**TREES, **overrides}})  # a member may read categories as numbers (categorical_features None)
    model = {estimator}
    return model.fit(x, y, X_val=x_val, y_val=y_val) if has_val else model.fit(x, y)
'''


def extra_trees(regression: bool) -> str:
    name, features = ("ExtraTreesRegressor", "0.5") if regression else ("ExtraTreesClassifier", '"sqrt"')
    return f'''
def fit_extra_trees(x, y, overrides):
    """A forest of randomised trees: different errors from boosting, so it blends well."""
    params = {{"n_estimators": 300, "min_samples_leaf": 2, "max_features": {features}, "random_state": SEED,
              "n_jobs": 1, **overrides}}
    return {name}(**params).fit(x, y)
'''


def linear(regression: bool) -> str:
    if regression:
        body = "    return Ridge(alpha=REGULARIZATION).fit(x, y)"
        doc = "Ridge regression on the dense encoding (penalty REGULARIZATION)."
    else:
        body = "    return LogisticRegression(C=1.0 / REGULARIZATION, max_iter=2000).fit(x, y)"
        doc = "Logistic regression on the dense encoding, C = 1 / REGULARIZATION."
    return f'''
def fit_linear(x, y):
    """{doc}"""
{body}
'''


def network(hidden_units: int, hidden_layers: int, dropout: float) -> str:
    """The MLP, written out with the run's sizes."""
    layers = []
    for i in range(1, hidden_layers + 1):
        layers.append(f'    x = layers.Dense({hidden_units}, activation="relu", name="hidden_{i}")(x)')
        if dropout > 0:
            layers.append(f'    x = layers.Dropout({dropout}, name="dropout_{i}")(x)')
    body = "\n".join(layers)
    return f'''
def build_network(input_dim, outputs):
    """Dense + ReLU + dropout blocks; softmax over the classes, or one linear output (standardised target)."""
    inputs = keras.Input(shape=(input_dim,), name="features", dtype="float32")
    x = inputs
{body}
    if REGRESSION:
        out = layers.Dense(1, name="value", dtype="float32")(x)
    else:
        out = layers.Dense(outputs, activation="softmax", name="probabilities", dtype="float32")(x)
    return keras.Model(inputs, out, name="table_mlp")


def fit_network(x, y, x_val, y_val):
    """Train the MLP (a number is learned standardised: (y - mean) / spread); returns (model, mean, spread)."""
    y_mean, y_std = 0.0, 1.0
    if REGRESSION:
        y_mean, y_std = float(np.mean(y)), float(np.std(y)) or 1.0
        y, y_val = (y - y_mean) / y_std, (y_val - y_mean) / y_std
    model = build_network(x.shape[1], 1 if REGRESSION else len(CLASSES))
    target = y.astype("float32") if REGRESSION else y.astype("int64")
    validation = (x_val, y_val.astype("float32") if REGRESSION else y_val) if len(x_val) else None
    fit(model, x, target, validation, len(x))
    return model, y_mean, y_std
'''


def answers(regression: bool, network: bool) -> str:
    """``member_answer`` (one model's answers in the target's terms) and ``blend``, for this task only."""
    network_part = ""
    if network:
        network_part = (
            '    if member["kind"] == "neural_network":\n'
            "        model, y_mean, y_std = model\n"
            '        out = keras.ops.convert_to_numpy(model(x.astype("float32"), training=False)).astype(np.float64)\n'
        )
    if regression:
        ending = "    values = np.asarray(model.predict(x), dtype=np.float64)\n"
        if network:
            network_part += (
                "        values = out.reshape(len(x), -1)[:, 0] * y_std + y_mean  # back to the target's units\n"
            )
            ending = "    else:\n    " + ending
        ending += '    return np.expm1(np.clip(values, -50.0, 50.0)) if member["log_target"] else values\n'
        renormalise = ""
    else:
        network_part += "        return out\n" if network else ""
        ending = (
            "    probs = np.zeros((len(x), len(CLASSES)))  # a class missing from the training rows stays at 0\n"
            "    probs[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(x)\n"
            "    return probs\n"
        )
        renormalise = (
            "    out = np.clip(out, 0.0, None)\n    out = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)\n"
        )
    return (
        "# ---- answers: each model in the target's terms, then the blend ----\n"
        "def member_answer(member, model, inputs):\n"
        '    """Probabilities over every class (N x K), or values in the target units (N,)."""\n'
        '    x = inputs[member["input"]]\n'
        + network_part
        + ending
        + '''

def blend(answers, weights):
    """The weighted average of the members' answers, as ModelDeck blends them."""
    weights = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), 1.0 / len(weights))
    out = sum(w * a for w, a in zip(weights, answers))
'''
        + renormalise
        + "    return out\n"
    )


def main(kinds: set[str], has_log_rule: bool, regression: bool) -> str:
    """``main()``: read, learn the preparation, split, encode, fit every member, blend, print the test figures."""
    fits = []
    if "trees" in kinds:
        fits.append(
            '            if member["kind"] == "trees":\n'
            '                model = fit_trees(x["codes"], y_fit, xv["codes"], y_val_fit, encoder_mask, settings)'
        )
    if "extra_trees" in kinds:
        fits.append(
            '            if member["kind"] == "extra_trees":\n'
            '                model = fit_extra_trees(x["codes"], y_fit, settings)'
        )
    if "linear" in kinds:
        fits.append('            if member["kind"] == "linear":\n                model = fit_linear(x["dense"], y_fit)')
    if "neural_network" in kinds:
        fits.append(
            '            if member["kind"] == "neural_network":\n'
            '                model = fit_network(x["dense"], y_fit, xv["dense"], y_val_fit)'
        )
    log_rule = (
        '        if member["log_target"] is None:  # decided as ModelDeck decides: positive and heavy-tailed\n'
        '            member = {**member, "log_target": use_log_target(pool_y[train])}\n'
        if has_log_rule
        else ""
    )
    seed = "    keras.utils.set_random_seed(SEED)\n" if "neural_network" in kinds else ""
    splitter = "KFold" if regression else "StratifiedKFold"
    return (
        f"""
def member_folds(member, train, val, strata):
    \"\"\"(rows to fit, rows to watch, seed) per model to train: one on the training rows watching the validation
    rows, or a bagged model's k fold models on both (each watching the fold it does not learn from).\"\"\"
    k = member.get("folds", 0)
    if k < 2:
        return [(train, val, SEED)]
    rows = np.concatenate([train, val])
    splitter = {splitter}(n_splits=k, shuffle=True, random_state=SEED)
    return [(rows[fit], rows[held], SEED + i)
            for i, (fit, held) in enumerate(splitter.split(np.zeros((len(rows), 1)), strata[rows]))]


def fold_settings(member, seed):
    \"\"\"What differs per fold model: the trees' seed; a fold forest holds its share of the forest's trees.\"\"\"
    out = {{"random_state": seed}} if member["kind"] in ("trees", "extra_trees") else {{}}
    if member["kind"] == "extra_trees" and member.get("folds", 0) > 1:
        out["n_estimators"] = max(10, 300 // member["folds"])
    return out
"""
        + """
def main():
    table = read_table(DATA_FILE)
    if DROP_DUPLICATES:
        table = table[~duplicated_rows(table)].reset_index(drop=True)
    keep, y = read_target(table)
    table = table[keep].reset_index(drop=True)
    frame, _ = fit_preparation(table).prepare(table)
    strata = np.zeros(len(y)) if REGRESSION else y
    rest, test = split(strata, TEST_SHARE)
    train, val = (rest[i] for i in split(strata[rest], VALIDATION_SHARE))
    print(f"{len(y)} rows: {len(train)} to train, {len(val)} to validate, {len(test)} to test")
"""
        + seed
        + """    # A bagged blend (Automatic) learned its encoder on the training and validation rows together.
    bagged = any(m.get("folds", 0) > 1 for m in MEMBERS)
    pool_rows = np.concatenate([train, val])
    encoder = fit_encoder(frame.iloc[pool_rows if bagged else train].reset_index(drop=True))
    pool_frame = frame.iloc[pool_rows].reset_index(drop=True)
    pool = {"codes": encoder.codes(pool_frame), "dense": encoder.dense(pool_frame)}
    pool_y, strata = y[pool_rows], strata[pool_rows]
    train, val = np.arange(len(train)), np.arange(len(train), len(pool_rows))
    test_frame = frame.iloc[test].reset_index(drop=True)
"""
        + (
            '    encoder_mask = np.asarray([c["kind"] == "category" for c in encoder.columns])\n'
            if "trees" in kinds
            else ""
        )
        + """    test_inputs = {"codes": encoder.codes(test_frame), "dense": encoder.dense(test_frame)}
    answers = []
    for member in MEMBERS:
"""
        + log_rule
        + """        fold_answers = []
        for fit_rows, watch_rows, seed in member_folds(member, train, val, strata):
            x = {"codes": pool["codes"][fit_rows], "dense": pool["dense"][fit_rows]}
            xv = {"codes": pool["codes"][watch_rows], "dense": pool["dense"][watch_rows]}
            y_fit, y_val_fit = pool_y[fit_rows], pool_y[watch_rows]
            if REGRESSION and member["log_target"]:
                y_fit, y_val_fit = np.log1p(y_fit), np.log1p(y_val_fit)
            settings = {**member["settings"], **fold_settings(member, seed)}
"""
        + "\n".join(fits)
        + """
            fold_answers.append(member_answer(member, model, test_inputs))
        answers.append(sum(fold_answers) / len(fold_answers))  # a bagged model: its fold models' average
    predicted = blend(answers, [m["weight"] for m in MEMBERS])
"""
        + (REGRESSION_FIGURES if regression else CLASS_FIGURES)
        + """

if __name__ == "__main__":
    main()
"""
    )


REGRESSION_FIGURES = """    print(f"test RMSE: {np.sqrt(mean_squared_error(y[test], predicted)):.6g}")
    print(f"test MAE: {mean_absolute_error(y[test], predicted):.6g}")
    print(f"test R2: {r2_score(y[test], predicted):.4f}")
"""
CLASS_FIGURES = """    print(f"test accuracy: {accuracy_score(y[test], predicted.argmax(axis=1)):.4f}")
    print(f"test macro F1: {f1_score(y[test], predicted.argmax(axis=1), average='macro'):.4f}")
"""


LOG_RULE = '''
def use_log_target(y):
    """Learn log(1 + y) when the target is never negative and heavy-tailed (top 1% >= 4 times the median)."""
    if LOG_TARGET == "no" or len(y) == 0:
        return False
    if LOG_TARGET == "yes":
        return True
    median = float(np.median(y))
    return float(np.min(y)) > 0 and median > 0 and float(np.quantile(y, 0.99)) / median >= 4.0
'''

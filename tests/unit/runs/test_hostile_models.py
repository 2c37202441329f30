"""Model files: only ModelDeck's own bundles load, with safe_mode=True; code inside a model is refused."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras
import pytest

from modeling.config import default_config
from modeling.errors import RunError
from modeling.runs.keras_file import load_bundle_model
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore

MARKER = Path("/tmp/modeldeck-model-code-ran")


def _finished_run(store: RunStore, model_writer) -> str:
    """A run folder that looks finished, whose model.keras is written by ``model_writer(path)``."""
    cfg = default_config("image_classification", "sample:digits")
    path = store.create(cfg, {"name": "digits"}, ["a", "b"])
    model_writer(path / "model.keras")
    store.update_meta(path, status="finished", accuracy=0.5)
    return path.name


def _lambda_model(path: Path) -> None:
    inputs = keras.Input((4,))
    hidden = keras.layers.Lambda(lambda x: x * 2)(inputs)  # Python code inside the model
    keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden)).save(path)


def _unknown_object_model(path: Path) -> None:
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Elsewhere(keras.layers.Layer):
        def call(self, x):
            MARKER.write_text("ran")
            return x

    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(2)(Elsewhere()(inputs))).save(path)
    keras.saving.get_custom_objects().pop("elsewhere>Elsewhere")  # as in a fresh server process


def _module_injection_model(path: Path) -> None:
    """A plain model whose config was edited to name ``os.system`` as a layer class."""
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    with zipfile.ZipFile(path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(files["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Dense":
            layer.update(module="os", class_name="system", registered_name=None)
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)


@pytest.mark.parametrize(
    ("writer", "message"),
    [
        (_lambda_model, "contains a Lambda layer (Python code inside the model), so it was not loaded"),
        (_unknown_object_model, "uses an object ModelDeck does not know ('Elsewhere')"),
        (_module_injection_model, "uses an object ModelDeck does not know ('system')"),
        (lambda p: p.write_bytes(b"PK\x03\x04 not a model"), "damaged or is not a model ModelDeck can load safely"),
    ],
)
def test_foreign_model_in_a_run_folder_is_refused_with_a_message(tmp_path, writer, message):
    store = RunStore(tmp_path, starters=None)
    run = store.load(_finished_run(store, writer))
    MARKER.unlink(missing_ok=True)  # building the model called the layer once; loading must not
    with pytest.raises(RunError) as info:
        load_predictor(run)
    assert message in str(info.value)
    assert str(tmp_path) not in str(info.value)  # the server's folders are never shown
    assert not MARKER.exists(), "code from the model file ran"


def test_only_keras_files_that_are_real_files_load(tmp_path):
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(RunError, match=r"Only ModelDeck's own \.keras model files"):
        load_bundle_model(h5)
    outside = tmp_path / "elsewhere.keras"
    _lambda_model(outside)
    link = tmp_path / "link.keras"
    link.symlink_to(outside)
    with pytest.raises(RunError, match=r"Only ModelDeck's own \.keras model files"):
        load_bundle_model(link)


def test_starter_bundles_still_load(tmp_path):
    store = RunStore(tmp_path)  # no runs of its own: only the starters shipped with the code
    infos = store.list_runs()
    assert len(infos) >= 2
    for info in infos:
        assert info.starter
        predictor = load_predictor(store.load(info.run_id))
        assert predictor.model is not None

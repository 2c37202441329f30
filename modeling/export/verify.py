"""Check an export against the Keras model before anyone may download it.

The export's own ``predict.py`` runs in a fresh Python process, in isolated mode (no ``PYTHONPATH``,
no user packages, so nothing of ModelDeck can be imported), on the run's saved test split, with the
format's own runtime (ONNX Runtime, the LiteRT interpreter, a TensorFlow serving signature, Keras).
Its probabilities are compared with the Keras model's on the same inputs: the largest difference and
how many answers (top classes) agree. A difference above :data:`TOLERANCE` fails the check, and a
failed check blocks the download with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modeling import format as fmt

#: Largest probability difference an export may show against the Keras model. float32 arithmetic in
#: another order (fused kernels, other runtimes) moves probabilities by about 1e-7..1e-6.
TOLERANCE = 1e-4
#: How long the fresh process may take (TensorFlow alone needs a few seconds to import).
TIMEOUT_S = 600


@dataclass(frozen=True)
class ParityCheck:
    """The outcome of running an export on the test split next to the Keras model."""

    format: str
    rows: int
    identical: int
    max_difference: float
    passed: bool
    reason: str = ""
    seconds: float = 0.0

    def sentence(self) -> str:
        """'ONNX: 1,600 of 1,600 answers identical, largest difference 3e-07' (or why it failed)."""
        if self.rows == 0 and not self.passed:
            return f"{self.format}: not checked — {self.reason}"
        text = (
            f"{self.format}: {fmt.count(self.identical)} of {fmt.plural(self.rows, 'answer')} identical, "
            f"largest difference {self.max_difference:.1g}"
        )
        return text if self.passed else f"{text} — failed: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_inputs(inputs: Any, kind: str, folder: Path) -> Path:
    """The test inputs as a file ``predict.py`` reads: a JSON list of texts, or an .npz of pixels."""
    if kind == "text":
        path = folder / "test_texts.json"
        path.write_text(json.dumps([str(t) for t in inputs], ensure_ascii=False), encoding="utf-8")
        return path
    path = folder / "test_images.npz"
    np.savez_compressed(path, images=np.asarray(inputs, dtype=np.uint8))
    return path


def run_export(export_dir: Path, input_path: Path, timeout: float = TIMEOUT_S) -> np.ndarray:
    """The export's probabilities on ``input_path``, computed by its own ``predict.py`` in a fresh process."""
    out = input_path.with_name("export_probabilities.npy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    done = subprocess.run(
        [sys.executable, "-I", "-B", str(export_dir / "predict.py"), str(input_path), "--raw-out", str(out)],
        cwd=export_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:] or ["no message"]
        raise RuntimeError(f"predict.py stopped with an error ({last[0][:300]})")
    return np.load(out, allow_pickle=False)


def compare(title: str, expected: np.ndarray, got: np.ndarray, seconds: float = 0.0) -> ParityCheck:
    """Largest difference and agreeing answers of ``got`` against the Keras probabilities ``expected``."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        return ParityCheck(
            title,
            len(expected),
            0,
            float("inf"),
            False,
            f"answers of shape {got.shape}, expected {expected.shape}",
            seconds,
        )
    if not np.isfinite(got).all():
        return ParityCheck(title, len(expected), 0, float("inf"), False, "the export answers NaN or infinity", seconds)
    difference = float(np.abs(got - expected).max()) if got.size else 0.0
    identical = int((got.argmax(axis=1) == expected.argmax(axis=1)).sum()) if got.size else 0
    reason = ""
    if difference > TOLERANCE:
        reason = f"probabilities differ by up to {difference:.1g} (allowed: {TOLERANCE:g})"
    return ParityCheck(title, len(expected), identical, difference, not reason, reason, round(seconds, 2))


def check_export(title: str, export_dir: Path, inputs: Any, kind: str, expected: np.ndarray) -> ParityCheck:
    """Run the export in a fresh process on ``inputs`` and compare with ``expected`` (never raises)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="modeldeck-check-") as scratch:
        try:
            got = run_export(export_dir, write_inputs(inputs, kind, Path(scratch)))
        except subprocess.TimeoutExpired:
            return ParityCheck(title, 0, 0, float("inf"), False, f"the check took longer than {TIMEOUT_S} s")
        except (RuntimeError, OSError, ValueError) as exc:
            return ParityCheck(title, 0, 0, float("inf"), False, str(exc))
    return compare(title, expected, got, time.perf_counter() - started)

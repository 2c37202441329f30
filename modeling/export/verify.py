"""Check an export against the Keras model before anyone may download it.

The export's own ``predict.py`` runs in a fresh Python process, in isolated mode (no ``PYTHONPATH``,
no user packages, so nothing of ModelDeck can be imported), on the run's saved test split, with the
format's own runtime (ONNX Runtime, the LiteRT interpreter, a TensorFlow serving signature, Keras).
Its probabilities are compared with the Keras model's on the same inputs: the largest difference and
how many answers (top classes) agree. A difference above :data:`TOLERANCE` fails the check, and a
failed check blocks the download with its reason.

Table models are checked the same way on a CSV of the test rows, against ModelDeck's own table predictor
reading the same file: class probabilities as above, or (a number to predict) each value and its range
bounds, whose largest difference is measured against the target's spread (:func:`compare_values`) and
shown in the target's units.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    #: "probabilities" (classes), or "values" (a number: differences in the target's units).
    measure: str = "probabilities"
    #: Values only: the target's spread (standard deviation on the test rows), its name and currency.
    scale: float = 1.0
    target: str = ""
    currency: str = ""

    def sentence(self) -> str:
        """'ONNX: 1,600 of 1,600 answers identical, largest difference 3e-07' (or why it failed)."""
        if self.rows == 0 and not self.passed:
            return f"{self.format}: not checked — {self.reason}"
        if self.measure == "values":
            return self._values_sentence()
        text = (
            f"{self.format}: {fmt.count(self.identical)} of {fmt.plural(self.rows, 'answer')} identical, "
            f"largest difference {self.max_difference:.1g}"
        )
        return text if self.passed else f"{text} — failed: {self.reason}"

    def _values_sentence(self) -> str:
        """'ONNX: 400 of 400 predicted prices agree, largest difference 0.0021 (1e-08 of their spread, 78,700)'."""
        name = self.target or "value"
        relative = self.max_difference / self.scale if self.scale > 0 else self.max_difference
        text = (
            f"{self.format}: {fmt.count(self.identical)} of {fmt.count(self.rows)} predicted values of {name} agree, "
            f"largest difference {_amount(self.max_difference, self.currency)} ({relative:.1g} of their spread, "
            f"{_amount(self.scale, self.currency)})"
        )
        return text if self.passed else f"{text} — failed: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _amount(value: float, currency: str = "") -> str:
    """A difference or a spread in the target's units: '$0.02', '78,700', '3e-09', '12 EUR'."""
    if not np.isfinite(value):
        return "infinite"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.2g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.0e}"
    currency = currency.strip()
    if not currency:
        return text
    return f"{currency}{text}" if len(currency) <= 1 or not currency.isalpha() else f"{text} {currency}"


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


def compare_values(
    title: str, expected: np.ndarray, got: np.ndarray, scale: float, target: str = "", currency: str = "", seconds=0.0
) -> ParityCheck:
    """Predicted values (column 0) and range bounds (the other columns) of ``got`` against ``expected``.

    A row agrees when every number of it is within :data:`TOLERANCE` times ``scale`` (the target's spread) of
    ModelDeck's; the check fails when any row does not.
    """
    scale = float(scale) if np.isfinite(scale) and scale > 0 else 1.0
    names = {"target": target, "currency": currency, "measure": "values", "scale": scale}
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    rows = len(expected)
    if got.shape != expected.shape:
        reason = f"answers of shape {got.shape}, expected {expected.shape}"
        return ParityCheck(title, rows, 0, float("inf"), False, reason, seconds, **names)
    if not np.isfinite(got).all():
        return ParityCheck(title, rows, 0, float("inf"), False, "the export answers NaN or infinity", seconds, **names)
    gap = np.abs(got - expected).reshape(rows, -1) if rows else np.zeros((0, 1))
    difference = float(gap.max()) if gap.size else 0.0
    identical = int((gap.max(axis=1) <= TOLERANCE * scale).sum()) if gap.size else 0
    reason = ""
    if difference > TOLERANCE * scale:
        reason = (
            f"predicted values differ by up to {_amount(difference, currency)} ({difference / scale:.1g} of their "
            f"spread; allowed: {TOLERANCE:g})"
        )
    return ParityCheck(title, rows, identical, difference, not reason, reason, round(seconds, 2), **names)


def check_export(
    title: str, export_dir: Path, input_path: Path, expected: np.ndarray, values: dict[str, Any] | None = None
) -> ParityCheck:
    """Run the export in a fresh process on ``input_path`` and compare with ``expected`` (never raises).

    ``input_path`` is the test inputs as ``predict.py`` reads them, written by the family's exporter outside
    the export folder (a JSON list of texts, an ``.npz`` of pixels, a CSV of table rows). ``values`` (a number to
    predict) holds ``scale``, ``target`` and ``currency`` for :func:`compare_values`.
    """
    started = time.perf_counter()
    try:
        got = run_export(export_dir, Path(input_path))
    except subprocess.TimeoutExpired:
        return ParityCheck(title, 0, 0, float("inf"), False, f"the check took longer than {TIMEOUT_S} s")
    except (RuntimeError, OSError, ValueError) as exc:
        return ParityCheck(title, 0, 0, float("inf"), False, str(exc))
    if values is not None:
        return compare_values(title, expected, got, seconds=time.perf_counter() - started, **values)
    return compare(title, expected, got, time.perf_counter() - started)

"""A thread-safe record of a training run's progress.

The training thread writes to it from a Keras callback; the page reads
``snapshot()`` every second or so. Nothing here touches Streamlit or TensorFlow,
so the page can poll it cheaply.
"""

from __future__ import annotations

import threading
import time
from typing import Any

STATES = ("queued", "running", "finished", "stopped", "failed", "interrupted")
#: What a trainer counts (``Progress.unit``): Keras epochs, boosted-tree rounds, one-go fits' steps, the
#: automatic table template's candidates, a forecast's model fits (per backtest window and the final refit).
UNITS = ("epochs", "rounds", "steps", "candidates", "models")


class Progress:
    """What a running job has done so far; every method is safe to call from any thread."""

    def __init__(self, epochs: int = 0) -> None:
        self._lock = threading.Lock()
        self.state = "queued"
        self.phase = "Waiting for a free training slot"
        self.epoch = 0  # epochs (or rounds, steps, candidates: see ``unit``) completed
        self.epochs = epochs
        #: What one of ``epoch`` counts, in words: Keras trains "epochs", boosted trees grow "rounds", models
        #: fitted in one go take "steps", the automatic table template trains "candidates". Set by the trainer.
        self.unit = "epochs"
        #: Sentences the run wants said (for example why the data chose the template), in order.
        self.notes: list[str] = []
        self.step = 0  # batches done in the current epoch
        self.steps = 0  # batches per epoch
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.device = ""
        self.history: dict[str, list[float]] = {}
        self.error: str | None = None
        self.hint: str | None = None
        self.run_id: str | None = None
        #: One row per model finished so far, for trainers that train several (the automatic table template):
        #: name, kind, validation_score, metric, seconds and weight. Set by the trainer.
        self.candidates: list[dict[str, Any]] = []

    def update(self, **fields: Any) -> None:
        with self._lock:
            for key, value in fields.items():
                setattr(self, key, value)

    def start(self, device: str) -> None:
        with self._lock:
            self.state = "running"
            self.device = device
            self.started_at = time.monotonic()

    def add_epoch(self, logs: dict[str, float]) -> None:
        with self._lock:
            self.epoch += 1
            self.step = self.steps
            for key, value in logs.items():
                if key == "learning_rate":
                    continue
                self.history.setdefault(key, []).append(float(value))

    def note(self, sentence: str) -> None:
        """Add a sentence for the person (the command line prints it, the page may show it)."""
        with self._lock:
            self.notes.append(sentence)

    def finish(self, state: str, error: str | None = None, hint: str | None = None) -> None:
        with self._lock:
            self.state = state
            self.error = error
            self.hint = hint
            self.finished_at = time.monotonic()

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy for drawing: fractions, times and curves."""
        with self._lock:
            now = self.finished_at or time.monotonic()
            elapsed = (now - self.started_at) if self.started_at else 0.0
            done = self.epoch + (self.step / self.steps if self.steps else 0.0)
            if self.state == "running":
                done = min(done, self.epoch + 0.999)
            fraction = min(done / self.epochs, 1.0) if self.epochs else 0.0
            remaining = None
            if self.state == "running" and fraction > 0.02 and elapsed > 1:
                remaining = elapsed * (1 - fraction) / fraction
            return {
                "state": self.state,
                "phase": self.phase,
                "epoch": self.epoch,
                "epochs": self.epochs,
                "unit": self.unit,
                "step": self.step,
                "steps": self.steps,
                "fraction": 1.0 if self.state == "finished" else fraction,
                "elapsed_s": elapsed,
                "remaining_s": remaining,
                "device": self.device,
                "history": {k: list(v) for k, v in self.history.items()},
                "error": self.error,
                "hint": self.hint,
                "run_id": self.run_id,
                "notes": list(self.notes),
                "candidates": [dict(row) for row in self.candidates],
            }

"""Where training and prediction run: a GPU with its name, or the CPU with its core count.

Read from the active Keras backend (TensorFlow by default; JAX or PyTorch on a GPU machine), so the Train
page and the benchmarks name the device the work really ran on. Keras is imported only when asked.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceInfo:
    """Where training runs: a GPU with its name, or the CPU (``is_gpu`` False) with its core count."""

    is_gpu: bool
    name: str
    backend: str

    @property
    def label(self) -> str:
        return f"GPU: {self.name}" if self.is_gpu else f"CPU ({self.name})"


def detect_device() -> DeviceInfo:
    """Ask the active Keras backend for a GPU; fall back to the CPU."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return DeviceInfo(True, str(details.get("device_name", gpus[0].name)), backend)
        elif backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            if gpus:
                return DeviceInfo(True, str(getattr(gpus[0], "device_kind", "GPU")), backend)
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return DeviceInfo(True, torch.cuda.get_device_name(0), backend)
    except Exception:
        pass
    return DeviceInfo(False, f"{platform.machine() or 'cpu'}, {os.cpu_count() or 1} cores", backend)

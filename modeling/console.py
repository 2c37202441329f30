"""What ``python -m modeling`` prints: ModelDeck's own lines, not TensorFlow's start-up chatter.

TensorFlow's C++ runtime writes straight to the process's standard error (file descriptor 2) when it loads:
"oneDNN custom operations are on", "Could not find cuda drivers", "All log messages before
absl::InitializeLog() ...". ``TF_CPP_MIN_LOG_LEVEL`` silences only part of it, and the switch that removes the
oneDNN line (``TF_ENABLE_ONEDNN_OPTS=0``) would change the arithmetic, so the numbers. :func:`quiet_stderr`
therefore puts a pipe in front of descriptor 2 for the command's lifetime and forwards every line except the
C++ runtime's log lines (``I0000 00:00:... file.cc:12] ...``) and Python warnings of third-party libraries.
``--verbose`` turns it off. Nothing here imports anything heavy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator

#: Lines of the C++ runtime's logs (absl / glog format) and absl's note that precedes them.
NOISE = re.compile(
    rb"^(?:[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] |WARNING: All log messages before absl::InitializeLog)"
)
#: Loggers of the libraries whose warnings are for their developers, not for a person running a command.
LIBRARY_LOGGERS = ("tensorflow", "absl", "keras", "h5py", "jax", "matplotlib", "PIL", "numexpr")


def quiet_environment() -> None:
    """Before TensorFlow loads: its Python and C++ logs at errors only (a value the user set is kept)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_CPP_MAX_VLOG_LEVEL", "-1")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


def quiet_python() -> None:
    """Third-party warnings and log records below errors are not shown; ModelDeck's own lines are prints."""
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def quiet_stderr(enabled: bool = True) -> Iterator[None]:
    """While inside, descriptor 2 goes through a filter that drops :data:`NOISE` lines (no-op when not ``enabled``).

    Writes of this process and of children that inherit its standard error pass through; the filter ends
    when the block ends, after forwarding what was still in the pipe.
    """
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no descriptor 2 to filter (an embedded interpreter): nothing to do
        yield
        return
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_forward, args=(read_end, saved), name="modeldeck-stderr", daemon=True)
    pump.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last write end closes: the pump reads to the end and stops
        pump.join(timeout=5)
        os.close(saved)


def _forward(read_end: int, target: int) -> None:
    with os.fdopen(read_end, "rb") as pipe:
        for line in pipe:
            if not NOISE.match(line):
                with contextlib.suppress(OSError):
                    os.write(target, line)

"""(labels, probabilities) -> numbers, no I/O: metrics, baselines, intervals, calibration, decisions."""

"""Run folders <-> objects: the store, saved predictions, the predictor and saved decision rules."""

"""Config + Dataset -> a finished run folder: fit, progress, experiment, background jobs, model search."""

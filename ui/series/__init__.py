"""The view of time series (forecasting): the Data page's recognition and set-up, the Model, Train, Evaluate and
Predict pages of a forecast, and its line in the run lists. Registered in :data:`ui.kinds.VIEWS` as ``series``."""
